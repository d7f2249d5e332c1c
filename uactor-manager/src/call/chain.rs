//! The call chain: which actors' methods wait, directly or through other
//! actors, for the calls this thread makes.
//!
//! While an actor's connection thread runs a method, the chain it serves
//! (the caller's chain and this actor) is this thread's: every request the
//! method makes carries it ([`FLAG_CALL_CHAIN`]). An actor that finds
//! itself in a request's chain knows the call can only be served after one
//! of its own methods returns, and that method waits for the call: A → B →
//! A. It refuses the call at once (`Error::Reentrant`) rather than wait for
//! ever. Only the thread that runs a method carries its chain: a thread the
//! method starts, or an `async fn`, makes calls with no chain, which are
//! then bounded by their own timeouts.

use std::cell::RefCell;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use uactor_core::frame::{FLAG_CALL_CHAIN, Header, MAX_CALL_CHAIN};

thread_local! {
    /// The chain of the method this thread runs, if it runs one.
    static CHAIN: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// This process's id in call chains: random, so actors on other hosts do
/// not share it.
pub(crate) fn this_actor() -> u64 {
    static ID: OnceLock<u64> = OnceLock::new();
    *ID.get_or_init(|| RandomState::new().hash_one(std::process::id()) | 1)
}

/// Runs with `chain` plus this actor as this thread's chain until dropped.
pub(crate) struct Serving {
    previous: Vec<u64>,
}

impl Serving {
    /// Enters the chain of a request that came with `incoming`; this actor
    /// joins it when the request holds the actor (`holds_actor`), not when it
    /// is served by an object the actor handed out, which does not wait for
    /// the actor.
    pub(crate) fn enter(mut incoming: Vec<u64>, holds_actor: bool) -> Serving {
        if holds_actor {
            if incoming.len() >= MAX_CALL_CHAIN {
                incoming.remove(0);
            }
            incoming.push(this_actor());
        }
        Serving {
            previous: CHAIN.with(|chain| chain.replace(incoming)),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let previous = std::mem::take(&mut self.previous);
        CHAIN.with(|chain| *chain.borrow_mut() = previous);
    }
}

/// Appends this thread's chain to a request's payload; returns the flag
/// that announces it, or 0 when there is none (a call made outside any
/// actor's method costs nothing).
#[inline]
pub(crate) fn write(out: &mut Vec<u8>) -> u8 {
    CHAIN.with(|chain| {
        let chain = chain.borrow();
        if chain.is_empty() {
            return 0;
        }
        out.push(chain.len() as u8);
        for id in chain.iter() {
            out.extend_from_slice(&id.to_le_bytes());
        }
        FLAG_CALL_CHAIN
    })
}

/// Splits a request's payload into the chain it may start with and the
/// rest. A chain that does not fit is no chain (the arguments will not
/// decode either, and the caller hears about it).
#[inline]
pub(crate) fn split(header: Header, payload: &[u8]) -> (Vec<u64>, &[u8]) {
    if header.flags & FLAG_CALL_CHAIN == 0 {
        return (Vec::new(), payload);
    }
    let Some((&count, rest)) = payload.split_first() else {
        return (Vec::new(), payload);
    };
    let count = usize::from(count).min(MAX_CALL_CHAIN);
    let Some((ids, rest)) = rest.split_at_checked(count * 8) else {
        return (Vec::new(), payload);
    };
    let chain = ids
        .chunks_exact(8)
        .map(|id| u64::from_le_bytes(id.try_into().unwrap_or_default()))
        .collect();
    (chain, rest)
}

#[cfg(test)]
mod tests {
    use uactor_core::frame::Kind;

    use super::*;

    #[test]
    fn chains_travel_and_nest() {
        let mut out = Vec::new();
        assert_eq!(write(&mut out), 0, "no chain outside a method");
        assert!(out.is_empty());
        {
            let _serving = Serving::enter(vec![7], true);
            let flag = write(&mut out);
            out.extend_from_slice(b"args");
            let mut header = Header::new(Kind::Request, 1);
            header.flags = flag;
            let (chain, rest) = split(header, &out);
            assert_eq!(chain, vec![7, this_actor()]);
            assert_eq!(rest, b"args");
        }
        let mut after = Vec::new();
        assert_eq!(write(&mut after), 0, "the chain ends with the method");
    }
}
