//! The private channel between a parent and the actor process it spawns.
//!
//! The parent makes a socket pair and lets the child inherit one end; the
//! child's environment names the actor type and the descriptor. Over it:
//!
//! 1. parent → child: [`Bootstrap`] (actor name, authkey, arguments, limits,
//!    where to listen: the transport and, for TLS, its certificate and key);
//! 2. child → parent: [`Report`]: the listening address, or why the
//!    constructor failed (an error or a panic);
//! 3. then silence; the child watches the channel, and end-of-file means the
//!    parent is gone, so the actor exits (no orphans, whichever thread of
//!    the parent spawned it).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uactor_core::frame::{self, Header, Kind};
use uactor_core::{Address, CodecId, Connection, Error, Result};

/// Names the actor type a spawned process serves.
pub(crate) const ACTOR_VARIABLE: &str = "UACTOR_ACTOR";
/// Names the descriptor of the bootstrap channel.
pub(crate) const CHANNEL_VARIABLE: &str = "UACTOR_BOOTSTRAP_FD";
/// How long a child waits for its bootstrap message.
pub(crate) const BOOTSTRAP_DEADLINE: Duration = Duration::from_secs(30);
/// The exit code of an actor whose bootstrap failed before it could report.
pub(crate) const BOOTSTRAP_FAILED: i32 = 70;

/// What a parent tells the process it spawned.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Bootstrap {
    pub(crate) actor: String,
    pub(crate) authkey: KeyBytes,
    pub(crate) args: Vec<u8>,
    /// How the actor serves its connections.
    pub(crate) serving: crate::host::Serving,
    /// Whether the actor's process prints its panics.
    pub(crate) panics: crate::options::Panics,
    /// Where to listen (and, for ipc-channel, whom to connect back to).
    pub(crate) transport: crate::endpoint::Boot,
    /// The transport's settings (for TLS, the certificate and key).
    pub(crate) settings: uactor_transport::Settings,
    /// Whether the owner's calls come over this channel once the actor is
    /// ready (else over a link the transport makes: ipc-channel).
    pub(crate) owner_over_channel: bool,
}

/// An authkey's bytes on their way to a child: wiped when dropped, never
/// printed.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct KeyBytes(pub(crate) Vec<u8>);

impl Drop for KeyBytes {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyBytes({} bytes)", self.0.len())
    }
}

/// What the spawned process answers.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Report {
    Ready { address: Address, pid: u32 },
    Failed { error: Error },
}

/// Sends one message over a bootstrap channel.
pub(crate) fn send<T: Serialize>(connection: &mut Connection, message: &T) -> Result<()> {
    // Wiped once sent: a bootstrap carries the authkey.
    let mut payload = zeroize::Zeroizing::new(Vec::new());
    CodecId::Postcard.encode(message, &mut payload)?;
    let frame = zeroize::Zeroizing::new(frame::encode(Header::new(Kind::Request, 0), &payload));
    connection.writer.write_frame(&frame)
}

/// Receives one message over a bootstrap channel, waiting at most `deadline`.
pub(crate) fn receive<T: DeserializeOwned>(
    connection: &mut Connection,
    deadline: Duration,
) -> Result<T> {
    connection.reader.set_timeout(Some(deadline))?;
    let bytes = connection.reader.read_frame()?;
    let (_, payload) = Header::parse(bytes)?;
    CodecId::Postcard.decode(payload)
}
