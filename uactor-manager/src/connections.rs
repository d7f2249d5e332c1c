//! The connections this process holds, one per actor address, shared by
//! the proxies that reach that actor: a result proxy or a proxy that
//! travelled here uses the connection already open, or opens one.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use uactor_core::{Address, Error, Result};
use uactor_transport::{Authkey, handshake};

use crate::Options;
use crate::link::{Link, WeakLink};

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

/// The connection to `address`: the open one, or a new one authenticated
/// with the key for it. `served` is the served type's tag the peer must
/// announce, when the caller cares.
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
            let mut connection = crate::endpoint::open(address, &options.settings())?;
            let welcome = handshake::client(
                &mut connection,
                &authkey,
                options.codec,
                options.handshake_timeout,
                options.max_frame_size,
            )?;
            let link = Link::new(
                connection,
                options.codec,
                options.max_frame_size,
                (welcome.pid, welcome.kind, address.clone()),
                None,
            );
            register(&link);
            link
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
