//! Seeing what runs: an actor's counters ([`stats`]) and restarts
//! ([`generation`]), the actors this process owns ([`actors`]), and the
//! set-up each actor process runs before its constructor
//! ([`on_actor_start!`](crate::on_actor_start), where a tracing subscriber
//! is installed). The spans of the `tracing` feature are described in the
//! crate documentation.

use crate::{Proxy, Result};

pub use uactor_core::Stats;
pub use uactor_manager::{ActorInfo, ActorState};

/// Registers a function that runs in every actor process before its
/// constructor: see [the macro](macro@crate::on_actor_start).
#[doc(no_inline)]
pub use crate::on_actor_start;

/// How `proxy`'s actor is doing: calls served, errors, panics, calls in
/// flight, open connections, objects kept, uptime and resident memory. The
/// same as [`Proxy::stats`], for any proxy (an interface proxy too).
///
/// The actor's host answers this itself (a frame of its own, not a method
/// call), so no method of the actor can shadow it; it is answered in order
/// with the other requests this process sends the actor.
///
/// ```
/// #[derive(Default)]
/// pub struct Counter { n: i64 }
///
/// #[uactor::actor]
/// impl Counter {
///     pub fn add(&mut self, by: i64) -> i64 { self.n += by; self.n }
/// }
///
/// # fn main() -> uactor::Result<()> {
/// let counter = Counter::spawn()?;
/// counter.add(2)?;
/// let stats = uactor::observe::stats(&counter)?;
/// assert_eq!((stats.pid, stats.calls, stats.panics), (counter.pid(), 1, 0));
/// println!("{} calls, {:?} resident, up {:?}", stats.calls, stats.resident_memory, stats.uptime);
/// # counter.shutdown()
/// # }
/// ```
pub fn stats<P: Proxy>(proxy: &P) -> Result<Stats> {
    proxy.stats()
}

/// How many times `proxy`'s actor was re-created by its supervisor
/// ([`Restart::OnCrash`](crate::Restart::OnCrash)): 0 until its first
/// crash, and always 0 for a proxy that does not own its actor. The same
/// as [`Proxy::generation`].
///
/// ```
/// #[derive(Default)]
/// pub struct Fragile;
///
/// #[uactor::actor]
/// impl Fragile {
///     pub fn crash(&self) { std::process::abort() }
///     pub fn ping(&self) {}
/// }
///
/// # fn main() -> uactor::Result<()> {
/// let options = uactor::Options::new().restart(uactor::Restart::OnCrash { max_restarts: 3 });
/// let fragile = Fragile::spawn_with(&options)?;
/// assert_eq!(uactor::observe::generation(&fragile), 0);
/// let _ = fragile.crash(); // the process aborts; its owner starts a new one
/// # let started = std::time::Instant::now();
/// while uactor::observe::generation(&fragile) == 0 {
/// #   assert!(started.elapsed() < std::time::Duration::from_secs(10), "no restart");
///     std::thread::sleep(std::time::Duration::from_millis(5));
/// }
/// fragile.ping()?; // served by the new process
/// assert_eq!(uactor::observe::generation(&fragile), 1);
/// # fragile.shutdown()
/// # }
/// ```
pub fn generation<P: Proxy>(proxy: &P) -> u64 {
    proxy.generation()
}

/// The actors this process owns, in the order they were spawned, with their
/// pids and states (running, restarting, or exited with a status): what is
/// running, without `ps`.
///
/// An actor is listed while an owning proxy to it (the one `spawn` returned,
/// or a clone of it, in this process) is alive; proxies that travelled here
/// from elsewhere, or came from `connect`, are references and are not
/// listed.
///
/// ```
/// #[derive(Default)]
/// pub struct Worker;
///
/// #[uactor::actor]
/// impl Worker {
///     pub fn ping(&self) {}
/// }
///
/// # fn main() -> uactor::Result<()> {
/// let worker = Worker::spawn()?;
/// let pid = worker.pid();
/// for actor in uactor::observe::actors() {
///     println!("{} pid {}: {}", actor.name, actor.pid, actor.state); // …::Worker pid 4242: running
/// }
/// let mine = |pid| uactor::observe::actors().into_iter().find(|actor| actor.pid == pid);
/// assert_eq!(mine(pid).map(|actor| actor.state), Some(uactor::observe::ActorState::Running));
/// worker.shutdown()?; // ended, but a proxy to it is still held
/// assert!(matches!(mine(pid).map(|actor| actor.state), Some(uactor::observe::ActorState::Exited { .. })));
/// drop(worker); // the last owning proxy: no longer listed
/// assert_eq!(mine(pid), None);
/// # Ok(())
/// # }
/// ```
pub fn actors() -> Vec<ActorInfo> {
    uactor_manager::actors()
}

/// Registers a function that runs in every actor process this binary
/// starts, before the actor's constructor: the place to install a
/// `tracing` subscriber (or a logger) for actors.
///
/// An actor process is this binary started again, and it never runs
/// `main`, so what `main` sets up is not set up there. The function is
/// named by path and takes no arguments; the macro is used once per
/// function, at item level. Environment variables are inherited, so a
/// filter read from `RUST_LOG` is the same in every process.
///
/// ```
/// fn install_logging() {
///     // e.g. tracing_subscriber::fmt().with_env_filter(EnvFilter::from_default_env()).init();
/// }
///
/// uactor::on_actor_start!(install_logging);
///
/// fn main() {
///     uactor::init();
///     install_logging(); // the parent's own
/// }
/// ```
#[macro_export]
macro_rules! on_actor_start {
    ($function:path $(,)?) => {
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::__private::ACTOR_START)]
            #[linkme(crate = $crate::__private::linkme)]
            static START: fn() = $function;
        };
    };
}
