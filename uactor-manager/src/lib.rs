//! Process management of [uactor](https://docs.rs/uactor-rs): spawning
//! actor processes, serving them, and the calls between them. Use it
//! through the `uactor-rs` crate (`uactor::…`); this crate is what
//! generated code and the facade call.
//!
//! # Where things live
//!
//! The crate is cut by which side of a call, or which part of a process's
//! life, a thing belongs to; each wing is a module whose docs say what it
//! owns, and the wings depend on each other in one direction only:
//!
//! ```text
//! objects ──▶ host ──▶ call ──▶ endpoint, options, trace, context, stats, registry
//!    │          ▲       ▲
//!    └──────────┼───────┤
//! process ──────┴───────┘
//! ```
//!
//! - `call`: the caller's side: the client a proxy wraps, the shared
//!   connection a call travels over, method handles, interfaces, results
//!   that come later;
//! - `host`: the actor's side: accepting and serving connections, the
//!   manager that routes a request to the actor or to an object it handed
//!   out, the object table, the actor's runtime, the one start-up of a host;
//! - `process`: starting an actor's process, its life before `main`, the
//!   bootstrap channel, ownership and supervision, reaping, actors a
//!   placement (a cluster) starts elsewhere and serving one a placement
//!   asked for, and (with the host's door, which registers descriptors
//!   with a poller) the only `unsafe` code;
//! - `objects`: the built-in objects an actor hands out by proxy (list,
//!   dict, Value, Queue, Lock, …) and `#[uactor::remote]` types;
//! - `registry`: the tables the linker assembles (actor types, start-up
//!   functions, interface impls), plain data;
//! - `generated`: what generated code calls besides the call path
//!   (deferred replies, dispatch errors, the traits behind the compile-time
//!   diagnostics);
//! - `endpoint`: where the manager meets transports, only through
//!   `uactor_core::Backend` and the transport registry, so it names no
//!   transport.
//!
//! Why this cut: a call, a process and an object each have one home, so a
//! reader finds the call path in `call`, an actor's process in `process`,
//! and what happens to a request in the actor in `host`. A cycle between
//! wings is broken by a small trait owned by the lower wing: `call::Owner`
//! (which `process` implements, so the client does not know supervision)
//! and `call::Exited` (the exit status a connection reports).
//!
//! It knows nothing of the macro syntax: generated code reaches it through
//! the facade's `__private` module.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod call;
mod context;
mod endpoint;
mod generated;
mod host;
mod objects;
mod options;
mod pool;
mod process;
mod registry;
mod stats;
mod trace;
mod wire;

pub use call::{
    Argument, AsyncResult, AsyncResultFuture, CallFuture, Client, Interface, InterfaceTarget,
    Method, ObjectRef, ProxyClient, Target, carried_future, carried_result, connect, connect_with,
    deserialize_interface,
};
pub use generated::{Carried, Wire, constructor_error, defer, unknown_method};
pub use host::{
    ActorManager, Dispatch, Host, HostSettings, InterfaceActor, Served, Server, Serving,
    dispatch_interface, expose, hosted_address, hosted_objects, hosted_token, interfaces_of, serve,
    sleep, spawn_blocking, spawn_task,
};
pub use linkme;
pub use objects::{
    AnyProxy, Barrier, BarrierProxy, Condition, ConditionProxy, DictProxy, Event, EventProxy,
    Expose, IteratorProxy, ListProxy, LocalLockGuard, Lock, LockGuard, LockProxy, Queue,
    QueueProxy, Remote, Semaphore, SemaphoreProxy, Shared, Typed, Value, ValueProxy, custom_proxy,
    deserialize_remote, proxy, proxy_as, proxy_iter, typeid, typeid_of,
};
pub use options::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_QUEUED_BYTES, DEFAULT_RESTART_PERIOD, DEFAULT_WRITE_TIMEOUT, Options, Panics,
    Restart,
};
pub use options::{PlaceRequest, Placed, Placement, Tenure};
pub use pool::Pool;
pub use process::placement::host_placed;
pub use process::{
    ActorInfo, ActorState, actors, serve_if_spawned, spawn_actor, spawn_actor_async,
};
pub use registry::{ACTOR_START, ACTORS, INTERFACES, InterfaceImpl, Registration};
pub use uactor_core::{Stats, Token};
pub use uactor_transport::{CustomTransport, Transport};
