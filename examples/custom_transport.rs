//! Your own transport: TCP with a framing of its own (each frame behind a
//! 4-byte big-endian length), registered by name so that the actor process,
//! which is this binary started again, builds the same transport.
//!
//! The handshake, the codec, pipelining and death detection run above the
//! transport, unchanged: a transport only moves whole frames in order.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use uactor::transport::{Backend, Connection, FrameRead, FrameWrite, Listener};
use uactor::{Address, Error, Result};

pub struct Counter {
    n: i64,
}

#[uactor::actor]
impl Counter {
    pub fn new(n: i64) -> Self {
        Counter { n }
    }

    pub fn add(&mut self, by: i64) -> i64 {
        self.n += by;
        self.n
    }

    pub fn echo(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }
}

/// The scheme of this transport's addresses: `custom:be-tcp:127.0.0.1:PORT`.
const SCHEME: &str = "be-tcp";

/// TCP on loopback, each frame preceded by its size as a big-endian u32.
#[derive(Debug, Default)]
struct BigEndianTcp;

uactor::register_transport!("be-tcp", BigEndianTcp);

impl Backend for BigEndianTcp {
    fn listen(&self) -> Result<Box<dyn Listener>> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|error| Error::io("binding", error))?;
        let at = listener
            .local_addr()
            .map_err(|error| Error::io("reading the bound address", error))?;
        Ok(Box::new(BigEndianListener { listener, at }))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        let Address::Custom {
            scheme,
            address: text,
        } = address
        else {
            return Err(Error::proxy(format!("{SCHEME} cannot reach {address}")));
        };
        let at: SocketAddr = match (scheme.as_str(), text.parse()) {
            (SCHEME, Ok(at)) => at,
            _ => return Err(Error::proxy(format!("{address} is not a {SCHEME} address"))),
        };
        let stream = TcpStream::connect_timeout(&at, Duration::from_secs(5))
            .map_err(|error| Error::io(format!("connecting to {address}"), error))?;
        split(stream)
    }
}

#[derive(Debug)]
struct BigEndianListener {
    listener: TcpListener,
    at: SocketAddr,
}

impl Listener for BigEndianListener {
    fn address(&self) -> Address {
        Address::Custom {
            scheme: SCHEME.to_owned(),
            address: self.at.to_string(),
        }
    }

    /// Returns at once with the stream: the host authenticates each
    /// connection on its own thread, so nothing may be read here.
    fn accept(&mut self) -> Result<Connection> {
        let (stream, _) = self
            .listener
            .accept()
            .map_err(|error| Error::io("accepting", error))?;
        split(stream)
    }
}

fn split(stream: TcpStream) -> Result<Connection> {
    stream
        .set_nodelay(true)
        .map_err(|error| Error::io("setting nodelay", error))?;
    let reading = stream
        .try_clone()
        .map_err(|error| Error::io("sharing the stream", error))?;
    let reader = BigEndianReader {
        stream: reading,
        prefix: [0; 4],
        frame: Vec::new(),
        filled: 0,
        max: u32::MAX,
        timeout: None,
    };
    Ok(Connection::new(
        Box::new(reader),
        Box::new(BigEndianWriter {
            stream,
            timeout: None,
        }),
    ))
}

struct BigEndianReader {
    stream: TcpStream,
    prefix: [u8; 4],
    frame: Vec<u8>,
    /// Bytes of the current prefix and frame read so far: a read that times
    /// out keeps them, so the stream never loses its place.
    filled: usize,
    max: u32,
    timeout: Option<Duration>,
}

impl BigEndianReader {
    fn read_some(&mut self, into_frame: bool) -> Result<()> {
        let target = if into_frame {
            &mut self.frame[self.filled - 4..]
        } else {
            &mut self.prefix[self.filled..]
        };
        match self.stream.read(target) {
            Ok(0) if self.filled == 0 => Err(Error::Closed),
            Ok(0) => Err(Error::io(
                "reading a frame",
                io::ErrorKind::UnexpectedEof.into(),
            )),
            Ok(read) => {
                self.filled += read;
                Ok(())
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(Error::Timeout {
                    after: self.timeout.unwrap_or_default(),
                })
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(error) => Err(Error::io("reading a frame", error)),
        }
    }
}

impl FrameRead for BigEndianReader {
    fn read_frame(&mut self) -> Result<&[u8]> {
        while self.filled < 4 {
            self.read_some(false)?;
        }
        let size = u32::from_be_bytes(self.prefix);
        // A uactor frame is at least its 24-byte header, and its own length
        // field counts what follows the field: check before allocating.
        if size < 24 {
            return Err(Error::protocol(format!(
                "a frame of {size} bytes is shorter than a header"
            )));
        }
        if size - 4 > self.max {
            return Err(Error::FrameTooLarge {
                size: u64::from(size - 4),
                max: u64::from(self.max),
            });
        }
        let total = 4 + size as usize;
        if self.frame.len() != size as usize {
            self.frame.resize(size as usize, 0);
        }
        while self.filled < total {
            self.read_some(true)?;
        }
        self.filled = 0;
        Ok(&self.frame)
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.stream
            .set_read_timeout(timeout)
            .map_err(|error| Error::io("setting a timeout", error))?;
        self.timeout = timeout;
        Ok(())
    }

    fn set_max_frame(&mut self, max: u32) {
        self.max = max;
    }
}

struct BigEndianWriter {
    stream: TcpStream,
    timeout: Option<Duration>,
}

impl FrameWrite for BigEndianWriter {
    fn write_frame(&mut self, frame: &[u8]) -> Result<()> {
        let size = u32::try_from(frame.len()).map_err(|_| Error::protocol("a frame over 4 GiB"))?;
        let mut bytes = Vec::with_capacity(4 + frame.len());
        bytes.extend_from_slice(&size.to_be_bytes());
        bytes.extend_from_slice(frame);
        self.stream
            .write_all(&bytes)
            .map_err(|error| match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout {
                    after: self.timeout.unwrap_or_default(),
                },
                _ => Error::io("writing a frame", error),
            })
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.stream
            .set_write_timeout(timeout)
            .map_err(|error| Error::io("setting a timeout", error))?;
        self.timeout = timeout;
        Ok(())
    }

    fn close(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

fn main() -> Result<()> {
    uactor::init();
    let options = uactor::Options::new()
        .transport(uactor::Transport::custom(SCHEME)?)
        .authkey(b"a key for this example");
    let counter = Counter::spawn_with(&options, 40)?;
    let address = counter.address();
    println!("served at {address}");
    assert_eq!(counter.add(2)?, 42);
    let big = vec![7u8; 1 << 20];
    assert_eq!(counter.echo(big.clone())?, big);

    // Reached by its address, like any actor (a reference, not an owner).
    let other = Counter::connect(&address, b"a key for this example")?;
    assert_eq!(other.add(1)?, 43);
    counter.shutdown()?;
    println!("a custom transport carried every call");
    Ok(())
}
