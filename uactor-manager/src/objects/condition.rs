//! `Condition`: a condition variable paired with its own lock, kept in the
//! actor, and `ConditionProxy`.
//!
//! The semantics are those of Python's `threading.Condition()`, which makes
//! its own lock: a waiter takes the condition's lock, checks what it waits
//! for, and calls `wait`, which releases the lock, sleeps until notified,
//! and takes the lock again before returning. A notifier changes the state
//! under the same lock, then notifies. Since a waiter is registered before
//! its lock is released, a notify that follows a change made under the
//! lock cannot be lost. `notify` itself does not need the lock (as Rust's
//! `Condvar`); a notify with nobody waiting does nothing. Wake-ups can only
//! come from a notify, but a woken waiter must still check its state again
//! in a loop: another may have changed it before the lock was taken back.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use uactor_core::{Call, Error, Result};

use super::lock::{self, Core, LocalLockGuard, LockGuard};
use super::{Expose, object_proxy};
use crate::call::ObjectRef;
use crate::host::waiting::{reply_later, unless_closed, within};
use crate::host::{Served, expose};

const WAIT: u16 = 4;
const NOTIFY: u16 = 5;

/// A condition variable shared between an actor and its proxies (Python
/// uActor's `Condition`), with a lock of its own. Clones are the same
/// condition.
///
/// The semantics are those of Python's `threading.Condition()`: a waiter
/// takes the condition's lock, checks what it waits for, and calls `wait`,
/// which releases the lock, sleeps until notified, and takes the lock again
/// before returning. A notifier changes the state under the same lock, then
/// notifies; such a notify cannot be lost. A woken waiter checks its state
/// again in a loop: another may have changed it before the lock was taken
/// back.
#[derive(Clone, Default)]
pub struct Condition(Arc<Inner>);

#[derive(Default)]
struct Inner {
    lock: Arc<Core>,
    waiters: Mutex<VecDeque<Arc<Waiter>>>,
}

/// One waiter, woken by a notify.
#[derive(Default)]
struct Waiter {
    notified: AtomicBool,
    wake: event_listener::Event,
}

impl Waiter {
    async fn notified(&self) {
        loop {
            if self.notified.load(Ordering::SeqCst) {
                return;
            }
            let listener = self.wake.listen();
            if self.notified.load(Ordering::SeqCst) {
                return;
            }
            listener.await;
        }
    }
}

impl Condition {
    /// A condition with a free lock and no waiter.
    pub fn new() -> Self {
        Condition::default()
    }

    fn waiters(&self) -> MutexGuard<'_, VecDeque<Arc<Waiter>>> {
        self.0
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The condition's lock, as a [`Lock`](super::Lock): the same lock.
    pub fn lock(&self) -> super::Lock {
        super::Lock::from_core(Arc::clone(&self.0.lock))
    }

    /// Takes the condition's lock, blocking this thread (for the actor's own
    /// threads).
    pub fn acquire(&self) -> LocalLockGuard {
        self.lock().acquire()
    }

    /// Takes the condition's lock if it is free.
    pub fn try_acquire(&self) -> Option<LocalLockGuard> {
        self.lock().try_acquire()
    }

    /// Wakes up to `n` waiters; returns how many it woke.
    pub fn notify(&self, n: usize) -> usize {
        let woken: Vec<Arc<Waiter>> = {
            let mut waiters = self.waiters();
            let n = n.min(waiters.len());
            waiters.drain(..n).collect()
        };
        for waiter in &woken {
            waiter.notified.store(true, Ordering::SeqCst);
            waiter.wake.notify(usize::MAX);
        }
        woken.len()
    }

    /// Wakes every waiter; returns how many it woke.
    pub fn notify_all(&self) -> usize {
        self.notify(usize::MAX)
    }

    /// Releases the lock held by `ticket` over `connection`, waits for a
    /// notify (at most `timeout`, and while `connection` is open), and
    /// takes the lock back with the same ticket. Returns whether it was
    /// notified, or `None` when the connection closed (the lock is then
    /// not taken back).
    async fn wait_for(
        &self,
        waiter: Arc<Waiter>,
        connection: u64,
        ticket: u64,
        timeout: Option<Duration>,
    ) -> Option<bool> {
        let woken = unless_closed(connection, within(timeout, waiter.notified())).await;
        let notified = {
            let mut waiters = self.waiters();
            match waiters
                .iter()
                .position(|queued| Arc::ptr_eq(queued, &waiter))
            {
                Some(at) => {
                    waiters.remove(at);
                    false
                }
                // Already taken off the queue: a notify chose it.
                None => true,
            }
        };
        if woken.is_none() {
            // The caller is gone: hand its wake-up to another waiter.
            if notified {
                self.notify(1);
            }
            return None;
        }
        self.0.lock.take(connection, Some(ticket)).await?;
        Some(notified)
    }

    /// Registers a waiter for the holder of `ticket` over `connection` and
    /// releases its lock; an error if it does not hold the lock.
    fn enqueue(&self, connection: u64, ticket: u64) -> Result<Arc<Waiter>> {
        if !self.0.lock.held_by(connection, ticket) {
            return Err(Error::proxy(
                "waiting on a condition needs its lock: acquire it first",
            ));
        }
        let waiter = Arc::new(Waiter::default());
        self.waiters().push_back(Arc::clone(&waiter));
        self.0.lock.release(connection, ticket)?;
        Ok(waiter)
    }

    /// Waits for a notify, blocking this thread: releases `guard`'s lock
    /// meanwhile and takes it back before returning. An error if `guard`
    /// holds another lock.
    pub fn wait(&self, guard: &mut LocalLockGuard) -> Result<()> {
        self.wait_timeout_inner(guard, None).map(drop)
    }

    /// As [`wait`](Self::wait), at most `timeout`; returns whether it was
    /// notified (the lock is taken back either way).
    pub fn wait_timeout(&self, guard: &mut LocalLockGuard, timeout: Duration) -> Result<bool> {
        self.wait_timeout_inner(guard, Some(timeout))
    }

    fn wait_timeout_inner(
        &self,
        guard: &mut LocalLockGuard,
        timeout: Option<Duration>,
    ) -> Result<bool> {
        if !Arc::ptr_eq(&guard.core, &self.0.lock) {
            return Err(Error::proxy(
                "this guard holds another lock than the condition's",
            ));
        }
        let waiter = self.enqueue(0, guard.ticket)?;
        let woken = futures::executor::block_on(self.wait_for(waiter, 0, guard.ticket, timeout));
        Ok(woken.unwrap_or_default())
    }
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("waiters", &self.waiters().len())
            .finish()
    }
}

/// A proxy to a [`Condition`] kept in an actor (typeid `Condition`).
///
/// ```no_run
/// # fn demo(condition: uactor_manager::ConditionProxy, ready: impl Fn() -> bool) -> uactor_core::Result<()> {
/// let guard = condition.acquire()?;
/// while !ready() {
///     condition.wait(&guard)?; // releases the lock while it waits
/// }
/// drop(guard);
/// # Ok(()) }
/// ```
pub struct ConditionProxy {
    object: ObjectRef,
    _types: PhantomData<()>,
}

object_proxy!(ConditionProxy, uactor_core::typeid::CONDITION);

impl ConditionProxy {
    /// Takes the condition's lock, waiting while someone else holds it.
    /// Released when the guard is dropped, or when this process exits or
    /// is killed while holding it.
    pub fn acquire(&self) -> Result<LockGuard> {
        LockGuard::acquire(&self.object, None)?.ok_or_else(|| {
            Error::protocol("the condition answered an acquire without a timeout with no ticket")
        })
    }

    /// Takes the condition's lock if it is free, without waiting.
    pub fn try_acquire(&self) -> Result<Option<LockGuard>> {
        LockGuard::try_acquire(&self.object)
    }

    /// Releases the lock `guard` holds, waits for a notify, and takes the
    /// lock back before returning. The wait happens in the actor, which
    /// serves other calls meanwhile. An error if `guard` does not hold this
    /// condition's lock.
    pub fn wait(&self, guard: &LockGuard) -> Result<()> {
        self.wait_inner(guard, None).map(drop)
    }

    /// As [`wait`](Self::wait), waiting at most `timeout`; returns whether
    /// it was notified. The lock is taken back either way.
    pub fn wait_timeout(&self, guard: &LockGuard, timeout: Duration) -> Result<bool> {
        self.wait_inner(guard, Some(timeout))
    }

    fn wait_inner(&self, guard: &LockGuard, timeout: Option<Duration>) -> Result<bool> {
        let ticket = guard.ticket_for(&self.object)?;
        self.object.call(WAIT, &(ticket, timeout))
    }

    /// Wakes one waiter; returns how many it woke (0 or 1).
    pub fn notify(&self) -> Result<usize> {
        self.object.call(NOTIFY, &(1usize,))
    }

    /// Wakes up to `n` waiters; returns how many it woke.
    pub fn notify_n(&self, n: usize) -> Result<usize> {
        self.object.call(NOTIFY, &(n,))
    }

    /// Wakes every waiter; returns how many it woke.
    pub fn notify_all(&self) -> Result<usize> {
        self.object.call(NOTIFY, &(usize::MAX,))
    }
}

impl Served for Condition {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::CONDITION
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        match method {
            lock::ACQUIRE | lock::TRY_ACQUIRE | lock::RELEASE | lock::IS_LOCKED => {
                self.0.lock.serve(method, call)
            }
            WAIT => {
                let (ticket, timeout): (u64, Option<Duration>) = call.args()?;
                let connection = call.connection();
                // Registered and released on the connection's thread, in
                // the order of this connection's calls.
                let waiter = self.enqueue(connection, ticket)?;
                let condition = self.clone();
                reply_later(call, move || async move {
                    condition
                        .wait_for(waiter, connection, ticket, timeout)
                        .await
                        .ok_or_else(|| Error::proxy("the caller went away while waiting"))
                });
                Ok(())
            }
            NOTIFY => super::serve!(call, |n: usize| self.notify(n)),
            other => Err(Error::protocol(format!(
                "a Condition has no method {other}"
            ))),
        }
    }
}

impl Expose for Condition {
    type Proxy = ConditionProxy;

    fn expose(&self) -> Result<ConditionProxy> {
        let identity = Arc::as_ptr(&self.0) as *const () as usize;
        let object = expose(Arc::new(self.clone()), identity)?;
        Ok(ConditionProxy {
            object,
            _types: PhantomData,
        })
    }
}
