//! Client compatibility, Rust half (issue #5), for the features still on another
//! branch: MULTI/EXEC and WATCH, and pub/sub (the transactions and pub/sub branch),
//! through the `redis` crate's multiplexed async connection in RESP2 and RESP3.
//!
//! NOT in the module list of `main.rs` yet, so `cargo test` stays green: add
//! `mod compat_async_pending;` there once those branches are merged. Validated against
//! redis-server 7.0.15 with `COMPAT_TARGET_ADDR=127.0.0.1:PORT COMPAT_TARGET=redis`
//! (see `compat_async.rs`).

use std::time::Duration;

use redis::{AsyncCommands, AsyncConnectionConfig, ErrorKind, PushInfo, PushKind, Value};
use tokio_stream::StreamExt;

use crate::compat_async::{cleanup, multiplexed, prefix, target};

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
