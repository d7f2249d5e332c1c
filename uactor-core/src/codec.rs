//! How values become bytes: the [`Codec`] trait and its implementations.
//!
//! A connection agrees on one codec in its hello ([`CodecId`]); the call path
//! dispatches on that id, so the generic methods stay monomorphic and cheap.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[cfg(feature = "bincode")]
mod bincode;
mod bounded;

#[cfg(feature = "bincode")]
#[cfg_attr(docsrs, doc(cfg(feature = "bincode")))]
pub use self::bincode::Bincode;

/// A serde data format used on the wire.
pub trait Codec {
    /// The id carried in the hello so both sides agree.
    const ID: CodecId;

    /// Appends the encoding of `value` to `out`.
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()>;

    /// Decodes one value that spans all of `bytes` (trailing bytes are an
    /// error, so a confused peer cannot go unnoticed).
    ///
    /// Decoding is bounded whatever the bytes say: values nest at most 256
    /// levels deep (every sequence, map, struct, enum, option and newtype
    /// counts), a declared length preallocates no more than the input could
    /// fill, and elements that take no input (`()`) are capped (4096 plus one
    /// per input byte), so a hostile peer gets an [`Error::Codec`], never a
    /// stack overflow, a large allocation or a hang.
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T>;
}

/// The codecs a connection can agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CodecId {
    /// [`Postcard`], the default.
    #[default]
    Postcard,
    /// [`Bincode`] 2 (feature `bincode`).
    #[cfg(feature = "bincode")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bincode")))]
    Bincode,
}

impl CodecId {
    /// The byte that names this codec in the hello.
    pub fn to_byte(self) -> u8 {
        match self {
            CodecId::Postcard => 1,
            #[cfg(feature = "bincode")]
            CodecId::Bincode => 2,
        }
    }

    /// The codec a hello byte names.
    pub fn from_byte(byte: u8) -> Result<Self> {
        match byte {
            1 => Ok(CodecId::Postcard),
            #[cfg(feature = "bincode")]
            2 => Ok(CodecId::Bincode),
            other => Err(Error::protocol(format!(
                "the peer asks for codec {other}, which this build does not have \
                 (enable the same codec feature on both sides)"
            ))),
        }
    }

    /// Appends the encoding of `value` to `out` with this codec.
    #[inline]
    pub fn encode<T: Serialize + ?Sized>(self, value: &T, out: &mut Vec<u8>) -> Result<()> {
        match self {
            CodecId::Postcard => Postcard::encode(value, out),
            #[cfg(feature = "bincode")]
            CodecId::Bincode => Bincode::encode(value, out),
        }
    }

    /// Decodes a value from `bytes` with this codec.
    #[inline]
    pub fn decode<'de, T: Deserialize<'de>>(self, bytes: &'de [u8]) -> Result<T> {
        match self {
            CodecId::Postcard => Postcard::decode(bytes),
            #[cfg(feature = "bincode")]
            CodecId::Bincode => Bincode::decode(bytes),
        }
    }
}

/// The [postcard](https://docs.rs/postcard) format: compact, stable, and
/// decoded from a bounded slice (a hostile length prefix fails fast).
#[derive(Debug, Clone, Copy, Default)]
pub struct Postcard;

impl Codec for Postcard {
    const ID: CodecId = CodecId::Postcard;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
        postcard::serialize_with_flavor(value, AppendTo(out))
            .map_err(|error| Error::codec(format!("postcard could not encode: {error}")))
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
        let budget = bounded::Budget::new(bytes.len());
        let mut deserializer = postcard::Deserializer::from_bytes(bytes);
        let decoded = T::deserialize(bounded::Bounded::new(&mut deserializer, &budget))
            .and_then(|value| Ok((value, deserializer.finalize()?)));
        match decoded {
            Ok((value, [])) => Ok(value),
            Ok((_, rest)) => Err(Error::codec(format!(
                "{} trailing bytes after the value (do both sides use the same types?)",
                rest.len()
            ))),
            Err(error) => Err(Error::codec(match budget.exceeded() {
                Some(bound) => bound.to_string(),
                None => format!(
                    "postcard could not decode: {error} (do both sides use the same types?)"
                ),
            })),
        }
    }
}

/// A postcard flavor that appends to a borrowed vector with
/// `extend_from_slice`, so large payloads are copied once, not byte by byte.
struct AppendTo<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for AppendTo<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
