//! The real `redis-server` the scripts run against.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::resp::{Conn, Frame};

pub(super) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A `redis-server` child process, killed (and its directory removed) on drop, so it
/// goes away even when the test fails.
pub(crate) struct RedisServer {
    pub(super) child: Child,
    pub(crate) addr: SocketAddr,
    pub(super) dir: PathBuf,
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
    pub(super) async fn start(bin: &Path) -> RedisServer {
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
pub(super) async fn redis_version(addr: SocketAddr) -> String {
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
