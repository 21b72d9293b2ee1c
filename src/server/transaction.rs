//! MULTI/EXEC state: the queued commands, and the keys a client WATCHes.
//!
//! Commands sent after MULTI are checked as Redis checks them (unknown command,
//! arity, authentication, commands refused in a transaction) and queued; an error
//! there makes EXEC answer `EXECABORT`. EXEC takes the store's gate exclusively
//! (see [`crate::store::gate`]), so no other client's command runs until its queue
//! is done, and holds back wake-ups until then, so a blocked reader is served once
//! with everything the transaction appended. A command that would block inside
//! EXEC gives its timeout reply at once, as Redis does.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::dispatch::call;
use super::{Client, ServerState};
use crate::commands::{flags, CommandError, CommandSpec, Ctx, Flow, Handler};
use crate::protocol::{Argv, Reply};
use crate::store::{defer_wakeups, Store, WatchFlag};

/// A command waiting for EXEC.
#[derive(Debug)]
struct Queued {
    spec: &'static CommandSpec,
    handler: Handler,
    /// The arguments, copied: the request they came in is released once queued.
    argv: Vec<Box<[u8]>>,
}

/// A client between MULTI and EXEC/DISCARD.
#[derive(Debug, Default)]
pub struct MultiState {
    queue: Vec<Queued>,
    /// A command was refused while queueing (Redis's `CLIENT_DIRTY_EXEC`).
    aborted: bool,
    /// Bytes of the queued arguments (CLIENT LIST `multi-mem`).
    bytes: usize,
    /// A queued command may grow memory (`denyoom`): EXEC is refused over maxmemory.
    denyoom: bool,
}

impl MultiState {
    /// Queues a command that passed the checks.
    pub fn queue(&mut self, spec: &'static CommandSpec, handler: Handler, argv: &[&[u8]]) {
        self.bytes += argv.iter().map(|a| a.len() + 16).sum::<usize>();
        self.denyoom |= spec.flags & flags::DENYOOM != 0;
        self.queue.push(Queued {
            spec,
            handler,
            argv: argv.iter().map(|&a| Box::from(a)).collect(),
        });
    }

    /// Marks the transaction as failed: EXEC will answer EXECABORT.
    pub fn abort(&mut self) {
        self.aborted = true;
    }

    /// Number of queued commands (CLIENT LIST `multi`).
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// True when a queued command may grow memory (Redis's `denyoom` flag).
    pub fn may_grow_memory(&self) -> bool {
        self.denyoom
    }

    /// Memory held by the queue (CLIENT LIST `multi-mem`).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The keys a client watches, with the flag their modifications set. Dropping it
/// (UNWATCH, EXEC, DISCARD, RESET, disconnect) removes every registration.
#[derive(Debug)]
pub struct WatchSet {
    store: Arc<Store>,
    flag: Arc<WatchFlag>,
    keys: Vec<(usize, Bytes)>,
}

impl WatchSet {
    /// An empty set; the flag is fresh, so touches of earlier watches do not count.
    pub fn new(store: Arc<Store>) -> Self {
        WatchSet {
            store,
            flag: WatchFlag::new(),
            keys: Vec::new(),
        }
    }

    /// WATCH `key` in database `db`. The key is copied: the set outlives the request.
    pub fn watch(&mut self, db: usize, key: &[u8]) {
        let key = Bytes::copy_from_slice(key);
        if self.store.db(db).watch(&key, &self.flag) {
            self.keys.push((db, key));
        }
    }

    /// True when a watched key was modified since it was watched.
    pub fn is_dirty(&self) -> bool {
        self.flag.is_dirty()
    }
}

impl Drop for WatchSet {
    fn drop(&mut self) {
        for (db, key) in &self.keys {
            self.store.db(*db).unwatch(key, &self.flag);
        }
    }
}

impl Client {
    /// Leaves MULTI, keeping CLIENT LIST in step.
    pub fn end_multi(&mut self) -> Option<MultiState> {
        self.handle.multi.store(-1, Ordering::Relaxed);
        self.handle.multi_mem.store(0, Ordering::Relaxed);
        self.multi.take()
    }

    /// Enters MULTI.
    pub fn begin_multi(&mut self) {
        self.multi = Some(MultiState::default());
        self.handle.multi.store(0, Ordering::Relaxed);
    }

    /// Queues a command after MULTI and keeps CLIENT LIST in step.
    pub fn queue_command(&mut self, spec: &'static CommandSpec, handler: Handler, argv: &[&[u8]]) {
        if let Some(multi) = &mut self.multi {
            multi.queue(spec, handler, argv);
            self.handle
                .multi
                .store(multi.len() as i64, Ordering::Relaxed);
            self.handle
                .multi_mem
                .store(multi.bytes(), Ordering::Relaxed);
        }
    }

    /// Flags the open transaction, if any, as failed (a command was refused).
    pub fn abort_multi(&mut self) {
        if let Some(multi) = &mut self.multi {
            multi.abort();
        }
    }
}

/// EXEC: runs the queue atomically, or answers EXECABORT / null as Redis does.
pub fn exec(ctx: &mut Ctx<'_>) -> Result<Flow, CommandError> {
    let Some(multi) = ctx.client.end_multi() else {
        return Err(CommandError::err("EXEC without MULTI"));
    };
    if multi.aborted {
        ctx.client.watch = None;
        return Err(CommandError::Coded(
            "EXECABORT Transaction discarded because of previous errors.".into(),
        ));
    }
    let state: &ServerState = ctx.server;
    // Declared first so it drops last: bells ring after the gate is released.
    let _deferred = defer_wakeups();
    let _gate = state.store.gate.exclusive();
    // Checked under the gate: nothing can touch the keys between this and the queue.
    let dirty = ctx.client.watch.take().is_some_and(|w| w.is_dirty());
    if dirty {
        ctx.out.null_array();
        return Ok(Flow::Continue);
    }
    Ok(run_queue(state, ctx.client, ctx.out, multi.queue))
}

/// Runs each queued command with its own statistics and error reply.
fn run_queue(
    state: &ServerState,
    client: &mut Client,
    out: &mut Reply,
    queue: Vec<Queued>,
) -> Flow {
    out.array(queue.len());
    let mut close = false;
    for q in queue {
        let argv: Argv<'_> = q.argv.iter().map(|a| &a[..]).collect();
        match call(state, client, out, q.spec, q.handler, &argv) {
            Flow::Continue => {}
            Flow::Close => close = true,
            Flow::Block(mut blocked) => {
                // As Redis with a client that may not block: the timeout reply, now.
                let mut ctx = Ctx {
                    server: state,
                    client: &mut *client,
                    out: &mut *out,
                };
                blocked.op.timed_out(&mut ctx);
            }
        }
    }
    if close {
        Flow::Close
    } else {
        Flow::Continue
    }
}
