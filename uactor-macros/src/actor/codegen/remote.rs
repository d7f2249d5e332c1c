//! The code `#[uactor::remote]` emits: the type's object proxy, which calls
//! its `pub` methods on a value kept in an actor, and the `Remote` impl
//! that serves those calls on the kept `Shared<Type>`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;
use syn::ext::IdentExt;

use super::{codecs, proxy_methods, serve_arm, takes_name};
use crate::actor::model::Actor;

/// All the output of `#[uactor::remote]`.
pub(crate) fn remote(remote: &Actor) -> TokenStream {
    let Actor {
        item,
        self_ty,
        proxy,
        name,
        methods,
        ..
    } = remote;
    let proxy_name = proxy.unraw().to_string();
    let doc = format!(
        "A proxy to a `{name}` kept in an actor (typeid `auto`, or `{name}` where the actor \
         registers it with `proxies({name})`).\n\n\
         Made in the actor with `uactor::proxy(&shared)` from a `uactor::Shared<{name}>`. \
         Each method call runs the value's method in the actor's process and returns \
         `uactor::Result`. Clones share one reference; the value lives while some proxy \
         anywhere refers to it.",
    );
    let field = Ident::new("object", Span::call_site());
    let codecs = codecs(methods, &quote!(::uactor::__private::ObjectRef));
    let calls = proxy_methods(name, methods, &field);
    let address = (!takes_name(methods, "address")).then(|| {
        quote! {
            /// Where the value's actor listens.
            pub fn address(&self) -> ::uactor::Address {
                self.object.address()
            }
        }
    });
    let kept = Ident::new("kept", Span::mixed_site());
    let arms = methods.iter().map(|method| {
        let invoke = |ident: &Ident, locals: &[Ident]| {
            quote!({
                let mut this = #kept.lock();
                #self_ty::#ident(&mut *this, #(#locals),*)
            })
        };
        let codec = super::codec_const(method);
        serve_arm(method, &quote!((#codec.args)(call)?), invoke, None)
    });
    // `call` goes unused by a type without methods.
    let call = if methods.is_empty() {
        quote!(_call)
    } else {
        quote!(call)
    };
    quote! {
        #item

        #[doc = #doc]
        // Named after the user's type, whose name the lint judges already.
        #[allow(non_camel_case_types)]
        pub struct #proxy {
            object: ::uactor::__private::ObjectRef,
        }

        const _: () = {
            #codecs

            // Named after the user's methods, whose names the lint judges
            // already (and `m_ref` for `m_` has a double underscore).
            #[allow(non_snake_case)]
            impl #proxy {
                #calls
                #address
            }

            #[automatically_derived]
            impl ::uactor::objects::Remote for #self_ty {
                type Proxy = #proxy;

                const NAME: &'static str = #name;

                fn proxy(object: ::uactor::__private::ObjectRef) -> #proxy {
                    #proxy { object }
                }

                fn serve(
                    #kept: &::uactor::Shared<Self>,
                    method: u16,
                    #call: &mut ::uactor::__private::Call<'_>,
                ) -> ::uactor::Result<()> {
                    match method {
                        #(#arms)*
                        _ => ::core::result::Result::Err(::uactor::__private::unknown_method(
                            <Self as ::uactor::objects::Remote>::NAME,
                            method,
                        )),
                    }
                }
            }

            #[automatically_derived]
            impl ::core::clone::Clone for #proxy {
                fn clone(&self) -> Self {
                    #proxy { object: ::core::clone::Clone::clone(&self.object) }
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #proxy {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#proxy_name).field("object", &self.object).finish()
                }
            }

            #[automatically_derived]
            impl ::uactor::objects::Typed for #proxy {
                fn typeid(&self) -> &str {
                    self.object.typeid()
                }
            }

            #[automatically_derived]
            impl ::uactor::__private::serde::Serialize for #proxy {
                fn serialize<S: ::uactor::__private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    ::uactor::__private::serde::Serialize::serialize(&self.object, serializer)
                }
            }

            #[automatically_derived]
            impl<'de> ::uactor::__private::serde::Deserialize<'de> for #proxy {
                fn deserialize<D: ::uactor::__private::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    ::uactor::__private::deserialize_remote::<#self_ty, D>(deserializer)
                        .map(|object| #proxy { object })
                }
            }
        };
    }
}
