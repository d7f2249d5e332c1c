//! `Iterator`: any iterator kept in the actor, and `IteratorProxy<T>`,
//! which walks it from another process a batch at a time.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uactor_core::{Address, Call, Error, Result};

use super::Typed;
use crate::call::ObjectRef;
use crate::host::{Served, expose};

const NEXT: u16 = 0;

/// How many items a proxy asks for at a time.
const BATCH: usize = 64;

/// The most items one reply carries, whatever a caller asks for.
const MAX_BATCH: usize = 4096;

/// Hands out `iter` by proxy (typeid `Iterator`): the caller walks it with
/// an [`IteratorProxy`], which fetches 64 items per call. The
/// iterator stays in the actor, and is dropped when exhausted or when the
/// last proxy to it is. Only inside an actor process; elsewhere
/// [`Error::Proxy`].
///
/// `next` runs on the thread that serves the caller's connection: an
/// iterator that blocks (waiting for data that another caller sends)
/// holds up that caller's process; hand out a [`Queue`](super::Queue) for
/// that instead.
pub fn proxy_iter<I>(iter: I) -> Result<IteratorProxy<I::Item>>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Serialize + DeserializeOwned + Send + 'static,
{
    let kept: Arc<Kept<I::Item>> = Arc::new(Kept {
        iter: Mutex::new(Some(Box::new(iter.into_iter()))),
    });
    let identity = Arc::as_ptr(&kept) as *const () as usize;
    let object = expose(kept, identity)?;
    Ok(IteratorProxy::from_object(object))
}

/// A proxy to an iterator kept in an actor (typeid `Iterator`): an
/// `Iterator<Item = uactor::Result<T>>` on the caller's side, fetching
/// 64 items per call (see [`with_batch`](Self::with_batch)).
///
/// An error (the actor died, say) is yielded once, then the iteration
/// ends. Clones and proxies that travel to another process walk the same
/// iterator in the actor, each from where the actor is: items this proxy
/// already fetched are not seen by the others.
pub struct IteratorProxy<T> {
    object: ObjectRef,
    fetched: VecDeque<T>,
    batch: usize,
    done: bool,
    _types: PhantomData<fn() -> T>,
}

impl<T> IteratorProxy<T> {
    fn from_object(object: ObjectRef) -> Self {
        IteratorProxy {
            object,
            fetched: VecDeque::new(),
            batch: BATCH,
            done: false,
            _types: PhantomData,
        }
    }

    /// Fetches `batch` items per call from now on (1 to 4096).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.clamp(1, MAX_BATCH);
        self
    }

    /// Where the iterator's actor listens.
    pub fn address(&self) -> Address {
        self.object.address()
    }
}

impl<T: DeserializeOwned> Iterator for IteratorProxy<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if let Some(item) = self.fetched.pop_front() {
            return Some(Ok(item));
        }
        if self.done {
            return None;
        }
        match self.object.call::<_, Vec<T>>(NEXT, &(self.batch as u32,)) {
            Ok(items) => {
                // A short batch means the iterator in the actor is done.
                self.done = items.len() < self.batch;
                self.fetched = items.into();
                self.fetched.pop_front().map(Ok)
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (self.fetched.len(), Some(self.fetched.len()))
        } else {
            (self.fetched.len(), None)
        }
    }
}

impl<T> Clone for IteratorProxy<T> {
    fn clone(&self) -> Self {
        IteratorProxy::from_object(self.object.clone()).with_batch(self.batch)
    }
}

impl<T> std::fmt::Debug for IteratorProxy<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IteratorProxy")
            .field("object", &self.object)
            .field("fetched", &self.fetched.len())
            .field("done", &self.done)
            .finish()
    }
}

impl<T> Serialize for IteratorProxy<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.object.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for IteratorProxy<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        ObjectRef::deserialize_as(deserializer, uactor_core::typeid::ITERATOR)
            .map(IteratorProxy::from_object)
    }
}

impl<T> Typed for IteratorProxy<T> {
    fn typeid(&self) -> &str {
        self.object.typeid()
    }
}

/// The iterator in the actor; `None` once exhausted, so what it holds is
/// dropped as soon as it is done.
struct Kept<T> {
    iter: Mutex<Option<Box<dyn Iterator<Item = T> + Send>>>,
}

impl<T: Serialize + Send + 'static> Served for Kept<T> {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::ITERATOR
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        match method {
            NEXT => {
                let (wanted,): (u32,) = call.args()?;
                let wanted = (wanted as usize).clamp(1, MAX_BATCH);
                let mut slot = self.iter.lock().unwrap_or_else(PoisonError::into_inner);
                let mut items = Vec::new();
                if let Some(iter) = slot.as_mut() {
                    items.extend(iter.take(wanted));
                    if items.len() < wanted {
                        *slot = None;
                    }
                }
                drop(slot);
                call.reply(&items)
            }
            other => Err(Error::protocol(format!(
                "an Iterator has no method {other}"
            ))),
        }
    }
}
