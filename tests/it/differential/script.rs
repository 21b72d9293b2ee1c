//! The script format: lines, directives, and how a line splits into arguments.

use std::path::{Path, PathBuf};

/// Which protocol a pass starts in: RESP3 passes send `HELLO 3` first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    Resp2,
    Resp3,
}

impl std::fmt::Display for Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Proto::Resp2 => "RESP2",
            Proto::Resp3 => "RESP3",
        })
    }
}

/// The `#! ...` directives of one line.
#[derive(Clone, Debug)]
pub(super) struct Directives {
    /// Send, but do not compare.
    pub(super) ignore: bool,
    /// Compare the RESP type skeleton only.
    pub(super) shape: bool,
    /// The reply's element order is unspecified: sort before comparing.
    pub(super) sorted: bool,
    /// Run only in this pass.
    pub(super) only: Option<Proto>,
    /// How many replies the line produces (`replies=N`, default 1).
    pub(super) replies: usize,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            ignore: false,
            shape: false,
            sorted: false,
            only: None,
            replies: 1,
        }
    }
}

/// One command of a script.
pub(crate) struct Step {
    pub(super) line: usize,
    pub(super) text: String,
    /// The connection it goes to: `None` for the main one, else the `@name` given.
    pub(super) conn: Option<String>,
    /// What is sent; empty for `!recv` (only read).
    pub(super) args: Vec<Vec<u8>>,
    pub(super) directives: Directives,
}

pub(crate) struct Script {
    pub(crate) name: String,
    pub(crate) steps: Vec<Step>,
}

pub(super) fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

/// Every `*.txt` script, in name order. A malformed line fails the test.
pub(super) fn load_scripts() -> Vec<Script> {
    let dir = script_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let steps =
                parse_script(&text).unwrap_or_else(|(line, e)| panic!("{name}:{line}: {e}"));
            Script { name, steps }
        })
        .collect()
}

/// Parses a script; an error carries its 1-based line number.
pub(crate) fn parse_script(text: &str) -> Result<Vec<Step>, (usize, String)> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (command, directives) = match trimmed.rfind(" #! ") {
            Some(at) => (
                trimmed[..at].trim_end(),
                parse_directives(&trimmed[at + 4..]).map_err(|e| (line, e))?,
            ),
            None => (trimmed, Directives::default()),
        };
        let mut directives = directives;
        let mut args = split_args(command).map_err(|e| (line, e))?;
        let conn = match args.first() {
            Some(first) if first.first() == Some(&b'@') => {
                let name = String::from_utf8_lossy(&first[1..]).into_owned();
                args.remove(0);
                Some(name)
            }
            _ => None,
        };
        if args.is_empty() {
            return Err((line, "no command before the directive".into()));
        }
        if args[0] == b"!recv" {
            directives.replies = match args.get(1) {
                None => 1,
                Some(n) => std::str::from_utf8(n)
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .ok_or((line, "!recv takes a number of replies".to_string()))?,
            };
            args.clear();
        }
        steps.push(Step {
            line,
            text: command.to_string(),
            conn,
            args,
            directives,
        });
    }
    Ok(steps)
}

fn parse_directives(text: &str) -> Result<Directives, String> {
    let mut d = Directives::default();
    for word in text.split_whitespace() {
        match word {
            "ignore" => d.ignore = true,
            "shape" => d.shape = true,
            "sorted" => d.sorted = true,
            "resp2-only" | "resp3-only" if d.only.is_some() => {
                return Err("only one of resp2-only and resp3-only".into())
            }
            "resp2-only" => d.only = Some(Proto::Resp2),
            "resp3-only" => d.only = Some(Proto::Resp3),
            other => match other.strip_prefix("replies=").map(str::parse) {
                Some(Ok(n)) => d.replies = n,
                _ => {
                    return Err(format!(
                        "unknown directive '{other}' (known: ignore shape sorted resp2-only resp3-only replies=N)"
                    ))
                }
            },
        }
    }
    Ok(d)
}

/// Splits a line into arguments the way redis-cli does (Redis's `sdssplitargs`):
/// double quotes with `\n \r \t \b \a \\ \" \xHH` escapes, single quotes with `\'`,
/// a closing quote must be followed by a space or the end of the line.
fn split_args(line: &str) -> Result<Vec<Vec<u8>>, String> {
    let b = line.as_bytes();
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < b.len() && b[p].is_ascii_whitespace() {
            p += 1;
        }
        if p == b.len() {
            return Ok(args);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                let Some(&c) = b.get(p) else {
                    return Err("unbalanced double quotes".into());
                };
                if c == b'\\' && p + 3 < b.len() && b[p + 1] == b'x' {
                    let hex = std::str::from_utf8(&b[p + 2..p + 4])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(v) = hex {
                        cur.push(v);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && p + 1 < b.len() {
                    p += 1;
                    cur.push(match b[p] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if p + 1 < b.len() && !b[p + 1].is_ascii_whitespace() {
                        return Err("closing quote must be followed by a space".into());
                    }
                    p += 1;
                    break;
                } else {
                    cur.push(c);
                }
                p += 1;
            } else if insq {
                let Some(&c) = b.get(p) else {
                    return Err("unbalanced single quotes".into());
                };
                if c == b'\\' && b.get(p + 1) == Some(&b'\'') {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if p + 1 < b.len() && !b[p + 1].is_ascii_whitespace() {
                        return Err("closing quote must be followed by a space".into());
                    }
                    p += 1;
                    break;
                } else {
                    cur.push(c);
                }
                p += 1;
            } else {
                match b.get(p) {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(&c) => cur.push(c),
                }
                p += 1;
            }
        }
        args.push(cur);
    }
}

#[test]
fn script_lines_split_like_redis_cli() {
    let split = |s: &str| {
        split_args(s).map(|v| {
            v.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(
        split("SET  a   b").as_deref(),
        Ok(&["SET", "a", "b"][..])
            .map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .as_deref()
    );
    assert_eq!(
        split_args(r#"ECHO "a b\n\x41\"" 'c\'d' """#),
        Ok(vec![
            b"ECHO".to_vec(),
            b"a b\nA\"".to_vec(),
            b"c'd".to_vec(),
            Vec::new()
        ])
    );
    assert_eq!(
        split_args(r#"ECHO "\xff\x00""#),
        Ok(vec![b"ECHO".to_vec(), vec![0xff, 0]])
    );
    assert!(split_args(r#"ECHO "open"#).is_err());
    assert!(split_args(r#"ECHO "a"b"#).is_err());
    let steps = parse_script("# comment\n\nPING\nTIME #! shape sorted\nKEYS * #! resp3-only\n")
        .expect("parses");
    assert_eq!(steps.iter().map(|s| s.line).collect::<Vec<_>>(), [3, 4, 5]);
    assert!(steps[1].directives.shape && steps[1].directives.sorted);
    assert_eq!(steps[2].directives.only, Some(Proto::Resp3));
    assert_eq!(steps[2].args, [b"KEYS".to_vec(), b"*".to_vec()]);
    assert!(parse_script("PING #! nosuch\n").is_err());
    let steps =
        parse_script("@sub SUBSCRIBE a b #! replies=2\n@sub !recv 3\n!recv\n").expect("parses");
    assert_eq!(steps[0].conn.as_deref(), Some("sub"));
    assert_eq!(steps[0].directives.replies, 2);
    assert_eq!(
        steps[0].args,
        [b"SUBSCRIBE".to_vec(), b"a".to_vec(), b"b".to_vec()]
    );
    assert!(steps[1].args.is_empty() && steps[1].directives.replies == 3);
    assert!(steps[2].conn.is_none() && steps[2].directives.replies == 1);
    assert!(parse_script("!recv x\n").is_err());
    assert!(parse_script("@sub\n").is_err());
}
