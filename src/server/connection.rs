//! The connection loop: read, parse every complete request, run each, write their
//! replies (and any pub/sub messages) with as few writes as possible, repeat.
//!
//! Replies pile up in one output buffer per connection and are written once per
//! batch of pipelined requests, or sooner when the buffer passes [`FLUSH_AT`], so a
//! client that sends many large requests and does not read holds at most one batch:
//! while a write is pending the connection reads no more requests. What a client
//! has pending is checked against `client-output-buffer-limit` after each reply.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::buffers::{self, CHUNK as READ_CHUNK};
use super::dispatch::{execute, reply_error};
use super::pubsub::Subscriptions;
use super::transaction::{MultiState, WatchSet};
use super::{ClientHandle, SharedState};
use crate::commands::{Blocked, CommandError, Ctx, Flow};
use crate::config::OutputLimits;
use crate::protocol::{Argv, ParseLimits, Protocol, Reply, RequestParser};
use crate::store::Bell;

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Replies are sent.
    #[default]
    On,
    /// No replies until CLIENT REPLY ON.
    Off,
}

/// A connection's private state, owned by its task.
#[derive(Debug)]
pub struct Client {
    /// The part other tasks can see.
    pub handle: Arc<ClientHandle>,
    /// Selected database.
    pub db: usize,
    /// False until AUTH succeeds on a server with `requirepass`.
    pub authenticated: bool,
    /// CLIENT REPLY ON|OFF.
    pub reply_mode: ReplyMode,
    /// CLIENT REPLY SKIP: drop the next command's reply.
    pub skip_next: bool,
    /// Between MULTI and EXEC/DISCARD: the queued commands.
    pub multi: Option<MultiState>,
    /// The keys this client WATCHes, if any.
    pub watch: Option<WatchSet>,
    /// Channels and patterns this client is subscribed to.
    pub subscriptions: Subscriptions,
    /// The bell of this client's last blocking command, kept for the next one when
    /// nothing holds a registration of it any more (see [`Client::bell`]).
    spare_bell: Option<Arc<Bell>>,
    /// The last blocking command's operation, emptied, kept for the next one of
    /// its kind (see [`Client::spare_op`]).
    spare_op: Option<Box<dyn Any + Send + Sync>>,
}

impl Client {
    /// State for a new connection to `state`; `authenticated` when the server has no
    /// password.
    pub fn new(state: &SharedState, handle: Arc<ClientHandle>, authenticated: bool) -> Self {
        Client {
            subscriptions: Subscriptions::new(Arc::clone(state), Arc::clone(&handle)),
            handle,
            db: 0,
            authenticated,
            reply_mode: ReplyMode::On,
            skip_next: false,
            multi: None,
            watch: None,
            spare_bell: None,
            spare_op: None,
        }
    }

    /// A bell for a blocking command: the last one's when it is clean, else a new
    /// one. A reader in a fan-out blocks once per delivery, and the allocation
    /// and free of a new bell each time was about 2 % of its instructions.
    pub fn bell(&mut self) -> Arc<Bell> {
        self.spare_bell
            .take()
            .unwrap_or_else(|| Arc::new(Bell::new()))
    }

    /// Takes back a blocking command's bell once it has ended. It is kept only when
    /// no stream or key still holds a registration of it: a stale registration
    /// would ring the next command's bell for a key it does not wait on. (A second
    /// ring, kept by the bell, only costs the next command one more look.)
    pub fn return_bell(&mut self, bell: Arc<Bell>) {
        if Arc::strong_count(&bell) == 1 && Arc::weak_count(&bell) == 0 {
            self.spare_bell = Some(bell);
        }
    }

    /// The operation a blocking command of type `T` left behind, emptied, to be
    /// filled for the next one. A reader in a fan-out blocks once per delivery,
    /// and a new allocation each time (freed when it was served) went mostly
    /// through the allocator's slow path, as a thousand readers woken at once
    /// overflow its per-thread cache: 3 % of a delivery's instructions.
    pub fn spare_op<T: Any>(&mut self) -> Option<Box<T>> {
        match self.spare_op.take()?.downcast::<T>() {
            Ok(op) => Some(op),
            Err(other) => {
                self.spare_op = Some(other);
                None
            }
        }
    }

    /// Keeps what [`crate::commands::BlockingOp::into_spare`] gave back, for [`Client::spare_op`].
    pub fn keep_op(&mut self, op: Option<Box<dyn Any + Send + Sync>>) {
        if op.is_some() {
            self.spare_op = op;
        }
    }

    /// Switches database, keeping CLIENT LIST in step.
    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }

    /// Moves pub/sub messages waiting for this client to the end of `out`.
    fn take_pushes(&self, out: &mut Reply) {
        self.handle.outbox.drain_into(out.buffer_mut());
    }

    /// Checks the output waiting in `out` against the client's class limit; true
    /// when the client must be dropped (it has been counted and logged).
    fn over_output_limit(&self, state: &SharedState, limits: &OutputLimits, out: &Reply) -> bool {
        let (limit, class) = if self.subscriptions.active() {
            (&limits.pubsub, "pubsub")
        } else {
            (&limits.normal, "normal")
        };
        let pending = out.len() + self.handle.outbox.in_flight();
        self.handle
            .enforce_output_limit(pending, limit, &state.stats, class)
    }
}

/// An output buffer larger than this is released after a flush rather than kept.
const KEEP_OUT_CAPACITY: usize = 1024 * 1024;
/// Replies are written before the next request once this many bytes are waiting.
pub const FLUSH_AT: usize = 64 * 1024;

/// Serves one client until it quits, is killed, idles out, breaks the protocol, or
/// the server shuts down. Generic over the byte stream so tests can use in-memory
/// pipes. The caller has registered `handle` and unregisters it afterwards.
///
/// A plain function returning an `async move` block rather than an `async fn`:
/// an `async fn` keeps its arguments twice in the future (as captured and as
/// moved into the body), 40 bytes a connection for nothing.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would keep the arguments twice in every connection's task"
)]
pub fn serve_connection<S>(
    mut stream: S,
    state: SharedState,
    handle: Arc<ClientHandle>,
) -> impl Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async move {
        let authenticated = state.config().requirepass.is_none();
        let mut client = Client::new(&state, handle, authenticated);
        // Both buffers are borrowed from the thread's spares while they hold bytes.
        let mut out = Reply::detached(Protocol::Resp2);
        let mut inbuf = BytesMut::new();
        let mut parser = RequestParser::new();

        // The settings each turn needs, fetched again only when CONFIG SET changed
        // the configuration.
        let (mut generation, mut settings) = state.connection_settings();
        'conn: loop {
            if generation != state.config_generation() {
                (generation, settings) = state.connection_settings();
            }
            let max_bulk_len = settings.proto_max_bulk_len;
            let qbuf_limit = settings.client_query_buffer_limit;
            let out_limits = &settings.client_output_buffer_limit;
            buffers::attach(out.buffer_mut());
            // Run every complete request already buffered; their replies pile up in `out`.
            let mut close = false;
            let mut ran = 0usize;
            loop {
                let limits = ParseLimits {
                    max_bulk_len,
                    authenticated: client.authenticated,
                };
                let request = match parser.next_request(&mut inbuf, &limits) {
                    Ok(Some(request)) => request,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::info!(peer = %client.handle.addr, error = %e, "protocol error, closing connection");
                        out.error_bytes(&[&b"ERR "[..], &e.reply_text()].concat());
                        state.stats.record_error("ERR");
                        close = true;
                        break;
                    }
                };
                if client.subscriptions.active() {
                    // Messages published before this request go out before its reply.
                    client.take_pushes(&mut out);
                }
                // The commands borrow the arguments; the request's bytes are released
                // when it has run. Both end with this block, not merely dropped: a
                // local still in scope at an `.await` below takes room in every
                // connection's task whether or not it holds anything (the argument
                // vector alone is 264 bytes).
                let flow = {
                    let request = request;
                    let mut argv = Argv::new();
                    request.fill(&mut argv);
                    execute(&state, &mut client, &mut out, &argv)
                };
                ran += 1;
                if client.over_output_limit(&state, out_limits, &out) {
                    break 'conn;
                }
                match flow {
                    Flow::Continue => {
                        if out.len() >= FLUSH_AT
                            && flush(&mut stream, &state, &client, &mut out).await.is_err()
                        {
                            break 'conn;
                        }
                    }
                    Flow::Close => {
                        close = true;
                        break;
                    }
                    Flow::Block(blocked) => {
                        // Replies to earlier requests go out before the client parks.
                        if flush(&mut stream, &state, &client, &mut out).await.is_err() {
                            break 'conn;
                        }
                        let waited = wait_blocked(
                            &mut stream,
                            &state,
                            &mut client,
                            &mut out,
                            &mut inbuf,
                            qbuf_limit,
                            blocked,
                        )
                        .await;
                        if !waited {
                            close = true;
                            break;
                        }
                    }
                }
            }
            client.take_pushes(&mut out);
            if !out.is_empty() && client.over_output_limit(&state, out_limits, &out) {
                break;
            }
            if ran > 1 && !out.is_empty() {
                // A pipelined batch: let the other connections that became readable
                // run their batches first (a yielded task runs again after the worker
                // polls for I/O), so the replies go out together, as Redis writes them
                // all before it sleeps. A client with many connections (a load
                // generator, a pool) is then woken once per round instead of once per
                // reply: in paired runs of XADD with 16-deep pipelines this cut the
                // server's kernel time by about a third and its CPU per request by
                // about 4 %. A lone request is answered at once: yielding it too
                // doubled the p99 of one-request-at-a-time clients, for no CPU saved.
                tokio::task::yield_now().await;
            }
            if flush(&mut stream, &state, &client, &mut out).await.is_err() {
                break;
            }
            if close {
                break;
            }
            let queued = inbuf.len() + parser.pending_bytes();
            client.handle.qbuf.store(queued, Ordering::Relaxed);
            if queued as u64 > qbuf_limit {
                tracing::warn!(peer = %client.handle.addr, queued, "closing client that reached max query buffer length");
                break;
            }
            park_buffers(&mut inbuf, &mut out);
            // An idle client is closed by the server's upkeep (`timeout`), through the
            // signal, as Redis's cron closes it.
            tokio::select! {
                biased;
                // Shutdown kills every client: one signal to watch. Pushes are moved
                // to `out` at the top of the loop; a stale CLIENT UNBLOCK is dropped.
                raised = client.handle.signal.taken() => if raised.kill() {
                    break;
                },
                read = read_request(&mut stream, &mut inbuf) => match read {
                    Ok(0) => break,
                    Ok(n) => {
                        state.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                        client.handle.mark_active();
                    }
                    Err(e) => {
                        tracing::info!(peer = %client.handle.addr, error = %e, "read failed, closing connection");
                        break;
                    }
                },
            }
        }
        let _ = stream.shutdown().await;
    }
}

/// Writes everything buffered in `out`. A write the client does not take (it stops
/// reading) waits until the client is killed: by CLIENT KILL, shutdown, or a
/// publisher that found its output over the limit. While it waits, the bytes still
/// to write count as the client's pending output.
async fn flush<S>(
    stream: &mut S,
    state: &SharedState,
    client: &Client,
    out: &mut Reply,
) -> std::io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    if out.is_empty() {
        return Ok(());
    }
    let total = out.len();
    let handle = &client.handle;
    let mut written = 0;
    while written < total {
        handle.omem.store(total - written, Ordering::Relaxed);
        handle.outbox.set_in_flight(total - written);
        let wrote = tokio::select! {
            // The write first: a client that reads gets its replies even when killed.
            biased;
            w = stream.write(&out.buffer()[written..]) => w,
            _ = handle.signal.killed() => Err(std::io::Error::other("client killed")),
        };
        match wrote {
            Ok(0) => {
                written = total + 1;
                break;
            }
            Ok(n) => {
                written += n;
                if written < total {
                    // A client still taking a long reply is not idle (Redis stamps
                    // `lastinteraction` on writes too); a whole reply in one write,
                    // the usual case, needs no clock read.
                    handle.mark_active();
                }
            }
            Err(e) => {
                tracing::info!(peer = %handle.addr, error = %e, "write failed, closing connection");
                handle.omem.store(0, Ordering::Relaxed);
                handle.outbox.set_in_flight(0);
                return Err(e);
            }
        }
    }
    handle.omem.store(0, Ordering::Relaxed);
    handle.outbox.set_in_flight(0);
    if written > total {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
    state
        .stats
        .net_output_bytes
        .fetch_add(total as u64, Ordering::Relaxed);
    out.buffer_mut().clear();
    if out.buffer().capacity() > KEEP_OUT_CAPACITY {
        *out.buffer_mut() = BytesMut::new();
    }
    Ok(())
}

/// Before the connection waits: gives its buffers back to the thread when they
/// hold nothing, and makes room for the read when bytes of a request wait.
fn park_buffers(inbuf: &mut BytesMut, out: &mut Reply) {
    buffers::release(out.buffer_mut());
    buffers::release(inbuf);
    if !inbuf.is_empty() && inbuf.capacity() - inbuf.len() < READ_CHUNK / 2 {
        inbuf.reserve(READ_CHUNK);
    }
}

/// Reads what the client sends into `inbuf`. A connection with no bytes pending
/// holds no buffer: each attempt borrows one of the thread's spares and keeps it
/// only when bytes arrive, so a client parked in a read holds no memory of its own.
fn read_request<'a, S>(
    stream: &'a mut S,
    inbuf: &'a mut BytesMut,
) -> impl Future<Output = std::io::Result<usize>> + 'a
where
    S: AsyncRead + Unpin,
{
    std::future::poll_fn(move |cx| {
        if inbuf.capacity() != 0 {
            return tokio_util::io::poll_read_buf(Pin::new(&mut *stream), cx, &mut *inbuf);
        }
        let (read, filled) = buffers::read_into_spare(|spare| {
            tokio_util::io::poll_read_buf(Pin::new(&mut *stream), cx, spare)
        });
        if let Some(filled) = filled {
            *inbuf = filled;
        }
        read
    })
}

/// Parks a blocked command until its bell rings with data for it, its deadline
/// passes, or the client goes. Bytes the client sends meanwhile are kept for after
/// (as Redis, a blocked client's further requests wait). Returns false when the
/// connection must close.
///
/// Not an `async fn`, for the reason [`serve_connection`] is not: every
/// connection's task has room for this future, blocked or not.
fn wait_blocked<'a, S>(
    stream: &'a mut S,
    state: &'a SharedState,
    client: &'a mut Client,
    out: &'a mut Reply,
    inbuf: &'a mut BytesMut,
    qbuf_limit: u64,
    blocked: Blocked,
) -> impl Future<Output = bool> + 'a
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Blocked {
        deadline,
        bell,
        mut op,
    } = blocked;
    async move {
        // A CLIENT UNBLOCK that raced with the end of an earlier block is stale.
        *client.handle.unblock.lock() = None;
        client.handle.set_blocked(true);
        // The bell is borrowed by the wait and handed back to the client after it.
        let keep = {
            // Made once for the whole wait: re-creating it at every turn of the loop
            // would register and unregister it each time. Boxed, and only when there
            // is a deadline: a timer is 112 bytes, which every connection's task
            // would otherwise carry, and most blocked readers wait with BLOCK 0.
            let mut timer = deadline.map(|at| Box::pin(tokio::time::sleep_until(at)));
            let timeout = std::future::poll_fn(|cx| match timer.as_mut() {
                Some(sleep) => sleep.as_mut().poll(cx),
                None => std::task::Poll::Pending,
            });
            tokio::pin!(timeout);
            loop {
                park_buffers(inbuf, out);
                tokio::select! {
                    biased;
                    raised = client.handle.signal.taken() => {
                        if raised.kill() {
                            break false;
                        }
                        buffers::attach(out.buffer_mut());
                        // Pub/sub messages are moved to `out` below.
                        let how = if raised.unblock() { client.handle.unblock.lock().take() } else { None };
                        let mut ctx = Ctx { server: state, client: &mut *client, out: &mut *out };
                        match how {
                            Some(super::Unblock::Timeout) => {
                                let _gate = state.store.gate.shared();
                                op.timed_out(&mut ctx);
                                break true;
                            }
                            Some(super::Unblock::Error) => {
                                let e = CommandError::Coded("UNBLOCKED client unblocked via CLIENT UNBLOCK".into());
                                reply_error(state, out, &e);
                                break true;
                            }
                            None => {}
                        }
                    }
                    _ = bell.rung() => {
                        buffers::attach(out.buffer_mut());
                        let mut ctx = Ctx { server: state, client: &mut *client, out: &mut *out };
                        let attempt = {
                            let _gate = state.store.gate.shared();
                            op.attempt(&mut ctx, &bell)
                        };
                        match attempt {
                            Ok(true) => break true,
                            Ok(false) => {}
                            Err(e) => {
                                reply_error(state, out, &e);
                                break true;
                            }
                        }
                    }
                    _ = &mut timeout => {
                        buffers::attach(out.buffer_mut());
                        let mut ctx = Ctx { server: state, client: &mut *client, out: &mut *out };
                        let _gate = state.store.gate.shared();
                        op.timed_out(&mut ctx);
                        break true;
                    }
                    read = read_request(stream, inbuf) => match read {
                        Ok(0) => break false,
                        Err(e) => {
                            tracing::info!(peer = %client.handle.addr, error = %e, "read failed, closing connection");
                            break false;
                        }
                        Ok(n) => {
                            state.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                            client.handle.mark_active();
                            if inbuf.len() as u64 > qbuf_limit {
                                tracing::warn!(peer = %client.handle.addr, "closing blocked client that reached max query buffer length");
                                break false;
                            }
                        }
                    },
                }
                client.take_pushes(out);
                if !out.is_empty() && flush(stream, state, client, out).await.is_err() {
                    break false;
                }
            }
        };
        client.handle.set_blocked(false);
        client.keep_op(op.into_spare());
        client.return_bell(bell);
        keep
    }
}
