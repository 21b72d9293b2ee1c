//! The network side: listener, connection loop, client registry, limits, shutdown.
//! It knows nothing of streams; it hands each request to the command table.

mod buffers;
mod client;
mod connection;
mod dispatch;
mod listener;
mod outbox;
mod pubsub;
mod signal;
mod stats;
mod transaction;

pub use client::{ClientHandle, ClientRegistry, ClientType, Unblock};
pub use connection::{serve_connection, Client, ReplyMode, FLUSH_AT};
pub use listener::{
    admit_stream, protected_mode_denies, start, start_with_broker, RunningServer, ServerError,
};
pub use outbox::Outbox;
pub use pubsub::{PubSub, Subscriptions};
pub use signal::{Raised, Signal};
pub use stats::{CommandStat, RejectReason, Stats};
pub use transaction::{exec, MultiState, WatchSet};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::sync::OnceLock;

use parking_lot::{RwLock, RwLockReadGuard};
use tokio_util::sync::CancellationToken;

use crate::commands::{flags, CommandError, CommandSpec};
use crate::config::{Config, OutputLimits};
use crate::metrics::Metrics;
use crate::store::{Store, StoreSettings};

/// Applies a new log filter (`CONFIG SET loglevel`); installed by the binary, which
/// owns the logging setup. Returns a message when the filter cannot be applied.
pub type LogReloader = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The part of the configuration a connection reads at every turn. Shared: each
/// connection holds an `Arc` of it (8 bytes) rather than a copy (88 bytes, the
/// output limits being most of it), since a connection that sits parked in a
/// read holds its copy the whole time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: u64,
    /// `client-output-buffer-limit`.
    pub client_output_buffer_limit: OutputLimits,
}

impl ConnectionSettings {
    fn from_config(config: &Config) -> Self {
        ConnectionSettings {
            proto_max_bulk_len: config.proto_max_bulk_len,
            client_query_buffer_limit: config.client_query_buffer_limit,
            client_output_buffer_limit: config.client_output_buffer_limit,
        }
    }
}

/// Everything connections share.
pub struct ServerState {
    /// The keyspace (shared with an embedding [`crate::Broker`]).
    pub store: Arc<Store>,
    config: RwLock<Config>,
    /// Bumped each time the configuration is replaced, so a connection can keep
    /// the settings it reads per request without taking the lock, which every
    /// connection would otherwise write at every turn.
    config_generation: AtomicU64,
    /// What of the configuration every connection reads per request, replaced
    /// with it; see [`ConnectionSettings`].
    connection_settings: RwLock<Arc<ConnectionSettings>>,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// Pub/sub channels and patterns with their subscribers.
    pub pubsub: PubSub,
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
    /// Metric handles and the Prometheus renderer; `None` when `metrics-addr` is
    /// off, so the request path records nothing.
    pub metrics: Option<Metrics>,
    /// `maxmemory`, kept out of the config lock for the per-request check.
    maxmemory: AtomicU64,
    /// Highest `used_memory` seen (INFO `used_memory_peak`).
    memory_peak: AtomicU64,
    log_reloader: OnceLock<LogReloader>,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("port", &self.port)
            .field("run_id", &self.run_id)
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

impl ServerState {
    /// Shared state for a server with `config`, listening on `port`, serving `store`.
    pub fn new(config: Config, port: u16, store: Arc<Store>) -> Self {
        let started_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let seed = ahash::RandomState::new();
        let run_id: String = (0..5u64)
            .map(|i| format!("{:016x}", seed.hash_one(i)))
            .collect::<String>()[..40]
            .to_string();
        let shutdown = CancellationToken::new();
        let stats = Stats::new(crate::commands::all_specs());
        let metrics = config
            .metrics_addr
            .is_some()
            .then(|| Metrics::new(stats.index()));
        ServerState {
            store,
            maxmemory: AtomicU64::new(config.maxmemory),
            memory_peak: AtomicU64::new(0),
            metrics,
            connection_settings: RwLock::new(Arc::new(ConnectionSettings::from_config(&config))),
            config: RwLock::new(config),
            config_generation: AtomicU64::new(0),
            clients: ClientRegistry::new(shutdown.clone()),
            pubsub: PubSub::default(),
            stats,
            shutdown,
            started: Instant::now(),
            started_unix,
            run_id,
            port,
            log_reloader: OnceLock::new(),
        }
    }

    /// Installs the hook that applies `CONFIG SET loglevel` (once; later calls are
    /// ignored). Without one, the setting is stored but logging is left as it is.
    pub fn set_log_reloader(&self, reloader: LogReloader) {
        let _ = self.log_reloader.set(reloader);
    }

    /// Applies `filter` to logging, if the binary installed a hook.
    pub fn reload_log_filter(&self, filter: &str) -> Result<(), String> {
        match self.log_reloader.get() {
            Some(reload) => reload(filter),
            None => Ok(()),
        }
    }

    /// The live configuration (CONFIG SET changes it). Hold the guard briefly.
    pub fn config(&self) -> RwLockReadGuard<'_, Config> {
        self.config.read()
    }

    /// Replaces the live configuration (CONFIG SET, after validation) and hands
    /// the store its part.
    pub fn replace_config(&self, config: Config) {
        let settings = StoreSettings::from_config(&config);
        if *self.store.settings() != settings {
            self.store.set_settings(settings);
        }
        self.maxmemory.store(config.maxmemory, Ordering::Relaxed);
        let connection = ConnectionSettings::from_config(&config);
        if **self.connection_settings.read() != connection {
            *self.connection_settings.write() = Arc::new(connection);
        }
        *self.config.write() = config;
        self.config_generation.fetch_add(1, Ordering::Release);
    }

    /// Changes each time the configuration is replaced (see [`Self::config`]).
    pub fn config_generation(&self) -> u64 {
        self.config_generation.load(Ordering::Acquire)
    }

    /// The settings connections read per request, with the generation they are
    /// current for: keep both, and call again when [`Self::config_generation`]
    /// moves on.
    pub fn connection_settings(&self) -> (u64, Arc<ConnectionSettings>) {
        // The generation first: a change in between is then seen again at the
        // next look, never missed.
        let generation = self.config_generation();
        (generation, Arc::clone(&self.connection_settings.read()))
    }

    /// Bytes the stored data uses: INFO `used_memory`, what `maxmemory` limits.
    pub fn used_memory(&self) -> u64 {
        let used = self.store.counters.used_bytes();
        self.memory_peak.fetch_max(used, Ordering::Relaxed);
        used
    }

    /// The highest [`used_memory`](Self::used_memory) seen.
    pub fn used_memory_peak(&self) -> u64 {
        self.memory_peak.load(Ordering::Relaxed)
    }

    /// The `maxmemory` setting in bytes; 0 is no limit.
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }

    /// Redis's `noeviction` policy: over `maxmemory`, commands that may grow
    /// memory (flag `denyoom`) are refused with the OOM error; others run.
    #[inline]
    pub fn check_oom(&self, spec: &CommandSpec) -> Result<(), CommandError> {
        if spec.flags & flags::DENYOOM == 0 {
            return Ok(());
        }
        let max = self.maxmemory();
        if max != 0 && self.used_memory() > max {
            return Err(CommandError::OutOfMemory);
        }
        Ok(())
    }
}

/// Shared handle to the server state.
pub type SharedState = Arc<ServerState>;
