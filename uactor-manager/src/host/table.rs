//! The object table of an actor process: what the actor handed out by
//! proxy, kept while some proxy anywhere refers to it.
//!
//! The table keeps each object handed out
//! while some proxy anywhere refers to it, counting references as Python's
//! `SyncManager` does with incref/decref:
//!
//! - handing an object out (`uactor::proxy`) counts one reference "on its
//!   way" to whoever decodes the reply;
//! - a process that decodes a proxy adopts that reference on its
//!   connection (`Adopt`);
//! - a process that encodes a proxy it holds (to pass it on) first counts
//!   one more reference on its way (`IncRef`); its own reference stays until
//!   it drops the proxy, so the count cannot reach zero in between;
//! - dropping the last clone of a proxy gives its reference back
//!   (`DecRef`), and so does a connection that closes (its process died or
//!   disconnected).
//!
//! An object is freed when its count reaches zero.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use uactor_core::frame::Kind;
use uactor_core::typeid::ACTOR;
use uactor_core::{Address, Call, CodecId, Error, Result, Token};

use crate::call::ObjectRef;

/// An object kept in an actor and served to proxies: what `uactor::proxy`
/// puts in the object table. Hidden: its impls would show on the facade's
/// pages of the kept types, and no user implements it.
#[doc(hidden)]
pub trait Served: Send + Sync + 'static {
    /// Its typeid (`"list"`, `"dict"`, …).
    fn typeid(&self) -> &'static str;

    /// Runs method `method` with the arguments in `call`.
    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()>;
}

struct Entry {
    object: Arc<dyn Served>,
    /// References alive anywhere, those on their way included.
    references: i64,
    /// What the object is, to give the same id to the same object.
    identity: usize,
}

/// The object table of this actor process.
pub(crate) struct Table {
    address: Address,
    /// How the actor is spoken to, for the tokens it hands out.
    codec: CodecId,
    max_frame: u32,
    next: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
    by_identity: Mutex<HashMap<usize, u64>>,
}

static TABLE: OnceLock<Table> = OnceLock::new();

/// Makes this process an object host at `address`, speaking `codec` in
/// frames of at most `max_frame` bytes (once, when it starts serving an
/// actor).
pub(crate) fn host_at(address: Address, codec: CodecId, max_frame: u32) {
    let _ = TABLE.set(Table {
        address,
        codec,
        max_frame,
        next: AtomicU64::new(1),
        entries: Mutex::new(HashMap::new()),
        by_identity: Mutex::new(HashMap::new()),
    });
}

/// The table, when this process hosts an actor.
pub(crate) fn table() -> Option<&'static Table> {
    TABLE.get()
}

/// How many objects this actor process keeps for proxies (0 outside one).
pub fn hosted_objects() -> usize {
    TABLE.get().map_or(0, Table::len)
}

/// Where this process serves its actor, when it does.
pub fn hosted_address() -> Option<Address> {
    TABLE.get().map(|table| table.address.clone())
}

/// The token of the actor this process serves, when it does: what
/// `uactor::this()` makes a proxy of.
pub fn hosted_token() -> Option<Token> {
    TABLE
        .get()
        .map(|table| table.token(uactor_core::frame::ACTOR_OBJECT, ACTOR))
}

/// Puts `object` (whose allocation is `identity`) in the table, counts one
/// reference on its way, and returns that reference, which a proxy to the
/// object wraps until it is sent.
pub fn expose(object: Arc<dyn Served>, identity: usize) -> Result<ObjectRef> {
    let table = TABLE.get().ok_or_else(|| {
        Error::proxy("a proxy to an object can only be made inside an actor process, from one of its methods")
    })?;
    let typeid = object.typeid();
    let mut entries = table.entries.lock().unwrap_or_else(PoisonError::into_inner);
    let mut by_identity = table
        .by_identity
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let id = match by_identity
        .get(&identity)
        .copied()
        .filter(|id| entries.contains_key(id))
    {
        Some(id) => id,
        None => {
            let id = table.next.fetch_add(1, Ordering::Relaxed);
            entries.insert(
                id,
                Entry {
                    object,
                    references: 0,
                    identity,
                },
            );
            by_identity.insert(identity, id);
            id
        }
    };
    if let Some(entry) = entries.get_mut(&id) {
        entry.references += 1;
    }
    Ok(ObjectRef::local(table.token(id, typeid), recount))
}

impl Table {
    /// The token of object `object` (of `typeid`) of this actor, vouched
    /// with the key the actor serves with.
    fn token(&self, object: u64, typeid: &str) -> Token {
        Token {
            address: self.address.clone(),
            object,
            typeid: typeid.to_owned(),
            codec: self.codec,
            max_frame: self.max_frame,
            vouch: crate::context::authkey()
                .ok()
                .and_then(|key| crate::call::connections::vouch(&self.address, &key)),
        }
    }
}

/// The reference a token made in this process and never sent stands for
/// (it carries the reference counted when it was made).
pub(crate) fn reclaim(token: Token) -> ObjectRef {
    ObjectRef::local(token, recount)
}

/// Adds `delta` references to object `id` of this process's table.
fn recount(id: u64, delta: i64) {
    if let Some(table) = table() {
        table.count(id, delta);
    }
}

impl Table {
    /// The object `id`, to serve a call on it (the table is not locked
    /// while it runs).
    pub(crate) fn get(&self, id: u64) -> Result<Arc<dyn Served>> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .map(|entry| Arc::clone(&entry.object))
            .ok_or_else(|| {
                Error::proxy(format!("object {id} is gone (its last proxy was dropped)"))
            })
    }

    /// Adds `delta` references to object `id`, freeing it at zero.
    pub(crate) fn count(&self, id: u64, delta: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.get_mut(&id) else {
            return;
        };
        entry.references += delta;
        if entry.references <= 0 {
            let identity = entry.identity;
            // Dropped outside the lock: an object may hold other objects.
            let freed = entries.remove(&id);
            drop(entries);
            self.by_identity
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&identity);
            drop(freed);
        }
    }

    /// How many objects the table holds.
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The references one connection holds, given back when it closes.
#[derive(Default)]
pub(crate) struct Held {
    counts: HashMap<u64, i64>,
}

impl Held {
    /// Applies a reference-count frame from this connection.
    pub(crate) fn apply(&mut self, kind: Kind, id: u64) {
        let Some(table) = table() else { return };
        match kind {
            Kind::IncRef => table.count(id, 1),
            Kind::Adopt => *self.counts.entry(id).or_default() += 1,
            Kind::DecRef => {
                *self.counts.entry(id).or_default() -= 1;
                table.count(id, -1);
            }
            _ => {}
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(table) = table() {
            for (&id, &count) in &self.counts {
                if count > 0 {
                    table.count(id, -count);
                }
            }
        }
    }
}
