//! A parent process for the orphan test: spawns actors (one from a thread
//! that exits at once), prints their pids, then waits to be killed.

use std::time::Duration;

use tests::Counter;

fn main() -> uactor::Result<()> {
    uactor::init();
    let first = Counter::spawn(0)?;
    let second = Counter::spawn(0)?;
    let from_thread = std::thread::spawn(|| Counter::spawn(0))
        .join()
        .expect("spawning thread")?;
    // The thread that spawned it has exited; the actor must live on.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(from_thread.add(1)?, 1);
    println!(
        "PIDS {} {} {}",
        first.pid(),
        second.pid(),
        from_thread.pid()
    );
    // Bounded: if nobody kills us, we end and take the actors with us.
    std::thread::sleep(Duration::from_secs(60));
    Ok(())
}
