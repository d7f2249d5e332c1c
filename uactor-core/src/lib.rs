//! The core of [uactor](https://docs.rs/uactor-rs): what every other crate agrees on.
//!
//! This crate owns the vocabulary of the system and nothing that touches the
//! operating system:
//!
//! - the [`Actor`], [`Proxy`] and [`Manager`] traits that generated code
//!   implements and the host loop drives, and the [`Stats`] an actor's host
//!   reports;
//! - the one [`Error`] type, which is serializable so it can travel inside a
//!   method's result;
//! - the wire protocol: [`frame`] headers and kinds, the [`protocol`] magic,
//!   version, reserved method indices and the one tag hash, and bounded
//!   decoding ([`frame::DEFAULT_MAX_FRAME`]);
//! - the vocabulary of result proxies: the [`typeid`]s, the registry of
//!   custom ones, and the [`Token`] a proxy travels as;
//! - the [`Codec`] trait with [`Postcard`] as the default implementation;
//! - the [`Backend`] trait that every transport implements, the [`Address`]
//!   type that names an endpoint, and an in-memory transport
//!   ([`transport::memory`]) used by unit tests.
//!
//! It knows nothing of processes, sockets or async runtimes.
//!
//! ```
//! use uactor_core::frame::{FrameBuffer, Header, Kind};
//!
//! let mut frame = FrameBuffer::new();
//! frame.start();
//! frame.payload().extend_from_slice(b"hi");
//! let bytes = frame.finish(Header::new(Kind::Request, 7).method(3));
//! let (header, payload) = Header::parse(bytes).unwrap();
//! assert_eq!((header.kind, header.request, header.method), (Kind::Request, 7, 3));
//! assert_eq!(payload, b"hi");
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod actor;
mod address;
pub mod bytes;
mod codec;
mod error;
pub mod frame;
pub mod protocol;
mod stats;
pub mod transport;
pub mod typeid;

pub use actor::{
    Actor, ActorSend, ActorSync, Call, Cell, Deferred, Manager, MutexCell, Proxy, RwLockCell,
};
pub use address::Address;
pub use bytes::Bytes;
#[cfg(feature = "bincode")]
#[cfg_attr(docsrs, doc(cfg(feature = "bincode")))]
pub use codec::Bincode;
pub use codec::{Codec, CodecId, Postcard};
pub use error::{Error, Exit, Result};
pub use stats::Stats;
pub use transport::{
    Backend, Closer, Connection, FrameRead, FrameWrite, Listener, PendingLink, Prepared,
};
pub use typeid::Token;
