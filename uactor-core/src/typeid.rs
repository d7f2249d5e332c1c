//! Typeids: the names of what an actor can hand out by proxy, and the
//! token a proxy travels as.
//!
//! As in Python's `SyncManager`, every kind of object an actor can hand
//! out has a typeid: the built-in containers and synchronisation
//! primitives, [`ASYNC_RESULT`], [`ITERATOR`], the actor itself
//! ([`ACTOR`]) and any `#[uactor::remote]` type ([`AUTO`], or the type's
//! own name where an actor registers it). A proxy travels between
//! processes as a [`Token`]: where the object lives, which object it is,
//! and its typeid, which the receiving side checks before it adopts the
//! reference.
//!
//! This module is the one place these names are spelled; the registry of
//! custom typeids (types an actor registers under their own names) is
//! [`CUSTOM`], assembled by the linker.

use std::any::TypeId;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Address, CodecId};

/// A `Vec<T>` kept in a `Shared`.
pub const LIST: &str = "list";
/// A `HashMap<K, V>` kept in a `Shared`.
pub const DICT: &str = "dict";
/// A single value.
pub const VALUE: &str = "Value";
/// A first-in first-out queue.
pub const QUEUE: &str = "Queue";
/// An event callers wait on.
pub const EVENT: &str = "Event";
/// A mutual-exclusion lock.
pub const LOCK: &str = "Lock";
/// A counting semaphore.
pub const SEMAPHORE: &str = "Semaphore";
/// A barrier.
pub const BARRIER: &str = "Barrier";
/// A condition variable.
pub const CONDITION: &str = "Condition";
/// The result of a method that runs concurrently.
pub const ASYNC_RESULT: &str = "AsyncResult";
/// An iterator, fetched in batches.
pub const ITERATOR: &str = "Iterator";
/// The actor itself.
pub const ACTOR: &str = "actor";
/// Any `#[uactor::remote]` type no actor registers under its own name.
pub const AUTO: &str = "auto";

/// Every built-in typeid, in the order `Type::typeids()` lists them.
pub const BUILTIN: [&str; 13] = [
    LIST,
    DICT,
    VALUE,
    QUEUE,
    EVENT,
    LOCK,
    SEMAPHORE,
    BARRIER,
    CONDITION,
    ASYNC_RESULT,
    ITERATOR,
    ACTOR,
    AUTO,
];

/// Fails to compile (when evaluated in a `const`) if `name` cannot be a
/// custom typeid because a built-in typeid has it. Generated code checks
/// every `#[uactor::actor(proxies(Type))]` with it, at the type's span.
pub const fn assert_custom(name: &str) {
    let mut index = 0;
    while index < BUILTIN.len() {
        if same(name.as_bytes(), BUILTIN[index].as_bytes()) {
            if same(name.as_bytes(), ACTOR.as_bytes()) {
                panic!(
                    "`actor` is a reserved typeid (the actor itself, as `uactor::this` hands it \
                     out): a custom typeid cannot take it; rename the type"
                );
            }
            if same(name.as_bytes(), AUTO.as_bytes()) {
                panic!(
                    "`auto` is a reserved typeid (every `#[uactor::remote]` type that no actor \
                     registers by name): a custom typeid cannot take it; rename the type"
                );
            }
            panic!(
                "this name is a built-in typeid: a custom typeid cannot take it; rename the type \
                 (e.g. with a prefix of your own)"
            );
        }
        index += 1;
    }
}

/// Byte-wise equality, usable in `const` evaluation.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// What a proxy is made of when it travels: where its object lives, which
/// object it is, how its actor is spoken to, and whether the sender vouches
/// that the address belongs to the process tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Where the actor that keeps the object listens.
    pub address: Address,
    /// The object's id in that actor's table;
    /// [`ACTOR_OBJECT`](crate::frame::ACTOR_OBJECT) is the actor itself.
    pub object: u64,
    /// What kind of object it is: its proxy type's typeid.
    pub typeid: String,
    /// The codec the actor speaks.
    pub codec: CodecId,
    /// The largest frame the actor accepts.
    pub max_frame: u32,
    /// A tag of the address under the process tree's key, from a sender
    /// that reaches it with that key: what lets a receiver use the key
    /// there. A receiver never dials an address a peer named, with the
    /// tree's key, without it.
    pub vouch: Option<Vouch>,
}

/// A tag of an address under the process tree's key (see
/// [`Token::vouch`]).
pub type Vouch = [u8; 16];

impl Token {
    /// The token of the actor listening at `address` (typeid [`ACTOR`]),
    /// spoken to with the default codec and frame limit, vouched by
    /// nobody.
    pub fn actor(address: Address) -> Self {
        Token {
            address,
            object: crate::frame::ACTOR_OBJECT,
            typeid: ACTOR.to_owned(),
            codec: CodecId::default(),
            max_frame: crate::frame::DEFAULT_MAX_FRAME,
            vouch: None,
        }
    }

    /// Whether this token stands for an actor itself, not an object it
    /// handed out.
    pub fn is_actor(&self) -> bool {
        self.object == crate::frame::ACTOR_OBJECT && self.typeid == ACTOR
    }
}

/// A `#[uactor::remote]` type that an actor type registers under the
/// type's own name (`#[uactor::actor(proxies(Type))]`): one entry of
/// [`CUSTOM`].
pub struct Custom {
    actor: fn() -> TypeId,
    actor_name: &'static str,
    kept: fn() -> TypeId,
    typeid: &'static str,
}

impl Custom {
    /// Actor type `actor` (named `actor_name`) hands out values of type
    /// `kept` under `typeid`.
    pub const fn new(
        actor: fn() -> TypeId,
        actor_name: &'static str,
        kept: fn() -> TypeId,
        typeid: &'static str,
    ) -> Self {
        Custom {
            actor,
            actor_name,
            kept,
            typeid,
        }
    }
}

impl fmt::Debug for Custom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Custom")
            .field("actor", &self.actor_name)
            .field("typeid", &self.typeid)
            .finish()
    }
}

/// Every custom typeid the actor types linked into this binary register.
/// The linker assembles it, so it is complete before any code runs.
#[linkme::distributed_slice]
pub static CUSTOM: [Custom];

/// The custom typeids actor type `actor` registers.
pub fn custom_of(actor: TypeId) -> Vec<&'static str> {
    CUSTOM
        .iter()
        .filter(|custom| (custom.actor)() == actor)
        .map(|custom| custom.typeid)
        .collect()
}

/// The typeid values of type `kept` are handed out as: its name where an
/// actor of this binary registers it, else [`AUTO`].
pub fn of_kept(kept: TypeId) -> &'static str {
    CUSTOM
        .iter()
        .find(|custom| (custom.kept)() == kept)
        .map_or(AUTO, |custom| custom.typeid)
}

/// Every typeid actor type `actor` can hand out: the built-ins, then the
/// custom ones it registers.
pub fn all_of(actor: TypeId) -> Vec<&'static str> {
    let mut typeids = BUILTIN.to_vec();
    typeids.extend(custom_of(actor));
    typeids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_names_must_be_free() {
        assert_custom("Account");
        assert!(std::panic::catch_unwind(|| assert_custom("list")).is_err());
        assert!(std::panic::catch_unwind(|| assert_custom("actor")).is_err());
        assert!(std::panic::catch_unwind(|| assert_custom("auto")).is_err());
    }

    #[test]
    fn tokens_know_actors() {
        let address: Address = "memory:x".parse().unwrap();
        assert!(Token::actor(address.clone()).is_actor());
        let object = Token {
            object: 3,
            typeid: LIST.to_owned(),
            ..Token::actor(address)
        };
        assert!(!object.is_actor());
    }
}
