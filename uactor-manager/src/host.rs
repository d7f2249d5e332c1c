//! The actor's side: what an actor process runs once its actor is built.
//!
//! - `Host` (here) accepts connections; `door` holds each until its peer
//!   speaks, without a thread; `admission` bounds how many authenticate
//!   at once and how many are served; each is authenticated on a thread
//!   of its own and served there (`connection`): one call at a time per
//!   connection, on the thread that read it, the reply written by that
//!   thread, with no hop to another thread on the call path;
//! - `manager`: the `Manager` that routes a request to the actor or to
//!   an object it handed out (`table`), and the actor type's entry in the
//!   registry;
//! - `dispatch`: calls through an interface;
//! - `runtime`: where `async fn` methods and other deferred replies run;
//! - `serve`: the one start-up of a host, for spawned actors and for
//!   `uactor::serve` alike;
//! - `panic`: how a panicking method becomes its caller's error.
//!
//! It knows nothing of how the process was started (see `process`) and
//! nothing of callers beyond the frames they send.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use uactor_core::frame::{Header, Kind};
use uactor_core::{CodecId, Connection, Error, Listener, Manager};
use uactor_transport::Authkey;

use crate::wire::Outbox;
use admission::Admission;
use door::Door;

mod admission;
pub(crate) mod connection;
pub(crate) mod dispatch;
mod door;
pub(crate) mod manager;
pub(crate) mod panic;
pub(crate) mod runtime;
pub(crate) mod serve;
pub(crate) mod table;
pub(crate) mod waiting;

pub use dispatch::{Dispatch, InterfaceActor, dispatch_interface, interfaces_of};
pub use manager::ActorManager;
pub use runtime::{sleep, spawn_blocking, spawn_task};
pub use serve::{Server, serve};
pub use table::{Served, expose, hosted_address, hosted_objects, hosted_token};

/// How long a shutting-down actor gives its goodbyes, and its answer to
/// the caller, to reach their readers before the process exits.
const GOODBYE_GRACE: Duration = Duration::from_millis(500);

/// What a host needs to know besides its manager.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// The key clients must prove they know.
    pub authkey: Authkey,
    /// The name of the served type, which clients check (`Actor::NAME`).
    pub served: &'static str,
    /// How connections are served.
    pub serving: Serving,
}

/// How a host serves its connections: what [`Options`](crate::Options) says
/// of the serving side, carried to a spawned actor in its bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serving {
    /// The codec clients must speak.
    pub codec: CodecId,
    /// The largest frame accepted after the handshake.
    pub max_frame_size: u32,
    /// How long a connection may take to authenticate.
    pub handshake_timeout: Duration,
    /// How long a client may read nothing of its replies before it is
    /// disconnected.
    pub write_timeout: Duration,
    /// The most bytes of replies queued for one client: past it, no more of
    /// its requests are read until it reads.
    pub max_queued_bytes: usize,
    /// The most connections authenticating at once (see
    /// `Options::max_handshakes`).
    pub max_handshakes: usize,
    /// The most connections open at once (see `Options::max_connections`).
    pub max_connections: usize,
    /// Whether a connection's thread polls for the next request before it
    /// sleeps (see `Options::spin`).
    pub spin: bool,
}

impl Serving {
    /// How an actor spawned or served with `options` serves its
    /// connections.
    pub(crate) fn of(options: &crate::Options) -> Self {
        Serving {
            codec: options.codec,
            max_frame_size: options.max_frame_size,
            handshake_timeout: options.handshake_timeout,
            write_timeout: options.write_timeout,
            max_queued_bytes: options.max_queued_bytes,
            max_handshakes: options.max_handshakes,
            max_connections: options.max_connections,
            spin: options.spin,
        }
    }
}

/// Serves a [`Manager`] to every connection a [`Listener`] accepts.
pub struct Host {
    state: Arc<State>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("served", &self.state.settings.served)
            .finish_non_exhaustive()
    }
}

/// What the accept loop and every connection thread share.
pub(crate) struct State {
    pub(crate) manager: Box<dyn Manager>,
    pub(crate) settings: HostSettings,
    pub(crate) pid: u32,
    /// Calls served, failed and in flight, for `Kind::Stats`.
    pub(crate) stats: Arc<crate::stats::Counters>,
    /// Outboxes of open connections, to say goodbye on shutdown.
    outboxes: Mutex<Vec<Weak<Outbox>>>,
    finished: Mutex<bool>,
    finished_signal: Condvar,
}

impl Host {
    /// A host serving `manager`.
    pub fn new(manager: Box<dyn Manager>, settings: HostSettings) -> Self {
        Host {
            state: Arc::new(State {
                manager,
                settings,
                pid: std::process::id(),
                stats: Arc::new(crate::stats::Counters::new()),
                outboxes: Mutex::new(Vec::new()),
                finished: Mutex::new(false),
                finished_signal: Condvar::new(),
            }),
        }
    }

    /// Accepts and serves connections until a client asks for shutdown and
    /// the manager's shutdown hooks have run; then stops listening and
    /// closes every connection left, so nothing is served once it returns.
    pub fn run(self, listener: Box<dyn Listener>) {
        self.serve(listener, None);
    }

    /// [`run`](Self::run), serving also `owner`, the channel of the process
    /// that spawned this actor, on a thread of its own. That thread tells
    /// the owner the actor is ready as soon as the host holds every
    /// descriptor it will hold, while this one starts the accept loop and
    /// the door. (Serving the owner on this thread instead, the main thread
    /// of a spawned actor, made the bench's 1 MiB echoes two to three times
    /// slower; the cause, likely the allocator's main arena, was not pinned
    /// down.)
    pub(crate) fn serve(self, listener: Box<dyn Listener>, owner: Option<OwnerChannel>) {
        let Ok(door) = Door::new(self.state.settings.serving.max_connections) else {
            return;
        };
        let stop_listening = listener.closer();
        if let Some(owner) = owner {
            let state = Arc::clone(&self.state);
            let serving = thread::Builder::new()
                .name("uactor-owner".into())
                .spawn(move || {
                    let OwnerChannel {
                        mut connection,
                        announce,
                        gone,
                    } = owner;
                    announce(&mut connection);
                    let codec = state.settings.serving.codec;
                    if connection::serve_authenticated(&state, connection, codec)
                        != connection::Ended::Shutdown
                    {
                        // The owner is gone, or the host closed its channel
                        // after another client's shutdown: this process
                        // ends either way.
                        gone();
                    }
                });
            if serving.is_err() {
                return;
            }
        }
        let stopped = Arc::new(AtomicBool::new(false));
        let Ok(accepting) = accept(listener, &door, &stopped) else {
            return;
        };
        let admission = {
            let door = Arc::clone(&door);
            Admission::new(
                self.state.settings.serving.max_handshakes,
                self.state.settings.serving.max_connections,
                move || door.wake(),
            )
        };
        let opening = {
            let (door, state, stopped) = (
                Arc::clone(&door),
                Arc::clone(&self.state),
                Arc::clone(&stopped),
            );
            thread::Builder::new()
                .name("uactor-door".into())
                .stack_size(SMALL_STACK)
                .spawn(move || door.run(&state, &admission, &stopped))
        };
        let mut finished = self
            .state
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*finished && opening.is_ok() {
            finished = self
                .state
                .finished_signal
                .wait(finished)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(finished);
        stopped.store(true, Ordering::Release);
        door.wake();
        if let Ok(opening) = opening {
            let _ = opening.join();
        }
        if let Some(stop_listening) = stop_listening {
            stop_listening();
            // The accept loop sees the stop at once; a backend without a
            // closer keeps its socket until the process exits.
            let _ = accepting.join();
        }
        // The owner's channel too, which wakes the thread reading it.
        self.state.close_all();
    }
}

/// Starts the accept loop: it hands each connection to the door until
/// `stopped`, after tidying what ended processes left at the listener's
/// place (off the path that readies the actor).
fn accept(
    mut listener: Box<dyn Listener>,
    door: &Arc<Door>,
    stopped: &Arc<AtomicBool>,
) -> std::io::Result<thread::JoinHandle<()>> {
    let (door, stopped) = (Arc::clone(door), Arc::clone(stopped));
    thread::Builder::new()
        .name("uactor-accept".into())
        .stack_size(SMALL_STACK)
        .spawn(move || {
            listener.tidy();
            while !stopped.load(Ordering::Acquire) {
                match listener.accept() {
                    Ok(connection) => door.arrive(connection),
                    Err(Error::Closed) => return,
                    // The listener closed under it (a backend may report
                    // that as any error): stopping.
                    Err(_) if stopped.load(Ordering::Acquire) => return,
                    // A failed accept (descriptors exhausted, a peer that
                    // vanished) must not end the actor, nor spin.
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        })
}

/// The channel of the process that spawned this actor, served without a
/// handshake (only the two processes hold it).
pub(crate) struct OwnerChannel {
    pub(crate) connection: Connection,
    /// Tells the owner the actor is ready: the first thing the thread
    /// serving the channel does.
    pub(crate) announce: Box<dyn FnOnce(&mut Connection) + Send>,
    /// Runs when the channel ends other than by a shutdown: the owner is
    /// gone, and an actor does not outlive it.
    pub(crate) gone: Box<dyn FnOnce() + Send>,
}

/// The stacks of the accept loop and the door: they only hand over.
const SMALL_STACK: usize = 128 * 1024;

impl State {
    /// Lists a connection's outbox, to say goodbye to it on shutdown.
    pub(crate) fn opened(&self, outbox: &Arc<Outbox>) {
        self.outboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(outbox));
    }

    /// Closes every connection still open: a host that stopped serves
    /// nobody.
    fn close_all(&self) {
        let outboxes =
            std::mem::take(&mut *self.outboxes.lock().unwrap_or_else(PoisonError::into_inner));
        for outbox in outboxes.iter().filter_map(Weak::upgrade) {
            outbox.close(Error::Closed);
        }
    }

    /// Unlists a connection's outbox.
    pub(crate) fn closed(&self, outbox: &Arc<Outbox>) {
        self.outboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|weak| {
                weak.strong_count() > 0 && !std::ptr::eq(weak.as_ptr(), Arc::as_ptr(outbox))
            });
    }

    /// Runs the shutdown hooks, answers the caller, tells every other
    /// connection goodbye, gives them a moment to reach their readers, and
    /// lets `run` return.
    pub(crate) fn shutdown(&self, request: u64, caller: &Arc<Outbox>) {
        let _ = panic::catch(|| {
            self.manager.shutdown();
            Ok(())
        });
        let outboxes: Vec<Arc<Outbox>> =
            std::mem::take(&mut *self.outboxes.lock().unwrap_or_else(PoisonError::into_inner))
                .iter()
                .filter_map(Weak::upgrade)
                .collect();
        for outbox in outboxes
            .iter()
            .filter(|outbox| !Arc::ptr_eq(outbox, caller))
        {
            let goodbye = uactor_core::frame::encode(Header::new(Kind::Goodbye, 0), &[]);
            let _ = outbox.send(0, goodbye);
        }
        let mut done = Vec::new();
        let _ = CodecId::Postcard.encode(&(), &mut done);
        let reply = uactor_core::frame::encode(Header::new(Kind::Reply, request), &done);
        let _ = caller.send(request, reply);
        // The process exits next: what is queued must be on its way first.
        let deadline = Instant::now() + GOODBYE_GRACE;
        caller.drain(deadline);
        for outbox in &outboxes {
            outbox.drain(deadline);
        }
        *self.finished.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.finished_signal.notify_all();
    }

    /// The answer to a `Stats` frame: the host's own counters, served
    /// beside the actor, never by one of its methods.
    pub(crate) fn stats(&self, codec: CodecId, request: u64) -> Vec<u8> {
        let connections = self
            .outboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|outbox| outbox.strong_count() > 0)
            .count();
        let mut payload = Vec::new();
        let objects = table::hosted_objects();
        match codec.encode(&self.stats.snapshot(connections, objects), &mut payload) {
            Ok(()) => uactor_core::frame::encode(Header::new(Kind::Reply, request), &payload),
            Err(error) => connection::failure(codec, request, &error, Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests;
