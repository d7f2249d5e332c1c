//! `Semaphore`: a counter of permits kept in the actor, and
//! `SemaphoreProxy`.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use event_listener::{IntoNotification, Listener};
use uactor_core::{Call, CodecId, Error, Result};

use super::{Expose, object_proxy, serve};
use crate::call::{Late, ObjectRef, Reply};
use crate::host::waiting::{reply_later, unless_closed, within};
use crate::host::{Served, expose};

const ACQUIRE: u16 = 0;
const TRY_ACQUIRE: u16 = 1;
const RELEASE: u16 = 2;
const AVAILABLE: u16 = 3;

/// A counting semaphore shared between an actor and its proxies (Python
/// uActor's `Semaphore`). Clones are the same semaphore.
///
/// As Python's `threading.Semaphore`, permits are not owned: anyone may
/// release one, releasing more than were acquired raises the count, and a
/// process that dies holding permits does not give them back (use a
/// [`Lock`](super::Lock) for that). A caller that goes away while waiting
/// takes no permit.
#[derive(Clone)]
pub struct Semaphore(Arc<Inner>);

struct Inner {
    permits: Mutex<usize>,
    /// Notified once per permit released.
    released: event_listener::Event,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: usize) -> Self {
        Semaphore(Arc::new(Inner {
            permits: Mutex::new(permits),
            released: event_listener::Event::new(),
        }))
    }

    fn permits(&self) -> MutexGuard<'_, usize> {
        self.0
            .permits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a permit if one is free.
    pub fn try_acquire(&self) -> bool {
        let mut permits = self.permits();
        if *permits == 0 {
            return false;
        }
        *permits -= 1;
        true
    }

    /// Takes a permit, blocking this thread at most `timeout` (for good
    /// when `None`); returns whether it got one.
    pub fn acquire_timeout(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        loop {
            if self.try_acquire() {
                return true;
            }
            let listener = self.0.released.listen();
            if self.try_acquire() {
                return true;
            }
            match deadline {
                None => listener.wait(),
                Some(deadline) => {
                    if listener.wait_deadline(deadline).is_none() {
                        return self.try_acquire();
                    }
                }
            }
        }
    }

    /// Takes a permit, blocking this thread until one is free.
    pub fn acquire(&self) {
        self.acquire_timeout(None);
    }

    /// Takes a permit, waiting without blocking the thread.
    pub async fn acquire_async(&self) {
        loop {
            if self.try_acquire() {
                return;
            }
            let listener = self.0.released.listen();
            if self.try_acquire() {
                return;
            }
            listener.await;
        }
    }

    /// Gives a permit back and wakes one waiter.
    pub fn release(&self) {
        *self.permits() += 1;
        self.0.released.notify(1.additional());
    }

    /// How many permits are free now.
    pub fn available(&self) -> usize {
        *self.permits()
    }
}

impl Default for Semaphore {
    /// A semaphore with one permit, as Python's `Semaphore()`.
    fn default() -> Self {
        Semaphore::new(1)
    }
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.available())
            .finish()
    }
}

/// A proxy to a [`Semaphore`] kept in an actor (typeid `Semaphore`).
pub struct SemaphoreProxy {
    object: ObjectRef,
    _types: PhantomData<()>,
}

object_proxy!(SemaphoreProxy, uactor_core::typeid::SEMAPHORE);

impl SemaphoreProxy {
    /// Takes a permit, waiting until one is free. The wait happens in the
    /// actor, which serves other calls meanwhile.
    pub fn acquire(&self) -> Result<()> {
        if self
            .object
            .call_with(ACQUIRE, &(None::<Duration>,), self.give_back())?
        {
            Ok(())
        } else {
            Err(no_permit())
        }
    }

    /// Takes a permit, waiting at most `timeout`; returns whether it got one.
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<bool> {
        self.object
            .call_with(ACQUIRE, &(Some(timeout),), self.give_back())
    }

    /// The future of [`acquire`](Self::acquire). Dropping it before it
    /// resolves takes no permit: the wait is withdrawn, and a permit taken in
    /// the meantime is given back.
    pub fn acquire_async(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let acquired =
            self.object
                .call_async_with::<_, bool>(ACQUIRE, (None::<Duration>,), self.give_back());
        async move {
            if acquired.await? {
                Ok(())
            } else {
                Err(no_permit())
            }
        }
    }

    /// What a reply to an acquire that came after its caller gave up is
    /// handed to: the permit taken for nobody is given back.
    fn give_back(&self) -> impl FnOnce(CodecId) -> Late + use<> {
        let object = self.object.clone();
        move |codec| {
            Box::new(move |reply: Result<Reply>| {
                if let Ok(true) =
                    reply.and_then(|reply| reply.decode(|bytes| codec.decode::<bool>(bytes)))
                {
                    let _ = object.call::<_, ()>(RELEASE, &());
                }
            })
        }
    }

    /// Takes a permit if one is free, without waiting.
    pub fn try_acquire(&self) -> Result<bool> {
        self.object.call(TRY_ACQUIRE, &())
    }

    /// Gives a permit back.
    pub fn release(&self) -> Result<()> {
        self.object.call(RELEASE, &())
    }

    /// How many permits are free now.
    pub fn available(&self) -> Result<usize> {
        self.object.call(AVAILABLE, &())
    }
}

fn no_permit() -> Error {
    Error::protocol("the semaphore answered an acquire without a timeout with no permit")
}

impl Served for Semaphore {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::SEMAPHORE
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        match method {
            ACQUIRE => {
                let (timeout,): (Option<Duration>,) = call.args()?;
                if self.try_acquire() {
                    return call.reply(&true);
                }
                if timeout == Some(Duration::ZERO) {
                    return call.reply(&false);
                }
                let semaphore = self.clone();
                let connection = call.connection();
                reply_later(call, move || async move {
                    let taken =
                        unless_closed(connection, within(timeout, semaphore.acquire_async())).await;
                    Ok(taken.flatten().is_some())
                });
                Ok(())
            }
            TRY_ACQUIRE => serve!(call, || self.try_acquire()),
            RELEASE => serve!(call, || self.release()),
            AVAILABLE => serve!(call, || self.available()),
            other => Err(Error::protocol(format!(
                "a Semaphore has no method {other}"
            ))),
        }
    }
}

impl Expose for Semaphore {
    type Proxy = SemaphoreProxy;

    fn expose(&self) -> Result<SemaphoreProxy> {
        let identity = Arc::as_ptr(&self.0) as *const () as usize;
        let object = expose(Arc::new(self.clone()), identity)?;
        Ok(SemaphoreProxy {
            object,
            _types: PhantomData,
        })
    }
}
