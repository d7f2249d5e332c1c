//! [`Waiters`]: futures waiting for something (a free slot, room in a
//! queue), woken first come, first served.

use std::collections::{HashMap, VecDeque};
use std::task::Waker;

/// Futures waiting, in the order they came. Each knows itself by a ticket,
/// so a future polled again while it waits refreshes its waker instead of
/// queueing twice, at no cost however many wait.
#[derive(Default)]
pub(crate) struct Waiters {
    next: u64,
    order: VecDeque<u64>,
    wakers: HashMap<u64, Waker>,
}

impl Waiters {
    /// Registers the future holding `ticket` (a fresh one if it has none,
    /// or if it was woken since) to be woken with `waker`.
    pub(crate) fn wait(&mut self, ticket: &mut Option<u64>, waker: &Waker) {
        if let Some(held) = ticket
            && let Some(known) = self.wakers.get_mut(held)
        {
            if !known.will_wake(waker) {
                known.clone_from(waker);
            }
            return;
        }
        if self.order.len() > 2 * self.wakers.len() + 64 {
            // Tickets of futures that left: dropped here, not one by one.
            let wakers = &self.wakers;
            self.order.retain(|ticket| wakers.contains_key(ticket));
        }
        self.next += 1;
        self.order.push_back(self.next);
        self.wakers.insert(self.next, waker.clone());
        *ticket = Some(self.next);
    }

    /// Takes the first waiter's waker.
    pub(crate) fn first(&mut self) -> Option<Waker> {
        while let Some(ticket) = self.order.pop_front() {
            if let Some(waker) = self.wakers.remove(&ticket) {
                return Some(waker);
            }
        }
        None
    }

    /// Takes every waiter's waker.
    pub(crate) fn all(&mut self) -> Vec<Waker> {
        self.order.clear();
        self.wakers.drain().map(|(_, waker)| waker).collect()
    }

    /// Forgets the future holding `ticket`, which no longer waits. Returns
    /// whether it had been woken already (its turn is then owed to the
    /// next waiter).
    pub(crate) fn leave(&mut self, ticket: &mut Option<u64>) -> bool {
        match ticket.take() {
            Some(ticket) => self.wakers.remove(&ticket).is_none(),
            None => false,
        }
    }
}
