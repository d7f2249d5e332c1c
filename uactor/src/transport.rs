//! The transport layer, for users who bring their own: the [`Backend`]
//! trait every transport implements (the built-in ones too), its
//! [`Listener`] and [`Connection`] halves, and the in-memory implementation
//! used by tests. ([`Transport`](crate::net::Transport) is the choice an
//! actor is spawned with; a backend is what carries it.) [`Setting`] and
//! [`Settings`] are what a transport is configured with besides its
//! address (TLS certificates, through
//! [`Options::with`](crate::Options::with)).
//!
//! # What a transport does
//!
//! A transport moves whole *frames* (byte strings that start with a 4-byte
//! little-endian length of what follows) between two endpoints, in order.
//! That is all: the authkey handshake, the codec, pipelining and death
//! detection run above it, identically for every transport.
//!
//! - [`Backend::listen`] binds a fresh endpoint and returns a
//!   [`Listener`]; its [`address`](Listener::address) is what proxies
//!   report and clients connect to. A user transport's addresses are
//!   [`Address::Custom`](crate::Address::Custom) with the scheme it was
//!   registered under (see below); the `address` text is the transport's.
//! - [`Listener::accept`] waits for the next connection and returns it
//!   *before* anything is read from it: the host authenticates each
//!   connection on its own thread, so `accept` must not read, or one silent
//!   peer would block every later one. Return [`Error::Closed`](crate::Error)
//!   when the listener is done for good.
//! - [`Backend::connect`] opens a connection to an address.
//! - A [`Connection`] is a [`FrameRead`] and a [`FrameWrite`], used from two
//!   threads at once. The reader must honour
//!   [`set_timeout`](FrameRead::set_timeout) (return
//!   [`Error::Timeout`](crate::Error) and keep its place in the stream) and
//!   [`set_max_frame`](FrameRead::set_max_frame) (check the length field
//!   *before* allocating, return `Error::FrameTooLarge`), and return
//!   `Error::Closed` when the peer closed between frames: that is how an
//!   actor's death is seen.
//!
//! Byte streams need none of this by hand: implement [`framing::Socket`]
//! (read, write, timeouts) and [`framing::connection`] frames it, with the
//! bounds above.
//!
//! # Spawning actors on it
//!
//! A spawned actor is this same binary started again, so it cannot be
//! handed a transport object: it finds it by name. Register the transport
//! once, at item level, with [`register_transport!`](crate::register_transport),
//! then choose it with [`Transport::custom`](crate::net::Transport::custom):
//!
//! ```ignore
//! uactor::register_transport!("pipes", Pipes::new());
//! let options = uactor::Options::new().transport(uactor::Transport::custom("pipes")?);
//! let counter = Counter::spawn_with(&options, 0)?;
//! ```
//!
//! `examples/custom_transport.rs` is a whole program: TCP with a framing of
//! its own.

pub use uactor_core::transport::memory;
pub use uactor_core::{
    Backend, Closer, Connection, FrameRead, FrameWrite, Listener, PendingLink, Prepared,
};
pub use uactor_transport::{Setting, Settings, framing};

/// Registers a user transport's [`Backend`] under a scheme, so that actors spawned
/// with [`Transport::custom`](crate::net::Transport::custom)`(scheme)` (which
/// are this binary started again) build the same transport, and so that
/// `custom:SCHEME:…` addresses are reached with it.
///
/// The second argument is an expression that makes an instance; it is
/// evaluated in each process that needs one.
///
/// ```ignore
/// uactor::register_transport!("pipes", Pipes::new());
/// ```
#[macro_export]
macro_rules! register_transport {
    ($scheme:literal, $make:expr $(,)?) => {
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::__private::TRANSPORTS)]
            #[linkme(crate = $crate::__private::linkme)]
            static REGISTRATION: $crate::__private::TransportRegistration =
                $crate::__private::TransportRegistration::new($scheme, || {
                    let transport: ::std::sync::Arc<dyn $crate::transport::Backend> =
                        ::std::sync::Arc::new($make);
                    transport
                });
        };
    };
}
