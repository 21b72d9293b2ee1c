//! The parameter table and the one set of value rules that the config file, the
//! environment, the command line and `CONFIG SET` all share.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{Config, LogFormat, TrackSpec};

/// The largest count a setting accepts: Redis's `LONG_MAX`, or `usize::MAX` if smaller.
pub(crate) const MAX_COUNT: i64 = if (usize::MAX as u128) < (i64::MAX as u128) {
    usize::MAX as i64
} else {
    i64::MAX
};

/// Redis's `LONG_MAX`, the upper bound of its byte-size settings.
const LONG_MAX: u64 = i64::MAX as u64;

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
    Maxclients,
    Maxmemory,
    Timeout,
    ProtoMaxBulkLen,
    ClientQueryBufferLimit,
    StreamNodeMaxEntries,
    StreamNodeMaxBytes,
    Databases,
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

/// Parses a whole number exactly as Redis's `string2ll`: an optional `-`, no `+`, no
/// spaces, no leading zeros, at most 20 characters, within `i64`.
pub(crate) fn string2ll(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    let v = i128::from(v);
    i64::try_from(if negative { -v } else { v }).ok()
}

/// Parses a byte size as Redis's `memtoull`: digits then an optional unit `b`, `k`
/// (1000), `kb` (1024), `m`, `mb`, `g` or `gb`, case-insensitive. As in Redis, no
/// digits at all means 0 and a number too large saturates (Redis would wrap when a
/// unit multiplies it; ringbus saturates there too).
pub(crate) fn memtoull(s: &str) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, unit) = s.split_at(n);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    // All ASCII digits, so parsing fails only on overflow, where strtoull saturates.
    let val = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(val.saturating_mul(mul))
}

/// A whole number within `min..=max`, with Redis's parse and range errors.
pub(crate) fn parse_int(s: &str, min: i64, max: i64) -> Result<i64, Problem> {
    let v = string2ll(s).ok_or(Problem::NotInteger)?;
    if v < min || v > max {
        return Err(Problem::Range {
            min: min.into(),
            max: max.into(),
        });
    }
    Ok(v)
}

/// A byte size within `min..=max`, with Redis's parse and range errors.
pub(crate) fn parse_mem(s: &str, min: u64, max: u64) -> Result<u64, Problem> {
    let v = memtoull(s).ok_or(Problem::NotMemory)?;
    if v < min || v > max {
        return Err(Problem::Range {
            min: min.into(),
            max: max.into(),
        });
    }
    Ok(v)
}

/// A duration: a whole number of seconds, or a humantime duration (`30s`, `5m`,
/// `24h`, `1h30m`, `1500ms`).
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|c| c.is_ascii_digit()) {
        return s.parse::<u64>().ok().map(Duration::from_secs);
    }
    humantime::parse_duration(s).ok()
}

/// Renders a duration so that [`parse_duration`] reads it back: `3600s`, `1500ms`.
pub(crate) fn render_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        format!("{}s", d.as_secs())
    } else if nanos % 1_000_000 == 0 {
        format!("{}ms", d.as_millis())
    } else if nanos % 1_000 == 0 {
        format!("{}us", d.as_micros())
    } else {
        format!("{}ns", d.as_nanos())
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

impl TrackSpec {
    /// Parses one `NAME=CAPACITY[,max-age=DURATION]`; the error is the explanation.
    pub(crate) fn parse_spec(spec: &str) -> Result<TrackSpec, String> {
        const SHAPE: &str =
            "expected NAME=CAPACITY[,max-age=DURATION], e.g. conversation=1000,max-age=24h";
        let mut parts = spec.split(',');
        let head = parts.next().unwrap_or_default();
        let Some((name, capacity)) = head.split_once('=') else {
            return Err(SHAPE.to_string());
        };
        if name.is_empty() || name.contains(|c: char| c == ':' || c.is_whitespace()) {
            return Err(format!(
                "track name '{name}' must be non-empty and contain no ':', '=', ',' or whitespace"
            ));
        }
        let capacity = parse_int(capacity, 1, MAX_COUNT)
            .ok()
            .and_then(|c| usize::try_from(c).ok())
            .ok_or_else(|| {
                format!("capacity '{capacity}' of track '{name}' must be a whole number >= 1")
            })?;
        let mut max_age = None;
        let mut seen_max_age = false;
        for option in parts {
            let (key, value) = option.split_once('=').unwrap_or((option, ""));
            if !key.eq_ignore_ascii_case("max-age") {
                return Err(format!(
                    "unknown option '{option}' for track '{name}': expected max-age=DURATION"
                ));
            }
            if seen_max_age {
                return Err(format!("max-age given twice for track '{name}'"));
            }
            seen_max_age = true;
            let age = parse_duration(value).ok_or_else(|| {
                format!(
                    "max-age '{value}' of track '{name}' must be a duration such as 30s, 5m or 24h"
                )
            })?;
            max_age = (!age.is_zero()).then_some(age);
        }
        Ok(TrackSpec {
            name: name.to_string(),
            capacity,
            max_age,
        })
    }
}

/// Parses track specs separated by whitespace; names must be unique. `what` prefixes
/// an empty list's message.
pub(crate) fn parse_tracks(value: &str) -> Result<Vec<TrackSpec>, Problem> {
    let mut tracks: Vec<TrackSpec> = Vec::new();
    for spec in value.split_whitespace() {
        let track = TrackSpec::parse_spec(spec).map_err(|detail| Problem::Track {
            spec: spec.to_string(),
            detail,
        })?;
        push_track(&mut tracks, track)?;
    }
    if tracks.is_empty() {
        return Err(Problem::Detail(
            "expected one or more tracks NAME=CAPACITY[,max-age=DURATION] separated by spaces"
                .to_string(),
        ));
    }
    Ok(tracks)
}

/// Appends `track`, refusing a name already in `tracks`.
pub(crate) fn push_track(tracks: &mut Vec<TrackSpec>, track: TrackSpec) -> Result<(), Problem> {
    if tracks.iter().any(|t| t.name == track.name) {
        return Err(Problem::Detail(format!(
            "duplicate track name '{}': track names must be unique",
            track.name
        )));
    }
    tracks.push(track);
    Ok(())
}

/// Renders tracks as `CONFIG GET tracks` shows them and `CONFIG SET tracks` reads them.
pub(crate) fn render_tracks(tracks: &[TrackSpec]) -> String {
    tracks
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_bind(value: &str) -> Result<Vec<IpAddr>, Problem> {
    let mut addrs: Vec<IpAddr> = Vec::new();
    for word in value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let addr: IpAddr = word.parse().map_err(|_| Problem::Rejected)?;
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        return Err(Problem::Rejected);
    }
    Ok(addrs)
}

fn parse_metrics_addr(value: &str) -> Result<Option<SocketAddr>, Problem> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| Problem::Rejected)
}

fn parse_log_format(value: &str) -> Result<LogFormat, Problem> {
    match value.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(Problem::Rejected),
    }
}

/// Validates a tracing `EnvFilter` string, mapping Redis's level names onto tracing's.
fn parse_log_level(value: &str) -> Result<String, Problem> {
    let filter = match value.to_ascii_lowercase().as_str() {
        "verbose" => "debug",
        "notice" => "info",
        "warning" => "warn",
        "nothing" => "off",
        _ => value.trim(),
    };
    if filter.is_empty() {
        return Err(Problem::Rejected);
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(filter)
        .map_err(|_| Problem::Rejected)?;
    Ok(filter.to_string())
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
        Param::Maxclients => cfg.maxclients = to_usize(int()?),
        Param::Maxmemory => cfg.maxmemory = mem()?,
        Param::Timeout => {
            let secs = int()?.unsigned_abs();
            cfg.timeout = (secs > 0).then(|| Duration::from_secs(secs));
        }
        Param::ProtoMaxBulkLen => cfg.proto_max_bulk_len = mem()?,
        Param::ClientQueryBufferLimit => cfg.client_query_buffer_limit = mem()?,
        Param::StreamNodeMaxEntries => cfg.stream_node_max_entries = to_usize(int()?),
        Param::StreamNodeMaxBytes => cfg.stream_node_max_bytes = mem()?,
        Param::Databases => cfg.databases = to_usize(int()?),
        Param::LogFormat => cfg.log_format = parse_log_format(value)?,
        Param::Loglevel => cfg.log_level = Some(parse_log_level(value)?),
        Param::Save => {
            if !value.trim().is_empty() {
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
        Param::Maxclients => cfg.maxclients.to_string(),
        Param::Maxmemory => cfg.maxmemory.to_string(),
        Param::Timeout => render_timeout(cfg.timeout),
        Param::ProtoMaxBulkLen => cfg.proto_max_bulk_len.to_string(),
        Param::ClientQueryBufferLimit => cfg.client_query_buffer_limit.to_string(),
        Param::StreamNodeMaxEntries => cfg.stream_node_max_entries.to_string(),
        Param::StreamNodeMaxBytes => cfg.stream_node_max_bytes.to_string(),
        Param::Databases => cfg.databases.to_string(),
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
            assert_eq!(lookup(p.name.to_ascii_uppercase().as_bytes()).map(|i| i.name), Some(p.name));
        }
    }

    #[test]
    fn string2ll_follows_redis() {
        assert_eq!(string2ll("0"), Some(0));
        assert_eq!(string2ll("42"), Some(42));
        assert_eq!(string2ll("-5"), Some(-5));
        assert_eq!(string2ll("9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll("-9223372036854775808"), Some(i64::MIN));
        for bad in ["", "05", "+5", " 5", "5 ", "-0", "-", "1.5", "9223372036854775808", "1k"] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_units() {
        assert_eq!(memtoull("0"), Some(0));
        assert_eq!(memtoull("4096"), Some(4096));
        assert_eq!(memtoull("1b"), Some(1));
        assert_eq!(memtoull("1k"), Some(1000));
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1KB"), Some(1024));
        assert_eq!(memtoull("1Kb"), Some(1024));
        assert_eq!(memtoull("2m"), Some(2_000_000));
        assert_eq!(memtoull("2mb"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull("1g"), Some(1_000_000_000));
        assert_eq!(memtoull("1GB"), Some(1 << 30));
        assert_eq!(memtoull("512mb"), Some(536_870_912));
        // Redis quirks: no digits means 0, overflow saturates.
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("kb"), Some(0));
        assert_eq!(memtoull("99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull("99999999999999999999gb"), Some(u64::MAX));
        for bad in ["-1", "1.5g", "+1", " 1", "1 ", "1t", "1kib", "abc", "1 kb"] {
            assert_eq!(memtoull(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86400)));
        assert_eq!(parse_duration("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("-5"), None);
        for d in [
            Duration::from_secs(3600),
            Duration::from_millis(1500),
            Duration::from_micros(7),
            Duration::from_nanos(3),
        ] {
            assert_eq!(parse_duration(&render_duration(d)), Some(d));
        }
        assert_eq!(render_duration(Duration::from_secs(3600)), "3600s");
    }

    #[test]
    fn track_specs() {
        let t = TrackSpec::parse_spec("conversation=1000").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t,
            TrackSpec {
                name: "conversation".into(),
                capacity: 1000,
                max_age: None
            }
        );
        let t = TrackSpec::parse_spec("insights=5,max-age=1h").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.max_age, Some(Duration::from_secs(3600)));
        assert_eq!(t.to_string(), "insights=5,max-age=3600s");
        let t = TrackSpec::parse_spec("a=1,MAX-AGE=0").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.max_age, None);

        let err = |s: &str| TrackSpec::parse_spec(s).err().unwrap_or_default();
        assert!(err("conversation").starts_with("expected NAME=CAPACITY"));
        assert!(err("=5").contains("track name '' must be non-empty"));
        assert!(err("a:b=5").contains("track name 'a:b'"));
        assert_eq!(
            err("a=0"),
            "capacity '0' of track 'a' must be a whole number >= 1"
        );
        assert!(err("a=abc").contains("capacity 'abc'"));
        assert!(err("a=-1").contains("capacity '-1'"));
        assert_eq!(
            err("a=1,ttl=5s"),
            "unknown option 'ttl=5s' for track 'a': expected max-age=DURATION"
        );
        assert_eq!(
            err("a=1,max-age=5x"),
            "max-age '5x' of track 'a' must be a duration such as 30s, 5m or 24h"
        );
        assert_eq!(err("a=1,max-age=1s,max-age=2s"), "max-age given twice for track 'a'");

        assert_eq!(
            parse_tracks("a=1 a=2"),
            Err(Problem::Detail(
                "duplicate track name 'a': track names must be unique".into()
            ))
        );
        assert!(matches!(parse_tracks("  "), Err(Problem::Detail(_))));
        let tracks = parse_tracks("a=1 b=2,max-age=30s").unwrap_or_default();
        assert_eq!(render_tracks(&tracks), "a=1 b=2,max-age=30s");
    }

    #[test]
    fn log_levels() {
        assert_eq!(parse_log_level("info"), Ok("info".into()));
        assert_eq!(parse_log_level("warning"), Ok("warn".into()));
        assert_eq!(parse_log_level("NOTICE"), Ok("info".into()));
        assert_eq!(parse_log_level("ringbus=debug,warn"), Ok("ringbus=debug,warn".into()));
        assert_eq!(parse_log_level("ringbus=loud"), Err(Problem::Rejected));
        assert_eq!(parse_log_level(""), Err(Problem::Rejected));
    }
}
