//! The transport layer, for users who implement their own: the
//! [`Transport`] trait, its [`Listener`] and [`Connection`] halves, and the
//! in-memory implementation used by tests.
//!
//! Every backend moves whole frames; the handshake and the call protocol
//! run above it, so a transport only needs to deliver bytes in order.

pub use uactor_core::transport::memory;
pub use uactor_core::{Connection, FrameRead, FrameWrite, Listener, Transport};
