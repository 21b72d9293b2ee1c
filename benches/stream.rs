//! Stream store micro benchmarks: appending to a full ring, reading a range
//! into a reply buffer, and parsing IDs.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringbus::store::stream::{IdSpec, NodeLimits, Stream, StreamId};

const LIMITS: NodeLimits = NodeLimits {
    max_entries: 100,
    max_bytes: 4096,
};
const T0: u64 = 1_700_000_000_000;

/// `role <user|assistant> data <80 bytes>`.
fn event(i: u64) -> Vec<Vec<u8>> {
    let role: &'static [u8] = if i % 2 == 0 { b"user" } else { b"assistant" };
    vec![
        b"role".to_vec(),
        role.to_vec(),
        b"data".to_vec(),
        vec![b'a' + (i % 26) as u8; 80],
    ]
}

/// The fields as [`Stream::add`] takes them.
fn refs(event: &[Vec<u8>]) -> Vec<&[u8]> {
    event.iter().map(Vec::as_slice).collect()
}

/// A full 1000-entry ring, three events per millisecond.
fn full_ring() -> (Stream, u64) {
    let mut s = Stream::new(1000);
    let mut i = 0;
    while i < 2000 {
        let _ = s.add(IdSpec::Auto, &refs(&event(i)), T0 + i / 3, &LIMITS);
        i += 1;
    }
    (s, i)
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Elements(1));
    let (mut s, mut i) = full_ring();
    let owned: Vec<Vec<Vec<u8>>> = (0..2).map(event).collect();
    let events: Vec<Vec<&[u8]>> = owned.iter().map(|e| refs(e)).collect();
    g.bench_function("append_full_ring_1000", |b| {
        b.iter(|| {
            let added = s.add(IdSpec::Auto, &events[(i % 2) as usize], T0 + i / 3, &LIMITS);
            i += 1;
            black_box(added)
        })
    });
    g.finish();
}

fn range(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream");
    let (s, _) = full_ring();
    let mut out = BytesMut::with_capacity(64 * 1024);
    g.throughput(Throughput::Elements(100));
    g.bench_function("range_100_resp", |b| {
        b.iter(|| {
            out.clear();
            for e in s.range(StreamId::MIN, StreamId::MAX, Some(100), false) {
                e.write_resp(&mut out);
            }
            black_box(out.len())
        })
    });
    g.throughput(Throughput::Elements(10));
    g.bench_function("revrange_10_resp", |b| {
        b.iter(|| {
            out.clear();
            for e in s.range(StreamId::MIN, StreamId::MAX, Some(10), true) {
                e.write_resp(&mut out);
            }
            black_box(out.len())
        })
    });
    let mid = s
        .range(StreamId::MIN, StreamId::MAX, None, false)
        .nth(500)
        .map_or(StreamId::MIN, |e| e.id);
    g.throughput(Throughput::Elements(10));
    g.bench_function("read_after_mid_10_resp", |b| {
        b.iter(|| {
            out.clear();
            let start = black_box(mid).incr().unwrap_or(StreamId::MAX);
            for e in s.range(start, StreamId::MAX, Some(10), false) {
                e.write_resp(&mut out);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

fn parse_ids(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream_id");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_ms_seq", |b| {
        b.iter(|| StreamId::parse(black_box(b"1700000000123-42"), 0))
    });
    g.bench_function("parse_xadd_star", |b| {
        b.iter(|| IdSpec::parse(black_box(b"*")))
    });
    g.bench_function("parse_range_exclusive", |b| {
        b.iter(|| StreamId::parse_range_start(black_box(b"(1700000000123-42")))
    });
    g.bench_function("format_bulk", |b| {
        let mut out = BytesMut::with_capacity(64);
        let id = StreamId::new(T0, 42);
        b.iter(|| {
            out.clear();
            black_box(id).write_bulk(&mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, append, range, parse_ids);
criterion_main!(benches);
