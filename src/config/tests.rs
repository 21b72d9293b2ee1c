use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use super::*;

fn load(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let argv = std::iter::once("ringbus").chain(args.iter().copied());
    Config::from_args_and_env(argv, &|name| env.get(name).cloned())
}

fn ok(args: &[&str], env: &[(&str, &str)]) -> Config {
    load(args, env).unwrap_or_else(|e| panic!("{args:?} {env:?}: {e}"))
}

fn err(args: &[&str], env: &[(&str, &str)]) -> String {
    match load(args, env) {
        Ok(cfg) => panic!("accepted {args:?} {env:?}: {cfg:?}"),
        Err(e) => e.to_string(),
    }
}

/// A config file in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "ringbus-config-test-{}-{tag}.conf",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn no_input_gives_the_embedded_defaults() {
    let cfg = ok(&[], &[]);
    assert_eq!(cfg, Config::default());
    assert_eq!(cfg.bind, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    assert_eq!(cfg.port, 6379);
    assert_eq!(
        cfg.metrics_addr.map(|a| a.to_string()).as_deref(),
        Some("127.0.0.1:9379")
    );
    assert_eq!(
        parse::render_tracks(&cfg.tracks),
        "conversation=1000 insights=1000"
    );
    assert_eq!(cfg.default_capacity, 1000);
    assert_eq!(cfg.session_idle_timeout, Some(Duration::from_secs(86400)));
    assert_eq!(cfg.databases, 16);
    assert_eq!(cfg.worker_threads, 0, "one worker per core unless told");
    assert_eq!(cfg.maxclients, 10000);
    assert_eq!(cfg.proto_max_bulk_len, 536_870_912);
    assert_eq!(cfg.client_query_buffer_limit, 1_073_741_824);
    assert!(cfg.validate().is_ok());
}

#[test]
fn precedence_flag_over_env_over_file_over_default() {
    let file = TempFile::new(
        "precedence",
        "port 1111\nmaxclients 11\ntimeout 1\ndatabases 3\n",
    );
    let env = [
        ("RINGBUS_CONFIG", file.path()),
        ("RINGBUS_PORT", "2222"),
        ("RINGBUS_MAXCLIENTS", "22"),
    ];
    let cfg = ok(&["--port", "3333"], &env);
    assert_eq!(cfg.port, 3333, "flag beats env and file");
    assert_eq!(cfg.maxclients, 22, "env beats file");
    assert_eq!(
        cfg.timeout,
        Some(Duration::from_secs(1)),
        "file beats default"
    );
    assert_eq!(cfg.databases, 3);
    assert_eq!(
        cfg.default_capacity, 1000,
        "default when nothing says otherwise"
    );
    assert_eq!(cfg.config_file.as_deref(), Some(file.0.as_path()));

    // --config beats RINGBUS_CONFIG.
    let other = TempFile::new("precedence-other", "port 4444\n");
    let cfg = ok(
        &["--config", other.path()],
        &[("RINGBUS_CONFIG", file.path())],
    );
    assert_eq!(cfg.port, 4444);
    assert_eq!(cfg.maxclients, 10000);

    // An empty variable counts as unset.
    assert_eq!(ok(&[], &[("RINGBUS_PORT", "")]).port, 6379);
}

#[test]
fn every_flag_and_env_var_is_wired() {
    let pairs = [
        ("--port", "0"),
        ("--metrics-addr", "off"),
        ("--track", "t=5,max-age=30s"),
        ("--default-capacity", "7"),
        ("--session-idle-timeout", "0"),
        ("--requirepass", "pw"),
        ("--maxclients", "8"),
        ("--maxmemory", "1k"),
        ("--timeout", "9"),
        ("--proto-max-bulk-len", "1mb"),
        ("--client-query-buffer-limit", "2mb"),
        ("--client-output-buffer-limit", "pubsub 1mb 1kb 5"),
        ("--stream-node-max-entries", "0"),
        ("--stream-node-max-bytes", "1kb"),
        ("--databases", "1"),
        ("--worker-threads", "3"),
        ("--log-format", "JSON"),
        ("--log-level", "warn"),
    ];
    let mut flags = vec!["--bind", "127.0.0.2", "::1"];
    flags.extend(pairs.iter().flat_map(|(f, v)| [*f, *v]));
    let expected = Config {
        bind: vec![
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
            IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ],
        port: 0,
        metrics_addr: None,
        tracks: vec![TrackSpec {
            name: "t".into(),
            capacity: 5,
            max_age: Some(Duration::from_secs(30)),
        }],
        default_capacity: 7,
        session_idle_timeout: None,
        requirepass: Some("pw".into()),
        protected_mode: true,
        maxclients: 8,
        maxmemory: 1000,
        timeout: Some(Duration::from_secs(9)),
        proto_max_bulk_len: 1 << 20,
        client_query_buffer_limit: 2 << 20,
        client_output_buffer_limit: OutputLimits {
            pubsub: OutputLimit {
                hard_bytes: 1 << 20,
                soft_bytes: 1024,
                soft_seconds: 5,
            },
            ..OutputLimits::default()
        },
        stream_node_max_entries: 0,
        stream_node_max_bytes: 1024,
        databases: 1,
        worker_threads: 3,
        config_file: None,
        log_format: LogFormat::Json,
        log_level: Some("warn".into()),
    };
    assert_eq!(ok(&flags, &[]), expected);

    // The same values through the environment, one variable per flag.
    let env: Vec<(String, String)> = pairs
        .iter()
        .map(|(flag, value)| {
            let name = format!("RINGBUS_{}", flag[2..].replace('-', "_").to_uppercase());
            (name, value.to_string())
        })
        .chain([("RINGBUS_BIND".to_string(), "127.0.0.2, ::1".to_string())])
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ok(&[], &env), expected);
    // ...and every variable is the one the table documents.
    for (name, _) in &env {
        assert!(PARAMS.iter().any(|p| p.env == Some(name)), "{name}");
    }
}

#[test]
fn the_invocation_tools_and_tests_use() {
    let cfg = ok(
        &[
            "--port",
            "7000",
            "--bind",
            "127.0.0.1",
            "--metrics-addr",
            "127.0.0.1:0",
            "--track",
            "chat=50",
        ],
        &[],
    );
    assert_eq!(cfg.port, 7000);
    assert_eq!(cfg.bind, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    assert_eq!(cfg.metrics_addr.map(|a| a.port()), Some(0));
    assert_eq!(parse::render_tracks(&cfg.tracks), "chat=50");
}

#[test]
fn tracks_and_bind_on_the_command_line() {
    let cfg = ok(&["--track", "a=1", "--track", "b=2,max-age=1h"], &[]);
    assert_eq!(parse::render_tracks(&cfg.tracks), "a=1 b=2,max-age=3600s");
    let cfg = ok(&[], &[("RINGBUS_TRACK", "a=1 b=2")]);
    assert_eq!(parse::render_tracks(&cfg.tracks), "a=1 b=2");
    let cfg = ok(&["--bind", "127.0.0.1,::1", "--bind", "0.0.0.0"], &[]);
    assert_eq!(
        values::render(&cfg, values::Param::Bind),
        "127.0.0.1 ::1 0.0.0.0"
    );
    assert_eq!(
        err(&["--track", "a=1", "--track", "a=2"], &[]),
        "invalid value 'a=1 a=2' for --track: duplicate track name 'a': track names must be unique"
    );
    assert_eq!(
        err(&["--track", "a=1", "--track", "b"], &[]),
        "invalid value 'b' for --track: expected NAME=CAPACITY[,max-age=DURATION], e.g. conversation=1000,max-age=24h"
    );
    assert_eq!(
        err(&["--track", "a=1,max-age=soon"], &[]),
        "invalid value 'a=1,max-age=soon' for --track: max-age 'soon' of track 'a' must be a duration such as 30s, 5m or 24h"
    );
    assert!("x=3".parse::<TrackSpec>().is_ok());
    assert_eq!(
        "x=0".parse::<TrackSpec>().map_err(|e| e.to_string()),
        Err("invalid value 'x=0' for --track: capacity '0' of track 'x' must be a whole number >= 1".into())
    );
}

#[test]
fn load_errors_name_the_setting_and_what_is_accepted() {
    assert_eq!(
        err(&["--maxclients", "abc"], &[]),
        "invalid value 'abc' for --maxclients: expected a whole number between 1 and 4294967295"
    );
    assert_eq!(
        err(&[], &[("RINGBUS_PORT", "70000")]),
        "invalid value '70000' for RINGBUS_PORT: expected a port number between 0 and 65535 (0 picks a free port)"
    );
    assert_eq!(
        err(&["--default-capacity", "0"], &[]),
        "invalid value '0' for --default-capacity: expected a whole number >= 1"
    );
    assert_eq!(
        err(&["--proto-max-bulk-len", "1000"], &[]),
        "invalid value '1000' for --proto-max-bulk-len: expected a byte size between 1mb (1048576) and 9223372036854775807, such as 512mb"
    );
    assert_eq!(
        err(&["--metrics-addr", "localhost:9"], &[]),
        "invalid value 'localhost:9' for --metrics-addr: expected an IP address and port such as 127.0.0.1:9379 or [::1]:9379, or 'off'"
    );
    assert_eq!(
        err(&["--bind", "nowhere"], &[]),
        "invalid value 'nowhere' for --bind: expected one or more IP addresses separated by spaces or commas, e.g. 127.0.0.1 ::1"
    );
    assert_eq!(
        err(&[], &[("RINGBUS_WORKER_THREADS", "5000")]),
        "invalid value '5000' for RINGBUS_WORKER_THREADS: expected a whole number between 0 and 1024 (0 = one per CPU core)"
    );
    assert_eq!(
        err(&["--log-format", "xml"], &[]),
        "invalid value 'xml' for --log-format: expected 'text' or 'json'"
    );
    assert!(err(&["--log-level", "ringbus=loud"], &[])
        .starts_with("invalid value 'ringbus=loud' for --log-level: expected a log filter"));
    assert!(err(&["--session-idle-timeout", "soon"], &[]).starts_with(
        "invalid value 'soon' for --session-idle-timeout: expected a duration such as 30s"
    ));
    assert!(err(&["--config", "/nonexistent/ringbus.conf"], &[])
        .starts_with("cannot read config file '/nonexistent/ringbus.conf': "));
    let file = TempFile::new("bad-line", "port 1\nnope 2\n");
    assert_eq!(
        err(&["--config", file.path()], &[]),
        format!("{}:2: unknown setting 'nope'", file.path())
    );
    // Negative numbers reach the validation, which names the setting on one line.
    assert_eq!(
        err(&["--timeout", "-1"], &[]),
        "invalid value '-1' for --timeout: expected a whole number of seconds between 0 and 2147483647 (0 disables)"
    );
    // A repeated flag: the last one wins.
    assert_eq!(ok(&["--port", "1", "--port", "2"], &[]).port, 2);
}

#[test]
fn clap_outcomes_pass_through() {
    for (args, kind) in [
        (&["--help"][..], clap::error::ErrorKind::DisplayHelp),
        (&["-h"][..], clap::error::ErrorKind::DisplayHelp),
        (&["--version"][..], clap::error::ErrorKind::DisplayVersion),
        (&["--bogus"][..], clap::error::ErrorKind::UnknownArgument),
        (&["--port"][..], clap::error::ErrorKind::InvalidValue),
    ] {
        match load(args, &[]) {
            Err(ConfigError::Cli(e)) => assert_eq!(e.kind(), kind, "{args:?}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
}

#[test]
fn help_documents_every_setting_with_its_default_and_env_var() {
    let help = command().term_width(10_000).render_long_help().to_string();
    for info in PARAMS {
        if let (Some(flag), Some(env)) = (info.flag, info.env) {
            let start = help
                .find(&format!("      {flag} "))
                .unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
            let rest = &help[start + 6..];
            let end = rest.find("\n      --").unwrap_or(rest.len());
            let line = &rest[..end];
            assert!(line.contains(flag), "{flag} missing:\n{help}");
            assert!(
                line.contains("[default: "),
                "{flag} has no default:\n{line}"
            );
            assert!(
                line.contains(&format!("[env: {env}")),
                "{flag} lacks {env}:\n{line}"
            );
        }
    }
    for needle in [
        "--config",
        "RINGBUS_CONFIG",
        "RUST_LOG",
        "Precedence",
        "track conversation",
    ] {
        assert!(help.contains(needle), "{needle} missing:\n{help}");
    }
    // The short help renders too.
    assert!(command().render_help().to_string().contains("--maxmemory"));
}

#[test]
fn help_hides_the_password_from_the_environment() {
    let help = command().term_width(10_000).render_long_help().to_string();
    assert!(help.contains("[env: RINGBUS_REQUIREPASS]"));
    assert!(!help.contains("RINGBUS_REQUIREPASS="));
}

#[test]
fn config_get_renders_like_redis() {
    let cfg = Config::default();
    let get = |p: &str| cfg.get(p.as_bytes());
    let names = |p: &str| get(p).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    assert_eq!(
        names("*max*"),
        [
            "maxclients",
            "maxmemory",
            "proto-max-bulk-len",
            "stream-node-max-entries",
            "stream-node-max-bytes"
        ]
    );
    assert_eq!(get("MAXMEMORY"), [("maxmemory", "0".to_string())]);
    assert_eq!(
        get("proto-max-bulk-len"),
        [("proto-max-bulk-len", "536870912".to_string())]
    );
    assert_eq!(get("client-query-buffer-limit")[0].1, "1073741824");
    assert_eq!(get("bind")[0].1, "127.0.0.1");
    assert_eq!(get("port")[0].1, "6379");
    assert_eq!(get("metrics-addr")[0].1, "127.0.0.1:9379");
    assert_eq!(get("tracks")[0].1, "conversation=1000 insights=1000");
    assert_eq!(get("session-idle-timeout")[0].1, "86400");
    assert_eq!(get("timeout")[0].1, "0");
    assert_eq!(get("requirepass")[0].1, "");
    assert_eq!(get("save"), [("save", String::new())]);
    assert_eq!(get("appendonly"), [("appendonly", "no".to_string())]);
    assert_eq!(get("databases"), [("databases", "16".to_string())]);
    assert_eq!(get("worker-threads"), [("worker-threads", "0".to_string())]);
    assert_eq!(get("loglevel")[0].1, "info");
    assert_eq!(get("log-format")[0].1, "text");
    assert!(get("nosuch").is_empty());
    assert_eq!(get("*").len(), PARAMS.len());
    // Several patterns: each parameter once.
    let many = cfg.get_many(&[b"max*", b"maxmemory", b"port"]);
    assert_eq!(
        many.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["port", "maxclients", "maxmemory"]
    );
}

fn set(cfg: &mut Config, pairs: &[(&str, &str)]) -> Result<(), String> {
    let pairs: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    cfg.set(&pairs).map_err(|e| e.to_string())
}

#[test]
fn config_set_error_texts_match_redis() {
    let mut cfg = Config::default();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("foo", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (&[("Foo", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'Foo'"),
        (
            &[("timeout", "1"), ("timeout", "2")],
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter",
        ),
        (
            &[("TIMEOUT", "1"), ("Timeout", "2")],
            "ERR CONFIG SET failed (possibly related to argument 'Timeout') - duplicate parameter",
        ),
        (
            &[("databases", "3")],
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
        ),
        (
            &[("DATABASES", "3")],
            "ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config",
        ),
        // The first failing name decides, as in Redis.
        (
            &[("databases", "1"), ("foo", "2")],
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
        ),
        (&[("foo", "2"), ("databases", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (
            &[("worker-threads", "1")],
            "ERR CONFIG SET failed (possibly related to argument 'worker-threads') - can't set immutable config",
        ),
        (
            &[("maxclients", "abc")],
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
        ),
        (
            &[("maxclients", "05")],
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
        ),
        (
            &[("maxclients", "0")],
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive",
        ),
        (
            &[("maxclients", "-5")],
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive",
        ),
        (
            &[("MAXCLIENTS", "18446744073709551616")],
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
        ),
        (
            &[("timeout", "-1")],
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive",
        ),
        (
            &[("timeout", "")],
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer",
        ),
        (
            &[("maxmemory", "abc")],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
        ),
        (
            &[("maxmemory", "-1")],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
        ),
        (
            &[("proto-max-bulk-len", "1000")],
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            &[("proto-max-bulk-len", "99999999999999999999")],
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            &[("client-query-buffer-limit", "1")],
            "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            &[("stream-node-max-entries", "-1")],
            "ERR CONFIG SET failed (possibly related to argument 'stream-node-max-entries') - argument must be between 0 and 9223372036854775807 inclusive",
        ),
        (
            &[("stream-node-max-entries", "1k")],
            "ERR CONFIG SET failed (possibly related to argument 'stream-node-max-entries') - argument couldn't be parsed into an integer",
        ),
        (
            &[("stream-node-max-bytes", "-1")],
            "ERR CONFIG SET failed (possibly related to argument 'stream-node-max-bytes') - argument must be a memory value",
        ),
        (
            &[("stream-node-max-bytes", "99999999999999999999")],
            "ERR CONFIG SET failed (possibly related to argument 'stream-node-max-bytes') - argument must be between 0 and 9223372036854775807 inclusive",
        ),
        (
            &[("appendonly", "maybe")],
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'",
        ),
        (
            &[("appendonly", "yes")],
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'no' (ringbus persists nothing)",
        ),
        (
            &[("save", "3600 1")],
            "ERR CONFIG SET failed (possibly related to argument 'save') - argument must be '' (ringbus persists nothing)",
        ),
        (
            &[("default-capacity", "0")],
            "ERR CONFIG SET failed (possibly related to argument 'default-capacity') - argument must be between 1 and 9223372036854775807 inclusive",
        ),
        (
            &[("tracks", "a=1 a=2")],
            "ERR CONFIG SET failed (possibly related to argument 'tracks') - duplicate track name 'a': track names must be unique",
        ),
        (
            &[("tracks", "a=x")],
            "ERR CONFIG SET failed (possibly related to argument 'tracks') - invalid track 'a=x': capacity 'x' of track 'a' must be a whole number >= 1",
        ),
        (
            &[("tracks", "")],
            "ERR CONFIG SET failed (possibly related to argument 'tracks') - expected one or more tracks NAME=CAPACITY[,max-age=DURATION] separated by spaces",
        ),
        (
            &[("session-idle-timeout", "soon")],
            "ERR CONFIG SET failed (possibly related to argument 'session-idle-timeout') - argument must be a duration such as 30s, 5m or 24h, or a whole number of seconds (0 disables)",
        ),
        (
            &[("port", "1")],
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config",
        ),
        (
            &[("bind", "0.0.0.0")],
            "ERR CONFIG SET failed (possibly related to argument 'bind') - can't set immutable config",
        ),
        (
            &[("metrics-addr", "off")],
            "ERR CONFIG SET failed (possibly related to argument 'metrics-addr') - can't set immutable config",
        ),
        (
            &[("log-format", "json")],
            "ERR CONFIG SET failed (possibly related to argument 'log-format') - can't set immutable config",
        ),
    ];
    for (pairs, text) in cases {
        assert_eq!(set(&mut cfg, pairs), Err(text.to_string()), "{pairs:?}");
        assert_eq!(cfg, Config::default(), "{pairs:?} changed the config");
    }
    assert!(set(&mut cfg, &[("loglevel", "ringbus=loud")])
        .is_err_and(|e| e.starts_with("ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument must be a log filter")));
    let bad_utf8: &[(&[u8], &[u8])] = &[(b"requirepass", b"\xff")];
    assert!(cfg.set(bad_utf8).is_err());
    assert_eq!(cfg, Config::default());
}

#[test]
fn config_set_is_all_or_nothing() {
    let mut cfg = Config::default();
    // A bad value after good ones changes nothing; the bad one is named canonically.
    assert_eq!(
        set(&mut cfg, &[("timeout", "5"), ("MAXCLIENTS", "abc")]),
        Err("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer".into())
    );
    assert_eq!(cfg, Config::default());
    // The first bad value in order is reported.
    assert_eq!(
        set(&mut cfg, &[("timeout", "-1"), ("maxclients", "abc")]),
        Err("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive".into())
    );

    // All good: all applied.
    assert_eq!(
        set(
            &mut cfg,
            &[
                ("timeout", "5"),
                ("maxclients", "50"),
                ("maxmemory", "1gb"),
                ("tracks", "conversation=10 insights=20,max-age=1h"),
                ("default-capacity", "3"),
                ("session-idle-timeout", "1h"),
                ("requirepass", "pw"),
                ("proto-max-bulk-len", "2mb"),
                ("client-query-buffer-limit", "4mb"),
                ("stream-node-max-entries", "0"),
                ("stream-node-max-bytes", "8kb"),
                ("loglevel", "warning"),
                ("save", ""),
                ("appendonly", "NO"),
            ]
        ),
        Ok(())
    );
    assert_eq!(cfg.timeout, Some(Duration::from_secs(5)));
    assert_eq!(cfg.maxclients, 50);
    assert_eq!(cfg.get(b"maxmemory")[0].1, "1073741824");
    assert_eq!(
        cfg.get(b"tracks")[0].1,
        "conversation=10 insights=20,max-age=3600s"
    );
    assert_eq!(cfg.get(b"session-idle-timeout")[0].1, "3600");
    assert_eq!(cfg.get(b"requirepass")[0].1, "pw");
    assert_eq!(cfg.get(b"loglevel")[0].1, "warn");
    assert!(cfg.validate().is_ok());

    // Clearing: requirepass "" removes the password, 0 disables the timeouts.
    assert_eq!(
        set(
            &mut cfg,
            &[
                ("requirepass", ""),
                ("timeout", "0"),
                ("session-idle-timeout", "0")
            ]
        ),
        Ok(())
    );
    assert_eq!(cfg.requirepass, None);
    assert_eq!(cfg.timeout, None);
    assert_eq!(cfg.session_idle_timeout, None);

    // Every value CONFIG GET shows for a mutable parameter is accepted back by SET.
    let before = cfg.clone();
    let all = cfg.get(b"*");
    let pairs: Vec<(&[u8], &[u8])> = all
        .iter()
        .filter(|(name, _)| Config::is_mutable(name) == Some(true))
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    assert_eq!(cfg.set(&pairs).map_err(|e| e.to_string()), Ok(()));
    assert_eq!(cfg, before);
    assert_eq!(cfg.set(&[]).map_err(|e| e.to_string()), Ok(()));
}

#[test]
fn mutability_is_as_documented() {
    let immutable = [
        "port",
        "bind",
        "metrics-addr",
        "databases",
        "worker-threads",
        "log-format",
    ];
    for name in Config::parameter_names() {
        assert_eq!(
            Config::is_mutable(name),
            Some(!immutable.contains(&name)),
            "{name}"
        );
    }
    assert_eq!(Config::is_mutable("nosuch"), None);
    assert_eq!(Config::is_mutable("MAXMEMORY"), Some(true));
}

#[test]
fn validate_catches_hand_built_mistakes() {
    let mut cfg = Config::default();
    cfg.tracks.push(cfg.tracks[0].clone());
    assert_eq!(
        cfg.validate().map_err(|e| e.to_string()),
        Err("invalid value 'conversation=1000 insights=1000 conversation=1000' for tracks: duplicate track name 'conversation': track names must be unique".into())
    );
    let cfg = Config {
        maxclients: 0,
        ..Config::default()
    };
    assert!(cfg.validate().is_err());
    let mut cfg = Config::default();
    cfg.bind.clear();
    assert!(cfg.validate().is_err());
}
