//! `Event`: a flag callers can wait on, and `EventProxy`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use uactor_core::{Call, Error, Result};

use super::{Expose, object_proxy};
use crate::call::ObjectRef;
use crate::host::{Served, expose};

const SET: u16 = 0;
const CLEAR: u16 = 1;
const IS_SET: u16 = 2;
const WAIT: u16 = 3;

/// A flag that callers can wait for (Python uActor's `Event`). Clones are the
/// same event.
#[derive(Debug, Default, Clone)]
pub struct Event(Arc<EventInner>);

#[derive(Debug, Default)]
struct EventInner {
    flag: AtomicBool,
    changed: event_listener::Event,
}

impl Event {
    /// A cleared event.
    pub fn new() -> Self {
        Event::default()
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.changed.notify(usize::MAX);
    }

    /// Clears the flag.
    pub fn clear(&self) {
        self.0.flag.store(false, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }

    /// Waits until the flag is set, at most `timeout`; returns whether it is.
    pub async fn wait_for(&self, timeout: Option<Duration>) -> bool {
        let wait = async {
            loop {
                if self.is_set() {
                    return true;
                }
                let listener = self.0.changed.listen();
                if self.is_set() {
                    return true;
                }
                listener.await;
            }
        };
        match timeout {
            None => wait.await,
            Some(timeout) => {
                let timer = crate::host::sleep(timeout);
                futures::pin_mut!(wait, timer);
                match futures::future::select(wait, timer).await {
                    futures::future::Either::Left((set, _)) => set,
                    futures::future::Either::Right(((), _)) => self.is_set(),
                }
            }
        }
    }
}

/// A proxy to an [`Event`] kept in an actor (typeid `Event`).
pub struct EventProxy {
    object: ObjectRef,
    _types: std::marker::PhantomData<()>,
}

object_proxy!(EventProxy, uactor_core::typeid::EVENT);

impl EventProxy {
    /// Sets the flag and wakes every waiter.
    pub fn set(&self) -> Result<()> {
        self.object.call(SET, &())
    }

    /// Clears the flag.
    pub fn clear(&self) -> Result<()> {
        self.object.call(CLEAR, &())
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> Result<bool> {
        self.object.call(IS_SET, &())
    }

    /// Waits until the flag is set. The actor serves other calls meanwhile.
    pub fn wait(&self) -> Result<()> {
        self.object
            .call::<_, bool>(WAIT, &(None::<Duration>,))
            .map(drop)
    }

    /// Waits until the flag is set, at most `timeout`; returns whether it is.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool> {
        self.object.call(WAIT, &(Some(timeout),))
    }
}

impl Served for Event {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::EVENT
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        match method {
            SET => super::serve!(call, || self.set()),
            CLEAR => super::serve!(call, || self.clear()),
            IS_SET => super::serve!(call, || self.is_set()),
            WAIT => {
                let (timeout,): (Option<Duration>,) = call.args()?;
                let event = self.clone();
                let codec = call.codec();
                call.defer(Box::new(move || {
                    Box::pin(async move {
                        let set = event.wait_for(timeout).await;
                        let mut out = Vec::new();
                        codec.encode(&set, &mut out)?;
                        Ok(out)
                    })
                }));
                Ok(())
            }
            other => Err(Error::protocol(format!("an Event has no method {other}"))),
        }
    }
}

impl Expose for Event {
    type Proxy = EventProxy;

    fn expose(&self) -> Result<EventProxy> {
        let identity = Arc::as_ptr(&self.0) as *const () as usize;
        let object = expose(Arc::new(self.clone()), identity)?;
        Ok(EventProxy {
            object,
            _types: std::marker::PhantomData,
        })
    }
}
