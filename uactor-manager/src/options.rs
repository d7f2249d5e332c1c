//! How an actor is spawned and called.

use std::fmt;
#[cfg(feature = "tcp")]
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use uactor_core::frame::DEFAULT_MAX_FRAME;
use uactor_core::{CodecId, Error, Result};
use uactor_transport::Authkey;
#[cfg(feature = "tls")]
use uactor_transport::tls::Tls;

/// Which transport an actor serves on.
///
/// ```
/// let options = uactor_manager::Options::new().transport(uactor_manager::Transport::LocalSocket);
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Transport {
    /// A socket file in a private directory (the default).
    #[default]
    LocalSocket,
    /// An ipc-channel link between the owner and the actor (feature
    /// `ipc-channel`). Other processes reach the actor through its
    /// [`address`](uactor_core::Proxy::address), a private local socket: an
    /// ipc-channel link only ever joins the two processes that made it.
    /// ipc-channel trusts its peer's size fields, so this is for the
    /// parent/child links of one process tree only.
    #[cfg(feature = "ipc-channel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ipc-channel")))]
    IpcChannel,
    /// TCP at this address (feature `tcp`); port 0 picks a free port, which
    /// [`address`](uactor_core::Proxy::address) then shows. Needs an explicit
    /// [`Options::authkey`]; add [`Options::tls`] (feature `tls`) for
    /// encryption.
    #[cfg(feature = "tcp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tcp")))]
    Tcp(SocketAddr),
    /// A transport the program registered itself with
    /// `uactor::register_transport!`; made with [`Transport::custom`].
    Custom(CustomTransport),
}

impl Transport {
    /// The transport registered under `scheme`. Spawned actors build their
    /// own instance from the same registration, so it must be registered in
    /// the binary (not made at run time).
    pub fn custom(scheme: &str) -> Result<Self> {
        let registration = crate::custom::find(scheme).ok_or_else(|| Error::Transport {
            message: format!(
                "no transport is registered as `{scheme}`; register it with \
                 `uactor::register_transport!(\"{scheme}\", MyTransport::new())`"
            ),
            source: None,
        })?;
        Ok(Transport::Custom(CustomTransport {
            scheme: registration.scheme(),
            transport: registration.make(),
        }))
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::LocalSocket => f.write_str("LocalSocket"),
            #[cfg(feature = "ipc-channel")]
            Transport::IpcChannel => f.write_str("IpcChannel"),
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
    pub(crate) scheme: &'static str,
    pub(crate) transport: Arc<dyn uactor_core::Transport>,
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

/// Options for [`spawn_actor`](crate::spawn_actor) (`Type::spawn_with`): transport, authkey, bounds.
///
/// ```
/// use std::time::Duration;
/// let options = uactor_manager::Options::new()
///     .call_timeout(Duration::from_secs(5))
///     .authkey(b"secret");
/// assert_eq!(options.call_timeout_value(), Some(Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    pub(crate) transport: Transport,
    pub(crate) authkey: Option<Vec<u8>>,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) spawn_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) max_frame_size: u32,
    pub(crate) codec: CodecId,
    pub(crate) restart: Restart,
    pub(crate) restart_period: Duration,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Tls>,
}

/// What the owner does when its actor crashes (exits other than through
/// `shutdown`, with a non-zero code or a signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Restart {
    /// Nothing: calls fail with `Error::ActorDied` (the default).
    #[default]
    Never,
    /// Re-create the actor from `spawn`'s arguments, at most `max_restarts`
    /// times within [`Options::restart_period`] (OTP's restart intensity);
    /// past that, calls fail with `Error::ActorDied` whose status is
    /// [`Exit::GaveUp`](uactor_core::Exit::GaveUp).
    OnCrash {
        /// Restarts allowed within one period.
        max_restarts: u32,
    },
}

/// The default restart period: OTP supervisors' default of 5 seconds.
pub const DEFAULT_RESTART_PERIOD: Duration = Duration::from_secs(5);

impl Default for Options {
    fn default() -> Self {
        Options {
            transport: Transport::LocalSocket,
            authkey: None,
            call_timeout: None,
            spawn_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
            handshake_timeout: uactor_transport::handshake::DEFAULT_DEADLINE,
            max_frame_size: DEFAULT_MAX_FRAME,
            codec: CodecId::Postcard,
            restart: Restart::Never,
            restart_period: DEFAULT_RESTART_PERIOD,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl Options {
    /// The defaults: local socket, the process tree's authkey, no call
    /// timeout, 30 s to spawn, 10 s to shut down, 64 MiB frames.
    pub fn new() -> Self {
        Options::default()
    }

    /// Supervision: whether the owner re-creates a crashed actor.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// The window of the restart intensity: at most `max_restarts` restarts
    /// within any `period` ([`DEFAULT_RESTART_PERIOD`], 5 s, unless set).
    pub fn restart_period(mut self, period: Duration) -> Self {
        self.restart_period = period;
        self
    }

    /// Where the actor serves (a local socket unless told otherwise).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The key connections must prove they know. Without one, local actors
    /// use the random key of the process tree.
    pub fn authkey(mut self, authkey: impl AsRef<[u8]>) -> Self {
        self.authkey = Some(authkey.as_ref().to_vec());
        self
    }

    /// A bound on every call made through the proxy: past it the call
    /// returns [`Error::Timeout`](uactor_core::Error::Timeout) and a late
    /// reply is dropped.
    pub fn call_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// How long `spawn` waits for the actor's constructor and listener.
    pub fn spawn_timeout(mut self, timeout: Duration) -> Self {
        self.spawn_timeout = timeout;
        self
    }

    /// How long `shutdown` waits for the shutdown hook before it kills the
    /// process.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How long a connection may take to authenticate.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The largest frame either side accepts, in bytes (64 MiB by default).
    pub fn max_frame_size(mut self, bytes: u32) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// The codec calls are encoded with: [`CodecId::Postcard`] (the
    /// default) or, with the `bincode` feature, `CodecId::Bincode`. Both
    /// sides must use the same; a mismatch is refused at connection time
    /// with an error that names both.
    pub fn codec(mut self, codec: CodecId) -> Self {
        self.codec = codec;
        self
    }

    /// Serves (with [`Transport::Tcp`]) or connects through TLS with these
    /// settings, on top of the authkey (feature `tls`). To serve, the
    /// settings need a certificate and key; to connect, the roots to trust
    /// (without them, the owner trusts the certificate it spawned the actor
    /// with).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The call bound, if any.
    pub fn call_timeout_value(&self) -> Option<Duration> {
        self.call_timeout
    }

    pub(crate) fn authkey_or(&self, fallback: impl FnOnce() -> Result<Authkey>) -> Result<Authkey> {
        match &self.authkey {
            Some(bytes) => Authkey::new(bytes),
            None => fallback(),
        }
    }
}
