//! What the code `#[uactor::actor]`, `#[uactor::remote]` and
//! `#[uactor::interface]` generate calls, beyond the call path itself:
//! deferred replies, the errors of a dispatch, and the traits whose
//! `#[diagnostic::on_unimplemented]` messages make a user's mistake read as
//! what it is (a type that cannot travel, an actor that is not `Send`).
//!
//! Generated code reaches these through the facade's `__private` module,
//! which only re-exports them; none of it is an API a user calls, so the
//! traits are hidden from the docs (their blanket impls would show on
//! every type's page). It knows nothing of the macro syntax.

use std::future::Future;
use std::pin::Pin;

use serde_bytes::ByteBuf;
use uactor_core::{Call, CodecId, Error, Result};

/// Replies to `call` later, with the value `make`'s future resolves to,
/// encoded by `encode`; the future runs on the actor's runtime.
pub fn defer<R: 'static, F, Fut>(
    call: &mut Call<'_>,
    encode: fn(CodecId, &R, &mut Vec<u8>) -> Result<()>,
    make: F,
) where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<R>> + 'static,
{
    let codec = call.codec();
    call.defer(Box::new(
        move || -> Pin<Box<dyn Future<Output = Result<Vec<u8>>>>> {
            let future = make();
            Box::pin(async move {
                let value = future.await?;
                let mut out = Vec::new();
                encode(codec, &value, &mut out)?;
                Ok(out)
            })
        },
    ));
}

/// The error for a method index the actor does not have (a caller built
/// against another version of the actor).
pub fn unknown_method(actor: &'static str, method: u16) -> Error {
    Error::protocol(format!(
        "{actor} has no method {method}; are both sides built from the same code?"
    ))
}

/// The error for a constructor that returned `Err`.
pub fn constructor_error<E: std::fmt::Display>(error: E) -> Error {
    Error::spawn(format!("the constructor failed: {error}"))
}

/// What may cross a process boundary as an argument or a result.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross a process boundary",
    label = "arguments and results of actor methods must be serializable",
    note = "derive `serde::Serialize` and `serde::Deserialize` for `{Self}`, or pass a type that has them"
)]
#[doc(hidden)]
pub trait Wire: serde::Serialize + serde::de::DeserializeOwned + Send + 'static {}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static> Wire for T {}

/// A type of argument or result that travels in another form than its own
/// serde form: `Vec<u8>` as serde bytes, and `Option` and `Result` of it.
///
/// serde's `Vec<u8>` is a sequence, encoded and decoded one `u8` at a time;
/// bytes are one length and one copy (about seven times faster for a MiB).
/// The macros see a method's types, so they carry these in their wire form
/// ([`serde_bytes::ByteBuf`]) and convert on either side, with no copy.
/// postcard and bincode write a sequence of `u8`s and bytes alike (a length,
/// then the raw bytes), so a caller that sends a plain `Vec<u8>` (a method
/// handle, `uactor::Method`, which knows only the types) is understood.
#[doc(hidden)]
pub trait Carried: Sized {
    /// What travels.
    type Wire: Wire;

    /// The value as it travels; moves the buffer, copies nothing.
    fn into_wire(self) -> Self::Wire;

    /// The value back from what travelled; moves the buffer.
    fn from_wire(wire: Self::Wire) -> Self;
}

impl Carried for Vec<u8> {
    type Wire = ByteBuf;

    fn into_wire(self) -> ByteBuf {
        ByteBuf::from(self)
    }

    fn from_wire(wire: ByteBuf) -> Self {
        wire.into_vec()
    }
}

impl Carried for Option<Vec<u8>> {
    type Wire = Option<ByteBuf>;

    fn into_wire(self) -> Option<ByteBuf> {
        self.map(ByteBuf::from)
    }

    fn from_wire(wire: Option<ByteBuf>) -> Self {
        wire.map(ByteBuf::into_vec)
    }
}

impl<E: Wire> Carried for std::result::Result<Vec<u8>, E> {
    type Wire = std::result::Result<ByteBuf, E>;

    fn into_wire(self) -> Self::Wire {
        self.map(ByteBuf::from)
    }

    fn from_wire(wire: Self::Wire) -> Self {
        wire.map(ByteBuf::into_vec)
    }
}

#[cfg(test)]
mod tests;
