//! Objects that stay in the actor and are used through proxies: Python
//! uActor's result proxies (`_method_to_typeid_`, `uactor.proxy`).
//!
//! A method hands out a proxy to something it keeps; the value stays in the
//! actor's process while some proxy anywhere refers to it, and each call on
//! the proxy runs there:
//!
//! | kept in the actor as | proxy | typeid |
//! |---|---|---|
//! | [`Shared<Vec<T>>`](Shared) | [`ListProxy<T>`] | `list` |
//! | [`Shared<HashMap<K, V>>`](Shared) | [`DictProxy<K, V>`] | `dict` |
//! | [`Value<T>`] | [`ValueProxy<T>`] | `Value` |
//! | any `Iterator + Send` ([`proxy_iter`]) | [`IteratorProxy<T>`] | `Iterator` |
//! | a `Shared<T>` of a [`#[uactor::remote]`](crate::remote) type | its `TProxy` | `auto` |
//! | the actor itself ([`this`]) | its `{Type}Proxy` | `actor` |
//! | [`sync`](crate::sync)'s `Event`, `Lock`, `Queue`, … | `EventProxy`, … | `Event`, … |
//!
//! [`proxy`] is typed by what is kept (a [`Shared<Vec<T>>`](Shared) gives a
//! [`ListProxy<T>`]); [`proxy_as`] is the dynamic form that takes a typeid
//! and gives an [`AnyProxy`]. Both work only inside an actor process, and
//! fail with [`Error::Proxy`] elsewhere. A method can
//! also say it declaratively, `#[uactor(proxy)]`, and return what it keeps.
//!
//! ```
//! use std::collections::HashMap;
//! use uactor::objects::{DictProxy, ListProxy, Shared};
//!
//! pub struct Store { items: Shared<Vec<i64>>, index: Shared<HashMap<String, i64>> }
//!
//! #[uactor::actor]
//! impl Store {
//!     pub fn new() -> Self {
//!         Store { items: Shared::new(vec![1, 2, 3]), index: Shared::new(HashMap::new()) }
//!     }
//!
//!     #[uactor(proxy)] // declarative: Python uActor's `_method_to_typeid_`
//!     pub fn items(&self) -> Shared<Vec<i64>> { self.items.clone() }
//!
//!     pub fn index(&self) -> uactor::Result<DictProxy<String, i64>> {
//!         uactor::objects::proxy(&self.index) // explicit: Python uActor's `uactor.proxy`
//!     }
//! }
//!
//! # fn main() -> uactor::Result<()> {
//! let store = Store::spawn()?;
//! let items: ListProxy<i64> = store.items()?;
//! items.push(4)?;
//! assert_eq!(items.to_vec()?, vec![1, 2, 3, 4]);
//! assert_eq!(uactor::objects::typeid(&items), "list");
//! store.index()?.insert("four".into(), 4)?;
//! assert_eq!(store.index()?.get(&"four".into())?, Some(4));
//! # store.shutdown()
//! # }
//! ```

use uactor_core::{Actor, Error, Proxy, Result};

pub use uactor_manager::{
    AnyProxy, DictProxy, Expose, IteratorProxy, ListProxy, Remote, Shared, Typed, Value,
    ValueProxy, proxy, proxy_as, proxy_iter, typeid,
};

/// A proxy to the actor this code runs in (typeid `actor`), to hand out
/// from one of its methods: a reference, not an owner. Outside an actor
/// process of type `A`: [`Error::Proxy`].
///
/// ```
/// #[derive(Default)]
/// pub struct Node { peers: Vec<NodeProxy> }
///
/// #[uactor::actor]
/// impl Node {
///     pub fn me(&self) -> uactor::Result<NodeProxy> { uactor::this::<Node>() }
///     pub fn id(&self) -> u32 { std::process::id() }
/// }
///
/// # fn main() -> uactor::Result<()> {
/// let node = Node::spawn()?;
/// assert_eq!(node.me()?.id()?, node.pid());
/// assert!(uactor::this::<Node>().is_err()); // not inside a `Node`'s process
/// # node.shutdown()
/// # }
/// ```
pub fn this<A: Actor>() -> Result<A::Proxy> {
    let token = uactor_manager::hosted_token()
        .ok_or_else(|| Error::proxy("uactor::this works only inside an actor process"))?;
    A::Proxy::from_token(token)
}
