//! Frames over a byte stream.
//!
//! [`StreamReader`] keeps its own receive buffer: one `read` system call
//! usually brings a whole frame (or several), the length field is checked
//! against the limit before the buffer grows, and a read that times out in
//! the middle of a frame keeps what it has, so the stream never loses its
//! place. [`StreamWriter`] sends each frame with one `write_all`.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uactor_core::frame::{self, DEFAULT_MAX_FRAME, LENGTH_LEN};
use uactor_core::{Connection, Error, FrameRead, FrameWrite, Result};

/// A byte stream that can be read and written through a shared reference
/// (as sockets can), so one half reads while the other writes.
pub trait Socket: Send + Sync + 'static {
    /// Reads some bytes; `Ok(0)` is end of stream.
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `buf`.
    fn write_all(&self, buf: &[u8]) -> io::Result<()>;
    /// Bounds later reads.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Bounds later writes.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Shuts both directions down, waking a blocked reader with end-of-file.
    fn shutdown(&self) {}
}

/// Splits `socket` into the two halves of a [`Connection`].
pub fn connection<S: Socket>(socket: S) -> Connection {
    let socket = Arc::new(socket);
    Connection::new(
        Box::new(StreamReader::new(Arc::clone(&socket))),
        Box::new(StreamWriter {
            socket,
            timeout: None,
        }),
    )
}

const INITIAL_BUFFER: usize = 64 * 1024;

/// The reading half: frames out of a byte stream.
#[derive(Debug)]
pub struct StreamReader<S> {
    socket: Arc<S>,
    buffer: Vec<u8>,
    /// Start of unconsumed bytes in `buffer`.
    start: usize,
    /// End of received bytes in `buffer`.
    end: usize,
    max: u32,
    timeout: Option<Duration>,
    /// Frames in a row that fit the initial buffer, while it is grown.
    small_frames: u32,
}

impl<S: Socket> StreamReader<S> {
    /// A reader over `socket` with the default frame limit.
    pub fn new(socket: Arc<S>) -> Self {
        StreamReader {
            socket,
            buffer: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            max: DEFAULT_MAX_FRAME,
            timeout: None,
            small_frames: 0,
        }
    }

    /// Makes room for a frame of `total` bytes starting at `start`.
    fn make_room(&mut self, total: usize) {
        if self.start > 0 && self.buffer.len() - self.start < total.max(4096) {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buffer.len() < total {
            // Exactly what is asked: the usual doubling would overshoot the
            // frame limit by up to twice.
            self.buffer.reserve_exact(total - self.buffer.len());
            self.buffer.resize(total, 0);
        }
    }

    fn fill(&mut self) -> Result<()> {
        if self.end == self.buffer.len() {
            self.make_room(self.buffer.len() + 1);
        }
        match self.socket.read(&mut self.buffer[self.end..]) {
            Ok(0) if self.start == self.end => Err(Error::Closed),
            Ok(0) => Err(Error::io(
                "reading a frame",
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection mid-frame",
                ),
            )),
            Ok(read) => {
                self.end += read;
                Ok(())
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(Error::Timeout {
                    after: self.timeout.unwrap_or_default(),
                })
            }
            Err(error) => Err(Error::io("reading a frame", error)),
        }
    }
}

impl<S: Socket> FrameRead for StreamReader<S> {
    fn read_frame(&mut self) -> Result<&[u8]> {
        if self.start == self.end {
            // Nothing pending: reuse the buffer from its start, and give back
            // memory a large frame took.
            self.start = 0;
            self.end = 0;
            // A grown buffer is kept while large frames keep coming (fresh
            // pages cost more than the copy), and given back after a run of
            // small ones, or at once past the keep limit.
            if self.buffer.len() > INITIAL_BUFFER
                && (self.buffer.len() > frame::KEEP_LIMIT
                    || self.small_frames >= frame::SMALL_FRAMES_BEFORE_SHRINK)
            {
                self.buffer = vec![0; INITIAL_BUFFER];
                self.small_frames = 0;
            }
        }
        // The timeout bounds the whole frame, not each read: a peer sending
        // a byte just before every read would time out would otherwise hold
        // the reader (and a handshake) for as long as it likes. A read that
        // started in time may still take its full timeout, so a frame takes
        // at most twice the timeout.
        let deadline = self.timeout.map(|timeout| Instant::now() + timeout);
        loop {
            let available = self.end - self.start;
            if available >= LENGTH_LEN {
                let field = &self.buffer[self.start..self.start + LENGTH_LEN];
                let length = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
                frame::check_length(length, self.max)?;
                let total = LENGTH_LEN + length as usize;
                if available >= total {
                    let at = self.start;
                    self.start += total;
                    if total > frame::SMALL_FRAME {
                        self.small_frames = 0;
                    } else if self.buffer.len() > INITIAL_BUFFER {
                        self.small_frames += 1;
                    }
                    return Ok(&self.buffer[at..at + total]);
                }
                if self.buffer.len() - self.start < total {
                    // Grow with what arrives, not with what the length field
                    // claims: a peer cannot make us commit memory it does
                    // not send.
                    let received = self.end - self.start;
                    self.make_room(total.min(received.max(INITIAL_BUFFER) * 2));
                }
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(Error::Timeout {
                    after: self.timeout.unwrap_or_default(),
                });
            }
            self.fill()?;
        }
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        if timeout != self.timeout {
            self.socket
                .set_read_timeout(timeout)
                .map_err(|error| Error::io("setting a read timeout", error))?;
            self.timeout = timeout;
        }
        Ok(())
    }

    fn set_max_frame(&mut self, max: u32) {
        self.max = max;
    }
}

/// The writing half: one `write_all` per frame.
#[derive(Debug)]
pub struct StreamWriter<S> {
    socket: Arc<S>,
    timeout: Option<Duration>,
}

impl<S: Socket> FrameWrite for StreamWriter<S> {
    #[inline]
    fn write_frame(&mut self, frame: &[u8]) -> Result<()> {
        self.socket
            .write_all(frame)
            .map_err(|error| match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout {
                    after: self.timeout.unwrap_or_default(),
                },
                _ => Error::io("writing a frame", error),
            })
    }

    fn close(&mut self) {
        self.socket.shutdown();
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        if timeout != self.timeout {
            self.socket
                .set_write_timeout(timeout)
                .map_err(|error| Error::io("setting a write timeout", error))?;
            self.timeout = timeout;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// Unix stream sockets frame like any other stream (the bootstrap channel
/// of a spawned actor is one).
impl Socket for std::os::unix::net::UnixStream {
    #[inline]
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &*self, buf)
    }

    #[inline]
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut &*self, buf)
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, timeout)
    }

    fn shutdown(&self) {
        let _ = std::os::unix::net::UnixStream::shutdown(self, std::net::Shutdown::Both);
    }
}
