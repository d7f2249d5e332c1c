//! Transports of [uactor](https://docs.rs/uactor-rs): how frames travel and
//! how a connection proves it may speak.
//!
//! - [`framing`]: frames over any byte stream, with the length checked
//!   before allocation and reads that can be resumed after a timeout;
//! - [`handshake`]: the mutual HMAC-SHA256 challenge-response every
//!   connection runs before any request is decoded;
//! - [`Transport`], the choice a user makes in `Options`, its
//!   [`Settings`], and the [`registry`] every transport is found in by its
//!   scheme, the built-in ones below and a program's own alike;
//! - [`local_socket`] (feature `local-socket`, default): socket files in a
//!   private directory (mode 0700), never abstract names;
//! - [`tcp`] (feature `tcp`): `std::net` sockets with nodelay, for actors
//!   on other hosts;
//! - [`tls`] (feature `tls`): TCP through rustls (ring provider);
//! - [`ipc_channel`] (feature `ipc-channel`): Servo's channels, for the link
//!   between a parent and the actor it spawned (it trusts its peer, see the
//!   module);
//! - [`shm`] (feature `shm`, Linux): shared memory, one ring per direction,
//!   paired with a private Unix socket for wake-ups and the peer's end.
//!
//! This crate knows nothing of actors or macros.
// No unsafe code, except the linker-table registrations of the built-in
// transports, which the lint counts because linkme places them with
// `#[link_section]` (each carries its own `allow`), and the mapping of shared
// memory (`shm/segment.rs`, its one module).
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod authkey;
pub mod framing;
pub mod handshake;
#[cfg(feature = "ipc-channel")]
#[cfg_attr(docsrs, doc(cfg(feature = "ipc-channel")))]
pub mod ipc_channel;
#[cfg(any(feature = "local-socket", feature = "tcp"))]
mod listening;
#[cfg(feature = "local-socket")]
#[cfg_attr(docsrs, doc(cfg(feature = "local-socket")))]
pub mod local_socket;
pub mod registry;
mod settings;
#[cfg(all(feature = "shm", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "shm", target_os = "linux"))))]
pub mod shm;
#[cfg(feature = "tcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "tcp")))]
pub mod tcp;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub mod tls;
mod transport;

pub use authkey::Authkey;
pub use registry::{Registration, TRANSPORTS};
pub use settings::{Setting, Settings};
pub use transport::{CustomTransport, Transport};
