//! What the generated code needs to know, one model per attribute:
//!
//! - [`Actor`]: an actor's (or, with [`Kind::Remote`], a `#[uactor::remote]`
//!   type's) type, constructor, exposed methods at their indices, shutdown
//!   hook and custom typeids;
//! - [`Implementation`]: an actor's `#[uactor::actor] impl Trait for Type`;
//! - [`Interface`]: a `#[uactor::interface]` trait and its methods.
//!
//! Building the models is where the rules live: which items are exposed,
//! and which signatures cannot work across a process boundary (each refused
//! with an error at the user's span that says what to write instead). This
//! module writes no output code.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt;
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ImplItem, ItemImpl, ItemTrait, Pat, Path,
    PathArguments, ReceiverKind, ReturnType, Signature, TraitItem, Type, TypePath, Visibility,
};

use super::parse::{self, Arguments, Input, ItemOptions, TraitInput};
use crate::errors::Errors;

/// The most parameters an exposed method or a constructor may take: they
/// travel as one tuple, and serde implements tuples up to this length.
const MAX_PARAMS: usize = 16;

/// The most methods one actor, type or interface exposes: their indices
/// are `u16`, and the last index carries interface calls.
const MAX_METHODS: usize = u16::MAX as usize;

/// Why a generic impl block or type cannot be an actor, and what to do.
const GENERIC_ACTOR: &str = "an actor cannot be generic: a spawned process finds its type by \
     name, so it must be one concrete type; wrap a concrete instance in a struct of its own \
     (`pub struct MyActor(Inner<u32>);`) and put `#[uactor::actor]` on its impl";

/// Why a generic impl block or type cannot be `#[uactor::remote]`.
const GENERIC_REMOTE: &str = "a `#[uactor::remote]` type cannot be generic: its proxy and its \
     typeid name one concrete type; wrap a concrete instance in a struct of its own \
     (`pub struct Scores(Table<u32>);`) and put `#[uactor::remote]` on its impl";

/// Names `#[uactor::actor]` defines on the actor's type itself.
const GENERATED_NAMES: [&str; 4] = ["spawn", "spawn_with", "connect", "typeids"];

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
}

/// An actor's impl of an interface: `#[uactor::actor] impl Feline for Cat`.
pub(crate) struct Implementation {
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
}

impl Constructor {
    /// The parameters `spawn` takes.
    pub(crate) fn params(&self) -> &[Param] {
        match self {
            Constructor::Default => &[],
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
    /// `uactor::spawn`): the caller gets an `AsyncResult<T>` at once.
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
}

/// What is checked of a type that crosses the process boundary.
#[derive(Clone, Copy)]
enum Crossing {
    /// An argument of an exposed method or of the constructor.
    Argument,
    /// What an exposed method returns.
    Result,
}

/// Where a method is declared, which decides what `Self` means in its
/// signature.
#[derive(Clone, Copy)]
enum Owner<'a> {
    /// An impl block of this type: `Self` is spelled as the type.
    Impl(&'a TypePath, Kind),
    /// An interface: `Self` is whichever actor implements it, unknown to
    /// the proxy, so signatures cannot name it.
    Interface,
}

impl Owner<'_> {
    /// What the owner's methods are called in messages.
    fn methods(self) -> &'static str {
        match self {
            Owner::Impl(_, Kind::Actor) => "actor methods",
            Owner::Impl(_, Kind::Remote) => "methods of a `#[uactor::remote]` type",
            Owner::Interface => "interface methods",
        }
    }
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
        let generic = check_impl(&item, kind, errors);
        let self_ty = self_type(&item.self_ty, generic, kind, errors);
        let ident = self_ty.path.segments.last().map_or_else(
            || Ident::new("Actor", Span::call_site()),
            |segment| segment.ident.clone(),
        );
        let name = ident.unraw().to_string();
        let proxy = format_ident!("{}Proxy", name, span = ident.span());

        let items = std::mem::take(&mut item.items);
        let mut actor = Actor {
            kind,
            item,
            self_ty,
            name,
            proxy,
            constructor: Constructor::Default,
            methods: Vec::new(),
            shutdown_hook: None,
            proxies: Vec::new(),
        };
        for (impl_item, options) in items.iter().zip(&options) {
            if let ImplItem::Fn(function) = impl_item {
                actor.add_function(
                    &function.sig,
                    &function.vis,
                    &function.attrs,
                    options,
                    errors,
                );
            }
        }
        actor.item.items = items;
        actor.proxies = check_proxies(arguments.proxies, errors);
        actor
    }

    /// Sorts one associated function of the impl block into the model.
    fn add_function(
        &mut self,
        sig: &Signature,
        vis: &Visibility,
        attrs: &[Attribute],
        options: &ItemOptions,
        errors: &mut Errors,
    ) {
        if self.kind == Kind::Actor && GENERATED_NAMES.iter().any(|name| sig.ident == name) {
            errors.spanned(
                &sig.ident,
                format_args!(
                    "`#[uactor::actor]` defines `{name}::{ident}` itself: rename this function",
                    name = self.name,
                    ident = sig.ident,
                ),
            );
            return;
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
                if self.methods.len() == MAX_METHODS {
                    errors.spanned(
                        &sig.ident,
                        format_args!("at most {MAX_METHODS} methods can be exposed"),
                    );
                    return;
                }
                let index = self.methods.len() as u16;
                if let Some(method) = method(owner, sig, attrs, options, index, errors) {
                    self.methods.push(method);
                }
            }
            Some(_) if sig.ident == "shutdown" && self.kind == Kind::Actor => {
                check_shutdown_hook(sig, errors);
                self.shutdown_hook = Some(sig.ident.clone());
            }
            Some(_) => {}
        }
    }

    /// The model of `fn new`, the constructor.
    fn constructor(&self, sig: &Signature, errors: &mut Errors) -> Constructor {
        if let Some(asyncness) = &sig.asyncness {
            errors.spanned(
                asyncness,
                "the constructor cannot be `async`: make `new` a blocking `fn` \
                 (it runs in the new process before the actor serves calls)",
            );
        }
        check_safe(sig, "the constructor", errors);
        check_not_generic(
            sig,
            "a generic constructor cannot be spawned: `spawn` needs concrete argument types; \
             make `new` take concrete types",
            errors,
        );
        let owner = Owner::Impl(&self.self_ty, self.kind);
        let params = params(owner, sig, errors);
        let fallible = match &sig.output {
            ReturnType::Type(_, ty) if is_self(&self.self_ty, ty) => false,
            ReturnType::Type(_, ty) if is_result_of_self(&self.self_ty, ty) => true,
            ReturnType::Type(_, ty) => {
                errors.spanned(
                    ty,
                    format_args!(
                        "the constructor returns `Self` or `Result<Self, E>` (with `E: Display`), not `{}`",
                        parse::display(ty),
                    ),
                );
                false
            }
            ReturnType::Default => {
                errors.spanned(
                    &sig.ident,
                    "the constructor returns the actor: write `-> Self` or `-> Result<Self, E>` (with `E: Display`)",
                );
                false
            }
        };
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
        if let Some(span) = arguments.proxies_span {
            errors.push(syn::Error::new(
                span,
                format_args!(
                    "`proxies` goes on the actor's inherent impl block, not on its impl of an \
                     interface: write `#[uactor::actor(proxies(...))] impl {} {{ ... }}`",
                    parse::display(&item.self_ty),
                ),
            ));
        }
        for span in options.iter().filter_map(ItemOptions::first) {
            errors.push(syn::Error::new(
                span,
                "the `#[uactor(...)]` options of an interface's methods go on the trait's methods, \
                 in the `#[uactor::interface]` trait, not on an actor's impl of it",
            ));
        }
        if let Err(error) = item.modifiers.require_empty() {
            errors.push(error);
        }
        if let Some(unsafety) = &item.unsafety {
            errors.spanned(
                unsafety,
                "an actor's impl block is not `unsafe`: remove `unsafe`",
            );
        }
        let generic = !item.generics.params.is_empty() || item.generics.where_clause.is_some();
        if generic {
            errors.spanned(
                &item.generics,
                "an actor's impl of an interface cannot be generic: the actor is one concrete type \
                 (`impl Feline for Cat`)",
            );
        }
        let self_ty = self_type(&item.self_ty, generic, Kind::Actor, errors);
        let trait_path = item
            .trait_
            .as_ref()
            .map(|(path, _)| path.clone())
            .unwrap_or_else(|| syn::parse_quote!(Self));
        if let Some(arguments) = trait_path
            .segments
            .iter()
            .find(|segment| !matches!(segment.arguments, PathArguments::None))
        {
            errors.spanned(
                arguments,
                "an interface cannot be generic: its proxy calls one set of methods; \
                 make the trait concrete (`trait Feline { ... }`)",
            );
        }
        let actor_proxy = proxy_path(&self_ty.path);
        let interface_proxy = proxy_path(&trait_path);
        Implementation {
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
        if let Some(unsafety) = &item.unsafety {
            errors.spanned(unsafety, "an interface is not `unsafe`: remove `unsafe`");
        }
        if let Some(auto) = &item.modifiers.auto_token {
            errors.spanned(auto, "an interface is not an auto trait: remove `auto`");
        }
        if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
            errors.spanned(
                &item.generics,
                "an interface cannot be generic: its proxy calls one set of methods with concrete \
                 types; make the trait concrete, e.g. `trait Store { fn get(&self, key: String) -> Option<u64>; }`",
            );
        }
        let name = item.ident.unraw().to_string();
        let proxy = format_ident!("{}Proxy", name, span = item.ident.span());
        let mut methods = Vec::new();
        for (trait_item, options) in item.items.iter().zip(&options) {
            let TraitItem::Fn(function) = trait_item else {
                if let Some(span) = options.first() {
                    errors.push(syn::Error::new(
                        span,
                        "`#[uactor(...)]` options go on methods",
                    ));
                }
                continue;
            };
            if options.skip.is_some() || function.sig.receiver().is_none() {
                continue;
            }
            if methods.len() == MAX_METHODS {
                errors.spanned(
                    &function.sig.ident,
                    format_args!("at most {MAX_METHODS} methods can be exposed"),
                );
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
        Interface {
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

/// Checks the types of `proxies(...)`: their names become typeids, which
/// cannot be listed twice. (That a built-in typeid does not have the name
/// is checked where the typeids are spelled, in `uactor-core`, by a
/// constant the generated code evaluates at the type's span.)
fn check_proxies(proxies: Vec<Path>, errors: &mut Errors) -> Vec<Path> {
    let mut seen: Vec<String> = Vec::new();
    let mut checked = Vec::new();
    for path in proxies {
        let Some(last) = path.segments.last() else {
            continue;
        };
        let name = last.ident.unraw().to_string();
        if seen.contains(&name) {
            errors.spanned(
                &path,
                format!("`{name}` is listed twice in `proxies`: list each type once"),
            );
        } else {
            seen.push(name);
            checked.push(path);
        }
    }
    checked
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
    let mut mutable = false;
    check_safe(sig, "a method called through a proxy", &mut refused);
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        match &receiver.kind {
            ReceiverKind::Reference(_, _, mutability) => mutable = mutability.is_some(),
            ReceiverKind::Typed(_, ty) if is_reference_to_self(ty) => {
                mutable =
                    matches!(&**ty, Type::Reference(reference) if reference.mutability.is_some());
            }
            ReceiverKind::Typed(_, ty) => refused.spanned(
                receiver,
                format_args!(
                    "take `&self` or `&mut self`, not `self: {}`: the actor stays in its process",
                    parse::display(ty),
                ),
            ),
            _ => refused.spanned(
                receiver,
                "take `&self` or `&mut self`: the actor stays in its process, \
                 so a method cannot take it by value",
            ),
        }
    }
    check_not_generic(
        sig,
        "generic methods cannot be called through a proxy, which needs concrete types to \
         send the arguments: take concrete types, or mark the method `#[uactor(skip)]` to \
         keep it out of the proxy",
        &mut refused,
    );
    let params = params(owner, sig, &mut refused);
    let mut kind = if sig.asyncness.is_some() {
        MethodKind::Async
    } else {
        MethodKind::Blocking
    };
    if let (Some(asyncness), Owner::Impl(_, Kind::Remote) | Owner::Interface) =
        (&sig.asyncness, owner)
    {
        refused.spanned(
            asyncness,
            format_args!(
                "`async fn` {} are not supported: make the method blocking, or return \
                 `uactor::AsyncResult<T>` made with `uactor::spawn_blocking` so it runs concurrently",
                owner.methods(),
            ),
        );
    }
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
            check_crossing(ty, Crossing::Result, &mut refused);
            outside(owner, ty, &mut refused)
        }
    };
    let by_proxy = options.proxy.is_some();
    if by_proxy && kind != MethodKind::Blocking {
        refused.spanned(
            &sig.ident,
            "`#[uactor(proxy)]` goes on a method that returns the kept value \
             itself, not on an `async fn` or one returning `AsyncResult`",
        );
    }
    if let Err(error) = refused.finish() {
        errors.push(error);
        return None;
    }
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
        by_proxy,
        flatten,
    })
}

/// The parameters of a constructor or method after its receiver.
fn params(owner: Owner<'_>, sig: &Signature, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    for (position, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        if params.len() == MAX_PARAMS {
            errors.spanned(
                typed,
                format_args!(
                    "`{}` takes more than {MAX_PARAMS} parameters, the most a call can carry: \
                     group them in a struct that derives `Serialize` and `Deserialize`",
                    sig.ident,
                ),
            );
            break;
        }
        check_crossing(&typed.ty, Crossing::Argument, errors);
        let ident = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            // A pattern such as `(a, b)` is kept in the user's method; the
            // generated code passes the value under a name of its own.
            _ => format_ident!("arg{}", position, span = Span::mixed_site()),
        };
        params.push(Param {
            ident,
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
            if let Some(self_token) = find_self(ty.to_token_stream()) {
                errors.push(syn::Error::new(
                    self_token.span(),
                    "interface methods cannot name `Self` in their arguments or results: the \
                     proxy reaches actors of several types; use a concrete type",
                ));
            }
            ty.clone()
        }
    }
}

/// The first `Self` in `tokens`.
fn find_self(tokens: TokenStream) -> Option<Ident> {
    tokens.into_iter().find_map(|token| match token {
        TokenTree::Ident(ident) if ident == "Self" => Some(ident),
        TokenTree::Group(group) => find_self(group.stream()),
        _ => None,
    })
}

/// Whether `ty` names the type `self_ty`: `Self` or the type as written.
fn is_self(self_ty: &TypePath, ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && (path.path.is_ident("Self")
            || path.path.to_token_stream().to_string() == self_ty.to_token_stream().to_string())
}

/// Whether `ty` is `Result<Self, E>` (any path whose last segment is
/// `Result`, so `io::Result<Self>` and `uactor::Result<Self>` count).
fn is_result_of_self(self_ty: &TypePath, ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return false;
    };
    last.ident == "Result"
        && matches!(arguments.args.first(), Some(GenericArgument::Type(ok)) if is_self(self_ty, ok))
}

/// Refuses impl blocks that are not a plain inherent impl of one type, and
/// tells whether the impl is generic (already reported).
fn check_impl(item: &ItemImpl, kind: Kind, errors: &mut Errors) -> bool {
    if let Err(error) = item.modifiers.require_empty() {
        errors.push(error);
    }
    let what = match kind {
        Kind::Actor => "an actor's impl block",
        Kind::Remote => "a `#[uactor::remote]` impl block",
    };
    if let Some(unsafety) = &item.unsafety {
        errors.spanned(
            unsafety,
            format_args!("{what} is not `unsafe`: remove `unsafe`"),
        );
    }
    if let (Some((path, _)), Kind::Remote) = (&item.trait_, kind) {
        errors.spanned(
            path,
            format_args!(
                "`#[uactor::remote]` goes on the type's inherent impl block, whose `pub` methods \
                 the proxy calls: write `#[uactor::remote] impl {} {{ ... }}`",
                parse::display(&item.self_ty),
            ),
        );
    }
    let generic = !item.generics.params.is_empty() || item.generics.where_clause.is_some();
    if generic {
        errors.spanned(&item.generics, generic_message(kind));
    }
    generic
}

fn generic_message(kind: Kind) -> &'static str {
    match kind {
        Kind::Actor => GENERIC_ACTOR,
        Kind::Remote => GENERIC_REMOTE,
    }
}

/// The type after `impl`, which must be a path without generic arguments
/// (not reported again when the impl block is `generic`).
fn self_type(ty: &Type, generic: bool, kind: Kind, errors: &mut Errors) -> TypePath {
    let fallback = || syn::parse_quote!(Self);
    let attribute = match kind {
        Kind::Actor => "actor",
        Kind::Remote => "remote",
    };
    let Type::Path(path) = ty else {
        errors.spanned(
            ty,
            format_args!(
                "`#[uactor::{attribute}]` goes on the impl block of a named type: write `impl MyType {{ ... }}`"
            ),
        );
        return fallback();
    };
    if path.qself.is_some() {
        errors.spanned(
            path,
            "name the type by its path: write `impl MyType { ... }`",
        );
        return fallback();
    }
    if let Some(arguments) = path
        .path
        .segments
        .iter()
        .find(|segment| !matches!(segment.arguments, PathArguments::None))
    {
        if !generic {
            errors.spanned(arguments, generic_message(kind));
        }
        return fallback();
    }
    path.clone()
}

/// Refuses `unsafe fn` for `what`: a caller in another process cannot
/// uphold its contract.
fn check_safe(sig: &Signature, what: &str, errors: &mut Errors) {
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        errors.spanned(
            unsafety,
            format_args!(
                "{what} cannot be `unsafe fn`: its caller is in another process; make it safe, \
                 or mark it `#[uactor(skip)]`"
            ),
        );
    }
}

/// Refuses type, lifetime and const parameters, and `impl Trait` arguments
/// (which are generic too, reported by [`check_crossing`]).
fn check_not_generic(sig: &Signature, message: &str, errors: &mut Errors) {
    if !sig.generics.params.is_empty() {
        errors.spanned(&sig.generics, message);
    }
}

/// Checks the private `fn shutdown(&mut self)` hook's signature.
fn check_shutdown_hook(sig: &Signature, errors: &mut Errors) {
    const USAGE: &str = "the shutdown hook is `fn shutdown(&mut self)` with no other parameters \
                         and no result; write that, or rename this method if it is not the hook";
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(
            asyncness,
            "the shutdown hook cannot be `async`: write `fn shutdown(&mut self)`",
        );
    }
    check_safe(sig, "the shutdown hook", errors);
    let by_reference = match sig.receiver().map(|receiver| &receiver.kind) {
        Some(ReceiverKind::Reference(..)) => true,
        Some(ReceiverKind::Typed(_, ty)) => is_reference_to_self(ty),
        _ => false,
    };
    let unit = match &sig.output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(tuple) if tuple.elems.is_empty()),
    };
    if !by_reference || sig.inputs.len() != 1 || !unit || !sig.generics.params.is_empty() {
        let (fn_token, paren) = (&sig.fn_token, &sig.paren_token);
        let mut header = quote!(#fn_token);
        paren.surround(&mut header, |tokens| sig.inputs.to_tokens(tokens));
        sig.output.to_tokens(&mut header);
        errors.spanned(header, USAGE);
    }
}

/// Whether a typed receiver's type is `&Self` or `&mut Self`.
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

fn is_reference_to_self(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference)
        if matches!(&*reference.elem, Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self")))
}

/// Refuses, in a type that crosses the process boundary, what cannot: a
/// borrow (the first one found, with the owned type to use instead) and
/// `impl Trait`. Whether the type is serializable is left to the compiler,
/// with the check that codegen emits at the type's span.
fn check_crossing(ty: &Type, crossing: Crossing, errors: &mut Errors) {
    let (role, verb) = match crossing {
        Crossing::Argument => ("arguments", "take"),
        Crossing::Result => ("results", "return"),
    };
    let Some(problem) = find_borrow_or_impl(ty) else {
        return;
    };
    let message = match (problem, crossing) {
        (Problem::Reference(reference), _) => format!(
            "{verb} `{}` instead of `{}`: {role} cross a process boundary, so they cannot borrow",
            owned_alternative(&reference.elem),
            parse::display(reference),
        ),
        (Problem::Lifetime(lifetime), _) => format!(
            "{role} cross a process boundary, so they cannot borrow: use an owned type \
             (no lifetime, or `'static`) instead of one borrowing for `{lifetime}`",
        ),
        (Problem::ImplTrait(_), Crossing::Argument) => "`impl Trait` arguments make the method \
             generic, and a proxy needs concrete types: take a concrete type \
             (e.g. `String` instead of `impl Into<String>`)"
            .to_owned(),
        (Problem::ImplTrait(_), Crossing::Result) => "an `impl Trait` result cannot be sent to \
             the caller: return a concrete type that derives `Serialize` and `Deserialize`"
            .to_owned(),
    };
    match problem {
        Problem::Reference(reference) => errors.spanned(reference, message),
        Problem::Lifetime(lifetime) => errors.spanned(lifetime, message),
        Problem::ImplTrait(impl_trait) => errors.spanned(impl_trait, message),
    }
}

/// What [`check_crossing`] refuses.
#[derive(Clone, Copy)]
enum Problem<'a> {
    Reference(&'a syn::TypeReference),
    Lifetime(&'a syn::Lifetime),
    ImplTrait(&'a syn::TypeImplTrait),
}

/// The first borrow or `impl Trait` in `ty`, looking into tuples, arrays,
/// slices and generic arguments.
fn find_borrow_or_impl(ty: &Type) -> Option<Problem<'_>> {
    match ty {
        Type::Reference(reference) => Some(Problem::Reference(reference)),
        Type::ImplTrait(impl_trait) => Some(Problem::ImplTrait(impl_trait)),
        Type::Paren(paren) => find_borrow_or_impl(&paren.elem),
        Type::Group(group) => find_borrow_or_impl(&group.elem),
        Type::Array(array) => find_borrow_or_impl(&array.elem),
        Type::Slice(slice) => find_borrow_or_impl(&slice.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(find_borrow_or_impl),
        Type::Path(path) => {
            let qself = path
                .qself
                .as_ref()
                .and_then(|qself| find_borrow_or_impl(&qself.ty));
            qself.or_else(|| {
                path.path
                    .segments
                    .iter()
                    .find_map(|segment| match &segment.arguments {
                        PathArguments::AngleBracketed(arguments) => {
                            arguments.args.iter().find_map(|argument| match argument {
                                GenericArgument::Type(ty) => find_borrow_or_impl(ty),
                                GenericArgument::AssocType(assoc) => find_borrow_or_impl(&assoc.ty),
                                GenericArgument::Lifetime(lifetime)
                                    if lifetime.ident != "static" =>
                                {
                                    Some(Problem::Lifetime(lifetime))
                                }
                                _ => None,
                            })
                        }
                        _ => None,
                    })
            })
        }
        _ => None,
    }
}

/// The owned type to suggest instead of a borrow of `borrowed`.
fn owned_alternative(borrowed: &Type) -> String {
    if let Type::Slice(slice) = borrowed {
        return format!("Vec<{}>", parse::display(&slice.elem));
    }
    if let Type::Path(path) = borrowed
        && let Some(ident) = path.path.get_ident()
    {
        let owned = match ident.to_string().as_str() {
            "str" => Some("String"),
            "Path" => Some("PathBuf"),
            "OsStr" => Some("OsString"),
            "CStr" => Some("CString"),
            _ => None,
        };
        if let Some(owned) = owned {
            return owned.to_owned();
        }
    }
    parse::display(borrowed)
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
