//! What the generated code needs to know, one model per attribute:
//!
//! - [`Actor`]: an actor's (or, with [`Kind::Remote`], a `#[uactor::remote]`
//!   type's) type, constructor, exposed methods at their indices, shutdown
//!   hook and custom typeids;
//! - [`Implementation`]: an actor's `#[uactor::actor] impl Trait for Type`;
//! - [`Interface`]: a `#[uactor::interface]` trait and its methods.
//!
//! Building a model decides what every item of the user's is: the
//! constructor, an exposed method and its index, the shutdown hook, or
//! none of these. What cannot work across a process boundary is refused
//! by the rules in [`check`], which the builders call as they go. This
//! module writes no output code.
//!
//! A refusal leaves out only what it refuses: a refused method is not in
//! the model, a refused constructor keeps just the parameters `spawn` takes,
//! a refused hook is no hook. The rest of the model stays whole, so the
//! generated code serves the crate's uses of the proxy and of `spawn`, and
//! the user reads only the refusal. A model is `usable: false` only where
//! the item as a whole is refused (a generic impl, a type that is not a
//! plain path), since then no proxy could be written for it.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident};
use syn::ext::IdentExt;
use syn::{
    Attribute, FnArg, GenericArgument, Generics, Ident, ImplItem, ItemImpl, ItemTrait, Pat, Path,
    PathArguments, ReturnType, Signature, TraitItem, Type, TypePath, Visibility,
};

use super::check::{self, Crossing};
use super::parse::{Arguments, Input, ItemOptions, TraitInput};
use crate::errors::Errors;

/// What an impl block under an attribute becomes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// `#[uactor::actor]`: the type lives in its own process.
    Actor,
    /// `#[uactor::remote]`: values of the type stay in an actor and are
    /// handed out by proxy (typeid `auto`, or its name where registered).
    Remote,
}

/// An actor, or a `#[uactor::remote]` type, as the macros generate code
/// for it.
pub(crate) struct Actor {
    /// Which attribute it is under.
    pub(crate) kind: Kind,
    /// Whether code can be generated for it: `false` where the impl block
    /// as a whole is refused (already reported).
    pub(crate) usable: bool,
    /// The user's impl block, without its `#[uactor(...)]` options; it is
    /// emitted as it is.
    pub(crate) item: ItemImpl,
    /// The type as written after `impl`, e.g. `Counter`.
    pub(crate) self_ty: TypePath,
    /// The type's own name (the last segment of `self_ty`), without `r#`.
    pub(crate) name: String,
    /// The generated proxy's name: `CounterProxy`.
    pub(crate) proxy: Ident,
    /// How the actor process builds the actor (always `Default` for a
    /// remote type, which is never built by uactor).
    pub(crate) constructor: Constructor,
    /// The exposed methods, in index order.
    pub(crate) methods: Vec<Method>,
    /// The private `fn shutdown(&mut self)`, if there is one (actors only).
    pub(crate) shutdown_hook: Option<Ident>,
    /// `proxies(...)`: the `#[uactor::remote]` types the actor registers
    /// under their own typeid.
    pub(crate) proxies: Vec<Path>,
    /// The functions the macro defines on the type (`spawn`, `connect`, …)
    /// that the user's impl block defines itself (already reported, but for
    /// the `pool` shortcuts, which are simply left out): they are not
    /// generated, so that no second error says they are defined twice.
    pub(crate) taken: Vec<&'static str>,
}

/// An actor's impl of an interface: `#[uactor::actor] impl Feline for Cat`.
pub(crate) struct Implementation {
    /// Whether code can be generated for it: `false` where the impl is
    /// generic or names no one type and interface (already reported).
    pub(crate) usable: bool,
    /// The user's impl block, emitted as it is.
    pub(crate) item: ItemImpl,
    /// The actor's type, `Cat`.
    pub(crate) self_ty: TypePath,
    /// The actor's proxy, `CatProxy`, at the path of the actor's type.
    pub(crate) actor_proxy: Path,
    /// The interface's proxy, `FelineProxy`, at the path of the trait.
    pub(crate) interface_proxy: Path,
}

/// A `#[uactor::interface]` trait.
pub(crate) struct Interface {
    /// Whether code can be generated for it: `false` where the trait is
    /// generic or an auto trait (already reported).
    pub(crate) usable: bool,
    /// The user's trait, without its `#[uactor(...)]` options.
    pub(crate) item: ItemTrait,
    /// The trait's name, without `r#`.
    pub(crate) name: String,
    /// The proxy's name: `FelineProxy`.
    pub(crate) proxy: Ident,
    /// The exposed methods, in index order.
    pub(crate) methods: Vec<Method>,
}

/// How the actor process builds the actor from `spawn`'s arguments.
pub(crate) enum Constructor {
    /// No `new`: `Default::default()`, and `spawn()` takes no arguments.
    Default,
    /// `fn new(..)`, whose parameters are `spawn`'s.
    New {
        /// `new`, with the user's span.
        ident: Ident,
        /// The parameters, which `spawn` takes too.
        params: Vec<Param>,
        /// Whether `new` returns `Result<Self, E>` rather than `Self`.
        fallible: bool,
    },
    /// A `fn new` that cannot be the constructor (already reported). The
    /// actor cannot be built, but `spawn` still takes `new`'s parameters,
    /// as written, so that the crate's calls of `spawn` type-check and the
    /// refusal is the only error.
    Refused {
        /// `new`'s generic parameters and where clause.
        generics: Generics,
        /// `new`'s parameters, with `Self` spelled as the type.
        inputs: TokenStream,
    },
}

impl Constructor {
    /// The parameters `spawn` takes, as the model knows them (none for a
    /// refused constructor, whose parameters are only tokens).
    pub(crate) fn params(&self) -> &[Param] {
        match self {
            Constructor::Default | Constructor::Refused { .. } => &[],
            Constructor::New { params, .. } => params,
        }
    }
}

/// A method callable through the proxy.
pub(crate) struct Method {
    /// Its name, the same on the actor and on the proxy.
    pub(crate) ident: Ident,
    /// Its position among the exposed methods: its number on the wire.
    pub(crate) index: u16,
    /// The user's doc comments, copied to the proxy's method.
    pub(crate) docs: Vec<Attribute>,
    /// The user's `#[cfg(...)]` attributes, which every piece of code
    /// generated for the method carries too.
    pub(crate) cfgs: Vec<Attribute>,
    /// The parameters after the receiver.
    pub(crate) params: Vec<Param>,
    /// The value the caller eventually gets: what the method returns (`()`
    /// when it declares nothing), or the `T` of an `async fn`'s output or of
    /// a returned `AsyncResult<T>`.
    pub(crate) output: Type,
    /// When the result comes.
    pub(crate) kind: MethodKind,
    /// Whether the receiver is `&mut self`.
    pub(crate) mutable: bool,
    /// `#[uactor(proxy)]`: the result stays in the actor; the proxy gets a
    /// proxy to it (`output` is then the kept type).
    pub(crate) by_proxy: bool,
    /// The method returns `uactor::Result<SomeProxy>` (the explicit
    /// `uactor::proxy` form): its error is the call's error, so the caller
    /// gets `uactor::Result<SomeProxy>`, not a nested result. `output` is
    /// then the proxy type.
    pub(crate) flatten: bool,
    /// The value travels in another form than its serde form: `output` is
    /// `Vec<u8>`, or an `Option` or `Result` of it (see [`carried`]).
    pub(crate) carried: bool,
}

impl Method {
    /// The name of the method's handle on the proxy: `add_ref` for `add`.
    pub(crate) fn handle(&self) -> Ident {
        format_ident!("{}_ref", self.ident.unraw(), span = self.ident.span())
    }
}

/// When a method's result comes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodKind {
    /// It returns its value: the actor serves nothing else meanwhile.
    Blocking,
    /// `async fn`: it runs on the actor's runtime, concurrently with other
    /// calls, and the caller gets an `AsyncResult` at once.
    Async,
    /// It returns `AsyncResult<T>` (from `uactor::spawn_blocking` or
    /// `uactor::spawn_task`): the caller gets an `AsyncResult<T>` at once.
    Deferred,
}

/// One parameter of an exposed method or of the constructor.
pub(crate) struct Param {
    /// The user's name for it or, where the user wrote a pattern such as
    /// `(a, b): (i32, i32)`, a generated hygienic name.
    pub(crate) ident: Ident,
    /// Its type, where `Self` is spelled as the actor's type so that it
    /// means the same outside the impl block.
    pub(crate) ty: Type,
    /// The argument travels in another form than its serde form (see
    /// [`carried`]).
    pub(crate) carried: bool,
}

/// Where a method is declared, which decides what `Self` means in its
/// signature.
#[derive(Clone, Copy)]
pub(super) enum Owner<'a> {
    /// An impl block of this type: `Self` is spelled as the type.
    Impl(&'a TypePath, Kind),
    /// An interface: `Self` is whichever actor implements it, unknown to
    /// the proxy, so signatures cannot name it.
    Interface,
}

impl Actor {
    /// Builds the model of the actor (or remote type) declared by `input`,
    /// recording in `errors` everything that cannot be one. The returned
    /// model is only meant for code generation when `errors` stays empty.
    pub(crate) fn from_input(
        input: Input,
        kind: Kind,
        arguments: Arguments,
        errors: &mut Errors,
    ) -> Actor {
        let Input { mut item, options } = input;
        let generic = check::impl_block(&item, kind, errors);
        let self_ty = check::self_type(&item.self_ty, generic, kind, errors);
        // A remote type's impl of a trait has no methods of its own to
        // expose (an actor's goes to `Implementation` instead).
        let usable = !generic && self_ty.is_some() && item.trait_.is_none();
        let self_ty = self_ty.unwrap_or_else(|| syn::parse_quote!(Self));
        if item.trait_.is_none() {
            // Already reported, and the compiler refuses an `unsafe`
            // inherent impl too: emitted without it, the item gets one
            // error about it, not two.
            item.unsafety = None;
        }
        let ident = self_ty.path.segments.last().map_or_else(
            || Ident::new("Actor", Span::call_site()),
            |segment| segment.ident.clone(),
        );
        let name = ident.unraw().to_string();
        let proxy = format_ident!("{}Proxy", name, span = ident.span());

        let items = std::mem::take(&mut item.items);
        let mut actor = Actor {
            kind,
            usable,
            item,
            self_ty,
            name,
            proxy,
            constructor: Constructor::Default,
            methods: Vec::new(),
            shutdown_hook: None,
            proxies: Vec::new(),
            taken: Vec::new(),
        };
        let mut exposed = Vec::new();
        for (impl_item, options) in items.iter().zip(&options) {
            if let ImplItem::Fn(function) = impl_item {
                actor.add_function(
                    &function.sig,
                    &function.vis,
                    &function.attrs,
                    options,
                    &mut exposed,
                    errors,
                );
            }
        }
        check::handle_names(&exposed, errors);
        actor.item.items = items;
        actor.proxies = check::proxies(arguments.proxies, errors);
        actor
    }

    /// Sorts one associated function of the impl block into the model; the
    /// name of an exposed one goes to `exposed`, even if it is refused.
    fn add_function(
        &mut self,
        sig: &Signature,
        vis: &Visibility,
        attrs: &[Attribute],
        options: &ItemOptions,
        exposed: &mut Vec<Ident>,
        errors: &mut Errors,
    ) {
        if let Some(name) = check::generated_name(self.kind, &self.name, sig, errors) {
            self.taken.push(name);
            return;
        }
        if let Some(name) = check::shortcut_name(self.kind, sig) {
            self.taken.push(name);
        }
        if options.skip.is_some() {
            return;
        }
        let owner = Owner::Impl(&self.self_ty, self.kind);
        match sig.receiver() {
            None if sig.ident == "new" && self.kind == Kind::Actor => {
                self.constructor = self.constructor(sig, errors);
            }
            None => {}
            Some(_) if matches!(vis, Visibility::Public(_)) => {
                exposed.push(sig.ident.clone());
                if !check::method_count(self.methods.len(), &sig.ident, errors) {
                    return;
                }
                let index = self.methods.len() as u16;
                if let Some(method) = method(owner, sig, attrs, options, index, errors) {
                    self.methods.push(method);
                }
            }
            Some(_) if sig.ident == "shutdown" && self.kind == Kind::Actor => {
                self.shutdown_hook = check::shutdown_hook(sig, errors).then(|| sig.ident.clone());
            }
            Some(_) => {}
        }
    }

    /// The model of `fn new`, the constructor.
    fn constructor(&self, sig: &Signature, errors: &mut Errors) -> Constructor {
        let mut refused = Errors::default();
        check::constructor(sig, &mut refused);
        let owner = Owner::Impl(&self.self_ty, self.kind);
        let params = params(owner, sig, &mut refused);
        let fallible = check::constructor_output(&self.self_ty, sig, &mut refused);
        if let Err(error) = refused.finish() {
            errors.push(error);
            let generics = replace_self(sig.generics.to_token_stream(), &self.self_ty);
            let where_clause =
                replace_self(sig.generics.where_clause.to_token_stream(), &self.self_ty);
            let mut generics: Generics = syn::parse2(generics).unwrap_or_default();
            generics.where_clause = syn::parse2(where_clause).unwrap_or_default();
            return Constructor::Refused {
                generics,
                inputs: replace_self(sig.inputs.to_token_stream(), &self.self_ty),
            };
        }
        Constructor::New {
            ident: sig.ident.clone(),
            params,
            fallible,
        }
    }
}

impl Implementation {
    /// Builds the model of `#[uactor::actor] impl Trait for Type`.
    pub(crate) fn from_input(
        input: Input,
        arguments: &Arguments,
        errors: &mut Errors,
    ) -> Implementation {
        let Input { item, options } = input;
        let generic = check::implementation(&item, arguments, &options, errors);
        let self_ty = check::self_type(&item.self_ty, generic, Kind::Actor, errors);
        let trait_path = item
            .trait_
            .as_ref()
            .map(|(path, _)| path.clone())
            .unwrap_or_else(|| syn::parse_quote!(Self));
        let concrete = check::implemented_interface(&trait_path, errors);
        let usable = !generic && self_ty.is_some() && concrete;
        let self_ty = self_ty.unwrap_or_else(|| syn::parse_quote!(Self));
        let actor_proxy = proxy_path(&self_ty.path);
        let interface_proxy = proxy_path(&trait_path);
        Implementation {
            usable,
            item,
            self_ty,
            actor_proxy,
            interface_proxy,
        }
    }
}

impl Interface {
    /// Builds the model of a `#[uactor::interface]` trait.
    pub(crate) fn from_input(input: TraitInput, errors: &mut Errors) -> Interface {
        let TraitInput { item, options } = input;
        let usable = check::interface(&item, errors);
        let name = item.ident.unraw().to_string();
        let proxy = format_ident!("{}Proxy", name, span = item.ident.span());
        let mut methods = Vec::new();
        let mut exposed = Vec::new();
        for (trait_item, options) in item.items.iter().zip(&options) {
            let TraitItem::Fn(function) = trait_item else {
                check::options_only_on_methods(options, errors);
                continue;
            };
            if options.skip.is_some() || function.sig.receiver().is_none() {
                continue;
            }
            exposed.push(function.sig.ident.clone());
            if !check::method_count(methods.len(), &function.sig.ident, errors) {
                break;
            }
            let index = methods.len() as u16;
            if let Some(method) = method(
                Owner::Interface,
                &function.sig,
                &function.attrs,
                options,
                index,
                errors,
            ) {
                methods.push(method);
            }
        }
        check::handle_names(&exposed, errors);
        Interface {
            usable,
            item,
            name,
            proxy,
            methods,
        }
    }
}

/// `path` with its last segment's name followed by `Proxy`: `a::CatProxy`
/// for `a::Cat`, at the span of that name.
fn proxy_path(path: &Path) -> Path {
    let mut path = path.clone();
    if let Some(last) = path.segments.last_mut() {
        last.ident = format_ident!("{}Proxy", last.ident.unraw(), span = last.ident.span());
        last.arguments = PathArguments::None;
    }
    path
}

/// The model of an exposed method, or `None` (with errors) where its
/// signature cannot be called through a proxy.
fn method(
    owner: Owner<'_>,
    sig: &Signature,
    attrs: &[Attribute],
    options: &ItemOptions,
    index: u16,
    errors: &mut Errors,
) -> Option<Method> {
    let mut refused = Errors::default();
    let mutable = check::method(sig, &mut refused);
    let params = params(owner, sig, &mut refused);
    let mut kind = if sig.asyncness.is_some() {
        MethodKind::Async
    } else {
        MethodKind::Blocking
    };
    check::asyncness(owner, sig, &mut refused);
    let mut flatten = false;
    let output = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
            let ty = match (kind, async_result_of(ty), proxy_result_of(ty)) {
                (MethodKind::Blocking, Some(inner), _) => {
                    kind = MethodKind::Deferred;
                    inner
                }
                (MethodKind::Blocking, None, Some(proxy)) => {
                    flatten = true;
                    proxy
                }
                _ => ty,
            };
            check::crossing(ty, Crossing::Result, &mut refused);
            outside(owner, ty, &mut refused)
        }
    };
    check::by_proxy(sig, options, kind == MethodKind::Blocking, &mut refused);
    if let Err(error) = refused.finish() {
        errors.push(error);
        return None;
    }
    let carried = options.proxy.is_none() && !flatten && carried(&output);
    let attributes = |name: &str| {
        attrs
            .iter()
            .filter(|attr| attr.path().is_ident(name))
            .cloned()
            .collect()
    };
    Some(Method {
        ident: sig.ident.clone(),
        index,
        docs: attributes("doc"),
        cfgs: attributes("cfg"),
        params,
        output,
        kind,
        mutable,
        by_proxy: options.proxy.is_some(),
        flatten,
        carried,
    })
}

/// The parameters of a constructor or method after its receiver.
fn params(owner: Owner<'_>, sig: &Signature, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    for (position, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        if !check::param_count(params.len(), sig, typed, errors) {
            break;
        }
        check::crossing(&typed.ty, Crossing::Argument, errors);
        let ident = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            // A pattern such as `(a, b)` is kept in the user's method; the
            // generated code passes the value under a name of its own.
            _ => format_ident!("arg{}", position, span = Span::mixed_site()),
        };
        params.push(Param {
            ident,
            carried: carried(&typed.ty),
            ty: outside(owner, &typed.ty, errors),
        });
    }
    params
}

/// `ty` as it must be written outside the impl block: `Self` becomes the
/// type. In an interface, where `Self` is unknown to the proxy, naming it
/// is an error.
fn outside(owner: Owner<'_>, ty: &Type, errors: &mut Errors) -> Type {
    match owner {
        Owner::Impl(self_ty, _) => {
            let tokens = replace_self(ty.to_token_stream(), self_ty);
            syn::parse2(tokens).unwrap_or_else(|_| ty.clone())
        }
        Owner::Interface => {
            check::no_self(ty, errors);
            ty.clone()
        }
    }
}

/// Whether values of `ty` travel in another form than their serde form
/// (`uactor::__private::Carried`): `Vec<u8>`, `Option<Vec<u8>>` and
/// `Result<Vec<u8>, E>`, which travel as serde bytes (a length and the raw
/// bytes) where serde's `Vec<u8>` is a sequence of `u8`s, encoded and
/// decoded one at a time. Both are the same bytes on the wire, so a peer
/// that sends the sequence is understood.
///
/// The macro only sees how the type is spelled: any path ending in `Vec`
/// whose argument is a path ending in `u8`, inside any path ending in
/// `Option` or `Result`. A type of the user's own with one of these names
/// gets an error that `Carried` is not implemented for it.
pub(crate) fn carried(ty: &Type) -> bool {
    /// The last segment of a plain path type, and its type arguments.
    fn last(ty: &Type) -> Option<(&Ident, Vec<&Type>)> {
        let Type::Path(TypePath {
            qself: None, path, ..
        }) = ty
        else {
            return None;
        };
        let last = path.segments.last()?;
        let arguments = match &last.arguments {
            PathArguments::None => Vec::new(),
            PathArguments::AngleBracketed(arguments) => arguments
                .args
                .iter()
                .map(|argument| match argument {
                    GenericArgument::Type(ty) => Some(ty),
                    _ => None,
                })
                .collect::<Option<_>>()?,
            PathArguments::Parenthesized(_) => return None,
        };
        Some((&last.ident, arguments))
    }
    fn bytes(ty: &Type) -> bool {
        match last(ty) {
            Some((vec, arguments)) if vec == "Vec" => match arguments.as_slice() {
                [element] => {
                    matches!(last(element), Some((u8, inner)) if u8 == "u8" && inner.is_empty())
                }
                _ => false,
            },
            _ => false,
        }
    }
    match last(ty) {
        Some((option, arguments)) if option == "Option" => {
            matches!(arguments.as_slice(), [inner] if bytes(inner))
        }
        Some((result, arguments)) if result == "Result" => {
            matches!(arguments.as_slice(), [inner, _] if bytes(inner))
        }
        _ => bytes(ty),
    }
}

/// The `P` of a return type spelled `uactor::Result<P>` where `P` names a
/// proxy type (its name ends in `Proxy`).
fn proxy_result_of(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let segments: Vec<_> = path.path.segments.iter().collect();
    let [first, last] = segments.as_slice() else {
        return None;
    };
    if first.ident != "uactor" || last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(inner @ Type::Path(proxy))]
            if proxy
                .path
                .segments
                .last()
                .is_some_and(|segment| segment.ident.to_string().ends_with("Proxy")) =>
        {
            Some(inner)
        }
        _ => None,
    }
}

/// The `T` of a return type spelled `AsyncResult<T>` (any path ending so).
fn async_result_of(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "AsyncResult" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}

/// Replaces every `Self` in `tokens` with `self_ty`, at the span of that
/// `Self`, so errors about it still point where the user wrote it.
fn replace_self(tokens: TokenStream, self_ty: &TypePath) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|token| -> Vec<TokenTree> {
            match token {
                TokenTree::Ident(ident) if ident == "Self" => self_ty
                    .to_token_stream()
                    .into_iter()
                    .map(|mut token| {
                        token.set_span(ident.span());
                        token
                    })
                    .collect(),
                TokenTree::Group(group) => {
                    let mut replaced =
                        Group::new(group.delimiter(), replace_self(group.stream(), self_ty));
                    replaced.set_span(group.span());
                    vec![TokenTree::Group(replaced)]
                }
                other => vec![other],
            }
        })
        .collect()
}
