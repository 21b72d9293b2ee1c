//! The parameter table and the one set of value rules that the config file, the
//! environment, the command line and `CONFIG SET` all share.

use std::time::Duration;

use super::parse::{
    parse_bind, parse_duration, parse_int, parse_log_format, parse_log_level, parse_mem,
    parse_metrics_addr, parse_tracks, render_duration, render_tracks,
};
use super::{output_limits, Config, LogFormat};

/// The largest count a setting accepts: Redis's `LONG_MAX`, or `usize::MAX` if smaller.
pub(crate) const MAX_COUNT: i64 = if (usize::MAX as u128) < (i64::MAX as u128) {
    usize::MAX as i64
} else {
    i64::MAX
};

/// Redis's `LONG_MAX`, the upper bound of its byte-size settings.
const LONG_MAX: u64 = i64::MAX as u64;

/// The most worker threads `worker-threads` accepts: far past any core count, and
/// low enough that a typo cannot make the process start thousands of threads.
pub(crate) const MAX_WORKER_THREADS: usize = 1024;

/// One megabyte (1mb = 1048576 bytes), the lower bound Redis puts on its buffer limits.
const MB: u64 = 1024 * 1024;

/// Which field of [`Config`] a parameter reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    Port,
    Bind,
    MetricsAddr,
    Tracks,
    DefaultCapacity,
    SessionIdleTimeout,
    Requirepass,
    ProtectedMode,
    Maxclients,
    Maxmemory,
    Timeout,
    ProtoMaxBulkLen,
    ClientQueryBufferLimit,
    ClientOutputBufferLimit,
    StreamNodeMaxEntries,
    StreamNodeMaxBytes,
    Databases,
    WorkerThreads,
    LogFormat,
    Loglevel,
    Save,
    Appendonly,
}

/// How a parameter's value is parsed, which decides Redis's error texts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A whole number parsed as Redis's `string2ll`, within `min..=max`.
    Int { min: i64, max: i64 },
    /// A byte size parsed as Redis's `memtoull`, within `min..=max`.
    Mem { min: u64, max: u64 },
    /// Anything else, with its own parser.
    Other,
}

/// One row of the parameter table.
#[derive(Debug)]
pub(crate) struct ParamInfo {
    pub param: Param,
    /// The name in `CONFIG GET/SET` and in the config file.
    pub name: &'static str,
    /// The long flag as a user types it.
    pub flag: Option<&'static str>,
    /// The environment variable.
    pub env: Option<&'static str>,
    /// Whether `CONFIG SET` may change it.
    pub mutable: bool,
    pub kind: Kind,
    /// What is accepted, completing both "expected ..." and "argument must be ...".
    pub accepts: &'static str,
}

const fn row(
    param: Param,
    name: &'static str,
    cli: Option<(&'static str, &'static str)>,
    mutable: bool,
    kind: Kind,
    accepts: &'static str,
) -> ParamInfo {
    let (flag, env) = match cli {
        Some((flag, env)) => (Some(flag), Some(env)),
        None => (None, None),
    };
    ParamInfo {
        param,
        name,
        flag,
        env,
        mutable,
        kind,
        accepts,
    }
}

const DURATION_ACCEPTS: &str =
    "a duration such as 30s, 5m or 24h, or a whole number of seconds (0 disables)";

/// Every parameter, in the order `CONFIG GET *` lists them.
pub(crate) static PARAMS: &[ParamInfo] = &[
    row(
        Param::Port,
        "port",
        Some(("--port", "RINGBUS_PORT")),
        false,
        Kind::Int { min: 0, max: 65535 },
        "a port number between 0 and 65535 (0 picks a free port)",
    ),
    row(
        Param::Bind,
        "bind",
        Some(("--bind", "RINGBUS_BIND")),
        false,
        Kind::Other,
        "one or more IP addresses separated by spaces or commas, e.g. 127.0.0.1 ::1",
    ),
    row(
        Param::MetricsAddr,
        "metrics-addr",
        Some(("--metrics-addr", "RINGBUS_METRICS_ADDR")),
        false,
        Kind::Other,
        "an IP address and port such as 127.0.0.1:9379 or [::1]:9379, or 'off'",
    ),
    row(
        Param::Tracks,
        "tracks",
        Some(("--track", "RINGBUS_TRACK")),
        true,
        Kind::Other,
        "one or more tracks NAME=CAPACITY[,max-age=DURATION] separated by spaces",
    ),
    row(
        Param::DefaultCapacity,
        "default-capacity",
        Some(("--default-capacity", "RINGBUS_DEFAULT_CAPACITY")),
        true,
        Kind::Int {
            min: 1,
            max: MAX_COUNT,
        },
        "a whole number >= 1",
    ),
    row(
        Param::SessionIdleTimeout,
        "session-idle-timeout",
        Some(("--session-idle-timeout", "RINGBUS_SESSION_IDLE_TIMEOUT")),
        true,
        Kind::Other,
        DURATION_ACCEPTS,
    ),
    row(
        Param::Requirepass,
        "requirepass",
        Some(("--requirepass", "RINGBUS_REQUIREPASS")),
        true,
        Kind::Other,
        "valid UTF-8",
    ),
    row(
        Param::Maxclients,
        "maxclients",
        Some(("--maxclients", "RINGBUS_MAXCLIENTS")),
        true,
        Kind::Int {
            min: 1,
            max: u32::MAX as i64,
        },
        "a whole number between 1 and 4294967295",
    ),
    row(
        Param::Maxmemory,
        "maxmemory",
        Some(("--maxmemory", "RINGBUS_MAXMEMORY")),
        true,
        Kind::Mem {
            min: 0,
            max: u64::MAX,
        },
        "a byte size such as 1048576, 100mb or 2gb (k/m/g = powers of 1000, kb/mb/gb = powers of 1024; 0 = no limit)",
    ),
    row(
        Param::ProtectedMode,
        "protected-mode",
        Some(("--protected-mode", "RINGBUS_PROTECTED_MODE")),
        true,
        Kind::Other,
        "'yes' or 'no'",
    ),
    row(
        Param::Timeout,
        "timeout",
        Some(("--timeout", "RINGBUS_TIMEOUT")),
        true,
        Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
        "a whole number of seconds between 0 and 2147483647 (0 disables)",
    ),
    row(
        Param::ProtoMaxBulkLen,
        "proto-max-bulk-len",
        Some(("--proto-max-bulk-len", "RINGBUS_PROTO_MAX_BULK_LEN")),
        true,
        Kind::Mem {
            min: MB,
            max: LONG_MAX,
        },
        "a byte size between 1mb (1048576) and 9223372036854775807, such as 512mb",
    ),
    row(
        Param::ClientQueryBufferLimit,
        "client-query-buffer-limit",
        Some(("--client-query-buffer-limit", "RINGBUS_CLIENT_QUERY_BUFFER_LIMIT")),
        true,
        Kind::Mem {
            min: MB,
            max: LONG_MAX,
        },
        "a byte size between 1mb (1048576) and 9223372036854775807, such as 1gb",
    ),
    row(
        Param::ClientOutputBufferLimit,
        "client-output-buffer-limit",
        Some((
            "--client-output-buffer-limit",
            "RINGBUS_CLIENT_OUTPUT_BUFFER_LIMIT",
        )),
        true,
        Kind::Other,
        "groups of 'CLASS HARD SOFT SECONDS' with CLASS normal, replica or pubsub and byte sizes such as 32mb, e.g. 'pubsub 32mb 8mb 60'",
    ),
    row(
        Param::StreamNodeMaxEntries,
        "stream-node-max-entries",
        Some(("--stream-node-max-entries", "RINGBUS_STREAM_NODE_MAX_ENTRIES")),
        true,
        Kind::Int {
            min: 0,
            max: MAX_COUNT,
        },
        "a whole number >= 0 (0 = no limit)",
    ),
    row(
        Param::StreamNodeMaxBytes,
        "stream-node-max-bytes",
        Some(("--stream-node-max-bytes", "RINGBUS_STREAM_NODE_MAX_BYTES")),
        true,
        Kind::Mem {
            min: 0,
            max: LONG_MAX,
        },
        "a byte size such as 4096 or 8kb (0 = no limit)",
    ),
    row(
        Param::Databases,
        "databases",
        Some(("--databases", "RINGBUS_DATABASES")),
        false,
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "a whole number between 1 and 2147483647",
    ),
    row(
        Param::WorkerThreads,
        "worker-threads",
        Some(("--worker-threads", "RINGBUS_WORKER_THREADS")),
        false,
        Kind::Int {
            min: 0,
            max: MAX_WORKER_THREADS as i64,
        },
        "a whole number between 0 and 1024 (0 = one per CPU core)",
    ),
    row(
        Param::LogFormat,
        "log-format",
        Some(("--log-format", "RINGBUS_LOG_FORMAT")),
        false,
        Kind::Other,
        "'text' or 'json'",
    ),
    row(
        Param::Loglevel,
        "loglevel",
        Some(("--log-level", "RINGBUS_LOG_LEVEL")),
        true,
        Kind::Other,
        "a log filter such as info, warn, debug or ringbus=debug,info (Redis's debug, verbose, notice and warning also work)",
    ),
    row(
        Param::Save,
        "save",
        None,
        true,
        Kind::Other,
        "'' (ringbus persists nothing)",
    ),
    row(
        Param::Appendonly,
        "appendonly",
        None,
        true,
        Kind::Other,
        "'no' (ringbus persists nothing)",
    ),
];

/// The table row of `param`.
pub(crate) fn info(param: Param) -> &'static ParamInfo {
    // Every `Param` has exactly one row (checked by a test); the fallback is unreachable.
    PARAMS
        .iter()
        .find(|p| p.param == param)
        .unwrap_or(&PARAMS[0])
}

/// The row named `name` (ASCII case-insensitive), as `CONFIG SET` looks names up.
pub(crate) fn lookup(name: &[u8]) -> Option<&'static ParamInfo> {
    PARAMS
        .iter()
        .find(|p| p.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Why a value was refused. The caller turns it into a load-time message
/// ([`Problem::detail`]) or a Redis `CONFIG SET` reason ([`Problem::redis_reason`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not a whole number (Redis: "argument couldn't be parsed into an integer").
    NotInteger,
    /// Not a byte size (Redis: "argument must be a memory value").
    NotMemory,
    /// A number outside the parameter's bounds.
    Range { min: i128, max: i128 },
    /// Not one of the accepted values; the table's `accepts` says what is.
    Rejected,
    /// A fixed Redis reason, e.g. "argument must be 'yes' or 'no'".
    Redis(&'static str),
    /// One bad track spec inside a track list.
    Track { spec: String, detail: String },
    /// A whole-value problem with its own text, e.g. a duplicate track name.
    Detail(String),
}

impl Problem {
    /// The text after `- ` in `CONFIG SET failed (possibly related to argument '...') - `.
    pub(crate) fn redis_reason(&self, info: &ParamInfo) -> String {
        match self {
            Problem::NotInteger => "argument couldn't be parsed into an integer".to_string(),
            Problem::NotMemory => "argument must be a memory value".to_string(),
            Problem::Range { min, max } => {
                format!("argument must be between {min} and {max} inclusive")
            }
            Problem::Rejected => format!("argument must be {}", info.accepts),
            Problem::Redis(text) => (*text).to_string(),
            Problem::Track { spec, detail } => format!("invalid track '{spec}': {detail}"),
            Problem::Detail(text) => text.clone(),
        }
    }

    /// The load-time explanation that follows `invalid value '...' for SETTING: `.
    pub(crate) fn detail(&self, info: &ParamInfo) -> String {
        match self {
            Problem::Track { detail, .. } => detail.clone(),
            Problem::Detail(text) => text.clone(),
            _ => format!("expected {}", info.accepts),
        }
    }

    /// The value to quote in a load-time message when it is narrower than the whole input.
    pub(crate) fn value(&self) -> Option<&str> {
        match self {
            Problem::Track { spec, .. } => Some(spec),
            _ => None,
        }
    }
}

/// Renders a timeout in seconds as Redis does (`0` when disabled); a timeout that is
/// not a whole number of seconds keeps its unit (`1500ms`) so that it reads back.
fn render_timeout(d: Option<Duration>) -> String {
    match d {
        None => "0".to_string(),
        Some(d) if d.subsec_nanos() == 0 => d.as_secs().to_string(),
        Some(d) => render_duration(d),
    }
}

fn to_usize(v: i64) -> usize {
    // Bounds in the table keep every count within usize.
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Parses `value` for `param` and stores it in `cfg`. The single place where values
/// are validated, whatever their source.
pub(crate) fn apply(cfg: &mut Config, param: Param, value: &str) -> Result<(), Problem> {
    let info = info(param);
    let int = || match info.kind {
        Kind::Int { min, max } => parse_int(value, min, max),
        _ => Err(Problem::NotInteger),
    };
    let mem = || match info.kind {
        Kind::Mem { min, max } => parse_mem(value, min, max),
        _ => Err(Problem::NotMemory),
    };
    match param {
        Param::Port => cfg.port = u16::try_from(int()?).map_err(|_| Problem::Rejected)?,
        Param::Bind => cfg.bind = parse_bind(value)?,
        Param::MetricsAddr => cfg.metrics_addr = parse_metrics_addr(value)?,
        Param::Tracks => cfg.tracks = parse_tracks(value)?,
        Param::DefaultCapacity => cfg.default_capacity = to_usize(int()?),
        Param::SessionIdleTimeout => {
            let d = parse_duration(value).ok_or(Problem::Rejected)?;
            cfg.session_idle_timeout = (!d.is_zero()).then_some(d);
        }
        Param::Requirepass => {
            cfg.requirepass = (!value.is_empty()).then(|| value.to_string());
        }
        Param::ProtectedMode => {
            cfg.protected_mode = if value.eq_ignore_ascii_case("yes") {
                true
            } else if value.eq_ignore_ascii_case("no") {
                false
            } else {
                return Err(Problem::Redis("argument must be 'yes' or 'no'"));
            }
        }
        Param::Maxclients => cfg.maxclients = to_usize(int()?),
        Param::Maxmemory => cfg.maxmemory = mem()?,
        Param::Timeout => {
            let secs = int()?.unsigned_abs();
            cfg.timeout = (secs > 0).then(|| Duration::from_secs(secs));
        }
        Param::ProtoMaxBulkLen => cfg.proto_max_bulk_len = mem()?,
        Param::ClientQueryBufferLimit => cfg.client_query_buffer_limit = mem()?,
        Param::ClientOutputBufferLimit => {
            output_limits::apply(&mut cfg.client_output_buffer_limit, value)?;
        }
        Param::StreamNodeMaxEntries => cfg.stream_node_max_entries = to_usize(int()?),
        Param::StreamNodeMaxBytes => cfg.stream_node_max_bytes = mem()?,
        Param::Databases => cfg.databases = to_usize(int()?),
        Param::WorkerThreads => cfg.worker_threads = to_usize(int()?),
        Param::LogFormat => cfg.log_format = parse_log_format(value)?,
        Param::Loglevel => cfg.log_level = Some(parse_log_level(value)?),
        Param::Save => {
            // Redis's own syntax check first (pairs of integers), so malformed input
            // gets Redis's text; well-formed schedules are refused since nothing is saved.
            let parts: Vec<&str> = value.split_whitespace().collect();
            let numeric = parts.iter().all(|p| {
                !p.is_empty()
                    && p.trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit())
            });
            if parts.len() % 2 == 1 || !numeric {
                return Err(Problem::Redis("Invalid save parameters"));
            }
            if !parts.is_empty() {
                return Err(Problem::Rejected);
            }
        }
        Param::Appendonly => {
            if value.eq_ignore_ascii_case("yes") {
                return Err(Problem::Rejected);
            }
            if !value.eq_ignore_ascii_case("no") {
                return Err(Problem::Redis("argument must be 'yes' or 'no'"));
            }
        }
    }
    Ok(())
}

/// [`apply`] for a raw `CONFIG SET` argument, which may not be UTF-8.
pub(crate) fn apply_bytes(cfg: &mut Config, param: Param, value: &[u8]) -> Result<(), Problem> {
    match std::str::from_utf8(value) {
        Ok(s) => apply(cfg, param, s),
        Err(_) => Err(match info(param).kind {
            Kind::Int { .. } => Problem::NotInteger,
            Kind::Mem { .. } => Problem::NotMemory,
            Kind::Other if param == Param::Requirepass => Problem::Rejected,
            Kind::Other => Problem::Redis("argument must be valid UTF-8"),
        }),
    }
}

/// Renders `param` of `cfg` as `CONFIG GET` shows it.
pub(crate) fn render(cfg: &Config, param: Param) -> String {
    match param {
        Param::Port => cfg.port.to_string(),
        Param::Bind => cfg
            .bind
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        Param::MetricsAddr => match cfg.metrics_addr {
            Some(addr) => addr.to_string(),
            None => "off".to_string(),
        },
        Param::Tracks => render_tracks(&cfg.tracks),
        Param::DefaultCapacity => cfg.default_capacity.to_string(),
        Param::SessionIdleTimeout => render_timeout(cfg.session_idle_timeout),
        Param::Requirepass => cfg.requirepass.clone().unwrap_or_default(),
        Param::ProtectedMode => if cfg.protected_mode { "yes" } else { "no" }.to_string(),
        Param::Maxclients => cfg.maxclients.to_string(),
        Param::Maxmemory => cfg.maxmemory.to_string(),
        Param::Timeout => render_timeout(cfg.timeout),
        Param::ProtoMaxBulkLen => cfg.proto_max_bulk_len.to_string(),
        Param::ClientQueryBufferLimit => cfg.client_query_buffer_limit.to_string(),
        Param::ClientOutputBufferLimit => output_limits::render(&cfg.client_output_buffer_limit),
        Param::StreamNodeMaxEntries => cfg.stream_node_max_entries.to_string(),
        Param::StreamNodeMaxBytes => cfg.stream_node_max_bytes.to_string(),
        Param::Databases => cfg.databases.to_string(),
        Param::WorkerThreads => cfg.worker_threads.to_string(),
        Param::LogFormat => match cfg.log_format {
            LogFormat::Text => "text".to_string(),
            LogFormat::Json => "json".to_string(),
        },
        Param::Loglevel => cfg.log_level.as_deref().unwrap_or("info").to_string(),
        Param::Save => String::new(),
        Param::Appendonly => "no".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_param_has_one_row() {
        for p in PARAMS {
            assert_eq!(PARAMS.iter().filter(|q| q.param == p.param).count(), 1);
            assert_eq!(info(p.param).name, p.name);
            assert_eq!(
                lookup(p.name.to_ascii_uppercase().as_bytes()).map(|i| i.name),
                Some(p.name)
            );
        }
    }
}
