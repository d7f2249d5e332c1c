//! What a transport is configured with, besides its address: carried in
//! `Options`, and sent whole to a spawned actor over its private bootstrap
//! channel.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::handshake::DEFAULT_DEADLINE;

/// The settings transports read: how long to wait for a host to answer,
/// and each transport's own (TLS certificates with the `tls` feature).
///
/// `Debug` never shows key material.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    connect_timeout: Option<Duration>,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::Tls>,
}

impl Settings {
    /// How long opening a connection may wait for the host to answer.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout.unwrap_or(DEFAULT_DEADLINE)
    }

    /// The same settings, waiting at most `timeout` for a host to answer.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Adds a transport's own setting.
    pub fn set(&mut self, setting: impl Setting) {
        setting.apply(self);
    }

    /// The TLS settings, if some were given.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(&self) -> Option<&crate::tls::Tls> {
        self.tls.as_ref()
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Settings");
        debug.field("connect_timeout", &self.connect_timeout());
        #[cfg(feature = "tls")]
        debug.field("tls", &self.tls);
        debug.finish()
    }
}

/// A transport's own setting, given to `Options::with`: TLS certificates
/// ([`Tls`](crate::tls::Tls), feature `tls`).
pub trait Setting {
    /// Puts this setting into `settings`.
    fn apply(self, settings: &mut Settings);
}

#[cfg(feature = "tls")]
impl Setting for crate::tls::Tls {
    fn apply(self, settings: &mut Settings) {
        settings.tls = Some(self);
    }
}
