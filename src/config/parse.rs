//! Parsers for single values, shared by every source: Redis's `string2ll` and
//! `memtoull`, durations, track specs, addresses and log settings.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::values::{Problem, MAX_COUNT};
use super::{LogFormat, TrackSpec};

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
    let v = crate::num::string2ll(s.as_bytes()).ok_or(Problem::NotInteger)?;
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

/// Parses track specs separated by whitespace; names must be unique and the list
/// must not be empty.
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

pub(crate) fn parse_bind(value: &str) -> Result<Vec<IpAddr>, Problem> {
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

pub(crate) fn parse_metrics_addr(value: &str) -> Result<Option<SocketAddr>, Problem> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| Problem::Rejected)
}

pub(crate) fn parse_log_format(value: &str) -> Result<LogFormat, Problem> {
    match value.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(Problem::Rejected),
    }
}

/// Validates a tracing `EnvFilter` string, mapping Redis's level names onto tracing's.
pub(crate) fn parse_log_level(value: &str) -> Result<String, Problem> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            err("a=1,max-age=1s,max-age=2s"),
            "max-age given twice for track 'a'"
        );

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
        assert_eq!(
            parse_log_level("ringbus=debug,warn"),
            Ok("ringbus=debug,warn".into())
        );
        assert_eq!(parse_log_level("ringbus=loud"), Err(Problem::Rejected));
        assert_eq!(parse_log_level(""), Err(Problem::Rejected));
    }
}
