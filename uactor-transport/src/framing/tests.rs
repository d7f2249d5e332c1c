use std::collections::VecDeque;
use std::os::unix::net::UnixStream;
use std::sync::Mutex;
use std::thread;

use uactor_core::frame::{Header, Kind};

use super::*;

/// A socket fed from a script of chunks; an empty chunk is a timeout.
#[derive(Default)]
struct Scripted {
    chunks: Mutex<VecDeque<Vec<u8>>>,
    written: Mutex<Vec<u8>>,
}

impl Socket for Scripted {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut chunks = self.chunks.lock().unwrap();
        match chunks.pop_front() {
            None => Ok(0),
            Some(chunk) if chunk.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
            Some(mut chunk) => {
                let taken = chunk.len().min(buf.len());
                buf[..taken].copy_from_slice(&chunk[..taken]);
                if taken < chunk.len() {
                    chunks.push_front(chunk.split_off(taken));
                }
                Ok(taken)
            }
        }
    }
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.written.lock().unwrap().extend_from_slice(buf);
        Ok(())
    }
    fn set_read_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn set_write_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

fn reader(chunks: Vec<Vec<u8>>) -> StreamReader<Scripted> {
    StreamReader::new(Arc::new(Scripted {
        chunks: Mutex::new(chunks.into()),
        ..Default::default()
    }))
}

#[test]
fn frames_split_across_reads_and_a_timeout_keep_their_place() {
    let one = frame::encode(Header::new(Kind::Request, 1), b"first");
    let two = frame::encode(Header::new(Kind::Request, 2), &[7; 100_000]);
    let mut stream = one.clone();
    stream.extend_from_slice(&two);
    let (a, rest) = stream.split_at(3);
    let (b, c) = rest.split_at(one.len() + 10);
    let mut reader = reader(vec![a.to_vec(), b.to_vec(), Vec::new(), c.to_vec()]);

    assert_eq!(reader.read_frame().unwrap(), &one[..]);
    assert!(matches!(reader.read_frame(), Err(Error::Timeout { .. })));
    assert_eq!(reader.read_frame().unwrap(), &two[..]);
    assert!(matches!(reader.read_frame(), Err(Error::Closed)));
}

#[test]
fn a_huge_length_is_refused_before_allocation() {
    let mut reader = reader(vec![u32::MAX.to_le_bytes().to_vec()]);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::FrameTooLarge { .. })
    ));
    assert_eq!(reader.buffer.len(), HANDSHAKE_BUFFER);
}

#[test]
fn a_connection_closed_mid_frame_is_a_transport_error() {
    let frame = frame::encode(Header::new(Kind::Reply, 1), b"abcdef");
    let mut reader = reader(vec![frame[..10].to_vec()]);
    assert!(matches!(reader.read_frame(), Err(Error::Transport { .. })));
}

#[test]
fn the_writer_sends_each_frame_whole() {
    let socket = Arc::new(Scripted::default());
    let mut writer = StreamWriter {
        socket: Arc::clone(&socket),
        timeout: None,
    };
    let frame = frame::encode(Header::new(Kind::Reply, 9), b"xyz");
    writer.write_frame(&frame).unwrap();
    assert_eq!(*socket.written.lock().unwrap(), frame);
}

/// A peer that sends one byte of a frame every `period`, from a thread that
/// stops once the reader is gone (or after `bytes`).
fn trickle(period: Duration, bytes: usize) -> (StreamReader<UnixStream>, thread::JoinHandle<()>) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let frame = frame::encode(Header::new(Kind::Request, 1), &[0; 100]);
    let sender = thread::spawn(move || {
        for byte in frame.iter().take(bytes) {
            if theirs.write_all(&[*byte]).is_err() {
                return;
            }
            thread::sleep(period);
        }
    });
    (StreamReader::new(Arc::new(ours)), sender)
}

#[test]
fn a_frame_trickling_in_times_out_at_its_deadline_not_after_a_last_read() {
    // Each byte comes just before a read given the whole timeout would give
    // up, so only a read bounded by what is left of the frame's time stops
    // on time.
    let timeout = Duration::from_millis(600);
    let (mut reader, sender) = trickle(Duration::from_millis(560), 10);
    reader.set_timeout(Some(timeout)).unwrap();
    let started = Instant::now();
    let result = reader.read_frame().map(<[u8]>::to_vec);
    let took = started.elapsed();
    drop(reader);
    sender.join().unwrap();
    println!(
        "a frame trickling a byte every 560 ms timed out after {took:?} (timeout {timeout:?})"
    );
    assert!(
        matches!(result, Err(Error::Timeout { after }) if after == timeout),
        "{result:?}"
    );
    assert!(
        took >= timeout && took < timeout + timeout / 5,
        "a {timeout:?} frame timeout took {took:?}"
    );
}

#[test]
fn a_reader_without_a_timeout_never_sets_one_on_its_socket() {
    /// Fails the test if a timeout is set.
    struct NoTimeouts(Scripted);
    impl Socket for NoTimeouts {
        fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
        fn write_all(&self, buf: &[u8]) -> io::Result<()> {
            self.0.write_all(buf)
        }
        fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
            panic!("a read timeout of {timeout:?} was set")
        }
        fn set_write_timeout(&self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
    }
    let one = frame::encode(Header::new(Kind::Request, 1), b"first");
    let (a, b) = one.split_at(7);
    let mut reader = StreamReader::new(Arc::new(NoTimeouts(Scripted {
        chunks: Mutex::new(vec![a.to_vec(), b.to_vec()].into()),
        ..Default::default()
    })));
    reader.set_timeout(None).unwrap();
    assert_eq!(reader.read_frame().unwrap(), &one[..]);
}

#[test]
fn a_stream_that_reads_without_result_is_bounded_by_the_deadline() {
    /// A stream that keeps reading its socket and has nothing to give (a
    /// TLS record that never completes).
    struct Interrupting;
    impl Socket for Interrupting {
        fn read(&self, _: &mut [u8]) -> io::Result<usize> {
            thread::sleep(Duration::from_millis(5));
            Err(io::ErrorKind::Interrupted.into())
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
    let timeout = Duration::from_millis(100);
    let mut reader = StreamReader::new(Arc::new(Interrupting));
    reader.set_timeout(Some(timeout)).unwrap();
    let started = Instant::now();
    let result = reader.read_frame().map(<[u8]>::to_vec);
    let took = started.elapsed();
    println!("a stream that never completes a read timed out after {took:?} (timeout {timeout:?})");
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    assert!(took < timeout * 2, "{took:?}");
}

#[test]
fn the_buffer_is_handshake_sized_until_the_limit_is_raised() {
    // Everything a client may send before it is welcomed, in one write.
    let hello = frame::encode(Header::new(Kind::Hello, 0), &[1; 8]);
    let response = frame::encode(Header::new(Kind::Response, 0), &[2; 64]);
    let request = frame::encode(Header::new(Kind::Request, 1), &[3; 1000]);
    let stream = [hello.clone(), response.clone(), request.clone()].concat();
    let mut reader = reader(vec![stream]);
    reader.set_max_frame(frame::HANDSHAKE_MAX_FRAME);
    assert_eq!(reader.buffer.len(), HANDSHAKE_BUFFER);
    assert_eq!(reader.read_frame().unwrap(), &hello[..]);
    assert_eq!(reader.read_frame().unwrap(), &response[..]);
    println!(
        "buffer before authentication: {} bytes",
        reader.buffer.len()
    );
    assert_eq!(reader.buffer.len(), HANDSHAKE_BUFFER);
    // Welcomed: the usual limit, the usual buffer, and what was pipelined
    // behind the handshake is still there.
    reader.set_max_frame(DEFAULT_MAX_FRAME);
    println!("buffer after: {} bytes", reader.buffer.len());
    assert_eq!(reader.buffer.len(), BUFFER);
    assert_eq!(reader.read_frame().unwrap(), &request[..]);
}

#[test]
fn a_reader_never_welcomed_grows_when_a_frame_needs_it() {
    let big = frame::encode(Header::new(Kind::Request, 1), &[9; 3000]);
    let small = frame::encode(Header::new(Kind::Request, 2), b"x");
    let stream = [small.clone(), big.clone()].concat();
    let (a, b) = stream.split_at(100);
    let mut reader = reader(vec![a.to_vec(), b.to_vec()]);
    assert_eq!(reader.read_frame().unwrap(), &small[..]);
    assert_eq!(reader.read_frame().unwrap(), &big[..]);
    assert_eq!(reader.buffer.len(), BUFFER, "grown once, to the usual size");
}

/// A frame with `attachments` (and `payload`) as a writer lays it out,
/// followed by a small frame, all in one byte stream.
fn attached_stream(payload: &[u8], attachments: &[Vec<u8>]) -> Vec<u8> {
    let attached: Vec<uactor_core::Bytes> = attachments
        .iter()
        .map(|bytes| uactor_core::Bytes::from(bytes.clone()))
        .collect();
    let mut head = Vec::new();
    frame::start(&mut head);
    head.extend_from_slice(payload);
    let extra = frame::attach(&mut head, &attached);
    frame::finish_attached(&mut head, Header::new(Kind::Reply, 9), extra, u32::MAX).unwrap();
    for bytes in attachments {
        head.extend_from_slice(bytes);
    }
    head.extend_from_slice(&frame::encode(Header::new(Kind::Reply, 10), b"next"));
    head
}

#[test]
fn attachments_are_read_into_buffers_of_their_own_however_the_bytes_come() {
    let attachments = vec![vec![1; 300_000], Vec::new(), vec![2; 5], vec![3; 70_000]];
    let stream = attached_stream(b"the payload", &attachments);
    for chunk in [7, 4096, 65_536, stream.len()] {
        let mut reader = reader(stream.chunks(chunk).map(<[u8]>::to_vec).collect());
        let (frame, separated) = reader.read_frame_attached().unwrap();
        let (header, rest) = Header::parse(frame).unwrap();
        assert_eq!(header.request, 9);
        let parts = frame::Attached::parse(rest).unwrap();
        assert_eq!(parts.payload, b"the payload");
        assert!(parts.inline.is_empty(), "read apart, not left in the frame");
        assert_eq!(
            parts.buffers(separated).unwrap(),
            attachments,
            "chunks of {chunk}"
        );
        let (next, none) = reader.read_frame_attached().unwrap();
        assert_eq!(Header::parse(next).unwrap().1, b"next", "chunks of {chunk}");
        assert!(none.is_none());
    }
}

#[test]
fn a_small_frame_keeps_its_attachments_inside() {
    let attachments = vec![vec![4; 10], vec![5; 20]];
    let stream = attached_stream(b"p", &attachments);
    let mut reader = reader(vec![stream]);
    let (frame, separated) = reader.read_frame_attached().unwrap();
    assert!(separated.is_none());
    let (_, rest) = Header::parse(frame).unwrap();
    let parts = frame::Attached::parse(rest).unwrap();
    assert_eq!(parts.buffers(None).unwrap(), attachments);
}

#[test]
fn attachments_that_do_not_add_up_are_a_protocol_error() {
    let mut stream = attached_stream(b"p", &[vec![1; 100_000]]);
    // One byte more claimed than the frame carries: the next frame's first
    // byte would be taken for it.
    let table = frame::HEADER_LEN + 4 + 1 + 4;
    stream[table..table + 4].copy_from_slice(&100_001u32.to_le_bytes());
    let mut reader = reader(vec![stream]);
    assert!(matches!(
        reader.read_frame_attached(),
        Err(Error::Protocol { .. })
    ));
}
