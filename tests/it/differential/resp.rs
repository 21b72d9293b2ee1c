//! Just enough RESP2/RESP3 to read whole replies, and a connection that sends requests.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::script::Step;

/// How long a server may take to answer one command before it counts as no reply.
pub(super) const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// A parsed reply.
#[derive(Clone, Debug)]
pub(super) enum Frame {
    /// `+ - : _ , # (` and anything unknown: the type byte and the line.
    Line(u8, Vec<u8>),
    /// `$ = !`: the type byte and the payload (`None` for a length of -1).
    Blob(u8, Option<Vec<u8>>),
    /// `* ~ > % |`: the type byte and the elements, map pairs flattened (`None` for -1).
    Agg(u8, Option<Vec<Frame>>),
}

#[derive(Clone)]
pub(super) enum NoReply {
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

pub(super) fn encode(frame: &Frame, out: &mut Vec<u8>) {
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
pub(super) struct Conn {
    pub(super) stream: TcpStream,
    pub(super) buf: Vec<u8>,
}

impl Conn {
    pub(super) async fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends one command and reads its reply (raw bytes and parsed).
    pub(super) async fn call(&mut self, args: &[Vec<u8>]) -> Result<(Vec<u8>, Frame), NoReply> {
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
    pub(super) async fn exchange(&mut self, step: &Step) -> Result<Vec<(Vec<u8>, Frame)>, NoReply> {
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

    pub(super) async fn reply(&mut self) -> Result<(Vec<u8>, Frame), NoReply> {
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
