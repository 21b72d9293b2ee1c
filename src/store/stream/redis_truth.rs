//! Node accounting against real Redis: scenarios run on redis-server 7.0.15 and
//! replayed on [`Stream`]; after every step the length, the trim/delete reply,
//! `radix-tree-keys`, `recorded-first-entry-id`, `max-deleted-entry-id` and
//! `entries-added` must equal what Redis reported.
//!
//! The expectations were recorded by a script that sent the very same commands
//! (explicit IDs, so listpack deltas are deterministic) to
//! `redis-server --port 7104 --save ''` after `CONFIG SET stream-node-max-entries`
//! / `stream-node-max-bytes`, read `XINFO STREAM` after each step, and printed
//! this table: `redis_truth/gen_table.py` (regenerates `redis_truth/table.rs`).
//! The generators below (`ident`, `value`, `fields`) mirror it.

use bytes::Bytes;

use super::{refs, IdSpec, NodeLimits, Stream, StreamId, TrimStrategy};

mod table;

use table::SCENARIOS;

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

pub(super) const fn x(
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

pub(super) const fn limits(max_entries: usize, max_bytes: usize) -> NodeLimits {
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
    c.to_string().repeat(n)
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
                    let added = s
                        .add(IdSpec::Explicit(id), &refs(&f), 0, &limits)
                        .expect("add");
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
