//! The command table and dispatch: the only place where the store and the server meet.
//!
//! Each family of commands lives in its own file and exposes handlers of one shape,
//! [`Handler`]. A handler parses its own arguments, applies itself to the store, and
//! writes its reply; errors are returned and written (and counted) by `server::dispatch`.

mod args;
mod error;
mod index;
pub mod spec;
mod spec_table;

mod command;
mod connection;
mod groups;
mod keys;
mod pubsub;
mod server;
mod sessions;
mod streams;
mod transactions;
mod xinfo;
mod xinfo_groups;
mod xread;
mod xreadgroup;

use std::any::Any;
use std::sync::Arc;

pub use args::{parse_i64, parse_u64, Args};
pub(crate) use error::lossy;
pub use error::{CommandError, ErrText};
pub use index::CommandIndex;
pub use spec::{flags, CommandSpec, Doc};

use crate::protocol::Reply;
use crate::server::{Client, ServerState};
use crate::store::Bell;

/// Everything a command can touch: the shared server state, the calling client's own
/// state, and its output buffer.
pub struct Ctx<'a> {
    /// Store, configuration, client registry, statistics.
    pub server: &'a ServerState,
    /// The calling connection's state.
    pub client: &'a mut Client,
    /// Where the reply goes.
    pub out: &'a mut Reply,
}

/// What the connection does after a command.
pub enum Flow {
    /// Carry on with the next request.
    Continue,
    /// Flush the replies written so far, then close the connection (QUIT).
    Close,
    /// Park the client until the operation can answer or times out (XREAD BLOCK).
    Block(Blocked),
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Flow::Continue => f.write_str("Continue"),
            Flow::Close => f.write_str("Close"),
            Flow::Block(b) => f.debug_tuple("Block").field(&b.deadline).finish(),
        }
    }
}

/// A command waiting for data. The connection parks on the client's bell; each ring
/// it calls [`BlockingOp::attempt`] again.
pub struct Blocked {
    /// When to give up; `None` waits forever (BLOCK 0).
    pub deadline: Option<tokio::time::Instant>,
    /// Rung by the streams the operation waits on; owned by the operation alone.
    pub bell: Arc<Bell>,
    /// The waiting command.
    pub op: Box<dyn BlockingOp>,
}

/// A blocking command's state between attempts.
pub trait BlockingOp: Send {
    /// Tries to answer. When it can, it writes the reply and returns `true`;
    /// otherwise it registers `bell` with every key it waits on (under the same
    /// locks it checked them with, so no append is missed) and returns `false`.
    fn attempt(&mut self, ctx: &mut Ctx<'_>, bell: &Arc<Bell>) -> Result<bool, CommandError>;
    /// Writes the reply for a timeout.
    fn timed_out(&mut self, ctx: &mut Ctx<'_>);
    /// The operation once its wait is over, emptied, for the client to keep for its
    /// next blocking command of the same kind ([`Client::spare_op`]); `None` (the
    /// default) lets it be freed.
    fn into_spare(self: Box<Self>) -> Option<Box<dyn Any + Send + Sync>> {
        None
    }
}

/// A command implementation: `argv[0]` is the command name as sent.
///
/// The arguments are borrowed from the request, whose bytes are released once
/// the handler returns: a handler copies what it keeps (a key the store creates, a
/// name, a subscription). Borrowing rather than handing out one reference-counted
/// `Bytes` per argument spares two atomic operations per argument per request.
pub type Handler = fn(&mut Ctx<'_>, &[&[u8]]) -> Result<Flow, CommandError>;

/// The handler for a top-level command name (lower case). Container commands have
/// one handler that dispatches on the subcommand itself.
fn handler(name: &str) -> Option<Handler> {
    Some(match name {
        "ping" => connection::ping,
        "echo" => connection::echo,
        "hello" => connection::hello,
        "auth" => connection::auth,
        "quit" => connection::quit,
        "reset" => connection::reset,
        "select" => connection::select,
        "client" => connection::client,
        "command" => command::command,
        "info" => server::info,
        "config" => server::config,
        "dbsize" => server::dbsize,
        "flushdb" => server::flushdb,
        "flushall" => server::flushall,
        "function" => server::function,
        "time" => server::time,
        "shutdown" => server::shutdown,
        "del" | "unlink" => keys::del,
        "exists" => keys::exists,
        "type" => keys::type_,
        "keys" => keys::keys,
        "scan" => keys::scan,
        "expire" | "pexpire" | "expireat" | "pexpireat" => keys::expire,
        "ttl" | "pttl" | "expiretime" | "pexpiretime" => keys::ttl,
        "persist" => keys::persist,
        "rename" | "renamenx" => keys::rename,
        "xadd" => streams::xadd,
        "xlen" => streams::xlen,
        "xrange" | "xrevrange" => streams::xrange,
        "xdel" => streams::xdel,
        "xtrim" => streams::xtrim,
        "xread" => xread::xread,
        "xinfo" => xinfo::xinfo,
        "xsetid" => xinfo::xsetid,
        "xgroup" => groups::xgroup,
        "xack" => groups::xack,
        "xpending" => groups::xpending,
        "xclaim" => groups::xclaim,
        "xautoclaim" => groups::xautoclaim,
        "xreadgroup" => xreadgroup::xreadgroup,
        "session.end" => sessions::end,
        "session.info" => sessions::info,
        "session.list" => sessions::list,
        "multi" => transactions::multi,
        "exec" => transactions::exec,
        "discard" => transactions::discard,
        "watch" => transactions::watch,
        "unwatch" => transactions::unwatch,
        "subscribe" => pubsub::subscribe,
        "unsubscribe" => pubsub::unsubscribe,
        "psubscribe" => pubsub::psubscribe,
        "punsubscribe" => pubsub::punsubscribe,
        "publish" => pubsub::publish,
        "pubsub" => pubsub::pubsub,
        _ => return None,
    })
}

/// Resolves `argv` to its spec and handler, checking arity as Redis does
/// (subcommands of containers included).
pub fn resolve(argv: &[&[u8]]) -> Result<(&'static CommandSpec, Handler), CommandError> {
    let name = argv.first().ok_or(CommandError::Syntax)?;
    let top = spec_table::lookup(name).ok_or_else(|| CommandError::unknown_command(argv))?;
    let handler = cached_handler(top).ok_or_else(|| CommandError::unknown_command(argv))?;
    let spec = if !top.subcommands.is_empty() && argv.len() >= 2 {
        top.subcommands
            .iter()
            .find(|s| {
                s.name
                    .split_once('|')
                    .is_some_and(|(_, sub)| argv[1].eq_ignore_ascii_case(sub.as_bytes()))
            })
            .ok_or_else(|| CommandError::UnknownSubcommand {
                sub: ErrText::quote(argv[1], 128),
                command: top.name.to_ascii_uppercase(),
            })?
    } else {
        top
    };
    let argc = argv.len() as i64;
    let arity = i64::from(spec.arity);
    if (arity > 0 && argc != arity) || argc < arity.abs() {
        return Err(CommandError::WrongArity(spec.name.to_string()));
    }
    Ok((spec, handler))
}

thread_local! {
    /// The last command resolved on this thread and its handler: connections
    /// mostly send one command over and over, and [`handler`] matches on names.
    static LAST_HANDLER: std::cell::Cell<Option<(&'static CommandSpec, Handler)>> =
        const { std::cell::Cell::new(None) };
}

/// [`handler`] for `spec`, remembered for the next request of the same command.
fn cached_handler(spec: &'static CommandSpec) -> Option<Handler> {
    LAST_HANDLER.with(|last| match last.get() {
        Some((s, h)) if std::ptr::eq(s, spec) => Some(h),
        _ => {
            let h = handler(spec.name)?;
            last.set(Some((spec, h)));
            Some(h)
        }
    })
}

/// Every top-level command in the table, for COMMAND and the table's own tests.
pub fn all_specs() -> &'static [CommandSpec] {
    spec_table::ALL
}

/// Looks up a top-level command's spec by name (any case).
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    spec_table::lookup(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_has_a_handler() {
        for spec in all_specs() {
            assert!(handler(spec.name).is_some(), "no handler for {}", spec.name);
        }
    }

    #[test]
    fn arity_and_unknown_errors_match_redis() {
        fn argv(s: &str) -> Vec<&[u8]> {
            s.split(' ').map(str::as_bytes).collect()
        }
        let e = resolve(&argv("ECHO")).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("ERR wrong number of arguments for 'echo' command")
        );
        let e = resolve(&argv("foo a b")).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
        );
        // The reply quotes the client's bytes as they came, cut at a NUL as Redis's
        // `%s` cuts them; the log text shows them lossily.
        let e = resolve(&[b"f\xffo", b"a\0b", b"c"])
            .map(|_| ())
            .expect_err("unknown");
        assert_eq!(
            e.reply_text(),
            b"ERR unknown command 'f\xffo', with args beginning with: 'a' 'c' "
        );
        assert_eq!(
            e.to_string(),
            "ERR unknown command 'f\u{fffd}o', with args beginning with: 'a' 'c' "
        );
        let e = resolve(&[b"CLIENT", b"n\xff"])
            .map(|_| ())
            .expect_err("unknown");
        assert_eq!(
            e.reply_text(),
            b"ERR unknown subcommand 'n\xff'. Try CLIENT HELP."
        );
        let e = resolve(&argv("client foo")).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("ERR unknown subcommand 'foo'. Try CLIENT HELP.")
        );
        let e = resolve(&argv("client kill")).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("ERR wrong number of arguments for 'client|kill' command")
        );
    }
}
