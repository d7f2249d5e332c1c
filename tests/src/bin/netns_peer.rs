//! One host of the cross-host test (`tests/transport_netns.rs`), run inside
//! a network namespace:
//!
//! - `netns_peer serve ADDRESS`: hosts a `Counter` (starting at 40) at
//!   ADDRESS with `uactor::net::serve`, prints `LISTENING`, and returns once a
//!   client shuts it down;
//! - `netns_peer call ADDRESS`: connects, adds 2, echoes 1 MiB, prints
//!   `RESULT <sum> <actor pid> <echoed bytes>`, and shuts the actor down.

use std::io::Write;

use tests::Counter;
use uactor::{Address, Error, Options};

const KEY: &[u8] = b"netns test key";

fn main() -> uactor::Result<()> {
    uactor::init();
    let mut args = std::env::args().skip(1);
    let (Some(role), Some(address)) = (args.next(), args.next()) else {
        return Err(Error::proxy("usage: netns_peer serve|call ADDRESS"));
    };
    let address: Address = address.parse()?;
    match role.as_str() {
        "serve" => {
            let server = uactor::net::Server::bind(&address, &Options::new().authkey(KEY))?;
            println!("LISTENING {}", server.address());
            let _ = std::io::stdout().flush();
            server.run(Counter::new(40))
        }
        "call" => {
            let counter = Counter::connect(&address, KEY)?;
            let sum = counter.add(2)?;
            let echoed = counter.echo(vec![1; 1 << 20])?;
            println!("RESULT {sum} {} {}", counter.pid(), echoed.len());
            counter.shutdown()
        }
        other => Err(Error::proxy(format!(
            "unknown role {other:?}: serve or call"
        ))),
    }
}
