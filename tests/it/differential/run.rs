//! Running a script on both servers and comparing the replies.

use std::fmt::Write as _;
use std::net::SocketAddr;

use super::resp::{encode, Conn, Frame, NoReply, REPLY_TIMEOUT};
use super::script::{Directives, Proto, Script, Step};

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
