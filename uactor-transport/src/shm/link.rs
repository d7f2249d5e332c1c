//! The two halves of an shm connection: a [`FrameRead`] that takes frames
//! out of the incoming ring (in place when they are large), and a
//! [`FrameWrite`] that puts them into the outgoing one; and the socket that
//! pairs them, which carries wake-ups and, by its end-of-file, the peer's
//! end.
//!
//! Waiting: a reader with nothing to read says so in the segment (`asleep`)
//! and sleeps in `poll` on the socket; a writer that finds the reader asleep
//! after publishing sends it one byte. A reader that polls instead (see
//! [`FrameRead::poll_frame`]) costs the writer nothing. A writer that finds
//! the ring full sleeps on a futex in the segment, which the reader wakes
//! when it frees room; it looks at the socket every [`WRITER_SLICE`] to
//! notice a peer that is gone. A killed peer's socket is closed by the
//! kernel, which wakes a sleeping reader at once.

use std::io::{self, IoSlice};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::{RecvFlags, SendFlags};
use rustix::thread::futex;
use uactor_core::frame::{self, LENGTH_LEN};
use uactor_core::{Closer, Connection, Error, FrameRead, FrameWrite, Result};

use super::ring::{Consumer, Producer, Record};
use super::segment::{Ring, Segment};

/// Frames up to this size are copied out of the ring at once (which frees
/// their room at once, and leaves nothing of them the peer could still
/// touch); larger ones are read in place.
const COPY_BELOW: usize = 4096;

/// How long a writer waiting for room sleeps before it checks that the
/// peer is still there.
const WRITER_SLICE: Duration = Duration::from_millis(50);

/// Which end of the link this process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// The end that connected.
    Client,
    /// The end that accepted.
    Server,
}

/// What both halves of a connection share.
#[derive(Debug)]
struct Shared {
    segment: Segment,
    socket: UnixStream,
    /// The ring this side writes.
    outgoing: Ring,
    closed: AtomicBool,
}

impl Shared {
    /// Wakes the peer's reader: one byte, never waiting; a full socket
    /// buffer already holds a wake-up, and a peer that is gone finds out
    /// by itself.
    fn wake_peer(&self) {
        let _ = rustix::net::send(
            &self.socket,
            &[1],
            SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
        );
    }

    /// Shuts the connection down: the peer and this side's reader see the
    /// end of the socket, and this side's writer stops waiting for room.
    fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            let _ = self.socket.shutdown(std::net::Shutdown::Both);
        }
        let waiting = self.segment.waiting(self.outgoing);
        // Not 1, so a writer about to sleep on it does not.
        waiting.store(2, Ordering::SeqCst);
        let _ = futex::wake(waiting, futex::Flags::empty(), u32::MAX);
    }

    /// Whether the peer has closed its end (without reading anything).
    fn peer_gone(&self) -> bool {
        let mut fds = [PollFd::new(&self.socket, PollFlags::RDHUP)];
        match rustix::event::poll(&mut fds, Some(&Timespec::default())) {
            Ok(0) => false,
            Ok(_) => fds[0]
                .revents()
                .intersects(PollFlags::RDHUP | PollFlags::HUP | PollFlags::ERR),
            Err(_) => false,
        }
    }

    fn closed_error() -> Error {
        Error::io(
            "writing a frame",
            io::Error::new(io::ErrorKind::BrokenPipe, "the shm connection is closed"),
        )
    }
}

/// Makes the two halves of a connection over `segment`, paired with
/// `socket`, for the `side` this process holds.
pub(super) fn connection(segment: Segment, socket: UnixStream, side: Side) -> Connection {
    let (incoming, outgoing) = match side {
        Side::Client => (Ring::FromServer, Ring::FromClient),
        Side::Server => (Ring::FromClient, Ring::FromServer),
    };
    let capacity = segment.capacity();
    let shared = Arc::new(Shared {
        segment,
        socket,
        outgoing,
        closed: AtomicBool::new(false),
    });
    Connection::new(
        Box::new(ShmReader {
            shared: Arc::clone(&shared),
            ring: incoming,
            consumer: Consumer::new(incoming, capacity),
            held: None,
            ready: None,
            copy: Vec::new(),
            gathering: false,
            max: frame::DEFAULT_MAX_FRAME,
            timeout: None,
            peer_gone: false,
            returned_copy: false,
            small_run: 0,
        }),
        Box::new(ShmWriter {
            shared,
            producer: Producer::new(outgoing, capacity),
            timeout: None,
        }),
    )
}

/// A frame found and not yet returned.
#[derive(Debug, Clone, Copy)]
enum Ready {
    /// In the ring, read in place until the next read; releasing it frees
    /// the ring up to `next`.
    InPlace {
        offset: usize,
        len: usize,
        next: u64,
    },
    /// In the reader's own buffer.
    Copied,
}

#[derive(Debug)]
struct ShmReader {
    shared: Arc<Shared>,
    ring: Ring,
    consumer: Consumer,
    /// The end of the frame last returned in place, released by the next
    /// read (the caller is done with it by then).
    held: Option<u64>,
    /// What `poll_frame` found, for the next `read_frame`.
    ready: Option<Ready>,
    /// A small frame copied out, or a large one gathered from pieces.
    copy: Vec<u8>,
    /// Whether `copy` holds part of a frame still arriving in pieces.
    gathering: bool,
    max: u32,
    timeout: Option<Duration>,
    /// Whether the socket has ended: once the ring is empty, so has the
    /// connection.
    peer_gone: bool,
    /// Whether the frame last returned was `copy`.
    returned_copy: bool,
    /// Frames returned from a grown `copy` that were small, in a row.
    small_run: u32,
}

impl ShmReader {
    /// Releases the frame returned last: the caller is done with it.
    fn begin(&mut self) {
        if let Some(next) = self.held.take() {
            self.consumer.release(&self.shared.segment, next);
        }
        // A grown buffer is kept while large frames keep coming, and given
        // back after a run of small ones, or at once past the keep limit.
        if std::mem::take(&mut self.returned_copy) && self.copy.capacity() > frame::SMALL_FRAME {
            let large = self.copy.len() > frame::SMALL_FRAME;
            self.small_run = if large { 0 } else { self.small_run + 1 };
            if self.copy.capacity() > frame::KEEP_LIMIT
                || self.small_run >= frame::SMALL_FRAMES_BEFORE_SHRINK
            {
                self.copy = Vec::new();
                self.small_run = 0;
            }
        }
    }

    /// Takes the next frame out of the ring if a whole one is there.
    fn step(&mut self) -> Result<Option<Ready>> {
        let segment = &self.shared.segment;
        loop {
            let head = self.consumer.head(segment)?;
            match self.consumer.look(segment, self.consumer.read, head)? {
                Record::Empty => return Ok(None),
                Record::Pad { next } => {
                    self.consumer.read = next;
                    self.consumer.release(segment, next);
                }
                Record::Whole { offset, len, next } => {
                    if self.gathering {
                        return Err(Error::protocol(
                            "a whole frame arrived in the middle of one sent in pieces",
                        ));
                    }
                    let mut field = [0; LENGTH_LEN];
                    if len < LENGTH_LEN {
                        return Err(Error::protocol("a frame shorter than its length field"));
                    }
                    field.copy_from_slice(segment.bytes(self.ring, offset, LENGTH_LEN));
                    let declared = u32::from_le_bytes(field);
                    if declared as usize + LENGTH_LEN != len {
                        return Err(Error::protocol(
                            "a frame's length field disagrees with its shared-memory record",
                        ));
                    }
                    frame::check_length(declared, self.max)?;
                    self.consumer.read = next;
                    if len <= COPY_BELOW {
                        self.copy.clear();
                        self.copy
                            .extend_from_slice(segment.bytes(self.ring, offset, len));
                        self.consumer.release(segment, next);
                        return Ok(Some(Ready::Copied));
                    }
                    return Ok(Some(Ready::InPlace { offset, len, next }));
                }
                Record::Piece { offset, len, next } => {
                    if !self.gathering {
                        self.copy.clear();
                        self.gathering = true;
                    }
                    let complete = gather(
                        &mut self.copy,
                        segment.bytes(self.ring, offset, len),
                        self.max,
                    )?;
                    self.consumer.read = next;
                    self.consumer.release(segment, next);
                    if complete {
                        self.gathering = false;
                        return Ok(Some(Ready::Copied));
                    }
                }
            }
        }
    }

    /// Sleeps until the writer wakes this side, the socket ends, or
    /// `deadline` passes (an error then).
    fn wait(&mut self, deadline: Option<Instant>) -> Result<()> {
        let asleep = self.shared.segment.asleep(self.ring);
        asleep.store(1, Ordering::SeqCst);
        // Paired with the writer's store to `head` and its load of
        // `asleep`: what it published before reading the flag is seen here.
        let head = self.consumer.head(&self.shared.segment);
        if !matches!(head, Ok(head) if head == self.consumer.read) {
            asleep.store(0, Ordering::SeqCst);
            return head.map(drop);
        }
        let timeout = match deadline {
            None => None,
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => {
                    Some(Timespec::try_from(left).unwrap_or(Timespec {
                        tv_sec: i64::MAX,
                        tv_nsec: 0,
                    }))
                }
                _ => {
                    asleep.store(0, Ordering::SeqCst);
                    return Err(self.timed_out());
                }
            },
        };
        let mut fds = [PollFd::new(&self.shared.socket, PollFlags::IN)];
        let polled = rustix::event::poll(&mut fds, timeout.as_ref());
        asleep.store(0, Ordering::SeqCst);
        match polled {
            Ok(0) => Err(self.timed_out()),
            Ok(_) => {
                self.drain_socket();
                Ok(())
            }
            Err(rustix::io::Errno::INTR) => Ok(()),
            Err(error) => Err(Error::io("waiting for a frame", error.into())),
        }
    }

    /// Reads the wake-up bytes that have arrived, and notes the socket's end.
    fn drain_socket(&mut self) {
        let mut bytes = [0u8; 64];
        loop {
            match rustix::net::recv(&self.shared.socket, &mut bytes, RecvFlags::DONTWAIT) {
                Ok((0, _)) => {
                    self.peer_gone = true;
                    return;
                }
                Ok((read, _)) if read == bytes.len() => {}
                Ok(_) => return,
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::AGAIN) => return,
                // A broken socket is an ended one.
                Err(_) => {
                    self.peer_gone = true;
                    return;
                }
            }
        }
    }

    fn timed_out(&self) -> Error {
        Error::Timeout {
            after: self.timeout.unwrap_or_default(),
        }
    }
}

/// Appends `piece` to the frame gathered in `frame`, checking its length
/// field against `max` before growing for it; returns whether the frame is
/// whole.
fn gather(frame: &mut Vec<u8>, piece: &[u8], max: u32) -> Result<bool> {
    let had = frame.len();
    let mut field = [0u8; LENGTH_LEN];
    let total = if had >= LENGTH_LEN {
        field.copy_from_slice(&frame[..LENGTH_LEN]);
        Some(u32::from_le_bytes(field))
    } else if had + piece.len() >= LENGTH_LEN {
        field[..had].copy_from_slice(frame);
        field[had..].copy_from_slice(&piece[..LENGTH_LEN - had]);
        let declared = u32::from_le_bytes(field);
        frame::check_length(declared, max)?;
        Some(declared)
    } else {
        None
    };
    let Some(declared) = total else {
        frame.extend_from_slice(piece);
        return Ok(false);
    };
    let total = LENGTH_LEN + declared as usize;
    let now = had + piece.len();
    if now > total {
        return Err(Error::protocol("the pieces of a frame run past its length"));
    }
    if frame.capacity() < now {
        // Grow with what arrives, at most doubling, never past the frame: a
        // peer cannot make this side commit memory it does not send.
        let grown = now.max(frame.capacity().saturating_mul(2)).min(total);
        frame.reserve_exact(grown - had);
    }
    frame.extend_from_slice(piece);
    Ok(now == total)
}

impl FrameRead for ShmReader {
    fn read_frame(&mut self) -> Result<&[u8]> {
        if self.ready.is_none() {
            // (A frame `poll_frame` found is not to be released, nor its
            // buffer given back.)
            self.begin();
        }
        let deadline = self.timeout.map(|timeout| Instant::now() + timeout);
        let ready = loop {
            if let Some(ready) = self.ready.take() {
                break ready;
            }
            if let Some(ready) = self.step()? {
                break ready;
            }
            if self.peer_gone {
                if self.gathering {
                    return Err(Error::io(
                        "reading a frame",
                        io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the peer closed the connection mid-frame",
                        ),
                    ));
                }
                return Err(Error::Closed);
            }
            self.wait(deadline)?;
        };
        Ok(match ready {
            Ready::InPlace { offset, len, next } => {
                self.held = Some(next);
                self.shared.segment.bytes(self.ring, offset, len)
            }
            Ready::Copied => {
                self.returned_copy = true;
                &self.copy
            }
        })
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.timeout = timeout;
        Ok(())
    }

    fn set_max_frame(&mut self, max: u32) {
        self.max = max;
    }

    fn poll_frame(&mut self) -> Option<Result<bool>> {
        if self.ready.is_some() {
            return Some(Ok(true));
        }
        self.begin();
        Some(match self.step() {
            Ok(Some(ready)) => {
                self.ready = Some(ready);
                Ok(true)
            }
            // The socket's end is only seen by `read_frame`, which sleeps on
            // it: a peer that is gone is found there, at once.
            Ok(None) => Ok(self.peer_gone),
            Err(error) => Err(error),
        })
    }

    fn buffered(&self) -> bool {
        if self.ready.is_some() {
            return true;
        }
        let segment = &self.shared.segment;
        let Ok(head) = self.consumer.head(segment) else {
            // `read_frame` reports it.
            return true;
        };
        let mut at = self.consumer.read;
        loop {
            match self.consumer.look(segment, at, head) {
                Ok(Record::Pad { next }) => at = next,
                Ok(Record::Whole { .. }) | Err(_) => return true,
                // Pieces may not make a whole frame yet: saying no is safe.
                Ok(Record::Empty | Record::Piece { .. }) => return false,
            }
        }
    }
}

#[derive(Debug)]
struct ShmWriter {
    shared: Arc<Shared>,
    producer: Producer,
    timeout: Option<Duration>,
}

impl ShmWriter {
    /// Writes what the ring takes of `frames` now, publishes it and wakes
    /// the peer if it sleeps; returns how many bytes were taken.
    fn offer(&mut self, frames: &[IoSlice<'_>]) -> Result<usize> {
        if self.shared.closed.load(Ordering::Relaxed) {
            return Err(Shared::closed_error());
        }
        let segment = &self.shared.segment;
        let mut taken = 0;
        let mut result = Ok(());
        for frame in frames.iter().filter(|frame| !frame.is_empty()) {
            match self.producer.offer(segment, frame) {
                Ok(took) => {
                    taken += took;
                    if took < frame.len() {
                        break;
                    }
                }
                Err(error) => {
                    result = Err(error);
                    break;
                }
            }
        }
        if self.producer.publish(segment) {
            self.shared.wake_peer();
        }
        result.map(|()| taken)
    }

    /// Writes at least some of `frames` (unless all are empty), waiting for
    /// room at most until `deadline`.
    fn write_some(&mut self, frames: &[IoSlice<'_>], deadline: Option<Instant>) -> Result<usize> {
        if frames.iter().all(|frame| frame.is_empty()) {
            return Ok(0);
        }
        let shared = Arc::clone(&self.shared);
        let waiting = shared.segment.waiting(shared.outgoing);
        loop {
            let taken = self.offer(frames)?;
            if taken > 0 {
                return Ok(taken);
            }
            // Asks the reader for a wake-up, then looks again before
            // sleeping (paired with its store to `tail` and load of
            // `waiting`).
            waiting.store(1, Ordering::SeqCst);
            let taken = self.offer(frames)?;
            if taken > 0 {
                waiting.store(0, Ordering::SeqCst);
                return Ok(taken);
            }
            let slice = match deadline {
                None => WRITER_SLICE,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(WRITER_SLICE),
                    _ => {
                        waiting.store(0, Ordering::SeqCst);
                        return Err(Error::Timeout {
                            after: self.timeout.unwrap_or_default(),
                        });
                    }
                },
            };
            let slice = Timespec::try_from(slice).unwrap_or_default();
            // Woken, timed out, or the word changed: all mean look again.
            let _ = futex::wait(waiting, futex::Flags::empty(), 1, Some(&slice));
            if shared.peer_gone() {
                return Err(Error::io(
                    "writing a frame",
                    io::Error::new(io::ErrorKind::BrokenPipe, "the peer closed the connection"),
                ));
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.timeout.map(|timeout| Instant::now() + timeout)
    }
}

impl FrameWrite for ShmWriter {
    fn write_frame(&mut self, frame: &[u8]) -> Result<()> {
        let deadline = self.deadline();
        let mut written = 0;
        while written < frame.len() {
            written += self.write_some(&[IoSlice::new(&frame[written..])], deadline)?;
        }
        Ok(())
    }

    fn write_frames(&mut self, frames: &[IoSlice<'_>]) -> Result<usize> {
        let deadline = self.deadline();
        self.write_some(frames, deadline)
    }

    fn try_write(&mut self, frames: &[IoSlice<'_>]) -> Option<Result<usize>> {
        Some(self.offer(frames))
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.timeout = timeout;
        Ok(())
    }

    fn close(&mut self) {
        self.shared.close();
    }

    fn closer(&self) -> Option<Closer> {
        let shared = Arc::clone(&self.shared);
        Some(Arc::new(move || shared.close()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_gathered_with_the_length_checked_first() {
        let mut frame = Vec::new();
        let declared = 30u32.to_le_bytes();
        assert!(!gather(&mut frame, &declared[..2], 64).unwrap());
        assert!(!gather(&mut frame, &[declared[2], declared[3], 1, 2], 64).unwrap());
        assert!(gather(&mut frame, &[3; 28], 64).unwrap());
        assert_eq!(frame.len(), 34);

        let mut frame = Vec::new();
        let huge = u32::MAX.to_le_bytes();
        assert!(matches!(
            gather(&mut frame, &huge, 1024),
            Err(Error::FrameTooLarge { .. })
        ));
        assert!(frame.capacity() < 1024, "nothing was allocated for it");

        let mut frame = Vec::new();
        let mut bytes = 20u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 30]);
        assert!(
            gather(&mut frame, &bytes, 1024).is_err(),
            "pieces past the frame"
        );
    }
}
