//! The consumer-group parts of XINFO: GROUPS, CONSUMERS, and the `groups` section
//! of `XINFO STREAM key FULL`, with Redis 7.0.15's fields in its order.

use super::groups::no_group_for_key;
use super::streams::lookup;
use super::{CommandError, Ctx, Flow};
use crate::protocol::Reply;
use crate::store::groups::lag::lag;
use crate::store::groups::Group;
use crate::store::now_ms;
use crate::store::stream::Stream;
use crate::store::CellState;

type Res = Result<Flow, CommandError>;

/// An `entries-read` or `lag` value: an integer, or null when unknown.
fn int_or_null(out: &mut Reply, v: Option<i64>) {
    match v {
        Some(n) => out.integer(n),
        None => out.null(),
    }
}

/// `last-delivered-id`, `entries-read` and `lag` of one group.
fn write_position(out: &mut Reply, stream: &Stream, g: &Group) {
    out.bulk(b"last-delivered-id");
    g.last_id.write_bulk(out.buffer_mut());
    out.bulk(b"entries-read");
    int_or_null(out, g.entries_read);
    out.bulk(b"lag");
    int_or_null(out, lag(stream, g.last_id, g.entries_read));
}

/// XINFO GROUPS key
pub fn xinfo_groups(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let cell = lookup(ctx, argv[2]).ok_or(CommandError::NoSuchKey)?;
    let state = cell.lock();
    ctx.out.array(state.groups.len());
    for (name, g) in state.groups.iter() {
        ctx.out.map(6);
        ctx.out.bulk(b"name");
        ctx.out.bulk(name);
        ctx.out.bulk(b"consumers");
        ctx.out.integer(g.consumer_count() as i64);
        ctx.out.bulk(b"pending");
        ctx.out.integer(g.pending_len() as i64);
        write_position(ctx.out, &state.stream, g);
    }
    Ok(Flow::Continue)
}

/// XINFO CONSUMERS key group
pub fn xinfo_consumers(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let (key, group) = (&argv[2], &argv[3]);
    let cell = lookup(ctx, key).ok_or(CommandError::NoSuchKey)?;
    let state = cell.lock();
    let g = state
        .groups
        .get(group)
        .ok_or_else(|| no_group_for_key(key, group))?;
    let now = now_ms();
    ctx.out.array(g.consumer_count());
    for (name, c) in g.consumers() {
        ctx.out.map(3);
        ctx.out.bulk(b"name");
        ctx.out.bulk(name);
        ctx.out.bulk(b"pending");
        ctx.out.integer(c.pel.len() as i64);
        ctx.out.bulk(b"idle");
        ctx.out
            .integer((now as i64).wrapping_sub(c.seen_time as i64).max(0));
    }
    Ok(Flow::Continue)
}

/// The `groups` value of XINFO STREAM FULL: per group its position, its PEL and
/// its consumers with theirs, each PEL listing at most `count` entries (`None`:
/// all).
pub fn write_groups_full(out: &mut Reply, state: &CellState, count: Option<usize>) {
    let limit = count.unwrap_or(usize::MAX);
    out.array(state.groups.len());
    for (name, g) in state.groups.iter() {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        write_position(out, &state.stream, g);
        out.bulk(b"pel-count");
        out.integer(g.pending_len() as i64);
        out.bulk(b"pending");
        let shown = g.pending_len().min(limit);
        out.array(shown);
        for (id, nack) in g.pending().take(shown) {
            out.array(4);
            id.write_bulk(out.buffer_mut());
            out.bulk(&nack.consumer);
            out.integer(nack.delivery_time as i64);
            out.integer(nack.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumer_count());
        for (cname, c) in g.consumers() {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.integer(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.integer(c.pel.len() as i64);
            out.bulk(b"pending");
            let shown = c.pel.len().min(limit);
            out.array(shown);
            for id in c.pel.iter().take(shown) {
                let nack = g.nack(*id);
                out.array(3);
                id.write_bulk(out.buffer_mut());
                out.integer(nack.map_or(0, |n| n.delivery_time as i64));
                out.integer(nack.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
}
