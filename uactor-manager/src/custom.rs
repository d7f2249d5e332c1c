//! Transports a program brings itself, registered by name.
//!
//! A spawned actor is the same binary started again: it cannot be handed
//! a transport object, only told its name. So a user transport is
//! registered in a static table (assembled by the linker, like the table
//! of actor types, and complete before the before-main hook reads it) with
//! a function that makes an instance; parent and child each make their own
//! from the same registration. Its addresses are
//! [`Address::Custom`](uactor_core::Address::Custom) with the same scheme,
//! which is how a connection finds the transport again.

use std::fmt;
use std::sync::Arc;

use linkme::distributed_slice;
use uactor_core::Transport;

/// One user transport, as `uactor::register_transport!` registers it.
pub struct TransportRegistration {
    scheme: &'static str,
    make: fn() -> Arc<dyn Transport>,
}

impl TransportRegistration {
    /// A registration of the transport `make` builds, under `scheme`.
    pub const fn new(scheme: &'static str, make: fn() -> Arc<dyn Transport>) -> Self {
        TransportRegistration { scheme, make }
    }

    /// The name it is registered under.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// A fresh instance.
    pub fn make(&self) -> Arc<dyn Transport> {
        (self.make)()
    }
}

impl fmt::Debug for TransportRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportRegistration")
            .field("scheme", &self.scheme)
            .finish()
    }
}

/// Every user transport linked into this binary.
#[distributed_slice]
pub static TRANSPORTS: [TransportRegistration];

/// The registration named `scheme`.
pub(crate) fn find(scheme: &str) -> Option<&'static TransportRegistration> {
    TRANSPORTS
        .iter()
        .find(|registration| registration.scheme == scheme)
}
