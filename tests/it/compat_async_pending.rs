//! Client compatibility, Rust half (issue #5), for the features still on other
//! branches: MULTI/EXEC and WATCH (transactions branch), pub/sub (transactions and
//! pub/sub branch), consumer groups (consumer-groups branch), through the `redis`
//! crate's multiplexed async connection in RESP2 and RESP3.
//!
//! NOT in the module list of `main.rs` yet, so `cargo test` stays green: add
//! `mod compat_async_pending;` there once those branches are merged. Validated against
//! redis-server 7.0.15 with `COMPAT_TARGET_ADDR=127.0.0.1:PORT COMPAT_TARGET=redis`
//! (see `compat_async.rs`).

use std::time::Duration;

use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamClaimReply, StreamInfoConsumersReply,
    StreamInfoGroupsReply, StreamPendingCountReply, StreamPendingReply, StreamReadOptions,
    StreamReadReply,
};
use redis::{AsyncCommands, AsyncConnectionConfig, ErrorKind, PushInfo, PushKind, Value};
use tokio_stream::StreamExt;

use crate::compat_async::{cleanup, fields, multiplexed, prefix, target, wait_blocked};

const WAIT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------- transactions branch

#[tokio::test]
async fn atomic_pipeline_is_multi_exec() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("tx");
        let mut con = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:tx");
        let (id, len): (String, usize) = redis::pipe()
            .atomic()
            .xadd(&k, "1-0", &[("a", 1)])
            .xlen(&k)
            .query_async(&mut con)
            .await
            .expect("MULTI/EXEC");
        assert_eq!((id.as_str(), len), ("1-0", 1));

        // A runtime error inside EXEC does not roll back the rest.
        let err = redis::pipe()
            .atomic()
            .xadd(&k, "2-0", &[("a", 2)])
            .xadd(&k, "1-5", &[("a", 3)]) // smaller than the top id: fails when EXEC runs it
            .xlen(&k)
            .query_async::<(String, String, usize)>(&mut con)
            .await
            .expect_err("the failing XADD surfaces");
        assert_eq!(err.kind(), ErrorKind::ResponseError, "{err}");
        let len: usize = con.xlen(&k).await.expect("XLEN");
        assert_eq!(len, 2, "the XADD before the failing one was applied");

        // A command rejected while queueing aborts the whole transaction.
        let err = redis::pipe()
            .atomic()
            .xadd(&k, "3-0", &[("a", 4)])
            .cmd("XADD")
            .arg(&k)
            .query_async::<Value>(&mut con)
            .await
            .expect_err("EXECABORT");
        assert!(
            matches!(
                err.kind(),
                ErrorKind::ExecAbortError | ErrorKind::ResponseError
            ),
            "{err}"
        );
        let len: usize = con.xlen(&k).await.expect("XLEN");
        assert_eq!(len, 2, "nothing of the aborted transaction ran");
        cleanup(&mut con, &p).await;
    }
}

#[tokio::test]
async fn watch_aborts_exec_when_the_key_changes() {
    let t = target().await;
    for resp3 in [false, true] {
        let p = prefix("watch");
        // WATCH state belongs to a connection: the watcher has its own.
        let mut watcher = multiplexed(t.addr, resp3, None).await;
        let mut other = multiplexed(t.addr, resp3, None).await;
        let k = format!("{p}:watched");
        let _: String = watcher.xadd(&k, "*", &[("v", 0)]).await.expect("XADD");

        let _: () = redis::cmd("WATCH")
            .arg(&k)
            .query_async(&mut watcher)
            .await
            .expect("WATCH");
        let _: String = other.xadd(&k, "*", &[("v", "other")]).await.expect("XADD");
        let aborted: Option<(String,)> = redis::pipe()
            .atomic()
            .xadd(&k, "*", &[("v", "mine")])
            .query_async(&mut watcher)
            .await
            .expect("EXEC");
        assert!(
            aborted.is_none(),
            "EXEC must answer nil after a watched key changed"
        );

        let _: () = redis::cmd("WATCH")
            .arg(&k)
            .query_async(&mut watcher)
            .await
            .expect("WATCH");
        let committed: Option<(String, usize)> = redis::pipe()
            .atomic()
            .xadd(&k, "*", &[("v", "again")])
            .xlen(&k)
            .query_async(&mut watcher)
            .await
            .expect("EXEC");
        assert_eq!(committed.expect("committed").1, 3);

        let _: () = redis::cmd("WATCH")
            .arg(&k)
            .query_async(&mut watcher)
            .await
            .expect("WATCH");
        let _: () = redis::cmd("UNWATCH")
            .query_async(&mut watcher)
            .await
            .expect("UNWATCH");
        let _: String = other
            .xadd(&k, "*", &[("v", "after unwatch")])
            .await
            .expect("XADD");
        let (len,): (usize,) = redis::pipe()
            .atomic()
            .xlen(&k)
            .query_async(&mut watcher)
            .await
            .expect("EXEC after UNWATCH");
        assert_eq!(len, 4);
        cleanup(&mut watcher, &p).await;
    }
}

// ------------------------------------------------------------------- pub/sub branch

#[tokio::test]
async fn resp3_pubsub_on_a_multiplexed_connection() {
    let t = target().await;
    let p = prefix("push");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PushInfo>();
    let client = redis::Client::open(format!("redis://{}/?protocol=resp3", t.addr)).expect("url");
    let mut sub = client
        .get_multiplexed_async_connection_with_config(
            &AsyncConnectionConfig::new().set_push_sender(tx),
        )
        .await
        .expect("connects");
    let mut publisher = multiplexed(t.addr, true, None).await;
    let ch = format!("{p}:chan");
    sub.subscribe(&ch).await.expect("SUBSCRIBE");
    sub.psubscribe(format!("{p}:*")).await.expect("PSUBSCRIBE");
    // The same connection still answers ordinary commands while subscribed (RESP3).
    let pong: String = redis::cmd("PING")
        .query_async(&mut sub)
        .await
        .expect("PING");
    assert_eq!(pong, "PONG");

    let receivers: usize = publisher.publish(&ch, "hello").await.expect("PUBLISH");
    assert_eq!(receivers, 2);
    let mut kinds = Vec::new();
    while !(kinds.contains(&PushKind::Message) && kinds.contains(&PushKind::PMessage)) {
        let push = tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("a push")
            .expect("open");
        match push.kind {
            PushKind::Message => {
                let (channel, payload): (String, String) =
                    redis::from_redis_value(&Value::Array(push.data.clone()))
                        .expect("[channel, payload]");
                assert_eq!((channel.as_str(), payload.as_str()), (ch.as_str(), "hello"));
            }
            PushKind::PMessage => {
                let (pattern, channel, payload): (String, String, String) =
                    redis::from_redis_value(&Value::Array(push.data.clone()))
                        .expect("[pattern, channel, payload]");
                assert_eq!(pattern, format!("{p}:*"));
                assert_eq!((channel.as_str(), payload.as_str()), (ch.as_str(), "hello"));
            }
            _ => {}
        }
        kinds.push(push.kind);
    }
    sub.unsubscribe(&ch).await.expect("UNSUBSCRIBE");
    sub.punsubscribe(format!("{p}:*"))
        .await
        .expect("PUNSUBSCRIBE");
    let receivers: usize = publisher.publish(&ch, "nobody").await.expect("PUBLISH");
    assert_eq!(receivers, 0);
}

#[tokio::test]
async fn resp2_pubsub_connection() {
    let t = target().await;
    let p = prefix("pubsub");
    let client = redis::Client::open(format!("redis://{}/", t.addr)).expect("url");
    let mut pubsub = client.get_async_pubsub().await.expect("pubsub connection");
    let mut publisher = multiplexed(t.addr, false, None).await;
    let ch = format!("{p}:events");
    pubsub.subscribe(&ch).await.expect("SUBSCRIBE");
    pubsub
        .psubscribe(format!("{p}:session.*"))
        .await
        .expect("PSUBSCRIBE");
    let n: usize = publisher.publish(&ch, "first").await.expect("PUBLISH");
    assert_eq!(n, 1);
    let n: usize = publisher
        .publish(format!("{p}:session.42"), "ended")
        .await
        .expect("PUBLISH");
    assert_eq!(n, 1);
    let mut messages = pubsub.on_message();
    let m1 = tokio::time::timeout(WAIT, messages.next())
        .await
        .expect("message")
        .expect("open");
    assert_eq!(m1.get_channel_name(), ch);
    assert_eq!(m1.get_payload::<String>().expect("payload"), "first");
    let m2 = tokio::time::timeout(WAIT, messages.next())
        .await
        .expect("pmessage")
        .expect("open");
    assert_eq!(m2.get_channel_name(), format!("{p}:session.42"));
    assert_eq!(
        m2.get_pattern::<String>().expect("pattern"),
        format!("{p}:session.*")
    );
    assert_eq!(m2.get_payload::<String>().expect("payload"), "ended");
    drop(messages);
    let numsub: (String, usize) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(&ch)
        .query_async(&mut publisher)
        .await
        .expect("PUBSUB NUMSUB");
    assert_eq!(numsub, (ch.clone(), 1));
    pubsub.unsubscribe(&ch).await.expect("UNSUBSCRIBE");
    let n: usize = publisher.publish(&ch, "nobody").await.expect("PUBLISH");
    assert_eq!(n, 0);
}

// ------------------------------------------------------------ consumer-groups branch

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
