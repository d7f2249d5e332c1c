//! Waiting that polls before it sleeps: [`Spin`].
//!
//! A thread that blocks in the kernel until its peer answers pays the cost
//! of being woken: on a machine whose idle CPUs sleep, 45 to 90 µs, more
//! than the rest of a call. A thread that polls (and yields the CPU between
//! polls, so a peer on the same CPU runs) sees the answer within a few µs.
//! Polling costs CPU, so it is short and learned: each waiting place keeps
//! an estimate of how long its recent waits took, and polls for about twice
//! that, never more than [`MAX_SPIN`]. When answers come rarely (an idle
//! actor waiting for its next request), the estimate passes the cap and the
//! thread does not poll at all: an idle actor costs no CPU.
//!
//! It is on unless turned off: `Options::spin(false)`, or the environment
//! variable `UACTOR_SPIN=0` for every process started with it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The longest a thread polls before it sleeps.
pub(crate) const MAX_SPIN: Duration = Duration::from_micros(100);

/// Whether polling is turned off for this process by `UACTOR_SPIN=0`.
fn disabled_by_environment() -> bool {
    static DISABLED: OnceLock<bool> = OnceLock::new();
    *DISABLED.get_or_init(|| std::env::var_os("UACTOR_SPIN").is_some_and(|value| value == "0"))
}

/// One waiting place's estimate of how long its waits take.
#[derive(Debug)]
pub(crate) struct Spin {
    /// The recent waits' typical length, in ns (an average weighted toward
    /// the latest); `u32::MAX` when polling is off.
    typical: AtomicU32,
}

impl Spin {
    /// A waiting place that polls (`enabled`, unless the environment turns
    /// polling off) once it has seen waits short enough.
    pub(crate) fn new(enabled: bool) -> Self {
        let off = !enabled || disabled_by_environment();
        Spin {
            typical: AtomicU32::new(if off {
                u32::MAX
            } else {
                MAX_SPIN.as_nanos() as u32 * 4
            }),
        }
    }

    /// How long to poll now: twice the typical wait, or nothing once waits
    /// are longer than polling could cover.
    fn budget(&self) -> Option<Duration> {
        let typical = self.typical.load(Ordering::Relaxed);
        if typical == u32::MAX {
            return None;
        }
        let budget = Duration::from_nanos(u64::from(typical) * 2);
        (budget <= MAX_SPIN * 2).then(|| budget.min(MAX_SPIN))
    }

    /// Polls `ready` for at most the learned budget, yielding the CPU
    /// between polls; returns what it produced, or `None` when the thread
    /// should sleep. `since` is when the wait began.
    pub(crate) fn poll<T>(
        &self,
        since: Instant,
        mut ready: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let budget = self.budget()?;
        loop {
            if let Some(value) = ready() {
                self.learn(since.elapsed());
                return Some(value);
            }
            if since.elapsed() >= budget {
                return None;
            }
            std::thread::yield_now();
        }
    }

    /// Learns from a wait that ended after `waited` (polled or slept).
    pub(crate) fn learn(&self, waited: Duration) {
        let typical = self.typical.load(Ordering::Relaxed);
        if typical == u32::MAX {
            return;
        }
        let waited = u32::try_from(waited.as_nanos()).unwrap_or(u32::MAX - 1);
        // Weighted one quarter toward the latest wait.
        let next = (u64::from(typical) * 3 + u64::from(waited)) / 4;
        self.typical
            .store(next.min(u64::from(u32::MAX - 1)) as u32, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_polls_only_once_waits_are_short_and_stops_when_they_grow() {
        let spin = Spin::new(true);
        assert_eq!(spin.budget(), None, "a new place does not poll yet");
        for _ in 0..16 {
            spin.learn(Duration::from_micros(5));
        }
        let budget = spin.budget().expect("short waits: it polls");
        assert!(budget <= Duration::from_micros(40), "{budget:?}");
        assert_eq!(
            spin.poll(Instant::now(), || Some(7)),
            Some(7),
            "what is ready is taken at once"
        );
        let started = Instant::now();
        assert_eq!(spin.poll(started, || None::<()>), None);
        assert!(
            started.elapsed() < Duration::from_millis(5),
            "the poll is bounded"
        );
        for _ in 0..16 {
            spin.learn(Duration::from_millis(50));
        }
        assert_eq!(spin.budget(), None, "long waits: it sleeps at once");
    }

    #[test]
    fn turned_off_it_never_polls() {
        let spin = Spin::new(false);
        for _ in 0..16 {
            spin.learn(Duration::from_micros(1));
        }
        assert_eq!(spin.budget(), None);
        assert_eq!(spin.poll(Instant::now(), || Some(())), None);
    }
}
