use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use super::model::{Actor, Constructor, Interface, Kind, MethodKind};
use super::{expand, expand_interface, expand_remote, parse};
use crate::errors::Errors;

/// Every message of `errors`.
fn messages(error: syn::Error) -> Vec<String> {
    error.into_iter().map(|error| error.to_string()).collect()
}

/// The model of `item` under `#[uactor::actor]`, or every error message
/// it produced.
fn model(item: TokenStream) -> Result<Actor, Vec<String>> {
    model_of(item, Kind::Actor, TokenStream::new())
}

/// The model of `item` under `#[uactor::remote]`.
fn remote_model(item: TokenStream) -> Result<Actor, Vec<String>> {
    model_of(item, Kind::Remote, TokenStream::new())
}

/// The model of `item` under an attribute of `kind` with `args`.
fn model_of(item: TokenStream, kind: Kind, args: TokenStream) -> Result<Actor, Vec<String>> {
    let mut errors = Errors::default();
    let arguments = parse::arguments(args, &mut errors);
    let attribute = if kind == Kind::Actor {
        "actor"
    } else {
        "remote"
    };
    let actor = parse::input(item, attribute, &mut errors)
        .map(|input| Actor::from_input(input, kind, arguments, &mut errors))
        .map_err(messages)?;
    errors.finish().map(|()| actor).map_err(messages)
}

/// The model of a `#[uactor::interface]` trait.
fn interface_model(item: TokenStream) -> Result<Interface, Vec<String>> {
    let mut errors = Errors::default();
    let interface = parse::trait_input(item, &mut errors)
        .map(|input| Interface::from_input(input, &mut errors))
        .map_err(messages)?;
    errors.finish().map(|()| interface).map_err(messages)
}

/// The single error in `result`, which must contain `expected`.
#[track_caller]
fn assert_one_error<T>(result: Result<T, Vec<String>>, expected: &str) {
    let errors = match result {
        Ok(_) => panic!("expected an error containing {expected:?}, got none"),
        Err(errors) => errors,
    };
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    assert!(
        errors[0].contains(expected),
        "expected {expected:?} in {:?}",
        errors[0]
    );
}

/// The single error `item` produces under `#[uactor::actor]`, which must
/// contain `expected`.
#[track_caller]
fn assert_error(item: TokenStream, expected: &str) {
    assert_one_error(model(item), expected);
}

/// The errors an expansion emits, as `compile_error!` messages.
fn expansion_errors(output: &TokenStream) -> Vec<String> {
    let text = output.to_string();
    text.split("compile_error ! {")
        .skip(1)
        .map(|rest| rest.split(" }").next().unwrap_or_default().to_owned())
        .collect()
}

/// `tokens` as a string, for comparing syntax trees.
fn text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string()
}

fn method_names(actor: &Actor) -> Vec<(u16, String)> {
    actor
        .methods
        .iter()
        .map(|method| (method.index, method.ident.to_string()))
        .collect()
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
    assert_eq!(
        method_names(&actor),
        [
            (0, "add".to_owned()),
            (1, "get".to_owned()),
            (2, "reset".to_owned())
        ]
    );
    assert_eq!(text(&actor.methods[2].output), "()");
    assert_eq!(
        actor
            .shutdown_hook
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("shutdown")
    );
    let Constructor::New {
        params, fallible, ..
    } = &actor.constructor
    else {
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
    let paths: Vec<_> = local
        .attrs
        .iter()
        .map(|attr| quote!(#attr).to_string())
        .collect();
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
        let Constructor::New {
            params, fallible, ..
        } = &actor.constructor
        else {
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
    let names: Vec<_> = actor.methods[0]
        .params
        .iter()
        .map(|param| param.ident.to_string())
        .collect();
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
    assert_error(
        quote!(impl A { pub fn consume(mut self) {} }),
        "take `&self` or `&mut self`",
    );
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
fn refuses_closures_and_function_pointers() {
    for (item, expected) in [
        (
            quote!(impl A { pub fn on(&self, f: Box<dyn Fn(u32) -> u32 + Send>) {} }),
            "cannot cross a process boundary: closures cannot be sent between processes; take \
             data instead, or, for a callback, a `uactor::Method` handle",
        ),
        (
            quote!(impl A { pub fn on(&self, f: Vec<Arc<dyn std::ops::FnMut()>>) {} }),
            "closures cannot be sent between processes; take data",
        ),
        // Not "take `dyn Fn()` instead of `&dyn Fn()`".
        (
            quote!(impl A { pub fn on(&self, f: &dyn Fn()) {} }),
            "closures cannot be sent between processes",
        ),
        (
            quote!(impl A { pub fn on(&self, f: impl FnOnce() + Send) {} }),
            "closures cannot be sent between processes",
        ),
        (
            quote!(impl A { pub fn make(&self) -> Box<dyn Fn()> { todo!() } }),
            "closures cannot be sent between processes; return data instead",
        ),
        (
            quote!(impl A { pub fn make(&self) -> fn(u8) -> u8 { todo!() } }),
            "cannot cross a process boundary: function pointers cannot be sent between processes; \
             return data instead",
        ),
        (
            quote!(impl A { pub fn new(f: Option<fn()>) -> Self { A } }),
            "function pointers cannot be sent between processes; take data instead",
        ),
    ] {
        assert_error(item, expected);
    }
    assert_one_error(
        interface_model(quote!(
            trait Shape {
                fn on(&self, f: Box<dyn Fn()>);
            }
        )),
        "closures cannot be sent between processes",
    );
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
fn async_and_deferred_methods_are_concurrent() {
    let actor = model(quote! {
        impl A {
            pub async fn slow(&self) -> u64 { 1 }
            pub fn later(&self) -> uactor::AsyncResult<String> { todo!() }
            pub fn now(&self) -> u8 { 0 }
        }
    })
    .unwrap();
    let kinds: Vec<_> = actor.methods.iter().map(|method| method.kind).collect();
    assert!(
        kinds
            == [
                MethodKind::Async,
                MethodKind::Deferred,
                MethodKind::Blocking
            ]
    );
    assert_eq!(text(&actor.methods[1].output), "String");
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
    assert_error(
        quote!(impl Holder<u32> { pub fn get(&self) {} }),
        "an actor cannot be generic",
    );
}

#[test]
fn refuses_bad_constructors_and_hooks() {
    assert_error(
        quote!(impl A { pub fn new() -> Option<Self> { None } }),
        "the constructor returns `Self` or `Result<Self, E>`",
    );
    assert_error(
        quote!(impl A { pub fn new() {} }),
        "the constructor returns the actor",
    );
    assert_error(
        quote!(impl A { pub async fn new() -> Self { A } }),
        "the constructor cannot be `async`",
    );
    assert_error(
        quote!(impl A { pub fn new(name: &str) -> Self { A } }),
        "take `String` instead of `&str`",
    );
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
        "unknown option `hidden`: the `#[uactor(...)]` options are `skip`",
    );
    assert_error(
        quote!(impl A { #[uactor(skip = true)] pub fn get(&self) {} }),
        "`skip` takes no value",
    );
    let mut errors = Errors::default();
    let _ = parse::arguments(quote!(exposed(get)), &mut errors);
    let message = errors.finish().unwrap_err().to_string();
    assert!(message.contains(
        "unknown argument `exposed`: the one argument of `#[uactor::actor]` is `proxies`"
    ));
    let mut errors = Errors::default();
    let arguments = parse::arguments(TokenStream::new(), &mut errors);
    assert!(errors.finish().is_ok());
    assert!(arguments.proxies.is_empty());
}

#[test]
fn reports_every_error_at_once() {
    let errors = model(quote! {
        impl A {
            pub fn one(self) {}
            pub fn two(&self, name: &str) {}
            pub fn three<T>(&self, value: T) {}
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
    assert_eq!(
        text.matches("pub fn pid (").count(),
        3,
        "the actor's, the proxy's and the twin's"
    );
    assert!(text.contains("pub fn address"));
    assert!(!text.contains("Option :: Some (\"shutdown\")"));
    // The user's impl, the proxy and twin structs, the spawn functions and
    // one `const _`.
    assert_eq!(file.items.len(), 5);
    assert_no_prelude_names(output);
}

/// Fails if `tokens` name a prelude item without a leading path, which would
/// not resolve under `#![no_implicit_prelude]` (or could resolve to a user's
/// item of the same name).
#[track_caller]
fn assert_no_prelude_names(tokens: TokenStream) {
    const PRELUDE: [&str; 10] = [
        "Option", "Some", "None", "Result", "Ok", "Err", "Default", "Clone", "Debug", "Vec",
    ];
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
fn a_refused_method_leaves_the_rest_generated() {
    let output = expand(
        TokenStream::new(),
        quote! {
            impl Counter {
                pub fn new(start: i64) -> Self { Counter { n: start } }
                #[uactor(skip)]
                pub fn local(&self) {}
                pub fn bad(self) {}
                pub fn get(&self) -> i64 { self.n }
            }
        },
    );
    assert_eq!(expansion_errors(&output).len(), 1);
    let file: syn::File = syn::parse2(output.clone()).expect("the output is Rust");
    // The user's impl, the proxy and twin structs, the spawn functions, one
    // `const _` and the error.
    assert_eq!(file.items.len(), 6);
    let text = output.to_string();
    assert!(text.contains("pub fn local"));
    assert!(!text.contains("uactor (skip)"));
    assert!(text.contains("pub struct CounterProxy"));
    assert!(text.contains("pub fn spawn (start : i64)"));
    assert!(text.contains("impl :: uactor :: __private :: Actor for Counter"));
    // `get` is the only exposed method, at index 0; `bad` is left out.
    assert!(text.contains("0u16 => :: core :: option :: Option :: Some (\"get\")"));
    assert_eq!(text.matches("pub fn bad (").count(), 1, "the user's only");
}

#[test]
fn a_refused_constructor_keeps_spawns_parameters() {
    let output = expand(
        TokenStream::new(),
        quote! {
            impl Counter {
                pub fn new<'a>(name: &'a str, (a, b): (u8, Self)) -> Option<Self> { None }
                pub fn get(&self) -> i64 { 0 }
            }
        },
    );
    assert_eq!(
        expansion_errors(&output).len(),
        3,
        "the lifetime parameter, the borrow and the result"
    );
    let text = output.to_string();
    assert!(
        text.contains("pub fn spawn < 'a > (name : & 'a str , (a , b) : (u8 , Counter))"),
        "{text}"
    );
    assert!(text.contains("type Args = ()"));
    assert!(text.contains(":: core :: unreachable !"));
    assert!(
        !text.contains("Counter :: new ("),
        "the constructor is not called"
    );
    assert!(text.contains("pub fn get"));
}

#[test]
fn a_refused_hook_is_no_hook() {
    let output = expand(
        TokenStream::new(),
        quote!(impl Counter { fn shutdown(&mut self, code: i32) {} }),
    );
    assert_eq!(expansion_errors(&output).len(), 1);
    let text = output.to_string();
    assert!(text.contains("pub struct CounterProxy"));
    assert!(!text.contains("fn on_shutdown"));
}

#[test]
fn functions_the_user_defines_are_not_generated_again() {
    let output = expand(
        TokenStream::new(),
        quote!(impl Counter { pub fn spawn(&self) {} pub fn typeids() {} }),
    );
    assert_eq!(expansion_errors(&output).len(), 2);
    let text = output.to_string();
    assert_eq!(text.matches("fn spawn (").count(), 1, "the user's");
    assert_eq!(text.matches("fn typeids (").count(), 1, "the user's");
    assert!(text.contains("pub fn spawn_with ("));
    assert!(text.contains("pub fn connect ("));
}

#[test]
fn an_item_refused_as_a_whole_is_emitted_alone() {
    for item in [
        quote!(
            impl<T> Holder<T> {
                pub fn get(&self) {}
            }
        ),
        quote!(impl Holder<u8> { pub fn get(&self) {} }),
        quote!(impl [u8] { pub fn get(&self) {} }),
    ] {
        let output = expand(TokenStream::new(), item);
        assert_eq!(expansion_errors(&output).len(), 1);
        let text = output.to_string();
        assert!(text.contains("pub fn get"));
        assert!(!text.contains("Proxy"), "{text}");
    }
    let output = expand_remote(
        TokenStream::new(),
        quote!(impl Display for Table { fn fmt(&self) {} }),
    );
    assert!(!output.to_string().contains("Proxy"));
    let output = expand_interface(
        TokenStream::new(),
        quote!(
            trait Shape<T> {
                fn get(&self);
            }
        ),
    );
    assert!(!output.to_string().contains("Proxy"));
}

#[test]
fn refuses_unsafe_methods_and_impls() {
    assert_error(
        quote!(impl A { pub unsafe fn raw(&self) {} }),
        "a method called through a proxy cannot be `unsafe fn`",
    );
    assert_error(
        quote!(unsafe impl A { pub fn get(&self) {} }),
        "remove `unsafe`",
    );
    assert!(model(quote!(impl A { #[uactor(skip)] pub unsafe fn raw(&self) {} })).is_ok());
    // The compiler would refuse the `unsafe` a second time.
    let output = expand(TokenStream::new(), quote!(unsafe impl A {}));
    assert_eq!(expansion_errors(&output).len(), 1);
    assert!(!output.to_string().contains("unsafe impl"), "{output}");
}

#[test]
fn proxies_register_remote_types_under_their_names() {
    let actor = model_of(
        quote!(impl Store { pub fn get(&self) {} }),
        Kind::Actor,
        quote!(proxies(Data, a::b::Other)),
    )
    .unwrap();
    let names: Vec<_> = actor.proxies.iter().map(text).collect();
    assert_eq!(names, ["Data", "a :: b :: Other"]);
    let output = expand(
        quote!(proxies(Data)),
        quote!(impl Store { pub fn get(&self) {} }),
    )
    .to_string();
    assert!(
        output.contains("custom_proxy :: < Store , Data >"),
        "{output}"
    );
}

#[test]
fn custom_typeids_are_checked_free_and_listed_once() {
    let item = || quote!(impl Store {});
    let output = expand(quote!(proxies(data::Event)), item()).to_string();
    assert!(
        output.contains("typeid :: assert_custom (\"Event\")"),
        "{output}"
    );
    assert_one_error(
        model_of(item(), Kind::Actor, quote!(proxies(Data, x::Data))),
        "`Data` is listed twice",
    );
    assert_one_error(
        model_of(item(), Kind::Actor, quote!(proxies)),
        "write `proxies(MyType, OtherType)`",
    );
    assert_one_error(
        model_of(item(), Kind::Actor, quote!(proxies(Data), proxies(Other))),
        "`proxies` is given twice",
    );
}

#[test]
fn every_method_gets_a_handle_whose_name_no_method_takes() {
    let output = expand(
        TokenStream::new(),
        quote! {
            impl Pair {
                pub fn get(&self, key: String) -> u8 { 0 }
                pub fn pid_(&self) {}
            }
        },
    );
    assert!(expansion_errors(&output).is_empty());
    let output = output.to_string();
    assert!(
        output.contains("pub fn get_ref (& self) -> :: uactor :: Method < (String ,) , u8 >"),
        "{output}"
    );
    // One rule for every name, and no lint about the double underscore.
    assert!(output.contains("pub fn pid__ref ("));
    assert!(output.contains("# [allow (non_snake_case)] impl PairProxy"));
}

#[test]
fn refuses_a_method_named_like_another_ones_handle() {
    let item = || {
        quote! {
            impl Pair {
                pub fn put(&self) {}
                pub fn put_ref(&self) -> u8 { 1 }
                pub fn r#type(&self) {}
                #[uactor(skip)]
                pub fn type_ref(&self) {}
                fn get_ref(&self) {}
                pub fn get(&self, borrowed: &str) {}
            }
        }
    };
    let errors = model(item()).err().unwrap();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].contains("take `String` instead of `&str`"));
    // Only exposed methods are on the proxy: the skipped `type_ref` and the
    // private `get_ref` do not clash.
    assert_eq!(
        errors[1],
        "`put_ref` is the name of the handle the proxy gets for `put` (a `uactor::Method` that \
         calls `put` back, `proxy.put_ref()`): rename this method, or `put`"
    );
    // The output has no second error about a name defined twice.
    let output = expand(TokenStream::new(), item()).to_string();
    assert_eq!(
        output.matches("pub fn put_ref (").count(),
        3,
        "the user's, the proxy's and the twin's call"
    );
    assert!(output.contains("pub fn put_ref_ref ("));
    assert_one_error(
        interface_model(quote!(
            trait Log {
                fn log(&self);
                fn log_ref(&self);
            }
        )),
        "`log_ref` is the name of the handle the proxy gets for `log`",
    );
}

#[test]
fn the_dispatch_serves_interface_calls() {
    let output = expand(
        TokenStream::new(),
        quote!(impl Cat { pub fn name(&self) -> String { todo!() } }),
    )
    .to_string();
    assert!(output.contains(
        ":: uactor :: __private :: INTERFACE_METHOD => { :: uactor :: __private :: dispatch_interface :: < Self > (cell , call) }"
    ));
}

#[test]
fn remote_types_expose_pub_methods_and_nothing_else() {
    let remote = remote_model(quote! {
        impl Account {
            pub fn new(balance: u64) -> Self { Account { balance } }
            pub fn deposit(&mut self, amount: u64) -> u64 { 0 }
            pub fn balance(&self) -> u64 { 0 }
            fn shutdown(&mut self) {}
            pub fn later(&self) -> uactor::AsyncResult<u64> { todo!() }
            #[uactor(proxy)]
            pub fn history(&self) -> uactor::Shared<Vec<u64>> { todo!() }
            pub fn spawn(&self) {}
        }
    })
    .unwrap();
    assert_eq!(
        method_names(&remote),
        [
            (0, "deposit".into()),
            (1, "balance".into()),
            (2, "later".into()),
            (3, "history".into()),
            (4, "spawn".into())
        ]
    );
    assert!(matches!(remote.constructor, Constructor::Default));
    assert!(remote.shutdown_hook.is_none());
    assert!(remote.methods[3].by_proxy);
}

#[test]
fn remote_types_refuse_what_has_no_single_proxy() {
    assert_one_error(
        remote_model(quote!(
            impl<T> Table<T> {
                pub fn len(&self) {}
            }
        )),
        "a `#[uactor::remote]` type cannot be generic",
    );
    assert_one_error(
        remote_model(quote!(impl Table<u8> { pub fn len(&self) {} })),
        "a `#[uactor::remote]` type cannot be generic",
    );
    assert_one_error(
        remote_model(quote!(impl Display for Table { fn fmt(&self) {} })),
        "`#[uactor::remote]` goes on the type's inherent impl block",
    );
    assert_one_error(
        remote_model(quote!(impl Table { pub async fn len(&self) -> usize { 0 } })),
        "`async fn` methods of a `#[uactor::remote]` type are not supported",
    );
    assert_one_error(
        remote_model(quote!(impl Table { pub fn take(self) {} })),
        "take `&self` or `&mut self`",
    );
    assert_one_error(
        remote_model(quote!(
            pub struct Table;
        )),
        "`#[uactor::remote]` goes on the type's impl block",
    );
    let output = expand_remote(quote!(typeid = "x"), quote!(impl Table {})).to_string();
    assert!(
        output.contains("`#[uactor::remote]` takes no arguments"),
        "{output}"
    );
}

#[test]
fn remote_expansion_names_only_qualified_paths() {
    let output = expand_remote(
        TokenStream::new(),
        quote! {
            impl Account {
                pub fn deposit(&mut self, amount: u64) -> u64 { 0 }
                pub fn address(&self) -> String { String::new() }
            }
        },
    );
    let file: syn::File = syn::parse2(output.clone()).expect("the output is Rust");
    // The user's impl, the proxy struct and one `const _`.
    assert_eq!(file.items.len(), 3);
    let text = output.to_string();
    assert!(text.contains("impl :: uactor :: objects :: Remote for Account"));
    assert!(text.contains("pub fn deposit_ref"));
    // `address` is the user's.
    assert_eq!(
        text.matches("pub fn address (").count(),
        2,
        "the user's and the proxy's call"
    );
    assert_no_prelude_names(output);
}

#[test]
fn interfaces_expose_methods_with_receivers() {
    let interface = interface_model(quote! {
        pub trait Feline {
            /// Says hello.
            fn greet(&self) -> String;
            fn rename(&mut self, name: String) { let _ = name; }
            fn make() -> Self where Self: Sized;
            #[uactor(skip)]
            fn local(&self) -> &str;
            const LEGS: u8;
        }
    })
    .unwrap();
    assert_eq!(interface.name, "Feline");
    assert_eq!(interface.proxy, "FelineProxy");
    let names: Vec<_> = interface
        .methods
        .iter()
        .map(|method| (method.index, method.ident.to_string()))
        .collect();
    assert_eq!(names, [(0, "greet".to_owned()), (1, "rename".to_owned())]);
    assert!(interface.methods[1].mutable);
    assert_eq!(interface.methods[0].docs.len(), 1);
    // The options are taken out of the trait.
    let item = &interface.item;
    assert!(!quote!(#item).to_string().contains("uactor"));
}

#[test]
fn interfaces_refuse_what_a_proxy_cannot_call() {
    assert_one_error(
        interface_model(quote!(
            trait Shape {
                fn grow(&self, other: Self) -> bool;
            }
        )),
        "interface methods cannot name `Self`",
    );
    assert_one_error(
        interface_model(quote!(
            trait Shape {
                fn copy(&self) -> Option<Self>;
            }
        )),
        "interface methods cannot name `Self`",
    );
    assert_one_error(
        interface_model(quote!(
            trait Shape<T> {
                fn get(&self) -> u8;
            }
        )),
        "an interface cannot be generic",
    );
    assert_one_error(
        interface_model(quote!(
            trait Shape {
                async fn area(&self) -> f64;
            }
        )),
        "`async fn` interface methods are not supported",
    );
    assert_one_error(
        interface_model(quote!(
            trait Shape {
                fn name(&self) -> &str;
            }
        )),
        "return `String` instead of `&str`",
    );
    assert_one_error(
        interface_model(quote!(
            unsafe trait Shape {}
        )),
        "an interface is not `unsafe`",
    );
    assert_one_error(
        interface_model(quote!(impl Shape for Square {})),
        "`#[uactor::interface]` goes on the trait definition",
    );
    assert_one_error(
        interface_model(quote!(
            struct Square;
        )),
        "`#[uactor::interface]` goes on a trait",
    );
}

#[test]
fn interface_expansion_names_only_qualified_paths() {
    let output = expand_interface(
        TokenStream::new(),
        quote! {
            pub trait Feline {
                fn greet(&self) -> String;
                fn pid(&self) -> u32;
            }
        },
    );
    let file: syn::File = syn::parse2(output.clone()).expect("the output is Rust");
    // The trait, the proxy, its twin and one `const _`.
    assert_eq!(file.items.len(), 4);
    let text = output.to_string();
    assert!(text.contains("pub struct FelineProxy"));
    assert!(text.contains("impl < A : Feline + :: uactor :: __private :: Actor > :: uactor :: __private :: Dispatch < A > for FelineProxy"));
    assert_eq!(
        text.matches("pub fn pid (").count(),
        2,
        "the interface's `pid` on the proxy and the twin"
    );
    assert_no_prelude_names(output);
}

#[test]
fn an_actors_impl_of_an_interface_converts_and_registers() {
    let output = expand(
        TokenStream::new(),
        quote!(impl animals::Feline for cats::Cat { fn greet(&self) -> String { todo!() } }),
    );
    let text = output.to_string();
    assert!(
        text.contains(
            "impl :: core :: convert :: From < cats :: CatProxy > for animals :: FelineProxy"
        ),
        "{text}"
    );
    assert!(
        text.contains("InterfaceImpl :: of :: < cats :: Cat , animals :: FelineProxy > ()"),
        "{text}"
    );
    assert_no_prelude_names(output);
}

#[test]
fn an_actors_impl_of_an_interface_takes_no_options() {
    let output = expand(
        quote!(proxies(Data)),
        quote!(impl Feline for Cat { #[uactor(skip)] fn greet(&self) {} }),
    );
    let errors = expansion_errors(&output);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains("`proxies` goes on the actor's inherent impl block"),
        "{errors:#?}"
    );
    assert!(
        errors[1].contains("go on the trait's methods"),
        "{errors:#?}"
    );
    let output = expand(
        TokenStream::new(),
        quote!(
            impl<T> Feline for Cat<T> {}
        ),
    );
    assert!(
        expansion_errors(&output)[0].contains("an actor's impl of an interface cannot be generic")
    );
    let output = expand(TokenStream::new(), quote!(impl Feline<u8> for Cat {}));
    assert!(expansion_errors(&output)[0].contains("an interface cannot be generic"));
}

#[test]
fn vectors_of_bytes_travel_as_bytes() {
    let actor = model(quote! {
        impl Store {
            pub fn put(&mut self, key: String, value: Vec<u8>, old: Option<Vec<u8>>) -> std::vec::Vec<u8> { value }
            pub fn get(&self, key: String) -> Option<Vec<u8>> { None }
            pub fn load(&self) -> Result<Vec<u8>, String> { Ok(Vec::new()) }
            pub fn numbers(&self, values: Vec<u16>) -> Vec<Vec<u8>> { Vec::new() }
            pub fn grab(&self) -> uactor::Result<Vec<u8>> { Ok(Vec::new()) }
            pub async fn later(&self) -> Vec<u8> { Vec::new() }
        }
    })
    .unwrap();
    let carried = |name: &str| {
        let method = actor
            .methods
            .iter()
            .find(|method| method.ident == name)
            .unwrap();
        (
            method
                .params
                .iter()
                .map(|param| param.carried)
                .collect::<Vec<_>>(),
            method.carried,
        )
    };
    assert_eq!(carried("put"), (vec![false, true, true], true));
    assert_eq!(carried("get"), (vec![false], true));
    assert_eq!(carried("load"), (vec![], true));
    // A sequence of other things, or a vector inside a vector, stays a
    // sequence; `uactor::Result<T>` is an alias the macro cannot see through.
    assert_eq!(carried("numbers"), (vec![false], false));
    assert_eq!(carried("grab"), (vec![], false));
    assert_eq!(carried("later"), (vec![], true));
    let output = expand(
        TokenStream::new(),
        quote! {
            impl Store {
                pub fn put(&mut self, value: Vec<u8>) -> Vec<u8> { value }
            }
        },
    )
    .to_string();
    assert!(
        output.contains("Carried > :: into_wire (value)"),
        "{output}"
    );
    assert!(output.contains("Carried > :: from_wire"), "{output}");
}
