//! Where actors listen and how callers reach them: the one place that maps
//! a transport choice to a listener and an address to a connection.
//!
//! - [`rendezvous`]: what a parent prepares before it spawns an actor
//!   (for ipc-channel, the one-shot server the child connects back to), and
//!   the [`Boot`] that tells the child where to listen;
//! - [`listen`]: the child's listener for its [`Boot`];
//! - [`open`]: a connection to any address, by its scheme.

#[cfg(feature = "tcp")]
use std::net::SocketAddr;
use std::path::Path;
#[cfg(feature = "tls")]
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uactor_core::{Actor, Address, Connection, Error, Listener, Result};
use uactor_transport::Authkey;
#[cfg(feature = "local-socket")]
use uactor_transport::local_socket::{LocalSocket, PrivateDir};
#[cfg(feature = "tls")]
use uactor_transport::tls::Tls;

use crate::client::{Client, ProxyClient};
use crate::spawn::Process;
use crate::{Options, Transport, context};

/// Where a spawned actor listens, as its bootstrap carries it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Boot {
    /// A fresh socket in a fresh private directory.
    LocalSocket,
    /// Connect back to the parent's ipc-channel one-shot server; also
    /// listen on a private local socket for everyone else.
    #[cfg(feature = "ipc-channel")]
    IpcChannel { server: String },
    /// TCP at this address.
    #[cfg(feature = "tcp")]
    Tcp { at: SocketAddr },
    /// TLS over TCP at this address with these settings.
    #[cfg(feature = "tls")]
    Tls { at: SocketAddr, tls: Tls },
    /// The transport registered under this scheme.
    Custom { scheme: String },
}

/// What a listening actor leaves behind to clean up: its private directory,
/// if its transport made one.
#[derive(Debug, Default)]
pub(crate) struct Endpoint {
    #[cfg(feature = "local-socket")]
    dir: Option<PrivateDir>,
}

impl Endpoint {
    /// The private directory, or an empty path when there is none.
    pub(crate) fn path(&self) -> &Path {
        #[cfg(feature = "local-socket")]
        if let Some(dir) = &self.dir {
            return dir.path();
        }
        Path::new("")
    }

    /// Removes what the listener left on disk.
    pub(crate) fn remove(&self) {
        #[cfg(feature = "local-socket")]
        if let Some(dir) = &self.dir {
            dir.remove();
        }
    }
}

/// TLS settings for connections that are given none: those of the actor
/// this process serves, or the last ones it spawned or served with. This is
/// how a proxy to a `tls://` actor that travelled here finds its roots.
#[cfg(feature = "tls")]
static TLS: OnceLock<Tls> = OnceLock::new();

#[cfg(feature = "tls")]
fn remember_tls(tls: &Tls) {
    let _ = TLS.set(tls.clone());
}

/// A listener for `boot`, in this (the actor's) process.
pub(crate) fn listen(boot: &Boot) -> Result<(Box<dyn Listener>, Endpoint)> {
    match boot {
        #[cfg(feature = "local-socket")]
        Boot::LocalSocket => {
            let dir = PrivateDir::create()?;
            let listener = uactor_core::Transport::listen(&LocalSocket::new(dir.path()))?;
            Ok((listener, Endpoint { dir: Some(dir) }))
        }
        #[cfg(not(feature = "local-socket"))]
        Boot::LocalSocket => Err(missing("local-socket", "local sockets")),
        #[cfg(feature = "ipc-channel")]
        Boot::IpcChannel { server } => {
            let dir = PrivateDir::create()?;
            let others = uactor_core::Transport::listen(&LocalSocket::new(dir.path()))?;
            let owner = uactor_transport::ipc_channel::connect(server)?;
            Ok((
                Box::new(IpcListener {
                    owner: Some(owner),
                    others,
                }),
                Endpoint { dir: Some(dir) },
            ))
        }
        #[cfg(feature = "tcp")]
        Boot::Tcp { at } => Ok((
            Box::new(uactor_transport::tcp::listen(*at)?),
            Endpoint::default(),
        )),
        #[cfg(feature = "tls")]
        Boot::Tls { at, tls } => {
            remember_tls(tls);
            Ok((
                Box::new(uactor_transport::tls::listen(*at, tls)?),
                Endpoint::default(),
            ))
        }
        Boot::Custom { scheme } => {
            let registration = crate::custom::find(scheme).ok_or_else(|| {
                Error::spawn(format!(
                    "no transport is registered as `{scheme}` in this binary"
                ))
            })?;
            Ok((registration.make().listen()?, Endpoint::default()))
        }
    }
}

/// A listener for an address given by the user (`uactor::serve`).
pub(crate) fn listen_at(
    address: &Address,
    options: &Options,
) -> Result<(Box<dyn Listener>, Endpoint)> {
    match address {
        #[cfg(feature = "local-socket")]
        Address::Local(path) => Ok((
            uactor_transport::local_socket::listen_at(path)?,
            Endpoint::default(),
        )),
        #[cfg(feature = "tcp")]
        Address::Tcp(at) => {
            #[cfg(feature = "tls")]
            if let Some(tls) = &options.tls {
                remember_tls(tls);
                return Ok((
                    Box::new(uactor_transport::tls::listen(*at, tls)?),
                    Endpoint::default(),
                ));
            }
            Ok((
                Box::new(uactor_transport::tcp::listen(*at)?),
                Endpoint::default(),
            ))
        }
        #[cfg(feature = "tls")]
        Address::Tls(at) => {
            let tls = options.tls.as_ref().ok_or_else(|| {
                Error::spawn(format!(
                    "serving at {address} needs Options::tls with a certificate and key"
                ))
            })?;
            remember_tls(tls);
            Ok((
                Box::new(uactor_transport::tls::listen(*at, tls)?),
                Endpoint::default(),
            ))
        }
        Address::Custom { scheme, .. } => {
            let registration = crate::custom::find(scheme).ok_or_else(|| {
                Error::spawn(format!(
                    "no transport is registered as `{scheme}` in this binary"
                ))
            })?;
            Ok((registration.make().listen()?, Endpoint::default()))
        }
        other => {
            let _ = options;
            Err(Error::spawn(format!(
                "cannot serve at {other} in this build; serve at `tcp://IP:PORT` (feature `tcp`), \
                 `tls://IP:PORT` (feature `tls`) or `local:/path`"
            )))
        }
    }
}

/// Opens a connection to `address` with the transport its scheme names.
pub(crate) fn open(address: &Address, options: &Options) -> Result<Connection> {
    match address {
        #[cfg(feature = "local-socket")]
        Address::Local(path) => uactor_transport::local_socket::connect(path),
        Address::Memory(_) => {
            uactor_core::Transport::connect(&uactor_core::transport::memory::Memory, address)
        }
        #[cfg(feature = "tcp")]
        Address::Tcp(at) => uactor_transport::tcp::connect(*at, options.handshake_timeout),
        #[cfg(feature = "tls")]
        Address::Tls(at) => {
            // Settings given once are kept for proxies to `tls://` actors
            // that later travel here, which come with no options.
            if let Some(tls) = &options.tls {
                remember_tls(tls);
            }
            let tls = options.tls.as_ref().or_else(|| TLS.get()).ok_or_else(|| Error::Transport {
                message: format!(
                    "{address} speaks TLS: connect with the server's certificate, \
                     uactor::connect_with::<T>(&address, &Options::new().authkey(..).tls(Tls::new().trust_pem(..)?))"
                ),
                source: None,
            })?;
            uactor_transport::tls::connect(*at, tls, options.handshake_timeout)
        }
        Address::Custom { scheme, .. } => {
            let transport = match &options.transport {
                Transport::Custom(custom) if custom.scheme == scheme => custom.transport.clone(),
                _ => crate::custom::find(scheme)
                    .ok_or_else(|| Error::Transport {
                        message: format!(
                            "{address}: no transport is registered as `{scheme}` in this binary \
                             (uactor::register_transport!)"
                        ),
                        source: None,
                    })?
                    .make(),
            };
            transport.connect(address)
        }
        other => Err(Error::Transport {
            message: format!(
                "no transport in this build reaches {other}; enable the uactor feature for it \
                 (`local-socket`, `tcp`, `tls`)"
            ),
            source: None,
        }),
    }
}

#[cfg(not(feature = "local-socket"))]
fn missing(feature: &str, what: &str) -> Error {
    Error::spawn(format!("{what} need the uactor feature `{feature}`"))
}

/// What a parent prepares before spawning an actor: the child's [`Boot`]
/// and, for ipc-channel, the server the child connects back to.
pub(crate) struct Rendezvous {
    boot: Option<Boot>,
    #[cfg(feature = "ipc-channel")]
    ipc: Option<IpcPending>,
}

#[cfg(feature = "ipc-channel")]
struct IpcPending {
    name: String,
    accepted: std::sync::mpsc::Receiver<Result<Connection>>,
    done: bool,
}

/// Checks `options` and prepares the child's endpoint.
pub(crate) fn rendezvous(options: &Options) -> Result<Rendezvous> {
    let boot = match &options.transport {
        Transport::LocalSocket => Boot::LocalSocket,
        #[cfg(feature = "ipc-channel")]
        Transport::IpcChannel => {
            let (server, name) = uactor_transport::ipc_channel::rendezvous()?;
            let (sender, accepted) = std::sync::mpsc::channel();
            // `accept` has no timeout: it runs on its own thread, which
            // `Rendezvous::drop` wakes if the child never connects.
            std::thread::Builder::new()
                .name("uactor-ipc-accept".into())
                .stack_size(64 * 1024)
                .spawn(move || {
                    let _ = sender.send(server.accept());
                })
                .map_err(|error| Error::io("starting the ipc-channel accept thread", error))?;
            let boot = Boot::IpcChannel {
                server: name.clone(),
            };
            return Ok(Rendezvous {
                boot: Some(boot),
                ipc: Some(IpcPending {
                    name,
                    accepted,
                    done: false,
                }),
            });
        }
        #[cfg(feature = "tcp")]
        Transport::Tcp(at) => {
            if options.authkey.is_none() {
                return Err(Error::auth(format!(
                    "an actor on tcp://{at} needs an explicit key: Options::new().authkey(b\"…\") \
                     (the process tree's random key is for local links only)"
                )));
            }
            tcp_boot(*at, options)?
        }
        Transport::Custom(custom) => Boot::Custom {
            scheme: custom.scheme.to_owned(),
        },
    };
    Ok(Rendezvous {
        boot: Some(boot),
        #[cfg(feature = "ipc-channel")]
        ipc: None,
    })
}

#[cfg(feature = "tcp")]
fn tcp_boot(at: SocketAddr, options: &Options) -> Result<Boot> {
    #[cfg(feature = "tls")]
    if let Some(tls) = &options.tls {
        if !tls.can_serve() {
            return Err(Error::spawn(
                "an actor served over TLS needs a certificate and key: \
                 Tls::new().identity_pem(cert, key) or identity_pem_files",
            ));
        }
        remember_tls(tls);
        return Ok(Boot::Tls {
            at,
            tls: tls.clone(),
        });
    }
    let _ = options;
    Ok(Boot::Tcp { at })
}

impl Rendezvous {
    /// The child's endpoint, for its bootstrap (taken once).
    pub(crate) fn boot(&mut self) -> Boot {
        self.boot.take().unwrap_or(Boot::LocalSocket)
    }

    /// The owner's connection to the child that reported `address`: the
    /// ipc-channel link it made, or a new connection to the address. Waits
    /// for an ipc-channel child at most `timeout`, and not at all once the
    /// child has died.
    #[cfg_attr(not(feature = "ipc-channel"), allow(unused_mut))]
    pub(crate) fn connect(
        mut self,
        address: &Address,
        options: &Options,
        process: &Process,
        timeout: Duration,
    ) -> Result<Connection> {
        #[cfg(feature = "ipc-channel")]
        if let Some(pending) = &mut self.ipc {
            use std::sync::mpsc::RecvTimeoutError;
            use std::time::Instant;
            let deadline = Instant::now() + timeout;
            loop {
                match pending.accepted.recv_timeout(Duration::from_millis(20)) {
                    Ok(result) => {
                        pending.done = true;
                        return result;
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        pending.done = true;
                        return Err(Error::spawn(
                            "the ipc-channel accept thread ended without a link",
                        ));
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                }
                if let Some(status) = process.wait_exit(Duration::ZERO) {
                    return Err(Error::spawn(format!(
                        "the actor process ended ({status}) before its ipc-channel link was made"
                    )));
                }
                if Instant::now() >= deadline {
                    return Err(Error::spawn(format!(
                        "the actor did not make its ipc-channel link within {timeout:?}"
                    )));
                }
            }
        }
        let _ = (process, timeout);
        open(address, options)
    }
}

#[cfg(feature = "ipc-channel")]
impl Drop for Rendezvous {
    fn drop(&mut self) {
        if let Some(pending) = &self.ipc
            && !pending.done
        {
            uactor_transport::ipc_channel::Rendezvous::wake(&pending.name);
        }
    }
}

/// The listener of an actor spawned with ipc-channel: its owner's link
/// first, then whoever connects to its private local socket.
#[cfg(feature = "ipc-channel")]
struct IpcListener {
    owner: Option<Connection>,
    others: Box<dyn Listener>,
}

#[cfg(feature = "ipc-channel")]
impl Listener for IpcListener {
    fn address(&self) -> Address {
        self.others.address()
    }

    fn accept(&mut self) -> Result<Connection> {
        match self.owner.take() {
            Some(owner) => Ok(owner),
            None => self.others.accept(),
        }
    }
}

/// Connects to an `A` served at `address`: a reference to the actor, not
/// an owner.
pub fn connect<A: Actor>(address: &Address, authkey: &[u8]) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    connect_with::<A>(address, &Options::new().authkey(authkey))
}

/// Connects to an `A` served at `address` with these options: the authkey
/// (else the process tree's), TLS roots, codec, timeouts. A reference to
/// the actor, not an owner.
pub fn connect_with<A: Actor>(address: &Address, options: &Options) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    #[cfg(feature = "tracing")]
    let scope = crate::trace::connect(A::NAME, address);
    let authkey: Authkey = options.authkey_or(context::authkey)?;
    let client = Client::connect(A::NAME, address.clone(), &authkey, options, None)?;
    #[cfg(feature = "tracing")]
    scope.span().record("pid", client.pid());
    Ok(A::Proxy::from_client(client))
}
