//! What members write into the registry and send each other, each sealed
//! with the cluster key (see [`seal`](crate::seal)) under its kind's name.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uactor_core::{Address, CodecId, Error, Exit};

use crate::seal::Stamp;

/// A worker's entry in the `workers` bucket, rewritten every heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WorkerRecord {
    pub(crate) id: String,
    pub(crate) host: IpAddr,
    pub(crate) pid: u32,
    pub(crate) build: String,
    /// The actor types its binary can host (`Actor::NAME`).
    pub(crate) actors: Vec<String>,
    /// How many actors it hosts now.
    pub(crate) load: u32,
    /// Counts the changes of its load: of two loads, the higher version is
    /// the newer.
    pub(crate) version: u64,
}

pub(crate) const WORKER: &str = "worker record";

/// An owner's lease in the `leases` bucket, renewed every heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LeaseRecord {
    pub(crate) lease: String,
}

pub(crate) const LEASE: &str = "lease";

/// A name in the `names` bucket, rewritten every heartbeat by the worker
/// that hosts the actor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NameRecord {
    pub(crate) actor: String,
    pub(crate) address: Address,
    pub(crate) worker: String,
    pub(crate) serial: u64,
    pub(crate) lease: String,
}

pub(crate) const NAME: &str = "name";

/// The proof of the cluster key in the `meta` bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyProof {
    pub(crate) salt: String,
    pub(crate) proof: String,
}

/// Start an actor (to a worker's `spawn` endpoint).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SpawnRequest {
    pub(crate) stamp: Stamp,
    pub(crate) actor: String,
    pub(crate) args: Vec<u8>,
    pub(crate) codec: CodecId,
    pub(crate) name: Option<String>,
    /// A supervisor places its actor again: it may take the name over
    /// from the actor it replaces (same lease).
    pub(crate) again: bool,
    pub(crate) lease: String,
    pub(crate) build: String,
    pub(crate) spawn_timeout_ms: u64,
}

pub(crate) const SPAWN: &str = "spawn request";

/// A worker's answer to a [`SpawnRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum SpawnReply {
    Ready {
        serial: u64,
        address: Address,
        load: u32,
        version: u64,
    },
    Refused {
        error: Error,
    },
}

pub(crate) const SPAWNED: &str = "spawn reply";

/// The owner is done with an actor (to the worker's `end` endpoint), or
/// asks how it ended (`exit`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ActorRequest {
    pub(crate) stamp: Stamp,
    pub(crate) serial: u64,
    pub(crate) lease: String,
}

pub(crate) const END: &str = "end request";
pub(crate) const EXIT: &str = "exit request";

/// The answer to an `exit` request: how the actor ended, `None` while it
/// runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExitReply {
    pub(crate) serial: u64,
    pub(crate) status: Option<Exit>,
}

pub(crate) const EXITED: &str = "exit reply";

/// An actor ended (published to its owner's subject).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Ended {
    pub(crate) worker: String,
    pub(crate) serial: u64,
    pub(crate) status: Exit,
}

pub(crate) const ENDED: &str = "ended";
