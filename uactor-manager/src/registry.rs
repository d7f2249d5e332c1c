//! The static registry of actor types a spawned process looks itself up in.

use std::fmt;
use std::os::unix::net::UnixStream;

use linkme::distributed_slice;
use uactor_core::Actor;

use crate::bootstrap::Bootstrap;

/// One actor type, as `#[uactor::actor]` registers it.
pub struct Registration {
    name: &'static str,
    serve: fn(Bootstrap, UnixStream) -> !,
    method_name: fn(u16) -> Option<&'static str>,
}

impl Registration {
    /// The registration of `A`.
    pub const fn of<A: Actor>() -> Self {
        Registration {
            name: A::NAME,
            serve: crate::host::serve_spawned::<A>,
            method_name: A::method_name,
        }
    }

    /// The stable name a spawned process is told.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn serve(&self, bootstrap: Bootstrap, channel: UnixStream) -> ! {
        (self.serve)(bootstrap, channel)
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .finish()
    }
}

/// Every actor type linked into this binary. The linker assembles it, so it
/// is complete before any code runs, the before-main hook included.
#[distributed_slice]
pub static ACTORS: [Registration];

/// The name of method `method` of the actor type named `actor`, for traces.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn method_name(actor: &str, method: u16) -> Option<&'static str> {
    find(actor).and_then(|registration| (registration.method_name)(method))
}

/// The registration named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Registration> {
    ACTORS.iter().find(|registration| registration.name == name)
}
