//! Fuzz target bodies for uactor's decoders.
//!
//! Each target is a plain function of the input bytes: cargo-fuzz calls it
//! from `fuzz_targets/` on nightly, and `tests/targets.rs` runs it on stable
//! over the checked-in corpus (`corpus/<target>/`) and proptest inputs,
//! under a counting allocator. Any error a decoder returns is the expected
//! answer to hostile input; a target panics only when the code under test
//! breaks a promise:
//!
//! - [`frame_decoder`]: a frame past the reader's limit, a frame that is not
//!   the next bytes of the stream, an error of the wrong kind, a reader that
//!   does not make progress;
//! - [`header`]: a parsed header that does not encode back to its bytes;
//! - [`handshake_server`] / [`handshake_client`]: a peer that authenticates
//!   without the key, or a server that tells an unauthenticated peer more
//!   than its challenge and one fixed refusal;
//! - [`codec`]: a decoded value that does not survive a round trip.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Debug;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uactor_core::frame::{self, HANDSHAKE_MAX_FRAME, HEADER_LEN, Header, Kind, LENGTH_LEN};
use uactor_core::protocol::{Hello, MAC_LEN, NONCE_LEN};
use uactor_core::transport::memory;
use uactor_core::{Address, Codec, CodecId, Connection, Error, FrameRead, Postcard};
use uactor_transport::Authkey;
use uactor_transport::framing::{Socket, StreamReader};
use uactor_transport::handshake::{self, Welcome};

/// The largest frame limit the targets run the decoders with.
pub const MAX_FRAME: u32 = 1 << 20;

/// The frame limits [`frame_decoder`] picks from (its second input byte).
pub const FRAME_LIMITS: [u32; 3] = [HANDSHAKE_MAX_FRAME, 4096, MAX_FRAME];

/// The key the handshake targets' honest side holds.
pub const AUTHKEY: &[u8] = b"the fuzzer does not know this key";

/// Takes bytes off the front of an input.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn bytes(&mut self, len: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        taken
    }
}

/// A small deterministic generator, so one input always cuts the same way.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// A byte stream that delivers a script of reads; `None` is a read that
/// times out.
struct Script {
    reads: Mutex<VecDeque<Option<Vec<u8>>>>,
}

impl Socket for Script {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        match reads.pop_front() {
            None => Ok(0),
            Some(None) => Err(io::ErrorKind::WouldBlock.into()),
            Some(Some(mut chunk)) => {
                let taken = chunk.len().min(buf.len());
                buf[..taken].copy_from_slice(&chunk[..taken]);
                if taken < chunk.len() {
                    reads.push_front(Some(chunk.split_off(taken)));
                }
                Ok(taken)
            }
        }
    }

    fn write_all(&self, _: &[u8]) -> io::Result<()> {
        Ok(())
    }

    fn set_read_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    fn set_write_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

/// The stream reader fed arbitrary bytes, cut into arbitrary reads with
/// timeouts between them.
///
/// Input: a seed byte for the cuts, a byte choosing the frame limit from
/// [`FRAME_LIMITS`], then the stream.
pub fn frame_decoder(data: &[u8]) {
    let mut input = Input(data);
    let (Some(seed), Some(limit)) = (input.byte(), input.byte()) else {
        return;
    };
    let max = FRAME_LIMITS[usize::from(limit) % FRAME_LIMITS.len()];
    let stream = input.0;

    let mut cuts = XorShift(u32::from(seed) | 0x100);
    let mut reads = VecDeque::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let roll = cuts.next();
        if roll.is_multiple_of(5) {
            reads.push_back(None);
        }
        let len = match roll % 3 {
            0 => 1 + (roll >> 8) as usize % 8,
            1 => 1 + (roll >> 8) as usize % 64,
            _ => 1 + (roll >> 8) as usize % 4096,
        };
        let (chunk, after) = rest.split_at(len.min(rest.len()));
        reads.push_back(Some(chunk.to_vec()));
        rest = after;
    }
    let timeouts = reads.iter().filter(|read| read.is_none()).count();

    let mut reader = StreamReader::new(Arc::new(Script {
        reads: Mutex::new(reads),
    }));
    reader.set_max_frame(max);
    let mut consumed = 0;
    let mut timeouts_seen = 0;
    loop {
        let declared = stream
            .get(consumed..consumed + LENGTH_LEN)
            .map(|field| u32::from_le_bytes([field[0], field[1], field[2], field[3]]));
        match reader.read_frame() {
            Ok(frame) => {
                assert!(frame.len() >= HEADER_LEN, "a frame shorter than its header");
                assert!(
                    frame.len() <= LENGTH_LEN + max as usize,
                    "a frame past the limit"
                );
                assert_eq!(
                    frame,
                    &stream[consumed..consumed + frame.len()],
                    "not the next bytes"
                );
                assert_eq!(
                    declared.map(|length| length as usize + LENGTH_LEN),
                    Some(frame.len())
                );
                consumed += frame.len();
                match Header::parse(frame) {
                    Ok((header, payload)) => assert_eq!(frame::encode(header, payload), frame),
                    Err(Error::Protocol { .. }) => {}
                    Err(other) => panic!("Header::parse failed with {other:?}"),
                }
            }
            Err(Error::Timeout { .. }) => {
                timeouts_seen += 1;
                assert!(
                    timeouts_seen <= timeouts,
                    "more timeouts than the stream had"
                );
            }
            Err(Error::FrameTooLarge { size, max: limit }) => {
                assert_eq!(
                    (Some(size), limit),
                    (declared.map(u64::from), u64::from(max))
                );
                assert!(size > limit);
                return;
            }
            Err(Error::Protocol { .. }) => {
                let length = declared.expect("a length field was read");
                assert!((length as usize) < HEADER_LEN - LENGTH_LEN);
                return;
            }
            Err(Error::Closed) => {
                assert_eq!(consumed, stream.len(), "closed with a frame pending");
                return;
            }
            Err(Error::Transport { .. }) => {
                assert!(
                    consumed < stream.len(),
                    "a partial frame at the end of the stream"
                );
                return;
            }
            Err(other) => panic!("read_frame failed with {other:?}"),
        }
    }
}

/// `Header::parse`, `Hello::parse` and the kind and codec bytes on
/// arbitrary bytes.
pub fn header(data: &[u8]) {
    match Header::parse(data) {
        Ok((header, payload)) => assert_eq!(frame::encode(header, payload), data),
        Err(Error::Protocol { .. }) => {}
        Err(other) => panic!("Header::parse failed with {other:?}"),
    }
    if let Ok(hello) = Hello::parse(data) {
        // The last byte is reserved and ignored.
        assert_eq!(hello.to_bytes()[..7], data[..7]);
    }
    if let Some(&first) = data.first() {
        if let Ok(kind) = Kind::from_byte(first) {
            assert_eq!(kind as u8, first);
        }
        if let Ok(codec) = CodecId::from_byte(first) {
            assert_eq!(codec.to_byte(), first);
        }
    }
    if let Some(field) = data.get(..LENGTH_LEN) {
        let length = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
        for max in FRAME_LIMITS {
            let allowed = frame::check_length(length, max).is_ok();
            assert_eq!(
                allowed,
                length as usize >= HEADER_LEN - LENGTH_LEN && length <= max
            );
        }
    }
}

/// Frames a hostile peer sends, built from the input: each record is a
/// mode byte, a length byte and that many bytes. Modes let the fuzzer reach
/// the later steps of the handshake without guessing length fields.
fn frames(data: &[u8], wrap: impl Fn(u8, &[u8]) -> Option<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut input = Input(data);
    let mut frames = Vec::new();
    while let (Some(mode), Some(len)) = (input.byte(), input.byte()) {
        let body = input.bytes(usize::from(len));
        let frame = match mode % 8 {
            // The bytes as they are.
            0 => body.to_vec(),
            // Any header bytes, with a length field that matches.
            1 => {
                let mut frame = (body.len() as u32).to_le_bytes().to_vec();
                frame.extend_from_slice(body);
                frame
            }
            // A well-formed hello.
            2 => frame::encode(
                Header::new(Kind::Hello, 0),
                &Hello::new(CodecId::Postcard).to_bytes(),
            ),
            // A request: what a peer may try before it has authenticated.
            3 => frame::encode(Header::new(Kind::Request, 1), body),
            // A frame of another kind with the body as its payload.
            other => match wrap(other, body) {
                Some(frame) => frame,
                None => frame::encode(Header::new(Kind::Hello, 0), body),
            },
        };
        frames.push(frame);
    }
    frames
}

/// Pads or cuts `body` to `len` bytes.
fn sized(body: &[u8], len: usize) -> Vec<u8> {
    let mut sized = body.to_vec();
    sized.resize(len, 0);
    sized
}

/// Everything the other side wrote, once it is done.
fn drain(mut reader: Box<dyn FrameRead>) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while let Ok(frame) = reader.read_frame() {
        frames.push(frame.to_vec());
    }
    frames
}

/// The server side of the handshake fed arbitrary frames over the memory
/// transport: it must never accept, and must tell the peer nothing but its
/// challenge and one fixed refusal.
pub fn handshake_server(data: &[u8]) {
    let (peer, mut server) = memory::pair();
    let Connection {
        reader: from_server,
        writer: mut to_server,
    } = peer;
    let sent = frames(data, |mode, body| {
        Some(match mode {
            4 => frame::encode(
                Header::new(Kind::Response, 0),
                &sized(body, MAC_LEN + NONCE_LEN),
            ),
            5 => frame::encode(Header::new(Kind::Response, 0), body),
            6 => frame::encode(Header::new(Kind::Shutdown, 0), body),
            _ => return None,
        })
    });
    for frame in &sent {
        let _ = to_server.write_frame(frame);
    }
    // The peer is done: the server's reads past its frames end at once.
    drop(to_server);

    let key = Authkey::new(AUTHKEY).expect("a non-empty key");
    let welcome = Welcome { pid: 1, kind: 2 };
    let result = handshake::server(
        &mut server,
        &key,
        CodecId::Postcard,
        welcome,
        Duration::from_secs(1),
        MAX_FRAME,
    );
    assert!(
        result.is_err(),
        "a peer that does not know the key was accepted: {result:?}"
    );
    drop(server);

    let told = drain(from_server);
    let refusal = frame::encode(Header::new(Kind::Refused, 0), &[]);
    let mut told = told.iter();
    let mut next = told.next();
    if let Some(frame) = next.filter(|frame| frame[4] == Kind::Challenge as u8) {
        let (header, nonce) = Header::parse(frame).expect("the challenge parses");
        assert_eq!((header.kind, nonce.len()), (Kind::Challenge, NONCE_LEN));
        next = told.next();
    }
    if let Some(frame) = next {
        assert_eq!(*frame, refusal, "anything but the fixed refusal");
    }
    assert!(told.next().is_none(), "more than a challenge and a refusal");
}

/// The client side of the handshake fed arbitrary frames from a hostile
/// server: it must never accept a server that does not know the key, and
/// sends nothing but its hello and its response.
pub fn handshake_client(data: &[u8]) {
    let (mut client, server) = memory::pair();
    let Connection {
        reader: from_client,
        writer: mut to_client,
    } = server;
    let sent = frames(data, |mode, body| {
        Some(match mode {
            4 => frame::encode(Header::new(Kind::Challenge, 0), &sized(body, NONCE_LEN)),
            // The welcome: proof, pid, type tag, codec.
            5 => frame::encode(
                Header::new(Kind::Welcome, 0),
                &sized(body, MAC_LEN + 4 + 8 + 1),
            ),
            6 => frame::encode(Header::new(Kind::Refused, 0), body),
            _ => return None,
        })
    });
    for frame in &sent {
        let _ = to_client.write_frame(frame);
    }
    drop(to_client);

    let key = Authkey::new(AUTHKEY).expect("a non-empty key");
    let result = handshake::client(
        &mut client,
        &key,
        CodecId::Postcard,
        Duration::from_secs(1),
        MAX_FRAME,
    );
    assert!(
        result.is_err(),
        "a server that does not know the key was accepted: {result:?}"
    );
    drop(client);

    let told = drain(from_client);
    assert!(told.len() <= 2, "the client sent {} frames", told.len());
    if let Some(hello) = told.first() {
        let expected = frame::encode(
            Header::new(Kind::Hello, 0),
            &Hello::new(CodecId::Postcard).to_bytes(),
        );
        assert_eq!(*hello, expected);
    }
    if let Some(response) = told.get(1) {
        let (header, payload) = Header::parse(response).expect("the response parses");
        assert_eq!(
            (header.kind, payload.len()),
            (Kind::Response, MAC_LEN + NONCE_LEN)
        );
    }
}

/// A recursive type, as users send trees and lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tree {
    /// A number.
    Leaf(u64),
    /// Some text.
    Text(String),
    /// Children.
    Branch(Vec<Tree>),
    /// One child behind a box.
    Boxed(Box<Tree>),
    /// A struct variant with an optional child.
    Named {
        /// A name.
        name: String,
        /// Maybe a child.
        child: Option<Box<Tree>>,
    },
    /// Children by name.
    Map(BTreeMap<String, Tree>),
    /// Two children.
    Pair(Box<(Tree, Tree)>),
}

/// Values that borrow from the input.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Borrowed<'a> {
    /// Text borrowed from the input.
    pub text: &'a str,
    /// Bytes borrowed from the input.
    pub bytes: &'a [u8],
}

/// Numbers of every width, floats included.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Numbers {
    /// Floats (compared through their encoding: NaN is not equal to itself).
    pub floats: (f32, f64),
    /// The widest integers.
    pub wide: (i128, u128),
    /// A character.
    pub letter: char,
    /// A duration, which serde checks.
    pub after: Duration,
}

/// How many types [`codec`] decodes (its first input byte picks one).
pub const CODEC_TYPES: u8 = 10;

/// Arbitrary bytes decoded with the default codec as one of
/// [`CODEC_TYPES`] representative types, picked by the first byte.
pub fn codec(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    match selector % CODEC_TYPES {
        0 => {
            if let Some(error) = round_trip::<Error>(bytes) {
                // Display must not panic on any decoded value.
                let _ = error.to_string();
            }
        }
        1 => drop(round_trip::<Tree>(bytes)),
        2 => drop(round_trip::<(u32, String, Vec<u8>)>(bytes)),
        3 => drop(round_trip::<Vec<()>>(bytes)),
        4 => drop(round_trip::<HashMap<String, Vec<u64>>>(bytes)),
        5 => {
            if let Some(address) = round_trip::<Address>(bytes) {
                let _ = address.to_string();
            }
        }
        6 => drop(round_trip::<Vec<Vec<Option<u16>>>>(bytes)),
        7 => drop(round_trip::<uactor_core::Result<Result<i64, String>>>(
            bytes,
        )),
        8 => {
            if let Ok(value) = CodecId::Postcard.decode::<Borrowed<'_>>(bytes) {
                let mut again = Vec::new();
                Postcard::encode(&value, &mut again).expect("a decoded value encodes");
                assert_eq!(
                    Postcard::decode::<Borrowed<'_>>(&again).expect("decodes again"),
                    value
                );
            }
        }
        _ => {
            if let Ok(value) = CodecId::Postcard.decode::<Numbers>(bytes) {
                let mut again = Vec::new();
                Postcard::encode(&value, &mut again).expect("a decoded value encodes");
                let back: Numbers = Postcard::decode(&again).expect("decodes again");
                let mut twice = Vec::new();
                Postcard::encode(&back, &mut twice).expect("encodes again");
                assert_eq!(twice, again);
            }
        }
    }
}

/// Decodes `bytes` as a `T`; a value that decodes must encode and decode
/// back to itself.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(bytes: &[u8]) -> Option<T> {
    let value = CodecId::Postcard.decode::<T>(bytes).ok()?;
    let mut again = Vec::new();
    Postcard::encode(&value, &mut again).expect("a decoded value encodes");
    let back: T = Postcard::decode(&again).expect("an encoded value decodes");
    assert_eq!(back, value);
    Some(value)
}
