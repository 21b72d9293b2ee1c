//! Integration tests: a ringbus server on port 0, driven by the `redis` crate (RESP2
//! and RESP3) and by raw bytes for protocol edge cases.

mod binary;
mod blocking;
mod compat_async;
mod compat_async_pending;
mod connection;
mod differential;
mod differential_protocol;
mod differential_random;
mod groups;
mod keys;
mod metrics;
mod protocol;
mod pubsub;
mod server;
mod streams;
mod support;
mod transactions;
mod xinfo;
