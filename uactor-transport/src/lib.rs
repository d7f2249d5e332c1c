//! Transports of [uactor](https://docs.rs/uactor-rs): how frames travel and
//! how a connection proves it may speak.
//!
//! - [`framing`]: frames over any byte stream, with the length checked
//!   before allocation and reads that can be resumed after a timeout;
//! - [`handshake`]: the mutual HMAC-SHA256 challenge-response every
//!   connection runs before any request is decoded;
//! - [`local_socket`] (feature `local-socket`, default): socket files in a
//!   private directory (mode 0700), never abstract names;
//! - [`tcp`] (feature `tcp`): `std::net` sockets with nodelay, for actors
//!   on other hosts;
//! - [`tls`] (feature `tls`): TCP through rustls (ring provider);
//! - [`ipc_channel`] (feature `ipc-channel`): Servo's channels, for the link
//!   between a parent and the actor it spawned (it trusts its peer, see the
//!   module).
//!
//! This crate knows nothing of actors or macros.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod authkey;
pub mod framing;
pub mod handshake;
#[cfg(feature = "ipc-channel")]
#[cfg_attr(docsrs, doc(cfg(feature = "ipc-channel")))]
pub mod ipc_channel;
#[cfg(feature = "local-socket")]
#[cfg_attr(docsrs, doc(cfg(feature = "local-socket")))]
pub mod local_socket;
#[cfg(feature = "tcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "tcp")))]
pub mod tcp;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub mod tls;

pub use authkey::Authkey;
