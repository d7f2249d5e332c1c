//! An in-memory transport: frames over channels inside one process.
//!
//! It exists so that the handshake, the host loop and the client can be unit
//! tested without processes or sockets. Listeners are registered in a
//! process-wide table under `memory:N` addresses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::{Backend, Connection, FrameRead, FrameWrite, Listener};
use crate::frame::{self, DEFAULT_MAX_FRAME, LENGTH_LEN};
use crate::{Address, Error, Result};

/// The in-memory transport.
#[derive(Debug, Default, Clone, Copy)]
pub struct Memory;

type Registry = Mutex<HashMap<String, Sender<Connection>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// Two connected ends.
pub fn pair() -> (Connection, Connection) {
    let (to_b, from_a) = mpsc::channel();
    let (to_a, from_b) = mpsc::channel();
    (end(from_b, to_b), end(from_a, to_a))
}

fn end(incoming: Receiver<Vec<u8>>, outgoing: Sender<Vec<u8>>) -> Connection {
    Connection::new(
        Box::new(MemoryReader {
            incoming,
            current: Vec::new(),
            timeout: None,
            max: DEFAULT_MAX_FRAME,
        }),
        Box::new(MemoryWriter { outgoing }),
    )
}

impl Backend for Memory {
    fn listen(&self) -> Result<Box<dyn Listener>> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = NEXT.fetch_add(1, Ordering::Relaxed).to_string();
        let (sender, incoming) = mpsc::channel();
        registry()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.clone(), sender);
        Ok(Box::new(MemoryListener { name, incoming }))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        let Address::Memory(name) = address else {
            return Err(Error::proxy(format!(
                "the memory transport cannot reach {address}"
            )));
        };
        let registry = registry().lock().unwrap_or_else(|e| e.into_inner());
        let listener = registry.get(name).ok_or_else(|| {
            Error::io(
                format!("connecting to {address}"),
                std::io::ErrorKind::ConnectionRefused.into(),
            )
        })?;
        let (client, server) = pair();
        listener.send(server).map_err(|_| {
            Error::io(
                format!("connecting to {address}"),
                std::io::ErrorKind::ConnectionRefused.into(),
            )
        })?;
        Ok(client)
    }
}

#[derive(Debug)]
struct MemoryListener {
    name: String,
    incoming: Receiver<Connection>,
}

impl Listener for MemoryListener {
    fn address(&self) -> Address {
        Address::Memory(self.name.clone())
    }

    fn accept(&mut self) -> Result<Connection> {
        self.incoming.recv().map_err(|_| Error::Closed)
    }
}

impl Drop for MemoryListener {
    fn drop(&mut self) {
        registry()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.name);
    }
}

struct MemoryReader {
    incoming: Receiver<Vec<u8>>,
    current: Vec<u8>,
    timeout: Option<Duration>,
    max: u32,
}

impl FrameRead for MemoryReader {
    fn read_frame(&mut self) -> Result<&[u8]> {
        let next = match self.timeout {
            None => self.incoming.recv().map_err(|_| Error::Closed)?,
            Some(after) => self
                .incoming
                .recv_timeout(after)
                .map_err(|error| match error {
                    RecvTimeoutError::Timeout => Error::Timeout { after },
                    RecvTimeoutError::Disconnected => Error::Closed,
                })?,
        };
        if next.len() < LENGTH_LEN {
            return Err(Error::protocol("a frame shorter than its length field"));
        }
        let declared = u32::from_le_bytes([next[0], next[1], next[2], next[3]]);
        frame::check_length(declared, self.max)?;
        self.current = next;
        Ok(&self.current)
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.timeout = timeout;
        Ok(())
    }

    fn set_max_frame(&mut self, max: u32) {
        self.max = max;
    }
}

struct MemoryWriter {
    outgoing: Sender<Vec<u8>>,
}

impl FrameWrite for MemoryWriter {
    fn write_frame(&mut self, frame: &[u8]) -> Result<()> {
        self.outgoing
            .send(frame.to_vec())
            .map_err(|_| Error::io("sending a frame", std::io::ErrorKind::BrokenPipe.into()))
    }

    /// Channels take every frame at once: a send never waits.
    fn try_write(&mut self, frames: &[std::io::IoSlice<'_>]) -> Option<Result<usize>> {
        Some(self.write_frames(frames))
    }

    fn set_timeout(&mut self, _timeout: Option<Duration>) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Header, Kind};

    #[test]
    fn frames_cross_and_limits_hold() {
        let listener_transport = Memory;
        let mut listener = listener_transport.listen().unwrap();
        let mut client = Memory.connect(&listener.address()).unwrap();
        let mut server = listener.accept().unwrap();
        client
            .writer
            .write_frame(&frame::encode(Header::new(Kind::Request, 5), b"x"))
            .unwrap();
        let (header, payload) = Header::parse(server.reader.read_frame().unwrap()).unwrap();
        assert_eq!((header.request, payload), (5, &b"x"[..]));

        server.reader.set_max_frame(30);
        client
            .writer
            .write_frame(&frame::encode(Header::new(Kind::Request, 6), &[0; 64]))
            .unwrap();
        assert!(matches!(
            server.reader.read_frame(),
            Err(Error::FrameTooLarge { .. })
        ));

        server
            .reader
            .set_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        assert!(matches!(
            server.reader.read_frame(),
            Err(Error::Timeout { .. })
        ));
        drop(client);
        assert!(matches!(server.reader.read_frame(), Err(Error::Closed)));
    }
}
