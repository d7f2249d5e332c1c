//! The syntax `#[uactor::actor]` accepts: its (for now empty) argument list,
//! the item it is on, which must be an impl block, and the `#[uactor(...)]`
//! options on that block's items, which are taken out of the output.
//!
//! What the items mean is the model's business, not this module's.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, Item, ItemImpl, Token};

use crate::errors::Errors;

/// The impl block under the attribute, with the `#[uactor(...)]` options of
/// its items taken out.
pub(crate) struct Input {
    /// The impl block as the user wrote it, minus the options.
    pub(crate) item: ItemImpl,
    /// The options of `item.items[i]`, at index `i`.
    pub(crate) options: Vec<ItemOptions>,
}

/// The `#[uactor(...)]` options of one item of the impl block.
#[derive(Debug, Default)]
pub(crate) struct ItemOptions {
    /// `#[uactor(skip)]`: keep the item out of the actor's interface (where
    /// the `skip` is written).
    pub(crate) skip: Option<Span>,
    /// `#[uactor(proxy)]`: the proxy gets a proxy to the method's result,
    /// which stays in the actor (the seed's `_method_to_typeid_`).
    pub(crate) proxy: Option<Span>,
}

/// Checks the attribute's own arguments: there are none yet.
pub(crate) fn arguments(args: TokenStream, errors: &mut Errors) {
    let parser = syn::meta::parser(|meta| {
        Err(meta.error(format_args!(
            "unknown argument `{}`: `#[uactor::actor]` takes no arguments; write `#[uactor::actor]`",
            display(&meta.path),
        )))
    });
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
}

/// Parses the item under the attribute, which must be an impl block, and
/// takes out its items' `#[uactor(...)]` options.
pub(crate) fn input(input: TokenStream, errors: &mut Errors) -> syn::Result<Input> {
    let mut item = match syn::parse2::<Item>(input)? {
        Item::Impl(item) => item,
        other => return Err(not_an_impl(&other)),
    };
    let options = item
        .items
        .iter_mut()
        .map(|item| match item {
            ImplItem::Fn(item) => take_options(&mut item.attrs, errors),
            ImplItem::Const(item) => take_options(&mut item.attrs, errors),
            ImplItem::Type(item) => take_options(&mut item.attrs, errors),
            ImplItem::Macro(item) => take_options(&mut item.attrs, errors),
            _ => ItemOptions::default(),
        })
        .collect();
    Ok(Input { item, options })
}

/// The error for the attribute on anything but an impl block, at the item's
/// keyword and name.
fn not_an_impl(item: &Item) -> syn::Error {
    const USAGE: &str =
        "`#[uactor::actor]` goes on the type's impl block: write `#[uactor::actor] impl MyType { ... }`";
    let (tokens, kind, name) = match item {
        Item::Struct(item) => {
            let (keyword, name) = (&item.struct_token, &item.ident);
            (quote::quote!(#keyword #name), "struct", name)
        }
        Item::Enum(item) => {
            let (keyword, name) = (&item.enum_token, &item.ident);
            (quote::quote!(#keyword #name), "enum", name)
        }
        Item::Union(item) => {
            let (keyword, name) = (&item.union_token, &item.ident);
            (quote::quote!(#keyword #name), "union", name)
        }
        Item::Trait(item) => {
            let (keyword, name) = (&item.trait_token, &item.ident);
            let message = format!(
                "`#[uactor::actor]` goes on an impl block, not on a trait (interfaces such as `{name}` are not supported yet): write `#[uactor::actor] impl MyType {{ ... }}`",
            );
            return syn::Error::new_spanned(quote::quote!(#keyword #name), message);
        }
        other => return syn::Error::new(first_token_span(other), USAGE),
    };
    syn::Error::new_spanned(
        tokens,
        format!(
            "`#[uactor::actor]` goes on the type's impl block, not on the {kind} definition: write `#[uactor::actor] impl {name} {{ ... }}`",
        ),
    )
}

/// The span of an item's first token, so an error does not underline a
/// whole function body.
fn first_token_span(item: &Item) -> Span {
    item.to_token_stream().into_iter().next().map_or_else(Span::call_site, |token| token.span())
}

/// Removes every `#[uactor(...)]` attribute from `attrs` and returns the
/// options they set; an unknown or malformed option is an error at its span.
fn take_options(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> ItemOptions {
    let mut options = ItemOptions::default();
    attrs.retain(|attr| {
        if !attr.path().is_ident("uactor") {
            return true;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                    return Err(meta.error("`skip` takes no value: write `#[uactor(skip)]`"));
                }
                if options.skip.is_some() {
                    return Err(meta.error("`skip` is given twice: write it once"));
                }
                options.skip = Some(meta.path.span());
                return Ok(());
            }
            if meta.path.is_ident("proxy") {
                if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                    return Err(meta.error("`proxy` takes no value: write `#[uactor(proxy)]`"));
                }
                if options.proxy.is_some() {
                    return Err(meta.error("`proxy` is given twice: write it once"));
                }
                options.proxy = Some(meta.path.span());
                return Ok(());
            }
            Err(meta.error(format_args!(
                "unknown option `{}`: the `#[uactor(...)]` options are `skip`, which keeps a \
                 `pub` method out of the proxy, and `proxy`, which hands its result out by proxy",
                display(&meta.path),
            )))
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
        false
    });
    options
}

/// Renders tokens for a message the way a user writes them: `Box<Self>`, not
/// `Box < Self >`.
pub(crate) fn display(tokens: &impl ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
        ("[ ", "["),
        (" ]", "]"),
        ("( ", "("),
        (" )", ")"),
        (" ;", ";"),
    ] {
        text = text.replace(from, to);
    }
    text
}
