//! The actor's runtime: where `async fn` methods and deferred results run.
//!
//! One thread, started on first use, runs every deferred call of the actor
//! process on a single-threaded executor, so futures need not be `Send` and
//! may hold the actor's read guard across `.await`. Which executor:
//!
//! - feature `tokio` (default): a current-thread tokio runtime with a
//!   `LocalSet`, so methods may use tokio's timers and I/O;
//! - else feature `smol` (or `async-std`): async-executor's `LocalExecutor`
//!   driven by async-io, smol's reactor;
//! - else: the `futures` crate's `LocalPool`.
//!
//! [`sleep`] and [`spawn_blocking`] work under any of them.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use futures::FutureExt;
use futures::StreamExt;
use futures::channel::{mpsc, oneshot};
use uactor_core::{Error, Result};

use crate::call::AsyncResult;

/// Work for the runtime thread: builds a future there.
pub(crate) type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

static RUNTIME: OnceLock<mpsc::UnboundedSender<Job>> = OnceLock::new();

/// Runs `job`'s future on the actor's runtime, starting it on first use.
pub(crate) fn submit(job: Job) -> Result<()> {
    let sender = RUNTIME.get_or_init(|| {
        let (sender, jobs) = mpsc::unbounded();
        // If the thread cannot start, its receiver is dropped with the
        // closure, and every submission fails below with a clear error.
        let _ = thread::Builder::new()
            .name("uactor-runtime".into())
            .spawn(move || run(jobs));
        sender
    });
    sender.unbounded_send(job).map_err(|_| {
        Error::spawn("the actor's runtime thread is not running (could not start a thread?)")
    })
}

#[cfg(feature = "tokio")]
fn run(mut jobs: mpsc::UnboundedReceiver<Job>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        while let Some(job) = jobs.next().await {
            tokio::task::spawn_local(job());
        }
    });
}

#[cfg(all(feature = "smol", not(feature = "tokio")))]
fn run(mut jobs: mpsc::UnboundedReceiver<Job>) {
    let executor = async_executor::LocalExecutor::new();
    async_io::block_on(executor.run(async {
        while let Some(job) = jobs.next().await {
            executor.spawn(job()).detach();
        }
    }));
}

#[cfg(not(any(feature = "tokio", feature = "smol")))]
fn run(mut jobs: mpsc::UnboundedReceiver<Job>) {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async move {
        while let Some(job) = jobs.next().await {
            let _ = spawner.spawn_local(job());
        }
    });
}

/// Runs `future` on the actor's runtime and returns its result as an
/// [`AsyncResult`] a method can return (Python uActor's `apply_async`). A panic
/// in the future is the result's [`Error::Remote`].
pub fn spawn_task<F, T>(future: F) -> AsyncResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = oneshot::channel();
    let job: Job = Box::new(move || {
        Box::pin(async move {
            let result = AssertUnwindSafe(future)
                .catch_unwind()
                .await
                .map_err(|panic| Error::Remote {
                    message: super::panic::message(&*panic),
                });
            let _ = sender.send(result);
        })
    });
    match submit(job) {
        Ok(()) => AsyncResult::local(receiver),
        Err(error) => AsyncResult::ready_with(Err(error)),
    }
}

/// Runs blocking `work` on a thread of its own and returns its result as an
/// [`AsyncResult`], so the actor's other callers are served meanwhile. A
/// panic in `work` is the result's [`Error::Remote`].
pub fn spawn_blocking<F, T>(work: F) -> AsyncResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = oneshot::channel();
    let started = thread::Builder::new()
        .name("uactor-blocking".into())
        .spawn(move || {
            let result =
                std::panic::catch_unwind(AssertUnwindSafe(work)).map_err(|panic| Error::Remote {
                    message: super::panic::message(&*panic),
                });
            let _ = sender.send(result);
        });
    match started {
        Ok(_) => AsyncResult::local(receiver),
        Err(error) => AsyncResult::ready_with(Err(Error::io("starting a blocking thread", error))),
    }
}

/// Waits `duration` without blocking the actor's runtime: for `async fn`
/// methods, under any runtime feature.
pub async fn sleep(duration: Duration) {
    #[cfg(feature = "tokio")]
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::sleep(duration).await;
        return;
    }
    #[cfg(feature = "smol")]
    {
        async_io::Timer::after(duration).await;
    }
    #[cfg(not(feature = "smol"))]
    {
        // No reactor of our own: a timer thread wakes the future.
        let (sender, receiver) = oneshot::channel::<()>();
        let started = thread::Builder::new()
            .name("uactor-timer".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                thread::sleep(duration);
                let _ = sender.send(());
            });
        if started.is_ok() {
            let _ = receiver.await;
        } else {
            thread::sleep(duration);
        }
    }
}
