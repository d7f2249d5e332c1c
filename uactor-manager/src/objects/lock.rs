//! `Lock`: a mutual-exclusion lock kept in the actor, `LockProxy`, and the
//! guards that hold it.
//!
//! Whoever holds the lock is known by a ticket, unique in the actor
//! process, and by the connection it was taken over: a guard dropped in the
//! caller gives the lock back, and so does the caller's connection closing
//! (its process died or disconnected), so a killed holder never leaves the
//! lock taken. [`Condition`](super::Condition) keeps one of these too.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use event_listener::{IntoNotification, Listener};
use uactor_core::{Call, CodecId, Error, Result};

use super::{Expose, object_proxy, serve};
use crate::call::{Late, ObjectRef, Reply};
use crate::host::waiting::{self, reply_later, unless_closed, within};
use crate::host::{Served, expose};

/// The methods of a lock, shared by `Lock` and `Condition` so that one
/// guard type serves both.
pub(super) const ACQUIRE: u16 = 0;
pub(super) const TRY_ACQUIRE: u16 = 1;
pub(super) const RELEASE: u16 = 2;
pub(super) const IS_LOCKED: u16 = 3;

/// Tickets of every lock of this process: a guard's ticket names one lock.
fn next_ticket() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The holder of a lock.
struct Holder {
    ticket: u64,
    connection: u64,
    /// The hook that releases the lock when `connection` closes.
    hook: Option<u64>,
}

/// What trying to take a lock gave.
pub(super) enum Take {
    /// Taken: the holder's ticket.
    Taken(u64),
    /// Someone holds it.
    Busy,
    /// The connection to take it for is closed: nothing was taken.
    Gone,
}

/// The state of one lock, behind an `Arc` that clones and proxies share.
#[derive(Default)]
pub(super) struct Core {
    holder: Mutex<Option<Holder>>,
    /// Notified on each release.
    released: event_listener::Event,
}

impl Core {
    fn holder(&self) -> MutexGuard<'_, Option<Holder>> {
        self.holder.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the lock for `connection` (0: the actor's own code), with
    /// ticket `ticket` (a new one when `None`), if it is free.
    pub(super) fn try_take(self: &Arc<Self>, connection: u64, ticket: Option<u64>) -> Take {
        let ticket = {
            let mut holder = self.holder();
            if holder.is_some() {
                return Take::Busy;
            }
            let ticket = ticket.unwrap_or_else(next_ticket);
            *holder = Some(Holder {
                ticket,
                connection,
                hook: None,
            });
            ticket
        };
        if connection == 0 {
            return Take::Taken(ticket);
        }
        let core = Arc::downgrade(self);
        let hook = waiting::on_close(
            connection,
            Box::new(move || {
                if let Some(core) = Weak::upgrade(&core) {
                    let _ = core.release(connection, ticket);
                }
            }),
        );
        match hook {
            Some(hook) => {
                if let Some(holder) = self
                    .holder()
                    .as_mut()
                    .filter(|holder| holder.ticket == ticket)
                {
                    holder.hook = Some(hook);
                } else {
                    waiting::cancel(connection, hook);
                }
                Take::Taken(ticket)
            }
            None => {
                let _ = self.release(connection, ticket);
                Take::Gone
            }
        }
    }

    /// Takes the lock for `connection`, waiting while it is held; `None`
    /// if that connection closed first.
    pub(super) async fn take(
        self: &Arc<Self>,
        connection: u64,
        ticket: Option<u64>,
    ) -> Option<u64> {
        loop {
            match self.try_take(connection, ticket) {
                Take::Taken(ticket) => return Some(ticket),
                Take::Gone => return None,
                Take::Busy => {}
            }
            let listener = self.released.listen();
            match self.try_take(connection, ticket) {
                Take::Taken(ticket) => return Some(ticket),
                Take::Gone => return None,
                Take::Busy => listener.await,
            }
        }
    }

    /// Takes the lock for the actor's own code, blocking this thread until
    /// `deadline` (or for good).
    fn take_blocking(self: &Arc<Self>, deadline: Option<Instant>) -> Option<u64> {
        loop {
            if let Take::Taken(ticket) = self.try_take(0, None) {
                return Some(ticket);
            }
            let listener = self.released.listen();
            if let Take::Taken(ticket) = self.try_take(0, None) {
                return Some(ticket);
            }
            match deadline {
                None => listener.wait(),
                Some(deadline) => listener.wait_deadline(deadline)?,
            }
        }
    }

    /// Gives the lock back, if `ticket` over `connection` holds it.
    pub(super) fn release(&self, connection: u64, ticket: u64) -> Result<()> {
        let released = {
            let mut holder = self.holder();
            match holder.as_ref() {
                Some(held) if held.ticket == ticket && held.connection == connection => {
                    holder.take()
                }
                _ => None,
            }
        };
        let Some(released) = released else {
            return Err(Error::proxy(
                "this guard does not hold the lock (it was released already)",
            ));
        };
        if let Some(hook) = released.hook {
            waiting::cancel(connection, hook);
        }
        self.released.notify(1.additional());
        Ok(())
    }

    /// Whether `ticket` over `connection` holds the lock.
    pub(super) fn held_by(&self, connection: u64, ticket: u64) -> bool {
        matches!(self.holder().as_ref(), Some(held) if held.ticket == ticket && held.connection == connection)
    }

    fn is_locked(&self) -> bool {
        self.holder().is_some()
    }

    /// Serves the lock's methods (`ACQUIRE` … `IS_LOCKED`) to a proxy.
    pub(super) fn serve(self: &Arc<Self>, method: u16, call: &mut Call<'_>) -> Result<()> {
        let connection = call.connection();
        match method {
            ACQUIRE => {
                let (timeout,): (Option<Duration>,) = call.args()?;
                if let Take::Taken(ticket) = self.try_take(connection, None) {
                    return call.reply(&Some(ticket));
                }
                if timeout == Some(Duration::ZERO) {
                    return call.reply(&None::<u64>);
                }
                let core = Arc::clone(self);
                reply_later(call, move || async move {
                    let taken =
                        unless_closed(connection, within(timeout, core.take(connection, None)))
                            .await;
                    Ok(taken.flatten().flatten())
                });
                Ok(())
            }
            TRY_ACQUIRE => match self.try_take(connection, None) {
                Take::Taken(ticket) => call.reply(&Some(ticket)),
                Take::Busy | Take::Gone => call.reply(&None::<u64>),
            },
            RELEASE => serve!(call, |ticket: u64| self.release(connection, ticket)?),
            IS_LOCKED => serve!(call, || self.is_locked()),
            other => Err(Error::protocol(format!("a lock has no method {other}"))),
        }
    }
}

/// A lock shared between an actor and its proxies (Python uActor's `Lock`): at
/// most one holder at a time, in the actor or in any process. Clones are
/// the same lock.
///
/// A caller holds it through the [`LockGuard`] that
/// [`LockProxy::acquire`] returns; the actor's own code through a
/// [`LocalLockGuard`]. It is not reentrant: taking it twice without
/// releasing waits forever (or until the timeout).
#[derive(Clone, Default)]
pub struct Lock(Arc<Core>);

impl Lock {
    /// A free lock.
    pub fn new() -> Self {
        Lock::default()
    }

    /// Takes the lock, blocking this thread while someone else holds it
    /// (for the actor's own threads, not its `async fn` methods).
    pub fn acquire(&self) -> LocalLockGuard {
        loop {
            if let Some(ticket) = self.0.take_blocking(None) {
                return LocalLockGuard {
                    core: Arc::clone(&self.0),
                    ticket,
                };
            }
        }
    }

    /// Takes the lock, blocking this thread at most `timeout`.
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<LocalLockGuard> {
        let ticket = self.0.take_blocking(Some(Instant::now() + timeout))?;
        Some(LocalLockGuard {
            core: Arc::clone(&self.0),
            ticket,
        })
    }

    /// Takes the lock without blocking the thread (for `async fn` methods).
    pub async fn acquire_async(&self) -> LocalLockGuard {
        loop {
            if let Some(ticket) = self.0.take(0, None).await {
                return LocalLockGuard {
                    core: Arc::clone(&self.0),
                    ticket,
                };
            }
        }
    }

    /// Takes the lock if it is free.
    pub fn try_acquire(&self) -> Option<LocalLockGuard> {
        match self.0.try_take(0, None) {
            Take::Taken(ticket) => Some(LocalLockGuard {
                core: Arc::clone(&self.0),
                ticket,
            }),
            Take::Busy | Take::Gone => None,
        }
    }

    /// Whether someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.0.is_locked()
    }

    /// The lock whose state is `core` (a condition's).
    pub(super) fn from_core(core: Arc<Core>) -> Self {
        Lock(core)
    }
}

impl std::fmt::Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.is_locked())
            .finish()
    }
}

/// The actor's own hold on a [`Lock`] (or a [`Condition`](super::Condition)'s
/// lock): released when dropped.
pub struct LocalLockGuard {
    pub(super) core: Arc<Core>,
    pub(super) ticket: u64,
}

impl Drop for LocalLockGuard {
    fn drop(&mut self) {
        let _ = self.core.release(0, self.ticket);
    }
}

impl std::fmt::Debug for LocalLockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalLockGuard")
            .field("ticket", &self.ticket)
            .finish()
    }
}

/// A proxy to a [`Lock`] kept in an actor (typeid `Lock`).
pub struct LockProxy {
    object: ObjectRef,
    _types: PhantomData<()>,
}

object_proxy!(LockProxy, uactor_core::typeid::LOCK);

impl LockProxy {
    /// Takes the lock, waiting while someone else holds it. The wait
    /// happens in the actor, which serves other calls meanwhile. The lock
    /// is released when the guard is dropped, or when this process exits
    /// or is killed while holding it.
    pub fn acquire(&self) -> Result<LockGuard> {
        LockGuard::acquire(&self.object, None)?.ok_or_else(|| {
            Error::protocol("the lock answered an acquire without a timeout with no ticket")
        })
    }

    /// Takes the lock, waiting at most `timeout`; `None` if it stayed held.
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<Option<LockGuard>> {
        LockGuard::acquire(&self.object, Some(timeout))
    }

    /// The future of [`acquire`](Self::acquire). Dropping it before it
    /// resolves leaves the lock free: the wait is withdrawn, and a lock
    /// granted in the meantime is released.
    pub fn acquire_async(
        &self,
    ) -> impl std::future::Future<Output = Result<LockGuard>> + Send + 'static {
        let object = self.object.clone();
        let ticket = object.call_async_with::<_, Option<u64>>(
            ACQUIRE,
            (None::<Duration>,),
            release_late(&object),
        );
        async move {
            let ticket = ticket.await?.ok_or_else(|| {
                Error::protocol("the lock answered an acquire without a timeout with no ticket")
            })?;
            Ok(LockGuard {
                object,
                ticket,
                released: false,
            })
        }
    }

    /// Takes the lock if it is free, without waiting.
    pub fn try_acquire(&self) -> Result<Option<LockGuard>> {
        LockGuard::try_acquire(&self.object)
    }

    /// Whether someone holds the lock (it may change at once).
    pub fn is_locked(&self) -> Result<bool> {
        self.object.call(IS_LOCKED, &())
    }
}

/// A caller's hold on a lock in an actor ([`LockProxy::acquire`], or a
/// [`ConditionProxy`](super::ConditionProxy)'s lock). Dropping it releases
/// the lock without waiting for the actor's answer;
/// [`release`](Self::release) does so and reports errors.
pub struct LockGuard {
    object: ObjectRef,
    ticket: u64,
    released: bool,
}

impl LockGuard {
    pub(super) fn acquire(
        object: &ObjectRef,
        timeout: Option<Duration>,
    ) -> Result<Option<LockGuard>> {
        let ticket: Option<u64> = object.call_with(ACQUIRE, &(timeout,), release_late(object))?;
        Ok(ticket.map(|ticket| LockGuard {
            object: object.clone(),
            ticket,
            released: false,
        }))
    }

    pub(super) fn try_acquire(object: &ObjectRef) -> Result<Option<LockGuard>> {
        let ticket: Option<u64> = object.call(TRY_ACQUIRE, &())?;
        Ok(ticket.map(|ticket| LockGuard {
            object: object.clone(),
            ticket,
            released: false,
        }))
    }

    /// The ticket this guard holds the lock with, for the condition's wait,
    /// checked to belong to the object at `object`'s address.
    pub(super) fn ticket_for(&self, object: &ObjectRef) -> Result<u64> {
        if self.object.address() != object.address() {
            return Err(Error::proxy("this guard holds a lock of another actor"));
        }
        Ok(self.ticket)
    }

    /// Releases the lock and waits for the actor to confirm.
    pub fn release(mut self) -> Result<()> {
        self.released = true;
        self.object.call(RELEASE, &(self.ticket,))
    }
}

/// What a reply to an acquire that came after its caller gave up is handed
/// to: the lock granted to nobody is released.
fn release_late(object: &ObjectRef) -> impl FnOnce(CodecId) -> Late + use<> {
    let object = object.clone();
    move |codec| {
        Box::new(move |reply: Result<Reply>| {
            if let Ok(Some(ticket)) =
                reply.and_then(|reply| reply.decode(|bytes| codec.decode::<Option<u64>>(bytes)))
            {
                let _ = object.call::<_, ()>(RELEASE, &(ticket,));
            }
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.released {
            // Sent, not awaited: a drop must not block. The actor reads this
            // connection's frames in order, so a later acquire from this
            // process finds the lock released.
            let _ = self.object.start::<_, ()>(RELEASE, &(self.ticket,));
        }
    }
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("object", &self.object)
            .field("ticket", &self.ticket)
            .finish()
    }
}

struct Kept(Arc<Core>);

impl Served for Kept {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::LOCK
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        self.0.serve(method, call)
    }
}

impl Expose for Lock {
    type Proxy = LockProxy;

    fn expose(&self) -> Result<LockProxy> {
        let identity = Arc::as_ptr(&self.0) as *const () as usize;
        let object = expose(Arc::new(Kept(Arc::clone(&self.0))), identity)?;
        Ok(LockProxy {
            object,
            _types: PhantomData,
        })
    }
}
