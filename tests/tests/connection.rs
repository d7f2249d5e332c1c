//! The connection core, tried the way users write code: futures made by the
//! hundred thousand before any is polled, under four executors; calls from
//! 64 threads at once; large arguments by the thousand; proxies passed
//! both ways at once; a client that stops reading; futures dropped
//! mid-wait; a callback that comes back in. Each prints its figure.

use std::future::Future;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use uactor::sync::{Lock, Queue};
use uactor::{Error, ListProxy, Options, Shared};
use uactor_core::frame::{self, Header, Kind};
use uactor_core::protocol::tag;
use uactor_core::{Address, CodecId};
use uactor_transport::{Authkey, handshake};

/// Calls whose side effects the actor counts across its process.
static COMPLETED: AtomicU64 = AtomicU64::new(0);
static CANCELLED: AtomicU64 = AtomicU64::new(0);

/// Counts one cancelled call when dropped before it is defused.
struct Noted(bool);

impl Drop for Noted {
    fn drop(&mut self) {
        if !self.0 {
            CANCELLED.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// An actor with the shapes of method the connection core must carry.
#[derive(Debug, Default)]
pub struct Pipe {
    running: AtomicUsize,
    most: AtomicUsize,
    list: Shared<Vec<u64>>,
    queue: Queue<u64>,
    lock: Lock,
}

/// What `ring` saw come back.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Came {
    /// The callback was served.
    Served(u64),
    /// It failed with this error.
    Failed(String),
}

#[uactor::actor]
impl Pipe {
    /// Returns its argument.
    pub fn echo(&self, n: u64) -> u64 {
        n
    }

    /// Returns how many bytes it was given, and the first one.
    pub fn weigh(&self, bytes: Vec<u8>) -> (usize, u8) {
        (bytes.len(), bytes.first().copied().unwrap_or_default())
    }

    /// Holds a place for `ms`, counting how many calls hold one at once.
    pub async fn hold(&self, ms: u64) -> usize {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        uactor::sleep(Duration::from_millis(ms)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        now
    }

    /// The most calls that held a place at once.
    pub fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }

    /// A large reply, later (a string: serde carries it as one slice).
    pub async fn big(&self, len: usize) -> String {
        "x".repeat(len)
    }

    /// Answers after `ms`, on the actor's runtime.
    pub async fn nap(&self, ms: u64) -> u64 {
        uactor::sleep(Duration::from_millis(ms)).await;
        ms
    }

    /// Sleeps `ms`, then counts itself completed; a call dropped before
    /// counts itself cancelled.
    pub async fn effect(&self, ms: u64) -> u64 {
        let mut noted = Noted(false);
        uactor::sleep(Duration::from_millis(ms)).await;
        noted.0 = true;
        COMPLETED.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// How many `effect` calls completed and were cancelled.
    pub fn effects(&self) -> (u64, u64) {
        (
            COMPLETED.load(Ordering::SeqCst),
            CANCELLED.load(Ordering::SeqCst),
        )
    }

    /// A list kept here.
    #[uactor(proxy)]
    pub fn list(&self) -> Shared<Vec<u64>> {
        self.list.clone()
    }

    /// The length of a list kept elsewhere.
    pub fn length(&self, list: ListProxy<u64>) -> uactor::Result<usize> {
        list.len()
    }

    /// A queue kept here.
    #[uactor(proxy)]
    pub fn queue(&self) -> Queue<u64> {
        self.queue.clone()
    }

    /// A lock kept here.
    #[uactor(proxy)]
    pub fn lock(&self) -> Lock {
        self.lock.clone()
    }

    /// A value to call back for.
    pub fn value(&self) -> u64 {
        42
    }

    /// Calls `other` back for its value.
    pub fn call_back(&mut self, other: PipeProxy) -> Came {
        match other.value() {
            Ok(value) => Came::Served(value),
            Err(error) => Came::Failed(format!("{error:?}")),
        }
    }

    /// Asks `via` to call this actor back while this method runs.
    pub fn ring(&mut self, via: PipeProxy) -> uactor::Result<Came> {
        let me = uactor::this::<Pipe>()?;
        via.call_back(me)
    }
}

/// Runs `calls` eagerly made futures through `block_on` and checks every
/// answer comes back, in input order.
fn eager(
    pipe: &PipeProxy,
    calls: u64,
    block_on: impl FnOnce(Vec<uactor::future::CallFuture<u64>>) -> Vec<uactor::Result<u64>>,
) -> Duration {
    let twin = pipe.to_async();
    let started = Instant::now();
    let futures: Vec<_> = (0..calls).map(|i| twin.echo(i)).collect();
    let out = block_on(futures);
    let took = started.elapsed();
    assert_eq!(out.len() as u64, calls);
    for (i, result) in out.into_iter().enumerate() {
        assert_eq!(result.unwrap(), i as u64, "answer {i} out of order or lost");
    }
    took
}

const EAGER: u64 = 100_000;

#[test]
fn a_hundred_thousand_eager_futures_under_tokio_multi_thread() {
    let pipe = Pipe::spawn().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let took = eager(&pipe, EAGER, |futures| {
        runtime.block_on(futures::future::join_all(futures))
    });
    println!("tokio multi-thread: {EAGER} eager futures answered in {took:?}");
}

#[test]
fn a_hundred_thousand_eager_futures_under_tokio_current_thread() {
    let pipe = Pipe::spawn().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let took = eager(&pipe, EAGER, |futures| {
        runtime.block_on(futures::future::join_all(futures))
    });
    println!("tokio current-thread: {EAGER} eager futures answered in {took:?}");
}

#[test]
fn a_hundred_thousand_eager_futures_under_smol() {
    let pipe = Pipe::spawn().unwrap();
    let executor = async_executor::Executor::new();
    let took = eager(&pipe, EAGER, |futures| {
        async_io::block_on(executor.run(futures::future::join_all(futures)))
    });
    println!("smol: {EAGER} eager futures answered in {took:?}");
}

#[test]
fn a_hundred_thousand_eager_futures_under_futures_block_on() {
    let pipe = Pipe::spawn().unwrap();
    let took = eager(&pipe, EAGER, |futures| {
        futures::executor::block_on(futures::future::join_all(futures))
    });
    println!("futures::executor::block_on: {EAGER} eager futures answered in {took:?}");
}

#[test]
fn calls_in_flight_stay_within_the_bound() {
    let bound = 64;
    let pipe = Pipe::spawn_with(&Options::new().max_in_flight(bound)).unwrap();
    let twin = pipe.to_async();
    let started = Instant::now();
    let out =
        futures::executor::block_on(futures::future::join_all((0..2_000).map(|_| twin.hold(2))));
    assert!(out.iter().all(Result::is_ok));
    let most = pipe.most().unwrap();
    println!(
        "2000 calls with at most {bound} in flight: the actor saw {most} at once, in {:?}",
        started.elapsed()
    );
    assert!(
        most <= bound,
        "{most} calls in flight, past the bound of {bound}"
    );
    assert!(
        most >= bound / 2,
        "only {most} in flight: the calls did not overlap"
    );
}

#[test]
fn a_thousand_calls_with_256_kib_arguments_at_once() {
    let pipe = Pipe::spawn().unwrap();
    let twin = pipe.to_async();
    let started = Instant::now();
    let calls = (0..1_000u32).map(|i| twin.weigh(vec![(i % 251) as u8; 256 * 1024]));
    let out = futures::executor::block_on(futures::future::join_all(calls));
    for (i, result) in out.into_iter().enumerate() {
        assert_eq!(result.unwrap(), (256 * 1024, (i % 251) as u8), "call {i}");
    }
    println!(
        "1000 calls of 256 KiB each (250 MiB) answered in {:?}",
        started.elapsed()
    );
}

#[test]
fn sixty_four_threads_of_a_thousand_blocking_calls_on_clones_of_one_proxy() {
    let pipe = Pipe::spawn().unwrap();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..64u64 {
            let pipe = pipe.clone();
            scope.spawn(move || {
                for call in 0..1_000u64 {
                    let n = thread << 32 | call;
                    assert_eq!(pipe.echo(n).unwrap(), n, "a reply reached the wrong caller");
                }
            });
        }
    });
    println!(
        "64 threads x 1000 blocking calls, nothing lost or crossed, in {:?}",
        started.elapsed()
    );
}

#[test]
fn threads_waiting_on_one_connection_each_get_their_result_out_of_order() {
    // Nine threads wait on results of one connection at once. The first
    // result comes first; the others come in the opposite order to their
    // calls, each woken alone by whoever reads. One thread stops waiting
    // while the others still wait. (The same with the callers themselves
    // reading, role passing included, is a unit test of the call path.)
    let pipe = Pipe::spawn().unwrap();
    let started = Instant::now();
    let bound = Duration::from_secs(3);
    let (answers, late) = std::thread::scope(|scope| {
        let callers: Vec<_> = (0..8u64)
            .map(|turn| {
                let pipe = pipe.clone();
                let ms = if turn == 0 { 100 } else { (9 - turn) * 100 };
                let caller = scope.spawn(move || {
                    let answer = pipe.nap(ms).and_then(|result| {
                        // Bounded, so a lost wake-up fails instead of hanging.
                        match result.wait_timeout(bound)? {
                            true => result.get(),
                            false => Err(Error::proxy("never woken")),
                        }
                    });
                    (ms, answer, started.elapsed())
                });
                std::thread::sleep(Duration::from_millis(10));
                caller
            })
            .collect();
        let late = {
            let pipe = pipe.clone();
            scope.spawn(move || {
                let waited = pipe
                    .nap(5_000)
                    .and_then(|result| result.wait_timeout(Duration::from_millis(1_500)));
                (waited, started.elapsed())
            })
        };
        let answers: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
        (answers, late.join().unwrap())
    });
    for (ms, answer, at) in &answers {
        assert_eq!(
            answer.as_ref().ok(),
            Some(ms),
            "a reply reached the wrong caller, or none came: {answer:?}"
        );
        assert!(
            *at < Duration::from_millis(ms + 1_000),
            "the caller of a {ms} ms nap was woken only after {at:?}"
        );
    }
    let (waited, at) = late;
    assert!(
        matches!(waited, Ok(false)),
        "waiting 1.5 s for a 5 s nap gave {waited:?}"
    );
    assert!(
        at >= Duration::from_millis(1_450) && at < Duration::from_millis(3_000),
        "the caller that stopped waiting while others read ended after {at:?}"
    );
    println!(
        "8 naps, the leader's first and the rest in reverse order, each to its caller; \
         the caller that stopped waiting ended after {at:?}"
    );
}

#[test]
fn two_threads_cross_object_proxies_between_two_actors() {
    let a = Pipe::spawn().unwrap();
    let b = Pipe::spawn().unwrap();
    let a_list = a.list().unwrap();
    let b_list = b.list().unwrap();
    let rounds = 10_000;
    let gate = Barrier::new(2);
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            gate.wait();
            for _ in 0..rounds {
                assert_eq!(a.length(b_list.clone()).unwrap().unwrap(), 0);
            }
        });
        scope.spawn(|| {
            gate.wait();
            for _ in 0..rounds {
                assert_eq!(b.length(a_list.clone()).unwrap().unwrap(), 0);
            }
        });
    });
    println!(
        "2 threads x {rounds} calls passing the other actor's proxy, in {:?}",
        started.elapsed()
    );
}

/// Opens an authenticated connection to the actor at `address` and sends
/// `calls` requests for `big` (large replies, later), then never reads.
fn silent_client(
    address: &Address,
    key: &Authkey,
    calls: u64,
    len: usize,
) -> uactor_core::Connection {
    let Address::Local(path) = address else {
        panic!("a local actor: {address}")
    };
    let mut connection = uactor_transport::local_socket::connect(path).unwrap();
    let welcome = handshake::client(
        &mut connection,
        key,
        CodecId::Postcard,
        Duration::from_secs(5),
        frame::DEFAULT_MAX_FRAME,
    )
    .unwrap();
    assert_eq!(welcome.kind, tag(<Pipe as uactor::Actor>::NAME));
    // `big` is the fifth method: its index is 4.
    let mut payload = Vec::new();
    CodecId::Postcard.encode(&(len,), &mut payload).unwrap();
    for request in 1..=calls {
        let frame = frame::encode(Header::new(Kind::Request, request).method(4), &payload);
        connection.writer.write_frame(&frame).unwrap();
    }
    connection
}

#[test]
fn a_client_that_stops_reading_delays_no_one_and_is_disconnected() {
    let key = Authkey::new(b"the key of the reading tests").unwrap();
    let options = Options::new()
        .authkey(key.as_bytes())
        .write_timeout(Duration::from_secs(2));
    let pipe = Pipe::spawn_with(&options).unwrap();
    let twin = pipe.to_async();
    futures::executor::block_on(twin.nap(0)).unwrap();

    // 64 replies of 1 MiB: far more than the socket holds.
    let mut silent = silent_client(&pipe.address(), &key, 64, 1 << 20);
    let started = Instant::now();
    let mut worst = Duration::ZERO;
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(6) {
        let call = Instant::now();
        assert_eq!(futures::executor::block_on(twin.nap(0)).unwrap(), 0);
        worst = worst.max(call.elapsed());
        calls += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "while a client read nothing for 6 s: {calls} async calls of another client, the slowest {worst:?}"
    );
    // Held up by the silent client, a call would wait for its 2 s write
    // deadline; unloaded, the slowest is a few milliseconds, and a machine
    // busy with builds has shown 150.
    assert!(
        worst < Duration::from_millis(500),
        "another client's async call took {worst:?}"
    );
    // The silent client was disconnected at its write deadline: reading
    // now drains what was sent, then meets the end.
    silent
        .reader
        .set_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut frames = 0;
    let ended = loop {
        match silent.reader.read_frame() {
            Ok(_) => frames += 1,
            Err(error) => break error,
        }
    };
    println!("the silent client got {frames} of 64 replies, then: {ended}");
    assert!(frames < 64, "it was never disconnected");
    assert!(
        !matches!(ended, Error::Timeout { .. }),
        "the connection is still open: {ended:?}"
    );
    assert_eq!(pipe.echo(5).unwrap(), 5, "the actor serves on");
}

#[test]
fn a_dropped_queue_get_future_loses_no_item() {
    let pipe = Pipe::spawn().unwrap();
    let queue = pipe.queue().unwrap();
    let waiting = queue.get_async();
    // Polled once (the request goes), then dropped while it waits.
    let mut waiting = Box::pin(waiting);
    let waker = futures::task::noop_waker();
    let mut context = std::task::Context::from_waker(&waker);
    assert!(waiting.as_mut().poll(&mut context).is_pending());
    std::thread::sleep(Duration::from_millis(100));
    drop(waiting);
    std::thread::sleep(Duration::from_millis(100));
    queue.put(7).unwrap();
    assert_eq!(
        queue.get_timeout(Duration::from_secs(2)).unwrap(),
        Some(7),
        "the item went to the dropped get"
    );

    // Many dropped at once, with items racing in.
    let mut gets: Vec<_> = (0..100).map(|_| Box::pin(queue.get_async())).collect();
    for get in &mut gets {
        let _ = get.as_mut().poll(&mut context);
    }
    for item in 0..50 {
        queue.put(item).unwrap();
    }
    drop(gets);
    std::thread::sleep(Duration::from_millis(300));
    // Items the dropped gets received before the drop were put back.
    let mut left = 0;
    while queue.try_get().unwrap().is_some() {
        left += 1;
    }
    println!("50 items, 100 dropped gets: {left} items left in the queue");
    assert_eq!(left, 50, "an item was lost to a dropped get");
}

#[test]
fn a_dropped_lock_acquire_future_leaves_the_lock_free() {
    let pipe = Pipe::spawn().unwrap();
    let lock = pipe.lock().unwrap();
    let held = lock.acquire().unwrap();
    let waker = futures::task::noop_waker();
    let mut context = std::task::Context::from_waker(&waker);
    let mut waiting = Box::pin(lock.acquire_async());
    assert!(waiting.as_mut().poll(&mut context).is_pending());
    std::thread::sleep(Duration::from_millis(100));
    drop(waiting);
    held.release().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!lock.is_locked().unwrap(), "the lock was granted to nobody");
    let again = lock
        .acquire_timeout(Duration::from_secs(2))
        .unwrap()
        .expect("the lock is free");
    drop(again);
}

#[test]
fn a_dropped_future_of_a_ten_second_method_stops_it() {
    let pipe = Pipe::spawn().unwrap();
    let twin = pipe.to_async();
    let waker = futures::task::noop_waker();
    let mut context = std::task::Context::from_waker(&waker);
    let mut call = Box::pin(twin.effect(10_000));
    assert!(call.as_mut().poll(&mut context).is_pending());
    std::thread::sleep(Duration::from_millis(100));
    let dropped = Instant::now();
    drop(call);
    let mut effects = pipe.effects().unwrap();
    while effects.1 == 0 && dropped.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
        effects = pipe.effects().unwrap();
    }
    println!(
        "a dropped 10 s call was stopped in the actor within {:?}",
        dropped.elapsed()
    );
    assert_eq!(effects, (0, 1), "(completed, cancelled)");
}

#[test]
fn a_callback_that_comes_back_in_is_refused_at_once() {
    let a = Pipe::spawn().unwrap();
    let b = Pipe::spawn().unwrap();
    let started = Instant::now();
    let came = a.ring(b.clone()).unwrap().unwrap();
    let took = started.elapsed();
    println!("A -> B -> A ended in {took:?}: {came:?}");
    match came {
        Came::Failed(error) => assert!(error.contains("Reentrant"), "{error}"),
        other => panic!("the callback into a busy &mut self method was served: {other:?}"),
    }
    assert!(took < Duration::from_secs(2), "it took {took:?}");
    // Calling back into an actor whose method is not waiting is fine.
    assert_eq!(b.call_back(a.clone()).unwrap(), Came::Served(42));
}

/// A value whose decoding panics when it says so: a user's `Deserialize`
/// that fails badly.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Touchy(u64);

impl<'de> Deserialize<'de> for Touchy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(deserializer)?;
        assert!(value != 13, "Touchy refuses 13");
        Ok(Touchy(value))
    }
}

/// An actor that returns what it is given, as a `Touchy`, and one that
/// can be wedged.
#[derive(Debug, Default)]
pub struct Mirror;

#[uactor::actor]
impl Mirror {
    /// Returns `value` as a `Touchy`.
    pub fn touchy(&self, value: u64) -> Touchy {
        Touchy(value)
    }

    /// Never returns.
    pub fn wedge(&mut self) {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }

    /// Takes bytes, and does nothing with them.
    pub fn swallow(&mut self, _bytes: Vec<u8>) {}
}

#[test]
fn a_panic_while_decoding_a_reply_leaves_the_connection_readable() {
    let mirror = Mirror::spawn().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| mirror.touchy(13)));
    assert!(caught.is_err(), "the decoding panicked in the caller");
    // Later callers, on this thread and others, are not stuck behind it.
    let started = Instant::now();
    std::thread::scope(|scope| {
        for value in 0..4 {
            let mirror = &mirror;
            scope.spawn(move || assert_eq!(mirror.touchy(value).unwrap(), Touchy(value)));
        }
    });
    assert_eq!(mirror.touchy(7).unwrap(), Touchy(7));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn dropping_the_owner_of_a_wedged_actor_with_a_full_socket_ends_it() {
    let options = Options::new()
        .shutdown_timeout(Duration::from_secs(1))
        .call_timeout(Duration::from_millis(300));
    let mirror = Mirror::spawn_with(&options).unwrap();
    let pid = mirror.pid();
    let twin = mirror.to_async();
    let waker = futures::task::noop_waker();
    let mut context = std::task::Context::from_waker(&waker);
    // The actor's only connection thread is stuck in `wedge`; requests
    // pile up in the socket until it is full.
    let mut wedged = Box::pin(twin.wedge());
    assert!(wedged.as_mut().poll(&mut context).is_pending());
    let mut piled: Vec<_> = (0..64)
        .map(|_| Box::pin(twin.swallow(vec![0; 256 * 1024])))
        .collect();
    for call in &mut piled {
        let _ = call.as_mut().poll(&mut context);
    }
    // Given up on: those not yet written are taken back.
    drop(wedged);
    drop(piled);
    drop(twin);
    let dropped = Instant::now();
    drop(mirror);
    let took = dropped.elapsed();
    println!("the owner of a wedged actor with a full socket was dropped in {took:?}");
    assert!(
        took < Duration::from_secs(6),
        "dropping the owner took {took:?}"
    );
    assert!(
        tests::wait_gone(pid, Duration::from_secs(2)).is_some(),
        "the wedged actor was not ended"
    );
}

#[test]
fn shutting_down_a_stuck_actor_kills_it_and_says_so() {
    let options = Options::new().shutdown_timeout(Duration::from_secs(1));
    let mirror = Mirror::spawn_with(&options).unwrap();
    let pid = mirror.pid();
    let stuck = {
        let mirror = mirror.clone();
        std::thread::spawn(move || mirror.wedge())
    };
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let ended = mirror.shutdown();
    let took = started.elapsed();
    println!("a stuck actor's shutdown ended in {took:?}: {ended:?}");
    let killed = uactor::Exit::Killed {
        after: Duration::from_secs(1),
    };
    assert_eq!(ended, Err(Error::ActorDied { status: killed }));
    assert!(took < Duration::from_secs(3), "it took {took:?}");
    assert_eq!(
        stuck.join().unwrap(),
        Err(Error::ActorDied { status: killed }),
        "the stuck caller learns how the actor ended"
    );
    assert!(!tests::alive(pid));
}

/// The CPU time `pid` has used so far, user and system, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn an_actor_that_waited_briefly_does_not_spin_once_idle() {
    let pipe = Pipe::spawn().unwrap();
    // Calls back to back teach both sides that answers come fast.
    for n in 0..2_000 {
        assert_eq!(pipe.echo(n).unwrap(), n);
    }
    let before = cpu_ticks(pipe.pid());
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(pipe.pid()) - before;
    let tick_ms = 1000 / rustix::param::clock_ticks_per_second();
    println!("an idle actor used {} ms of CPU in 3 s", used * tick_ms);
    assert!(
        used * tick_ms < 50,
        "the idle actor used {} ms",
        used * tick_ms
    );
    // And a call after the pause still completes.
    assert_eq!(pipe.echo(1).unwrap(), 1);
}

#[test]
fn calls_complete_when_the_peer_sleeps_longer_than_any_poll() {
    let pipe = Pipe::spawn().unwrap();
    let twin = pipe.to_async();
    for n in 0..500 {
        assert_eq!(pipe.echo(n).unwrap(), n);
    }
    // Longer than the longest poll (100 µs): the caller sleeps, and wakes.
    for ms in [1, 5, 50, 200] {
        let started = Instant::now();
        assert_eq!(futures::executor::block_on(twin.nap(ms)).unwrap(), ms);
        assert!(started.elapsed() >= Duration::from_millis(ms));
        assert_eq!(pipe.echo(ms).unwrap(), ms);
    }
    // With polling turned off, calls complete too.
    let quiet = Pipe::spawn_with(&Options::new().spin(false)).unwrap();
    for n in 0..100 {
        assert_eq!(quiet.echo(n).unwrap(), n);
    }
}

#[test]
fn pipelined_calls_whose_replies_pass_the_queue_bound_all_complete() {
    // A host holds the replies to requests it has already read for one
    // write; once they pass the connection's queue bound they must still be
    // written, or the host waits for room that nothing makes.
    let counter =
        tests::Counter::spawn_with(&Options::new().call_timeout(Duration::from_secs(30)), 0)
            .unwrap();
    let twin = counter.to_async();
    let recorded = futures::executor::block_on(futures::future::join_all(
        (0..200_000u32).map(|call| twin.record(0, call)),
    ));
    assert!(recorded.into_iter().all(|result| result.is_ok()));
    // 50 replies of about 1 MB each, asked for at once: three times the
    // 16 MiB bound.
    let started = Instant::now();
    let logs = futures::executor::block_on(futures::future::join_all((0..40).map(|_| twin.log())));
    for log in logs {
        assert_eq!(log.unwrap().len(), 200_000);
    }
    println!(
        "50 pipelined replies of about 1 MB in {:?}",
        started.elapsed()
    );
}
