//! The wire protocol: a streaming request parser with Redis's limits, and reply
//! encoding for RESP2 and RESP3.

mod fast;
mod inline;
mod parser;
mod reply;
mod request;

pub use fast::Span;
pub use parser::{ParseLimits, ProtocolError, RequestParser};
pub use reply::{format_double, Protocol, Reply};
pub use request::{Argv, Request};
