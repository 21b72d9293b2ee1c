//! XINFO STREAM / XINFO HELP and XSETID: exact reply bytes (RESP2 and RESP3, as
//! redis-server 7.0.15 sends them), their errors, and what a client library reads.

use std::collections::HashMap;

use crate::support::{connect, start, start_with, test_config, Raw};

/// Sends each command and checks its raw reply.
async fn expect(raw: &mut Raw, cases: &[(&[&str], &str)]) {
    for (cmd, want) in cases {
        assert_eq!(raw.call(cmd).await, *want, "{cmd:?}");
    }
}

/// In a RESP2 `XINFO STREAM` reply, the line holding `name`'s value: an integer
/// (`:n`) or the payload of a bulk string.
fn field(reply: &str, name: &str) -> String {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let i = lines.iter().position(|l| *l == name).expect(name);
    match lines[i + 1].as_bytes().first() {
        Some(b'$') => lines[i + 2].to_string(),
        _ => lines[i + 1].to_string(),
    }
}

#[tokio::test]
async fn xinfo_help_lists_every_subcommand() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let help = "*9\r\n\
        +XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
        +CONSUMERS <key> <groupname>\r\n\
        +    Show consumers of <groupname>.\r\n\
        +GROUPS <key>\r\n\
        +    Show the stream consumer groups.\r\n\
        +STREAM <key> [FULL [COUNT <count>]\r\n\
        +    Show information about the stream.\r\n\
        +HELP\r\n\
        +    Prints this help.\r\n";
    assert_eq!(raw.call(&["XINFO", "HELP"]).await, help);
    assert_eq!(raw.call(&["xinfo", "help"]).await, help);
    assert_eq!(raw.call(&["HELLO", "3"]).await.chars().next(), Some('%'));
    assert_eq!(raw.call(&["XINFO", "HELP"]).await, help);
    expect(
        &mut raw,
        &[
            (
                &["XINFO", "HELP", "x"],
                "-ERR wrong number of arguments for 'xinfo|help' command\r\n",
            ),
            (
                &["XINFO"],
                "-ERR wrong number of arguments for 'xinfo' command\r\n",
            ),
            (
                &["XINFO", "STREAM"],
                "-ERR wrong number of arguments for 'xinfo|stream' command\r\n",
            ),
            (
                &["XINFO", "foo"],
                "-ERR unknown subcommand 'foo'. Try XINFO HELP.\r\n",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn xinfo_stream_summary_and_full_in_both_protocols() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    expect(
        &mut raw,
        &[
            (&["XINFO", "STREAM", "s"], "-ERR no such key\r\n"),
            // The key is looked up before the options are read.
            (&["XINFO", "STREAM", "s", "FOO"], "-ERR no such key\r\n"),
            (&["XADD", "s", "1-1", "a", "1"], "$3\r\n1-1\r\n"),
            (&["XADD", "s", "2-0", "a", "2", "b", "3"], "$3\r\n2-0\r\n"),
            (&["XADD", "s", "3-0", "a", "4"], "$3\r\n3-0\r\n"),
            (&["XDEL", "s", "1-1"], ":1\r\n"),
        ],
    )
    .await;
    let head = "$6\r\nlength\r\n:2\r\n\
        $15\r\nradix-tree-keys\r\n:1\r\n\
        $16\r\nradix-tree-nodes\r\n:2\r\n\
        $17\r\nlast-generated-id\r\n$3\r\n3-0\r\n\
        $20\r\nmax-deleted-entry-id\r\n$3\r\n1-1\r\n\
        $13\r\nentries-added\r\n:3\r\n\
        $23\r\nrecorded-first-entry-id\r\n$3\r\n2-0\r\n";
    let first = "*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n";
    let last = "*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\na\r\n$1\r\n4\r\n";
    let tail =
        format!("$6\r\ngroups\r\n:0\r\n$11\r\nfirst-entry\r\n{first}$10\r\nlast-entry\r\n{last}");
    let full_tail = format!("$7\r\nentries\r\n*2\r\n{first}{last}$6\r\ngroups\r\n*0\r\n");
    let one_tail = format!("$7\r\nentries\r\n*1\r\n{first}$6\r\ngroups\r\n*0\r\n");
    for (proto, summary, full) in [("2", "*20", "*18"), ("3", "%10", "%9")] {
        raw.call(&["HELLO", proto]).await;
        assert_eq!(
            raw.call(&["XINFO", "STREAM", "s"]).await,
            format!("{summary}\r\n{head}{tail}")
        );
        assert_eq!(
            raw.call(&["xinfo", "stream", "s", "full"]).await,
            format!("{full}\r\n{head}{full_tail}")
        );
        for count in ["0", "-3", "2", "99"] {
            assert_eq!(
                raw.call(&["XINFO", "STREAM", "s", "FULL", "COUNT", count])
                    .await,
                format!("{full}\r\n{head}{full_tail}"),
                "COUNT {count}"
            );
        }
        assert_eq!(
            raw.call(&["XINFO", "STREAM", "s", "FULL", "COUNT", "1"])
                .await,
            format!("{full}\r\n{head}{one_tail}")
        );
    }
    let syntax = "-ERR unknown subcommand or wrong number of arguments for 'StReAm'. \
        Try XINFO HELP.\r\n";
    expect(
        &mut raw,
        &[
            (&["XINFO", "StReAm", "s", "FOO"], syntax),
            (&["XINFO", "StReAm", "s", "FULL", "COUNT"], syntax),
            (&["XINFO", "StReAm", "s", "FULL", "COUNT", "1", "x"], syntax),
            (&["XINFO", "StReAm", "s", "FULL", "FOO", "1"], syntax),
            (
                &["XINFO", "STREAM", "s", "FULL", "COUNT", "x"],
                "-ERR value is not an integer or out of range\r\n",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn xinfo_on_an_emptied_stream_has_null_entries() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.call(&["XADD", "e", "5-5", "f", "v"]).await;
    raw.call(&["XDEL", "e", "5-5"]).await;
    let head = "$6\r\nlength\r\n:0\r\n\
        $15\r\nradix-tree-keys\r\n:0\r\n\
        $16\r\nradix-tree-nodes\r\n:1\r\n\
        $17\r\nlast-generated-id\r\n$3\r\n5-5\r\n\
        $20\r\nmax-deleted-entry-id\r\n$3\r\n5-5\r\n\
        $13\r\nentries-added\r\n:1\r\n\
        $23\r\nrecorded-first-entry-id\r\n$3\r\n0-0\r\n\
        $6\r\ngroups\r\n:0\r\n";
    assert_eq!(
        raw.call(&["XINFO", "STREAM", "e"]).await,
        format!("*20\r\n{head}$11\r\nfirst-entry\r\n$-1\r\n$10\r\nlast-entry\r\n$-1\r\n")
    );
    raw.call(&["HELLO", "3"]).await;
    assert_eq!(
        raw.call(&["XINFO", "STREAM", "e"]).await,
        format!("%10\r\n{head}$11\r\nfirst-entry\r\n_\r\n$10\r\nlast-entry\r\n_\r\n")
    );
}

#[tokio::test]
async fn full_lists_ten_entries_by_default() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    for ms in 1..=12 {
        raw.call(&["XADD", "s", &format!("{ms}-0"), "f", "v"]).await;
    }
    let full = raw.call(&["XINFO", "STREAM", "s", "FULL"]).await;
    assert!(
        full.contains("$7\r\nentries\r\n*10\r\n*2\r\n$3\r\n1-0\r\n"),
        "{full}"
    );
    assert!(full.contains("$4\r\n10-0\r\n"), "{full}");
    assert!(!full.contains("$4\r\n11-0\r\n"), "{full}");
    let all = raw
        .call(&["XINFO", "STREAM", "s", "FULL", "COUNT", "0"])
        .await;
    assert!(all.contains("$7\r\nentries\r\n*12\r\n"), "{all}");
}

#[tokio::test]
async fn radix_tree_counts_follow_the_nodes() {
    // Nodes of two entries, a ring of five: values read from redis-server 7.0.15
    // after the same commands with `stream-node-max-entries 2`.
    let mut config = test_config();
    config.stream_node_max_entries = 2;
    let server = start_with(config).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    for ms in 1..=12 {
        raw.call(&["XADD", "r", "MAXLEN", "5", &format!("{ms}-0"), "f", "v"])
            .await;
    }
    let info = raw.call(&["XINFO", "STREAM", "r"]).await;
    assert_eq!(field(&info, "length"), ":5");
    assert_eq!(field(&info, "radix-tree-keys"), ":3");
    assert_eq!(field(&info, "radix-tree-nodes"), ":8");
    assert_eq!(field(&info, "entries-added"), ":12");
    assert_eq!(field(&info, "recorded-first-entry-id"), "8-0");
}

#[tokio::test]
async fn xsetid_checks_and_effects() {
    let server = start().await;
    let mut raw = Raw::connect(server.local_addr()).await;
    expect(
        &mut raw,
        &[
            (&["XSETID", "s", "1-1"], "-ERR no such key\r\n"),
            // Options are parsed (and checked) before the key is looked up.
            (
                &["XSETID", "s", "abc"],
                "-ERR Invalid stream ID specified as stream command argument\r\n",
            ),
            (&["XSETID", "s", "1", "FOO"], "-ERR syntax error\r\n"),
            (
                &["XSETID", "s", "1", "ENTRIESADDED", "-1"],
                "-ERR entries_added must be positive\r\n",
            ),
            (
                &["XSETID", "s", "1", "MAXDELETEDID", "5"],
                "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n",
            ),
            (&["XSETID", "s", "1", "MAXDELETEDID", "1"], "-ERR no such key\r\n"),
            (
                &["XSETID", "s"],
                "-ERR wrong number of arguments for 'xsetid' command\r\n",
            ),
            (&["XADD", "s", "5-1", "a", "1"], "$3\r\n5-1\r\n"),
            (&["XADD", "s", "6-1", "a", "1"], "$3\r\n6-1\r\n"),
            (
                &["XSETID", "s", "5-1"],
                "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n",
            ),
            (
                &["XSETID", "s", "9", "ENTRIESADDED", "1"],
                "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n",
            ),
            (
                &["XSETID", "s", "9", "ENTRIESADDED", "x"],
                "-ERR value is not an integer or out of range\r\n",
            ),
            (&["XSETID", "s", "9", "ENTRIESADDED"], "-ERR syntax error\r\n"),
            (
                &["XSETID", "s", "10", "maxdeletedid", "3", "entriesadded", "50"],
                "+OK\r\n",
            ),
            (
                &["XADD", "s", "10-0", "a", "1"],
                "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n",
            ),
            (&["XADD", "s", "10-1", "a", "1"], "$4\r\n10-1\r\n"),
            // Down to the last live entry is allowed.
            (&["XSETID", "s", "10-1"], "+OK\r\n"),
            (
                &["XSETID", "s", "18446744073709551615-18446744073709551615"],
                "+OK\r\n",
            ),
            (
                &["XADD", "s", "*", "a", "1"],
                "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n",
            ),
        ],
    )
    .await;
    let info = raw.call(&["XINFO", "STREAM", "s"]).await;
    assert_eq!(
        field(&info, "last-generated-id"),
        "18446744073709551615-18446744073709551615"
    );
    assert_eq!(field(&info, "max-deleted-entry-id"), "3-0");
    assert_eq!(field(&info, "entries-added"), ":51");
    assert_eq!(field(&info, "length"), ":3");
}

#[tokio::test]
async fn client_library_reads_xinfo_stream() {
    let server = start().await;
    for resp3 in [false, true] {
        let mut con = connect(server.local_addr(), resp3).await;
        let key = format!("c{resp3}");
        let _: String = redis::cmd("XADD")
            .arg(&key)
            .arg("1-1")
            .arg("f")
            .arg("v")
            .query_async(&mut con)
            .await
            .expect("xadd");
        let info: HashMap<String, redis::Value> = redis::cmd("XINFO")
            .arg("STREAM")
            .arg(&key)
            .query_async(&mut con)
            .await
            .expect("xinfo stream");
        assert_eq!(info.len(), 10, "{info:?}");
        assert_eq!(info["length"], redis::Value::Int(1));
        assert_eq!(info["groups"], redis::Value::Int(0));
        let ok: String = redis::cmd("XSETID")
            .arg(&key)
            .arg("7-7")
            .query_async(&mut con)
            .await
            .expect("xsetid");
        assert_eq!(ok, "OK");
        let full: HashMap<String, redis::Value> = redis::cmd("XINFO")
            .arg("STREAM")
            .arg(&key)
            .arg("FULL")
            .query_async(&mut con)
            .await
            .expect("xinfo stream full");
        assert_eq!(full.len(), 9, "{full:?}");
        assert_eq!(
            full["last-generated-id"],
            redis::Value::BulkString(b"7-7".to_vec())
        );
        assert_eq!(full["groups"], redis::Value::Array(vec![]));
    }
}

#[tokio::test]
async fn ring_overwrites_report_what_redis_reports_for_maxlen() {
    // A track of capacity 5 with no MAXLEN on the XADDs must read as Redis does
    // after the same XADDs with `MAXLEN 5` (values from redis-server 7.0.15): a
    // late joiner learns from these what it missed.
    let mut config = test_config();
    config.tracks = vec!["conversation=5".parse().expect("track spec")];
    let server = start_with(config).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    for ms in 1..=12 {
        raw.call(&["XADD", "s:conversation", &format!("{ms}-0"), "f", "v"])
            .await;
    }
    let info = raw.call(&["XINFO", "STREAM", "s:conversation"]).await;
    assert_eq!(field(&info, "length"), ":5");
    assert_eq!(field(&info, "radix-tree-keys"), ":1");
    assert_eq!(field(&info, "radix-tree-nodes"), ":2");
    assert_eq!(field(&info, "entries-added"), ":12");
    assert_eq!(field(&info, "recorded-first-entry-id"), "8-0");
    assert_eq!(field(&info, "max-deleted-entry-id"), "0-0");
    raw.call(&["XDEL", "s:conversation", "10-0"]).await;
    raw.call(&["XADD", "s:conversation", "13-0", "f", "v"])
        .await;
    let info = raw.call(&["XINFO", "STREAM", "s:conversation"]).await;
    assert_eq!(field(&info, "length"), ":5");
    assert_eq!(field(&info, "entries-added"), ":13");
    assert_eq!(field(&info, "recorded-first-entry-id"), "8-0");
    assert_eq!(field(&info, "max-deleted-entry-id"), "10-0");
}
