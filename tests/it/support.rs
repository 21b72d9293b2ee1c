//! Test helpers: a ringbus server on port 0 in the test's runtime, `redis` crate
//! connections to it, and a raw-bytes client that reads exactly one reply at a time.

use std::net::SocketAddr;
use std::time::Duration;

use ringbus::config::Config;
use ringbus::server::RunningServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A config on a free loopback port with no metrics listener.
pub fn test_config() -> Config {
    Config {
        port: 0,
        bind: vec!["127.0.0.1".parse().expect("loopback")],
        metrics_addr: None,
        ..Config::default()
    }
}

/// Starts a server with `config` (port forced to 0).
pub async fn start_with(mut config: Config) -> RunningServer {
    config.port = 0;
    ringbus::server::start(config).await.expect("server starts")
}

/// Starts a server with the test defaults.
pub async fn start() -> RunningServer {
    start_with(test_config()).await
}

/// A `redis` crate async connection speaking RESP2 or RESP3.
pub async fn connect(addr: SocketAddr, resp3: bool) -> redis::aio::MultiplexedConnection {
    let url = if resp3 {
        format!("redis://{addr}/?protocol=resp3")
    } else {
        format!("redis://{addr}/")
    };
    let client = redis::Client::open(url).expect("valid url");
    client
        .get_multiplexed_async_connection()
        .await
        .expect("connects")
}

/// A raw connection: send bytes, read whole RESP replies.
pub struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).await.expect("connects");
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends `bytes` as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Sends a command as a multibulk request.
    pub async fn cmd(&mut self, args: &[&str]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{}\r\n", a.len(), a).as_bytes());
        }
        self.send(&out).await;
    }

    /// Sends a command and returns its raw reply.
    pub async fn call(&mut self, args: &[&str]) -> String {
        self.cmd(args).await;
        self.reply().await
    }

    /// Reads one complete reply (as text, lossily), or panics after 5 s.
    pub async fn reply(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(n) = frame_len(&self.buf, 0) {
                let frame: Vec<u8> = self.buf.drain(..n).collect();
                return String::from_utf8_lossy(&frame).into_owned();
            }
            self.buf.reserve(64 * 1024);
            let read = tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf))
                .await
                .expect("reply within 5s")
                .expect("read");
            assert!(
                read > 0,
                "connection closed; buffered: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
    }

    /// True when the server closes the connection within 5 s (after any replies).
    pub async fn closed(&mut self) -> bool {
        loop {
            self.buf.reserve(4096);
            match tokio::time::timeout(Duration::from_secs(5), self.stream.read_buf(&mut self.buf))
                .await
            {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {}
                Err(_) => return false,
            }
        }
    }
}

/// Length of the complete RESP frame at `pos`, if it is all in `buf`.
fn frame_len(buf: &[u8], pos: usize) -> Option<usize> {
    let line_end = pos + buf.get(pos..)?.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(&buf[pos + 1..line_end]).ok()?;
    let after = line_end + 2;
    match *buf.get(pos)? {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after - pos),
        b'$' | b'=' | b'!' => {
            let n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some(after - pos);
            }
            let end = after + n as usize + 2;
            (buf.len() >= end).then_some(end - pos)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n: i64 = head.parse().ok()?;
            let items = if matches!(buf[pos], b'%' | b'|') {
                2 * n
            } else {
                n
            };
            let mut at = after;
            for _ in 0..items.max(0) {
                at += frame_len(buf, at)?;
            }
            Some(at - pos)
        }
        _ => Some(after - pos),
    }
}
