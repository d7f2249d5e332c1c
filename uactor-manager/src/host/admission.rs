//! How many connections a host authenticates at once, each on a thread
//! of its own (`max_handshakes`), and serves in all (`max_connections`).
//!
//! The door (see `door`) asks for a place for each connection whose peer
//! has spoken. A peer that speaks too slowly holds its place until the
//! handshake deadline; so that a crowd of them cannot lock out real
//! clients, a newcomer that finds every place taken ends the oldest
//! handshake still under way (it is closed, and its thread returns) and
//! waits for its place. A newcomer beyond `max_connections` is refused.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use uactor_core::Closer;

/// The bounds of one host's connections.
pub(crate) struct Admission {
    max_handshakes: usize,
    max_connections: usize,
    counts: Mutex<Counts>,
    /// Tells the door that a place to authenticate in came free.
    freed: Box<dyn Fn() + Send + Sync>,
}

#[derive(Default)]
struct Counts {
    /// Handshakes that can still be ended for a newcomer, oldest first.
    evictable: VecDeque<(u64, Closer)>,
    /// Those ended for a newcomer whose threads have not yet returned.
    ending: HashSet<u64>,
    /// Threads still authenticating (ended ones included until they
    /// return).
    handshaking: usize,
    /// Connections admitted and not yet closed, authenticated or not.
    connections: usize,
    next: u64,
}

/// The answer to a newcomer.
pub(crate) enum Admit {
    /// In: authenticate it on a thread of its own.
    In(Admitted),
    /// The host serves `max_connections` already: refuse it.
    Full,
    /// Every place to authenticate in is taken; the oldest handshakes are
    /// being ended for the newcomers waiting. Ask again when told.
    Busy,
}

/// One admitted connection: releases its place when dropped.
pub(crate) struct Admitted {
    admission: Arc<Admission>,
    id: u64,
    handshaking: bool,
}

impl Admission {
    /// Bounds of `max_handshakes` and `max_connections`; `freed` is called
    /// when a place to authenticate in comes free.
    pub(crate) fn new(
        max_handshakes: usize,
        max_connections: usize,
        freed: impl Fn() + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Admission {
            max_handshakes: max_handshakes.max(1),
            max_connections: max_connections.max(1),
            counts: Mutex::new(Counts::default()),
            freed: Box::new(freed),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for the first of `waiting` newcomers, whose connection
    /// `closer` ends. Never waits.
    pub(crate) fn admit(self: &Arc<Self>, closer: Option<Closer>, waiting: usize) -> Admit {
        let mut counts = self.counts();
        if counts.connections >= self.max_connections {
            return Admit::Full;
        }
        if counts.handshaking >= self.max_handshakes {
            // One handshake ended per newcomer waiting, beyond those ending.
            while counts.ending.len() < waiting {
                let Some((id, oldest)) = counts.evictable.pop_front() else {
                    break;
                };
                counts.ending.insert(id);
                oldest();
            }
            return Admit::Busy;
        }
        let id = counts.next;
        counts.next += 1;
        if let Some(closer) = closer {
            counts.evictable.push_back((id, closer));
        }
        counts.handshaking += 1;
        counts.connections += 1;
        Admit::In(Admitted {
            admission: Arc::clone(self),
            id,
            handshaking: true,
        })
    }

    /// Connections open now, authenticated or not.
    #[cfg(test)]
    fn connections(&self) -> usize {
        self.counts().connections
    }
}

impl Admitted {
    /// The handshake is over (passed or failed): the place goes to the next
    /// newcomer, and this connection can no longer be ended for one.
    pub(crate) fn authenticated(&mut self) {
        if std::mem::take(&mut self.handshaking) {
            let mut counts = self.admission.counts();
            counts.evictable.retain(|(id, _)| *id != self.id);
            counts.ending.remove(&self.id);
            counts.handshaking -= 1;
            drop(counts);
            (self.admission.freed)();
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.authenticated();
        self.admission.counts().connections -= 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn counting(closed: &Arc<AtomicUsize>) -> Option<Closer> {
        let closed = Arc::clone(closed);
        Some(Arc::new(move || {
            closed.fetch_add(1, Ordering::SeqCst);
        }))
    }

    fn admitted(answer: Admit) -> Admitted {
        match answer {
            Admit::In(admitted) => admitted,
            Admit::Full => panic!("refused as full"),
            Admit::Busy => panic!("told to wait"),
        }
    }

    #[test]
    fn a_newcomer_ends_the_oldest_handshake_when_all_places_are_taken() {
        let freed = Arc::new(AtomicUsize::new(0));
        let told = Arc::clone(&freed);
        let admission = Admission::new(2, 10, move || {
            told.fetch_add(1, Ordering::SeqCst);
        });
        let first_closed = Arc::new(AtomicUsize::new(0));
        let second_closed = Arc::new(AtomicUsize::new(0));
        let first = admitted(admission.admit(counting(&first_closed), 1));
        let _second = admitted(admission.admit(counting(&second_closed), 1));
        assert!(matches!(admission.admit(None, 1), Admit::Busy));
        assert_eq!(first_closed.load(Ordering::SeqCst), 1, "the oldest ended");
        assert_eq!(second_closed.load(Ordering::SeqCst), 0);
        // Asked again before the ended one returned: nothing more is ended.
        assert!(matches!(admission.admit(None, 1), Admit::Busy));
        assert_eq!(second_closed.load(Ordering::SeqCst), 0);
        drop(first);
        assert_eq!(freed.load(Ordering::SeqCst), 1, "the door was told");
        let _third = admitted(admission.admit(None, 1));
        assert_eq!(admission.connections(), 2);
    }

    #[test]
    fn authenticated_connections_are_never_ended_and_the_total_is_capped() {
        let admission = Admission::new(1, 2, || {});
        let closed = Arc::new(AtomicUsize::new(0));
        let mut first = admitted(admission.admit(counting(&closed), 1));
        first.authenticated();
        let _second = admitted(admission.admit(counting(&closed), 1));
        assert!(matches!(admission.admit(None, 1), Admit::Full));
        assert_eq!(closed.load(Ordering::SeqCst), 0, "nobody was ended");
        drop(first);
        assert_eq!(admission.connections(), 1);
    }
}
