//! The connections this process holds, one per actor address, shared by
//! the proxies that reach that actor: a result proxy or a proxy that
//! travelled here uses the connection already open, or opens one; and
//! [`open`], the one path by which any connection becomes usable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use uactor_core::{Address, Connection, Error, Result};
use uactor_transport::{Authkey, handshake};

use super::client::Incarnation;
use super::link::{Exited, Link, LinkSettings, Peer, WeakLink};
use crate::Options;

#[derive(Default)]
struct Table {
    links: HashMap<Address, WeakLink>,
    /// Keys given for addresses outside the process tree (`connect`, TCP).
    keys: HashMap<Address, Authkey>,
}

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(Mutex::default)
}

/// Makes `link` the connection later proxies to its address share, unless
/// one is already open there.
pub(crate) fn register(link: &Link) {
    let mut table = table().lock().unwrap_or_else(PoisonError::into_inner);
    let address = link.address().clone();
    if table
        .links
        .get(&address)
        .and_then(WeakLink::upgrade)
        .is_none()
    {
        table.links.insert(address, link.downgrade());
    }
}

/// Remembers the key that opens `address`, for proxies to it that travel
/// here later.
pub(crate) fn remember_key(address: &Address, authkey: &Authkey) {
    table()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .keys
        .insert(address.clone(), authkey.clone());
}

/// The key for `address`: one given for it, or the process tree's.
pub(crate) fn key_for(address: &Address) -> Result<Authkey> {
    let known = table()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .keys
        .get(address)
        .cloned();
    match known {
        Some(key) => Ok(key),
        None => crate::context::authkey(),
    }
}

/// Authenticates over `connection`, open to the actor at `address`, checks
/// that it serves `actor` when given, and makes it the connection later
/// proxies to that address share. `exited` tells how the actor's process
/// ended, when this process owns it.
pub(crate) fn open(
    actor: Option<&str>,
    address: Address,
    mut connection: Connection,
    authkey: &Authkey,
    options: &Options,
    exited: Option<Arc<dyn Exited>>,
) -> Result<Incarnation> {
    let welcome = handshake::client(
        &mut connection,
        authkey,
        options.codec,
        options.handshake_timeout,
        options.max_frame_size,
    )?;
    if let Some(actor) = actor
        && welcome.kind != uactor_core::protocol::tag(actor)
    {
        return Err(Error::proxy(format!(
            "the actor at {address} is not a {actor}"
        )));
    }
    let peer = Peer {
        pid: welcome.pid,
        kind: welcome.kind,
        address: address.clone(),
    };
    let link = Link::new(connection, peer, LinkSettings::of(options), exited);
    register(&link);
    remember_key(&address, authkey);
    Ok(Incarnation {
        link,
        pid: welcome.pid,
        address,
    })
}

/// The connection to `address`: the open one, or a new one authenticated
/// with the key for it. `served` is the name of the type the peer must
/// serve, when the caller cares.
pub(crate) fn link_to(address: &Address, served: Option<&str>) -> Result<Link> {
    let existing = table()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .links
        .get(address)
        .and_then(WeakLink::upgrade);
    let link = match existing {
        Some(link) => link,
        None => {
            let options = Options::new();
            let authkey = key_for(address)?;
            let connection = crate::endpoint::open(address, &options.settings())?;
            open(None, address.clone(), connection, &authkey, &options, None)?.link
        }
    };
    if let Some(served) = served
        && link.kind() != uactor_core::protocol::tag(served)
    {
        return Err(Error::proxy(format!(
            "the actor at {address} is not a {served}"
        )));
    }
    Ok(link)
}
