//! Fan-out probe: many readers blocked in `XREAD BLOCK 0` on one stream while a
//! producer appends, measuring append-to-delivery latency and the server's CPU time
//! per delivery. Speaks raw RESP2 over TCP, so it runs unchanged against ringbus and
//! redis-server. `benches/load/compare.py` runs it against both; by hand:
//!
//! ```text
//! cargo run --release --example fanout -- --port 6379 [--pid PID] [--clients 1000]
//!     [--events 200] [--interval-ms 5] [--key fanout:conversation] [--value-len 80]
//! ```
//!
//! Raise the open-file limit first (`ulimit -n 20000`) for 1000 clients, and start
//! the server after raising it (redis-server caps `maxclients` by the limit).
//!
//! Each event carries the producer's send time (microseconds on the probe's own
//! monotonic clock), so latency is measured on one clock. Each reader re-issues
//! `XREAD BLOCK 0 STREAMS key <last id>` after every reply, so entries that arrive
//! while it is busy come in its next reply and none is missed. With `--pid`, the
//! server's utime+stime (from `/proc/<pid>/stat`) is sampled when the producer
//! starts and when the last delivery arrives. Prints one JSON object.

use std::io;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Command-line options.
#[derive(Debug, Clone)]
struct Opts {
    host: String,
    port: u16,
    pid: Option<u32>,
    clients: usize,
    events: usize,
    interval_ms: u64,
    key: String,
    value_len: usize,
    timeout_s: u64,
}

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        host: "127.0.0.1".into(),
        port: 6379,
        pid: None,
        clients: 1000,
        events: 200,
        interval_ms: 5,
        key: "fanout:conversation".into(),
        value_len: 80,
        timeout_s: 60,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--host" => o.host = value()?,
            "--port" => o.port = num(value()?)? as u16,
            "--pid" => o.pid = Some(num(value()?)? as u32),
            "--clients" => o.clients = num(value()?)? as usize,
            "--events" => o.events = num(value()?)? as usize,
            "--interval-ms" => o.interval_ms = num(value()?)?,
            "--key" => o.key = value()?,
            "--value-len" => o.value_len = num(value()?)? as usize,
            "--timeout-s" => o.timeout_s = num(value()?)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

/// A RESP2 reply, as much of it as the probe needs.
#[derive(Debug)]
enum Resp {
    Simple,
    Error(String),
    Int,
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

/// A connection with its unparsed input.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    at: usize,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn parse_int(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Parses one reply at the front of `b`: `Ok(Some((reply, bytes used)))`, or
/// `Ok(None)` when it is incomplete.
fn parse(b: &[u8]) -> io::Result<Option<(Resp, usize)>> {
    let Some(nl) = b.iter().position(|&c| c == b'\n') else {
        return Ok(None);
    };
    if nl < 2 || b[nl - 1] != b'\r' {
        return Err(bad("bad line"));
    }
    let line = &b[1..nl - 1];
    let mut used = nl + 1;
    let int = || parse_int(line).ok_or_else(|| bad("bad integer"));
    let value = match b[0] {
        b'+' => Resp::Simple,
        b'-' => Resp::Error(String::from_utf8_lossy(line).into_owned()),
        b':' => {
            int()?;
            Resp::Int
        }
        b'$' => match int()? {
            n if n < 0 => Resp::Bulk(None),
            n => {
                let n = n as usize;
                if b.len() < used + n + 2 {
                    return Ok(None);
                }
                let data = b[used..used + n].to_vec();
                used += n + 2;
                Resp::Bulk(Some(data))
            }
        },
        b'*' => match int()? {
            n if n < 0 => Resp::Array(None),
            n => {
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    match parse(&b[used..])? {
                        Some((item, k)) => {
                            items.push(item);
                            used += k;
                        }
                        None => return Ok(None),
                    }
                }
                Resp::Array(Some(items))
            }
        },
        _ => return Err(bad("unknown reply type")),
    };
    Ok(Some((value, used)))
}

async fn read_resp(c: &mut Conn) -> io::Result<Resp> {
    loop {
        if let Some((reply, used)) = parse(&c.buf[c.at..])? {
            c.at += used;
            if c.at == c.buf.len() {
                c.buf.clear();
                c.at = 0;
            }
            return Ok(reply);
        }
        if c.at > 0 {
            c.buf.drain(..c.at);
            c.at = 0;
        }
        c.buf.reserve(16 * 1024);
        if c.stream.read_buf(&mut c.buf).await? == 0 {
            return Err(bad("connection closed"));
        }
    }
}

fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

async fn command(conn: &mut Conn, args: &[&[u8]]) -> io::Result<Resp> {
    conn.stream.write_all(&encode(args)).await?;
    read_resp(conn).await
}

/// What one reader saw.
#[derive(Debug, Default)]
struct ReaderReport {
    latencies_us: Vec<u64>,
    replies: u64,
    error: Option<String>,
}

/// The entries of an XREAD reply: `(id, send time in µs)` each.
fn entries(reply: Resp) -> io::Result<Vec<(Vec<u8>, u64)>> {
    let Resp::Array(Some(streams)) = reply else {
        return Err(bad(&format!("unexpected XREAD reply {reply:?}")));
    };
    let mut out = Vec::new();
    for stream in streams {
        let Resp::Array(Some(mut kv)) = stream else {
            return Err(bad("stream element"));
        };
        let Some(Resp::Array(Some(items))) = kv.pop() else {
            return Err(bad("entries"));
        };
        for item in items {
            let Resp::Array(Some(mut pair)) = item else {
                return Err(bad("entry"));
            };
            let fields = pair.pop();
            let id = pair.pop();
            let (Some(Resp::Bulk(Some(id))), Some(Resp::Array(Some(fields)))) = (id, fields) else {
                return Err(bad("entry shape"));
            };
            // role <r> data <send µs, zero-padded, then padding>
            let sent = match fields.get(3) {
                Some(Resp::Bulk(Some(v))) => {
                    parse_int(v.get(..20).unwrap_or(v)).ok_or_else(|| bad("bad stamp"))? as u64
                }
                _ => return Err(bad("no data field")),
            };
            out.push((id, sent));
        }
    }
    Ok(out)
}

async fn reader(
    mut conn: Conn,
    key: String,
    events: usize,
    epoch: Instant,
    deadline: Instant,
) -> ReaderReport {
    let mut report = ReaderReport::default();
    let mut last = b"$".to_vec();
    let run = async {
        while report.latencies_us.len() < events {
            let req = encode(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", key.as_bytes(), &last]);
            conn.stream.write_all(&req).await?;
            let reply = read_resp(&mut conn).await?;
            let now = epoch.elapsed().as_micros() as u64;
            report.replies += 1;
            for (id, sent) in entries(reply)? {
                report.latencies_us.push(now.saturating_sub(sent));
                last = id;
            }
        }
        Ok::<(), io::Error>(())
    };
    match tokio::time::timeout_at(deadline.into(), run).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => report.error = Some(e.to_string()),
        Err(_) => report.error = Some("timed out".into()),
    }
    report
}

/// utime+stime of `pid` in seconds, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    Some((utime + stime) / 100.0)
}

async fn connect(o: &Opts) -> io::Result<Conn> {
    connect_to(o.host.clone(), o.port).await
}

async fn connect_to(host: String, port: u16) -> io::Result<Conn> {
    let s = TcpStream::connect((host.as_str(), port)).await?;
    s.set_nodelay(true)?;
    Ok(Conn {
        stream: s,
        buf: Vec::with_capacity(16 * 1024),
        at: 0,
    })
}

/// INFO clients' `blocked_clients`.
async fn blocked_clients(conn: &mut Conn) -> io::Result<usize> {
    let Resp::Bulk(Some(info)) = command(conn, &[b"INFO", b"clients"]).await? else {
        return Err(bad("INFO reply"));
    };
    let text = String::from_utf8_lossy(&info);
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0))
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run(o: Opts) -> io::Result<String> {
    let epoch = Instant::now();
    let mut control = connect(&o).await?;
    command(&mut control, &[b"DEL", o.key.as_bytes()]).await?;
    // Connect readers a hundred at a time (listen backlogs are finite).
    let mut conns = Vec::with_capacity(o.clients);
    for chunk in (0..o.clients).collect::<Vec<_>>().chunks(100) {
        let batch = chunk.iter().map(|_| connect_to(o.host.clone(), o.port));
        for c in futures_join(batch).await {
            conns.push(c?);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(o.timeout_s);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|c| tokio::spawn(reader(c, o.key.clone(), o.events, epoch, deadline)))
        .collect();
    // Every reader must be parked before the first append, or `$` would skip it.
    loop {
        if blocked_clients(&mut control).await? >= o.clients {
            break;
        }
        if Instant::now() > deadline {
            return Err(bad("readers did not all block"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu_before = o.pid.and_then(cpu_seconds);
    let started = Instant::now();
    let mut producer = connect(&o).await?;
    let pad = o.value_len.max(20);
    for i in 0..o.events {
        tokio::time::sleep_until(
            (started + Duration::from_millis(o.interval_ms * i as u64)).into(),
        )
        .await;
        let sent = epoch.elapsed().as_micros() as u64;
        let mut value = format!("{sent:020}").into_bytes();
        value.resize(pad, b'.');
        let reply = command(
            &mut producer,
            &[
                b"XADD",
                o.key.as_bytes(),
                b"*",
                b"role",
                b"producer",
                b"data",
                &value,
            ],
        )
        .await?;
        if let Resp::Error(e) = reply {
            return Err(bad(&format!("XADD failed: {e}")));
        }
    }
    // How long the appends took: past `interval_ms * events` when the server
    // answered the producer late (it is then measured at a lower rate).
    let produced = started.elapsed().as_secs_f64();
    let mut all = Vec::with_capacity(o.clients * o.events);
    let (mut replies, mut errors) = (0u64, Vec::new());
    for t in tasks {
        let report = t.await.map_err(|e| bad(&e.to_string()))?;
        replies += report.replies;
        all.extend(report.latencies_us);
        if let Some(e) = report.error {
            errors.push(e);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = o.pid.and_then(cpu_seconds);
    all.sort_unstable();
    let expected = o.clients * o.events;
    let cpu = match (cpu_before, cpu_after) {
        (Some(a), Some(b)) => format!("{:.3}", b - a),
        _ => "null".into(),
    };
    let per_delivery = match (cpu_before, cpu_after) {
        (Some(a), Some(b)) if !all.is_empty() => format!("{:.4}", (b - a) * 1e6 / all.len() as f64),
        _ => "null".into(),
    };
    errors.sort();
    errors.dedup();
    Ok(format!(
        "{{\"clients\": {}, \"events\": {}, \"expected\": {}, \"delivered\": {}, \"replies\": {}, \
         \"p50_us\": {}, \"p99_us\": {}, \"max_us\": {}, \"elapsed_s\": {:.3}, \"produce_s\": {:.3}, \"cpu_s\": {}, \
         \"cpu_per_delivery_us\": {}, \"errors\": {:?}}}",
        o.clients,
        o.events,
        expected,
        all.len(),
        replies,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        all.last().copied().unwrap_or(0),
        elapsed,
        produced,
        cpu,
        per_delivery,
        errors,
    ))
}

/// Awaits every future of `iter` concurrently, in order.
async fn futures_join<F, T>(iter: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = iter.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

fn main() -> std::process::ExitCode {
    let opts = match parse_opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fanout: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fanout: runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(opts)) {
        Ok(json) => {
            println!("{json}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fanout: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
