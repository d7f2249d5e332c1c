//! The caller's side: what proxies are made of and how a call travels.
//!
//! - `client`: the `Client` an actor proxy wraps, `connect`, and the
//!   `Owner` seam through which the process that spawned the actor
//!   decides where calls go;
//! - `link`: one authenticated connection, shared by every proxy of this
//!   process that reaches its actor;
//! - `connections`: the table of those connections, which key may open
//!   one to an address a peer named, and the one path by which a
//!   connection is opened and authenticated;
//! - `reach`: how a proxy that travelled here takes its connection, on
//!   first use;
//! - `object`: a reference to an object an actor handed out;
//! - `interface`: calls through an interface;
//! - `method`: method handles that travel, and the `Target` every
//!   generated proxy calls through;
//! - `async_result`: results that come later.
//!
//! It knows nothing of how actors are started or served.

pub(crate) mod async_result;
pub(crate) mod chain;
pub(crate) mod client;
pub(crate) mod connections;
pub(crate) mod interface;
mod invoke;
pub(crate) mod link;
pub(crate) mod method;
pub(crate) mod object;
mod reach;
mod reader;

pub use async_result::{
    AsyncResult, AsyncResultFuture, CallFuture, carried_future, carried_result,
};
pub use client::{Client, ProxyClient, connect, connect_with};
pub use interface::{Interface, InterfaceTarget, deserialize_interface};
pub use method::{Argument, Method, Target};
pub use object::ObjectRef;

pub(crate) use async_result::off_thread;
pub(crate) use client::{Incarnation, Owner, shutdown_link};
pub(crate) use interface::Bytes;
pub(crate) use link::{Exited, Late, Link, Reply};
