//! XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...]
//!
//! A reader that finds nothing registers the client's bell with each stream (or,
//! for a key that does not exist yet, with the keyspace) and parks; one append rings
//! every reader of that stream.

use std::any::Any;
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::BytesMut;
use smallvec::SmallVec;

use super::streams::{lookup, write_entries};
use super::{parse_i64, Blocked, BlockingOp, CommandError, Ctx, Flow};
use crate::protocol::Protocol;
use crate::store::stream::{Stream, StreamId};
use crate::store::{Bell, StreamCell, SystemClock, Value};

type Res = Result<Flow, CommandError>;

/// Parses a BLOCK timeout in milliseconds as Redis's `getTimeoutFromObjectOrReply`.
pub(crate) fn parse_block_timeout(arg: &[u8]) -> Result<Option<Duration>, CommandError> {
    let ms = parse_i64(arg)
        .ok_or_else(|| CommandError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

/// A key a blocked reader keeps: copied, and inline when short, so the reader
/// does not pin the read buffer its request arrived in (`server::buffers`).
type HeldKey = SmallVec<[u8; 24]>;

/// A parsed XREAD: each stream with the ID it reads after. Kept, emptied, by the
/// client between blocking reads ([`BlockingOp::into_spare`]). Room for one key
/// inline, the usual tailing read: a parked reader holds this for as long as it
/// waits, so every inline slot it does not use is memory per reader.
#[derive(Debug, Default)]
struct XRead {
    keys: SmallVec<[HeldKey; 1]>,
    after: SmallVec<[StreamId; 1]>,
    count: Option<usize>,
    /// See [`Registered`].
    registered: SmallVec<[Registration; 1]>,
}

/// The ID `$` and `+` stand for, resolved once when the command arrives.
fn resolve_special(stream: Option<&Stream>, arg: &[u8]) -> Result<StreamId, CommandError> {
    match arg {
        b"$" => Ok(stream.map_or(StreamId::MIN, |s| s.last_id())),
        // `+` (Redis 7.4): the last entry itself, so read after the one before it.
        b"+" => Ok(stream
            .and_then(|s| s.last_entry())
            .and_then(|e| e.id.decr())
            .unwrap_or(StreamId::MIN)),
        b">" => Err(CommandError::err(
            "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        )),
        _ => Ok(StreamId::parse_strict(arg, 0)?),
    }
}

/// Entries a reader woken from BLOCK gets at most when it gave no COUNT, so a low
/// ID can't make one wake-up serve a huge reply (Redis's `XREAD_BLOCKED_DEFAULT_COUNT`).
pub(crate) const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// XREAD's and XREADGROUP's options, parsed as Redis's `xreadCommand` does, with
/// the same errors in the same order.
#[derive(Debug)]
pub(crate) struct ReadArgs<'a> {
    /// COUNT (`None`: absent or 0, no limit).
    pub count: Option<usize>,
    /// BLOCK: `Some(None)` waits forever.
    pub block: Option<Option<Duration>>,
    /// NOACK (XREADGROUP only).
    pub noack: bool,
    /// GROUP group consumer (XREADGROUP only).
    pub group: Option<(&'a [u8], &'a [u8])>,
    /// Index in argv of the first key after STREAMS.
    pub streams_at: usize,
    /// Number of keys (as many IDs follow them).
    pub streams: usize,
}

impl<'a> ReadArgs<'a> {
    /// Parses `argv` of XREAD (`group == false`) or XREADGROUP.
    pub(crate) fn parse(argv: &'a [&'a [u8]], xreadgroup: bool) -> Result<Self, CommandError> {
        let mut args = ReadArgs {
            count: None,
            block: None,
            noack: false,
            group: None,
            streams_at: 0,
            streams: 0,
        };
        let mut i = 1;
        while i < argv.len() {
            let more = argv.len() - i - 1;
            let opt = &argv[i];
            if opt.eq_ignore_ascii_case(b"block") && more > 0 {
                args.block = Some(parse_block_timeout(argv[i + 1])?);
                i += 2;
            } else if opt.eq_ignore_ascii_case(b"count") && more > 0 {
                let n = parse_i64(argv[i + 1]).ok_or(CommandError::NotInteger)?;
                // COUNT 0 (or negative) means no limit, as in Redis.
                args.count = usize::try_from(n).ok().filter(|&c| c > 0);
                i += 2;
            } else if opt.eq_ignore_ascii_case(b"streams") && more > 0 {
                let rest = argv.len() - (i + 1);
                if rest % 2 != 0 {
                    return Err(CommandError::err(
                        "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                    ));
                }
                args.streams_at = i + 1;
                args.streams = rest / 2;
                break;
            } else if opt.eq_ignore_ascii_case(b"group") && more >= 2 {
                if !xreadgroup {
                    return Err(CommandError::err(
                        "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                    ));
                }
                args.group = Some((argv[i + 1], argv[i + 2]));
                i += 3;
            } else if opt.eq_ignore_ascii_case(b"noack") {
                if !xreadgroup {
                    return Err(CommandError::err(
                        "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                    ));
                }
                args.noack = true;
                i += 1;
            } else {
                return Err(CommandError::Syntax);
            }
        }
        if args.streams_at == 0 {
            return Err(CommandError::Syntax);
        }
        if xreadgroup && args.group.is_none() {
            return Err(CommandError::err("Missing GROUP option for XREADGROUP"));
        }
        Ok(args)
    }
}

/// XREAD
pub fn xread(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let ReadArgs {
        count,
        block,
        streams_at,
        streams: n,
        ..
    } = ReadArgs::parse(argv, false)?;
    let rest = &argv[streams_at..];
    let (keys, ids) = rest.split_at(n);
    let mut after: SmallVec<[StreamId; 1]> = SmallVec::with_capacity(n);
    for (key, id) in keys.iter().zip(ids) {
        after.push(match *id {
            // Only `$` and `+` need the stream; an explicit ID is parsed alone.
            b"$" | b"+" => {
                let cell = lookup(ctx, key);
                let guard = cell.as_ref().map(|c| c.lock());
                resolve_special(guard.as_ref().map(|g| &g.stream), id)?
            }
            _ => resolve_special(None, id)?,
        });
    }
    match block {
        None => {
            if !serve(ctx, keys, &after, count, None, false) {
                ctx.out.null_array();
            }
            Ok(Flow::Continue)
        }
        Some(timeout) => {
            let mut op = ctx.client.spare_op::<XRead>().unwrap_or_default();
            op.keys.extend(keys.iter().map(|k| HeldKey::from_slice(k)));
            op.after = after;
            op.count = count;
            op.registered.resize(n, None);
            // One look that serves or registers: each stream found empty gets the
            // bell under its lock, so an append from then on rings it. The bell
            // lives as long as this operation, so registrations it leaves behind
            // (on streams found empty when another had entries) die with it.
            let bell = ctx.client.bell();
            if op.serve(ctx, &bell, false) {
                ctx.client.keep_op(op.into_spare());
                ctx.client.return_bell(bell);
                return Ok(Flow::Continue);
            }
            op.count = Some(op.count.unwrap_or(BLOCKED_DEFAULT_COUNT));
            Ok(Flow::Block(Blocked {
                deadline: timeout.map(|t| tokio::time::Instant::now() + t),
                bell,
                op,
            }))
        }
    }
}

/// Where a blocked reader's bell is registered for one key: the stream and the
/// registration's generation, so a spurious wake does not register twice.
type Registration = Option<(Weak<StreamCell>, u64)>;

/// Registrations of a blocked reader, one per key.
type Registered = [Registration];

impl XRead {
    /// [`serve`] with the bell registered on every stream found empty.
    fn serve(&mut self, ctx: &mut Ctx<'_>, bell: &Arc<Bell>, one: bool) -> bool {
        let wait = Some((bell, &mut self.registered[..]));
        serve(ctx, &self.keys, &self.after, self.count, wait, one)
    }
}

/// Writes the reply when any stream has entries after its ID, straight into the
/// output buffer. With `wait`, every stream found empty gets the bell registered
/// under its lock. `one` limits the reply to the first stream with entries, as
/// Redis does for a reader it wakes.
fn serve<K: AsRef<[u8]>>(
    ctx: &mut Ctx<'_>,
    keys: &[K],
    after: &[StreamId],
    count: Option<usize>,
    mut wait: Option<(&Arc<Bell>, &mut Registered)>,
    one: bool,
) -> bool {
    let db = ctx.server.store.db(ctx.client.db);
    let resp2 = ctx.out.protocol() == Protocol::Resp2;
    // The reply's header counts the streams served, known only at the end. With
    // one key (the usual case) it can only be 1, so it is written first and
    // dropped if nothing is served; otherwise it is spliced in front at the end.
    let mark = ctx.out.len();
    let single = keys.len() == 1;
    if single {
        if resp2 {
            ctx.out.array(1);
        } else {
            ctx.out.map(1);
        }
    }
    let mut served = 0usize;
    for (i, (key, &after)) in keys.iter().zip(after).enumerate() {
        let key = key.as_ref();
        // The lookup applies expiry and max age; a key that does not exist has
        // the bell registered for its creation (or is found created since).
        let cell = match (lookup(ctx, key), &wait) {
            (Some(cell), _) => cell,
            (None, None) => continue,
            (None, Some((bell, _))) => match db.value_or_wait(key, bell, SystemClock) {
                Some(Value::Stream(cell)) => cell,
                None => continue,
            },
        };
        let mut state = cell.lock();
        let has_new = state.stream.last_entry().is_some_and(|e| e.id > after);
        if has_new && !(one && served > 0) {
            let Some(start) = after.incr() else { continue };
            let buf = ctx.out.buffer_mut();
            if resp2 {
                buf.extend_from_slice(b"*2\r\n");
            }
            write_bulk(buf, key);
            // Readers woken by one append at the same ID share one encoding.
            let state = &mut *state;
            if let Some(bytes) = state.reply_cache.get(&state.stream, after, count) {
                buf.extend_from_slice(bytes);
            } else {
                let at = buf.len();
                let range = state.stream.range(start, StreamId::MAX, count, false);
                let entries = write_entries(buf, range);
                state
                    .reply_cache
                    .put(&state.stream, after, count, entries, &buf[at..]);
            }
            served += 1;
        } else if !has_new {
            if let Some((bell, registered)) = wait.as_mut() {
                let still = registered[i].as_ref().is_some_and(|(w, generation)| {
                    std::ptr::eq(w.as_ptr(), Arc::as_ptr(&cell)) && state.is_registered(*generation)
                });
                if !still {
                    let generation = state.register(bell);
                    registered[i] = Some((Arc::downgrade(&cell), generation));
                }
            }
        }
    }
    if served == 0 {
        ctx.out.truncate(mark);
        return false;
    }
    if !single {
        // RESP2: an array of [key, entries] pairs; RESP3: a map.
        let mut num = itoa::Buffer::new();
        let digits = num.format(served).as_bytes();
        let mut header = SmallVec::<[u8; 24]>::new();
        header.push(if resp2 { b'*' } else { b'%' });
        header.extend_from_slice(digits);
        header.extend_from_slice(b"\r\n");
        splice_front(ctx.out.buffer_mut(), mark, &header);
    }
    true
}

/// Inserts `header` at `at`, before the bytes written since.
fn splice_front(buf: &mut BytesMut, at: usize, header: &[u8]) {
    let end = buf.len();
    buf.extend_from_slice(header);
    buf.copy_within(at..end, at + header.len());
    buf[at..at + header.len()].copy_from_slice(header);
}

/// The most keys a kept [`XRead`] has room for; see [`BlockingOp::into_spare`].
const SPARE_MAX_KEYS: usize = 16;

impl BlockingOp for XRead {
    fn attempt(&mut self, ctx: &mut Ctx<'_>, bell: &Arc<Bell>) -> Result<bool, CommandError> {
        Ok(self.serve(ctx, bell, true))
    }

    fn timed_out(&mut self, ctx: &mut Ctx<'_>) {
        ctx.out.null_array();
    }

    fn into_spare(mut self: Box<Self>) -> Option<Box<dyn Any + Send + Sync>> {
        // A read over many keys is not kept: its vectors would hold their memory
        // for as long as the connection lives.
        if self.keys.capacity() > SPARE_MAX_KEYS {
            return None;
        }
        // Emptied now: a registration left in it would keep its stream's memory.
        self.keys.clear();
        self.after.clear();
        self.registered.clear();
        Some(self)
    }
}

pub(crate) fn write_bulk(buf: &mut BytesMut, data: &[u8]) {
    write_header(buf, b'$', data.len());
    buf.extend_from_slice(data);
    buf.extend_from_slice(b"\r\n");
}

pub(crate) fn write_array_len(buf: &mut BytesMut, n: usize) {
    write_header(buf, b'*', n);
}

fn write_header(buf: &mut BytesMut, kind: u8, n: usize) {
    let mut num = itoa::Buffer::new();
    buf.extend_from_slice(&[kind]);
    buf.extend_from_slice(num.format(n).as_bytes());
    buf.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stream::Stream;

    #[test]
    fn a_spare_read_keeps_no_key_and_no_stream() {
        let cell = StreamCell::new(Stream::new(10), 0);
        let mut op = Box::<XRead>::default();
        op.keys.push(HeldKey::from_slice(b"s:conversation"));
        op.after.push(StreamId::MIN);
        op.registered.push(Some((Arc::downgrade(&cell), 0)));
        assert_eq!(Arc::weak_count(&cell), 1);
        let spare = op.into_spare().expect("an XREAD is kept for the next one");
        assert_eq!(
            Arc::weak_count(&cell),
            0,
            "a kept registration would hold the stream's memory after it is deleted"
        );
        let spare = spare.downcast::<XRead>().expect("the same type comes back");
        assert!(spare.keys.is_empty() && spare.after.is_empty() && spare.registered.is_empty());
    }

    #[test]
    fn a_parked_read_stays_small() {
        // Boxed and held by every blocked reader; 152 bytes with four IDs inline.
        let size = std::mem::size_of::<XRead>();
        assert!(size <= 104, "XRead grew to {size} bytes");
    }

    #[test]
    fn a_read_over_many_keys_is_not_kept() {
        let mut op = Box::<XRead>::default();
        for i in 0..=SPARE_MAX_KEYS {
            op.keys
                .push(HeldKey::from_slice(format!("s{i}").as_bytes()));
            op.after.push(StreamId::MIN);
            op.registered.push(None);
        }
        assert!(
            op.into_spare().is_none(),
            "its vectors would stay allocated"
        );
        let mut op = Box::<XRead>::default();
        op.keys.push(HeldKey::from_slice(b"s"));
        assert!(op.into_spare().is_some());
    }
}
