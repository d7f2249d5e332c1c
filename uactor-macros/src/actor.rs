//! `#[uactor::actor]`: parse the impl block, build the model of the actor,
//! generate its proxy, spawn functions and `Actor` impl.
//!
//! Each step owns one concern: [`parse`] knows the syntax (the attribute's
//! arguments, the `#[uactor(...)]` options), [`model`] decides what every
//! item is and refuses what cannot cross a process boundary, [`codegen`]
//! writes the output and nothing else.

mod codegen;
mod model;
mod parse;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

/// Expands `#[uactor::actor(args)] input`.
///
/// On error the user's item is still emitted (minus the options only this
/// macro understands) next to the errors, so the rest of the crate does not
/// fail with a cascade of "not found" errors about the methods it calls.
pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    parse::arguments(args, &mut errors);
    let input = match parse::input(input.clone(), &mut errors) {
        Ok(parsed) => parsed,
        Err(error) => {
            errors.push(error);
            let errors = errors.finish().err().map(syn::Error::into_compile_error);
            return quote!(#input #errors);
        }
    };
    let actor = model::Actor::from_input(input, &mut errors);
    match errors.finish() {
        Ok(()) => codegen::generate(&actor),
        Err(error) => {
            let item = &actor.item;
            let error = error.into_compile_error();
            quote!(#item #error)
        }
    }
}
