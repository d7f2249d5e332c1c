//! One authenticated connection from a caller to an actor, shared by every
//! thread that calls through it.
//!
//! Calls are pipelined: each gets a request id, is written whole under the
//! writer lock, and waits for the reply with that id. Whoever waits first
//! reads the connection itself (the leader); it hands replies that belong to
//! others to their slots and wakes them, and gives the role up when its own
//! reply arrives. A caller alone on a connection therefore reads its own
//! reply on its own thread, with no hop through another thread, and decodes
//! it straight from the receive buffer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use uactor_core::frame::{FrameBuffer, Header, Kind};
use uactor_core::{CodecId, Connection, Error, Exit, FrameRead, FrameWrite, Result};

use crate::spawn::Process;

/// How long a caller that saw the connection drop waits for the owner's
/// reaper to report the exit status.
const STATUS_GRACE: Duration = Duration::from_millis(100);

pub(crate) struct Link {
    codec: CodecId,
    max_frame_size: u32,
    next_request: AtomicU64,
    writer: Mutex<Writer>,
    reader: Mutex<Box<dyn FrameRead>>,
    state: Mutex<State>,
    wake: Condvar,
    /// The actor's process, when this process owns it: where the exit status
    /// comes from.
    process: Option<Arc<Process>>,
}

struct Writer {
    writer: Box<dyn FrameWrite>,
    buffer: FrameBuffer,
}

#[derive(Default)]
struct State {
    /// Calls waiting for their reply; `Some` once it arrived.
    waiting: HashMap<u64, Option<Result<Vec<u8>>>>,
    /// Whether a caller is reading the connection.
    reading: bool,
    /// Why the connection can no longer be used.
    broken: Option<Error>,
}

impl Link {
    pub(crate) fn new(
        connection: Connection,
        codec: CodecId,
        max_frame_size: u32,
        process: Option<Arc<Process>>,
    ) -> Self {
        let Connection { reader, writer } = connection;
        Link {
            codec,
            max_frame_size,
            next_request: AtomicU64::new(1),
            writer: Mutex::new(Writer { writer, buffer: FrameBuffer::new() }),
            reader: Mutex::new(reader),
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            process,
        }
    }

    pub(crate) fn codec(&self) -> CodecId {
        self.codec
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends a frame of `kind` to `object`, its payload written by `encode`,
    /// and returns the reply decoded by `decode`, or an error.
    pub(crate) fn call<R>(
        &self,
        kind: Kind,
        object: u64,
        method: u16,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
        timeout: Option<Duration>,
    ) -> Result<R> {
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        let request = self.next_request.fetch_add(1, Ordering::Relaxed);
        {
            let mut state = self.state();
            if let Some(error) = &state.broken {
                return Err(error.clone());
            }
            state.waiting.insert(request, None);
        }
        let header = Header { kind, flags: 0, method, request, object };
        if let Err(error) = self.send(header, encode) {
            let mut state = self.state();
            state.waiting.remove(&request);
            if error.is_fatal() {
                drop(state);
                return Err(self.break_with(error));
            }
            return Err(error);
        }
        self.wait(request, deadline, timeout, decode)
    }

    fn send(&self, header: Header, encode: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let Writer { writer, buffer } = &mut *writer;
        buffer.start();
        encode(buffer.payload())?;
        let size = buffer.len() - uactor_core::frame::LENGTH_LEN;
        if size > self.max_frame_size as usize {
            buffer.shrink();
            return Err(Error::FrameTooLarge { size: size as u64, max: u64::from(self.max_frame_size) });
        }
        let sent = writer.write_frame(buffer.finish(header));
        buffer.shrink();
        sent
    }

    fn wait<R>(
        &self,
        request: u64,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let mut state = self.state();
        loop {
            if let Some(Some(_)) = state.waiting.get(&request) {
                let reply = state.waiting.remove(&request).flatten();
                drop(state);
                return match reply {
                    Some(Ok(bytes)) => decode(&bytes),
                    Some(Err(error)) => Err(error),
                    None => Err(Error::protocol("a reply vanished")),
                };
            }
            if let Some(error) = &state.broken {
                let error = error.clone();
                state.waiting.remove(&request);
                return Err(error);
            }
            let remaining = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(remaining) if !remaining.is_zero() => Some(remaining),
                    _ => {
                        state.waiting.remove(&request);
                        return Err(Error::Timeout { after: timeout.unwrap_or_default() });
                    }
                },
                None => None,
            };
            if !state.reading {
                state.reading = true;
                drop(state);
                return self.lead(request, deadline, timeout, decode);
            }
            state = match remaining {
                Some(remaining) => {
                    self.wake.wait_timeout(state, remaining).unwrap_or_else(PoisonError::into_inner).0
                }
                None => self.wake.wait(state).unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// Reads the connection until `request`'s reply arrives, delivering
    /// the others' on the way.
    fn lead<R>(
        &self,
        request: u64,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let mut reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let remaining = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(remaining) if !remaining.is_zero() => Some(remaining),
                    _ => {
                        drop(reader);
                        let mut state = self.state();
                        state.waiting.remove(&request);
                        self.resign(&mut state);
                        return Err(Error::Timeout { after: timeout.unwrap_or_default() });
                    }
                },
                None => None,
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
                Kind::Reply | Kind::Failure => {
                    let reply = match header.kind {
                        Kind::Reply => Ok(payload.to_vec()),
                        _ => Err(self.decode_failure(payload)),
                    };
                    let mut state = self.state();
                    // A reply nobody waits for belongs to a call that timed
                    // out: it is dropped, never handed to a later call.
                    if let Some(slot) = state.waiting.get_mut(&header.request) {
                        *slot = Some(reply);
                        self.wake.notify_all();
                    }
                }
                Kind::Goodbye => {
                    drop(reader);
                    return Err(self.close(Error::Closed));
                }
                other => {
                    drop(reader);
                    return Err(self.break_with(Error::protocol(format!(
                        "the actor sent a {other:?} frame where replies were expected"
                    ))));
                }
            }
        }
    }

    /// Gives up reading; another waiter, if any, takes over.
    fn resign(&self, state: &mut State) {
        state.reading = false;
        if !state.waiting.is_empty() {
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
                Error::ActorDied { status: self.exit_status() }
            }
            other => other,
        };
        self.close(error)
    }

    /// Closes the connection for later calls with `error`, unless it is
    /// already broken, and returns the error that stands.
    pub(crate) fn close(&self, error: Error) -> Error {
        let mut state = self.state();
        let error = state.broken.get_or_insert(error).clone();
        state.reading = false;
        self.wake.notify_all();
        error
    }

    pub(crate) fn broken(&self) -> Option<Error> {
        self.state().broken.clone()
    }

    fn exit_status(&self) -> Exit {
        self.process.as_ref().and_then(|process| process.wait_exit(STATUS_GRACE)).unwrap_or(Exit::Unknown)
    }
}
