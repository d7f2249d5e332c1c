use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use super::model::{Actor, Constructor};
use super::{expand, parse};
use crate::errors::Errors;

/// The model of `item`, or every error message it produced.
fn model(item: TokenStream) -> Result<Actor, Vec<String>> {
    let mut errors = Errors::default();
    let actor = parse::input(item, &mut errors)
        .map(|input| Actor::from_input(input, &mut errors))
        .map_err(|error| error.into_iter().map(|error| error.to_string()).collect::<Vec<_>>())?;
    match errors.finish() {
        Ok(()) => Ok(actor),
        Err(error) => Err(error.into_iter().map(|error| error.to_string()).collect()),
    }
}

/// The single error `item` produces, which must contain `expected`.
#[track_caller]
fn assert_error(item: TokenStream, expected: &str) {
    let errors = match model(item) {
        Ok(_) => panic!("expected an error containing {expected:?}, got none"),
        Err(errors) => errors,
    };
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    assert!(errors[0].contains(expected), "expected {expected:?} in {:?}", errors[0]);
}

/// `tokens` as a string, for comparing syntax trees.
fn text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string()
}

fn method_names(actor: &Actor) -> Vec<(u16, String)> {
    actor.methods.iter().map(|method| (method.index, method.ident.to_string())).collect()
}

#[test]
fn exposes_pub_methods_with_receivers_in_declaration_order() {
    let actor = model(quote! {
        impl Counter {
            pub fn new(start: i64) -> Self { Counter { n: start } }
            pub fn add(&mut self, by: i64) -> i64 { self.n += by; self.n }
            fn helper(&self) {}
            pub fn get(&self) -> i64 { self.n }
            #[uactor(skip)]
            pub fn local(&self) {}
            pub fn make() -> Self { Counter { n: 0 } }
            pub(crate) fn restricted(&self) {}
            pub fn reset(self: &mut Self) { self.n = 0 }
            fn shutdown(&mut self) {}
        }
    })
    .unwrap();
    assert_eq!(actor.name, "Counter");
    assert_eq!(actor.proxy, "CounterProxy");
    assert_eq!(method_names(&actor), [(0, "add".to_owned()), (1, "get".to_owned()), (2, "reset".to_owned())]);
    assert_eq!(text(&actor.methods[2].output), "()");
    assert_eq!(actor.shutdown_hook.as_ref().map(ToString::to_string).as_deref(), Some("shutdown"));
    let Constructor::New { params, fallible, .. } = &actor.constructor else {
        panic!("`new` is the constructor");
    };
    assert!(!fallible);
    assert_eq!(params.len(), 1);
    assert_eq!(params[0].ident, "start");
}

#[test]
fn without_new_the_actor_is_default() {
    let actor = model(quote! {
        impl Greeter {
            pub fn hello(&self) -> String { String::new() }
        }
    })
    .unwrap();
    assert!(matches!(actor.constructor, Constructor::Default));
    assert!(actor.constructor.params().is_empty());
    assert!(actor.shutdown_hook.is_none());
}

#[test]
fn a_pub_shutdown_is_an_exposed_method_not_the_hook() {
    let actor = model(quote! {
        impl Stoppable {
            pub fn shutdown(&mut self) -> bool { true }
        }
    })
    .unwrap();
    assert_eq!(method_names(&actor), [(0, "shutdown".to_owned())]);
    assert!(actor.shutdown_hook.is_none());
}

#[test]
fn skip_also_opts_out_of_constructor_and_hook() {
    let actor = model(quote! {
        impl Quiet {
            #[uactor(skip)]
            pub fn new(x: &str) -> Self { Quiet }
            #[uactor(skip)]
            fn shutdown(&mut self) {}
        }
    })
    .unwrap();
    assert!(matches!(actor.constructor, Constructor::Default));
    assert!(actor.shutdown_hook.is_none());
}

#[test]
fn uactor_options_are_stripped_from_the_output() {
    let actor = model(quote! {
        impl Kept {
            /// Docs stay.
            #[uactor(skip)]
            #[inline]
            pub fn local(&self) {}
        }
    })
    .unwrap();
    let syn::ImplItem::Fn(local) = &actor.item.items[0] else {
        panic!("the method is kept");
    };
    let paths: Vec<_> = local.attrs.iter().map(|attr| quote!(#attr).to_string()).collect();
    assert_eq!(paths, ["# [doc = r\" Docs stay.\"]", "# [inline]"]);
}

#[test]
fn fallible_constructors_return_any_result_of_self() {
    for output in [
        quote!(Result<Self, String>),
        quote!(std::io::Result<Self>),
        quote!(::core::result::Result<Config, Error>),
    ] {
        let actor = model(quote! {
            impl Config {
                pub fn new(path: String, retries: u8) -> #output { todo!() }
            }
        })
        .unwrap();
        let Constructor::New { params, fallible, .. } = &actor.constructor else {
            panic!("`new` is the constructor");
        };
        assert!(fallible, "{output}");
        assert_eq!(params.len(), 2);
    }
}

#[test]
fn docs_and_cfgs_travel_with_the_method() {
    let actor = model(quote! {
        impl Documented {
            /// Adds.
            #[cfg(unix)]
            #[inline]
            pub fn add(&self) {}
        }
    })
    .unwrap();
    assert_eq!(actor.methods[0].docs.len(), 1);
    assert_eq!(actor.methods[0].cfgs.len(), 1);
}

#[test]
fn patterns_get_generated_names() {
    let actor = model(quote! {
        impl Patterns {
            pub fn sum(&self, (a, b): (i32, i32), mut c: i32, _: u8) -> i32 { a + b + c }
        }
    })
    .unwrap();
    let names: Vec<_> = actor.methods[0].params.iter().map(|param| param.ident.to_string()).collect();
    assert_eq!(names, ["arg1", "c", "arg3"]);
}

#[test]
fn self_in_signatures_becomes_the_actor_type() {
    let actor = model(quote! {
        impl Node {
            pub fn split(&self, other: Vec<Self>) -> Option<Self> { None }
        }
    })
    .unwrap();
    let method = &actor.methods[0];
    assert_eq!(text(&method.params[0].ty), text(&quote!(Vec<Node>)));
    assert_eq!(text(&method.output), text(&quote!(Option<Node>)));
}

#[test]
fn refuses_self_by_value() {
    assert_error(
        quote!(impl A { pub fn consume(self) {} }),
        "take `&self` or `&mut self`: the actor stays in its process",
    );
    assert_error(quote!(impl A { pub fn consume(mut self) {} }), "take `&self` or `&mut self`");
    assert_error(
        quote!(impl A { pub fn boxed(self: Box<Self>) {} }),
        "take `&self` or `&mut self`, not `self: Box<Self>`",
    );
}

#[test]
fn refuses_borrowed_arguments_and_results() {
    assert_error(
        quote!(impl A { pub fn greet(&self, name: &str) {} }),
        "take `String` instead of `&str`: arguments cross a process boundary",
    );
    assert_error(
        quote!(impl A { pub fn sum(&self, values: &[i64]) {} }),
        "take `Vec<i64>` instead of `&[i64]`",
    );
    assert_error(
        quote!(impl A { pub fn pair(&self, values: (u8, &mut Vec<u8>)) {} }),
        "take `Vec<u8>` instead of `&mut Vec<u8>`",
    );
    assert_error(
        quote!(impl A { pub fn name(&self) -> &str { "" } }),
        "return `String` instead of `&str`: results cross a process boundary",
    );
    assert_error(
        quote!(impl A { pub fn name(&self) -> Cow<'_, str> { todo!() } }),
        "results cross a process boundary, so they cannot borrow",
    );
    assert!(model(quote!(impl A { pub fn name(&self) -> Cow<'static, str> { todo!() } })).is_ok());
}

#[test]
fn refuses_generic_methods_and_impl_trait() {
    assert_error(
        quote!(impl A { pub fn put<T: Serialize>(&self, value: T) {} }),
        "generic methods cannot be called through a proxy",
    );
    assert_error(
        quote!(impl A { pub fn put(&self, value: impl Into<String>) {} }),
        "`impl Trait` arguments make the method generic",
    );
    assert_error(
        quote!(impl A { pub fn items(&self) -> impl Iterator<Item = u8> { todo!() } }),
        "an `impl Trait` result cannot be sent to the caller",
    );
}

#[test]
fn refuses_more_than_sixteen_parameters() {
    let params = (0..17u32).map(|i| quote::format_ident!("p{}", i));
    assert_error(
        quote!(impl A { pub fn many(&self, #(#params: u8),*) {} }),
        "`many` takes more than 16 parameters",
    );
    let params = (0..16u32).map(|i| quote::format_ident!("p{}", i));
    assert!(model(quote!(impl A { pub fn many(&self, #(#params: u8),*) {} })).is_ok());
}

#[test]
fn refuses_async_methods_but_keeps_private_ones() {
    assert_error(
        quote!(impl A { pub async fn slow(&self) -> u64 { 1 } }),
        "async actor methods are not supported yet",
    );
    assert!(model(quote!(impl A { async fn private(&self) {} })).is_ok());
    assert!(model(quote!(impl A { #[uactor(skip)] pub async fn local(&self) {} })).is_ok());
}

#[test]
fn refuses_generic_and_trait_impls() {
    assert_error(
        quote!(
            impl<T> Holder<T> {
                pub fn get(&self) {}
            }
        ),
        "an actor cannot be generic",
    );
    assert_error(quote!(impl Holder<u32> { pub fn get(&self) {} }), "an actor cannot be generic");
    assert_error(
        quote!(impl Feline for Cat { fn greet(&self) -> String { todo!() } }),
        "interfaces (`#[uactor::actor] impl Trait for Type`) are not supported yet",
    );
}

#[test]
fn refuses_bad_constructors_and_hooks() {
    assert_error(
        quote!(impl A { pub fn new() -> Option<Self> { None } }),
        "the constructor returns `Self` or `Result<Self, E>`",
    );
    assert_error(quote!(impl A { pub fn new() {} }), "the constructor returns the actor");
    assert_error(quote!(impl A { pub async fn new() -> Self { A } }), "the constructor cannot be `async`");
    assert_error(quote!(impl A { pub fn new(name: &str) -> Self { A } }), "take `String` instead of `&str`");
    assert_error(
        quote!(impl A { fn shutdown(&mut self, code: i32) {} }),
        "the shutdown hook is `fn shutdown(&mut self)`",
    );
    assert_error(
        quote!(impl A { fn shutdown(&mut self) -> bool { true } }),
        "the shutdown hook is `fn shutdown(&mut self)`",
    );
}

#[test]
fn refuses_names_the_macro_defines() {
    assert_error(
        quote!(impl A { pub fn spawn(&self) {} }),
        "`#[uactor::actor]` defines `A::spawn` itself: rename this function",
    );
}

#[test]
fn refuses_unknown_options_and_arguments() {
    assert_error(
        quote!(impl A { #[uactor(hidden)] pub fn get(&self) {} }),
        "unknown option `hidden`: the one `#[uactor(...)]` option is `skip`",
    );
    assert_error(quote!(impl A { #[uactor(skip = true)] pub fn get(&self) {} }), "`skip` takes no value");
    let mut errors = Errors::default();
    parse::arguments(quote!(proxies(Data)), &mut errors);
    let message = errors.finish().unwrap_err().to_string();
    assert!(message.contains("unknown argument `proxies`"), "{message}");
    let mut errors = Errors::default();
    parse::arguments(TokenStream::new(), &mut errors);
    assert!(errors.finish().is_ok());
}

#[test]
fn reports_every_error_at_once() {
    let errors = model(quote! {
        impl A {
            pub fn one(self) {}
            pub fn two(&self, name: &str) {}
            pub async fn three(&self) {}
        }
    })
    .err()
    .unwrap();
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn refuses_items_that_are_not_impl_blocks() {
    assert_error(
        quote!(
            pub struct Counter {
                n: i64,
            }
        ),
        "not on the struct definition: write `#[uactor::actor] impl Counter { ... }`",
    );
    assert_error(
        quote!(
            pub fn free() {}
        ),
        "`#[uactor::actor]` goes on the type's impl block",
    );
}

#[test]
fn expansion_parses_and_names_only_qualified_paths() {
    let output = expand(
        TokenStream::new(),
        quote! {
            impl Counter {
                pub fn new(start: i64) -> Self { Counter { n: start } }
                pub fn add(&mut self, by: i64) -> i64 { self.n += by; self.n }
                pub fn pid(&self) -> u32 { 7 }
                fn shutdown(&mut self) {}
            }
        },
    );
    let file: syn::File = syn::parse2(output.clone()).expect("the output is Rust");
    let text = output.to_string();
    assert!(text.contains("pub struct CounterProxy"));
    assert!(text.contains("fn on_shutdown"));
    assert!(text.contains("type Args = i64"));
    // `pid` is the actor's on the proxy; the other built-ins are generated.
    assert_eq!(text.matches("pub fn pid").count(), 2, "the actor's and the proxy's");
    assert!(text.contains("pub fn address"));
    assert!(!text.contains("Option :: Some (\"shutdown\")"));
    // The user's impl, the proxy struct, the spawn functions and one `const _`.
    assert_eq!(file.items.len(), 4);
    assert_no_prelude_names(output);
}

/// Fails if `tokens` name a prelude item without a leading path, which would
/// not resolve under `#![no_implicit_prelude]` (or could resolve to a user's
/// item of the same name).
#[track_caller]
fn assert_no_prelude_names(tokens: TokenStream) {
    const PRELUDE: [&str; 10] =
        ["Option", "Some", "None", "Result", "Ok", "Err", "Default", "Clone", "Debug", "Vec"];
    let tokens: Vec<_> = tokens.into_iter().collect();
    for (position, token) in tokens.iter().enumerate() {
        match token {
            proc_macro2::TokenTree::Group(group) => assert_no_prelude_names(group.stream()),
            proc_macro2::TokenTree::Ident(ident) if PRELUDE.iter().any(|name| ident == name) => {
                let qualified = position >= 1
                    && matches!(&tokens[position - 1], proc_macro2::TokenTree::Punct(punct) if punct.as_char() == ':');
                assert!(qualified, "`{ident}` is not qualified in the expansion");
            }
            _ => {}
        }
    }
}

#[test]
fn expansion_keeps_the_item_next_to_errors() {
    let output = expand(
        TokenStream::new(),
        quote! {
            impl Counter {
                #[uactor(skip)]
                pub fn local(&self) {}
                pub fn bad(self) {}
            }
        },
    )
    .to_string();
    assert!(output.contains("compile_error"));
    assert!(output.contains("pub fn local"));
    assert!(!output.contains("uactor (skip)"));
    assert!(!output.contains("CounterProxy"));
}

#[test]
fn refuses_unsafe_methods_and_impls() {
    assert_error(
        quote!(impl A { pub unsafe fn raw(&self) {} }),
        "a method called through a proxy cannot be `unsafe fn`",
    );
    assert_error(quote!(unsafe impl A { pub fn get(&self) {} }), "remove `unsafe`");
    assert!(model(quote!(impl A { #[uactor(skip)] pub unsafe fn raw(&self) {} })).is_ok());
}
