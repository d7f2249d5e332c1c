//! Supervision: crashed actors re-created within their restart intensity.

use std::time::{Duration, Instant};

use tests::{Counter, alive, kill9, wait_gone};
use uactor::{Error, Exit, Options, Restart};

fn supervised(max_restarts: u32) -> Options {
    Options::new()
        .restart(Restart::OnCrash { max_restarts })
        .restart_period(Duration::from_secs(30))
}

/// Waits until `counter`'s generation reaches `generation`.
fn wait_generation(counter: &tests::CounterProxy, generation: u64) {
    let started = Instant::now();
    while uactor::observe::generation(counter) < generation {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no restart within 10 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_crashed_actor_is_recreated_from_its_arguments() {
    let counter = Counter::spawn_with(&supervised(3), 7).unwrap();
    assert_eq!(counter.add(1).unwrap(), 8);
    let first = counter.pid();
    assert_eq!(uactor::observe::generation(&counter), 0);
    kill9(first);
    assert!(wait_gone(first, Duration::from_secs(2)).is_some());
    // Once the crash is seen (the kernel tears a dead process's sockets
    // down a moment after it is gone, so a call sent in that moment is
    // still "in flight at the crash"), calls reach the new process.
    wait_generation(&counter, 1);
    assert_eq!(
        counter.get().unwrap(),
        7,
        "re-created from spawn's arguments"
    );
    assert_ne!(counter.pid(), first);
    assert!(alive(counter.pid()));
    let second = counter.pid();
    counter.shutdown().unwrap();
    assert!(!alive(second));
}

#[test]
fn calls_in_flight_at_the_crash_fail_with_actor_died() {
    let counter = Counter::spawn_with(&supervised(3), 0).unwrap();
    let pid = counter.pid();
    let caller = std::thread::spawn({
        let counter = counter.clone();
        move || counter.nap(10_000)
    });
    std::thread::sleep(Duration::from_millis(200));
    kill9(pid);
    assert_eq!(
        caller.join().unwrap(),
        Err(Error::ActorDied {
            status: Exit::Signal(9)
        })
    );
    wait_generation(&counter, 1);
    assert_eq!(counter.add(2).unwrap(), 2);
}

#[test]
fn a_crash_loop_stops_after_the_restart_limit_with_the_reason() {
    let counter = Counter::spawn_with(&supervised(3), 0).unwrap();
    for generation in 1..=3 {
        let pid = counter.pid();
        kill9(pid);
        wait_generation(&counter, generation);
        assert!(counter.get().is_ok(), "restart {generation} serves");
    }
    let last = counter.pid();
    kill9(last);
    assert!(wait_gone(last, Duration::from_secs(2)).is_some());
    let started = Instant::now();
    let error = loop {
        match counter.get() {
            Err(
                error @ Error::ActorDied {
                    status: Exit::GaveUp { .. },
                },
            ) => break error,
            other => {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "still {other:?}"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    };
    assert_eq!(
        error,
        Error::ActorDied {
            status: Exit::GaveUp {
                restarts: 3,
                code: None,
                signal: Some(9)
            }
        }
    );
    assert!(error.to_string().contains("after 3 restarts"), "{error}");
    assert_eq!(
        uactor::observe::generation(&counter),
        3,
        "exactly 3 restarts"
    );
}

#[test]
fn a_clean_shutdown_is_not_a_crash() {
    let counter = Counter::spawn_with(&supervised(3), 0).unwrap();
    let pid = counter.pid();
    counter.shutdown().unwrap();
    assert!(!alive(pid));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(uactor::observe::generation(&counter), 0);
    assert_eq!(counter.get(), Err(Error::Closed));
}
