//! The rules: what the attributes refuse because it cannot work across a
//! process boundary (or cannot be one actor, remote type or interface),
//! each with its message, at the user's span, saying what to write instead.
//!
//! The model calls these rules while it builds, because a rule needs the
//! user's syntax for its spans; each records its errors and returns what
//! the model needs to go on (whether the impl is generic, whether a
//! receiver is `&mut self`, …). Which items are exposed, and what the
//! generated code looks like, are not this module's business.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{
    FnArg, GenericArgument, Ident, ItemImpl, ItemTrait, Path, PathArguments, ReceiverKind,
    ReturnType, Signature, Type, TypePath,
};

use super::model::{Kind, Owner};
use super::parse::{self, Arguments, ItemOptions};
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
const GENERATED_NAMES: [&str; 6] = [
    "spawn",
    "spawn_with",
    "spawn_async",
    "spawn_with_async",
    "connect",
    "typeids",
];

/// Names `#[uactor::actor]` defines on the actor's type only where the
/// impl block does not: shortcuts (`Counter::pool(n, start)` for
/// `uactor::Pool::<Counter>::spawn(n, start)`), not worth refusing a
/// method of the user's that has the name.
const SHORTCUT_NAMES: [&str; 2] = ["pool", "pool_with"];

/// What is checked of a type that crosses the process boundary.
#[derive(Clone, Copy)]
pub(super) enum Crossing {
    /// An argument of an exposed method or of the constructor.
    Argument,
    /// What an exposed method returns.
    Result,
}

/// What an owner's methods are called in messages.
fn methods_of(owner: Owner<'_>) -> &'static str {
    match owner {
        Owner::Impl(_, Kind::Actor) => "actor methods",
        Owner::Impl(_, Kind::Remote) => "methods of a `#[uactor::remote]` type",
        Owner::Interface => "interface methods",
    }
}

/// Refuses impl blocks that are not a plain inherent impl of one type, and
/// tells whether the impl is generic (already reported).
pub(super) fn impl_block(item: &ItemImpl, kind: Kind, errors: &mut Errors) -> bool {
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
/// (not reported again when the impl block is `generic`); `None` where it
/// is not.
pub(super) fn self_type(
    ty: &Type,
    generic: bool,
    kind: Kind,
    errors: &mut Errors,
) -> Option<TypePath> {
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
        return None;
    };
    if path.qself.is_some() {
        errors.spanned(
            path,
            "name the type by its path: write `impl MyType { ... }`",
        );
        return None;
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
        return None;
    }
    Some(path.clone())
}

/// Refuses, in an actor's impl block, a function with a name the macro
/// defines on the type itself (`spawn`, `spawn_with`, …), and returns that
/// name.
pub(super) fn generated_name(
    kind: Kind,
    type_name: &str,
    sig: &Signature,
    errors: &mut Errors,
) -> Option<&'static str> {
    if kind != Kind::Actor {
        return None;
    }
    let name = GENERATED_NAMES.into_iter().find(|name| sig.ident == name)?;
    errors.spanned(
        &sig.ident,
        format_args!(
            "`#[uactor::actor]` defines `{type_name}::{ident}` itself: rename this function",
            ident = sig.ident,
        ),
    );
    Some(name)
}

/// The shortcut the macro leaves out because the actor's impl block
/// defines a function named `sig`'s (see [`SHORTCUT_NAMES`]).
pub(super) fn shortcut_name(kind: Kind, sig: &Signature) -> Option<&'static str> {
    if kind != Kind::Actor {
        return None;
    }
    SHORTCUT_NAMES.into_iter().find(|name| sig.ident == name)
}

/// Refuses the method `ident` when `exposed` methods are already exposed,
/// the most there can be; tells whether there is room for it.
pub(super) fn method_count(exposed: usize, ident: &Ident, errors: &mut Errors) -> bool {
    if exposed < MAX_METHODS {
        return true;
    }
    errors.spanned(
        ident,
        format_args!("at most {MAX_METHODS} methods can be exposed"),
    );
    false
}

/// Checks `fn new`, the constructor, apart from its parameters and result.
pub(super) fn constructor(sig: &Signature, errors: &mut Errors) {
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(
            asyncness,
            "the constructor cannot be `async`: make `new` a blocking `fn` \
             (it runs in the new process before the actor serves calls)",
        );
    }
    safe(sig, "the constructor", errors);
    not_generic(
        sig,
        "a generic constructor cannot be spawned: `spawn` needs concrete argument types; \
         make `new` take concrete types",
        errors,
    );
}

/// Checks what the constructor returns, `Self` or `Result<Self, E>`, and
/// tells whether it is the `Result` (`false` where it is neither, reported).
pub(super) fn constructor_output(self_ty: &TypePath, sig: &Signature, errors: &mut Errors) -> bool {
    match &sig.output {
        ReturnType::Type(_, ty) if is_self(self_ty, ty) => false,
        ReturnType::Type(_, ty) if is_result_of_self(self_ty, ty) => true,
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
    }
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

/// Refuses `unsafe fn` for `what`: a caller in another process cannot
/// uphold its contract.
pub(super) fn safe(sig: &Signature, what: &str, errors: &mut Errors) {
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
/// (which are generic too, reported by [`crossing`]).
fn not_generic(sig: &Signature, message: &str, errors: &mut Errors) {
    if !sig.generics.params.is_empty() {
        errors.spanned(&sig.generics, message);
    }
}

/// Checks the private `fn shutdown(&mut self)` hook's signature, and tells
/// whether it is one.
pub(super) fn shutdown_hook(sig: &Signature, errors: &mut Errors) -> bool {
    let mut refused = Errors::default();
    shutdown_hook_rules(sig, &mut refused);
    match refused.finish() {
        Ok(()) => true,
        Err(error) => {
            errors.push(error);
            false
        }
    }
}

fn shutdown_hook_rules(sig: &Signature, errors: &mut Errors) {
    const USAGE: &str = "the shutdown hook is `fn shutdown(&mut self)` with no other parameters \
                         and no result; write that, or rename this method if it is not the hook";
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(
            asyncness,
            "the shutdown hook cannot be `async`: write `fn shutdown(&mut self)`",
        );
    }
    safe(sig, "the shutdown hook", errors);
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

/// Checks what a method called through a proxy is, apart from its
/// parameters and result: safe, taking `&self` or `&mut self`, not generic.
/// Tells whether the receiver is `&mut self`.
pub(super) fn method(sig: &Signature, errors: &mut Errors) -> bool {
    let mut mutable = false;
    safe(sig, "a method called through a proxy", errors);
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        match &receiver.kind {
            ReceiverKind::Reference(_, _, mutability) => mutable = mutability.is_some(),
            ReceiverKind::Typed(_, ty) if is_reference_to_self(ty) => {
                mutable =
                    matches!(&**ty, Type::Reference(reference) if reference.mutability.is_some());
            }
            ReceiverKind::Typed(_, ty) => errors.spanned(
                receiver,
                format_args!(
                    "take `&self` or `&mut self`, not `self: {}`: the actor stays in its process",
                    parse::display(ty),
                ),
            ),
            _ => errors.spanned(
                receiver,
                "take `&self` or `&mut self`: the actor stays in its process, \
                 so a method cannot take it by value",
            ),
        }
    }
    not_generic(
        sig,
        "generic methods cannot be called through a proxy, which needs concrete types to \
         send the arguments: take concrete types, or mark the method `#[uactor(skip)]` to \
         keep it out of the proxy",
        errors,
    );
    mutable
}

/// Refuses `async fn` where only actors have a runtime to run it on.
pub(super) fn asyncness(owner: Owner<'_>, sig: &Signature, errors: &mut Errors) {
    if let (Some(asyncness), Owner::Impl(_, Kind::Remote) | Owner::Interface) =
        (&sig.asyncness, owner)
    {
        errors.spanned(
            asyncness,
            format_args!(
                "`async fn` {} are not supported: make the method blocking, or return \
                 `uactor::AsyncResult<T>` made with `uactor::spawn_blocking` so it runs concurrently",
                methods_of(owner),
            ),
        );
    }
}

/// Refuses `#[uactor(proxy)]` on a method whose result comes later.
pub(super) fn by_proxy(
    sig: &Signature,
    options: &ItemOptions,
    blocking: bool,
    errors: &mut Errors,
) {
    if options.proxy.is_some() && !blocking {
        errors.spanned(
            &sig.ident,
            "`#[uactor(proxy)]` goes on a method that returns the kept value \
             itself, not on an `async fn` or one returning `AsyncResult`",
        );
    }
}

/// Refuses an exposed method named like the handle the proxy gets for
/// another (`log_ref`, the handle of `log`): one of them would be lost on
/// the proxy. `exposed` are the exposed methods' names, refused ones too,
/// so that the clash is reported with the refusal, not after its fix.
pub(super) fn handle_names(exposed: &[Ident], errors: &mut Errors) {
    for method in exposed {
        let handle = format!("{}_ref", method.unraw());
        if let Some(clash) = exposed.iter().find(|other| other.unraw() == handle) {
            errors.spanned(
                clash,
                format_args!(
                    "`{handle}` is the name of the handle the proxy gets for `{method}` (a \
                     `uactor::Method` that calls `{method}` back, `proxy.{handle}()`): rename \
                     this method, or `{method}`",
                    method = method.unraw(),
                ),
            );
        }
    }
}

/// Refuses parameter `typed` of `sig` when `count` parameters are already
/// taken, the most a call carries; tells whether there is room for it.
pub(super) fn param_count(
    count: usize,
    sig: &Signature,
    typed: &syn::PatType,
    errors: &mut Errors,
) -> bool {
    if count < MAX_PARAMS {
        return true;
    }
    errors.spanned(
        typed,
        format_args!(
            "`{}` takes more than {MAX_PARAMS} parameters, the most a call can carry: \
             group them in a struct that derives `Serialize` and `Deserialize`",
            sig.ident,
        ),
    );
    false
}

/// Whether a typed receiver's type is `&Self` or `&mut Self`.
fn is_reference_to_self(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference)
        if matches!(&*reference.elem, Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self")))
}

/// Refuses, in a type that crosses the process boundary, what cannot: code
/// (a closure or function pointer, which no process but its own can run), a
/// borrow (the first one found, with the owned type to use instead) and
/// `impl Trait`. Whether the type is serializable is left to the compiler,
/// with the check that codegen emits at the type's span.
pub(super) fn crossing(ty: &Type, crossing: Crossing, errors: &mut Errors) {
    let (role, verb) = match crossing {
        Crossing::Argument => ("arguments", "take"),
        Crossing::Result => ("results", "return"),
    };
    // Before borrows: `&dyn Fn()` is no better owned, and before the
    // compiler's serde errors, which name `dyn Fn` but not why it cannot
    // travel (no crate can make a closure serializable).
    if let Some(code) = find_code(ty) {
        let what = match code {
            Code::Pointer(_) => "function pointers",
            Code::Closure(_) => "closures",
        };
        errors.spanned(
            code,
            format_args!(
                "`{}` cannot cross a process boundary: {what} cannot be sent between processes; \
                 {verb} data instead, or, for a callback, a `uactor::Method` handle \
                 (`proxy.method_ref()`), which the actor calls back with `call(…)`",
                parse::display(ty),
            ),
        );
        return;
    }
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

/// Code in a type, which [`crossing`] refuses.
#[derive(Clone, Copy)]
enum Code<'a> {
    /// `dyn Fn(..)`, `impl FnMut(..)`, …: a closure.
    Closure(&'a Type),
    /// `fn(..) -> ..`.
    Pointer(&'a syn::TypeFnPtr),
}

impl ToTokens for Code<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Code::Closure(ty) => ty.to_tokens(tokens),
            Code::Pointer(pointer) => pointer.to_tokens(tokens),
        }
    }
}

/// The first closure or function pointer in `ty`, looking into references,
/// tuples, arrays, slices and generic arguments (`Box<dyn Fn()>`).
fn find_code(ty: &Type) -> Option<Code<'_>> {
    match ty {
        Type::FnPtr(pointer) => Some(Code::Pointer(pointer)),
        Type::TraitObject(object) if object.bounds.iter().any(is_closure_trait) => {
            Some(Code::Closure(ty))
        }
        Type::ImplTrait(impl_trait) if impl_trait.bounds.iter().any(is_closure_trait) => {
            Some(Code::Closure(ty))
        }
        Type::Reference(reference) => find_code(&reference.elem),
        Type::Paren(paren) => find_code(&paren.elem),
        Type::Group(group) => find_code(&group.elem),
        Type::Array(array) => find_code(&array.elem),
        Type::Slice(slice) => find_code(&slice.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(find_code),
        Type::Path(path) => path
            .qself
            .as_ref()
            .and_then(|qself| find_code(&qself.ty))
            .or_else(|| {
                path.path
                    .segments
                    .iter()
                    .find_map(|segment| match &segment.arguments {
                        PathArguments::AngleBracketed(arguments) => {
                            arguments.args.iter().find_map(|argument| match argument {
                                GenericArgument::Type(ty) => find_code(ty),
                                GenericArgument::AssocType(assoc) => find_code(&assoc.ty),
                                _ => None,
                            })
                        }
                        _ => None,
                    })
            }),
        _ => None,
    }
}

/// Whether `bound` is one of the closure traits, `Fn` and its kin.
fn is_closure_trait(bound: &syn::TypeParamBound) -> bool {
    const CLOSURE_TRAITS: [&str; 6] = [
        "Fn",
        "FnMut",
        "FnOnce",
        "AsyncFn",
        "AsyncFnMut",
        "AsyncFnOnce",
    ];
    let syn::TypeParamBound::Trait(bound) = bound else {
        return false;
    };
    bound
        .path
        .segments
        .last()
        .is_some_and(|segment| CLOSURE_TRAITS.iter().any(|name| segment.ident == name))
}

/// What [`crossing`] refuses.
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

/// Refuses `Self` in an interface method's argument or result: the proxy
/// reaches actors of several types.
pub(super) fn no_self(ty: &Type, errors: &mut Errors) {
    if let Some(self_token) = find_self(ty.to_token_stream()) {
        errors.push(syn::Error::new(
            self_token.span(),
            "interface methods cannot name `Self` in their arguments or results: the \
             proxy reaches actors of several types; use a concrete type",
        ));
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

/// Checks the types of `proxies(...)`: their names become typeids, which
/// cannot be listed twice. (That a built-in typeid does not have the name
/// is checked where the typeids are spelled, in `uactor-core`, by a
/// constant the generated code evaluates at the type's span.) Returns the
/// types listed once.
pub(super) fn proxies(proxies: Vec<Path>, errors: &mut Errors) -> Vec<Path> {
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

/// Checks `#[uactor::actor] impl Trait for Type` apart from its types, and
/// tells whether the impl is generic (already reported).
pub(super) fn implementation(
    item: &ItemImpl,
    arguments: &Arguments,
    options: &[ItemOptions],
    errors: &mut Errors,
) -> bool {
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
    generic
}

/// Refuses generic arguments on the interface an actor implements, and
/// tells whether it has none.
pub(super) fn implemented_interface(trait_path: &Path, errors: &mut Errors) -> bool {
    let Some(arguments) = trait_path
        .segments
        .iter()
        .find(|segment| !matches!(segment.arguments, PathArguments::None))
    else {
        return true;
    };
    errors.spanned(
        arguments,
        "an interface cannot be generic: its proxy calls one set of methods; \
         make the trait concrete (`trait Feline { ... }`)",
    );
    false
}

/// Checks a `#[uactor::interface]` trait apart from its methods, and tells
/// whether a proxy can be generated for it (it is neither generic nor an
/// auto trait).
pub(super) fn interface(item: &ItemTrait, errors: &mut Errors) -> bool {
    if let Some(unsafety) = &item.unsafety {
        errors.spanned(unsafety, "an interface is not `unsafe`: remove `unsafe`");
    }
    if let Some(auto) = &item.modifiers.auto_token {
        errors.spanned(auto, "an interface is not an auto trait: remove `auto`");
    }
    let generic = !item.generics.params.is_empty() || item.generics.where_clause.is_some();
    if generic {
        errors.spanned(
            &item.generics,
            "an interface cannot be generic: its proxy calls one set of methods with concrete \
             types; make the trait concrete, e.g. `trait Store { fn get(&self, key: String) -> Option<u64>; }`",
        );
    }
    !generic && item.modifiers.auto_token.is_none()
}

/// Where an option is written on an interface's item that is not a method.
pub(super) fn options_only_on_methods(options: &ItemOptions, errors: &mut Errors) {
    if let Some(span) = options.first() {
        errors.push(syn::Error::new(
            span,
            "`#[uactor(...)]` options go on methods",
        ));
    }
}
