//! How an actor is doing, as its host counts it: the answer to a
//! [`Kind::Stats`](uactor_core::frame::Kind::Stats) frame, a
//! [`Stats`] (plain data, in core, since both sides of the wire read it).
//!
//! The host answers that frame itself, beside the actor's methods, so no
//! method of the actor can shadow it and asking costs the actor nothing: it
//! is served even while a long method runs. The counters are a few relaxed
//! atomic additions per call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use uactor_core::{Error, Stats};

/// The counters a host keeps while it serves.
#[derive(Debug)]
pub(crate) struct Counters {
    started: Instant,
    received: AtomicU64,
    answered: AtomicU64,
    errors: AtomicU64,
    panics: AtomicU64,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            started: Instant::now(),
            received: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            panics: AtomicU64::new(0),
        }
    }

    /// A request arrived.
    #[inline]
    pub(crate) fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// A request was answered with a value.
    #[inline]
    pub(crate) fn answered(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    /// A request was answered with `error`.
    pub(crate) fn failed(&self, error: &Error) {
        match error {
            Error::Remote { .. } => {
                self.panics.fetch_add(1, Ordering::Relaxed);
                self.answered.fetch_add(1, Ordering::Relaxed);
            }
            _ => self.errored(),
        }
    }

    /// A request was answered with an error that is not a panic.
    pub(crate) fn errored(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    /// The snapshot to send, with what the host knows besides its counters.
    pub(crate) fn snapshot(&self, connections: usize, objects: usize) -> Stats {
        let answered = self.answered.load(Ordering::Relaxed);
        let received = self.received.load(Ordering::Relaxed);
        // `Stats` is `#[non_exhaustive]` in core: filled field by field.
        let mut stats = Stats::default();
        stats.pid = std::process::id();
        stats.calls = answered;
        stats.errors = self.errors.load(Ordering::Relaxed);
        stats.panics = self.panics.load(Ordering::Relaxed);
        stats.in_flight = received.saturating_sub(answered);
        stats.connections = connections as u64;
        stats.objects = objects as u64;
        stats.uptime = self.started.elapsed();
        stats.resident_memory = resident_memory();
        stats
    }
}

/// This process's resident memory in bytes, from `/proc/self/status`.
pub(crate) fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    let kilobytes: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kilobytes * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_tell_answers_errors_and_panics_apart() {
        let counters = Counters::new();
        for _ in 0..4 {
            counters.received();
        }
        counters.answered();
        counters.failed(&Error::Remote {
            message: "boom".into(),
        });
        counters.failed(&Error::protocol("no such method"));
        let stats = counters.snapshot(2, 5);
        assert_eq!(
            (stats.calls, stats.errors, stats.panics, stats.in_flight),
            (3, 1, 1, 1)
        );
        assert_eq!((stats.connections, stats.objects), (2, 5));
        assert_eq!(stats.pid, std::process::id());
    }

    #[test]
    fn resident_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let bytes = resident_memory().expect("VmRSS in /proc/self/status");
            assert!(bytes > 1024 * 1024, "{bytes} bytes resident");
        }
    }
}
