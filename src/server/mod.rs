//! The network side: listener, connection loop, client registry, limits, shutdown.
//! It knows nothing of streams; it hands each request to the command table.

mod client;
mod connection;
mod listener;
mod stats;

pub use client::{ClientHandle, ClientRegistry};
pub use connection::{serve_connection, Client, ReplyMode};
pub use listener::{admit_stream, protected_mode_denies, start, RunningServer, ServerError};
pub use stats::{CommandStat, Stats};

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{RwLock, RwLockReadGuard};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::store::Store;

/// Everything connections share.
#[derive(Debug)]
pub struct ServerState {
    /// The keyspace.
    pub store: Store,
    config: RwLock<Config>,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// INFO counters.
    pub stats: Stats,
    /// Cancelled when the server shuts down (signal or SHUTDOWN).
    pub shutdown: CancellationToken,
    /// When the server started.
    pub started: Instant,
    /// Unix seconds at start.
    pub started_unix: u64,
    /// 40 hex characters, new each start (INFO `run_id`).
    pub run_id: String,
    /// The port actually bound (differs from the setting when that was 0).
    pub port: u16,
}

impl ServerState {
    /// Shared state for a server with `config`, listening on `port`.
    pub fn new(config: Config, port: u16) -> Self {
        let started_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let seed = ahash::RandomState::new();
        let run_id: String = (0..5u64)
            .map(|i| format!("{:016x}", seed.hash_one(i)))
            .collect::<String>()[..40]
            .to_string();
        ServerState {
            store: Store::new(config.databases),
            config: RwLock::new(config),
            clients: ClientRegistry::default(),
            stats: Stats::new(crate::commands::all_specs()),
            shutdown: CancellationToken::new(),
            started: Instant::now(),
            started_unix,
            run_id,
            port,
        }
    }

    /// The live configuration (CONFIG SET changes it). Hold the guard briefly.
    pub fn config(&self) -> RwLockReadGuard<'_, Config> {
        self.config.read()
    }

    /// Replaces the live configuration (CONFIG SET, after validation).
    pub fn replace_config(&self, config: Config) {
        *self.config.write() = config;
    }
}

/// Shared handle to the server state.
pub type SharedState = Arc<ServerState>;
