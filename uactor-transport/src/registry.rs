//! The table of transports: every transport this binary can use, built in
//! or a program's own, found by its scheme.
//!
//! A spawned actor is the same binary started again: it cannot be handed a
//! transport object, only told a transport's name. So every transport is
//! registered in a static table (assembled by the linker, complete before
//! the before-main hook reads it) with a function that makes an instance,
//! and parent and child each make their own from the same registration.
//! An [`Address`]'s scheme names the transport that reaches it.

use std::fmt;
use std::sync::Arc;

use linkme::distributed_slice;
use uactor_core::{Address, Backend, Error, Result};

use crate::Settings;

/// One transport, as the transport's own module or
/// `uactor::register_transport!` registers it.
pub struct Registration {
    scheme: &'static str,
    make: Make,
}

enum Make {
    /// A program's own transport: it takes no settings.
    Plain(fn() -> Arc<dyn Backend>),
    /// A built-in transport, configured by the settings of the options it
    /// is used with (TLS certificates, how long to wait for a host).
    Configured(fn(&Settings) -> Result<Arc<dyn Backend>>),
}

impl Registration {
    /// A registration of the transport `make` builds, under `scheme`.
    pub const fn new(scheme: &'static str, make: fn() -> Arc<dyn Backend>) -> Self {
        Registration {
            scheme,
            make: Make::Plain(make),
        }
    }

    /// A registration of a transport configured by the settings of the
    /// options it is used with ([`Settings`]), as the built-in ones are.
    pub const fn configured(
        scheme: &'static str,
        make: fn(&Settings) -> Result<Arc<dyn Backend>>,
    ) -> Self {
        Registration {
            scheme,
            make: Make::Configured(make),
        }
    }

    /// The name it is registered under.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// A fresh instance, configured by `settings`.
    pub fn make(&self, settings: &Settings) -> Result<Arc<dyn Backend>> {
        match self.make {
            Make::Plain(make) => Ok(make()),
            Make::Configured(make) => make(settings),
        }
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("scheme", &self.scheme)
            .finish()
    }
}

/// Every transport linked into this binary.
#[distributed_slice]
pub static TRANSPORTS: [Registration];

/// The registration named `scheme`.
pub fn find(scheme: &str) -> Option<&'static Registration> {
    TRANSPORTS
        .iter()
        .find(|registration| registration.scheme == scheme)
}

/// An instance of the transport named `scheme`, configured by `settings`.
pub fn backend(scheme: &str, settings: &Settings) -> Result<Arc<dyn Backend>> {
    match find(scheme) {
        Some(registration) => registration.make(settings),
        None => Err(Error::Transport {
            message: format!(
                "no transport named `{scheme}` is in this build: enable the uactor feature for it \
                 (`local-socket`, `tcp`, `tls`, `ipc-channel`, `shm`), or register your own with \
                 `uactor::register_transport!`"
            ),
            source: None,
        }),
    }
}

/// The transport that reaches `address`.
pub fn reaching(address: &Address, settings: &Settings) -> Result<Arc<dyn Backend>> {
    backend(address.scheme(), settings)
}

/// The transport that serves at `address` (`uactor::serve`): the one that
/// reaches it, except that TLS settings make a `tcp://` address TLS.
pub fn serving(address: &Address, settings: &Settings) -> Result<Arc<dyn Backend>> {
    #[cfg(feature = "tls")]
    if let (Address::Tcp(_), Some(_)) = (address, settings.tls()) {
        return backend("tls", settings);
    }
    reaching(address, settings)
}

/// The in-memory transport of `uactor-core`, for tests.
#[distributed_slice(TRANSPORTS)]
#[allow(unsafe_code)]
static MEMORY: Registration = Registration::new("memory", || {
    Arc::new(uactor_core::transport::memory::Memory)
});
