//! Beyond one machine (feature `cluster`): actors placed on other hosts,
//! found by name, spread in pools and supervised across hosts, with
//! nats-server for membership, names with liveness and placement
//! requests, and calls on uactor's own authenticated TCP (or TLS) links.
//!
//! Each host runs the program's own binary as a worker; a caller connects
//! a [`Cluster`] and spawns as it would locally:
//!
//! ```no_run
//! use uactor::cluster::{Cluster, Config, Lookup};
//!
//! #[derive(Default)]
//! pub struct Counter { n: i64 }
//!
//! #[uactor::actor]
//! impl Counter {
//!     pub fn add(&mut self, by: i64) -> i64 { self.n += by; self.n }
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     uactor::init(); // with UACTOR_WORKER=1 in its environment, this process serves as a worker
//!     let config = Config::new("nats://10.0.0.1:4222")
//!         .token(std::fs::read_to_string("/etc/uactor/nats.token")?)
//!         .key(std::fs::read("/etc/uactor/cluster.key")?);
//!     let cluster = Cluster::connect(&config)?;
//!     // On the least loaded worker, registered as "orders".
//!     let orders = Counter::spawn_with(&uactor::Options::new().cluster(&cluster).name("orders"))?;
//!     orders.add(1)?;
//!     // From any host:
//!     let found = Counter::lookup(&cluster, "orders")?;
//!     assert_eq!(found.add(1)?, 2);
//!     // A pool over the workers; calls go to the least loaded actor.
//!     let pool = uactor::Pool::<Counter>::spawn_with(&cluster.options(), 6, ())?;
//!     pool.call(|counter| counter.add(1))?;
//!     Ok(())
//! }
//! ```
//!
//! A worker binary may instead call [`worker`] in `main`
//! (`uactor::cluster::worker(&Config::from_env()?)`). The owner's
//! guarantees hold across hosts, and a lost host is noticed within
//! [`DETECTION_BOUND`]; see the README's "Beyond one machine" for the
//! deployment picture and [`liveness`] for the numbers.

pub use uactor_cluster::{
    Cluster, Config, DETECTION_BOUND, Lookup, Worker, WorkerInfo, env, executable_digest, liveness,
    serve_if_worker, worker,
};
