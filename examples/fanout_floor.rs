//! The fan-out floor: the least a server can do per delivery in the fan-out probe's
//! exchange, to show how much of a delivery's cost is the kernel's.
//!
//! This is a measuring stick, not a server. It speaks just enough RESP2 for
//! `examples/fanout.rs` (DEL, INFO, XADD, XREAD BLOCK on one stream) from one
//! thread over epoll (mio), as Redis does: it reads each readable socket once,
//! answers an append's woken readers in one pass with one write each, keeps the
//! entries in a `Vec`, and checks nothing. Whatever a real server spends per
//! delivery above this floor is its own work; the floor itself is `sendto`,
//! `recvfrom` and the loopback TCP path under them.
//!
//! ```text
//! cargo run --release --example fanout_floor -- 7500 &
//! cargo run --release --example fanout -- --port 7500 --pid $! --interval-ms 20
//! ```

use std::collections::HashMap;
use std::io::{self, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    input: Vec<u8>,
    /// Blocked in XREAD: the number of entries it has seen.
    blocked_after: Option<usize>,
}

/// One parsed request and the bytes it took, or `None` until it is whole.
fn parse(buf: &[u8]) -> Option<(Vec<&[u8]>, usize)> {
    fn number(buf: &[u8], at: usize) -> Option<(usize, usize)> {
        let end = at + buf.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
        let n = std::str::from_utf8(buf.get(at + 1..end)?)
            .ok()?
            .parse()
            .ok()?;
        Some((n, end + 2))
    }
    let (argc, mut at) = number(buf, 0)?;
    let mut args = Vec::with_capacity(argc);
    for _ in 0..argc {
        let (len, start) = number(buf, at)?;
        let end = start + len;
        args.push(buf.get(start..end)?);
        buf.get(end..end + 2)?;
        at = end + 2;
    }
    Some((args, at))
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// The XREAD reply for `entries` (each: its ID and its RESP-encoded fields).
fn xread_reply(out: &mut Vec<u8>, key: &[u8], entries: &[(Vec<u8>, Vec<u8>)]) {
    out.extend_from_slice(b"*1\r\n*2\r\n");
    bulk(out, key);
    out.extend_from_slice(format!("*{}\r\n", entries.len()).as_bytes());
    for (id, fields) in entries {
        out.extend_from_slice(b"*2\r\n");
        bulk(out, id);
        out.extend_from_slice(fields);
    }
}

#[derive(Default)]
struct Floor {
    key: Vec<u8>,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Readers an append woke, answered after the current batch of events.
    woken: Vec<Token>,
}

impl Floor {
    fn run(&mut self, args: &[&[u8]], conn: &mut Conn, out: &mut Vec<u8>) {
        let name = args
            .first()
            .map(|a| a.to_ascii_uppercase())
            .unwrap_or_default();
        match (name.as_slice(), args.len()) {
            (b"DEL", _) => {
                self.entries.clear();
                out.extend_from_slice(b":0\r\n");
            }
            (b"XADD", n) if n >= 5 && n % 2 == 1 => {
                self.key = args[1].to_vec();
                let id = format!("{}-0", self.entries.len() + 1).into_bytes();
                bulk(out, &id);
                let mut fields = format!("*{}\r\n", n - 3).into_bytes();
                for f in &args[3..] {
                    bulk(&mut fields, f);
                }
                self.entries.push((id, fields));
            }
            // XREAD BLOCK <ms> STREAMS <key> <id>
            (b"XREAD", 6) => {
                let after = match args[5] {
                    b"$" => self.entries.len(),
                    id => std::str::from_utf8(id)
                        .ok()
                        .and_then(|s| s.split('-').next()?.parse().ok())
                        .unwrap_or(0),
                };
                if after < self.entries.len() {
                    xread_reply(out, &self.key, &self.entries[after..]);
                } else {
                    conn.blocked_after = Some(after);
                }
            }
            _ => out.extend_from_slice(b"-ERR the floor only knows DEL, INFO, XADD, XREAD\r\n"),
        }
    }
}

fn main() -> io::Result<()> {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        Some(Ok(port)) => port,
        _ => {
            eprintln!("usage: fanout_floor <port>");
            std::process::exit(2);
        }
    };
    let mut poll = Poll::new()?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns: HashMap<Token, Conn> = HashMap::new();
    let mut next = 0usize;
    let mut floor = Floor::default();
    let mut events = Events::with_capacity(1024);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut out = Vec::with_capacity(16 * 1024);
    loop {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    stream.set_nodelay(true)?;
                    let token = Token(next);
                    next += 1;
                    poll.registry()
                        .register(&mut stream, token, Interest::READABLE)?;
                    let conn = Conn {
                        stream,
                        input: Vec::new(),
                        blocked_after: None,
                    };
                    conns.insert(token, conn);
                }
                continue;
            }
            let token = event.token();
            // Out of the map while it runs, so INFO can count the others.
            let Some(mut conn) = conns.remove(&token) else {
                continue;
            };
            match conn.stream.read(&mut chunk) {
                Ok(0) => continue,
                Ok(n) => conn.input.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => continue,
            }
            out.clear();
            let input = std::mem::take(&mut conn.input);
            let mut used = 0;
            while let Some((args, n)) = parse(&input[used..]) {
                used += n;
                if args
                    .first()
                    .is_some_and(|a| a.eq_ignore_ascii_case(b"INFO"))
                {
                    let blocked = conns.values().filter(|c| c.blocked_after.is_some()).count()
                        + usize::from(conn.blocked_after.is_some());
                    let text = format!("# Clients\r\nblocked_clients:{blocked}\r\n");
                    bulk(&mut out, text.as_bytes());
                    continue;
                }
                let appended = floor.entries.len();
                floor.run(&args, &mut conn, &mut out);
                if floor.entries.len() > appended {
                    floor.woken = conns
                        .iter()
                        .filter(|(_, c)| c.blocked_after.is_some())
                        .map(|(t, _)| *t)
                        .collect();
                }
            }
            conn.input = input[used..].to_vec();
            // A client that does not take its reply at once is dropped: the floor
            // keeps no output buffers.
            if out.is_empty() || conn.stream.write_all(&out).is_ok() {
                conns.insert(token, conn);
            }
        }
        // As Redis before it sleeps: every woken reader gets its reply, one write each.
        for token in std::mem::take(&mut floor.woken) {
            let Some(conn) = conns.get_mut(&token) else {
                continue;
            };
            if let Some(after) = conn.blocked_after.take() {
                out.clear();
                xread_reply(&mut out, &floor.key, &floor.entries[after..]);
                if conn.stream.write_all(&out).is_err() {
                    conns.remove(&token);
                }
            }
        }
    }
}
