//! Stream introspection and metadata: XINFO (STREAM, HELP; GROUPS and CONSUMERS
//! are in `xinfo_groups.rs`) and XSETID.
//!
//! `XINFO STREAM` reports the same fields as Redis 7.0.15, in the same order, for
//! RESP2 (flat array) and RESP3 (map). `radix-tree-nodes`, the node count of the
//! radix tree Redis keys its listpacks by, is computed from the ring's node keys
//! (see [`rax_nodes`]), since the ring emulates Redis's nodes exactly.

use super::connection::reply_help;
use super::groups::subcommand_syntax_error;
use super::streams::{lookup, write_range};
use super::xinfo_groups::{write_groups_full, xinfo_consumers, xinfo_groups};
use super::{parse_i64, CommandError, Ctx, ErrText, Flow};
use crate::protocol::Reply;
use crate::store::stream::{StreamError, StreamId};

type Res = Result<Flow, CommandError>;

/// `XINFO HELP`: Redis 7.0.15's lines.
const XINFO_HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

/// Entries `XINFO STREAM key FULL` lists when no COUNT is given.
const FULL_DEFAULT_COUNT: i64 = 10;

/// XINFO STREAM key [FULL [COUNT count]] | GROUPS key | CONSUMERS key group | HELP
pub fn xinfo(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    // The dispatcher checked the subcommand against the table and its arity.
    let sub = argv[1].to_ascii_lowercase();
    match sub.as_slice() {
        b"help" => reply_help(ctx.out, "XINFO", XINFO_HELP),
        b"stream" => return xinfo_stream(ctx, argv),
        b"groups" => return xinfo_groups(ctx, argv),
        b"consumers" => return xinfo_consumers(ctx, argv),
        _ => {
            return Err(CommandError::UnknownSubcommand {
                sub: ErrText::quote(argv[1], 128),
                command: "XINFO".into(),
            })
        }
    }
    Ok(Flow::Continue)
}

/// What `XINFO STREAM` was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamInfo {
    /// The summary with the first and last entries.
    Summary,
    /// FULL: the entries (all of them when `None`) and the groups in detail.
    Full(Option<usize>),
}

/// Parses the options after `XINFO STREAM key`, as Redis's
/// `xinfoReplyWithStreamInfo` does (after the key was found).
fn parse_stream_options(argv: &[&[u8]]) -> Result<StreamInfo, CommandError> {
    let opts = &argv[3..];
    let count = match opts {
        [] => return Ok(StreamInfo::Summary),
        [full] if full.eq_ignore_ascii_case(b"full") => FULL_DEFAULT_COUNT,
        [full, count, n]
            if full.eq_ignore_ascii_case(b"full") && count.eq_ignore_ascii_case(b"count") =>
        {
            parse_i64(n).ok_or(CommandError::NotInteger)?
        }
        _ => return Err(subcommand_syntax_error(argv)),
    };
    // A negative COUNT is 0, and 0 lists every entry.
    Ok(StreamInfo::Full(match usize::try_from(count) {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(n),
    }))
}

/// XINFO STREAM key [FULL [COUNT count]]
fn xinfo_stream(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    // Redis looks the key up before it reads the options.
    let cell = lookup(ctx, argv[2]).ok_or(CommandError::NoSuchKey)?;
    let what = parse_stream_options(argv)?;
    // Taken before the stream's lock, never while holding it.
    let state = cell.lock();
    let stream = &state.stream;
    ctx.out.map(match what {
        StreamInfo::Summary => 10,
        StreamInfo::Full(_) => 9,
    });
    ctx.out.bulk(b"length");
    ctx.out.integer(to_i64(stream.len()));
    ctx.out.bulk(b"radix-tree-keys");
    ctx.out.integer(to_i64(stream.nodes() as u64));
    ctx.out.bulk(b"radix-tree-nodes");
    let keys: Vec<StreamId> = stream.node_keys().collect();
    ctx.out.integer(to_i64(rax_nodes(&keys) as u64));
    ctx.out.bulk(b"last-generated-id");
    stream.last_id().write_bulk(ctx.out.buffer_mut());
    ctx.out.bulk(b"max-deleted-entry-id");
    stream.max_deleted_id().write_bulk(ctx.out.buffer_mut());
    ctx.out.bulk(b"entries-added");
    // Redis keeps it in a `long long`: past i64::MAX (XSETID ENTRIESADDED, then an
    // append) it wraps negative, as this cast does.
    ctx.out.integer(stream.entries_added() as i64);
    ctx.out.bulk(b"recorded-first-entry-id");
    stream.first_id().write_bulk(ctx.out.buffer_mut());
    match what {
        StreamInfo::Summary => {
            ctx.out.bulk(b"groups");
            ctx.out.integer(to_i64(state.groups.len() as u64));
            ctx.out.bulk(b"first-entry");
            write_entry(ctx.out, stream.first_entry());
            ctx.out.bulk(b"last-entry");
            write_entry(ctx.out, stream.last_entry());
        }
        StreamInfo::Full(count) => {
            ctx.out.bulk(b"entries");
            write_range(ctx, stream, StreamId::MIN, StreamId::MAX, count, false);
            ctx.out.bulk(b"groups");
            write_groups_full(ctx.out, &state, count);
        }
    }
    Ok(Flow::Continue)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An entry as `[id, [field, value, ...]]`, or a null bulk string (RESP2) / null
/// (RESP3) when there is none, as Redis's `first-entry` and `last-entry`.
fn write_entry(out: &mut Reply, entry: Option<crate::store::stream::EntryRef<'_>>) {
    match entry {
        Some(entry) => entry.write_resp(out.buffer_mut()),
        None => out.null(),
    }
}

/// Bytes shared at the start of two IDs in Redis's 16-byte big-endian key form
/// (milliseconds then sequence).
fn common_prefix(a: StreamId, b: StreamId) -> i32 {
    if a.ms != b.ms {
        ((a.ms ^ b.ms).leading_zeros() / 8) as i32
    } else if a.seq != b.seq {
        8 + ((a.seq ^ b.seq).leading_zeros() / 8) as i32
    } else {
        16
    }
}

/// The number of nodes of a Redis rax holding `keys` (sorted, distinct stream IDs
/// as 16-byte keys): one node per key, one per branching point, and one
/// compressed node per run of single-child levels above either (the root is a
/// branching point or such a run; an empty rax is the root alone).
///
/// With `lcp[i]` the common prefix of keys `i` and `i+1`, the branching points are
/// the distinct nodes of the Cartesian tree of `lcp`; each node (branching point
/// or key) whose depth is more than one below its parent's hangs under a
/// compressed node. The root is the topmost branching point when that is at
/// depth 0, otherwise a compressed node itself (its parent is at depth -1).
fn rax_nodes(keys: &[StreamId]) -> usize {
    const KEY_LEN: i32 = 16;
    if keys.is_empty() {
        return 1;
    }
    let lcp: Vec<i32> = keys.windows(2).map(|w| common_prefix(w[0], w[1])).collect();
    let at = |i: usize| lcp.get(i).copied().unwrap_or(-1);
    let mut total = keys.len();
    for i in 0..keys.len() {
        let left = if i == 0 { -1 } else { at(i - 1) };
        let parent = left.max(at(i));
        if KEY_LEN - parent > 1 {
            total += 1;
        }
    }
    let mut stack: Vec<i32> = vec![-1];
    for depth in lcp.iter().copied().chain(std::iter::once(-1)) {
        while let Some(&top) = stack.last() {
            if top <= depth {
                break;
            }
            stack.pop();
            let parent = stack.last().copied().unwrap_or(-1).max(depth);
            total += 1;
            if top - parent > 1 {
                total += 1;
            }
        }
        if stack.last().is_some_and(|&top| top < depth) {
            stack.push(depth);
        }
    }
    total
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
///
/// Options are parsed before the key is looked up, and each is checked as it is
/// read, as Redis 7.0 does.
pub fn xsetid(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let id = StreamId::parse_strict(argv[2], 0)?;
    let mut entries_added = None;
    let mut max_deleted = None;
    let mut i = 3;
    while i < argv.len() {
        let has_value = i + 1 < argv.len();
        let opt = &argv[i];
        if opt.eq_ignore_ascii_case(b"entriesadded") && has_value {
            let n = parse_i64(argv[i + 1]).ok_or(CommandError::NotInteger)?;
            if n < 0 {
                return Err(CommandError::err("entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if opt.eq_ignore_ascii_case(b"maxdeletedid") && has_value {
            let m = StreamId::parse_strict(argv[i + 1], 0)?;
            if id < m {
                return Err(StreamError::SetIdMaxDeleted.into());
            }
            max_deleted = Some(m);
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    let cell = lookup(ctx, argv[1]).ok_or(CommandError::NoSuchKey)?;
    // Redis 7.0.15 does not count XSETID as a modification for WATCH.
    cell.lock().stream.set_id(id, entries_added, max_deleted)?;
    ctx.out.ok();
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    /// The rax node count by building the trie level by level (the reference).
    fn reference(keys: &[StreamId]) -> usize {
        fn key(id: StreamId) -> [u8; 16] {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&id.ms.to_be_bytes());
            k[8..].copy_from_slice(&id.seq.to_be_bytes());
            k
        }
        fn walk(keys: &[[u8; 16]], depth: usize, chain_start: bool) -> usize {
            if depth == 16 {
                return 1;
            }
            let mut groups: Vec<&[[u8; 16]]> = Vec::new();
            let mut start = 0;
            for i in 1..=keys.len() {
                if i == keys.len() || keys[i][depth] != keys[start][depth] {
                    groups.push(&keys[start..i]);
                    start = i;
                }
            }
            if groups.len() == 1 {
                usize::from(chain_start) + walk(keys, depth + 1, false)
            } else {
                1 + groups
                    .iter()
                    .map(|g| walk(g, depth + 1, true))
                    .sum::<usize>()
            }
        }
        if keys.is_empty() {
            return 1;
        }
        let keys: Vec<[u8; 16]> = keys.iter().map(|&i| key(i)).collect();
        walk(&keys, 0, true)
    }

    #[test]
    fn rax_nodes_match_redis() {
        // Values read from redis-server 7.0.15's XINFO STREAM.
        assert_eq!(rax_nodes(&[]), 1);
        assert_eq!(rax_nodes(&[id(1, 1)]), 2);
        assert_eq!(rax_nodes(&[id(1, 1), id(1, 2)]), 4);
        assert_eq!(rax_nodes(&[id(1, 1), id(5, 1)]), 6);
        let small: Vec<StreamId> = (1..=300).step_by(10).map(|ms| id(ms, 1)).collect();
        assert_eq!(rax_nodes(&small), 64);
        let one_each: Vec<StreamId> = (1..=300).map(|ms| id(ms, 1)).collect();
        assert_eq!(rax_nodes(&one_each), 604);
    }

    #[test]
    fn rax_nodes_match_the_trie() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let n = (rand() % 40) as usize;
            let mut keys: Vec<StreamId> = (0..n)
                .map(|_| {
                    let ms = match rand() % 3 {
                        0 => rand() % 6,
                        1 => 1_700_000_000_000 + rand() % (1 << 20),
                        _ => rand(),
                    };
                    let seq = match rand() % 3 {
                        0 => 0,
                        1 => rand() % 300,
                        _ => rand(),
                    };
                    id(ms, seq)
                })
                .collect();
            keys.sort();
            keys.dedup();
            assert_eq!(rax_nodes(&keys), reference(&keys), "{keys:?}");
        }
    }

    fn argv(s: &str) -> Vec<&[u8]> {
        s.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn stream_options_follow_redis() {
        let parse = |s: &str| parse_stream_options(&argv(s)).map_err(|e| e.to_string());
        assert_eq!(parse("XINFO STREAM k"), Ok(StreamInfo::Summary));
        assert_eq!(parse("xinfo stream k full"), Ok(StreamInfo::Full(Some(10))));
        assert_eq!(
            parse("xinfo stream k FULL COUNT 3"),
            Ok(StreamInfo::Full(Some(3)))
        );
        assert_eq!(
            parse("xinfo stream k full count 0"),
            Ok(StreamInfo::Full(None))
        );
        assert_eq!(
            parse("xinfo stream k full count -5"),
            Ok(StreamInfo::Full(None))
        );
        assert_eq!(
            parse("xinfo stream k full count x"),
            Err("ERR value is not an integer or out of range".into())
        );
        let syntax =
            "ERR unknown subcommand or wrong number of arguments for 'StReAm'. Try XINFO HELP.";
        for bad in [
            "xinfo StReAm k FOO",
            "xinfo StReAm k full count",
            "xinfo StReAm k full 1 2",
            "xinfo StReAm k foo count 1",
            "xinfo StReAm k full count 1 x",
        ] {
            assert_eq!(parse(bad), Err(syntax.into()), "{bad}");
        }
    }
}
