//! `auto`: objects of any type with a `#[uactor::remote]` impl, kept in an
//! actor as [`Shared<T>`] and served by method index, and the custom
//! typeids actors register them under (`#[uactor::actor(proxies(T))]`).
//!
//! The macro implements [`Remote`] for the user's type; the blanket
//! `impl<T: Remote> Expose for Shared<T>` here is what makes
//! `uactor::proxy(&shared)` return the type's generated proxy. (An
//! `impl Expose for Shared<UserType>` in the user's crate would break the
//! orphan rule: both `Expose` and `Shared` are foreign there.) It does not
//! overlap the `Shared<Vec<T>>` and `Shared<HashMap<K, V>>` impls because
//! no crate can implement `Remote` for `Vec<T>` or `HashMap<K, V>`: both
//! the trait and those types are foreign everywhere but here.

use std::any::TypeId;
use std::sync::Arc;

use uactor_core::{Actor, Call, Result, typeid};

use super::{Expose, Shared};
use crate::call::ObjectRef;
use crate::host::{Served, expose};

/// A type whose `pub` methods can be called through a proxy while its
/// values stay in an actor: implemented by `#[uactor::remote]` on the
/// type's impl block, not by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[uactor::remote]` type",
    label = "handed out by proxy, or registered as a custom proxy, here",
    note = "put `#[uactor::remote]` on the type's impl block: `#[uactor::remote] impl {Self} {{ ... }}`"
)]
pub trait Remote: Sized + Send + 'static {
    /// The generated `{Type}Proxy`.
    type Proxy;

    /// The type's name: its typeid where an actor registers it with
    /// `#[uactor::actor(proxies(Type))]`.
    const NAME: &'static str;

    /// The proxy around a reference to a kept value.
    #[doc(hidden)]
    fn proxy(object: ObjectRef) -> Self::Proxy;

    /// Runs method `method` on `kept` with the arguments in `call`.
    #[doc(hidden)]
    fn serve(kept: &Shared<Self>, method: u16, call: &mut Call<'_>) -> Result<()>;
}

/// A kept value in the object table.
struct Object<T> {
    kept: Shared<T>,
    typeid: &'static str,
}

impl<T: Remote> Served for Object<T> {
    fn typeid(&self) -> &'static str {
        self.typeid
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        T::serve(&self.kept, method, call)
    }
}

impl<T: Remote> Expose for Shared<T> {
    type Proxy = T::Proxy;

    fn expose(&self) -> Result<T::Proxy> {
        let object = Object {
            kept: self.clone(),
            typeid: typeid_of::<T>(),
        };
        let object = expose(Arc::new(object), self.identity())?;
        Ok(T::proxy(object))
    }
}

/// Actor `A`'s registration of `T` under `T`'s name, for the registry of
/// custom typeids ([`typeid::CUSTOM`]).
pub const fn custom_proxy<A: Actor, T: Remote>() -> typeid::Custom {
    typeid::Custom::new(TypeId::of::<A>, A::NAME, TypeId::of::<T>, T::NAME)
}

/// The typeid values of `T` are handed out as: its name where an actor of
/// this binary registers it, else `auto`.
pub fn typeid_of<T: Remote>() -> &'static str {
    typeid::of_kept(TypeId::of::<T>())
}

/// Whether a proxy of `T` may be decoded from a token of `typeid`.
fn accepts<T: Remote>(typeid: &str) -> bool {
    typeid == typeid::AUTO || typeid == T::NAME
}

/// Decodes the reference a `T` proxy travels as.
pub fn deserialize_remote<'de, T: Remote, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<ObjectRef, D::Error> {
    let token = <uactor_core::Token as serde::Deserialize>::deserialize(deserializer)?;
    if !accepts::<T>(&token.typeid) {
        return Err(serde::de::Error::custom(format!(
            "a `{}` proxy cannot be decoded as a proxy to a {}",
            token.typeid,
            T::NAME
        )));
    }
    let typeid = token.typeid.clone();
    ObjectRef::from_token(token, &typeid).map_err(serde::de::Error::custom)
}
