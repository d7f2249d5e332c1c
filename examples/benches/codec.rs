//! The codec and frame building: what a call costs before and after the
//! system calls.
//!
//! `cargo bench -p examples --bench codec`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use uactor_core::CodecId;
use uactor_core::frame::{FrameBuffer, Header, Kind};

/// A typical small argument list: a few fields, one short string.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Small {
    id: u64,
    name: String,
    scores: [u32; 4],
    active: bool,
}

fn small() -> Small {
    Small {
        id: 42,
        name: "counter-7".to_owned(),
        scores: [1, 20, 300, 4000],
        active: true,
    }
}

fn encode<T: Serialize>(codec: CodecId, value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    codec.encode(value, &mut out).expect("encodes");
    out
}

fn codec(c: &mut Criterion) {
    let codec = CodecId::Postcard;
    let mut group = c.benchmark_group("postcard");

    let mut out = Vec::with_capacity(256);
    group.bench_function("encode u64", |b| {
        b.iter(|| {
            out.clear();
            codec.encode(black_box(&(123_456_789u64,)), &mut out)
        })
    });
    let bytes = encode(codec, &(123_456_789u64,));
    group.bench_function("decode u64", |b| {
        b.iter(|| codec.decode::<(u64,)>(black_box(&bytes)))
    });

    let value = small();
    group.bench_function("encode small struct", |b| {
        b.iter(|| {
            out.clear();
            codec.encode(black_box(&value), &mut out)
        })
    });
    let bytes = encode(codec, &value);
    group.bench_function("decode small struct", |b| {
        b.iter(|| codec.decode::<Small>(black_box(&bytes)))
    });

    for size in [4 * 1024, 1024 * 1024] {
        group.throughput(Throughput::Bytes(size as u64));
        let bytes_value = ByteBuf::from(vec![7u8; size]);
        let vec_value = vec![7u8; size];
        let mut out = Vec::with_capacity(size + 16);
        group.bench_with_input(
            BenchmarkId::new("encode ByteBuf", size),
            &bytes_value,
            |b, value| {
                b.iter(|| {
                    out.clear();
                    codec.encode(value, &mut out)
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("encode Vec<u8>", size),
            &vec_value,
            |b, value| {
                b.iter(|| {
                    out.clear();
                    codec.encode(value, &mut out)
                })
            },
        );
        let encoded = encode(codec, &bytes_value);
        group.bench_with_input(
            BenchmarkId::new("decode ByteBuf", size),
            &encoded,
            |b, bytes| b.iter(|| codec.decode::<ByteBuf>(bytes)),
        );
        group.bench_with_input(
            BenchmarkId::new("decode Vec<u8>", size),
            &encoded,
            |b, bytes| b.iter(|| codec.decode::<Vec<u8>>(bytes)),
        );
    }
    group.finish();
}

fn frame(c: &mut Criterion) {
    let codec = CodecId::Postcard;
    let mut group = c.benchmark_group("frame");
    let header = Header {
        kind: Kind::Request,
        flags: 0,
        method: 3,
        request: 77,
        object: 0,
    };
    let mut buffer = FrameBuffer::new();
    group.bench_function("build small request", |b| {
        b.iter(|| {
            buffer.start();
            codec
                .encode(black_box(&(123_456_789u64,)), buffer.payload())
                .expect("encodes");
            buffer.finish(black_box(header)).len()
        })
    });
    buffer.start();
    codec
        .encode(&(123_456_789u64,), buffer.payload())
        .expect("encodes");
    let frame = buffer.finish(header).to_vec();
    group.bench_function("parse small request", |b| {
        b.iter(|| Header::parse(black_box(&frame)).map(|(header, _)| header))
    });

    let payload = ByteBuf::from(vec![7u8; 1024 * 1024]);
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("build 1 MiB request", |b| {
        b.iter(|| {
            buffer.start();
            codec.encode(&payload, buffer.payload()).expect("encodes");
            let length = buffer.finish(header).len();
            buffer.shrink();
            length
        })
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    codec(&mut criterion);
    frame(&mut criterion);
    criterion.final_summary();
}
