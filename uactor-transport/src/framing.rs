//! Frames over a byte stream.
//!
//! [`StreamReader`] keeps its own receive buffer: one `read` system call
//! usually brings a whole frame (or several), the length field is checked
//! against the limit before the buffer grows, and a read that times out in
//! the middle of a frame keeps what it has, so the stream never loses its
//! place. A timeout bounds a whole frame, however its bytes trickle in. The
//! buffer starts at the size of a handshake frame: a peer that has proven
//! nothing holds a few hundred bytes, and the buffer takes its usual size
//! once the handshake lifts the frame limit.
//!
//! [`StreamWriter`] writes frames with one vectored write, either without
//! waiting ([`FrameWrite::try_write`], for the connection's own threads) or
//! waiting at most its timeout (for its writer thread).

use std::io::{self, IoSlice};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uactor_core::frame::{self, DEFAULT_MAX_FRAME, LENGTH_LEN};
use uactor_core::{Connection, Error, FrameRead, FrameWrite, Result};

/// A byte stream that can be read and written through a shared reference
/// (as sockets can), so one half reads while the other writes.
pub trait Socket: Send + Sync + 'static {
    /// Reads some bytes; `Ok(0)` is end of stream. A stream that read its
    /// socket but has nothing for the caller yet (part of a TLS record)
    /// returns `Err(Interrupted)`: the frame reader checks its deadline and
    /// reads again, so every socket read is bounded by what is left of it.
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `buf`.
    fn write_all(&self, buf: &[u8]) -> io::Result<()>;
    /// Reads what has arrived without waiting (`WouldBlock` when nothing
    /// has), or `None` when the stream cannot read without possibly waiting
    /// (the default).
    fn try_read(&self, buf: &mut [u8]) -> Option<io::Result<usize>> {
        let _ = buf;
        None
    }
    /// Writes some of `bufs`, waiting at most the write timeout; returns how
    /// many bytes were written. The default writes the first non-empty
    /// buffer whole.
    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match bufs.iter().find(|buf| !buf.is_empty()) {
            Some(buf) => self.write_all(buf).map(|()| buf.len()),
            None => Ok(0),
        }
    }
    /// Writes what the stream takes of `bufs` without waiting (perhaps
    /// nothing), or `None` when it cannot write without possibly waiting
    /// (the default).
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        let _ = bufs;
        None
    }
    /// Whether bytes taken earlier are still held by the stream itself (TLS
    /// records not yet sent); `write_vectored(&[])` sends them.
    fn pending(&self) -> bool {
        false
    }
    /// Bounds each later socket read.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Bounds later writes.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Shuts both directions down, waking a blocked reader with end-of-file.
    fn shutdown(&self) {}

    /// The socket's descriptor, which turns readable when the peer sends
    /// (see [`FrameRead::readable_fd`]).
    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }
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

/// The buffer of a connection that has not authenticated: room for one
/// handshake frame, the largest it may send.
const HANDSHAKE_BUFFER: usize = LENGTH_LEN + frame::HANDSHAKE_MAX_FRAME as usize;

/// The buffer of a connection once larger frames are allowed: most calls
/// and replies fit, so one read usually brings several.
const BUFFER: usize = 64 * 1024;

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
    /// What bounds each frame.
    timeout: Option<Duration>,
    /// The read timeout the socket has now; set lazily, just before a read
    /// that needs another one, so a reader without a timeout never pays.
    socket_timeout: Option<Duration>,
    /// Frames in a row that fit the usual buffer, while it is grown.
    small_frames: u32,
    /// The attachments of the last frame, read into buffers of their own.
    attached: Option<Vec<Vec<u8>>>,
    /// Where the last frame handed over is in `buffer`, and its length.
    last: (usize, usize),
}

impl<S: Socket> StreamReader<S> {
    /// A reader over `socket` with the default frame limit and a buffer the
    /// size of a handshake frame, which grows when the limit is raised
    /// past it ([`set_max_frame`](FrameRead::set_max_frame)) or a frame
    /// needs more. The reader owns the socket's read timeout: `socket`
    /// comes without one.
    pub fn new(socket: Arc<S>) -> Self {
        StreamReader {
            socket,
            buffer: vec![0; HANDSHAKE_BUFFER],
            start: 0,
            end: 0,
            max: DEFAULT_MAX_FRAME,
            timeout: None,
            socket_timeout: None,
            small_frames: 0,
            attached: None,
            last: (0, 0),
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

    /// Makes room for at least one more byte at the end.
    fn make_space(&mut self) {
        if self.end == self.buffer.len() {
            let grown = if self.start > 0 {
                // Moving what is pending to the front makes room.
                self.buffer.len()
            } else {
                // A frame fills the buffer and is not whole: at most twice
                // what arrived, never past the largest frame allowed.
                (self.buffer.len() * 2)
                    .max(BUFFER)
                    .min(LENGTH_LEN + self.max as usize)
                    .max(self.buffer.len() + 1)
            };
            self.make_room(grown);
        }
    }

    /// One socket read, waiting at most `wait`.
    fn fill(&mut self, wait: Option<Duration>) -> Result<()> {
        self.make_space();
        if wait != self.socket_timeout {
            self.socket
                .set_read_timeout(wait)
                .map_err(|error| Error::io("setting a read timeout", error))?;
            self.socket_timeout = wait;
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
            // A signal, or a stream with nothing for us yet: the caller
            // checks its deadline and reads again.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(self.timed_out())
            }
            Err(error) => Err(Error::io("reading a frame", error)),
        }
    }

    /// What is left of `deadline` for the next read, or the timeout.
    fn left(&self, deadline: Option<Instant>) -> Result<Option<Duration>> {
        match deadline {
            None => Ok(None),
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(self.timed_out()),
            },
        }
    }

    /// Reads the frame at `start` (of `total` bytes, with
    /// [`FLAG_ATTACHED`](frame::FLAG_ATTACHED)) whose head, up to its
    /// attachments' bytes, is buffered: each attachment goes into a buffer
    /// of its own, what of it is buffered copied, the rest read from the
    /// socket straight into it. Returns the head's length.
    fn read_attachments(
        &mut self,
        total: usize,
        head: usize,
        deadline: Option<Instant>,
    ) -> Result<usize> {
        let at = self.start;
        let lengths =
            frame::Attached::parse(&self.buffer[at + frame::HEADER_LEN..at + head])?.lengths;
        if lengths.iter().sum::<usize>() != total - head {
            return Err(Error::protocol(
                "a frame's attachments do not add up to its length",
            ));
        }
        let mut buffered = at + head;
        let mut attached = Vec::with_capacity(lengths.len());
        for length in lengths {
            let mut buffer = vec![0; length];
            let from_buffer = length.min(self.end - buffered);
            buffer[..from_buffer].copy_from_slice(&self.buffer[buffered..buffered + from_buffer]);
            buffered += from_buffer;
            let mut filled = from_buffer;
            while filled < length {
                let wait = self.left(deadline)?;
                if wait != self.socket_timeout {
                    self.socket
                        .set_read_timeout(wait)
                        .map_err(|error| Error::io("setting a read timeout", error))?;
                    self.socket_timeout = wait;
                }
                match self.socket.read(&mut buffer[filled..]) {
                    Ok(0) => {
                        return Err(Error::io(
                            "reading a frame",
                            io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "the peer closed the connection mid-frame",
                            ),
                        ));
                    }
                    Ok(read) => filled += read,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error)
                        if matches!(
                            error.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        return Err(self.timed_out());
                    }
                    Err(error) => return Err(Error::io("reading a frame", error)),
                }
            }
            attached.push(buffer);
        }
        // The frame handed over ends before its attachments, and says so.
        let head_field = u32::try_from(head - LENGTH_LEN).unwrap_or(u32::MAX);
        self.buffer[at..at + LENGTH_LEN].copy_from_slice(&head_field.to_le_bytes());
        self.start = buffered;
        self.attached = Some(attached);
        Ok(head)
    }

    /// The frame [`read_frame`](FrameRead::read_frame) last handed over.
    fn last_frame(&self) -> &[u8] {
        &self.buffer[self.last.0..self.last.0 + self.last.1]
    }

    fn timed_out(&self) -> Error {
        Error::Timeout {
            after: self.timeout.unwrap_or_default(),
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
            if self.buffer.len() > BUFFER
                && (self.buffer.len() > frame::KEEP_LIMIT
                    || self.small_frames >= frame::SMALL_FRAMES_BEFORE_SHRINK)
            {
                self.buffer = vec![0; BUFFER];
                self.small_frames = 0;
            }
        }
        // The timeout bounds the whole frame, not each read: a peer sending
        // a byte just before every read would time out would otherwise hold
        // the reader (and a handshake) for as long as it likes. So each
        // socket read waits only for what is left of it.
        let deadline = self.timeout.map(|timeout| Instant::now() + timeout);
        self.attached = None;
        loop {
            let available = self.end - self.start;
            if available >= LENGTH_LEN {
                let field = &self.buffer[self.start..self.start + LENGTH_LEN];
                let length = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
                frame::check_length(length, self.max)?;
                let total = LENGTH_LEN + length as usize;
                // A large frame with attachments: once its head is here, its
                // attachments are read into buffers of their own, each from
                // the socket straight into the buffer its receiver keeps.
                if total > frame::SMALL_FRAME
                    && available > frame::HEADER_LEN
                    && self.buffer[self.start + 5] & frame::FLAG_ATTACHED != 0
                    && let Some(head) =
                        frame::Attached::head_len(&self.buffer[self.start..self.end])
                {
                    if head > total {
                        return Err(Error::protocol("a frame's head overruns the frame"));
                    }
                    if available >= head {
                        let at = self.start;
                        let head = self.read_attachments(total, head, deadline)?;
                        self.small_frames = 0;
                        self.last = (at, head);
                        return Ok(&self.buffer[at..at + head]);
                    }
                    if self.buffer.len() - self.start < head {
                        self.make_room(head.max(BUFFER));
                    }
                } else if available >= total {
                    let at = self.start;
                    self.start += total;
                    if total > frame::SMALL_FRAME {
                        self.small_frames = 0;
                    } else if self.buffer.len() > BUFFER {
                        self.small_frames += 1;
                    }
                    self.last = (at, total);
                    return Ok(&self.buffer[at..at + total]);
                } else if self.buffer.len() - self.start < total {
                    let room = if total <= self.buffer.len() {
                        // Moving the frame's start to the front makes room.
                        total
                    } else {
                        // Grow with what arrives, not with what the length
                        // field claims: a peer cannot make us commit memory
                        // it does not send. Never below the usual size, so
                        // a small buffer grows once, not frame by frame.
                        let received = self.end - self.start;
                        total.min(received.max(BUFFER) * 2).max(BUFFER)
                    };
                    self.make_room(room);
                }
            }
            let wait = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Err(self.timed_out()),
                },
            };
            self.fill(wait)?;
        }
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        // The socket's own timeout is set by the read that needs it.
        self.timeout = timeout;
        Ok(())
    }

    fn set_max_frame(&mut self, max: u32) {
        self.max = max;
        // The handshake is over (or there was none): larger frames may come,
        // and one read should bring several small ones.
        if max > frame::HANDSHAKE_MAX_FRAME && self.buffer.len() < BUFFER {
            self.make_room(BUFFER);
        }
    }

    fn poll_frame(&mut self) -> Option<Result<bool>> {
        if self.buffered() {
            return Some(Ok(true));
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        self.make_space();
        match self.socket.try_read(&mut self.buffer[self.end..])? {
            // The end of the stream: `read_frame` says what it means.
            Ok(0) => Some(Ok(true)),
            Ok(read) => {
                self.end += read;
                Some(Ok(self.buffered()))
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Some(Ok(false))
            }
            Err(error) => Some(Err(Error::io("reading a frame", error))),
        }
    }

    fn buffered(&self) -> bool {
        let available = self.end - self.start;
        if available < LENGTH_LEN {
            return false;
        }
        let field = &self.buffer[self.start..self.start + LENGTH_LEN];
        let length = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
        available >= LENGTH_LEN + length as usize
    }

    fn read_frame_attached(&mut self) -> Result<(&[u8], Option<Vec<Vec<u8>>>)> {
        self.read_frame()?;
        let attached = self.attached.take();
        Ok((self.last_frame(), attached))
    }

    fn readable_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        // Bytes already read into the buffer would not wake a poll.
        if self.start == self.end {
            self.socket.fd()
        } else {
            None
        }
    }
}

/// Sends `bufs` on the socket `fd` with one `sendmsg`: without waiting, or
/// waiting at most the socket's send timeout. A peer that is gone is an
/// error (`EPIPE`), never a `SIGPIPE` that would kill this process.
pub fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>], wait: bool) -> io::Result<usize> {
    use rustix::net::{SendAncillaryBuffer, SendFlags};
    #[cfg(not(any(target_vendor = "apple", windows)))]
    let mut flags = SendFlags::NOSIGNAL;
    #[cfg(any(target_vendor = "apple", windows))]
    let mut flags = SendFlags::empty();
    if !wait {
        flags |= SendFlags::DONTWAIT;
    }
    loop {
        // One buffer (the usual lone call) goes with `send`, which the
        // kernel serves with less work than `sendmsg`'s message header.
        let sent = match bufs {
            [buf] => rustix::net::send(fd, buf, flags),
            _ => rustix::net::sendmsg(fd, bufs, &mut SendAncillaryBuffer::default(), flags),
        };
        match sent {
            Err(rustix::io::Errno::INTR) => continue,
            result => return result.map_err(io::Error::from),
        }
    }
}

/// The writing half of a byte stream.
#[derive(Debug)]
pub struct StreamWriter<S> {
    socket: Arc<S>,
    timeout: Option<Duration>,
}

impl<S> StreamWriter<S> {
    fn error(&self, error: io::Error) -> Error {
        match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout {
                after: self.timeout.unwrap_or_default(),
            },
            _ => Error::io("writing a frame", error),
        }
    }
}

impl<S: Socket> FrameWrite for StreamWriter<S> {
    fn streams(&self) -> bool {
        true
    }

    #[inline]
    fn write_frame(&mut self, frame: &[u8]) -> Result<()> {
        self.socket
            .write_all(frame)
            .map_err(|error| self.error(error))
    }

    fn write_frames(&mut self, frames: &[IoSlice<'_>]) -> Result<usize> {
        loop {
            match self.socket.write_vectored(frames) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Ok(0) if frames.iter().any(|frame| !frame.is_empty()) => {
                    return Err(Error::io(
                        "writing a frame",
                        io::ErrorKind::WriteZero.into(),
                    ));
                }
                written => return written.map_err(|error| self.error(error)),
            }
        }
    }

    #[inline]
    fn try_write(&mut self, frames: &[IoSlice<'_>]) -> Option<Result<usize>> {
        Some(match self.socket.try_write_vectored(frames)? {
            Ok(written) => Ok(written),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(error) => Err(Error::io("writing a frame", error)),
        })
    }

    fn pending(&self) -> bool {
        self.socket.pending()
    }

    fn close(&mut self) {
        self.socket.shutdown();
    }

    fn closer(&self) -> Option<uactor_core::Closer> {
        let socket = Arc::clone(&self.socket);
        Some(Arc::new(move || socket.shutdown()))
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

/// Receives what has arrived on the socket `fd`, without waiting.
pub fn recv_now(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    rustix::net::recv(fd, buf, rustix::net::RecvFlags::DONTWAIT)
        .map(|(read, _)| read)
        .map_err(io::Error::from)
}

/// Writes all of `buf` with `send`, which writes some of what it is given.
pub fn write_all_with(
    mut buf: &[u8],
    mut send: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
) -> io::Result<()> {
    while !buf.is_empty() {
        match send(&[IoSlice::new(buf)]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => buf = &buf[written..],
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
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

    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        Some(std::os::fd::AsFd::as_fd(self))
    }

    #[inline]
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        write_all_with(buf, |bufs| {
            send_vectored(std::os::fd::AsFd::as_fd(self), bufs, true)
        })
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        send_vectored(std::os::fd::AsFd::as_fd(self), bufs, true)
    }

    #[inline]
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        Some(send_vectored(std::os::fd::AsFd::as_fd(self), bufs, false))
    }

    #[inline]
    fn try_read(&self, buf: &mut [u8]) -> Option<io::Result<usize>> {
        Some(recv_now(std::os::fd::AsFd::as_fd(self), buf))
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
