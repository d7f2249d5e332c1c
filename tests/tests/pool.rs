//! Pools: calls spread over several actor processes.

use std::time::{Duration, Instant};

use tests::{Counter, alive};
use uactor::Pool;

#[test]
fn concurrent_calls_go_to_the_least_loaded_actor() {
    let pool = Pool::<Counter>::spawn(2, 0).unwrap();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| assert_eq!(pool.call(|counter| counter.nap(400)).unwrap(), 400));
        }
    });
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(750),
        "two 400 ms calls on a pool of two took {took:?}"
    );
}

#[test]
fn broadcast_reaches_every_actor_and_drop_ends_them_all() {
    let pool = Pool::<Counter>::spawn(3, 5).unwrap();
    assert_eq!(pool.len(), 3);
    let values = pool.broadcast(|counter| counter.add(1)).unwrap();
    assert_eq!(values, vec![6, 6, 6]);
    let pids = pool
        .broadcast(|counter| Ok(uactor::Proxy::pid(counter)))
        .unwrap();
    let mut unique = pids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 3);
    drop(pool);
    for pid in pids {
        assert!(!alive(pid), "actor {pid} outlived its pool");
    }
}
