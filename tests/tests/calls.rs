//! Calls: state, values, user errors, panics, concurrency, timeouts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tests::{Counter, quiet};
use uactor::{Error, Options};

#[test]
fn state_survives_a_hundred_calls_and_the_actor_runs_elsewhere() {
    let counter = Counter::spawn(10).unwrap();
    assert_ne!(counter.pid(), std::process::id());
    for i in 1..=100 {
        assert_eq!(counter.add(1).unwrap(), 10 + i);
    }
    assert_eq!(counter.get().unwrap(), 110);
}

#[test]
fn user_errors_come_back_as_values() {
    let counter = Counter::spawn(10).unwrap();
    assert_eq!(counter.checked_div(2).unwrap(), Ok(5));
    assert_eq!(
        counter.checked_div(0).unwrap(),
        Err("division by zero".to_string())
    );
}

#[test]
fn a_panic_is_an_error_and_the_actor_keeps_serving() {
    let counter = Counter::spawn_with(&quiet(), 1).unwrap();
    let pid = counter.pid();
    match counter.explode("kaboom".into()) {
        Err(Error::Remote { message }) => {
            assert!(message.contains("kaboom"), "{message}");
            assert!(
                message.contains(".rs:"),
                "the location is reported: {message}"
            );
        }
        other => panic!("expected Error::Remote, got {other:?}"),
    }
    assert_eq!(counter.add(1).unwrap(), 2, "the state survived the panic");
    assert_eq!(counter.pid(), pid);
}

#[test]
fn eight_threads_two_thousand_calls_each_nothing_lost_or_doubled() {
    const THREADS: u32 = 8;
    const CALLS: u32 = 2000;
    let counter = Counter::spawn(0).unwrap();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let counter = &counter;
            scope.spawn(move || {
                for call in 0..CALLS {
                    counter.record(thread, call).unwrap();
                }
            });
        }
    });
    let log = counter.log().unwrap();
    assert_eq!(log.len(), (THREADS * CALLS) as usize);
    let mut next: HashMap<u32, u32> = HashMap::new();
    for (thread, call) in log {
        let expected = next.entry(thread).or_default();
        assert_eq!(
            call, *expected,
            "thread {thread}'s calls arrived out of order or twice"
        );
        *expected += 1;
    }
    assert!(next.values().all(|&count| count == CALLS));
}

#[test]
fn a_call_past_its_timeout_fails_and_its_late_reply_is_dropped() {
    let options = Options::new().call_timeout(Duration::from_millis(200));
    let counter = Counter::spawn_with(&options, 0).unwrap();
    let started = Instant::now();
    assert!(matches!(counter.nap(800), Err(Error::Timeout { .. })));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_millis(750),
        "{waited:?}"
    );
    // Let the nap's reply arrive unread; the next call reads it first and
    // must drop it rather than take it for its own.
    std::thread::sleep(
        Duration::from_millis(800).saturating_sub(waited) + Duration::from_millis(200),
    );
    assert_eq!(counter.add(7).unwrap(), 7);
    assert_eq!(counter.nap(1).unwrap(), 1);
}

#[test]
fn large_values_cross_whole() {
    let counter = Counter::spawn(0).unwrap();
    for (thread, call) in [(1, 2), (3, 4)] {
        counter.record(thread, call).unwrap();
    }
    let big: Vec<(u32, u32)> = (0..200_000).map(|i| (i, i)).collect();
    for &(thread, call) in &big[..1000] {
        counter.record(thread, call).unwrap();
    }
    assert_eq!(counter.log().unwrap().len(), 1002);
}

/// An actor whose methods take and return bytes in every shape the macro
/// carries as serde bytes.
#[derive(Debug, Default)]
pub struct Blobs {
    kept: Option<Vec<u8>>,
}

#[uactor::actor]
impl Blobs {
    /// Keeps `bytes`, returns what it kept before.
    pub fn swap(&mut self, bytes: Option<Vec<u8>>) -> Option<Vec<u8>> {
        std::mem::replace(&mut self.kept, bytes)
    }

    /// The bytes reversed, or an error for none.
    pub fn reversed(&self, mut bytes: Vec<u8>) -> Result<Vec<u8>, String> {
        if bytes.is_empty() {
            return Err("nothing to reverse".into());
        }
        bytes.reverse();
        Ok(bytes)
    }

    /// The bytes, from the actor's runtime.
    pub async fn later(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }

    /// The bytes, from a thread of the actor's.
    pub fn deferred(&self, bytes: Vec<u8>) -> uactor::AsyncResult<Vec<u8>> {
        uactor::spawn_blocking(move || bytes)
    }
}

/// A MiB that no off-by-one or reordering would leave intact.
fn mebibyte() -> Vec<u8> {
    (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect()
}

#[test]
fn a_mebibyte_of_bytes_round_trips_through_every_kind_of_call() {
    let data = mebibyte();
    let counter = Counter::spawn(0).unwrap();
    assert_eq!(counter.echo(data.clone()).unwrap(), data);
    assert_eq!(
        futures::executor::block_on(counter.to_async().echo(data.clone())).unwrap(),
        data
    );
    // A handle knows only the types, and sends serde's sequence of `u8`s,
    // which the actor reads as the bytes it expects.
    let echo: uactor::Method<(Vec<u8>,), Vec<u8>> = counter.echo_ref();
    assert_eq!(echo.call(data.clone()).unwrap(), data);

    let blobs = Blobs::spawn().unwrap();
    assert_eq!(blobs.swap(Some(data.clone())).unwrap(), None);
    assert_eq!(blobs.swap(None).unwrap(), Some(data.clone()));
    let mut reversed = data.clone();
    reversed.reverse();
    assert_eq!(blobs.reversed(data.clone()).unwrap(), Ok(reversed));
    assert_eq!(
        blobs.reversed(Vec::new()).unwrap(),
        Err("nothing to reverse".to_string())
    );
    assert_eq!(blobs.later(data.clone()).unwrap().get().unwrap(), data);
    assert_eq!(blobs.deferred(data.clone()).unwrap().get().unwrap(), data);
    let twin = blobs.to_async();
    assert_eq!(
        futures::executor::block_on(twin.later(data.clone())).unwrap(),
        data
    );
    assert_eq!(
        futures::executor::block_on(std::future::IntoFuture::into_future(
            blobs.later(vec![1, 2, 3]).unwrap()
        ))
        .unwrap(),
        vec![1, 2, 3]
    );
}

/// Runs the `panicker` binary with `mode`: its stdout and stderr, within a
/// bound.
fn panicker(mode: &str) -> (String, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_panicker"))
        .arg(mode)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("the panicker ({mode}) did not end within 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (out, err)
}

#[test]
fn an_actors_panics_are_printed_unless_its_options_say_quiet() {
    for mode in ["print", "quiet"] {
        let (out, err) = panicker(mode);
        // The caller learns of both panics either way.
        assert!(
            out.contains("CALLER a method panicked on purpose"),
            "{mode}: {out}"
        );
        assert!(out.contains("CALLER the constructor of"), "{mode}: {out}");
        assert!(out.contains("constructor blew up"), "{mode}: {out}");
        assert!(!out.contains("UNEXPECTED"), "{mode}: {out}");
        let printed = err.matches("panicked at").count();
        match mode {
            "print" => assert_eq!(printed, 2, "both panics printed: {err}"),
            _ => assert_eq!(printed, 0, "nothing printed: {err}"),
        }
    }
}
