//! The door of a host: connections wait here, without a thread, until
//! their peer speaks; then `admission` gives each a place to authenticate
//! in, on a thread of its own.
//!
//! One thread runs the door. The accept loop hands it every connection it
//! accepts; the door waits on all the quiet ones at once (`polling`: epoll,
//! kqueue), so a crowd of peers that connect and say nothing costs the
//! actor a descriptor each, not a thread and its stack. At most
//! `max_connections` wait quietly (and as many arrivals the door has yet to
//! look at): past that, the one that has waited longest is closed. A connection that has not been let in within the
//! handshake deadline, counted from its accept, is closed too.
//! Connections of backends without a descriptor to wait on go straight to
//! admission.

use std::collections::{HashMap, VecDeque};
use std::io::IoSlice;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use polling::{Event, Events, Poller};
use uactor_core::Connection;
use uactor_core::frame::{Header, Kind};

use super::State;
use super::admission::{Admission, Admit};
use super::connection;

/// How often the door looks at the clock and at `stopped` when nothing
/// happens.
const TICK: Duration = Duration::from_millis(250);

/// Where the accept loop leaves connections for the door.
pub(crate) struct Door {
    poller: Poller,
    arrivals: Mutex<VecDeque<(Instant, Connection)>>,
    /// How many quiet connections wait (and, apart, how many arrivals the
    /// door has yet to look at): `max_connections`.
    most_quiet: usize,
}

/// A connection at the door, and when it was accepted.
struct Waiting {
    since: Instant,
    connection: Connection,
}

impl Door {
    /// A door that keeps at most `most_quiet` quiet connections.
    pub(crate) fn new(most_quiet: usize) -> std::io::Result<Arc<Door>> {
        Ok(Arc::new(Door {
            poller: Poller::new()?,
            arrivals: Mutex::new(VecDeque::new()),
            most_quiet: most_quiet.max(1),
        }))
    }

    /// Leaves `connection`, just accepted, at the door. Should the door
    /// fall behind a flood, the oldest arrival it has not looked at yet is
    /// closed.
    pub(crate) fn arrive(&self, connection: Connection) {
        let mut arrivals = self.arrivals();
        if arrivals.len() >= self.most_quiet {
            arrivals.pop_front();
        }
        arrivals.push_back((Instant::now(), connection));
        drop(arrivals);
        self.wake();
    }

    fn arrivals(&self) -> std::sync::MutexGuard<'_, VecDeque<(Instant, Connection)>> {
        self.arrivals.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the door look again (a place came free, or it must stop).
    pub(crate) fn wake(&self) {
        let _ = self.poller.notify();
    }

    /// Runs the door until `stopped`; then closes every connection still
    /// at it.
    pub(crate) fn run(&self, state: &Arc<State>, admission: &Arc<Admission>, stopped: &AtomicBool) {
        let timeout = state.settings.serving.handshake_timeout;
        let most_quiet = self.most_quiet;
        let mut quiet: HashMap<usize, Waiting> = HashMap::new();
        // Keys of `quiet` in the order they came (some since gone ahead).
        let mut order: VecDeque<usize> = VecDeque::new();
        let mut spoken: VecDeque<Waiting> = VecDeque::new();
        let mut next_key = 0;
        let mut events = Events::new();
        while !stopped.load(Ordering::Acquire) {
            // One at a time, so an arrival the door holds still counts
            // against the bound the accept loop keeps (taking them all at
            // once made room for as many again behind them), and no more
            // than were there, so a flood cannot keep the door from the rest.
            let pending = self.arrivals().len();
            for _ in 0..pending {
                let Some((since, connection)) = self.arrivals().pop_front() else {
                    break;
                };
                let waiting = Waiting { since, connection };
                let key = next_key;
                next_key += 1;
                if self.watch(key, &waiting) {
                    // Room for it first: the longest waiting goes.
                    while quiet.len() >= most_quiet {
                        let Some(oldest) = order.pop_front() else {
                            break;
                        };
                        if let Some(gone) = quiet.remove(&oldest) {
                            self.unwatch(&gone);
                        }
                    }
                    quiet.insert(key, waiting);
                    order.push_back(key);
                } else {
                    spoken.push_back(waiting);
                }
            }
            // The quiet ones past their deadline go.
            let now = Instant::now();
            while let Some(&key) = order.front() {
                let Some(waiting) = quiet.get(&key) else {
                    order.pop_front();
                    continue;
                };
                if now.duration_since(waiting.since) < timeout {
                    break;
                }
                order.pop_front();
                if let Some(waiting) = quiet.remove(&key) {
                    self.unwatch(&waiting);
                }
            }
            while spoken
                .front()
                .is_some_and(|waiting| now.duration_since(waiting.since) >= timeout)
            {
                spoken.pop_front();
            }
            // Those who spoke are let in, refused, or wait for a place.
            while let Some(waiting) = spoken.pop_front() {
                match admission.admit(waiting.connection.writer.closer(), spoken.len() + 1) {
                    Admit::In(admitted) => {
                        let state = Arc::clone(state);
                        let Waiting { since, connection } = waiting;
                        let started = thread::Builder::new()
                            .name("uactor-connection".into())
                            .spawn(move || connection::serve(&state, connection, admitted, since));
                        if started.is_err() {
                            // Out of threads: this one is dropped (its
                            // place with it); its client sees it closed.
                            break;
                        }
                    }
                    Admit::Full => refuse(waiting.connection),
                    Admit::Busy => {
                        spoken.push_front(waiting);
                        break;
                    }
                }
            }
            // Sleep until someone speaks, arrives, a place comes free, or
            // the next deadline.
            let next_deadline = order
                .iter()
                .find_map(|key| quiet.get(key))
                .into_iter()
                .chain(spoken.front())
                .map(|waiting| (waiting.since + timeout).saturating_duration_since(now))
                .min()
                .unwrap_or(TICK)
                .min(TICK);
            events.clear();
            if self.poller.wait(&mut events, Some(next_deadline)).is_err() {
                thread::sleep(Duration::from_millis(10));
            }
            for event in events.iter() {
                if let Some(waiting) = quiet.remove(&event.key) {
                    self.unwatch(&waiting);
                    spoken.push_back(waiting);
                }
            }
        }
        for (_, waiting) in quiet.drain() {
            self.unwatch(&waiting);
        }
    }

    /// Waits (once) for `waiting`'s peer to speak, under `key`; `false`
    /// when its backend has no descriptor to wait on, or the poller would
    /// not take it.
    fn watch(&self, key: usize, waiting: &Waiting) -> bool {
        let Some(fd) = waiting.connection.reader.readable_fd() else {
            return false;
        };
        // SAFETY: the descriptor belongs to the connection, which stays in
        // the door's `quiet` table until `unwatch` has removed it from the
        // poller; only then is the connection handed on or dropped.
        #[allow(unsafe_code)]
        let added = unsafe { self.poller.add(&fd, Event::readable(key)) };
        added.is_ok()
    }

    /// Stops waiting on `waiting`'s descriptor, before the connection is
    /// handed on or dropped.
    fn unwatch(&self, waiting: &Waiting) {
        if let Some(fd) = waiting.connection.reader.readable_fd() {
            let _ = self.poller.delete(fd);
        }
    }
}

/// The handshake's one fixed refusal, written without waiting (a new
/// socket's buffer has room for it), then the connection closes.
fn refuse(mut connection: Connection) {
    let refusal = uactor_core::frame::encode(Header::new(Kind::Refused, 0), &[]);
    let _ = connection.writer.try_write(&[IoSlice::new(&refusal)]);
    connection.writer.close();
}
