//! A parent for the orphan tests: spawns N actors (argument, 32 by
//! default), every other one from a thread that exits right after, prints
//! their pids on one line, then waits to be killed.

use std::time::Duration;

use tests::Counter;

fn main() -> uactor::Result<()> {
    uactor::init();
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(32);
    let mut actors = Vec::with_capacity(count);
    for index in 0..count {
        let actor = if index % 2 == 0 {
            Counter::spawn(index as i64)?
        } else {
            // The spawning thread is gone before the actor is used: the
            // actor must not depend on it (PR_SET_PDEATHSIG would fire).
            std::thread::spawn(move || Counter::spawn(index as i64))
                .join()
                .expect("a spawning thread")?
        };
        actors.push(actor);
    }
    for (index, actor) in actors.iter().enumerate() {
        assert_eq!(actor.get()?, index as i64);
    }
    let pids: Vec<String> = actors.iter().map(|actor| actor.pid().to_string()).collect();
    println!("PIDS {}", pids.join(" "));
    // Bounded: if nobody kills us, we end and take the actors with us.
    std::thread::sleep(Duration::from_secs(60));
    Ok(())
}
