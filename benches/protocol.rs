//! Request parser micro benchmarks: a pipelined batch of stream appends, and one
//! long inline command.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ringbus::protocol::{ParseLimits, RequestParser};

const LIMITS: ParseLimits = ParseLimits {
    max_bulk_len: 512 * 1024 * 1024,
    authenticated: true,
};

/// 1000 pipelined `XADD sess:conversation * role user data <80 bytes>`.
fn xadd_batch() -> Vec<u8> {
    let data = [b'x'; 80];
    let args: [&[u8]; 7] = [
        b"XADD",
        b"sess:conversation",
        b"*",
        b"role",
        b"user",
        b"data",
        &data,
    ];
    let mut out = Vec::new();
    for _ in 0..1000 {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// One inline command of 100 arguments, some of them quoted.
fn inline_100() -> Vec<u8> {
    let mut line = b"RPUSH list".to_vec();
    for i in 0..98 {
        let arg = match i % 4 {
            0 => format!(" \"value {i}\\n\""),
            1 => format!(" 'it''s {i}'").replace("''", "\\'"),
            _ => format!(" value-{i}"),
        };
        line.extend_from_slice(arg.as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// Parses every request in `input`, returning how many arguments it saw.
fn parse_all(input: &[u8]) -> usize {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(input);
    let mut args = 0;
    while let Ok(Some(request)) = parser.next_request(&mut buf, &LIMITS) {
        args += request.len();
    }
    args
}

fn bench_parser(c: &mut Criterion) {
    let mut group = c.benchmark_group("parser");

    let batch = xadd_batch();
    assert_eq!(parse_all(&batch), 7000);
    group.throughput(Throughput::Bytes(batch.len() as u64));
    group.bench_function("multibulk_xadd_x1000", |b| {
        b.iter_batched(
            || BytesMut::from(&batch[..]),
            |mut buf| {
                let mut parser = RequestParser::new();
                while let Ok(Some(request)) = parser.next_request(&mut buf, &LIMITS) {
                    black_box(request);
                }
            },
            BatchSize::SmallInput,
        )
    });

    let line = inline_100();
    assert_eq!(parse_all(&line), 100);
    group.throughput(Throughput::Bytes(line.len() as u64));
    group.bench_function("inline_100_args", |b| {
        b.iter_batched(
            || BytesMut::from(&line[..]),
            |mut buf| {
                let mut parser = RequestParser::new();
                black_box(
                    parser
                        .next_request(&mut buf, &LIMITS)
                        .map(|r| r.map(|r| r.len())),
                )
            },
            BatchSize::SmallInput,
        )
    });

    group.finish();
}

criterion_group!(benches, bench_parser);
criterion_main!(benches);
