//! How objects wait on behalf of their callers: within a timeout, no
//! longer than the caller's connection stays open, and with the reply sent
//! later so that a waiting call stalls nobody.
//!
//! Connections are seen here as the objects an actor hands out see them: a
//! number per connection, a signal when it closes, and what to undo then.
//! A connection closes when its process disconnects, dies or is killed.
//! Objects use this to release what a caller held (a [`Lock`](super::Lock)
//! taken over it) and to stop waiting on its behalf (a `Queue::get` whose
//! caller is gone must not take an item). The host opens one [`Open`] per
//! connection; nothing here knows how connections are read or written.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde::Serialize;
use uactor_core::{Call, Result};

/// What runs when a connection closes.
type Hook = Box<dyn FnOnce() + Send>;

/// One open connection.
#[derive(Default)]
struct State {
    closed: AtomicBool,
    closing: event_listener::Event,
    hooks: Mutex<HashMap<u64, Hook>>,
}

fn open_connections() -> &'static Mutex<HashMap<u64, Arc<State>>> {
    static OPEN: OnceLock<Mutex<HashMap<u64, Arc<State>>>> = OnceLock::new();
    OPEN.get_or_init(Mutex::default)
}

fn state(connection: u64) -> Option<Arc<State>> {
    open_connections()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&connection)
        .cloned()
}

/// A connection the host serves; dropping it closes it: its hooks run and
/// its waiters stop.
#[derive(Debug)]
pub(crate) struct Open {
    id: u64,
}

impl Open {
    /// Numbers a new connection (from 1; 0 stands for "no connection").
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        open_connections()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::default());
        Open { id }
    }

    /// Its number, which calls over it carry (`Call::connection`).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let Some(state) = open_connections()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id)
        else {
            return;
        };
        state.closed.store(true, Ordering::SeqCst);
        state.closing.notify(usize::MAX);
        // Run outside every lock: a hook releases a lock, which wakes
        // waiters that may register hooks of their own.
        let hooks =
            std::mem::take(&mut *state.hooks.lock().unwrap_or_else(PoisonError::into_inner));
        for (_, hook) in hooks {
            hook();
        }
    }
}

/// Runs `hook` when `connection` closes; returns the number to
/// [`cancel`] it with, or `None` when the connection is already closed
/// (then `hook` is dropped unrun, and the caller undoes at once).
/// Connection 0 never closes.
pub(crate) fn on_close(connection: u64, hook: Hook) -> Option<u64> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    if connection == 0 {
        return Some(0);
    }
    let state = state(connection)?;
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut hooks = state.hooks.lock().unwrap_or_else(PoisonError::into_inner);
    // Checked under the hooks' lock, which `Open::drop` takes after setting
    // the flag: a hook is either run by it or refused here.
    if state.closed.load(Ordering::SeqCst) {
        return None;
    }
    hooks.insert(id, hook);
    Some(id)
}

/// Forgets hook `hook` of `connection` (what it undoes was undone).
pub(crate) fn cancel(connection: u64, hook: u64) {
    if let Some(state) = state(connection) {
        state
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&hook);
    }
}

/// Resolves when `connection` closes (at once if it is not open; never
/// for connection 0).
pub(crate) async fn closed(connection: u64) {
    if connection == 0 {
        return futures::future::pending().await;
    }
    let Some(state) = state(connection) else {
        return;
    };
    loop {
        if state.closed.load(Ordering::SeqCst) {
            return;
        }
        let listener = state.closing.listen();
        if state.closed.load(Ordering::SeqCst) {
            return;
        }
        listener.await;
    }
}

/// Runs `future` until it resolves or `connection` closes, whichever is
/// first: `None` when the caller went away (the future is dropped, so a
/// waiter takes nothing on behalf of a caller that is gone).
pub(crate) async fn unless_closed<F: Future>(connection: u64, future: F) -> Option<F::Output> {
    let closed = closed(connection);
    futures::pin_mut!(future, closed);
    match futures::future::select(future, closed).await {
        futures::future::Either::Left((output, _)) => Some(output),
        futures::future::Either::Right(((), _)) => None,
    }
}

/// Runs `future` for at most `timeout` (`None`: as long as it takes);
/// `None` when the time ran out first.
pub(crate) async fn within<F: Future>(timeout: Option<Duration>, future: F) -> Option<F::Output> {
    match timeout {
        None => Some(future.await),
        Some(timeout) => {
            let timer = super::sleep(timeout);
            futures::pin_mut!(future, timer);
            match futures::future::select(future, timer).await {
                futures::future::Either::Left((output, _)) => Some(output),
                futures::future::Either::Right(((), _)) => None,
            }
        }
    }
}

/// Replies to `call` later, with what the future `make` builds resolves
/// to. The future runs on the actor's runtime thread: the connection's
/// thread goes on reading its other calls meanwhile.
pub(crate) fn reply_later<F, Fut, R>(call: &mut Call<'_>, make: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<R>> + 'static,
    R: Serialize,
{
    let codec = call.codec();
    call.defer(Box::new(move || {
        Box::pin(async move {
            let value = make().await?;
            let mut out = Vec::new();
            codec.encode(&value, &mut out)?;
            Ok(out)
        })
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_run_once_on_close_and_not_after_cancel() {
        let open = Open::new();
        let ran = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&ran);
        let kept = on_close(
            open.id(),
            Box::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
        );
        let counted = Arc::clone(&ran);
        let cancelled = on_close(
            open.id(),
            Box::new(move || {
                counted.fetch_add(10, Ordering::SeqCst);
            }),
        );
        assert!(kept.is_some());
        cancel(open.id(), cancelled.unwrap_or_default());
        let id = open.id();
        drop(open);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert!(
            on_close(id, Box::new(|| ())).is_none(),
            "a closed connection refuses hooks"
        );
        futures::executor::block_on(closed(id));
        assert_eq!(
            futures::executor::block_on(unless_closed(id, futures::future::pending::<()>())),
            None
        );
    }
}
