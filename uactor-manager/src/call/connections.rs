//! The connections this process holds, one per actor address, shared by
//! the proxies that reach that actor; which key, if any, may open a
//! connection to an address a token named; and [`open`], the one path by
//! which any connection becomes usable.
//!
//! A token that came from another process names an address. Dialling it
//! with the process tree's key would let whoever sent the token make this
//! process connect anywhere and answer challenges with that key there. So
//! the tree's key is used only where the sender vouched, with a tag of
//! the address under the same key, that it reaches the address with it
//! ([`Access::of`]); an address the user gave a key for is opened with that
//! key; any other address is refused without a connection being made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use uactor_core::typeid::Vouch;
use uactor_core::{Address, Connection, Error, Result, Token};
use uactor_transport::{Authkey, handshake};

use super::client::Incarnation;
use super::link::{Exited, Link, LinkSettings, Peer, WeakLink};
use crate::Options;

#[derive(Default)]
struct Table {
    links: HashMap<Address, WeakLink>,
    /// Keys the user gave for addresses (`connect`, `connect_with`, a
    /// spawn with its own key), when they are not the tree's.
    keys: HashMap<Address, Authkey>,
}

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(Mutex::default)
}

fn locked() -> std::sync::MutexGuard<'static, Table> {
    table().lock().unwrap_or_else(PoisonError::into_inner)
}

/// How this process may open a connection to the address a token names.
#[derive(Clone, Debug)]
pub(crate) enum Access {
    /// With the process tree's key: the address is one of the tree's.
    Tree,
    /// With a key the user gave for the address.
    Key(Authkey),
    /// Not at all: a peer named an address nobody vouched for. A
    /// connection already open there may still be used.
    Refused,
}

impl Access {
    /// How a token `token` that came from another process may be followed.
    pub(crate) fn of(token: &Token) -> Access {
        let given = locked().keys.get(&token.address).cloned();
        if let Some(key) = given {
            return Access::Key(key);
        }
        match (&token.vouch, crate::context::authkey()) {
            (Some(vouch), Ok(tree)) if tree.vouches(&token.address, vouch) => Access::Tree,
            _ => Access::Refused,
        }
    }

    /// How a token made in this process (by `this()`, say) is followed:
    /// the code that made it chose the address.
    pub(crate) fn trusted(address: &Address) -> Access {
        match locked().keys.get(address).cloned() {
            Some(key) => Access::Key(key),
            None => Access::Tree,
        }
    }

    fn key(&self, address: &Address) -> Result<Authkey> {
        match self {
            Access::Tree => crate::context::authkey(),
            Access::Key(key) => Ok(key.clone()),
            Access::Refused => Err(Error::auth(format!(
                "a proxy to {address} came from another process, which did not show that \
                 {address} belongs to this process tree; no connection was made there \
                 (to reach an actor outside the tree, connect to it first with \
                 uactor::net::connect_with and its key)"
            ))),
        }
    }
}

/// This process's vouch that it reaches `address` with `key`: what a token
/// it sends carries. A receiver whose tree shares that key may use it
/// there; any other cannot even check it.
pub(crate) fn vouch(address: &Address, key: &Authkey) -> Option<Vouch> {
    Some(key.vouch(address))
}

/// Makes `link` the connection later proxies to its address share, unless
/// a working one is already open there.
pub(crate) fn register(link: &Link) {
    let mut table = locked();
    let address = link.address().clone();
    let working = table
        .links
        .get(&address)
        .and_then(WeakLink::upgrade)
        .is_some_and(|open| open.broken().is_none());
    if !working {
        table.links.insert(address, link.downgrade());
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
    )
    .map_err(|error| at(&address, error))?;
    if let Some(actor) = actor
        && welcome.kind != uactor_core::protocol::tag(actor)
    {
        return Err(Error::proxy(format!(
            "the actor at {address} is not a {actor}"
        )));
    }
    let tree = crate::context::authkey().is_ok_and(|tree| tree == *authkey);
    let peer = Peer {
        pid: welcome.pid,
        kind: welcome.kind,
        address: address.clone(),
        key: authkey.clone(),
    };
    let link = Link::new(connection, peer, LinkSettings::of(options), exited);
    register(&link);
    if !tree {
        locked().keys.insert(address.clone(), authkey.clone());
    }
    Ok(Incarnation {
        link,
        pid: welcome.pid,
        address,
    })
}

/// Makes `connection`, the private channel a spawned actor's process was
/// started with, the owner's link to it: only the two processes hold it,
/// so it needs no handshake. `pid` and `address` are what the actor
/// reported.
pub(crate) fn adopt(
    actor: &str,
    address: Address,
    pid: u32,
    mut connection: Connection,
    authkey: &Authkey,
    options: &Options,
    exited: Arc<dyn Exited>,
) -> Result<Incarnation> {
    connection.set_timeout(None)?;
    connection.reader.set_max_frame(options.max_frame_size);
    let peer = Peer {
        pid,
        kind: uactor_core::protocol::tag(actor),
        address: address.clone(),
        key: authkey.clone(),
    };
    let link = Link::new(connection, peer, LinkSettings::of(options), Some(exited));
    register(&link);
    if crate::context::authkey().is_ok_and(|tree| tree != *authkey) {
        locked().keys.insert(address.clone(), authkey.clone());
    }
    Ok(Incarnation { link, pid, address })
}

/// Names the address in a handshake's error, which cannot know it.
fn at(address: &Address, error: Error) -> Error {
    match error {
        Error::Transport { message, source } => Error::Transport {
            message: format!("connecting to {address}: {message}"),
            source,
        },
        Error::Protocol { message } => {
            Error::protocol(format!("connecting to {address}: {message}"))
        }
        Error::Auth { message } => Error::auth(format!("connecting to {address}: {message}")),
        other => other,
    }
}

/// The connection to the actor `token` names, as `access` allows: the one
/// open there if it works, or a new one. `served` is the name of the type
/// the peer must serve, when the caller cares.
pub(crate) fn link_to(token: &Token, access: &Access, served: Option<&str>) -> Result<Link> {
    let address = &token.address;
    let open_now = locked()
        .links
        .get(address)
        .and_then(WeakLink::upgrade)
        .filter(|link| link.broken().is_none());
    let link = match open_now {
        Some(link) => link,
        None => {
            let authkey = access.key(address)?;
            let options = Options::new()
                .codec(token.codec)
                .max_frame_size(token.max_frame);
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

/// The working connection open to `address`, if any: taken without a
/// handshake.
pub(crate) fn open_at(address: &Address) -> Option<Link> {
    locked()
        .links
        .get(address)
        .and_then(WeakLink::upgrade)
        .filter(|link| link.broken().is_none())
}
