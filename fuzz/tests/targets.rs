//! The fuzz targets on stable: every file of the checked-in corpus, then
//! proptest inputs (plain bytes, and well-formed frames and values with
//! mutations), each under a counting allocator and a time bound.
//!
//! `PROPTEST_CASES` raises the number of generated inputs per property
//! (256 by default).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use uactor_core::frame::{self, HANDSHAKE_MAX_FRAME, Header, Kind, LENGTH_LEN};
use uactor_core::{Codec, Error, Postcard};
use uactor_fuzz::{FRAME_LIMITS, MAX_FRAME, Tree};

/// Counts what the current thread allocates while `TRACKING` is set.
struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn allocated(size: usize) {
    let _ = TRACKING.try_with(|tracking| {
        if tracking.get() {
            let live = LIVE.get() + size as isize;
            LIVE.set(live);
            PEAK.set(PEAK.get().max(live));
            LARGEST.set(LARGEST.get().max(size));
        }
    });
}

fn freed(size: usize) {
    let _ = TRACKING.try_with(|tracking| {
        if tracking.get() {
            LIVE.set(LIVE.get() - size as isize);
        }
    });
}

// SAFETY: every call goes straight to the system allocator with the same
// arguments; the bookkeeping touches only const-initialised thread-locals,
// which neither allocate nor register destructors.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        allocated(layout.size());
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        allocated(layout.size());
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        freed(layout.size());
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        freed(layout.size());
        allocated(new_size);
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one run allocated on its thread, and how long it took.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    /// The most bytes live at once.
    peak: usize,
    /// The largest single allocation.
    largest: usize,
    elapsed: Duration,
}

fn measure(run: impl FnOnce()) -> Usage {
    LIVE.set(0);
    PEAK.set(0);
    LARGEST.set(0);
    TRACKING.set(true);
    let started = Instant::now();
    run();
    let elapsed = started.elapsed();
    TRACKING.set(false);
    Usage {
        peak: PEAK.get().max(0) as usize,
        largest: LARGEST.get(),
        elapsed,
    }
}

/// The stream reader starts with a 64 KiB receive buffer whatever comes.
const READ_BUFFER: usize = 64 * 1024;

/// A bound no input may make a target's allocations pass: the frame limit
/// the target runs with (plus the reader's initial buffer for the frame
/// decoder, and the in-memory channel's own blocks for the handshake).
fn allocation_bound(target: &str, data: &[u8]) -> usize {
    match target {
        "frame_decoder" => {
            let limit = data.get(1).map_or(MAX_FRAME, |&byte| {
                FRAME_LIMITS[usize::from(byte) % FRAME_LIMITS.len()]
            });
            READ_BUFFER.max(LENGTH_LEN + limit as usize)
        }
        "handshake_server" | "handshake_client" => 16 * HANDSHAKE_MAX_FRAME as usize,
        _ => MAX_FRAME as usize,
    }
}

/// No input may take this long (debug build, shared machine): a hang fails.
const TIME_BOUND: Duration = Duration::from_secs(2);

fn run(target: &str, data: &[u8]) -> Usage {
    let body: fn(&[u8]) = match target {
        "frame_decoder" => uactor_fuzz::frame_decoder,
        "header" => uactor_fuzz::header,
        "handshake_server" => uactor_fuzz::handshake_server,
        "handshake_client" => uactor_fuzz::handshake_client,
        "codec" => uactor_fuzz::codec,
        other => panic!("no target {other}"),
    };
    let usage = measure(|| body(data));
    let bound = allocation_bound(target, data);
    assert!(
        // The harness's own copy of the input (cut into reads) counts too.
        usage.largest <= bound && usage.peak <= 2 * bound + 2 * data.len(),
        "{target}: an input of {} bytes allocated {} bytes at once ({} live at the peak); the bound is {bound}",
        data.len(),
        usage.largest,
        usage.peak
    );
    assert!(
        usage.elapsed < TIME_BOUND,
        "{target}: an input of {} bytes took {:?}",
        data.len(),
        usage.elapsed
    );
    usage
}

fn corpus(target: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "{} holds no input", dir.display());
    let mut worst = Usage::default();
    for path in &entries {
        let data = std::fs::read(path).expect("a corpus file");
        let usage = std::panic::catch_unwind(|| run(target, &data))
            .unwrap_or_else(|_| panic!("{target} failed on {}", path.display()));
        worst.peak = worst.peak.max(usage.peak);
        worst.largest = worst.largest.max(usage.largest);
        worst.elapsed = worst.elapsed.max(usage.elapsed);
    }
    println!(
        "{target}: {} corpus inputs; slowest {:?}, largest allocation {} B, peak live {} B",
        entries.len(),
        worst.elapsed,
        worst.largest,
        worst.peak
    );
}

#[test]
fn corpus_frame_decoder() {
    corpus("frame_decoder");
}

#[test]
fn corpus_header() {
    corpus("header");
}

#[test]
fn corpus_handshake_server() {
    corpus("handshake_server");
}

#[test]
fn corpus_handshake_client() {
    corpus("handshake_client");
}

#[test]
fn corpus_codec() {
    corpus("codec");
}

/// Frame kinds, valid and not.
fn kind_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(vec![1u8, 2, 3, 4, 5, 16, 17, 18, 19, 20]),
        1 => any::<u8>(),
    ]
}

/// A stream of well-formed frames, then damaged: a byte overwritten, a
/// length field replaced, or the end cut off.
fn frame_stream() -> impl Strategy<Value = Vec<u8>> {
    let frames = vec(
        (
            kind_byte(),
            any::<u64>(),
            any::<u16>(),
            vec(any::<u8>(), 0..300),
        ),
        0..8,
    );
    (any::<u8>(), any::<u8>(), frames, any::<u64>(), 0u8..4).prop_map(
        |(seed, limit, frames, noise, damage)| {
            let mut stream = vec![seed, limit];
            for (kind, request, method, payload) in frames {
                let mut frame =
                    frame::encode(Header::new(Kind::Request, request).method(method), &payload);
                frame[4] = kind;
                stream.extend_from_slice(&frame);
            }
            let body = stream.len() - 2;
            if body > 0 {
                let at = 2 + (noise as usize) % body;
                match damage {
                    0 => stream[at] = (noise >> 32) as u8,
                    1 => {
                        let end = (at + 4).min(stream.len());
                        let huge = [u32::MAX, 1 << 24, 19, MAX_FRAME + 1]
                            [(noise >> 40) as usize % 4]
                            .to_le_bytes();
                        stream[at..end].copy_from_slice(&huge[..end - at]);
                    }
                    2 => stream.truncate(at),
                    _ => {}
                }
            }
            stream
        },
    )
}

/// Handshake records (see `uactor_fuzz::handshake_server`): a valid hello
/// and a response of the right size are likely, so the later steps run.
fn handshake_records() -> impl Strategy<Value = Vec<u8>> {
    let record = prop_oneof![
        (0u8..8, vec(any::<u8>(), 0..80)).prop_map(|(mode, body)| (mode, body)),
        Just((2u8, Vec::new())),
        vec(any::<u8>(), 64).prop_map(|body| (4u8, body)),
        vec(any::<u8>(), 32).prop_map(|body| (4u8, body)),
    ];
    vec(record, 0..5).prop_map(|records| {
        let mut data = Vec::new();
        for (mode, body) in records {
            data.push(mode);
            data.push(body.len() as u8);
            data.extend_from_slice(&body);
        }
        data
    })
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        any::<u64>().prop_map(Tree::Leaf),
        ".{0,8}".prop_map(Tree::Text)
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Tree::Branch),
            inner.clone().prop_map(|tree| Tree::Boxed(Box::new(tree))),
            ("[a-z]{0,4}", prop::option::of(inner.clone())).prop_map(|(name, child)| Tree::Named {
                name,
                child: child.map(Box::new)
            }),
            prop::collection::btree_map("[a-z]{0,3}", inner.clone(), 0..3).prop_map(Tree::Map),
            (inner.clone(), inner).prop_map(|pair| Tree::Pair(Box::new(pair))),
        ]
    })
}

/// Encoded trees and errors, some damaged, behind their selector byte.
fn encoded_values() -> impl Strategy<Value = Vec<u8>> {
    let error = prop_oneof![
        ".{0,16}".prop_map(|message| Error::Remote { message }),
        any::<u64>().prop_map(|ms| Error::Timeout {
            after: Duration::from_millis(ms % 1_000_000)
        }),
        (any::<u64>(), any::<u64>()).prop_map(|(size, max)| Error::FrameTooLarge { size, max }),
        Just(Error::Closed),
    ];
    let value = prop_oneof![
        tree().prop_map(|tree| {
            let mut bytes = vec![1];
            Postcard::encode(&tree, &mut bytes).expect("encodes");
            bytes
        }),
        error.prop_map(|error| {
            let mut bytes = vec![0];
            Postcard::encode(&error, &mut bytes).expect("encodes");
            bytes
        }),
    ];
    (value, any::<u64>(), 0u8..4).prop_map(|(mut bytes, noise, damage)| {
        let at = 1 + (noise as usize) % bytes.len().max(2).saturating_sub(1);
        match damage {
            0 if at < bytes.len() => bytes[at] = (noise >> 32) as u8,
            1 => bytes.truncate(at),
            2 => bytes.extend_from_slice(&[0xff; 10]),
            _ => {}
        }
        bytes
    })
}

proptest! {
    // Failures print their input; there is no source tree to persist them in.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn frame_decoder_on_bytes(data in vec(any::<u8>(), 0..4096)) {
        run("frame_decoder", &data);
    }

    #[test]
    fn frame_decoder_on_damaged_frames(data in frame_stream()) {
        run("frame_decoder", &data);
    }

    #[test]
    fn header_on_bytes(data in vec(any::<u8>(), 0..64)) {
        run("header", &data);
    }

    #[test]
    fn header_on_damaged_frames(data in frame_stream()) {
        run("header", &data[2..]);
    }

    #[test]
    fn handshake_server_on_bytes(data in vec(any::<u8>(), 0..600)) {
        run("handshake_server", &data);
    }

    #[test]
    fn handshake_server_on_records(data in handshake_records()) {
        run("handshake_server", &data);
    }

    #[test]
    fn handshake_client_on_records(data in handshake_records()) {
        run("handshake_client", &data);
    }

    #[test]
    fn codec_on_bytes(data in vec(any::<u8>(), 0..512)) {
        run("codec", &data);
    }

    #[test]
    fn codec_on_damaged_values(data in encoded_values()) {
        run("codec", &data);
    }

    #[test]
    fn trees_round_trip(tree in tree()) {
        let mut bytes = Vec::new();
        Postcard::encode(&tree, &mut bytes).expect("encodes");
        prop_assert_eq!(Postcard::decode::<Tree>(&bytes).expect("decodes"), tree);
    }
}

/// Runs `bomb` 101 times and returns its median time and its worst
/// allocation figures.
fn detonate(mut bomb: impl FnMut()) -> Usage {
    let mut runs: Vec<Usage> = (0..101).map(|_| measure(&mut bomb)).collect();
    runs.sort_by_key(|usage| usage.elapsed);
    Usage {
        elapsed: runs[runs.len() / 2].elapsed,
        peak: runs.iter().map(|usage| usage.peak).max().unwrap_or(0),
        largest: runs.iter().map(|usage| usage.largest).max().unwrap_or(0),
    }
}

fn report(name: &str, usage: Usage, allowed: usize) {
    println!(
        "{name}: median {:?}, largest allocation {} B, peak live {} B",
        usage.elapsed, usage.largest, usage.peak
    );
    assert!(
        usage.elapsed < Duration::from_millis(1),
        "{name} took {:?}",
        usage.elapsed
    );
    assert!(
        usage.largest <= allowed && usage.peak <= allowed,
        "{name} allocated {usage:?}"
    );
}

#[test]
fn a_length_prefix_of_u32_max_is_refused_before_allocating() {
    use std::sync::Arc;
    use uactor_core::FrameRead;
    use uactor_transport::framing::StreamReader;

    let (mut ours, theirs) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
    std::io::Write::write_all(&mut ours, &[0xff; 4 * 101]).expect("written");
    let mut reader = StreamReader::new(Arc::new(theirs));
    // The first run reads the field from the socket; later runs find it
    // still at the head of the buffer (a connection is dropped after this
    // error, so nothing skips it).
    let usage = detonate(|| {
        let result = reader.read_frame();
        assert!(
            matches!(result, Err(Error::FrameTooLarge { size, .. }) if size == u64::from(u32::MAX))
        );
    });
    report("u32::MAX length prefix", usage, 0);
}

#[test]
fn a_16_byte_payload_declaring_2_60_elements_is_refused_at_once() {
    let mut payload = Vec::new();
    Postcard::encode(&(1u64 << 60), &mut payload).expect("encodes");
    payload.resize(16, 0x01);
    let request = frame::encode(Header::new(Kind::Request, 1), &payload);
    let (_, payload) = Header::parse(&request).expect("a well-formed frame");
    assert_eq!(payload.len(), 16);
    let tree = [&[2u8][..], payload].concat();
    let bombs: [(&str, &dyn Fn() -> bool); 6] = [
        ("Vec<u64>", &|| {
            Postcard::decode::<Vec<u64>>(payload).is_err()
        }),
        ("Vec<u8>", &|| Postcard::decode::<Vec<u8>>(payload).is_err()),
        ("Vec<()>", &|| Postcard::decode::<Vec<()>>(payload).is_err()),
        ("String", &|| Postcard::decode::<String>(payload).is_err()),
        ("HashMap<u64, u64>", &|| {
            Postcard::decode::<std::collections::HashMap<u64, u64>>(payload).is_err()
        }),
        ("Tree::Branch", &|| Postcard::decode::<Tree>(&tree).is_err()),
    ];
    for (name, bomb) in bombs {
        let usage = detonate(|| assert!(bomb(), "{name} decoded"));
        // The error's message is the only allocation.
        report(
            &format!("16-byte payload declaring 2^60 elements as {name}"),
            usage,
            1024,
        );
    }
}

#[test]
fn a_value_nested_100_000_deep_is_refused_without_overflowing_the_stack() {
    // Tree::Boxed is variant 3, Tree::Leaf(0) is [0, 0].
    let mut bytes = vec![3u8; 100_000];
    bytes.extend_from_slice(&[0, 0]);
    let usage = detonate(|| match Postcard::decode::<Tree>(&bytes) {
        Err(Error::Codec { message }) => assert!(message.contains("deeper than"), "{message}"),
        other => panic!("expected a codec error, got {other:?}"),
    });
    // The boxes built on the way down (256 of them) are freed on the way up.
    report("a value nested 100 000 deep", usage, 64 * 1024);
}

#[test]
fn large_frames_back_to_back_stay_within_the_frame_limit() {
    // The receive buffer grows for a frame; growing it again for a larger
    // one must not round its capacity up past the limit.
    let mut data = vec![0u8, 2];
    for size in [900 * 1024, MAX_FRAME as usize - 20] {
        data.extend_from_slice(&frame::encode(
            Header::new(Kind::Request, 1),
            &vec![7; size],
        ));
    }
    let usage = run("frame_decoder", &data);
    println!(
        "two large frames: largest allocation {} B, limit {} B",
        usage.largest,
        LENGTH_LEN + MAX_FRAME as usize
    );
}
