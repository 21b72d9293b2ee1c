//! Protocol edge cases over raw bytes: every malformed input gets Redis's error, that
//! connection closes, and everyone else keeps being served.

use crate::support::{start, start_with, test_config, Raw};

async fn assert_protocol_error(addr: std::net::SocketAddr, input: &[u8], error: &str) {
    let mut raw = Raw::connect(addr).await;
    raw.send(input).await;
    assert_eq!(
        raw.reply().await,
        format!("-ERR Protocol error: {error}\r\n"),
        "input {input:?}"
    );
    assert!(raw.closed().await, "connection closes after {error}");
}

#[tokio::test]
async fn malformed_requests_get_redis_errors_and_close() {
    let server = start().await;
    let addr = server.local_addr();
    let mut bystander = Raw::connect(addr).await;
    assert_eq!(bystander.call(&["PING"]).await, "+PONG\r\n");

    assert_protocol_error(addr, b"*abc\r\n", "invalid multibulk length").await;
    assert_protocol_error(addr, b"*3000000000\r\n", "invalid multibulk length").await;
    assert_protocol_error(addr, b"*1\r\n$abc\r\n", "invalid bulk length").await;
    assert_protocol_error(addr, b"*1\r\n$-1\r\n", "invalid bulk length").await;
    assert_protocol_error(addr, b"*1\r\nxyz\r\n", "expected '$', got 'x'").await;
    assert_protocol_error(
        addr,
        b"ECHO \"unbalanced\r\n",
        "unbalanced quotes in request",
    )
    .await;
    assert_protocol_error(addr, b"ECHO \"a\"b\r\n", "unbalanced quotes in request").await;
    let mut big_inline = vec![b'a'; 70 * 1024];
    big_inline.extend_from_slice(b"x");
    assert_protocol_error(addr, &big_inline, "too big inline request").await;
    let mut big_count = b"*".to_vec();
    big_count.extend(std::iter::repeat_n(b'1', 70 * 1024));
    assert_protocol_error(addr, &big_count, "too big mbulk count string").await;

    // The bystander never noticed.
    assert_eq!(
        bystander.call(&["ECHO", "still here"]).await,
        "$10\r\nstill here\r\n"
    );
}

#[tokio::test]
async fn bulk_length_limit_is_a_setting() {
    let mut config = test_config();
    config.proto_max_bulk_len = 1024 * 1024;
    let server = start_with(config).await;
    assert_protocol_error(
        server.local_addr(),
        b"*1\r\n$1048577\r\n",
        "invalid bulk length",
    )
    .await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let big = "x".repeat(1024 * 1024);
    assert_eq!(raw.call(&["ECHO", &big]).await.len(), 1024 * 1024 + 12);
}

#[tokio::test]
async fn query_buffer_limit_closes_without_reply() {
    let mut config = test_config();
    config.client_query_buffer_limit = 1024 * 1024;
    let server = start_with(config).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    // A bulk announced at 2 MiB, of which 1.5 MiB arrives: over the 1 MiB limit.
    raw.send(b"*2\r\n$4\r\nECHO\r\n$2097152\r\n").await;
    raw.send(&vec![b'x'; 1536 * 1024]).await;
    assert!(raw.closed().await);
    let mut other = Raw::connect(server.local_addr()).await;
    assert_eq!(other.call(&["PING"]).await, "+PONG\r\n");
}

#[tokio::test]
async fn inline_commands_and_pipelines() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(b"PING\r\nECHO \"hi there\"\nECHO 'it''s'\r\n\r\n   \r\n*0\r\n*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\nECHO \"\\x41\\n\"\r\n").await;
    assert_eq!(raw.reply().await, "+PONG\r\n");
    assert_eq!(raw.reply().await, "$8\r\nhi there\r\n");
    // 'it''s' is not valid: a closing quote must be followed by a space.
    assert_eq!(
        raw.reply().await,
        "-ERR Protocol error: unbalanced quotes in request\r\n"
    );
    assert!(raw.closed().await);

    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(b"*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\nECHO \"\\x41\\n\"\r\n")
        .await;
    assert_eq!(raw.reply().await, "$3\r\na\r\n\r\n");
    assert_eq!(raw.reply().await, "$2\r\nA\n\r\n");

    // A large pipeline, sent byte-split, is answered in order.
    let mut batch = Vec::new();
    for i in 0..2000 {
        let arg = i.to_string();
        batch.extend_from_slice(
            format!("*2\r\n$4\r\nECHO\r\n${}\r\n{}\r\n", arg.len(), arg).as_bytes(),
        );
    }
    for chunk in batch.chunks(7) {
        raw.send(chunk).await;
    }
    for i in 0..2000 {
        let arg = i.to_string();
        assert_eq!(raw.reply().await, format!("${}\r\n{}\r\n", arg.len(), arg));
    }
}

#[tokio::test]
async fn unknown_command_text_matches_redis() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(
        raw.call(&["FOO", "a", "b"]).await,
        "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        raw.call(&["foo"]).await,
        "-ERR unknown command 'foo', with args beginning with: \r\n"
    );
    let long = "abcdefghijklmnopqrstuvwxyz0123456789";
    let r = raw.call(&["foo", long, long, long, long]).await;
    assert_eq!(
        r,
        format!("-ERR unknown command 'foo', with args beginning with: '{long}' '{long}' '{long}' 'abcdefghijk' \r\n")
    );
}

#[tokio::test]
async fn client_disconnecting_mid_command_leaves_nothing_behind() {
    let server = start().await;
    {
        let mut raw = Raw::connect(server.local_addr()).await;
        raw.send(b"*3\r\n$4\r\nECHO\r\n$100\r\nabc").await;
    }
    let mut raw = Raw::connect(server.local_addr()).await;
    // Give the server a moment to see the first connection go.
    for _ in 0..50 {
        let list = raw.call(&["CLIENT", "LIST"]).await;
        if list.matches("id=").count() == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the disconnected client is still listed");
}
