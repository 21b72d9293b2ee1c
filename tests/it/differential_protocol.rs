//! Random differential test of the request parser: seeded byte strings, built from
//! pieces of RESP and inline requests with the mistakes clients and attackers make
//! (bad lengths, missing CRLFs, stray quotes, negative and huge counts), are sent to
//! `redis-server` 7.0.15 and to ringbus on fresh connections. The client then closes
//! its side, and everything each server sent back until it closed must be the same
//! bytes: the replies to the requests that parsed, the protocol error, and where the
//! connection stops.
//!
//! ```sh
//! RINGBUS_PROTOCOL_SEEDS=20000 cargo test --test it differential_protocol -- --nocapture
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::differential::Servers;

/// Inputs that once found a difference, tried before the random ones.
const KNOWN: &[&[u8]] = &[
    // Redis's "expected '$', got '%c'" sends the byte itself, UTF-8 or not.
    b"*1\r\n\xc3\xa9   \r\n",
    // Unknown commands and subcommands quote the client's bytes as they came, and
    // as C strings (up to a NUL).
    b"*-2\r\xc3\xa9\r*ECHO\r\n",
    b"*3\r\n$3\r\nA\xffB\r\n$3\r\nx\x00y\r\n$1\r\nz\r\n",
    b"*2\r\n$3\r\nX\x00Y\r\n$1\r\nz\r\n",
    b"CLIENT NO\xffX\r\nCONFIG GET\xff x\r\n",
];

/// Random inputs tried by default.
const DEFAULT_SEEDS: u64 = 1500;

/// How long a server may stay silent before what it sent so far is taken as all.
const QUIET: Duration = Duration::from_secs(2);

#[tokio::test]
async fn differential_protocol_against_redis() {
    let Some(servers) = Servers::start().await else {
        return;
    };
    let n = std::env::var("RINGBUS_PROTOCOL_SEEDS")
        .ok()
        .map(|n| n.parse().expect("RINGBUS_PROTOCOL_SEEDS is a whole number"))
        .unwrap_or(DEFAULT_SEEDS);
    let mut mismatches = Vec::new();
    let known = KNOWN
        .iter()
        .map(|input| ("known".to_string(), input.to_vec()));
    let random = (1..=n).map(|seed| (format!("seed {seed}"), input(seed)));
    for (name, input) in known.chain(random) {
        let (redis, ringbus) = tokio::join!(
            exchange(servers.redis.addr, &input),
            exchange(servers.ringbus.local_addr(), &input)
        );
        if redis != ringbus {
            mismatches.push(format!(
                "{name}, input {}\n    redis:   {}\n    ringbus: {}",
                show(&input),
                show_outcome(&redis),
                show_outcome(&ringbus)
            ));
        }
    }
    println!(
        "differential_protocol: redis-server {} vs ringbus, {} known and {n} random inputs, \
         {} mismatches",
        servers.redis_version,
        KNOWN.len(),
        mismatches.len()
    );
    servers.fail_on(&mismatches);
}

/// What a server sent back, and whether it then closed the connection (rather than
/// waiting for more).
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    sent: Vec<u8>,
    closed: bool,
}

/// Sends `input`, closes the sending side, and reads until the server closes or
/// stays quiet.
async fn exchange(addr: SocketAddr, input: &[u8]) -> Outcome {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    let mut sent = Vec::new();
    // A server may close before reading everything (after a protocol error); what
    // it sent is still there to read.
    let _ = stream.write_all(input).await;
    let _ = stream.shutdown().await;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(QUIET, stream.read(&mut buf)).await {
            Err(_) => {
                return Outcome {
                    sent,
                    closed: false,
                }
            }
            Ok(Ok(0)) | Ok(Err(_)) => return Outcome { sent, closed: true },
            Ok(Ok(n)) => sent.extend_from_slice(&buf[..n]),
        }
    }
}

/// The input for `seed`: a few pieces, each a whole request, part of one, or noise.
fn input(seed: u64) -> Vec<u8> {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut out = Vec::new();
    for _ in 0..rng.random_range(1..=6) {
        piece(&mut rng, &mut out);
    }
    out
}

/// Whole requests the servers answer the same way whatever state they are in.
const COMMANDS: [&[&str]; 8] = [
    &["PING"],
    &["PING", "hello world"],
    &["ECHO", "a"],
    &["ECHO", ""],
    &["XLEN", "s1:conversation"],
    &["EXISTS", "s1:conversation", "s2:insights"],
    &["NOSUCH", "x"],
    &["QUIT"],
];

fn piece(rng: &mut TestRng, out: &mut Vec<u8>) {
    let pick = |rng: &mut TestRng, from: &[&'static str]| from[rng.random_range(0..from.len())];
    match rng.random_range(0..14u32) {
        // A well-formed multibulk request.
        0..=2 => {
            let args = COMMANDS[rng.random_range(0..COMMANDS.len())];
            out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        // A well-formed inline request, now and then with quotes or only `\n`.
        3..=4 => {
            let args = COMMANDS[rng.random_range(0..COMMANDS.len())];
            let line: Vec<String> = args
                .iter()
                .map(|a| {
                    if a.is_empty() || a.contains(' ') || rng.random_bool(0.2) {
                        format!("\"{a}\"")
                    } else {
                        a.to_string()
                    }
                })
                .collect();
            out.extend_from_slice(line.join(" ").as_bytes());
            out.extend_from_slice(pick(rng, &["\r\n", "\r\n", "\n"]).as_bytes());
        }
        // A multibulk header, right or wrong.
        5..=6 => {
            let n = pick(
                rng,
                &[
                    "0",
                    "1",
                    "2",
                    "-1",
                    "-2",
                    "",
                    "abc",
                    "1a",
                    " 1",
                    "+1",
                    "1048576",
                    "1048577",
                    "2147483648",
                    "9223372036854775808",
                ],
            );
            out.extend_from_slice(format!("*{n}").as_bytes());
            out.extend_from_slice(pick(rng, &["\r\n", "\r\n", "\r\n", "\n", "\r", ""]).as_bytes());
        }
        // A bulk string, its length right or wrong.
        7..=8 => {
            let body = pick(rng, &["PING", "ECHO", "a", "", "world", "XLEN"]);
            let len = if rng.random_bool(0.6) {
                body.len().to_string()
            } else {
                pick(
                    rng,
                    &[
                        "-1",
                        "-2",
                        "",
                        "x",
                        "0",
                        "3",
                        "10",
                        "536870912",
                        "536870913",
                        "9223372036854775808",
                    ],
                )
                .to_string()
            };
            let head = pick(rng, &["$", "$", "$", "$", "+", ":", "x"]);
            out.extend_from_slice(format!("{head}{len}\r\n{body}").as_bytes());
            out.extend_from_slice(pick(rng, &["\r\n", "\r\n", "\n", "", "xx"]).as_bytes());
        }
        // Inline noise: quotes, escapes, blank lines.
        9..=10 => {
            let line = pick(
                rng,
                &[
                    "\"unbalanced",
                    "ECHO \"a\"b",
                    "ECHO 'a'b",
                    "ECHO \"\\x41\\n\"",
                    "ECHO 'it\\'s'",
                    "ECHO \"\\xZZ\"",
                    "   ",
                    "",
                    "\"\"",
                    "PING \"a b\" c",
                ],
            );
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(pick(rng, &["\r\n", "\n", "\r\n"]).as_bytes());
        }
        // An inline line of quoting soup after a command name: escapes, quotes
        // that close or not, tabs, hex escapes whole and broken (sdssplitargs's
        // corners).
        12..=13 => {
            out.extend_from_slice(pick(rng, &["ECHO ", "PING ", "NOSUCH ", ""]).as_bytes());
            for _ in 0..rng.random_range(1..=12) {
                let piece = pick(
                    rng,
                    &[
                        "a", "b", " ", "  ", "\t", "\"", "'", "\\", "\\\"", "\\'", "\\x41", "\\x4",
                        "\\xg1", "\\n", "\\r", "\\b", "\\a", "\\q", "\u{0b}", "\u{e9}",
                    ],
                );
                out.extend_from_slice(piece.as_bytes());
            }
            out.extend_from_slice(pick(rng, &["\r\n", "\n"]).as_bytes());
        }
        // A few raw bytes.
        _ => {
            for _ in 0..rng.random_range(1..=4) {
                let b = pick(
                    rng,
                    &["\r", "\n", "\0", " ", "*", "$", "\"", "\u{7f}", "\u{e9}"],
                );
                out.extend_from_slice(b.as_bytes());
            }
        }
    }
}

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn show_outcome(o: &Outcome) -> String {
    format!(
        "\"{}\" then {}",
        show(&o.sent),
        if o.closed { "closed" } else { "left open" }
    )
}

#[test]
fn inputs_are_repeatable() {
    assert_eq!(input(3), input(3));
    assert!((1..50).map(input).any(|i| i != input(1)));
}
