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
        Counter { n: start, log: Vec::new() }
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
        if by == 0 { Err("division by zero".to_string()) } else { Ok(self.n / by) }
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

/// Whether process `pid` still exists (zombies count as gone: they have
/// ended and only wait for their parent).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next());
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
    let status = Command::new("kill").args(["-9", &pid.to_string()]).status().expect("run kill");
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
        uactor::spawn(async { panic!("the task failed") })
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
