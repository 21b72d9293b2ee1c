//! Pub/sub and output limits over TCP: a subscriber that never reads is dropped at
//! its `client-output-buffer-limit` while the others keep receiving; a normal client
//! whose reply breaks the normal limit is dropped; a client that never reads holds
//! at most one batch of replies; pushes reach a RESP3 client while it is blocked;
//! INFO and CLIENT LIST report subscribers. Reply shapes are covered byte for byte
//! by tests/differential/pubsub.txt.

use std::time::Duration;

use crate::support::{start, Raw};

const WAIT: Duration = Duration::from_secs(10);

/// The integer after `field:` in an INFO reply.
fn info_field(info: &str, field: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in {info}"))
}

/// The `name=value` field of the CLIENT LIST line that contains `marker`.
fn client_field(list: &str, marker: &str, name: &str) -> Option<u64> {
    let line = list.lines().find(|l| l.contains(marker))?;
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_is_dropped_and_others_keep_receiving() {
    let server = start().await;
    let addr = server.local_addr();
    let mut admin = Raw::connect(addr).await;
    let set = admin
        .call(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 256kb 60",
        ])
        .await;
    assert_eq!(set, "+OK\r\n");
    let mut stuck = Raw::connect(addr).await;
    stuck.call(&["CLIENT", "SETNAME", "stuck"]).await;
    assert!(stuck
        .call(&["SUBSCRIBE", "firehose"])
        .await
        .contains(":1\r\n"));
    let mut good = Raw::connect(addr).await;
    assert!(good
        .call(&["SUBSCRIBE", "firehose"])
        .await
        .contains(":1\r\n"));

    // The reading subscriber reads each message before the next is published (one
    // that reads slower than the publisher writes is over its limit too).
    const MESSAGES: usize = 600;
    let payload = "x".repeat(32 * 1024);
    let mut receivers = Vec::new();
    for i in 0..MESSAGES {
        let n = admin.call(&["PUBLISH", "firehose", &payload]).await;
        receivers.push(n);
        let m = good.reply().await;
        assert!(m.starts_with("*3\r\n$7\r\nmessage\r\n"), "message {i}");
    }
    // 600 x 32 KiB is far more than the socket buffers and the 1mb limit.
    assert_eq!(receivers[0], ":2\r\n");
    assert_eq!(receivers.last().map(String::as_str), Some(":1\r\n"));
    assert!(
        stuck.closed().await,
        "the stuck subscriber was disconnected"
    );
    let info = admin.call(&["INFO", "stats"]).await;
    assert_eq!(
        info_field(&info, "client_output_buffer_limit_disconnections"),
        1
    );
    assert_eq!(info_field(&info, "pubsub_channels"), 1);
    let list = admin.call(&["CLIENT", "LIST"]).await;
    assert!(!list.contains("name=stuck"), "{list}");
    assert_eq!(admin.call(&["PUBLISH", "firehose", "last"]).await, ":1\r\n");
    assert!(good.reply().await.contains("last"));
    let stats = &server.state().stats;
    assert_eq!(
        stats
            .pubsub_messages
            .load(std::sync::atomic::Ordering::Relaxed),
        MESSAGES as u64 + 1
    );
}

#[tokio::test]
async fn a_reply_over_the_normal_hard_limit_drops_the_client() {
    let server = start().await;
    let addr = server.local_addr();
    let mut admin = Raw::connect(addr).await;
    let value = "v".repeat(1024);
    for _ in 0..400 {
        admin.call(&["XADD", "big", "*", "f", &value]).await;
    }
    // Connected and served before the change: a connection keeps the settings
    // between requests and must pick up the new limit.
    let mut greedy = Raw::connect(addr).await;
    assert_eq!(greedy.call(&["PING"]).await, "+PONG\r\n");
    let set = admin
        .call(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 256kb 0 0",
        ])
        .await;
    assert_eq!(set, "+OK\r\n");
    // A small reply is fine.
    let mut ok = Raw::connect(addr).await;
    assert!(ok
        .call(&["XRANGE", "big", "-", "+", "COUNT", "10"])
        .await
        .starts_with("*10\r\n"));
    // 400 KiB in one reply: closed without it.
    greedy.cmd(&["XRANGE", "big", "-", "+"]).await;
    assert!(greedy.closed().await, "dropped for its output");
    let info = admin.call(&["INFO", "stats"]).await;
    assert_eq!(
        info_field(&info, "client_output_buffer_limit_disconnections"),
        1
    );
    assert_eq!(ok.call(&["PING"]).await, "+PONG\r\n");
    // Back to no limit: the same reply goes through.
    admin
        .call(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 0 0",
        ])
        .await;
    let mut again = Raw::connect(addr).await;
    assert!(again
        .call(&["XRANGE", "big", "-", "+"])
        .await
        .starts_with("*400\r\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_holds_at_most_one_batch() {
    let server = start().await;
    let addr = server.local_addr();
    let mut admin = Raw::connect(addr).await;
    let value = "v".repeat(1024);
    for _ in 0..200 {
        admin.call(&["XADD", "big", "*", "f", &value]).await;
    }
    // About 210 KiB per reply, 2,000 of them asked for at once: 400 MiB if it all
    // piled up.
    let mut greedy = Raw::connect(addr).await;
    greedy.call(&["CLIENT", "SETNAME", "greedy"]).await;
    let one = b"*4\r\n$6\r\nXRANGE\r\n$3\r\nbig\r\n$1\r\n-\r\n$1\r\n+\r\n";
    let many: Vec<u8> = one.iter().copied().cycle().take(one.len() * 2000).collect();
    let send = tokio::spawn(async move {
        greedy.send(&many).await;
        greedy
    });
    // Wait until the server is stuck writing to it.
    let mut stuck_at = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let list = admin.call(&["CLIENT", "LIST"]).await;
        let omem = client_field(&list, "name=greedy", "omem").unwrap_or(0);
        if omem > 0 && omem == stuck_at {
            break;
        }
        stuck_at = omem;
    }
    let list = admin.call(&["CLIENT", "LIST"]).await;
    let omem = client_field(&list, "name=greedy", "omem").expect("greedy listed");
    assert!(omem > 0, "stuck writing: {list}");
    assert!(
        omem < 2 * (210 * 1024) + ringbus::server::FLUSH_AT as u64,
        "pending output stays within one batch: {omem}"
    );
    assert_eq!(admin.call(&["PING"]).await, "+PONG\r\n");
    send.abort();
}

#[tokio::test]
async fn a_blocked_resp3_subscriber_still_gets_its_messages() {
    let server = start().await;
    let mut r = Raw::connect(server.local_addr()).await;
    assert!(r.call(&["HELLO", "3"]).await.starts_with('%'));
    assert!(r.call(&["SUBSCRIBE", "ch"]).await.starts_with(">3"));
    r.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]).await;
    let mut p = Raw::connect(server.local_addr()).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !p
        .call(&["INFO", "clients"])
        .await
        .contains("blocked_clients:1")
    {
        assert!(tokio::time::Instant::now() < deadline, "reader parked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(p.call(&["PUBLISH", "ch", "hi"]).await, ":1\r\n");
    assert_eq!(
        r.reply().await,
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
    );
    p.call(&["XADD", "s", "1-1", "f", "v"]).await;
    assert!(r.reply().await.starts_with("%1\r\n$1\r\ns\r\n"));
}

#[tokio::test]
async fn info_and_client_list_report_subscriptions() {
    let server = start().await;
    let mut s = Raw::connect(server.local_addr()).await;
    s.call(&["SUBSCRIBE", "a"]).await;
    s.call(&["PSUBSCRIBE", "p*"]).await;
    let mut admin = Raw::connect(server.local_addr()).await;
    let info = admin.call(&["INFO", "stats"]).await;
    assert_eq!(info_field(&info, "pubsub_channels"), 1);
    assert_eq!(info_field(&info, "pubsub_patterns"), 1);
    let pubsub = admin.call(&["CLIENT", "LIST", "TYPE", "pubsub"]).await;
    assert!(pubsub.contains("flags=P sub=1 psub=1") || pubsub.contains(" sub=1 psub=1 "));
    assert!(pubsub.contains("flags=P "), "{pubsub}");
    let normal = admin.call(&["CLIENT", "LIST", "TYPE", "normal"]).await;
    assert!(!normal.contains("flags=P"), "{normal}");
    assert_eq!(
        admin.call(&["CLIENT", "KILL", "TYPE", "pubsub"]).await,
        ":1\r\n"
    );
    assert!(s.closed().await);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let info = admin.call(&["INFO", "stats"]).await;
        if info_field(&info, "pubsub_channels") == 0 && info_field(&info, "pubsub_patterns") == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "unsubscribed on close"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
