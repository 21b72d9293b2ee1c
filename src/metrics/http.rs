//! The `/metrics` endpoint: just enough HTTP/1.x for Prometheus and curl. Each
//! connection gets one response and is closed; the request head is capped in size
//! and time so a stray client cannot hold anything.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::server::SharedState;

/// Longest request head read (request line and headers).
const MAX_HEAD: usize = 8 * 1024;
/// How long a client has to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Most scrapes served at once; further connections wait to be accepted.
const MAX_CONCURRENT: usize = 16;

/// The content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves `GET /metrics` on `listener` until the server shuts down.
pub async fn serve(listener: TcpListener, state: SharedState) {
    let mut scrapes = JoinSet::new();
    loop {
        while scrapes.len() >= MAX_CONCURRENT {
            let _ = scrapes.join_next().await;
        }
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            Some(_) = scrapes.join_next(), if !scrapes.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    scrapes.spawn(answer(stream, peer, Arc::clone(&state)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    scrapes.shutdown().await;
}

/// Reads one request head and answers it.
async fn answer(mut stream: TcpStream, peer: SocketAddr, state: SharedState) {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(Some(head))) => head,
        Ok(Ok(None)) => return,
        Ok(Err(e)) => {
            tracing::info!(%peer, error = %e, "metrics request failed");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "metrics request timed out");
            return;
        }
    };
    let (status, body) = route(&head, &state);
    let content_type = if status.starts_with("200") {
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let is_head = head.starts_with("HEAD ");
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !is_head {
        response.extend_from_slice(body.as_bytes());
    }
    if let Err(e) = stream.write_all(&response).await {
        tracing::info!(%peer, error = %e, "metrics response failed");
    }
    let _ = stream.shutdown().await;
}

/// The status line's code and reason, and the body, for a request head.
fn route(head: &str, state: &SharedState) -> (&'static str, String) {
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET" | "HEAD", "/metrics") => match &state.metrics {
            Some(metrics) => ("200 OK", metrics.render(state)),
            None => ("404 Not Found", "metrics are disabled\n".into()),
        },
        ("GET" | "HEAD", "/") => (
            "200 OK",
            "ringbus: Prometheus metrics are at /metrics\n".into(),
        ),
        ("GET" | "HEAD", _) => ("404 Not Found", "not found: try /metrics\n".into()),
        _ => ("405 Method Not Allowed", "only GET and HEAD\n".into()),
    }
}

/// Reads up to the blank line that ends a request head; `None` when the client
/// closed first.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        if buf.len() >= MAX_HEAD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn routes_and_status_codes() {
        let config = crate::config::Config {
            port: 0,
            metrics_addr: None,
            ..crate::config::Config::default()
        };
        let state = Arc::new(crate::server::ServerState::new(
            config,
            0,
            Arc::new(crate::store::Store::new(1, Default::default())),
        ));
        assert_eq!(
            route("GET /metrics HTTP/1.1\r\n\r\n", &state).0,
            "404 Not Found"
        );
        assert_eq!(route("GET / HTTP/1.1\r\n\r\n", &state).0, "200 OK");
        assert_eq!(route("GET /x HTTP/1.1\r\n\r\n", &state).0, "404 Not Found");
        assert_eq!(
            route("POST /metrics HTTP/1.1\r\n\r\n", &state).0,
            "405 Method Not Allowed"
        );
    }
}
