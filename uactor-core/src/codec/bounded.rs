//! Bounds on decoding that the formats themselves do not enforce.
//!
//! postcard decodes from a bounded slice, so a lying length prefix cannot
//! make it read past its input. Two things stay unbounded, and a peer
//! controls both:
//!
//! - **nesting**: a decoder recurses once per level of a nested value, so a
//!   recursive type (a tree, a linked list) nested 100 000 deep in 100 kB of
//!   input overflows the decoding thread's stack, which aborts the process;
//! - **work per byte**: an element of a zero-sized type (`Vec<()>`) costs no
//!   input, so a length prefix of 2^60 keeps the decoder looping for years.
//!
//! [`Bounded`] wraps any serde [`Deserializer`] and keeps a [`Budget`]:
//! every compound value (sequence, tuple, map, struct, enum, option,
//! newtype) enters one level of nesting, at most [`MAX_DEPTH`] deep; every
//! element that could cost no input spends one unit of a budget of the
//! input's length plus [`ZERO_SIZED_ALLOWANCE`] (see [`Elements`]); and a
//! size hint never exceeds the input's length, so a declared length
//! preallocates no more than the input could fill. The wrapper is a thin
//! layer the optimizer sees through: a counter update per compound value.

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// How deep values may nest, counting every sequence, tuple, map, struct,
/// enum, option and newtype on the way down. Far above what hand-written
/// types reach (serde_json stops at 128 arrays and objects); far below what
/// a 2 MiB thread stack holds.
pub(crate) const MAX_DEPTH: u32 = 256;

/// How many elements that take no input (zero-sized ones, such as `()`) a
/// value may hold in all, beyond one per byte of input. Low enough that the
/// worst input is refused within a millisecond even in a debug build; no
/// real message carries thousands of `()`.
pub(crate) const ZERO_SIZED_ALLOWANCE: usize = 4096;

/// Which bound a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exceeded {
    Depth,
    Elements,
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::Depth => write!(
                f,
                "the value nests deeper than {MAX_DEPTH} levels (a hostile or corrupt peer, \
                 or a recursive value too deep to send)"
            ),
            Exceeded::Elements => write!(
                f,
                "the value declares more elements than its bytes can hold \
                 (a length prefix that lies)"
            ),
        }
    }
}

/// What the decoding of one value may still spend.
#[derive(Debug)]
pub(crate) struct Budget {
    depth: Cell<u32>,
    elements: Cell<usize>,
    hint: usize,
    exceeded: Cell<Option<Exceeded>>,
}

impl Budget {
    /// The budget of a value decoded from `input` bytes.
    #[inline]
    pub(crate) fn new(input: usize) -> Self {
        Budget {
            depth: Cell::new(MAX_DEPTH),
            elements: Cell::new(input.saturating_add(ZERO_SIZED_ALLOWANCE)),
            hint: input,
            exceeded: Cell::new(None),
        }
    }

    /// The bound that made decoding fail, if one did. The format's own
    /// error cannot carry it (postcard drops custom messages).
    #[inline]
    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        self.exceeded.get()
    }

    #[inline]
    fn enter<E: de::Error>(&self) -> Result<(), E> {
        match self.depth.get().checked_sub(1) {
            Some(left) => {
                self.depth.set(left);
                Ok(())
            }
            None => Err(self.fail(Exceeded::Depth)),
        }
    }

    #[inline]
    fn leave(&self) {
        self.depth.set(self.depth.get() + 1);
    }

    #[inline]
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.elements.get().checked_sub(1) {
            Some(left) => {
                self.elements.set(left);
                Ok(())
            }
            None => Err(self.fail(Exceeded::Elements)),
        }
    }

    #[inline]
    fn hint(&self, hint: Option<usize>) -> Option<usize> {
        hint.map(|hint| hint.min(self.hint))
    }

    /// Whether a sequence's declared length may exceed what its input
    /// holds: no hint (postcard gives none when the length exceeds the
    /// bytes left), or one above the input's length.
    #[inline]
    fn lies(&self, hint: Option<usize>) -> bool {
        hint.is_none_or(|hint| hint > self.hint)
    }

    #[cold]
    fn fail<E: de::Error>(&self, exceeded: Exceeded) -> E {
        self.exceeded.set(Some(exceeded));
        E::custom(exceeded)
    }
}

/// A [`Deserializer`] that decodes through `inner` within a [`Budget`].
#[derive(Debug)]
pub(crate) struct Bounded<'b, D> {
    inner: D,
    budget: &'b Budget,
}

impl<'b, D> Bounded<'b, D> {
    #[inline]
    pub(crate) fn new(inner: D, budget: &'b Budget) -> Self {
        Bounded { inner, budget }
    }
}

/// Decodes a scalar: nothing to count, the visitor goes through as it is.
macro_rules! scalar {
    ($($method:ident)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(visitor)
        }
    )*};
}

/// Decodes a compound value one level deeper.
macro_rules! compound {
    ($($method:ident($($arg:ident: $type:ty),*))*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, $($arg: $type,)* visitor: V) -> Result<V::Value, D::Error> {
            let budget = self.budget;
            budget.enter()?;
            let value = self.inner.$method($($arg,)* Wrap { visitor, budget });
            budget.leave();
            value
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Bounded<'_, D> {
    type Error = D::Error;

    scalar! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_identifier
    }

    compound! {
        deserialize_any()
        deserialize_ignored_any()
        deserialize_option()
        deserialize_seq()
        deserialize_map()
        deserialize_unit_struct(name: &'static str)
        deserialize_newtype_struct(name: &'static str)
        deserialize_tuple(len: usize)
        deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_struct(name: &'static str, fields: &'static [&'static str])
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A visitor whose nested values are decoded within the same budget.
struct Wrap<'b, V> {
    visitor: V,
    budget: &'b Budget,
}

macro_rules! forward {
    ($($method:ident($type:ty))*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, value: $type) -> Result<Self::Value, E> {
            self.visitor.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    forward! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128)
        visit_f32(f32) visit_f64(f64) visit_char(char)
        visit_str(&str) visit_borrowed_str(&'de str) visit_string(String)
        visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    #[inline]
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_none()
    }

    #[inline]
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_unit()
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(Bounded {
            inner,
            budget: self.budget,
        })
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(Bounded {
            inner,
            budget: self.budget,
        })
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, inner: A) -> Result<Self::Value, A::Error> {
        let count_all = self.budget.lies(inner.size_hint());
        self.visitor.visit_seq(Elements {
            access: inner,
            budget: self.budget,
            count_all,
        })
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, inner: A) -> Result<Self::Value, A::Error> {
        let count_all = self.budget.lies(inner.size_hint());
        self.visitor.visit_map(Elements {
            access: inner,
            budget: self.budget,
            count_all,
        })
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, inner: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(Wrap {
            visitor: inner,
            budget: self.budget,
        })
    }
}

/// The elements of a sequence or the entries of a map, decoded within the
/// budget.
///
/// Elements are counted against the budget only where they could be free:
/// when their type is zero-sized (known at compile time, so the check costs
/// nothing for others), or when the declared length exceeds what is left of
/// the input (`count_all`: a lying prefix, or elements that encode to no
/// bytes, such as structs of skipped fields). An honest `Vec<u8>` of a
/// megabyte is not counted byte by byte.
struct Elements<'b, A> {
    access: A,
    budget: &'b Budget,
    count_all: bool,
}

impl<A> Elements<'_, A> {
    #[inline]
    fn count<T, E: de::Error>(&self, found: bool) -> Result<(), E> {
        if found && (self.count_all || std::mem::size_of::<T>() == 0) {
            self.budget.spend()?;
        }
        Ok(())
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Elements<'_, A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let element = self.access.next_element_seed(Seed {
            seed,
            budget: self.budget,
        })?;
        self.count::<S::Value, A::Error>(element.is_some())?;
        Ok(element)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.budget.hint(self.access.size_hint())
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Elements<'_, A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let key = self.access.next_key_seed(Seed {
            seed,
            budget: self.budget,
        })?;
        self.count::<S::Value, A::Error>(key.is_some())?;
        Ok(key)
    }

    #[inline]
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.access.next_value_seed(Seed {
            seed,
            budget: self.budget,
        })
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.budget.hint(self.access.size_hint())
    }
}

impl<'de, 'b, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<'b, A> {
    type Error = A::Error;
    type Variant = Wrap<'b, A::Variant>;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let budget = self.budget;
        let (value, variant) = self.visitor.variant_seed(Seed { seed, budget })?;
        Ok((
            value,
            Wrap {
                visitor: variant,
                budget,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.visitor.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.visitor.newtype_variant_seed(Seed {
            seed,
            budget: self.budget,
        })
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.visitor.tuple_variant(
            len,
            Wrap {
                visitor,
                budget: self.budget,
            },
        )
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.visitor.struct_variant(
            fields,
            Wrap {
                visitor,
                budget: self.budget,
            },
        )
    }
}

/// A seed whose value is decoded within the budget.
struct Seed<'b, S> {
    seed: S,
    budget: &'b Budget,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Bounded {
            inner,
            budget: self.budget,
        })
    }
}
