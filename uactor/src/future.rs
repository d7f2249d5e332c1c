//! The futures calls return: what an async twin's method returns
//! ([`CallFuture`]) and what awaiting an [`AsyncResult`](crate::AsyncResult)
//! gives ([`AsyncResultFuture`]). Neither needs a particular runtime:
//! tokio, smol and `futures::executor::block_on` all drive them.
//!
//! They are named here for code that stores them or names them in a
//! signature; calling code just `.await`s them.

pub use uactor_manager::{AsyncResultFuture, CallFuture};
