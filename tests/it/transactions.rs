//! MULTI/EXEC over TCP where more than one client or the server's own sweeps are
//! involved: WATCH touched by another client, by SESSION.END, by idle sessions and
//! max-age trims and by the embedded API; EXEC's atomicity against a concurrent
//! reader on a multi-threaded runtime; a blocked reader served once with all of a
//! transaction's entries; XREAD BLOCK inside MULTI answering at once. Reply shapes
//! are covered byte for byte by tests/differential/transactions.txt.

use std::time::Duration;

use ringbus::config::TrackSpec;
use ringbus::server::start_with_broker;
use ringbus::Broker;

use crate::support::{start, start_with, test_config, Raw};

const WAIT: Duration = Duration::from_secs(5);

/// WATCH `key` on `r`, let `touch` run on another connection, then MULTI/PING/EXEC:
/// the raw EXEC reply.
async fn exec_after(r: &mut Raw, other: &mut Raw, key: &str, touch: &[&str]) -> String {
    assert_eq!(r.call(&["WATCH", key]).await, "+OK\r\n");
    other.call(touch).await;
    assert_eq!(r.call(&["MULTI"]).await, "+OK\r\n");
    assert_eq!(r.call(&["PING"]).await, "+QUEUED\r\n");
    r.call(&["EXEC"]).await
}

const ABORTED: &str = "*-1\r\n";
const RAN: &str = "*1\r\n+PONG\r\n";

#[tokio::test]
async fn watch_is_touched_by_other_clients_and_session_end() {
    let server = start().await;
    let mut a = Raw::connect(server.local_addr()).await;
    let mut b = Raw::connect(server.local_addr()).await;
    b.call(&["XADD", "s1:conversation", "*", "f", "v"]).await;
    let touched = exec_after(&mut a, &mut b, "s1:conversation", &["SESSION.END", "s1"]).await;
    assert_eq!(touched, ABORTED, "SESSION.END deletes the session's tracks");
    let untouched = exec_after(&mut a, &mut b, "s1:insights", &["SESSION.END", "s1"]).await;
    assert_eq!(untouched, RAN, "nothing to end: nothing changed");
    // RESP3 gives the null as `_`.
    assert!(a.call(&["HELLO", "3"]).await.starts_with('%'));
    let created = exec_after(&mut a, &mut b, "fresh", &["XADD", "fresh", "*", "f", "v"]).await;
    assert_eq!(created, "_\r\n");
}

#[tokio::test]
async fn the_embedded_api_touches_watched_keys() {
    let broker = Broker::new(&test_config());
    let server = start_with_broker(test_config(), &broker)
        .await
        .expect("server starts");
    let mut a = Raw::connect(server.local_addr()).await;
    assert_eq!(a.call(&["WATCH", "{e}:conversation"]).await, "+OK\r\n");
    broker
        .session("{e}")
        .track("conversation")
        .append(&[("f", "v")])
        .expect("append");
    assert_eq!(a.call(&["MULTI"]).await, "+OK\r\n");
    assert_eq!(a.call(&["PING"]).await, "+QUEUED\r\n");
    assert_eq!(a.call(&["EXEC"]).await, ABORTED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_session_end_and_max_age_trims_touch() {
    let mut config = test_config();
    config.session_idle_timeout = Some(Duration::from_secs(1));
    config.tracks = vec![
        TrackSpec {
            name: "conversation".into(),
            capacity: 100,
            max_age: None,
        },
        TrackSpec {
            name: "insights".into(),
            capacity: 100,
            max_age: Some(Duration::from_millis(200)),
        },
    ];
    let server = start_with(config).await;
    let mut a = Raw::connect(server.local_addr()).await;
    let mut b = Raw::connect(server.local_addr()).await;
    // The insights stream keeps being appended to (so its session stays), while
    // its old entries age out; the other session goes idle and ends.
    b.call(&["XADD", "old:conversation", "*", "f", "v"]).await;
    b.call(&["XADD", "aging:insights", "*", "f", "v"]).await;
    b.call(&["XADD", "aging:insights", "*", "f", "v"]).await;
    assert_eq!(a.call(&["WATCH", "old:conversation"]).await, "+OK\r\n");
    let mut c = Raw::connect(server.local_addr()).await;
    assert_eq!(c.call(&["WATCH", "aging:insights"]).await, "+OK\r\n");
    // Both happen in the background within a few sweeps.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let gone = b.call(&["EXISTS", "old:conversation"]).await == ":0\r\n";
        if gone {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "idle session ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (r, what) in [(&mut a, "idle session end"), (&mut c, "max-age trim")] {
        assert_eq!(r.call(&["MULTI"]).await, "+OK\r\n");
        assert_eq!(r.call(&["PING"]).await, "+QUEUED\r\n");
        assert_eq!(r.call(&["EXEC"]).await, ABORTED, "{what} touches");
    }
}

#[tokio::test]
async fn expiry_is_not_a_modification_as_in_redis_7_0() {
    let server = start().await;
    let mut a = Raw::connect(server.local_addr()).await;
    let mut b = Raw::connect(server.local_addr()).await;
    b.call(&["XADD", "ttl", "*", "f", "v"]).await;
    b.call(&["PEXPIRE", "ttl", "50"]).await;
    assert_eq!(a.call(&["WATCH", "ttl"]).await, "+OK\r\n");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.call(&["EXISTS", "ttl"]).await, ":0\r\n");
    assert_eq!(a.call(&["MULTI"]).await, "+OK\r\n");
    assert_eq!(a.call(&["PING"]).await, "+QUEUED\r\n");
    assert_eq!(a.call(&["EXEC"]).await, RAN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_is_atomic_for_a_concurrent_reader() {
    const BATCH: usize = 50;
    const ROUNDS: usize = 40;
    let server = start().await;
    let addr = server.local_addr();
    let writer = tokio::spawn(async move {
        let mut w = Raw::connect(addr).await;
        let mut tx = Vec::new();
        tx.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        for _ in 0..BATCH {
            tx.extend_from_slice(
                b"*5\r\n$4\r\nXADD\r\n$4\r\natom\r\n$1\r\n*\r\n$1\r\nf\r\n$1\r\nv\r\n",
            );
        }
        tx.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
        for _ in 0..ROUNDS {
            w.send(&tx).await;
            for _ in 0..BATCH + 1 {
                w.reply().await;
            }
            let exec = w.reply().await;
            assert!(exec.starts_with(&format!("*{BATCH}\r\n")), "{exec}");
        }
    });
    let mut r = Raw::connect(addr).await;
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let done = writer.is_finished();
        let len = r.call(&["XLEN", "atom"]).await;
        let n: usize = len
            .trim_start_matches(':')
            .trim_end()
            .parse()
            .expect("XLEN");
        assert_eq!(n % BATCH, 0, "a reader saw half a transaction: {n}");
        seen.insert(n);
        if done {
            break;
        }
    }
    writer.await.expect("writer");
    assert_eq!(r.call(&["XLEN", "atom"]).await, ":1000\r\n", "capped ring");
    assert!(!seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_reader_gets_all_of_exec_in_one_reply() {
    let server = start().await;
    let mut reader = Raw::connect(server.local_addr()).await;
    let mut w = Raw::connect(server.local_addr()).await;
    w.call(&["XADD", "feed", "1-1", "f", "v"]).await;
    reader
        .cmd(&["XREAD", "BLOCK", "0", "STREAMS", "feed", "$"])
        .await;
    // Parked once INFO counts it.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !w
        .call(&["INFO", "clients"])
        .await
        .contains("blocked_clients:1")
    {
        assert!(tokio::time::Instant::now() < deadline, "reader parked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(w.call(&["MULTI"]).await, "+OK\r\n");
    for id in ["2-1", "2-2", "2-3"] {
        assert_eq!(w.call(&["XADD", "feed", id, "f", "v"]).await, "+QUEUED\r\n");
    }
    let exec = w.call(&["EXEC"]).await;
    assert_eq!(exec, "*3\r\n$3\r\n2-1\r\n$3\r\n2-2\r\n$3\r\n2-3\r\n");
    let got = reader.reply().await;
    assert!(got.starts_with("*1\r\n*2\r\n$4\r\nfeed\r\n*3\r\n"), "{got}");
    for id in ["2-1", "2-2", "2-3"] {
        assert!(got.contains(id), "{got}");
    }
    // Served once: the next reply is the next request's.
    assert_eq!(reader.call(&["PING"]).await, "+PONG\r\n");
}

#[tokio::test]
async fn xread_block_inside_multi_answers_at_once() {
    let server = start().await;
    let mut r = Raw::connect(server.local_addr()).await;
    assert_eq!(r.call(&["MULTI"]).await, "+OK\r\n");
    let q = r
        .call(&["XREAD", "BLOCK", "0", "STREAMS", "nothing", "$"])
        .await;
    assert_eq!(q, "+QUEUED\r\n");
    let exec = tokio::time::timeout(Duration::from_secs(2), r.call(&["EXEC"]))
        .await
        .expect("EXEC does not block");
    assert_eq!(exec, "*1\r\n*-1\r\n");
    assert!(r
        .call(&["INFO", "clients"])
        .await
        .contains("blocked_clients:0"));
}

#[tokio::test]
async fn client_list_shows_multi_and_watch_state_clears() {
    let server = start().await;
    let mut a = Raw::connect(server.local_addr()).await;
    assert_eq!(a.call(&["MULTI"]).await, "+OK\r\n");
    a.call(&["PING"]).await;
    a.call(&["PING"]).await;
    let mut b = Raw::connect(server.local_addr()).await;
    let list = b.call(&["CLIENT", "LIST"]).await;
    let line = list
        .lines()
        .find(|l| l.contains("cmd=ping"))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("flags=x "), "{line}");
    assert!(line.contains(" multi=2 "), "{line}");
    assert_eq!(a.call(&["DISCARD"]).await, "+OK\r\n");
    let list = b.call(&["CLIENT", "LIST"]).await;
    assert!(list.contains("multi=-1"), "{list}");
    // A client that disconnects leaves no WATCH registration behind.
    a.call(&["WATCH", "k1", "k2"]).await;
    assert_eq!(server.state().store.db(0).watch_count(), 2);
    drop(a);
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.state().store.db(0).watch_count() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "unwatched on close");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
