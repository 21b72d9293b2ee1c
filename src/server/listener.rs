//! Binding, accepting, admission (protected mode, maxclients), background upkeep and
//! graceful shutdown.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{Either, FutureExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::task::TaskTracker;

use super::{serve_connection, ClientHandle, RejectReason, ServerState, SharedState};
use crate::config::Config;

/// Redis's reply to a non-loopback client when no password is set.
pub const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Redis's reply when `maxclients` connections are open.
pub const MAX_CLIENTS: &str = "-ERR max number of clients reached\r\n";

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why the OS refused.
        source: std::io::Error,
    },
    /// `bind` named no address.
    #[error("no address to listen on: set --bind")]
    NoBindAddress,
    /// The metrics endpoint could not be bound.
    #[error("cannot serve metrics on {addr}: {source} (change --metrics-addr, or set it to off)")]
    MetricsBind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why the OS refused.
        source: std::io::Error,
    },
}

/// A server that is accepting connections.
#[derive(Debug)]
pub struct RunningServer {
    state: SharedState,
    addrs: Vec<SocketAddr>,
    metrics_addr: Option<SocketAddr>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The first address it listens on (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Every address it listens on.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Where `GET /metrics` is served (with the real port when 0 was asked for);
    /// `None` when `metrics-addr` is off.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The shared state (for embedding and tests).
    pub fn state(&self) -> &SharedState {
        &self.state
    }

    /// Starts a graceful shutdown: stop accepting, answer what was read, close.
    pub fn shutdown(&self) {
        self.state.shutdown.cancel();
    }

    /// Waits until the server has shut down (after [`shutdown`](Self::shutdown), a
    /// SHUTDOWN command, or a signal handled by the caller).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Binds every `bind` address on `port` and starts serving a new, empty store.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    let broker = crate::Broker::new(&config);
    start_with_broker(config, &broker).await
}

/// Like [`start`], serving `broker`'s store: what the application appends through
/// the embedded API, Redis clients read, and the other way round.
pub async fn start_with_broker(
    config: Config,
    broker: &crate::Broker,
) -> Result<RunningServer, ServerError> {
    let mut listeners = Vec::new();
    let mut port = config.port;
    if config.bind.is_empty() {
        return Err(ServerError::NoBindAddress);
    }
    for ip in &config.bind {
        // With port 0 the first bind picks the port and the others share it.
        let addr = SocketAddr::new(*ip, port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        port = local.port();
        listeners.push((listener, local));
    }
    let addrs: Vec<SocketAddr> = listeners.iter().map(|(_, a)| *a).collect();
    let metrics = match config.metrics_addr {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::MetricsBind { addr, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| ServerError::MetricsBind { addr, source })?;
            Some((listener, local))
        }
        None => None,
    };
    for a in &addrs {
        tracing::info!(addr = %a, "ringbus listening");
    }
    let metrics_addr = metrics.as_ref().map(|(_, a)| *a);
    if let Some(a) = metrics_addr {
        tracing::info!(url = %format!("http://{a}/metrics"), "metrics listening");
    }
    let state = Arc::new(ServerState::new(config, port, Arc::clone(broker.store())));
    let task = tokio::spawn(serve(
        Arc::clone(&state),
        listeners,
        metrics.map(|(l, _)| l),
    ));
    Ok(RunningServer {
        state,
        addrs,
        metrics_addr,
        task,
    })
}

async fn serve(
    state: SharedState,
    listeners: Vec<(TcpListener, SocketAddr)>,
    metrics: Option<TcpListener>,
) {
    // A tracker rather than a `JoinSet`: the set allocates an entry per task (72
    // bytes a connection, which a parked reader pays for as long as it stays), and
    // the server only needs to wait for them all at shutdown.
    let connections = TaskTracker::new();
    let mut accepters = JoinSet::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(TcpStream, SocketAddr)>(256);
    for (listener, _) in listeners {
        let tx = tx.clone();
        let shutdown = state.shutdown.clone();
        accepters.spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, peer)) => {
                            if tx.send((stream, peer)).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            // EMFILE and friends: back off instead of spinning.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        });
    }
    drop(tx);
    let upkeep = tokio::spawn(upkeep(Arc::clone(&state)));
    let metrics = metrics.map(|l| tokio::spawn(crate::metrics::serve(l, Arc::clone(&state))));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            next = rx.recv() => match next {
                Some((stream, peer)) => admit(&state, &connections, stream, peer).await,
                None => break,
            },
        }
    }
    accepters.shutdown().await;
    state.clients.kill_all();
    // Connections answer what they have read, flush and close.
    connections.close();
    connections.wait().await;
    upkeep.abort();
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    tracing::info!("ringbus stopped");
}

/// Applies maxclients, registers the client and spawns its task.
async fn admit(
    state: &SharedState,
    connections: &TaskTracker,
    mut stream: TcpStream,
    peer: SocketAddr,
) {
    state
        .stats
        .connections_received
        .fetch_add(1, Ordering::Relaxed);
    let maxclients = state.config().maxclients;
    if state.clients.len() >= maxclients {
        refuse(
            state,
            &mut stream,
            peer,
            MAX_CLIENTS,
            RejectReason::MaxClients,
        )
        .await;
        return;
    }
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().unwrap_or(peer);
    let handle = state.clients.register(peer, local);
    connections.spawn(admit_stream(stream, Arc::clone(state), handle));
}

/// Serves a registered client after the protected-mode check, then unregisters it.
/// Generic over the byte stream so the check can be tested with any peer address.
///
/// Built from combinators rather than written as an `async fn`: the task holds
/// this future for as long as the client stays connected, and an `async fn`
/// wrapper kept its own copies of the stream, the state and the handle beside
/// the connection's future (80 bytes a connection).
pub fn admit_stream<S>(
    mut stream: S,
    state: SharedState,
    handle: Arc<ClientHandle>,
) -> impl Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Unregisters when the connection ends, and also if its task is dropped
    // half-way (a panic, the runtime shutting down).
    let registered = Registered {
        state: Arc::clone(&state),
        id: handle.id,
    };
    let (protected, has_password) = {
        let cfg = state.config();
        (cfg.protected_mode, cfg.requirepass.is_some())
    };
    let served = if protected && protected_mode_denies(has_password, handle.addr.ip()) {
        Either::Left(async move {
            let reason = RejectReason::ProtectedMode;
            refuse(&state, &mut stream, handle.addr, DENIED, reason).await;
        })
    } else {
        Either::Right(serve_connection(stream, state, handle))
    };
    served.map(move |()| drop(registered))
}

/// A client's place in the registry, given up when this is dropped.
struct Registered {
    state: SharedState,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.state.clients.unregister(self.id);
    }
}

async fn refuse<S>(
    state: &ServerState,
    stream: &mut S,
    peer: SocketAddr,
    text: &str,
    reason: RejectReason,
) where
    S: AsyncWrite + Unpin,
{
    state.stats.reject(reason);
    tracing::warn!(%peer, reason = reason.label(), "connection refused");
    // Best effort: the client may already be gone.
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Protected mode: with no password, only loopback clients are served.
pub fn protected_mode_denies(has_password: bool, peer: IpAddr) -> bool {
    let loopback = match peer {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    !has_password && !loopback
}

/// Background work: removes expired keys in bounded slices ten times a second, and
/// once a second ends idle sessions and drops entries past their track's max age.
async fn upkeep(state: SharedState) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut ticks: u64 = 0;
    loop {
        tick.tick().await;
        ticks += 1;
        let now = crate::store::now_ms();
        // Each sweep holds the transaction gate shared, so none runs inside an EXEC.
        if ticks % 10 == 0 {
            let ended = {
                let _gate = state.store.gate.shared();
                state.store.sweep_idle_sessions(now)
            };
            if ended > 0 {
                tracing::debug!(ended, "idle sessions ended");
            }
            let _gate = state.store.gate.shared();
            state.store.sweep_max_age(now);
        }
        if ticks % 10 == 0 {
            // Read each time, so CONFIG SET timeout reaches every open connection.
            let timeout = state.config().timeout;
            if let Some(timeout) = timeout {
                state.clients.close_idle(timeout);
            }
        }
        // Keeps INFO's used_memory_peak current between INFO calls.
        state.used_memory();
        for (index, db) in state.store.iter() {
            let _gate = state.store.gate.shared();
            let gone = db.sweep_expired(now, 1000);
            for (key, value) in &gone {
                crate::store::release(value);
                state
                    .store
                    .key_removed(index, key, crate::store::EndReason::Expire, now);
            }
            db.prune_waiters();
            if !gone.is_empty() {
                state
                    .store
                    .counters
                    .expired_keys
                    .fetch_add(gone.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_mode_allows_only_loopback_without_password() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let remote = IpAddr::from([192, 0, 2, 7]);
        let lo6: IpAddr = "::1".parse().unwrap_or(lo);
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap_or(lo);
        assert!(!protected_mode_denies(false, lo));
        assert!(!protected_mode_denies(false, lo6));
        assert!(!protected_mode_denies(false, mapped));
        assert!(protected_mode_denies(false, remote));
        assert!(!protected_mode_denies(true, remote));
    }

    #[tokio::test]
    async fn a_client_leaves_the_registry_when_served_and_when_dropped() {
        let store = Arc::new(crate::store::Store::new(1, Default::default()));
        let state = Arc::new(ServerState::new(Default::default(), 0, store));
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("an address");

        // Served to the end: QUIT.
        let (mut ours, theirs) = tokio::io::duplex(1024);
        let handle = state.clients.register(addr, addr);
        let task = tokio::spawn(admit_stream(theirs, Arc::clone(&state), handle));
        ours.write_all(b"QUIT\r\n").await.expect("write");
        task.await.expect("the connection ends");
        assert_eq!(state.clients.len(), 0, "unregistered when served");

        // Dropped half-way, parked in a read (a panic, or the runtime going away).
        let (_ours, theirs) = tokio::io::duplex(1024);
        let handle = state.clients.register(addr, addr);
        let task = tokio::spawn(admit_stream(theirs, Arc::clone(&state), handle));
        tokio::task::yield_now().await;
        assert_eq!(state.clients.len(), 1);
        task.abort();
        assert!(task.await.is_err_and(|e| e.is_cancelled()));
        assert_eq!(state.clients.len(), 0, "unregistered when dropped");
    }

    /// Every connection's task holds this future for as long as the client is
    /// connected, parked readers included, so its size is memory per reader (see
    /// BENCHMARKS.md, "Memory per reader"). It was 1,656 bytes while the argument
    /// vector, the request and an unused timer stayed in it across every `.await`
    /// and the pub/sub sets of clients that never subscribe sat in it; then 1,024,
    /// while the `async fn`s kept copies of their arguments and each connection
    /// a copy of the output limits.
    ///
    /// The bound is a step, not a round number: tokio lays a task out in 128-byte
    /// lines (a 32-byte header, a 48-byte trailer, 16 bytes of scheduler and ID,
    /// and the future with its 8-byte state), and the task tracker adds 8 bytes to
    /// the future. Up to 784 bytes the task takes 896; one byte more and it takes
    /// 1,024.
    #[tokio::test]
    async fn a_connection_task_stays_small() {
        fn size_of<F: std::future::Future>(_: &F) -> usize {
            std::mem::size_of::<F>()
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind on loopback");
        let addr = listener.local_addr().expect("local address");
        let stream = TcpStream::connect(addr).await.expect("connect on loopback");
        let store = Arc::new(crate::store::Store::new(1, Default::default()));
        let state = Arc::new(ServerState::new(Default::default(), 0, store));
        let handle = state.clients.register(addr, addr);
        let task = admit_stream(stream, Arc::clone(&state), handle);
        let size = size_of(&task);
        assert!(
            size <= 784,
            "a connection's future is {size} bytes: look for a local that lives across an \
             `.await` in server::connection without needing to (cargo +nightly rustc \
             --release --lib -- -Zprint-type-sizes lists them)"
        );
    }
}
