//! uactor beyond one machine: actors placed, found and supervised across
//! hosts. Use it through `uactor::cluster` (feature `cluster` of the
//! `uactor-rs` crate).
//!
//! Membership, discovery, placement requests and liveness ride on
//! nats-server, a widely deployed engine run like any other service; the
//! calls themselves stay on uactor's direct, authenticated TCP (or TLS)
//! links between the caller and the actor's host.
//!
//! - A **worker** is the user's own binary serving on a host:
//!   [`worker(&config)`](worker) in `main`, or any uactor binary started
//!   with `UACTOR_WORKER=1` (see [`Config::from_env`]). It advertises which
//!   actor types it can host, its build identity, its load and its address.
//! - A **caller** connects a [`Cluster`] and spawns as it would locally:
//!   `Type::spawn_with(&Options::new().cluster(&cluster), args)` places the
//!   actor on the least loaded eligible worker and returns the same typed
//!   proxy. `Options::name("orders")` registers it under a name, and
//!   `Type::lookup(&cluster, "orders")` ([`Lookup`]) finds it from any
//!   host. `Pool::spawn_with(&cluster_options, n, args)` spreads a pool.
//! - **Lifetimes hold across hosts**: dropping the owner's proxy ends the
//!   actor; an owner that dies stops renewing its lease and its actors end;
//!   a host that disappears is noticed within [`DETECTION_BOUND`]: calls to
//!   its actors fail with `Error::ActorDied` whose status is
//!   `Exit::HostLost` naming the host, its names are withdrawn, and
//!   supervised actors (`Restart::OnCrash`) are placed again elsewhere.
//! - **Security**: nats-server's credentials (token, nkey, user and
//!   password) to connect; the cluster key to be a member (every message is
//!   sealed with it, and a worker serves only requests that prove it); and
//!   the key, derived, as the authkey of every actor link (TLS on top when
//!   configured).
//!
//! See `liveness` for the numbers failure detection runs on.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod broker;
mod cluster;
mod config;
mod identity;
pub mod liveness;
mod membership;
mod record;
mod runtime;
mod seal;
mod worker;

pub use cluster::Cluster;
pub use config::{Config, env};
pub use identity::executable_digest;
pub use liveness::DETECTION_BOUND;
pub use membership::WorkerInfo;
pub use worker::{Worker, serve_if_worker, worker};

use uactor_core::{Actor, Result};
use uactor_manager::ProxyClient;

/// `Type::lookup(&cluster, "name")`: finds an actor by the name it was
/// spawned with ([`Cluster::lookup`]), for every actor type.
pub trait Lookup: Actor {
    /// A proxy to the live actor registered as `name`: a reference, not an
    /// owner.
    fn lookup(cluster: &Cluster, name: &str) -> Result<Self::Proxy>;
}

impl<A: Actor> Lookup for A
where
    A::Proxy: ProxyClient,
{
    fn lookup(cluster: &Cluster, name: &str) -> Result<Self::Proxy> {
        cluster.lookup::<A>(name)
    }
}
