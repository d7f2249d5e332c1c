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
pub fn generation<P: Proxy>(proxy: &P) -> u64 {
    proxy.generation()
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
pub fn this<A: Actor>() -> Result<A::Proxy> {
    let address = uactor_manager::hosted_address()
        .ok_or_else(|| Error::proxy("uactor::this works only inside an actor process"))?;
    A::Proxy::from_token(Token::actor(address))
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

/// What `#[uactor::actor]`, `#[uactor::remote]` and `#[uactor::interface]`
/// expand to calls: re-exports only, not a public API.
#[doc(hidden)]
pub mod __private {
    pub use async_lock::RwLock;
    pub use serde;
    pub use std::boxed::Box;
    pub use std::sync::{Arc, Mutex};
    pub use std::vec::Vec;
    pub use uactor_core::protocol::{INTERFACE_METHOD, tag};
    pub use uactor_core::{Actor, Call, Cell, CodecId, Token, typeid};
    /// How many objects this actor process keeps for proxies (tests check
    /// that dropped proxies free them).
    pub use uactor_manager::hosted_objects;
    pub use uactor_manager::{
        ACTOR_START, ACTORS, ActorSend, Client, Dispatch, Expose, INTERFACES, Interface,
        InterfaceImpl, InterfaceTarget, ObjectRef, ProxyClient, Registration, SendChecked, Target,
        Wire, connect, constructor_error, custom_proxy, defer, deserialize_interface,
        deserialize_remote, dispatch_interface, linkme, spawn_actor as spawn,
        spawn_actor_async as spawn_async, unknown_method,
    };
    pub use uactor_transport::{Registration as TransportRegistration, TRANSPORTS};
}
