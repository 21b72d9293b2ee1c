//! Handshake and connection commands, as redis-cli, redis-py and the redis crate use them.

use crate::support::{connect, start, start_with, test_config, Raw};

#[tokio::test]
async fn ping_echo_with_redis_crate_resp2_and_resp3() {
    let server = start().await;
    for resp3 in [false, true] {
        let mut con = connect(server.local_addr(), resp3).await;
        let pong: String = redis::cmd("PING")
            .query_async(&mut con)
            .await
            .expect("ping");
        assert_eq!(pong, "PONG");
        let echoed: String = redis::cmd("ECHO")
            .arg("hi there")
            .query_async(&mut con)
            .await
            .expect("echo");
        assert_eq!(echoed, "hi there");
        let err = redis::cmd("PING")
            .arg("a")
            .arg("b")
            .query_async::<String>(&mut con)
            .await
            .expect_err("arity");
        assert!(
            err.to_string()
                .contains("wrong number of arguments for 'ping' command"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn hello_replies_as_redis_7() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let r = raw.call(&["HELLO", "3"]).await;
    assert!(r.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:"), "{r}");
    assert!(r.ends_with("$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"), "{r}");
    // Now RESP3: a missing name is `_`.
    assert_eq!(raw.call(&["CLIENT", "GETNAME"]).await, "_\r\n");
    let r = raw.call(&["HELLO", "2", "SETNAME", "worker-1"]).await;
    assert!(r.starts_with("*14\r\n"), "{r}");
    assert_eq!(raw.call(&["CLIENT", "GETNAME"]).await, "$8\r\nworker-1\r\n");
    assert_eq!(
        raw.call(&["HELLO", "4"]).await,
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "x"]).await,
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "3", "FOO"]).await,
        "-ERR Syntax error in HELLO option 'FOO'\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "3", "AUTH", "default"]).await,
        "-ERR Syntax error in HELLO option 'AUTH'\r\n"
    );
}

#[tokio::test]
async fn auth_with_requirepass() {
    let mut config = test_config();
    config.requirepass = Some("s3cret".into());
    let server = start_with(config).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(
        raw.call(&["PING"]).await,
        "-NOAUTH Authentication required.\r\n"
    );
    // Unknown commands and arity are checked before authentication, as Redis does.
    assert!(raw
        .call(&["FOO"])
        .await
        .starts_with("-ERR unknown command 'FOO'"));
    assert_eq!(
        raw.call(&["HELLO", "3"]).await,
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
    );
    let wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    assert_eq!(raw.call(&["AUTH", "nope"]).await, wrongpass);
    assert_eq!(raw.call(&["AUTH", "bob", "s3cret"]).await, wrongpass);
    assert_eq!(
        raw.call(&["HELLO", "3", "AUTH", "default", "bad"]).await,
        wrongpass
    );
    assert_eq!(
        raw.call(&["AUTH", "a", "b", "c"]).await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(raw.call(&["AUTH", "s3cret"]).await, "+OK\r\n");
    assert_eq!(raw.call(&["PING"]).await, "+PONG\r\n");
    // RESET forgets the authentication.
    assert_eq!(raw.call(&["RESET"]).await, "+RESET\r\n");
    assert_eq!(
        raw.call(&["PING"]).await,
        "-NOAUTH Authentication required.\r\n"
    );
    let r = raw
        .call(&["HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "n1"])
        .await;
    assert!(r.starts_with("%7\r\n"), "{r}");
    assert_eq!(raw.call(&["CLIENT", "GETNAME"]).await, "$2\r\nn1\r\n");

    // The redis crate authenticates through the URL.
    let url = format!("redis://:s3cret@{}/", server.local_addr());
    let client = redis::Client::open(url).expect("url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("auth");
    let pong: String = redis::cmd("PING")
        .query_async(&mut con)
        .await
        .expect("ping");
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn unauthenticated_clients_get_tight_protocol_limits() {
    let mut config = test_config();
    config.requirepass = Some("pw".into());
    let server = start_with(config).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(b"*11\r\n").await;
    assert_eq!(
        raw.reply().await,
        "-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    assert!(raw.closed().await);
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(b"*3\r\n$20000\r\n").await;
    assert_eq!(
        raw.reply().await,
        "-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    assert!(raw.closed().await);
}

#[tokio::test]
async fn auth_without_password_configured() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(
        raw.call(&["AUTH", "x"]).await,
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    // The default user has no password: any password is accepted, other users are not.
    assert_eq!(raw.call(&["AUTH", "default", "x"]).await, "+OK\r\n");
    assert_eq!(
        raw.call(&["AUTH", "bob", "x"]).await,
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
}

#[tokio::test]
async fn select_quit_reset() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert_eq!(raw.call(&["SELECT", "15"]).await, "+OK\r\n");
    assert_eq!(
        raw.call(&["SELECT", "16"]).await,
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        raw.call(&["SELECT", "-1"]).await,
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        raw.call(&["SELECT", "x"]).await,
        "-ERR value is not an integer or out of range\r\n"
    );
    assert!(raw.call(&["CLIENT", "INFO"]).await.contains(" db=15 "));
    assert_eq!(raw.call(&["HELLO", "3"]).await.get(..3), Some("%7\r"));
    assert_eq!(raw.call(&["RESET"]).await, "+RESET\r\n");
    // Back to RESP2 and db 0.
    assert_eq!(raw.call(&["CLIENT", "GETNAME"]).await, "$-1\r\n");
    assert!(raw.call(&["CLIENT", "INFO"]).await.contains(" db=0 "));
    assert_eq!(raw.call(&["QUIT"]).await, "+OK\r\n");
    assert!(raw.closed().await);
}

#[tokio::test]
async fn client_subcommands() {
    let server = start().await;
    let mut a = Raw::connect(server.local_addr()).await;
    let mut b = Raw::connect(server.local_addr()).await;
    let id_a = a.call(&["CLIENT", "ID"]).await;
    let id_b = b.call(&["CLIENT", "ID"]).await;
    assert!(id_a.starts_with(':') && id_b.starts_with(':'));
    let id_b: u64 = id_b[1..id_b.len() - 2].parse().expect("id");
    assert_eq!(a.call(&["CLIENT", "SETNAME", "alpha"]).await, "+OK\r\n");
    assert_eq!(
        a.call(&["CLIENT", "SETNAME", "has space"]).await,
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]).await,
        "+OK\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "SETINFO", "lib-ver", "5.0.1"]).await,
        "+OK\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "SETINFO", "foo", "x"]).await,
        "-ERR Unrecognized option 'foo'\r\n"
    );
    let list = a.call(&["CLIENT", "LIST"]).await;
    assert!(list.contains("name=alpha "), "{list}");
    assert!(list.contains("lib-name=redis-py lib-ver=5.0.1"), "{list}");
    assert!(list.contains("cmd=client|list"), "{list}");
    assert_eq!(list.matches("id=").count(), 2, "{list}");
    let one = a.call(&["CLIENT", "LIST", "ID", &id_b.to_string()]).await;
    assert_eq!(one.matches("id=").count(), 1, "{one}");
    assert_eq!(
        a.call(&["CLIENT", "LIST", "ID", "x"]).await,
        "-ERR Invalid client ID\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "LIST", "TYPE", "foo"]).await,
        "-ERR Unknown client type 'foo'\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "LIST", "TYPE", "pubsub"]).await,
        "$0\r\n\r\n"
    );
    assert_eq!(a.call(&["CLIENT", "NO-EVICT", "on"]).await, "+OK\r\n");
    assert_eq!(
        a.call(&["CLIENT", "NO-EVICT", "maybe"]).await,
        "-ERR syntax error\r\n"
    );
    assert!(a.call(&["CLIENT", "INFO"]).await.contains("flags=e"));
    assert_eq!(
        a.call(&["CLIENT", "KILL", "1.2.3.4:5"]).await,
        "-ERR No such client\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "KILL", "ID", "0"]).await,
        "-ERR client-id should be greater than 0\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "KILL", "ID", "1", "SKIPME"]).await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "FOO"]).await,
        "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        a.call(&["CLIENT", "KILL"]).await,
        "-ERR wrong number of arguments for 'client|kill' command\r\n"
    );
    let help = a.call(&["CLIENT", "HELP"]).await;
    assert!(
        help.starts_with(
            "*39\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        ),
        "{help}"
    );
    // Killing b by id closes its connection; a carries on.
    assert_eq!(
        a.call(&["CLIENT", "KILL", "ID", &id_b.to_string()]).await,
        ":1\r\n"
    );
    assert!(b.closed().await);
    assert_eq!(a.call(&["PING"]).await, "+PONG\r\n");
    // SKIPME defaults to yes.
    assert_eq!(
        a.call(&["CLIENT", "KILL", "TYPE", "normal"]).await,
        ":0\r\n"
    );
}

/// `idle=` counts from the client's last read, as Redis's `lastinteraction`.
#[tokio::test]
async fn client_list_idle_counts_from_the_last_request() {
    let server = start().await;
    let mut quiet = Raw::connect(server.local_addr()).await;
    let mut busy = Raw::connect(server.local_addr()).await;
    let quiet_id = quiet.call(&["CLIENT", "ID"]).await;
    let quiet_id = quiet_id[1..quiet_id.len() - 2].to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let line = busy.call(&["CLIENT", "LIST", "ID", &quiet_id]).await;
    assert!(line.contains(" idle=1 "), "{line}");
    assert!(line.contains(" cmd=client|id "), "{line}");
    let mine = busy.call(&["CLIENT", "INFO"]).await;
    assert!(mine.contains(" idle=0 "), "{mine}");
    quiet.call(&["PING"]).await;
    let line = busy.call(&["CLIENT", "LIST", "ID", &quiet_id]).await;
    assert!(line.contains(" idle=0 "), "{line}");
    assert!(line.contains(" cmd=ping "), "{line}");
}

#[tokio::test]
async fn client_reply_off_and_skip() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.cmd(&["CLIENT", "REPLY", "OFF"]).await;
    raw.cmd(&["PING"]).await;
    raw.cmd(&["ECHO", "hidden"]).await;
    raw.cmd(&["CLIENT", "REPLY", "ON"]).await;
    assert_eq!(raw.reply().await, "+OK\r\n");
    raw.cmd(&["CLIENT", "REPLY", "SKIP"]).await;
    raw.cmd(&["ECHO", "skipped"]).await;
    raw.cmd(&["ECHO", "shown"]).await;
    assert_eq!(raw.reply().await, "$5\r\nshown\r\n");
}
