//! A shutdown that lands while a supervisor re-creates its crashed actor
//! ends the actor for good, a thousand times over. On a file of its own,
//! so that the children it counts are only its own.

use std::time::{Duration, Instant};

use tests::{Counter, alive};
use uactor::{Options, Restart};

/// The processes whose parent is this one (zombies included: a child not
/// yet reaped is still a child left behind, for now).
fn children() -> Vec<u32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| {
                    let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                    let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                    let parent = stat.rsplit(')').next()?.split_whitespace().nth(1)?;
                    (parent == me).then_some(pid)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_thousand_shutdowns_during_a_restart_never_bring_the_actor_back() {
    let options = Options::new().restart(Restart::OnCrash { max_restarts: 5 });
    let started = Instant::now();
    let rounds_per_thread = 250;
    let threads: Vec<_> = (0..4u64)
        .map(|thread| {
            let options = options.clone();
            std::thread::spawn(move || {
                for round in 0..rounds_per_thread {
                    let counter = Counter::spawn_with(&options, 0).expect("spawn");
                    // Crash it, then shut it down at a moment that moves
                    // through the restart: at once, or a little later.
                    let _ = counter.abort();
                    let pause = (round + thread) % 4;
                    if pause > 0 {
                        std::thread::sleep(Duration::from_micros(pause * 700));
                    }
                    let _ = counter.shutdown();
                    // A restart under way would have installed its process
                    // by now; the proxy is still held, so nothing else
                    // would end it.
                    std::thread::sleep(Duration::from_millis(50));
                    let after = counter.get();
                    assert!(
                        after.is_err(),
                        "round {round}: the actor answered after its shutdown (generation {})",
                        uactor::observe::generation(&counter)
                    );
                    assert!(
                        !alive(counter.pid()),
                        "round {round}: process {} runs after the shutdown",
                        counter.pid()
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a round failed");
    }
    let took = started.elapsed();
    // Every process is reaped by its owner; give the last a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !children().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = children();
    println!("1000 shutdowns during restarts in {took:?}; processes left: {left:?}");
    assert!(left.is_empty(), "processes came back or stayed: {left:?}");
}
