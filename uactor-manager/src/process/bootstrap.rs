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
    pub(crate) authkey: Vec<u8>,
    pub(crate) args: Vec<u8>,
    pub(crate) codec: CodecId,
    pub(crate) max_frame_size: u32,
    pub(crate) handshake_timeout: Duration,
    /// How long a client may read nothing before it is disconnected.
    pub(crate) write_timeout: Duration,
    /// The most bytes of replies queued for one client.
    pub(crate) max_queued_bytes: usize,
    /// Whether connection threads poll before they sleep.
    pub(crate) spin: bool,
    /// Whether the actor's process prints its panics.
    pub(crate) panics: crate::host::panic::Panics,
    /// Where to listen (and, for ipc-channel, whom to connect back to).
    pub(crate) transport: crate::endpoint::Boot,
    /// The transport's settings (for TLS, the certificate and key).
    pub(crate) settings: uactor_transport::Settings,
}

/// What the spawned process answers.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Report {
    Ready { address: Address, pid: u32 },
    Failed { error: Error },
}

/// Sends one message over a bootstrap channel.
pub(crate) fn send<T: Serialize>(connection: &mut Connection, message: &T) -> Result<()> {
    let mut payload = Vec::new();
    CodecId::Postcard.encode(message, &mut payload)?;
    connection
        .writer
        .write_frame(&frame::encode(Header::new(Kind::Request, 0), &payload))
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
