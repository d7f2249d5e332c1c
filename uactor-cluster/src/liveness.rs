//! The numbers failure detection runs on, the same for every member.
//!
//! A worker writes its record (and the names of its actors) every
//! [`HEARTBEAT`]; an owner renews its lease as often. A worker not heard
//! from for [`TTL`] is lost; a lease not renewed for [`TTL`] ends the
//! owner's actors; the registry's buckets drop entries older than [`TTL`]
//! by themselves. Members check every [`TICK`]. So a host that stops is
//! declared lost at most `TTL + TICK` (3.25 s) after its last heartbeat,
//! which is at most [`DETECTION_BOUND`] after it stopped (plus nats-server's
//! delivery time); the actors of an owner that died end as soon.

use std::time::Duration;

/// How often workers write their record and owners renew their lease.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long a member stays alive without a heartbeat.
pub const TTL: Duration = Duration::from_secs(3);

/// How often members look for silent peers.
pub const TICK: Duration = Duration::from_millis(250);

/// The longest a lost host (or a dead owner) goes unnoticed:
/// `HEARTBEAT + TTL + TICK`.
pub const DETECTION_BOUND: Duration = Duration::from_millis(4250);
