//! Objects an actor hands out by proxy, and the references to them.
//!
//! In the actor process, the object table keeps each object handed out
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
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uactor_core::frame::Kind;
use uactor_core::{Address, Call, Error, Result, Token};

use crate::async_result::{AsyncResult, CallFuture};
use crate::link::Link;

/// An object kept in an actor and served to proxies: what `uactor::proxy`
/// puts in the object table.
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
    next: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
    by_identity: Mutex<HashMap<usize, u64>>,
}

static TABLE: OnceLock<Table> = OnceLock::new();

/// Makes this process an object host at `address` (once, when it starts
/// serving an actor).
pub(crate) fn host_at(address: Address) {
    let _ = TABLE.set(Table {
        address,
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

/// Puts `object` (whose allocation is `identity`) in the table, counts one
/// reference on its way, and returns the token a proxy to it travels as.
pub fn expose(object: Arc<dyn Served>, identity: usize) -> Result<Token> {
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
    Ok(Token {
        address: table.address.clone(),
        object: id,
        typeid: typeid.to_owned(),
    })
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

/// A reference to an object in an actor: what every typed object proxy
/// wraps. Clones share one reference; dropping the last gives it back.
#[derive(Clone)]
pub struct ObjectRef {
    inner: Arc<Reference>,
}

enum Reference {
    /// Held by a process that reaches the object over a connection.
    Remote {
        link: Link,
        object: u64,
        typeid: String,
    },
    /// Made inside the actor by `uactor::proxy`, on its way out: it holds
    /// the reference counted on its way until it is encoded (and adopted
    /// by whoever decodes it) or dropped.
    Local {
        token: Token,
        handed: std::sync::atomic::AtomicBool,
    },
}

impl Drop for Reference {
    fn drop(&mut self) {
        match self {
            Reference::Remote { link, object, .. } => link.control(Kind::DecRef, *object),
            Reference::Local { token, handed } => {
                if !*handed.get_mut()
                    && let Some(table) = table()
                {
                    table.count(token.object, -1);
                }
            }
        }
    }
}

impl ObjectRef {
    /// The reference a token stands for, adopted on this process's
    /// connection to the object's actor; `typeid` must match.
    pub fn from_token(token: Token, typeid: &str) -> Result<Self> {
        if token.typeid != typeid {
            return Err(Error::proxy(format!(
                "a `{}` proxy cannot be decoded as a `{typeid}` proxy",
                token.typeid
            )));
        }
        if token.object == 0 {
            return Err(Error::proxy("object 0 is the actor itself, not an object"));
        }
        let link = crate::connections::link_to(&token.address, None)?;
        link.control(Kind::Adopt, token.object);
        Ok(ObjectRef {
            inner: Arc::new(Reference::Remote {
                link,
                object: token.object,
                typeid: token.typeid,
            }),
        })
    }

    /// The reference `expose` just counted, held in the actor until it is
    /// sent.
    pub fn local(token: Token) -> Self {
        ObjectRef {
            inner: Arc::new(Reference::Local {
                token,
                handed: Default::default(),
            }),
        }
    }

    /// A token for this object that another process can adopt: it carries
    /// one reference counted on its way.
    pub fn to_token(&self) -> Token {
        match &*self.inner {
            Reference::Remote {
                link,
                object,
                typeid,
            } => {
                link.control(Kind::IncRef, *object);
                // The process this token reaches may adopt it and drop it
                // over its own connection before the actor has read this
                // one's IncRef, which would free the object under the
                // proxies still using it. The actor reads a connection's
                // frames in order, so any answer to a later request on it
                // (here: a method no object has) means the reference is
                // counted. When the token is being encoded into a frame for
                // this same connection, the IncRef goes out just before that
                // frame and the actor counts it before it reads the token:
                // no wait is needed, and waiting would wait for itself.
                if link.encoding_here() {
                    return Token {
                        address: link.address().clone(),
                        object: *object,
                        typeid: typeid.clone(),
                    };
                }
                let _ = link.call(
                    Kind::Request,
                    *object,
                    uactor_core::protocol::COUNTED_METHOD,
                    |_| Ok(()),
                    |_| Ok(()),
                    Some(std::time::Duration::from_secs(10)),
                );
                Token {
                    address: link.address().clone(),
                    object: *object,
                    typeid: typeid.clone(),
                }
            }
            Reference::Local { token, handed } => {
                if handed.swap(true, Ordering::AcqRel)
                    && let Some(table) = table()
                {
                    table.count(token.object, 1);
                }
                token.clone()
            }
        }
    }

    /// The object's typeid.
    pub fn typeid(&self) -> &str {
        match &*self.inner {
            Reference::Remote { typeid, .. } => typeid,
            Reference::Local { token, .. } => &token.typeid,
        }
    }

    /// Where the object's actor listens.
    pub fn address(&self) -> Address {
        match &*self.inner {
            Reference::Remote { link, .. } => link.address().clone(),
            Reference::Local { token, .. } => token.address.clone(),
        }
    }

    fn remote(&self) -> Result<(&Link, u64)> {
        match &*self.inner {
            Reference::Remote { link, object, .. } => Ok((link, *object)),
            Reference::Local { .. } => Err(Error::proxy(
                "this proxy was made in the actor to be sent out; inside the actor, use the kept value",
            )),
        }
    }

    /// Calls method `method` of the object and waits for its result.
    pub fn call<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<R> {
        let (link, object) = self.remote()?;
        let codec = link.codec();
        link.call(
            Kind::Request,
            object,
            method,
            |out| codec.encode(args, out),
            |bytes| codec.decode(bytes),
            None,
        )
    }

    /// Sends a call to method `method` and returns its handle at once.
    pub fn start<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<AsyncResult<R>> {
        let (link, object) = self.remote()?;
        let codec = link.codec();
        let request = link.send(Kind::Request, object, method, |out| codec.encode(args, out))?;
        Ok(AsyncResult::remote(link.clone(), request))
    }

    /// Sends a call to method `method` and returns the future of its result.
    pub fn call_async<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> CallFuture<R> {
        CallFuture::new(self.remote().and_then(|(link, object)| {
            let codec = link.codec();
            link.send(Kind::Request, object, method, |out| codec.encode(args, out))
                .map(|request| (link.clone(), request))
        }))
    }

    /// Decodes a proxy of `typeid` from a serde token.
    pub fn deserialize_as<'de, D: Deserializer<'de>>(
        deserializer: D,
        typeid: &str,
    ) -> Result<Self, D::Error> {
        let token = Token::deserialize(deserializer)?;
        ObjectRef::from_token(token, typeid).map_err(serde::de::Error::custom)
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_token().serialize(serializer)
    }
}

impl fmt::Debug for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectRef")
            .field("typeid", &self.typeid())
            .field("address", &self.address().to_string())
            .finish()
    }
}
