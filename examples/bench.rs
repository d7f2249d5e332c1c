//! How close a proxy call comes to what this machine charges for the same
//! work without uactor.
//!
//! Every uactor figure is measured next to its floor in the same run: the
//! floor does the same work with plain Unix sockets and processes (this very
//! binary, re-executed in a helper role), so each figure reads as a ratio.
//! Medians over many iterations, after a warm-up.
//!
//! ```text
//! cargo run --release --example bench             # a table
//! cargo run --release --example bench -- --json   # one JSON object
//! cargo run --release --example bench -- --full   # ten times the iterations
//! ```
//!
//! "Same core" pins the caller thread and every thread of the other process
//! to CPU 0; "cross core" puts the caller on CPU 0 and the other side on
//! CPU 1.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::stream::{FuturesUnordered, StreamExt};
use rustix::process::Pid;
use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
use serde_bytes::ByteBuf;
use uactor::{ListProxy, Shared};

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

    /// Bytes there and back as a plain `Vec<u8>` (serde sees a sequence).
    pub fn echo_vec(&self, data: Vec<u8>) -> Vec<u8> {
        data
    }
}

/// Names the helper role when this binary is re-executed for a floor.
const ROLE: &str = "UACTOR_BENCH_ROLE";
/// The socket a helper connects to.
const SOCKET: &str = "UACTOR_BENCH_SOCKET";
/// The CPU a helper pins itself to, if any.
const CPU: &str = "UACTOR_BENCH_CPU";
/// The size of one message an echoing helper answers.
const SIZE: &str = "UACTOR_BENCH_SIZE";

const MIB: usize = 1024 * 1024;
/// How many calls the pipelined measurement keeps in flight.
const WINDOW: usize = 256;
/// The size of one pipelined message in the floor: about a call's frame.
const PIPELINED_MESSAGE: usize = 32;
/// How long a spinning reader polls before it blocks.
const SPIN: Duration = Duration::from_micros(100);

const USAGE: &str =
    "usage: bench [--json] [--full] | bench --loop call|echo|spawn|threaded|pipelined [COUNT]";

fn main() -> Result<()> {
    uactor::init();
    if let Ok(role) = std::env::var(ROLE) {
        return helper(&role);
    }
    let mut json = false;
    let mut full = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--full" => full = true,
            "--loop" => {
                let what = args.next().unwrap_or_default();
                let count = args.next().unwrap_or_default().parse().unwrap_or(100_000);
                return repeat(&what, count);
            }
            other => bail!("unknown argument {other:?}; {USAGE}"),
        }
    }
    let plan = if full {
        Plan::full()
    } else if cfg!(debug_assertions) {
        // CI runs every example unoptimized: check that everything runs,
        // quickly; the figures mean nothing there.
        eprintln!("bench: an unoptimized build measures little; use --release for figures");
        Plan::smoke()
    } else {
        Plan::quick()
    };
    let report = run(&plan)?;
    if json {
        println!("{}", report.json());
    } else {
        report.print_table();
    }
    Ok(())
}

/// Runs one operation `count` times and nothing else, for a profiler:
/// `perf record -g -- bench --loop call 200000`, `strace -c -f …`.
fn repeat(what: &str, count: usize) -> Result<()> {
    let bench = Bench::spawn()?;
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
        "spawn" => {
            for _ in 0..count {
                let bench = Bench::spawn()?;
                bench.ping(0)?;
                bench.shutdown()?;
            }
        }
        other => bail!("nothing to loop called {other:?}; {USAGE}"),
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{count} × {what}: {:.2} µs each",
        elapsed.as_secs_f64() * 1e6 / count as f64
    );
    bench.shutdown()?;
    Ok(())
}

/// Iteration counts; `--full` multiplies the quick ones by ten.
struct Plan {
    full: bool,
    calls: usize,
    cross_calls: usize,
    spawns: usize,
    echoes: usize,
    vec_echoes: usize,
    spin_same_core: usize,
    pipelined: usize,
}

impl Plan {
    fn quick() -> Self {
        Plan {
            full: false,
            calls: 20_000,
            cross_calls: 3_000,
            spawns: 30,
            echoes: 200,
            vec_echoes: 30,
            spin_same_core: 200,
            pipelined: 200_000,
        }
    }

    /// A tenth of the quick run, for unoptimized builds.
    fn smoke() -> Self {
        let quick = Plan::quick();
        Plan {
            full: false,
            calls: quick.calls / 10,
            cross_calls: quick.cross_calls / 10,
            spawns: quick.spawns / 3,
            echoes: quick.echoes / 10,
            vec_echoes: 1,
            spin_same_core: quick.spin_same_core / 10,
            pipelined: quick.pipelined / 10,
        }
    }

    fn full() -> Self {
        let quick = Plan::quick();
        Plan {
            full: true,
            calls: quick.calls * 10,
            cross_calls: quick.cross_calls * 10,
            spawns: quick.spawns * 10,
            echoes: quick.echoes * 10,
            vec_echoes: quick.vec_echoes * 10,
            spin_same_core: quick.spin_same_core * 10,
            pipelined: quick.pipelined * 10,
        }
    }

    /// A tenth of `n` (at least one) runs first, untimed.
    fn warmup(n: usize) -> usize {
        (n / 10).max(1)
    }
}

fn run(plan: &Plan) -> Result<Report> {
    let cpus = Affinity::original()?;
    let cross = cpus.count() >= 2;
    let mut report = Report::default();
    report.text("machine", machine());
    report.int("cpus", cpus.count() as u64);
    let mode = if plan.full {
        "full"
    } else if cfg!(debug_assertions) {
        "smoke (unoptimized)"
    } else {
        "quick"
    };
    report.text("mode", mode.to_owned());

    // Round trips, each next to its floor.
    {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        let peer = Peer::start("echo", None, 8)?;
        let medians = interleaved(plan.calls, &mut [call(&bench), peer.ping_pong()])?;
        report.micros("call_rtt_us_median", medians[0]);
        report.micros("floor_uds_us_median", medians[1]);
        bench.shutdown()?;
    }
    {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        pin_process(bench.pid(), 0)?;
        // A proxy whose async twin has waited once: its blocking calls now
        // get their replies through the connection's reader thread.
        let switched = Bench::spawn()?;
        futures::executor::block_on(switched.to_async().ping(0))?;
        pin_process(switched.pid(), 0)?;
        let peer = Peer::start("echo", Some(0), 8)?;
        let list = bench.list()?;
        let _pinned = cpus.pin_this_thread(0)?;
        let medians = interleaved(
            plan.calls,
            &mut [call(&bench), peer.ping_pong(), call(&switched), push(&list)],
        )?;
        report.micros("call_rtt_same_core_us_median", medians[0]);
        report.micros("floor_uds_same_core_us_median", medians[1]);
        report.micros("call_rtt_same_core_after_async_us_median", medians[2]);
        // A result proxy's op, same core, next to the plain call.
        report.micros("list_push_us_median", medians[3]);
        bench.shutdown()?;
        switched.shutdown()?;
    }
    if cross {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        pin_process(bench.pid(), 1)?;
        let peer = Peer::start("echo", Some(1), 8)?;
        let spinning = Peer::start("spin-echo", Some(1), 8)?;
        let yielding = Peer::start("yield-echo", Some(1), 8)?;
        // Only this side polls; the helper blocks, as an actor that does not
        // poll for its next request would.
        let caller_yielding = Peer::start("echo", Some(1), 8)?.caller_waits(Wait::Yield)?;
        let _pinned = cpus.pin_this_thread(0)?;
        let medians = interleaved(
            plan.cross_calls,
            &mut [
                call(&bench),
                peer.ping_pong(),
                spinning.ping_pong(),
                yielding.ping_pong(),
                caller_yielding.ping_pong(),
            ],
        )?;
        report.micros("call_rtt_cross_core_us_median", medians[0]);
        report.micros("floor_uds_cross_core_us_median", medians[1]);
        report.micros("floor_spin_cross_core_us_median", medians[2]);
        report.micros("floor_yield_cross_core_us_median", medians[3]);
        report.micros("floor_yield_caller_only_cross_core_us_median", medians[4]);
        bench.shutdown()?;
    } else {
        report.null("call_rtt_cross_core_us_median");
        report.null("floor_uds_cross_core_us_median");
        report.null("floor_spin_cross_core_us_median");
        report.null("floor_yield_cross_core_us_median");
        report.null("floor_yield_caller_only_cross_core_us_median");
    }
    {
        // Spinning where the other side needs the same core: what an
        // adaptive spin must avoid (or yield its way out of).
        let spinning = Peer::start("spin-echo", Some(0), 8)?;
        let yielding = Peer::start("yield-echo", Some(0), 8)?;
        let _pinned = cpus.pin_this_thread(0)?;
        let medians = interleaved(
            plan.spin_same_core,
            &mut [spinning.ping_pong(), yielding.ping_pong()],
        )?;
        report.micros("floor_spin_same_core_us_median", medians[0]);
        report.micros("floor_yield_same_core_us_median", medians[1]);
    }

    // Throughput, each batch on a fresh actor of its own (a proxy whose
    // async twin has waited once reads its replies on a thread of its own
    // from then on), spawned outside the timed part.
    {
        let peer = Peer::start("stream", None, PIPELINED_MESSAGE)?;
        let calls = plan.calls / RATE_ROUNDS;
        let messages = plan.pipelined / RATE_ROUNDS;
        let medians = rates(&mut [
            Box::new(|| {
                on_fresh_actor(|bench| {
                    let started = Instant::now();
                    for n in 0..calls as u64 {
                        bench.ping(n)?;
                    }
                    Ok(calls as f64 / started.elapsed().as_secs_f64())
                })
            }),
            Box::new(|| {
                on_fresh_actor(|bench| {
                    Ok(calls as f64 / threaded_calls(bench, 4, calls)?.as_secs_f64())
                })
            }),
            Box::new(|| {
                on_fresh_actor(|bench| {
                    Ok(messages as f64 / pipelined_calls(bench, messages, WINDOW)?.as_secs_f64())
                })
            }),
            Box::new(|| Ok(messages as f64 / floor_pipelined(&peer, messages)?.as_secs_f64())),
        ])?;
        report.number("calls_per_s", medians[0]);
        report.number("threaded_calls_per_s", medians[1]);
        report.number("pipelined_calls_per_s", medians[2]);
        report.number("floor_uds_pipelined_per_s", medians[3]);
    }

    // Life cycle.
    {
        let mut shutdowns = Vec::new();
        let program = std::env::current_exe()?;
        let medians = interleaved(
            plan.spawns,
            &mut [
                spawn(&mut shutdowns),
                reexec(&program, false),
                reexec(&program, true),
            ],
        )?;
        report.millis("spawn_ms_median", medians[0]);
        report.millis("shutdown_ms_median", median_of(shutdowns));
        report.millis("floor_reexec_ms_median", medians[1]);
        report.millis("floor_reexec_fork_ms_median", medians[2]);
    }

    // Large values.
    {
        let bench = Bench::spawn()?;
        let peer = Peer::start("echo", None, MIB)?;
        let bytes = ByteBuf::from(vec![7u8; MIB]);
        let medians = interleaved(plan.echoes, &mut [echo(&bench, &bytes), peer.echo(MIB)])?;
        report.millis("echo_1mib_ms_median", medians[0]);
        report.millis("floor_uds_echo_1mib_ms_median", medians[1]);
        let vector = vec![7u8; MIB];
        let vec_echo: Probe<'_> = Box::new(|| {
            let data = vector.clone();
            let started = Instant::now();
            let reply = bench.echo_vec(data)?;
            let elapsed = started.elapsed();
            drop(reply);
            Ok(elapsed)
        });
        report.millis(
            "echo_1mib_vec_ms_median",
            interleaved(plan.vec_echoes, &mut [vec_echo])?[0],
        );
        // What the actor keeps after large calls.
        report.int("actor_rss_after_echo_kib", rss_kib(bench.pid())?);
        bench.shutdown()?;
    }

    // Memory: an actor that has answered once and then waits, next to this
    // binary waiting with no actor in it.
    {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        std::thread::sleep(Duration::from_millis(50));
        report.int("actor_idle_rss_kib", rss_kib(bench.pid())?);
        bench.shutdown()?;
        report.int("floor_idle_rss_kib", floor_idle_rss()?);
    }

    // The ratios the goals name.
    report.ratio(
        "ratio_call_rtt_same_core_to_floor",
        "call_rtt_same_core_us_median",
        "floor_uds_same_core_us_median",
    );
    report.ratio(
        "ratio_call_rtt_cross_core_to_floor",
        "call_rtt_cross_core_us_median",
        "floor_uds_cross_core_us_median",
    );
    report.ratio(
        "ratio_call_rtt_to_floor",
        "call_rtt_us_median",
        "floor_uds_us_median",
    );
    report.ratio(
        "ratio_spawn_to_reexec",
        "spawn_ms_median",
        "floor_reexec_ms_median",
    );
    report.ratio(
        "ratio_echo_1mib_to_floor",
        "echo_1mib_ms_median",
        "floor_uds_echo_1mib_ms_median",
    );
    report.ratio(
        "ratio_list_push_to_call",
        "list_push_us_median",
        "call_rtt_same_core_us_median",
    );
    Ok(report)
}

/// One timed operation: runs once and returns how long the part that
/// counts took (setup such as copying a payload is left out).
type Probe<'a> = Box<dyn FnMut() -> Result<Duration> + 'a>;

/// One throughput measurement: runs a batch and returns operations per second.
type Rate<'a> = Box<dyn FnMut() -> Result<f64> + 'a>;

/// How many batches each throughput measurement runs, taking turns.
const RATE_ROUNDS: usize = 5;

/// Runs each measurement [`RATE_ROUNDS`] times, taking turns, after one
/// untimed run each, and returns each one's median rate.
fn rates(measurements: &mut [Rate<'_>]) -> Result<Vec<f64>> {
    let mut samples: Vec<Vec<f64>> = measurements.iter().map(|_| Vec::new()).collect();
    for measure in measurements.iter_mut() {
        measure()?;
    }
    for _ in 0..RATE_ROUNDS {
        for (measure, samples) in measurements.iter_mut().zip(&mut samples) {
            samples.push(measure()?);
        }
    }
    Ok(samples.into_iter().map(median_of).collect())
}

/// How many rounds the probes of one comparison take turns in.
const ROUNDS: usize = 10;

/// Runs each probe `n` times after a warm-up, taking turns in [`ROUNDS`]
/// rounds so that a change in the machine's load falls on all of them
/// alike, and returns each one's median in seconds.
fn interleaved(n: usize, probes: &mut [Probe<'_>]) -> Result<Vec<f64>> {
    let mut samples: Vec<Vec<f64>> = probes.iter().map(|_| Vec::with_capacity(n)).collect();
    for probe in probes.iter_mut() {
        for _ in 0..Plan::warmup(n) {
            probe()?;
        }
    }
    let per_round = n.div_ceil(ROUNDS);
    for _ in 0..ROUNDS {
        for (probe, samples) in probes.iter_mut().zip(&mut samples) {
            for _ in 0..per_round {
                samples.push(probe()?.as_secs_f64());
            }
        }
    }
    Ok(samples.into_iter().map(median_of).collect())
}

/// A plain call.
fn call(bench: &BenchProxy) -> Probe<'_> {
    Box::new(move || {
        let started = Instant::now();
        bench.ping(1)?;
        Ok(started.elapsed())
    })
}

/// A push onto a list kept in the actor, through its result proxy.
fn push(list: &ListProxy<u64>) -> Probe<'_> {
    Box::new(move || {
        let started = Instant::now();
        list.push(1)?;
        Ok(started.elapsed())
    })
}

/// A 1 MiB echo; the copy of the payload the call consumes is made, and
/// the reply dropped, outside the timed part.
fn echo<'a>(bench: &'a BenchProxy, payload: &'a ByteBuf) -> Probe<'a> {
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
fn spawn(shutdowns: &mut Vec<f64>) -> Probe<'_> {
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
fn on_fresh_actor(measure: impl FnOnce(&BenchProxy) -> Result<f64>) -> Result<f64> {
    let bench = Bench::spawn()?;
    bench.ping(0)?;
    let rate = measure(&bench)?;
    bench.shutdown()?;
    Ok(rate)
}

/// How long `calls` calls take through one async twin with up to `window`
/// of them in flight at once.
fn pipelined_calls(bench: &BenchProxy, calls: usize, window: usize) -> Result<Duration> {
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
fn threaded_calls(bench: &BenchProxy, threads: usize, calls: usize) -> Result<Duration> {
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

fn median_of(mut samples: Vec<f64>) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

// ---------------------------------------------------------------------------
// Floors: the same work with no uactor involved.

/// A helper process (this binary re-executed in a role) and the socket to it.
struct Peer {
    child: Child,
    stream: UnixStream,
    dir: PathBuf,
    /// How both sides wait for a message.
    wait: Wait,
}

impl Peer {
    /// Starts a helper in `role`, pinned to `cpu`, echoing `size`-byte
    /// messages, and waits for it to connect.
    fn start(role: &str, cpu: Option<usize>, size: usize) -> Result<Peer> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "uactor-bench-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("floor.sock");
        let listener =
            UnixListener::bind(&path).with_context(|| format!("binding {}", path.display()))?;
        listener.set_nonblocking(true)?;
        let mut command = Command::new(std::env::current_exe()?);
        command
            .env(ROLE, role)
            .env(SOCKET, &path)
            .env(SIZE, size.to_string())
            .stdin(Stdio::null());
        if let Some(cpu) = cpu {
            command.env(CPU, cpu.to_string());
        }
        let mut child = command.spawn().context("starting a helper")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(error)
                    if error.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline =>
                {
                    if let Some(status) = child.try_wait()? {
                        let _ = std::fs::remove_dir_all(&dir);
                        bail!("the {role} helper ended before it connected ({status})");
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(error).context("waiting for a helper to connect");
                }
            }
        };
        let wait = Wait::of(role);
        stream.set_nonblocking(wait != Wait::Block)?;
        // No read timeout: a blocking read with one arms a timer, which the
        // floor would pay and uactor's calls (no timeout by default) do not.
        Ok(Peer {
            child,
            stream,
            dir,
            wait,
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // End of stream tells the helper to exit; kill it if it does not.
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Peer {
    /// The same helper, but this side waits for answers as `wait` says.
    fn caller_waits(mut self, wait: Wait) -> Result<Peer> {
        self.stream.set_nonblocking(wait != Wait::Block)?;
        self.wait = wait;
        Ok(self)
    }

    /// An 8-byte ping-pong, this side waiting for the answer as `wait` says.
    fn ping_pong(&self) -> Probe<'_> {
        let mut message = [1u8; 8];
        Box::new(move || {
            let started = Instant::now();
            (&self.stream).write_all(&message)?;
            let got = read_message(&self.stream, &mut message, self.wait)?;
            if !got {
                bail!("the helper closed the connection");
            }
            Ok(started.elapsed())
        })
    }

    /// A `size`-byte echo.
    fn echo(&self, size: usize) -> Probe<'_> {
        let message = vec![7u8; size];
        let mut back = vec![0u8; size];
        Box::new(move || {
            let started = Instant::now();
            (&self.stream).write_all(&message)?;
            if !read_message(&self.stream, &mut back, Wait::Block)? {
                bail!("the helper closed the connection");
            }
            Ok(started.elapsed())
        })
    }
}

/// How long `n` small messages take to go through a helper and back, each
/// written with its own system call while replies stream back.
fn floor_pipelined(peer: &Peer, n: usize) -> Result<Duration> {
    let writer = peer.stream.try_clone()?;
    let started = Instant::now();
    let sending = std::thread::spawn(move || -> io::Result<()> {
        let message = [3u8; PIPELINED_MESSAGE];
        for _ in 0..n {
            (&writer).write_all(&message)?;
        }
        Ok(())
    });
    let mut buffer = vec![0u8; 64 * 1024];
    let mut remaining = n * PIPELINED_MESSAGE;
    while remaining > 0 {
        match (&peer.stream).read(&mut buffer) {
            Ok(0) => bail!("the stream helper closed early"),
            Ok(read) => remaining = remaining.saturating_sub(read),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error.into()),
        }
    }
    let elapsed = started.elapsed();
    match sending.join() {
        Ok(result) => result?,
        Err(_) => bail!("the sending thread panicked"),
    }
    Ok(elapsed)
}

/// From starting this binary again to its first byte on a pipe. `fork`
/// adds a no-op `pre_exec` hook, which makes std fork and exec instead of
/// calling `posix_spawn`, as uactor's spawn (which passes a descriptor
/// that way) does.
fn reexec(program: &Path, fork: bool) -> Probe<'_> {
    Box::new(move || {
        let mut command = Command::new(program);
        command
            .env(ROLE, "hello")
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if fork {
            use std::os::unix::process::CommandExt;
            // SAFETY: the hook does nothing, so it is async-signal-safe.
            unsafe { command.pre_exec(|| Ok(())) };
        }
        let started = Instant::now();
        let mut child = command.spawn()?;
        let mut byte = [0u8; 1];
        let read = child
            .stdout
            .as_mut()
            .context("the helper's stdout")?
            .read(&mut byte);
        let first = started.elapsed();
        child.wait()?;
        if read? != 1 {
            bail!("the hello helper sent nothing");
        }
        Ok(first)
    })
}

/// The resident size of this binary re-executed and waiting, with no actor.
fn floor_idle_rss() -> Result<u64> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(ROLE, "idle")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut byte = [0u8; 1];
    let read = child
        .stdout
        .as_mut()
        .context("the helper's stdout")?
        .read(&mut byte);
    std::thread::sleep(Duration::from_millis(50));
    let rss = rss_kib(child.id());
    drop(child.stdin.take());
    child.wait()?;
    read?;
    rss
}

/// Runs this process as the helper `role` of a floor measurement.
fn helper(role: &str) -> Result<()> {
    match role {
        "hello" | "idle" => {
            let mut stdout = io::stdout();
            stdout.write_all(b"!")?;
            stdout.flush()?;
            if role == "idle" {
                // Wait for end of input: the parent is done measuring.
                io::copy(&mut io::stdin(), &mut io::sink())?;
            }
            Ok(())
        }
        "echo" | "spin-echo" | "yield-echo" | "stream" => {
            let path = std::env::var_os(SOCKET).context("no socket for the helper")?;
            let size: usize = std::env::var(SIZE)?.parse()?;
            if let Some(cpu) = std::env::var(CPU).ok().and_then(|cpu| cpu.parse().ok()) {
                let mut set = CpuSet::new();
                set.set(cpu);
                sched_setaffinity(None, &set)?;
            }
            let stream = UnixStream::connect(path)?;
            match role {
                "stream" => {
                    let mut buffer = vec![0u8; 64 * 1024];
                    loop {
                        let read = (&stream).read(&mut buffer)?;
                        if read == 0 {
                            return Ok(());
                        }
                        (&stream).write_all(&buffer[..read])?;
                    }
                }
                _ => {
                    let wait = Wait::of(role);
                    stream.set_nonblocking(wait != Wait::Block)?;
                    let mut message = vec![0u8; size];
                    while read_message(&stream, &mut message, wait)? {
                        (&stream).write_all(&message)?;
                    }
                    Ok(())
                }
            }
        }
        other => bail!("unknown helper role {other:?}"),
    }
}

/// How a side waits for the next message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// A blocking read: the kernel wakes the reader.
    Block,
    /// Polls a non-blocking socket for up to [`SPIN`], then blocks.
    Spin,
    /// The same, yielding the CPU between polls.
    Yield,
}

impl Wait {
    fn of(role: &str) -> Wait {
        match role {
            "spin-echo" => Wait::Spin,
            "yield-echo" => Wait::Yield,
            _ => Wait::Block,
        }
    }
}

/// Fills `buf`, waiting as `wait` says (the socket is non-blocking unless
/// `wait` is [`Wait::Block`]); `false` on end of stream before the first byte.
fn read_message(stream: &UnixStream, buf: &mut [u8], wait: Wait) -> io::Result<bool> {
    let mut got = 0;
    let started = Instant::now();
    while got < buf.len() {
        let read = match (&*stream).read(&mut buf[got..]) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                if started.elapsed() < SPIN {
                    match wait {
                        Wait::Yield => std::thread::yield_now(),
                        _ => std::hint::spin_loop(),
                    }
                    continue;
                }
                stream.set_nonblocking(false)?;
                let read = (&*stream).read(&mut buf[got..]);
                stream.set_nonblocking(true)?;
                read
            }
            other => other,
        };
        match read {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => got += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

// ---------------------------------------------------------------------------
// The machine.

/// The CPUs this process may run on when it started, to come back to.
struct Affinity {
    original: CpuSet,
}

impl Affinity {
    fn original() -> Result<Self> {
        Ok(Affinity {
            original: sched_getaffinity(None)?,
        })
    }

    fn count(&self) -> usize {
        self.original.count() as usize
    }

    /// Pins the calling thread to `cpu` until the guard is dropped.
    fn pin_this_thread(&self, cpu: usize) -> Result<Pinned> {
        sched_setaffinity(None, &only(cpu))?;
        Ok(Pinned {
            original: self.original,
        })
    }
}

/// Gives the calling thread its original CPUs back when dropped.
struct Pinned {
    original: CpuSet,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = sched_setaffinity(None, &self.original);
    }
}

fn only(cpu: usize) -> CpuSet {
    let mut set = CpuSet::new();
    set.set(cpu);
    set
}

/// Pins every thread of process `pid` to `cpu`. (The affinity of a pid is
/// that of its main thread only; an actor serves each connection on a
/// thread of its own.)
fn pin_process(pid: u32, cpu: usize) -> Result<()> {
    let set = only(cpu);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let tid: i32 = task?.file_name().to_string_lossy().parse()?;
        let tid = Pid::from_raw(tid).context("a thread id of zero")?;
        sched_setaffinity(Some(tid), &set)
            .with_context(|| format!("pinning thread {tid:?} of {pid}"))?;
    }
    Ok(())
}

/// VmRSS of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .context("no VmRSS line")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("an empty VmRSS line")?
        .parse()?)
}

fn machine() -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| {
            line.strip_prefix("model name")
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    format!("{model}, Linux {}", kernel.trim())
}

// ---------------------------------------------------------------------------
// The report.

enum Value {
    Number(f64),
    Integer(u64),
    Text(String),
    Null,
}

#[derive(Default)]
struct Report {
    entries: Vec<(&'static str, Value)>,
}

impl Report {
    fn push(&mut self, key: &'static str, value: Value) {
        self.entries.push((key, value));
    }

    fn micros(&mut self, key: &'static str, seconds: f64) {
        self.push(key, Value::Number(seconds * 1e6));
    }

    fn millis(&mut self, key: &'static str, seconds: f64) {
        self.push(key, Value::Number(seconds * 1e3));
    }

    fn number(&mut self, key: &'static str, value: f64) {
        self.push(key, Value::Number(value));
    }

    fn int(&mut self, key: &'static str, value: u64) {
        self.push(key, Value::Integer(value));
    }

    fn text(&mut self, key: &'static str, value: String) {
        self.push(key, Value::Text(value));
    }

    fn null(&mut self, key: &'static str) {
        self.push(key, Value::Null);
    }

    fn get(&self, key: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(name, _)| *name == key)
            .and_then(|(_, value)| match value {
                Value::Number(number) => Some(*number),
                Value::Integer(integer) => Some(*integer as f64),
                _ => None,
            })
    }

    fn ratio(&mut self, key: &'static str, numerator: &str, denominator: &str) {
        let ratio = match (self.get(numerator), self.get(denominator)) {
            (Some(numerator), Some(denominator)) if denominator > 0.0 => {
                Value::Number(numerator / denominator)
            }
            _ => Value::Null,
        };
        self.push(key, ratio);
    }

    fn json(&self) -> String {
        let fields: Vec<String> = self
            .entries
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::Number(number) if number.is_finite() => format!("{number:.3}"),
                    Value::Integer(integer) => integer.to_string(),
                    Value::Text(text) => {
                        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
                    }
                    Value::Number(_) | Value::Null => "null".to_owned(),
                };
                format!("  \"{key}\": {value}")
            })
            .collect();
        format!("{{\n{}\n}}", fields.join(",\n"))
    }

    fn print_table(&self) {
        let show = |key: &str, unit: &str| match self.get(key) {
            Some(value) if value >= 1000.0 => format!("{value:.0} {unit}"),
            Some(value) => format!("{value:.2} {unit}"),
            None => "n/a".to_owned(),
        };
        for (key, value) in &self.entries {
            if let Value::Text(text) = value {
                println!("{key}: {text}");
            }
        }
        println!();
        println!(
            "{:<34} {:>14} {:>14} {:>8} {:>8}",
            "goal", "uactor", "floor", "ratio", "goal"
        );
        let goals: [(&str, &str, &str, &str, &str, &str); 6] = [
            (
                "same-core call round trip",
                "call_rtt_same_core_us_median",
                "floor_uds_same_core_us_median",
                "µs",
                "ratio_call_rtt_same_core_to_floor",
                "≤ 1.3",
            ),
            (
                "pipelined calls, one proxy",
                "pipelined_calls_per_s",
                "floor_uds_pipelined_per_s",
                "/s",
                "",
                "≥ 500k",
            ),
            (
                "spawn to first reply",
                "spawn_ms_median",
                "floor_reexec_ms_median",
                "ms",
                "ratio_spawn_to_reexec",
                "≤ 1.5",
            ),
            (
                "1 MiB echo",
                "echo_1mib_ms_median",
                "floor_uds_echo_1mib_ms_median",
                "ms",
                "ratio_echo_1mib_to_floor",
                "≤ 1.2",
            ),
            (
                "list push vs plain call",
                "list_push_us_median",
                "call_rtt_same_core_us_median",
                "µs",
                "ratio_list_push_to_call",
                "≤ 1.3",
            ),
            (
                "idle actor resident",
                "actor_idle_rss_kib",
                "floor_idle_rss_kib",
                "KiB",
                "",
                "≤ 4096",
            ),
        ];
        for (label, value, floor, unit, ratio, goal) in goals {
            let ratio = self
                .get(ratio)
                .map_or("".to_owned(), |ratio| format!("{ratio:.2}"));
            println!(
                "{label:<34} {:>14} {:>14} {ratio:>8} {goal:>8}",
                show(value, unit),
                show(floor, unit)
            );
        }
        println!();
        println!("{:<40} {:>14}", "measurement", "value");
        for (key, value) in &self.entries {
            let shown = match value {
                Value::Text(_) => continue,
                Value::Number(number) if key.starts_with("ratio") => format!("{number:.2}"),
                Value::Number(number) if *number >= 1000.0 => format!("{number:.0}"),
                Value::Number(number) => format!("{number:.2}"),
                Value::Integer(integer) => integer.to_string(),
                Value::Null => "n/a".to_owned(),
            };
            println!("{key:<40} {shown:>14}");
        }
    }
}
