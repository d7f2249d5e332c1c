//! Processes: starting an actor's process (`spawn`), its life from
//! before `main` to its exit (`child`), the private channel between the
//! two (`bootstrap`), what the owner holds and how it supervises
//! (`owner`), watching a child end (`reaper`), the table of owned
//! actors (`owned`), actors a placement starts on another host
//! (`placement`), and the system calls std does not offer (`sys`,
//! the crate's only `unsafe`).

pub(crate) mod bootstrap;
pub(crate) mod child;
pub(crate) mod owned;
pub(crate) mod owner;
pub(crate) mod placement;
pub(crate) mod reaper;
pub(crate) mod spawn;
pub(crate) mod sys;

pub use child::serve_if_spawned;
pub use owned::{ActorInfo, ActorState, actors};
pub(crate) use spawn::spawn_encoded;
pub use spawn::{spawn_actor, spawn_actor_async};
