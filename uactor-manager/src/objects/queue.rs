//! `Queue`: a first-in first-out queue kept in the actor, and
//! `QueueProxy<T>`.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use event_listener::{IntoNotification, Listener};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::{Call, CodecId, Error, Result};

use super::{Expose, object_proxy, serve};
use crate::call::{Late, ObjectRef, Reply};
use crate::host::waiting::{reply_later, unless_closed, within};
use crate::host::{Served, expose};

const PUT: u16 = 0;
const GET: u16 = 1;
const TRY_GET: u16 = 2;
const LEN: u16 = 3;
const PUT_FRONT: u16 = 4;

/// An unbounded first-in first-out queue shared between an actor and its
/// proxies (Python uActor's `Queue`). Clones are the same queue.
///
/// The actor's own code uses it directly; callers in other processes use
/// its [`QueueProxy`], whose `get` waits in the actor without holding up
/// anyone else.
pub struct Queue<T>(Arc<Inner<T>>);

struct Inner<T> {
    items: Mutex<VecDeque<T>>,
    /// Notified once per item put.
    added: event_listener::Event,
}

impl<T> Queue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Queue(Arc::new(Inner {
            items: Mutex::new(VecDeque::new()),
            added: event_listener::Event::new(),
        }))
    }

    fn items(&self) -> MutexGuard<'_, VecDeque<T>> {
        self.0.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `item` and wakes one waiter.
    pub fn put(&self, item: T) {
        self.items().push_back(item);
        self.0.added.notify(1.additional());
    }

    /// Puts `item` back in front: an item taken for a caller that gave up
    /// before it got it.
    fn put_front(&self, item: T) {
        self.items().push_front(item);
        self.0.added.notify(1.additional());
    }

    /// Takes the first item, if there is one. Never blocks.
    pub fn try_get(&self) -> Option<T> {
        self.items().pop_front()
    }

    /// Takes the first item, blocking this thread until there is one (for
    /// the actor's own threads; async code uses [`get_async`](Self::get_async)).
    pub fn get(&self) -> T {
        loop {
            if let Some(item) = self.try_get() {
                return item;
            }
            let listener = self.0.added.listen();
            if let Some(item) = self.try_get() {
                return item;
            }
            listener.wait();
        }
    }

    /// Takes the first item, blocking this thread at most `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(item) = self.try_get() {
                return Some(item);
            }
            let listener = self.0.added.listen();
            if let Some(item) = self.try_get() {
                return Some(item);
            }
            listener.wait_deadline(deadline)?;
        }
    }

    /// Takes the first item, waiting for one without blocking the thread.
    pub async fn get_async(&self) -> T {
        loop {
            if let Some(item) = self.try_get() {
                return item;
            }
            let listener = self.0.added.listen();
            if let Some(item) = self.try_get() {
                return item;
            }
            listener.await;
        }
    }

    /// How many items are waiting.
    pub fn len(&self) -> usize {
        self.items().len()
    }

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.items().is_empty()
    }

    fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue(Arc::clone(&self.0))
    }
}

impl<T> std::fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("len", &self.len()).finish()
    }
}

/// A proxy to a [`Queue`] kept in an actor (typeid `Queue`).
pub struct QueueProxy<T> {
    object: ObjectRef,
    _types: PhantomData<fn() -> T>,
}

object_proxy!(QueueProxy<T>, uactor_core::typeid::QUEUE);

impl<T: Serialize + DeserializeOwned> QueueProxy<T> {
    /// Appends `item`.
    pub fn put(&self, item: T) -> Result<()> {
        self.object.call(PUT, &(item,))
    }

    /// Takes the first item, waiting until there is one. The wait happens
    /// in the actor, which serves other calls meanwhile, this process's
    /// other threads included. A call that gives up (its call timeout) takes
    /// nothing: the wait is withdrawn, and an item taken in the meantime is
    /// put back in front.
    pub fn get(&self) -> Result<T> {
        self.object
            .call_with::<_, Option<T>>(GET, &(None::<Duration>,), self.put_back())?
            .ok_or_else(no_item)
    }

    /// Takes the first item, waiting at most `timeout`; `None` if none came.
    pub fn get_timeout(&self, timeout: Duration) -> Result<Option<T>> {
        self.object
            .call_with(GET, &(Some(timeout),), self.put_back())
    }

    /// The future of [`get`](Self::get). Dropping it before it resolves
    /// takes nothing: the wait is withdrawn, and an item taken in the
    /// meantime is put back in front.
    pub fn get_async(&self) -> impl std::future::Future<Output = Result<T>> + Send + 'static
    where
        T: Send + 'static,
    {
        let got =
            self.object
                .call_async_with::<_, Option<T>>(GET, (None::<Duration>,), self.put_back());
        async move { got.await?.ok_or_else(no_item) }
    }

    /// What a reply to a get that came after its caller gave up is handed
    /// to: the item goes back in front of the queue.
    fn put_back(&self) -> impl FnOnce(CodecId) -> Late + use<T> {
        let object = self.object.clone();
        // A function pointer carries no lifetime of `T`'s.
        let put_front: fn(&ObjectRef, CodecId, &[u8]) = |object, codec, bytes| {
            if let Ok(Some(item)) = codec.decode::<Option<T>>(bytes) {
                let _ = object.call::<_, ()>(PUT_FRONT, &(item,));
            }
        };
        move |codec| {
            Box::new(move |reply: Result<Reply>| {
                if let Ok(reply) = reply {
                    let _ = reply.decode(|bytes| {
                        put_front(&object, codec, bytes);
                        Ok(())
                    });
                }
            })
        }
    }

    /// Takes the first item, if there is one, without waiting.
    pub fn try_get(&self) -> Result<Option<T>> {
        self.object.call(TRY_GET, &())
    }

    /// How many items are waiting.
    pub fn len(&self) -> Result<usize> {
        self.object.call(LEN, &())
    }

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|len| len == 0)
    }
}

fn no_item() -> Error {
    Error::protocol("the queue answered a get without a timeout with no item")
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Served for Queue<T> {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::QUEUE
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        match method {
            PUT => serve!(call, |item: T| self.put(item)),
            GET => {
                let (timeout,): (Option<Duration>,) = call.args()?;
                // An item already there is answered at once, without the
                // hop to the runtime thread.
                if let Some(item) = self.try_get() {
                    return call.reply(&Some(item));
                }
                if timeout == Some(Duration::ZERO) {
                    return call.reply(&None::<T>);
                }
                let queue = self.clone();
                let connection = call.connection();
                reply_later(call, move || async move {
                    // A caller that went away takes nothing: the item stays
                    // for the next one.
                    let taken = unless_closed(connection, within(timeout, queue.get_async())).await;
                    Ok(taken.flatten())
                });
                Ok(())
            }
            TRY_GET => serve!(call, || self.try_get()),
            LEN => serve!(call, || self.len()),
            PUT_FRONT => serve!(call, |item: T| self.put_front(item)),
            other => Err(Error::protocol(format!("a Queue has no method {other}"))),
        }
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Expose for Queue<T> {
    type Proxy = QueueProxy<T>;

    fn expose(&self) -> Result<QueueProxy<T>> {
        let object = expose(Arc::new(self.clone()), self.identity())?;
        Ok(QueueProxy {
            object,
            _types: PhantomData,
        })
    }
}
