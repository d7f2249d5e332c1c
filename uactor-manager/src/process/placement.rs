//! Actors that live somewhere else than in a child of this process: a
//! [`Placement`] (a cluster) starts them, on another host, and this module
//! makes the owner's proxy to them keep the owner's guarantees: dropping
//! it ends the actor, a death fails calls with how it ended, supervision
//! re-creates the actor (where the placement chooses).
//!
//! The seam is two small traits the placement implements: [`Placement`]
//! (start an actor, say where it serves) and [`Tenure`] (the placement's
//! hold on one started actor: how it ended, and giving it up). The other
//! side, serving an actor a placement asked for, is [`host_placed`]: a
//! child of this process, like any spawned actor, started by its type's
//! name, with a hook for its end.
//!
//! It knows nothing of how a placement finds hosts or talks to them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use uactor_core::{Error, Exit, Result};

use super::owned::{ActorInfo, ActorState, Described};
use super::owner::{Phase, await_running};
use crate::call::{Client, Exited, Incarnation, Link, Owner, connections, shutdown_link};
use crate::options::{PlaceRequest, Placement, Tenure};
use crate::{Options, Restart};

/// Serves an actor of the type registered as `actor` in a child process of
/// this one, as a placement's host does for a request from elsewhere:
/// `args` are its constructor's, encoded with `options`' codec, and
/// `on_exit` runs once with how the process ended. The returned client
/// owns the actor: dropping it ends the actor. Supervision in `options` is
/// ignored (the placement's owner supervises).
pub fn host_placed(
    actor: &str,
    args: Vec<u8>,
    options: &Options,
    on_exit: Box<dyn FnOnce(Exit) + Send>,
) -> Result<Client> {
    let registration = crate::registry::find(actor).ok_or_else(|| {
        Error::spawn(format!(
            "no actor type named {actor} is linked into this binary"
        ))
    })?;
    let authkey = options.authkey_or(crate::context::authkey)?;
    let recipe = super::spawn::Recipe {
        actor: registration.name,
        args,
        options: options.clone().restart(Restart::Never),
        authkey,
    };
    super::owner::Owned::spawn_watched(recipe, Some(on_exit))
}

/// Starts `actor` through `placement` and returns its owner's client.
pub(crate) fn spawn(
    placement: &Arc<dyn Placement>,
    actor: &'static str,
    args: Vec<u8>,
    options: &Options,
) -> Result<Client> {
    let request = PlaceRequest {
        actor,
        args,
        options: options.clone(),
        generation: 0,
    };
    let (incarnation, tenure) = launch(placement.as_ref(), &request)?;
    let supervisor = match options.restart {
        Restart::OnCrash { max_restarts } => Some(Supervisor {
            max_restarts,
            period: options.restart_period,
            restarts: Mutex::new(VecDeque::new()),
        }),
        Restart::Never => None,
    };
    let owner = Arc::new(PlacedActor {
        actor,
        placement: Arc::clone(placement),
        request: Mutex::new(request),
        current: RwLock::new(incarnation),
        tenure: Mutex::new(Arc::clone(&tenure)),
        shutdown_timeout: options.shutdown_timeout,
        spawn_timeout: options.spawn_timeout,
        shutting_down: AtomicBool::new(false),
        generation: AtomicU64::new(0),
        crash: Mutex::new(()),
        phase: Mutex::new(Phase::Running),
        changed: Condvar::new(),
        supervisor,
    });
    PlacedActor::watch(&owner, tenure.as_ref(), 0);
    let listed: Weak<dyn Described> = Arc::downgrade(&owner) as _;
    super::owned::register(listed);
    Ok(Client::owned(actor, options.call_timeout, owner))
}

/// Places the actor and opens the owner's connection to it.
fn launch(
    placement: &dyn Placement,
    request: &PlaceRequest,
) -> Result<(Incarnation, Arc<dyn Tenure>)> {
    let placed = placement.place(request)?;
    let options = &request.options;
    let settings = match &placed.settings {
        Some(settings) => settings
            .clone()
            .with_connect_timeout(options.handshake_timeout),
        None => options.settings(),
    };
    let exited: Arc<dyn Exited> = Arc::new(Ending(Arc::clone(&placed.tenure)));
    let opened = crate::endpoint::open(&placed.address, &settings).and_then(|connection| {
        connections::open(
            Some(request.actor),
            placed.address.clone(),
            connection,
            &placed.authkey,
            options,
            Some(exited),
        )
    });
    match opened {
        Ok(incarnation) => Ok((incarnation, placed.tenure)),
        Err(error) => {
            placed.tenure.release();
            Err(error)
        }
    }
}

/// How a placed actor's connection learns how the actor ended.
struct Ending(Arc<dyn Tenure>);

impl Exited for Ending {
    fn wait_exit(&self, timeout: Duration) -> Option<Exit> {
        self.0.wait_exit(timeout)
    }
}

/// The owner's side of a placed actor.
struct PlacedActor {
    actor: &'static str,
    placement: Arc<dyn Placement>,
    request: Mutex<PlaceRequest>,
    current: RwLock<Incarnation>,
    tenure: Mutex<Arc<dyn Tenure>>,
    shutdown_timeout: Duration,
    spawn_timeout: Duration,
    shutting_down: AtomicBool,
    generation: AtomicU64,
    /// Held while an end is handled, and by a shutdown, so a re-creation
    /// and a shutdown never cross.
    crash: Mutex<()>,
    phase: Mutex<Phase>,
    changed: Condvar,
    supervisor: Option<Supervisor>,
}

/// The restart intensity of a supervised placed actor.
struct Supervisor {
    max_restarts: u32,
    period: Duration,
    restarts: Mutex<VecDeque<Instant>>,
}

impl PlacedActor {
    fn watch(this: &Arc<Self>, tenure: &dyn Tenure, generation: u64) {
        let owner = Arc::downgrade(this);
        tenure.watch(Box::new(move |exit| {
            if let Some(owner) = owner.upgrade() {
                owner.ended(exit, generation);
            }
        }));
    }

    fn current_link(&self) -> Link {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .link
            .clone()
    }

    fn tenure(&self) -> Arc<dyn Tenure> {
        Arc::clone(&self.tenure.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn settle(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        self.changed.notify_all();
    }

    /// The placement says the actor of generation `generation` ended: calls
    /// on it fail with how, and a supervised actor is placed again.
    fn ended(self: &Arc<Self>, exit: Exit, generation: u64) {
        let _crash = self.crash.lock().unwrap_or_else(PoisonError::into_inner);
        if generation != self.generation.load(Ordering::Acquire)
            || self.shutting_down.load(Ordering::Acquire)
        {
            return;
        }
        let died = Error::ActorDied { status: exit };
        self.current_link().close(died.clone());
        let Some(supervisor) = &self.supervisor else {
            self.tenure().release();
            self.settle(Phase::GaveUp(died));
            return;
        };
        if exit == Exit::Code(0) {
            // It ended by itself, cleanly: not a crash.
            self.tenure().release();
            self.settle(Phase::GaveUp(died));
            return;
        }
        let now = Instant::now();
        {
            let mut restarts = supervisor
                .restarts
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            restarts.retain(|at| now.duration_since(*at) < supervisor.period);
            if restarts.len() >= supervisor.max_restarts as usize {
                let (code, signal) = match exit {
                    Exit::Code(code) => (Some(code), None),
                    Exit::Signal(signal) => (None, Some(signal)),
                    _ => (None, None),
                };
                self.tenure().release();
                self.settle(Phase::GaveUp(Error::ActorDied {
                    status: Exit::GaveUp {
                        restarts: u32::try_from(restarts.len()).unwrap_or(u32::MAX),
                        code,
                        signal,
                    },
                }));
                return;
            }
            restarts.push_back(now);
        }
        self.settle(Phase::Restarting);
        self.tenure().release();
        let request = {
            let mut request = self.request.lock().unwrap_or_else(PoisonError::into_inner);
            request.generation += 1;
            request.clone()
        };
        match launch(self.placement.as_ref(), &request) {
            Ok((incarnation, tenure)) => {
                *self.tenure.lock().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&tenure);
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = incarnation;
                let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
                Self::watch(self, tenure.as_ref(), generation);
                self.settle(Phase::Running);
            }
            Err(error) => self.settle(Phase::GaveUp(error)),
        }
    }
}

impl Owner for PlacedActor {
    fn current(&self) -> Incarnation {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn link(&self) -> Result<Link> {
        let link = self.current_link();
        if self.supervisor.is_none()
            || link.broken().is_none()
            || self.shutting_down.load(Ordering::Acquire)
        {
            return Ok(link);
        }
        // Ended: wait (within a bound) for its re-creation, so a call made
        // after the end reaches the new actor.
        let deadline = Instant::now() + self.spawn_timeout * 2;
        await_running(&self.phase, &self.changed, deadline, || self.current_link())
    }

    fn resends(&self) -> bool {
        self.supervisor.is_some()
    }

    fn shutdown(&self) -> Result<()> {
        self.shutting_down.store(true, Ordering::Release);
        let _crash = self.crash.lock().unwrap_or_else(PoisonError::into_inner);
        let link = self.current_link();
        let result = match shutdown_link(&link, self.shutdown_timeout) {
            Err(Error::Timeout { .. }) => {
                let status = Exit::Killed {
                    after: self.shutdown_timeout,
                };
                link.close(Error::ActorDied { status });
                Err(Error::ActorDied { status })
            }
            answered => answered,
        };
        // Its host ends the process if the shutdown did not, and forgets it.
        self.tenure().release();
        result
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

impl Described for PlacedActor {
    fn describe(&self) -> ActorInfo {
        let current = self.current();
        let state = match &*self.phase.lock().unwrap_or_else(PoisonError::into_inner) {
            Phase::Restarting => ActorState::Restarting,
            Phase::GaveUp(Error::ActorDied { status }) => ActorState::Exited { status: *status },
            Phase::GaveUp(_) => ActorState::Exited {
                status: Exit::Unknown,
            },
            Phase::Running => match current.link.broken() {
                None => ActorState::Running,
                Some(Error::ActorDied { status }) => ActorState::Exited { status },
                Some(_) => ActorState::Exited {
                    status: Exit::Unknown,
                },
            },
        };
        ActorInfo {
            name: self.actor,
            pid: current.pid,
            address: current.address,
            state,
            generation: self.generation(),
        }
    }
}
