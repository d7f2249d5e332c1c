//! A plain call round trip through a spawned actor, under criterion.
//!
//! `cargo bench -p examples --bench call`. `examples/bench.rs` measures the
//! same call next to the machine's floor; this one tracks it over time.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use serde_bytes::ByteBuf;

#[derive(Default)]
pub struct Bench;

#[uactor::actor]
impl Bench {
    pub fn ping(&self, n: u64) -> u64 {
        n
    }

    pub fn echo(&self, data: ByteBuf) -> ByteBuf {
        data
    }
}

fn call(c: &mut Criterion) {
    let bench = Bench::spawn().expect("spawns the actor");
    let mut group = c.benchmark_group("call");
    group.bench_function("ping", |b| {
        b.iter(|| bench.ping(black_box(1)).expect("answers"))
    });
    let payload = ByteBuf::from(vec![7u8; 4096]);
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("echo 4 KiB", |b| {
        b.iter(|| bench.echo(payload.clone()).expect("answers"))
    });
    group.finish();
    bench.shutdown().expect("shuts down");
}

fn main() {
    // The actor's process is this binary again; it must not run the benches.
    uactor::init();
    let mut criterion = Criterion::default().configure_from_args();
    call(&mut criterion);
    criterion.final_summary();
}
