//! The code `#[uactor::actor]` emits for a valid [`Actor`] model.
//!
//! Everything it names outside the user's own items is a fully qualified
//! `::core::…` or `::uactor::…` path, so the output compiles in any module,
//! even under `#![no_implicit_prelude]`. Only the names the user types are
//! added to their module (`CounterProxy`, `Counter::spawn`,
//! `Counter::spawn_with`); everything else sits inside
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

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::model::{Actor, Constructor, Method, MethodKind, Param};

/// The proxy's built-in methods, each forwarding to `::uactor::Proxy`, and
/// its result type. One is generated only where no exposed method already
/// takes its name.
const BUILT_INS: [(&str, &str); 3] =
    [("pid", "u32"), ("address", "::uactor::Address"), ("shutdown", "::uactor::Result<()>")];

/// All the output: the user's impl block, the proxy struct, the spawn
/// functions and everything else inside one `const _`.
pub(crate) fn generate(actor: &Actor) -> TokenStream {
    let Actor { item, self_ty, proxy, name, .. } = actor;
    let doc = format!(
        "A typed handle to a `{name}` actor, which lives in its own process.\n\n\
         Made by `{name}::spawn`. Each method call is a message to the actor's process and \
         returns `uactor::Result`: the method's value, or why the call failed. Clones \
         share the connection.",
    );
    let spawn = spawn(actor);
    let codecs = codecs(actor);
    let proxy_impl = proxy_impl(actor);
    let actor_impl = actor_impl(actor);
    let proxy_name = proxy.unraw().to_string();
    let twin = twin_name(actor);
    let twin_name = twin.unraw().to_string();
    let twin_doc = format!(
        "The async twin of `{proxy_name}`: the same methods, as futures that need no \
         particular async runtime (tokio, smol, `futures::executor::block_on`). Any number of \
         calls may be in flight on its one connection. Made by `{proxy_name}::to_async`.",
    );
    let twin_impl = twin_impl(actor);
    quote! {
        #item

        #[doc = #doc]
        #[derive(::core::clone::Clone)]
        pub struct #proxy {
            client: ::uactor::__private::Client,
        }

        #[doc = #twin_doc]
        #[derive(::core::clone::Clone)]
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
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #proxy {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#proxy_name).field("client", &self.client).finish()
                }
            }

            #[automatically_derived]
            impl ::uactor::__private::serde::Serialize for #proxy {
                fn serialize<S: ::uactor::__private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    ::uactor::__private::serde::Serialize::serialize(&self.client, serializer)
                }
            }

            #[automatically_derived]
            impl<'de> ::uactor::__private::serde::Deserialize<'de> for #proxy {
                fn deserialize<D: ::uactor::__private::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    ::uactor::__private::Client::deserialize_for(
                        deserializer,
                        <#self_ty as ::uactor::__private::Actor>::NAME,
                    )
                    .map(|client| #proxy { client })
                }
            }

            #[automatically_derived]
            impl ::uactor::Typed for #proxy {
                fn typeid(&self) -> &str {
                    "actor"
                }
            }

            #[automatically_derived]
            impl ::uactor::__private::serde::Serialize for #twin {
                fn serialize<S: ::uactor::__private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    ::uactor::__private::serde::Serialize::serialize(&self.client, serializer)
                }
            }

            #[automatically_derived]
            impl<'de> ::uactor::__private::serde::Deserialize<'de> for #twin {
                fn deserialize<D: ::uactor::__private::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    ::uactor::__private::Client::deserialize_for(
                        deserializer,
                        <#self_ty as ::uactor::__private::Actor>::NAME,
                    )
                    .map(|client| #twin { client })
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #twin {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#twin_name).field("client", &self.client).finish()
                }
            }
        };
    }
}

/// `Counter::spawn` and `Counter::spawn_with`, which take the constructor's
/// parameters.
fn spawn(actor: &Actor) -> TokenStream {
    let Actor { self_ty, proxy, name, .. } = actor;
    let params = actor.constructor.params();
    let declarations: Vec<_> = params.iter().map(|Param { ident, ty }| quote!(#ident: #ty)).collect();
    let args = match params {
        [] => quote!(()),
        [param] => param.ident.to_token_stream(),
        params => {
            let idents = params.iter().map(|param| &param.ident);
            quote!((#(#idents),*))
        }
    };
    let built_by = match &actor.constructor {
        Constructor::Default => format!("The actor is built with `{name}::default()` in the new process."),
        Constructor::New { fallible: false, .. } => {
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
    let spawn_with_doc =
        format!("Starts a `{name}` in a new process with `options` and returns its proxy.\n\n{built_by}");
    let connect_doc = format!(
        "Connects to a `{name}` served at `address`, proving knowledge of `authkey`.\n\n\
         The proxy is a reference, not an owner: dropping it leaves the actor running."
    );
    // Hygienic, so a constructor parameter named `options` does not clash.
    let options = Ident::new("options", Span::mixed_site());
    quote! {
        impl #self_ty {
            #[doc = #spawn_doc]
            pub fn spawn(#(#declarations),*) -> ::uactor::Result<#proxy> {
                ::uactor::__private::spawn::<#self_ty>(&::uactor::Options::new(), #args)
            }

            #[doc = #spawn_with_doc]
            pub fn spawn_with(
                #options: &::uactor::Options,
                #(#declarations),*
            ) -> ::uactor::Result<#proxy> {
                ::uactor::__private::spawn::<#self_ty>(#options, #args)
            }

            /// Every typeid this actor can hand out by proxy: the built-ins,
            /// `actor` (itself) and `auto` (any `#[uactor::remote]` type).
            pub fn typeids() -> ::uactor::__private::Vec<&'static str> {
                ::uactor::__private::builtin_typeids()
            }

            #[doc = #connect_doc]
            pub fn connect(
                address: &::uactor::Address,
                authkey: impl ::core::convert::AsRef<[u8]>,
            ) -> ::uactor::Result<#proxy> {
                ::uactor::__private::connect::<#self_ty>(address, ::core::convert::AsRef::as_ref(&authkey))
            }
        }
    }
}

/// What the caller receives from `method`: its output, or for
/// `#[uactor(proxy)]` the proxy type of the kept value it returns.
fn wire_output(method: &Method) -> TokenStream {
    let output = &method.output;
    if method.by_proxy {
        quote!(<#output as ::uactor::__private::Expose>::Proxy)
    } else {
        quote!(#output)
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
///
/// Each helper is generic over `Wire` types, so inside it the serde bounds
/// hold by assumption; the only place they are proven for the user's types
/// is the `const` of each method.
fn codecs(actor: &Actor) -> TokenStream {
    if actor.methods.is_empty() {
        return TokenStream::new();
    }
    let mut arities: Vec<usize> = actor.methods.iter().map(|method| method.params.len()).collect();
    arities.sort_unstable();
    arities.dedup();
    let makers = arities.iter().map(|&arity| {
        let name = codec_fn(arity);
        let args: Vec<_> = (0..arity).map(|position| format_ident!("A{}", position)).collect();
        quote! {
            const fn #name<#(#args: ::uactor::__private::Wire,)* R: ::uactor::__private::Wire>()
                -> __UactorCodec<(#(#args,)*), R>
            {
                __UactorCodec {
                    call: __uactor_call::<(#(#args,)*), R>,
                    start: __uactor_start::<(#(#args,)*), R>,
                    call_async: __uactor_call_async::<(#(#args,)*), R>,
                    args: __uactor_args::<(#(#args,)*)>,
                    reply: __uactor_reply::<R>,
                    encode: __uactor_encode::<R>,
                }
            }
        }
    });
    let consts = actor.methods.iter().map(|method| {
        let Method { cfgs, params, .. } = method;
        let output = wire_output(method);
        let name = codec_const(method);
        let maker = codec_fn(params.len());
        let types: Vec<_> = params.iter().map(|param| &param.ty).collect();
        quote! {
            #(#cfgs)*
            const #name: __UactorCodec<(#(#types,)*), #output> = #maker::<#(#types,)* #output>();
        }
    });
    quote! {
        /// How one method's arguments and result travel.
        struct __UactorCodec<A, R> {
            /// The proxy's side: send the arguments, wait for the result.
            call: fn(&::uactor::__private::Client, u16, &A) -> ::uactor::Result<R>,
            /// The proxy's side of a concurrent method: send, return a handle.
            start: fn(&::uactor::__private::Client, u16, &A) -> ::uactor::Result<::uactor::AsyncResult<R>>,
            /// The async twin's side: send, return the future of the result.
            call_async: fn(&::uactor::__private::Client, u16, &A) -> ::uactor::CallFuture<R>,
            /// The actor's side: decode the arguments.
            args: fn(&::uactor::__private::Call<'_>) -> ::uactor::Result<A>,
            /// The actor's side: encode the result.
            reply: fn(&mut ::uactor::__private::Call<'_>, &R) -> ::uactor::Result<()>,
            /// The actor's side: encode a result that came later.
            encode: fn(::uactor::__private::CodecId, &R, &mut ::uactor::__private::Vec<u8>) -> ::uactor::Result<()>,
        }

        fn __uactor_start<A: ::uactor::__private::Wire, R: ::uactor::__private::Wire>(
            client: &::uactor::__private::Client,
            method: u16,
            args: &A,
        ) -> ::uactor::Result<::uactor::AsyncResult<R>> {
            client.start(method, args)
        }

        fn __uactor_call_async<A: ::uactor::__private::Wire, R: ::uactor::__private::Wire>(
            client: &::uactor::__private::Client,
            method: u16,
            args: &A,
        ) -> ::uactor::CallFuture<R> {
            client.call_async(method, args)
        }

        fn __uactor_encode<R: ::uactor::__private::Wire>(
            codec: ::uactor::__private::CodecId,
            value: &R,
            out: &mut ::uactor::__private::Vec<u8>,
        ) -> ::uactor::Result<()> {
            codec.encode(value, out)
        }

        fn __uactor_call<A: ::uactor::__private::Wire, R: ::uactor::__private::Wire>(
            client: &::uactor::__private::Client,
            method: u16,
            args: &A,
        ) -> ::uactor::Result<R> {
            client.call(method, args)
        }

        fn __uactor_args<A: ::uactor::__private::Wire>(
            call: &::uactor::__private::Call<'_>,
        ) -> ::uactor::Result<A> {
            call.args()
        }

        fn __uactor_reply<R: ::uactor::__private::Wire>(
            call: &mut ::uactor::__private::Call<'_>,
            result: &R,
        ) -> ::uactor::Result<()> {
            call.reply(result)
        }

        #(#makers)*
        #(#consts)*
    }
}

/// The proxy's inherent methods: the actor's exposed methods as calls, then
/// the built-ins whose names are free.
fn proxy_impl(actor: &Actor) -> TokenStream {
    let proxy = &actor.proxy;
    let methods = actor.methods.iter().map(|method| proxy_method(actor, method));
    let built_ins = BUILT_INS
        .iter()
        .filter(|(built_in, _)| !actor.methods.iter().any(|method| method.ident.unraw() == built_in))
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
    let twin = twin_name(actor);
    let to_async = (!actor.methods.iter().any(|method| method.ident.unraw() == "to_async")).then(|| {
        quote! {
            /// The async twin of this proxy, sharing its connection: the same methods, as
            /// futures. Same as `uactor::Proxy::to_async`.
            pub fn to_async(&self) -> #twin {
                ::uactor::Proxy::to_async(self)
            }
        }
    });
    quote! {
        impl #proxy {
            #(#methods)*
            #(#built_ins)*
            #to_async
        }
    }
}

/// `CounterAsyncProxy`.
fn twin_name(actor: &Actor) -> Ident {
    format_ident!("{}AsyncProxy", actor.name, span = actor.proxy.span())
}

/// The async twin's methods: every exposed method, as the future of its
/// final value, and a way back to the blocking proxy.
fn twin_impl(actor: &Actor) -> TokenStream {
    let Actor { proxy, name, .. } = actor;
    let twin = twin_name(actor);
    let methods = actor.methods.iter().map(|method| {
        let Method { ident, docs, cfgs, params, .. } = method;
        let output = wire_output(method);
        let index = Literal::u16_suffixed(method.index);
        let codec = codec_const(method);
        let idents = params.iter().map(|param| &param.ident);
        let declarations = params.iter().map(|Param { ident, ty }| quote!(#ident: #ty));
        let doc = docs.is_empty().then(|| {
            let doc = format!("Calls `{name}::{}` in the actor's process; resolves to its value.", ident.unraw());
            quote!(#[doc = #doc])
        });
        quote! {
            #(#docs)*
            #doc
            #(#cfgs)*
            pub fn #ident(&self, #(#declarations),*) -> ::uactor::CallFuture<#output> {
                (#codec.call_async)(&self.client, #index, &(#(#idents,)*))
            }
        }
    });
    let built_ins = ["pid", "address", "to_sync"]
        .into_iter()
        .filter(|built_in| !actor.methods.iter().any(|method| method.ident.unraw() == built_in))
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
            _ => quote! {
                /// The blocking proxy, sharing this connection.
                pub fn to_sync(&self) -> #proxy {
                    #proxy { client: ::core::clone::Clone::clone(&self.client) }
                }
            },
        });
    quote! {
        impl #twin {
            #(#methods)*
            #(#built_ins)*
        }
    }
}

/// One method of the proxy: the actor's method, as a call.
fn proxy_method(actor: &Actor, method: &Method) -> TokenStream {
    let Method { ident, docs, cfgs, params, .. } = method;
    let output = wire_output(method);
    let index = Literal::u16_suffixed(method.index);
    let codec = codec_const(method);
    let idents = params.iter().map(|param| &param.ident);
    let declarations = params.iter().map(|Param { ident, ty }| quote!(#ident: #ty));
    let doc = docs.is_empty().then(|| {
        let doc = format!("Calls `{}::{}` in the actor's process.", actor.name, ident.unraw());
        quote!(#[doc = #doc])
    });
    match method.kind {
        MethodKind::Blocking => quote! {
            #(#docs)*
            #doc
            #(#cfgs)*
            pub fn #ident(&self, #(#declarations),*) -> ::uactor::Result<#output> {
                (#codec.call)(&self.client, #index, &(#(#idents,)*))
            }
        },
        MethodKind::Async | MethodKind::Deferred => quote! {
            #(#docs)*
            #doc
            #(#cfgs)*
            pub fn #ident(&self, #(#declarations),*) -> ::uactor::Result<::uactor::AsyncResult<#output>> {
                (#codec.start)(&self.client, #index, &(#(#idents,)*))
            }
        },
    }
}

/// `impl Actor for Counter`: construction, dispatch and the shutdown hook.
fn actor_impl(actor: &Actor) -> TokenStream {
    let Actor { self_ty, proxy, name, .. } = actor;
    let args_ty = match &actor.constructor {
        Constructor::Default => quote!(()),
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
    let arms = actor.methods.iter().map(|method| dispatch_arm(actor, method));
    // `call` goes unused by an actor without methods.
    let call = if actor.methods.is_empty() { format_ident!("_call") } else { format_ident!("call") };
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
    let cell = if actor.methods.iter().any(|method| method.kind == MethodKind::Async) {
        // `async fn` methods share the actor while they wait.
        quote!(::uactor::__private::RwLock<Self>)
    } else {
        quote!(::uactor::__private::Mutex<Self>)
    };
    quote! {
        #[automatically_derived]
        impl ::uactor::__private::Actor for #self_ty {
            type Proxy = #proxy;
            type Cell = #cell;
            type Args = #args_ty;

            const NAME: &'static str = ::core::concat!(::core::module_path!(), "::", #name);

            fn construct(args: Self::Args) -> ::uactor::Result<Self> {
                #construct
            }

            fn dispatch(
                cell: &::uactor::__private::Arc<Self::Cell>,
                method: u16,
                #call: &mut ::uactor::__private::Call<'_>,
            ) -> ::uactor::Result<()> {
                match method {
                    #(#arms)*
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
        Constructor::New { ident, params, fallible } => {
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
    }
}

/// One arm of `Actor::dispatch`: decode the arguments, call the method,
/// encode its result now or hand the actor's runtime what will.
fn dispatch_arm(actor: &Actor, method: &Method) -> TokenStream {
    let self_ty = &actor.self_ty;
    let Method { ident, cfgs, params, .. } = method;
    let index = Literal::u16_suffixed(method.index);
    let codec = codec_const(method);
    let locals = locals(params.len());
    let run = match method.kind {
        MethodKind::Blocking if method.by_proxy => quote! {
            let kept = ::uactor::__private::Cell::with(&**cell, |this| #self_ty::#ident(this, #(#locals),*));
            let result = ::uactor::__private::Expose::expose(&kept)?;
            (#codec.reply)(call, &result)
        },
        MethodKind::Blocking if method.flatten => quote! {
            let result = ::uactor::__private::Cell::with(&**cell, |this| #self_ty::#ident(this, #(#locals),*))?;
            (#codec.reply)(call, &result)
        },
        MethodKind::Blocking => quote! {
            let result = ::uactor::__private::Cell::with(&**cell, |this| #self_ty::#ident(this, #(#locals),*));
            (#codec.reply)(call, &result)
        },
        MethodKind::Deferred => quote! {
            let handle = ::uactor::__private::Cell::with(&**cell, |this| #self_ty::#ident(this, #(#locals),*));
            ::uactor::__private::defer(call, #codec.encode, move || ::core::future::IntoFuture::into_future(handle));
            ::core::result::Result::Ok(())
        },
        MethodKind::Async => {
            let guard = if method.mutable {
                quote!(let mut this = shared.write().await; let this = &mut *this;)
            } else {
                quote!(let this = shared.read().await; let this = &*this;)
            };
            quote! {
                let shared = ::uactor::__private::Arc::clone(cell);
                ::uactor::__private::defer(call, #codec.encode, move || async move {
                    #guard
                    ::core::result::Result::Ok(#self_ty::#ident(this, #(#locals),*).await)
                });
                ::core::result::Result::Ok(())
            }
        }
    };
    quote! {
        #(#cfgs)*
        #index => {
            let (#(#locals,)*) = (#codec.args)(call)?;
            #run
        }
    }
}

/// Hygienic names for `count` decoded arguments: they cannot clash with
/// anything the user names.
fn locals(count: usize) -> Vec<Ident> {
    (0..count).map(|position| format_ident!("arg{}", position, span = Span::mixed_site())).collect()
}
