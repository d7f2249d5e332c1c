//! A host of the cluster test (`tests/cluster.rs`), run inside a network
//! namespace, configured from the environment
//! (`uactor::cluster::Config::from_env`):
//!
//! - with `UACTOR_WORKER=1`: serves as a worker (inside `uactor::init()`);
//! - `cluster_host lookup NAME`: looks `NAME` up, adds 1 to it, prints
//!   `LOOKUP <value> <address>`;
//! - `cluster_host own NAME`: spawns a `Counter` named NAME on the cluster,
//!   prints `OWNING <address>`, and waits to be killed.

use std::io::Write;

use tests::Counter;
use uactor::cluster::{Cluster, Config, Lookup};
use uactor::{Error, Options};

fn main() -> uactor::Result<()> {
    uactor::init();
    let mut args = std::env::args().skip(1);
    let (Some(role), Some(name)) = (args.next(), args.next()) else {
        return Err(Error::proxy(
            "usage: UACTOR_WORKER=1 cluster_host, or cluster_host lookup|own NAME",
        ));
    };
    let cluster = Cluster::connect(&Config::from_env()?)?;
    match role.as_str() {
        "lookup" => {
            let counter = Counter::lookup(&cluster, &name)?;
            println!("LOOKUP {} {}", counter.add(1)?, counter.address());
            Ok(())
        }
        "own" => {
            let counter = Counter::spawn_with(&Options::new().cluster(&cluster).name(name), 0)?;
            println!("OWNING {}", counter.address());
            let _ = std::io::stdout().flush();
            std::thread::sleep(std::time::Duration::from_secs(600));
            Ok(())
        }
        other => Err(Error::proxy(format!("unknown role {other}"))),
    }
}
