//! Waiting for a reply (a blocking caller, or a future's poll), the
//! deadlines of calls nobody waits on in a thread, and giving a call up.

use std::task::{Context, Poll};
use std::thread;
use std::time::Instant;

use uactor_core::frame::Kind;
use uactor_core::{Error, Result};

use super::{Deadline, Late, Link, run_late};

impl Link {
    /// Waits for the reply to `request`, at most until `deadline`, and
    /// decodes it. Running out of time is [`Error::Timeout`]; the call
    /// stays in flight (see [`abandon`](Self::abandon)).
    pub(crate) fn wait<R>(
        &self,
        request: u64,
        deadline: Option<Deadline>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let inner = &*self.inner;
        let mut state = inner.state();
        loop {
            if let Some(reply) = state.take(request) {
                inner.freed(state);
                return reply.and_then(|reply| reply.decode(decode));
            }
            if let Some(error) = &state.broken {
                let error = error.clone();
                state.remove(request);
                return Err(error);
            }
            if !state.slots.contains_key(&request) {
                return Err(Error::proxy("a reply was waited for twice"));
            }
            let left = match deadline {
                None => None,
                Some(deadline) => match deadline.left() {
                    Some(left) => Some(left),
                    None => return Err(deadline.error()),
                },
            };
            if !state.reading {
                state.reading = true;
                drop(state);
                return crate::call::reader::lead(inner, request, deadline, decode);
            }
            // Parked alone: woken by its reply, by the reading role coming
            // free for it, or by the connection breaking (or a stray unpark:
            // the loop checks again).
            state.park(request);
            drop(state);
            match left {
                Some(left) => thread::park_timeout(left),
                None => thread::park(),
            }
            state = inner.state();
            state.unpark(request);
        }
    }

    /// Polls for the reply to `request` from a future: never blocks.
    pub(crate) fn poll<R>(
        &self,
        request: u64,
        context: &mut Context<'_>,
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Poll<Result<R>> {
        let inner = &*self.inner;
        let mut state = inner.state();
        if let Some(reply) = state.take(request) {
            inner.freed(state);
            return Poll::Ready(reply.and_then(|reply| reply.decode(decode)));
        }
        if let Some(error) = &state.broken {
            let error = error.clone();
            state.remove(request);
            return Poll::Ready(Err(error));
        }
        match state.slots.get_mut(&request) {
            Some(slot) => {
                match &mut slot.waker {
                    Some(waker) if waker.will_wake(context.waker()) => {}
                    waker => *waker = Some(context.waker().clone()),
                }
                self.inner.unattend(&mut state, request);
                Poll::Pending
            }
            None => Poll::Ready(Err(Error::proxy("a reply was waited for twice"))),
        }
    }

    /// Whether the reply to `request` has arrived (or never will): never
    /// blocks.
    pub(crate) fn is_ready(&self, request: u64) -> bool {
        let mut state = self.inner.state();
        let ready = state.broken.is_some()
            || state
                .slots
                .get(&request)
                .is_none_or(|slot| slot.reply.is_some());
        if !ready {
            self.inner.unattend(&mut state, request);
        }
        ready
    }

    /// Arms a deadline for a pending future: the reader thread wakes it when
    /// `deadline` passes. `key` remembers the armed deadline across polls.
    pub(crate) fn arm(
        &self,
        deadline: Instant,
        context: &mut Context<'_>,
        key: &mut Option<(Instant, u64)>,
    ) {
        let mut state = self.inner.state();
        if let Some(armed) = key
            && let Some(waker) = state.timers.get(armed)
            && waker.will_wake(context.waker())
        {
            return;
        }
        if let Some(armed) = key.take() {
            state.timers.remove(&armed);
        }
        state.next_timer += 1;
        let armed = (deadline, state.next_timer);
        state.timers.insert(armed, context.waker().clone());
        *key = Some(armed);
        if !state.background {
            self.inner.read_in_background(&mut state);
        } else {
            // The reader thread may sleep past this new deadline.
            self.inner.wake.notify_all();
        }
    }

    /// Removes a deadline [`arm`](Self::arm) set.
    pub(crate) fn disarm(&self, key: &mut Option<(Instant, u64)>) {
        if let Some(armed) = key.take() {
            self.inner.state().timers.remove(&armed);
        }
    }

    /// Gives up on `request`. If it was not written yet, it is taken back
    /// and the actor never sees it. Otherwise the actor is told to withdraw
    /// it where it can, and its reply, which still comes, goes to `late`
    /// (on a thread of its own) and is dropped.
    pub(crate) fn abandon(&self, request: u64, late: Option<Late>) {
        let inner = &*self.inner;
        if inner.outbox.withdraw(request) {
            self.release(request);
            return;
        }
        let arrived = {
            let mut state = inner.state();
            match state.slots.get_mut(&request) {
                None => return,
                Some(slot) if slot.reply.is_some() => {
                    let reply = state.remove(request).and_then(|slot| slot.reply);
                    inner.freed(state);
                    reply
                }
                Some(slot) => {
                    slot.abandoned = true;
                    slot.late = late;
                    slot.waker = None;
                    self.inner.unattend(&mut state, request);
                    drop(state);
                    self.control(Kind::Cancel, 0, request);
                    return;
                }
            }
        };
        if let (Some(reply), Some(late)) = (arrived, late) {
            run_late(late, reply);
        }
    }
}
