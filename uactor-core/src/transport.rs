//! The `Transport` trait that every backend implements.
//!
//! A transport moves whole frames (see [`frame`](crate::frame)) between two
//! endpoints. Byte-stream backends (local sockets, TCP) frame a stream;
//! message backends carry one frame per message. Above this trait nothing
//! knows which backend is in use: the handshake, the host loop and the
//! client all speak [`FrameRead`] and [`FrameWrite`].
//!
//! Implementing a transport means: a [`Listener`] that accepts
//! [`Connection`]s, and a way to open a connection to an [`Address`].
//! Authentication is not the transport's job: the layer above runs the
//! handshake over every connection before it decodes any request.

use std::fmt;
use std::time::Duration;

use crate::{Address, Result};

pub mod memory;

/// The receiving half of a connection.
pub trait FrameRead: Send {
    /// Reads the next whole frame, length field included.
    ///
    /// Errors:
    /// - [`Error::Closed`](crate::Error::Closed) when the peer closed the
    ///   connection between frames;
    /// - [`Error::Timeout`](crate::Error::Timeout) when the timeout set with
    ///   [`set_timeout`](Self::set_timeout) passed; what was read of a
    ///   partial frame is kept, and the next call goes on from there;
    /// - [`Error::FrameTooLarge`](crate::Error::FrameTooLarge) when the length
    ///   field exceeds [`set_max_frame`](Self::set_max_frame)'s limit; nothing
    ///   was allocated for it, and the connection must be dropped;
    /// - [`Error::Transport`](crate::Error::Transport) for anything else.
    fn read_frame(&mut self) -> Result<&[u8]>;

    /// Bounds each later [`read_frame`](Self::read_frame); `None` waits for
    /// ever.
    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()>;

    /// The largest frame, in bytes after the length field, that later reads
    /// accept.
    fn set_max_frame(&mut self, max: u32);
}

/// The sending half of a connection.
pub trait FrameWrite: Send {
    /// Sends one whole frame, length field included, in as few system calls
    /// as the backend allows (one for stream sockets).
    fn write_frame(&mut self, frame: &[u8]) -> Result<()>;

    /// Bounds each later [`write_frame`](Self::write_frame); `None` waits
    /// for ever.
    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()>;

    /// Shuts the connection down in both directions, so a thread blocked
    /// reading the other half wakes with end-of-file. The default does
    /// nothing, for transports whose halves close when dropped.
    fn close(&mut self) {}
}

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
}

/// A way to listen at and connect to addresses.
pub trait Transport: Send + Sync + 'static {
    /// Starts listening at a fresh address of this transport.
    fn listen(&self) -> Result<Box<dyn Listener>>;

    /// Opens a connection to `address`. The handshake has not run yet.
    fn connect(&self, address: &Address) -> Result<Connection>;
}
