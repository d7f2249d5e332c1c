use super::*;

#[test]
fn header_round_trips() {
    let header = Header::new(Kind::Request, u64::MAX - 1)
        .method(513)
        .object(42);
    let frame = encode(header, b"payload");
    assert_eq!(frame.len(), HEADER_LEN + 7);
    let (back, payload) = Header::parse(&frame).unwrap();
    assert_eq!(back, header);
    assert_eq!(payload, b"payload");
}

#[test]
fn short_or_inconsistent_frames_are_protocol_errors() {
    assert!(matches!(
        Header::parse(&[0; 10]),
        Err(Error::Protocol { .. })
    ));
    let mut frame = encode(Header::new(Kind::Reply, 1), b"abc");
    frame.push(0);
    assert!(matches!(Header::parse(&frame), Err(Error::Protocol { .. })));
    let mut frame = encode(Header::new(Kind::Reply, 1), b"");
    frame[4] = 99;
    assert!(matches!(Header::parse(&frame), Err(Error::Protocol { .. })));
}

#[test]
fn lengths_are_checked_before_allocation() {
    assert!(matches!(
        check_length(u32::MAX, DEFAULT_MAX_FRAME),
        Err(Error::FrameTooLarge { size, .. }) if size == u64::from(u32::MAX)
    ));
    assert!(check_length(3, DEFAULT_MAX_FRAME).is_err());
    assert!(check_length(20, DEFAULT_MAX_FRAME).is_ok());
}
