//! Interfaces (Python uActor's inheritance): a trait marked
//! `#[uactor::interface]` gets a proxy that reaches any actor whose impl of
//! the trait is marked `#[uactor::actor]`.
//!
//! On the wire, an interface call is a request to the actor (object 0) for
//! the reserved method [`INTERFACE_METHOD`], whose payload is the envelope
//! `(interface id, method index, encoded arguments)`: the interface id is a
//! [`tag`](uactor_core::protocol::tag) of the trait's path and the index is the
//! method's position among the trait's methods. The actor's generated
//! `dispatch` hands that method to `dispatch_interface`, which finds the
//! actor's impl of the interface in `INTERFACES`, the list the linker
//! assembles from every `#[uactor::actor] impl Trait for Type`.
//!
//! This module is the caller's side (the actor's is `host::dispatch`); it
//! knows nothing of the traits themselves: the generated code implements
//! [`Interface`] for each interface proxy.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uactor_core::protocol::INTERFACE_METHOD;
use uactor_core::{Result, Token};

use super::async_result::{AsyncResult, CallFuture};
use super::client::Client;

/// An interface proxy, as `#[uactor::interface]` generates it.
pub trait Interface: Sized {
    /// The interface's id on the wire: the
    /// [`tag`](uactor_core::protocol::tag) of the trait's path.
    const ID: u64;
    /// The trait's name, for errors.
    const NAME: &'static str;

    /// The proxy that reaches the actor `client` is connected to through
    /// this interface.
    fn from_target(target: InterfaceTarget) -> Self;

    /// The proxy to the actor `client` is connected to, through this
    /// interface; it owns the actor when `client` does.
    fn from_client(client: Client) -> Self {
        Self::from_target(InterfaceTarget::new(client, Self::ID))
    }
}

/// A connection to an actor, used through one interface: what an interface
/// proxy wraps.
#[derive(Clone)]
pub struct InterfaceTarget {
    client: Client,
    interface: u64,
}

impl InterfaceTarget {
    /// `client`'s actor, through interface `interface`.
    pub fn new(client: Client, interface: u64) -> Self {
        InterfaceTarget { client, interface }
    }

    /// The connection to the actor.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The interface's id.
    pub fn interface(&self) -> u64 {
        self.interface
    }

    /// The envelope of a call to method `method` with `args`.
    fn envelope<A: Serialize>(&self, method: u16, args: &A) -> Result<(u64, u16, Bytes<'static>)> {
        let mut encoded = Vec::new();
        self.client.codec().encode(args, &mut encoded)?;
        Ok((self.interface, method, Bytes(Cow::Owned(encoded))))
    }

    /// Calls method `method` of the interface and waits for its result.
    pub fn call<A: Serialize, R: DeserializeOwned>(&self, method: u16, args: &A) -> Result<R> {
        self.client
            .call(INTERFACE_METHOD, &self.envelope(method, args)?)
    }

    /// Sends a call to method `method` and returns its handle at once.
    pub fn start<A: Serialize, R: DeserializeOwned>(
        &self,
        method: u16,
        args: &A,
    ) -> Result<AsyncResult<R>> {
        self.client
            .start(INTERFACE_METHOD, &self.envelope(method, args)?)
    }

    /// The future of a call to method `method`; nothing is sent before it
    /// is first polled.
    pub fn call_async<A: Serialize + Send + 'static, R: DeserializeOwned>(
        &self,
        method: u16,
        args: A,
    ) -> CallFuture<R> {
        let envelope = Enveloped {
            interface: self.interface,
            method,
            codec: self.client.codec(),
            args,
        };
        self.client.call_async(INTERFACE_METHOD, envelope)
    }
}

impl fmt::Debug for InterfaceTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterfaceTarget")
            .field("client", &self.client)
            .field("interface", &format_args!("{:#018x}", self.interface))
            .finish()
    }
}

/// An interface call's envelope whose arguments are encoded as it is:
/// when a future's request goes.
struct Enveloped<A> {
    interface: u64,
    method: u16,
    codec: uactor_core::CodecId,
    args: A,
}

impl<A: Serialize> Serialize for Enveloped<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut encoded = Vec::new();
        // Nested arguments are decoded apart from the frame's attachments:
        // their `Bytes` travel inline.
        let (encoded_args, _) =
            uactor_core::bytes::encoding(false, || self.codec.encode(&self.args, &mut encoded));
        encoded_args.map_err(serde::ser::Error::custom)?;
        (self.interface, self.method, Bytes(Cow::Owned(encoded))).serialize(serializer)
    }
}

/// Encoded arguments inside an envelope: serde bytes, borrowed from the
/// request when the codec allows it.
pub(crate) struct Bytes<'a>(pub(crate) Cow<'a, [u8]>);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct BytesVisitor;

        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = Bytes<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("encoded arguments")
            }

            fn visit_borrowed_bytes<E: serde::de::Error>(
                self,
                bytes: &'de [u8],
            ) -> std::result::Result<Self::Value, E> {
                Ok(Bytes(Cow::Borrowed(bytes)))
            }

            fn visit_bytes<E: serde::de::Error>(
                self,
                bytes: &[u8],
            ) -> std::result::Result<Self::Value, E> {
                Ok(Bytes(Cow::Owned(bytes.to_vec())))
            }

            fn visit_byte_buf<E: serde::de::Error>(
                self,
                bytes: Vec<u8>,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Bytes(Cow::Owned(bytes)))
            }
        }

        deserializer.deserialize_bytes(BytesVisitor)
    }
}

/// Decodes an interface proxy `I` from the token of any actor proxy. Whether
/// the actor implements the interface shows on the first call.
pub fn deserialize_interface<'de, I: Interface, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<I, D::Error> {
    let token = Token::deserialize(deserializer)?;
    Client::from_any_token(token, I::NAME)
        .map(I::from_client)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_in_every_codec() {
        let envelope = (7u64, 3u16, Bytes(Cow::Owned(vec![1, 2, 3])));
        let mut encoded = Vec::new();
        uactor_core::CodecId::Postcard
            .encode(&envelope, &mut encoded)
            .unwrap();
        let (interface, method, Bytes(args)): (u64, u16, Bytes<'_>) =
            uactor_core::CodecId::Postcard.decode(&encoded).unwrap();
        assert_eq!((interface, method, &*args), (7, 3, &[1u8, 2, 3][..]));
    }
}
