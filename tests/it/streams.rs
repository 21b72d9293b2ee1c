//! Streams through the server with the `redis` crate, in RESP2 and RESP3: the
//! dual-track flow of DESIGN.md, ring overwrite per track, concurrent producers, and
//! the keyspace commands on real streams.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::Value;
use ringbus::config::TrackSpec;

use crate::support::{connect, start, start_with, test_config};

/// One stream entry: its id and its field/value pairs.
pub type Entry = (String, Vec<(String, String)>);

/// A parsed XREAD reply: each stream with its entries.
pub type ReadReply = Vec<(String, Vec<Entry>)>;

/// A bulk or simple string as text; panics on anything else.
pub fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".to_string(),
        Value::VerbatimString { text, .. } => text.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// An XRANGE-shaped reply (an array of `[id, [field, value, ...]]`).
pub fn entries(v: &Value) -> Vec<Entry> {
    let Value::Array(items) = v else {
        panic!("expected an array of entries, got {v:?}");
    };
    items
        .iter()
        .map(|item| {
            let Value::Array(pair) = item else {
                panic!("expected [id, fields], got {item:?}");
            };
            assert_eq!(pair.len(), 2, "entry {item:?}");
            let Value::Array(fields) = &pair[1] else {
                panic!("expected a field array, got {:?}", pair[1]);
            };
            assert_eq!(fields.len() % 2, 0, "odd field list {fields:?}");
            let fields = fields
                .chunks(2)
                .map(|fv| (text(&fv[0]), text(&fv[1])))
                .collect();
            (text(&pair[0]), fields)
        })
        .collect()
}

/// An XREAD reply: `None` for the null reply, else each stream with its entries.
/// RESP2 sends an array of `[key, entries]`, RESP3 a map; `resp3` says which to expect.
pub fn xread_reply(v: &Value, resp3: bool) -> Option<ReadReply> {
    match v {
        Value::Nil => None,
        Value::Array(items) if !resp3 => Some(
            items
                .iter()
                .map(|item| {
                    let Value::Array(pair) = item else {
                        panic!("expected [key, entries], got {item:?}");
                    };
                    assert_eq!(pair.len(), 2, "{item:?}");
                    (text(&pair[0]), entries(&pair[1]))
                })
                .collect(),
        ),
        Value::Map(pairs) if resp3 => {
            Some(pairs.iter().map(|(k, e)| (text(k), entries(e))).collect())
        }
        other => panic!("unexpected XREAD reply (resp3: {resp3}): {other:?}"),
    }
}

/// Runs a command given as words and returns the raw reply.
pub async fn call(con: &mut MultiplexedConnection, args: &[&str]) -> Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(con)
        .await
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Runs a command that must fail, returning the error text.
pub async fn call_err(con: &mut MultiplexedConnection, args: &[&str]) -> String {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    match cmd.query_async::<Value>(con).await {
        Ok(v) => panic!("{args:?}: expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// XADD `key` `id` with `fields`, returning the id the server assigned.
pub async fn xadd(
    con: &mut MultiplexedConnection,
    key: &str,
    id: &str,
    fields: &[(&str, &str)],
) -> String {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key).arg(id);
    for (f, v) in fields {
        cmd.arg(*f).arg(*v);
    }
    cmd.query_async(con)
        .await
        .unwrap_or_else(|e| panic!("XADD {key} {id}: {e}"))
}

/// An integer reply.
pub async fn int(con: &mut MultiplexedConnection, args: &[&str]) -> i64 {
    match call(con, args).await {
        Value::Int(n) => n,
        other => panic!("{args:?}: expected an integer, got {other:?}"),
    }
}

/// XRANGE key - +.
pub async fn all(con: &mut MultiplexedConnection, key: &str) -> Vec<Entry> {
    entries(&call(con, &["XRANGE", key, "-", "+"]).await)
}

/// The ids of `entries`.
pub fn ids(entries: &[Entry]) -> Vec<String> {
    entries.iter().map(|(id, _)| id.clone()).collect()
}

/// A stream id as `(ms, seq)`, for ordering.
pub fn parse_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or_else(|| panic!("bad id {id}"));
    (ms.parse().expect("ms part"), seq.parse().expect("seq part"))
}

/// A config with the given tracks and default capacity.
fn config_with(tracks: &[(&str, usize)], default_capacity: usize) -> ringbus::config::Config {
    let mut config = test_config();
    config.tracks = tracks
        .iter()
        .map(|(name, capacity)| TrackSpec {
            name: (*name).to_string(),
            capacity: *capacity,
            max_age: None,
        })
        .collect();
    config.default_capacity = default_capacity;
    config
}

/// INFO's `blocked_clients`.
pub async fn blocked_clients(con: &mut MultiplexedConnection) -> usize {
    let info = text(&call(con, &["INFO", "clients"]).await);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .unwrap_or_else(|| panic!("no blocked_clients in {info:?}"))
        .trim()
        .parse()
        .expect("blocked_clients is a number")
}

/// Polls INFO until `blocked_clients` is `n` (panics after `within`).
pub async fn wait_blocked_clients(con: &mut MultiplexedConnection, n: usize, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let now = blocked_clients(con).await;
        if now == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "blocked_clients stayed at {now}, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A connection that will sit in XREAD BLOCK (a multiplexed connection queues behind
/// a blocked command, so blocked readers get their own).
pub async fn reader(addr: SocketAddr, resp3: bool) -> MultiplexedConnection {
    connect(addr, resp3).await
}

#[tokio::test]
async fn dual_track_late_joiner_catches_up_then_tails() {
    for resp3 in [false, true] {
        let server = start().await;
        let addr = server.local_addr();
        let conv = "{s1}:conversation";
        let ins = "{s1}:insights";

        // Producers on two connections append to both tracks of session {s1}.
        let mut p1 = connect(addr, resp3).await;
        let mut p2 = connect(addr, resp3).await;
        let mut conv_ids = Vec::new();
        let mut ins_ids = Vec::new();
        for i in 0..30 {
            let n = i.to_string();
            conv_ids.push(xadd(&mut p1, conv, "*", &[("role", "user"), ("data", &n)]).await);
            if i % 3 == 0 {
                ins_ids.push(xadd(&mut p2, ins, "*", &[("kind", "summary"), ("n", &n)]).await);
            }
        }
        assert_eq!(int(&mut p1, &["XLEN", conv]).await, 30);
        assert_eq!(int(&mut p1, &["XLEN", ins]).await, 10);

        // The late joiner: the last 5 of the conversation (newest first), all insights.
        let mut joiner = reader(addr, resp3).await;
        let mut last5 =
            entries(&call(&mut joiner, &["XREVRANGE", conv, "+", "-", "COUNT", "5"]).await);
        last5.reverse();
        assert_eq!(ids(&last5), conv_ids[25..].to_vec(), "resp3={resp3}");
        assert_eq!(
            last5[4].1,
            vec![
                ("role".to_string(), "user".to_string()),
                ("data".to_string(), "29".to_string())
            ]
        );
        let insights =
            entries(&call(&mut joiner, &["XRANGE", ins, "-", "+", "COUNT", "100"]).await);
        assert_eq!(ids(&insights), ins_ids, "resp3={resp3}");
        let mut conv_last = last5[4].0.clone();
        let mut ins_last = insights[9].0.clone();

        // Nothing new yet: a non-blocking XREAD from the last ids is null.
        let none = call(
            &mut joiner,
            &["XREAD", "STREAMS", conv, ins, &conv_last, &ins_last],
        )
        .await;
        assert_eq!(xread_reply(&none, resp3), None);

        // Tail live: each XADD of a producer reaches the blocked joiner.
        for round in 0..4 {
            let (c, i) = (conv_last.clone(), ins_last.clone());
            let mut tail = joiner.clone();
            let read = tokio::spawn(async move {
                let reply = call(
                    &mut tail,
                    &[
                        "XREAD", "COUNT", "10", "BLOCK", "0", "STREAMS", conv, ins, &c, &i,
                    ],
                )
                .await;
                xread_reply(&reply, resp3).expect("woken with data")
            });
            wait_blocked_clients(&mut p1, 1, Duration::from_secs(5)).await;
            let (key, id) = if round % 2 == 0 {
                let id = xadd(
                    &mut p2,
                    ins,
                    "*",
                    &[("kind", "live"), ("n", &round.to_string())],
                )
                .await;
                (ins, id)
            } else {
                let id = xadd(
                    &mut p1,
                    conv,
                    "*",
                    &[("role", "agent"), ("data", &round.to_string())],
                )
                .await;
                (conv, id)
            };
            let got = tokio::time::timeout(Duration::from_secs(5), read)
                .await
                .expect("the tail is woken within 5 s")
                .expect("reader task");
            assert_eq!(got.len(), 1, "only the track that got data: {got:?}");
            assert_eq!(got[0].0, key);
            assert_eq!(ids(&got[0].1), vec![id.clone()]);
            if key == conv {
                conv_last = id;
            } else {
                ins_last = id;
            }
        }
        assert_eq!(blocked_clients(&mut p1).await, 0);
        // The joiner's view now equals the whole of both tracks.
        let conv_all = all(&mut p1, conv).await;
        assert_eq!(conv_all.len(), 32);
        assert_eq!(conv_all.last().expect("entries").0, conv_last);
        server.shutdown();
    }
}

#[tokio::test]
async fn ring_overwrite_per_track_and_default_capacity() {
    for resp3 in [false, true] {
        let server = start_with(config_with(&[("conversation", 5)], 7)).await;
        let mut con = connect(server.local_addr(), resp3).await;

        // A track stream keeps the last 5 of 12.
        let key = "{a}:conversation";
        for i in 1..=12 {
            let id = format!("{i}-0");
            assert_eq!(xadd(&mut con, key, &id, &[("n", &i.to_string())]).await, id);
        }
        assert_eq!(int(&mut con, &["XLEN", key]).await, 5);
        let kept = all(&mut con, key).await;
        assert_eq!(ids(&kept), ["8-0", "9-0", "10-0", "11-0", "12-0"]);
        assert_eq!(kept[0].1, vec![("n".to_string(), "8".to_string())]);
        // The first 7 are gone from every read path.
        assert_eq!(
            entries(&call(&mut con, &["XRANGE", key, "-", "7-0"]).await),
            vec![]
        );
        assert_eq!(
            entries(&call(&mut con, &["XREVRANGE", key, "7-0", "-"]).await),
            vec![]
        );
        let read = xread_reply(
            &call(&mut con, &["XREAD", "STREAMS", key, "0"]).await,
            resp3,
        )
        .expect("entries");
        assert_eq!(ids(&read[0].1), ["8-0", "9-0", "10-0", "11-0", "12-0"]);
        assert_eq!(int(&mut con, &["XDEL", key, "1-0", "7-0"]).await, 0);
        // Ids stay strictly increasing past the overwritten ones.
        let err = call_err(&mut con, &["XADD", key, "3-0", "n", "x"]).await;
        assert!(
            err.contains(
                "The ID specified in XADD is equal or smaller than the target stream top item"
            ),
            "{err}"
        );
        assert_eq!(xadd(&mut con, key, "12-*", &[("n", "13")]).await, "12-1");
        assert_eq!(int(&mut con, &["XLEN", key]).await, 5);
        assert_eq!(ids(&all(&mut con, key).await)[0], "9-0");

        // A deleted entry frees its place: the ring holds 5 live entries.
        assert_eq!(int(&mut con, &["XDEL", key, "10-0"]).await, 1);
        assert_eq!(int(&mut con, &["XLEN", key]).await, 4);
        xadd(&mut con, key, "13-0", &[("n", "13")]).await;
        assert_eq!(
            ids(&all(&mut con, key).await),
            ["9-0", "11-0", "12-0", "12-1", "13-0"]
        );
        xadd(&mut con, key, "14-0", &[("n", "14")]).await;
        assert_eq!(
            ids(&all(&mut con, key).await),
            ["11-0", "12-0", "12-1", "13-0", "14-0"]
        );

        // Keys that name no configured track use default_capacity (7).
        for standalone in ["plain", "{a}:insights", "{a}:conversation:x", "a:"] {
            for i in 1..=12 {
                xadd(&mut con, standalone, &format!("{i}-0"), &[("n", "v")]).await;
            }
            assert_eq!(
                int(&mut con, &["XLEN", standalone]).await,
                7,
                "{standalone}"
            );
            assert_eq!(
                ids(&all(&mut con, standalone).await)[0],
                "6-0",
                "{standalone}"
            );
        }
        // Another session's conversation track has the track's capacity too.
        for i in 1..=9 {
            xadd(
                &mut con,
                "other-session:conversation",
                &format!("{i}-0"),
                &[("n", "v")],
            )
            .await;
        }
        assert_eq!(
            int(&mut con, &["XLEN", "other-session:conversation"]).await,
            5
        );

        // XADD MAXLEN caps tighter than the track, never looser.
        let tight = "{b}:conversation";
        for i in 1..=6 {
            let id = format!("{i}-0");
            let got: String = redis::cmd("XADD")
                .arg(tight)
                .arg("MAXLEN")
                .arg(2)
                .arg(&id)
                .arg("n")
                .arg(i)
                .query_async(&mut con)
                .await
                .expect("xadd maxlen");
            assert_eq!(got, id);
        }
        assert_eq!(ids(&all(&mut con, tight).await), ["5-0", "6-0"]);
        let loose = "{c}:conversation";
        for i in 1..=9 {
            let _: String = redis::cmd("XADD")
                .arg(loose)
                .arg("MAXLEN")
                .arg(100)
                .arg(format!("{i}-0"))
                .arg("n")
                .arg(i)
                .query_async(&mut con)
                .await
                .expect("xadd maxlen");
        }
        assert_eq!(int(&mut con, &["XLEN", loose]).await, 5);
        // XTRIM works inside the ring.
        assert_eq!(int(&mut con, &["XTRIM", loose, "MAXLEN", "3"]).await, 2);
        assert_eq!(ids(&all(&mut con, loose).await), ["7-0", "8-0", "9-0"]);
        server.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_producers_lose_nothing() {
    const PRODUCERS: usize = 4;
    const EACH: usize = 500;
    let mut config = test_config();
    config.default_capacity = 10_000;
    let server = start_with(config).await;
    let addr = server.local_addr();
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        tasks.push(tokio::spawn(async move {
            let mut con = connect(addr, p % 2 == 1).await;
            let mut acked = Vec::with_capacity(EACH);
            for i in 0..EACH {
                let value = format!("p{p}-{i}");
                let id = xadd(&mut con, "conc", "*", &[("v", &value)]).await;
                acked.push((id, value));
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        let mine = t.await.expect("producer");
        // Each producer's own ids increase.
        for w in mine.windows(2) {
            assert!(parse_id(&w[0].0) < parse_id(&w[1].0), "{w:?}");
        }
        acked.extend(mine);
    }
    let mut con = connect(addr, false).await;
    assert_eq!(
        int(&mut con, &["XLEN", "conc"]).await,
        (PRODUCERS * EACH) as i64
    );
    let stored = all(&mut con, "conc").await;
    for w in stored.windows(2) {
        assert!(
            parse_id(&w[0].0) < parse_id(&w[1].0),
            "not strictly increasing: {} then {}",
            w[0].0,
            w[1].0
        );
    }
    let stored_ids: BTreeSet<String> = stored.iter().map(|(id, _)| id.clone()).collect();
    let acked_ids: BTreeSet<String> = acked.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        acked_ids.len(),
        PRODUCERS * EACH,
        "duplicate ids acknowledged"
    );
    assert_eq!(stored_ids, acked_ids);
    // And each id holds what its producer sent.
    let by_id: std::collections::HashMap<&str, &str> = acked
        .iter()
        .map(|(id, v)| (id.as_str(), v.as_str()))
        .collect();
    for (id, fields) in &stored {
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].0, "v");
        assert_eq!(by_id[id.as_str()], fields[0].1, "{id}");
    }
    server.shutdown();
}

#[tokio::test]
async fn keyspace_commands_on_streams() {
    for resp3 in [false, true] {
        let server = start().await;
        let mut con = connect(server.local_addr(), resp3).await;
        xadd(&mut con, "s:1", "1-0", &[("f", "v")]).await;
        xadd(&mut con, "s:2", "1-0", &[("f", "v")]).await;
        xadd(&mut con, "other", "1-0", &[("f", "v")]).await;

        assert_eq!(text(&call(&mut con, &["TYPE", "s:1"]).await), "stream");
        assert_eq!(text(&call(&mut con, &["TYPE", "nosuch"]).await), "none");
        assert_eq!(
            int(&mut con, &["EXISTS", "s:1", "s:2", "nosuch", "s:1"]).await,
            3
        );
        assert_eq!(int(&mut con, &["DBSIZE"]).await, 3);
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg("s:*")
            .query_async(&mut con)
            .await
            .expect("keys");
        keys.sort();
        assert_eq!(keys, ["s:1", "s:2"]);

        // SCAN with TYPE and MATCH, following the cursor to the end (passed back as
        // the server wrote it; `scan_cursor_is_an_unsigned_64_bit_number` checks its form).
        let scan_all = |args: Vec<&'static str>| {
            let mut con = con.clone();
            async move {
                let mut found = Vec::new();
                let mut cursor = "0".to_string();
                for _ in 0..10_000 {
                    let (next, batch): (String, Vec<String>) = redis::cmd("SCAN")
                        .arg(&cursor)
                        .arg(&args)
                        .query_async(&mut con)
                        .await
                        .expect("scan");
                    found.extend(batch);
                    if next == "0" {
                        break;
                    }
                    cursor = next;
                }
                found.sort();
                found
            }
        };
        assert_eq!(
            scan_all(vec!["TYPE", "stream"]).await,
            ["other", "s:1", "s:2"]
        );
        assert_eq!(
            scan_all(vec!["MATCH", "s:*", "TYPE", "stream", "COUNT", "1"]).await,
            ["s:1", "s:2"]
        );
        assert!(scan_all(vec!["TYPE", "string"]).await.is_empty());

        // EXPIRE / TTL / PERSIST on a stream.
        assert_eq!(int(&mut con, &["TTL", "s:1"]).await, -1);
        assert_eq!(int(&mut con, &["EXPIRE", "s:1", "100"]).await, 1);
        let ttl = int(&mut con, &["TTL", "s:1"]).await;
        assert!((99..=100).contains(&ttl), "ttl {ttl}");
        assert_eq!(int(&mut con, &["PERSIST", "s:1"]).await, 1);
        assert_eq!(int(&mut con, &["TTL", "s:1"]).await, -1);
        assert_eq!(int(&mut con, &["PERSIST", "s:1"]).await, 0);
        // The stream still has its entry after all that.
        assert_eq!(int(&mut con, &["XLEN", "s:1"]).await, 1);

        // An expired stream disappears: no entries, no key, ids start over.
        assert_eq!(int(&mut con, &["PEXPIRE", "s:2", "30"]).await, 1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while int(&mut con, &["EXISTS", "s:2"]).await == 1 {
            assert!(tokio::time::Instant::now() < deadline, "s:2 never expired");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(int(&mut con, &["XLEN", "s:2"]).await, 0);
        assert_eq!(
            entries(&call(&mut con, &["XRANGE", "s:2", "-", "+"]).await),
            vec![]
        );
        assert_eq!(int(&mut con, &["TTL", "s:2"]).await, -2);
        assert_eq!(text(&call(&mut con, &["TYPE", "s:2"]).await), "none");
        assert_eq!(xadd(&mut con, "s:2", "1-0", &[("f", "again")]).await, "1-0");
        assert_eq!(int(&mut con, &["TTL", "s:2"]).await, -1);

        // RENAME moves the entries (and the TTL); the old name is gone.
        assert_eq!(int(&mut con, &["EXPIRE", "other", "100"]).await, 1);
        assert_eq!(
            text(&call(&mut con, &["RENAME", "other", "moved"]).await),
            "OK"
        );
        assert_eq!(int(&mut con, &["EXISTS", "other"]).await, 0);
        assert_eq!(ids(&all(&mut con, "moved").await), ["1-0"]);
        assert!(int(&mut con, &["TTL", "moved"]).await > 0);
        // The renamed stream keeps its last id.
        let err = call_err(&mut con, &["XADD", "moved", "1-0", "f", "v"]).await;
        assert!(err.contains("equal or smaller"), "{err}");
        // RENAME over an existing stream replaces it.
        assert_eq!(
            text(&call(&mut con, &["RENAME", "moved", "s:1"]).await),
            "OK"
        );
        assert_eq!(all(&mut con, "s:1").await[0].1[0].1, "v");
        assert_eq!(int(&mut con, &["RENAMENX", "s:1", "s:2"]).await, 0);
        let err = call_err(&mut con, &["RENAME", "nosuch", "x"]).await;
        assert!(err.contains("no such key"), "{err}");

        // DEL, then FLUSHDB.
        assert_eq!(int(&mut con, &["DEL", "s:1", "nosuch"]).await, 1);
        assert_eq!(int(&mut con, &["XLEN", "s:1"]).await, 0);
        assert_eq!(int(&mut con, &["DBSIZE"]).await, 1);
        // Another database is separate.
        let mut db1 = redis::Client::open(format!(
            "redis://{}/1{}",
            server.local_addr(),
            if resp3 { "?protocol=resp3" } else { "" }
        ))
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("db 1");
        assert_eq!(int(&mut db1, &["XLEN", "s:2"]).await, 0);
        xadd(&mut db1, "s:2", "5-0", &[("f", "db1")]).await;
        assert_eq!(text(&call(&mut con, &["FLUSHDB"]).await), "OK");
        assert_eq!(int(&mut con, &["DBSIZE"]).await, 0);
        assert_eq!(int(&mut db1, &["DBSIZE"]).await, 1);
        assert_eq!(ids(&all(&mut db1, "s:2").await), ["5-0"]);
        server.shutdown();
    }
}

#[tokio::test]
async fn xread_plus_reads_the_last_entry() {
    // `+` as in Redis 7.4: the last entry of the stream, whatever COUNT says.
    for resp3 in [false, true] {
        let server = start().await;
        let mut con = connect(server.local_addr(), resp3).await;
        for i in 1..=3 {
            xadd(&mut con, "p", &format!("{i}-0"), &[("n", &i.to_string())]).await;
        }
        xadd(&mut con, "q", "7-7", &[("n", "q")]).await;
        let got = xread_reply(
            &call(
                &mut con,
                &["XREAD", "COUNT", "10", "STREAMS", "p", "q", "+", "0"],
            )
            .await,
            resp3,
        )
        .expect("entries");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "p");
        assert_eq!(ids(&got[0].1), ["3-0"]);
        assert_eq!(ids(&got[1].1), ["7-7"]);
        // On a missing key `+` reads nothing.
        let none = call(&mut con, &["XREAD", "STREAMS", "nosuch", "+"]).await;
        assert_eq!(xread_reply(&none, resp3), None);
        server.shutdown();
    }
}

#[tokio::test]
async fn scan_cursor_is_an_unsigned_64_bit_number() {
    let server = start().await;
    let mut con = connect(server.local_addr(), false).await;
    for i in 0..200 {
        xadd(&mut con, &format!("k:{i}"), "1-0", &[("f", "v")]).await;
    }
    // The redis crate's SCAN iterator reads each cursor as a u64, as most clients do.
    let mut cursor = 0u64;
    let mut found = BTreeSet::new();
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(7)
            .query_async(&mut con)
            .await
            .expect("SCAN's cursor is an unsigned integer");
        found.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    assert_eq!(found.len(), 200);
    server.shutdown();
}
