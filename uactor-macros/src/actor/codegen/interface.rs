//! The code `#[uactor::interface]` emits for a trait (its proxy and async
//! twin, and how any actor that implements it serves its methods), and the
//! code `#[uactor::actor]` emits for an actor's impl of one (the proxy
//! conversion and the registration that makes the actor serve it).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;
use syn::ext::IdentExt;

use super::{codec_const, codecs, proxy_methods, serve_arm, takes_name, twin_methods, twin_name};
use crate::actor::model::{Implementation, Interface};

/// All the output of `#[uactor::interface]`.
pub(crate) fn interface(interface: &Interface) -> TokenStream {
    let Interface {
        item,
        name,
        proxy,
        methods,
        ..
    } = interface;
    let vis = &item.vis;
    let trait_ident = &item.ident;
    let proxy_name = proxy.unraw().to_string();
    let twin = twin_name(name, proxy);
    let twin_name = twin.unraw().to_string();
    let doc = format!(
        "A proxy to any actor that implements `{name}` (its `impl {name} for Type` is marked \
         `#[uactor::actor]`), made from the actor's own proxy with `.into()`.\n\n\
         Each method call runs the actor's impl of the method in its process and returns \
         `uactor::Result`. It owns the actor when the proxy it was made from did.",
    );
    let twin_doc = format!(
        "The async twin of `{proxy_name}`: the same methods, as futures that need no \
         particular async runtime. Made by `{proxy_name}::to_async`.",
    );
    let field = Ident::new("target", Span::call_site());
    let codecs = codecs(methods, &quote!(::uactor::__private::InterfaceTarget));
    let calls = proxy_methods(name, methods, &field);
    let twin_calls = twin_methods(name, methods, &field);
    let built_ins = [
        ("pid", quote!(u32)),
        ("address", quote!(::uactor::Address)),
        ("shutdown", quote!(::uactor::Result<()>)),
        ("to_async", quote!(#twin)),
    ]
    .into_iter()
    .filter(|(built_in, _)| !takes_name(methods, built_in))
    .map(|(built_in, output)| {
        let ident = Ident::new(built_in, Span::call_site());
        let doc = format!("Same as `uactor::Proxy::{built_in}`.");
        quote! {
            #[doc = #doc]
            pub fn #ident(&self) -> #output {
                ::uactor::Proxy::#ident(self)
            }
        }
    });
    let twin_built_ins = ["pid", "address", "to_sync"]
        .into_iter()
        .filter(|built_in| !takes_name(methods, built_in))
        .map(|built_in| match built_in {
            "pid" => quote! {
                /// The actor's process id.
                pub fn pid(&self) -> u32 {
                    self.target.client().pid()
                }
            },
            "address" => quote! {
                /// Where the actor listens.
                pub fn address(&self) -> ::uactor::Address {
                    self.target.client().address()
                }
            },
            _ => quote! {
                /// The blocking proxy, sharing this connection.
                pub fn to_sync(&self) -> #proxy {
                    #proxy { target: ::core::clone::Clone::clone(&self.target) }
                }
            },
        });
    // The actor type serving a call, a generic parameter of the dispatch.
    let actor = Ident::new("A", Span::mixed_site());
    let arms = methods.iter().map(|method| {
        let invoke = |ident: &Ident, locals: &[Ident]| {
            quote! {
                <<#actor as ::uactor::__private::Actor>::Cell as ::uactor::__private::Cell<#actor>>::with(
                    &**cell,
                    |this| <#actor as #trait_ident>::#ident(this, #(#locals),*),
                )
            }
        };
        let codec = codec_const(method);
        serve_arm(method, &quote!((#codec.decode)(call.codec(), args)?), invoke, None)
    });
    // Unused by an interface without methods.
    let (cell, args, call) = if methods.is_empty() {
        (quote!(_cell), quote!(_args), quote!(_call))
    } else {
        (quote!(cell), quote!(args), quote!(call))
    };
    quote! {
        #item

        #[doc = #doc]
        #[derive(::core::clone::Clone)]
        // Named after the user's type, whose name the lint judges already.
        #[allow(non_camel_case_types)]
        #vis struct #proxy {
            target: ::uactor::__private::InterfaceTarget,
        }

        #[doc = #twin_doc]
        #[derive(::core::clone::Clone)]
        // Named after the user's type, whose name the lint judges already.
        #[allow(non_camel_case_types)]
        #vis struct #twin {
            target: ::uactor::__private::InterfaceTarget,
        }

        const _: () = {
            #codecs

            // Named after the user's methods, whose names the lint judges
            // already (and `m_ref` for `m_` has a double underscore).
            #[allow(non_snake_case)]
            impl #proxy {
                #calls
                #(#built_ins)*
            }

            // Named after the user's methods, whose names the lint judges
            // already (and `m_ref` for `m_` has a double underscore).
            #[allow(non_snake_case)]
            impl #twin {
                #twin_calls
                #(#twin_built_ins)*
            }

            #[automatically_derived]
            impl ::uactor::__private::Interface for #proxy {
                const ID: u64 = ::uactor::__private::tag(
                    ::core::concat!(::core::module_path!(), "::", #name),
                );
                const NAME: &'static str = #name;

                fn from_target(target: ::uactor::__private::InterfaceTarget) -> Self {
                    #proxy { target }
                }
            }

            #[automatically_derived]
            impl<#actor: #trait_ident + ::uactor::__private::Actor> ::uactor::__private::Dispatch<#actor> for #proxy {
                fn dispatch(
                    #cell: &::uactor::__private::Arc<<#actor as ::uactor::__private::Actor>::Cell>,
                    method: u16,
                    #args: &[u8],
                    #call: &mut ::uactor::__private::Call<'_>,
                ) -> ::uactor::Result<()> {
                    match method {
                        #(#arms)*
                        _ => ::core::result::Result::Err(::uactor::__private::unknown_method(
                            <Self as ::uactor::__private::Interface>::NAME,
                            method,
                        )),
                    }
                }
            }

            #[automatically_derived]
            impl ::uactor::Proxy for #proxy {
                type Async = #twin;

                fn to_async(&self) -> #twin {
                    #twin { target: ::core::clone::Clone::clone(&self.target) }
                }

                fn pid(&self) -> u32 {
                    self.target.client().pid()
                }

                fn address(&self) -> ::uactor::Address {
                    self.target.client().address()
                }

                fn shutdown(&self) -> ::uactor::Result<()> {
                    self.target.client().shutdown()
                }

                fn stats(&self) -> ::uactor::Result<::uactor::observe::Stats> {
                    self.target.client().stats()
                }

                fn generation(&self) -> u64 {
                    self.target.client().generation()
                }

                fn from_token(token: ::uactor::__private::Token) -> ::uactor::Result<Self> {
                    ::uactor::__private::Client::from_any_token(
                        token,
                        <Self as ::uactor::__private::Interface>::NAME,
                    )
                    .map(<Self as ::uactor::__private::Interface>::from_client)
                }
            }

            #[automatically_derived]
            impl ::uactor::objects::Typed for #proxy {
                fn typeid(&self) -> &str {
                    ::uactor::__private::typeid::ACTOR
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #proxy {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#proxy_name).field("target", &self.target).finish()
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #twin {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#twin_name).field("target", &self.target).finish()
                }
            }

            #[automatically_derived]
            impl ::uactor::__private::serde::Serialize for #proxy {
                fn serialize<S: ::uactor::__private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    ::uactor::__private::serde::Serialize::serialize(self.target.client(), serializer)
                }
            }

            #[automatically_derived]
            impl<'de> ::uactor::__private::serde::Deserialize<'de> for #proxy {
                fn deserialize<D: ::uactor::__private::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    ::uactor::__private::deserialize_interface::<Self, D>(deserializer)
                }
            }

            #[automatically_derived]
            impl ::uactor::__private::serde::Serialize for #twin {
                fn serialize<S: ::uactor::__private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    ::uactor::__private::serde::Serialize::serialize(self.target.client(), serializer)
                }
            }

            #[automatically_derived]
            impl<'de> ::uactor::__private::serde::Deserialize<'de> for #twin {
                fn deserialize<D: ::uactor::__private::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    ::uactor::__private::deserialize_interface::<#proxy, D>(deserializer)
                        .map(|proxy| #twin { target: proxy.target })
                }
            }
        };
    }
}

/// All the output of `#[uactor::actor] impl Trait for Type`: the impl as
/// written, `From<TypeProxy> for TraitProxy`, and the registration through
/// which the actor's `dispatch` finds the impl.
pub(crate) fn implementation(implementation: &Implementation) -> TokenStream {
    let Implementation {
        item,
        self_ty,
        actor_proxy,
        interface_proxy,
        ..
    } = implementation;
    let proxy = Ident::new("proxy", Span::mixed_site());
    let registration = format_ident!("__UACTOR_INTERFACE");
    quote! {
        #item

        const _: () = {
            #[::uactor::__private::linkme::distributed_slice(::uactor::__private::INTERFACES)]
            #[linkme(crate = ::uactor::__private::linkme)]
            static #registration: ::uactor::__private::InterfaceImpl =
                ::uactor::__private::InterfaceImpl::of::<#self_ty, #interface_proxy>();

            #[automatically_derived]
            impl ::core::convert::From<#actor_proxy> for #interface_proxy {
                fn from(#proxy: #actor_proxy) -> Self {
                    <#interface_proxy as ::uactor::__private::Interface>::from_client(
                        ::core::clone::Clone::clone(::uactor::__private::ProxyClient::client(&#proxy)),
                    )
                }
            }
        };
    }
}
