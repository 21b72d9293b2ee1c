//! Server commands, admission limits and shutdown.

use std::time::Duration;

use crate::support::{connect, start, start_with, test_config, Raw};

#[tokio::test]
async fn info_sections() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let info = raw.call(&["INFO"]).await;
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Stats",
        "# Errorstats",
        "# Keyspace",
    ] {
        assert!(info.contains(section), "{section} missing");
    }
    assert!(info.contains("redis_version:7.0.15\r\n"));
    assert!(info.contains("blocked_clients:0\r\n"));
    assert!(!info.contains("# Commandstats"));
    let all = raw.call(&["INFO", "all"]).await;
    assert!(
        all.contains("# Commandstats\r\ncmdstat_info:calls=1,"),
        "{all}"
    );
    assert_eq!(raw.call(&["INFO", "nosuchsection"]).await, "$0\r\n\r\n");
    let two = raw.call(&["INFO", "server", "CLIENTS"]).await;
    assert!(two.contains("# Server") && two.contains("# Clients") && !two.contains("# Memory"));
    // RESP3: a verbatim string.
    raw.call(&["HELLO", "3"]).await;
    assert!(raw.call(&["INFO", "clients"]).await.starts_with("="));
}

#[tokio::test]
async fn errorstats_and_commandstats_count() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.call(&["NOSUCH"]).await;
    raw.call(&["SELECT", "99"]).await;
    raw.call(&["GET"]).await;
    raw.call(&["PING"]).await;
    let info = raw.call(&["INFO", "errorstats"]).await;
    assert!(info.contains("errorstat_ERR:count=3"), "{info}");
    let info = raw.call(&["INFO", "commandstats"]).await;
    assert!(info.contains("cmdstat_select:calls=1,"), "{info}");
    assert!(info.contains("failed_calls=1"), "{info}");
    assert!(info.contains("cmdstat_ping:calls=1,"), "{info}");
    assert_eq!(raw.call(&["CONFIG", "RESETSTAT"]).await, "+OK\r\n");
    let info = raw.call(&["INFO", "errorstats"]).await;
    assert!(!info.contains("errorstat_ERR"), "{info}");
}

#[tokio::test]
async fn config_get_set() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(
        raw.call(&["CONFIG", "GET", "maxclients"]).await,
        "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "SET", "maxclients", "50"]).await,
        "+OK\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "GET", "maxclients"]).await,
        "*2\r\n$10\r\nmaxclients\r\n$2\r\n50\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "SET", "port", "1"]).await,
        "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "SET", "nosuch", "1"]).await,
        "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "SET", "timeout", "1", "timeout", "2"])
            .await,
        "-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "SET", "timeout", "1", "maxclients"])
            .await,
        "-ERR syntax error\r\n"
    );
    // All or nothing: a bad second pair leaves the first unapplied.
    assert!(raw
        .call(&["CONFIG", "SET", "maxclients", "60", "timeout", "x"])
        .await
        .starts_with("-ERR CONFIG SET failed"));
    assert_eq!(
        raw.call(&["CONFIG", "GET", "maxclients"]).await,
        "*2\r\n$10\r\nmaxclients\r\n$2\r\n50\r\n"
    );
    raw.call(&["HELLO", "3"]).await;
    let r = raw
        .call(&["CONFIG", "GET", "maxmemory", "maxclients", "maxmemory"])
        .await;
    assert!(r.starts_with("%2\r\n"), "{r}");
    assert_eq!(raw.call(&["CONFIG", "GET", "nomatch*"]).await, "%0\r\n");
}

#[tokio::test]
async fn flush_time_function() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(raw.call(&["FLUSHDB"]).await, "+OK\r\n");
    assert_eq!(raw.call(&["FLUSHDB", "ASYNC"]).await, "+OK\r\n");
    assert_eq!(raw.call(&["FLUSHALL", "SYNC"]).await, "+OK\r\n");
    assert_eq!(
        raw.call(&["FLUSHALL", "foo"]).await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(raw.call(&["FUNCTION", "FLUSH"]).await, "+OK\r\n");
    assert_eq!(
        raw.call(&["FUNCTION", "FLUSH", "foo"]).await,
        "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"
    );
    let t = raw.call(&["TIME"]).await;
    assert!(t.starts_with("*2\r\n$10\r\n"), "{t}");
}

#[tokio::test]
async fn maxclients_refuses_with_redis_error() {
    let mut config = test_config();
    config.maxclients = 2;
    let server = start_with(config).await;
    let mut a = Raw::connect(server.local_addr()).await;
    let mut b = Raw::connect(server.local_addr()).await;
    assert_eq!(a.call(&["PING"]).await, "+PONG\r\n");
    assert_eq!(b.call(&["PING"]).await, "+PONG\r\n");
    let mut c = Raw::connect(server.local_addr()).await;
    assert_eq!(c.reply().await, "-ERR max number of clients reached\r\n");
    assert!(c.closed().await);
    let stats = a.call(&["INFO", "stats"]).await;
    assert!(stats.contains("rejected_connections:1\r\n"), "{stats}");
}

#[tokio::test]
async fn idle_timeout_closes_quiet_clients() {
    let mut config = test_config();
    config.timeout = Some(Duration::from_secs(1));
    let server = start_with(config).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(raw.call(&["PING"]).await, "+PONG\r\n");
    assert!(raw.closed().await, "closed after 1s idle");
}

/// CONFIG SET timeout reaches connections that are already open and quiet, the
/// one that sent it included, as Redis's cron closes them; blocked and subscribed
/// clients are left alone.
#[tokio::test]
async fn config_set_timeout_applies_to_open_connections() {
    let server = start().await;
    let mut quiet = Raw::connect(server.local_addr()).await;
    assert_eq!(quiet.call(&["PING"]).await, "+PONG\r\n");
    let mut blocked = Raw::connect(server.local_addr()).await;
    blocked
        .cmd(&["XREAD", "BLOCK", "0", "STREAMS", "idle:conversation", "$"])
        .await;
    let mut subscriber = Raw::connect(server.local_addr()).await;
    subscriber.cmd(&["SUBSCRIBE", "news"]).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(
        raw.call(&["CONFIG", "SET", "timeout", "1"]).await,
        "+OK\r\n"
    );
    assert!(raw.closed().await, "the connection that set it idles out");
    assert!(
        quiet.closed().await,
        "an older quiet connection idles out too"
    );
    let mut check = Raw::connect(server.local_addr()).await;
    let list = check.call(&["CLIENT", "LIST"]).await;
    assert!(list.contains("flags=b"), "the blocked reader stays: {list}");
    assert!(list.contains("flags=P"), "the subscriber stays: {list}");
}

#[tokio::test]
async fn shutdown_command_stops_the_server_gracefully() {
    let server = start().await;
    let addr = server.local_addr();
    let mut other = Raw::connect(addr).await;
    assert_eq!(other.call(&["PING"]).await, "+PONG\r\n");
    let mut raw = Raw::connect(addr).await;
    // Requests pipelined before SHUTDOWN are answered; SHUTDOWN itself is not.
    raw.send(b"PING\r\nSHUTDOWN NOSAVE\r\n").await;
    assert_eq!(raw.reply().await, "+PONG\r\n");
    assert!(raw.closed().await);
    assert!(other.closed().await);
    tokio::time::timeout(Duration::from_secs(5), server.wait())
        .await
        .expect("server stops");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_abort_without_shutdown() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(
        raw.call(&["SHUTDOWN", "ABORT"]).await,
        "-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(
        raw.call(&["SHUTDOWN", "FOO"]).await,
        "-ERR syntax error\r\n"
    );
    let mut con = connect(server.local_addr(), false).await;
    let pong: String = redis::cmd("PING")
        .query_async(&mut con)
        .await
        .expect("still up");
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn protected_mode_denies_remote_peers() {
    // A non-loopback peer is simulated with an in-memory pipe, since tests may only
    // talk to loopback addresses.
    let server = start().await;
    let state = server.state().clone();
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let peer: std::net::SocketAddr = "192.0.2.9:5555".parse().expect("addr");
    let handle = state.clients.register(peer, server.local_addr());
    let task = tokio::spawn(ringbus::server::admit_stream(theirs, state, handle));
    let mut ours = ours;
    let mut buf = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut ours, &mut buf)
        .await
        .expect("read");
    assert!(String::from_utf8_lossy(&buf).starts_with("-DENIED Redis is running in protected mode"));
    task.await.expect("task");
    let stats = &server.state().stats;
    assert_eq!(
        stats.rejected(ringbus::server::RejectReason::ProtectedMode),
        1
    );
    assert_eq!(stats.rejected_connections(), 1);
}

#[tokio::test]
async fn protected_mode_off_serves_remote_peers() {
    let mut config = test_config();
    config.protected_mode = false;
    let server = start_with(config).await;
    let state = server.state().clone();
    let (mut ours, theirs) = tokio::io::duplex(64 * 1024);
    let peer: std::net::SocketAddr = "192.0.2.9:5555".parse().expect("addr");
    let handle = state.clients.register(peer, server.local_addr());
    let task = tokio::spawn(ringbus::server::admit_stream(theirs, state, handle));
    tokio::io::AsyncWriteExt::write_all(&mut ours, b"PING\r\nQUIT\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut ours, &mut buf)
        .await
        .expect("read");
    assert_eq!(buf, b"+PONG\r\n+OK\r\n");
    task.await.expect("task");
}

#[tokio::test]
async fn config_set_loglevel_reloads_the_filter() {
    let server = start().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let record = std::sync::Arc::clone(&seen);
    server
        .state()
        .set_log_reloader(Box::new(move |level: &str| {
            record
                .lock()
                .map_err(|e| e.to_string())?
                .push(level.to_string());
            Ok(())
        }));
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(
        raw.call(&["CONFIG", "SET", "loglevel", "debug"]).await,
        "+OK\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "GET", "loglevel"]).await,
        "*2\r\n$8\r\nloglevel\r\n$5\r\ndebug\r\n"
    );
    assert_eq!(seen.lock().expect("lock").as_slice(), ["debug"]);
}
