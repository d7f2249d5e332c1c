//! The actor's side of interfaces: an interface call is the actor's
//! reserved method `INTERFACE_METHOD` carrying the envelope `(interface id,
//! method index, encoded arguments)`; [`dispatch_interface`] finds the
//! actor's impl of the interface in the registry's `INTERFACES` and runs the
//! method (the caller's side is `call::interface`).

use std::any::{Any, TypeId};
use std::sync::Arc;

use uactor_core::{Actor, Call, Error, Result};

use crate::call::{Bytes, Interface};
use crate::registry::{INTERFACES, InterfaceImpl};

/// How an actor `A` that implements an interface serves its methods:
/// implemented by `#[uactor::interface]` for every `A` that implements the
/// trait.
pub trait Dispatch<A: Actor>: Interface {
    /// Runs method `method` of the interface on the actor in `cell`, with
    /// the arguments encoded in `args`, replying through `call`.
    fn dispatch(cell: &Arc<A::Cell>, method: u16, args: &[u8], call: &mut Call<'_>) -> Result<()>;
}

/// An actor, as the implementor of an interface must be: every [`Actor`]
/// is one. Its own name gives a better error than `Actor`'s.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an actor, so it cannot serve an interface",
    label = "not an actor",
    note = "put `#[uactor::actor]` on the type's inherent impl block too: `#[uactor::actor] impl {Self} {{ ... }}`"
)]
pub trait InterfaceActor: Actor {}

// Not recommended: the error then names `InterfaceActor` and its advice,
// instead of listing every actor type of the crate.
#[diagnostic::do_not_recommend]
impl<A: Actor> InterfaceActor for A {}

impl InterfaceImpl {
    /// The registration of actor `A`'s impl of the interface whose proxy is
    /// `I`.
    pub const fn of<A: InterfaceActor, I: Dispatch<A>>() -> Self {
        InterfaceImpl {
            actor: TypeId::of::<A>,
            actor_name: A::NAME,
            interface: I::ID,
            interface_name: I::NAME,
            dispatch: dispatch_erased::<A, I>,
        }
    }
}

fn dispatch_erased<A: Actor, I: Dispatch<A>>(
    cell: &dyn Any,
    method: u16,
    args: &[u8],
    call: &mut Call<'_>,
) -> Result<()> {
    match cell.downcast_ref::<Arc<A::Cell>>() {
        Some(cell) => I::dispatch(cell, method, args, call),
        None => Err(Error::protocol(format!(
            "{} was dispatched a call for another actor type",
            I::NAME
        ))),
    }
}

/// The interfaces actor `A` implements (the names of their traits).
pub fn interfaces_of<A: Actor>() -> Vec<&'static str> {
    INTERFACES
        .iter()
        .filter(|entry| (entry.actor)() == TypeId::of::<A>())
        .map(|entry| entry.interface_name)
        .collect()
}

/// Serves an interface call ([`INTERFACE_METHOD`](uactor_core::protocol::INTERFACE_METHOD)) to actor `A`: opens the
/// envelope and runs the method of the interface it names.
pub fn dispatch_interface<A: Actor>(cell: &Arc<A::Cell>, call: &mut Call<'_>) -> Result<()> {
    let (interface, method, Bytes(args)): (u64, u16, Bytes<'_>) = call.args()?;
    let actor = TypeId::of::<A>();
    let entry = INTERFACES
        .iter()
        .find(|entry| entry.interface == interface && (entry.actor)() == actor)
        .ok_or_else(|| {
            let name = INTERFACES
                .iter()
                .find(|entry| entry.interface == interface)
                .map_or_else(
                    || format!("{interface:#018x}"),
                    |entry| format!("`{}`", entry.interface_name),
                );
            Error::proxy(format!(
                "{} does not implement the interface {name}: an actor serves an interface once its \
                 `impl Trait for Type` is marked `#[uactor::actor]`",
                A::NAME
            ))
        })?;
    (entry.dispatch)(cell, method, &args, call)
}
