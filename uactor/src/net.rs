//! Where actors listen and how they are reached: [`Address`]es, the
//! [`Transport`] an actor is spawned on, and serving one actor from a
//! process of your own ([`serve`], [`Server`]) for callers on other hosts
//! ([`connect`], [`connect_with`], or `Type::connect`), with TLS
//! ([`Tls`], feature `tls`) and the codec ([`CodecId`]) both sides use.
//!
//! The handshake, codec, pipelining and death detection are the same on
//! every transport. A transport of your own is
//! [`uactor::transport`](crate::transport)'s business.
//!
//! ```no_run
//! #[derive(Default)]
//! pub struct Counter { n: i64 }
//!
//! #[uactor::actor]
//! impl Counter {
//!     pub fn add(&mut self, by: i64) -> i64 { self.n += by; self.n }
//! }
//!
//! # fn main() -> uactor::Result<()> {
//! // On the serving host: this process becomes the actor's host.
//! uactor::net::serve("tcp://0.0.0.0:7000".parse::<uactor::Address>()?, b"secret", Counter::default())?;
//! # Ok(()) }
//! # fn elsewhere() -> uactor::Result<()> {
//! // On any other: a reference to it, not an owner.
//! let counter = Counter::connect(&"tcp://actors.example:7000".parse()?, b"secret")?;
//! counter.add(1)?;
//! # Ok(()) }
//! ```

pub use uactor_core::{Address, CodecId};
pub use uactor_manager::{CustomTransport, Server, Transport, connect, connect_with, serve};
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use uactor_transport::tls::Tls;
