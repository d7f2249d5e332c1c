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
    assert!(matches!(
        Postcard::decode::<u8>(&out),
        Err(Error::Codec { .. })
    ));
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
    assert_eq!(
        CodecId::from_byte(CodecId::Postcard.to_byte()).unwrap(),
        CodecId::Postcard
    );
    assert!(matches!(CodecId::from_byte(0), Err(Error::Protocol { .. })));
}

/// A recursive type, as a user's tree or list would be.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Nest {
    Leaf,
    Node(Box<Nest>),
}

fn nested(depth: usize) -> Vec<u8> {
    // `Node` is variant 1, `Leaf` variant 0: one byte per level.
    let mut bytes = vec![1; depth];
    bytes.push(0);
    bytes
}

#[test]
fn nesting_past_the_limit_is_a_codec_error_not_a_stack_overflow() {
    // Run on a small stack so an unbounded recursion would overflow here.
    let result = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let started = std::time::Instant::now();
            let result = Postcard::decode::<Nest>(&nested(100_000));
            (result, started.elapsed())
        })
        .unwrap()
        .join()
        .unwrap();
    match result {
        (Err(Error::Codec { message }), elapsed) => {
            assert!(message.contains("nests deeper than 256"), "{message}");
            assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
        }
        other => panic!("expected a codec error, got {other:?}"),
    }
}

#[test]
fn nesting_within_the_limit_decodes() {
    // Each level is an enum and the Box inside it; 255 levels plus the leaf.
    let value: Nest = Postcard::decode(&nested(bounded::MAX_DEPTH as usize - 1)).unwrap();
    let mut depth = 0;
    let mut node = &value;
    while let Nest::Node(inner) = node {
        depth += 1;
        node = inner;
    }
    assert_eq!(depth, bounded::MAX_DEPTH as usize - 1);
    assert!(Postcard::decode::<Nest>(&nested(bounded::MAX_DEPTH as usize)).is_err());
}

#[test]
fn zero_sized_elements_cannot_make_the_decoder_loop_for_ever() {
    let mut bytes = Vec::new();
    Postcard::encode(&(1u64 << 60), &mut bytes).unwrap();
    let started = std::time::Instant::now();
    match Postcard::decode::<Vec<()>>(&bytes) {
        Err(Error::Codec { message }) => assert!(message.contains("more elements"), "{message}"),
        other => panic!("expected a codec error, got {other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Elements that are not zero-sized but encode to no bytes are counted
    // too once the declared length exceeds the input.
    #[derive(Debug, Deserialize)]
    struct Skipped {
        #[serde(skip)]
        _cache: u64,
    }
    assert!(matches!(
        Postcard::decode::<Vec<Skipped>>(&bytes),
        Err(Error::Codec { .. })
    ));
    // An honest vector of units still decodes.
    let mut honest = Vec::new();
    Postcard::encode(&vec![(); 1000], &mut honest).unwrap();
    assert_eq!(Postcard::decode::<Vec<()>>(&honest).unwrap().len(), 1000);
    // Past the allowance, even an honest one is refused.
    let mut many = Vec::new();
    Postcard::encode(&vec![(); bounded::ZERO_SIZED_ALLOWANCE + 10], &mut many).unwrap();
    assert!(Postcard::decode::<Vec<()>>(&many).is_err());
}

#[test]
fn bounded_decoding_round_trips_every_shape() {
    use std::collections::{BTreeMap, HashMap};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Unit;
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Newtype(u8);
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Pair(i16, String);
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Shape<'a> {
        Unit,
        Newtype(u32),
        Tuple(u8, char),
        Struct {
            name: String,
            bytes: &'a [u8],
            text: &'a str,
        },
    }
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct All<'a> {
        unit: Unit,
        newtype: Newtype,
        pair: Pair,
        #[serde(borrow)]
        shapes: Vec<Shape<'a>>,
        map: HashMap<String, Vec<u64>>,
        sorted: BTreeMap<u8, Option<i128>>,
        floats: (f32, f64),
        wide: (u128, i64),
        #[serde(borrow)]
        maybe: Option<Box<All<'a>>>,
        error: Error,
    }
    let value = All {
        unit: Unit,
        newtype: Newtype(7),
        pair: Pair(-3, "three".into()),
        shapes: vec![
            Shape::Unit,
            Shape::Newtype(9),
            Shape::Tuple(1, 'é'),
            Shape::Struct {
                name: "n".into(),
                bytes: b"raw",
                text: "borrowed",
            },
        ],
        map: HashMap::from([("a".into(), vec![1, 2, 3])]),
        sorted: BTreeMap::from([(1, Some(-1)), (2, None)]),
        floats: (1.5, -2.25),
        wide: (u128::MAX, i64::MIN),
        maybe: None,
        error: Error::Timeout {
            after: std::time::Duration::from_millis(5),
        },
    };
    let mut bytes = Vec::new();
    Postcard::encode(&value, &mut bytes).unwrap();
    let back: All<'_> = Postcard::decode(&bytes).unwrap();
    assert_eq!(back, value);
}
