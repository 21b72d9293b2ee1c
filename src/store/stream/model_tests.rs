//! Property test: [`Stream`] against a plain model (a `VecDeque` of entries)
//! under random appends, deletes, trims, capacity changes and range reads.

use std::collections::VecDeque;

use bytes::Bytes;
use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Act {
    /// Append: an explicit ID `gap` after the last one, or `*` with a clock
    /// that may lag behind.
    Add {
        auto: bool,
        gap_ms: u64,
        seq: u64,
        shape: u8,
        value: String,
    },
    /// XDEL of model entries (by position, modulo the length) and one missing ID.
    Del(Vec<usize>),
    MaxLen(bool, u64),
    /// MINID at the ID of a model entry (by position), or past the end.
    MinId(bool, usize),
    Range(usize, usize, Option<usize>, bool),
    Capacity(usize),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        8 => (any::<bool>(), 0u64..3, 0u64..4, 0u8..4, "[a-c0-9]{0,24}").prop_map(
            |(auto, gap_ms, seq, shape, value)| Act::Add { auto, gap_ms, seq, shape, value }
        ),
        2 => prop::collection::vec(0usize..1000, 1..4).prop_map(Act::Del),
        1 => (any::<bool>(), 0u64..40).prop_map(|(a, n)| Act::MaxLen(a, n)),
        1 => (any::<bool>(), 0usize..1000).prop_map(|(a, i)| Act::MinId(a, i)),
        2 => (0usize..1000, 0usize..1000, prop::option::of(0usize..6), any::<bool>())
            .prop_map(|(a, b, c, r)| Act::Range(a, b, c, r)),
        1 => (1usize..60).prop_map(Act::Capacity),
    ]
}

fn fields(shape: u8, value: &str) -> Vec<Bytes> {
    let items: Vec<&str> = match shape {
        0 | 1 => vec!["role", "user", "data", value],
        2 => vec!["data", value],
        _ => vec!["role", value, "data", "7", "x", ""],
    };
    items
        .into_iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}

type Entry = (StreamId, Vec<Bytes>);

fn pairs(e: &EntryRef<'_>) -> Vec<Bytes> {
    e.fields()
        .flat_map(|(f, v)| [Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)])
        .collect()
}

fn check_same(s: &Stream, model: &VecDeque<Entry>) {
    assert_eq!(s.len(), model.len() as u64);
    let got: Vec<Entry> = s
        .range(StreamId::MIN, StreamId::MAX, None, false)
        .map(|e| (e.id, pairs(&e)))
        .collect();
    assert!(got.iter().eq(model.iter()), "contents differ");
    let first = model.front().map_or(StreamId::MIN, |e| e.0);
    assert_eq!(s.first_id(), first);
    assert_eq!(s.first_entry().map(|e| e.id), model.front().map(|e| e.0));
    assert_eq!(s.last_entry().map(|e| e.id), model.back().map(|e| e.0));
    let recount = std::mem::size_of::<Stream>()
        + s.nodes.capacity() * std::mem::size_of::<node::Node>()
        + s.nodes.iter().map(node::Node::heap_bytes).sum::<usize>();
    assert_eq!(s.mem_bytes(), recount);
}

fn run(limits: NodeLimits, capacity: usize, acts: Vec<Act>) {
    let mut s = Stream::new(capacity);
    let mut model: VecDeque<Entry> = VecDeque::new();
    let mut cap = capacity;
    let mut clock = 1000u64;
    let mut added = 0u64;
    let mut max_deleted = StreamId::MIN;
    for act in acts {
        match act {
            Act::Add {
                auto,
                gap_ms,
                seq,
                shape,
                value,
            } => {
                let last = s.last_id();
                let f = fields(shape, &value);
                let (spec, want) = if auto {
                    clock = clock + gap_ms - 1; // may go backwards by 1 ms
                    let want = if clock > last.ms {
                        StreamId::new(clock, 0)
                    } else {
                        StreamId::new(last.ms, last.seq + 1)
                    };
                    (IdSpec::Auto, want)
                } else {
                    let want = if gap_ms == 0 {
                        StreamId::new(last.ms, last.seq + 1 + seq)
                    } else {
                        StreamId::new(last.ms + gap_ms, seq)
                    };
                    (IdSpec::Explicit(want), want)
                };
                let r = s.add(spec, &refs(&f), clock, &limits).expect("add");
                assert_eq!(r.id, want);
                added += 1;
                model.push_back((want, f));
                let mut evicted = 0;
                while model.len() > cap {
                    model.pop_front();
                    evicted += 1;
                }
                assert_eq!(r.evicted, evicted);
            }
            Act::Del(picks) => {
                let mut ids: Vec<StreamId> = picks
                    .iter()
                    .filter(|_| !model.is_empty())
                    .map(|&i| model[i % model.len()].0)
                    .collect();
                ids.push(StreamId::new(s.last_id().ms, s.last_id().seq + 1));
                let mut want = 0;
                for id in &ids {
                    if let Some(pos) = model.iter().position(|e| e.0 == *id) {
                        model.remove(pos);
                        want += 1;
                        max_deleted = max_deleted.max(*id);
                    }
                }
                assert_eq!(s.delete(&ids), want);
            }
            Act::MaxLen(approx, n) => {
                let before = model.len() as u64;
                let removed = s.trim(TrimStrategy::MaxLen(n), approx, None, &limits);
                if approx {
                    assert!(removed <= before.saturating_sub(n));
                } else {
                    assert_eq!(removed, before.saturating_sub(n));
                }
                model.drain(..removed as usize);
            }
            Act::MinId(approx, i) => {
                let min = model
                    .get(i % (model.len() + 1))
                    .map_or(StreamId::MAX, |e| e.0);
                let below = model.iter().take_while(|e| e.0 < min).count() as u64;
                let removed = s.trim(TrimStrategy::MinId(min), approx, None, &limits);
                if approx {
                    assert!(removed <= below);
                } else {
                    assert_eq!(removed, below);
                }
                model.drain(..removed as usize);
            }
            Act::Range(a, b, count, rev) => {
                let pick = |i: usize| -> StreamId {
                    match model.len() {
                        0 => StreamId::new(i as u64, 0),
                        n => {
                            let id = model[i % n].0;
                            // Bounds also fall between entries.
                            if i % 3 == 0 {
                                id.decr().unwrap_or(id)
                            } else {
                                id
                            }
                        }
                    }
                };
                let (start, end) = (pick(a), pick(b));
                let got: Vec<Entry> = s
                    .range(start, end, count, rev)
                    .map(|e| (e.id, pairs(&e)))
                    .collect();
                let inside = model.iter().filter(|e| e.0 >= start && e.0 <= end);
                let want: Vec<Entry> = if rev {
                    inside
                        .rev()
                        .take(count.unwrap_or(usize::MAX))
                        .cloned()
                        .collect()
                } else {
                    inside.take(count.unwrap_or(usize::MAX)).cloned().collect()
                };
                assert_eq!(got, want);
                assert_eq!(s.range(start, end, count, rev).len(), want.len());
            }
            Act::Capacity(c) => {
                cap = c;
                let before = model.len();
                let removed = s.set_capacity(c, &limits);
                while model.len() > cap {
                    model.pop_front();
                }
                assert_eq!(removed as usize, before - model.len());
            }
        }
        check_same(&s, &model);
        assert_eq!(s.entries_added(), added);
        assert_eq!(s.max_deleted_id(), max_deleted);
    }
}

fn limits() -> impl Strategy<Value = NodeLimits> {
    (
        prop_oneof![Just(0usize), 1usize..8, Just(100)],
        prop_oneof![Just(0usize), 40usize..400, Just(4096)],
    )
        .prop_map(|(max_entries, max_bytes)| NodeLimits {
            max_entries,
            max_bytes,
        })
}

proptest! {
    // No regression files: they would land outside this module's folder.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(300)
    })]

    #[test]
    fn stream_matches_model(
        limits in limits(),
        capacity in prop_oneof![1usize..40, Just(1_000_000)],
        acts in prop::collection::vec(act(), 1..120),
    ) {
        run(limits, capacity, acts);
    }
}
