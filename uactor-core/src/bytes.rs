//! [`Bytes`]: a byte buffer that crosses a connection without being copied
//! into or out of the encoded payload.
//!
//! On a byte-stream connection, a frame's encoder runs inside
//! [`encoding`]: every `Bytes` it serializes is set aside as an
//! *attachment* (its payload holds only the attachment's index), and the
//! frame is written with the attachments as slices of their own, straight
//! from their buffers ([`frame::attach`](crate::frame::attach)). The reader
//! reads each attachment into a buffer of its own, and the decoder runs
//! inside [`decoding`], where each `Bytes` takes its buffer whole. Anywhere
//! else (another format, a message transport), `Bytes` serializes as plain
//! bytes. Each value says which form it took, so a decoder never guesses.

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, EnumAccess, VariantAccess, Visitor};
use serde::ser::{Serialize, Serializer};

/// Bytes that travel as they are: cheap to clone (the buffer is shared),
/// written from their own buffer and read into the buffer the receiver
/// gets, without a copy in between.
///
/// ```
/// use uactor_core::Bytes;
/// let bytes = Bytes::from(vec![1, 2, 3]);
/// let shared = bytes.clone(); // no copy
/// assert_eq!(&*shared, &[1, 2, 3]);
/// assert_eq!(bytes.into_vec(), vec![1, 2, 3]);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(Arc<Vec<u8>>);

impl Bytes {
    /// Empty bytes.
    pub fn new() -> Self {
        Bytes::default()
    }

    /// The bytes as a vector: the buffer itself when no clone shares it,
    /// else a copy.
    pub fn into_vec(self) -> Vec<u8> {
        Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone())
    }

    /// How many bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Bytes {
    /// Takes the vector's buffer, without a copy.
    fn from(bytes: Vec<u8>) -> Self {
        Bytes(Arc::new(bytes))
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Self {
        Bytes(Arc::new(bytes.to_vec()))
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(bytes: Bytes) -> Self {
        bytes.into_vec()
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 32;
        if self.len() <= SHOWN {
            write!(f, "Bytes({:?})", &self.0[..])
        } else {
            write!(f, "Bytes({:?}… {} bytes)", &self.0[..SHOWN], self.len())
        }
    }
}

thread_local! {
    /// The attachments of the frame this thread encodes, when it encodes
    /// one for a byte stream.
    static ENCODING: RefCell<Option<Vec<Bytes>>> = const { RefCell::new(None) };
    /// The attachments of the frame this thread decodes.
    static DECODING: RefCell<Option<Vec<Option<Vec<u8>>>>> = const { RefCell::new(None) };
}

/// Runs `encode` (the encoder of one frame's payload) with every [`Bytes`]
/// it serializes set aside as an attachment, when `attach`; else they are
/// encoded inline. Returns what `encode` returned and the attachments, in
/// order. Each frame has its own: a frame encoded inside `encode` (a call
/// a method makes) collects its own, and this one's are back in place
/// after it.
pub fn encoding<T>(attach: bool, encode: impl FnOnce() -> T) -> (T, Vec<Bytes>) {
    let fresh = attach.then(Vec::new);
    let previous = ENCODING.with(|encoding| std::mem::replace(&mut *encoding.borrow_mut(), fresh));
    // Put back even if `encode` panics.
    struct Restore(Option<Option<Vec<Bytes>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(previous) = self.0.take() {
                ENCODING.with(|encoding| *encoding.borrow_mut() = previous);
            }
        }
    }
    let mut restore = Restore(Some(previous));
    let value = encode();
    let attached = ENCODING.with(|encoding| {
        std::mem::replace(&mut *encoding.borrow_mut(), restore.0.take().flatten())
    });
    (value, attached.unwrap_or_default())
}

/// Runs `decode` (the decoder of one frame's payload) with `attachments`,
/// the attachments of that frame, for the [`Bytes`] in it to take. A frame
/// decoded inside `decode` has its own; this one's are back in place after
/// it.
pub fn decoding<T>(attachments: Vec<Vec<u8>>, decode: impl FnOnce() -> T) -> T {
    let previous = DECODING.with(|decoding| {
        decoding
            .borrow_mut()
            .replace(attachments.into_iter().map(Some).collect())
    });
    struct Restore(Option<Vec<Option<Vec<u8>>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            DECODING.with(|decoding| *decoding.borrow_mut() = previous);
        }
    }
    let _restore = Restore(previous);
    decode()
}

/// The two forms a [`Bytes`] takes in a payload.
const FORMS: &[&str] = &["Inline", "Attached"];

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let index = ENCODING.with(|encoding| {
            encoding.borrow_mut().as_mut().map(|attached| {
                attached.push(self.clone());
                attached.len() - 1
            })
        });
        match index {
            Some(index) => {
                let index = u32::try_from(index).map_err(serde::ser::Error::custom)?;
                serializer.serialize_newtype_variant("Bytes", 1, FORMS[1], &index)
            }
            None => serializer.serialize_newtype_variant("Bytes", 0, FORMS[0], &Inline(&self.0)),
        }
    }
}

/// Bytes serialized as a byte string, not a sequence of numbers.
struct Inline<'a>(&'a [u8]);

impl Serialize for Inline<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// A byte string, whichever way the format hands it over.
struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Buf;
        impl<'de> Visitor<'de> for Buf {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(bytes.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(bytes))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
                // Formats without byte strings hand over a sequence.
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(byte) = seq.next_element()? {
                    bytes.push(byte);
                }
                Ok(ByteBuf(bytes))
            }
        }
        deserializer.deserialize_byte_buf(Buf)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Forms;
        impl<'de> Visitor<'de> for Forms {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("uactor bytes, inline or attached")
            }
            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Bytes, A::Error> {
                let (Form(form), variant) = data.variant()?;
                match form {
                    0 => variant
                        .newtype_variant::<ByteBuf>()
                        .map(|ByteBuf(bytes)| Bytes::from(bytes)),
                    1 => {
                        let index: u32 = variant.newtype_variant()?;
                        take(index as usize).map(Bytes::from).ok_or_else(|| {
                            de::Error::custom(format!(
                                "attachment {index} is not carried by the frame (or was taken)"
                            ))
                        })
                    }
                    other => Err(de::Error::custom(format!(
                        "bytes in an unknown form {other}"
                    ))),
                }
            }
        }
        deserializer.deserialize_enum("Bytes", FORMS, Forms)
    }
}

/// Which form a [`Bytes`] took: its variant's index, or (in formats that
/// name variants) its name.
struct Form(u32);

impl<'de> Deserialize<'de> for Form {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl Visitor<'_> for Names {
            type Value = Form;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Inline or Attached")
            }
            fn visit_u64<E: de::Error>(self, index: u64) -> Result<Form, E> {
                u32::try_from(index)
                    .map(Form)
                    .map_err(|_| E::custom("no such form"))
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Form, E> {
                FORMS
                    .iter()
                    .position(|form| *form == name)
                    .map(|index| Form(index as u32))
                    .ok_or_else(|| E::unknown_variant(name, FORMS))
            }
        }
        deserializer.deserialize_identifier(Names)
    }
}

/// Takes attachment `index` of the frame being decoded.
fn take(index: usize) -> Option<Vec<u8>> {
    DECODING.with(|decoding| {
        decoding
            .borrow_mut()
            .as_mut()
            .and_then(|attached| attached.get_mut(index))
            .and_then(Option::take)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CodecId;

    #[test]
    fn bytes_go_inline_outside_a_frame_and_attached_inside_one() {
        let value = (7u8, Bytes::from(vec![9; 1000]), Bytes::from(vec![1, 2]));
        let mut inline = Vec::new();
        CodecId::Postcard.encode(&value, &mut inline).unwrap();
        assert!(inline.len() > 1000);
        let back: (u8, Bytes, Bytes) = CodecId::Postcard.decode(&inline).unwrap();
        assert_eq!(back, value);

        let mut payload = Vec::new();
        let (encoded, attached) = encoding(true, || CodecId::Postcard.encode(&value, &mut payload));
        encoded.unwrap();
        assert!(payload.len() < 16, "only indices: {payload:?}");
        assert_eq!(attached.len(), 2);
        let buffers: Vec<Vec<u8>> = attached.into_iter().map(Bytes::into_vec).collect();
        let pointer = buffers[0].as_ptr();
        let back: (u8, Bytes, Bytes) =
            decoding(buffers, || CodecId::Postcard.decode(&payload)).unwrap();
        assert_eq!(back, value);
        let taken = back.1.into_vec();
        assert_eq!(taken.as_ptr(), pointer, "no copy on the way in");
    }

    #[test]
    fn a_missing_attachment_is_an_error_not_a_panic() {
        let mut payload = Vec::new();
        let (encoded, _) = encoding(true, || {
            CodecId::Postcard.encode(&Bytes::from(vec![1]), &mut payload)
        });
        encoded.unwrap();
        assert!(CodecId::Postcard.decode::<Bytes>(&payload).is_err());
    }

    #[test]
    fn other_formats_see_plain_bytes() {
        let mut inline = Vec::new();
        CodecId::Postcard
            .encode(&Bytes::from(vec![5, 6]), &mut inline)
            .unwrap();
        // The form's index, the length, the bytes.
        assert_eq!(inline, [0, 2, 5, 6]);
    }
}
