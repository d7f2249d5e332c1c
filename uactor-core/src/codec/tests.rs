use super::*;

#[test]
fn round_trips_and_appends() {
    let mut out = vec![0xAA];
    Postcard::encode(&(7u32, "seven".to_string()), &mut out).unwrap();
    assert_eq!(out[0], 0xAA, "encode appends, it does not overwrite");
    let back: (u32, String) = Postcard::decode(&out[1..]).unwrap();
    assert_eq!(back, (7, "seven".to_string()));
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut out = Vec::new();
    Postcard::encode(&1u8, &mut out).unwrap();
    out.push(0);
    assert!(matches!(Postcard::decode::<u8>(&out), Err(Error::Codec { .. })));
}

#[test]
fn a_huge_length_prefix_fails_without_allocating() {
    // A vector declaring 2^60 elements, followed by nothing.
    let mut bytes = Vec::new();
    Postcard::encode(&(1u64 << 60), &mut bytes).unwrap();
    let started = std::time::Instant::now();
    assert!(Postcard::decode::<Vec<u64>>(&bytes).is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn codec_ids_round_trip_through_their_byte() {
    assert_eq!(CodecId::from_byte(CodecId::Postcard.to_byte()).unwrap(), CodecId::Postcard);
    assert!(matches!(CodecId::from_byte(0), Err(Error::Protocol { .. })));
}
