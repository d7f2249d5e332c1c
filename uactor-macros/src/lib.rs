//! Procedural macros of [uactor](https://docs.rs/uactor-rs):
//! `#[uactor::actor]`, `#[uactor::remote]` and `#[uactor::interface]`.
//!
//! Use them through the `uactor` crate. What each generates, which items
//! it exposes and what it refuses is documented there, on
//! [`uactor::actor`](https://docs.rs/uactor-rs/latest/uactor/attr.actor.html),
//! [`uactor::remote`](https://docs.rs/uactor-rs/latest/uactor/attr.remote.html)
//! and
//! [`uactor::interface`](https://docs.rs/uactor-rs/latest/uactor/attr.interface.html),
//! with examples that run as that crate's doc tests.
//!
//! This crate is an implementation detail. Its output names only
//! `::uactor::…` paths (mostly `::uactor::__private::…`, which re-exports
//! what generated code calls), so a user depends on `uactor` alone. The
//! work flows parse → model (with the refusals of `check`) → codegen; a
//! refusal is reported at the user's span with what to write instead.
//!
//! On the wire, an interface call is the actor's reserved method
//! `u16::MAX` carrying `(interface id, method index, arguments)`, the id
//! being a hash of the trait's path; the actor's dispatch finds its impl of
//! the interface in a list the linker assembles.
#![forbid(unsafe_code)]

mod actor;
mod errors;

use proc_macro::TokenStream;

// The three attributes are documented on the facade's re-exports
// (`uactor::actor`, …), where users read them: rustdoc shows a
// re-export's docs followed by the item's own, so these have none.

#[allow(missing_docs)]
#[proc_macro_attribute]
pub fn actor(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::expand(args.into(), input.into()).into()
}

#[allow(missing_docs)]
#[proc_macro_attribute]
pub fn remote(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::expand_remote(args.into(), input.into()).into()
}

#[allow(missing_docs)]
#[proc_macro_attribute]
pub fn interface(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::expand_interface(args.into(), input.into()).into()
}
