//! Client compatibility, Rust half (issue #5): the `redis` crate's typed API over one
//! `MultiplexedConnection` shared by many tasks, as an async application uses it —
//! concurrent XADD/XRANGE/XLEN, XREAD BLOCK woken from another connection, pipelines,
//! `RedisError` for Redis's stream errors, and consumer groups, in RESP2 and RESP3.
//!
//! By default each test starts its own ringbus on port 0. With
//! `COMPAT_TARGET_ADDR=127.0.0.1:PORT` the tests talk to that server instead, and with
//! `COMPAT_TARGET=redis` as well they expect a plain redis-server 7.0.15 (the way they
//! were validated): ringbus-only assertions (capped tracks) then take Redis's answer.
//! Every test uses keys under its own prefix.
//!
//! Transactions and pub/sub are in `compat_async_pending.rs`, which joins the module
//! list when that branch is merged.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamClaimReply, StreamInfoConsumersReply,
    StreamInfoGroupsReply, StreamMaxlen, StreamPendingCountReply, StreamPendingReply,
    StreamRangeReply, StreamReadOptions, StreamReadReply, StreamTrimOptions, StreamTrimmingMode,
};
use redis::{AsyncCommands, ErrorKind, RedisResult};
use ringbus::server::RunningServer;

use crate::support::start;

const WAIT: Duration = Duration::from_secs(5);

/// The server a compatibility test talks to.
pub struct Target {
    server: Option<RunningServer>,
    /// Its address.
    pub addr: SocketAddr,
    /// False when it is a plain redis-server (`COMPAT_TARGET=redis`).
    pub ringbus: bool,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.shutdown();
        }
    }
}

/// A ringbus on port 0, or the server named by `COMPAT_TARGET_ADDR`.
pub async fn target() -> Target {
    match std::env::var("COMPAT_TARGET_ADDR") {
        Ok(addr) => Target {
            server: None,
            addr: addr.parse().expect("COMPAT_TARGET_ADDR is host:port"),
            ringbus: std::env::var("COMPAT_TARGET").as_deref() != Ok("redis"),
        },
        Err(_) => {
            let server = start().await;
            Target {
                addr: server.local_addr(),
                server: Some(server),
                ringbus: true,
            }
        }
    }
}

/// A key prefix no other test (or run) uses.
pub fn prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "compat-rs-{test}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A multiplexed connection speaking RESP2 or RESP3, optionally named (CLIENT SETNAME).
pub async fn multiplexed(
    addr: SocketAddr,
    resp3: bool,
    name: Option<&str>,
) -> MultiplexedConnection {
    let url = if resp3 {
        format!("redis://{addr}/?protocol=resp3")
    } else {
        format!("redis://{addr}/")
    };
    let mut con = redis::Client::open(url)
        .expect("valid url")
        .get_multiplexed_async_connection()
        .await
        .expect("connects");
    if let Some(name) = name {
        let _: () = redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(name)
            .query_async(&mut con)
            .await
            .expect("CLIENT SETNAME");
    }
    con
}

/// Deletes every key under `prefix` (the target may be a shared redis-server).
pub async fn cleanup(con: &mut MultiplexedConnection, prefix: &str) {
    let keys: Vec<String> = con.keys(format!("*{prefix}*")).await.expect("KEYS");
    if !keys.is_empty() {
        let _: i64 = con.del(keys).await.expect("DEL");
    }
}

/// Waits until the connection named `name` is blocked (flags=b in CLIENT LIST).
pub async fn wait_blocked(con: &mut MultiplexedConnection, name: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(con)
            .await
            .expect("CLIENT LIST");
        let blocked = list.lines().any(|line| {
            let has = |f: &str| line.split(' ').any(|kv| kv == f);
            has(&format!("name={name}"))
                && line
                    .split(' ')
                    .any(|kv| kv.starts_with("flags=") && kv.contains('b'))
        });
        if blocked {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "client {name} never blocked"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An entry's field map as strings.
pub fn fields(map: &std::collections::HashMap<String, redis::Value>) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                redis::from_redis_value::<String>(v).expect("string value"),
            )
        })
        .collect()
}

#[tokio::test]
async fn typed_stream_commands() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("typed");
        let mut con = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:events");
        let mut ids = Vec::new();
        for i in 0..5 {
            let id: String = con
                .xadd(&k, "*", &[("n", i.to_string()), ("role", "user".into())])
                .await
                .expect("XADD");
            ids.push(id);
        }
        let len: usize = con.xlen(&k).await.expect("XLEN");
        assert_eq!(len, 5);
        let all: StreamRangeReply = con.xrange_all(&k).await.expect("XRANGE");
        assert_eq!(
            all.ids.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
            ids
        );
        assert_eq!(
            fields(&all.ids[0].map),
            BTreeMap::from([("n".into(), "0".into()), ("role".into(), "user".into())])
        );
        let some: StreamRangeReply = con
            .xrange_count(&k, &ids[1], "+", 2)
            .await
            .expect("XRANGE COUNT");
        assert_eq!(
            some.ids.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            [ids[1].as_str(), ids[2].as_str()]
        );
        let newest: StreamRangeReply = con
            .xrevrange_count(&k, "+", "-", 1)
            .await
            .expect("XREVRANGE");
        assert_eq!(newest.ids[0].id, ids[4]);
        let deleted: usize = con
            .xdel(&k, &[&ids[0], "999999999999-0"])
            .await
            .expect("XDEL");
        assert_eq!(deleted, 1);
        let trimmed: usize = con.xtrim(&k, StreamMaxlen::Equals(2)).await.expect("XTRIM");
        assert_eq!(trimmed, 2);
        let trimmed: usize = con
            .xtrim_options(
                &k,
                &StreamTrimOptions::minid(StreamTrimmingMode::Exact, &ids[4]),
            )
            .await
            .expect("XTRIM MINID");
        assert_eq!(trimmed, 1);
        let capped = format!("{p}:capped");
        for i in 0..20 {
            let _: String = con
                .xadd_maxlen(&capped, StreamMaxlen::Equals(10), "*", &[("i", i)])
                .await
                .expect("XADD MAXLEN");
        }
        let len: usize = con.xlen(&capped).await.expect("XLEN");
        assert_eq!(len, 10);
        let explicit: String = con
            .xadd(format!("{p}:ids"), "5-*", &[("a", "b")])
            .await
            .expect("XADD 5-*");
        assert_eq!(explicit, "5-0");
        let kind: String = redis::cmd("TYPE")
            .arg(&k)
            .query_async(&mut con)
            .await
            .expect("TYPE");
        assert_eq!(kind, "stream");
        cleanup(&mut con, &p).await;
    }
}

#[tokio::test]
async fn many_tasks_share_one_multiplexed_connection() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("shared");
        let con = multiplexed(t.addr, resp3, None).await;
        let shared = format!("{p}:shared");
        let mut tasks = Vec::new();
        for task in 0..8 {
            let mut con = con.clone();
            let shared = shared.clone();
            let own = format!("{p}:task{task}");
            tasks.push(tokio::spawn(async move {
                for i in 0..100 {
                    let _: String = con
                        .xadd(&shared, "*", &[("task", task), ("i", i)])
                        .await
                        .expect("XADD shared");
                    let _: String = con.xadd(&own, "*", &[("i", i)]).await.expect("XADD own");
                    if i % 10 == 0 {
                        let len: usize = con.xlen(&own).await.expect("XLEN");
                        assert_eq!(len, i + 1);
                        let last: StreamRangeReply = con
                            .xrevrange_count(&own, "+", "-", 1)
                            .await
                            .expect("XREVRANGE");
                        assert_eq!(fields(&last.ids[0].map)["i"], i.to_string());
                    }
                }
            }));
        }
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("tasks finish")
                .expect("task");
        }
        let mut con = con;
        let len: usize = con.xlen(&shared).await.expect("XLEN");
        assert_eq!(len, 800);
        // Each task's appends keep their order in the shared stream.
        let all: StreamRangeReply = con.xrange_all(&shared).await.expect("XRANGE");
        let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for e in &all.ids {
            let f = fields(&e.map);
            seen.entry(f["task"].clone())
                .or_default()
                .push(f["i"].parse().expect("number"));
        }
        assert_eq!(seen.len(), 8);
        for (_, is) in seen {
            assert_eq!(is, (0..100).collect::<Vec<_>>());
        }
        cleanup(&mut con, &p).await;
    }
}

#[tokio::test]
async fn xread_block_is_woken_by_xadd_from_another_connection() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("block");
        let mut writer = multiplexed(t.addr, resp3, None).await;
        let conv = format!("{{{p}}}:conversation");
        let ins = format!("{{{p}}}:insights");
        let _: String = writer
            .xadd(&conv, "*", &[("text", "earlier")])
            .await
            .expect("XADD");
        let name = format!("{p}-reader");
        let mut reader = multiplexed(t.addr, resp3, Some(&name)).await;
        let (c, i) = (conv.clone(), ins.clone());
        let blocked = tokio::spawn(async move {
            let opts = StreamReadOptions::default().block(5000).count(10);
            let reply: RedisResult<Option<StreamReadReply>> =
                reader.xread_options(&[&c, &i], &["$", "$"], &opts).await;
            reply
        });
        wait_blocked(&mut writer, &name).await;
        let id: String = writer
            .xadd(&ins, "*", &[("kind", "summary")])
            .await
            .expect("XADD");
        let reply = tokio::time::timeout(WAIT, blocked)
            .await
            .expect("answered within 5 s")
            .expect("task")
            .expect("XREAD")
            .expect("not a timeout");
        assert_eq!(reply.keys.len(), 1);
        assert_eq!(reply.keys[0].key, ins);
        assert_eq!(reply.keys[0].ids[0].id, id);
        assert_eq!(fields(&reply.keys[0].ids[0].map)["kind"], "summary");
        cleanup(&mut writer, &p).await;
    }
}

#[tokio::test]
async fn blocked_xread_holds_back_later_commands_on_its_connection() {
    // Redis answers a connection's commands in order: a PING sent on the same multiplexed
    // connection behind a blocked XREAD is answered after the XREAD.
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("order");
        let mut writer = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:tail");
        let name = format!("{p}-reader");
        let reader = multiplexed(t.addr, resp3, Some(&name)).await;
        let (mut r1, mut r2) = (reader.clone(), reader);
        let key = k.clone();
        let read = tokio::spawn(async move {
            let opts = StreamReadOptions::default().block(5000);
            let reply: Option<StreamReadReply> = r1
                .xread_options(&[&key], &["$"], &opts)
                .await
                .expect("XREAD");
            (tokio::time::Instant::now(), reply)
        });
        wait_blocked(&mut writer, &name).await;
        let ping = tokio::spawn(async move {
            let pong: String = redis::cmd("PING").query_async(&mut r2).await.expect("PING");
            (tokio::time::Instant::now(), pong)
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !ping.is_finished(),
            "PING was answered before the blocked XREAD"
        );
        let _: String = writer.xadd(&k, "*", &[("n", 1)]).await.expect("XADD");
        let (read_at, reply) = tokio::time::timeout(WAIT, read)
            .await
            .expect("XREAD answered")
            .expect("task");
        let (ping_at, pong) = tokio::time::timeout(WAIT, ping)
            .await
            .expect("PING answered")
            .expect("task");
        assert_eq!(pong, "PONG");
        assert!(ping_at >= read_at);
        assert_eq!(reply.expect("entries").keys[0].ids.len(), 1);
        cleanup(&mut writer, &p).await;
    }
}

#[tokio::test]
async fn many_blocked_readers_woken_by_one_xadd() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("fanout");
        let mut writer = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:fanout");
        let mut readers = Vec::new();
        for r in 0..5 {
            let name = format!("{p}-r{r}");
            let mut con = multiplexed(t.addr, resp3, Some(&name)).await;
            let key = k.clone();
            readers.push(tokio::spawn(async move {
                let opts = StreamReadOptions::default().block(5000);
                let reply: Option<StreamReadReply> = con
                    .xread_options(&[&key], &["$"], &opts)
                    .await
                    .expect("XREAD");
                reply
            }));
            wait_blocked(&mut writer, &name).await;
        }
        let id: String = writer.xadd(&k, "*", &[("n", 1)]).await.expect("XADD");
        for r in readers {
            let reply = tokio::time::timeout(WAIT, r)
                .await
                .expect("answered")
                .expect("task")
                .expect("entries");
            assert_eq!(reply.keys[0].ids[0].id, id);
        }
        cleanup(&mut writer, &p).await;
    }
}

#[tokio::test]
async fn xread_block_times_out_with_nil() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("timeout");
        let mut con = multiplexed(t.addr, resp3, None).await;
        let opts = StreamReadOptions::default().block(50);
        let reply: Option<StreamReadReply> = con
            .xread_options(&[format!("{p}:quiet")], &["$"], &opts)
            .await
            .expect("XREAD");
        assert!(reply.is_none());
    }
}

#[tokio::test]
async fn pipelines_without_transaction() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("pipe");
        let mut con = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:pipe");
        let mut pipe = redis::pipe();
        for i in 0..100 {
            pipe.xadd(&k, "*", &[("i", i)]);
        }
        pipe.xlen(&k).xrevrange_count(&k, "+", "-", 1);
        let (ids, len, newest): (Vec<String>, usize, StreamRangeReply) = {
            let mut all: Vec<redis::Value> = pipe.query_async(&mut con).await.expect("pipeline");
            let newest = redis::from_redis_value(&all.pop().expect("newest")).expect("range");
            let len = redis::from_redis_value(&all.pop().expect("len")).expect("len");
            let ids = all
                .iter()
                .map(|v| redis::from_redis_value(v).expect("id"))
                .collect();
            (ids, len, newest)
        };
        assert_eq!(ids.len(), 100);
        assert_eq!(len, 100);
        assert_eq!(newest.ids[0].id, ids[99]);

        // Pipelines from several tasks on one connection interleave without mixing replies.
        let mut tasks = Vec::new();
        for task in 0..4 {
            let mut con = con.clone();
            let key = format!("{p}:pipe{task}");
            tasks.push(tokio::spawn(async move {
                let mut pipe = redis::pipe();
                for i in 0..50 {
                    pipe.xadd(&key, "*", &[("i", i)]).ignore();
                }
                pipe.xlen(&key);
                let (len,): (usize,) = pipe.query_async(&mut con).await.expect("pipeline");
                len
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("task"), 50);
        }

        // An error inside a pipeline comes back as the pipeline's error; the commands
        // around it ran.
        let mut pipe = redis::pipe();
        pipe.xadd(&k, "1-1", &[("late", 1)]).xlen(&k);
        let err = pipe
            .query_async::<(String, usize)>(&mut con)
            .await
            .expect_err("an error");
        assert_eq!(err.kind(), ErrorKind::ResponseError);
        assert!(
            err.to_string().contains(
                "The ID specified in XADD is equal or smaller than the target stream top item"
            ),
            "{err}"
        );
        let len: usize = con.xlen(&k).await.expect("XLEN");
        assert_eq!(len, 100);
        cleanup(&mut con, &p).await;
    }
}

#[tokio::test]
async fn stream_errors_are_response_errors_with_redis_text() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("errors");
        let mut con = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:errs");
        let cases: [(&[&str], &str); 5] = [
            (&["XADD", &k, "not-an-id", "f", "v"], "Invalid stream ID specified as stream command argument"),
            (&["XADD", &k, "0-0", "f", "v"], "The ID specified in XADD must be greater than 0-0"),
            (&["XADD", &k, "1-1", "f"], "wrong number of arguments for 'xadd' command"),
            (&["XRANGE", &k, "x", "+"], "Invalid stream ID specified as stream command argument"),
            (
                &["XREAD", "STREAMS", &k, "other", "0"],
                "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
            ),
        ];
        for (args, detail) in cases {
            let err = redis::cmd(args[0])
                .arg(&args[1..])
                .query_async::<redis::Value>(&mut con)
                .await
                .expect_err("an error reply");
            assert_eq!(err.kind(), ErrorKind::ResponseError, "{args:?}: {err}");
            assert_eq!(err.code(), Some("ERR"), "{args:?}: {err}");
            assert_eq!(err.detail(), Some(detail), "{args:?}");
        }
        // The connection is still good after errors.
        let len: usize = con.xlen(&k).await.expect("XLEN");
        assert_eq!(len, 0);
    }
}

#[tokio::test]
async fn session_track_keeps_its_newest_1000() {
    let t = target().await;
    let p = prefix("track");
    let mut con = multiplexed(t.addr, true, None).await;
    let k = format!("{p}-s1:conversation");
    let mut pipe = redis::pipe();
    for i in 0..1500 {
        pipe.xadd(&k, "*", &[("i", i)]);
    }
    let ids: Vec<String> = pipe.query_async(&mut con).await.expect("pipeline");
    let len: usize = con.xlen(&k).await.expect("XLEN");
    // ringbus-specific: a track is a ring of 1000; a plain Redis stream keeps all 1500.
    let (want_len, first) = if t.ringbus { (1000, 500) } else { (1500, 0) };
    assert_eq!(len, want_len);
    let oldest: StreamRangeReply = con.xrange_count(&k, "-", "+", 1).await.expect("XRANGE");
    assert_eq!(oldest.ids[0].id, ids[first]);
    cleanup(&mut con, &p).await;
}

#[tokio::test]
async fn consumer_group_flow() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("groups");
        let mut con = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:jobs");
        let _: () = con
            .xgroup_create_mkstream(&k, "workers", "0")
            .await
            .expect("XGROUP CREATE");
        let busy = con
            .xgroup_create::<_, _, _, ()>(&k, "workers", "0")
            .await
            .expect_err("BUSYGROUP");
        assert_eq!(busy.code(), Some("BUSYGROUP"));
        let mut ids = Vec::new();
        for i in 0..5 {
            let id: String = con.xadd(&k, "*", &[("job", i)]).await.expect("XADD");
            ids.push(id);
        }
        let opts = StreamReadOptions::default()
            .group("workers", "alice")
            .count(3);
        let got: StreamReadReply = con
            .xread_options(&[&k], &[">"], &opts)
            .await
            .expect("XREADGROUP");
        assert_eq!(
            got.keys[0]
                .ids
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>(),
            ids[..3]
        );
        let opts = StreamReadOptions::default().group("workers", "bob");
        let got: StreamReadReply = con
            .xread_options(&[&k], &[">"], &opts)
            .await
            .expect("XREADGROUP");
        assert_eq!(got.keys[0].ids.len(), 2);

        let StreamPendingReply::Data(summary) =
            con.xpending(&k, "workers").await.expect("XPENDING")
        else {
            panic!("pending entries expected");
        };
        assert_eq!(summary.count, 5);
        assert_eq!(
            (summary.start_id.as_str(), summary.end_id.as_str()),
            (ids[0].as_str(), ids[4].as_str())
        );
        let per: Vec<(String, usize)> = summary
            .consumers
            .iter()
            .map(|c| (c.name.clone(), c.pending))
            .collect();
        assert_eq!(per, [("alice".to_string(), 3), ("bob".to_string(), 2)]);

        let acked: usize = con
            .xack(&k, "workers", &[&ids[0], &ids[1]])
            .await
            .expect("XACK");
        assert_eq!(acked, 2);
        let detail: StreamPendingCountReply = con
            .xpending_count(&k, "workers", "-", "+", 10)
            .await
            .expect("XPENDING range");
        let rows: Vec<(String, String, usize)> = detail
            .ids
            .iter()
            .map(|d| (d.id.clone(), d.consumer.clone(), d.times_delivered))
            .collect();
        assert_eq!(
            rows,
            [
                (ids[2].clone(), "alice".to_string(), 1),
                (ids[3].clone(), "bob".to_string(), 1),
                (ids[4].clone(), "bob".to_string(), 1)
            ]
        );

        // A consumer re-reads its own pending history with an id instead of `>`.
        let opts = StreamReadOptions::default().group("workers", "alice");
        let history: StreamReadReply = con
            .xread_options(&[&k], &["0"], &opts)
            .await
            .expect("XREADGROUP 0");
        assert_eq!(
            history.keys[0]
                .ids
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>(),
            [ids[2].clone()]
        );

        let claimed: StreamClaimReply = con
            .xclaim(&k, "workers", "carol", 0, &[&ids[2]])
            .await
            .expect("XCLAIM");
        assert_eq!(claimed.ids[0].id, ids[2]);
        assert_eq!(fields(&claimed.ids[0].map)["job"], "2");
        let auto: StreamAutoClaimReply = con
            .xautoclaim_options(
                &k,
                "workers",
                "dave",
                0,
                "0-0",
                StreamAutoClaimOptions::default().count(10),
            )
            .await
            .expect("XAUTOCLAIM");
        assert_eq!(auto.next_stream_id, "0-0");
        assert_eq!(
            auto.claimed
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>(),
            ids[2..]
        );
        assert!(auto.deleted_ids.is_empty());

        let groups: StreamInfoGroupsReply = con.xinfo_groups(&k).await.expect("XINFO GROUPS");
        assert_eq!(groups.groups.len(), 1);
        let g = &groups.groups[0];
        assert_eq!((g.name.as_str(), g.consumers, g.pending), ("workers", 4, 3));
        assert_eq!(g.last_delivered_id, ids[4]);
        assert_eq!(g.entries_read, Some(5));
        assert_eq!(g.lag, Some(0));
        let consumers: StreamInfoConsumersReply = con
            .xinfo_consumers(&k, "workers")
            .await
            .expect("XINFO CONSUMERS");
        let mut names: Vec<String> = consumers.consumers.iter().map(|c| c.name.clone()).collect();
        names.sort();
        assert_eq!(names, ["alice", "bob", "carol", "dave"]);

        let err = con
            .xread_options::<_, _, StreamReadReply>(
                &[&k],
                &[">"],
                &StreamReadOptions::default().group("nosuch", "c"),
            )
            .await
            .expect_err("NOGROUP");
        assert_eq!(err.code(), Some("NOGROUP"));
        assert_eq!(
            err.detail(),
            Some(
                format!(
                    "No such key '{k}' or consumer group 'nosuch' in XREADGROUP with GROUP option"
                )
                .as_str()
            )
        );
        let destroyed: usize = con
            .xgroup_destroy(&k, "workers")
            .await
            .expect("XGROUP DESTROY");
        assert_eq!(destroyed, 1);
        cleanup(&mut con, &p).await;
    }
}

#[tokio::test]
async fn blocked_xreadgroup_is_woken_by_xadd() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("groupblock");
        let mut writer = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:queue");
        let _: () = writer
            .xgroup_create_mkstream(&k, "g", "$")
            .await
            .expect("XGROUP CREATE");
        let name = format!("{p}-worker");
        let mut worker = multiplexed(t.addr, resp3, Some(&name)).await;
        let key = k.clone();
        let blocked = tokio::spawn(async move {
            let opts = StreamReadOptions::default().group("g", "w").block(5000);
            let reply: Option<StreamReadReply> = worker
                .xread_options(&[&key], &[">"], &opts)
                .await
                .expect("XREADGROUP");
            reply
        });
        wait_blocked(&mut writer, &name).await;
        let id: String = writer
            .xadd(&k, "*", &[("task", "wake")])
            .await
            .expect("XADD");
        let reply = tokio::time::timeout(WAIT, blocked)
            .await
            .expect("answered within 5 s")
            .expect("task")
            .expect("entries");
        assert_eq!(reply.keys[0].ids[0].id, id);
        let pending: StreamPendingReply = writer.xpending(&k, "g").await.expect("XPENDING");
        assert_eq!(pending.count(), 1);
        cleanup(&mut writer, &p).await;
    }
}
