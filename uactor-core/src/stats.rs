//! How an actor is doing, as its host counts it: the payload of the reply
//! to a [`Kind::Stats`](crate::frame::Kind::Stats) frame. Plain data, so
//! that both sides of the wire agree on it; the host's counters that fill
//! it live with the host.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A snapshot of an actor's counters, taken in its process: what
/// [`Proxy::stats`](crate::Proxy::stats) returns (`uactor::observe::stats`).
///
/// The actor's host answers it itself, beside the actor's methods, so no
/// method of the actor can shadow it and asking costs the actor nothing: it
/// is answered even while a long method runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Stats {
    /// The actor's process id.
    pub pid: u32,
    /// Calls answered (on the actor and on the objects it handed out),
    /// failed ones included.
    pub calls: u64,
    /// Calls answered with an error other than a panic: arguments that did
    /// not decode, a method the actor does not have, a reply too large.
    /// A method's own `Err` is a value, not counted here.
    pub errors: u64,
    /// Calls whose method panicked (the caller got
    /// [`Error::Remote`](crate::Error::Remote); the actor kept serving).
    pub panics: u64,
    /// Calls received and not answered yet: running, waiting for the actor,
    /// or `async` methods still running.
    pub in_flight: u64,
    /// Connections open to the actor (its owner's, and one per process that
    /// holds a proxy to it or to one of its objects).
    pub connections: u64,
    /// Objects the actor keeps for result proxies.
    pub objects: u64,
    /// How long the actor has been serving.
    pub uptime: Duration,
    /// The resident memory of the actor's process in bytes (`VmRSS` of
    /// `/proc/self/status`); `None` where the system does not tell.
    pub resident_memory: Option<u64>,
}
