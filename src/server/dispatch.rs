//! What happens to one request: the checks Redis makes before running a command, in
//! its order (existence, arity, authentication, MULTI, `maxmemory`, RESP2
//! subscribed mode), MULTI
//! queueing, and the call itself with its statistics and error reply.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Client, ReplyMode, ServerState};
use crate::commands::{self, flags, CommandError, CommandSpec, Ctx, Flow, Handler};
use crate::protocol::{Protocol, Reply};

/// Runs one request and writes its reply (or error) into `out`, honouring CLIENT
/// REPLY OFF/SKIP.
pub(crate) fn execute(
    state: &ServerState,
    client: &mut Client,
    out: &mut Reply,
    argv: &[&[u8]],
) -> Flow {
    let mark = out.len();
    let skip_this = std::mem::take(&mut client.skip_next);
    let flow = run(state, client, out, argv);
    if skip_this || client.skip_next || client.reply_mode == ReplyMode::Off {
        out.truncate(mark);
    }
    client
        .handle
        .resp
        .store(out.protocol().version() as u8, Ordering::Relaxed);
    flow
}

/// Commands a RESP2 client may send while subscribed.
fn allowed_when_subscribed(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Commands that run at once after MULTI instead of being queued.
fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Refuses a command before it runs, as Redis's `rejectCommand`: counted against
/// the command, and a transaction in progress is flagged to abort.
/// A refused EXEC discards the transaction and says why (Redis's
/// `execCommandAbort`), whether or not one was open.
fn reject(state: &ServerState, client: &mut Client, out: &mut Reply, name: &str, e: &CommandError) {
    if let Some(s) = state.stats.command(name) {
        s.rejected.fetch_add(1, Ordering::Relaxed);
    }
    if name == "exec" {
        client.end_multi();
        client.watch = None;
        let text = e.reply_text();
        let why = text.strip_prefix(b"ERR ").unwrap_or(&text);
        let abort = CommandError::Coded(
            [&b"EXECABORT Transaction discarded because of: "[..], why]
                .concat()
                .into(),
        );
        reply_error(state, out, &abort);
        return;
    }
    client.abort_multi();
    reply_error(state, out, e);
}

fn run(state: &ServerState, client: &mut Client, out: &mut Reply, argv: &[&[u8]]) -> Flow {
    let (spec, handler) = match commands::resolve(argv) {
        Ok(found) => found,
        Err(e) => {
            // Arity errors count against the command that was named.
            let name = match &e {
                CommandError::WrongArity(name) => name.clone(),
                _ => String::new(),
            };
            reject(state, client, out, &name, &e);
            return Flow::Continue;
        }
    };
    // As Redis, the command counts as the client's last even when refused below.
    client.handle.set_last_command(spec.name);
    if !client.authenticated && spec.flags & flags::NO_AUTH == 0 {
        reject(state, client, out, spec.name, &CommandError::NoAuth);
        return Flow::Continue;
    }
    if client.multi.is_some() && spec.flags & flags::NO_MULTI != 0 {
        let e = CommandError::err("Command not allowed inside a transaction");
        reject(state, client, out, spec.name, &e);
        return Flow::Continue;
    }
    if let Some(e) = out_of_memory(state, client, spec) {
        reject(state, client, out, spec.name, &e);
        return Flow::Continue;
    }
    if client.subscriptions.active()
        && out.protocol() == Protocol::Resp2
        && !allowed_when_subscribed(spec.name)
    {
        let e = CommandError::err(format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            spec.name
        ));
        reject(state, client, out, spec.name, &e);
        return Flow::Continue;
    }
    if client.multi.is_some() && !runs_inside_multi(spec.name) {
        client.queue_command(spec, handler, argv);
        out.simple("QUEUED");
        return Flow::Continue;
    }
    if spec.name == "exec" {
        // EXEC takes the gate exclusively itself.
        return call(state, client, out, spec, handler, argv);
    }
    let _gate = state.store.gate.shared();
    call(state, client, out, spec, handler, argv)
}

/// Redis's `maxmemory` check (policy `noeviction`): over the limit, commands that
/// may grow memory are refused; inside MULTI so is queueing anything but EXEC,
/// DISCARD, QUIT and RESET, and EXEC when a queued command may grow memory.
fn out_of_memory(
    state: &ServerState,
    client: &Client,
    spec: &'static CommandSpec,
) -> Option<CommandError> {
    let denyoom = match &client.multi {
        Some(multi) if spec.name == "exec" => multi.may_grow_memory(),
        Some(_) => !matches!(spec.name, "discard" | "quit" | "reset"),
        None => spec.flags & flags::DENYOOM != 0,
    };
    if !denyoom {
        return None;
    }
    let max = state.maxmemory();
    (max != 0 && state.used_memory() > max).then_some(CommandError::OutOfMemory)
}

/// Calls a command that passed the checks: its handler, statistics and error reply.
/// EXEC calls it for each queued command.
pub(crate) fn call(
    state: &ServerState,
    client: &mut Client,
    out: &mut Reply,
    spec: &'static CommandSpec,
    handler: Handler,
    argv: &[&[u8]],
) -> Flow {
    let stats = &state.stats;
    // The command's number: its counters and its histogram, without a name lookup.
    let index = stats.index().of(spec);
    let stat = index.and_then(|i| stats.command_at(i));
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

/// Writes an error reply and counts it under its code.
pub(crate) fn reply_error(state: &ServerState, out: &mut Reply, e: &CommandError) {
    state.stats.record_error(&e.code());
    out.error_bytes(&e.reply_text());
}
