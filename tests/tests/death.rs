//! Death: of the actor (kill -9, abort, during a call) and of its parent.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::{Counter, Fragile, alive, kill9, quiet, wait_gone};
use uactor::{Error, Exit};

#[test]
fn kill_9_makes_calls_fail_with_actor_died_and_the_signal() {
    let counter = Counter::spawn(0).unwrap();
    let pid = counter.pid();
    kill9(pid);
    let started = Instant::now();
    let error = counter.get().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        error,
        Error::ActorDied {
            status: Exit::Signal(9)
        }
    );
    assert!(error.to_string().contains("SIGKILL"), "{error}");
    // Later calls fail the same way, at once.
    assert_eq!(counter.add(1).unwrap_err(), error);
    assert!(wait_gone(pid, Duration::from_secs(1)).is_some());
}

#[test]
fn a_call_in_flight_fails_at_once_when_its_actor_is_killed() {
    let counter = Counter::spawn(0).unwrap();
    let pid = counter.pid();
    let caller = std::thread::spawn({
        let counter = counter.clone();
        move || {
            let result = counter.nap(10_000);
            (result, Instant::now())
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let killed = Instant::now();
    kill9(pid);
    let (result, ended) = caller.join().unwrap();
    assert_eq!(
        result,
        Err(Error::ActorDied {
            status: Exit::Signal(9)
        })
    );
    let after = ended.duration_since(killed);
    assert!(
        after < Duration::from_secs(1),
        "the call ended {after:?} after the kill"
    );
}

#[test]
fn an_abort_is_reported_with_its_signal() {
    let counter = Counter::spawn(0).unwrap();
    assert_eq!(
        counter.abort(),
        Err(Error::ActorDied {
            status: Exit::Signal(6)
        })
    );
}

#[test]
fn a_failing_or_panicking_constructor_is_spawns_error() {
    let started = Instant::now();
    match Fragile::spawn("fail".into()) {
        Err(Error::Spawn { message }) => assert!(message.contains("refused to start"), "{message}"),
        other => panic!("expected Error::Spawn, got {other:?}"),
    }
    match Fragile::spawn_with(&quiet(), "panic".into()) {
        Err(Error::Spawn { message }) => {
            assert!(message.contains("constructor blew up"), "{message}")
        }
        other => panic!("expected Error::Spawn, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(Fragile::spawn("fine".into()).unwrap().ping().unwrap());
}

#[test]
fn actors_end_within_a_second_of_their_parents_death() {
    let mut parent = Command::new(env!("CARGO_BIN_EXE_parent"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = parent.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let line = received
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| {
            let _ = parent.kill();
            panic!("the parent never reported its actors");
        });
    let pids: Vec<u32> = line
        .strip_prefix("PIDS ")
        .unwrap()
        .split(' ')
        .map(|pid| pid.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 3);
    assert!(pids.iter().all(|&pid| alive(pid)));

    parent.kill().unwrap();
    let killed = Instant::now();
    parent.wait().unwrap();
    for pid in pids {
        let gone = wait_gone(pid, Duration::from_secs(1));
        assert!(
            gone.is_some(),
            "actor {pid} outlived its parent by over 1 s"
        );
    }
    assert!(killed.elapsed() < Duration::from_secs(2));
}
