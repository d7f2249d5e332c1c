//! The [`Manager`] of an actor process: it routes each request to the
//! actor (object 0) or to an object the actor handed out, and it makes the
//! actor type's entry in the registry of spawnable types.

use std::any::TypeId;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use uactor_core::frame::ACTOR_OBJECT;
use uactor_core::{Actor, Call, Cell, CodecId, Error, Manager, Result};

use super::table;
use crate::registry::Registration;

/// Serves one actor and the objects it hands out.
pub struct ActorManager<A: Actor> {
    cell: Arc<A::Cell>,
    /// Set once the shutdown hook has run: later calls are refused.
    closed: AtomicBool,
}

impl<A: Actor> ActorManager<A> {
    /// A manager serving `actor` as object 0.
    pub fn new(actor: A) -> Self {
        let cell = Arc::new(actor.cell());
        // Where the actor lives, so `uactor::proxy(self)` can tell it apart.
        cell.with(|actor| hosting(actor));
        ActorManager {
            cell,
            closed: AtomicBool::new(false),
        }
    }
}

impl<A: Actor> std::fmt::Debug for ActorManager<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorManager")
            .field("actor", &A::NAME)
            .finish()
    }
}

impl<A: Actor> Manager for ActorManager<A> {
    #[inline]
    fn serve(&self, object: u64, method: u16, call: &mut Call<'_>) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        if object == ACTOR_OBJECT {
            return A::dispatch(&self.cell, method, call);
        }
        // An object the actor handed out: served under its own lock, so a
        // blocking object call never holds up the actor.
        match table::table() {
            Some(table) => table.get(object)?.serve(method, call),
            None => Err(Error::proxy("this process hands out no objects")),
        }
    }

    fn shutdown(&self) {
        // After the method running now, if any: the hook takes the actor.
        self.cell.with(|actor| {
            self.closed.store(true, Ordering::Release);
            actor.on_shutdown();
        });
    }
}

impl Registration {
    /// The registration of actor type `A`: how a spawned process builds it.
    pub const fn of<A: Actor>() -> Self {
        Registration {
            name: A::NAME,
            construct: construct::<A>,
            method_name: A::method_name,
        }
    }
}

/// Builds `A` from `spawn`'s encoded arguments, ready to serve.
fn construct<A: Actor>(codec: CodecId, args: &[u8]) -> Result<Box<dyn Manager>> {
    let args: A::Args = codec.decode(args)?;
    let actor = A::construct(args)?;
    Ok(Box::new(ActorManager::new(actor)))
}

/// The actor this process hosts: its type and where it lives.
static HOSTED: OnceLock<(TypeId, usize)> = OnceLock::new();

/// Records the actor this process hosts.
fn hosting<A: Actor>(actor: &A) {
    let _ = HOSTED.set((TypeId::of::<A>(), actor as *const A as *const () as usize));
}

/// Whether `value` is the actor this process hosts (not merely a value of
/// its type).
pub(crate) fn is_hosted<A: Actor>(value: &A) -> bool {
    HOSTED.get() == Some(&(TypeId::of::<A>(), value as *const A as *const () as usize))
}
