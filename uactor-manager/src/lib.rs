//! Process management of [uactor](https://docs.rs/uactor-rs): spawning
//! actor processes, serving them, and watching them end. Use it through the
//! `uactor-rs` crate (`uactor::…`); this crate is what generated code and the
//! facade call.
//!
//! - [`spawn_actor`] re-executes the current binary as the host of one
//!   actor, hands it the process tree's authkey over a private bootstrap
//!   channel and returns the owning proxy once the actor listens;
//! - [`Host`] is the actor side: it accepts, authenticates and serves
//!   connections, one call at a time, on the thread that read it; it also
//!   answers [`Stats`] requests itself, beside the actor;
//! - [`Client`] is the caller side that every proxy wraps: pipelined calls,
//!   the caller reads its own reply, death is reported as
//!   [`Error::ActorDied`](uactor_core::Error::ActorDied) with the exit status;
//!   the clients that own their actor are listed by [`actors`];
//! - the object table ([`expose`], [`ObjectRef`]) keeps what an actor hands
//!   out by proxy while some proxy refers to it;
//! - the before-main hook ([`serve_if_spawned`]) turns a spawned process into
//!   its actor, in test binaries and doc tests too, after running the
//!   program's [`ACTOR_START`] functions;
//! - with the `tracing` feature, spans for spawn, connect, call and serve,
//!   the call's trace context travelling in the request (see the facade's
//!   docs).
//!
//! It knows nothing of the macro syntax: generated code reaches it through
//! the facade's `__private` module.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod async_result;
mod bootstrap;
mod builtins;
mod client;
mod connections;
mod context;
mod endpoint;
mod host;
mod interface;
mod link;
mod method;
mod object;
mod options;
mod owned;
mod pool;
mod process;
mod registry;
mod remote;
mod runtime;
mod serve;
mod spawn;
mod startup;
mod stats;
mod trace;

pub use async_result::{AsyncResult, AsyncResultFuture, CallFuture};
pub use bootstrap::serve_if_spawned;
pub use builtins::{
    AnyProxy, Barrier, BarrierProxy, Condition, ConditionProxy, IteratorProxy, LocalLockGuard,
    Lock, LockGuard, LockProxy, Queue, QueueProxy, Semaphore, SemaphoreProxy, proxy_as, proxy_iter,
};
pub use builtins::{
    DictProxy, Event, EventProxy, Expose, ListProxy, Shared, Typed, Value, ValueProxy, proxy,
    typeid,
};
pub use client::{Client, ProxyClient};
pub use client::{connect, connect_with};
pub use host::{ActorManager, Host, HostSettings};
pub use interface::{
    Dispatch, INTERFACES, Interface, InterfaceActor, InterfaceImpl, InterfaceTarget,
    deserialize_interface, dispatch_interface, interfaces_of,
};
pub use linkme;
pub use method::{Method, Target};
pub use object::{ObjectRef, Served, expose, hosted_address, hosted_objects};
pub use options::{DEFAULT_RESTART_PERIOD, Options, Restart};
pub use owned::{ActorInfo, ActorState, actors};
pub use pool::Pool;
pub use registry::{ACTORS, Registration};
pub use remote::{Remote, custom_proxy, deserialize_remote, typeid_of};
pub use runtime::{sleep, spawn_blocking, spawn_task};
pub use serve::{Server, serve};
pub use spawn::spawn_actor;
pub use startup::ACTOR_START;
pub use stats::Stats;
pub use uactor_core::Token;
pub use uactor_transport::{CustomTransport, Transport};
