//! The uactor side of each comparison: the actor every figure is taken on,
//! and one probe per kind of use (a call, a result proxy's op, an echo, a
//! spawn, batches of calls, an actor left idle).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::stream::{FuturesUnordered, StreamExt};
use serde_bytes::ByteBuf;
use uactor::{ListProxy, Options, Shared, Transport};

use crate::MIB;
use crate::machine::cpu_time;
use crate::measure::Probe;

/// The actor every uactor figure is measured on.
pub struct Bench {
    list: Shared<Vec<u64>>,
}

#[uactor::actor]
impl Bench {
    pub fn new() -> Self {
        Bench {
            list: Shared::new(Vec::new()),
        }
    }

    /// A result proxy: the list stays in the actor.
    #[uactor(proxy)]
    pub fn list(&self) -> Shared<Vec<u64>> {
        self.list.clone()
    }

    /// The plain call: a small value there and back.
    pub fn ping(&self, n: u64) -> u64 {
        n
    }

    /// Bytes there and back, as a user who cares would send them.
    pub fn echo(&self, data: ByteBuf) -> ByteBuf {
        data
    }

    /// Bytes there and back as a plain `Vec<u8>`, which the macro carries
    /// as serde bytes too (serde alone would see a sequence of `u8`s).
    pub fn echo_vec(&self, data: Vec<u8>) -> Vec<u8> {
        data
    }

    /// Bytes there and back as `uactor::Bytes`: beside the payload, never
    /// copied into or out of it.
    pub fn echo_bytes(&self, data: uactor::Bytes) -> uactor::Bytes {
        data
    }
}
/// How many calls the pipelined measurement keeps in flight.
pub(crate) const WINDOW: usize = 256;

/// Runs one operation `count` times and nothing else, for a profiler:
/// `perf record -g -- bench --loop call 200000`, `strace -c -f …`; a name
/// with `shm-` before it (`shm-echo`) runs it on an actor over shared
/// memory.
pub(crate) fn repeat(what: &str, count: usize) -> Result<()> {
    let (what, options) = match what.strip_prefix("shm-") {
        Some(what) => (what, Options::new().transport(Transport::Shm)),
        None => (what, Options::new()),
    };
    let bench = Bench::spawn_with(&options)?;
    bench.ping(0)?;
    eprintln!("caller {}, actor {}", std::process::id(), bench.pid());
    let started = Instant::now();
    match what {
        "call" => {
            for n in 0..count as u64 {
                bench.ping(n)?;
            }
        }
        "threaded" => {
            threaded_calls(&bench, 4, count)?;
        }
        "pipelined" => {
            pipelined_calls(&bench, count, WINDOW)?;
        }
        "echo" => {
            let payload = ByteBuf::from(vec![7u8; MIB]);
            for _ in 0..count {
                bench.echo(payload.clone())?;
            }
        }
        "echo-bytes" => {
            let payload = uactor::Bytes::from(vec![7u8; MIB]);
            for _ in 0..count {
                bench.echo_bytes(payload.clone())?;
            }
        }
        "spawn" => {
            for _ in 0..count {
                let bench = Bench::spawn_with(&options)?;
                bench.ping(0)?;
                bench.shutdown()?;
            }
        }
        other => bail!("nothing to loop called {other:?}; {}", crate::USAGE),
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{count} × {what}: {:.2} µs each",
        elapsed.as_secs_f64() * 1e6 / count as f64
    );
    bench.shutdown()?;
    Ok(())
}

/// A plain call.
pub(crate) fn call(bench: &BenchProxy) -> Probe<'_> {
    Box::new(move || {
        let started = Instant::now();
        bench.ping(1)?;
        Ok(started.elapsed())
    })
}

/// A push onto a list kept in the actor, through its result proxy.
pub(crate) fn push(list: &ListProxy<u64>) -> Probe<'_> {
    Box::new(move || {
        let started = Instant::now();
        list.push(1)?;
        Ok(started.elapsed())
    })
}

/// A 1 MiB echo; the copy of the payload the call consumes is made, and
/// the reply dropped, outside the timed part.
pub(crate) fn echo<'a>(bench: &'a BenchProxy, payload: &'a ByteBuf) -> Probe<'a> {
    Box::new(move || {
        let data = payload.clone();
        let started = Instant::now();
        let reply = bench.echo(data)?;
        let elapsed = started.elapsed();
        drop(reply);
        Ok(elapsed)
    })
}

/// Spawn to first reply; the shutdown that follows (until the process is
/// reaped) goes to `shutdowns`.
pub(crate) fn spawn(shutdowns: &mut Vec<f64>) -> Probe<'_> {
    Box::new(move || {
        let started = Instant::now();
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        let spawned = started.elapsed();
        let started = Instant::now();
        bench.shutdown()?;
        shutdowns.push(started.elapsed().as_secs_f64());
        Ok(spawned)
    })
}

/// Runs `measure` on a freshly spawned actor that has answered once, then
/// shuts the actor down.
pub(crate) fn on_fresh_actor(measure: impl FnOnce(&BenchProxy) -> Result<f64>) -> Result<f64> {
    let bench = Bench::spawn()?;
    bench.ping(0)?;
    let rate = measure(&bench)?;
    bench.shutdown()?;
    Ok(rate)
}

/// How long `calls` calls take through one async twin with up to `window`
/// of them in flight at once.
pub(crate) fn pipelined_calls(bench: &BenchProxy, calls: usize, window: usize) -> Result<Duration> {
    let twin = bench.to_async();
    let started = Instant::now();
    futures::executor::block_on(async {
        let mut in_flight = FuturesUnordered::new();
        let mut sent = 0;
        while sent < calls || !in_flight.is_empty() {
            while sent < calls && in_flight.len() < window {
                in_flight.push(twin.ping(sent as u64));
                sent += 1;
            }
            if let Some(reply) = in_flight.next().await {
                reply?;
            }
        }
        Ok::<(), uactor::Error>(())
    })?;
    Ok(started.elapsed())
}

/// How long `threads` threads sharing one proxy take for `calls` calls in all.
pub(crate) fn threaded_calls(bench: &BenchProxy, threads: usize, calls: usize) -> Result<Duration> {
    let started = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let bench = bench.clone();
                scope.spawn(move || -> uactor::Result<()> {
                    for n in 0..(calls / threads) as u64 {
                        bench.ping(n)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|worker| match worker.join() {
                Ok(result) => result.map_err(anyhow::Error::from),
                Err(_) => bail!("a calling thread panicked"),
            })
    })?;
    Ok(started.elapsed())
}

/// An actor that has answered one call and is then left alone, and the
/// CPU time it had used by then.
pub(crate) struct IdleActor {
    bench: BenchProxy,
    since: Instant,
    used: Duration,
}

impl IdleActor {
    pub(crate) fn start() -> Result<Self> {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        let used = cpu_time(bench.pid())?;
        Ok(IdleActor {
            bench,
            since: Instant::now(),
            used,
        })
    }

    /// Waits until the actor has been idle for at least `window`, then
    /// returns the CPU time it used while idle, scaled to 10 s, in
    /// seconds, and the time it was idle, in seconds; then shuts it down.
    pub(crate) fn finish(self, window: Duration) -> Result<(f64, f64)> {
        if let Some(left) = window.checked_sub(self.since.elapsed()) {
            std::thread::sleep(left);
        }
        let used = cpu_time(self.bench.pid())?.saturating_sub(self.used);
        let idle = self.since.elapsed().as_secs_f64();
        self.bench.shutdown()?;
        Ok((used.as_secs_f64() * 10.0 / idle, idle))
    }
}
