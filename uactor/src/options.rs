//! How an actor is spawned, served or reached: [`Options`] (transport,
//! authkey, codec, timeouts, bounds, supervision) with its defaults,
//! [`Restart`], what the owner does when its actor crashes, and [`Panics`],
//! whether the actor's process prints its panics. `Options` and `Restart`
//! are also at the crate root, where programs take them from.
//!
//! ```
//! use std::time::Duration;
//! use uactor::{Options, Restart};
//!
//! let options = Options::new()
//!     .call_timeout(Duration::from_secs(5))
//!     .restart(Restart::OnCrash { max_restarts: 3 })
//!     .max_in_flight(uactor::options::DEFAULT_MAX_IN_FLIGHT / 4);
//! assert_eq!(options.call_timeout_value(), Some(Duration::from_secs(5)));
//! ```

pub use uactor_manager::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_QUEUED_BYTES, DEFAULT_RESTART_PERIOD, DEFAULT_WRITE_TIMEOUT, Options, Panics,
    Restart,
};

/// Where `Options::cluster` places actors: the seam a cluster
/// (`uactor::cluster::Cluster`, feature `cluster`) implements, and what
/// its hosts call to serve a placed actor.
pub use uactor_manager::{PlaceRequest, Placed, Placement, Tenure, host_placed};
