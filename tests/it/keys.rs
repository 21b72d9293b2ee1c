//! Keyspace commands. Keys hold streams, which arrive with the streams capability;
//! until then these run on an empty keyspace and must answer as Redis does there.

use crate::support::{connect, start, Raw};

#[tokio::test]
async fn key_commands_on_an_empty_keyspace() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let cases: &[(&[&str], &str)] = &[
        (&["DEL", "a", "b"], ":0\r\n"),
        (&["UNLINK", "a"], ":0\r\n"),
        (&["EXISTS", "a", "a"], ":0\r\n"),
        (&["TYPE", "a"], "+none\r\n"),
        (&["KEYS", "*"], "*0\r\n"),
        (&["SCAN", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (
            &[
                "SCAN", "0", "MATCH", "s:*", "COUNT", "100", "TYPE", "stream",
            ],
            "*2\r\n$1\r\n0\r\n*0\r\n",
        ),
        (&["SCAN", "abc"], "-ERR invalid cursor\r\n"),
        (&["SCAN", "0", "COUNT", "0"], "-ERR syntax error\r\n"),
        (
            &["SCAN", "0", "COUNT", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["SCAN", "0", "MATCH"], "-ERR syntax error\r\n"),
        (&["SCAN", "0", "FOO", "1"], "-ERR syntax error\r\n"),
        (&["EXPIRE", "a", "10"], ":0\r\n"),
        (&["PEXPIRE", "a", "10", "NX"], ":0\r\n"),
        (&["EXPIREAT", "a", "10", "GT"], ":0\r\n"),
        (&["PEXPIREAT", "a", "10", "XX", "LT"], ":0\r\n"),
        (
            &["EXPIRE", "a", "10", "NX", "XX"],
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
        ),
        (
            &["EXPIRE", "a", "10", "GT", "LT"],
            "-ERR GT and LT options at the same time are not compatible\r\n",
        ),
        (
            &["EXPIRE", "a", "10", "FOO"],
            "-ERR Unsupported option FOO\r\n",
        ),
        (
            &["EXPIRE", "a", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["EXPIRE", "a", "99999999999999999"],
            "-ERR invalid expire time in 'expire' command\r\n",
        ),
        (
            &["PEXPIRE", "a", "9223372036854775807"],
            "-ERR invalid expire time in 'pexpire' command\r\n",
        ),
        (&["TTL", "a"], ":-2\r\n"),
        (&["PTTL", "a"], ":-2\r\n"),
        (&["EXPIRETIME", "a"], ":-2\r\n"),
        (&["PEXPIRETIME", "a"], ":-2\r\n"),
        (&["PERSIST", "a"], ":0\r\n"),
        (&["RENAME", "a", "b"], "-ERR no such key\r\n"),
        (&["RENAMENX", "a", "b"], "-ERR no such key\r\n"),
        (&["DBSIZE"], ":0\r\n"),
        (
            &["DEL"],
            "-ERR wrong number of arguments for 'del' command\r\n",
        ),
        (
            &["TTL", "a", "b"],
            "-ERR wrong number of arguments for 'ttl' command\r\n",
        ),
    ];
    for (cmd, want) in cases {
        assert_eq!(raw.call(cmd).await, *want, "{cmd:?}");
    }
}

#[tokio::test]
async fn key_commands_through_the_redis_crate() {
    let server = start().await;
    for resp3 in [false, true] {
        let mut con = connect(server.local_addr(), resp3).await;
        let n: i64 = redis::cmd("DEL")
            .arg("x")
            .query_async(&mut con)
            .await
            .expect("del");
        assert_eq!(n, 0);
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut con)
            .await
            .expect("keys");
        assert!(keys.is_empty());
        let (cursor, found): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(0)
            .query_async(&mut con)
            .await
            .expect("scan");
        assert_eq!((cursor, found.len()), (0, 0));
        let t: String = redis::cmd("TYPE")
            .arg("x")
            .query_async(&mut con)
            .await
            .expect("type");
        assert_eq!(t, "none");
    }
}
