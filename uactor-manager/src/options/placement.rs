//! The seam between spawning and a placement (a cluster): what
//! `Options::cluster` carries, what it is asked, what it answers, and its
//! hold on an actor it started. The owner's side of a placed actor is in
//! the `process` wing.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use uactor_core::{Address, Exit, Result};
use uactor_transport::{Authkey, Settings};

use super::Options;

/// Starts actors elsewhere: what `Options::cluster` carries.
///
/// `spawn_with` hands it a [`PlaceRequest`] instead of starting a child
/// process; it returns where the actor serves ([`Placed`]). It is asked
/// again, with the same request and a higher
/// [`generation`](PlaceRequest::generation), when a supervised actor is
/// re-created.
pub trait Placement: Send + Sync + fmt::Debug + 'static {
    /// Starts the actor `request` describes and says where it serves.
    fn place(&self, request: &PlaceRequest) -> Result<Placed>;
}

/// What a [`Placement`] is asked to start.
#[derive(Debug, Clone)]
pub struct PlaceRequest {
    pub(crate) actor: &'static str,
    pub(crate) args: Vec<u8>,
    pub(crate) options: Options,
    pub(crate) generation: u64,
}

impl PlaceRequest {
    /// The actor type's registered name (`Actor::NAME`).
    pub fn actor(&self) -> &'static str {
        self.actor
    }

    /// The constructor's arguments, encoded with the options' codec.
    pub fn args(&self) -> &[u8] {
        &self.args
    }

    /// The options `spawn_with` was given (name, codec, timeouts).
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// 0 for the first start; n for the n-th re-creation by a supervisor.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Where a placed actor serves, and the placement's hold on it.
pub struct Placed {
    pub(crate) address: Address,
    pub(crate) authkey: Authkey,
    pub(crate) settings: Option<Settings>,
    pub(crate) tenure: Arc<dyn Tenure>,
}

impl Placed {
    /// The actor serves at `address` (TCP or TLS), to callers that prove
    /// `authkey`; `tenure` is the placement's hold on it.
    pub fn new(
        address: Address,
        authkey: impl AsRef<[u8]>,
        tenure: Arc<dyn Tenure>,
    ) -> Result<Self> {
        Ok(Placed {
            address,
            authkey: Authkey::new(authkey)?,
            settings: None,
            tenure,
        })
    }

    /// The transport settings to reach it with (TLS roots), instead of the
    /// spawn options' own.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = Some(settings);
        self
    }
}

impl fmt::Debug for Placed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Placed")
            .field("address", &self.address.to_string())
            .finish_non_exhaustive()
    }
}

/// A placement's hold on one actor it started, for as long as its owner
/// holds the proxy.
pub trait Tenure: Send + Sync {
    /// Arranges for `ended` to run once, with how the actor ended, when the
    /// placement learns that it did (its host reported the exit, or the
    /// host was lost). `ended` may block (it may place the actor again):
    /// run it where blocking is allowed.
    fn watch(&self, ended: Box<dyn FnOnce(Exit) + Send>);

    /// How the actor ended, waiting at most `timeout` to learn it: asked
    /// when its connection dropped without a goodbye.
    fn wait_exit(&self, timeout: Duration) -> Option<Exit>;

    /// The owner is done with the actor: end it if it still runs, and
    /// forget it. Called once the actor was asked to shut down (or was
    /// taken for dead); returns once its host has ended it, within a bound.
    fn release(&self);
}
