//! ringbus: a Redis-compatible event broker whose one data type is the Redis stream,
//! every stream a capped in-memory ring buffer grouped into sessions.
//!
//! The crate is both the server binary and an embeddable library:
//! - [`server::start`] runs the RESP2/RESP3 server on a tokio runtime;
//! - [`config::Config`] is every setting, loaded from flags, environment and file;
//! - [`store`] is the synchronous store the server is a thin layer over.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = ringbus::config::Config::default();
//! config.port = 0; // pick a free port
//! let server = ringbus::server::start(config).await?;
//! println!("listening on {}", server.local_addr());
//! server.shutdown();
//! server.wait().await;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod broker;
pub mod commands;
pub mod config;
pub mod glob;
pub mod metrics;
pub mod num;
pub mod protocol;
pub mod server;
pub mod store;
mod thread_slot;

pub use broker::{Broker, Entry, Session, Track};
pub use config::Config;
pub use store::stream::StreamId;
