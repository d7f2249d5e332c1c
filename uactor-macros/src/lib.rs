//! Procedural macros of [uactor](https://docs.rs/uactor-rs).
//!
//! Use them through the `uactor` crate (`#[uactor::actor]`); this crate is
//! an implementation detail and its output only names `::uactor::…` paths,
//! so a user depends on `uactor` alone.
//!
//! # `#[uactor::actor]`
//!
//! Goes on an inherent impl block and turns the type into an actor, whose
//! values live in their own process:
//!
//! ```ignore
//! pub struct Counter { n: i64 }
//!
//! #[uactor::actor]
//! impl Counter {
//!     pub fn new(start: i64) -> Self { Counter { n: start } }        // the constructor
//!     pub fn add(&mut self, by: i64) -> i64 { self.n += by; self.n }  // exposed
//!     pub fn get(&self) -> i64 { self.n }                             // exposed
//!     #[uactor(skip)] pub fn local(&self) {}                          // kept, not exposed
//!     fn helper(&self) {}                                             // kept, not exposed
//!     fn shutdown(&mut self) { println!("bye") }                      // the shutdown hook
//! }
//! ```
//!
//! The impl block is kept as written (minus its `#[uactor(...)]` options) and
//! the macro adds:
//!
//! - `CounterProxy` (the type's name + `Proxy`): a `Clone + Debug` handle with
//!   one method per exposed method, same name and parameters, returning
//!   `uactor::Result<T>` where the actor's method returns `T`. It also has the
//!   built-ins `pid()`, `address()` and `shutdown()`, as inherent methods and
//!   through `uactor::Proxy`; an exposed method with a built-in's name takes
//!   its place on the proxy, and the built-in stays reachable as
//!   `uactor::Proxy::pid(&proxy)`.
//! - `Counter::spawn(start)` and `Counter::spawn_with(&options, start)`,
//!   taking the constructor's parameters, which start the actor in a new
//!   process and return its proxy; `Counter::connect(&address, authkey)` and
//!   `Counter::typeids()`. The impl block cannot define these names itself.
//! - Inside `const _: () = { … };`: the `Actor` impl (construction, dispatch
//!   of method indices, the shutdown hook), the actor's registration, so a
//!   spawned process can find the type by name, and compile-time checks that
//!   the actor is `Send` and that every argument and result can travel
//!   between processes.
//!
//! Which items do what:
//!
//! - **Constructor**: `fn new(..) -> Self` or `fn new(..) -> Result<Self, E>`
//!   with `E: Display` (any path ending in `Result`); its parameters are
//!   `spawn`'s, and an `Err` is `spawn`'s error. Without `new`, the type must
//!   be `Default` and `spawn()` takes no arguments.
//! - **Exposed methods**: `pub fn` taking `&self` or `&mut self`. A method's
//!   index on the wire is its position among the exposed methods, in
//!   declaration order.
//! - **Shutdown hook**: a `fn shutdown(&mut self)` that is not `pub` runs in
//!   the actor just before its process exits. A `pub fn shutdown` is an
//!   ordinary exposed method.
//! - **Kept, not exposed**: methods that are not `pub`, associated functions
//!   without a receiver, and anything marked `#[uactor(skip)]` (on `new` or a
//!   private `shutdown`, `skip` also stops them being the constructor or the
//!   hook).
//!
//! Arguments and results cross a process boundary, so they must be owned
//! (`String`, not `&str`) and implement `serde::Serialize` and
//! `serde::de::DeserializeOwned`; the compiler says so at the offending type.
//! Closures and function pointers (`Box<dyn Fn(..)>`, `fn(..)`, anywhere in
//! the type) cannot be sent between processes: pass data, or a
//! `uactor::Method` handle for a callback. Generic methods, `impl Trait`
//! types, `self` by value and more than 16 parameters are refused with an
//! error that says what to write instead.
//!
//! The actor itself must be `Send`: its methods run on whichever thread of
//! its process read the request (one at a time, behind a lock), so it moves
//! between threads. An actor that is not (an `Rc` field) is reported first
//! with that reason, at the impl block; share state through `Arc<Mutex<T>>`.
//!
//! Every exposed method `m` also gets a handle on the proxy, `m_ref()`: a
//! `uactor::Method<(A, B,), R>` that travels to another actor, which calls
//! it back with `call((a, b))` (Python uActor's callbacks). The rule has no
//! exception, so `pid_` gets `pid__ref`; an exposed method named like another
//! one's handle (`log_ref` next to `log`) is an error that names both. The
//! generated items are named after the user's type and methods, so they
//! never trip the naming lints (`non_snake_case`, `non_camel_case_types`),
//! which judge those names where the user wrote them.
//!
//! A refusal leaves out only what it refuses, and everything else is
//! generated, so the refusal is the only error: a refused method is not on
//! the proxy, and a refused `new` leaves `spawn` taking its parameters as
//! written (the actor cannot be built, but the crate does not build either).
//! An impl block refused as a whole (generic, or not of a named type) comes
//! out as written, with no proxy: any made-up one would bring errors of its
//! own.
//!
//! The arguments of `#[uactor::actor(proxies(MyType, ...))]` register
//! `#[uactor::remote]` types the actor hands out under their own typeid (the
//! type's name, listed by `Type::typeids()`); `actor`, `auto` and the
//! built-in typeids cannot be taken.
//!
//! # `#[uactor::remote]`
//!
//! Goes on any type's inherent impl block (Python uActor's `auto` typeid). The
//! macro adds `DataProxy`, with one call per `pub fn` taking `&self` or
//! `&mut self` (and its `_ref` handle), and implements `uactor::Remote` for
//! the type, so that inside an actor `uactor::proxy(&shared)` on a
//! `uactor::Shared<Data>` returns a `DataProxy`. The value stays in the
//! actor while some proxy anywhere refers to it.
//!
//! ```ignore
//! pub struct Account { balance: u64 }
//!
//! #[uactor::remote]
//! impl Account {
//!     pub fn deposit(&mut self, amount: u64) -> u64 { self.balance += amount; self.balance }
//! }
//!
//! #[uactor::actor(proxies(Account))] // optional: typeid `Account` instead of `auto`
//! impl Bank {
//!     pub fn account(&self) -> uactor::Result<AccountProxy> { uactor::proxy(&self.account) }
//! }
//! ```
//!
//! # `#[uactor::interface]`
//!
//! Goes on a trait (Python uActor's inheritance). The macro adds `FelineProxy`
//! (and its async twin), with one call per method taking `&self` or `&mut
//! self`. `#[uactor::actor]` on an actor's `impl Feline for Cat` makes the
//! actor serve those methods and gives `From<CatProxy> for FelineProxy`, so
//! one `Vec<FelineProxy>` holds cats and tigers. The trait's methods cannot
//! name `Self` in their arguments or results (the proxy does not know which
//! actor it reaches). The impl names both proxies by the paths written in
//! `impl Feline for Cat`, so `FelineProxy` and `CatProxy` must be in scope
//! there as `Feline` and `Cat` are (import them next to the trait and type).
//!
//! ```ignore
//! #[uactor::interface]
//! pub trait Feline { fn greet(&self) -> String; }
//!
//! #[uactor::actor]
//! impl Feline for Cat { fn greet(&self) -> String { "Meow.".into() } }
//!
//! let feline: FelineProxy = Cat::spawn()?.into();
//! ```
//!
//! On the wire, an interface call is the actor's reserved method
//! `u16::MAX` carrying `(interface id, method index, arguments)`, the id
//! being a hash of the trait's path; the actor's dispatch finds its impl of
//! the interface in a list the linker assembles.
#![forbid(unsafe_code)]

mod actor;
mod errors;

use proc_macro::TokenStream;

/// Turns an inherent impl block into an actor with a typed proxy; on
/// `impl Trait for Type`, makes the actor serve a `#[uactor::interface]`.
///
/// See the [crate documentation](crate) for what it generates and which
/// items it exposes.
#[proc_macro_attribute]
pub fn actor(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::expand(args.into(), input.into()).into()
}

/// Gives a type's `pub` methods a proxy, so its values can stay in an actor
/// and be handed out by proxy (Python uActor's `auto` typeid).
///
/// See the [crate documentation](crate#uactorremote).
#[proc_macro_attribute]
pub fn remote(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::expand_remote(args.into(), input.into()).into()
}

/// Gives a trait a proxy that reaches every actor whose impl of the trait is
/// marked `#[uactor::actor]` (Python uActor's inheritance).
///
/// See the [crate documentation](crate#uactorinterface).
#[proc_macro_attribute]
pub fn interface(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::expand_interface(args.into(), input.into()).into()
}
