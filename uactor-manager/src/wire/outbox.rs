//! [`Outbox`]: the queue of a connection's outgoing frames and the one
//! writer that drains it.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, Ordering};

use uactor_core::{Bytes, Closer, Error, FrameWrite, Result};

use super::{Spin, Waiters};

/// How long an idle flusher thread waits for work before it ends.
const FLUSHER_IDLE: Duration = Duration::from_millis(200);

/// The most frames, and slices, one vectored write carries (well under
/// every system's `IOV_MAX`).
const MAX_SLICES: usize = 256;

/// Frame buffers kept for reuse, and the largest one kept.
const SPARE_BUFFERS: usize = 16;
const SPARE_CAPACITY: usize = 1 << 20;

/// How much a connection may queue and how long its peer may take to read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Bytes queued past which senders wait; a frame is always taken when
    /// nothing is queued, whatever its size.
    pub(crate) max_bytes: usize,
    /// How long the peer may go without reading anything before the
    /// connection is shut down; `None`: for as long as the connection
    /// lives (a caller does not give up on a busy actor; its calls have
    /// their own bounds).
    pub(crate) write_timeout: Option<Duration>,
    /// Whether the writer thread polls for work before it sleeps.
    pub(crate) spin: bool,
}

/// A connection's outgoing frames and their writer.
pub(crate) struct Outbox {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Mutex<Queue>,
    /// Taken only by whoever holds the writing role, so never contended
    /// for long.
    writer: Mutex<Box<dyn FrameWrite>>,
    closer: Option<Closer>,
    /// Notified when room frees, when work arrives for the flusher, and on
    /// close.
    changed: Condvar,
    limits: Limits,
    /// Whether the transport writes without waiting; if not, only the
    /// flusher writes.
    direct: bool,
    /// Whether frames may carry attachments: the transport is a byte
    /// stream.
    attaches: bool,
    /// Whether the writing role is the flusher's: what it polls for before
    /// it sleeps, so handing it a stream of work wakes it rarely.
    work: AtomicBool,
    /// How long the flusher waits for work.
    spin: Spin,
}

struct Queue {
    frames: VecDeque<Entry>,
    /// An empty queue with room, swapped in for the frames a writer takes,
    /// so taking them allocates nothing.
    swap: VecDeque<Entry>,
    /// Bytes of the first frame already written.
    written: usize,
    /// Bytes queued and not yet written.
    bytes: usize,
    role: Role,
    /// Whether the flusher thread runs.
    flusher: bool,
    closed: Option<Error>,
    /// Futures waiting for room.
    waiters: Waiters,
    /// Threads asleep on `changed`: it is notified only when someone
    /// listens, since every notification is a system call.
    sleeping: usize,
    spare: Vec<Vec<u8>>,
}

/// One queued frame, and the request it carries (0 for other frames), so
/// that a request given up before it was written can be withdrawn.
struct Entry {
    request: u64,
    frame: Frame,
}

/// A frame to send: its bytes, and the attachments written after them
/// from their own buffers (only on a byte stream, see
/// [`Outbox::attaches`]).
pub(crate) struct Frame {
    pub(crate) head: Vec<u8>,
    pub(crate) attached: Vec<Bytes>,
}

impl Frame {
    fn len(&self) -> usize {
        self.head.len() + self.attached.iter().map(|bytes| bytes.len()).sum::<usize>()
    }

    /// Its slices from byte `from` on, into `out`.
    fn slices<'a>(&'a self, mut from: usize, out: &mut Vec<IoSlice<'a>>) {
        for part in std::iter::once(&self.head[..]).chain(self.attached.iter().map(|b| &b[..])) {
            if from >= part.len() {
                from -= part.len();
                continue;
            }
            out.push(IoSlice::new(&part[from..]));
            from = 0;
        }
    }
}

impl Frame {
    /// Finishes the frame begun with `frame::start` in `buffer`, whose
    /// payload was encoded with `attached` set aside (see
    /// `uactor_core::bytes::encoding`): under `header`, at most `max`
    /// bytes. Over a connection that is no byte stream (`stream` false),
    /// the attachments' bytes are copied into the frame.
    pub(crate) fn seal(
        mut buffer: Vec<u8>,
        header: uactor_core::frame::Header,
        mut attached: Vec<Bytes>,
        max: u32,
        stream: bool,
    ) -> Result<Frame> {
        if attached.is_empty() {
            uactor_core::frame::finish(&mut buffer, header, max)?;
        } else {
            let extra = uactor_core::frame::attach(&mut buffer, &attached);
            uactor_core::frame::finish_attached(&mut buffer, header, extra, max)?;
            if !stream {
                for bytes in attached.drain(..) {
                    buffer.extend_from_slice(&bytes);
                }
            }
        }
        Ok(Frame {
            head: buffer,
            attached,
        })
    }
}

impl From<Vec<u8>> for Frame {
    fn from(head: Vec<u8>) -> Self {
        Frame {
            head,
            attached: Vec::new(),
        }
    }
}

/// Who writes the queue now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Nobody: the queue is empty.
    Free,
    /// A sender, with writes that never wait.
    Sender,
    /// The flusher thread, which waits for the peer to read.
    Flusher,
}

impl Outbox {
    /// The outbox of a connection whose writing half is `writer`.
    pub(crate) fn new(mut writer: Box<dyn FrameWrite>, limits: Limits) -> Self {
        let direct = matches!(writer.try_write(&[]), Some(Ok(_)));
        let attaches = writer.streams();
        let closer = writer.closer();
        Outbox {
            inner: Arc::new(Inner {
                queue: Mutex::new(Queue {
                    frames: VecDeque::new(),
                    swap: VecDeque::new(),
                    written: 0,
                    bytes: 0,
                    role: Role::Free,
                    flusher: false,
                    closed: None,
                    waiters: Waiters::default(),
                    sleeping: 0,
                    spare: Vec::new(),
                }),
                writer: Mutex::new(writer),
                closer,
                changed: Condvar::new(),
                limits,
                direct,
                attaches,
                work: AtomicBool::new(false),
                spin: Spin::new(limits.spin),
            }),
        }
    }

    /// A buffer to encode a frame into (one a written frame left, when
    /// there is one).
    pub(crate) fn buffer(&self) -> Vec<u8> {
        // A large buffer a big frame left is worth the lock; a small one is
        // cheaper to allocate than to contend for with the writer.
        match self.inner.queue.try_lock() {
            Ok(mut queue) => queue.spare.pop(),
            Err(_) => None,
        }
        .unwrap_or_else(|| Vec::with_capacity(256))
    }

    /// Whether frames on this connection may carry attachments (it is a
    /// byte stream): encoders set [`Bytes`] aside only then.
    pub(crate) fn attaches(&self) -> bool {
        self.inner.attaches
    }

    /// Queues `frame` (carrying `request`, or 0) and writes what the
    /// connection takes now if nobody else is writing. Never waits.
    pub(crate) fn send(&self, request: u64, frame: impl Into<Frame>) -> Result<()> {
        let mut queue = self.inner.queue();
        queue.push(request, frame)?;
        self.inner.write(queue)
    }

    /// Queues `frame` and leaves the writing to the connection's writer
    /// thread, which takes every frame queued meanwhile in one write: for a
    /// stream of calls in flight, where fewer system calls beat the hop.
    pub(crate) fn send_soon(&self, request: u64, frame: impl Into<Frame>) -> Result<()> {
        let mut queue = self.inner.queue();
        queue.push(request, frame)?;
        if queue.role == Role::Free {
            queue.role = Role::Flusher;
            self.inner.hand_to_flusher(queue);
        }
        Ok(())
    }

    /// Queues `frame` without writing it yet: a host answering requests
    /// that are already here writes all their replies at once
    /// ([`flush`](Self::flush)).
    pub(crate) fn enqueue(&self, request: u64, frame: impl Into<Frame>) -> Result<()> {
        self.inner.queue().push(request, frame)
    }

    /// Writes what is queued if nobody else is writing. Never waits.
    pub(crate) fn flush(&self) -> Result<()> {
        let queue = self.inner.queue();
        self.inner.write(queue)
    }

    /// Waits until the queue is under its bound, at most until `deadline`:
    /// `Ok(false)` if it passed first. What is queued and not being written
    /// (frames [`enqueue`](Self::enqueue)d for a later flush) is written
    /// first: nothing else would make room.
    pub(crate) fn wait_room(&self, deadline: Option<Instant>) -> Result<bool> {
        let mut queue = self.inner.queue();
        loop {
            if let Some(error) = &queue.closed {
                return Err(error.clone());
            }
            if queue.has_room(self.inner.limits.max_bytes) {
                return Ok(true);
            }
            if queue.role == Role::Free {
                self.inner.write(queue)?;
                queue = self.inner.queue();
                continue;
            }
            let left = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) => Some(left),
                    None => return Ok(false),
                },
            };
            queue = self.inner.sleep(queue, left);
        }
    }

    /// Whether the queue is under its bound; if not, the future holding
    /// `ticket` is woken when room frees.
    pub(crate) fn poll_room(
        &self,
        context: &mut Context<'_>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<()>> {
        let mut queue = self.inner.queue();
        if let Some(error) = &queue.closed {
            return Poll::Ready(Err(error.clone()));
        }
        if queue.has_room(self.inner.limits.max_bytes) {
            // Room is announced to every waiter at once: nothing is owed.
            queue.waiters.leave(ticket);
            return Poll::Ready(Ok(()));
        }
        queue.waiters.wait(ticket, context.waker());
        Poll::Pending
    }

    /// The future holding `ticket` no longer waits for room.
    pub(crate) fn leave(&self, ticket: &mut Option<u64>) {
        if ticket.is_some() {
            self.inner.queue().waiters.leave(ticket);
        }
    }

    /// Takes back the frame of `request` if no byte of it was written yet:
    /// the peer will never see it. Returns whether it was taken back.
    pub(crate) fn withdraw(&self, request: u64) -> bool {
        let mut queue = self.inner.queue();
        let untouched = usize::from(queue.written > 0);
        let Some(position) = queue
            .frames
            .iter()
            .skip(untouched)
            .position(|entry| entry.request == request)
        else {
            return false;
        };
        if let Some(entry) = queue.frames.remove(position + untouched) {
            queue.bytes -= entry.frame.len();
            queue.recycle(entry.frame.head);
        }
        true
    }

    /// Waits until everything queued is written, at most until `deadline`:
    /// whether it was.
    pub(crate) fn drain(&self, deadline: Instant) -> bool {
        let mut queue = self.inner.queue();
        loop {
            if queue.closed.is_some() {
                return false;
            }
            if queue.frames.is_empty() && queue.role == Role::Free {
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            queue = self.inner.sleep(queue, Some(left));
        }
    }

    /// Closes the connection for writing with `error` (unless it is closed
    /// already): what is queued is dropped, waiters are told, and the
    /// connection is shut down in both directions, which also wakes a
    /// thread blocked reading it.
    pub(crate) fn close(&self, error: Error) {
        self.inner.close(error);
    }
}

impl Queue {
    fn push(&mut self, request: u64, frame: impl Into<Frame>) -> Result<()> {
        if let Some(error) = &self.closed {
            return Err(error.clone());
        }
        let frame = frame.into();
        self.bytes += frame.len();
        self.frames.push_back(Entry { request, frame });
        Ok(())
    }

    fn has_room(&self, max: usize) -> bool {
        self.frames.is_empty() || self.bytes < max
    }

    fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.spare.len() < SPARE_BUFFERS && buffer.capacity() <= SPARE_CAPACITY {
            buffer.clear();
            self.spare.push(buffer);
        }
    }

    /// Takes up to [`MAX_SLICES`] frames to write, and the bytes of the
    /// first one already written.
    fn take(&mut self) -> (VecDeque<Entry>, usize) {
        let batch = if self.frames.len() <= MAX_SLICES {
            let swap = std::mem::take(&mut self.swap);
            std::mem::replace(&mut self.frames, swap)
        } else {
            self.frames.drain(..MAX_SLICES).collect()
        };
        (batch, std::mem::take(&mut self.written))
    }

    /// Accounts for `taken` bytes of `batch` (which started `written` bytes
    /// into its first frame) having been written, and puts what is left of
    /// it back in front of the queue. Returns whether all of it went.
    fn settle(&mut self, mut batch: VecDeque<Entry>, mut written: usize, taken: usize) -> bool {
        if self.closed.is_some() {
            // Closed while it was written: nothing is left to write.
            return true;
        }
        self.bytes -= taken;
        let mut left = taken;
        while let Some(front) = batch.front() {
            let rest = front.frame.len() - written;
            if left < rest {
                written += left;
                break;
            }
            left -= rest;
            written = 0;
            if let Some(entry) = batch.pop_front() {
                self.recycle(entry.frame.head);
            }
        }
        let all = batch.is_empty();
        if all {
            self.swap = batch;
        } else {
            batch.extend(self.frames.drain(..));
            self.swap = std::mem::replace(&mut self.frames, batch);
            self.swap.clear();
            self.written = written;
        }
        all
    }

    fn wake(&mut self) {
        for waker in self.waiters.all() {
            waker.wake();
        }
    }
}

/// Writes the frames of `batch` (the first from `written` on) with
/// `write`, as slices kept on the stack for the usual few frames of one
/// slice each.
fn with_slices<T>(
    batch: &VecDeque<Entry>,
    written: usize,
    write: impl FnOnce(&[IoSlice<'_>]) -> T,
) -> T {
    const ON_STACK: usize = 8;
    let simple =
        batch.len() <= ON_STACK && batch.iter().all(|entry| entry.frame.attached.is_empty());
    if simple {
        let mut slices = [IoSlice::new(&[]); ON_STACK];
        for (position, (place, entry)) in slices.iter_mut().zip(batch.iter()).enumerate() {
            let from = if position == 0 { written } else { 0 };
            *place = IoSlice::new(&entry.frame.head[from..]);
        }
        write(&slices[..batch.len()])
    } else {
        let mut slices = Vec::with_capacity(batch.len() + 4);
        for (position, entry) in batch.iter().enumerate() {
            let from = if position == 0 { written } else { 0 };
            entry.frame.slices(from, &mut slices);
        }
        // A write takes what it takes; the rest goes in the next one.
        slices.truncate(MAX_SLICES);
        write(&slices)
    }
}

impl Inner {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the queue if nobody else is: with writes that never wait, and
    /// what they leave to the flusher thread.
    fn write<'a>(self: &'a Arc<Self>, mut queue: MutexGuard<'a, Queue>) -> Result<()> {
        if let Some(error) = &queue.closed {
            return Err(error.clone());
        }
        if queue.role != Role::Free || queue.frames.is_empty() {
            return Ok(());
        }
        if !self.direct {
            queue.role = Role::Flusher;
            self.hand_to_flusher(queue);
            return Ok(());
        }
        queue.role = Role::Sender;
        loop {
            if queue.frames.is_empty() {
                queue.role = Role::Free;
                self.room(&mut queue);
                return Ok(());
            }
            let (batch, written) = queue.take();
            let offered: usize =
                batch.iter().map(|entry| entry.frame.len()).sum::<usize>() - written;
            drop(queue);
            let (result, pending) = {
                let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
                let result = with_slices(&batch, written, |slices| writer.try_write(slices));
                (result, writer.pending())
            };
            queue = self.queue();
            match result {
                Some(Ok(taken)) => {
                    let all = queue.settle(batch, written, taken);
                    self.room(&mut queue);
                    if !all || taken < offered || pending {
                        // The connection is full: the peer has not read what
                        // it was sent. Waiting for it is the flusher's job.
                        queue.role = Role::Flusher;
                        self.hand_to_flusher(queue);
                        return Ok(());
                    }
                }
                Some(Err(error)) => {
                    drop(queue);
                    self.close(error.clone());
                    return Err(error);
                }
                None => {
                    // Cannot happen: `direct` said it can.
                    queue.settle(batch, written, 0);
                    queue.role = Role::Flusher;
                    self.hand_to_flusher(queue);
                    return Ok(());
                }
            }
        }
    }

    /// Sleeps on `changed` until notified, or at most `left`.
    fn sleep<'a>(
        &'a self,
        mut queue: MutexGuard<'a, Queue>,
        left: Option<Duration>,
    ) -> MutexGuard<'a, Queue> {
        queue.sleeping += 1;
        let mut queue = match left {
            None => self
                .changed
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner),
            Some(left) => {
                self.changed
                    .wait_timeout(queue, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
        queue.sleeping -= 1;
        queue
    }

    /// Wakes whoever sleeps on `changed`, if anyone does.
    fn notify(&self, queue: &Queue) {
        if queue.sleeping > 0 {
            self.changed.notify_all();
        }
    }

    /// Makes sure the flusher thread runs and knows it has work.
    fn hand_to_flusher(self: &Arc<Self>, mut queue: MutexGuard<'_, Queue>) {
        self.work.store(true, Ordering::Release);
        if queue.flusher {
            self.notify(&queue);
            return;
        }
        queue.flusher = true;
        drop(queue);
        let inner = Arc::clone(self);
        let started = thread::Builder::new()
            .name("uactor-writer".into())
            .stack_size(128 * 1024)
            .spawn(move || inner.flush_for_good());
        if let Err(error) = started {
            self.queue().flusher = false;
            self.close(Error::io("starting a writer thread", error));
        }
    }

    /// The flusher thread: writes whatever is handed to it, waiting for the
    /// peer to read (at most the write timeout without progress), and ends
    /// after a while without work.
    fn flush_for_good(self: Arc<Self>) {
        let mut queue = self.queue();
        loop {
            if queue.closed.is_some() {
                queue.flusher = false;
                return;
            }
            if queue.role != Role::Flusher {
                let idle = Instant::now();
                drop(queue);
                let polled = self
                    .spin
                    .poll(idle, || self.work.load(Ordering::Acquire).then_some(()));
                queue = self.queue();
                if polled.is_some() || queue.role == Role::Flusher {
                    continue;
                }
                queue = self.sleep(queue, Some(FLUSHER_IDLE));
                if queue.role == Role::Flusher {
                    self.spin.learn(idle.elapsed());
                } else if idle.elapsed() >= FLUSHER_IDLE {
                    queue.flusher = false;
                    return;
                }
                continue;
            }
            let (batch, written) = queue.take();
            drop(queue);
            let result = {
                let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
                if batch.is_empty() && !writer.pending() {
                    None
                } else {
                    Some(
                        writer
                            .set_timeout(self.limits.write_timeout)
                            .and_then(|()| {
                                with_slices(&batch, written, |slices| writer.write_frames(slices))
                            }),
                    )
                }
            };
            queue = self.queue();
            match result {
                None => {
                    if queue.frames.is_empty() {
                        queue.role = Role::Free;
                        self.work.store(false, Ordering::Release);
                    }
                    self.room(&mut queue);
                }
                Some(Ok(taken)) => {
                    queue.settle(batch, written, taken);
                    self.room(&mut queue);
                }
                Some(Err(error)) => {
                    let error = match error {
                        Error::Timeout { after } => Error::Transport {
                            message: format!(
                                "the peer read nothing for {after:?} (the write deadline): \
                                 disconnected"
                            ),
                            source: None,
                        },
                        other => other,
                    };
                    drop(queue);
                    self.close(error);
                    queue = self.queue();
                }
            }
        }
    }

    /// Tells senders waiting for room that there may be some.
    fn room(&self, queue: &mut Queue) {
        if queue.has_room(self.limits.max_bytes) {
            queue.wake();
            self.notify(queue);
        }
    }

    fn close(&self, error: Error) {
        {
            let mut queue = self.queue();
            if queue.closed.is_some() {
                return;
            }
            queue.closed = Some(error);
            queue.frames.clear();
            queue.bytes = 0;
            queue.written = 0;
            queue.role = Role::Free;
            queue.wake();
            self.notify(&queue);
        }
        match &self.closer {
            Some(closer) => closer(),
            None => {
                if let Ok(mut writer) = self.writer.try_lock() {
                    writer.close();
                }
            }
        }
    }
}
