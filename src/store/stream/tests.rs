//! Unit tests of [`Stream`]: IDs, the ring, trimming, XDEL, XSETID, ranges,
//! replies and memory.

use bytes::BytesMut;

use super::*;

const L: NodeLimits = NodeLimits {
    max_entries: 100,
    max_bytes: 4096,
};

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn f<'a>(items: &[&'a str]) -> Vec<&'a [u8]> {
    items.iter().map(|s| s.as_bytes()).collect()
}

fn rd(data: &str) -> Vec<&[u8]> {
    f(&["role", "user", "data", data])
}

fn add(s: &mut Stream, ms: u64, seq: u64) -> Added {
    s.add(IdSpec::Explicit(id(ms, seq)), &rd("x"), 0, &L)
        .expect("add")
}

fn ids(r: Range<'_>) -> Vec<StreamId> {
    r.map(|e| e.id).collect()
}

fn all(s: &Stream) -> Vec<StreamId> {
    ids(s.range(StreamId::MIN, StreamId::MAX, None, false))
}

#[test]
fn auto_ids_follow_the_clock_and_never_go_back() {
    let mut s = Stream::new(100);
    let a = s.add(IdSpec::Auto, &rd("a"), 1000, &L).expect("add");
    assert_eq!(a.id, id(1000, 0));
    let b = s.add(IdSpec::Auto, &rd("b"), 1000, &L).expect("add");
    assert_eq!(b.id, id(1000, 1), "same millisecond: next sequence");
    let c = s.add(IdSpec::Auto, &rd("c"), 990, &L).expect("add");
    assert_eq!(c.id, id(1000, 2), "clock went backwards: keep the last ms");
    let d = s.add(IdSpec::Auto, &rd("d"), 1001, &L).expect("add");
    assert_eq!(d.id, id(1001, 0));
    s.set_id(id(1001, u64::MAX), None, None).expect("setid");
    let e = s.add(IdSpec::Auto, &rd("e"), 5, &L).expect("add");
    assert_eq!(e.id, id(1002, 0), "sequence overflow moves to the next ms");
    assert_eq!(s.last_id(), id(1002, 0));
}

#[test]
fn explicit_and_ms_star_ids() {
    let mut s = Stream::new(100);
    assert_eq!(
        s.add(IdSpec::Explicit(StreamId::MIN), &rd("x"), 0, &L),
        Err(StreamError::IdZero)
    );
    let first = s.add(IdSpec::AutoSeq(0), &rd("x"), 0, &L).expect("0-*");
    assert_eq!(first.id, id(0, 1));
    add(&mut s, 5, 5);
    let next = s.add(IdSpec::AutoSeq(5), &rd("x"), 0, &L).expect("5-*");
    assert_eq!(next.id, id(5, 6));
    assert_eq!(
        s.add(IdSpec::AutoSeq(4), &rd("x"), 0, &L),
        Err(StreamError::IdNotGreater)
    );
    assert_eq!(
        s.add(IdSpec::AutoSeq(9), &rd("x"), 0, &L).map(|a| a.id),
        Ok(id(9, 0))
    );
    for bad in [id(9, 0), id(8, 100), id(0, 1)] {
        assert_eq!(
            s.add(IdSpec::Explicit(bad), &rd("x"), 0, &L),
            Err(StreamError::IdNotGreater)
        );
    }
    add(&mut s, 10, u64::MAX);
    assert_eq!(
        s.add(IdSpec::AutoSeq(10), &rd("x"), 0, &L),
        Err(StreamError::IdNotGreater),
        "no sequence left in this ms"
    );
    assert_eq!(s.len(), 5);
    assert_eq!(s.entries_added(), 5);
}

#[test]
fn exhausted_stream_refuses_appends() {
    let mut s = Stream::new(10);
    add(&mut s, u64::MAX, u64::MAX - 1);
    let last = s.add(IdSpec::Auto, &rd("x"), 0, &L).expect("last id");
    assert_eq!(last.id, StreamId::MAX);
    for spec in [
        IdSpec::Auto,
        IdSpec::AutoSeq(u64::MAX),
        IdSpec::Explicit(id(1, 1)),
    ] {
        assert_eq!(s.add(spec, &rd("x"), 0, &L), Err(StreamError::Exhausted));
    }
    // 0-0 is refused before exhaustion is looked at, as in Redis.
    assert_eq!(
        s.add(IdSpec::Explicit(StreamId::MIN), &rd("x"), 0, &L),
        Err(StreamError::IdZero)
    );
}

#[test]
fn arity_is_checked() {
    let mut s = Stream::new(10);
    for bad in [f(&[]), f(&["a"]), f(&["a", "b", "c"])] {
        assert_eq!(
            s.add(IdSpec::Auto, &bad, 1, &L),
            Err(StreamError::WrongArity)
        );
    }
    assert!(s.is_empty());
    assert_eq!(s.nodes(), 0);
}

#[test]
fn ring_keeps_the_last_entries() {
    let mut s = Stream::new(3);
    let mut evicted = 0;
    for i in 1..=10 {
        evicted += add(&mut s, i, 0).evicted;
    }
    assert_eq!(evicted, 7);
    assert_eq!(s.len(), 3);
    assert_eq!(s.first_id(), id(8, 0));
    assert_eq!(s.entries_added(), 10);
    assert_eq!(
        s.max_deleted_id(),
        StreamId::MIN,
        "trimming is not deleting"
    );
    assert_eq!(all(&s), vec![id(8, 0), id(9, 0), id(10, 0)]);
    assert_eq!(s.first_entry().map(|e| e.id), Some(id(8, 0)));
    assert_eq!(s.last_entry().map(|e| e.id), Some(id(10, 0)));
    assert_eq!(s.capacity(), 3);
    assert_eq!(s.set_capacity(1, &L), 2);
    assert_eq!(all(&s), vec![id(10, 0)]);
    assert_eq!(s.set_capacity(0, &L), 0, "capacity is at least 1");
    assert_eq!(s.capacity(), 1);
}

#[test]
fn full_ring_stays_on_few_nodes() {
    let mut s = Stream::new(1000);
    for i in 0..10_000u64 {
        s.add(
            IdSpec::Explicit(id(1 + i / 7, i % 7)),
            &rd(&"v".repeat(80)),
            0,
            &L,
        )
        .expect("add");
        assert!(s.len() <= 1000);
    }
    assert_eq!(s.len(), 1000);
    assert_eq!(s.first_id(), id(1 + 9000 / 7, 9000 % 7));
    assert_eq!(all(&s).len(), 1000);
    // ~40 entries of ~100 bytes per 4 KB node.
    assert!((24..=27).contains(&s.nodes()), "{} nodes", s.nodes());
}

#[test]
fn trims_by_min_id_and_limit() {
    let limits = NodeLimits {
        max_entries: 10,
        max_bytes: 4096,
    };
    let mut s = Stream::new(1000);
    for i in 1..=100 {
        s.add(IdSpec::Explicit(id(i, 0)), &rd("x"), 0, &limits)
            .expect("add");
    }
    assert_eq!(s.nodes(), 10);
    // Approximate: whole nodes only (entries 1..=10 and 11..=20).
    assert_eq!(
        s.trim(TrimStrategy::MinId(id(25, 0)), true, None, &limits),
        20
    );
    assert_eq!(s.first_id(), id(21, 0));
    // Exact: into the node.
    assert_eq!(
        s.trim(TrimStrategy::MinId(id(25, 0)), false, None, &limits),
        4
    );
    assert_eq!(s.first_id(), id(25, 0));
    assert_eq!(s.nodes(), 8);
    // LIMIT stops before a node that would exceed it.
    assert_eq!(s.trim(TrimStrategy::MaxLen(0), true, Some(15), &limits), 6);
    assert_eq!(s.trim(TrimStrategy::MaxLen(0), true, Some(9), &limits), 0);
    assert_eq!(s.trim(TrimStrategy::MaxLen(0), true, Some(0), &limits), 70);
    assert!(s.is_empty());
    assert_eq!(s.first_id(), StreamId::MIN);
    assert_eq!(s.nodes(), 0);
    assert_eq!(trim::default_trim_limit(100), 10_000);
    assert_eq!(trim::default_trim_limit(0), 10_000);
    assert_eq!(trim::default_trim_limit(usize::MAX), 1_000_000);
}

#[test]
fn xdel_tombstones_and_whole_nodes() {
    let limits = NodeLimits {
        max_entries: 3,
        max_bytes: 4096,
    };
    let mut s = Stream::new(100);
    for i in 1..=9 {
        s.add(IdSpec::Explicit(id(i, 0)), &rd("x"), 0, &limits)
            .expect("add");
    }
    assert_eq!(s.nodes(), 3);
    assert_eq!(s.delete(&[id(2, 0), id(2, 0), id(42, 0)]), 1);
    assert_eq!(s.max_deleted_id(), id(2, 0));
    assert_eq!(s.first_id(), id(1, 0));
    // Deleting the rest of the head node removes it and moves the first ID.
    assert_eq!(s.delete(&[id(3, 0), id(1, 0)]), 2);
    assert_eq!(s.nodes(), 2);
    assert_eq!(s.first_id(), id(4, 0));
    assert_eq!(s.max_deleted_id(), id(3, 0), "the largest, not the last");
    // A middle entry, then the last one.
    assert_eq!(s.delete(&[id(5, 0), id(9, 0)]), 2);
    assert_eq!(all(&s), vec![id(4, 0), id(6, 0), id(7, 0), id(8, 0)]);
    assert_eq!(s.last_id(), id(9, 0), "XDEL keeps the last ID");
    assert_eq!(s.max_deleted_id(), id(9, 0));
    // The tail's tombstone still counts towards the node entry limit.
    s.add(IdSpec::Explicit(id(10, 0)), &rd("x"), 0, &limits)
        .expect("add");
    assert_eq!(s.nodes(), 3);
    assert_eq!(s.delete(&all(&s)), 5);
    assert!(s.is_empty());
    assert_eq!((s.nodes(), s.first_id()), (0, StreamId::MIN));
    assert_eq!(s.entries_added(), 10);
}

#[test]
fn set_id_rules() {
    let mut s = Stream::new(100);
    s.set_id(id(5, 0), Some(0), None)
        .expect("empty stream takes any id");
    assert_eq!(s.last_id(), id(5, 0));
    add(&mut s, 6, 0);
    add(&mut s, 7, 0);
    assert_eq!(s.delete(&[id(7, 0)]), 1);
    assert_eq!(
        s.set_id(id(5, 9), None, None),
        Err(StreamError::SetIdTooSmall)
    );
    assert_eq!(
        s.set_id(id(6, 1), Some(0), None),
        Err(StreamError::SetIdEntriesAdded)
    );
    assert_eq!(
        s.set_id(id(6, 1), None, Some(id(6, 2))),
        Err(StreamError::SetIdMaxDeleted)
    );
    // Below the deleted tail entry is allowed, as in Redis 7.0.
    s.set_id(id(6, 1), Some(1), Some(StreamId::MIN))
        .expect("setid");
    assert_eq!(
        (s.last_id(), s.entries_added(), s.max_deleted_id()),
        (id(6, 1), 1, id(7, 0))
    );
    s.set_id(id(6, 1), None, Some(id(6, 1))).expect("setid");
    assert_eq!(s.max_deleted_id(), id(6, 1));
    // The next entry lands after the tombstone in the same node.
    add(&mut s, 6, 2);
    assert_eq!(all(&s), vec![id(6, 0), id(6, 2)]);
    assert_eq!(s.delete(&[id(6, 2)]), 1);
    assert_eq!(ids(s.range(id(6, 1), StreamId::MAX, None, true)), vec![]);
    assert_eq!(
        StreamError::SetIdEntriesAdded.to_string(),
        "ERR The entries_added specified in XSETID is smaller than the target stream length"
    );
}

#[test]
fn ranges_forward_reverse_and_bounds() {
    let limits = NodeLimits {
        max_entries: 4,
        max_bytes: 4096,
    };
    let mut s = Stream::new(100);
    for i in 1..=20 {
        s.add(IdSpec::Explicit(id(i, 0)), &rd("x"), 0, &limits)
            .expect("add");
    }
    s.delete(&[id(5, 0), id(6, 0), id(7, 0), id(8, 0), id(12, 0)]);
    let r = |a: u64, b: u64, c: Option<usize>, rev: bool| -> Vec<u64> {
        s.range(id(a, 0), id(b, 0), c, rev)
            .map(|e| e.id.ms)
            .collect()
    };
    assert_eq!(r(3, 10, None, false), vec![3, 4, 9, 10]);
    assert_eq!(r(3, 10, None, true), vec![10, 9, 4, 3]);
    assert_eq!(
        r(5, 8, None, false),
        Vec::<u64>::new(),
        "only deleted entries"
    );
    assert_eq!(r(5, 8, None, true), Vec::<u64>::new());
    assert_eq!(r(6, 13, Some(2), false), vec![9, 10]);
    assert_eq!(r(6, 13, Some(2), true), vec![13, 11]);
    assert_eq!(r(12, 12, None, false), Vec::<u64>::new());
    assert_eq!(r(0, 1, None, true), vec![1]);
    assert_eq!(r(20, 99, None, false), vec![20]);
    assert_eq!(r(21, 99, None, false), Vec::<u64>::new());
    assert_eq!(r(0, 0, None, true), Vec::<u64>::new());
    assert_eq!(r(10, 3, None, false), Vec::<u64>::new(), "start after end");
    assert_eq!(r(1, 20, Some(0), false), Vec::<u64>::new());
    assert_eq!(r(0, 99, None, false).len(), 15);
    assert_eq!(r(0, 99, None, true).len(), 15);
    let empty = Stream::new(5);
    assert_eq!(
        ids(empty.range(StreamId::MIN, StreamId::MAX, None, true)),
        vec![]
    );
    assert!(empty.first_entry().is_none() && empty.last_entry().is_none());
}

#[test]
fn entries_reply_as_resp() {
    let mut s = Stream::new(10);
    s.add(IdSpec::Explicit(id(1, 1)), &rd("hello"), 0, &L)
        .expect("add");
    s.add(IdSpec::Explicit(id(1, 2)), &f(&["n", "42", "m", ""]), 0, &L)
        .expect("add");
    let mut out = BytesMut::new();
    for e in s.range(StreamId::MIN, StreamId::MAX, None, false) {
        e.write_fields_resp(&mut out);
    }
    assert_eq!(
        &out[..],
        &b"*4\r\n$4\r\nrole\r\n$4\r\nuser\r\n$4\r\ndata\r\n$5\r\nhello\r\n\
           *4\r\n$1\r\nn\r\n$2\r\n42\r\n$1\r\nm\r\n$0\r\n\r\n"[..]
    );
    let last = s.last_entry().expect("entry");
    assert_eq!(last.field_count(), 2);
    assert_eq!(
        last.fields().collect::<Vec<_>>(),
        vec![(&b"n"[..], &b"42"[..]), (&b"m"[..], &b""[..])]
    );
    out.clear();
    last.write_resp(&mut out);
    assert_eq!(
        &out[..],
        &b"*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\nn\r\n$2\r\n42\r\n$1\r\nm\r\n$0\r\n\r\n"[..]
    );
}

/// Recomputes what `mem_bytes` tracks incrementally.
fn recount(s: &Stream) -> usize {
    std::mem::size_of::<Stream>()
        + s.nodes.capacity() * std::mem::size_of::<node::Node>()
        + s.nodes.iter().map(node::Node::heap_bytes).sum::<usize>()
}

#[test]
fn memory_follows_content() {
    let empty = Stream::new(1000);
    assert_eq!(empty.mem_bytes(), std::mem::size_of::<Stream>());
    assert!(empty.mem_bytes() <= 128, "{}", empty.mem_bytes());

    let value = "v".repeat(80);
    let mut s = Stream::new(1000);
    for i in 0..5 {
        s.add(IdSpec::Explicit(id(1, i)), &rd(&value), 0, &L)
            .expect("add");
    }
    assert_eq!(s.mem_bytes(), recount(&s));
    // Redis: 4728 bytes (MEMORY USAGE) for these 5 entries.
    assert!(s.mem_bytes() < 900, "5 entries: {} bytes", s.mem_bytes());

    let mut full = Stream::new(1000);
    for i in 0..5000u64 {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        let fields = f(&["role", role, "data", &value]);
        full.add(IdSpec::Auto, &fields, 1_700_000_000_000 + i / 3, &L)
            .expect("add");
        assert_eq!(full.mem_bytes(), recount(&full));
    }
    let per_event = full.mem_bytes() as f64 / full.len() as f64;
    // redis-server 7.0.15 reports 112 bytes per event (MEMORY USAGE) for the
    // same 1000 entries; 127 of RSS.
    assert!(per_event < 102.0, "{per_event} bytes per event");
    full.delete(&all(&full)[100..300]);
    full.trim(TrimStrategy::MaxLen(10), false, None, &L);
    assert_eq!(full.mem_bytes(), recount(&full));
    full.trim(TrimStrategy::MaxLen(0), false, None, &L);
    assert_eq!(full.mem_bytes(), std::mem::size_of::<Stream>());
}

#[test]
fn errors_display_redis_text() {
    assert_eq!(
        StreamError::IdNotGreater.to_string(),
        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(
        StreamError::Exhausted.to_string(),
        "ERR The stream has exhausted the last possible ID, unable to add more items"
    );
    assert_eq!(
        StreamError::SetIdTooSmall.to_string(),
        "ERR The ID specified in XSETID is smaller than the target stream top item"
    );
    assert_eq!(
        StreamError::SetIdMaxDeleted.to_string(),
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    );
}
