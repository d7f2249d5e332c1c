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
/// On error the user's item is still emitted (minus the options only this
/// macro understands) next to the errors, so the rest of the crate does not
/// fail with a cascade of "not found" errors about the methods it calls.
pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let arguments = parse::arguments(args, &mut errors);
    let input = match parse::input(input.clone(), "actor", &mut errors) {
        Ok(parsed) => parsed,
        Err(error) => return failed(errors, error, input),
    };
    if input.item.trait_.is_some() {
        let implementation = model::Implementation::from_input(input, &arguments, &mut errors);
        return finish(errors, &implementation.item, || {
            codegen::implementation(&implementation)
        });
    }
    let actor = model::Actor::from_input(input, Kind::Actor, arguments, &mut errors);
    finish(errors, &actor.item, || codegen::generate(&actor))
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
    finish(errors, &remote.item, || codegen::remote(&remote))
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
    finish(errors, &interface.item, || codegen::interface(&interface))
}

/// The output for an item that could not be parsed: the item as it came,
/// and every error.
fn failed(mut errors: Errors, error: syn::Error, input: TokenStream) -> TokenStream {
    errors.push(error);
    let errors = errors.finish().err().map(syn::Error::into_compile_error);
    quote!(#input #errors)
}

/// The generated code, or the item (without its options) and the errors.
fn finish(
    errors: Errors,
    item: &impl ToTokens,
    generate: impl FnOnce() -> TokenStream,
) -> TokenStream {
    match errors.finish() {
        Ok(()) => generate(),
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#item #error)
        }
    }
}
