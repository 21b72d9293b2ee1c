//! `/metrics` after traffic: the figures move as they must and agree with INFO;
//! `maxmemory` refuses what Redis refuses.

use std::collections::HashMap;
use std::net::SocketAddr;

use ringbus::config::{Config, TrackSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{start_with, test_config, Raw};

/// A config with metrics on a free port and tracks `conversation=1000`,
/// `insights=10`.
fn metrics_config() -> Config {
    Config {
        metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        tracks: vec![
            TrackSpec {
                name: "conversation".into(),
                capacity: 1000,
                max_age: None,
            },
            TrackSpec {
                name: "insights".into(),
                capacity: 10,
                max_age: None,
            },
        ],
        ..test_config()
    }
}

/// The raw HTTP response to `GET path`.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("metrics connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut body = Vec::new();
    stream.read_to_end(&mut body).await.expect("read");
    String::from_utf8_lossy(&body).into_owned()
}

/// Scrapes `/metrics` into `name{labels}` → value, checking the response first.
async fn scrape(addr: SocketAddr) -> (String, HashMap<String, f64>) {
    let response = http_get(addr, "/metrics").await;
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    let mut samples = HashMap::new();
    for line in body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').expect("series value");
        let value: f64 = value.parse().expect("a number");
        samples.insert(series.to_string(), value);
    }
    (body.to_string(), samples)
}

fn get(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("{series} missing from the scrape"))
}

/// One `name:value` field of an INFO reply.
fn info_field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("{name} missing from INFO: {info}"))
        .to_string()
}

#[tokio::test]
async fn figures_move_with_traffic_and_agree_with_info() {
    let server = start_with(metrics_config()).await;
    let metrics = server.metrics_addr().expect("metrics are on");
    let mut raw = Raw::connect(server.local_addr()).await;

    // 1500 appends into a track of capacity 1000, pipelined.
    let mut batch = Vec::new();
    for i in 1..=1500 {
        let id = format!("{i}-1");
        let args = ["XADD", "s1:conversation", id.as_str(), "role", "user"];
        batch.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            batch.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
    }
    raw.send(&batch).await;
    for _ in 0..1500 {
        assert!(raw.reply().await.starts_with('$'));
    }
    raw.call(&["XADD", "s1:insights", "*", "k", "v"]).await;
    raw.call(&["XADD", "standalone", "*", "k", "v"]).await;
    // An ID below the top fails; a wrong arity is rejected.
    let failed = raw
        .call(&["XADD", "s1:conversation", "1-1", "a", "b"])
        .await;
    assert!(failed.starts_with("-ERR"), "{failed}");
    raw.call(&["XADD", "s1:conversation"]).await;

    let (text, m) = scrape(metrics).await;
    let conv = |family: &str| get(&m, &format!("{family}{{track=\"conversation\"}}"));
    assert_eq!(conv("ringbus_events_appended_total"), 1500.0);
    assert_eq!(conv("ringbus_events_overwritten_total"), 500.0);
    assert_eq!(conv("ringbus_events_expired_total"), 0.0);
    assert_eq!(conv("ringbus_buffered_events"), 1000.0);
    assert!(conv("ringbus_buffered_bytes") > 1000.0 * 10.0);
    let other = |family: &str| get(&m, &format!("{family}{{track=\"other\"}}"));
    assert_eq!(other("ringbus_events_appended_total"), 1.0);
    assert_eq!(other("ringbus_buffered_events"), 1.0);
    assert_eq!(get(&m, "ringbus_buffered_events{track=\"insights\"}"), 1.0);
    assert_eq!(get(&m, "ringbus_streams"), 3.0);
    assert_eq!(get(&m, "ringbus_sessions"), 1.0);
    assert_eq!(get(&m, "ringbus_commands_total{command=\"xadd\"}"), 1503.0);
    assert_eq!(
        get(
            &m,
            "ringbus_command_duration_seconds_count{command=\"xadd\"}"
        ),
        1503.0
    );
    assert_eq!(
        get(
            &m,
            "ringbus_command_duration_seconds_bucket{command=\"xadd\",le=\"+Inf\"}"
        ),
        1503.0
    );
    assert!(
        text.contains("ringbus_command_duration_seconds_bucket{command=\"xadd\",le=\"0.00001\"}")
    );
    assert!(text.contains("le=\"1\"}"), "the last bucket is 1s");
    assert_eq!(
        get(
            &m,
            "ringbus_command_errors_total{command=\"xadd\",kind=\"failed\"}"
        ),
        1.0
    );
    assert_eq!(
        get(
            &m,
            "ringbus_command_errors_total{command=\"xadd\",kind=\"rejected\"}"
        ),
        1.0
    );
    assert_eq!(get(&m, "ringbus_error_replies_total{code=\"ERR\"}"), 2.0);
    assert_eq!(get(&m, "ringbus_connected_clients"), 1.0);
    assert_eq!(get(&m, "ringbus_blocked_clients"), 0.0);
    assert_eq!(
        get(
            &m,
            "ringbus_rejected_connections_total{reason=\"maxclients\"}"
        ),
        0.0
    );
    assert!(get(&m, "ringbus_net_input_bytes_total") > 1500.0 * 40.0);
    assert!(get(&m, "ringbus_net_output_bytes_total") > 1500.0 * 5.0);
    assert_eq!(get(&m, "ringbus_pubsub_channels"), 0.0);
    assert_eq!(get(&m, "ringbus_pubsub_messages_total"), 0.0);
    assert!(get(&m, "process_resident_memory_bytes") > 0.0);
    assert!(get(&m, "process_open_fds") > 0.0);
    assert!(m.contains_key("process_cpu_seconds_total"));
    for family in [
        "ringbus_commands_total counter",
        "ringbus_command_errors_total counter",
        "ringbus_command_duration_seconds histogram",
        "ringbus_connected_clients gauge",
        "ringbus_blocked_clients gauge",
        "ringbus_rejected_connections_total counter",
        "ringbus_sessions gauge",
        "ringbus_streams gauge",
        "ringbus_buffered_events gauge",
        "ringbus_buffered_bytes gauge",
        "ringbus_events_appended_total counter",
        "ringbus_events_overwritten_total counter",
        "ringbus_events_expired_total counter",
        "ringbus_sessions_ended_total counter",
        "ringbus_net_input_bytes_total counter",
        "ringbus_net_output_bytes_total counter",
        "ringbus_pubsub_channels gauge",
        "ringbus_pubsub_messages_total counter",
        "process_resident_memory_bytes gauge",
    ] {
        assert!(text.contains(&format!("# TYPE {family}\n")), "{family}");
        let name = family.split(' ').next().unwrap_or_default();
        assert!(text.contains(&format!("# HELP {name} ")), "HELP for {name}");
    }

    // INFO reads the same counters.
    let info = raw.call(&["INFO", "everything"]).await;
    assert_eq!(info_field(&info, "events_appended"), "1502");
    assert_eq!(info_field(&info, "events_overwritten"), "500");
    assert_eq!(
        info_field(&info, "track_conversation"),
        format!(
            "appended=1500,overwritten=500,expired=0,events=1000,bytes={}",
            conv("ringbus_buffered_bytes")
        )
    );
    let used: f64 = info_field(&info, "used_memory").parse().unwrap_or(0.0);
    let sum = conv("ringbus_buffered_bytes")
        + other("ringbus_buffered_bytes")
        + get(&m, "ringbus_buffered_bytes{track=\"insights\"}");
    assert_eq!(used, sum, "used_memory is the tracks' bytes");
    assert_eq!(get(&m, "ringbus_used_memory_bytes"), used);
    assert!(info.contains("cmdstat_xadd:calls=1503,"), "{info}");
    assert!(info.contains("rejected_calls=1,failed_calls=1"), "{info}");

    // Ending the session empties its tracks' gauges and counts the reason.
    assert_eq!(raw.call(&["SESSION.END", "s1"]).await, ":2\r\n");
    let (_, m) = scrape(metrics).await;
    assert_eq!(
        get(&m, "ringbus_sessions_ended_total{reason=\"command\"}"),
        1.0
    );
    assert_eq!(get(&m, "ringbus_sessions"), 0.0);
    assert_eq!(conv("ringbus_events_appended_total"), 1500.0);
    let conv = |family: &str| get(&m, &format!("{family}{{track=\"conversation\"}}"));
    assert_eq!(conv("ringbus_buffered_events"), 0.0);
    assert_eq!(conv("ringbus_buffered_bytes"), 0.0);
    assert_eq!(get(&m, "ringbus_streams"), 1.0);

    // CONFIG RESETSTAT zeroes INFO; the exported counters keep growing.
    raw.call(&["CONFIG", "RESETSTAT"]).await;
    raw.call(&["XLEN", "standalone"]).await;
    let (_, m) = scrape(metrics).await;
    assert_eq!(get(&m, "ringbus_commands_total{command=\"xadd\"}"), 1503.0);
    assert!(get(&m, "ringbus_commands_total{command=\"config|resetstat\"}") >= 1.0);

    let page = http_get(metrics, "/nothing").await;
    assert!(page.starts_with("HTTP/1.1 404"), "{page}");
}

#[tokio::test]
async fn rejected_connections_are_counted_by_reason() {
    let server = start_with(Config {
        maxclients: 1,
        ..metrics_config()
    })
    .await;
    let mut first = Raw::connect(server.local_addr()).await;
    assert_eq!(first.call(&["PING"]).await, "+PONG\r\n");
    let mut second = Raw::connect(server.local_addr()).await;
    assert_eq!(
        second.reply().await,
        "-ERR max number of clients reached\r\n"
    );
    let metrics = server.metrics_addr().expect("metrics are on");
    let (_, m) = scrape(metrics).await;
    assert_eq!(
        get(
            &m,
            "ringbus_rejected_connections_total{reason=\"maxclients\"}"
        ),
        1.0
    );
    assert_eq!(
        get(
            &m,
            "ringbus_rejected_connections_total{reason=\"protected_mode\"}"
        ),
        0.0
    );
    let info = first.call(&["INFO", "stats"]).await;
    assert_eq!(info_field(&info, "rejected_connections"), "1");
}

#[tokio::test]
async fn maxmemory_refuses_denyoom_commands_as_redis() {
    let server = start_with(test_config()).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    assert!(raw
        .call(&["XADD", "s", "1-1", "a", "b"])
        .await
        .starts_with('$'));
    assert_eq!(
        raw.call(&["CONFIG", "SET", "maxmemory", "1"]).await,
        "+OK\r\n"
    );
    let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    assert_eq!(raw.call(&["XADD", "s", "2-1", "a", "b"]).await, oom);
    assert_eq!(raw.call(&["XADD", "new", "1-1", "a", "b"]).await, oom);
    // Arity is checked first, as in Redis.
    assert_eq!(
        raw.call(&["XADD", "s"]).await,
        "-ERR wrong number of arguments for 'xadd' command\r\n"
    );
    // Reads and deletions still run.
    assert_eq!(raw.call(&["XLEN", "s"]).await, ":1\r\n");
    let info = raw.call(&["INFO", "memory"]).await;
    assert_eq!(info_field(&info, "maxmemory"), "1");
    assert_eq!(info_field(&info, "maxmemory_human"), "1B");
    assert_eq!(info_field(&info, "maxmemory_policy"), "noeviction");
    let used: u64 = info_field(&info, "used_memory").parse().unwrap_or(0);
    assert!(used > 1, "{info}");
    let stats = raw.call(&["INFO", "all"]).await;
    assert!(stats.contains("errorstat_OOM:count=2"), "{stats}");
    assert!(
        stats.contains("rejected_calls=3,failed_calls=0"),
        "OOM and arity refusals are rejected calls: {stats}"
    );
    assert_eq!(
        raw.call(&["CONFIG", "SET", "maxmemory", "1mb"]).await,
        "+OK\r\n"
    );
    assert!(raw
        .call(&["XADD", "s", "2-1", "a", "b"])
        .await
        .starts_with('$'));
    assert_eq!(
        raw.call(&["CONFIG", "SET", "maxmemory", "1"]).await,
        "+OK\r\n"
    );
    assert_eq!(raw.call(&["DEL", "s"]).await, ":1\r\n");
    let info = raw.call(&["INFO", "memory"]).await;
    assert_eq!(info_field(&info, "used_memory"), "0", "{info}");
    assert!(
        info_field(&info, "used_memory_peak")
            .parse::<u64>()
            .unwrap_or(0)
            >= used
    );
}

#[tokio::test]
async fn consumer_groups_count_in_used_memory() {
    let server = start_with(test_config()).await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let used = |info: String| -> u64 { info_field(&info, "used_memory").parse().unwrap_or(0) };
    raw.call(&["XADD", "s", "1-1", "a", "b"]).await;
    let before = used(raw.call(&["INFO", "memory"]).await);
    assert_eq!(
        raw.call(&["XGROUP", "CREATE", "s", "g", "0"]).await,
        "+OK\r\n"
    );
    let read = raw
        .call(&["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"])
        .await;
    assert!(read.starts_with('*'), "{read}");
    let with_group = used(raw.call(&["INFO", "memory"]).await);
    assert!(with_group > before, "{with_group} > {before}");
    assert_eq!(raw.call(&["XGROUP", "DESTROY", "s", "g"]).await, ":1\r\n");
    assert_eq!(used(raw.call(&["INFO", "memory"]).await), before);
}
