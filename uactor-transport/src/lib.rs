//! Transports of [uactor](https://docs.rs/uactor-rs): how frames travel and
//! how a connection proves it may speak.
//!
//! - [`framing`]: frames over any byte stream, with the length checked
//!   before allocation and reads that can be resumed after a timeout;
//! - [`handshake`]: the mutual HMAC-SHA256 challenge-response every
//!   connection runs before any request is decoded;
//! - [`local_socket`] (feature `local-socket`, default): socket files in a
//!   private directory (mode 0700), never abstract names.
//!
//! This crate knows nothing of actors or macros.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod authkey;
pub mod framing;
pub mod handshake;
#[cfg(feature = "local-socket")]
#[cfg_attr(docsrs, doc(cfg(feature = "local-socket")))]
pub mod local_socket;

pub use authkey::Authkey;
