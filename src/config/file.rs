//! The config file: Redis style, one `name value...` per line with the `CONFIG`
//! parameter names, `#` comment lines, blank lines, and values that may be quoted.

use std::path::Path;

use super::parse::push_track;
use super::values::{self, info, lookup, Param};
use super::{invalid, Config, ConfigError, TrackSpec};

/// Reads `path` and applies its settings to `cfg`.
pub(crate) fn load(cfg: &mut Config, path: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    apply_text(cfg, path, &text)
}

/// Applies the settings in `text` (the contents of `path`) to `cfg`. Later lines win;
/// `track` lines add up, and the first one replaces the default tracks.
pub(crate) fn apply_text(cfg: &mut Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    // The tracks built by this file so far, once a `track` or `tracks` line was seen.
    let mut file_tracks: Option<Vec<TrackSpec>> = None;
    for (index, raw) in text.lines().enumerate() {
        let fail = |message: String| ConfigError::File {
            path: path.to_path_buf(),
            line: index + 1,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = split_args(line).map_err(fail)?;
        let Some((name, vals)) = words.split_first() else {
            continue;
        };
        let lower = name.to_ascii_lowercase();

        if lower == "track" {
            let tracks_info = info(Param::Tracks);
            let tracks = file_tracks.get_or_insert_with(Vec::new);
            let mut specs = vals.iter().flat_map(|v| v.split_whitespace()).peekable();
            if specs.peek().is_none() {
                return Err(fail(format!(
                    "missing value for {name}: expected NAME=CAPACITY[,max-age=DURATION]"
                )));
            }
            for spec in specs {
                let track = TrackSpec::parse_spec(spec).map_err(|detail| {
                    fail(format!("invalid value '{spec}' for {name}: {detail}"))
                })?;
                push_track(tracks, track).map_err(|p| fail(p.detail(tracks_info)))?;
            }
            cfg.tracks = tracks.clone();
            continue;
        }

        let found = match lower.as_str() {
            "log-level" => Some(info(Param::Loglevel)),
            _ => lookup(lower.as_bytes()),
        };
        let Some(setting) = found else {
            return Err(fail(format!("unknown setting '{name}'")));
        };
        let value = match setting.param {
            Param::Bind | Param::Tracks if vals.is_empty() => {
                return Err(fail(format!(
                    "missing value for {name}: expected {}",
                    setting.accepts
                )));
            }
            Param::Bind | Param::Tracks | Param::Save | Param::ClientOutputBufferLimit => {
                vals.join(" ")
            }
            _ => match vals {
                [one] => one.clone(),
                _ => {
                    return Err(fail(format!(
                    "{name} takes exactly one value, got {} (quote a value that contains spaces)",
                    vals.len()
                )))
                }
            },
        };
        values::apply(cfg, setting.param, &value)
            .map_err(|p| fail(invalid(name, &value, setting, &p).to_string()))?;
        if setting.param == Param::Tracks {
            file_tracks = Some(cfg.tracks.clone());
        }
    }
    Ok(())
}

/// Splits a line into words as Redis's `sdssplitargs`: whitespace separates words;
/// `"..."` may hold `\n \r \t \b \a \\ \" \xHH` escapes; `'...'` may hold `\'`; a
/// closing quote must end the word.
pub(crate) fn split_args(line: &str) -> Result<Vec<String>, String> {
    const UNBALANCED: &str = "unbalanced quotes in a value";
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut word: Vec<u8> = Vec::new();
        // 0 = unquoted, b'"' or b'\'' = inside those quotes.
        let mut quote = 0u8;
        loop {
            let Some(&c) = b.get(i) else {
                if quote != 0 {
                    return Err(UNBALANCED.to_string());
                }
                break;
            };
            match quote {
                b'"' => {
                    if c == b'\\' && b.get(i + 1) == Some(&b'x') {
                        let digit = |at: usize| b.get(at).and_then(|d| (*d as char).to_digit(16));
                        if let (Some(high), Some(low)) = (digit(i + 2), digit(i + 3)) {
                            // Two hex digits make at most 0xff.
                            word.push(u8::try_from(high * 16 + low).unwrap_or(u8::MAX));
                            i += 4;
                            continue;
                        }
                    }
                    if c == b'\\' && i + 1 < b.len() {
                        word.push(match b[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                        i += 2;
                        continue;
                    }
                    if c == b'"' {
                        if b.get(i + 1).is_some_and(|n| !n.is_ascii_whitespace()) {
                            return Err(UNBALANCED.to_string());
                        }
                        i += 1;
                        break;
                    }
                    word.push(c);
                }
                b'\'' => {
                    if c == b'\\' && b.get(i + 1) == Some(&b'\'') {
                        word.push(b'\'');
                        i += 2;
                        continue;
                    }
                    if c == b'\'' {
                        if b.get(i + 1).is_some_and(|n| !n.is_ascii_whitespace()) {
                            return Err(UNBALANCED.to_string());
                        }
                        i += 1;
                        break;
                    }
                    word.push(c);
                }
                _ => {
                    if c.is_ascii_whitespace() {
                        break;
                    }
                    if c == b'"' || c == b'\'' {
                        quote = c;
                    } else {
                        word.push(c);
                    }
                }
            }
            i += 1;
        }
        words.push(String::from_utf8(word).map_err(|_| "a value is not valid UTF-8".to_string())?);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_args(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    #[test]
    fn splits_like_redis() {
        assert_eq!(words("port 6380"), ["port", "6380"]);
        assert_eq!(
            words("  bind   127.0.0.1\t::1 "),
            ["bind", "127.0.0.1", "::1"]
        );
        assert_eq!(words(r#"requirepass "a b\"c""#), ["requirepass", "a b\"c"]);
        assert_eq!(words(r#"save """#), ["save", ""]);
        assert_eq!(words(r#"x "\x41\n""#), ["x", "A\n"]);
        assert_eq!(words(r"x 'it\'s'"), ["x", "it's"]);
        assert!(split_args(r#"x "open"#).is_err());
        assert!(split_args(r#"x "a"b"#).is_err());
        assert!(split_args("x 'a").is_err());
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        apply_text(&mut cfg, Path::new("ringbus.conf"), text).map(|()| cfg)
    }

    fn error(text: &str) -> String {
        match parse(text) {
            Ok(cfg) => panic!("accepted {text:?}: {cfg:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_every_setting() {
        let text = r#"
# a comment
   # an indented comment

port 6380
bind 127.0.0.1 ::1
metrics-addr off
track conversation=10,max-age=1h
TRACK insights=20
default-capacity 5
session-idle-timeout 90
requirepass "s3cret pass"
maxclients 7
maxmemory 1gb
timeout 30
proto-max-bulk-len 2mb
client-query-buffer-limit 4mb
stream-node-max-entries 50
stream-node-max-bytes 8kb
databases 4
worker-threads 2
log-format json
log-level debug
save ""
appendonly no
"#;
        let cfg = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.port, 6380);
        assert_eq!(cfg.bind.len(), 2);
        assert_eq!(cfg.metrics_addr, None);
        assert_eq!(
            crate::config::parse::render_tracks(&cfg.tracks),
            "conversation=10,max-age=3600s insights=20"
        );
        assert_eq!(cfg.default_capacity, 5);
        assert_eq!(
            cfg.session_idle_timeout,
            Some(std::time::Duration::from_secs(90))
        );
        assert_eq!(cfg.requirepass.as_deref(), Some("s3cret pass"));
        assert_eq!(cfg.maxclients, 7);
        assert_eq!(cfg.maxmemory, 1 << 30);
        assert_eq!(cfg.timeout, Some(std::time::Duration::from_secs(30)));
        assert_eq!(cfg.proto_max_bulk_len, 2 << 20);
        assert_eq!(cfg.client_query_buffer_limit, 4 << 20);
        assert_eq!(cfg.stream_node_max_entries, 50);
        assert_eq!(cfg.stream_node_max_bytes, 8192);
        assert_eq!(cfg.databases, 4);
        assert_eq!(cfg.worker_threads, 2);
        assert_eq!(cfg.log_format, super::super::LogFormat::Json);
        assert_eq!(cfg.log_level.as_deref(), Some("debug"));
    }

    #[test]
    fn tracks_line_replaces_and_track_lines_add() {
        let cfg = parse("tracks a=1 b=2\ntrack c=3").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            crate::config::parse::render_tracks(&cfg.tracks),
            "a=1 b=2 c=3"
        );
        let cfg = parse("track c=3\ntracks a=1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(crate::config::parse::render_tracks(&cfg.tracks), "a=1");
    }

    #[test]
    fn errors_name_file_line_and_setting() {
        assert_eq!(
            error("port 1\n\nmaxclients abc\n"),
            "ringbus.conf:3: invalid value 'abc' for maxclients: expected a whole number between 1 and 4294967295"
        );
        assert_eq!(error("# x\nfoo 1"), "ringbus.conf:2: unknown setting 'foo'");
        assert_eq!(
            error("port 1 2"),
            "ringbus.conf:1: port takes exactly one value, got 2 (quote a value that contains spaces)"
        );
        assert_eq!(
            error("port"),
            "ringbus.conf:1: port takes exactly one value, got 0 (quote a value that contains spaces)"
        );
        assert_eq!(
            error("track a=1\ntrack a=2"),
            "ringbus.conf:2: duplicate track name 'a': track names must be unique"
        );
        assert_eq!(
            error("track a:b=1"),
            "ringbus.conf:1: invalid value 'a:b=1' for track: track name 'a:b' must be non-empty and contain no ':', '=', ',' or whitespace"
        );
        assert_eq!(
            error("tracks a=1 b=x"),
            "ringbus.conf:1: invalid value 'b=x' for tracks: capacity 'x' of track 'b' must be a whole number >= 1"
        );
        assert_eq!(
            error("maxmemory 1.5gb"),
            "ringbus.conf:1: invalid value '1.5gb' for maxmemory: expected a byte size such as 1048576, 100mb or 2gb (k/m/g = powers of 1000, kb/mb/gb = powers of 1024; 0 = no limit)"
        );
        assert_eq!(
            error("requirepass \"unterminated"),
            "ringbus.conf:1: unbalanced quotes in a value"
        );
        assert_eq!(
            error("bind"),
            "ringbus.conf:1: missing value for bind: expected one or more IP addresses separated by spaces or commas, e.g. 127.0.0.1 ::1"
        );
        assert!(error("appendonly yes").contains("expected 'no' (ringbus persists nothing)"));
    }
}
