//! Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The queueing itself
//! happens in the dispatcher; EXEC's engine is [`crate::server::exec`].

use std::sync::Arc;

use super::{CommandError, Ctx, Flow};
use crate::server::WatchSet;

type Res = Result<Flow, CommandError>;

/// MULTI
pub fn multi(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    if ctx.client.multi.is_some() {
        return Err(CommandError::err("MULTI calls can not be nested"));
    }
    ctx.client.begin_multi();
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// EXEC
pub fn exec(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    crate::server::exec(ctx)
}

/// DISCARD
pub fn discard(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    if ctx.client.end_multi().is_none() {
        return Err(CommandError::err("DISCARD without MULTI"));
    }
    ctx.client.watch = None;
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// WATCH key [key ...]
pub fn watch(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    if ctx.client.multi.is_some() {
        return Err(CommandError::err("WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    let store = &ctx.server.store;
    let set = ctx
        .client
        .watch
        .get_or_insert_with(|| WatchSet::new(Arc::clone(store)));
    for key in &argv[1..] {
        set.watch(db, key);
    }
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// UNWATCH
pub fn unwatch(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    ctx.client.watch = None;
    ctx.out.ok();
    Ok(Flow::Continue)
}
