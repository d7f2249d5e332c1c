//! The cluster's own small tokio runtime: one thread that drives the NATS
//! client and the cluster's timers in this process, whatever executor (if
//! any) the program uses. The blocking API hands it futures and waits for
//! their results within a bound.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use uactor_core::{Error, Result};

thread_local! {
    static ON_RUNTIME: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is the runtime's own, where nothing may block.
pub(crate) fn on_runtime() -> bool {
    ON_RUNTIME.with(std::cell::Cell::get)
}

fn runtime() -> Result<&'static Runtime> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("uactor-cluster")
                .on_thread_start(|| ON_RUNTIME.with(|flag| flag.set(true)))
                .enable_all()
                .build()
                .map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|error| Error::spawn(format!("starting the cluster's runtime: {error}")))
}

/// The runtime's handle, for spawning its tasks.
pub(crate) fn handle() -> Result<Handle> {
    runtime().map(|runtime| runtime.handle().clone())
}

/// Runs `future` on the cluster's runtime and waits for its result, at
/// most `bound` (past it the future is dropped and `Error::Timeout`
/// returned). On the runtime's own thread it refuses: see [`on_runtime`].
pub(crate) fn block<T: Send + 'static>(
    bound: Duration,
    future: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    if on_runtime() {
        return Err(Error::spawn(
            "a blocking cluster call on the cluster's own runtime thread",
        ));
    }
    let (sender, receiver) = mpsc::sync_channel(1);
    let task = handle()?.spawn(async move {
        let _ = sender.send(future.await);
    });
    match receiver.recv_timeout(bound) {
        Ok(result) => result,
        Err(_) => {
            task.abort();
            Err(Error::Timeout { after: bound })
        }
    }
}

/// Runs `future` on the runtime without waiting for it.
pub(crate) fn detach(future: impl Future<Output = ()> + Send + 'static) {
    if let Ok(handle) = handle() {
        handle.spawn(future);
    }
}
