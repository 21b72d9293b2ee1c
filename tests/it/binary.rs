//! The `ringbus` binary itself: settings that only it reads (the runtime's worker
//! threads), checked on a real process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use redis::AsyncCommands;

/// A running `ringbus` process, killed when dropped (also when a test fails).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port with `args`; returns it with the address it
/// logged and the `worker_threads` its runtime reported.
fn spawn(args: &[&str]) -> (Process, SocketAddr, u64) {
    let child = Command::new(env!("CARGO_BIN_EXE_ringbus"))
        .args([
            "--port",
            "0",
            "--metrics-addr",
            "off",
            "--log-format",
            "json",
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut process = Process(child);
    let stderr = process.0.stderr.take().expect("stderr is piped");
    let (mut addr, mut workers) = (None, None);
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.expect("log line");
        let event: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        let fields = &event["fields"];
        match fields["message"].as_str() {
            Some("runtime started") => workers = fields["worker_threads"].as_u64(),
            Some("ringbus listening") => {
                addr = fields["addr"].as_str().and_then(|a| a.parse().ok());
                break;
            }
            _ => {}
        }
    }
    // Keep reading, so that the server's later log lines never meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let addr = addr.expect("the binary logs the address it listens on");
    (
        process,
        addr,
        workers.expect("the runtime logs its worker count"),
    )
}

/// Threads of process `pid`, from `/proc` (Linux).
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("/proc is readable")
        .count()
}

#[tokio::test]
async fn worker_threads_sets_the_runtime_size() {
    for (arg, expected) in [("1", 1), ("3", 3)] {
        let (process, addr, workers) = spawn(&["--worker-threads", arg]);
        assert_eq!(workers, expected);
        let mut con = crate::support::connect(addr, false).await;
        let got: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("worker-threads")
            .query_async(&mut con)
            .await
            .expect("CONFIG GET");
        assert_eq!(got, ["worker-threads", arg]);
        let _: String = con
            .xadd("s:conversation", "*", &[("role", "user")])
            .await
            .expect("XADD");
        let len: usize = con.xlen("s:conversation").await.expect("XLEN");
        assert_eq!(len, 1);
        // The main thread, blocked on the runtime, and the workers: nothing else.
        assert_eq!(threads(process.0.id()) as u64, 1 + expected);
    }
}

#[tokio::test]
async fn worker_threads_defaults_to_one_per_core() {
    let (_process, _addr, workers) = spawn(&[]);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    // Unless the tests themselves run under TOKIO_WORKER_THREADS, which tokio honours
    // when the setting is 0.
    let expected = std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cores);
    assert_eq!(workers, expected);
}
