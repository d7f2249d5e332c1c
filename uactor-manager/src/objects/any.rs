//! The dynamic form of `uactor::proxy`: `proxy_as(&value, "typeid")`,
//! which gives an [`AnyProxy`] a caller turns back into a typed proxy with
//! [`AnyProxy::downcast`]; and `actor`, the current actor handed out as a
//! value like any other.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uactor_core::frame::ACTOR_OBJECT;
use uactor_core::{Actor, Address, CodecId, Error, Result, Token};

use super::{Expose, Typed};
use crate::call::{Client, ObjectRef, ProxyClient};
use crate::host::hosted_address;
use crate::host::manager::is_hosted;

/// The actor itself (typeid `actor`): `uactor::proxy(self)` in one of its
/// methods is a proxy to it, a reference rather than an owner. Any other
/// value of the type, and any call outside the actor's process, is an
/// [`Error::Proxy`].
impl<A: Actor> Expose for A
where
    A::Proxy: ProxyClient,
{
    type Proxy = A::Proxy;

    fn expose(&self) -> Result<A::Proxy> {
        let token = crate::host::hosted_token().ok_or_else(|| {
            Error::proxy("an `actor` proxy can only be made inside an actor process")
        })?;
        if !is_hosted(self) {
            return Err(Error::proxy(format!(
                "an `actor` proxy can only be made from the actor this process hosts, not from another {}",
                A::NAME
            )));
        }
        Client::from_token(token, A::NAME).map(A::Proxy::from_client)
    }
}

/// A proxy of any typeid, as [`proxy_as`] makes it: it travels as every
/// proxy does, and [`downcast`](Self::downcast) turns it into the typed
/// proxy its typeid stands for.
#[derive(Clone)]
pub struct AnyProxy {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    /// An object in an actor's table, counted as every object proxy.
    Object(ObjectRef),
    /// An actor (object 0): not counted.
    Actor(Token),
}

impl AnyProxy {
    /// The typeid of the proxy (`"list"`, `"Queue"`, `"actor"`, …).
    pub fn typeid(&self) -> &str {
        match &self.inner {
            Inner::Object(object) => object.typeid(),
            Inner::Actor(token) => &token.typeid,
        }
    }

    /// Where the object's actor listens.
    pub fn address(&self) -> Address {
        match &self.inner {
            Inner::Object(object) => object.address(),
            Inner::Actor(token) => token.address.clone(),
        }
    }

    /// The typed proxy: `P` is the proxy type of this typeid (a
    /// `ListProxy<T>` for `list`, a `CounterProxy` for a `Counter` actor,
    /// …). Another proxy type is an [`Error::Proxy`]. The item types of a
    /// container (the `T` of `ListProxy<T>`) cannot be checked: they must
    /// be those of the kept value, as when any proxy is decoded.
    pub fn downcast<P: DeserializeOwned>(self) -> Result<P> {
        let typeid = self.typeid().to_owned();
        // The proxy travels to its typed self as it would to another
        // process: the reference it holds goes with it.
        let mut bytes = Vec::new();
        CodecId::Postcard.encode(&self, &mut bytes)?;
        drop(self);
        CodecId::Postcard.decode::<P>(&bytes).map_err(|error| {
            // Not taken: give back the reference that travelled.
            if let Ok(token) = CodecId::Postcard.decode::<Token>(&bytes) {
                drop(AnyProxy::from_token(token));
            }
            let reason = match error {
                Error::Proxy { message } => message,
                other => other.to_string(),
            };
            Error::proxy(format!(
                "a `{typeid}` proxy is not a {}: {reason}",
                std::any::type_name::<P>()
            ))
        })
    }

    /// The proxy a token that travelled here stands for: adopted when it is
    /// remote, taken back when it is this process's own.
    fn from_token(token: Token) -> Result<Self> {
        if token.object == ACTOR_OBJECT {
            return Ok(AnyProxy {
                inner: Inner::Actor(token),
            });
        }
        if hosted_address().as_ref() == Some(&token.address) {
            // Made here and not sent: it carries the reference counted when
            // it was made.
            return Ok(AnyProxy {
                inner: Inner::Object(crate::host::table::reclaim(token)),
            });
        }
        let typeid = token.typeid.clone();
        ObjectRef::from_token(token, &typeid).map(|object| AnyProxy {
            inner: Inner::Object(object),
        })
    }
}

impl Typed for AnyProxy {
    fn typeid(&self) -> &str {
        AnyProxy::typeid(self)
    }
}

impl std::fmt::Debug for AnyProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyProxy")
            .field("typeid", &self.typeid())
            .field("address", &self.address().to_string())
            .finish()
    }
}

impl Serialize for AnyProxy {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match &self.inner {
            Inner::Object(object) => object.serialize(serializer),
            Inner::Actor(token) => token.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for AnyProxy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let token = Token::deserialize(deserializer)?;
        if token.object == ACTOR_OBJECT {
            return Ok(AnyProxy {
                inner: Inner::Actor(token),
            });
        }
        let typeid = token.typeid.clone();
        ObjectRef::from_token(token, &typeid)
            .map(|object| AnyProxy {
                inner: Inner::Object(object),
            })
            .map_err(serde::de::Error::custom)
    }
}

/// A proxy to `value` as `typeid` (Python uActor's `uactor.proxy(value,
/// typeid)`): the dynamic form of [`proxy`](super::proxy). The typeid must
/// be the one `value` is handed out as (`list` for a `Shared<Vec<T>>`,
/// `Queue` for a [`Queue`](super::Queue), `actor` for the actor itself,
/// …). Another typeid, a value that is not the current actor for `actor`,
/// or a call outside an actor process: [`Error::Proxy`].
pub fn proxy_as<K>(value: &K, typeid: &str) -> Result<AnyProxy>
where
    K: Expose + ?Sized,
    K::Proxy: Typed + Serialize,
{
    if hosted_address().is_none() {
        return Err(Error::proxy(format!(
            "a `{typeid}` proxy can only be made inside an actor process, from one of its methods"
        )));
    }
    let proxy = value.expose()?;
    if proxy.typeid() != typeid {
        return Err(Error::proxy(format!(
            "`{typeid}` is not a typeid this value can be handed out as: it is handed out as `{}`",
            proxy.typeid()
        )));
    }
    // The typed proxy becomes its token, which carries its reference.
    let mut bytes = Vec::new();
    CodecId::Postcard.encode(&proxy, &mut bytes)?;
    drop(proxy);
    let token: Token = CodecId::Postcard.decode(&bytes)?;
    AnyProxy::from_token(token)
}
