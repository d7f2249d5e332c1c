//! ipc-channel: frames over Servo's OS-level channels, between a parent and
//! the actor process it spawned.
//!
//! The link is set up through ipc-channel's one-shot server: the parent
//! makes one ([`rendezvous`]) and names it in the child's private bootstrap;
//! the child makes the channel it will receive on and sends its sending end
//! through the server ([`connect`]); the parent's [`Rendezvous::accept`]
//! returns the other direction. `accept` has no timeout, so the parent runs
//! it on a thread and races it against the child's death and its deadline;
//! [`Rendezvous::wake`] lets such a thread end when the child never came.
//!
//! Frames of [`SHARED_FROM`] bytes and more travel in an ipc-channel
//! shared-memory region (a memfd), read in place by the receiver; smaller
//! ones inline.
//!
//! **Trust.** ipc-channel's receiver trusts the sender's size fields (it
//! allocates whatever a message says it carries before this module can
//! check the frame's length against its limit), so a hostile peer can make
//! it allocate at will. Use it only for the parent/child links of one
//! process tree, whose peers are the same program; anything reached from
//! elsewhere (TCP, `connect`) goes through a byte stream that checks every
//! length first. A link is also only ever between the two processes that
//! made it: a one-shot server accepts one connection, and channels travel
//! only inside ipc-channel messages, never as an address another process
//! could dial.

use std::fmt;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use ipc_channel::ipc::{
    self, IpcOneShotServer, IpcReceiver, IpcSender, IpcSharedMemory, OpaqueIpcSender,
};
use ipc_channel::{IpcError, TryRecvError};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use uactor_core::frame::{self, DEFAULT_MAX_FRAME, LENGTH_LEN};
use uactor_core::{
    Address, Backend, Connection, Error, FrameRead, FrameWrite, Listener, PendingLink, Prepared,
    Result,
};

use crate::local_socket::LocalSocket;
use crate::registry::{Registration, TRANSPORTS};

/// The ipc-channel transport: it only links an owner and the actor it
/// spawns ([`Backend::prepare`], [`Backend::listen_spawned`]); the actor
/// also listens on a private local socket, which is its address, for
/// everyone else.
#[derive(Debug, Default, Clone, Copy)]
pub struct IpcChannel;

#[linkme::distributed_slice(TRANSPORTS)]
#[allow(unsafe_code)]
static IPC: Registration = Registration::configured("ipc", |_| Ok(Arc::new(IpcChannel)));

impl Backend for IpcChannel {
    fn listen(&self) -> Result<Box<dyn Listener>> {
        Err(Error::spawn(
            "an ipc-channel link is made between an owner and the actor it spawns, not listened for",
        ))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        // An ipc-channel actor's address is its private local socket.
        LocalSocket.connect(address)
    }

    fn prepare(&self) -> Result<Prepared> {
        let (server, name) = rendezvous()?;
        let (sender, accepted) = mpsc::channel();
        // `accept` has no timeout: it runs on its own thread, which
        // `Pending::drop` wakes if the child never connects.
        std::thread::Builder::new()
            .name("uactor-ipc-accept".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let _ = sender.send(server.accept());
            })
            .map_err(|error| Error::io("starting the ipc-channel accept thread", error))?;
        Ok(Prepared {
            record: name.clone().into_bytes(),
            link: Some(Box::new(Pending {
                name,
                accepted,
                done: false,
            })),
        })
    }

    fn listen_spawned(&self, record: &[u8]) -> Result<Box<dyn Listener>> {
        let name = std::str::from_utf8(record)
            .map_err(|_| Error::spawn("the bootstrap names no ipc-channel server"))?;
        let others = LocalSocket.listen()?;
        let owner = connect(name)?;
        Ok(Box::new(IpcListener {
            owner: Some(owner),
            others,
        }))
    }

    fn forget(&self, address: &Address) {
        LocalSocket.forget(address);
    }
}

/// The owner's side of a link its child is making.
struct Pending {
    name: String,
    accepted: mpsc::Receiver<Result<Connection>>,
    done: bool,
}

impl PendingLink for Pending {
    fn complete(
        mut self: Box<Self>,
        deadline: Instant,
        alive: &dyn Fn() -> bool,
    ) -> Result<Connection> {
        loop {
            match self.accepted.recv_timeout(Duration::from_millis(20)) {
                Ok(result) => {
                    self.done = true;
                    return result;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.done = true;
                    return Err(Error::spawn(
                        "the ipc-channel accept thread ended without a link",
                    ));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if !alive() {
                return Err(Error::spawn(
                    "the actor process ended before its ipc-channel link was made",
                ));
            }
            if Instant::now() >= deadline {
                return Err(Error::spawn(
                    "the actor did not make its ipc-channel link in time",
                ));
            }
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            Rendezvous::wake(&self.name);
        }
    }
}

/// The listener of an actor spawned with ipc-channel: its owner's link
/// first, then whoever connects to its private local socket.
struct IpcListener {
    owner: Option<Connection>,
    others: Box<dyn Listener>,
}

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

    fn closer(&self) -> Option<uactor_core::Closer> {
        self.others.closer()
    }
}

/// The first message through a one-shot server: where the parent sends.
#[derive(Serialize, Deserialize)]
struct Opening {
    /// `None` only from [`Rendezvous::wake`].
    reply: Option<OpaqueIpcSender>,
}

/// The parent's end of a link that is being set up.
pub struct Rendezvous {
    server: IpcOneShotServer<Opening>,
}

impl fmt::Debug for Rendezvous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendezvous").finish_non_exhaustive()
    }
}

/// Makes a one-shot server; the name goes to the child.
pub fn rendezvous() -> Result<(Rendezvous, String)> {
    let (server, name) = IpcOneShotServer::new()
        .map_err(|error| Error::io("making an ipc-channel one-shot server", error))?;
    Ok((Rendezvous { server }, name))
}

impl Rendezvous {
    /// Waits, without a bound, for the child to connect; run it on a thread.
    pub fn accept(self) -> Result<Connection> {
        let (incoming, opening) = self
            .server
            .accept()
            .map_err(|error| ipc_error("accepting the child", error))?;
        let Some(reply) = opening.reply else {
            return Err(Error::Closed);
        };
        Ok(link(incoming.to_opaque().to(), reply))
    }

    /// Ends a pending [`accept`](Self::accept) on the server named `name`
    /// (for a child that died before it connected).
    pub fn wake(name: &str) {
        if let Ok(sender) = IpcSender::<Opening>::connect(name.to_owned()) {
            let _ = sender.send(Opening { reply: None });
        }
    }
}

/// The child's side: connects to the parent's one-shot server `name`.
pub fn connect(name: &str) -> Result<Connection> {
    let (reply, incoming) =
        ipc::channel::<Message>().map_err(|error| Error::io("making an ipc-channel", error))?;
    let sender = IpcSender::<Opening>::connect(name.to_owned())
        .map_err(|error| Error::io("connecting to the parent's ipc-channel server", error))?;
    sender
        .send(Opening {
            reply: Some(reply.to_opaque()),
        })
        .map_err(|error| ipc_error("sending to the parent", error))?;
    Ok(link(incoming, sender.to_opaque()))
}

fn link(incoming: IpcReceiver<Message>, outgoing: OpaqueIpcSender) -> Connection {
    Connection::new(
        Box::new(IpcReader {
            incoming,
            current: Message::Inline(FrameBytes(Vec::new())),
            timeout: None,
            max: DEFAULT_MAX_FRAME,
        }),
        Box::new(IpcWriter { outgoing }),
    )
}

fn ipc_error(context: &str, error: IpcError) -> Error {
    match error {
        IpcError::Disconnected => Error::Closed,
        IpcError::Io(error) => Error::io(context, error),
        IpcError::SerializationError(error) => Error::protocol(format!(
            "{context}: an ipc-channel message that does not decode: {error}"
        )),
    }
}

/// Frames from this size up travel in shared memory (an `IpcSharedMemory`
/// region) instead of inline in the message.
///
/// Measured with a 1 MiB frame echoed between two threads over one link
/// (2 cores, loaded): shared memory p10 2.5–3.4 ms against 4.0–5.6 ms
/// through the socket's fragments; at 64 KiB the two were even (about
/// 0.25 ms), so smaller frames stay inline and skip the memfd set-up.
pub const SHARED_FROM: usize = 256 * 1024;

/// One frame as an ipc-channel message, as it is sent: small frames inline
/// as serde bytes (copied once each way, never element by element), large
/// ones in a shared-memory region (memfd), which the receiver reads in
/// place instead of through the socket's fragments.
#[derive(Serialize, Deserialize)]
enum Outgoing<'a> {
    Inline(#[serde(serialize_with = "borrowed_bytes::serialize", borrow)] &'a [u8]),
    Shared(IpcSharedMemory),
}

/// A frame as it is received: the same layout as [`Outgoing`].
#[derive(Serialize, Deserialize)]
enum Message {
    Inline(FrameBytes),
    Shared(IpcSharedMemory),
}

mod borrowed_bytes {
    pub(super) fn serialize<S: serde::Serializer>(
        bytes: &&[u8],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }
}

struct FrameBytes(Vec<u8>);

impl Serialize for FrameBytes {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for FrameBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = FrameBytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a frame")
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> std::result::Result<FrameBytes, E> {
                Ok(FrameBytes(bytes.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(
                self,
                bytes: Vec<u8>,
            ) -> std::result::Result<FrameBytes, E> {
                Ok(FrameBytes(bytes))
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

struct IpcReader {
    incoming: IpcReceiver<Message>,
    current: Message,
    timeout: Option<Duration>,
    max: u32,
}

impl FrameRead for IpcReader {
    fn read_frame(&mut self) -> Result<&[u8]> {
        let received = match self.timeout {
            None => self
                .incoming
                .recv()
                .map_err(|error| ipc_error("receiving a frame", error))?,
            Some(after) => self
                .incoming
                .try_recv_timeout(after)
                .map_err(|error| match error {
                    TryRecvError::Empty => Error::Timeout { after },
                    TryRecvError::IpcError(error) => ipc_error("receiving a frame", error),
                })?,
        };
        let bytes: &[u8] = match &received {
            Message::Inline(bytes) => &bytes.0,
            Message::Shared(shared) => shared,
        };
        if bytes.len() < LENGTH_LEN {
            return Err(Error::protocol("a frame shorter than its length field"));
        }
        let declared = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        frame::check_length(declared, self.max)?;
        self.current = received;
        Ok(match &self.current {
            Message::Inline(bytes) => &bytes.0,
            Message::Shared(shared) => shared,
        })
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.timeout = timeout;
        Ok(())
    }

    fn set_max_frame(&mut self, max: u32) {
        self.max = max;
    }
}

struct IpcWriter {
    outgoing: OpaqueIpcSender,
}

impl FrameWrite for IpcWriter {
    fn write_frame(&mut self, frame: &[u8]) -> Result<()> {
        // Typed per call so the frame is serialized from the borrowed slice;
        // the receiver reads it as a `Message` (the same layout).
        let sender: IpcSender<Outgoing<'_>> = self.outgoing.clone().to();
        let message = if frame.len() >= SHARED_FROM {
            Outgoing::Shared(IpcSharedMemory::from_bytes(frame))
        } else {
            Outgoing::Inline(frame)
        };
        sender
            .send(message)
            .map_err(|error| ipc_error("sending a frame", error))
    }

    fn set_timeout(&mut self, _timeout: Option<Duration>) -> Result<()> {
        // Channels buffer without bound: a send never waits for the peer.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::thread;

    use uactor_core::frame::{Header, Kind};

    use super::*;

    #[test]
    fn frames_cross_both_ways_and_a_wake_ends_accept() {
        let (pending, name) = rendezvous().unwrap();
        let accepting = thread::spawn(move || pending.accept());
        let mut child = connect(&name).unwrap();
        let mut parent = accepting.join().unwrap().unwrap();
        for size in [10, SHARED_FROM + 1] {
            let frame = frame::encode(Header::new(Kind::Request, 3), &vec![9; size]);
            child.writer.write_frame(&frame).unwrap();
            assert_eq!(parent.reader.read_frame().unwrap(), &frame[..]);
            parent.writer.write_frame(&frame).unwrap();
            assert_eq!(child.reader.read_frame().unwrap(), &frame[..]);
        }

        parent
            .reader
            .set_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        assert!(matches!(
            parent.reader.read_frame(),
            Err(Error::Timeout { .. })
        ));
        drop(child);
        assert!(matches!(parent.reader.read_frame(), Err(Error::Closed)));

        let (pending, name) = rendezvous().unwrap();
        let accepting = thread::spawn(move || pending.accept());
        Rendezvous::wake(&name);
        assert!(matches!(accepting.join().unwrap(), Err(Error::Closed)));
    }
}
