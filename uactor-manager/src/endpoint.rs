//! Where actors listen and how callers reach them: the one place that maps
//! a transport choice to a listener and an address to a connection.

use uactor_core::{Actor, Address, Connection, Error, Listener, Result, Transport as _};
use uactor_transport::Authkey;
use uactor_transport::local_socket::{LocalSocket, PrivateDir};

use crate::Options;
use crate::client::{Client, ProxyClient};

/// Listens on a fresh local socket in a fresh private directory, which the
/// caller removes when the actor ends.
pub(crate) fn listen() -> Result<(Box<dyn Listener>, PrivateDir)> {
    let dir = PrivateDir::create()?;
    let listener = LocalSocket::new(dir.path()).listen()?;
    Ok((listener, dir))
}

/// Opens a connection to `address` with the transport its scheme names.
pub(crate) fn open(address: &Address) -> Result<Connection> {
    match address {
        Address::Local(path) => uactor_transport::local_socket::connect(path),
        Address::Memory(_) => uactor_core::transport::memory::Memory.connect(address),
        other => Err(Error::proxy(format!(
            "no transport in this build reaches {other}; enable the uactor feature for it"
        ))),
    }
}

/// Connects to an `A` served at `address`: a reference to the actor, not
/// an owner.
pub fn connect<A: Actor>(address: &Address, authkey: &[u8]) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    let authkey = Authkey::new(authkey)?;
    let client = Client::connect(A::NAME, address.clone(), &authkey, &Options::new(), None)?;
    Ok(A::Proxy::from_client(client))
}
