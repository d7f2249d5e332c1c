//! The program's own set-up for its actor processes: functions registered
//! with `uactor::on_actor_start!` run in every actor process this binary
//! starts, before the actor's constructor.
//!
//! An actor process is this binary started again, and it never runs
//! `main` (the before-main hook serves the actor), so whatever `main` sets
//! up for the process, a tracing subscriber above all, is set up here for
//! actors. The table is assembled by the linker, like the table of actor
//! types, so it is complete before the hook reads it.

use linkme::distributed_slice;

/// Functions that run in each actor process before its constructor, as
/// `uactor::on_actor_start!` registers them.
#[distributed_slice]
pub static ACTOR_START: [fn()];

/// Runs every registered function, in link order.
pub(crate) fn run() {
    for start in ACTOR_START {
        start();
    }
}
