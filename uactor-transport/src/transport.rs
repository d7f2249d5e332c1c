//! Which transport an actor serves on: the [`Transport`] a user picks in
//! `Options`, and how it becomes a [`Backend`].

use std::fmt;
use std::sync::Arc;

use uactor_core::{Backend, Error, Result};

use crate::Settings;

/// Which transport an actor serves on.
///
/// ```
/// # use uactor_transport as uactor; // this crate's doc test; users write `uactor`
/// let transport = uactor::Transport::LocalSocket;
/// # let _ = transport;
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Transport {
    /// A socket file in a private directory (the default).
    #[default]
    LocalSocket,
    /// An ipc-channel link between the owner and the actor (feature
    /// `ipc-channel`). Other processes reach the actor through its address,
    /// a private local socket: an ipc-channel link only ever joins the two
    /// processes that made it. ipc-channel trusts its peer's size fields, so
    /// this is for the parent/child links of one process tree only.
    #[cfg(feature = "ipc-channel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ipc-channel")))]
    IpcChannel,
    /// Shared memory (feature `shm`, Linux): frames cross in a ring per
    /// direction that both processes map, paired with a private Unix
    /// socket (as local sockets are) for wake-ups and death detection. The
    /// actor's address is `custom:shm:…`; every process that connects to
    /// it, with the authkey, gets a link of its own.
    #[cfg(feature = "shm")]
    #[cfg_attr(docsrs, doc(cfg(feature = "shm")))]
    Shm,
    /// TCP at this address (feature `tcp`); port 0 picks a free port, which
    /// the actor's address then shows. Needs an explicit authkey; TLS
    /// settings (feature `tls`) make it TLS.
    #[cfg(feature = "tcp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tcp")))]
    Tcp(std::net::SocketAddr),
    /// A transport the program registered itself with
    /// `uactor::register_transport!`; made with [`Transport::custom`].
    Custom(CustomTransport),
}

impl Transport {
    /// The transport registered under `scheme`. Spawned actors build their
    /// own instance from the same registration, so it must be registered in
    /// the binary (not made at run time).
    pub fn custom(scheme: &str) -> Result<Self> {
        let registration = crate::registry::find(scheme).ok_or_else(|| Error::Transport {
            message: format!(
                "no transport is registered as `{scheme}`; register it with \
                 `uactor::register_transport!(\"{scheme}\", MyTransport::new())`"
            ),
            source: None,
        })?;
        Ok(Transport::Custom(CustomTransport {
            scheme: registration.scheme(),
            backend: registration.make(&Settings::default())?,
        }))
    }

    /// The backend that serves an actor spawned on this transport with
    /// `settings`, and the scheme the spawned process finds its own by.
    #[cfg_attr(not(any(feature = "tcp", feature = "shm")), allow(unused_variables))]
    pub fn backend(&self, settings: &Settings) -> Result<(&'static str, Arc<dyn Backend>)> {
        match self {
            #[cfg(feature = "local-socket")]
            Transport::LocalSocket => Ok(("local", Arc::new(crate::local_socket::LocalSocket))),
            #[cfg(not(feature = "local-socket"))]
            Transport::LocalSocket => Err(Error::spawn(
                "local sockets need the uactor feature `local-socket`",
            )),
            #[cfg(feature = "ipc-channel")]
            Transport::IpcChannel => Ok(("ipc", Arc::new(crate::ipc_channel::IpcChannel))),
            #[cfg(all(feature = "shm", target_os = "linux"))]
            Transport::Shm => Ok((
                crate::shm::SCHEME,
                Arc::new(crate::shm::Shm::new(settings.connect_timeout())),
            )),
            #[cfg(all(feature = "shm", not(target_os = "linux")))]
            Transport::Shm => Err(Error::spawn(
                "the shm transport needs Linux (memfd and futex)",
            )),
            #[cfg(feature = "tcp")]
            Transport::Tcp(at) => {
                #[cfg(feature = "tls")]
                if let Some(tls) = settings.tls() {
                    let backend =
                        crate::tls::TlsBackend::new(Some(*at), Some(tls.clone()), settings);
                    return Ok(("tls", Arc::new(backend)));
                }
                Ok((
                    "tcp",
                    Arc::new(crate::tcp::Tcp::new(Some(*at), settings.connect_timeout())),
                ))
            }
            Transport::Custom(custom) => Ok((custom.scheme, Arc::clone(&custom.backend))),
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::LocalSocket => f.write_str("LocalSocket"),
            #[cfg(feature = "ipc-channel")]
            Transport::IpcChannel => f.write_str("IpcChannel"),
            #[cfg(feature = "shm")]
            Transport::Shm => f.write_str("Shm"),
            #[cfg(feature = "tcp")]
            Transport::Tcp(at) => f.debug_tuple("Tcp").field(at).finish(),
            Transport::Custom(custom) => f.debug_tuple("Custom").field(&custom.scheme).finish(),
        }
    }
}

impl PartialEq for Transport {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Transport::LocalSocket, Transport::LocalSocket) => true,
            #[cfg(feature = "ipc-channel")]
            (Transport::IpcChannel, Transport::IpcChannel) => true,
            #[cfg(feature = "shm")]
            (Transport::Shm, Transport::Shm) => true,
            #[cfg(feature = "tcp")]
            (Transport::Tcp(a), Transport::Tcp(b)) => a == b,
            (Transport::Custom(a), Transport::Custom(b)) => a.scheme == b.scheme,
            _ => false,
        }
    }
}

impl Eq for Transport {}

/// A registered user transport, as [`Transport::custom`] finds it.
#[derive(Clone)]
pub struct CustomTransport {
    scheme: &'static str,
    backend: Arc<dyn Backend>,
}

impl CustomTransport {
    /// The name it was registered under.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }
}

impl fmt::Debug for CustomTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomTransport")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}
