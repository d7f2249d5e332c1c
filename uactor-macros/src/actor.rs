//! The attributes: parse the item, build its model, generate the output.
//!
//! - `#[uactor::actor]` on an inherent impl: the actor, its proxy, spawn
//!   functions and `Actor` impl; on `impl Trait for Type`: the actor's impl
//!   of an interface;
//! - `#[uactor::remote]` on an inherent impl: the type's object proxy;
//! - `#[uactor::interface]` on a trait: the interface's proxy.
//!
//! Each step owns one concern: [`parse`] knows the syntax (the attribute's
//! arguments, the `#[uactor(...)]` options), [`model`] decides what every
//! item is, [`check`] holds the rules that refuse what cannot cross a
//! process boundary (the model calls them as it builds), [`codegen`] writes
//! the output and nothing else.

mod check;
mod codegen;
mod model;
mod parse;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use crate::errors::Errors;
use model::Kind;

/// Expands `#[uactor::actor(args)] input`.
///
/// The errors come next to the output, which leaves out only what they
/// refuse (see the [`model`]), so the rest of the crate does not fail with
/// a cascade of "not found" errors about the proxy and `spawn` it uses.
/// Where the item as a whole is refused, or cannot be parsed, the output is
/// the user's item (minus the options only this macro understands): no
/// proxy can be written for it, and a made-up one would bring errors of its
/// own.
pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let arguments = parse::arguments(args, &mut errors);
    let input = match parse::input(input.clone(), "actor", &mut errors) {
        Ok(parsed) => parsed,
        Err(error) => return failed(errors, error, input),
    };
    if input.item.trait_.is_some() {
        let implementation = model::Implementation::from_input(input, &arguments, &mut errors);
        let output = implementation
            .usable
            .then(|| codegen::implementation(&implementation));
        return finish(errors, &implementation.item, output);
    }
    let actor = model::Actor::from_input(input, Kind::Actor, arguments, &mut errors);
    let output = actor.usable.then(|| codegen::generate(&actor));
    finish(errors, &actor.item, output)
}

/// Expands `#[uactor::remote(args)] input`.
pub(crate) fn expand_remote(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    parse::no_arguments(args, "remote", &mut errors);
    let input = match parse::input(input.clone(), "remote", &mut errors) {
        Ok(parsed) => parsed,
        Err(error) => return failed(errors, error, input),
    };
    let remote = model::Actor::from_input(
        input,
        Kind::Remote,
        parse::Arguments::default(),
        &mut errors,
    );
    let output = remote.usable.then(|| codegen::remote(&remote));
    finish(errors, &remote.item, output)
}

/// Expands `#[uactor::interface(args)] input`.
pub(crate) fn expand_interface(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    parse::no_arguments(args, "interface", &mut errors);
    let input = match parse::trait_input(input.clone(), &mut errors) {
        Ok(parsed) => parsed,
        Err(error) => return failed(errors, error, input),
    };
    let interface = model::Interface::from_input(input, &mut errors);
    let output = interface.usable.then(|| codegen::interface(&interface));
    finish(errors, &interface.item, output)
}

/// The output for an item that could not be parsed: the item as it came,
/// and every error.
fn failed(mut errors: Errors, error: syn::Error, input: TokenStream) -> TokenStream {
    errors.push(error);
    let errors = errors.finish().err().map(syn::Error::into_compile_error);
    quote!(#input #errors)
}

/// The errors, next to the generated code (which contains the item) or,
/// where there is none, the item (without its options).
fn finish(errors: Errors, item: &impl ToTokens, output: Option<TokenStream>) -> TokenStream {
    let errors = errors.finish().err().map(syn::Error::into_compile_error);
    match output {
        Some(output) => quote!(#output #errors),
        None => quote!(#item #errors),
    }
}
