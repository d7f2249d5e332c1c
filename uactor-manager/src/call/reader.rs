//! Who reads a connection: a blocking caller that leads until its own reply
//! arrives, or the reader thread while some reply has no thread waiting for
//! it. Both read with the same routine ([`next_reply`]), and neither can be
//! left stuck holding the role: a panic while leading (in a user's
//! `Deserialize`, say) gives the role up on the way out, and a waker that
//! panics is caught.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, PoisonError};
use std::task::Waker;
use std::thread;
use std::time::{Duration, Instant};

use uactor_core::frame::{Header, Kind};
use uactor_core::{Error, FrameRead, Result};

use super::link::{Deadline, Delivered, Inner, State};

/// How long the reader thread waits for more replies to read once none is
/// left, before it ends: a stream of calls keeps one thread instead of
/// starting one per wave.
const LINGER: Duration = Duration::from_millis(50);

/// Wakes `waker`; a waker that panics (a user's executor) is no reason to
/// stop reading for everyone else.
pub(super) fn wake(waker: Waker) {
    let _ = panic::catch_unwind(AssertUnwindSafe(|| waker.wake()));
}

/// Gives the reading role up when dropped: on return, and on a panic.
struct Reading<'a> {
    inner: &'a Inner,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        let mut state = self.inner.state();
        resign(self.inner, &mut state);
    }
}

/// Gives up reading; another waiter, if any, takes over.
fn resign(inner: &Inner, state: &mut State) {
    state.reading = false;
    if state.sleepers > 0 {
        inner.wake.notify_all();
    }
    // One parked caller still waiting for its reply takes over; the others
    // sleep on until theirs comes.
    if let Some(leader) = state.next_leader() {
        leader.unpark();
    }
}

/// Reads the next reply, at most until `until`: `None` if it passed. Any
/// other frame than a reply, or a connection that breaks, breaks the link
/// for every caller. Polls for it a little first, as long as replies have
/// lately taken to come (see `wire::Spin`).
fn next_reply<'r>(
    inner: &Inner,
    reader: &'r mut Box<dyn FrameRead>,
    until: Option<Instant>,
    poll: bool,
) -> Result<Option<Received<'r>>> {
    if poll && !reader.buffered() {
        let since = Instant::now();
        let polled = inner.spin.poll(since, || match reader.poll_frame() {
            Some(Ok(false)) => None,
            // Ready, ended, broken, or a transport that cannot poll:
            // `read_frame` takes it from here.
            _ => Some(()),
        });
        if polled.is_none() {
            let frame = read(inner, reader, until);
            inner.spin.learn(since.elapsed());
            return frame;
        }
    }
    read(inner, reader, until)
}

/// A reply read: its header, its payload, and its attachments.
type Received<'r> = (Header, &'r [u8], Vec<Vec<u8>>);

/// Reads the next reply with a blocking read, at most until `until`.
fn read<'r>(
    inner: &Inner,
    reader: &'r mut Box<dyn FrameRead>,
    until: Option<Instant>,
) -> Result<Option<Received<'r>>> {
    let timeout = match until {
        None => None,
        Some(until) => match until.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Some(left),
            _ => return Ok(None),
        },
    };
    if let Err(error) = reader.set_timeout(timeout) {
        return Err(inner.break_with(error));
    }
    let (frame, separated) = match reader.read_frame_attached() {
        Ok(read) => read,
        Err(Error::Timeout { .. }) => return Ok(None),
        Err(error) => return Err(inner.break_with(error)),
    };
    let (header, payload, attached) = match Header::parse(frame).and_then(|(header, payload)| {
        crate::wire::unpack(&header, payload, separated)
            .map(|(payload, attached)| (header, payload, attached))
    }) {
        Ok(parsed) => parsed,
        Err(error) => return Err(inner.break_with(error)),
    };
    match header.kind {
        Kind::Reply | Kind::Failure => Ok(Some((header, payload, attached))),
        Kind::Goodbye => Err(inner.close(Error::Closed)),
        other => Err(inner.break_with(Error::protocol(format!(
            "the actor sent a {other:?} frame where replies were expected"
        )))),
    }
}

/// Hands a reply that is not the reader's own to its waiter.
fn deliver(inner: &Inner, header: Header, payload: &[u8], attached: Vec<Vec<u8>>) {
    if let Delivered::Stored(Some(waker)) = inner.deliver(header, payload, attached) {
        wake(waker);
    }
}

/// Reads the connection until `request`'s reply arrives, delivering the
/// others' on the way, and decodes it straight from the receive buffer.
/// The caller has taken the reading role.
pub(super) fn lead<R>(
    inner: &Inner,
    request: u64,
    deadline: Option<Deadline>,
    decode: impl FnOnce(&[u8]) -> Result<R>,
) -> Result<R> {
    let reading = Reading { inner };
    let mut reader = inner.reader.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let until = deadline.map(|deadline| deadline.at());
        let (header, payload, attached) = match next_reply(inner, &mut reader, until, true) {
            Ok(Some(reply)) => reply,
            Ok(None) => {
                // Out of time; the call stays in flight (its caller decides
                // whether to give up on it).
                return Err(deadline.map_or(Error::Closed, |deadline| deadline.error()));
            }
            Err(error) => {
                inner.state().remove(request);
                return Err(error);
            }
        };
        if header.request != request {
            deliver(inner, header, payload, attached);
            continue;
        }
        let result = match header.kind {
            Kind::Reply => uactor_core::bytes::decoding(attached, || decode(payload)),
            _ => Err(inner.decode_failure(payload)),
        };
        drop(reader);
        let mut state = inner.state();
        // The slot is ours: free it (and whoever waits for one).
        state.remove(request);
        resign(inner, &mut state);
        std::mem::forget(reading);
        inner.freed(state);
        return result;
    }
}

impl Inner {
    /// Starts the reader thread, once.
    pub(super) fn read_in_background(self: &Arc<Self>, state: &mut State) {
        if state.background || state.broken.is_some() {
            return;
        }
        state.background = true;
        let inner = Arc::clone(self);
        let started = thread::Builder::new()
            .name("uactor-reader".into())
            .stack_size(256 * 1024)
            .spawn(move || inner.read_for_good());
        if let Err(error) = started {
            state.background = false;
            state.broken = Some(Error::io("starting a reader thread", error));
        }
    }

    /// The reader thread: reads while some reply has no thread waiting for
    /// it and keeps the futures' deadlines, then hands reading back, so
    /// blocking callers read their own replies again (one wake-up per call
    /// instead of two).
    fn read_for_good(self: Arc<Self>) {
        let mut idle_since: Option<Instant> = None;
        loop {
            // Take the reading role, keeping deadlines while a leader has it.
            let mut state = self.state();
            loop {
                let expired = state.expired(Instant::now());
                if !expired.is_empty() {
                    drop(state);
                    expired.into_iter().for_each(wake);
                    state = self.state();
                    continue;
                }
                if state.broken.is_some() {
                    state.background = false;
                    return;
                }
                if !state.needs_reader() {
                    // Nothing to read: wait a little for more before ending.
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    let Some(left) = LINGER.checked_sub(since.elapsed()) else {
                        state.background = false;
                        return;
                    };
                    state.lingering = true;
                    state.sleepers += 1;
                    state = self
                        .wake
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    state.sleepers -= 1;
                    state.lingering = false;
                    continue;
                }
                idle_since = None;
                if !state.reading {
                    state.reading = true;
                    break;
                }
                state.sleepers += 1;
                state = match state.next_timer() {
                    Some(at) => {
                        let left = at.saturating_duration_since(Instant::now());
                        self.wake
                            .wait_timeout(state, left)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0
                    }
                    None => self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner),
                };
                state.sleepers -= 1;
            }
            let mut until = state.next_timer();
            drop(state);
            let reading = Reading { inner: &self };
            let mut reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                // The reader thread serves streams of calls, whose replies
                // come in bursts: a wake-up per burst costs less than the
                // CPU it would take from the threads making the calls.
                match next_reply(&self, &mut reader, until, false) {
                    Ok(Some((header, payload, attached))) => {
                        deliver(&self, header, payload, attached)
                    }
                    Ok(None) => {}
                    Err(_) => {
                        drop(reader);
                        drop(reading);
                        self.state().background = false;
                        return;
                    }
                }
                // Keeps reading while there is work and no deadline is due;
                // gives the role up (and back, at the top) when a blocking
                // caller waits to read its own reply, or work runs out.
                let state = self.state();
                let due = state.next_timer().is_some_and(|at| at <= Instant::now());
                if due || state.sleepers > 0 || !state.parked.is_empty() || !state.needs_reader() {
                    break;
                }
                until = state.next_timer();
            }
            drop(reader);
            drop(reading);
        }
    }
}
