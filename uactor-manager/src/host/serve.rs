//! Turning the current process into the host of one actor: [`start`], the
//! one start-up that a spawned actor's process and [`serve`] share.
//!
//! [`serve`] is the server binary started on another machine (Python's
//! `BaseManager.get_server().serve_forever()`): nothing is spawned, the
//! actor is a value this process already built, and it is served here, at
//! an address the caller chose, until a client shuts it down. Clients reach
//! it with `Type::connect(&address, authkey)`; their proxies are
//! references, so dropping them does not end it.

use uactor_core::{Actor, Address, Listener, Manager, Result};
use uactor_transport::{Authkey, Settings};

use super::panic;
use super::{ActorManager, Host, HostSettings, table};
use crate::options::Panics;
use crate::{Options, context, endpoint};

/// A bound address, ready to serve one actor.
///
/// Bind first when the address is chosen by the system (port 0) and has to
/// be told to clients before serving:
///
/// ```no_run
/// # // This crate's doc test, with the paths users write:
/// # mod uactor { pub use uactor_manager::Options; pub mod net { pub use uactor_manager::Server; } }
/// # fn demo<A: uactor_core::Actor>(actor: A) -> uactor_core::Result<()> {
/// let options = uactor::Options::new().authkey(b"secret");
/// let server = uactor::net::Server::bind(&"tcp://0.0.0.0:0".parse()?, &options)?;
/// println!("serving at {}", server.address());
/// server.run(actor)?; // returns when a client shuts the actor down
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: ListenerBox,
    authkey: Authkey,
    options: Options,
}

struct ListenerBox(Box<dyn Listener>);

impl std::fmt::Debug for ListenerBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.address())
    }
}

impl Server {
    /// Listens at `address` (`tcp://IP:PORT`, `tls://IP:PORT`,
    /// `local:/path`, or a registered custom transport's address) with
    /// `options`, which must carry the authkey. TLS settings
    /// (a `Tls` given to [`Options::with`]) turn a `tcp://` address into `tls://`.
    pub fn bind(address: &Address, options: &Options) -> Result<Self> {
        let authkey = options.authkey_or(|| {
            Err(uactor_core::Error::auth(format!(
                "serving at {address} needs an explicit key: Options::new().authkey(b\"…\")"
            )))
        })?;
        let listener = endpoint::listen_at(address, &options.settings())?;
        Ok(Server {
            listener: ListenerBox(listener),
            authkey,
            options: options.clone(),
        })
    }

    /// Where clients connect (with port 0 resolved).
    pub fn address(&self) -> Address {
        self.listener.0.address()
    }

    /// Serves `actor` until a client shuts it down (its shutdown hook has
    /// run when this returns).
    pub fn run<A: Actor>(self, actor: A) -> Result<()> {
        prepare(&self.authkey, self.options.panics);
        let settings = HostSettings {
            authkey: self.authkey,
            served: A::NAME,
            serving: crate::host::Serving::of(&self.options),
        };
        start(
            Box::new(ActorManager::new(actor)),
            self.listener.0,
            settings,
            &self.options.settings(),
            None,
        );
        Ok(())
    }
}

/// Serves `actor` at `address` in this process, with `authkey`, until a
/// client shuts it down. See [`Server`] to learn a port chosen by the
/// system before serving, or to pass more options.
pub fn serve<A: Actor>(
    address: impl std::borrow::Borrow<Address>,
    authkey: impl AsRef<[u8]>,
    actor: A,
) -> Result<()> {
    Server::bind(address.borrow(), &Options::new().authkey(authkey))?.run(actor)
}

/// Readies this process to host an actor, before the actor is built: the
/// process tree's key, and panics recorded for their callers (and printed
/// or not, as `panics` says).
pub(crate) fn prepare(authkey: &Authkey, panics: Panics) {
    context::inherit_authkey(authkey.clone());
    panic::record_panics(panics);
}

/// Serves `manager` to whoever connects to `listener` until a client shuts
/// it down, then removes what the listener left behind.
pub(crate) fn start(
    manager: Box<dyn Manager>,
    listener: Box<dyn Listener>,
    settings: HostSettings,
    transport: &Settings,
    owner: Option<super::OwnerChannel>,
) {
    let address = listener.address();
    // Objects the actor hands out are reached at its address.
    table::host_at(
        address.clone(),
        settings.serving.codec,
        settings.serving.max_frame_size,
    );
    Host::new(manager, settings).serve(listener, owner);
    endpoint::forget(&address, transport);
}
