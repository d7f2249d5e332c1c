//! Actors the integration tests spawn, and helpers to watch processes.
//!
//! The actors live in this library so every test binary registers them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A counter with the shapes of method a user writes.
#[derive(Debug)]
pub struct Counter {
    n: i64,
    log: Vec<(u32, u32)>,
}

#[uactor::actor]
impl Counter {
    /// Starts at `start`.
    pub fn new(start: i64) -> Self {
        Counter {
            n: start,
            log: Vec::new(),
        }
    }

    /// Adds `by` and returns the new value.
    pub fn add(&mut self, by: i64) -> i64 {
        self.n += by;
        self.n
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.n
    }

    /// A user error travels as a value.
    pub fn checked_div(&self, by: i64) -> Result<i64, String> {
        if by == 0 {
            Err("division by zero".to_string())
        } else {
            Ok(self.n / by)
        }
    }

    /// Panics when asked to.
    pub fn explode(&mut self, message: String) -> i64 {
        panic!("{message}");
    }

    /// Sleeps, then answers.
    pub fn nap(&self, ms: u64) -> u64 {
        std::thread::sleep(Duration::from_millis(ms));
        ms
    }

    /// Records that caller `thread` made its call number `call`; returns
    /// how many calls were recorded.
    pub fn record(&mut self, thread: u32, call: u32) -> usize {
        self.log.push((thread, call));
        self.log.len()
    }

    /// Everything recorded, in the order it was served.
    pub fn log(&self) -> Vec<(u32, u32)> {
        self.log.clone()
    }

    /// Returns what it was given (large payloads per transport).
    pub fn echo(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }

    /// Kills its own process without unwinding.
    pub fn abort(&self) {
        std::process::abort();
    }
}

/// An actor whose constructor can fail, or panic.
#[derive(Debug)]
pub struct Fragile;

#[uactor::actor]
impl Fragile {
    /// Fails with `Err` on "fail", panics on "panic", exits the process
    /// without a word on "exit".
    pub fn new(mode: String) -> Result<Self, String> {
        match mode.as_str() {
            "fail" => Err("refused to start".to_string()),
            "panic" => panic!("constructor blew up"),
            "exit" => std::process::exit(3),
            _ => Ok(Fragile),
        }
    }

    /// Answers.
    pub fn ping(&self) -> bool {
        true
    }
}

/// An actor whose shutdown hook leaves a mark in a file.
#[derive(Debug)]
pub struct Marker {
    path: String,
}

#[uactor::actor]
impl Marker {
    /// Writes its marks to `path`.
    pub fn new(path: String) -> Self {
        Marker { path }
    }

    /// Answers.
    pub fn ping(&self) -> bool {
        true
    }

    fn shutdown(&mut self) {
        let _ = std::fs::write(&self.path, "shutdown hook ran");
    }
}

/// Options for an actor that a test makes panic on purpose: the actor's
/// process does not print the panic (the caller's `Error::Remote` carries
/// it), so the test's output shows only what went wrong.
pub fn quiet() -> uactor::Options {
    uactor::Options::new().panics(uactor::options::Panics::Quiet)
}

/// Whether process `pid` still exists (zombies count as gone: they have
/// ended and only wait for their parent).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            state != Some("Z") && state != Some("X")
        }
        Err(_) => false,
    }
}

/// Waits until `pid` is gone, at most `limit`; returns how long it took.
pub fn wait_gone(pid: u32, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if !alive(pid) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

/// Sends SIGKILL to `pid`, a process this test started.
pub fn kill9(pid: u32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -9 {pid} failed");
}

/// A fresh path under the temporary directory.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("uactor-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// An actor with methods that run concurrently.
#[derive(Debug, Default)]
pub struct Sleeper {
    total: u64,
}

#[uactor::actor]
impl Sleeper {
    /// Sleeps `ms` on the actor's runtime, then answers `ms`.
    pub async fn nap(&self, ms: u64) -> u64 {
        uactor::sleep(Duration::from_millis(ms)).await;
        ms
    }

    /// Adds after a pause; `&mut self`, so such calls run one at a time.
    pub async fn add_slowly(&mut self, by: u64, ms: u64) -> u64 {
        uactor::sleep(Duration::from_millis(ms)).await;
        self.total += by;
        self.total
    }

    /// Sums squares on a thread of its own.
    pub fn crunch(&self, n: u64) -> uactor::AsyncResult<u64> {
        uactor::spawn_blocking(move || (0..n).map(|x| x * x).sum())
    }

    /// A task on the actor's runtime that panics.
    pub fn fail_later(&self) -> uactor::AsyncResult<u64> {
        uactor::spawn_task(async { panic!("the task failed") })
    }

    /// A plain blocking method.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Dies in a while.
    pub async fn die_after(&self, ms: u64) -> u64 {
        uactor::sleep(Duration::from_millis(ms)).await;
        std::process::abort();
    }
}

/// An actor that keeps one of each built-in object and hands out proxies
/// to them (tests/tests/proxy.rs).
#[derive(Debug)]
pub struct Keeper {
    items: uactor::Shared<Vec<i64>>,
    queue: uactor::sync::Queue<i64>,
    lock: uactor::sync::Lock,
    semaphore: uactor::sync::Semaphore,
    barrier: uactor::sync::Barrier,
    condition: uactor::sync::Condition,
}

#[uactor::actor]
impl Keeper {
    /// A semaphore of `permits` and a barrier of `parties`.
    pub fn new(permits: usize, parties: usize) -> Self {
        Keeper {
            items: uactor::Shared::new(Vec::new()),
            queue: uactor::sync::Queue::new(),
            lock: uactor::sync::Lock::new(),
            semaphore: uactor::sync::Semaphore::new(permits),
            barrier: uactor::sync::Barrier::new(parties),
            condition: uactor::sync::Condition::new(),
        }
    }

    /// Answers at once: shows the actor is not held up.
    pub fn ping(&self) -> bool {
        true
    }

    /// The list.
    #[uactor(proxy)]
    pub fn items(&self) -> uactor::Shared<Vec<i64>> {
        self.items.clone()
    }

    /// The sum of the list, read in the actor.
    pub fn sum(&self) -> i64 {
        self.items.lock().iter().sum()
    }

    /// The queue.
    #[uactor(proxy)]
    pub fn queue(&self) -> uactor::sync::Queue<i64> {
        self.queue.clone()
    }

    /// The lock.
    #[uactor(proxy)]
    pub fn lock(&self) -> uactor::sync::Lock {
        self.lock.clone()
    }

    /// The semaphore.
    #[uactor(proxy)]
    pub fn semaphore(&self) -> uactor::sync::Semaphore {
        self.semaphore.clone()
    }

    /// The barrier.
    #[uactor(proxy)]
    pub fn barrier(&self) -> uactor::sync::Barrier {
        self.barrier.clone()
    }

    /// The condition.
    #[uactor(proxy)]
    pub fn condition(&self) -> uactor::sync::Condition {
        self.condition.clone()
    }

    /// A proxy to a new list each time: a new object in the table.
    pub fn fresh(&self, len: usize) -> uactor::Result<uactor::ListProxy<i64>> {
        uactor::proxy(&uactor::Shared::new(vec![7; len]))
    }

    /// `0..n`, walked by proxy.
    pub fn numbers(&self, n: u64) -> uactor::Result<uactor::objects::IteratorProxy<u64>> {
        uactor::objects::proxy_iter(0..n)
    }

    /// The list as `typeid`, the dynamic way.
    pub fn items_as(&self, typeid: String) -> uactor::Result<uactor::objects::AnyProxy> {
        uactor::objects::proxy_as(&self.items, &typeid)
    }

    /// The actor itself as `typeid`.
    pub fn itself_as(&self, typeid: String) -> uactor::Result<uactor::objects::AnyProxy> {
        uactor::objects::proxy_as(self, &typeid)
    }

    /// Another `Keeper` value (not the hosted actor) as `actor`.
    pub fn stranger_as_actor(&self) -> uactor::Result<uactor::objects::AnyProxy> {
        uactor::objects::proxy_as(&Keeper::new(1, 1), "actor")
    }

    /// How many objects the table holds.
    pub fn hosted_objects(&self) -> usize {
        uactor::__private::hosted_objects()
    }
}

/// An actor that takes and keeps a lock in another actor (to be killed
/// while holding it), and relays list proxies.
#[derive(Debug, Default)]
pub struct Holder {
    guard: Option<uactor::sync::LockGuard>,
    list: Option<uactor::ListProxy<i64>>,
}

#[uactor::actor]
impl Holder {
    /// Takes `lock` and keeps it; returns whether it got it.
    pub fn take(&mut self, lock: uactor::sync::LockProxy) -> uactor::Result<bool> {
        self.guard = lock.try_acquire()?;
        Ok(self.guard.is_some())
    }

    /// Keeps `list` and pushes `value` through it; returns it.
    pub fn relay(
        &mut self,
        list: uactor::ListProxy<i64>,
        value: i64,
    ) -> uactor::Result<uactor::ListProxy<i64>> {
        list.push(value)?;
        self.list = Some(list.clone());
        Ok(list)
    }

    /// Drops the list it keeps.
    pub fn forget(&mut self) {
        self.list = None;
    }
}

/// An actor that spawns actors, in its constructor and in a method.
#[derive(Debug)]
pub struct Nest {
    first: CounterProxy,
    more: Vec<CounterProxy>,
}

#[uactor::actor]
impl Nest {
    /// Spawns its first child, starting at `start`.
    pub fn new(start: i64) -> uactor::Result<Self> {
        Ok(Nest {
            first: Counter::spawn(start)?,
            more: Vec::new(),
        })
    }

    /// The child it spawned at start.
    pub fn first(&self) -> CounterProxy {
        self.first.clone()
    }

    /// Spawns another child and returns a proxy to it.
    pub fn spawn_child(&mut self, start: i64) -> uactor::Result<CounterProxy> {
        let child = Counter::spawn(start)?;
        self.more.push(child.clone());
        Ok(child)
    }
}
