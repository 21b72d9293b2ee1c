//! Session commands, in the Redis module naming style: SESSION.END, SESSION.INFO,
//! SESSION.LIST.

use super::keys::parse_scan_args;
use super::{CommandError, Ctx, Flow};
use crate::store::now_ms;
use crate::store::stream::StreamId;

type Res = Result<Flow, CommandError>;

/// SESSION.END session: deletes all of its tracks; replies with how many streams
/// were removed.
pub fn end(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let removed = ctx
        .server
        .store
        .end_session(ctx.client.db, argv[1], now_ms());
    ctx.out.integer(removed as i64);
    Ok(Flow::Continue)
}

fn id_or_null(ctx: &mut Ctx<'_>, id: Option<StreamId>) {
    match id {
        Some(id) => id.write_bulk(ctx.out.buffer_mut()),
        None => ctx.out.null(),
    }
}

/// SESSION.INFO session: a map (flat array in RESP2) with the session's idle time
/// and, per track that holds a stream, its figures. Null when it has none.
pub fn info(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let Some(info) = ctx
        .server
        .store
        .session_info(ctx.client.db, argv[1], now_ms())
    else {
        ctx.out.null();
        return Ok(Flow::Continue);
    };
    ctx.out.map(3);
    ctx.out.bulk(b"session");
    ctx.out.bulk(argv[1]);
    ctx.out.bulk(b"idle-ms");
    ctx.out.integer(info.idle_ms as i64);
    ctx.out.bulk(b"tracks");
    ctx.out.map(info.tracks.len());
    for t in &info.tracks {
        ctx.out.bulk(t.name.as_bytes());
        ctx.out.map(7);
        ctx.out.bulk(b"length");
        ctx.out.integer(t.length as i64);
        ctx.out.bulk(b"capacity");
        ctx.out.integer(t.capacity as i64);
        ctx.out.bulk(b"first-id");
        id_or_null(ctx, t.first_id);
        ctx.out.bulk(b"last-id");
        id_or_null(ctx, t.last_id);
        ctx.out.bulk(b"entries-added");
        ctx.out.integer(t.entries_added as i64);
        ctx.out.bulk(b"entries-overwritten");
        ctx.out.integer(t.entries_overwritten as i64);
        ctx.out.bulk(b"idle-ms");
        ctx.out.integer(t.idle_ms as i64);
    }
    Ok(Flow::Continue)
}

/// SESSION.LIST cursor [MATCH pattern] [COUNT count]: as SCAN, over session ids.
pub fn list(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let scan = parse_scan_args(&argv[1..], false)?;
    let (next, ids) = ctx.server.store.list_sessions(
        ctx.client.db,
        scan.cursor,
        scan.count,
        scan.pattern,
        now_ms(),
    );
    ctx.out.array(2);
    ctx.out.bulk_u64(next);
    ctx.out.bulks(ids.iter());
    Ok(Flow::Continue)
}
