//! Connection commands: PING, ECHO, HELLO, AUTH, QUIT, RESET, SELECT, CLIENT.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{lossy, parse_i64, Args, CommandError, Ctx, ErrText, Flow};
use crate::protocol::{Protocol, Reply};
use crate::server::{ClientType, ReplyMode, Unblock};

/// Redis version ringbus answers as: its behaviour is matched to 7.0.15.
pub const REDIS_VERSION: &str = "7.0.15";

type Res = Result<Flow, CommandError>;

/// Writes Redis's HELP reply: a header, the lines, then the HELP entry.
pub(crate) fn reply_help(out: &mut Reply, command: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        out.simple(line);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}

/// PING [message]. A subscribed RESP2 client gets `pong` and the message (or "")
/// as a two-element array, as Redis answers in that mode.
pub fn ping(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    if argv.len() > 2 {
        return Err(CommandError::WrongArity("ping".into()));
    }
    if ctx.client.subscriptions.active() && ctx.out.protocol() == Protocol::Resp2 {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(argv.get(1).copied().unwrap_or_default());
        return Ok(Flow::Continue);
    }
    match argv.get(1) {
        None => ctx.out.simple("PONG"),
        Some(message) => ctx.out.bulk(message),
    }
    Ok(Flow::Continue)
}

/// ECHO message
pub fn echo(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    ctx.out.bulk(argv[1]);
    Ok(Flow::Continue)
}

/// Compares without an early exit so the time taken does not leak the password.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks `user`/`pass` against the only user, `default`. Without `requirepass`
/// the default user takes any password, as Redis's `nopass` user does.
fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], pass: &[u8]) -> Result<(), CommandError> {
    let ok = user == b"default"
        && match &ctx.server.config().requirepass {
            None => true,
            Some(expected) => same_secret(expected.as_bytes(), pass),
        };
    if ok {
        ctx.client.authenticated = true;
        Ok(())
    } else {
        Err(CommandError::WrongPass)
    }
}

/// AUTH [username] password
pub fn auth(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    match argv.len() {
        2 => {
            if ctx.server.config().requirepass.is_none() {
                return Err(CommandError::err(
                    "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                ));
            }
            authenticate(ctx, b"default", argv[1])?;
        }
        3 => authenticate(ctx, argv[1], argv[2])?,
        _ => return Err(CommandError::Syntax),
    }
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let mut version = None;
    let mut args = Args::new(&argv[1..]);
    if let Some(v) = args.next_opt() {
        let v = parse_i64(v).ok_or_else(|| {
            CommandError::err("Protocol version is not an integer or out of range")
        })?;
        version = Some(match v {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => {
                return Err(CommandError::Coded(
                    "NOPROTO unsupported protocol version".into(),
                ))
            }
        });
    }
    let mut credentials = None;
    let mut name = None;
    while let Some(opt) = args.next_opt() {
        if opt.eq_ignore_ascii_case(b"AUTH") && args.remaining() >= 2 {
            credentials = Some((args.next_arg()?, args.next_arg()?));
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && args.remaining() >= 1 {
            name = Some(args.next_arg()?);
        } else {
            return Err(CommandError::err(ErrText::fill(
                "Syntax error in HELLO option '{}'",
                &[ErrText::quote(opt, 128)],
            )));
        }
    }
    if let Some((user, pass)) = credentials {
        authenticate(ctx, user, pass)?;
    }
    if !ctx.client.authenticated {
        return Err(CommandError::Coded(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into(),
        ));
    }
    if let Some(name) = name {
        set_name(ctx, name)?;
    }
    if let Some(proto) = version {
        ctx.out.set_protocol(proto);
        ctx.client
            .handle
            .resp
            .store(proto.version() as u8, Ordering::Relaxed);
    }
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.integer(out.protocol().version());
    out.bulk(b"id");
    out.integer(ctx.client.handle.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(Flow::Continue)
}

/// QUIT: reply OK, then close. Subscriptions end before the reply, so whoever the
/// client tells next sees them gone.
pub fn quit(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    ctx.client.subscriptions.clear();
    ctx.out.ok();
    Ok(Flow::Close)
}

/// RESET: back to the state of a new connection (transaction discarded, keys
/// unwatched, every subscription left without confirmations).
pub fn reset(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    let client = &mut *ctx.client;
    client.end_multi();
    client.watch = None;
    client.subscriptions.clear();
    client.select(0);
    client.reply_mode = ReplyMode::On;
    client.skip_next = false;
    client.authenticated = ctx.server.config().requirepass.is_none();
    client.handle.edit_names(|n| n.name = None);
    client.handle.no_evict.store(false, Ordering::Relaxed);
    ctx.out.set_protocol(Protocol::Resp2);
    client.handle.resp.store(2, Ordering::Relaxed);
    ctx.out.simple("RESET");
    Ok(Flow::Continue)
}

/// SELECT index
pub fn select(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let index = parse_i64(argv[1]).ok_or(CommandError::NotInteger)?;
    let dbs = ctx.server.store.databases() as i64;
    if !(0..dbs).contains(&index) {
        return Err(CommandError::err("DB index is out of range"));
    }
    ctx.client.select(index as usize);
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// Client names and SETINFO values: printable ASCII without spaces.
fn valid_attr(value: &[u8]) -> bool {
    value.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn set_name(ctx: &mut Ctx<'_>, name: &[u8]) -> Result<(), CommandError> {
    if !valid_attr(name) {
        return Err(CommandError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    let name = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    ctx.client.handle.edit_names(|n| n.name = name);
    Ok(())
}

const CLIENT_HELP: &[&str] = &[
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

/// The client type CLIENT LIST/KILL TYPE names: subscribed clients are `pubsub`,
/// the others `normal` (ringbus has no masters or replicas).
fn client_type(name: &[u8]) -> Result<ClientType, CommandError> {
    let lower = name.to_ascii_lowercase();
    match lower.as_slice() {
        b"normal" => Ok(ClientType::Normal),
        b"pubsub" => Ok(ClientType::PubSub),
        b"master" => Ok(ClientType::Master),
        b"slave" | b"replica" => Ok(ClientType::Replica),
        _ => Err(CommandError::err(ErrText::fill(
            "Unknown client type '{}'",
            &[ErrText::quote(name, 128)],
        ))),
    }
}

/// CLIENT subcommands.
pub fn client(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let sub = argv[1].to_ascii_lowercase();
    match sub.as_slice() {
        b"id" => ctx.out.integer(ctx.client.handle.id as i64),
        b"setname" => {
            set_name(ctx, argv[2])?;
            ctx.out.ok();
        }
        b"getname" => match ctx.client.handle.names().name {
            Some(name) => ctx.out.bulk(&name),
            None => ctx.out.null(),
        },
        b"setinfo" => client_setinfo(ctx, argv[2], argv[3])?,
        b"info" => {
            let line = ctx.client.handle.info_line() + "\n";
            ctx.out.verbatim("txt", line.as_bytes());
        }
        b"list" => client_list(ctx, &argv[2..])?,
        b"kill" => return client_kill(ctx, &argv[2..]),
        b"no-evict" => {
            let on = if argv[2].eq_ignore_ascii_case(b"on") {
                true
            } else if argv[2].eq_ignore_ascii_case(b"off") {
                false
            } else {
                return Err(CommandError::Syntax);
            };
            ctx.client.handle.no_evict.store(on, Ordering::Relaxed);
            ctx.out.ok();
        }
        b"reply" => {
            let mode = argv[2].to_ascii_lowercase();
            match mode.as_slice() {
                b"on" => {
                    ctx.client.reply_mode = ReplyMode::On;
                    ctx.out.ok();
                }
                b"off" => ctx.client.reply_mode = ReplyMode::Off,
                b"skip" => {
                    if ctx.client.reply_mode == ReplyMode::On {
                        ctx.client.skip_next = true;
                    }
                }
                _ => return Err(CommandError::Syntax),
            }
        }
        b"unblock" => client_unblock(ctx, argv)?,
        b"help" => reply_help(ctx.out, "CLIENT", CLIENT_HELP),
        // The dispatcher only passes subcommands from the table.
        _ => {
            return Err(CommandError::UnknownSubcommand {
                sub: ErrText::quote(argv[1], 128),
                command: "CLIENT".into(),
            })
        }
    }
    Ok(Flow::Continue)
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: answers a client blocked in XREAD as if it had
/// timed out, or with an UNBLOCKED error. 1 when it was blocked, else 0.
fn client_unblock(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Result<(), CommandError> {
    if argv.len() > 4 {
        return Err(CommandError::err(ErrText::fill(
            "unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            &[ErrText::quote(argv[1], 128)],
        )));
    }
    let how = match argv.get(3) {
        None => Unblock::Timeout,
        Some(r) if r.eq_ignore_ascii_case(b"timeout") => Unblock::Timeout,
        Some(r) if r.eq_ignore_ascii_case(b"error") => Unblock::Error,
        Some(_) => {
            return Err(CommandError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = parse_i64(argv[2]).ok_or(CommandError::NotInteger)?;
    let target = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.server.clients.get(id))
        .filter(|c| c.blocked.load(Ordering::Relaxed));
    match target {
        Some(c) => {
            *c.unblock.lock() = Some(how);
            c.signal.unblock();
            ctx.out.integer(1);
        }
        None => ctx.out.integer(0),
    }
    Ok(())
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; redis-py and others send it).
fn client_setinfo(ctx: &mut Ctx<'_>, attr: &[u8], value: &[u8]) -> Result<(), CommandError> {
    let lib_name = if attr.eq_ignore_ascii_case(b"lib-name") {
        true
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        false
    } else {
        return Err(CommandError::err(ErrText::fill(
            "Unrecognized option '{}'",
            &[ErrText::quote(attr, 128)],
        )));
    };
    if !valid_attr(value) {
        return Err(CommandError::err(ErrText::fill(
            "{} cannot contain spaces, newlines or special characters.",
            &[ErrText::quote(attr, 128)],
        )));
    }
    let value = (!value.is_empty()).then(|| Bytes::copy_from_slice(value));
    ctx.client.handle.edit_names(|n| {
        if lib_name {
            n.lib_name = value;
        } else {
            n.lib_ver = value;
        }
    });
    ctx.out.ok();
    Ok(())
}

fn client_list(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> Result<(), CommandError> {
    let clients = ctx.server.clients.snapshot();
    let mut text = String::new();
    if args.len() == 2 && args[0].eq_ignore_ascii_case(b"type") {
        let wanted = client_type(args[1])?;
        for c in clients.iter().filter(|c| c.client_type() == wanted) {
            text.push_str(&c.info_line());
            text.push('\n');
        }
    } else if args.len() > 1 && args[0].eq_ignore_ascii_case(b"id") {
        let mut ids = Vec::new();
        for raw in &args[1..] {
            ids.push(parse_i64(raw).ok_or_else(|| CommandError::err("Invalid client ID"))?);
        }
        for id in ids {
            if let Some(c) = u64::try_from(id)
                .ok()
                .and_then(|id| ctx.server.clients.get(id))
            {
                text.push_str(&c.info_line());
                text.push('\n');
            }
        }
    } else if !args.is_empty() {
        return Err(CommandError::Syntax);
    } else {
        for c in &clients {
            text.push_str(&c.info_line());
            text.push('\n');
        }
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn client_kill(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> Res {
    let me = ctx.client.handle.id;
    // The old form `CLIENT KILL ip:port` replies OK or an error; the filter form
    // replies with the number of clients killed.
    if args.len() == 1 {
        let addr = lossy(args[0], 256);
        let target = ctx
            .server
            .clients
            .snapshot()
            .into_iter()
            .find(|c| c.addr.to_string() == addr);
        return match target {
            Some(c) => {
                c.signal.kill();
                ctx.out.ok();
                Ok(Flow::Continue)
            }
            None => Err(CommandError::err("No such client")),
        };
    }
    let (mut id, mut addr, mut laddr, mut kind, mut skipme) = (None, None, None, None, true);
    let mut opts = Args::new(args);
    while let Some(opt) = opts.next_opt() {
        let Some(value) = opts.next_opt() else {
            return Err(CommandError::Syntax);
        };
        let opt = opt.to_ascii_lowercase();
        match opt.as_slice() {
            b"id" => {
                let v = parse_i64(value)
                    .filter(|v| *v >= 1)
                    .ok_or_else(|| CommandError::err("client-id should be greater than 0"))?;
                id = Some(v as u64);
            }
            b"type" => kind = Some(client_type(value)?),
            b"addr" => addr = Some(lossy(value, 256)),
            b"laddr" => laddr = Some(lossy(value, 256)),
            b"user" => {
                if value != b"default" {
                    return Err(CommandError::err(ErrText::fill(
                        "No such user '{}'",
                        &[ErrText::quote(value, 128)],
                    )));
                }
            }
            b"skipme" => {
                skipme = if value.eq_ignore_ascii_case(b"yes") {
                    true
                } else if value.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err(CommandError::Syntax);
                }
            }
            _ => return Err(CommandError::Syntax),
        }
    }
    let mut killed = 0;
    for c in ctx.server.clients.snapshot() {
        let hit = id.is_none_or(|id| c.id == id)
            && addr.as_ref().is_none_or(|a| c.addr.to_string() == *a)
            && laddr.as_ref().is_none_or(|a| c.laddr.to_string() == *a)
            && kind.is_none_or(|k| c.client_type() == k)
            && !(skipme && c.id == me);
        if hit {
            c.signal.kill();
            killed += 1;
        }
    }
    ctx.out.integer(killed);
    Ok(Flow::Continue)
}
