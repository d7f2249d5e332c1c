#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

#[cfg(feature = "cluster")]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub mod cluster;
pub mod future;
pub mod net;
pub mod objects;
pub mod observe;
pub mod options;
pub mod sync;
pub mod transport;

// What every program names: declaring, starting, calling, failing.
pub use uactor_core::{Actor, Bytes, Error, Exit, Proxy, Result};
#[doc = include_str!("../doc/actor.md")]
pub use uactor_macros::actor;
#[doc = include_str!("../doc/interface.md")]
pub use uactor_macros::interface;
#[doc = include_str!("../doc/remote.md")]
pub use uactor_macros::remote;
pub use uactor_manager::{Argument, AsyncResult, Method, Pool, sleep, spawn_blocking, spawn_task};

// Shortcuts to the names most programs take from the modules; each is
// documented in its module.
#[doc(no_inline)]
pub use crate::net::{Address, Transport};
#[doc(no_inline)]
pub use crate::objects::{DictProxy, ListProxy, Shared, proxy, this, typeid};
#[doc(no_inline)]
pub use crate::options::{Options, Restart};
#[doc(no_inline)]
pub use crate::sync::Event;

// The other root paths the API contract names, kept so that code written
// against them builds; their documented home is the module.
#[doc(hidden)]
pub use crate::net::serve;
#[doc(hidden)]
pub use crate::objects::{AnyProxy, IteratorProxy, Value, ValueProxy, proxy_as, proxy_iter};
#[doc(hidden)]
pub use crate::sync::{
    Barrier, BarrierProxy, Condition, ConditionProxy, EventProxy, Lock, LockProxy, Queue,
    QueueProxy, Semaphore, SemaphoreProxy,
};
#[doc(hidden)]
pub use uactor_manager::spawn_task as spawn;

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
/// With the `cluster` feature, a process started with the environment
/// variable `UACTOR_WORKER=1` serves as a cluster worker configured from
/// its environment (see `uactor::cluster::Config::from_env`) and never
/// returns either.
///
/// ```
/// fn main() -> uactor::Result<()> {
///     uactor::init();
///     Ok(())
/// }
/// ```
pub fn init() {
    uactor_manager::serve_if_spawned();
    #[cfg(feature = "cluster")]
    uactor_cluster::serve_if_worker();
}

/// The names most programs use: `use uactor::prelude::*;`.
///
/// The [`Proxy`] trait among them brings the built-ins every proxy has
/// (`stats`, `generation`) into scope.
pub mod prelude {
    #[doc(no_inline)]
    pub use crate::{
        Actor, Address, AsyncResult, Error, Method, Options, Pool, Proxy, Restart, Result, Shared,
        Transport,
    };
}

/// What `#[uactor::actor]`, `#[uactor::remote]` and `#[uactor::interface]`
/// expand to calls: re-exports only, not a public API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use std::boxed::Box;
    pub use std::sync::Arc;
    pub use std::vec::Vec;
    pub use uactor_core::protocol::{INTERFACE_METHOD, tag};
    pub use uactor_core::{
        Actor, ActorSend, ActorSync, Call, Cell, CodecId, MutexCell, RwLockCell, Token, typeid,
    };
    /// How many objects this actor process keeps for proxies (tests check
    /// that dropped proxies free them).
    pub use uactor_manager::hosted_objects;
    pub use uactor_manager::{
        ACTOR_START, ACTORS, Carried, Client, Dispatch, Expose, INTERFACES, Interface,
        InterfaceImpl, InterfaceTarget, ObjectRef, ProxyClient, Registration, Target, Wire,
        carried_future, carried_result, connect, constructor_error, custom_proxy, defer,
        deserialize_interface, deserialize_remote, dispatch_interface, linkme,
        spawn_actor as spawn, spawn_actor_async as spawn_async, unknown_method,
    };
    pub use uactor_transport::{Registration as TransportRegistration, TRANSPORTS};
}
