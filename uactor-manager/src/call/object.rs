//! A reference to an object an actor handed out: what every typed object
//! proxy wraps, and how it travels (the reference counts are the object
//! table's, see `host::table`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uactor_core::frame::Kind;
use uactor_core::{Address, CodecId, Error, Result, Token};

use super::async_result::{AsyncResult, CallFuture};
use super::invoke::{self, Route};
use super::link::{Deadline, Late, Link};
use super::reach::Reach;

/// A reference to an object in an actor: what every typed object proxy
/// wraps. Clones share one reference; dropping the last gives it back.
#[derive(Clone)]
pub struct ObjectRef {
    inner: Arc<Reference>,
}

enum Reference {
    /// Held by a process that reaches the object over a connection (taken
    /// on first use).
    Remote {
        reach: Reach,
        object: u64,
        typeid: String,
    },
    /// Made inside the actor by `uactor::proxy`, on its way out: it holds
    /// the reference counted on its way until it is encoded (and adopted
    /// by whoever decodes it) or dropped. `count` adds references in the
    /// actor's object table.
    Local {
        token: Token,
        handed: std::sync::atomic::AtomicBool,
        count: fn(u64, i64),
    },
}

impl Drop for Reference {
    fn drop(&mut self) {
        match self {
            // A reference never adopted stays counted in the actor until it
            // ends: giving it back would take a connection this process
            // chose not to open.
            Reference::Remote { reach, object, .. } => {
                if let Some(link) = reach.current() {
                    link.control(Kind::DecRef, *object, 0);
                }
            }
            Reference::Local {
                token,
                handed,
                count,
            } => {
                if !*handed.get_mut() {
                    count(token.object, -1);
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
        let object = token.object;
        let typeid = token.typeid.clone();
        Ok(ObjectRef {
            inner: Arc::new(Reference::Remote {
                reach: Reach::to(token, None, Some(object))?,
                object,
                typeid,
            }),
        })
    }

    /// The reference the actor's object table just counted for `token`,
    /// held in the actor until it is sent; `count` adds references in that
    /// table.
    pub(crate) fn local(token: Token, count: fn(u64, i64)) -> Self {
        ObjectRef {
            inner: Arc::new(Reference::Local {
                token,
                handed: Default::default(),
                count,
            }),
        }
    }

    /// A token for this object that another process can adopt: it carries
    /// one reference counted on its way.
    pub fn to_token(&self) -> Token {
        match &*self.inner {
            Reference::Remote {
                reach,
                object,
                typeid,
            } => {
                let token = Token {
                    address: reach.address().clone(),
                    object: *object,
                    typeid: typeid.clone(),
                    codec: reach.codec(),
                    max_frame: reach.max_frame(),
                    vouch: reach.vouch(),
                };
                // A reference that cannot be counted again travels as it
                // is: the receiver will be refused as this process was.
                let Ok(link) = reach.link() else {
                    return token;
                };
                link.control(Kind::IncRef, *object, 0);
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
                    return token;
                }
                let _ = link.call(
                    Kind::Request,
                    *object,
                    uactor_core::protocol::COUNTED_METHOD,
                    |_| Ok(()),
                    |_| Ok(()),
                    Some(Deadline::after(std::time::Duration::from_secs(10))),
                    || None,
                );
                token
            }
            Reference::Local {
                token,
                handed,
                count,
            } => {
                if handed.swap(true, Ordering::AcqRel) {
                    count(token.object, 1);
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
            Reference::Remote { reach, .. } => reach.address().clone(),
            Reference::Local { token, .. } => token.address.clone(),
        }
    }

    /// Calls method `method` of the object and waits for its result.
    pub fn call<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<R> {
        invoke::call(self, method, args)
    }

    /// Calls method `method` of the object and waits for its result; if the
    /// call runs out of time, `late` handles the reply that may still come
    /// (a built-in object undoes what it did for the caller that gave up).
    pub(crate) fn call_with<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
        late: impl FnOnce(CodecId) -> Late,
    ) -> Result<R> {
        invoke::call_with(self, method, args, late)
    }

    /// The future of a call to method `method`, whose reply, if the future
    /// is dropped first, goes to what `late` makes.
    pub(crate) fn call_async_with<A: Serialize + Send + 'static, R: DeserializeOwned>(
        &self,
        method: u16,
        args: A,
        late: impl FnOnce(CodecId) -> Late,
    ) -> CallFuture<R> {
        invoke::call_async_with(self, method, args, late)
    }

    /// Sends a call to method `method` and returns its handle at once.
    pub fn start<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<AsyncResult<R>> {
        invoke::start(self, method, args)
    }

    /// The future of a call to method `method`; nothing is sent before it
    /// is first polled.
    pub fn call_async<A: Serialize + Send + 'static, R: DeserializeOwned>(
        &self,
        method: u16,
        args: A,
    ) -> CallFuture<R> {
        invoke::call_async(self, method, args)
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

impl Route for ObjectRef {
    fn link(&self) -> Result<Link> {
        match &*self.inner {
            Reference::Remote { reach, .. } => reach.link(),
            Reference::Local { .. } => Err(Error::proxy(
                "this proxy was made in the actor to be sent out; inside the actor, use the kept value",
            )),
        }
    }

    fn object(&self) -> u64 {
        match &*self.inner {
            Reference::Remote { object, .. } => *object,
            Reference::Local { token, .. } => token.object,
        }
    }

    fn call_timeout(&self) -> Option<std::time::Duration> {
        match &*self.inner {
            Reference::Remote { reach, .. } => {
                reach.link().ok().and_then(|link| link.call_timeout())
            }
            Reference::Local { .. } => None,
        }
    }

    fn label(&self) -> &'static str {
        "object"
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
