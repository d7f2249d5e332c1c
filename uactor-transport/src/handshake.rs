//! The mutual HMAC-SHA256 challenge-response every connection runs first.
//!
//! It follows Python multiprocessing's `deliver_challenge` /
//! `answer_challenge`, made mutual in one exchange and bound to both
//! nonces (layouts in [`uactor_core::protocol`]):
//!
//! - the server sends a random nonce `s`;
//! - the client answers `HMAC(key, "uactor/1 client" ‖ s ‖ c)` and its own
//!   random nonce `c`;
//! - the server checks the tag in constant time and answers
//!   `HMAC(key, "uactor/1 server" ‖ s ‖ c)`, which the client checks.
//!
//! Every frame read here is bounded by [`HANDSHAKE_MAX_FRAME`], and the
//! whole exchange by one deadline: each read and write waits only for what
//! is left of it, so a silent or slow peer cannot hold a server thread
//! longer than the deadline, however it spaces its bytes. A failed peer
//! gets one fixed `Refused` frame and nothing else.

use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};
use uactor_core::frame::{self, HANDSHAKE_MAX_FRAME, Header, Kind};
use uactor_core::protocol::{Hello, MAC_LEN, NONCE_LEN};
use uactor_core::{CodecId, Connection, Error, Result};

use crate::Authkey;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How long a handshake may take unless told otherwise.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

const CLIENT_LABEL: &[u8] = b"uactor/1 client";
const SERVER_LABEL: &[u8] = b"uactor/1 server";

/// What the client learns from a successful handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Welcome {
    /// The serving process's id.
    pub pid: u32,
    /// What the server serves, as [`tag`](uactor_core::protocol::tag) of its
    /// name, so a client
    /// cannot mistake one actor type for another.
    pub kind: u64,
}

/// The server's proof, its pid, the tag of what it serves, and its codec
/// byte (so an authenticated client learns of a codec mismatch by name).
const WELCOME_LEN: usize = MAC_LEN + 4 + 8 + 1;

/// Runs the client side over `connection`, then lifts the handshake limits:
/// later frames may be up to `max_frame` bytes and reads wait for ever.
///
/// Errors say which way to look: [`Error::Auth`] when the actor refused the
/// key (or could not prove its own), [`Error::Protocol`] when the peer
/// answered with something that is not uactor's (an HTTP server, say), and
/// [`Error::Transport`] when it said nothing within `deadline` or closed
/// the connection without a word: no actor listens there. A timeout of
/// the handshake is never [`Error::Timeout`], which means a call.
pub fn client(
    connection: &mut Connection,
    authkey: &Authkey,
    codec: CodecId,
    deadline: Duration,
    max_frame: u32,
) -> Result<Welcome> {
    let deadline = begin(connection, deadline);
    send(
        connection,
        &deadline,
        Kind::Hello,
        &Hello::new(codec).to_bytes(),
    )?;

    let server_nonce: [u8; NONCE_LEN] =
        match expect(connection, &deadline, Kind::Challenge, NONCE_LEN) {
            Ok(Some(nonce)) => nonce
                .try_into()
                .map_err(|_| Error::protocol("bad challenge"))?,
            // Before any key was shown: not the key, but the actor's
            // bounds or the protocol version.
            Ok(None) => return Err(turned_away()),
            Err(error) => return Err(not_an_actor(error, deadline.bound)),
        };
    let client_nonce = nonce()?;
    let mut response = [0u8; MAC_LEN + NONCE_LEN];
    response[..MAC_LEN].copy_from_slice(&tag(authkey, CLIENT_LABEL, &server_nonce, &client_nonce)?);
    response[MAC_LEN..].copy_from_slice(&client_nonce);
    send(connection, &deadline, Kind::Response, &response)?;

    let welcome = match expect(connection, &deadline, Kind::Welcome, WELCOME_LEN) {
        Ok(Some(welcome)) => welcome,
        // A server that refuses closes right after; a connection closed
        // here most likely means it refused too.
        Ok(None) | Err(Error::Closed) => return Err(refused()),
        Err(Error::Timeout { .. }) => {
            return Err(Error::Transport {
                message: format!(
                    "the actor did not finish the uactor handshake within {:?}",
                    deadline.bound
                ),
                source: None,
            });
        }
        Err(Error::FrameTooLarge { size, max }) => {
            return Err(Error::protocol(format!(
                "a handshake frame of {size} bytes, above the {max} a handshake allows"
            )));
        }
        Err(error) => return Err(error),
    };
    verify(
        authkey,
        SERVER_LABEL,
        &server_nonce,
        &client_nonce,
        &welcome[..MAC_LEN],
    )
    .map_err(|_| Error::auth("the actor could not prove it knows the authkey"))?;
    let mut pid = [0; 4];
    pid.copy_from_slice(&welcome[MAC_LEN..MAC_LEN + 4]);
    let mut kind = [0; 8];
    kind.copy_from_slice(&welcome[MAC_LEN + 4..MAC_LEN + 12]);
    let served = welcome[MAC_LEN + 12];
    if served != codec.to_byte() {
        let theirs = CodecId::from_byte(served)
            .map(|theirs| format!("{theirs:?}"))
            .unwrap_or_else(|_| format!("codec {served}, which this build does not have"));
        return Err(Error::codec(format!(
            "codec mismatch: the actor encodes with {theirs}, this side with {codec:?}; \
             pass Options::codec with the actor's codec (uactor::net::connect_with)"
        )));
    }
    end(connection, max_frame)?;
    Ok(Welcome {
        pid: u32::from_le_bytes(pid),
        kind: u64::from_le_bytes(kind),
    })
}

/// Runs the server side over `connection`: checks the hello and the client's
/// proof, proves the server's own knowledge of the key, and tells the client
/// what it serves (`welcome`). Returns the codec the client speaks. On
/// failure before the client proved its key, the client has been sent one
/// `Refused` frame; a client that proved its key but speaks another codec
/// is welcomed with the server's codec byte, which tells it the mismatch by
/// name, and then dropped.
pub fn server(
    connection: &mut Connection,
    authkey: &Authkey,
    accepted: CodecId,
    welcome: Welcome,
    deadline: Duration,
    max_frame: u32,
) -> Result<CodecId> {
    let deadline = begin(connection, deadline);
    let result = serve(connection, &deadline, authkey, accepted, welcome);
    if let Err(error) = &result {
        if !matches!(
            error,
            Error::Timeout { .. } | Error::Closed | Error::Transport { .. }
        ) {
            // One fixed answer, whatever went wrong; the peer learns nothing else.
            let _ = send(connection, &deadline, Kind::Refused, &[]);
        }
        return result;
    }
    end(connection, max_frame)?;
    result
}

fn serve(
    connection: &mut Connection,
    deadline: &Deadline,
    authkey: &Authkey,
    accepted: CodecId,
    welcome: Welcome,
) -> Result<CodecId> {
    let mut hello = read(connection, deadline, Kind::Hello)?;
    // The codec is checked after the client has proven it knows the key:
    // before that a peer learns nothing but one fixed refusal.
    let asked = hello.get(6).copied().unwrap_or_default();
    if let Some(byte) = hello.get_mut(6) {
        *byte = accepted.to_byte();
    }
    Hello::parse(&hello)?;
    let server_nonce = nonce()?;
    send(connection, deadline, Kind::Challenge, &server_nonce)?;

    let response = read(connection, deadline, Kind::Response)?;
    if response.len() != MAC_LEN + NONCE_LEN {
        return Err(Error::auth("a malformed response to the challenge"));
    }
    let client_nonce: [u8; NONCE_LEN] = response[MAC_LEN..]
        .try_into()
        .map_err(|_| Error::auth("a malformed response"))?;
    verify(
        authkey,
        CLIENT_LABEL,
        &server_nonce,
        &client_nonce,
        &response[..MAC_LEN],
    )
    .map_err(|_| Error::auth("a client presented a wrong authkey"))?;

    let mut answer = [0u8; WELCOME_LEN];
    answer[..MAC_LEN].copy_from_slice(&tag(authkey, SERVER_LABEL, &server_nonce, &client_nonce)?);
    answer[MAC_LEN..MAC_LEN + 4].copy_from_slice(&welcome.pid.to_le_bytes());
    answer[MAC_LEN + 4..MAC_LEN + 12].copy_from_slice(&welcome.kind.to_le_bytes());
    answer[MAC_LEN + 12] = accepted.to_byte();
    send(connection, deadline, Kind::Welcome, &answer)?;
    if asked != accepted.to_byte() {
        return Err(Error::codec(format!(
            "a client encodes with codec {asked}, this actor with {accepted:?}; it was told so"
        )));
    }
    Ok(accepted)
}

/// The one deadline of a whole handshake.
struct Deadline {
    at: Instant,
    bound: Duration,
}

impl Deadline {
    /// Bounds the next read or write by what is left of the deadline.
    fn arm(&self, connection: &mut Connection) -> Result<()> {
        match self.at.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => connection.set_timeout(Some(left)),
            _ => Err(self.passed()),
        }
    }

    /// A timeout of the handshake, which names its whole bound rather than
    /// what was left for the step that ran out.
    fn passed(&self) -> Error {
        Error::Timeout { after: self.bound }
    }

    fn check<T>(&self, result: Result<T>) -> Result<T> {
        result.map_err(|error| match error {
            Error::Timeout { .. } => self.passed(),
            other => other,
        })
    }
}

fn begin(connection: &mut Connection, bound: Duration) -> Deadline {
    connection.reader.set_max_frame(HANDSHAKE_MAX_FRAME);
    Deadline {
        at: Instant::now() + bound,
        bound,
    }
}

fn end(connection: &mut Connection, max_frame: u32) -> Result<()> {
    connection.set_timeout(None)?;
    connection.reader.set_max_frame(max_frame);
    Ok(())
}

/// What a client makes of a first answer that is no challenge (or no
/// answer): the peer is not a uactor actor, so the error says so and asks
/// about the address, instead of suggesting a larger frame limit or a late
/// call.
fn not_an_actor(error: Error, bound: Duration) -> Error {
    let not_uactor = |what: String| {
        Error::protocol(format!(
            "the peer does not speak the uactor protocol: {what}; is an actor listening there?"
        ))
    };
    match error {
        Error::Timeout { .. } => Error::Transport {
            message: format!(
                "no uactor handshake from the peer within {bound:?}: is an actor listening there?"
            ),
            source: None,
        },
        Error::Closed => Error::Transport {
            message: "the peer closed the connection without a uactor handshake: \
                      is an actor listening there?"
                .to_owned(),
            source: None,
        },
        // Read before any frame limit could matter: these are the first
        // four bytes the peer sent, read as a length.
        Error::FrameTooLarge { size, .. } => {
            let first = u32::try_from(size).unwrap_or(u32::MAX).to_le_bytes();
            let looks_like = match first {
                [b'H', b'T', b'T', b'P'] => " (an HTTP answer)",
                [0x15 | 0x16, 0x03, ..] => " (a TLS record: is it a tls:// address?)",
                _ => "",
            };
            not_uactor(format!(
                "it answered with bytes that begin `{}`{looks_like}",
                first.escape_ascii()
            ))
        }
        Error::Protocol { message } => not_uactor(message),
        other => other,
    }
}

fn turned_away() -> Error {
    Error::Transport {
        message: "the actor refused the connection before any key was shown: it serves as many \
                  connections as it allows (Options::max_connections), or speaks another \
                  uactor protocol version"
            .to_owned(),
        source: None,
    }
}

fn refused() -> Error {
    Error::auth(
        "the actor refused the connection (wrong authkey, or another protocol version or codec)",
    )
}

fn send(
    connection: &mut Connection,
    deadline: &Deadline,
    kind: Kind,
    payload: &[u8],
) -> Result<()> {
    deadline.arm(connection)?;
    deadline.check(
        connection
            .writer
            .write_frame(&frame::encode(Header::new(kind, 0), payload)),
    )
}

/// Reads one frame of `kind`; anything else is a protocol error.
fn read(connection: &mut Connection, deadline: &Deadline, kind: Kind) -> Result<Vec<u8>> {
    deadline.arm(connection)?;
    let bytes = deadline.check(connection.reader.read_frame())?;
    let (header, payload) = Header::parse(bytes)?;
    if header.kind != kind {
        return Err(Error::protocol(format!(
            "expected {kind:?} during the handshake, got {:?}",
            header.kind
        )));
    }
    Ok(payload.to_vec())
}

/// Reads a frame of `kind` and `len` bytes, or `None` for `Refused`.
fn expect(
    connection: &mut Connection,
    deadline: &Deadline,
    kind: Kind,
    len: usize,
) -> Result<Option<Vec<u8>>> {
    deadline.arm(connection)?;
    let bytes = deadline.check(connection.reader.read_frame())?;
    let (header, payload) = Header::parse(bytes)?;
    match header.kind {
        Kind::Refused => Ok(None),
        found if found == kind && payload.len() == len => Ok(Some(payload.to_vec())),
        found => Err(Error::protocol(format!(
            "expected {kind:?} of {len} bytes during the handshake, got {found:?} of {}",
            payload.len()
        ))),
    }
}

fn nonce() -> Result<[u8; NONCE_LEN]> {
    let mut nonce = [0; NONCE_LEN];
    getrandom::fill(&mut nonce)
        .map_err(|error| Error::auth(format!("the OS gave no random bytes: {error}")))?;
    Ok(nonce)
}

fn mac(authkey: &Authkey, label: &[u8], server: &[u8], client: &[u8]) -> Result<HmacSha256> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(authkey.as_bytes())
        .map_err(|_| Error::auth("the authkey cannot key HMAC-SHA256"))?;
    mac.update(label);
    mac.update(server);
    mac.update(client);
    Ok(mac)
}

fn tag(authkey: &Authkey, label: &[u8], server: &[u8], client: &[u8]) -> Result<[u8; MAC_LEN]> {
    let bytes = mac(authkey, label, server, client)?.finalize().into_bytes();
    let mut tag = [0; MAC_LEN];
    tag.copy_from_slice(&bytes);
    Ok(tag)
}

/// Checks `presented` in constant time.
fn verify(
    authkey: &Authkey,
    label: &[u8],
    server: &[u8],
    client: &[u8],
    presented: &[u8],
) -> Result<()> {
    mac(authkey, label, server, client)?
        .verify_slice(presented)
        .map_err(|_| Error::auth("wrong tag"))
}

#[cfg(test)]
mod tests;
