//! Differential tests: the command scripts in `tests/differential/*.txt` are sent to a
//! real `redis-server` (7.0.15) and to ringbus, in RESP2 and in RESP3, and the raw reply
//! bytes must be identical after a few explicit normalisations. The script format is
//! described in `tests/differential/README.md`.
//!
//! Without `redis-server` on PATH the test is skipped, unless `RINGBUS_REQUIRE_REDIS=1`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{start_with, test_config};

/// How long a server may take to answer one command before it counts as no reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// The Redis version the scripts are written against.
const EXPECTED_REDIS_VERSION: &str = "7.0.15";

#[tokio::test]
async fn differential_against_redis() {
    let Some(servers) = Servers::start().await else {
        return;
    };
    let started = Instant::now();
    let scripts = load_scripts();
    assert!(
        !scripts.is_empty(),
        "no scripts in {}",
        script_dir().display()
    );
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for script in &scripts {
        for proto in [Proto::Resp2, Proto::Resp3] {
            compared += run_script(
                script,
                proto,
                servers.redis.addr,
                servers.ringbus.local_addr(),
                &mut mismatches,
            )
            .await;
        }
    }
    println!(
        "differential: redis-server {} vs ringbus, {} files, {compared} replies compared, \
         {} mismatches, {:.1?}",
        servers.redis_version,
        scripts.len(),
        mismatches.len(),
        started.elapsed()
    );
    servers.fail_on(&mismatches);
}

/// A `redis-server` and a ringbus to send the same commands to.
pub(crate) struct Servers {
    pub(crate) redis: RedisServer,
    pub(crate) ringbus: ringbus::server::RunningServer,
    /// What the real server says its version is.
    pub(crate) redis_version: String,
}

impl Servers {
    /// Starts both servers, or returns `None` (after saying so) when `redis-server` is
    /// not on PATH and `RINGBUS_REQUIRE_REDIS=1` does not require it.
    pub(crate) async fn start() -> Option<Servers> {
        let Some(bin) = find_on_path("redis-server") else {
            if std::env::var("RINGBUS_REQUIRE_REDIS").as_deref() == Ok("1") {
                panic!(
                    "differential: redis-server not found on PATH, and RINGBUS_REQUIRE_REDIS=1 \
                     requires it (install redis-server 7.0.15)"
                );
            }
            println!(
                "differential: redis-server not found, skipped (set RINGBUS_REQUIRE_REDIS=1 to require it)"
            );
            return None;
        };
        let redis = RedisServer::start(&bin).await;
        let mut config = test_config();
        // Keys `<session>:ring3` are rings of 3 entries: scripts append to them with
        // `MAXLEN 3`, so Redis trims exactly what the ring overwrites.
        config.tracks.push(ringbus::config::TrackSpec {
            name: "ring3".into(),
            capacity: 3,
            max_age: None,
        });
        let ringbus = start_with(config).await;
        let redis_version = redis_version(redis.addr).await;
        Some(Servers {
            redis,
            ringbus,
            redis_version,
        })
    }

    /// Panics with every mismatch, if there are any.
    pub(crate) fn fail_on(&self, mismatches: &[String]) {
        if mismatches.is_empty() {
            return;
        }
        let mut report = format!(
            "differential: {} mismatches between redis-server {} and ringbus:\n\n",
            mismatches.len(),
            self.redis_version
        );
        if self.redis_version != EXPECTED_REDIS_VERSION {
            let _ = writeln!(
                report,
                "(note: the scripts are written for redis-server {EXPECTED_REDIS_VERSION})\n"
            );
        }
        for m in mismatches {
            let _ = writeln!(report, "{m}");
        }
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------
// Scripts

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
struct Directives {
    /// Send, but do not compare.
    ignore: bool,
    /// Compare the RESP type skeleton only.
    shape: bool,
    /// The reply's element order is unspecified: sort before comparing.
    sorted: bool,
    /// Run only in this pass.
    only: Option<Proto>,
    /// How many replies the line produces (`replies=N`, default 1).
    replies: usize,
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
    line: usize,
    text: String,
    /// The connection it goes to: `None` for the main one, else the `@name` given.
    conn: Option<String>,
    /// What is sent; empty for `!recv` (only read).
    args: Vec<Vec<u8>>,
    directives: Directives,
}

pub(crate) struct Script {
    pub(crate) name: String,
    pub(crate) steps: Vec<Step>,
}

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

/// Every `*.txt` script, in name order. A malformed line fails the test.
fn load_scripts() -> Vec<Script> {
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

// ---------------------------------------------------------------------------
// Running a script

/// The pair of connections (Redis, ringbus) a script line goes to.
struct Pair {
    name: Option<String>,
    redis: Conn,
    ringbus: Conn,
}

/// Runs `script` in one protocol on fresh connections to both servers, appending every
/// mismatch. Returns how many replies were compared. Lines naming `@conn` go to a
/// second pair of connections opened on first use (after `HELLO 3` in the RESP3 pass,
/// compared too).
pub(crate) async fn run_script(
    script: &Script,
    proto: Proto,
    redis_addr: SocketAddr,
    ringbus_addr: SocketAddr,
    mismatches: &mut Vec<String>,
) -> usize {
    let mut redis = Conn::connect(redis_addr).await;
    let mut ringbus = Conn::connect(ringbus_addr).await;
    for (name, conn) in [("redis", &mut redis), ("ringbus", &mut ringbus)] {
        let reply = conn.call(&[b"FLUSHALL".to_vec()]).await;
        assert!(
            matches!(&reply, Ok((raw, _)) if raw == b"+OK\r\n"),
            "{}: FLUSHALL on {name} failed: {}",
            script.name,
            show_outcome(&reply)
        );
    }
    let mut pairs = vec![Pair {
        name: None,
        redis,
        ringbus,
    }];
    let hello3 = |conn: Option<String>| Step {
        line: 0,
        text: "HELLO 3 (start of the RESP3 pass)".into(),
        conn,
        args: vec![b"HELLO".to_vec(), b"3".to_vec()],
        directives: Directives::default(),
    };
    let mut compared = 0;
    let mut steps: Vec<&Step> = script.steps.iter().collect();
    let first = hello3(None);
    if proto == Proto::Resp3 {
        steps.insert(0, &first);
    }
    for step in steps {
        if step.directives.only.is_some_and(|only| only != proto) {
            continue;
        }
        let at = match pairs.iter().position(|p| p.name == step.conn) {
            Some(at) => at,
            None => {
                pairs.push(Pair {
                    name: step.conn.clone(),
                    redis: Conn::connect(redis_addr).await,
                    ringbus: Conn::connect(ringbus_addr).await,
                });
                if proto == Proto::Resp3 {
                    let at = pairs.len() - 1;
                    let hello = hello3(step.conn.clone());
                    let pair = &mut pairs[at];
                    if !compare_step(&hello, pair, proto, &script.name, mismatches, &mut compared)
                        .await
                    {
                        break;
                    }
                }
                pairs.len() - 1
            }
        };
        if !compare_step(
            step,
            &mut pairs[at],
            proto,
            &script.name,
            mismatches,
            &mut compared,
        )
        .await
        {
            if pairs[at].name.is_none() {
                break;
            }
            pairs.remove(at);
        }
    }
    compared
}

/// Sends one line to both servers and compares the replies. False when the pair's
/// connections closed (or the rest of the pass must be skipped after a mismatch on
/// the main pair).
async fn compare_step(
    step: &Step,
    pair: &mut Pair,
    proto: Proto,
    script: &str,
    mismatches: &mut Vec<String>,
    compared: &mut usize,
) -> bool {
    let r = pair.redis.exchange(step).await;
    let b = pair.ringbus.exchange(step).await;
    let conn = step
        .conn
        .as_deref()
        .map(|c| format!(" @{c}"))
        .unwrap_or_default();
    let place = format!("{script}:{} [{proto}]{conn} {}", step.line, step.text);
    if verbose() {
        println!(
            "{place}\n    redis:   {}\n    ringbus: {}",
            show_outcomes(&r),
            show_outcomes(&b)
        );
    }
    match (&r, &b) {
        (Ok(r_frames), Ok(b_frames)) => {
            if step.directives.ignore {
                return true;
            }
            *compared += 1;
            let r_cmp: Vec<u8> = r_frames
                .iter()
                .flat_map(|(raw, frame)| normalise(raw, frame, step))
                .collect();
            let b_cmp: Vec<u8> = b_frames
                .iter()
                .flat_map(|(raw, frame)| normalise(raw, frame, step))
                .collect();
            if r_cmp != b_cmp {
                let how = if step.directives.shape {
                    " (shape)"
                } else {
                    ""
                };
                mismatches.push(format!(
                    "{place}\n    redis{how}:   {}\n    ringbus{how}: {}",
                    escape(&r_cmp),
                    escape(&b_cmp)
                ));
            }
            true
        }
        // Both silent (e.g. CLIENT REPLY OFF): the streams are still in step.
        (Err(NoReply::Timeout), Err(NoReply::Timeout)) => true,
        (Err(NoReply::Closed), Err(NoReply::Closed)) => false,
        _ => {
            mismatches.push(format!(
                "{place}\n    redis:   {}\n    ringbus: {}\n    (rest of this pass skipped)",
                show_outcomes(&r),
                show_outcomes(&b)
            ));
            false
        }
    }
}

/// `RINGBUS_DIFFERENTIAL_VERBOSE=1` prints every command with both replies.
fn verbose() -> bool {
    std::env::var("RINGBUS_DIFFERENTIAL_VERBOSE").as_deref() == Ok("1")
}

/// The bytes that are compared: the raw reply, or its normalised re-encoding when the
/// command is HELLO (id set to 0) or the line says `sorted` or `shape`.
fn normalise(raw: &[u8], frame: &Frame, step: &Step) -> Vec<u8> {
    let is_hello = step
        .args
        .first()
        .is_some_and(|a| a.eq_ignore_ascii_case(b"hello"));
    if !is_hello && !step.directives.sorted && !step.directives.shape {
        return raw.to_vec();
    }
    let mut frame = frame.clone();
    if is_hello {
        zero_hello_id(&mut frame);
    }
    if step.directives.sorted {
        sort_elements(&mut frame);
    }
    if step.directives.shape {
        let mut out = String::new();
        shape(&frame, &mut out);
        return out.into_bytes();
    }
    let mut out = Vec::new();
    encode(&frame, &mut out);
    out
}

/// In a HELLO reply (a map in RESP3, a flat array in RESP2) the value after `id`
/// becomes `:0`.
fn zero_hello_id(frame: &mut Frame) {
    if let Frame::Agg(b'%' | b'*', Some(items)) = frame {
        for pair in items.chunks_mut(2) {
            if let [key, value] = pair {
                let is_id =
                    matches!(key, Frame::Blob(_, Some(k)) | Frame::Line(b'+', k) if k == b"id");
                if is_id && matches!(value, Frame::Line(b':', _)) {
                    *value = Frame::Line(b':', b"0".to_vec());
                }
            }
        }
    }
}

/// Sorts the top-level elements of an array, set or push (or the pairs of a map) by
/// their encoding.
fn sort_elements(frame: &mut Frame) {
    let key = |f: &Frame| {
        let mut v = Vec::new();
        encode(f, &mut v);
        v
    };
    match frame {
        Frame::Agg(b'%' | b'|', Some(items)) => {
            let mut pairs: Vec<(Vec<u8>, Frame, Frame)> = Vec::new();
            let mut it = std::mem::take(items).into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                let mut sort_key = key(&k);
                sort_key.extend(key(&v));
                pairs.push((sort_key, k, v));
            }
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            *items = pairs.into_iter().flat_map(|(_, k, v)| [k, v]).collect();
        }
        Frame::Agg(_, Some(items)) => items.sort_by_cached_key(key),
        _ => {}
    }
}

/// The type skeleton: scalars by type byte (`$-1` etc. for nulls), aggregates as
/// `*2[$,:]`.
fn shape(frame: &Frame, out: &mut String) {
    match frame {
        Frame::Line(t, _) | Frame::Blob(t, Some(_)) => out.push(*t as char),
        Frame::Blob(t, None) | Frame::Agg(t, None) => {
            out.push(*t as char);
            out.push_str("-1");
        }
        Frame::Agg(t, Some(items)) => {
            let n = if matches!(t, b'%' | b'|') {
                items.len() / 2
            } else {
                items.len()
            };
            let _ = write!(out, "{}{n}[", *t as char);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                shape(item, out);
            }
            out.push(']');
        }
    }
}

fn show_outcomes(outcome: &Result<Vec<(Vec<u8>, Frame)>, NoReply>) -> String {
    match outcome {
        Ok(frames) => escape(
            &frames
                .iter()
                .flat_map(|(raw, _)| raw.clone())
                .collect::<Vec<u8>>(),
        ),
        Err(e) => show_outcome(&Err(e.clone())),
    }
}

fn show_outcome(outcome: &Result<(Vec<u8>, Frame), NoReply>) -> String {
    match outcome {
        Ok((raw, _)) => escape(raw),
        Err(NoReply::Timeout) => format!("(no reply within {REPLY_TIMEOUT:?})"),
        Err(NoReply::Closed) => "(connection closed)".into(),
        Err(NoReply::Garbage(e)) => format!("(unparsable reply: {e})"),
    }
}

/// Bytes as a quoted string, escaping everything but printable ASCII.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in bytes {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b' '..=b'~' => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

// ---------------------------------------------------------------------------
// RESP

/// A parsed reply.
#[derive(Clone, Debug)]
enum Frame {
    /// `+ - : _ , # (` and anything unknown: the type byte and the line.
    Line(u8, Vec<u8>),
    /// `$ = !`: the type byte and the payload (`None` for a length of -1).
    Blob(u8, Option<Vec<u8>>),
    /// `* ~ > % |`: the type byte and the elements, map pairs flattened (`None` for -1).
    Agg(u8, Option<Vec<Frame>>),
}

#[derive(Clone)]
enum NoReply {
    Timeout,
    Closed,
    Garbage(String),
}

/// Parses the frame at `pos`: `Ok(None)` when it is not all in `buf` yet.
fn parse_frame(buf: &[u8], pos: usize) -> Result<Option<(Frame, usize)>, String> {
    let Some(rel) = buf
        .get(pos..)
        .and_then(|rest| rest.windows(2).position(|w| w == b"\r\n"))
    else {
        return Ok(None);
    };
    let line_end = pos + rel;
    let kind = buf[pos];
    let head = &buf[pos + 1..line_end];
    let after = line_end + 2;
    let len = || -> Result<i64, String> {
        std::str::from_utf8(head)
            .ok()
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| format!("bad length {:?}", String::from_utf8_lossy(head)))
    };
    match kind {
        b'$' | b'=' | b'!' => {
            let n = len()?;
            if n < 0 {
                return Ok(Some((Frame::Blob(kind, None), after)));
            }
            let end = after + n as usize;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err("bulk payload not followed by CRLF".into());
            }
            Ok(Some((
                Frame::Blob(kind, Some(buf[after..end].to_vec())),
                end + 2,
            )))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = len()?;
            if n < 0 {
                return Ok(Some((Frame::Agg(kind, None), after)));
            }
            let count = if matches!(kind, b'%' | b'|') {
                2 * n
            } else {
                n
            };
            let mut items = Vec::new();
            let mut at = after;
            for _ in 0..count {
                match parse_frame(buf, at)? {
                    Some((item, next)) => {
                        items.push(item);
                        at = next;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Frame::Agg(kind, Some(items)), at)))
        }
        _ => Ok(Some((Frame::Line(kind, head.to_vec()), after))),
    }
}

fn encode(frame: &Frame, out: &mut Vec<u8>) {
    match frame {
        Frame::Line(t, line) => {
            out.push(*t);
            out.extend_from_slice(line);
        }
        Frame::Blob(t, None) | Frame::Agg(t, None) => {
            out.push(*t);
            out.extend_from_slice(b"-1");
        }
        Frame::Blob(t, Some(data)) => {
            out.push(*t);
            out.extend_from_slice(format!("{}\r\n", data.len()).as_bytes());
            out.extend_from_slice(data);
        }
        Frame::Agg(t, Some(items)) => {
            let n = if matches!(t, b'%' | b'|') {
                items.len() / 2
            } else {
                items.len()
            };
            out.push(*t);
            out.extend_from_slice(format!("{n}\r\n").as_bytes());
            for item in items {
                encode(item, out);
            }
            return;
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// A plain client connection that sends multibulk requests and reads whole replies.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends one command and reads its reply (raw bytes and parsed).
    async fn call(&mut self, args: &[Vec<u8>]) -> Result<(Vec<u8>, Frame), NoReply> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        if self.stream.write_all(&req).await.is_err() {
            return Err(NoReply::Closed);
        }
        self.reply().await
    }

    /// Sends a script line's command (nothing for `!recv`) and reads its replies.
    async fn exchange(&mut self, step: &Step) -> Result<Vec<(Vec<u8>, Frame)>, NoReply> {
        if !step.args.is_empty() {
            let mut req = format!("*{}\r\n", step.args.len()).into_bytes();
            for a in &step.args {
                req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                req.extend_from_slice(a);
                req.extend_from_slice(b"\r\n");
            }
            if self.stream.write_all(&req).await.is_err() {
                return Err(NoReply::Closed);
            }
        }
        let mut frames = Vec::with_capacity(step.directives.replies);
        for _ in 0..step.directives.replies {
            frames.push(self.reply().await?);
        }
        Ok(frames)
    }

    async fn reply(&mut self) -> Result<(Vec<u8>, Frame), NoReply> {
        let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
        loop {
            if let Some((frame, n)) = parse_frame(&self.buf, 0).map_err(NoReply::Garbage)? {
                let raw: Vec<u8> = self.buf.drain(..n).collect();
                return Ok((raw, frame));
            }
            self.buf.reserve(16 * 1024);
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                Err(_) => return Err(NoReply::Timeout),
                Ok(Ok(0)) | Ok(Err(_)) => return Err(NoReply::Closed),
                Ok(Ok(_)) => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------
// redis-server

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A `redis-server` child process, killed (and its directory removed) on drop, so it
/// goes away even when the test fails.
pub(crate) struct RedisServer {
    child: Child,
    pub(crate) addr: SocketAddr,
    dir: PathBuf,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RedisServer {
    /// Starts `bin` on a free loopback port and waits until it accepts connections.
    async fn start(bin: &Path) -> RedisServer {
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let dir = std::env::temp_dir().join(format!(
                "ringbus-differential-{}-{port}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let log = dir.join("redis.log");
            let child = Command::new(bin)
                .arg("--port")
                .arg(port.to_string())
                .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
                .arg("--dir")
                .arg(&dir)
                .arg("--logfile")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            let mut server = RedisServer {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                dir,
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    break;
                }
                if TcpStream::connect(server.addr).await.is_ok() {
                    return server;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
        }
        panic!("differential: redis-server did not start; its log:\n{last_log}");
    }
}

/// `redis_version` from the real server's INFO.
async fn redis_version(addr: SocketAddr) -> String {
    let mut conn = Conn::connect(addr).await;
    let info = match conn.call(&[b"INFO".to_vec(), b"server".to_vec()]).await {
        Ok((_, Frame::Blob(_, Some(text)))) => String::from_utf8_lossy(&text).into_owned(),
        _ => String::new(),
    };
    info.lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .unwrap_or("unknown")
        .trim()
        .to_string()
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
