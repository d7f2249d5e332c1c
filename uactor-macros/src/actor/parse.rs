//! The syntax the attributes accept: `#[uactor::actor]`'s arguments
//! (`proxies(...)`), the item each attribute is on (an impl block, or a
//! trait for `#[uactor::interface]`), and the `#[uactor(...)]` options on
//! that item's methods, which are taken out of the output.
//!
//! What the items mean is the model's business, not this module's.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, Item, ItemImpl, ItemTrait, Path, Token, TraitItem};

use crate::errors::Errors;

/// The impl block under the attribute, with the `#[uactor(...)]` options of
/// its items taken out.
pub(crate) struct Input {
    /// The impl block as the user wrote it, minus the options.
    pub(crate) item: ItemImpl,
    /// The options of `item.items[i]`, at index `i`.
    pub(crate) options: Vec<ItemOptions>,
}

/// The trait under `#[uactor::interface]`, with the `#[uactor(...)]`
/// options of its items taken out.
pub(crate) struct TraitInput {
    /// The trait as the user wrote it, minus the options.
    pub(crate) item: ItemTrait,
    /// The options of `item.items[i]`, at index `i`.
    pub(crate) options: Vec<ItemOptions>,
}

/// The `#[uactor(...)]` options of one item.
#[derive(Debug, Default)]
pub(crate) struct ItemOptions {
    /// `#[uactor(skip)]`: keep the item out of the proxy (where the `skip`
    /// is written).
    pub(crate) skip: Option<Span>,
    /// `#[uactor(proxy)]`: the proxy gets a proxy to the method's result,
    /// which stays in the actor (Python uActor's `_method_to_typeid_`).
    pub(crate) proxy: Option<Span>,
}

impl ItemOptions {
    /// Where the first option is written, if any.
    pub(crate) fn first(&self) -> Option<Span> {
        self.skip.or(self.proxy)
    }
}

/// The arguments of `#[uactor::actor(...)]`.
#[derive(Default)]
pub(crate) struct Arguments {
    /// `proxies(A, b::B)`: `#[uactor::remote]` types the actor hands out
    /// under their own typeid (Python uActor's `_proxies_`).
    pub(crate) proxies: Vec<Path>,
    /// Where `proxies` is written, for errors about where it cannot be.
    pub(crate) proxies_span: Option<Span>,
}

/// Parses `#[uactor::actor]`'s arguments: `proxies(MyType, ...)`, or none.
pub(crate) fn arguments(args: TokenStream, errors: &mut Errors) -> Arguments {
    let mut arguments = Arguments::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("proxies") {
            if arguments.proxies_span.is_some() {
                return Err(
                    meta.error("`proxies` is given twice: list every type in one `proxies(...)`")
                );
            }
            arguments.proxies_span = Some(meta.path.span());
            if !meta.input.peek(syn::token::Paren) {
                return Err(meta.error(
                    "`proxies` lists `#[uactor::remote]` types: write `proxies(MyType, OtherType)`",
                ));
            }
            return meta.parse_nested_meta(|inner| {
                if !inner.input.is_empty() && !inner.input.peek(Token![,]) {
                    return Err(inner.error(
                        "`proxies` lists types by path: write `proxies(MyType, other::Type)`",
                    ));
                }
                arguments.proxies.push(inner.path);
                Ok(())
            });
        }
        Err(meta.error(format_args!(
            "unknown argument `{}`: the one argument of `#[uactor::actor]` is `proxies`, as in \
             `#[uactor::actor(proxies(MyType))]`, which registers `#[uactor::remote]` types under \
             their own typeid",
            display(&meta.path),
        )))
    });
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    arguments
}

/// Refuses any argument: `#[uactor::remote]` and `#[uactor::interface]`
/// take none.
pub(crate) fn no_arguments(args: TokenStream, attribute: &str, errors: &mut Errors) {
    let parser = syn::meta::parser(|meta| {
        Err(meta.error(format_args!(
            "unknown argument `{}`: `#[uactor::{attribute}]` takes no arguments; write `#[uactor::{attribute}]`",
            display(&meta.path),
        )))
    });
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
}

/// Parses the item under the attribute, which must be an impl block, and
/// takes out its items' `#[uactor(...)]` options.
pub(crate) fn input(
    input: TokenStream,
    attribute: &str,
    errors: &mut Errors,
) -> syn::Result<Input> {
    let mut item = match syn::parse2::<Item>(input)? {
        Item::Impl(item) => item,
        other => return Err(not_an_impl(&other, attribute)),
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

/// Parses the trait under `#[uactor::interface]` and takes out its items'
/// `#[uactor(...)]` options.
pub(crate) fn trait_input(input: TokenStream, errors: &mut Errors) -> syn::Result<TraitInput> {
    let mut item = match syn::parse2::<Item>(input)? {
        Item::Trait(item) => item,
        Item::Impl(item) => {
            let message = match &item.trait_ {
                Some((path, _)) => format!(
                    "`#[uactor::interface]` goes on the trait definition; an actor's impl of it takes \
                     `#[uactor::actor]`: write `#[uactor::actor] impl {} for {} {{ ... }}`",
                    display(path),
                    display(&item.self_ty),
                ),
                None => "`#[uactor::interface]` goes on a trait: write `#[uactor::interface] pub trait \
                         MyInterface { ... }`, or `#[uactor::remote]` on this impl block to hand out \
                         values of the type by proxy"
                    .to_owned(),
            };
            let (impl_token, self_ty) = (&item.impl_token, &item.self_ty);
            return Err(syn::Error::new_spanned(
                quote::quote!(#impl_token #self_ty),
                message,
            ));
        }
        other => {
            return Err(syn::Error::new(
                first_token_span(&other),
                "`#[uactor::interface]` goes on a trait: write `#[uactor::interface] pub trait MyInterface { ... }`",
            ));
        }
    };
    let options = item
        .items
        .iter_mut()
        .map(|item| match item {
            TraitItem::Fn(item) => take_options(&mut item.attrs, errors),
            TraitItem::Const(item) => take_options(&mut item.attrs, errors),
            TraitItem::Type(item) => take_options(&mut item.attrs, errors),
            TraitItem::Macro(item) => take_options(&mut item.attrs, errors),
            _ => ItemOptions::default(),
        })
        .collect();
    Ok(TraitInput { item, options })
}

/// The error for `#[uactor::{attribute}]` on anything but an impl block, at
/// the item's keyword and name.
fn not_an_impl(item: &Item, attribute: &str) -> syn::Error {
    let usage = format!(
        "`#[uactor::{attribute}]` goes on the type's impl block: write `#[uactor::{attribute}] impl MyType {{ ... }}`"
    );
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
                "`#[uactor::{attribute}]` goes on an impl block, not on a trait: mark the trait \
                 `#[uactor::interface]`, and each actor's impl of it `#[uactor::actor] impl {name} for MyActor {{ ... }}`",
            );
            return syn::Error::new_spanned(quote::quote!(#keyword #name), message);
        }
        other => return syn::Error::new(first_token_span(other), usage),
    };
    syn::Error::new_spanned(
        tokens,
        format!(
            "`#[uactor::{attribute}]` goes on the type's impl block, not on the {kind} definition: write `#[uactor::{attribute}] impl {name} {{ ... }}`",
        ),
    )
}

/// The span of an item's first token, so an error does not underline a
/// whole function body.
fn first_token_span(item: &Item) -> Span {
    item.to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
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
