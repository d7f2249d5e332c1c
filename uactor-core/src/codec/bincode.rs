//! The bincode 2 codec (feature `bincode`).
//!
//! bincode is unmaintained upstream (RUSTSEC-2025-0141), so it is not the
//! default; it is here because the original design named it and some users
//! share its format with other programs. Decoding runs through the same
//! bounds as postcard's (nesting depth, zero-sized elements, size hints no
//! larger than the input) and a bincode byte limit, from a slice that the
//! frame limit already bounds, so a hostile length prefix fails instead of
//! allocating.

use serde::de::{DeserializeSeed, Deserializer};
use serde::{Deserialize, Serialize};

use super::bounded::{Bounded, Budget};
use super::{Codec, CodecId};
use crate::{Error, Result};

/// The largest value bincode may claim to decode: the largest frame.
const LIMIT: usize = u32::MAX as usize;

fn config() -> impl ::bincode::config::Config {
    ::bincode::config::standard().with_limit::<LIMIT>()
}

/// The [bincode 2](https://docs.rs/bincode) format, standard configuration
/// (variable-length integers, little endian), with a decode size limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bincode;

impl Codec for Bincode {
    const ID: CodecId = CodecId::Bincode;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
        ::bincode::serde::encode_into_std_write(value, out, config())
            .map(|_| ())
            .map_err(|error| Error::codec(format!("bincode could not encode: {error}")))
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
        let budget = Budget::new(bytes.len());
        let seed = Seed {
            budget: &budget,
            value: std::marker::PhantomData::<T>,
        };
        match ::bincode::serde::seed_decode_from_slice(seed, bytes, config()) {
            Ok((value, read)) if read == bytes.len() => Ok(value),
            Ok((_, read)) => Err(Error::codec(format!(
                "{} trailing bytes after the value (do both sides use the same types?)",
                bytes.len() - read
            ))),
            Err(error) => Err(Error::codec(match budget.exceeded() {
                Some(bound) => bound.to_string(),
                None => {
                    format!("bincode could not decode: {error} (do both sides use the same types?)")
                }
            })),
        }
    }
}

/// Puts the bounds between bincode's deserializer and the value.
struct Seed<'b, T> {
    budget: &'b Budget,
    value: std::marker::PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Seed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<T, D::Error> {
        T::deserialize(Bounded::new(deserializer, self.budget))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_hostile_lengths_fail_fast() {
        let value = (
            7u64,
            "text".to_owned(),
            vec![1i32, -2, 3],
            Some(vec![0u8; 1000]),
        );
        let mut bytes = Vec::new();
        Bincode::encode(&value, &mut bytes).unwrap();
        let back: (u64, String, Vec<i32>, Option<Vec<u8>>) = Bincode::decode(&bytes).unwrap();
        assert_eq!(back, value);

        bytes.push(0);
        assert!(matches!(
            Bincode::decode::<(u64, String, Vec<i32>, Option<Vec<u8>>)>(&bytes),
            Err(Error::Codec { .. })
        ));

        // A length prefix of 2^62 elements in a few bytes.
        let mut hostile = Vec::new();
        Bincode::encode(&(1u64 << 62), &mut hostile).unwrap();
        let started = std::time::Instant::now();
        assert!(Bincode::decode::<Vec<u64>>(&hostile).is_err());
        assert!(Bincode::decode::<Vec<()>>(&hostile).is_err());
        assert!(Bincode::decode::<String>(&hostile).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
