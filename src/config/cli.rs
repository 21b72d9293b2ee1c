//! The command line: one flag per setting, each also read from `RINGBUS_<SETTING>`.
//!
//! Every flag is an `Option<String>` without a clap default: the config file sits
//! between the environment and the defaults, so the merge happens in
//! [`super::Config::from_args_and_env`], and every value goes through the same
//! validation as the file and `CONFIG SET`.

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, CommandFactory, FromArgMatches, Parser};

use super::values::Param;

/// The clap id of `--config`.
pub(crate) const CONFIG_ID: &str = "config";
/// The environment variable naming the config file.
pub(crate) const CONFIG_ENV: &str = "RINGBUS_CONFIG";

const AFTER_HELP: &str = "\
Precedence: command-line flag > RINGBUS_* environment variable > config file > default.
An empty environment variable counts as unset.

Config file: one setting per line, `name value...`, with the CONFIG GET/SET names
(port, bind, metrics-addr, track, tracks, default-capacity, session-idle-timeout,
requirepass, maxclients, maxmemory, timeout, proto-max-bulk-len,
client-query-buffer-limit, client-output-buffer-limit, stream-node-max-entries, stream-node-max-bytes, databases,
worker-threads, log-format, loglevel). `#` starts a comment line; values may be \"double-quoted\".
Example:
    port 6380
    bind 127.0.0.1 ::1
    track conversation=1000,max-age=1h
    track insights=500

Byte sizes take Redis's units: k=1000, kb=1024, m, mb, g, gb (case-insensitive).
Durations: 30s, 5m, 24h, 1h30m, or a whole number of seconds.";

/// ringbus: a Redis-compatible event broker. Every stream is a capped in-memory ring
/// buffer; streams are grouped into sessions of named tracks.
#[derive(Parser, Debug)]
#[command(
    name = "ringbus",
    version,
    after_long_help = AFTER_HELP,
    max_term_width = 100,
    allow_negative_numbers = true,
    args_override_self = true
)]
pub(crate) struct Cli {
    /// IP addresses to listen on: one or more, separated by spaces or commas
    /// [default: 127.0.0.1]
    #[arg(long, env = "RINGBUS_BIND", value_name = "ADDR", num_args = 1.., action = ArgAction::Append)]
    bind: Vec<String>,

    /// TCP port for Redis clients; 0 picks a free port and logs it [default: 6379]
    #[arg(long, env = "RINGBUS_PORT", value_name = "PORT")]
    port: Option<String>,

    /// Address of the Prometheus endpoint (GET /metrics); `off` disables it; port 0
    /// picks a free port [default: 127.0.0.1:9379]
    #[arg(long, env = "RINGBUS_METRICS_ADDR", value_name = "ADDR|off")]
    metrics_addr: Option<String>,

    /// A track: keys `<session>:NAME` keep the last CAP entries, and entries older than
    /// max-age (if given) are dropped. Repeatable; any --track replaces the defaults. In
    /// the environment, separate tracks with spaces
    /// [default: conversation=1000 insights=1000]
    #[arg(long, env = "RINGBUS_TRACK", value_name = "NAME=CAP[,max-age=DUR]", action = ArgAction::Append)]
    track: Vec<String>,

    /// Capacity of a stream whose key names no configured track [default: 1000]
    #[arg(long, env = "RINGBUS_DEFAULT_CAPACITY", value_name = "N")]
    default_capacity: Option<String>,

    /// End a session after this long without an append to any of its tracks; a
    /// duration (30s, 5m, 24h) or whole seconds; 0 disables [default: 24h]
    #[arg(long, env = "RINGBUS_SESSION_IDLE_TIMEOUT", value_name = "DUR")]
    session_idle_timeout: Option<String>,

    /// Require clients to AUTH with this password. Without one, only loopback clients
    /// are accepted [default: none]
    #[arg(
        long,
        env = "RINGBUS_REQUIREPASS",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    requirepass: Option<String>,

    /// With no requirepass, serve only loopback clients (yes|no), as Redis [default: yes]
    #[arg(long, env = "RINGBUS_PROTECTED_MODE", value_name = "yes|no")]
    protected_mode: Option<String>,

    /// Maximum number of connected clients, 1 to 4294967295 [default: 10000]
    #[arg(long, env = "RINGBUS_MAXCLIENTS", value_name = "N")]
    maxclients: Option<String>,

    /// Memory limit in bytes (units: k, kb, m, mb, g, gb); 0 = no limit [default: 0]
    #[arg(long, env = "RINGBUS_MAXMEMORY", value_name = "BYTES")]
    maxmemory: Option<String>,

    /// Close a client after this many seconds idle; 0 = never [default: 0]
    #[arg(long, env = "RINGBUS_TIMEOUT", value_name = "SECONDS")]
    timeout: Option<String>,

    /// Largest bulk string in a request, at least 1mb [default: 512mb]
    #[arg(long, env = "RINGBUS_PROTO_MAX_BULK_LEN", value_name = "BYTES")]
    proto_max_bulk_len: Option<String>,

    /// Largest unparsed request buffer per client, at least 1mb [default: 1gb]
    #[arg(long, env = "RINGBUS_CLIENT_QUERY_BUFFER_LIMIT", value_name = "BYTES")]
    client_query_buffer_limit: Option<String>,

    /// Disconnect a client whose unsent output passes HARD bytes, or stays above SOFT
    /// bytes for SECONDS; per class (normal, pubsub, replica), e.g. 'pubsub 32mb 8mb
    /// 60'; 0 = no limit [default: normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60]
    #[arg(
        long,
        env = "RINGBUS_CLIENT_OUTPUT_BUFFER_LIMIT",
        value_name = "CLASS HARD SOFT SECONDS"
    )]
    client_output_buffer_limit: Option<String>,

    /// Entries per internal stream node, as Redis; 0 = no limit [default: 100]
    #[arg(long, env = "RINGBUS_STREAM_NODE_MAX_ENTRIES", value_name = "N")]
    stream_node_max_entries: Option<String>,

    /// Bytes per internal stream node, as Redis; 0 = no limit [default: 4096]
    #[arg(long, env = "RINGBUS_STREAM_NODE_MAX_BYTES", value_name = "BYTES")]
    stream_node_max_bytes: Option<String>,

    /// Number of databases (SELECT 0..N-1) [default: 16]
    #[arg(long, env = "RINGBUS_DATABASES", value_name = "N")]
    databases: Option<String>,

    /// Threads serving clients, at most 1024; 0 = one per CPU core [default: 0]
    #[arg(long, env = "RINGBUS_WORKER_THREADS", value_name = "N")]
    worker_threads: Option<String>,

    /// Read settings from this config file (see below) [default: none]
    #[arg(long, env = "RINGBUS_CONFIG", value_name = "FILE")]
    config: Option<String>,

    /// Log output format: text or json [default: text]
    #[arg(long, env = "RINGBUS_LOG_FORMAT", value_name = "text|json")]
    log_format: Option<String>,

    /// Log filter, as tracing's EnvFilter: info, debug, ringbus=debug,warn. When not
    /// given (here, in the environment or in the file), RUST_LOG is honoured
    /// [default: info]
    #[arg(long, env = "RINGBUS_LOG_LEVEL", value_name = "FILTER")]
    log_level: Option<String>,
}

/// The clap command: parse with it, or render `--help` from it.
pub fn command() -> clap::Command {
    Cli::command()
}

/// What was typed on the command line (not what clap took from the environment).
pub(crate) struct Typed {
    /// `--config`.
    pub config: Option<String>,
    /// The values of each flag given, in table order.
    pub given: Vec<(Param, Vec<String>)>,
}

/// Collects the values typed on the command line.
pub(crate) fn typed(matches: &ArgMatches) -> Result<Typed, clap::Error> {
    let cli = Cli::from_arg_matches(matches)?;
    let typed = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let one = |id: &str, value: Option<String>| value.filter(|_| typed(id)).map(|v| vec![v]);
    let many = |id: &str, values: Vec<String>| Some(values).filter(|v| typed(id) && !v.is_empty());
    let all = [
        (Param::Bind, many("bind", cli.bind)),
        (Param::Port, one("port", cli.port)),
        (Param::MetricsAddr, one("metrics_addr", cli.metrics_addr)),
        (Param::Tracks, many("track", cli.track)),
        (
            Param::DefaultCapacity,
            one("default_capacity", cli.default_capacity),
        ),
        (
            Param::SessionIdleTimeout,
            one("session_idle_timeout", cli.session_idle_timeout),
        ),
        (Param::Requirepass, one("requirepass", cli.requirepass)),
        (
            Param::ProtectedMode,
            one("protected_mode", cli.protected_mode),
        ),
        (Param::Maxclients, one("maxclients", cli.maxclients)),
        (Param::Maxmemory, one("maxmemory", cli.maxmemory)),
        (Param::Timeout, one("timeout", cli.timeout)),
        (
            Param::ProtoMaxBulkLen,
            one("proto_max_bulk_len", cli.proto_max_bulk_len),
        ),
        (
            Param::ClientQueryBufferLimit,
            one("client_query_buffer_limit", cli.client_query_buffer_limit),
        ),
        (
            Param::ClientOutputBufferLimit,
            one("client_output_buffer_limit", cli.client_output_buffer_limit),
        ),
        (
            Param::StreamNodeMaxEntries,
            one("stream_node_max_entries", cli.stream_node_max_entries),
        ),
        (
            Param::StreamNodeMaxBytes,
            one("stream_node_max_bytes", cli.stream_node_max_bytes),
        ),
        (Param::Databases, one("databases", cli.databases)),
        (
            Param::WorkerThreads,
            one("worker_threads", cli.worker_threads),
        ),
        (Param::LogFormat, one("log_format", cli.log_format)),
        (Param::Loglevel, one("log_level", cli.log_level)),
    ];
    let config = cli.config.filter(|_| typed(CONFIG_ID));
    let given = all
        .into_iter()
        .filter_map(|(param, values)| values.map(|v| (param, v)))
        .collect();
    Ok(Typed { config, given })
}
