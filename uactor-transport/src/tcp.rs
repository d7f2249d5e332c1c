//! TCP: how actors are reached from other hosts.
//!
//! Plain `std::net` sockets with `TCP_NODELAY` (a call is one small frame
//! that must not wait for Nagle's algorithm), framed by
//! [`framing`]. Nothing here authenticates: the layer above
//! runs the [`handshake`](crate::handshake) over every accepted connection,
//! with a deadline, on the connection's own thread, so the accept loop is
//! never held by a silent or hostile peer. TCP actors always take an
//! explicit authkey, and can add TLS (feature `tls`).

use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use uactor_core::{Address, Backend, Connection, Error, Listener, Prepared, Result};

use crate::framing::{self, Socket};
use crate::registry::{Registration, TRANSPORTS};

/// The TCP transport: listens at one socket address (port 0 picks a free
/// port) and connects to any `tcp://` address.
#[derive(Debug, Clone, Copy)]
pub struct Tcp {
    bind: Option<SocketAddr>,
    connect_timeout: Duration,
}

#[linkme::distributed_slice(TRANSPORTS)]
#[allow(unsafe_code)]
static TCP: Registration = Registration::configured("tcp", |settings| {
    Ok(Arc::new(Tcp::new(None, settings.connect_timeout())))
});

impl Tcp {
    /// A transport that listens at `bind` (when it listens at all);
    /// connections give up after `connect_timeout` when the host does not
    /// answer.
    pub fn new(bind: Option<SocketAddr>, connect_timeout: Duration) -> Self {
        Tcp {
            bind,
            connect_timeout,
        }
    }
}

/// The address a spawned actor listens at, as its owner's record says.
pub(crate) fn bind_record(record: &[u8]) -> Result<SocketAddr> {
    std::str::from_utf8(record)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Error::spawn("the bootstrap names no TCP address to listen at"))
}

/// The record that tells a spawned actor to listen at `bind`.
pub(crate) fn record(bind: Option<SocketAddr>) -> Result<Prepared> {
    let bind = bind.ok_or_else(|| Error::spawn("a TCP actor needs an address to listen at"))?;
    Ok(Prepared {
        record: bind.to_string().into_bytes(),
        link: None,
    })
}

impl Backend for Tcp {
    fn listen(&self) -> Result<Box<dyn Listener>> {
        let bind = self
            .bind
            .ok_or_else(|| Error::spawn("a TCP listener needs an address to bind"))?;
        Ok(Box::new(listen(bind)?))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        match address {
            Address::Tcp(at) => connect(*at, self.connect_timeout),
            other => Err(Error::proxy(format!(
                "the TCP transport cannot reach {other}"
            ))),
        }
    }

    fn listen_at(&self, address: &Address) -> Result<Box<dyn Listener>> {
        match address {
            Address::Tcp(at) => Ok(Box::new(listen(*at)?)),
            other => Err(Error::spawn(format!(
                "the TCP transport cannot listen at {other}"
            ))),
        }
    }

    fn prepare(&self) -> Result<Prepared> {
        record(self.bind)
    }

    fn listen_spawned(&self, record: &[u8]) -> Result<Box<dyn Listener>> {
        Ok(Box::new(listen(bind_record(record)?)?))
    }

    fn remote(&self) -> bool {
        true
    }
}

/// Connections the kernel queues before the accept loop takes them.
const ACCEPT_BACKLOG: i32 = 4096;

/// Listens at `at`.
pub fn listen(at: SocketAddr) -> Result<TcpActorListener> {
    let listener = TcpListener::bind(at)
        .map_err(|error| Error::io(format!("listening at tcp://{at}"), error))?;
    // std listens with a backlog of 128: behind that many peers that
    // connected and stay silent, a real client's SYN would be dropped and
    // retried a second later. Listening again widens the queue (the kernel
    // caps it at net.core.somaxconn).
    rustix::net::listen(&listener, ACCEPT_BACKLOG).map_err(|error| {
        Error::io(
            format!("widening the accept queue at tcp://{at}"),
            error.into(),
        )
    })?;
    let local = listener
        .local_addr()
        .map_err(|error| Error::io(format!("reading the address bound at tcp://{at}"), error))?;
    Ok(TcpActorListener { listener, local })
}

/// Opens a TCP stream to `at`, waiting at most `timeout` for the host.
pub fn connect_stream(at: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&at, timeout)
        .map_err(|error| Error::io(format!("connecting to tcp://{at}"), error))?;
    stream
        .set_nodelay(true)
        .map_err(|error| Error::io("setting TCP_NODELAY", error))?;
    Ok(stream)
}

/// Opens a framed connection to `at`. The handshake has not run yet.
pub fn connect(at: SocketAddr, timeout: Duration) -> Result<Connection> {
    Ok(framing::connection(TcpSocket(connect_stream(at, timeout)?)))
}

/// A bound TCP listener; accepted connections are framed but not yet
/// authenticated.
#[derive(Debug)]
pub struct TcpActorListener {
    listener: TcpListener,
    local: SocketAddr,
}

impl TcpActorListener {
    /// The socket address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Waits for the next TCP stream, with `TCP_NODELAY` set.
    pub fn accept_stream(&mut self) -> Result<TcpStream> {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    // A peer that reset before we could set the option is
                    // simply dropped; the next one is served.
                    if stream.set_nodelay(true).is_ok() {
                        return Ok(stream);
                    }
                }
                // A peer that gave up between SYN and accept is no failure
                // of the listener.
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(error) => {
                    return Err(Error::io(
                        format!("accepting at tcp://{}", self.local),
                        error,
                    ));
                }
            }
        }
    }
}

impl Listener for TcpActorListener {
    fn address(&self) -> Address {
        Address::Tcp(self.local)
    }

    fn accept(&mut self) -> Result<Connection> {
        Ok(framing::connection(TcpSocket(self.accept_stream()?)))
    }

    fn closer(&self) -> Option<uactor_core::Closer> {
        crate::listening::closer(self.listener.as_fd())
    }
}

/// A TCP stream as a [`Socket`].
#[derive(Debug)]
pub struct TcpSocket(pub TcpStream);

impl Socket for TcpSocket {
    #[inline]
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &self.0, buf)
    }

    #[inline]
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        framing::write_all_with(buf, |bufs| self.write_vectored(bufs))
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        framing::send_vectored(self.0.as_fd(), bufs, true)
    }

    #[inline]
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        Some(framing::send_vectored(self.0.as_fd(), bufs, false))
    }

    #[inline]
    fn try_read(&self, buf: &mut [u8]) -> Option<io::Result<usize>> {
        Some(framing::recv_now(self.0.as_fd(), buf))
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.0.set_read_timeout(timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.0.set_write_timeout(timeout)
    }

    fn shutdown(&self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }

    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        Some(self.0.as_fd())
    }
}

#[cfg(test)]
mod tests {
    use std::thread;

    use uactor_core::frame::{self, Header, Kind};

    use super::*;

    #[test]
    fn frames_cross_loopback_and_port_zero_is_resolved() {
        let mut listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.address();
        let Address::Tcp(at) = address else {
            panic!("{address}")
        };
        assert_ne!(at.port(), 0);
        let server = thread::spawn(move || {
            let mut connection = listener.accept().unwrap();
            let bytes = connection.reader.read_frame().unwrap().to_vec();
            connection.writer.write_frame(&bytes).unwrap();
        });
        let mut client = connect(at, Duration::from_secs(2)).unwrap();
        let frame = frame::encode(Header::new(Kind::Request, 3), &[5; 300_000]);
        client.writer.write_frame(&frame).unwrap();
        assert_eq!(client.reader.read_frame().unwrap(), &frame[..]);
        server.join().unwrap();
    }
}
