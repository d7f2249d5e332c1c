//! What the process that spawned an actor holds: the actor's process, the
//! connection to it, and, when its options ask for it, the supervisor that
//! re-creates it after a crash.
//!
//! The clients of the owning proxy reach it through [`crate::call::Owner`];
//! the table of owned actors ([`super::owned`]) lists it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use uactor_core::{Error, Exit, Result};

use super::owned::{ActorInfo, ActorState};
use super::reaper::{ExitHook, Process};
use super::spawn::{Ends, Launched, Recipe};
use crate::Restart;
use crate::call::{Client, Incarnation, Link, Owner, shutdown_link};

/// How long a shutdown waits for the process to end after the actor
/// answered, before it kills it.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// An actor this process spawned.
pub(crate) struct Owned {
    actor: &'static str,
    /// The process serving now; a supervised actor gets a new one after a
    /// crash.
    current: RwLock<Incarnation>,
    ends: Mutex<Ends>,
    shutdown_timeout: Duration,
    /// Set once shutdown starts, so the actor's exit is not taken for a
    /// crash.
    shutting_down: AtomicBool,
    supervisor: Option<Arc<Supervisor>>,
}

/// Re-creates a crashed actor, within its restart intensity.
struct Supervisor {
    recipe: Recipe,
    max_restarts: u32,
    period: Duration,
    /// When the restarts within the period happened.
    restarts: Mutex<VecDeque<Instant>>,
    /// How many processes this actor had before the current one.
    generation: AtomicU64,
    /// Held across the handling of a crash, and by a shutdown: a crash is
    /// handled by one reaper at a time, and a shutdown waits for a restart
    /// under way (which gives up once it sees the shutdown).
    crash: Mutex<()>,
    phase: Mutex<Phase>,
    changed: Condvar,
    /// The actor it supervises (weak: the actor owns the supervisor).
    owned: OnceLock<Weak<Owned>>,
}

/// Where a supervised actor is in its life (an owned or a placed one).
pub(super) enum Phase {
    Running,
    Restarting,
    GaveUp(Error),
}

/// Waits, until `deadline`, for an actor whose link `current` reports
/// broken to be running again (a supervisor re-creating it), so a call made
/// after a crash reaches the new incarnation. Gives the link in place at
/// the deadline, or the error the supervisor gave up with.
pub(super) fn await_running(
    phase: &Mutex<Phase>,
    changed: &Condvar,
    deadline: Instant,
    current: impl Fn() -> Link,
) -> Result<Link> {
    let mut phase = phase.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let link = current();
        match &*phase {
            Phase::GaveUp(error) => return Err(error.clone()),
            Phase::Running if link.broken().is_none() => return Ok(link),
            // Crashed, and the end is not reported yet; or restarting.
            _ => {}
        }
        let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
            return Ok(link);
        };
        phase = changed
            .wait_timeout(phase, remaining.min(Duration::from_millis(50)))
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

impl Owned {
    /// Starts the actor `recipe` describes and returns its owning client;
    /// supervised if its options ask for restarts.
    pub(crate) fn spawn(recipe: Recipe) -> Result<Client> {
        Owned::spawn_watched(recipe, None)
    }

    /// [`spawn`](Self::spawn), running `on_exit` when an unsupervised
    /// actor's process ends (a placement's host reports it).
    pub(crate) fn spawn_watched(recipe: Recipe, on_exit: Option<ExitHook>) -> Result<Client> {
        let options = recipe.options.clone();
        let actor = recipe.actor;
        let (launched, supervisor) = match options.restart {
            Restart::OnCrash { max_restarts } => {
                let supervisor = Arc::new(Supervisor {
                    recipe,
                    max_restarts,
                    period: options.restart_period,
                    restarts: Mutex::new(VecDeque::new()),
                    generation: AtomicU64::new(0),
                    crash: Mutex::new(()),
                    phase: Mutex::new(Phase::Running),
                    changed: Condvar::new(),
                    owned: OnceLock::new(),
                });
                (
                    supervisor
                        .recipe
                        .launch(Some(Supervisor::hook(&supervisor, 0)))?,
                    Some(supervisor),
                )
            }
            Restart::Never => (recipe.launch(on_exit)?, None),
        };
        let Launched { incarnation, ends } = launched;
        let owned = Arc::new(Owned {
            actor,
            current: RwLock::new(incarnation),
            ends: Mutex::new(ends),
            shutdown_timeout: options.shutdown_timeout,
            shutting_down: AtomicBool::new(false),
            supervisor: supervisor.clone(),
        });
        if let Some(supervisor) = &supervisor {
            let _ = supervisor.owned.set(Arc::downgrade(&owned));
        }
        let listed: Weak<dyn super::owned::Described> = Arc::downgrade(&owned) as _;
        super::owned::register(listed);
        Ok(Client::owned(actor, options.call_timeout, owned))
    }

    /// The connection to the process serving now (without copying the rest
    /// of its incarnation: this is on every call's path).
    fn current_link(&self) -> Link {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .link
            .clone()
    }

    fn process(&self) -> Arc<Process> {
        Arc::clone(
            &self
                .ends
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .process,
        )
    }

    /// Waits for the process to end after a shutdown; kills it past the
    /// grace period. Either way it is reaped on return.
    fn finish(&self) {
        let process = self.process();
        if process.wait_exit(EXIT_GRACE).is_none() {
            process.kill();
            let _ = process.wait_exit(EXIT_GRACE);
        }
    }
}

impl Owner for Owned {
    fn current(&self) -> Incarnation {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn link(&self) -> Result<Link> {
        let link = self.current_link();
        let Some(supervisor) = &self.supervisor else {
            return Ok(link);
        };
        if link.broken().is_none() || self.shutting_down.load(Ordering::Acquire) {
            return Ok(link);
        }
        // Crashed: wait (at most the spawn timeout) for the new process, so
        // a call made after a crash reaches it.
        let deadline = Instant::now() + supervisor.recipe.options.spawn_timeout + EXIT_GRACE;
        await_running(&supervisor.phase, &supervisor.changed, deadline, || {
            self.current_link()
        })
    }

    fn resends(&self) -> bool {
        self.supervisor.is_some()
    }

    fn shutdown(&self) -> Result<()> {
        self.shutting_down.store(true, Ordering::Release);
        // A restart under way finishes (or gives up, seeing the shutdown)
        // before the process to end is chosen.
        let _crash = self.supervisor.as_ref().map(|supervisor| {
            supervisor
                .crash
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        let link = self.current().link;
        match shutdown_link(&link, self.shutdown_timeout) {
            Err(Error::Timeout { .. }) => {
                // It did not answer in time (a method stuck in a loop): it
                // is ended now, and its stuck callers learn how.
                let status = Exit::Killed {
                    after: self.shutdown_timeout,
                };
                link.close(Error::ActorDied { status });
                let process = self.process();
                process.kill();
                let _ = process.wait_exit(EXIT_GRACE);
                Err(Error::ActorDied { status })
            }
            answered => {
                self.finish();
                answered
            }
        }
    }

    fn generation(&self) -> u64 {
        self.supervisor.as_ref().map_or(0, |supervisor| {
            supervisor.generation.load(Ordering::Acquire)
        })
    }
}

impl Supervisor {
    /// What the reaper of the process of generation `generation` runs when
    /// it ends.
    fn hook(this: &Arc<Supervisor>, generation: u64) -> ExitHook {
        let supervisor = Arc::clone(this);
        Box::new(move |exit| supervisor.crashed(exit, generation))
    }

    /// Re-creates the actor after its process ended, unless it was shut
    /// down, exited cleanly, or crashed too often.
    fn crashed(self: &Arc<Self>, exit: Exit, generation: u64) {
        let _crash = self.crash.lock().unwrap_or_else(PoisonError::into_inner);
        // An older process's end, reported late: the actor has moved on.
        if generation != self.generation.load(Ordering::Acquire) {
            return;
        }
        // The actor is set right after the first launch; a crash before
        // that waits for it briefly.
        let started = Instant::now();
        let owned = loop {
            if let Some(owned) = self.owned.get() {
                break owned.upgrade();
            }
            if started.elapsed() > EXIT_GRACE {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let Some(owned) = owned else { return };
        if owned.shutting_down.load(Ordering::Acquire) {
            return;
        }
        if exit == Exit::Code(0) {
            // It ended by itself, cleanly: not a crash, nothing to restart.
            self.settle(Phase::GaveUp(
                owned
                    .current()
                    .link
                    .close(Error::ActorDied { status: exit }),
            ));
            return;
        }
        // Calls in flight on the dead process fail with how it ended.
        owned
            .current()
            .link
            .close(Error::ActorDied { status: exit });
        let now = Instant::now();
        {
            let mut restarts = self.restarts.lock().unwrap_or_else(PoisonError::into_inner);
            restarts.retain(|at| now.duration_since(*at) < self.period);
            if restarts.len() >= self.max_restarts as usize {
                let (code, signal) = match exit {
                    Exit::Code(code) => (Some(code), None),
                    Exit::Signal(signal) => (None, Some(signal)),
                    _ => (None, None),
                };
                let status = Exit::GaveUp {
                    restarts: u32::try_from(restarts.len()).unwrap_or(u32::MAX),
                    code,
                    signal,
                };
                self.settle(Phase::GaveUp(Error::ActorDied { status }));
                return;
            }
            restarts.push_back(now);
        }
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = Phase::Restarting;
        match self
            .recipe
            .launch(Some(Supervisor::hook(self, generation + 1)))
        {
            Ok(Launched { ends, .. }) if owned.shutting_down.load(Ordering::Acquire) => {
                // Shut down while it restarted: it must not come back.
                ends.process.kill();
                let _ = ends.process.wait_exit(EXIT_GRACE);
                self.settle(Phase::GaveUp(Error::Closed));
            }
            Ok(Launched { incarnation, ends }) => {
                *owned.ends.lock().unwrap_or_else(PoisonError::into_inner) = ends;
                *owned
                    .current
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = incarnation;
                self.generation.fetch_add(1, Ordering::AcqRel);
                self.settle(Phase::Running);
            }
            Err(error) => self.settle(Phase::GaveUp(error)),
        }
    }

    fn settle(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        self.changed.notify_all();
    }
}

impl super::owned::Described for Owned {
    fn describe(&self) -> ActorInfo {
        let current = self.current();
        ActorInfo {
            name: self.actor,
            pid: current.pid,
            address: current.address,
            state: self.state(),
            generation: self.generation(),
        }
    }
}

impl Owned {
    /// Whether the owned actor runs, is being restarted, or has ended.
    fn state(&self) -> ActorState {
        let mut supervised = self.supervisor.is_some();
        if let Some(supervisor) = &self.supervisor {
            match &*supervisor
                .phase
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
            {
                Phase::Restarting => return ActorState::Restarting,
                Phase::GaveUp(Error::ActorDied { status }) => {
                    return ActorState::Exited { status: *status };
                }
                Phase::GaveUp(_) => supervised = false,
                Phase::Running => {}
            }
        }
        match self.process().wait_exit(Duration::ZERO) {
            None => ActorState::Running,
            // Crashed, and its supervisor has not said what it does yet.
            Some(status)
                if supervised
                    && status != Exit::Code(0)
                    && !self.shutting_down.load(Ordering::Acquire) =>
            {
                ActorState::Restarting
            }
            Some(status) => ActorState::Exited { status },
        }
    }
}
