//! How an actor is spawned and called.

use std::time::Duration;

use uactor_core::frame::DEFAULT_MAX_FRAME;
use uactor_core::{CodecId, Result};
use uactor_transport::Authkey;

/// Which transport an actor serves on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Transport {
    /// A socket file in a private directory (the default).
    #[default]
    LocalSocket,
}

/// Options for [`spawn`](crate::spawn): transport, authkey, bounds.
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
}

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
        }
    }
}

impl Options {
    /// The defaults: local socket, the process tree's authkey, no call
    /// timeout, 30 s to spawn, 10 s to shut down, 64 MiB frames.
    pub fn new() -> Self {
        Options::default()
    }

    /// Where the actor serves.
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
