use bytes::Bytes;

use super::lag::{estimate_entries_read, lag};
use super::*;
use crate::store::stream::{IdSpec, NodeLimits, Stream, StreamId};

fn id(ms: u64) -> StreamId {
    StreamId::new(ms, 0)
}

/// A stream of capacity `cap` with entries `1-0 ..= n-0`.
fn stream(cap: usize, n: u64) -> Stream {
    let mut s = Stream::new(cap);
    for ms in 1..=n {
        append(&mut s, ms);
    }
    s
}

fn append(s: &mut Stream, ms: u64) {
    let value = ms.to_string();
    let fields = [&b"f"[..], value.as_bytes()];
    s.add(
        IdSpec::Explicit(id(ms)),
        &fields,
        ms,
        &NodeLimits::default(),
    )
    .expect("append");
}

fn read_new(g: &mut Group, s: &Stream, consumer: &str, count: Option<usize>, now: u64) -> Vec<u64> {
    let mut got = Vec::new();
    let opts = ReadNew {
        count,
        noack: false,
        max_pending: s.capacity(),
    };
    g.read_new(s, consumer.as_bytes(), opts, now, |e| got.push(e.id.ms));
    got
}

fn group_lag(s: &Stream, g: &Group) -> Option<i64> {
    lag(s, g.last_id, g.entries_read)
}

#[test]
fn lag_of_a_fresh_group_counts_every_entry() {
    let s = stream(100, 5);
    let g = Group::new(StreamId::MIN, None);
    // 0-0 is before the first entry and nothing was deleted: estimated as 0 read.
    assert_eq!(estimate_entries_read(&s, StreamId::MIN), Some(0));
    assert_eq!(group_lag(&s, &g), Some(5));
    let at_end = Group::new(s.last_id(), Some(5));
    assert_eq!(group_lag(&s, &at_end), Some(0));
}

#[test]
fn reading_advances_the_counter_and_lag() {
    let s = stream(100, 5);
    let mut g = Group::new(StreamId::MIN, Some(0));
    assert_eq!(read_new(&mut g, &s, "alice", Some(2), 10), vec![1, 2]);
    assert_eq!(g.last_id, id(2));
    assert_eq!(g.entries_read, Some(2));
    assert_eq!(group_lag(&s, &g), Some(3));
    assert_eq!(read_new(&mut g, &s, "bob", None, 11), vec![3, 4, 5]);
    assert_eq!(g.entries_read, Some(5));
    assert_eq!(group_lag(&s, &g), Some(0));
    assert_eq!(g.pending_len(), 5);
    assert_eq!(g.consumer_count(), 2);
}

#[test]
fn a_deletion_ahead_makes_lag_unknown_until_the_group_passes_it() {
    let mut s = stream(100, 5);
    let mut g = Group::new(StreamId::MIN, Some(0));
    read_new(&mut g, &s, "c", Some(1), 1);
    assert_eq!(s.delete(&[id(3)]), 1);
    // A tombstone at 3-0 lies ahead of 1-0, inside the stream: unknown.
    assert_eq!(group_lag(&s, &g), None);
    read_new(&mut g, &s, "c", Some(1), 1);
    // Delivering 2-0 re-estimates: still unknown (2-0 is between first and last).
    assert_eq!(g.entries_read, None);
    read_new(&mut g, &s, "c", None, 1);
    // At the last ID the counter is exact again: entries-added.
    assert_eq!(g.last_id, id(5));
    assert_eq!(g.entries_read, Some(5));
    assert_eq!(group_lag(&s, &g), Some(0));
}

#[test]
fn ring_overwrites_keep_the_counter_exact() {
    let mut s = stream(3, 3);
    let mut g = Group::new(StreamId::MIN, Some(0));
    read_new(&mut g, &s, "c", Some(1), 1);
    for ms in 4..=10 {
        append(&mut s, ms);
    }
    // Entries 1..=7 are gone; the group read 1 of the 10 ever added.
    assert_eq!(s.len(), 3);
    assert_eq!(group_lag(&s, &g), Some(9));
    // A group created at 0-0 without a counter estimates from the first entry.
    let fresh = Group::new(StreamId::MIN, None);
    assert_eq!(group_lag(&s, &fresh), Some(3));
    // Reading on from 1-0 jumps to 8-0, the first live entry. Redis 7.0 only
    // increments a valid counter, so the skipped (trimmed) entries are not
    // counted: entries-read 2 and lag 8, as redis-server 7.0.15 reports.
    assert_eq!(read_new(&mut g, &s, "c", Some(1), 2), vec![8]);
    assert_eq!(g.entries_read, Some(2));
    assert_eq!(group_lag(&s, &g), Some(8));
}

#[test]
fn ack_removes_from_group_and_consumer() {
    let s = stream(100, 4);
    let mut g = Group::new(StreamId::MIN, Some(0));
    read_new(&mut g, &s, "a", Some(2), 1);
    read_new(&mut g, &s, "b", None, 1);
    assert_eq!(g.ack(&[id(1), id(3), id(9), id(1)]), 2);
    let summary = g.summary();
    assert_eq!(summary.count, 2);
    assert_eq!(summary.bounds, Some((id(2), id(4))));
    assert_eq!(
        summary.consumers,
        vec![(Bytes::from("a"), 1), (Bytes::from("b"), 1)]
    );
    assert_eq!(g.delete_consumer(b"a"), 1);
    assert_eq!(g.pending_len(), 1);
    assert_eq!(g.delete_consumer(b"nobody"), 0);
}

#[test]
fn noack_delivers_without_pending() {
    let s = stream(100, 3);
    let mut g = Group::new(StreamId::MIN, Some(0));
    let opts = ReadNew {
        count: None,
        noack: true,
        max_pending: 100,
    };
    let (n, _) = g.read_new(&s, b"c", opts, 1, |_| {});
    assert_eq!(n, 3);
    assert_eq!(g.pending_len(), 0);
    assert_eq!(g.consumer_count(), 1);
}

#[test]
fn history_returns_gone_entries_without_a_body() {
    let mut s = stream(3, 3);
    let mut g = Group::new(StreamId::MIN, Some(0));
    read_new(&mut g, &s, "c", None, 1);
    append(&mut s, 4); // overwrites 1-0
    let mut seen = Vec::new();
    let n = g.read_history(&s, b"c", StreamId::MIN, None, 5, |id, e| {
        seen.push((id.ms, e.is_some()))
    });
    assert_eq!(n, 3);
    assert_eq!(seen, vec![(1, false), (2, true), (3, true)]);
    // Re-delivered entries count; the gone one is untouched.
    assert_eq!(g.nack(id(2)).map(|n| n.delivery_count), Some(2));
    assert_eq!(g.nack(id(1)).map(|n| n.delivery_count), Some(1));
    let mut limited = Vec::new();
    g.read_history(&s, b"c", id(2), Some(1), 5, |id, _| limited.push(id.ms));
    assert_eq!(limited, vec![2]);
}

fn claim_opts(min_idle: u64, now: u64) -> ClaimOptions {
    ClaimOptions {
        min_idle,
        delivery_time: now,
        retry_count: None,
        force: false,
        justid: false,
        last_id: StreamId::MIN,
        max_pending: 100,
    }
}

#[test]
fn claim_moves_idle_entries_and_drops_gone_ones() {
    let mut s = stream(100, 3);
    let mut g = Group::new(StreamId::MIN, Some(0));
    read_new(&mut g, &s, "worker1", None, 1000);
    s.delete(&[id(2)]);
    let mut got = Vec::new();
    // Not idle long enough at 1500: nothing moves and no consumer is created.
    let n = g.claim(
        &s,
        b"worker2",
        &[id(1), id(3)],
        claim_opts(1000, 1500),
        1500,
        |id, _| got.push(id.ms),
    );
    assert_eq!(n, 0);
    assert_eq!(g.consumer_count(), 1);
    let n = g.claim(
        &s,
        b"worker2",
        &[id(1), id(2), id(3)],
        claim_opts(1000, 2500),
        2500,
        |id, _| got.push(id.ms),
    );
    assert_eq!(n, 2);
    assert_eq!(got, vec![1, 3]);
    // 2-0 was deleted: dropped from the PEL.
    assert_eq!(g.pending_len(), 2);
    let n1 = g.nack(id(1)).cloned().expect("pending");
    assert_eq!(n1.consumer, Bytes::from("worker2"));
    assert_eq!(n1.delivery_count, 2);
    assert_eq!(n1.delivery_time, 2500);
    assert_eq!(g.summary().consumers, vec![(Bytes::from("worker2"), 2)]);
}

#[test]
fn claim_force_justid_retrycount_and_lastid() {
    let s = stream(100, 3);
    let mut g = Group::new(StreamId::MIN, Some(0));
    let mut opts = claim_opts(0, 7);
    opts.force = true;
    opts.last_id = id(2);
    let n = g.claim(&s, b"c", &[id(3), id(9)], opts, 7, |_, _| {});
    // 9-0 is not in the stream: FORCE creates nothing for it.
    assert_eq!(n, 1);
    assert_eq!(g.last_id, id(2));
    assert_eq!(g.nack(id(3)).map(|n| n.delivery_count), Some(2));
    opts.force = false;
    opts.justid = true;
    g.claim(&s, b"d", &[id(3)], opts, 8, |_, _| {});
    assert_eq!(g.nack(id(3)).map(|n| n.delivery_count), Some(2));
    opts.retry_count = Some(7);
    g.claim(&s, b"d", &[id(3)], opts, 8, |_, _| {});
    assert_eq!(g.nack(id(3)).map(|n| n.delivery_count), Some(7));
}

#[test]
fn autoclaim_pages_with_a_cursor_and_reports_deleted() {
    let mut s = stream(100, 6);
    let mut g = Group::new(StreamId::MIN, Some(0));
    read_new(&mut g, &s, "dead", None, 0);
    s.delete(&[id(2)]);
    let mut got = Vec::new();
    let opts = AutoClaim {
        start: StreamId::MIN,
        count: 3,
        min_idle: 10,
        justid: false,
    };
    let r = g.autoclaim(&s, b"live", opts, 100, |id, _| got.push(id.ms));
    // 1 claimed, 2 deleted (counts), 3 claimed: three in all.
    assert_eq!(got, vec![1, 3]);
    assert_eq!(r.deleted, vec![id(2)]);
    assert_eq!(r.next, id(4));
    let opts = AutoClaim {
        start: r.next,
        count: 10,
        min_idle: 10,
        justid: true,
    };
    let r = g.autoclaim(&s, b"live", opts, 100, |id, _| got.push(id.ms));
    assert_eq!(got, vec![1, 3, 4, 5, 6]);
    assert_eq!(r.next, StreamId::MIN);
    assert!(r.deleted.is_empty());
    // JUSTID did not count a delivery.
    assert_eq!(g.nack(id(4)).map(|n| n.delivery_count), Some(1));
    assert_eq!(g.nack(id(1)).map(|n| n.delivery_count), Some(2));
    assert_eq!(g.summary().consumers, vec![(Bytes::from("live"), 5)]);
}

#[test]
fn the_pel_never_outgrows_the_ring() {
    let mut s = stream(4, 4);
    let mut g = Group::new(StreamId::MIN, Some(0));
    read_new(&mut g, &s, "c", None, 1);
    for ms in 5..=20 {
        append(&mut s, ms);
        read_new(&mut g, &s, "c", None, ms);
        assert!(g.pending_len() <= 4, "pel {}", g.pending_len());
    }
    // What remains pending is exactly what the ring still holds.
    let pending: Vec<u64> = g.pending().map(|(id, _)| id.ms).collect();
    assert_eq!(pending, vec![17, 18, 19, 20]);
}

#[test]
fn overwritten_pending_entries_are_counted_by_range() {
    let mut s = stream(3, 3);
    let mut groups = Groups::default();
    assert!(groups.create(b"g", Group::new(StreamId::MIN, Some(0))));
    assert!(!groups.create(b"g", Group::new(StreamId::MIN, Some(0))));
    let g = groups.get_mut(b"g").expect("group");
    read_new(g, &s, "c", None, 1);
    append(&mut s, 4);
    assert_eq!(groups.pending_in(id(1), id(2)), 1);
    assert_eq!(groups.pending_in(id(2), id(2)), 0);
    assert!(groups.mem_bytes() > 0);
    assert!(groups.destroy(b"g"));
    assert!(groups.is_empty());
}

#[test]
fn an_empty_group_is_small() {
    let groups = Groups::default();
    assert_eq!(groups.mem_bytes(), 0);
    let g = Group::new(StreamId::MIN, None);
    let one = g.mem_bytes();
    assert!(one < 200, "{one}");
}
