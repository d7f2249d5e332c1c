//! Result proxies through real actor processes: each built-in typeid,
//! waits that stall nobody, a lock whose killed holder gives it back,
//! proxies that travel between processes, nested actors, `proxy_as`, and
//! the object table not growing with the proxies made.

use std::collections::HashSet;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tests::{Counter, Holder, Keeper, KeeperProxy, Nest, alive, kill9, wait_gone};
use uactor::sync::QueueProxy;
use uactor::{Error, ListProxy};

/// The bound on every cross-process wait in this file.
const LIMIT: Duration = Duration::from_secs(10);

/// Runs `work` on a thread and waits at most `LIMIT` for its result, so a
/// wait that never ends is a failure rather than a hung test.
fn bounded<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let _ = sender.send(work());
    });
    receiver
        .recv_timeout(LIMIT)
        .unwrap_or_else(|_| panic!("{what} did not finish within {LIMIT:?}"))
}

/// Polls `condition` until it holds, at most `LIMIT`.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < LIMIT,
            "{what}: still not true after {LIMIT:?}"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// The resident set of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc status")
}

fn keeper() -> KeeperProxy {
    Keeper::spawn(2, 3).expect("spawn Keeper")
}

#[test]
fn typeids_list_every_builtin() {
    let typeids = Keeper::typeids();
    for typeid in [
        "list",
        "dict",
        "Value",
        "Queue",
        "Event",
        "Lock",
        "Semaphore",
        "Barrier",
        "Condition",
        "AsyncResult",
        "Iterator",
        "actor",
        "auto",
    ] {
        assert!(
            typeids.contains(&typeid),
            "{typeid} missing from {typeids:?}"
        );
    }
}

#[test]
fn queue_get_waits_in_the_actor_without_stalling_other_callers_of_the_process() {
    let keeper = keeper();
    let queue: QueueProxy<i64> = keeper.queue().unwrap();
    assert_eq!(uactor::typeid(&queue), "Queue");
    assert!(queue.is_empty().unwrap());
    assert_eq!(queue.try_get().unwrap(), None);
    assert_eq!(queue.get_timeout(Duration::from_millis(50)).unwrap(), None);

    // One thread of this process waits in get(); the other keeps calling
    // over the same connection, then puts.
    let (started, waiting) = mpsc::channel();
    let getter = {
        let queue = queue.clone();
        thread::spawn(move || {
            let _ = started.send(());
            queue.get()
        })
    };
    waiting.recv_timeout(LIMIT).unwrap();
    thread::sleep(Duration::from_millis(50)); // let the get reach the actor
    let items = keeper.items().unwrap();
    let calls = {
        let keeper = keeper.clone();
        bounded("calls while a get waits", move || {
            for i in 0..100 {
                assert!(keeper.ping().unwrap());
                items.push(i).unwrap();
            }
            items.len().unwrap()
        })
    };
    assert_eq!(calls, 100);
    assert!(!getter.is_finished(), "get returned with an empty queue");
    queue.put(42).unwrap();
    let got = bounded("the waiting get", move || getter.join().unwrap());
    assert_eq!(got.unwrap(), 42);

    // Order is first in, first out; len counts.
    for i in 0..5 {
        queue.put(i).unwrap();
    }
    assert_eq!(queue.len().unwrap(), 5);
    let drained: Vec<i64> = (0..5).map(|_| queue.get().unwrap()).collect();
    assert_eq!(drained, vec![0, 1, 2, 3, 4]);
    assert_eq!(queue.get_timeout(Duration::from_millis(20)).unwrap(), None);
    keeper.shutdown().unwrap();
}

#[test]
fn lock_excludes_and_is_released_on_drop_and_when_its_holder_is_killed() {
    let keeper = keeper();
    let lock = keeper.lock().unwrap();
    assert_eq!(uactor::typeid(&lock), "Lock");

    let guard = lock.acquire().unwrap();
    assert!(lock.is_locked().unwrap());
    assert!(
        lock.try_acquire().unwrap().is_none(),
        "held, yet taken again"
    );
    // A second thread waits for it, in the actor, while this one goes on.
    let waiter = {
        let lock = lock.clone();
        thread::spawn(move || lock.acquire().map(|guard| guard.release()))
    };
    thread::sleep(Duration::from_millis(50));
    assert!(
        keeper.ping().unwrap(),
        "the actor is held up by a waiting acquire"
    );
    assert!(!waiter.is_finished());
    drop(guard);
    bounded("the waiting acquire", move || waiter.join().unwrap())
        .unwrap()
        .unwrap();
    assert!(!lock.is_locked().unwrap());

    // Another process takes it and is killed while holding it.
    let holder = Holder::spawn().unwrap();
    assert!(
        holder.take(lock.clone()).unwrap().unwrap(),
        "the holder did not get a free lock"
    );
    assert!(
        lock.try_acquire().unwrap().is_none(),
        "the holder's lock was taken"
    );
    assert!(
        lock.acquire_timeout(Duration::from_millis(50))
            .unwrap()
            .is_none()
    );
    let pid = holder.pid();
    kill9(pid);
    assert!(
        wait_gone(pid, LIMIT).is_some(),
        "the holder survived kill -9"
    );
    let retaken = lock.acquire_timeout(LIMIT).unwrap();
    assert!(retaken.is_some(), "a killed holder kept the lock");
    retaken.unwrap().release().unwrap();
    drop(holder);
    keeper.shutdown().unwrap();
}

#[test]
fn semaphore_counts_permits_and_waits_for_a_release() {
    let keeper = keeper();
    let semaphore = keeper.semaphore().unwrap();
    assert_eq!(uactor::typeid(&semaphore), "Semaphore");
    semaphore.acquire().unwrap();
    assert!(semaphore.try_acquire().unwrap());
    assert!(!semaphore.try_acquire().unwrap());
    assert_eq!(semaphore.available().unwrap(), 0);
    assert!(
        !semaphore
            .acquire_timeout(Duration::from_millis(50))
            .unwrap()
    );
    let waiter = {
        let semaphore = semaphore.clone();
        thread::spawn(move || semaphore.acquire())
    };
    thread::sleep(Duration::from_millis(50));
    assert!(keeper.ping().unwrap());
    assert!(!waiter.is_finished());
    semaphore.release().unwrap();
    bounded("the waiting acquire", move || waiter.join().unwrap()).unwrap();
    assert_eq!(semaphore.available().unwrap(), 0);
    semaphore.release().unwrap();
    semaphore.release().unwrap();
    assert_eq!(semaphore.available().unwrap(), 2);
    keeper.shutdown().unwrap();
}

#[test]
fn barrier_lets_a_round_through_together_and_a_timeout_withdraws() {
    let keeper = keeper(); // 3 parties
    let barrier = keeper.barrier().unwrap();
    assert_eq!(uactor::typeid(&barrier), "Barrier");
    assert_eq!(barrier.parties().unwrap(), 3);

    // Two arrive and give up: the round is not complete, and they withdraw.
    let early = {
        let barrier = barrier.clone();
        thread::spawn(move || barrier.wait_timeout(Duration::from_millis(100)))
    };
    assert_eq!(
        barrier.wait_timeout(Duration::from_millis(100)).unwrap(),
        None
    );
    assert_eq!(
        bounded("the early waiter", move || early.join().unwrap()).unwrap(),
        None
    );
    assert_eq!(
        barrier.waiting().unwrap(),
        0,
        "a waiter that gave up still counts"
    );

    for _round in 0..2 {
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let barrier = barrier.clone();
                thread::spawn(move || barrier.wait())
            })
            .collect();
        let indexes: HashSet<usize> = bounded("a round of the barrier", move || {
            waiters
                .into_iter()
                .map(|waiter| waiter.join().unwrap().unwrap())
                .collect()
        });
        assert_eq!(indexes, HashSet::from([0, 1, 2]));
    }
    keeper.shutdown().unwrap();
}

#[test]
fn condition_wait_releases_its_lock_and_wakes_on_notify() {
    let keeper = keeper();
    let condition = keeper.condition().unwrap();
    let items = keeper.items().unwrap();
    assert_eq!(uactor::typeid(&condition), "Condition");
    assert_eq!(
        condition.notify().unwrap(),
        0,
        "woke somebody with nobody waiting"
    );

    // Waiting without the lock is an error, not a hang.
    let lock_of_another = keeper.lock().unwrap().acquire().unwrap();
    assert!(matches!(
        condition.wait(&lock_of_another),
        Err(Error::Proxy { .. })
    ));
    drop(lock_of_another);

    let (holding, held) = mpsc::channel();
    let waiter = {
        let condition = condition.clone();
        let items = items.clone();
        thread::spawn(move || -> uactor::Result<usize> {
            let guard = condition.acquire()?;
            let _ = holding.send(());
            let mut waits = 0;
            while items.is_empty()? {
                assert!(
                    condition.wait_timeout(&guard, LIMIT)?,
                    "not notified in time"
                );
                waits += 1;
            }
            guard.release()?;
            Ok(waits)
        })
    };
    // The waiter holds the lock: it is free again only once it waits.
    held.recv_timeout(LIMIT).unwrap();
    let guard = bounded("taking the lock of a waiting condition", {
        let condition = condition.clone();
        move || condition.acquire()
    })
    .unwrap();
    items.push(1).unwrap();
    drop(guard);
    eventually("a notify wakes the waiter", || {
        condition.notify_all().unwrap() == 1 || waiter.is_finished()
    });
    let waits = bounded("the condition's waiter", move || waiter.join().unwrap()).unwrap();
    assert!(waits >= 1);
    let guard = condition.acquire().unwrap();
    assert!(
        !condition
            .wait_timeout(&guard, Duration::from_millis(20))
            .unwrap(),
        "notified by nobody"
    );
    guard.release().unwrap();
    keeper.shutdown().unwrap();
}

#[test]
fn iterators_are_walked_in_batches_and_lists_iterate_a_snapshot() {
    let keeper = keeper();
    let numbers = keeper.numbers(1000).unwrap();
    assert_eq!(uactor::typeid(&numbers), "Iterator");
    let walked: Vec<u64> = numbers.collect::<uactor::Result<_>>().unwrap();
    assert_eq!(walked, (0..1000).collect::<Vec<_>>());
    assert_eq!(keeper.numbers(0).unwrap().count(), 0);
    // A small batch still sees everything once.
    let small: Vec<u64> = keeper
        .numbers(10)
        .unwrap()
        .with_batch(3)
        .map(Result::unwrap)
        .collect();
    assert_eq!(small, (0..10).collect::<Vec<_>>());

    let items = keeper.items().unwrap();
    items.extend((0..100).collect()).unwrap();
    let snapshot = items.iter().unwrap();
    items.push(1000).unwrap();
    let seen: Vec<i64> = snapshot.map(Result::unwrap).collect();
    assert_eq!(
        seen,
        (0..100).collect::<Vec<_>>(),
        "the snapshot saw a later push"
    );

    // Exhausted iterators leave the table.
    let base = keeper.hosted_objects().unwrap();
    let iter = keeper.numbers(5).unwrap();
    assert_eq!(keeper.hosted_objects().unwrap(), base + 1);
    drop(iter);
    eventually("a dropped iterator is freed", || {
        keeper.hosted_objects().unwrap() == base
    });
    keeper.shutdown().unwrap();
}

#[test]
fn twenty_thousand_proxies_made_and_dropped_do_not_grow_the_actor() {
    let keeper = keeper();
    let pid = keeper.pid();
    let base = keeper.hosted_objects().unwrap();
    // Warm up: allocator arenas and connection buffers reach their size.
    for _ in 0..1_000 {
        drop(keeper.fresh(4).unwrap());
        drop(keeper.queue().unwrap());
    }
    eventually("warm-up proxies are freed", || {
        keeper.hosted_objects().unwrap() == base
    });
    let before = rss_kib(pid);
    for _ in 0..10_000 {
        drop(keeper.fresh(4).unwrap()); // a new object each time
        drop(keeper.queue().unwrap()); // the same object each time
    }
    eventually("20 000 dropped proxies are freed", || {
        keeper.hosted_objects().unwrap() == base
    });
    let after = rss_kib(pid);
    println!("actor RSS before {before} KiB, after 20 000 proxies {after} KiB");
    assert!(
        after < before + 2048,
        "the actor grew from {before} KiB to {after} KiB"
    );
    keeper.shutdown().unwrap();
}

#[test]
fn a_proxy_goes_from_actor_a_through_actor_b_and_back_and_still_mutates_a() {
    let a = keeper();
    let b = Holder::spawn().unwrap();
    let base = a.hosted_objects().unwrap();
    let list: ListProxy<i64> = a.items().unwrap();
    list.push(1).unwrap();
    let back = b.relay(list.clone(), 2).unwrap(); // B pushes through it, keeps it, returns it
    back.push(3).unwrap();
    assert_eq!(a.sum().unwrap(), 6);
    assert_eq!(list.to_vec().unwrap(), vec![1, 2, 3]);
    drop(list);
    drop(back);
    assert_eq!(
        a.hosted_objects().unwrap(),
        base + 1,
        "B's copy must keep the object"
    );
    b.forget().unwrap();
    eventually("the object is freed once every copy is dropped", || {
        a.hosted_objects().unwrap() == base
    });

    // B's process ends while it keeps a copy: its references go with it.
    let list = a.items().unwrap();
    let kept = b.relay(list, 4).unwrap();
    drop(kept);
    assert_eq!(a.hosted_objects().unwrap(), base + 1);
    b.shutdown().unwrap();
    eventually("a dead holder's references are released", || {
        a.hosted_objects().unwrap() == base
    });
    assert_eq!(a.sum().unwrap(), 10);
    a.shutdown().unwrap();
}

#[test]
fn nested_actors_are_returned_by_proxy_and_end_with_their_owner() {
    let nest = Nest::spawn(5).unwrap();
    let first = nest.first().unwrap();
    assert_eq!(first.add(1).unwrap(), 6);
    let second = nest.spawn_child(10).unwrap();
    assert_eq!(second.get().unwrap(), 10);
    let pids = [first.pid(), second.pid()];
    assert!(pids.iter().all(|pid| alive(*pid)) && !pids.contains(&nest.pid()));
    // The proxies the caller holds are references: dropping them ends nothing.
    drop(first);
    assert!(alive(pids[0]), "a reference ended the nest's child");
    nest.shutdown().unwrap();
    for pid in pids {
        assert!(
            wait_gone(pid, LIMIT).is_some(),
            "child {pid} outlived its owner"
        );
    }
    assert!(second.get().is_err());
}

#[test]
fn proxy_as_is_the_dynamic_proxy_and_fails_with_error_proxy() {
    let keeper = keeper();
    let any = keeper.items_as("list".into()).unwrap();
    assert_eq!(any.typeid(), "list");
    assert_eq!(uactor::typeid(&any), "list");
    let list: ListProxy<i64> = any.clone().downcast().unwrap();
    list.push(5).unwrap();
    assert_eq!(keeper.sum().unwrap(), 5);
    assert!(matches!(
        any.downcast::<QueueProxy<i64>>(),
        Err(Error::Proxy { .. })
    ));

    assert!(matches!(
        keeper.items_as("dict".into()),
        Err(Error::Proxy { .. })
    ));
    assert!(matches!(
        keeper.items_as("no such typeid".into()),
        Err(Error::Proxy { .. })
    ));

    let itself = keeper.itself_as("actor".into()).unwrap();
    assert_eq!(itself.typeid(), "actor");
    let reference: KeeperProxy = itself.downcast().unwrap();
    assert_eq!(reference.pid(), keeper.pid());
    assert!(reference.ping().unwrap());
    assert!(matches!(
        keeper.stranger_as_actor(),
        Err(Error::Proxy { .. })
    ));
    assert!(matches!(
        keeper.itself_as("list".into()),
        Err(Error::Proxy { .. })
    ));
    drop(reference);

    // Outside an actor process: an error, not a panic.
    let outside = uactor::Shared::new(vec![1i64]);
    assert!(matches!(
        uactor::objects::proxy_as(&outside, "list"),
        Err(Error::Proxy { .. })
    ));
    assert!(matches!(
        uactor::proxy(&uactor::sync::Queue::<i64>::new()),
        Err(Error::Proxy { .. })
    ));
    assert!(matches!(
        uactor::objects::proxy_iter(0..3),
        Err(Error::Proxy { .. })
    ));
    assert!(matches!(
        uactor::proxy(&uactor::sync::Lock::new()),
        Err(Error::Proxy { .. })
    ));
    let counter_value = Counter::new(0);
    assert!(matches!(
        uactor::objects::proxy_as(&counter_value, "actor"),
        Err(Error::Proxy { .. })
    ));
    keeper.shutdown().unwrap();
}
