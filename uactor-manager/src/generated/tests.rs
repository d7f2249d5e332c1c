use serde_bytes::ByteBuf;
use uactor_core::CodecId;

use super::Carried;

/// Every codec this build has.
fn codecs() -> Vec<CodecId> {
    (0..=u8::MAX)
        .filter_map(|byte| CodecId::from_byte(byte).ok())
        .collect()
}

fn encoded<T: serde::Serialize>(codec: CodecId, value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    codec.encode(value, &mut out).unwrap();
    out
}

#[test]
fn a_vec_of_bytes_travels_as_a_length_and_the_bytes() {
    for codec in codecs() {
        let value: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        let wire = encoded(codec, &value.clone().into_wire());
        // A few bytes of length, then the bytes as they are.
        assert!(
            wire.len() - value.len() <= 9,
            "{codec:?}: {} bytes",
            wire.len()
        );
        assert_eq!(&wire[wire.len() - value.len()..], &value[..], "{codec:?}");
        let back: ByteBuf = codec.decode(&wire).unwrap();
        assert_eq!(Vec::from_wire(back), value, "{codec:?}");
    }
}

#[test]
fn bytes_and_a_sequence_of_u8_are_the_same_on_the_wire() {
    // A method handle (`uactor::Method<(Vec<u8>,), Vec<u8>>`) knows only the
    // types and sends serde's sequence; the actor decodes bytes, and the
    // other way round.
    for codec in codecs() {
        for len in [0usize, 1, 127, 128, 300, 70_000] {
            let value: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let as_sequence = encoded(codec, &(value.clone(), 5u32));
            let as_bytes = encoded(codec, &(value.clone().into_wire(), 5u32));
            assert_eq!(as_sequence, as_bytes, "{codec:?}, {len} bytes");
            let (bytes, _): (ByteBuf, u32) = codec.decode(&as_sequence).unwrap();
            assert_eq!(bytes.into_vec(), value);
            let (sequence, _): (Vec<u8>, u32) = codec.decode(&as_bytes).unwrap();
            assert_eq!(sequence, value);
        }
    }
}

#[test]
fn options_and_results_of_bytes_travel_as_bytes_too() {
    for codec in codecs() {
        let some: Option<Vec<u8>> = Some(vec![1, 2, 3]);
        assert_eq!(
            encoded(codec, &some),
            encoded(codec, &some.clone().into_wire())
        );
        let none: Option<Vec<u8>> = None;
        assert_eq!(encoded(codec, &none), encoded(codec, &none.into_wire()));
        let ok: Result<Vec<u8>, String> = Ok(vec![4, 5]);
        let err: Result<Vec<u8>, String> = Err("no".into());
        for value in [ok, err] {
            let wire = encoded(codec, &value.clone().into_wire());
            assert_eq!(encoded(codec, &value), wire);
            let back: Result<ByteBuf, String> = codec.decode(&wire).unwrap();
            assert_eq!(Result::<Vec<u8>, String>::from_wire(back), value);
        }
    }
}
