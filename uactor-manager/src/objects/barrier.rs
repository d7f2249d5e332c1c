//! `Barrier`: a meeting point for a fixed number of parties, kept in the
//! actor, and `BarrierProxy`.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use uactor_core::{Call, Error, Result};

use super::{Expose, object_proxy, serve};
use crate::call::ObjectRef;
use crate::host::waiting::{reply_later, unless_closed, within};
use crate::host::{Served, expose};

const WAIT: u16 = 0;
const PARTIES: u16 = 1;
const WAITING: u16 = 2;

/// A barrier shared between an actor and its proxies (Python uActor's
/// `Barrier`): each round, `parties` waiters block until the last one
/// arrives, then all go on together, and the barrier is ready for the next
/// round. Clones are the same barrier.
///
/// Each waiter of a round gets a different index in `0..parties`, as
/// Python's `Barrier.wait()`. A waiter that gives up (its timeout passed,
/// or its process went away) withdraws from the round instead of counting
/// as arrived, so a dead party never lets the others through early.
#[derive(Clone)]
pub struct Barrier(Arc<Inner>);

struct Inner {
    parties: usize,
    round: Mutex<Round>,
    /// Notified when a round completes.
    tripped: event_listener::Event,
}

struct Round {
    /// Which indexes of the current round are taken.
    taken: Vec<bool>,
    /// Completed rounds so far.
    generation: u64,
}

impl Barrier {
    /// A barrier for `parties` waiters (at least 1).
    pub fn new(parties: usize) -> Self {
        let parties = parties.max(1);
        Barrier(Arc::new(Inner {
            parties,
            round: Mutex::new(Round {
                taken: vec![false; parties],
                generation: 0,
            }),
            tripped: event_listener::Event::new(),
        }))
    }

    fn round(&self) -> MutexGuard<'_, Round> {
        self.0.round.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many waiters a round needs.
    pub fn parties(&self) -> usize {
        self.0.parties
    }

    /// How many waiters the current round has.
    pub fn waiting(&self) -> usize {
        self.round().taken.iter().filter(|taken| **taken).count()
    }

    /// Arrives; returns this waiter's index and the round it waits for, or
    /// trips the barrier when it is the last.
    fn arrive(&self) -> (usize, Option<u64>) {
        let mut round = self.round();
        let index = round.taken.iter().position(|taken| !taken).unwrap_or(0);
        if let Some(slot) = round.taken.get_mut(index) {
            *slot = true;
        }
        if round.taken.iter().all(|taken| *taken) {
            round.taken.iter_mut().for_each(|taken| *taken = false);
            round.generation += 1;
            drop(round);
            self.0.tripped.notify(usize::MAX);
            (index, None)
        } else {
            (index, Some(round.generation))
        }
    }

    /// Waits until round `generation` completes.
    async fn tripped(&self, generation: u64) {
        loop {
            if self.round().generation != generation {
                return;
            }
            let listener = self.0.tripped.listen();
            if self.round().generation != generation {
                return;
            }
            listener.await;
        }
    }

    /// Withdraws waiter `index` from round `generation`, unless the round
    /// completed meanwhile; returns whether it did.
    fn withdraw(&self, index: usize, generation: u64) -> bool {
        let mut round = self.round();
        if round.generation != generation {
            return false;
        }
        if let Some(slot) = round.taken.get_mut(index) {
            *slot = false;
        }
        true
    }

    /// Waits for the round to complete, at most `timeout` and while
    /// `connection` is open; the waiter's index, or `None` if it withdrew.
    async fn wait_for(&self, connection: u64, timeout: Option<Duration>) -> Option<usize> {
        let (index, generation) = self.arrive();
        let Some(generation) = generation else {
            return Some(index);
        };
        let completed = unless_closed(connection, within(timeout, self.tripped(generation))).await;
        if completed.flatten().is_some() || !self.withdraw(index, generation) {
            Some(index)
        } else {
            None
        }
    }

    /// Waits, without blocking the thread, for the round to complete; this
    /// waiter's index in it.
    pub async fn wait_async(&self) -> usize {
        self.wait_for(0, None).await.unwrap_or_default()
    }

    /// Waits, blocking this thread, for the round to complete; this
    /// waiter's index in it (for the actor's own threads).
    pub fn wait(&self) -> usize {
        futures::executor::block_on(self.wait_async())
    }
}

impl std::fmt::Debug for Barrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties())
            .field("waiting", &self.waiting())
            .finish()
    }
}

/// A proxy to a [`Barrier`] kept in an actor (typeid `Barrier`).
pub struct BarrierProxy {
    object: ObjectRef,
    _types: PhantomData<()>,
}

object_proxy!(BarrierProxy, uactor_core::typeid::BARRIER);

impl BarrierProxy {
    /// Waits until every party of this round has arrived; returns this
    /// waiter's index in the round (`0..parties`, one each). The wait
    /// happens in the actor, which serves other calls meanwhile.
    pub fn wait(&self) -> Result<usize> {
        self.object
            .call::<_, Option<usize>>(WAIT, &(None::<Duration>,))?
            .ok_or_else(|| {
                Error::protocol("the barrier answered a wait without a timeout with no index")
            })
    }

    /// Waits at most `timeout`; `None` if the round did not complete in
    /// time, in which case this waiter withdrew from it.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<usize>> {
        self.object.call(WAIT, &(Some(timeout),))
    }

    /// How many waiters a round needs.
    pub fn parties(&self) -> Result<usize> {
        self.object.call(PARTIES, &())
    }

    /// How many waiters the current round has.
    pub fn waiting(&self) -> Result<usize> {
        self.object.call(WAITING, &())
    }
}

impl Served for Barrier {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::BARRIER
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        match method {
            WAIT => {
                let (timeout,): (Option<Duration>,) = call.args()?;
                let barrier = self.clone();
                let connection = call.connection();
                reply_later(call, move || async move {
                    Ok(barrier.wait_for(connection, timeout).await)
                });
                Ok(())
            }
            PARTIES => serve!(call, || self.parties()),
            WAITING => serve!(call, || self.waiting()),
            other => Err(Error::protocol(format!("a Barrier has no method {other}"))),
        }
    }
}

impl Expose for Barrier {
    type Proxy = BarrierProxy;

    fn expose(&self) -> Result<BarrierProxy> {
        let identity = Arc::as_ptr(&self.0) as *const () as usize;
        let object = expose(Arc::new(self.clone()), identity)?;
        Ok(BarrierProxy {
            object,
            _types: PhantomData,
        })
    }
}
