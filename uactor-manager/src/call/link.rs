//! One authenticated connection from a caller to an actor, shared by every
//! thread and future that calls through it.
//!
//! Calls are pipelined: each gets a request id, is written whole under the
//! writer lock, and its reply is matched by id, so replies may come back in
//! any order. Who reads the connection:
//!
//! - while only blocking callers use it, whoever waits first reads it (the
//!   leader): it hands replies that belong to others to their slots, wakes
//!   them, and gives the role up when its own reply arrives. A lone caller
//!   thus reads its own reply on its own thread and decodes it straight from
//!   the receive buffer: no hop through another thread;
//! - once a future or an [`AsyncResult`](crate::AsyncResult) waits on it, a
//!   reader thread takes the role for good and wakes wakers and blocked
//!   callers alike, so futures need no particular async runtime.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use uactor_core::frame::{FrameBuffer, Header, Kind};
use uactor_core::{Address, CodecId, Connection, Error, Exit, FrameRead, FrameWrite, Result};

/// How an actor's process ended, as the process that owns it learns it.
pub(crate) trait Exited: Send + Sync {
    /// How the process ended, waiting at most `timeout` for it to end.
    fn wait_exit(&self, timeout: Duration) -> Option<Exit>;
}

/// How long a caller that saw the connection drop waits for the owner's
/// reaper to report the exit status.
const STATUS_GRACE: Duration = Duration::from_millis(100);

/// A handle on a connection; clones share it. When the last handle is
/// dropped the connection is shut down, which also ends its reader thread.
pub(crate) struct Link {
    shared: Arc<Shared>,
}

impl Clone for Link {
    fn clone(&self) -> Self {
        self.shared.users.fetch_add(1, Ordering::Relaxed);
        Link {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if self.shared.users.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.flush_control();
            self.shared
                .writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .writer
                .close();
        }
    }
}

struct Shared {
    codec: CodecId,
    max_frame_size: u32,
    /// The serving process, as its welcome said.
    pid: u32,
    /// The tag of the type it serves, as its welcome said.
    kind: u64,
    address: Address,
    next_request: AtomicU64,
    /// Handles alive: the connection closes when the last one goes.
    users: AtomicUsize,
    /// Frames without a reply (reference counts) waiting for the writer.
    control: Mutex<Vec<Header>>,
    writer: Mutex<Writer>,
    reader: Mutex<Box<dyn FrameRead>>,
    state: Mutex<State>,
    wake: Condvar,
    /// The actor's process, when this process owns it: where the exit status
    /// comes from.
    process: Option<Arc<dyn Exited>>,
}

struct Writer {
    writer: Box<dyn FrameWrite>,
    buffer: FrameBuffer,
}

/// Hashes request ids (distinct integers) with one multiplication, where
/// SipHash would cost a few hundred instructions per call.
#[derive(Default, Clone, Copy)]
struct RequestHasher(u64);

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

type Waiting = HashMap<u64, Slot, std::hash::BuildHasherDefault<RequestHasher>>;

#[derive(Default)]
struct State {
    /// Calls waiting for their reply.
    waiting: Waiting,
    /// Threads asleep on the condition variable: a reply is announced on it
    /// only when someone listens, since every notification is a syscall.
    sleepers: usize,
    /// Whether someone (a leader or the reader thread) reads the connection.
    reading: bool,
    /// Whether the reader thread runs (it then reads for good).
    background: bool,
    /// Why the connection can no longer be used.
    broken: Option<Error>,
}

#[derive(Default)]
struct Slot {
    reply: Option<Result<Vec<u8>>>,
    waker: Option<Waker>,
}

/// What a wait that runs out of time does with the call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnTimeout {
    /// Forget it: a late reply is dropped.
    Forget,
    /// Keep waiting for it later.
    Keep,
}

impl Link {
    pub(crate) fn new(
        connection: Connection,
        codec: CodecId,
        max_frame_size: u32,
        peer: (u32, u64, Address),
        process: Option<Arc<dyn Exited>>,
    ) -> Self {
        let Connection { reader, writer } = connection;
        let (pid, kind, address) = peer;
        Link {
            shared: Arc::new(Shared {
                codec,
                max_frame_size,
                pid,
                kind,
                address,
                next_request: AtomicU64::new(1),
                users: AtomicUsize::new(1),
                control: Mutex::new(Vec::new()),
                writer: Mutex::new(Writer {
                    writer,
                    buffer: FrameBuffer::new(),
                }),
                reader: Mutex::new(reader),
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
                process,
            }),
        }
    }

    pub(crate) fn codec(&self) -> CodecId {
        self.shared.codec
    }

    /// The serving process's id.
    pub(crate) fn pid(&self) -> u32 {
        self.shared.pid
    }

    /// The tag of the type the serving process serves.
    pub(crate) fn kind(&self) -> u64 {
        self.shared.kind
    }

    /// Where the serving process listens.
    pub(crate) fn address(&self) -> &Address {
        &self.shared.address
    }

    /// A weak handle, for the process-wide table of connections.
    pub(crate) fn downgrade(&self) -> WeakLink {
        WeakLink(Arc::downgrade(&self.shared))
    }

    /// Sends a frame that has no reply (a reference count) about `object`.
    /// It is queued and written as soon as the writer is free, and always
    /// before any later frame of this thread, so counts stay in order.
    pub(crate) fn control(&self, kind: Kind, object: u64) {
        self.shared
            .control
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Header {
                kind,
                flags: 0,
                method: 0,
                request: 0,
                object,
            });
        self.shared.flush_control();
    }

    /// Sends a request and waits for its reply.
    pub(crate) fn call<R>(
        &self,
        kind: Kind,
        object: u64,
        method: u16,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
        timeout: Option<Duration>,
    ) -> Result<R> {
        let request = self.send(kind, object, method, encode)?;
        self.wait(request, timeout, OnTimeout::Forget, decode)
    }

    /// Sends a frame of `kind` to `object`, its payload written by `encode`;
    /// returns the request id its reply will carry.
    pub(crate) fn send(
        &self,
        kind: Kind,
        object: u64,
        method: u16,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<u64> {
        let shared = &*self.shared;
        let request = shared.next_request.fetch_add(1, Ordering::Relaxed);
        {
            let mut state = shared.state();
            if let Some(error) = &state.broken {
                return Err(error.clone());
            }
            state.waiting.insert(request, Slot::default());
        }
        #[cfg(not(feature = "tracing"))]
        let header = Header {
            kind,
            flags: 0,
            method,
            request,
            object,
        };
        // A request made inside a traced call carries its trace context
        // (only then: without a subscriber nothing is added).
        #[cfg(feature = "tracing")]
        let (header, encode) = {
            let context = if kind == Kind::Request {
                crate::trace::outgoing()
            } else {
                None
            };
            let flags = context.map_or(0, |_| uactor_core::frame::FLAG_TRACE_CONTEXT);
            let encode = move |out: &mut Vec<u8>| {
                if let Some(context) = context {
                    crate::trace::write(context, out);
                }
                encode(out)
            };
            (
                Header {
                    kind,
                    flags,
                    method,
                    request,
                    object,
                },
                encode,
            )
        };
        if let Err(error) = shared.write(header, encode) {
            shared.state().waiting.remove(&request);
            return Err(if error.is_fatal() {
                shared.break_with(error)
            } else {
                error
            });
        }
        Ok(request)
    }

    /// Waits for the reply to `request`, at most `timeout`, and decodes it.
    pub(crate) fn wait<R>(
        &self,
        request: u64,
        timeout: Option<Duration>,
        on_timeout: OnTimeout,
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let shared = &*self.shared;
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        let mut state = shared.state();
        loop {
            if let Some(reply) = state.take(request) {
                drop(state);
                return reply.and_then(|bytes| decode(&bytes));
            }
            if let Some(error) = &state.broken {
                let error = error.clone();
                state.waiting.remove(&request);
                return Err(error);
            }
            let remaining = match remaining(deadline) {
                Ok(remaining) => remaining,
                Err(()) => {
                    if on_timeout == OnTimeout::Forget {
                        state.waiting.remove(&request);
                    }
                    return Err(Error::Timeout {
                        after: timeout.unwrap_or_default(),
                    });
                }
            };
            if !state.reading {
                state.reading = true;
                drop(state);
                return shared.lead(request, deadline, timeout, on_timeout, decode);
            }
            state.sleepers += 1;
            state = match remaining {
                Some(remaining) => {
                    shared
                        .wake
                        .wait_timeout(state, remaining)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
            state.sleepers -= 1;
        }
    }

    /// Polls for the reply to `request` from a future: never blocks.
    pub(crate) fn poll<R>(
        &self,
        request: u64,
        context: &mut Context<'_>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Poll<Result<R>> {
        self.read_in_background();
        let mut state = self.shared.state();
        if let Some(reply) = state.take(request) {
            drop(state);
            return Poll::Ready(reply.and_then(|bytes| decode(&bytes)));
        }
        if let Some(error) = &state.broken {
            let error = error.clone();
            state.waiting.remove(&request);
            return Poll::Ready(Err(error));
        }
        match state.waiting.get_mut(&request) {
            Some(slot) => {
                match &mut slot.waker {
                    Some(waker) if waker.will_wake(context.waker()) => {}
                    waker => *waker = Some(context.waker().clone()),
                }
                Poll::Pending
            }
            None => Poll::Ready(Err(Error::protocol("a reply was waited for twice"))),
        }
    }

    /// Whether the reply to `request` has arrived (or never will): never
    /// blocks.
    pub(crate) fn is_ready(&self, request: u64) -> bool {
        self.read_in_background();
        let state = self.shared.state();
        state.broken.is_some()
            || state
                .waiting
                .get(&request)
                .is_none_or(|slot| slot.reply.is_some())
    }

    /// Gives up on `request`: its reply, if it comes, is dropped.
    pub(crate) fn forget(&self, request: u64) {
        self.shared.state().waiting.remove(&request);
    }

    /// Closes the connection for later calls with `error`, unless it is
    /// already broken, and returns the error that stands.
    pub(crate) fn close(&self, error: Error) -> Error {
        self.shared.close(error)
    }

    /// Why the connection is unusable, if it is.
    pub(crate) fn broken(&self) -> Option<Error> {
        self.shared.state().broken.clone()
    }

    /// Starts the reader thread, once.
    fn read_in_background(&self) {
        {
            let mut state = self.shared.state();
            if state.background || state.broken.is_some() {
                return;
            }
            state.background = true;
        }
        let shared = Arc::clone(&self.shared);
        let started = thread::Builder::new()
            .name("uactor-reader".into())
            .stack_size(256 * 1024)
            .spawn(move || shared.read_for_good());
        if let Err(error) = started {
            self.shared
                .break_with(Error::io("starting a reader thread", error));
        }
    }
}

thread_local! {
    /// The connection whose writer this thread holds while it encodes a
    /// frame's payload (a proxy among the arguments must not call over it).
    static ENCODING: std::cell::Cell<*const Shared> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Marks this thread as encoding for a connection until dropped.
struct Encoding(*const Shared);

impl Encoding {
    fn enter(shared: &Shared) -> Encoding {
        Encoding(ENCODING.with(|encoding| encoding.replace(shared)))
    }
}

impl Drop for Encoding {
    fn drop(&mut self) {
        ENCODING.with(|encoding| encoding.set(self.0));
    }
}

impl Link {
    /// Whether this thread is encoding a frame for this very connection, so
    /// that a call over it now would wait for itself.
    pub(crate) fn encoding_here(&self) -> bool {
        ENCODING.with(|encoding| std::ptr::eq(encoding.get(), Arc::as_ptr(&self.shared)))
    }
}

/// A connection that may be gone.
pub(crate) struct WeakLink(std::sync::Weak<Shared>);

impl WeakLink {
    /// The connection, if some handle still holds it.
    pub(crate) fn upgrade(&self) -> Option<Link> {
        let shared = self.0.upgrade()?;
        // A connection whose last handle is going cannot be revived.
        let mut users = shared.users.load(Ordering::Acquire);
        loop {
            if users == 0 {
                return None;
            }
            match shared.users.compare_exchange(
                users,
                users + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(Link { shared }),
                Err(now) => users = now,
            }
        }
    }
}

impl State {
    /// Takes the reply to `request` if it has arrived.
    fn take(&mut self, request: u64) -> Option<Result<Vec<u8>>> {
        let slot = self.waiting.get_mut(&request)?;
        let reply = slot.reply.take()?;
        self.waiting.remove(&request);
        Some(reply)
    }

    /// Stores a reply for its waiter, if it still waits; a reply nobody waits
    /// for belongs to a call that timed out or was dropped, and is dropped
    /// too, never handed to a later call.
    fn deliver(&mut self, request: u64, reply: Result<Vec<u8>>) -> Option<Waker> {
        let slot = self.waiting.get_mut(&request)?;
        slot.reply = Some(reply);
        slot.waker.take()
    }
}

/// The time left before `deadline`: `Ok(None)` without one, `Err` once past.
fn remaining(deadline: Option<Instant>) -> std::result::Result<Option<Duration>, ()> {
    match deadline {
        None => Ok(None),
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
            Some(remaining) if !remaining.is_zero() => Ok(Some(remaining)),
            _ => Err(()),
        },
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, header: Header, encode: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        let sent = {
            let mut guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let Writer { writer, buffer } = &mut *guard;
            buffer.start();
            let encoded = {
                let _encoding = Encoding::enter(self);
                encode(buffer.payload())
            };
            // Reference counts queued meanwhile (a proxy among the arguments)
            // go first: the actor must count a reference before it can be
            // adopted or dropped.
            self.write_control(&mut **writer);
            encoded
                .and_then(|()| {
                    let size = buffer.len() - uactor_core::frame::LENGTH_LEN;
                    if size > self.max_frame_size as usize {
                        return Err(Error::FrameTooLarge {
                            size: size as u64,
                            max: u64::from(self.max_frame_size),
                        });
                    }
                    writer.write_frame(buffer.finish(header))
                })
                .inspect(|_| buffer.shrink())
                .inspect_err(|_| buffer.shrink())
        };
        self.flush_control();
        sent
    }

    /// Writes queued control frames if the writer is free; if it is not,
    /// its holder writes them when it lets go.
    fn flush_control(&self) {
        if self
            .control
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
        {
            return;
        }
        if let Ok(mut guard) = self.writer.try_lock() {
            self.write_control(&mut *guard.writer);
        }
    }

    fn write_control(&self, writer: &mut dyn FrameWrite) {
        let queued =
            std::mem::take(&mut *self.control.lock().unwrap_or_else(PoisonError::into_inner));
        for header in queued {
            let frame = uactor_core::frame::encode(header, &[]);
            if writer.write_frame(&frame).is_err() {
                return;
            }
        }
    }

    /// Reads the connection until `request`'s reply arrives, delivering
    /// the others' on the way.
    fn lead<R>(
        &self,
        request: u64,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        on_timeout: OnTimeout,
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let mut reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let Ok(remaining) = remaining(deadline) else {
                drop(reader);
                let mut state = self.state();
                if on_timeout == OnTimeout::Forget {
                    state.waiting.remove(&request);
                }
                self.resign(&mut state);
                return Err(Error::Timeout {
                    after: timeout.unwrap_or_default(),
                });
            };
            if let Err(error) = reader.set_timeout(remaining) {
                drop(reader);
                return Err(self.break_with(error));
            }
            let frame = match reader.read_frame() {
                Ok(frame) => frame,
                Err(Error::Timeout { .. }) => continue,
                Err(error) => {
                    drop(reader);
                    return Err(self.break_with(error));
                }
            };
            let (header, payload) = match Header::parse(frame) {
                Ok(parsed) => parsed,
                Err(error) => {
                    drop(reader);
                    return Err(self.break_with(error));
                }
            };
            match header.kind {
                Kind::Reply | Kind::Failure if header.request == request => {
                    let result = match header.kind {
                        Kind::Reply => decode(payload),
                        _ => Err(self.decode_failure(payload)),
                    };
                    drop(reader);
                    let mut state = self.state();
                    state.waiting.remove(&request);
                    self.resign(&mut state);
                    return result;
                }
                Kind::Reply | Kind::Failure => self.deliver(header, payload),
                Kind::Goodbye => {
                    drop(reader);
                    return Err(self.close(Error::Closed));
                }
                other => {
                    drop(reader);
                    return Err(self.break_with(unexpected(other)));
                }
            }
        }
    }

    /// The reader thread: reads every frame until the connection ends.
    fn read_for_good(&self) {
        {
            let mut state = self.state();
            // A leader may be reading: it hands over when its reply arrives.
            while state.reading && state.broken.is_none() {
                state.sleepers += 1;
                state = self
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                state.sleepers -= 1;
            }
            if state.broken.is_some() {
                return;
            }
            state.reading = true;
        }
        let mut reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = reader.set_timeout(None) {
            self.break_with(error);
            return;
        }
        loop {
            let frame = match reader.read_frame() {
                Ok(frame) => frame,
                Err(error) => {
                    self.break_with(error);
                    return;
                }
            };
            let (header, payload) = match Header::parse(frame) {
                Ok(parsed) => parsed,
                Err(error) => {
                    self.break_with(error);
                    return;
                }
            };
            match header.kind {
                Kind::Reply | Kind::Failure => {
                    self.deliver(header, payload);
                    if self.hand_back() {
                        return;
                    }
                }
                Kind::Goodbye => {
                    self.close(Error::Closed);
                    return;
                }
                other => {
                    self.break_with(unexpected(other));
                    return;
                }
            }
        }
    }

    /// Ends the reader thread once no request is left unanswered, so that
    /// blocking callers read their own replies again (one wake-up per call
    /// instead of two); the next future or handle that waits starts it
    /// again. With many requests in flight it keeps reading: checking them
    /// all after every reply would cost more than it saves.
    fn hand_back(&self) -> bool {
        const CHECKED: usize = 8;
        let mut state = self.state();
        if state.waiting.len() > CHECKED || state.waiting.values().any(|slot| slot.reply.is_none())
        {
            return false;
        }
        state.background = false;
        state.reading = false;
        if state.sleepers > 0 {
            self.wake.notify_all();
        }
        true
    }

    /// Hands a reply that is not the reader's own to its waiter.
    fn deliver(&self, header: Header, payload: &[u8]) {
        let reply = match header.kind {
            Kind::Reply => Ok(payload.to_vec()),
            _ => Err(self.decode_failure(payload)),
        };
        let (waker, sleepers) = {
            let mut state = self.state();
            (state.deliver(header.request, reply), state.sleepers)
        };
        if sleepers > 0 {
            self.wake.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Gives up reading; another waiter, if any, takes over.
    fn resign(&self, state: &mut State) {
        state.reading = false;
        if state.sleepers > 0 {
            self.wake.notify_all();
        }
    }

    fn decode_failure(&self, payload: &[u8]) -> Error {
        self.codec.decode(payload).unwrap_or_else(|error| {
            Error::protocol(format!("an undecodable failure from the actor: {error}"))
        })
    }

    /// Marks the connection unusable after `error` and tells every waiter.
    /// A connection that ends without a goodbye means the actor died.
    fn break_with(&self, error: Error) -> Error {
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

    fn close(&self, error: Error) -> Error {
        let (error, wakers) = {
            let mut state = self.state();
            let error = state.broken.get_or_insert(error).clone();
            state.reading = false;
            let wakers: Vec<Waker> = state
                .waiting
                .values_mut()
                .filter_map(|slot| slot.waker.take())
                .collect();
            (error, wakers)
        };
        self.wake.notify_all();
        for waker in wakers {
            waker.wake();
        }
        error
    }

    fn exit_status(&self) -> Exit {
        self.process
            .as_ref()
            .and_then(|process| process.wait_exit(STATUS_GRACE))
            .unwrap_or(Exit::Unknown)
    }
}

fn unexpected(kind: Kind) -> Error {
    Error::protocol(format!(
        "the actor sent a {kind:?} frame where replies were expected"
    ))
}
