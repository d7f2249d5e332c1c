//! Python's `threading` primitives kept in an actor and shared by proxy
//! (Python uActor's `Event`, `Lock`, `Semaphore`, `Barrier`, `Condition`
//! and `Queue` typeids): the actor makes one with `new()`, hands it out
//! with [`uactor::proxy`](crate::proxy), and every process that holds the
//! proxy waits on the same object.
//!
//! Each kept type (`Event`) pairs with its proxy (`EventProxy`). Waiting
//! happens in the actor's runtime, so a caller blocked on one object never
//! holds up the actor's other callers. A lock held through a proxy is
//! released when its guard is dropped, and also when the holder's process
//! dies.
//!
//! ```
//! use std::time::Duration;
//! use uactor::sync::{Event, EventProxy};
//!
//! pub struct Starter { ready: Event }
//!
//! #[uactor::actor]
//! impl Starter {
//!     pub fn new() -> Self { Starter { ready: Event::new() } }
//!     pub fn ready(&self) -> uactor::Result<EventProxy> { uactor::proxy(&self.ready) }
//!     pub fn start(&self) { self.ready.set() }
//! }
//!
//! # fn main() -> uactor::Result<()> {
//! let starter = Starter::spawn()?;
//! let ready = starter.ready()?;
//! assert!(!ready.wait_timeout(Duration::from_millis(10))?);
//! starter.start()?;
//! assert!(ready.wait_timeout(Duration::from_secs(5))?);
//! # starter.shutdown()
//! # }
//! ```

pub use uactor_manager::{
    Barrier, BarrierProxy, Condition, ConditionProxy, Event, EventProxy, LocalLockGuard, Lock,
    LockGuard, LockProxy, Queue, QueueProxy, Semaphore, SemaphoreProxy,
};
