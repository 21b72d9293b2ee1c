//! The connection loop: read, parse every complete request, run each, write all their
//! replies with one write, repeat.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{ClientHandle, SharedState};
use crate::commands::{self, flags, Blocked, CommandError, Ctx, Flow};
use crate::protocol::{ParseLimits, Protocol, Reply, RequestParser};

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
}

impl Client {
    /// State for a new connection; `authenticated` when the server has no password.
    pub fn new(handle: Arc<ClientHandle>, authenticated: bool) -> Self {
        Client {
            handle,
            db: 0,
            authenticated,
            reply_mode: ReplyMode::On,
            skip_next: false,
        }
    }

    /// Switches database, keeping CLIENT LIST in step.
    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }
}

const READ_CHUNK: usize = 16 * 1024;
/// An output buffer larger than this is released after a flush rather than kept.
const KEEP_OUT_CAPACITY: usize = 1024 * 1024;

/// Serves one client until it quits, is killed, idles out, breaks the protocol, or
/// the server shuts down. Generic over the byte stream so tests can use in-memory
/// pipes. The caller has registered `handle` and unregisters it afterwards.
pub async fn serve_connection<S>(mut stream: S, state: SharedState, handle: Arc<ClientHandle>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let authenticated = state.config().requirepass.is_none();
    let mut client = Client::new(handle, authenticated);
    let mut out = Reply::new(Protocol::Resp2);
    let mut inbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut parser = RequestParser::new();
    let peer = client.handle.addr;

    loop {
        let (max_bulk_len, qbuf_limit, idle_timeout) = {
            let cfg = state.config();
            (
                cfg.proto_max_bulk_len,
                cfg.client_query_buffer_limit,
                cfg.timeout,
            )
        };
        // Run every complete request already buffered; their replies pile up in `out`.
        let mut close = false;
        loop {
            let limits = ParseLimits {
                max_bulk_len,
                authenticated: client.authenticated,
            };
            match parser.next_request(&mut inbuf, &limits) {
                Ok(Some(argv)) => match execute(&state, &mut client, &mut out, argv) {
                    Flow::Continue => {}
                    Flow::Close => {
                        close = true;
                        break;
                    }
                    Flow::Block(blocked) => {
                        // Replies to earlier requests go out before the client parks.
                        if flush(&mut stream, &state, &client, &mut out).await.is_err() {
                            close = true;
                            break;
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
                },
                Ok(None) => break,
                Err(e) => {
                    tracing::info!(%peer, error = %e, "protocol error, closing connection");
                    out.error(&format!("ERR {e}"));
                    state.stats.record_error("ERR");
                    close = true;
                    break;
                }
            }
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
            tracing::warn!(%peer, queued, "closing client that reached max query buffer length");
            break;
        }
        if inbuf.capacity() - inbuf.len() < READ_CHUNK / 2 {
            inbuf.reserve(READ_CHUNK);
        }
        let idle = async {
            match idle_timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            biased;
            _ = client.handle.kill.cancelled() => break,
            _ = state.shutdown.cancelled() => break,
            read = stream.read_buf(&mut inbuf) => match read {
                Ok(0) => break,
                Ok(n) => {
                    state.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::info!(%peer, error = %e, "read failed, closing connection");
                    break;
                }
            },
            _ = idle => {
                tracing::debug!(%peer, "closing idle client");
                break;
            }
        }
    }
    let _ = stream.shutdown().await;
}

/// Writes everything buffered in `out` with one write.
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
    let n = out.len();
    client.handle.omem.store(n, Ordering::Relaxed);
    if let Err(e) = stream.write_all(out.buffer()).await {
        tracing::info!(peer = %client.handle.addr, error = %e, "write failed, closing connection");
        return Err(e);
    }
    state
        .stats
        .net_output_bytes
        .fetch_add(n as u64, Ordering::Relaxed);
    client.handle.omem.store(0, Ordering::Relaxed);
    out.buffer_mut().clear();
    if out.buffer().capacity() > KEEP_OUT_CAPACITY {
        *out.buffer_mut() = BytesMut::with_capacity(READ_CHUNK);
    }
    Ok(())
}

/// Parks a blocked command until its bell rings with data for it, its deadline
/// passes, or the client goes. Bytes the client sends meanwhile are kept for after
/// (as Redis, a blocked client's further requests wait). Returns false when the
/// connection must close.
async fn wait_blocked<S>(
    stream: &mut S,
    state: &SharedState,
    client: &mut Client,
    out: &mut Reply,
    inbuf: &mut BytesMut,
    qbuf_limit: u64,
    blocked: Blocked,
) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Blocked {
        deadline,
        bell,
        mut op,
    } = blocked;
    // A CLIENT UNBLOCK that raced with the end of an earlier block is stale.
    *client.handle.unblock.lock() = None;
    state.clients.set_blocked(&client.handle, true);
    let keep = loop {
        let timeout = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            biased;
            _ = client.handle.kill.cancelled() => break false,
            _ = state.shutdown.cancelled() => break false,
            _ = client.handle.unblock_bell.notified() => {
                let how = client.handle.unblock.lock().take();
                let mut ctx = Ctx { server: state, client: &mut *client, out: &mut *out };
                match how {
                    Some(super::Unblock::Timeout) => {
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
            _ = bell.notified() => {
                let mut ctx = Ctx { server: state, client: &mut *client, out: &mut *out };
                match op.attempt(&mut ctx, &bell) {
                    Ok(true) => break true,
                    Ok(false) => {}
                    Err(e) => {
                        reply_error(state, out, &e);
                        break true;
                    }
                }
            }
            _ = timeout => {
                let mut ctx = Ctx { server: state, client: &mut *client, out: &mut *out };
                op.timed_out(&mut ctx);
                break true;
            }
            read = stream.read_buf(inbuf) => match read {
                Ok(0) => break false,
                Err(e) => {
                    tracing::info!(peer = %client.handle.addr, error = %e, "read failed, closing connection");
                    break false;
                }
                Ok(n) => {
                    state.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    if inbuf.len() as u64 > qbuf_limit {
                        tracing::warn!(peer = %client.handle.addr, "closing blocked client that reached max query buffer length");
                        break false;
                    }
                    if inbuf.capacity() - inbuf.len() < READ_CHUNK / 2 {
                        inbuf.reserve(READ_CHUNK);
                    }
                }
            },
        }
    };
    state.clients.set_blocked(&client.handle, false);
    keep
}

/// Runs one request and writes its reply (or error) into `out`.
fn execute(state: &SharedState, client: &mut Client, out: &mut Reply, argv: Vec<Bytes>) -> Flow {
    let mark = out.len();
    let skip_this = std::mem::take(&mut client.skip_next);
    let flow = run(state, client, out, &argv);
    if skip_this || client.skip_next || client.reply_mode == ReplyMode::Off {
        out.truncate(mark);
    }
    client
        .handle
        .resp
        .store(out.protocol().version() as u8, Ordering::Relaxed);
    flow
}

fn run(state: &SharedState, client: &mut Client, out: &mut Reply, argv: &[Bytes]) -> Flow {
    let stats = &state.stats;
    let (spec, handler) = match commands::resolve(argv) {
        Ok(found) => found,
        Err(e) => {
            // Arity errors count against the command that was named.
            if let CommandError::WrongArity(name) = &e {
                if let Some(s) = stats.command(name) {
                    s.rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
            reply_error(state, out, &e);
            return Flow::Continue;
        }
    };
    // The command's number: its counters and its histogram, without a name lookup.
    let index = stats.index().of(spec);
    let stat = index.and_then(|i| stats.command_at(i));
    if !client.authenticated && spec.flags & flags::NO_AUTH == 0 {
        if let Some(s) = stat {
            s.rejected.fetch_add(1, Ordering::Relaxed);
        }
        reply_error(state, out, &CommandError::NoAuth);
        return Flow::Continue;
    }
    if let Err(e) = state.check_oom(spec) {
        if let Some(s) = stat {
            s.rejected.fetch_add(1, Ordering::Relaxed);
        }
        reply_error(state, out, &e);
        return Flow::Continue;
    }
    client.handle.touch(spec.name);
    let started = Instant::now();
    let result = {
        let mut ctx = Ctx {
            server: state,
            client,
            out,
        };
        handler(&mut ctx, argv)
    };
    let elapsed = started.elapsed();
    stats.commands_processed.fetch_add(1, Ordering::Relaxed);
    if let Some(s) = stat {
        s.calls.fetch_add(1, Ordering::Relaxed);
        s.usec
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
    if let (Some(metrics), Some(i)) = (&state.metrics, index) {
        metrics.observe(i, elapsed);
    }
    match result {
        Ok(flow) => flow,
        Err(e) => {
            if let Some(s) = stat {
                s.failed.fetch_add(1, Ordering::Relaxed);
            }
            reply_error(state, out, &e);
            Flow::Continue
        }
    }
}

fn reply_error(state: &SharedState, out: &mut Reply, e: &CommandError) {
    state.stats.record_error(&e.code());
    out.error(&e.to_string());
}
