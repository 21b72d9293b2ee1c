//! XREAD BLOCK over TCP: wake-ups, timeouts, `$`, keys that appear later, several
//! streams, pipelining around a blocked command, INFO's `blocked_clients`, clients
//! that go away while blocked, and fan-out to 1,000 blocked connections.

use std::time::{Duration, Instant};

use crate::streams::{
    blocked_clients, call, entries, ids, int, reader, text, wait_blocked_clients, xadd,
    xread_reply, ReadReply,
};
use crate::support::{connect, start, Raw};

const WAIT: Duration = Duration::from_secs(5);

/// Runs `args` on `con` in a task (it blocks), returning the parsed XREAD reply.
fn spawn_xread(
    mut con: redis::aio::MultiplexedConnection,
    args: Vec<String>,
    resp3: bool,
) -> tokio::task::JoinHandle<Option<ReadReply>> {
    tokio::spawn(async move {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        xread_reply(&call(&mut con, &words).await, resp3)
    })
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// Awaits a reader task, failing after `WAIT`.
async fn served(task: tokio::task::JoinHandle<Option<ReadReply>>) -> Option<ReadReply> {
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the blocked reader is answered within 5 s")
        .expect("reader task")
}

/// A raw connection switched to `resp3` when asked.
async fn raw(addr: std::net::SocketAddr, resp3: bool) -> Raw {
    let mut r = Raw::connect(addr).await;
    if resp3 {
        let hello = r.call(&["HELLO", "3"]).await;
        assert!(hello.starts_with('%'), "{hello}");
    }
    r
}

/// True when nothing arrives on `r` within `for_ms` (the reply stays pending).
async fn silent(r: &mut Raw, for_ms: u64) -> bool {
    tokio::time::timeout(Duration::from_millis(for_ms), r.reply())
        .await
        .is_err()
}

#[tokio::test]
async fn block_zero_is_woken_by_xadd_from_another_connection() {
    for resp3 in [false, true] {
        let server = start().await;
        let addr = server.local_addr();
        let mut writer = connect(addr, resp3).await;
        xadd(&mut writer, "s", "1-0", &[("old", "1")]).await;
        let task = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD BLOCK 0 STREAMS s 1-0"),
            resp3,
        );
        wait_blocked_clients(&mut writer, 1, WAIT).await;
        let id = xadd(&mut writer, "s", "*", &[("role", "user"), ("data", "hi")]).await;
        let got = served(task).await.expect("data, not null");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "s");
        assert_eq!(
            got[0].1,
            vec![(
                id,
                vec![
                    ("role".to_string(), "user".to_string()),
                    ("data".to_string(), "hi".to_string())
                ]
            )]
        );
        wait_blocked_clients(&mut writer, 0, WAIT).await;
        server.shutdown();
    }
}

#[tokio::test]
async fn block_with_timeout_returns_null_after_the_timeout() {
    let server = start().await;
    let addr = server.local_addr();
    for (resp3, null) in [(false, "*-1\r\n"), (true, "_\r\n")] {
        let mut r = raw(addr, resp3).await;
        let started = Instant::now();
        assert_eq!(
            r.call(&["XREAD", "BLOCK", "150", "STREAMS", "nosuch", "0"])
                .await,
            null
        );
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(150) && took < Duration::from_millis(1500),
            "timed out after {took:?}"
        );
        // The connection carries on normally afterwards.
        assert_eq!(r.call(&["PING"]).await, "+PONG\r\n");
    }
    // Through the redis crate: Nil in both protocols, and nothing left blocked.
    for resp3 in [false, true] {
        let mut con = connect(addr, resp3).await;
        let key = format!("s{resp3}");
        xadd(&mut con, &key, "5-0", &[("f", "v")]).await;
        let v = call(&mut con, &["XREAD", "BLOCK", "50", "STREAMS", &key, "$"]).await;
        assert_eq!(v, redis::Value::Nil);
        assert_eq!(blocked_clients(&mut con).await, 0);
    }
    // Data that arrives before the timeout is served at once.
    let mut con = connect(addr, false).await;
    let task = spawn_xread(
        reader(addr, false).await,
        words("XREAD BLOCK 5000 STREAMS t $"),
        false,
    );
    wait_blocked_clients(&mut con, 1, WAIT).await;
    let started = Instant::now();
    xadd(&mut con, "t", "1-0", &[("f", "v")]).await;
    let got = served(task).await.expect("served");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(ids(&got[0].1), ["1-0"]);
    server.shutdown();
}

/// A connection's blocking commands one after another: the first times out and
/// leaves its registration on `a`; an append to `a` must not answer the second,
/// which waits on `b` only, and an append to `b` must.
#[tokio::test]
async fn a_later_block_on_another_stream_is_not_answered_by_the_first() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    xadd(&mut con, "a", "1-0", &[("f", "v")]).await;
    xadd(&mut con, "b", "1-0", &[("f", "v")]).await;
    let mut r = raw(addr, false).await;
    for round in 0..3 {
        assert_eq!(
            r.call(&["XREAD", "BLOCK", "20", "STREAMS", "a", "$"]).await,
            "*-1\r\n"
        );
        r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "b", "$"]).await;
        wait_blocked_clients(&mut con, 1, WAIT).await;
        xadd(&mut con, "a", &format!("{}-0", round + 2), &[("f", "v")]).await;
        assert!(
            silent(&mut r, 100).await,
            "answered by a stream it does not read"
        );
        let id = format!("{}-0", round + 2);
        xadd(&mut con, "b", &id, &[("f", "v")]).await;
        let reply = r.reply().await;
        assert!(
            reply.contains("$1\r\nb\r\n") && reply.contains(&id),
            "{reply}"
        );
        // Served at once by data already there: the bell is clean again.
        let got = r.call(&["XREAD", "BLOCK", "0", "STREAMS", "b", "0"]).await;
        assert!(got.contains(&id), "{got}");
    }
    server.shutdown();
}

#[tokio::test]
async fn dollar_only_returns_entries_added_after_the_call() {
    for resp3 in [false, true] {
        let server = start().await;
        let addr = server.local_addr();
        let mut writer = connect(addr, resp3).await;
        for i in 1..=3 {
            xadd(
                &mut writer,
                "s",
                &format!("{i}-0"),
                &[("n", &i.to_string())],
            )
            .await;
        }
        let task = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD COUNT 10 BLOCK 0 STREAMS s $"),
            resp3,
        );
        wait_blocked_clients(&mut writer, 1, WAIT).await;
        xadd(&mut writer, "s", "4-0", &[("n", "4")]).await;
        let got = served(task).await.expect("served");
        assert_eq!(ids(&got[0].1), ["4-0"]);
        // After the newest entry is deleted, a `$` reader still gets the next append.
        assert_eq!(int(&mut writer, &["XDEL", "s", "4-0"]).await, 1);
        let task = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD BLOCK 0 STREAMS s $"),
            resp3,
        );
        wait_blocked_clients(&mut writer, 1, WAIT).await;
        xadd(&mut writer, "s", "5-0", &[("n", "5")]).await;
        assert_eq!(ids(&served(task).await.expect("served")[0].1), ["5-0"]);
        server.shutdown();
    }
}

#[tokio::test]
async fn blocking_on_a_missing_key_is_woken_when_xadd_creates_it() {
    for resp3 in [false, true] {
        let server = start().await;
        let addr = server.local_addr();
        let mut writer = connect(addr, resp3).await;
        let by_zero = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD BLOCK 0 STREAMS later 0"),
            resp3,
        );
        let by_dollar = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD BLOCK 0 STREAMS later $"),
            resp3,
        );
        let by_plus = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD BLOCK 0 STREAMS later +"),
            resp3,
        );
        wait_blocked_clients(&mut writer, 3, WAIT).await;
        assert_eq!(int(&mut writer, &["EXISTS", "later"]).await, 0);
        xadd(&mut writer, "later", "3-3", &[("f", "v")]).await;
        for task in [by_zero, by_dollar, by_plus] {
            let got = served(task).await.expect("served");
            assert_eq!(got[0].0, "later");
            assert_eq!(ids(&got[0].1), ["3-3"]);
        }
        wait_blocked_clients(&mut writer, 0, WAIT).await;
        server.shutdown();
    }
}

#[tokio::test]
async fn several_streams_reply_names_the_stream_that_got_data() {
    for resp3 in [false, true] {
        let server = start().await;
        let addr = server.local_addr();
        let mut writer = connect(addr, resp3).await;
        xadd(&mut writer, "a", "1-0", &[("f", "a")]).await;
        xadd(&mut writer, "c", "1-0", &[("f", "c")]).await;
        let task = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD BLOCK 0 STREAMS a b c $ $ $"),
            resp3,
        );
        wait_blocked_clients(&mut writer, 1, WAIT).await;
        // A stream the reader does not wait on does not answer it.
        xadd(&mut writer, "unrelated", "1-0", &[("f", "x")]).await;
        xadd(&mut writer, "b", "7-0", &[("f", "b")]).await;
        let got = served(task).await.expect("served");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "b");
        assert_eq!(ids(&got[0].1), ["7-0"]);

        // The last of several streams, with the others already existing.
        let task = spawn_xread(
            reader(addr, resp3).await,
            words("XREAD BLOCK 0 STREAMS a b c 1-0 7-0 1-0"),
            resp3,
        );
        wait_blocked_clients(&mut writer, 1, WAIT).await;
        xadd(&mut writer, "c", "2-0", &[("f", "c2")]).await;
        let got = served(task).await.expect("served");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "c");
        assert_eq!(ids(&got[0].1), ["2-0"]);
        server.shutdown();
    }
}

#[tokio::test]
async fn pipelined_commands_around_a_blocked_xread() {
    for resp3 in [false, true] {
        let server = start().await;
        let addr = server.local_addr();
        let mut writer = connect(addr, false).await;
        let mut r = raw(addr, resp3).await;
        // PING, then XREAD BLOCK, then ECHO, in one write.
        r.send(
            b"*1\r\n$4\r\nPING\r\n\
              *6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n$\r\n\
              *2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n",
        )
        .await;
        // The PING is answered before the client blocks.
        assert_eq!(r.reply().await, "+PONG\r\n");
        wait_blocked_clients(&mut writer, 1, WAIT).await;
        // The ECHO waits behind the blocked XREAD, as in Redis.
        assert!(silent(&mut r, 50).await, "a reply arrived while blocked");
        let id = xadd(&mut writer, "s", "9-1", &[("f", "v")]).await;
        let reply = r.reply().await;
        let expected = if resp3 {
            "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n9-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        } else {
            "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n9-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        };
        assert_eq!(id, "9-1");
        assert_eq!(reply, expected);
        assert_eq!(r.reply().await, "$5\r\nafter\r\n");
        assert_eq!(blocked_clients(&mut writer).await, 0);
        server.shutdown();
    }
}

#[tokio::test]
async fn info_blocked_clients_follows_blocked_readers() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    assert_eq!(blocked_clients(&mut con).await, 0);
    let mut a = raw(addr, false).await;
    let mut b = raw(addr, true).await;
    a.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    b.cmd(&["XREAD", "BLOCK", "200", "STREAMS", "k", "$"]).await;
    wait_blocked_clients(&mut con, 2, WAIT).await;
    // CLIENT LIST shows the blocked flag.
    let list = text(&call(&mut con, &["CLIENT", "LIST"]).await);
    assert_eq!(
        list.lines().filter(|l| l.contains("flags=b")).count(),
        2,
        "{list}"
    );
    // b times out, a stays.
    assert_eq!(b.reply().await, "_\r\n");
    assert_eq!(blocked_clients(&mut con).await, 1);
    xadd(&mut con, "k", "1-0", &[("f", "v")]).await;
    assert!(a.reply().await.contains("1-0"));
    assert_eq!(blocked_clients(&mut con).await, 0);
    server.shutdown();
}

#[tokio::test]
async fn a_blocked_client_that_disconnects_leaves_nothing_behind() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    let mut stays = raw(addr, false).await;
    let mut leaves = raw(addr, false).await;
    stays
        .cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"])
        .await;
    leaves
        .cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"])
        .await;
    wait_blocked_clients(&mut con, 2, WAIT).await;
    let clients_before = text(&call(&mut con, &["CLIENT", "LIST"]).await)
        .lines()
        .count();
    drop(leaves);
    wait_blocked_clients(&mut con, 1, WAIT).await;
    // The client is gone from CLIENT LIST too.
    let deadline = tokio::time::Instant::now() + WAIT;
    while text(&call(&mut con, &["CLIENT", "LIST"]).await)
        .lines()
        .count()
        != clients_before - 1
    {
        assert!(tokio::time::Instant::now() < deadline, "client never left");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // The other reader is undisturbed and still served.
    xadd(&mut con, "k", "1-0", &[("f", "v")]).await;
    assert_eq!(
        stays.reply().await,
        "*1\r\n*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(blocked_clients(&mut con).await, 0);
    // Many readers that come and go on one stream leave no count behind.
    for _ in 0..50 {
        let mut r = raw(addr, false).await;
        r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]).await;
        drop(r);
    }
    wait_blocked_clients(&mut con, 0, WAIT).await;
    xadd(&mut con, "k", "2-0", &[("f", "v")]).await;
    assert_eq!(int(&mut con, &["XLEN", "k"]).await, 2);
    server.shutdown();
}

#[tokio::test]
async fn client_kill_on_a_blocked_client() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    let mut other = raw(addr, false).await;
    other
        .cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"])
        .await;

    // By id.
    let mut victim = raw(addr, false).await;
    let id = victim.call(&["CLIENT", "ID"]).await;
    let id = id.trim_start_matches(':').trim().to_string();
    victim
        .cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"])
        .await;
    wait_blocked_clients(&mut con, 2, WAIT).await;
    assert_eq!(int(&mut con, &["CLIENT", "KILL", "ID", &id]).await, 1);
    assert!(victim.closed().await, "the killed client is disconnected");
    wait_blocked_clients(&mut con, 1, WAIT).await;

    // By address (the old form replies OK).
    let mut victim = raw(addr, false).await;
    let info = victim.call(&["CLIENT", "INFO"]).await;
    let peer = info
        .split_whitespace()
        .find_map(|w| w.strip_prefix("addr="))
        .expect("addr= in CLIENT INFO")
        .to_string();
    victim
        .cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"])
        .await;
    wait_blocked_clients(&mut con, 2, WAIT).await;
    assert_eq!(
        text(&call(&mut con, &["CLIENT", "KILL", &peer]).await),
        "OK"
    );
    assert!(victim.closed().await, "the killed client is disconnected");
    wait_blocked_clients(&mut con, 1, WAIT).await;

    // The reader nobody killed still gets the next entry.
    xadd(&mut con, "k", "1-0", &[("f", "v")]).await;
    assert!(other.reply().await.contains("1-0"));
    assert_eq!(blocked_clients(&mut con).await, 0);
    server.shutdown();
}

#[tokio::test]
async fn deleted_and_recreated_key_keeps_the_dollar_position() {
    // As redis-server 7.0.15: `$` was resolved to 5-0 when the reader blocked, so a
    // re-created stream's 1-0 does not answer it, and 6-0 does.
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    xadd(&mut con, "k", "5-0", &[("f", "v")]).await;
    let mut r = raw(addr, false).await;
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    assert_eq!(int(&mut con, &["DEL", "k"]).await, 1);
    xadd(&mut con, "k", "1-0", &[("f", "v")]).await;
    assert!(silent(&mut r, 50).await, "served an entry older than $");
    assert_eq!(blocked_clients(&mut con).await, 1);
    xadd(&mut con, "k", "6-0", &[("f", "v")]).await;
    let reply = r.reply().await;
    assert!(reply.contains("6-0") && !reply.contains("1-0"), "{reply:?}");
    server.shutdown();
}

#[tokio::test]
async fn flushdb_leaves_readers_blocked_until_the_key_returns() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    xadd(&mut con, "k", "5-0", &[("f", "v")]).await;
    let mut r = raw(addr, false).await;
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    assert_eq!(text(&call(&mut con, &["FLUSHDB"]).await), "OK");
    assert!(silent(&mut r, 50).await, "FLUSHDB answered the reader");
    assert_eq!(blocked_clients(&mut con).await, 1);
    xadd(&mut con, "k", "6-0", &[("f", "v")]).await;
    assert!(r.reply().await.contains("6-0"));
    server.shutdown();
}

#[tokio::test]
async fn rename_and_blocked_readers() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;

    // RENAME that creates the key a reader waits on answers it (as Redis 7.0.15).
    xadd(&mut con, "src", "5-0", &[("f", "v")]).await;
    let mut r = raw(addr, false).await;
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "dst", "0"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    assert_eq!(text(&call(&mut con, &["RENAME", "src", "dst"]).await), "OK");
    let reply = r.reply().await;
    assert!(
        reply.contains("$3\r\ndst\r\n") && reply.contains("5-0"),
        "{reply:?}"
    );
    wait_blocked_clients(&mut con, 0, WAIT).await;

    // A reader of the old name is not answered by appends to the new name, and is
    // answered by a new stream under the old name.
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "dst", "$"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    assert_eq!(
        text(&call(&mut con, &["RENAME", "dst", "moved"]).await),
        "OK"
    );
    xadd(&mut con, "moved", "6-0", &[("f", "v")]).await;
    assert!(silent(&mut r, 50).await, "answered from the renamed stream");
    assert_eq!(blocked_clients(&mut con).await, 1);
    xadd(&mut con, "dst", "7-0", &[("f", "v")]).await;
    let reply = r.reply().await;
    assert!(
        reply.contains("$3\r\ndst\r\n") && reply.contains("7-0"),
        "{reply:?}"
    );
    server.shutdown();
}

#[tokio::test]
async fn a_reader_in_another_database_is_not_woken() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    let mut r = raw(addr, false).await;
    assert_eq!(r.call(&["SELECT", "1"]).await, "+OK\r\n");
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    xadd(&mut con, "k", "1-0", &[("f", "db0")]).await;
    assert!(
        silent(&mut r, 50).await,
        "a db 0 append answered a db 1 reader"
    );
    let mut db1 = raw(addr, false).await;
    assert_eq!(db1.call(&["SELECT", "1"]).await, "+OK\r\n");
    assert_eq!(
        db1.call(&["XADD", "k", "2-0", "f", "db1"]).await,
        "$3\r\n2-0\r\n"
    );
    let reply = r.reply().await;
    assert!(reply.contains("db1") && !reply.contains("db0"), "{reply:?}");
    server.shutdown();
}

#[tokio::test]
async fn the_largest_block_timeout_waits_like_block_zero() {
    // redis-server 7.0.15 accepts BLOCK 9223372036854775807 and waits.
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    let mut r = raw(addr, false).await;
    r.cmd(&["XREAD", "BLOCK", "9223372036854775807", "STREAMS", "k", "$"])
        .await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    xadd(&mut con, "k", "1-0", &[("f", "v")]).await;
    assert!(r.reply().await.contains("1-0"));
    assert_eq!(r.call(&["PING"]).await, "+PONG\r\n");
    server.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_append_reaches_a_thousand_blocked_connections() {
    const READERS: usize = 1000;
    let overall = Instant::now();
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    xadd(&mut con, "fan", "1-0", &[("f", "before")]).await;
    let mut readers = Vec::with_capacity(READERS);
    for i in 0..READERS {
        let mut r = Raw::connect(addr).await;
        // Half by `$`, half by the explicit last id.
        let id = if i % 2 == 0 { "$" } else { "1-0" };
        r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "fan", id]).await;
        readers.push(r);
    }
    wait_blocked_clients(&mut con, READERS, Duration::from_secs(10)).await;
    let id = xadd(&mut con, "fan", "*", &[("f", "everyone")]).await;
    let expected = format!(
        "*1\r\n*2\r\n$3\r\nfan\r\n*1\r\n*2\r\n${}\r\n{id}\r\n*2\r\n$1\r\nf\r\n$8\r\neveryone\r\n",
        id.len()
    );
    let answers = tokio::time::timeout(Duration::from_secs(20), async {
        let tasks: Vec<_> = readers
            .into_iter()
            .map(|mut r| tokio::spawn(async move { r.reply().await }))
            .collect();
        let mut answers = Vec::with_capacity(READERS);
        for t in tasks {
            answers.push(t.await.expect("reader"));
        }
        answers
    })
    .await
    .expect("every reader answered within 20 s");
    let wrong: Vec<_> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| **a != expected)
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {READERS} readers got something else, e.g. {:?}",
        wrong.len(),
        wrong.first()
    );
    wait_blocked_clients(&mut con, 0, WAIT).await;
    assert!(
        overall.elapsed() < Duration::from_secs(20),
        "{:?}",
        overall.elapsed()
    );
    server.shutdown();
}

#[tokio::test]
async fn xread_block_errors_do_not_block() {
    let server = start().await;
    let mut r = raw(server.local_addr(), false).await;
    for (args, want) in [
        (
            &["XREAD", "BLOCK", "-1", "STREAMS", "k", "$"][..],
            "-ERR timeout is negative\r\n",
        ),
        (
            &["XREAD", "BLOCK", "x", "STREAMS", "k", "$"][..],
            "-ERR timeout is not an integer or out of range\r\n",
        ),
        (
            &["XREAD", "BLOCK", "0", "STREAMS", "k", "bad"][..],
            "-ERR Invalid stream ID specified as stream command argument\r\n",
        ),
        (
            &["XREAD", "BLOCK", "0", "STREAMS", "k", ">"][..],
            "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n",
        ),
    ] {
        assert_eq!(r.call(args).await, want, "{args:?}");
    }
    server.shutdown();
}

/// Checks the `entries` helper against a raw reply, so the parsing above is sound.
#[tokio::test]
async fn reply_helpers_parse_both_protocols() {
    let server = start().await;
    let addr = server.local_addr();
    for resp3 in [false, true] {
        let mut con = connect(addr, resp3).await;
        xadd(
            &mut con,
            &format!("h{resp3}"),
            "1-1",
            &[("a", "b"), ("c", "d")],
        )
        .await;
        let key = format!("h{resp3}");
        let got = xread_reply(
            &call(&mut con, &["XREAD", "STREAMS", &key, "0"]).await,
            resp3,
        )
        .expect("entries");
        assert_eq!(
            got,
            vec![(
                key.clone(),
                vec![(
                    "1-1".to_string(),
                    vec![
                        ("a".to_string(), "b".to_string()),
                        ("c".to_string(), "d".to_string())
                    ]
                )]
            )]
        );
        assert_eq!(
            entries(&call(&mut con, &["XRANGE", &key, "-", "+"]).await),
            got[0].1
        );
    }
    server.shutdown();
}

/// Readers registered with the stream at `key` in db 0 (a look inside the server:
/// registrations are not visible over the protocol).
fn registrations(server: &ringbus::server::RunningServer, key: &str) -> usize {
    match server
        .state()
        .store
        .db(0)
        .get(key.as_bytes(), ringbus::store::now_ms())
    {
        ringbus::store::Lookup::Found(value) => value.stream().lock().waiting(),
        other => panic!("{key}: {other:?}"),
    }
}

#[tokio::test]
async fn finished_readers_do_not_pile_up_on_an_idle_stream() {
    const ROUNDS: usize = 100;
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    xadd(&mut con, "idle", "1-0", &[("f", "v")]).await;
    xadd(&mut con, "busy", "1-0", &[("f", "v")]).await;

    // One connection polls the idle stream with short timeouts, pipelined.
    let mut poller = raw(addr, false).await;
    let one = b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n1\r\n$7\r\nSTREAMS\r\n$4\r\nidle\r\n$1\r\n$\r\n";
    poller.send(&one.repeat(ROUNDS)).await;
    for _ in 0..ROUNDS {
        assert_eq!(poller.reply().await, "*-1\r\n");
    }
    let after_timeouts = registrations(&server, "idle");

    // Another waits on both streams and is always answered by `busy`.
    let mut both = raw(addr, false).await;
    for i in 2..ROUNDS + 2 {
        both.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "idle", "busy", "$", "$"])
            .await;
        wait_blocked_clients(&mut con, 1, WAIT).await;
        xadd(&mut con, "busy", &format!("{i}-0"), &[("f", "v")]).await;
        assert!(both.reply().await.contains("busy"));
    }
    let after_both = registrations(&server, "idle");
    assert!(
        after_timeouts < 10 && after_both < 10,
        "registrations left on the idle stream: {after_timeouts} after {ROUNDS} timed-out \
         reads by one client, {after_both} after {ROUNDS} more reads served by another stream"
    );
    server.shutdown();
}

#[tokio::test]
async fn a_reader_of_an_expired_stream_is_served_by_the_next_one() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    xadd(&mut con, "k", "5-0", &[("f", "old")]).await;
    let mut r = raw(addr, false).await;
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    assert_eq!(int(&mut con, &["PEXPIRE", "k", "20"]).await, 1);
    let deadline = tokio::time::Instant::now() + WAIT;
    while int(&mut con, &["EXISTS", "k"]).await == 1 {
        assert!(tokio::time::Instant::now() < deadline, "k never expired");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Expiry does not answer the reader (as Redis); the next stream under the name does.
    assert_eq!(blocked_clients(&mut con).await, 1);
    xadd(&mut con, "k", "6-0", &[("f", "new")]).await;
    let reply = r.reply().await;
    assert!(reply.contains("6-0") && reply.contains("new"), "{reply:?}");
    server.shutdown();
}

#[tokio::test]
async fn client_unblock_answers_a_blocked_reader() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    for (how, want) in [
        (None, "*-1\r\n"),
        (Some("TIMEOUT"), "*-1\r\n"),
        (
            Some("ERROR"),
            "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
        ),
    ] {
        let mut r = raw(addr, false).await;
        let id = r.call(&["CLIENT", "ID"]).await;
        let id = id.trim_start_matches(':').trim().to_string();
        r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]).await;
        wait_blocked_clients(&mut con, 1, WAIT).await;
        let mut args = vec!["CLIENT", "UNBLOCK", id.as_str()];
        args.extend(how);
        assert_eq!(int(&mut con, &args).await, 1, "{args:?}");
        assert_eq!(r.reply().await, want, "{how:?}");
        assert_eq!(blocked_clients(&mut con).await, 0);
        // Not blocked any more: nothing to unblock.
        assert_eq!(int(&mut con, &["CLIENT", "UNBLOCK", &id]).await, 0);
        assert_eq!(r.call(&["PING"]).await, "+PONG\r\n");
    }
    let mut r = raw(addr, false).await;
    assert_eq!(
        r.call(&["CLIENT", "UNBLOCK", "1", "foo"]).await,
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    assert_eq!(
        r.call(&["CLIENT", "UNBLOCK", "x"]).await,
        "-ERR value is not an integer or out of range\r\n"
    );
    server.shutdown();
}

/// One connection blocks again and again with reads of different shapes: each
/// wait hears only its own keys, whatever the one before it waited on (a
/// connection keeps its last blocking read's state for the next one).
#[tokio::test]
async fn consecutive_blocking_reads_on_one_connection_wait_on_their_own_keys() {
    let server = start().await;
    let addr = server.local_addr();
    let mut con = connect(addr, false).await;
    let mut r = raw(addr, false).await;
    // Three keys, served by the middle one.
    r.cmd(&[
        "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "c", "$", "$", "$",
    ])
    .await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    xadd(&mut con, "b", "1-0", &[("f", "1")]).await;
    let got = r.reply().await;
    assert!(got.contains("\r\nb\r\n") && got.contains("1-0"), "{got}");
    assert!(
        !got.contains("\r\na\r\n") && !got.contains("\r\nc\r\n"),
        "{got}"
    );
    // One new key: appends to the old ones must not wake it.
    r.cmd(&["XREAD", "BLOCK", "300", "STREAMS", "d", "$"]).await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    for key in ["a", "b", "c"] {
        xadd(&mut con, key, "2-0", &[("f", "2")]).await;
    }
    assert_eq!(
        r.reply().await,
        "*-1\r\n",
        "timed out: d never got an entry"
    );
    // Served at once (no wait), then a wait on two keys with explicit IDs.
    let now = r.call(&["XREAD", "BLOCK", "0", "STREAMS", "a", "0"]).await;
    assert!(now.contains("1-0") || now.contains("2-0"), "{now}");
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "c", "a", "2-0", "2-0"])
        .await;
    wait_blocked_clients(&mut con, 1, WAIT).await;
    xadd(&mut con, "d", "3-0", &[("f", "3")]).await;
    assert!(silent(&mut r, 100).await, "d is not among this read's keys");
    xadd(&mut con, "a", "3-0", &[("f", "3")]).await;
    let got = r.reply().await;
    assert!(got.contains("\r\na\r\n") && got.contains("3-0"), "{got}");
    assert_eq!(blocked_clients(&mut con).await, 0);
    server.shutdown();
}
