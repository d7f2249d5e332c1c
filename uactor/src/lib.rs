#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub use uactor_core::{Actor, Address, Error, Exit, Proxy, Result};
pub use uactor_macros::{actor, interface, remote};
pub use uactor_manager::{
    AsyncResult, AsyncResultFuture, CallFuture, DictProxy, Event, EventProxy, Expose, ListProxy,
    ObjectRef, Options, Pool, Restart, Shared, Token, Transport, Typed, Value, ValueProxy, proxy,
    sleep, spawn_blocking, spawn_task as spawn, typeid,
};

/// How many times `proxy`'s actor was re-created by its supervisor
/// ([`Restart::OnCrash`]): 0 until its first crash, and always 0 for a
/// proxy that does not own its actor.
pub fn generation<P: uactor_manager::ProxyClient>(proxy: &P) -> u64 {
    proxy.client().generation()
}

// Method handles (callbacks) and `#[uactor::remote]` types.
pub use uactor_manager::{Method, Remote};

// The remaining built-in typeids, the dynamic `proxy_as` and iterators.
pub use uactor_manager::{
    AnyProxy, Barrier, BarrierProxy, Condition, ConditionProxy, IteratorProxy, LocalLockGuard,
    Lock, LockGuard, LockProxy, Queue, QueueProxy, Semaphore, SemaphoreProxy, proxy_as, proxy_iter,
};

/// A proxy to the actor this code runs in (typeid `actor`), to hand out
/// from one of its methods. Outside an actor process of type `A`:
/// [`Error::Proxy`].
pub fn this<A: Actor>() -> Result<A::Proxy>
where
    A::Proxy: uactor_manager::ProxyClient,
{
    let address = uactor_manager::hosted_address()
        .ok_or_else(|| Error::proxy("uactor::this works only inside an actor process"))?;
    uactor_manager::Client::from_token(Token::actor(address), A::NAME)
        .map(<A::Proxy as uactor_manager::ProxyClient>::from_client)
}

pub mod transport;

// Observability: counters of an actor, the actors this process
// owns, the set-up of actor processes.
mod observe;
pub use observe::{actors, stats};
pub use uactor_manager::{ActorInfo, ActorState, Stats};

// Transports, addresses and serving.
pub use uactor_core::CodecId;
pub use uactor_manager::{Server, connect_with, serve};
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use uactor_transport::tls::Tls;

/// Starts uactor in this process: the first line of `main` in every binary
/// that spawns actors.
///
/// In a normal start it returns at once. In a process that uactor started
/// as an actor host it never returns: it builds the actor, serves it until
/// shutdown, then exits. On Linux, the BSDs and macOS a hook that runs
/// before `main` already does this, which is why actors can also be spawned
/// from `#[test]` functions and doc tests with no extra line; calling
/// `init()` first keeps a binary correct on any platform.
///
/// ```
/// fn main() -> uactor::Result<()> {
///     uactor::init();
///     Ok(())
/// }
/// ```
pub fn init() {
    uactor_manager::serve_if_spawned();
}

/// The names most programs use: `use uactor::prelude::*;`.
pub mod prelude {
    pub use crate::{Actor, Address, Error, Options, Proxy, Result};
}

/// What `#[uactor::actor]` expands to calls; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use async_lock::RwLock;
    pub use serde;
    pub use std::boxed::Box;
    pub use std::sync::{Arc, Mutex};
    pub use std::vec::Vec;
    pub use uactor_core::{Actor, Call, Cell, CodecId};
    pub use uactor_manager::ACTOR_START;
    pub use uactor_manager::Expose;
    /// How many objects this actor process keeps for proxies (tests check
    /// that dropped proxies free them).
    pub use uactor_manager::hosted_objects;
    pub use uactor_manager::{
        ACTORS, Client, ProxyClient, Registration, connect, linkme, spawn_actor as spawn,
        spawn_actor_async as spawn_async,
    };
    pub use uactor_transport::{Registration as TransportRegistration, TRANSPORTS};
    // `#[uactor::remote]`, `#[uactor::interface]` and method handles.
    pub use uactor_core::protocol::{INTERFACE_METHOD, tag};
    pub use uactor_core::typeid;
    pub use uactor_manager::{
        Dispatch, INTERFACES, Interface, InterfaceImpl, InterfaceTarget, ObjectRef, Target,
        custom_proxy, deserialize_interface, deserialize_remote, dispatch_interface,
    };

    use crate::{Error, Result};
    use core::future::Future;

    /// Replies to `call` later, with the value `make`'s future resolves to,
    /// encoded by `encode`; the future runs on the actor's runtime.
    pub fn defer<R: 'static, F, Fut>(
        call: &mut Call<'_>,
        encode: fn(CodecId, &R, &mut Vec<u8>) -> Result<()>,
        make: F,
    ) where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<R>> + 'static,
    {
        let codec = call.codec();
        call.defer(Box::new(
            move || -> core::pin::Pin<Box<dyn Future<Output = Result<Vec<u8>>>>> {
                let future = make();
                Box::pin(async move {
                    let value = future.await?;
                    let mut out = Vec::new();
                    encode(codec, &value, &mut out)?;
                    Ok(out)
                })
            },
        ));
    }

    /// The error for a method index the actor does not have (a caller built
    /// against another version of the actor).
    pub fn unknown_method(actor: &'static str, method: u16) -> Error {
        Error::protocol(format!(
            "{actor} has no method {method}; are both sides built from the same code?"
        ))
    }

    /// The error for a constructor that returned `Err`.
    pub fn constructor_error<E: core::fmt::Display>(error: E) -> Error {
        Error::spawn(format!("the constructor failed: {error}"))
    }

    /// What may cross a process boundary as an argument or a result.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot cross a process boundary",
        label = "arguments and results of actor methods must be serializable",
        note = "derive `serde::Serialize` and `serde::Deserialize` for `{Self}`, or pass a type that has them"
    )]
    pub trait Wire: serde::Serialize + serde::de::DeserializeOwned + Send + 'static {}

    impl<T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static> Wire for T {}

    /// Fails to compile, at the caller's span, unless `T` is [`Wire`].
    pub const fn assert_wire<T: Wire>() {}

    /// What an actor's type must be: `Send`, since its methods run on
    /// whichever connection thread of the actor's process read the request
    /// (one at a time, behind a lock), so the actor moves between threads.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be an actor: it is not `Send`",
        label = "an actor moves between the threads of its process",
        note = "an actor's methods run on whichever thread of its process read the request, one \
                at a time behind a lock, so `{Self}` must be `Send`: share state through \
                `Arc<Mutex<T>>` (or atomics) instead of `Rc<RefCell<T>>`; the errors that follow \
                name the field that is not `Send`"
    )]
    pub trait ActorSend {}

    // Not recommended, so that the compiler reports `ActorSend` itself, with
    // the message above, rather than `Send` of some field deep inside.
    #[diagnostic::do_not_recommend]
    impl<T: Send> ActorSend for T {}

    /// Implemented by `#[uactor::actor]` for the actor's type before the
    /// `Actor` impl, so that the compiler checks it first: an actor that is
    /// not `Send` is reported with [`ActorSend`]'s message before the
    /// `Actor` impl's own errors about `Send`, which name uactor's internals.
    pub trait SendChecked: ActorSend {}
}
