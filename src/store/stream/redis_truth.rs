//! Node accounting against real Redis: scenarios run on redis-server 7.0.15 and
//! replayed on [`Stream`]; after every step the length, the trim/delete reply,
//! `radix-tree-keys`, `recorded-first-entry-id`, `max-deleted-entry-id` and
//! `entries-added` must equal what Redis reported.
//!
//! The expectations were recorded by a script that sent the very same commands
//! (explicit IDs, so listpack deltas are deterministic) to
//! `redis-server --port 7104 --save ''` after `CONFIG SET stream-node-max-entries`
//! / `stream-node-max-bytes`, read `XINFO STREAM` after each step, and printed
//! this table. The generators below (`ident`, `value`, `fields`) mirror it.

use bytes::Bytes;

use super::{IdSpec, NodeLimits, Stream, StreamId, TrimStrategy};

/// How entry `i` is named.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ids {
    /// `1000-(i+1)`: one millisecond, growing sequence.
    Seq,
    /// `(T+i)-0`.
    Ms,
    /// `(T+7919i)-(i%3)`: large millisecond deltas.
    Ms7,
    /// `(T+i/50)-(i%50)`: bursts of 50 per millisecond.
    Burst,
}

/// The value of entry `i`'s `data` field.
#[derive(Debug, Clone, Copy)]
pub(super) enum Val {
    /// `n` copies of one letter.
    Str(usize),
    /// A 16-bit integer.
    Num,
    /// A 64-bit integer.
    Big,
    /// Integer / `n` letters / `3n` letters / `0`-prefixed digits (a string).
    Mixed(usize),
    /// This integer.
    Int(i64),
}

/// The field names of entry `i`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fl {
    /// `role <user|assistant> data <value>`.
    RoleData,
    /// Mostly role/data, every 3rd with an extra field, every 5th reordered.
    Mix,
    /// Integer-looking field names `1` and `22`.
    NumNames,
}

/// One step, as the command sent to Redis.
#[derive(Debug, Clone, Copy)]
pub(super) enum Op {
    /// `n` × `XADD s <id> fields...` (with `MAXLEN = cap` when the scenario has one).
    Add(u64, Val, Fl),
    /// `n` × `XADD s MAXLEN ~ k <id> fields...`.
    AddTrim(u64, Val, Fl, u64),
    /// `XDEL s` with the IDs of these entry numbers.
    Del(&'static [u64]),
    /// `XTRIM s MAXLEN [~|=] n [LIMIT l]`.
    MaxLen(bool, u64, Option<u64>),
    /// `XTRIM s MINID [~|=] <id of entry i> [LIMIT l]`.
    MinId(bool, u64, Option<u64>),
    /// The smallest `L` for which `XADD role user data <L bytes>` would open a new
    /// node (Redis: found by bisection on copies of the stream). It pins the tail
    /// node's listpack size to the byte: `max_bytes - 12 - lp_bytes`.
    Probe,
}

/// What Redis reported after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Expect {
    /// XDEL/XTRIM reply; for appends, how many entries trimming removed.
    reply: u64,
    len: u64,
    nodes: usize,
    first: StreamId,
    max_deleted: StreamId,
    added: u64,
}

const fn x(
    reply: u64,
    len: u64,
    nodes: usize,
    first: (u64, u64),
    max_deleted: (u64, u64),
    added: u64,
) -> Expect {
    Expect {
        reply,
        len,
        nodes,
        first: StreamId::new(first.0, first.1),
        max_deleted: StreamId::new(max_deleted.0, max_deleted.1),
        added,
    }
}

pub(super) struct Scenario {
    name: &'static str,
    limits: NodeLimits,
    /// Ring capacity (Redis: `MAXLEN = cap` on every XADD).
    cap: Option<u64>,
    ids: Ids,
    steps: &'static [(Op, Expect)],
}

const fn limits(max_entries: usize, max_bytes: usize) -> NodeLimits {
    NodeLimits {
        max_entries,
        max_bytes,
    }
}

const T: u64 = 1_700_000_000_000;

fn ident(ids: Ids, i: u64) -> StreamId {
    match ids {
        Ids::Seq => StreamId::new(1000, i + 1),
        Ids::Ms => StreamId::new(T + i, 0),
        Ids::Ms7 => StreamId::new(T + i * 7919, i % 3),
        Ids::Burst => StreamId::new(T + i / 50, i % 50),
    }
}

fn letters(i: u64, n: usize) -> String {
    let c = char::from(b'a' + (i % 26) as u8);
    std::iter::repeat(c).take(n).collect()
}

fn value(val: Val, i: u64) -> String {
    match val {
        Val::Str(n) => letters(i, n),
        Val::Num => (12345 + i * 7).to_string(),
        Val::Big => (1_000_000_000_000 + i).to_string(),
        Val::Int(v) => v.to_string(),
        Val::Mixed(n) => match i % 4 {
            0 => (12345 + i * 7).to_string(),
            1 => letters(i, n),
            2 => letters(i, n * 3),
            _ => format!("0{i}"),
        },
    }
}

fn fields(fl: Fl, val: Val, i: u64) -> Vec<Bytes> {
    let v = value(val, i);
    let role = if i % 2 == 0 { "user" } else { "assistant" };
    let items: Vec<String> = match fl {
        Fl::RoleData => vec!["role".into(), role.into(), "data".into(), v],
        Fl::Mix if i % 3 == 2 => ["role", "tool", "data", &v, "extra", "x"]
            .map(String::from)
            .to_vec(),
        Fl::Mix if i % 5 == 4 => ["data", &v, "role", "user"].map(String::from).to_vec(),
        Fl::Mix => vec!["role".into(), role.into(), "data".into(), v],
        Fl::NumNames => vec!["1".into(), v, "22".into(), "v".into()],
    };
    items.into_iter().map(Bytes::from).collect()
}

/// [`Op::Probe`] from the tail node's emulated listpack.
fn probe(s: &Stream, limits: &NodeLimits) -> u64 {
    let Some(tail) = s.nodes.back() else {
        return 0;
    };
    let full =
        limits.max_entries > 0 && tail.count() as u64 + tail.deleted >= limits.max_entries as u64;
    if full {
        return 0;
    }
    let max = match limits.max_bytes {
        0 => 1 << 30,
        b => (b as u64).min(1 << 30),
    };
    max.saturating_sub(12 + tail.lp_bytes())
}

fn run(sc: &Scenario) {
    let cap = sc.cap.map_or(usize::MAX, |c| c as usize);
    let mut s = Stream::new(cap);
    let limits = sc.limits;
    let mut next = 0u64;
    for (step, (op, want)) in sc.steps.iter().enumerate() {
        let reply = match *op {
            Op::Add(n, val, fl) | Op::AddTrim(n, val, fl, _) => {
                let mut removed = 0;
                for _ in 0..n {
                    let id = ident(sc.ids, next);
                    let f = fields(fl, val, next);
                    let added = s.add(IdSpec::Explicit(id), &f, 0, &limits).expect("add");
                    assert_eq!(added.id, id);
                    removed += added.evicted;
                    if let Op::AddTrim(.., k) = *op {
                        removed += s.trim(TrimStrategy::MaxLen(k), true, None, &limits);
                    }
                    next += 1;
                }
                removed
            }
            Op::Del(idx) => {
                let ids: Vec<_> = idx.iter().map(|&i| ident(sc.ids, i)).collect();
                s.delete(&ids)
            }
            Op::MaxLen(approx, n, limit) => s.trim(TrimStrategy::MaxLen(n), approx, limit, &limits),
            Op::MinId(approx, i, limit) => {
                let min = ident(sc.ids, i);
                s.trim(TrimStrategy::MinId(min), approx, limit, &limits)
            }
            Op::Probe => probe(&s, &limits),
        };
        let got = Expect {
            reply,
            len: s.len(),
            nodes: s.nodes(),
            first: s.first_id(),
            max_deleted: s.max_deleted_id(),
            added: s.entries_added(),
        };
        assert_eq!(got, *want, "scenario {} step {step}: {op:?}", sc.name);
        assert_eq!(
            s.range(StreamId::MIN, StreamId::MAX, None, false).count() as u64,
            s.len()
        );
    }
}

#[test]
fn node_accounting_matches_redis() {
    for sc in SCENARIOS {
        run(sc);
    }
}

// Generated from redis-server 7.0.15 by a script run on the side: see the module docs.
#[rustfmt::skip]
pub(super) const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "encoding_edges",
        limits: limits(0, 4096),
        cap: None,
        ids: Ids::Ms7,
        steps: &[
            (Op::Add(1, Val::Str(5), Fl::RoleData), x(0, 1, 1, (1700000000000, 0), (0, 0), 1)),
            (Op::Probe, x(4036, 1, 1, (1700000000000, 0), (0, 0), 1)),
            (Op::Add(1, Val::Str(62), Fl::RoleData), x(0, 2, 1, (1700000000000, 0), (0, 0), 2)),
            (Op::Probe, x(3951, 2, 1, (1700000000000, 0), (0, 0), 2)),
            (Op::Add(1, Val::Str(63), Fl::RoleData), x(0, 3, 1, (1700000000000, 0), (0, 0), 3)),
            (Op::Probe, x(3870, 3, 1, (1700000000000, 0), (0, 0), 3)),
            (Op::Add(1, Val::Str(64), Fl::RoleData), x(0, 4, 1, (1700000000000, 0), (0, 0), 4)),
            (Op::Probe, x(3782, 4, 1, (1700000000000, 0), (0, 0), 4)),
            (Op::Add(1, Val::Str(125), Fl::RoleData), x(0, 5, 1, (1700000000000, 0), (0, 0), 5)),
            (Op::Probe, x(3638, 5, 1, (1700000000000, 0), (0, 0), 5)),
            (Op::Add(1, Val::Str(126), Fl::RoleData), x(0, 6, 1, (1700000000000, 0), (0, 0), 6)),
            (Op::Probe, x(3486, 6, 1, (1700000000000, 0), (0, 0), 6)),
            (Op::Add(1, Val::Str(127), Fl::RoleData), x(0, 7, 1, (1700000000000, 0), (0, 0), 7)),
            (Op::Probe, x(3338, 7, 1, (1700000000000, 0), (0, 0), 7)),
            (Op::Add(1, Val::Int(127), Fl::RoleData), x(0, 8, 1, (1700000000000, 0), (0, 0), 8)),
            (Op::Probe, x(3314, 8, 1, (1700000000000, 0), (0, 0), 8)),
            (Op::Add(1, Val::Int(128), Fl::RoleData), x(0, 9, 1, (1700000000000, 0), (0, 0), 9)),
            (Op::Probe, x(3294, 9, 1, (1700000000000, 0), (0, 0), 9)),
            (Op::Add(1, Val::Int(-1), Fl::RoleData), x(0, 10, 1, (1700000000000, 0), (0, 0), 10)),
            (Op::Probe, x(3269, 10, 1, (1700000000000, 0), (0, 0), 10)),
            (Op::Add(1, Val::Int(4095), Fl::RoleData), x(0, 11, 1, (1700000000000, 0), (0, 0), 11)),
            (Op::Probe, x(3249, 11, 1, (1700000000000, 0), (0, 0), 11)),
            (Op::Add(1, Val::Int(-4097), Fl::RoleData), x(0, 12, 1, (1700000000000, 0), (0, 0), 12)),
            (Op::Probe, x(3223, 12, 1, (1700000000000, 0), (0, 0), 12)),
            (Op::Add(1, Val::Int(-4096), Fl::RoleData), x(0, 13, 1, (1700000000000, 0), (0, 0), 13)),
            (Op::Probe, x(3203, 13, 1, (1700000000000, 0), (0, 0), 13)),
            (Op::Add(1, Val::Int(32767), Fl::RoleData), x(0, 14, 1, (1700000000000, 0), (0, 0), 14)),
            (Op::Probe, x(3177, 14, 1, (1700000000000, 0), (0, 0), 14)),
            (Op::Add(1, Val::Int(-32769), Fl::RoleData), x(0, 15, 1, (1700000000000, 0), (0, 0), 15)),
            (Op::Probe, x(3155, 15, 1, (1700000000000, 0), (0, 0), 15)),
            (Op::Add(1, Val::Int(40000), Fl::RoleData), x(0, 16, 1, (1700000000000, 0), (0, 0), 16)),
            (Op::Probe, x(3128, 16, 1, (1700000000000, 0), (0, 0), 16)),
            (Op::Add(1, Val::Int(-8388609), Fl::RoleData), x(0, 17, 1, (1700000000000, 0), (0, 0), 17)),
            (Op::Probe, x(3105, 17, 1, (1700000000000, 0), (0, 0), 17)),
            (Op::Add(1, Val::Int(2147483648), Fl::RoleData), x(0, 18, 1, (1700000000000, 0), (0, 0), 18)),
            (Op::Probe, x(3073, 18, 1, (1700000000000, 0), (0, 0), 18)),
            (Op::Add(1, Val::Int(-9223372036854775808), Fl::RoleData), x(0, 19, 1, (1700000000000, 0), (0, 0), 19)),
            (Op::Probe, x(3046, 19, 1, (1700000000000, 0), (0, 0), 19)),
            (Op::Add(1, Val::Mixed(3), Fl::NumNames), x(0, 20, 1, (1700000000000, 0), (0, 0), 20)),
            (Op::Probe, x(3021, 20, 1, (1700000000000, 0), (0, 0), 20)),
            (Op::Add(3, Val::Mixed(3), Fl::Mix), x(0, 23, 1, (1700000000000, 0), (0, 0), 23)),
            (Op::Probe, x(2921, 23, 1, (1700000000000, 0), (0, 0), 23)),
            (Op::Add(1, Val::Str(1000), Fl::Mix), x(0, 24, 1, (1700000000000, 0), (0, 0), 24)),
            (Op::Probe, x(1876, 24, 1, (1700000000000, 0), (0, 0), 24)),
        ],
    },
    Scenario {
        name: "counter_edges",
        limits: limits(0, 4096),
        cap: None,
        ids: Ids::Seq,
        steps: &[
            (Op::Add(127, Val::Str(1), Fl::RoleData), x(0, 127, 1, (1000, 1), (0, 0), 127)),
            (Op::Probe, x(1583, 127, 1, (1000, 1), (0, 0), 127)),
            (Op::Add(1, Val::Str(1), Fl::RoleData), x(0, 128, 1, (1000, 1), (0, 0), 128)),
            (Op::Probe, x(1560, 128, 1, (1000, 1), (0, 0), 128)),
            (Op::Add(2, Val::Str(1), Fl::RoleData), x(0, 130, 1, (1000, 1), (0, 0), 130)),
            (Op::Probe, x(1519, 130, 1, (1000, 1), (0, 0), 130)),
            (Op::Del(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126]), x(127, 3, 1, (1000, 128), (1000, 127), 130)),
            (Op::Probe, x(1520, 3, 1, (1000, 128), (1000, 127), 130)),
            (Op::Del(&[127]), x(1, 2, 1, (1000, 129), (1000, 128), 130)),
            (Op::Probe, x(1519, 2, 1, (1000, 129), (1000, 128), 130)),
            (Op::Del(&[128, 129]), x(2, 0, 0, (0, 0), (1000, 130), 130)),
            (Op::Probe, x(0, 0, 0, (0, 0), (1000, 130), 130)),
            (Op::Add(130, Val::Str(1), Fl::RoleData), x(0, 130, 1, (1000, 131), (1000, 130), 260)),
            (Op::Probe, x(1519, 130, 1, (1000, 131), (1000, 130), 260)),
            (Op::MaxLen(false, 3, None), x(127, 3, 1, (1000, 258), (1000, 130), 260)),
            (Op::Probe, x(1520, 3, 1, (1000, 258), (1000, 130), 260)),
            (Op::MinId(false, 255, None), x(0, 3, 1, (1000, 258), (1000, 130), 260)),
            (Op::Probe, x(1520, 3, 1, (1000, 258), (1000, 130), 260)),
        ],
    },
    Scenario {
        name: "backlen_sizes",
        limits: limits(0, 4096),
        cap: None,
        ids: Ids::Burst,
        steps: &[
            (Op::Add(2, Val::Str(16000), Fl::RoleData), x(0, 2, 2, (1700000000000, 0), (0, 0), 2)),
            (Op::Add(1, Val::Str(20), Fl::RoleData), x(0, 3, 3, (1700000000000, 0), (0, 0), 3)),
            (Op::Probe, x(4021, 3, 3, (1700000000000, 0), (0, 0), 3)),
        ],
    },
    Scenario {
        name: "backlen_edge_16383",
        limits: limits(0, 40000),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(1, Val::Str(16377), Fl::RoleData), x(0, 1, 1, (1700000000000, 0), (0, 0), 1)),
            (Op::Probe, x(23563, 1, 1, (1700000000000, 0), (0, 0), 1)),
            (Op::Add(1, Val::Str(16378), Fl::RoleData), x(0, 2, 1, (1700000000000, 0), (0, 0), 2)),
            (Op::Probe, x(7158, 2, 1, (1700000000000, 0), (0, 0), 2)),
            (Op::Add(1, Val::Str(16379), Fl::RoleData), x(0, 3, 2, (1700000000000, 0), (0, 0), 3)),
            (Op::Probe, x(23560, 3, 2, (1700000000000, 0), (0, 0), 3)),
        ],
    },
    Scenario {
        name: "role_data_100b",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(1000, Val::Str(100), Fl::RoleData), x(0, 1000, 30, (1700000000000, 0), (0, 0), 1000)),
            (Op::MaxLen(true, 500, None), x(476, 524, 16, (1700000000476, 0), (0, 0), 1000)),
            (Op::MaxLen(true, 1, None), x(510, 14, 1, (1700000000986, 0), (0, 0), 1000)),
            (Op::MaxLen(false, 100, None), x(0, 14, 1, (1700000000986, 0), (0, 0), 1000)),
            (Op::MaxLen(true, 50, None), x(0, 14, 1, (1700000000986, 0), (0, 0), 1000)),
            (Op::Add(10, Val::Str(100), Fl::RoleData), x(0, 24, 1, (1700000000986, 0), (0, 0), 1010)),
            (Op::MaxLen(false, 0, None), x(24, 0, 0, (0, 0), (0, 0), 1010)),
        ],
    },
    Scenario {
        name: "values_8b",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(1000, Val::Str(8), Fl::RoleData), x(0, 1000, 10, (1700000000000, 0), (0, 0), 1000)),
            (Op::MaxLen(true, 901, None), x(0, 1000, 10, (1700000000000, 0), (0, 0), 1000)),
            (Op::MaxLen(true, 899, None), x(100, 900, 9, (1700000000100, 0), (0, 0), 1000)),
            (Op::MaxLen(true, 0, None), x(900, 0, 0, (0, 0), (0, 0), 1000)),
        ],
    },
    Scenario {
        name: "values_60b_seq_ids",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Seq,
        steps: &[
            (Op::Add(500, Val::Str(60), Fl::RoleData), x(0, 500, 10, (1000, 1), (0, 0), 500)),
            (Op::MaxLen(true, 300, None), x(153, 347, 7, (1000, 154), (0, 0), 500)),
            (Op::MaxLen(false, 250, None), x(97, 250, 6, (1000, 251), (0, 0), 500)),
            (Op::MaxLen(true, 200, None), x(5, 245, 5, (1000, 256), (0, 0), 500)),
        ],
    },
    Scenario {
        name: "values_300b",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Ms7,
        steps: &[
            (Op::Add(200, Val::Str(300), Fl::RoleData), x(0, 200, 17, (1700000000000, 0), (0, 0), 200)),
            (Op::MaxLen(true, 100, None), x(96, 104, 9, (1700000760224, 0), (0, 0), 200)),
            (Op::MaxLen(true, 13, None), x(84, 20, 2, (1700001425420, 0), (0, 0), 200)),
        ],
    },
    Scenario {
        name: "values_5000b",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(20, Val::Str(5000), Fl::RoleData), x(0, 20, 20, (1700000000000, 0), (0, 0), 20)),
            (Op::MaxLen(true, 7, None), x(13, 7, 7, (1700000000013, 0), (0, 0), 20)),
            (Op::Add(3, Val::Str(10), Fl::RoleData), x(0, 10, 8, (1700000000013, 0), (0, 0), 23)),
            (Op::Add(2, Val::Str(5000), Fl::RoleData), x(0, 12, 10, (1700000000013, 0), (0, 0), 25)),
            (Op::MaxLen(true, 1, None), x(11, 1, 1, (1700000000024, 0), (0, 0), 25)),
        ],
    },
    Scenario {
        name: "numeric_values",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Seq,
        steps: &[
            (Op::Add(1000, Val::Num, Fl::RoleData), x(0, 1000, 10, (1000, 1), (0, 0), 1000)),
            (Op::MaxLen(true, 777, None), x(200, 800, 8, (1000, 201), (0, 0), 1000)),
            (Op::Add(300, Val::Big, Fl::RoleData), x(0, 1100, 11, (1000, 201), (0, 0), 1300)),
            (Op::MaxLen(true, 555, None), x(500, 600, 6, (1000, 701), (0, 0), 1300)),
        ],
    },
    Scenario {
        name: "mixed_fields",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Ms7,
        steps: &[
            (Op::Add(700, Val::Mixed(40), Fl::Mix), x(0, 700, 13, (1700000000000, 0), (0, 0), 700)),
            (Op::MaxLen(true, 400, None), x(278, 422, 8, (1700002201482, 2), (0, 0), 700)),
            (Op::MaxLen(false, 333, None), x(89, 333, 7, (1700002906273, 1), (0, 0), 700)),
            (Op::Add(100, Val::Mixed(40), Fl::NumNames), x(0, 433, 9, (1700002906273, 1), (0, 0), 800)),
            (Op::MaxLen(true, 150, None), x(243, 190, 4, (1700004830590, 1), (0, 0), 800)),
        ],
    },
    Scenario {
        name: "node_max_entries_7",
        limits: limits(7, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(100, Val::Str(20), Fl::RoleData), x(0, 100, 15, (1700000000000, 0), (0, 0), 100)),
            (Op::MaxLen(true, 50, None), x(49, 51, 8, (1700000000049, 0), (0, 0), 100)),
            (Op::MaxLen(true, 50, None), x(0, 51, 8, (1700000000049, 0), (0, 0), 100)),
            (Op::MaxLen(false, 40, None), x(11, 40, 7, (1700000000060, 0), (0, 0), 100)),
            (Op::MaxLen(true, 30, None), x(10, 30, 5, (1700000000070, 0), (0, 0), 100)),
            (Op::MaxLen(true, 0, None), x(30, 0, 0, (0, 0), (0, 0), 100)),
        ],
    },
    Scenario {
        name: "node_max_bytes_300",
        limits: limits(100, 300),
        cap: None,
        ids: Ids::Burst,
        steps: &[
            (Op::Add(100, Val::Str(20), Fl::RoleData), x(0, 100, 15, (1700000000000, 0), (0, 0), 100)),
            (Op::MaxLen(true, 50, None), x(49, 51, 8, (1700000000000, 49), (0, 0), 100)),
            (Op::Add(40, Val::Str(70), Fl::Mix), x(0, 91, 26, (1700000000000, 49), (0, 0), 140)),
            (Op::MaxLen(true, 60, None), x(27, 64, 22, (1700000000001, 26), (0, 0), 140)),
        ],
    },
    Scenario {
        name: "unlimited_entries",
        limits: limits(0, 4096),
        cap: None,
        ids: Ids::Burst,
        steps: &[
            (Op::Add(2000, Val::Str(1), Fl::RoleData), x(0, 2000, 10, (1700000000000, 0), (0, 0), 2000)),
            (Op::MaxLen(true, 1000, None), x(824, 1176, 6, (1700000000016, 24), (0, 0), 2000)),
            (Op::MaxLen(true, 100, None), x(1011, 165, 1, (1700000000036, 35), (0, 0), 2000)),
        ],
    },
    Scenario {
        name: "unlimited_bytes",
        limits: limits(50, 0),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(300, Val::Str(200), Fl::RoleData), x(0, 300, 6, (1700000000000, 0), (0, 0), 300)),
            (Op::MaxLen(true, 120, None), x(150, 150, 3, (1700000000150, 0), (0, 0), 300)),
            (Op::MaxLen(false, 99, None), x(51, 99, 2, (1700000000201, 0), (0, 0), 300)),
        ],
    },
    Scenario {
        name: "xdel_counts_toward_node_entries",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(150, Val::Str(8), Fl::RoleData), x(0, 150, 2, (1700000000000, 0), (0, 0), 150)),
            (Op::Del(&[100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139]), x(40, 110, 2, (1700000000000, 0), (1700000000139, 0), 150)),
            (Op::Add(20, Val::Str(8), Fl::RoleData), x(0, 130, 2, (1700000000000, 0), (1700000000139, 0), 170)),
            (Op::Del(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99]), x(100, 30, 1, (1700000000140, 0), (1700000000139, 0), 170)),
            (Op::Add(50, Val::Str(8), Fl::RoleData), x(0, 80, 2, (1700000000140, 0), (1700000000139, 0), 220)),
            (Op::MaxLen(true, 10, None), x(60, 20, 1, (1700000000200, 0), (1700000000139, 0), 220)),
        ],
    },
    Scenario {
        name: "xdel_counter_sizes",
        limits: limits(0, 4096),
        cap: None,
        ids: Ids::Seq,
        steps: &[
            (Op::Add(300, Val::Str(1), Fl::RoleData), x(0, 300, 2, (1000, 1), (0, 0), 300)),
            (Op::Del(&[0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64, 66, 68, 70, 72, 74, 76, 78, 80, 82, 84, 86, 88, 90, 92, 94, 96, 98, 100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 122, 124, 126, 128, 130, 132, 134, 136, 138, 140, 142, 144, 146, 148, 150, 152, 154, 156, 158, 160, 162, 164, 166, 168, 170, 172, 174, 176, 178, 180, 182, 184, 186, 188, 190, 192, 194, 196, 198, 200, 202, 204, 206, 208, 210, 212, 214, 216, 218, 220, 222, 224, 226, 228, 230, 232, 234, 236, 238, 240, 242, 244, 246, 248, 250, 252, 254, 256, 258, 260, 262, 264, 266, 268, 270, 272, 274, 276, 278, 280, 282, 284, 286, 288, 290, 292, 294, 296, 298]), x(150, 150, 2, (1000, 2), (1000, 299), 300)),
            (Op::Add(300, Val::Str(1), Fl::RoleData), x(0, 450, 3, (1000, 2), (1000, 299), 600)),
            (Op::Del(&[1, 3, 599, 598]), x(4, 446, 3, (1000, 6), (1000, 600), 600)),
            (Op::Add(500, Val::Str(1), Fl::RoleData), x(0, 946, 6, (1000, 6), (1000, 600), 1100)),
            (Op::MaxLen(true, 600, None), x(257, 689, 4, (1000, 410), (1000, 600), 1100)),
        ],
    },
    Scenario {
        name: "xdel_head_node_and_first_id",
        limits: limits(10, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(35, Val::Str(5), Fl::RoleData), x(0, 35, 4, (1700000000000, 0), (0, 0), 35)),
            (Op::Del(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), x(10, 25, 3, (1700000000010, 0), (1700000000009, 0), 35)),
            (Op::Del(&[12, 10, 99]), x(2, 23, 3, (1700000000011, 0), (1700000000012, 0), 35)),
            (Op::Del(&[34]), x(1, 22, 3, (1700000000011, 0), (1700000000034, 0), 35)),
            (Op::Add(3, Val::Str(5), Fl::RoleData), x(0, 25, 3, (1700000000011, 0), (1700000000034, 0), 38)),
            (Op::Del(&[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37]), x(25, 0, 0, (0, 0), (1700000000037, 0), 38)),
        ],
    },
    Scenario {
        name: "minid",
        limits: limits(10, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(55, Val::Str(5), Fl::RoleData), x(0, 55, 6, (1700000000000, 0), (0, 0), 55)),
            (Op::MinId(true, 15, None), x(10, 45, 5, (1700000000010, 0), (0, 0), 55)),
            (Op::MinId(true, 21, None), x(10, 35, 4, (1700000000020, 0), (0, 0), 55)),
            (Op::MinId(false, 23, None), x(3, 32, 4, (1700000000023, 0), (0, 0), 55)),
            (Op::MinId(true, 30, None), x(7, 25, 3, (1700000000030, 0), (0, 0), 55)),
            (Op::MinId(false, 30, None), x(0, 25, 3, (1700000000030, 0), (0, 0), 55)),
            (Op::MinId(false, 1000, None), x(25, 0, 0, (0, 0), (0, 0), 55)),
        ],
    },
    Scenario {
        name: "minid_trailing_tombstone",
        limits: limits(10, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(15, Val::Str(5), Fl::RoleData), x(0, 15, 2, (1700000000000, 0), (0, 0), 15)),
            (Op::Del(&[9]), x(1, 14, 2, (1700000000000, 0), (1700000000009, 0), 15)),
            (Op::MinId(false, 9, None), x(9, 5, 2, (1700000000010, 0), (1700000000009, 0), 15)),
            (Op::Add(1, Val::Str(5), Fl::RoleData), x(0, 6, 2, (1700000000010, 0), (1700000000009, 0), 16)),
            (Op::Del(&[19, 15]), x(1, 5, 2, (1700000000010, 0), (1700000000015, 0), 16)),
            (Op::MinId(false, 16, None), x(5, 0, 0, (0, 0), (1700000000015, 0), 16)),
            (Op::Add(4, Val::Str(5), Fl::RoleData), x(0, 4, 1, (1700000000016, 0), (1700000000015, 0), 20)),
            (Op::MaxLen(true, 0, None), x(4, 0, 0, (0, 0), (1700000000015, 0), 20)),
        ],
    },
    Scenario {
        name: "trim_limit",
        limits: limits(10, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::Add(200, Val::Str(5), Fl::RoleData), x(0, 200, 20, (1700000000000, 0), (0, 0), 200)),
            (Op::MaxLen(true, 0, Some(25)), x(20, 180, 18, (1700000000020, 0), (0, 0), 200)),
            (Op::MaxLen(true, 0, Some(30)), x(30, 150, 15, (1700000000050, 0), (0, 0), 200)),
            (Op::MinId(true, 150, Some(45)), x(40, 110, 11, (1700000000090, 0), (0, 0), 200)),
            (Op::MaxLen(true, 0, Some(0)), x(110, 0, 0, (0, 0), (0, 0), 200)),
            (Op::Add(2000, Val::Str(5), Fl::RoleData), x(0, 2000, 200, (1700000000200, 0), (0, 0), 2200)),
            (Op::MaxLen(true, 0, None), x(1000, 1000, 100, (1700000001200, 0), (0, 0), 2200)),
        ],
    },
    Scenario {
        name: "xadd_maxlen_approx",
        limits: limits(100, 4096),
        cap: None,
        ids: Ids::Ms,
        steps: &[
            (Op::AddTrim(1000, Val::Str(80), Fl::RoleData, 250), x(720, 280, 7, (1700000000720, 0), (0, 0), 1000)),
            (Op::AddTrim(500, Val::Mixed(30), Fl::Mix, 100), x(622, 158, 3, (1700000001342, 0), (0, 0), 1500)),
        ],
    },
    Scenario {
        name: "xadd_maxlen_approx_small_nodes",
        limits: limits(7, 4096),
        cap: None,
        ids: Ids::Burst,
        steps: &[
            (Op::AddTrim(1000, Val::Str(10), Fl::RoleData, 50), x(945, 55, 8, (1700000000018, 45), (0, 0), 1000)),
        ],
    },
    Scenario {
        name: "ring_3",
        limits: limits(100, 4096),
        cap: Some(3),
        ids: Ids::Ms,
        steps: &[
            (Op::Add(10, Val::Str(10), Fl::RoleData), x(7, 3, 1, (1700000000007, 0), (0, 0), 10)),
            (Op::Del(&[9]), x(1, 2, 1, (1700000000007, 0), (1700000000009, 0), 10)),
            (Op::Add(2, Val::Str(10), Fl::RoleData), x(1, 3, 1, (1700000000008, 0), (1700000000009, 0), 12)),
        ],
    },
    Scenario {
        name: "ring_1000_role_data",
        limits: limits(100, 4096),
        cap: Some(1000),
        ids: Ids::Burst,
        steps: &[
            (Op::Add(3000, Val::Str(80), Fl::RoleData), x(2000, 1000, 25, (1700000000040, 0), (0, 0), 3000)),
            (Op::MaxLen(true, 900, None), x(80, 920, 23, (1700000000041, 30), (0, 0), 3000)),
            (Op::Add(500, Val::Str(80), Fl::RoleData), x(420, 1000, 26, (1700000000050, 0), (0, 0), 3500)),
        ],
    },
    Scenario {
        name: "ring_150_small_nodes",
        limits: limits(7, 300),
        cap: Some(150),
        ids: Ids::Ms7,
        steps: &[
            (Op::Add(1000, Val::Mixed(20), Fl::Mix), x(850, 150, 31, (1700006731150, 1), (0, 0), 1000)),
            (Op::Del(&[999, 998, 900]), x(3, 147, 30, (1700006731150, 1), (1700007911081, 0), 1000)),
            (Op::Add(100, Val::Mixed(20), Fl::Mix), x(97, 150, 32, (1700007507212, 0), (1700007911081, 0), 1100)),
            (Op::MinId(true, 1050, None), x(99, 51, 11, (1700008307031, 2), (1700007911081, 0), 1100)),
        ],
    },
    Scenario {
        name: "ring_1",
        limits: limits(100, 4096),
        cap: Some(1),
        ids: Ids::Seq,
        steps: &[
            (Op::Add(250, Val::Str(3), Fl::RoleData), x(249, 1, 1, (1000, 250), (0, 0), 250)),
        ],
    },
];
