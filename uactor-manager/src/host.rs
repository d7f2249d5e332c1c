//! The actor's side: what an actor process runs once its actor is built.
//!
//! - `Host` (here) accepts connections, authenticates each on a thread of
//!   its own and serves it (`connection`): one call at a time per
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

use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::thread;
use std::time::{Duration, Instant};

use uactor_core::frame::{Header, Kind};
use uactor_core::{CodecId, Error, Listener, Manager};
use uactor_transport::Authkey;

use crate::wire::Outbox;

pub(crate) mod connection;
pub(crate) mod dispatch;
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
pub use table::{Served, expose, hosted_address, hosted_objects};

/// How long a shutting-down actor gives its goodbyes, and its answer to
/// the caller, to reach their readers before the process exits.
const GOODBYE_GRACE: Duration = Duration::from_millis(500);

/// What a host needs to know besides its manager.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// The key clients must prove they know.
    pub authkey: Authkey,
    /// The codec clients must speak.
    pub codec: CodecId,
    /// The largest frame accepted after the handshake.
    pub max_frame_size: u32,
    /// How long a connection may take to authenticate.
    pub handshake_timeout: Duration,
    /// The name of the served type, which clients check (`Actor::NAME`).
    pub served: &'static str,
    /// How long a client may read nothing of its replies before it is
    /// disconnected.
    pub write_timeout: Duration,
    /// The most bytes of replies queued for one client: past it, no more of
    /// its requests are read until it reads.
    pub max_queued_bytes: usize,
    /// Whether a connection's thread polls for the next request before it
    /// sleeps (see `Options::spin`).
    pub spin: bool,
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
    /// the manager's shutdown hooks have run.
    pub fn run(self, mut listener: Box<dyn Listener>) {
        let state = Arc::clone(&self.state);
        let accepting = thread::Builder::new()
            .name("uactor-accept".into())
            .spawn(move || {
                loop {
                    match listener.accept() {
                        Ok(connection) => {
                            let state = Arc::clone(&state);
                            let spawned = thread::Builder::new()
                                .name("uactor-connection".into())
                                .spawn(move || connection::serve(&state, connection));
                            if spawned.is_err() {
                                // Out of threads: the connection is dropped, the
                                // client sees it closed; keep serving the others.
                                thread::sleep(Duration::from_millis(10));
                            }
                        }
                        Err(Error::Closed) => return,
                        // A failed accept (descriptors exhausted, a peer that
                        // vanished) must not end the actor, nor spin.
                        Err(_) => thread::sleep(Duration::from_millis(10)),
                    }
                }
            });
        if accepting.is_err() {
            return;
        }
        let mut finished = self
            .state
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*finished {
            finished = self
                .state
                .finished_signal
                .wait(finished)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl State {
    /// Lists a connection's outbox, to say goodbye to it on shutdown.
    pub(crate) fn opened(&self, outbox: &Arc<Outbox>) {
        self.outboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(outbox));
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
