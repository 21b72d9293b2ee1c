//! Consumer-group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
//!
//! Argument parsing, error texts and their order follow Redis 7.0.15's
//! `t_stream.c`; the group logic itself lives in the store (`store::groups`).
//! XREADGROUP is in `xreadgroup.rs`, XINFO GROUPS/CONSUMERS in `xinfo_groups.rs`.

use bytes::BytesMut;

use super::connection::reply_help;
use super::streams::lookup;
use super::{parse_i64, CommandError, Ctx, ErrText, Flow};
use crate::store::groups::{AutoClaim, ClaimOptions, Group, PendingQuery};
use crate::store::now_ms;
use crate::store::stream::StreamId;

type Res = Result<Flow, CommandError>;

/// A client-supplied name inside an error message, as Redis's `%s` prints it.
pub(crate) fn shown(name: &[u8]) -> ErrText {
    ErrText::quote(name, usize::MAX)
}

/// `NOGROUP No such key '<key>' or consumer group '<group>'` (+ a suffix).
pub(crate) fn no_key_or_group(key: &[u8], group: &[u8], suffix: &str) -> CommandError {
    CommandError::Coded(ErrText::fill(
        &format!("NOGROUP No such key '{{}}' or consumer group '{{}}'{suffix}"),
        &[shown(key), shown(group)],
    ))
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'`.
pub(crate) fn no_group_for_key(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::Coded(ErrText::fill(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        &[shown(group), shown(key)],
    ))
}

/// Redis's `addReplySubcommandSyntaxError`.
pub(crate) fn subcommand_syntax_error(argv: &[&[u8]]) -> CommandError {
    let mut command = shown(argv[0]).as_bytes().to_vec();
    command.make_ascii_uppercase();
    CommandError::err(ErrText::fill(
        "unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        &[ErrText::quote(argv[1], 128), command.into()],
    ))
}

/// `getLongLongFromObjectOrReply` with a custom message.
fn int_or(arg: &[u8], msg: &str) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or_else(|| CommandError::err(msg))
}

const XGROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

/// XGROUP CREATE | SETID | DESTROY | CREATECONSUMER | DELCONSUMER | HELP
pub fn xgroup(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let sub = argv[1].to_ascii_lowercase();
    if argv.len() == 2 && sub == b"help" {
        reply_help(ctx.out, "XGROUP", XGROUP_HELP);
        return Ok(Flow::Continue);
    }
    if argv.len() < 4 {
        return Err(subcommand_syntax_error(argv));
    }
    let (create, setid) = (sub == b"create", sub == b"setid");
    let mut mkstream = false;
    let mut entries_read: Option<i64> = None;
    let mut i = 5;
    while i < argv.len() {
        if create && argv[i].eq_ignore_ascii_case(b"mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid)
            && argv[i].eq_ignore_ascii_case(b"entriesread")
            && i + 1 < argv.len()
        {
            let n = parse_i64(argv[i + 1]).ok_or(CommandError::NotInteger)?;
            if n < 0 && n != -1 {
                return Err(CommandError::err(
                    "value for ENTRIESREAD must be positive or -1",
                ));
            }
            entries_read = (n >= 0).then_some(n);
            i += 2;
        } else {
            return Err(subcommand_syntax_error(argv));
        }
    }
    let (key, group) = (&argv[2], &argv[3]);
    let mut cell = lookup(ctx, key);
    if !mkstream {
        let Some(c) = &cell else {
            return Err(CommandError::err(
                "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        };
        let needs_group = matches!(
            sub.as_slice(),
            b"setid" | b"createconsumer" | b"delconsumer"
        );
        if needs_group && c.lock().groups.get(group).is_none() {
            return Err(no_group_for_key(key, group));
        }
    }
    let now = now_ms();
    match sub.as_slice() {
        b"create" if (5..=8).contains(&argv.len()) => {
            let id = if argv[4] == b"$" {
                cell.as_ref().map(|c| c.lock().stream.last_id())
            } else {
                Some(StreamId::parse_strict(argv[4], 0)?)
            };
            if cell.is_none() {
                cell = Some(ctx.server.store.stream_or_create(ctx.client.db, key, now));
            }
            let Some(cell) = cell else {
                return Err(CommandError::NoSuchKey);
            };
            let mut state = cell.lock();
            // `$` on a stream that did not exist is 0-0, its last ID once created.
            let id = id.unwrap_or_else(|| state.stream.last_id());
            if !state.groups.create(group, Group::new(id, entries_read)) {
                return Err(CommandError::Coded(
                    "BUSYGROUP Consumer Group name already exists".into(),
                ));
            }
            ctx.out.ok();
        }
        b"setid" if argv.len() == 5 || argv.len() == 7 => {
            let Some(cell) = cell else {
                return Err(CommandError::NoSuchKey);
            };
            let mut state = cell.lock();
            let id = if argv[4] == b"$" {
                state.stream.last_id()
            } else {
                StreamId::parse(argv[4], 0)?
            };
            let g = state
                .groups
                .get_mut(group)
                .ok_or_else(|| no_group_for_key(key, group))?;
            g.last_id = id;
            g.entries_read = entries_read;
            ctx.out.ok();
        }
        b"destroy" if argv.len() == 4 => {
            let Some(cell) = cell else {
                return Err(CommandError::NoSuchKey);
            };
            let wake = {
                let mut state = cell.lock();
                state.groups.destroy(group).then(|| state.take_waiters())
            };
            // Readers blocked in XREADGROUP on this group answer -NOGROUP.
            ctx.out.integer(i64::from(wake.is_some()));
            if let Some(wake) = wake {
                wake.ring();
            }
        }
        b"createconsumer" | b"delconsumer" if argv.len() == 5 => {
            let Some(cell) = cell else {
                return Err(CommandError::NoSuchKey);
            };
            let mut state = cell.lock();
            let g = state
                .groups
                .get_mut(group)
                .ok_or_else(|| no_group_for_key(key, group))?;
            let n = if sub == b"createconsumer" {
                i64::from(g.create_consumer(argv[4], now))
            } else {
                // DELCONSUMER answers how many entries the consumer had pending.
                g.delete_consumer(argv[4]) as i64
            };
            ctx.out.integer(n);
        }
        _ => return Err(subcommand_syntax_error(argv)),
    }
    Ok(Flow::Continue)
}

/// Parses IDs with `streamParseStrictIDOrReply` (all or nothing).
fn parse_ids(args: &[&[u8]]) -> Result<Vec<StreamId>, CommandError> {
    args.iter()
        .map(|a| StreamId::parse_strict(a, 0).map_err(CommandError::from))
        .collect()
}

/// XACK key group id [id ...]
pub fn xack(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let Some(cell) = lookup(ctx, argv[1]) else {
        ctx.out.integer(0);
        return Ok(Flow::Continue);
    };
    if cell.lock().groups.get(argv[2]).is_none() {
        ctx.out.integer(0);
        return Ok(Flow::Continue);
    }
    // Every ID is checked before any is acknowledged.
    let ids = parse_ids(&argv[3..])?;
    let mut state = cell.lock();
    let acked = state.groups.get_mut(argv[2]).map_or(0, |g| g.ack(&ids));
    ctx.out.integer(acked as i64);
    Ok(Flow::Continue)
}

/// An interval bound of XPENDING / XAUTOCLAIM: `(` makes it exclusive.
fn interval_start(arg: &[u8]) -> Result<StreamId, CommandError> {
    Ok(StreamId::parse_range_start(arg)?)
}

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
pub fn xpending(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CommandError::Syntax);
    }
    let mut query = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if argv[3].eq_ignore_ascii_case(b"idle") {
            min_idle = parse_i64(argv[4]).ok_or(CommandError::NotInteger)?;
            if argc < 8 {
                return Err(CommandError::Syntax);
            }
            at += 2;
        }
        let count = parse_i64(argv[at + 2]).ok_or(CommandError::NotInteger)?;
        let start = interval_start(argv[at])?;
        let end = StreamId::parse_range_end(argv[at + 1])?;
        query = Some(PendingQuery {
            start,
            end,
            count: usize::try_from(count.max(0)).unwrap_or(usize::MAX),
            min_idle: u64::try_from(min_idle).unwrap_or(0),
            consumer: argv.get(at + 3).copied(),
        });
    }
    let (key, group) = (&argv[1], &argv[2]);
    let cell = lookup(ctx, key).ok_or_else(|| no_key_or_group(key, group, ""))?;
    let state = cell.lock();
    let g = state
        .groups
        .get(group)
        .ok_or_else(|| no_key_or_group(key, group, ""))?;
    let Some(query) = query else {
        let summary = g.summary();
        ctx.out.array(4);
        ctx.out.integer(summary.count as i64);
        match summary.bounds {
            None => {
                ctx.out.null();
                ctx.out.null();
                ctx.out.null_array();
            }
            Some((first, last)) => {
                first.write_bulk(ctx.out.buffer_mut());
                last.write_bulk(ctx.out.buffer_mut());
                ctx.out.array(summary.consumers.len());
                for (name, n) in &summary.consumers {
                    ctx.out.array(2);
                    ctx.out.bulk(name);
                    ctx.out.bulk_u64(*n as u64);
                }
            }
        }
        return Ok(Flow::Continue);
    };
    let rows = g.pending_rows(query, now_ms());
    ctx.out.array(rows.len());
    for row in rows {
        ctx.out.array(4);
        row.id.write_bulk(ctx.out.buffer_mut());
        ctx.out.bulk(&row.consumer);
        ctx.out.integer(i64::try_from(row.idle).unwrap_or(i64::MAX));
        ctx.out.integer(row.delivery_count as i64);
    }
    Ok(Flow::Continue)
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms]
/// [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let (key, group) = (&argv[1], &argv[2]);
    let cell = lookup(ctx, key).ok_or_else(|| no_key_or_group(key, group, ""))?;
    if cell.lock().groups.get(group).is_none() {
        return Err(no_key_or_group(key, group, ""));
    }
    let min_idle = int_or(argv[4], "Invalid min-idle-time argument for XCLAIM")?;
    // IDs run until the first argument that isn't one; options follow.
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match StreamId::parse_strict(argv[j], 0) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = now_ms();
    let mut opts = ClaimOptions {
        min_idle: u64::try_from(min_idle).unwrap_or(0),
        delivery_time: now,
        retry_count: None,
        force: false,
        justid: false,
        last_id: StreamId::MIN,
        max_pending: 0,
    };
    let mut delivery: Option<i64> = None;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = &argv[j];
        if opt.eq_ignore_ascii_case(b"force") {
            opts.force = true;
        } else if opt.eq_ignore_ascii_case(b"justid") {
            opts.justid = true;
        } else if opt.eq_ignore_ascii_case(b"idle") && more > 0 {
            j += 1;
            let idle = int_or(argv[j], "Invalid IDLE option argument for XCLAIM")?;
            delivery = Some((now as i64).wrapping_sub(idle));
        } else if opt.eq_ignore_ascii_case(b"time") && more > 0 {
            j += 1;
            delivery = Some(int_or(argv[j], "Invalid TIME option argument for XCLAIM")?);
        } else if opt.eq_ignore_ascii_case(b"retrycount") && more > 0 {
            j += 1;
            let n = int_or(argv[j], "Invalid RETRYCOUNT option argument for XCLAIM")?;
            opts.retry_count = u64::try_from(n).ok();
        } else if opt.eq_ignore_ascii_case(b"lastid") && more > 0 {
            j += 1;
            opts.last_id = StreamId::parse_strict(argv[j], 0)?;
        } else {
            return Err(CommandError::err(ErrText::fill(
                "Unrecognized XCLAIM option '{}'",
                &[shown(opt)],
            )));
        }
        j += 1;
    }
    // A bogus time (negative, or in the future) becomes now, as in Redis.
    opts.delivery_time = match delivery {
        Some(t) if t >= 0 && (t as u64) <= now => t as u64,
        _ => now,
    };
    let mut body = BytesMut::new();
    let claimed = {
        let mut state = cell.lock();
        let state = &mut *state;
        opts.max_pending = state.stream.capacity();
        let Some(g) = state.groups.get_mut(group) else {
            return Err(no_key_or_group(key, group, ""));
        };
        g.claim(&state.stream, argv[3], &ids, opts, now, |id, entry| {
            if opts.justid {
                id.write_bulk(&mut body);
            } else {
                entry.write_resp(&mut body);
            }
        })
    };
    ctx.out.array(claimed);
    ctx.out.raw(&body);
    Ok(Flow::Continue)
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub fn xautoclaim(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let min_idle = int_or(argv[4], "Invalid min-idle-time argument for XAUTOCLAIM")?;
    let start = interval_start(argv[5])?;
    // Redis caps COUNT so that COUNT * 10 attempts and the ID buffer fit a long.
    const MAX_COUNT: i64 = i64::MAX / 16;
    let mut count = 100usize;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if argv[j].eq_ignore_ascii_case(b"count") && more > 0 {
            let n = parse_i64(argv[j + 1])
                .filter(|n| (1..=MAX_COUNT).contains(n))
                .ok_or_else(|| CommandError::err("COUNT must be > 0"))?;
            count = usize::try_from(n).unwrap_or(usize::MAX);
            j += 1;
        } else if argv[j].eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    let (key, group) = (&argv[1], &argv[2]);
    let cell = lookup(ctx, key).ok_or_else(|| no_key_or_group(key, group, ""))?;
    let now = now_ms();
    let mut body = BytesMut::new();
    let mut claimed = 0usize;
    let opts = AutoClaim {
        start,
        count,
        min_idle: u64::try_from(min_idle).unwrap_or(0),
        justid,
    };
    let outcome = {
        let mut state = cell.lock();
        let state = &mut *state;
        let g = state
            .groups
            .get_mut(group)
            .ok_or_else(|| no_key_or_group(key, group, ""))?;
        g.autoclaim(&state.stream, argv[3], opts, now, |id, entry| {
            claimed += 1;
            if justid {
                id.write_bulk(&mut body);
            } else {
                entry.write_resp(&mut body);
            }
        })
    };
    ctx.out.array(3);
    outcome.next.write_bulk(ctx.out.buffer_mut());
    ctx.out.array(claimed);
    ctx.out.raw(&body);
    ctx.out.array(outcome.deleted.len());
    for id in &outcome.deleted {
        id.write_bulk(ctx.out.buffer_mut());
    }
    Ok(Flow::Continue)
}
