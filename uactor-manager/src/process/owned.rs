//! The actors this process owns, for [`actors`]: what is running, without
//! `ps`.
//!
//! Every owned actor registers itself here when `spawn` returns it. The
//! table holds weak references only: an actor is listed while some owning
//! proxy to it is alive in this process, and drops out of the list when the
//! last one goes (which is also when it is shut down).

use std::fmt;
use std::sync::{Mutex, PoisonError, Weak};

use uactor_core::{Address, Exit};

/// What the process that owns an actor knows about it: one entry of
/// [`actors`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActorInfo {
    /// The actor's type (`Actor::NAME`).
    pub name: &'static str,
    /// The id of its current process (after restarts, the newest).
    pub pid: u32,
    /// Where it listens.
    pub address: Address,
    /// Whether it runs.
    pub state: ActorState,
    /// How many times its supervisor re-created it.
    pub generation: u64,
}

/// Whether an owned actor runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActorState {
    /// Its process is serving.
    Running,
    /// Its process crashed and its supervisor is starting a new one.
    Restarting,
    /// Its process ended (shut down, exited, crashed without supervision,
    /// or its supervisor gave up) and a proxy to it is still held.
    Exited {
        /// How it ended.
        status: Exit,
    },
}

impl fmt::Display for ActorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActorState::Running => f.write_str("running"),
            ActorState::Restarting => f.write_str("restarting"),
            ActorState::Exited { status } => write!(f, "exited ({status})"),
        }
    }
}

/// An owned actor, as the table sees it.
pub(crate) trait Described: Send + Sync {
    /// Its entry now.
    fn describe(&self) -> ActorInfo;
}

static OWNED: Mutex<Vec<Weak<dyn Described>>> = Mutex::new(Vec::new());

/// Lists `owned` until it is dropped.
pub(crate) fn register(owned: Weak<dyn Described>) {
    let mut table = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
    table.retain(|entry| entry.strong_count() > 0);
    table.push(owned);
}

/// The actors this process owns, in the order they were spawned, with their
/// pids and states: what `uactor::observe::actors()` returns (see there for an
/// example).
///
/// An actor is listed while an owning proxy to it (the one `spawn` returned
/// or a clone of it, in this process) is alive; proxies that travelled here
/// from elsewhere, or came from `connect`, are references and are not
/// listed.
pub fn actors() -> Vec<ActorInfo> {
    // Described outside the lock: describing takes the clients' own locks.
    let alive: Vec<_> = {
        let mut table = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
        table.retain(|entry| entry.strong_count() > 0);
        table.iter().filter_map(Weak::upgrade).collect()
    };
    alive.iter().map(|owned| owned.describe()).collect()
}
