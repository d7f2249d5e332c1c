//! Method handles: one method of one actor (or of an object it handed out)
//! as a value that travels, so one actor can call back another (Python uActor's
//! callbacks, `actor_a.send(actor_b.receive)`); and [`Target`], what every
//! generated proxy sends its calls through.
//!
//! A handle is a proxy's token plus a method index: it holds the same kind
//! of reference as the proxy it came from (an owner's handle keeps its
//! actor alive; one that travelled is a reference, not an owner).

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uactor_core::frame::ACTOR_OBJECT;
use uactor_core::{Address, Result};

use super::async_result::{AsyncResult, CallFuture};
use super::client::Client;
use super::interface::InterfaceTarget;
use super::object::ObjectRef;
use uactor_core::Token;

/// What a proxy's calls go to: an actor ([`Client`]), an object kept in
/// one ([`ObjectRef`]), or an actor through one of its interfaces
/// ([`InterfaceTarget`]). Generated proxies call through it.
pub trait Target {
    /// Calls method `method` with `args` and waits for its result.
    fn call<A: Serialize, R: DeserializeOwned>(&self, method: u16, args: &A) -> Result<R>;

    /// Sends the call and returns the handle on its result at once.
    fn start<A: Serialize, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<AsyncResult<R>>;

    /// The future of the call; nothing is sent before it is first polled.
    fn call_async<A: Serialize + Send + 'static, R: DeserializeOwned>(
        &self,
        method: u16,
        args: A,
    ) -> CallFuture<R>;

    /// A handle on method `method`, which travels.
    fn method<A, R>(&self, method: u16) -> Method<A, R>;
}

impl Target for Client {
    fn call<A: Serialize, R: DeserializeOwned>(&self, method: u16, args: &A) -> Result<R> {
        Client::call(self, method, args)
    }

    fn start<A: Serialize, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<AsyncResult<R>> {
        Client::start(self, method, args)
    }

    fn call_async<A: Serialize + Send + 'static, R: DeserializeOwned>(
        &self,
        method: u16,
        args: A,
    ) -> CallFuture<R> {
        Client::call_async(self, method, args)
    }

    fn method<A, R>(&self, method: u16) -> Method<A, R> {
        Method::new(Callee::Actor(self.clone()), method)
    }
}

impl Target for ObjectRef {
    fn call<A: Serialize, R: DeserializeOwned>(&self, method: u16, args: &A) -> Result<R> {
        ObjectRef::call(self, method, args)
    }

    fn start<A: Serialize, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<AsyncResult<R>> {
        ObjectRef::start(self, method, args)
    }

    fn call_async<A: Serialize + Send + 'static, R: DeserializeOwned>(
        &self,
        method: u16,
        args: A,
    ) -> CallFuture<R> {
        ObjectRef::call_async(self, method, args)
    }

    fn method<A, R>(&self, method: u16) -> Method<A, R> {
        Method::new(Callee::Object(self.clone()), method)
    }
}

impl Target for InterfaceTarget {
    fn call<A: Serialize, R: DeserializeOwned>(&self, method: u16, args: &A) -> Result<R> {
        InterfaceTarget::call(self, method, args)
    }

    fn start<A: Serialize, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<AsyncResult<R>> {
        InterfaceTarget::start(self, method, args)
    }

    fn call_async<A: Serialize + Send + 'static, R: DeserializeOwned>(
        &self,
        method: u16,
        args: A,
    ) -> CallFuture<R> {
        InterfaceTarget::call_async(self, method, args)
    }

    fn method<A, R>(&self, method: u16) -> Method<A, R> {
        Method::new(Callee::Interface(self.clone()), method)
    }
}

/// One method of one actor or object, as a value that travels: another
/// actor that is given it calls the method back (Python uActor's
/// callbacks).
///
/// Made by a proxy's `{method}_ref()`: `b.receive_ref()` is a
/// `Method<(String,), String>` when `receive` takes a `String` and returns
/// one. `A` is the tuple of the method's parameters, `R` what the caller
/// gets. It is `Clone + Send + Sync + Serialize + Deserialize`.
///
/// A handle is called the way the method is, with its arguments one by
/// one: `call()`, `call(x)`, `call(x, y)`, … (and so are
/// [`start`](Self::start) and [`call_async`](Self::call_async)). With one
/// parameter, the tuple of one (`call((x,))`) is taken too; `x` must then
/// have a known type (`String::from("x")`, not `"x".into()`). Code that is
/// generic over `A` calls [`call_args`](Self::call_args) with the tuple.
///
/// ```ignore
/// pub fn send(&self, target: uactor::Method<(String,), String>) -> uactor::Result<String> {
///     target.call("ping".to_string())
/// }
/// ```
pub struct Method<A, R> {
    callee: Callee,
    method: u16,
    _types: PhantomData<fn(A) -> R>,
}

#[derive(Clone)]
enum Callee {
    Actor(Client),
    Object(ObjectRef),
    Interface(InterfaceTarget),
}

impl<A, R> Method<A, R> {
    fn new(callee: Callee, method: u16) -> Self {
        Method {
            callee,
            method,
            _types: PhantomData,
        }
    }

    /// Where the method's actor listens.
    pub fn address(&self) -> Address {
        match &self.callee {
            Callee::Actor(client) => client.address(),
            Callee::Object(object) => object.address(),
            Callee::Interface(target) => target.client().address(),
        }
    }

    /// The method's index on the wire.
    pub fn index(&self) -> u16 {
        self.method
    }
}

impl<A: Serialize + Send + 'static, R: DeserializeOwned> Method<A, R> {
    /// Calls the method with `args`, the tuple of its parameters, and waits
    /// for its result; a method that runs concurrently in its actor is
    /// waited for too. For code generic over the parameters; otherwise
    /// `call(x, y)` says the same.
    pub fn call_args(&self, args: A) -> Result<R> {
        match &self.callee {
            Callee::Actor(client) => client.call(self.method, &args),
            Callee::Object(object) => object.call(self.method, &args),
            Callee::Interface(target) => target.call(self.method, &args),
        }
    }

    /// Sends the call with `args`, the tuple of its parameters, and returns
    /// the handle on its result at once.
    pub fn start_args(&self, args: A) -> Result<AsyncResult<R>> {
        match &self.callee {
            Callee::Actor(client) => client.start(self.method, &args),
            Callee::Object(object) => object.start(self.method, &args),
            Callee::Interface(target) => target.start(self.method, &args),
        }
    }

    /// Sends the call with `args`, the tuple of its parameters, when the
    /// future is first polled, and resolves to its result; it needs no
    /// particular async runtime.
    pub fn call_async_args(&self, args: A) -> CallFuture<R> {
        match &self.callee {
            Callee::Actor(client) => client.call_async(self.method, args),
            Callee::Object(object) => object.call_async(self.method, args),
            Callee::Interface(target) => target.call_async(self.method, args),
        }
    }
}

/// The argument of a handle on a method of one parameter `X`: the value
/// itself, `call(x)`, or the tuple of one that the handle's type names,
/// `call((x,))`.
pub trait Argument<X> {
    /// The argument.
    fn into_argument(self) -> X;
}

impl<X> Argument<X> for X {
    fn into_argument(self) -> X {
        self
    }
}

impl<X> Argument<X> for (X,) {
    fn into_argument(self) -> X {
        self.0
    }
}

impl<R: DeserializeOwned> Method<(), R> {
    /// Calls the method and waits for its result; a method that runs
    /// concurrently in its actor is waited for too.
    pub fn call(&self) -> Result<R> {
        self.call_args(())
    }

    /// Sends the call and returns the handle on its result at once.
    pub fn start(&self) -> Result<AsyncResult<R>> {
        self.start_args(())
    }

    /// The future of the call, sent when first polled; it needs no
    /// particular async runtime.
    pub fn call_async(&self) -> CallFuture<R> {
        self.call_async_args(())
    }
}

impl<X: Serialize + Send + 'static, R: DeserializeOwned> Method<(X,), R> {
    /// Calls the method with `x` and waits for its result; a method that
    /// runs concurrently in its actor is waited for too.
    pub fn call(&self, x: impl Argument<X>) -> Result<R> {
        self.call_args((x.into_argument(),))
    }

    /// Sends the call with `x` and returns the handle on its result at
    /// once.
    pub fn start(&self, x: impl Argument<X>) -> Result<AsyncResult<R>> {
        self.start_args((x.into_argument(),))
    }

    /// The future of the call with `x`, sent when first polled; it needs
    /// no particular async runtime.
    pub fn call_async(&self, x: impl Argument<X>) -> CallFuture<R> {
        self.call_async_args((x.into_argument(),))
    }
}

/// `call(a, b, …)`, `start(a, b, …)` and `call_async(a, b, …)` for the
/// handles of methods of two parameters and more (as many as a call
/// carries).
macro_rules! arguments {
    ($($arity:literal: $($argument:ident: $type:ident),+;)+) => {$(
        impl<$($type: Serialize + Send + 'static,)+ R: DeserializeOwned> Method<($($type,)+), R> {
            #[doc = concat!("Calls the method with its ", stringify!($arity), " arguments and waits for its result; a method that runs concurrently in its actor is waited for too.")]
            #[allow(clippy::too_many_arguments)]
            pub fn call(&self, $($argument: $type),+) -> Result<R> {
                self.call_args(($($argument,)+))
            }

            #[doc = concat!("Sends the call with its ", stringify!($arity), " arguments and returns the handle on its result at once.")]
            #[allow(clippy::too_many_arguments)]
            pub fn start(&self, $($argument: $type),+) -> Result<AsyncResult<R>> {
                self.start_args(($($argument,)+))
            }

            #[doc = concat!("The future of the call with its ", stringify!($arity), " arguments, sent when first polled; it needs no particular async runtime.")]
            #[allow(clippy::too_many_arguments)]
            pub fn call_async(&self, $($argument: $type),+) -> CallFuture<R> {
                self.call_async_args(($($argument,)+))
            }
        }
    )+};
}

arguments! {
    2: a0: A0, a1: A1;
    3: a0: A0, a1: A1, a2: A2;
    4: a0: A0, a1: A1, a2: A2, a3: A3;
    5: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4;
    6: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5;
    7: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6;
    8: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7;
    9: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8;
    10: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9;
    11: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9,
        a10: A10;
    12: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9,
        a10: A10, a11: A11;
    13: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9,
        a10: A10, a11: A11, a12: A12;
    14: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9,
        a10: A10, a11: A11, a12: A12, a13: A13;
    15: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9,
        a10: A10, a11: A11, a12: A12, a13: A13, a14: A14;
    16: a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9,
        a10: A10, a11: A11, a12: A12, a13: A13, a14: A14, a15: A15;
}

impl<A, R> Clone for Method<A, R> {
    fn clone(&self) -> Self {
        Method::new(self.callee.clone(), self.method)
    }
}

impl<A, R> fmt::Debug for Method<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Method");
        match &self.callee {
            Callee::Actor(client) => debug.field("actor", client),
            Callee::Object(object) => debug.field("object", object),
            Callee::Interface(target) => debug.field("interface", target),
        };
        debug.field("method", &self.method).finish()
    }
}

/// What a method handle travels as.
#[derive(Serialize, Deserialize)]
struct Wire {
    /// The actor's or object's token.
    target: Token,
    /// The method's index.
    method: u16,
    /// The interface the index belongs to, for a method of an interface.
    interface: Option<u64>,
}

impl<A, R> Serialize for Method<A, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let (target, interface) = match &self.callee {
            Callee::Actor(client) => (client.to_token(), None),
            Callee::Object(object) => (object.to_token(), None),
            Callee::Interface(target) => (target.client().to_token(), Some(target.interface())),
        };
        Wire {
            target,
            method: self.method,
            interface,
        }
        .serialize(serializer)
    }
}

impl<'de, A, R> Deserialize<'de> for Method<A, R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let Wire {
            target,
            method,
            interface,
        } = Wire::deserialize(deserializer)?;
        let callee = if target.object == ACTOR_OBJECT {
            let client = Client::from_any_token(target, "the actor of a method handle")
                .map_err(serde::de::Error::custom)?;
            match interface {
                Some(interface) => Callee::Interface(InterfaceTarget::new(client, interface)),
                None => Callee::Actor(client),
            }
        } else {
            let typeid = target.typeid.clone();
            Callee::Object(
                ObjectRef::from_token(target, &typeid).map_err(serde::de::Error::custom)?,
            )
        };
        Ok(Method::new(callee, method))
    }
}
