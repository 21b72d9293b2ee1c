//! COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS,
//! HELP), answering as redis-server 7.0.15 does from the generated command table.

use super::spec::{key_flag_names, write_doc, CommandSpec};
use super::{all_specs, flags, lookup, CommandError, Ctx, ErrText, Flow};
use crate::protocol::Reply;

/// The lines of `COMMAND HELP`, exactly as Redis 7.0.15 sends them.
const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
];

/// `COMMAND [subcommand ...]`. `argv[0]` is "command" in any case, `argv[1]` the
/// subcommand; the dispatcher has checked the subcommand's arity.
pub fn command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Result<Flow, CommandError> {
    run(ctx.out, argv)?;
    Ok(Flow::Continue)
}

/// COMMAND against an output buffer only (it touches no other state).
fn run(out: &mut Reply, argv: &[&[u8]]) -> Result<(), CommandError> {
    let Some(sub) = argv.get(1) else {
        // Bare COMMAND: the INFO entry of every command.
        write_infos(out, all_specs());
        return Ok(());
    };
    let is = |name: &str| sub.eq_ignore_ascii_case(name.as_bytes());
    if is("count") {
        out.integer(all_specs().len() as i64);
    } else if is("info") {
        if argv.len() == 2 {
            write_infos(out, all_specs());
        } else {
            out.array(argv.len() - 2);
            for name in &argv[2..] {
                match lookup_by_name(name) {
                    Some(spec) => write_doc(out, &spec.info),
                    None => out.null(),
                }
            }
        }
    } else if is("docs") {
        if argv.len() == 2 {
            out.map(all_specs().len());
            for spec in all_specs() {
                write_named_docs(out, spec);
            }
        } else {
            // Unknown names are left out.
            let found: Vec<&CommandSpec> =
                argv[2..].iter().filter_map(|n| lookup_by_name(n)).collect();
            out.map(found.len());
            for spec in found {
                write_named_docs(out, spec);
            }
        }
    } else if is("list") {
        list(out, argv)?;
    } else if is("getkeys") {
        getkeys(out, &argv[2..], false)?;
    } else if is("getkeysandflags") {
        getkeys(out, &argv[2..], true)?;
    } else if is("help") {
        out.array(HELP.len());
        for line in HELP {
            out.simple(line);
        }
    } else {
        return Err(CommandError::UnknownSubcommand {
            sub: ErrText::quote(sub, 128),
            command: "COMMAND".to_string(),
        });
    }
    Ok(())
}

fn write_infos(out: &mut Reply, specs: &[CommandSpec]) {
    out.array(specs.len());
    for spec in specs {
        write_doc(out, &spec.info);
    }
}

/// One COMMAND DOCS map entry: the canonical (lower-case, full) name, then the docs.
fn write_named_docs(out: &mut Reply, spec: &CommandSpec) {
    out.bulk(spec.name.as_bytes());
    write_doc(out, &spec.docs);
}

/// A command by its full name, `name` or `container|sub`, any case (Redis's
/// `lookupCommandBySds`): no deeper nesting, and a `|` only after a container.
pub fn lookup_by_name(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut parts = name.split(|&b| b == b'|');
    let top = parts.next()?;
    match (parts.next(), parts.next()) {
        (None, _) => lookup(top),
        (Some(sub), None) => {
            let container = lookup(top)?;
            if container.subcommands.is_empty() {
                None
            } else {
                container.subcommand(sub)
            }
        }
        _ => None,
    }
}

/// The command a full command line names (Redis's non-strict `lookupCommand`): a
/// container's subcommand when one follows it, else the command itself.
fn lookup_by_argv(args: &[&[u8]]) -> Option<&'static CommandSpec> {
    let top = lookup(args.first()?)?;
    match args.get(1) {
        Some(sub) if !top.subcommands.is_empty() => top.subcommand(sub),
        _ => Some(top),
    }
}

/// What COMMAND LIST keeps.
enum Filter<'a> {
    All,
    /// FILTERBY MODULE: ringbus has no modules, so nothing.
    Module,
    AclCategory(&'a [u8]),
    Pattern(&'a [u8]),
}

impl Filter<'_> {
    fn keeps(&self, spec: &CommandSpec) -> bool {
        match self {
            Filter::All => true,
            Filter::Module => false,
            Filter::AclCategory(cat) => spec
                .acl_categories
                .iter()
                .any(|c| cat.eq_ignore_ascii_case(c.as_bytes())),
            Filter::Pattern(p) => crate::glob::matches(p, spec.name.as_bytes(), true),
        }
    }
}

/// `COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]`: the names of commands and
/// subcommands (each container followed by its subcommands).
fn list(out: &mut Reply, argv: &[&[u8]]) -> Result<(), CommandError> {
    let filter = match argv.len() {
        2 => Filter::All,
        5 if argv[2].eq_ignore_ascii_case(b"filterby") => {
            let (kind, arg) = (&argv[3], argv[4]);
            if kind.eq_ignore_ascii_case(b"module") {
                Filter::Module
            } else if kind.eq_ignore_ascii_case(b"aclcat") {
                Filter::AclCategory(arg)
            } else if kind.eq_ignore_ascii_case(b"pattern") {
                Filter::Pattern(arg)
            } else {
                return Err(CommandError::Syntax);
            }
        }
        _ => return Err(CommandError::Syntax),
    };
    let mut names = Vec::new();
    for spec in all_specs() {
        if filter.keeps(spec) {
            names.push(spec.name);
        }
        for sub in spec.subcommands {
            if filter.keeps(sub) {
                names.push(sub.name);
            }
        }
    }
    out.bulks(names);
    Ok(())
}

/// `COMMAND GETKEYS` / `COMMAND GETKEYSANDFLAGS` for the command line `args`.
fn getkeys(out: &mut Reply, args: &[&[u8]], with_flags: bool) -> Result<(), CommandError> {
    let spec =
        lookup_by_argv(args).ok_or_else(|| CommandError::err("Invalid command specified"))?;
    if !spec.has_keys() {
        return Err(CommandError::err("The command has no key arguments"));
    }
    if !spec.arity_ok(args.len()) {
        return Err(CommandError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let keys = spec.keys(args);
    if keys.is_empty() && !spec.has_flag(flags::NO_MANDATORY_KEYS) {
        return Err(CommandError::err("Invalid arguments specified for command"));
    }
    out.array(keys.len());
    for key in keys {
        let name = &args[key.pos];
        if with_flags {
            out.array(2);
            out.bulk(name);
            out.set(key.flags.count_ones() as usize);
            for flag in key_flag_names(key.flags) {
                out.simple(flag);
            }
        } else {
            out.bulk(name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Protocol;

    fn argv(s: &str) -> Vec<&[u8]> {
        s.split(' ').map(str::as_bytes).collect()
    }

    fn reply(proto: Protocol, line: &str) -> Result<Vec<u8>, String> {
        let mut out = Reply::new(proto);
        run(&mut out, &argv(line)).map_err(|e| e.to_string())?;
        Ok(out.buffer().to_vec())
    }

    fn ok(proto: Protocol, line: &str) -> Vec<u8> {
        reply(proto, line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn err(line: &str) -> String {
        reply(Protocol::Resp2, line).expect_err(line)
    }

    // Bytes below were captured from redis-server 7.0.15.

    #[test]
    fn info_of_a_subcommand_and_an_unknown_name() {
        assert_eq!(
            ok(Protocol::Resp3, "COMMAND INFO client|id nosuch"),
            b"*2\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n~3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@slow\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n_\r\n"
        );
        assert_eq!(
            ok(Protocol::Resp2, "command info CLIENT|ID nosuch"),
            b"*2\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n$-1\r\n"
        );
    }

    #[test]
    fn info_of_a_key_command() {
        assert_eq!(
            ok(Protocol::Resp3, "COMMAND INFO ttl"),
            b"*1\r\n*10\r\n$3\r\nttl\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@keyspace\r\n+@read\r\n+@fast\r\n~1\r\n$23\r\nnondeterministic_output\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n"
        );
    }

    #[test]
    fn docs_use_canonical_names_and_skip_unknown() {
        assert_eq!(
            ok(Protocol::Resp3, "COMMAND DOCS CLIENT|ID nosuch client|nosuch get|x"),
            b"%1\r\n$9\r\nclient|id\r\n%4\r\n$7\r\nsummary\r\n$48\r\nReturns the client ID for the current connection\r\n$5\r\nsince\r\n$5\r\n5.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"
        );
        assert_eq!(ok(Protocol::Resp2, "COMMAND DOCS nosuch"), b"*0\r\n");
        assert_eq!(ok(Protocol::Resp3, "COMMAND DOCS nosuch"), b"%0\r\n");
    }

    #[test]
    fn docs_of_a_command_with_history_and_arguments() {
        assert_eq!(
            ok(Protocol::Resp2, "COMMAND DOCS rename"),
            b"*2\r\n$6\r\nrename\r\n*10\r\n$7\r\nsummary\r\n$12\r\nRename a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$7\r\ngeneric\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*6\r\n$4\r\nname\r\n$6\r\nnewkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:1\r\n"
        );
    }

    #[test]
    fn help_is_redis_text() {
        let bytes = ok(Protocol::Resp2, "COMMAND HELP");
        assert!(bytes.starts_with(
            b"*21\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+(no subcommand)\r\n"
        ));
        assert!(bytes.ends_with(b"+HELP\r\n+    Prints this help.\r\n"));
    }

    #[test]
    fn count_and_bare_command() {
        let n = all_specs().len();
        assert_eq!(
            ok(Protocol::Resp2, "COMMAND COUNT"),
            format!(":{n}\r\n").into_bytes()
        );
        assert!(ok(Protocol::Resp2, "COMMAND").starts_with(format!("*{n}\r\n*10\r\n").as_bytes()));
        assert_eq!(
            ok(Protocol::Resp2, "COMMAND"),
            ok(Protocol::Resp2, "COMMAND INFO")
        );
    }

    #[test]
    fn getkeys_and_flags() {
        assert_eq!(
            ok(Protocol::Resp3, "COMMAND GETKEYSANDFLAGS rename a b"),
            b"*2\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n~2\r\n+OW\r\n+update\r\n"
        );
        assert_eq!(
            ok(Protocol::Resp2, "COMMAND GETKEYSANDFLAGS rename a b"),
            b"*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"
        );
        assert_eq!(
            ok(Protocol::Resp2, "command getkeys DEL a b c"),
            b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
    }

    #[test]
    fn getkeys_errors_as_redis() {
        assert_eq!(
            err("COMMAND GETKEYS foo a"),
            "ERR Invalid command specified"
        );
        assert_eq!(
            err("COMMAND GETKEYS client foo"),
            "ERR Invalid command specified"
        );
        assert_eq!(
            err("COMMAND GETKEYS scan 0"),
            "ERR The command has no key arguments"
        );
        assert_eq!(
            err("COMMAND GETKEYS client id"),
            "ERR The command has no key arguments"
        );
        assert_eq!(
            err("COMMAND GETKEYS ping x"),
            "ERR The command has no key arguments"
        );
        assert_eq!(
            err("COMMAND GETKEYS rename a"),
            "ERR Invalid number of arguments specified for command"
        );
        assert_eq!(
            err("COMMAND GETKEYS expire k"),
            "ERR Invalid number of arguments specified for command"
        );
    }

    fn names(line: &str) -> Vec<String> {
        let bytes = ok(Protocol::Resp2, line);
        let text = String::from_utf8(bytes).expect("utf-8");
        text.split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn list_and_filters() {
        let all = names("COMMAND LIST");
        assert!(all.contains(&"client|id".to_string()));
        assert!(all.contains(&"client|setinfo".to_string()));
        assert!(all.contains(&"del".to_string()));
        let mut p = names("COMMAND LIST FILTERBY PATTERN PEXPIRE*");
        p.sort();
        assert_eq!(p, ["pexpire", "pexpireat", "pexpiretime"]);
        let mut c = names("command list filterby pattern client|s*");
        c.sort();
        assert_eq!(c, ["client|setinfo", "client|setname"]);
        let mut k = names("COMMAND LIST FILTERBY ACLCAT Keyspace");
        k.sort();
        assert!(k.contains(&"del".to_string()) && k.contains(&"scan".to_string()));
        assert!(!k.contains(&"ping".to_string()));
        assert_eq!(
            ok(Protocol::Resp2, "COMMAND LIST FILTERBY ACLCAT @read"),
            b"*0\r\n"
        );
        assert_eq!(
            ok(Protocol::Resp2, "COMMAND LIST FILTERBY MODULE x"),
            b"*0\r\n"
        );
        assert_eq!(err("COMMAND LIST FILTERBY foo x"), "ERR syntax error");
        assert_eq!(err("COMMAND LIST FILTERBY PATTERN"), "ERR syntax error");
        assert_eq!(err("COMMAND LIST FILTERBY PATTERN a b"), "ERR syntax error");
        assert_eq!(err("COMMAND LIST x"), "ERR syntax error");
    }

    #[test]
    fn lookup_by_full_name() {
        assert_eq!(
            lookup_by_name(b"CLIENT|ID").map(|s| s.name),
            Some("client|id")
        );
        assert_eq!(lookup_by_name(b"Del").map(|s| s.name), Some("del"));
        assert!(lookup_by_name(b"").is_none());
        assert!(lookup_by_name(b"client|").is_none());
        assert!(lookup_by_name(b"|id").is_none());
        assert!(lookup_by_name(b"del|x").is_none());
        assert!(lookup_by_name(b"client|id|x").is_none());
    }
}
