//! Where actors listen and how callers reach them: the one place the
//! manager meets transports, and only through `uactor_core::Backend` and the
//! transport registry, so it knows no transport by name.
//!
//! - [`prepare`]: what an owner prepares before it spawns an actor: the
//!   [`Boot`] the child gets, and the owner's link when the child makes it;
//! - [`listen_spawned`]: the child's listener for its [`Boot`];
//! - [`listen_at`]: a listener at an address the user chose (`serve`);
//! - [`open`]: a connection to any address, by its scheme;
//! - [`forget`]: removes what an ended actor's listener left behind.

use serde::{Deserialize, Serialize};
use uactor_core::{Address, Connection, Error, Listener, PendingLink, Result};
use uactor_transport::{Settings, registry};

use crate::Options;

/// Where a spawned actor listens, as its bootstrap carries it: the scheme
/// of its transport and that transport's own record.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Boot {
    scheme: String,
    record: Vec<u8>,
}

/// Checks `options` and prepares a child's endpoint: its [`Boot`], and the
/// owner's link to it when the child makes that link itself.
/// How the owner of an actor about to be spawned reaches it.
pub(crate) enum OwnerLink {
    /// Over the socket pair it starts the actor with.
    Channel,
    /// Over a link the actor makes itself (ipc-channel).
    Pending(Box<dyn PendingLink>),
    /// Over a connection to the address the actor reports.
    Connect,
}

pub(crate) fn prepare(options: &Options) -> Result<(Boot, OwnerLink)> {
    let settings = options.settings();
    let (scheme, backend) = options.transport.backend(&settings)?;
    if backend.remote() && options.authkey.is_none() {
        return Err(Error::auth(format!(
            "an actor on {:?} can be reached from other hosts, so it needs an explicit key: \
             Options::new().authkey(b\"…\") (the process tree's random key is for local links only)",
            options.transport
        )));
    }
    let prepared = backend.prepare()?;
    let boot = Boot {
        scheme: scheme.to_owned(),
        record: prepared.record,
    };
    let link = match prepared.link {
        Some(pending) => OwnerLink::Pending(pending),
        None if backend.owner_connects() => OwnerLink::Connect,
        None => OwnerLink::Channel,
    };
    Ok((boot, link))
}

/// The listener of a spawned actor, in its own process.
pub(crate) fn listen_spawned(boot: &Boot, settings: &Settings) -> Result<Box<dyn Listener>> {
    registry::backend(&boot.scheme, settings)?.listen_spawned(&boot.record)
}

/// A listener at an address given by the user (`uactor::serve`).
pub(crate) fn listen_at(address: &Address, settings: &Settings) -> Result<Box<dyn Listener>> {
    registry::serving(address, settings)?.listen_at(address)
}

/// Opens a connection to `address` with the transport its scheme names.
pub(crate) fn open(address: &Address, settings: &Settings) -> Result<Connection> {
    registry::reaching(address, settings)?.connect(address)
}

/// Removes what the listener at `address` left behind, once its actor has
/// ended.
pub(crate) fn forget(address: &Address, settings: &Settings) {
    if let Ok(backend) = registry::reaching(address, settings) {
        backend.forget(address);
    }
}
