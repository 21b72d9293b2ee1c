//! XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
//!
//! `>` hands out entries no consumer of the group has seen; any other ID reads the
//! consumer's own pending history. A reader with nothing to read blocks as XREAD
//! does (its bell registered under each stream's lock), and when woken answers as
//! Redis does: the new entries of one stream, `-NOGROUP` when its group was
//! destroyed, or `-UNBLOCKED` when the stream was deleted (DEL, expiry, session
//! end).

use std::sync::{Arc, Weak};

use bytes::{Bytes, BytesMut};

use super::groups::no_key_or_group;
use super::streams::lookup;
use super::xread::{write_array_len, write_bulk, ReadArgs, BLOCKED_DEFAULT_COUNT};
use super::{Blocked, BlockingOp, CommandError, Ctx, Flow};
use crate::protocol::Protocol;
use crate::store::groups::ReadNew;
use crate::store::stream::{EntryRef, StreamId};
use crate::store::{now_ms, Bell, CellState, StreamCell};

type Res = Result<Flow, CommandError>;

/// What a stream is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadFrom {
    /// `>`: entries never delivered to the group.
    New,
    /// The consumer's pending entries from this ID (inclusive).
    History(StreamId),
}

/// XREADGROUP
pub fn xreadgroup(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let args = ReadArgs::parse(argv, true)?;
    let Some((group, consumer)) = args.group else {
        return Err(CommandError::err("Missing GROUP option for XREADGROUP"));
    };
    let keys = &argv[args.streams_at..args.streams_at + args.streams];
    let ids = &argv[args.streams_at + args.streams..];
    let mut from = Vec::with_capacity(keys.len());
    for (key, id) in keys.iter().zip(ids) {
        let exists = lookup(ctx, key).is_some_and(|c| c.lock().groups.get(group).is_some());
        if !exists {
            return Err(no_key_or_group(
                key,
                group,
                " in XREADGROUP with GROUP option",
            ));
        }
        from.push(match *id {
            b"$" => {
                return Err(CommandError::err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ))
            }
            b">" => ReadFrom::New,
            _ => match StreamId::parse_strict(id, 0)? {
                // Redis marks `>` with the largest ID, so that ID reads new entries too.
                StreamId::MAX => ReadFrom::New,
                // History starts after the given ID.
                id => ReadFrom::History(id.incr().unwrap_or(StreamId::MIN)),
            },
        });
    }
    let mut op = ReadGroup {
        group: Bytes::copy_from_slice(group),
        consumer: Bytes::copy_from_slice(consumer),
        count: args.count,
        noack: args.noack,
        cells: Vec::new(),
    };
    let mut body = BytesMut::new();
    let mut served = 0;
    for (key, &from) in keys.iter().zip(&from) {
        if op.serve_key(ctx, key, from, &mut body, None)? {
            served += 1;
        }
    }
    if served > 0 {
        finish(ctx, served, &body);
        return Ok(Flow::Continue);
    }
    let Some(timeout) = args.block else {
        ctx.out.null_array();
        return Ok(Flow::Continue);
    };
    // Only `>` reads get here (a history read always answers). Register with
    // every stream under its lock, checking once more, before parking.
    let bell = ctx.client.bell();
    op.count = Some(op.count.unwrap_or(BLOCKED_DEFAULT_COUNT));
    for key in keys {
        if op.serve_key(ctx, key, ReadFrom::New, &mut body, Some(&bell))? {
            finish(ctx, 1, &body);
            return Ok(Flow::Continue);
        }
    }
    Ok(Flow::Block(Blocked {
        deadline: timeout.map(|t| tokio::time::Instant::now() + t),
        bell,
        op: Box::new(op),
    }))
}

/// Writes the reply around `served` stream bodies.
fn finish(ctx: &mut Ctx<'_>, served: usize, body: &[u8]) {
    if ctx.out.protocol() == Protocol::Resp2 {
        ctx.out.array(served);
    } else {
        ctx.out.map(served);
    }
    ctx.out.raw(body);
}

/// A parked XREADGROUP.
struct ReadGroup {
    group: Bytes,
    consumer: Bytes,
    count: Option<usize>,
    noack: bool,
    /// Each key waited on, the stream it held when the reader parked, and the
    /// registration's generation: a key that no longer holds that stream was
    /// deleted.
    cells: Vec<(Bytes, Weak<StreamCell>, u64)>,
}

impl ReadGroup {
    /// Serves one stream into `body` (`[key, entries]`) when it has something to
    /// give; returns whether it did. With `bell`, a stream with nothing new gets
    /// the bell registered under its lock (and is remembered as waited on).
    fn serve_key(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &[u8],
        from: ReadFrom,
        body: &mut BytesMut,
        bell: Option<&Arc<Bell>>,
    ) -> Result<bool, CommandError> {
        let Some(cell) = lookup(ctx, key) else {
            // Deleted since the command was checked: nothing to serve here.
            return Ok(false);
        };
        let resp2 = ctx.out.protocol() == Protocol::Resp2;
        let mut state = cell.lock();
        let Some(group) = state.groups.get(&self.group) else {
            return Ok(false);
        };
        let has_new = state
            .stream
            .last_entry()
            .is_some_and(|e| e.id > group.last_id);
        if from == ReadFrom::New && !has_new {
            if let Some(bell) = bell {
                let generation = state.register(bell);
                self.cells.push((
                    Bytes::copy_from_slice(key),
                    Arc::downgrade(&cell),
                    generation,
                ));
            }
            return Ok(false);
        }
        self.write_read(&mut state, key, from, body, resp2);
        Ok(true)
    }

    /// Writes `[key, entries]` for one stream whose group exists, reading from
    /// `from` and updating the group as Redis's `streamReplyWithRange` does.
    fn write_read(
        &self,
        state: &mut CellState,
        key: &[u8],
        from: ReadFrom,
        body: &mut BytesMut,
        resp2: bool,
    ) {
        let now = now_ms();
        let max_pending = state.stream.capacity();
        let CellState { stream, groups, .. } = state;
        let Some(group) = groups.get_mut(&self.group) else {
            return;
        };
        if resp2 {
            body.extend_from_slice(b"*2\r\n");
        }
        write_bulk(body, key);
        let mut entries = BytesMut::new();
        let n = match from {
            ReadFrom::New => {
                let opts = ReadNew {
                    count: self.count,
                    noack: self.noack,
                    max_pending,
                };
                let write = |e: EntryRef<'_>| e.write_resp(&mut entries);
                group.read_new(stream, &self.consumer, opts, now, write).0
            }
            ReadFrom::History(start) => {
                let write = |id: StreamId, e: Option<EntryRef<'_>>| match e {
                    Some(e) => e.write_resp(&mut entries),
                    None => {
                        // Deleted, trimmed or overwritten: the ID with a nil body.
                        entries.extend_from_slice(b"*2\r\n");
                        id.write_bulk(&mut entries);
                        entries.extend_from_slice(if resp2 { b"*-1\r\n" } else { b"_\r\n" });
                    }
                };
                group.read_history(stream, &self.consumer, start, self.count, now, write)
            }
        };
        write_array_len(body, n);
        body.extend_from_slice(&entries);
    }
}

impl BlockingOp for ReadGroup {
    fn attempt(&mut self, ctx: &mut Ctx<'_>, bell: &Arc<Bell>) -> Result<bool, CommandError> {
        let resp2 = ctx.out.protocol() == Protocol::Resp2;
        let mut waiting = Vec::with_capacity(self.cells.len());
        for (key, parked, generation) in &self.cells {
            // Every key held a stream when the reader parked; another stream (or
            // none) there now means it was deleted.
            let cell = lookup(ctx, key)
                .filter(|c| std::ptr::eq(parked.as_ptr(), Arc::as_ptr(c)))
                .ok_or_else(|| {
                    CommandError::Coded("UNBLOCKED the stream key no longer exists".into())
                })?;
            let mut state = cell.lock();
            let Some(group) = state.groups.get(&self.group) else {
                return Err(CommandError::Coded(
                    "NOGROUP the consumer group this client was blocked on no longer exists".into(),
                ));
            };
            // Redis wakes a group reader when the stream's last ID passes the
            // group's, and answers even if those entries were deleted since.
            if state.stream.last_id() > group.last_id {
                let mut body = BytesMut::new();
                self.write_read(&mut state, key, ReadFrom::New, &mut body, resp2);
                drop(state);
                finish(ctx, 1, &body);
                return Ok(true);
            }
            let generation = if state.is_registered(*generation) {
                *generation
            } else {
                state.register(bell)
            };
            waiting.push((key.clone(), Weak::clone(parked), generation));
        }
        self.cells = waiting;
        Ok(false)
    }

    fn timed_out(&mut self, ctx: &mut Ctx<'_>) {
        ctx.out.null_array();
    }
}
