//! Reply encoding micro benchmarks: the headers and scalars every reply is made of,
//! an XADD reply (one ID as a bulk string), and XRANGE replies of 10 and 100
//! entries written straight from the ring.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringbus::protocol::{Protocol, Reply};
use ringbus::store::stream::{IdSpec, NodeLimits, Stream, StreamId};

const LIMITS: NodeLimits = NodeLimits {
    max_entries: 100,
    max_bytes: 4096,
};
const T0: u64 = 1_700_000_000_000;

fn full_ring() -> Stream {
    let mut s = Stream::new(1000);
    for i in 0..1000u64 {
        let role: &'static [u8] = if i % 2 == 0 { b"user" } else { b"assistant" };
        let value = vec![b'a' + (i % 26) as u8; 64 + (i % 37) as usize];
        let fields: [&[u8]; 4] = [b"role", role, b"data", &value];
        let _ = s.add(IdSpec::Auto, &fields, T0 + i / 3, &LIMITS);
    }
    s
}

fn scalars(c: &mut Criterion) {
    let mut g = c.benchmark_group("reply");
    let mut out = Reply::new(Protocol::Resp2);
    g.throughput(Throughput::Elements(1));
    g.bench_function("array_header", |b| {
        b.iter(|| {
            out.truncate(0);
            out.array(black_box(1000));
            black_box(out.len())
        })
    });
    g.bench_function("integer", |b| {
        b.iter(|| {
            out.truncate(0);
            out.integer(black_box(123_456));
            black_box(out.len())
        })
    });
    let value = vec![b'v'; 80];
    g.bench_function("bulk_80", |b| {
        b.iter(|| {
            out.truncate(0);
            out.bulk(black_box(&value));
            black_box(out.len())
        })
    });
    g.bench_function("xadd_id", |b| {
        let id = StreamId::new(T0, 7);
        b.iter(|| {
            out.truncate(0);
            black_box(id).write_bulk(out.buffer_mut());
            black_box(out.len())
        })
    });
    g.bench_function("error", |b| {
        b.iter(|| {
            out.truncate(0);
            out.error(black_box(
                "ERR The ID specified in XADD is equal or smaller",
            ));
            black_box(out.len())
        })
    });
    g.finish();
}

fn ranges(c: &mut Criterion) {
    let mut g = c.benchmark_group("reply");
    let s = full_ring();
    let mut out = Reply::new(Protocol::Resp2);
    for count in [10usize, 100] {
        g.throughput(Throughput::Elements(count as u64));
        g.bench_function(format!("xrange_{count}"), |b| {
            b.iter(|| {
                out.truncate(0);
                out.array(count);
                for e in s.range(StreamId::MIN, StreamId::MAX, Some(count), false) {
                    e.write_resp(out.buffer_mut());
                }
                black_box(out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, scalars, ranges);
criterion_main!(benches);
