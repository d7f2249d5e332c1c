//! One authenticated connection from a caller to an actor, shared by every
//! thread and future that calls through it.
//!
//! Calls are pipelined: each takes one of the connection's
//! `max_in_flight` slots and a request id, is encoded before any lock is
//! taken, and goes out through the connection's [`Outbox`]; its reply is
//! matched by id, so replies may come back in any order. Who reads the
//! connection (see [`reader`](super::reader)):
//!
//! - while only blocking callers wait, whoever waits first reads (the
//!   leader): it hands replies that belong to others to their slots, wakes
//!   them, and gives the role up when its own reply arrives. A lone caller
//!   thus reads its own reply on its own thread and decodes it straight from
//!   the receive buffer: no hop through another thread;
//! - while some reply has no thread waiting for it (a future's, a handle's,
//!   or a call given up on), a reader thread reads, wakes futures, fires
//!   their deadlines, and hands reading back when none is left.
//!
//! A call given up on (a timeout, a dropped future or handle) is withdrawn
//! from the queue if it was not written yet; otherwise a `Cancel` frame
//! tells the actor, and its reply, which still comes, is given to the
//! call's late handler (which releases what it carries) and dropped. Its
//! slot stays taken until then: the bound on calls in flight counts what
//! the actor is still working on.
//!
//! Here: the connection's state and the table of calls in flight; in
//! `send`, taking a slot and writing a request; in `wait`, waiting for a
//! reply, the deadlines of calls no thread waits on, and giving a call up.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use uactor_core::frame::{self, Header, Kind};
use uactor_core::{Address, CodecId, Connection, Error, Exit, FrameRead, Result};

use crate::Options;
use crate::wire::{Limits, Outbox, Spin, Waiters};

mod send;
mod wait;

/// How long a caller that saw the connection drop waits for the owner's
/// reaper to report the exit status.
const STATUS_GRACE: Duration = Duration::from_millis(100);

/// How an actor's process ended, as the process that owns it learns it.
pub(crate) trait Exited: Send + Sync {
    /// How the process ended, waiting at most `timeout` for it to end.
    fn wait_exit(&self, timeout: Duration) -> Option<Exit>;
}

/// What a reply that came after its caller gave up is handed to: it
/// releases what the reply carries (proxies, a lock taken, an item
/// taken). It runs on a thread of its own, since it may make calls.
pub(crate) type Late = Box<dyn FnOnce(Result<Reply>) + Send>;

/// A reply as it arrived: its payload, and the attachments the `Bytes` in
/// it take when it is decoded.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) payload: Vec<u8>,
    pub(crate) attached: Vec<Vec<u8>>,
}

impl Reply {
    /// Decodes it with `decode`, its attachments at hand.
    pub(crate) fn decode<R>(self, decode: impl FnOnce(&[u8]) -> Result<R>) -> Result<R> {
        uactor_core::bytes::decoding(self.attached, || decode(&self.payload))
    }
}

/// When a call gives up, and the bound it was given (which its
/// [`Error::Timeout`] reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deadline {
    at: Instant,
    after: Duration,
}

impl Deadline {
    /// The deadline `after` from now.
    pub(crate) fn after(after: Duration) -> Self {
        Deadline {
            at: Instant::now() + after,
            after,
        }
    }

    /// When it passes.
    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// The time left, or `None` once it passed.
    pub(crate) fn left(&self) -> Option<Duration> {
        self.at
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
    }

    /// Whether it passed.
    pub(crate) fn passed(&self) -> bool {
        self.left().is_none()
    }

    /// The error of a call that ran out of this time.
    pub(crate) fn error(&self) -> Error {
        Error::Timeout { after: self.after }
    }
}

/// Encodes a request's arguments, when its frame is built: what a future
/// keeps until its request goes.
pub(crate) type Encode = Box<dyn FnOnce(&mut Vec<u8>) -> Result<()> + Send>;

/// What a connection is opened with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkSettings {
    pub(crate) codec: CodecId,
    pub(crate) max_frame_size: u32,
    pub(crate) max_in_flight: usize,
    pub(crate) max_queued_bytes: usize,
    /// The bound of calls that are given none of their own (object proxies
    /// that share the connection).
    pub(crate) call_timeout: Option<Duration>,
    /// Whether its readers poll before they sleep.
    pub(crate) spin: bool,
}

impl LinkSettings {
    /// The settings `options` give a connection.
    pub(crate) fn of(options: &Options) -> Self {
        LinkSettings {
            codec: options.codec,
            max_frame_size: options.max_frame_size,
            max_in_flight: options.max_in_flight.max(1),
            max_queued_bytes: options.max_queued_bytes,
            call_timeout: options.call_timeout,
            spin: options.spin,
        }
    }
}

/// Who serves at the other end, as its welcome said.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub(crate) pid: u32,
    /// The tag of the type it serves.
    pub(crate) kind: u64,
    pub(crate) address: Address,
    /// The key it proved.
    pub(crate) key: uactor_transport::Authkey,
}

/// A handle on a connection; clones share it. When the last handle is
/// dropped the connection is shut down, which also ends its reader thread.
pub(crate) struct Link {
    pub(super) inner: Arc<Inner>,
}

impl Clone for Link {
    fn clone(&self) -> Self {
        self.inner.users.fetch_add(1, Ordering::Relaxed);
        Link {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if self.inner.users.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Queued reference counts need not go: the actor gives back what
            // a connection held when it closes.
            self.inner.outbox.close(Error::Closed);
        }
    }
}

pub(super) struct Inner {
    pub(super) peer: Peer,
    pub(super) settings: LinkSettings,
    next_request: AtomicU64,
    /// Handles alive: the connection closes when the last one goes.
    users: AtomicUsize,
    pub(super) outbox: Outbox,
    pub(super) reader: Mutex<Box<dyn FrameRead>>,
    pub(super) state: Mutex<State>,
    pub(super) wake: Condvar,
    /// How long replies take to come: how long a reader polls before it
    /// sleeps.
    pub(super) spin: Spin,
    /// The actor's process, when this process owns it: where the exit status
    /// comes from.
    exited: Option<Arc<dyn Exited>>,
}

/// Hashes request ids (distinct integers) with one multiplication, where
/// SipHash would cost a few hundred instructions per call.
#[derive(Default, Clone, Copy)]
pub(super) struct RequestHasher(u64);

impl std::hash::Hasher for RequestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Slots = HashMap<u64, Slot, std::hash::BuildHasherDefault<RequestHasher>>;

#[derive(Default)]
pub(super) struct State {
    /// Calls in flight: sent (or about to be) and not yet answered, given up
    /// ones included.
    slots: Slots,
    /// Futures waiting for a free slot, woken one per slot freed.
    slot_waiters: Waiters,
    /// Threads asleep on the condition variable (a blocking caller waiting
    /// for a slot, or the reader thread): it is notified only when someone
    /// listens, since every notification is a system call.
    pub(super) sleepers: usize,
    /// The requests whose blocking callers are parked, waiting for their
    /// reply or for the reading role. Each is woken alone (its reply came,
    /// or the role is free and it is the one to take it), not all at once:
    /// with several threads calling on one connection, waking every
    /// sleeper on every reply cost more than the calls.
    pub(super) parked: Vec<u64>,
    /// Whether someone (a leader or the reader thread) reads the connection.
    pub(super) reading: bool,
    /// Whether the reader thread runs.
    pub(super) background: bool,
    /// Whether the reader thread waits, without reading, for work to come
    /// back before it ends.
    pub(super) lingering: bool,
    /// Why the connection can no longer be used.
    pub(super) broken: Option<Error>,
    /// Slots whose reply no waiting thread will read, and that have none
    /// yet: while there is one, the reader thread runs.
    unattended: usize,
    /// Deadlines of pending futures, which the reader thread keeps.
    pub(super) timers: BTreeMap<(Instant, u64), Waker>,
    next_timer: u64,
}

#[derive(Default)]
pub(super) struct Slot {
    reply: Option<Result<Reply>>,
    waker: Option<Waker>,
    /// The blocking caller parked until the reply comes.
    pub(super) thread: Option<Thread>,
    /// No waiting thread reads its reply (a future's, a handle's, or one
    /// given up on).
    unattended: bool,
    /// Given up on: its reply goes to `late`, if any, and is dropped.
    abandoned: bool,
    late: Option<Late>,
}

impl State {
    fn insert(&mut self, request: u64) {
        self.slots.insert(request, Slot::default());
    }

    /// Removes `request`'s slot, keeping the count of unattended ones.
    pub(super) fn remove(&mut self, request: u64) -> Option<Slot> {
        let slot = self.slots.remove(&request)?;
        if slot.unattended && slot.reply.is_none() {
            self.unattended -= 1;
        }
        Some(slot)
    }

    /// Marks `request`'s reply as one no waiting thread reads; returns
    /// whether the reader thread must be told.
    fn unattend(&mut self, request: u64) -> bool {
        if let Some(slot) = self.slots.get_mut(&request)
            && !slot.unattended
        {
            slot.unattended = true;
            if slot.reply.is_none() {
                self.unattended += 1;
                return self.lingering;
            }
        }
        false
    }

    /// Takes the reply to `request` if it has arrived, freeing its slot.
    pub(super) fn take(&mut self, request: u64) -> Option<Result<Reply>> {
        self.slots.get(&request)?.reply.as_ref()?;
        self.remove(request).and_then(|slot| slot.reply)
    }

    /// Parks the calling thread as `request`'s waiter: it is unparked when
    /// the reply comes, or when the reading role is free and it is its turn.
    pub(super) fn park(&mut self, request: u64) {
        if let Some(slot) = self.slots.get_mut(&request) {
            slot.thread = Some(thread::current());
            self.parked.push(request);
        }
    }

    /// Undoes [`park`](Self::park) once the thread is awake.
    pub(super) fn unpark(&mut self, request: u64) {
        if let Some(position) = self.parked.iter().position(|&parked| parked == request) {
            self.parked.swap_remove(position);
        }
        if let Some(slot) = self.slots.get_mut(&request) {
            slot.thread = None;
        }
    }

    /// A parked caller whose reply has not come, to take the reading role.
    pub(super) fn next_leader(&self) -> Option<Thread> {
        self.parked.iter().find_map(|request| {
            let slot = self.slots.get(request)?;
            slot.reply.is_none().then(|| slot.thread.clone()).flatten()
        })
    }

    /// Whether the reader thread has work: a reply nobody waits for, or a
    /// deadline to keep.
    pub(super) fn needs_reader(&self) -> bool {
        self.unattended > 0 || !self.timers.is_empty()
    }

    /// The next deadline the reader thread keeps.
    pub(super) fn next_timer(&self) -> Option<Instant> {
        self.timers.keys().next().map(|(at, _)| *at)
    }

    /// Takes the wakers of deadlines that passed.
    pub(super) fn expired(&mut self, now: Instant) -> Vec<Waker> {
        let mut expired = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            expired.push(entry.remove());
        }
        expired
    }
}

/// Where a future that has not sent its request yet waits: for room in the
/// queue, and for a free slot.
#[derive(Debug, Default)]
pub(crate) struct Tickets {
    room: Option<u64>,
    slot: Option<u64>,
}

/// What became of a reply when it was handed in.
pub(super) enum Delivered {
    /// Stored for its waiter; this waker, if any, wants to know.
    Stored(Option<Waker>),
    /// Its caller gave up on it, or nobody knows the request: dropped
    /// (after its late handler, if it has one).
    Dropped,
}

impl Link {
    pub(crate) fn new(
        connection: Connection,
        peer: Peer,
        settings: LinkSettings,
        exited: Option<Arc<dyn Exited>>,
    ) -> Self {
        let Connection { reader, writer } = connection;
        let limits = Limits {
            max_bytes: settings.max_queued_bytes,
            // A caller does not give up on an actor that is busy; each of
            // its calls has a bound of its own.
            write_timeout: None,
            spin: settings.spin,
        };
        Link {
            inner: Arc::new(Inner {
                peer,
                settings,
                next_request: AtomicU64::new(1),
                users: AtomicUsize::new(1),
                outbox: Outbox::new(writer, limits),
                reader: Mutex::new(reader),
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
                spin: Spin::new(settings.spin),
                exited,
            }),
        }
    }

    pub(crate) fn codec(&self) -> CodecId {
        self.inner.settings.codec
    }

    /// The largest frame the connection carries.
    pub(crate) fn max_frame_size(&self) -> u32 {
        self.inner.settings.max_frame_size
    }

    /// The key the peer proved.
    pub(crate) fn key(&self) -> &uactor_transport::Authkey {
        &self.inner.peer.key
    }

    /// The serving process's id.
    pub(crate) fn pid(&self) -> u32 {
        self.inner.peer.pid
    }

    /// The tag of the type the serving process serves.
    pub(crate) fn kind(&self) -> u64 {
        self.inner.peer.kind
    }

    /// Where the serving process listens.
    pub(crate) fn address(&self) -> &Address {
        &self.inner.peer.address
    }

    /// The bound of calls that bring none of their own.
    pub(crate) fn call_timeout(&self) -> Option<Duration> {
        self.inner.settings.call_timeout
    }

    /// A weak handle, for the process-wide table of connections.
    pub(crate) fn downgrade(&self) -> WeakLink {
        WeakLink(Arc::downgrade(&self.inner))
    }

    /// Sends a frame that has no reply (a reference count, a cancel) about
    /// `object` or `request`. It goes out in order with this thread's other
    /// frames, and never waits.
    pub(crate) fn control(&self, kind: Kind, object: u64, request: u64) {
        let mut buffer = self.inner.outbox.buffer();
        frame::start(&mut buffer);
        let header = Header::new(kind, request).object(object);
        if frame::finish(&mut buffer, header, u32::MAX).is_ok() {
            let _ = self.inner.outbox.send(0, buffer);
        }
    }

    /// Sends a request and waits for its reply, at most until `deadline`;
    /// a call that runs out of time is given up on, its late reply handed
    /// to `late`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call<R>(
        &self,
        kind: Kind,
        object: u64,
        method: u16,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
        deadline: Option<Deadline>,
        late: impl FnOnce() -> Option<Late>,
    ) -> Result<R> {
        let request = self.send(kind, object, method, encode, deadline)?;
        match self.wait(request, deadline, decode) {
            Err(Error::Timeout { after }) => {
                self.abandon(request, late());
                Err(Error::Timeout { after })
            }
            result => result,
        }
    }

    /// Closes the connection for later calls with `error`, unless it is
    /// already broken, and returns the error that stands.
    pub(crate) fn close(&self, error: Error) -> Error {
        self.inner.close(error)
    }

    /// Why the connection is unusable, if it is.
    pub(crate) fn broken(&self) -> Option<Error> {
        self.inner.state().broken.clone()
    }
}

/// Runs a late handler on a thread of its own: it may make calls, and the
/// thread that read the reply must go on reading.
pub(super) fn run_late(late: Late, reply: Result<Reply>) {
    let _ = std::thread::Builder::new()
        .name("uactor-late".into())
        .stack_size(256 * 1024)
        .spawn(move || late(reply));
}

thread_local! {
    /// The connection this thread encodes a frame for (a proxy among the
    /// arguments, written on that same connection, needs no round trip).
    static ENCODING: std::cell::Cell<*const Inner> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Marks this thread as encoding for a connection until dropped.
struct Encoding(*const Inner);

impl Encoding {
    fn enter(inner: &Inner) -> Encoding {
        Encoding(ENCODING.with(|encoding| encoding.replace(inner)))
    }
}

impl Drop for Encoding {
    fn drop(&mut self) {
        ENCODING.with(|encoding| encoding.set(self.0));
    }
}

impl Link {
    /// Whether this thread is encoding a frame for this very connection:
    /// a reference count sent now goes out before that frame.
    pub(crate) fn encoding_here(&self) -> bool {
        ENCODING.with(|encoding| std::ptr::eq(encoding.get(), Arc::as_ptr(&self.inner)))
    }
}

/// A connection that may be gone.
pub(crate) struct WeakLink(std::sync::Weak<Inner>);

impl WeakLink {
    /// The connection, if some handle still holds it.
    pub(crate) fn upgrade(&self) -> Option<Link> {
        let inner = self.0.upgrade()?;
        // A connection whose last handle is going cannot be revived.
        let mut users = inner.users.load(Ordering::Acquire);
        loop {
            if users == 0 {
                return None;
            }
            match inner.users.compare_exchange(
                users,
                users + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(Link { inner }),
                Err(now) => users = now,
            }
        }
    }
}

impl Inner {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `request`'s reply as one no waiting thread reads, and makes
    /// sure the reader thread reads it.
    fn unattend(self: &Arc<Self>, state: &mut State, request: u64) {
        if state.unattend(request) {
            // The reader thread waits for work: here is some.
            self.wake.notify_all();
        }
        if !state.background {
            self.read_in_background(state);
        }
    }

    /// Tells whoever waits for a slot that one may be free.
    pub(super) fn freed(&self, mut state: MutexGuard<'_, State>) {
        let waker = state.slot_waiters.first();
        let sleepers = state.sleepers;
        drop(state);
        if sleepers > 0 {
            self.wake.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Hands in a reply read from the connection.
    pub(super) fn deliver(
        &self,
        header: Header,
        payload: &[u8],
        attached: Vec<Vec<u8>>,
    ) -> Delivered {
        let mut state = self.state();
        let Some(slot) = state.slots.get_mut(&header.request) else {
            return Delivered::Dropped;
        };
        let reply = match header.kind {
            Kind::Reply => Ok(Reply {
                payload: payload.to_vec(),
                attached,
            }),
            _ => Err(self.decode_failure(payload)),
        };
        if slot.abandoned {
            let late = slot.late.take();
            state.remove(header.request);
            self.freed(state);
            if let Some(late) = late {
                run_late(late, reply);
            }
            return Delivered::Dropped;
        }
        let counted = slot.unattended;
        slot.reply = Some(reply);
        let waker = slot.waker.take();
        let thread = slot.thread.take();
        if counted {
            state.unattended -= 1;
        }
        drop(state);
        // Only the caller this reply is for.
        if let Some(thread) = thread {
            thread.unpark();
        }
        Delivered::Stored(waker)
    }

    pub(super) fn decode_failure(&self, payload: &[u8]) -> Error {
        self.settings.codec.decode(payload).unwrap_or_else(|error| {
            Error::protocol(format!("an undecodable failure from the actor: {error}"))
        })
    }

    /// Marks the connection unusable after `error` and tells every waiter.
    /// A connection that ends without a goodbye means the actor died.
    pub(super) fn break_with(&self, error: Error) -> Error {
        let error = match error {
            Error::Closed | Error::Transport { .. } if self.state().broken.is_none() => {
                Error::ActorDied {
                    status: self.exit_status(),
                }
            }
            other => other,
        };
        self.close(error)
    }

    pub(super) fn close(&self, error: Error) -> Error {
        let (error, wakers, threads) = {
            let mut state = self.state();
            let error = state.broken.get_or_insert(error).clone();
            state.reading = false;
            let mut wakers: Vec<Waker> = state
                .slots
                .values_mut()
                .filter_map(|slot| slot.waker.take())
                .collect();
            wakers.extend(state.slot_waiters.all());
            wakers.extend(std::mem::take(&mut state.timers).into_values());
            let threads: Vec<Thread> = state
                .slots
                .values_mut()
                .filter_map(|slot| slot.thread.take())
                .collect();
            (error, wakers, threads)
        };
        self.outbox.close(error.clone());
        self.wake.notify_all();
        threads.iter().for_each(Thread::unpark);
        for waker in wakers {
            super::reader::wake(waker);
        }
        error
    }

    fn exit_status(&self) -> Exit {
        self.exited
            .as_ref()
            .and_then(|exited| exited.wait_exit(STATUS_GRACE))
            .unwrap_or(Exit::Unknown)
    }
}
