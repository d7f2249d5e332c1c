//! The [`Backend`] trait that every transport implements, the built-in ones
//! and a program's own alike.
//!
//! A transport moves whole frames (see [`frame`](crate::frame)) between two
//! endpoints. Byte-stream backends (local sockets, TCP) frame a stream;
//! message backends carry one frame per message. Above this trait nothing
//! knows which transport is in use: spawning, the handshake, the host loop
//! and the client all go through [`Backend`], [`Listener`], [`FrameRead`]
//! and [`FrameWrite`].
//!
//! Implementing a transport means: a [`Listener`] that accepts
//! [`Connection`]s, and a way to open a connection to an [`Address`]. The
//! other methods have defaults that suit a transport whose endpoints are
//! plain addresses; a transport overrides them to take part in spawning
//! (the owner prepares the child, the child listens from what the owner
//! sent it) or to clean up after an actor. Authentication is not the
//! transport's job: the layer above runs the handshake over every
//! connection before it decodes any request.

use std::fmt;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use crate::{Address, Error, Result};

pub mod memory;

/// The receiving half of a connection.
pub trait FrameRead: Send {
    /// Reads the next whole frame, length field included.
    ///
    /// Errors:
    /// - [`Error::Closed`] when the peer closed the
    ///   connection between frames;
    /// - [`Error::Timeout`] when the timeout set with
    ///   [`set_timeout`](Self::set_timeout) passed; what was read of a
    ///   partial frame is kept, and the next call goes on from there;
    /// - [`Error::FrameTooLarge`] when the length
    ///   field exceeds [`set_max_frame`](Self::set_max_frame)'s limit; nothing
    ///   was allocated for it, and the connection must be dropped;
    /// - [`Error::Transport`] for anything else.
    fn read_frame(&mut self) -> Result<&[u8]>;

    /// Bounds each later [`read_frame`](Self::read_frame); `None` waits for
    /// ever.
    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()>;

    /// The largest frame, in bytes after the length field, that later reads
    /// accept.
    fn set_max_frame(&mut self, max: u32);

    /// Reads what has arrived, without waiting: `Some(Ok(true))` when a
    /// whole frame is ready for [`read_frame`](Self::read_frame) (or the
    /// connection ended, which `read_frame` reports), `Some(Ok(false))`
    /// when nothing complete has arrived yet, `None` (the default) when this
    /// transport cannot read without possibly waiting. A thread that expects
    /// a frame soon polls with it for a few µs before it sleeps in
    /// `read_frame`, which spares it being woken.
    fn poll_frame(&mut self) -> Option<Result<bool>> {
        None
    }

    /// Whether the next [`read_frame`](Self::read_frame) can return a whole
    /// frame without waiting for the peer (a byte-stream reader often
    /// receives several frames in one system call). A host answers the
    /// requests already here before it writes their replies, so pipelined
    /// replies leave in one write. The default says no.
    fn buffered(&self) -> bool {
        false
    }

    /// [`read_frame`](Self::read_frame), and the frame's attachments when
    /// the reader read them into buffers of their own (see
    /// [`FLAG_ATTACHED`](crate::frame::FLAG_ATTACHED)); the frame then ends
    /// before them. `None` (the default) when they are in the frame, or
    /// there are none.
    #[allow(clippy::type_complexity)]
    fn read_frame_attached(&mut self) -> Result<(&[u8], Option<Vec<Vec<u8>>>)> {
        self.read_frame().map(|frame| (frame, None))
    }

    /// The descriptor that turns readable when the peer sends, for a host
    /// that waits on many quiet connections at once instead of giving each
    /// a thread. `None` (the default) when the backend has none.
    fn readable_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }
}

/// The sending half of a connection.
///
/// No thread that must also read waits in a write: the connection above
/// writes with [`try_write`](Self::try_write) where the transport offers
/// it, and hands what is left (or, where it does not, everything) to a
/// writer thread of its own, which alone calls the waiting methods.
pub trait FrameWrite: Send {
    /// Sends one whole frame, length field included, in as few system calls
    /// as the backend allows (one for stream sockets), waiting at most the
    /// timeout set with [`set_timeout`](Self::set_timeout).
    fn write_frame(&mut self, frame: &[u8]) -> Result<()>;

    /// Writes `frames`, the next bytes of the connection, waiting at most
    /// the timeout; returns how many bytes were taken (on a byte stream, at
    /// least one unless `frames` is empty; the rest is the caller's to write
    /// next). On a message transport each slice is one whole frame and all
    /// are taken: the default writes them one by one.
    fn write_frames(&mut self, frames: &[IoSlice<'_>]) -> Result<usize> {
        let mut taken = 0;
        for frame in frames {
            self.write_frame(frame)?;
            taken += frame.len();
        }
        Ok(taken)
    }

    /// Writes as much of `frames` as the transport takes without waiting and
    /// returns how many bytes it took (perhaps none), or `None` when this
    /// transport cannot write without possibly waiting (the default): the
    /// caller then writes from a thread of its own. A byte stream may take
    /// part of a frame; the caller goes on from there.
    fn try_write(&mut self, frames: &[IoSlice<'_>]) -> Option<Result<usize>> {
        let _ = frames;
        None
    }

    /// Whether this is a byte stream: [`write_frames`](Self::write_frames)
    /// takes bytes, not whole frames, so a frame may be handed over in
    /// several slices (its attachments from their own buffers). The
    /// default says no: each slice is a frame.
    fn streams(&self) -> bool {
        false
    }

    /// Whether bytes taken by [`try_write`](Self::try_write) are still held
    /// by the transport (TLS records not yet on the wire); a
    /// [`write_frames`](Self::write_frames) with nothing new sends them.
    fn pending(&self) -> bool {
        false
    }

    /// Bounds each later [`write_frame`](Self::write_frame); `None` waits
    /// for ever.
    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()>;

    /// Shuts the connection down in both directions, so a thread blocked
    /// reading the other half wakes with end-of-file. The default does
    /// nothing, for transports whose halves close when dropped.
    fn close(&mut self) {}

    /// A way to shut the connection down from any thread, even while
    /// another is blocked writing this half or reading the other (what
    /// [`close`](Self::close) does, without `&mut`). `None` (the default)
    /// for transports whose halves close when dropped.
    fn closer(&self) -> Option<Closer> {
        None
    }
}

/// Shuts a connection down in both directions: see [`FrameWrite::closer`].
pub type Closer = std::sync::Arc<dyn Fn() + Send + Sync>;

/// One open connection, split into its two halves so a reader and a writer
/// can work from different threads.
pub struct Connection {
    /// Receives frames.
    pub reader: Box<dyn FrameRead>,
    /// Sends frames.
    pub writer: Box<dyn FrameWrite>,
}

impl Connection {
    /// A connection made of these halves.
    pub fn new(reader: Box<dyn FrameRead>, writer: Box<dyn FrameWrite>) -> Self {
        Connection { reader, writer }
    }

    /// Bounds both halves' operations, as the handshake does.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.reader.set_timeout(timeout)?;
        self.writer.set_timeout(timeout)
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// Accepts connections at one address.
pub trait Listener: Send {
    /// Where peers connect.
    fn address(&self) -> Address;

    /// Waits for the next connection. The handshake has not run yet.
    fn accept(&mut self) -> Result<Connection>;

    /// Tidies up what ended processes left where this listener lives (a
    /// local socket's folders of processes that are gone). The host calls
    /// it once, on its accept thread before the first
    /// [`accept`](Self::accept), off the path that readies the actor. The
    /// default does nothing.
    fn tidy(&mut self) {}

    /// Stops listening, from any thread: a pending [`accept`](Self::accept)
    /// and every later one fail, and no peer can connect any more. `None`
    /// when the backend cannot stop an `accept` under way; the listener
    /// then closes only when dropped.
    fn closer(&self) -> Option<Closer> {
        None
    }
}

/// A transport: a way to listen at and connect to addresses, and to take
/// part in spawning an actor.
///
/// Spawning goes through three calls, in two processes:
///
/// 1. the owner calls [`prepare`](Self::prepare) before it starts the
///    child, and sends the child the record it returns over their private
///    bootstrap channel;
/// 2. the child calls [`listen_spawned`](Self::listen_spawned) with that
///    record and reports the listener's address;
/// 3. the owner connects to the address, or completes the
///    [`PendingLink`] that `prepare` returned (a transport whose owner link
///    the child makes itself, as ipc-channel's is).
pub trait Backend: Send + Sync + 'static {
    /// Starts listening at a fresh address of this transport.
    fn listen(&self) -> Result<Box<dyn Listener>>;

    /// Opens a connection to `address`. The handshake has not run yet.
    fn connect(&self, address: &Address) -> Result<Connection>;

    /// Listens at an address the user chose (`uactor::serve`). The default
    /// refuses: a transport whose addresses are made by [`listen`](Self::listen) cannot be
    /// told one.
    fn listen_at(&self, address: &Address) -> Result<Box<dyn Listener>> {
        Err(Error::spawn(format!(
            "this transport makes its own addresses and cannot listen at {address}"
        )))
    }

    /// In the owner, before it starts an actor's process: what the child
    /// needs to listen. The default sends nothing and connects to the
    /// address the child reports.
    fn prepare(&self) -> Result<Prepared> {
        Ok(Prepared::default())
    }

    /// In a spawned actor's process: listens as the owner's
    /// [`Prepared::record`] says. The default ignores the record and calls
    /// [`listen`](Self::listen).
    fn listen_spawned(&self, record: &[u8]) -> Result<Box<dyn Listener>> {
        let _ = record;
        self.listen()
    }

    /// Whether peers on other hosts can reach this transport's endpoints:
    /// then an actor served on it needs an explicit authkey, not the
    /// process tree's random one.
    fn remote(&self) -> bool {
        false
    }

    /// Whether the owner of an actor spawned on this transport calls it
    /// over a connection of this transport, opened and authenticated like
    /// any other, rather than over the private socket pair the actor was
    /// started with (the default, and the cheapest for every socket
    /// transport). A transport faster than a Unix socket says yes.
    fn owner_connects(&self) -> bool {
        false
    }

    /// Removes what listening at `address` left behind (a socket file, its
    /// directory), once the actor there has ended: called by the actor
    /// itself as it exits, and by its owner after reaping it, so nothing is
    /// left even when the actor was killed. The default does nothing.
    fn forget(&self, address: &Address) {
        let _ = address;
    }
}

/// What the owner of an actor about to be spawned prepared: see
/// [`Backend::prepare`].
#[derive(Default)]
pub struct Prepared {
    /// Sent to the child, which passes it to
    /// [`Backend::listen_spawned`].
    pub record: Vec<u8>,
    /// The owner's link to the child, when the child makes it itself;
    /// `None` to connect to the address the child reports.
    pub link: Option<Box<dyn PendingLink>>,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("record", &self.record.len())
            .field("link", &self.link.is_some())
            .finish()
    }
}

/// An owner's link to a child that the child makes itself.
pub trait PendingLink: Send {
    /// Waits for the child's link until `deadline`, giving up as soon as
    /// `alive` says the child is gone.
    fn complete(self: Box<Self>, deadline: Instant, alive: &dyn Fn() -> bool)
    -> Result<Connection>;
}
