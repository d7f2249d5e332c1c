//! The code `#[uactor::actor]` emits for a valid [`Actor`] model.
//!
//! Everything it names outside the user's own items is a fully qualified
//! `::core::…` or `::uactor::…` path, so the output compiles in any module,
//! even under `#![no_implicit_prelude]`. Only the names the user types are
//! added to their module (`CounterProxy`, `Counter::spawn`,
//! `Counter::pool`, …); everything else sits inside
//! `const _: () = { … };`, under `__uactor` names that cannot shadow a type
//! the user's signatures mention.
//!
//! # Where a type that cannot travel is reported
//!
//! A method's argument and result types are proven to be `Wire` (serde, both
//! ways) in exactly one place: the `const` holding the method's codec, whose
//! generic arguments are the user's types with the user's spans. The proxy
//! method and the dispatch arm only call the codec's function pointers, so
//! they need no bound of their own. A type that is not serializable thus
//! gives one error per missing trait, in the method's signature, instead of
//! one more for each place the generated code uses it.
//!
//! # Bytes
//!
//! A `Vec<u8>` argument or result (or an `Option` or `Result` of one)
//! travels as serde bytes, one length and one copy, not as serde's sequence
//! of `u8`s: the codec's types are its wire form
//! (`<Vec<u8> as Carried>::Wire`), the proxy converts the arguments before
//! they are encoded and the result after it is decoded, the dispatch does
//! the same on the actor's side. Both forms are the same bytes on the wire,
//! so a method handle, which sends the plain type, is understood.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::model::{Actor, Constructor, Method, MethodKind, Param};

mod interface;
mod remote;

pub(crate) use interface::{implementation, interface};
pub(crate) use remote::remote;

/// The proxy's built-in methods, each forwarding to `::uactor::Proxy`, and
/// its result type. One is generated only where no exposed method already
/// takes its name.
const BUILT_INS: [(&str, &str); 3] = [
    ("pid", "u32"),
    ("address", "::uactor::Address"),
    ("shutdown", "::uactor::Result<()>"),
];

/// All the output: the user's impl block, the proxy struct, the spawn
/// functions and everything else inside one `const _`.
pub(crate) fn generate(actor: &Actor) -> TokenStream {
    let Actor {
        item,
        self_ty,
        proxy,
        name,
        ..
    } = actor;
    let doc = format!(
        "A typed handle to a `{name}` actor, which lives in its own process.\n\n\
         Made by `{name}::spawn`. Each method call is a message to the actor's process and \
         returns `uactor::Result`: the method's value, or why the call failed. Clones \
         share the connection.",
    );
    let spawn = spawn(actor);
    let codecs = codecs(&actor.methods, &quote!(::uactor::__private::Client));
    let custom_proxies = custom_proxies(actor);
    let proxy_impl = proxy_impl(actor);
    let actor_impl = actor_impl(actor);
    let proxy_name = proxy.unraw().to_string();
    let twin = twin_name(&actor.name, &actor.proxy);
    let twin_name = twin.unraw().to_string();
    let twin_doc = format!(
        "The async twin of `{proxy_name}`: the same methods, as futures that need no \
         particular async runtime (tokio, smol, `futures::executor::block_on`). Any number of \
         calls may be in flight on its one connection. Made by `{proxy_name}::to_async`.",
    );
    let twin_impl = twin_impl(actor);
    let proxy_serde = client_serde(proxy, self_ty);
    let twin_serde = client_serde(&twin, self_ty);
    quote! {
        #item

        #[doc = #doc]
        #[derive(::core::clone::Clone)]
        // Named after the user's type, whose name the lint judges already.
        #[allow(non_camel_case_types)]
        pub struct #proxy {
            client: ::uactor::__private::Client,
        }

        #[doc = #twin_doc]
        #[derive(::core::clone::Clone)]
        // Named after the user's type, whose name the lint judges already.
        #[allow(non_camel_case_types)]
        pub struct #twin {
            client: ::uactor::__private::Client,
        }

        #spawn

        const _: () = {
            #codecs
            #proxy_impl
            #twin_impl
            #actor_impl

            #[::uactor::__private::linkme::distributed_slice(::uactor::__private::ACTORS)]
            #[linkme(crate = ::uactor::__private::linkme)]
            static __UACTOR_REGISTRATION: ::uactor::__private::Registration =
                ::uactor::__private::Registration::of::<#self_ty>();

            #custom_proxies

            #[automatically_derived]
            impl ::uactor::__private::ProxyClient for #proxy {
                fn from_client(client: ::uactor::__private::Client) -> Self {
                    #proxy { client }
                }

                fn client(&self) -> &::uactor::__private::Client {
                    &self.client
                }
            }

            #[automatically_derived]
            impl ::uactor::Proxy for #proxy {
                type Async = #twin;

                fn to_async(&self) -> #twin {
                    #twin { client: ::core::clone::Clone::clone(&self.client) }
                }

                fn pid(&self) -> u32 {
                    self.client.pid()
                }

                fn address(&self) -> ::uactor::Address {
                    self.client.address()
                }

                fn shutdown(&self) -> ::uactor::Result<()> {
                    self.client.shutdown()
                }

                fn stats(&self) -> ::uactor::Result<::uactor::observe::Stats> {
                    self.client.stats()
                }

                fn generation(&self) -> u64 {
                    self.client.generation()
                }

                fn from_token(token: ::uactor::__private::Token) -> ::uactor::Result<Self> {
                    ::uactor::__private::Client::from_token(
                        token,
                        <#self_ty as ::uactor::__private::Actor>::NAME,
                    )
                    .map(|client| #proxy { client })
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #proxy {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#proxy_name).field("client", &self.client).finish()
                }
            }

            #proxy_serde

            #[automatically_derived]
            impl ::uactor::objects::Typed for #proxy {
                fn typeid(&self) -> &str {
                    ::uactor::__private::typeid::ACTOR
                }
            }

            #twin_serde

            #[automatically_derived]
            impl ::core::fmt::Debug for #twin {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#twin_name).field("client", &self.client).finish()
                }
            }
        };
    }
}

/// `Counter::spawn`, `Counter::spawn_with` (and their `_async` forms),
/// `Counter::pool` and `Counter::pool_with`, which take the constructor's
/// parameters one by one, `Counter::typeids` and `Counter::connect`; each
/// only where the user's impl block does not define the name itself.
fn spawn(actor: &Actor) -> TokenStream {
    let Actor {
        self_ty,
        proxy,
        name,
        ..
    } = actor;
    // Hygienic, so a constructor parameter named `options` or `n` does not
    // clash.
    let options = Ident::new("options", Span::mixed_site());
    let n = Ident::new("n", Span::mixed_site());
    let params = actor.constructor.params();
    let declarations: Vec<_> = params
        .iter()
        .map(|Param { ident, ty, .. }| quote!(#ident: #ty))
        .collect();
    let args = match params {
        [] => quote!(()),
        [param] => param.ident.to_token_stream(),
        params => {
            let idents = params.iter().map(|param| &param.ident);
            quote!((#(#idents),*))
        }
    };
    let (generics, declarations, spawn, spawn_with, spawn_async, spawn_with_async, pool, pool_with) =
        match &actor.constructor {
            // The crate does not build, so this never runs: `spawn` only has
            // to take what the user's calls pass (and not warn that it does not
            // use it).
            Constructor::Refused { generics, inputs } => {
                let unreachable = quote! {
                    ::core::unreachable!("`new` is refused at compile time, so this crate does not build")
                };
                let pending = quote!(async { #unreachable });
                (
                    generics.clone(),
                    inputs.clone(),
                    unreachable.clone(),
                    unreachable.clone(),
                    pending.clone(),
                    pending,
                    unreachable.clone(),
                    unreachable,
                )
            }
            _ => (
                syn::Generics::default(),
                quote!(#(#declarations),*),
                quote!(::uactor::__private::spawn::<#self_ty>(&::uactor::Options::new(), #args)),
                quote!(::uactor::__private::spawn::<#self_ty>(#options, #args)),
                quote!(::uactor::__private::spawn_async::<#self_ty>(&::uactor::Options::new(), #args)),
                quote!(::uactor::__private::spawn_async::<#self_ty>(#options, #args)),
                quote!(::uactor::Pool::<#self_ty>::spawn_with(&::uactor::Options::new(), #n, #args)),
                quote!(::uactor::Pool::<#self_ty>::spawn_with(#options, #n, #args)),
            ),
        };
    // The future borrows nothing of the caller's (the options are cloned):
    // say so, or in edition 2024 it would be taken to borrow them.
    let captures = generics.params.is_empty().then(|| quote!(+ use<>));
    let (generics, _, where_clause) = generics.split_for_impl();
    let allow = matches!(actor.constructor, Constructor::Refused { .. })
        .then(|| quote!(#[allow(unused_variables)]));
    let built_by = match &actor.constructor {
        Constructor::Default => {
            format!("The actor is built with `{name}::default()` in the new process.")
        }
        Constructor::New {
            fallible: false, ..
        }
        | Constructor::Refused { .. } => {
            format!("The arguments go to `{name}::new`, which runs in the new process.")
        }
        Constructor::New { fallible: true, .. } => format!(
            "The arguments go to `{name}::new`, which runs in the new process; its error is \
             this function's error."
        ),
    };
    let spawn_doc = format!(
        "Starts a `{name}` in a new process with default options and returns its proxy.\n\n{built_by}",
    );
    let spawn_with_doc = format!(
        "Starts a `{name}` in a new process with `options` and returns its proxy.\n\n{built_by}"
    );
    let spawn_async_doc = format!(
        "`{name}::spawn` for async code: the process starts, and is waited for, on a thread \
         of its own, so the executor's thread is not held up (under any runtime).\n\n{built_by}"
    );
    let spawn_with_async_doc = format!(
        "`{name}::spawn_with` for async code: the process starts, and is waited for, on a \
         thread of its own, so the executor's thread is not held up (under any runtime).\n\n\
         {built_by}"
    );
    let pool_doc = format!(
        "Starts `n` `{name}`s, each in its own process, with default options, as a \
         `uactor::Pool` (Python uActor's actor pool).\n\n{built_by} Every actor gets the same \
         arguments, encoded once."
    );
    let pool_with_doc = format!(
        "Starts `n` `{name}`s, each in its own process, with `options`, as a `uactor::Pool`.\n\n\
         {built_by} Every actor gets the same arguments, encoded once."
    );
    let connect_doc = format!(
        "Connects to a `{name}` served at `address`, proving knowledge of `authkey`.\n\n\
         The proxy is a reference, not an owner: dropping it leaves the actor running."
    );
    let functions = [
        (
            "spawn",
            quote! {
                #[doc = #spawn_doc]
                #allow
                pub fn spawn #generics (#declarations) -> ::uactor::Result<#proxy> #where_clause {
                    #spawn
                }
            },
        ),
        (
            "spawn_with",
            quote! {
                #[doc = #spawn_with_doc]
                #allow
                pub fn spawn_with #generics (
                    #options: &::uactor::Options,
                    #declarations
                ) -> ::uactor::Result<#proxy> #where_clause {
                    #spawn_with
                }
            },
        ),
        (
            "spawn_async",
            quote! {
                #[doc = #spawn_async_doc]
                #allow
                pub fn spawn_async #generics (#declarations)
                    -> impl ::core::future::Future<Output = ::uactor::Result<#proxy>>
                        + ::core::marker::Send + 'static #captures
                    #where_clause
                {
                    #spawn_async
                }
            },
        ),
        (
            "spawn_with_async",
            quote! {
                #[doc = #spawn_with_async_doc]
                #allow
                pub fn spawn_with_async #generics (
                    #options: &::uactor::Options,
                    #declarations
                ) -> impl ::core::future::Future<Output = ::uactor::Result<#proxy>>
                    + ::core::marker::Send + 'static #captures
                    #where_clause
                {
                    #spawn_with_async
                }
            },
        ),
        (
            "pool",
            quote! {
                #[doc = #pool_doc]
                #allow
                pub fn pool #generics (
                    #n: usize,
                    #declarations
                ) -> ::uactor::Result<::uactor::Pool<#self_ty>> #where_clause {
                    #pool
                }
            },
        ),
        (
            "pool_with",
            quote! {
                #[doc = #pool_with_doc]
                #allow
                pub fn pool_with #generics (
                    #options: &::uactor::Options,
                    #n: usize,
                    #declarations
                ) -> ::uactor::Result<::uactor::Pool<#self_ty>> #where_clause {
                    #pool_with
                }
            },
        ),
        (
            "typeids",
            quote! {
                /// Every typeid this actor can hand out by proxy: the built-ins,
                /// `actor` (itself), `auto` (any `#[uactor::remote]` type) and the
                /// types it registers with `proxies(...)`, under their names.
                pub fn typeids() -> ::uactor::__private::Vec<&'static str> {
                    ::uactor::__private::typeid::all_of(::core::any::TypeId::of::<#self_ty>())
                }
            },
        ),
        (
            "connect",
            quote! {
                #[doc = #connect_doc]
                pub fn connect(
                    address: &::uactor::Address,
                    authkey: impl ::core::convert::AsRef<[u8]>,
                ) -> ::uactor::Result<#proxy> {
                    ::uactor::__private::connect::<#self_ty>(address, ::core::convert::AsRef::as_ref(&authkey))
                }
            },
        ),
    ];
    let functions = functions
        .into_iter()
        .filter(|(function, _)| !actor.taken.contains(function))
        .map(|(_, tokens)| tokens);
    quote! {
        impl #self_ty {
            #(#functions)*
        }
    }
}

/// The registrations of the actor's custom typeids (`proxies(...)`), each
/// at the type's span, so a type that is not `#[uactor::remote]`, or whose
/// name a built-in typeid has, is reported where it is listed.
fn custom_proxies(actor: &Actor) -> TokenStream {
    let self_ty = &actor.self_ty;
    let registrations = actor.proxies.iter().enumerate().map(|(position, path)| {
        let name = format_ident!("__UACTOR_CUSTOM_PROXY_{}", position);
        let of = quote_spanned! {path.span()=>
            ::uactor::__private::custom_proxy::<#self_ty, #path>()
        };
        let typeid = path
            .segments
            .last()
            .map(|segment| segment.ident.unraw().to_string())
            .unwrap_or_default();
        let free = quote_spanned! {path.span()=>
            const _: () = ::uactor::__private::typeid::assert_custom(#typeid);
        };
        quote! {
            #free
            #[::uactor::__private::linkme::distributed_slice(::uactor::__private::typeid::CUSTOM)]
            #[linkme(crate = ::uactor::__private::linkme)]
            static #name: ::uactor::__private::typeid::Custom = #of;
        }
    });
    quote!(#(#registrations)*)
}

/// What the caller receives from `method`: its output, or for
/// `#[uactor(proxy)]` the proxy type of the kept value it returns.
fn caller_output(method: &Method) -> TokenStream {
    let output = &method.output;
    if method.by_proxy {
        quote!(<#output as ::uactor::__private::Expose>::Proxy)
    } else {
        quote!(#output)
    }
}

/// What travels of `method`'s result: [`caller_output`], or its wire form
/// where it is carried (bytes).
fn wire_output(method: &Method) -> TokenStream {
    if method.carried {
        wire_type(&method.output, true)
    } else {
        caller_output(method)
    }
}

/// What travels of a value of type `ty`: the value, or where `carried`, its
/// wire form (`Vec<u8>` as serde bytes), at the type's span.
fn wire_type(ty: &syn::Type, carried: bool) -> TokenStream {
    if carried {
        quote_spanned!(ty.span()=> <#ty as ::uactor::__private::Carried>::Wire)
    } else {
        quote!(#ty)
    }
}

/// `value`, of type `ty`, as it travels.
fn into_wire(ty: &syn::Type, carried: bool, value: TokenStream) -> TokenStream {
    if carried {
        quote!(<#ty as ::uactor::__private::Carried>::into_wire(#value))
    } else {
        value
    }
}

/// The name of the `const` holding method `index`'s codec.
fn codec_const(method: &Method) -> Ident {
    format_ident!("__UACTOR_METHOD_{}", method.index)
}

/// The name of the function making a codec for `arity` arguments.
fn codec_fn(arity: usize) -> Ident {
    format_ident!("__uactor_codec{}", arity)
}

/// The codec type, the generic helpers behind it, one codec-making function
/// per number of arguments in use, and one codec `const` per method.
/// `target` is what the proxy's calls go through (`Client` for an actor,
/// `ObjectRef` for an object, `InterfaceTarget` for an interface).
///
/// Each helper is generic over `Wire` types, so inside it the serde bounds
/// hold by assumption; the only place they are proven for the user's types
/// is the `const` of each method.
pub(super) fn codecs(methods: &[Method], target: &TokenStream) -> TokenStream {
    if methods.is_empty() {
        return TokenStream::new();
    }
    let mut arities: Vec<usize> = methods.iter().map(|method| method.params.len()).collect();
    arities.sort_unstable();
    arities.dedup();
    let makers = arities.iter().map(|&arity| {
        let name = codec_fn(arity);
        let args: Vec<_> = (0..arity)
            .map(|position| format_ident!("A{}", position))
            .collect();
        quote! {
            const fn #name<#(#args: ::uactor::__private::Wire,)* R: ::uactor::__private::Wire>()
                -> __UactorCodec<(#(#args,)*), R>
            {
                __UactorCodec {
                    call: __uactor_call::<(#(#args,)*), R>,
                    start: __uactor_start::<(#(#args,)*), R>,
                    call_async: __uactor_call_async::<(#(#args,)*), R>,
                    args: __uactor_args::<(#(#args,)*)>,
                    decode: __uactor_decode::<(#(#args,)*)>,
                    reply: __uactor_reply::<R>,
                    encode: __uactor_encode::<R>,
                }
            }
        }
    });
    let consts = methods.iter().map(|method| {
        let Method { cfgs, params, .. } = method;
        let output = wire_output(method);
        let name = codec_const(method);
        let maker = codec_fn(params.len());
        let types: Vec<_> = params
            .iter()
            .map(|param| wire_type(&param.ty, param.carried))
            .collect();
        quote! {
            #(#cfgs)*
            const #name: __UactorCodec<(#(#types,)*), #output> = #maker::<#(#types,)* #output>();
        }
    });
    quote! {
        /// How one method's arguments and result travel (`A` and `R` are
        /// their wire forms). Each piece of generated code uses the fields
        /// it needs.
        #[allow(dead_code)]
        struct __UactorCodec<A, R> {
            /// The proxy's side: send the arguments, wait for the result.
            call: fn(&#target, u16, &A) -> ::uactor::Result<R>,
            /// The proxy's side of a concurrent method: send, return a handle.
            start: fn(&#target, u16, &A) -> ::uactor::Result<::uactor::AsyncResult<R>>,
            /// The async twin's side: send, return the future of the result.
            call_async: fn(&#target, u16, A) -> ::uactor::future::CallFuture<R>,
            /// The actor's side: decode the arguments.
            args: fn(&::uactor::__private::Call<'_>) -> ::uactor::Result<A>,
            /// The actor's side: decode arguments that came in an envelope.
            decode: fn(::uactor::__private::CodecId, &[u8]) -> ::uactor::Result<A>,
            /// The actor's side: encode the result.
            reply: fn(&mut ::uactor::__private::Call<'_>, &R) -> ::uactor::Result<()>,
            /// The actor's side: encode a result that came later.
            encode: fn(::uactor::__private::CodecId, &R, &mut ::uactor::__private::Vec<u8>) -> ::uactor::Result<()>,
        }

        fn __uactor_call<A: ::uactor::__private::Wire, R: ::uactor::__private::Wire>(
            target: &#target,
            method: u16,
            args: &A,
        ) -> ::uactor::Result<R> {
            ::uactor::__private::Target::call(target, method, args)
        }

        fn __uactor_start<A: ::uactor::__private::Wire, R: ::uactor::__private::Wire>(
            target: &#target,
            method: u16,
            args: &A,
        ) -> ::uactor::Result<::uactor::AsyncResult<R>> {
            ::uactor::__private::Target::start(target, method, args)
        }

        fn __uactor_call_async<A: ::uactor::__private::Wire, R: ::uactor::__private::Wire>(
            target: &#target,
            method: u16,
            args: A,
        ) -> ::uactor::future::CallFuture<R> {
            ::uactor::__private::Target::call_async(target, method, args)
        }

        fn __uactor_args<A: ::uactor::__private::Wire>(
            call: &::uactor::__private::Call<'_>,
        ) -> ::uactor::Result<A> {
            call.args()
        }

        fn __uactor_decode<A: ::uactor::__private::Wire>(
            codec: ::uactor::__private::CodecId,
            bytes: &[u8],
        ) -> ::uactor::Result<A> {
            codec.decode(bytes)
        }

        fn __uactor_reply<R: ::uactor::__private::Wire>(
            call: &mut ::uactor::__private::Call<'_>,
            result: &R,
        ) -> ::uactor::Result<()> {
            call.reply(result)
        }

        fn __uactor_encode<R: ::uactor::__private::Wire>(
            codec: ::uactor::__private::CodecId,
            value: &R,
            out: &mut ::uactor::__private::Vec<u8>,
        ) -> ::uactor::Result<()> {
            codec.encode(value, out)
        }

        #(#makers)*
        #(#consts)*
    }
}

/// The proxy's inherent methods: the actor's exposed methods as calls and
/// their handles, then the built-ins whose names are free.
fn proxy_impl(actor: &Actor) -> TokenStream {
    let proxy = &actor.proxy;
    let field = Ident::new("client", Span::call_site());
    let methods = proxy_methods(&actor.name, &actor.methods, &field);
    let built_ins = BUILT_INS
        .iter()
        .filter(|(built_in, _)| !takes_name(&actor.methods, built_in))
        .map(|(built_in, output)| {
            let ident = Ident::new(built_in, Span::call_site());
            let output: TokenStream = output.parse().unwrap_or_default();
            let doc = format!("Same as `uactor::Proxy::{built_in}`.");
            quote! {
                #[doc = #doc]
                pub fn #ident(&self) -> #output {
                    ::uactor::Proxy::#ident(self)
                }
            }
        });
    let twin = twin_name(&actor.name, &actor.proxy);
    let to_async = (!takes_name(&actor.methods, "to_async")).then(|| {
        quote! {
            /// The async twin of this proxy, sharing its connection: the same methods, as
            /// futures. Same as `uactor::Proxy::to_async`.
            pub fn to_async(&self) -> #twin {
                ::uactor::Proxy::to_async(self)
            }
        }
    });
    quote! {
        // Named after the user's methods, whose names the lint judges
        // already (and `m_ref` for `m_` has a double underscore).
        #[allow(non_snake_case)]
        impl #proxy {
            #methods
            #(#built_ins)*
            #to_async
        }
    }
}

/// Whether an exposed method is named `name`: it then takes that name on
/// the proxy from a built-in (the documented rule) or from another method's
/// handle (a clash the check refuses; leaving the handle out spares the
/// user a second error about a name defined twice).
pub(super) fn takes_name(methods: &[Method], name: &str) -> bool {
    methods.iter().any(|method| method.ident.unraw() == name)
}

/// `Serialize` and `Deserialize` for a type that wraps the actor's
/// `Client` (the proxy and its async twin): it travels as the actor's token
/// and is decoded as a reference to an actor of this type.
fn client_serde(wrapper: &Ident, self_ty: &syn::TypePath) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl ::uactor::__private::serde::Serialize for #wrapper {
            fn serialize<S: ::uactor::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                ::uactor::__private::serde::Serialize::serialize(&self.client, serializer)
            }
        }

        #[automatically_derived]
        impl<'de> ::uactor::__private::serde::Deserialize<'de> for #wrapper {
            fn deserialize<D: ::uactor::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                ::uactor::__private::Client::deserialize_for(
                    deserializer,
                    <#self_ty as ::uactor::__private::Actor>::NAME,
                )
                .map(|client| #wrapper { client })
            }
        }
    }
}

/// `CounterAsyncProxy`.
pub(super) fn twin_name(name: &str, proxy: &Ident) -> Ident {
    format_ident!("{}AsyncProxy", name, span = proxy.span())
}

/// The async twin's methods: every exposed method, as the future of its
/// final value, and a way back to the blocking proxy.
fn twin_impl(actor: &Actor) -> TokenStream {
    let Actor { proxy, name, .. } = actor;
    let twin = twin_name(name, proxy);
    let field = Ident::new("client", Span::call_site());
    let methods = twin_methods(name, &actor.methods, &field);
    let built_ins = ["pid", "address", "shutdown", "to_sync"]
        .into_iter()
        .filter(|built_in| !takes_name(&actor.methods, built_in))
        .map(|built_in| match built_in {
            "pid" => quote! {
                /// The actor's process id.
                pub fn pid(&self) -> u32 {
                    self.client.pid()
                }
            },
            "address" => quote! {
                /// Where the actor listens.
                pub fn address(&self) -> ::uactor::Address {
                    self.client.address()
                }
            },
            "shutdown" => quote! {
                /// Runs the actor's shutdown hook and ends its process; for the owner,
                /// resolves once the process is gone and reaped. The waiting happens on a
                /// thread of its own, not on the executor's. An actor that does not end
                /// within `Options::shutdown_timeout` (10 s by default) is killed: see
                /// `uactor::Proxy::shutdown`.
                pub fn shutdown(
                    &self,
                ) -> impl ::core::future::Future<Output = ::uactor::Result<()>> + ::core::marker::Send + 'static + use<> {
                    self.client.shutdown_async()
                }
            },
            _ => quote! {
                /// The blocking proxy, sharing this connection.
                pub fn to_sync(&self) -> #proxy {
                    #proxy { client: ::core::clone::Clone::clone(&self.client) }
                }
            },
        });
    quote! {
        // Named after the user's methods, whose names the lint judges
        // already (and `m_ref` for `m_` has a double underscore).
        #[allow(non_snake_case)]
        impl #twin {
            #methods
            #(#built_ins)*
        }
    }
}

/// The async twin's calls: each exposed method, as the future of its final
/// value, sent through the twin's `field`.
pub(super) fn twin_methods(name: &str, methods: &[Method], field: &Ident) -> TokenStream {
    let methods = methods.iter().map(|method| {
        let Call {
            attrs,
            ident,
            declarations,
            args,
            index,
            codec,
        } = Call::of(name, method, "; resolves to its value");
        let output = caller_output(method);
        let mut call = quote!((#codec.call_async)(&self.#field, #index, #args));
        if method.carried {
            call = quote!(::uactor::__private::carried_future(#call));
        }
        quote! {
            #attrs
            pub fn #ident(&self, #declarations) -> ::uactor::future::CallFuture<#output> {
                #call
            }
        }
    });
    quote!(#(#methods)*)
}

/// A proxy's calls: each exposed method, sent through the proxy's `field`,
/// then a handle (`add_ref`) on each method whose handle name no method
/// takes.
pub(super) fn proxy_methods(name: &str, methods: &[Method], field: &Ident) -> TokenStream {
    let calls = methods
        .iter()
        .map(|method| proxy_method(name, method, field));
    let handles = methods
        .iter()
        .filter(|method| !takes_name(methods, &method.handle().to_string()))
        .map(|method| {
            let Method {
                ident,
                cfgs,
                params,
                ..
            } = method;
            let handle = method.handle();
            let output = caller_output(method);
            let index = Literal::u16_suffixed(method.index);
            let types = params.iter().map(|param| &param.ty);
            let doc = format!(
                "A handle on `{name}::{}`, which travels: another actor that is given it calls \
                 the method back with `call({})`, its arguments written as for this method \
                 (Python uActor's callbacks).",
                ident.unraw(),
                params
                    .iter()
                    .map(|param| param.ident.unraw().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            quote! {
                #[doc = #doc]
                #(#cfgs)*
                pub fn #handle(&self) -> ::uactor::Method<(#(#types,)*), #output> {
                    ::uactor::__private::Target::method(&self.#field, #index)
                }
            }
        });
    quote! {
        #(#calls)*
        #(#handles)*
    }
}

/// One method of the proxy: the actor's method, as a call.
fn proxy_method(name: &str, method: &Method, field: &Ident) -> TokenStream {
    let Call {
        attrs,
        ident,
        declarations,
        args,
        index,
        codec,
    } = Call::of(name, method, "");
    let output = caller_output(method);
    match method.kind {
        MethodKind::Blocking => {
            let mut call = quote!((#codec.call)(&self.#field, #index, &#args));
            if method.carried {
                let ty = &method.output;
                call = quote! {
                    ::core::result::Result::map(#call, <#ty as ::uactor::__private::Carried>::from_wire)
                };
            }
            quote! {
                #attrs
                pub fn #ident(&self, #declarations) -> ::uactor::Result<#output> {
                    #call
                }
            }
        }
        MethodKind::Async | MethodKind::Deferred => {
            let mut call = quote!((#codec.start)(&self.#field, #index, &#args));
            if method.carried {
                call = quote! {
                    ::core::result::Result::map(#call, ::uactor::__private::carried_result)
                };
            }
            quote! {
                #attrs
                pub fn #ident(&self, #declarations) -> ::uactor::Result<::uactor::AsyncResult<#output>> {
                    #call
                }
            }
        }
    }
}

/// What every generated call of a method shares, on the proxy and on its
/// async twin: its attributes, name, parameters, argument tuple, index and
/// codec.
struct Call<'a> {
    /// The user's docs (or a generated line) and `#[cfg]`s.
    attrs: TokenStream,
    ident: &'a Ident,
    /// `a: A, b: B`.
    declarations: TokenStream,
    /// `(a, b,)`: the arguments as they travel (a carried one in its wire
    /// form).
    args: TokenStream,
    index: Literal,
    codec: Ident,
}

impl<'a> Call<'a> {
    /// The parts of `method`'s call; a method without docs gets "Calls
    /// `Name::method` in the actor's process" followed by `doc_suffix`.
    fn of(name: &str, method: &'a Method, doc_suffix: &str) -> Self {
        let Method {
            ident,
            docs,
            cfgs,
            params,
            ..
        } = method;
        let doc = docs.is_empty().then(|| {
            let doc = format!(
                "Calls `{name}::{}` in the actor's process{doc_suffix}.",
                ident.unraw()
            );
            quote!(#[doc = #doc])
        });
        let args = params
            .iter()
            .map(|param| into_wire(&param.ty, param.carried, param.ident.to_token_stream()));
        let declarations = params
            .iter()
            .map(|Param { ident, ty, .. }| quote!(#ident: #ty));
        Call {
            attrs: quote!(#(#docs)* #doc #(#cfgs)*),
            ident,
            declarations: quote!(#(#declarations),*),
            args: quote!((#(#args,)*)),
            index: Literal::u16_suffixed(method.index),
            codec: codec_const(method),
        }
    }
}

/// `impl Actor for Counter`: construction, dispatch and the shutdown hook.
fn actor_impl(actor: &Actor) -> TokenStream {
    let Actor {
        self_ty,
        proxy,
        name,
        ..
    } = actor;
    let args_ty = match &actor.constructor {
        Constructor::Default | Constructor::Refused { .. } => quote!(()),
        Constructor::New { ident, params, .. } => match params.as_slice() {
            [] => quote!(()),
            [param] => param.ty.to_token_stream(),
            // At `new`: a tuple that cannot travel is reported on the constructor.
            params => {
                let types = params.iter().map(|param| &param.ty);
                quote_spanned!(ident.span()=> (#(#types),*))
            }
        },
    };
    let construct = construct(actor);
    let arms = actor.methods.iter().map(|method| {
        let invoke = |ident: &Ident, locals: &[Ident]| {
            quote!(::uactor::__private::Cell::with(&**cell, |this| #self_ty::#ident(this, #(#locals),*)))
        };
        let codec = codec_const(method);
        serve_arm(method, &quote!((#codec.args)(call)?), invoke, Some(self_ty))
    });
    let names = actor.methods.iter().map(|method| {
        let index = Literal::u16_suffixed(method.index);
        let cfgs = &method.cfgs;
        let name = method.ident.unraw().to_string();
        quote!(#(#cfgs)* #index => ::core::option::Option::Some(#name),)
    });
    let on_shutdown = actor.shutdown_hook.as_ref().map(|hook| {
        quote! {
            fn on_shutdown(&mut self) {
                #self_ty::#hook(self)
            }
        }
    });
    let cell = if actor
        .methods
        .iter()
        .any(|method| method.kind == MethodKind::Async)
    {
        // `async fn` methods share the actor while they wait.
        quote!(::uactor::__private::RwLockCell)
    } else {
        quote!(::uactor::__private::MutexCell)
    };
    // The one place an actor that is not `Send` is refused, at its type.
    let new_cell = quote_spanned!(self_ty.span()=> #cell::new(self));
    quote! {
        #[automatically_derived]
        impl ::uactor::__private::Actor for #self_ty {
            type Proxy = #proxy;
            type Cell = #cell<Self>;
            type Args = #args_ty;

            const NAME: &'static str = ::core::concat!(::core::module_path!(), "::", #name);

            fn construct(args: Self::Args) -> ::uactor::Result<Self> {
                #construct
            }

            fn cell(self) -> Self::Cell {
                #new_cell
            }

            fn dispatch(
                cell: &::uactor::__private::Arc<Self::Cell>,
                method: u16,
                call: &mut ::uactor::__private::Call<'_>,
            ) -> ::uactor::Result<()> {
                match method {
                    #(#arms)*
                    // The methods of the interfaces the actor implements.
                    ::uactor::__private::INTERFACE_METHOD => {
                        ::uactor::__private::dispatch_interface::<Self>(cell, call)
                    }
                    _ => ::core::result::Result::Err(::uactor::__private::unknown_method(
                        <Self as ::uactor::__private::Actor>::NAME,
                        method,
                    )),
                }
            }

            #on_shutdown

            fn method_name(method: u16) -> ::core::option::Option<&'static str> {
                match method {
                    #(#names)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}

/// The body of `Actor::construct`: unpack `args`, call the constructor.
fn construct(actor: &Actor) -> TokenStream {
    let self_ty = &actor.self_ty;
    match &actor.constructor {
        Constructor::Default => {
            // At the type's span: a type that is not `Default` is reported there.
            let default = quote_spanned! {self_ty.span()=>
                <#self_ty as ::core::default::Default>::default()
            };
            quote! {
                let () = args;
                ::core::result::Result::Ok(#default)
            }
        }
        Constructor::New {
            ident,
            params,
            fallible,
        } => {
            let locals = locals(params.len());
            let unpack = match locals.as_slice() {
                [] => quote!(let () = args;),
                [local] => quote!(let #local = args;),
                locals => quote!(let (#(#locals),*) = args;),
            };
            let call = quote!(#self_ty::#ident(#(#locals),*));
            let result = if *fallible {
                quote! {
                    ::core::result::Result::map_err(#call, ::uactor::__private::constructor_error)
                }
            } else {
                quote!(::core::result::Result::Ok(#call))
            };
            quote! {
                #unpack
                #result
            }
        }
        // The crate does not build, so this never runs.
        Constructor::Refused { .. } => quote! {
            let () = args;
            ::core::unreachable!("`new` is refused at compile time, so this crate does not build")
        },
    }
}

/// One arm of a `match` on method indices that serves `method`: decode the
/// arguments with `decode`, run the method (`invoke` makes the expression
/// that does, given the method's name and the decoded arguments), encode
/// its result now or hand the actor's runtime what will.
///
/// `async fn` methods (actors only) need the actor's async cell, `cell`,
/// and its type, `actor`.
pub(super) fn serve_arm(
    method: &Method,
    decode: &TokenStream,
    invoke: impl Fn(&Ident, &[Ident]) -> TokenStream,
    actor: Option<&syn::TypePath>,
) -> TokenStream {
    let Method {
        ident,
        cfgs,
        params,
        ..
    } = method;
    let index = Literal::u16_suffixed(method.index);
    let codec = codec_const(method);
    let locals = locals(params.len());
    // Carried arguments back from their wire form.
    let unwrap = params
        .iter()
        .zip(&locals)
        .filter(|(param, _)| param.carried)
        .map(|(Param { ty, .. }, local)| {
            quote!(let #local = <#ty as ::uactor::__private::Carried>::from_wire(#local);)
        });
    let output = &method.output;
    let wire = |value: TokenStream| into_wire(output, method.carried, value);
    let run = match method.kind {
        MethodKind::Blocking if method.by_proxy => {
            let invoke = invoke(ident, &locals);
            quote! {
                let kept = #invoke;
                let result = ::uactor::__private::Expose::expose(&kept)?;
                (#codec.reply)(call, &result)
            }
        }
        MethodKind::Blocking if method.flatten => {
            let invoke = invoke(ident, &locals);
            quote! {
                let result = #invoke?;
                (#codec.reply)(call, &result)
            }
        }
        MethodKind::Blocking => {
            let invoke = invoke(ident, &locals);
            let result = wire(quote!(result));
            quote! {
                let result = #invoke;
                (#codec.reply)(call, &#result)
            }
        }
        MethodKind::Deferred if method.carried => {
            let invoke = invoke(ident, &locals);
            quote! {
                let handle = #invoke;
                ::uactor::__private::defer(call, #codec.encode, move || {
                    let future = ::core::future::IntoFuture::into_future(handle);
                    async move {
                        ::core::result::Result::map(
                            future.await,
                            <#output as ::uactor::__private::Carried>::into_wire,
                        )
                    }
                });
                ::core::result::Result::Ok(())
            }
        }
        MethodKind::Deferred => {
            let invoke = invoke(ident, &locals);
            quote! {
                let handle = #invoke;
                ::uactor::__private::defer(call, #codec.encode, move || ::core::future::IntoFuture::into_future(handle));
                ::core::result::Result::Ok(())
            }
        }
        MethodKind::Async => {
            let guard = if method.mutable {
                quote!(let mut this = shared.write().await; let this = &mut *this;)
            } else {
                quote!(let this = shared.read().await; let this = &*this;)
            };
            let result = wire(quote!(#actor::#ident(this, #(#locals),*).await));
            quote! {
                let shared = ::uactor::__private::Arc::clone(cell);
                ::uactor::__private::defer(call, #codec.encode, move || async move {
                    #guard
                    ::core::result::Result::Ok(#result)
                });
                ::core::result::Result::Ok(())
            }
        }
    };
    quote! {
        #(#cfgs)*
        #index => {
            let (#(#locals,)*) = #decode;
            #(#unwrap)*
            #run
        }
    }
}

/// Hygienic names for `count` decoded arguments: they cannot clash with
/// anything the user names.
fn locals(count: usize) -> Vec<Ident> {
    (0..count)
        .map(|position| format_ident!("arg{}", position, span = Span::mixed_site()))
        .collect()
}
