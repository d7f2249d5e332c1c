//! The tables the linker assembles from every crate linked into the
//! binary: the actor types ([`ACTORS`]), the program's set-up for actor
//! processes ([`ACTOR_START`]) and every impl of an interface by an actor
//! ([`INTERFACES`]).
//!
//! A spawned actor is this binary started again, and it looks itself up
//! here before `main` runs; the linker assembles the tables, so they are
//! complete before any code runs, which a before-main hook needs (static
//! constructors would run in no guaranteed order). Entries are plain data:
//! what makes one lives with what it describes (an actor type's entry in
//! `host::manager`, an interface impl's in `host::dispatch`), so this
//! module depends on nothing else in the crate.

use std::any::{Any, TypeId};
use std::fmt;

use linkme::distributed_slice;
use uactor_core::{Call, CodecId, Manager, Result};

/// Builds an actor from `spawn`'s encoded arguments, ready to serve.
pub(crate) type Construct = fn(CodecId, &[u8]) -> Result<Box<dyn Manager>>;

/// One actor type, as `#[uactor::actor]` registers it.
pub struct Registration {
    pub(crate) name: &'static str,
    pub(crate) construct: Construct,
    pub(crate) method_name: fn(u16) -> Option<&'static str>,
}

impl Registration {
    /// The stable name a spawned process is told.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .finish()
    }
}

/// Every actor type linked into this binary.
#[distributed_slice]
pub static ACTORS: [Registration];

/// The registration named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Registration> {
    ACTORS.iter().find(|registration| registration.name == name)
}

/// The name of method `method` of the actor type named `actor`, for traces.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn method_name(actor: &str, method: u16) -> Option<&'static str> {
    find(actor).and_then(|registration| (registration.method_name)(method))
}

/// Functions that run in each actor process before its constructor, as
/// `uactor::on_actor_start!` registers them: an actor process never runs
/// `main`, so what `main` sets up (a tracing subscriber above all) is set
/// up here for actors.
#[distributed_slice]
pub static ACTOR_START: [fn()];

/// Runs every [`ACTOR_START`] function, in link order.
pub(crate) fn run_actor_start() {
    for start in ACTOR_START {
        start();
    }
}

/// One actor type's impl of one interface, as `#[uactor::actor] impl Trait
/// for Type` registers it.
pub struct InterfaceImpl {
    pub(crate) actor: fn() -> TypeId,
    pub(crate) actor_name: &'static str,
    pub(crate) interface: u64,
    pub(crate) interface_name: &'static str,
    /// Runs a method of the interface on the actor in a type-erased cell.
    pub(crate) dispatch: fn(&dyn Any, u16, &[u8], &mut Call<'_>) -> Result<()>,
}

impl InterfaceImpl {
    /// The actor type's name.
    pub fn actor(&self) -> &'static str {
        self.actor_name
    }

    /// The interface's name.
    pub fn interface(&self) -> &'static str {
        self.interface_name
    }
}

impl fmt::Debug for InterfaceImpl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterfaceImpl")
            .field("actor", &self.actor_name)
            .field("interface", &self.interface_name)
            .finish()
    }
}

/// Every impl of an interface by an actor linked into this binary.
#[distributed_slice]
pub static INTERFACES: [InterfaceImpl];
