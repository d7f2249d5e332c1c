//! Concurrent calls: async methods, AsyncResult, the async twin under any
//! runtime, pipelining.

use std::time::{Duration, Instant};

use tests::{Sleeper, quiet};
use uactor::{Error, Exit};

#[test]
fn three_naps_on_two_actors_take_the_time_of_one() {
    let a = Sleeper::spawn().unwrap();
    let b = Sleeper::spawn().unwrap();
    let started = Instant::now();
    let first = a.nap(600).unwrap();
    let second = a.nap(600).unwrap();
    let third = b.nap(600).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "the calls returned at once"
    );
    assert!(!first.ready());
    assert_eq!(
        (
            first.get().unwrap(),
            second.get().unwrap(),
            third.get().unwrap()
        ),
        (600, 600, 600)
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1200),
        "3 × 600 ms took {took:?}: not concurrent"
    );
}

#[test]
fn async_result_waits_times_out_and_tells_readiness() {
    let sleeper = Sleeper::spawn_with(&quiet()).unwrap();
    let result = sleeper.nap(300).unwrap();
    assert!(!result.ready());
    assert!(!result.wait_timeout(Duration::from_millis(20)).unwrap());
    assert!(result.wait_timeout(Duration::from_secs(5)).unwrap());
    assert!(result.ready());
    result.wait().unwrap();
    assert_eq!(result.get().unwrap(), 300);

    assert_eq!(
        sleeper.crunch(1000).unwrap().get().unwrap(),
        (0..1000u64).map(|x| x * x).sum::<u64>()
    );
    match sleeper.fail_later().unwrap().get() {
        Err(Error::Remote { message }) => assert!(message.contains("the task failed"), "{message}"),
        other => panic!("expected Error::Remote, got {other:?}"),
    }
    // The actor still serves.
    assert_eq!(sleeper.total().unwrap(), 0);
}

#[test]
fn mut_async_methods_run_one_at_a_time() {
    let sleeper = Sleeper::spawn().unwrap();
    let started = Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|_| sleeper.add_slowly(1, 150).unwrap())
        .collect();
    let mut totals: Vec<u64> = calls.into_iter().map(|call| call.get().unwrap()).collect();
    totals.sort_unstable();
    assert_eq!(totals, vec![1, 2, 3]);
    assert!(
        started.elapsed() >= Duration::from_millis(440),
        "they overlapped: {:?}",
        started.elapsed()
    );
}

#[test]
fn waiting_fails_with_actor_died_when_the_actor_dies_first() {
    let sleeper = Sleeper::spawn().unwrap();
    let doomed = sleeper.die_after(100).unwrap();
    let long = sleeper.nap(10_000).unwrap();
    let started = Instant::now();
    assert_eq!(
        long.get(),
        Err(Error::ActorDied {
            status: Exit::Signal(6)
        })
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(doomed.get(), Err(Error::ActorDied { .. })));
}

async fn many_calls(sleeper: &tests::SleeperAsyncProxy) -> Vec<u64> {
    // Replies come back out of order (longer naps first sent); each reaches
    // its own future.
    let calls = (0..100u64).map(|i| sleeper.nap(30 - (i % 30)));
    let started = Instant::now();
    let values = futures::future::join_all(calls).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    values.into_iter().map(|value| value.unwrap()).collect()
}

fn expected() -> Vec<u64> {
    (0..100u64).map(|i| 30 - (i % 30)).collect()
}

#[test]
fn the_async_twin_runs_under_futures_block_on() {
    let sleeper = Sleeper::spawn().unwrap().to_async();
    assert_eq!(
        futures::executor::block_on(many_calls(&sleeper)),
        expected()
    );
}

#[test]
fn the_async_twin_runs_under_tokio() {
    let sleeper = Sleeper::spawn().unwrap().to_async();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(many_calls(&sleeper)), expected());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        runtime.block_on(async { sleeper.total().await }).unwrap(),
        0
    );
}

#[test]
fn the_async_twin_runs_under_smol() {
    let sleeper = Sleeper::spawn().unwrap().to_async();
    let executor = async_executor::Executor::new();
    let values = async_io::block_on(executor.run(many_calls(&sleeper)));
    assert_eq!(values, expected());
}

#[test]
fn dropping_a_pending_future_disturbs_no_other_call() {
    let proxy = Sleeper::spawn().unwrap();
    let sleeper = proxy.to_async();
    futures::executor::block_on(async {
        let kept = sleeper.nap(100);
        let dropped = sleeper.nap(50);
        drop(dropped);
        let also_kept = sleeper.crunch(10);
        assert_eq!(kept.await.unwrap(), 100);
        assert_eq!(also_kept.await.unwrap(), 285);
    });
    // Blocking calls and handles on the same connection still work.
    assert_eq!(proxy.total().unwrap(), 0);
    assert_eq!(proxy.nap(5).unwrap().await_blocking(), 5);
}

trait AwaitBlocking<T> {
    fn await_blocking(self) -> T;
}

impl<T: Send + 'static> AwaitBlocking<T> for uactor::AsyncResult<T> {
    fn await_blocking(self) -> T {
        futures::executor::block_on(std::future::IntoFuture::into_future(self)).unwrap()
    }
}
