//! Consumer groups over TCP with the `redis` crate: blocking XREADGROUP (woken by
//! appends, -NOGROUP when the group goes, -UNBLOCKED when the stream goes), one
//! worker per event, the PEL's bound on a ring, and a crashed worker whose entries
//! another claims with XAUTOCLAIM.

use std::collections::BTreeSet;
use std::time::Duration;

use redis::Value;
use ringbus::config::TrackSpec;

use crate::streams::{call, call_err, entries, int, text, wait_blocked_clients, xadd, xread_reply};
use crate::support::{connect, start, start_with, test_config};

const WAIT: Duration = Duration::from_secs(5);

/// A server whose `<session>:jobs` streams are rings of `capacity`.
async fn server_with_jobs(capacity: usize) -> ringbus::server::RunningServer {
    let mut config = test_config();
    config.tracks.push(TrackSpec {
        name: "jobs".into(),
        capacity,
        max_age: None,
    });
    start_with(config).await
}

/// Runs a (blocking) command on its own connection in a task.
fn spawn_call(
    mut con: redis::aio::MultiplexedConnection,
    args: &[&str],
) -> tokio::task::JoinHandle<redis::RedisResult<Value>> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::spawn(async move {
        let mut cmd = redis::cmd(&args[0]);
        for a in &args[1..] {
            cmd.arg(a);
        }
        cmd.query_async(&mut con).await
    })
}

/// `XREADGROUP GROUP group consumer BLOCK 0 STREAMS key >` in a task.
fn spawn_blocked_read(
    con: redis::aio::MultiplexedConnection,
    group: &str,
    consumer: &str,
    key: &str,
) -> tokio::task::JoinHandle<redis::RedisResult<Value>> {
    let args = [
        "XREADGROUP",
        "GROUP",
        group,
        consumer,
        "BLOCK",
        "0",
        "STREAMS",
        key,
        ">",
    ];
    spawn_call(con, &args)
}

async fn answered(
    task: tokio::task::JoinHandle<redis::RedisResult<Value>>,
) -> redis::RedisResult<Value> {
    tokio::time::timeout(WAIT, task)
        .await
        .expect("answered within 5 s")
        .expect("task")
}

/// The pending count of XPENDING's summary.
async fn pending(con: &mut redis::aio::MultiplexedConnection, key: &str, group: &str) -> i64 {
    match call(con, &["XPENDING", key, group]).await {
        Value::Array(items) => match items.first() {
            Some(Value::Int(n)) => *n,
            other => panic!("XPENDING count: {other:?}"),
        },
        other => panic!("XPENDING: {other:?}"),
    }
}

#[tokio::test]
async fn a_blocked_reader_is_woken_by_an_append_and_owns_the_entry() {
    for resp3 in [false, true] {
        let server = start().await;
        let addr = server.local_addr();
        let mut admin = connect(addr, resp3).await;
        call(
            &mut admin,
            &["XGROUP", "CREATE", "s:conversation", "g", "$", "MKSTREAM"],
        )
        .await;
        let task = spawn_blocked_read(connect(addr, resp3).await, "g", "w1", "s:conversation");
        wait_blocked_clients(&mut admin, 1, WAIT).await;
        let id = xadd(
            &mut admin,
            "s:conversation",
            "*",
            &[("role", "user"), ("data", "hi")],
        )
        .await;
        let got = answered(task).await.expect("entries");
        let got = xread_reply(&got, resp3).expect("not null");
        assert_eq!(got[0].0, "s:conversation");
        assert_eq!(got[0].1.len(), 1);
        assert_eq!(got[0].1[0].0, id);
        assert_eq!(pending(&mut admin, "s:conversation", "g").await, 1);
        assert_eq!(
            int(&mut admin, &["XACK", "s:conversation", "g", &id]).await,
            1
        );
        assert_eq!(pending(&mut admin, "s:conversation", "g").await, 0);
    }
}

#[tokio::test]
async fn one_append_goes_to_one_of_two_blocked_workers() {
    let server = start().await;
    let addr = server.local_addr();
    let mut admin = connect(addr, false).await;
    call(&mut admin, &["XGROUP", "CREATE", "q", "g", "$", "MKSTREAM"]).await;
    let mut a = spawn_blocked_read(connect(addr, false).await, "g", "a", "q");
    let mut b = spawn_blocked_read(connect(addr, false).await, "g", "b", "q");
    wait_blocked_clients(&mut admin, 2, WAIT).await;
    let first = xadd(&mut admin, "q", "*", &[("job", "1")]).await;
    // Exactly one worker gets the entry; the other stays blocked.
    let (winner_first, rest) = tokio::select! {
        r = &mut a => (r.expect("task").expect("reply"), b),
        r = &mut b => (r.expect("task").expect("reply"), a),
    };
    let got = xread_reply(&winner_first, false).expect("entry");
    assert_eq!(got[0].1[0].0, first);
    wait_blocked_clients(&mut admin, 1, WAIT).await;
    let second = xadd(&mut admin, "q", "*", &[("job", "2")]).await;
    let got = xread_reply(&answered(rest).await.expect("entry"), false).expect("entry");
    assert_eq!(got[0].1.len(), 1);
    assert_eq!(got[0].1[0].0, second);
    assert_eq!(pending(&mut admin, "q", "g").await, 2);
}

#[tokio::test]
async fn destroying_the_group_answers_nogroup() {
    let server = start().await;
    let addr = server.local_addr();
    let mut admin = connect(addr, false).await;
    call(&mut admin, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]).await;
    let task = spawn_blocked_read(connect(addr, false).await, "g", "c", "s");
    wait_blocked_clients(&mut admin, 1, WAIT).await;
    assert_eq!(int(&mut admin, &["XGROUP", "DESTROY", "s", "g"]).await, 1);
    let err = answered(task).await.expect_err("an error reply");
    assert_eq!(err.code(), Some("NOGROUP"));
    assert!(
        err.to_string()
            .contains("the consumer group this client was blocked on no longer exists"),
        "{err}"
    );
}

#[tokio::test]
async fn deleting_the_stream_or_ending_its_session_answers_unblocked() {
    let server = start().await;
    let addr = server.local_addr();
    let mut admin = connect(addr, true).await;
    for (key, end) in [
        ("plain", vec!["DEL", "plain"]),
        ("sess:conversation", vec!["SESSION.END", "sess"]),
        ("exp", vec!["PEXPIRE", "exp", "1"]),
    ] {
        call(&mut admin, &["XGROUP", "CREATE", key, "g", "$", "MKSTREAM"]).await;
        let task = spawn_blocked_read(connect(addr, true).await, "g", "c", key);
        wait_blocked_clients(&mut admin, 1, WAIT).await;
        call(&mut admin, &end).await;
        let err = answered(task).await.expect_err("an error reply");
        assert_eq!(err.code(), Some("UNBLOCKED"), "{key}: {err}");
        assert!(
            err.to_string().contains("the stream key no longer exists"),
            "{err}"
        );
        wait_blocked_clients(&mut admin, 0, WAIT).await;
    }
}

#[tokio::test]
async fn a_timed_out_read_answers_null_and_creates_no_consumer() {
    let server = start().await;
    let mut con = connect(server.local_addr(), false).await;
    call(&mut con, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]).await;
    let got = call(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "20",
            "STREAMS",
            "s",
            ">",
        ],
    )
    .await;
    assert_eq!(got, Value::Nil);
    assert_eq!(
        call(&mut con, &["XINFO", "CONSUMERS", "s", "g"]).await,
        Value::Array(vec![])
    );
    // A group that doesn't exist is an error even with BLOCK.
    let err = call_err(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "nogroup",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ],
    )
    .await;
    assert!(err.starts_with("NOGROUP"), "{err}");
}

#[tokio::test]
async fn the_pending_list_never_outgrows_the_ring() {
    let server = server_with_jobs(5).await;
    let mut con = connect(server.local_addr(), false).await;
    call(
        &mut con,
        &["XGROUP", "CREATE", "t:jobs", "g", "0", "MKSTREAM"],
    )
    .await;
    for i in 0..50 {
        xadd(&mut con, "t:jobs", "*", &[("n", &i.to_string())]).await;
        call(
            &mut con,
            &["XREADGROUP", "GROUP", "g", "lazy", "STREAMS", "t:jobs", ">"],
        )
        .await;
        assert!(pending(&mut con, "t:jobs", "g").await <= 5);
    }
    // What is still pending is exactly what the ring still holds.
    let live: Vec<String> = entries(&call(&mut con, &["XRANGE", "t:jobs", "-", "+"]).await)
        .into_iter()
        .map(|e| e.0)
        .collect();
    let rows = call(&mut con, &["XPENDING", "t:jobs", "g", "-", "+", "100"]).await;
    let pending_ids: Vec<String> = match rows {
        Value::Array(rows) => rows
            .iter()
            .map(|r| match r {
                Value::Array(f) => text(&f[0]),
                other => panic!("{other:?}"),
            })
            .collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(pending_ids, live);
}

/// The event bus's retry story: a worker takes entries and dies without acking;
/// another claims them with XAUTOCLAIM. Every entry still in the ring is claimed
/// exactly once; those the ring overwrote meanwhile come back as deleted IDs.
#[tokio::test]
async fn a_crashed_workers_entries_are_claimed_by_another() {
    let server = server_with_jobs(20).await;
    let addr = server.local_addr();
    let mut producer = connect(addr, false).await;
    call(
        &mut producer,
        &["XGROUP", "CREATE", "w:jobs", "workers", "$", "MKSTREAM"],
    )
    .await;
    let mut produced = Vec::new();
    for i in 0..15 {
        produced.push(xadd(&mut producer, "w:jobs", "*", &[("job", &i.to_string())]).await);
    }
    {
        // Worker 1 takes ten jobs and crashes (its connection goes away, no XACK).
        let mut w1 = connect(addr, false).await;
        let got = call(
            &mut w1,
            &[
                "XREADGROUP",
                "GROUP",
                "workers",
                "w1",
                "COUNT",
                "10",
                "STREAMS",
                "w:jobs",
                ">",
            ],
        )
        .await;
        assert_eq!(xread_reply(&got, false).expect("jobs")[0].1.len(), 10);
    }
    // Ten more appends overwrite the five oldest entries (capacity 20).
    for i in 15..25 {
        produced.push(xadd(&mut producer, "w:jobs", "*", &[("job", &i.to_string())]).await);
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let mut w2 = connect(addr, false).await;
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut cursor = "0-0".to_string();
    loop {
        let reply = call(
            &mut w2,
            &[
                "XAUTOCLAIM",
                "w:jobs",
                "workers",
                "w2",
                "20",
                &cursor,
                "COUNT",
                "3",
            ],
        )
        .await;
        let Value::Array(parts) = reply else {
            panic!("{reply:?}")
        };
        cursor = text(&parts[0]);
        claimed.extend(entries(&parts[1]).into_iter().map(|e| e.0));
        if let Value::Array(ids) = &parts[2] {
            deleted.extend(ids.iter().map(text));
        }
        if cursor == "0-0" {
            break;
        }
    }
    for id in &claimed {
        assert_eq!(int(&mut w2, &["XACK", "w:jobs", "workers", id]).await, 1);
    }
    assert_eq!(
        deleted,
        produced[..5].to_vec(),
        "overwritten before the claim"
    );
    assert_eq!(
        claimed,
        produced[5..10].to_vec(),
        "still in the ring: claimed"
    );
    let unique: BTreeSet<&String> = claimed.iter().collect();
    assert_eq!(unique.len(), claimed.len(), "each claimed once");
    assert_eq!(pending(&mut w2, "w:jobs", "workers").await, 0);
}

#[tokio::test]
async fn xinfo_groups_reads_as_a_map_in_resp3() {
    let server = start().await;
    let mut con = connect(server.local_addr(), true).await;
    xadd(&mut con, "s", "1-0", &[("a", "1")]).await;
    call(&mut con, &["XGROUP", "CREATE", "s", "g", "0"]).await;
    match call(&mut con, &["XINFO", "GROUPS", "s"]).await {
        Value::Array(groups) => match &groups[0] {
            Value::Map(fields) => {
                let names: Vec<String> = fields.iter().map(|(k, _)| text(k)).collect();
                assert_eq!(
                    names,
                    [
                        "name",
                        "consumers",
                        "pending",
                        "last-delivered-id",
                        "entries-read",
                        "lag"
                    ]
                );
                assert_eq!(fields[4].1, Value::Nil);
                assert_eq!(fields[5].1, Value::Int(1));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}
