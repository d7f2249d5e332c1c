//! The objects every actor can hand out by proxy, and their typed proxies:
//! Python uActor's built-in typeids (`list`, `dict`, `Value`, `Queue`, `Event`,
//! `Lock`, `Semaphore`, `Barrier`, `Condition`, `Iterator`, `actor`).
//!
//! Operations that wait (`Queue::get`, `Lock::acquire`, …) wait in the
//! actor's runtime and reply later ([`waiting`]): the connection they came
//! on, which every proxy of the caller's process shares, goes on serving.
//!
//! Each kept type implements [`Expose`], so `uactor::proxy(&kept)` returns
//! the proxy type of what is kept; each proxy implements [`Typed`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use uactor_core::Result;

mod any;
mod barrier;
mod condition;
mod dict;
mod event;
mod iterator;
mod list;
mod lock;
mod queue;
mod remote;
mod semaphore;
mod value;

pub use any::{AnyProxy, proxy_as};
pub use barrier::{Barrier, BarrierProxy};
pub use condition::{Condition, ConditionProxy};
pub use dict::DictProxy;
pub use event::{Event, EventProxy};
pub use iterator::{IteratorProxy, proxy_iter};
pub use list::ListProxy;
pub use lock::{LocalLockGuard, Lock, LockGuard, LockProxy};
pub use queue::{Queue, QueueProxy};
pub use remote::{Remote, custom_proxy, deserialize_remote, typeid_of};
pub use semaphore::{Semaphore, SemaphoreProxy};
pub use value::{Value, ValueProxy};

/// A value shared between an actor and the proxies it hands out: an
/// `Arc` and a lock. Clones are the same object.
///
/// `uactor::proxy(&shared)` is typed by what is kept: a `Shared<Vec<T>>`
/// gives a [`ListProxy<T>`], a `Shared<HashMap<K, V>>` a [`DictProxy<K, V>`].
#[derive(Debug, Default)]
pub struct Shared<T>(Arc<Mutex<T>>);

impl<T> Shared<T> {
    /// Shares `value`.
    pub fn new(value: T) -> Self {
        Shared(Arc::new(Mutex::new(value)))
    }

    /// Locks the value, for the actor's own code.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What identifies this object in the object table.
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

/// What can be handed out by proxy, and the proxy it becomes.
pub trait Expose {
    /// The typed proxy.
    type Proxy;

    /// Puts the object in the actor's table and returns a proxy to it.
    /// Outside an actor process: [`Error::Proxy`](uactor_core::Error::Proxy).
    fn expose(&self) -> Result<Self::Proxy>;
}

/// A proxy that knows its typeid.
pub trait Typed {
    /// The typeid (`"list"`, `"actor"`, …).
    fn typeid(&self) -> &str;
}

/// A proxy to `kept`, typed by what is kept (Python uActor's
/// `uactor.proxy(value, typeid)`): only inside an actor process.
pub fn proxy<K: Expose>(kept: &K) -> Result<K::Proxy> {
    kept.expose()
}

/// The typeid of `proxy`.
pub fn typeid<P: Typed>(proxy: &P) -> &str {
    proxy.typeid()
}

/// The proxy methods and `serde` impls every typed object proxy shares.
macro_rules! object_proxy {
    // A proxy without type parameters (rustfmt writes `EventProxy<>` so).
    ($proxy:ident, $typeid:expr) => {
        object_proxy!($proxy<>, $typeid);
    };
    ($proxy:ident < $($param:ident),* >, $typeid:expr) => {
        impl<$($param),*> Clone for $proxy<$($param),*> {
            fn clone(&self) -> Self {
                $proxy { object: self.object.clone(), _types: std::marker::PhantomData }
            }
        }

        impl<$($param),*> std::fmt::Debug for $proxy<$($param),*> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($proxy)).field("object", &self.object).finish()
            }
        }

        impl<$($param),*> serde::Serialize for $proxy<$($param),*> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                self.object.serialize(serializer)
            }
        }

        impl<'de, $($param),*> serde::Deserialize<'de> for $proxy<$($param),*> {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                let object = crate::call::ObjectRef::deserialize_as(deserializer, $typeid)?;
                Ok($proxy { object, _types: std::marker::PhantomData })
            }
        }

        impl<$($param),*> crate::objects::Typed for $proxy<$($param),*> {
            fn typeid(&self) -> &str {
                self.object.typeid()
            }
        }

        impl<$($param),*> $proxy<$($param),*> {
            /// Where the object's actor listens.
            pub fn address(&self) -> uactor_core::Address {
                self.object.address()
            }
        }
    };
}
pub(crate) use object_proxy;

/// The body of a `Served::serve` arm: decode the arguments, run, reply.
macro_rules! serve {
    ($call:ident, || $body:expr) => {{
        let () = $call.args()?;
        let result = $body;
        $call.reply(&result)
    }};
    ($call:ident, |$($arg:ident : $ty:ty),*| $body:expr) => {{
        #[allow(unused_parens)]
        let ($($arg,)*): ($($ty,)*) = $call.args()?;
        let result = $body;
        $call.reply(&result)
    }};
}
pub(crate) use serve;
