//! Pools: calls spread over several actor processes.

use std::time::{Duration, Instant};

use futures::TryFutureExt;

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

#[test]
fn async_calls_spread_over_the_pool_without_a_thread_each() {
    let pool = Pool::<Counter>::spawn(2, 0).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Two 400 ms calls at once, from one thread: concurrent, on two
        // actors.
        let started = Instant::now();
        let (a, b) = futures::future::join(
            pool.call_async(|counter| counter.nap(400)),
            pool.call_async(|counter| counter.nap(400)),
        )
        .await;
        assert_eq!((a.unwrap(), b.unwrap()), (400, 400));
        let took = started.elapsed();
        assert!(took < Duration::from_millis(750), "took {took:?}");

        let values = pool
            .broadcast_async(|counter| counter.add(1))
            .await
            .unwrap();
        assert_eq!(values, vec![1, 1]);

        // A map over 100 items: every one answered, in order, both actors
        // used.
        let doubled = pool
            .map(0..100i64, |counter, item| {
                counter.checked_div(1).map_ok(move |_| item * 2)
            })
            .await;
        let doubled: Vec<i64> = doubled.into_iter().map(Result::unwrap).collect();
        assert_eq!(doubled, (0..100).map(|item| item * 2).collect::<Vec<_>>());
    });
}

#[test]
fn an_actor_starts_and_ends_from_async_code() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pid = runtime.block_on(async {
        let counter = Counter::spawn_async(7).await.unwrap();
        let twin = counter.to_async();
        assert_eq!(twin.add(1).await.unwrap(), 8);
        let pid = twin.pid();
        twin.shutdown().await.unwrap();
        assert!(matches!(counter.get(), Err(uactor::Error::Closed)));
        pid
    });
    assert!(!alive(pid), "the actor outlived its async shutdown");
}

#[test]
fn calls_pass_over_an_actor_that_died() {
    let pool = Pool::<Counter>::spawn(2, 0).unwrap();
    let dead = pool.proxies().next().unwrap().clone();
    assert!(dead.abort().is_err());
    for _ in 0..20 {
        assert_eq!(pool.call(|counter| counter.nap(1)).unwrap(), 1);
    }
    assert!(matches!(dead.get(), Err(uactor::Error::ActorDied { .. })));
}

/// What a `Labelled` is built from: serializable, not `Clone`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Setting {
    label: String,
}

/// An actor whose constructor takes two arguments, one of them not `Clone`.
#[derive(Debug)]
pub struct Labelled {
    label: String,
    n: u32,
}

#[uactor::actor]
impl Labelled {
    /// A parameter named `n`, like the pool's count.
    pub fn new(setting: Setting, n: u32) -> Self {
        Labelled {
            label: setting.label,
            n,
        }
    }

    /// What it was built from.
    pub fn describe(&self) -> String {
        format!("{} {}", self.label, self.n)
    }
}

fn setting() -> Setting {
    Setting {
        label: "spare".into(),
    }
}

#[test]
fn a_pool_takes_the_constructors_arguments_as_spawn_does() {
    // Written as for `Labelled::spawn(setting(), 7)`.
    let pool = Labelled::pool(3, setting(), 7).unwrap();
    assert_eq!(pool.len(), 3);
    assert_eq!(
        pool.broadcast(|labelled| labelled.describe()).unwrap(),
        vec!["spare 7"; 3]
    );
    let pool = Labelled::pool_with(&uactor::Options::new(), 2, setting(), 8).unwrap();
    assert_eq!(
        pool.call(|labelled| labelled.describe()).unwrap(),
        "spare 8"
    );
    // The generic form holds what `Actor::Args` holds: a tuple here.
    let pool = Pool::<Labelled>::spawn(1, (setting(), 9)).unwrap();
    assert_eq!(
        pool.call(|labelled| labelled.describe()).unwrap(),
        "spare 9"
    );
    assert!(matches!(
        Labelled::pool(0, setting(), 1),
        Err(uactor::Error::Spawn { .. })
    ));
}
