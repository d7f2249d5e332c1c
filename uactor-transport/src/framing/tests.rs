use std::collections::VecDeque;
use std::sync::Mutex;

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
    assert!(reader.buffer.len() <= INITIAL_BUFFER);
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
