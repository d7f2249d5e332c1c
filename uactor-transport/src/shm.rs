//! Shared memory: frames cross in memory both processes map, so a large
//! one is copied once on each side instead of through the kernel, and a
//! caller and an actor that both poll never make a system call.
//!
//! Each link is a pair: a Unix socket, in a private directory as local
//! sockets are, and a segment of shared memory with one ring per direction
//! (see `segment` and `ring`). The socket comes first: the actor accepts it,
//! checks that the peer runs as the same user, makes a fresh segment (an
//! anonymous memfd, sealed against resizing) and sends its descriptor over
//! the socket. So only a process that could open the socket can map the
//! memory, the memory has no name any other process could open, and it is
//! freed by the kernel when both ends are gone, however they ended: nothing
//! is left in `/dev/shm` or anywhere else. The socket then carries only
//! wake-ups for a reader that sleeps, and its end-of-file tells each side
//! at once that the other is gone (a killed actor is seen as dead within
//! the time the kernel takes to close its sockets).
//!
//! Authentication is unchanged: the authkey handshake runs over the rings
//! before any request is decoded; while it runs, frames are limited to the
//! handshake's few hundred bytes and copied out of the ring before they are
//! read, so a peer that has proven nothing cannot change a frame while it
//! is checked.
//!
//! Memory: each ring is [`CAPACITY`] bytes of address space, of which only
//! the pages written are resident. A stream of small frames keeps to the
//! first 64 KiB of each ring; pages that larger frames made resident are
//! given back after a run of small frames. Frames up to half a ring travel
//! as one record, read in place by the receiver; larger ones (up to the
//! connection's frame limit, 64 MiB by default) travel in pieces that the
//! receiver gathers in a buffer of its own.
//!
//! Linux only (memfd, futex).

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use uactor_core::{Address, Backend, Connection, Error, Listener, Result};

use crate::local_socket::{LocalSocket, PrivateDir};
use crate::registry::{Registration, TRANSPORTS};

mod link;
mod ring;
mod segment;

use link::Side;
use segment::Segment;

/// The scheme of shm addresses: `custom:shm:/path/to/actor.sock`.
pub const SCHEME: &str = "shm";

/// Bytes of each ring (one per direction) of a link: address space, not
/// memory, until frames are written there.
pub const CAPACITY: usize = 4 * 1024 * 1024;

/// What the actor sends with the segment's descriptor, so a client that
/// reached something else fails clearly.
const GREETING: [u8; 8] = *b"uactshm1";

/// The shared-memory transport.
#[derive(Debug, Clone, Copy)]
pub struct Shm {
    connect_timeout: Duration,
}

impl Default for Shm {
    fn default() -> Self {
        Shm {
            connect_timeout: crate::handshake::DEFAULT_DEADLINE,
        }
    }
}

impl Shm {
    /// The transport, waiting at most `connect_timeout` for an actor to
    /// send its segment.
    pub fn new(connect_timeout: Duration) -> Self {
        Shm { connect_timeout }
    }
}

#[linkme::distributed_slice(TRANSPORTS)]
#[allow(unsafe_code)]
static SHM: Registration = Registration::configured(SCHEME, |settings| {
    Ok(Arc::new(Shm::new(settings.connect_timeout())))
});

/// The socket path of an shm address.
fn path_of(address: &Address) -> Option<PathBuf> {
    match address {
        Address::Custom { scheme, address } if scheme == SCHEME => Some(PathBuf::from(address)),
        _ => None,
    }
}

fn address_of(path: &Path) -> Result<Address> {
    let text = path.to_str().ok_or_else(|| {
        Error::spawn(format!(
            "the shm socket path {} is not UTF-8, so it cannot be an address",
            path.display()
        ))
    })?;
    Ok(Address::Custom {
        scheme: SCHEME.to_owned(),
        address: text.to_owned(),
    })
}

impl Backend for Shm {
    /// The owner's calls are what shared memory is for.
    fn owner_connects(&self) -> bool {
        true
    }

    fn listen(&self) -> Result<Box<dyn Listener>> {
        let dir = PrivateDir::create()?;
        let path = dir.path().join("actor.sock");
        listen(path, Some(dir))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        let path = path_of(address)
            .ok_or_else(|| Error::proxy(format!("the shm transport cannot reach {address}")))?;
        connect(&path, self.connect_timeout)
    }

    fn listen_at(&self, address: &Address) -> Result<Box<dyn Listener>> {
        let path = path_of(address)
            .ok_or_else(|| Error::spawn(format!("the shm transport cannot listen at {address}")))?;
        listen(path, None)
    }

    fn forget(&self, address: &Address) {
        if let Some(path) = path_of(address) {
            LocalSocket.forget(&Address::Local(path));
        }
    }
}

fn listen(path: PathBuf, dir: Option<PrivateDir>) -> Result<Box<dyn Listener>> {
    let address = address_of(&path)?;
    let listener = UnixListener::bind(&path)
        .map_err(|error| Error::io(format!("listening at {address}"), error))?;
    Ok(Box::new(ShmListener {
        listener,
        address,
        dir,
    }))
}

#[derive(Debug)]
struct ShmListener {
    listener: UnixListener,
    address: Address,
    /// The private directory it binds in, removed with it.
    dir: Option<PrivateDir>,
}

impl Listener for ShmListener {
    fn address(&self) -> Address {
        self.address.clone()
    }

    fn tidy(&mut self) {
        if let Some(dir) = &self.dir {
            dir.sweep_others();
        }
    }

    fn accept(&mut self) -> Result<Connection> {
        loop {
            let (socket, _) = self
                .listener
                .accept()
                .map_err(|error| Error::io(format!("accepting at {}", self.address), error))?;
            // Defence in depth behind the directory's mode: only our own
            // user gets a segment.
            if !same_user(&socket) {
                continue;
            }
            let (segment, fd) = Segment::create(CAPACITY)?;
            // A fresh socket's buffer is empty: this never waits, so one
            // slow peer cannot hold the accepting thread. A peer already
            // gone is dropped.
            if offer_segment(&socket, &fd).is_err() {
                continue;
            }
            drop(fd);
            return Ok(link::connection(segment, socket, Side::Server));
        }
    }
}

/// Whether the peer of `socket` runs as this process's effective user.
fn same_user(socket: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(socket)
        .is_ok_and(|peer| peer.uid == rustix::process::geteuid())
}

/// Sends the greeting and the segment's descriptor, without waiting.
fn offer_segment(socket: &UnixStream, fd: &OwnedFd) -> Result<()> {
    let fds = [fd.as_fd()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(Error::protocol("no room to send a descriptor"));
    }
    let sent = rustix::net::sendmsg(
        socket,
        &[std::io::IoSlice::new(&GREETING)],
        &mut control,
        SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
    )
    .map_err(|error| Error::io("sending the shared-memory segment", error.into()))?;
    if sent != GREETING.len() {
        return Err(Error::protocol("the segment's greeting was cut short"));
    }
    Ok(())
}

/// Opens an shm link to the actor listening at `path`.
pub fn connect(path: &Path, timeout: Duration) -> Result<Connection> {
    let socket = UnixStream::connect(path)
        .map_err(|error| Error::io(format!("connecting to {SCHEME}:{}", path.display()), error))?;
    if !same_user(&socket) {
        return Err(Error::auth(format!(
            "{} is served by another user",
            path.display()
        )));
    }
    let fd = receive_segment(&socket, Instant::now() + timeout, timeout)?;
    let segment = Segment::open(&fd)?;
    drop(fd);
    Ok(link::connection(segment, socket, Side::Client))
}

/// Waits, until `deadline`, for the actor's greeting and segment.
fn receive_segment(socket: &UnixStream, deadline: Instant, bound: Duration) -> Result<OwnedFd> {
    let not_shm = |what: &str| Error::Transport {
        message: format!("the peer {what}: is an actor on the shm transport listening there?"),
        source: None,
    };
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| not_shm(&format!("sent no shared-memory segment within {bound:?}")))?;
        let left = Timespec::try_from(left).unwrap_or_default();
        let mut fds = [PollFd::new(socket, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&left)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => continue,
            Ok(_) => break,
            Err(error) => return Err(Error::io("waiting for the segment", error.into())),
        }
    }
    let mut greeting = [0u8; GREETING.len()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let received = rustix::net::recvmsg(
        socket,
        &mut [std::io::IoSliceMut::new(&mut greeting)],
        &mut control,
        RecvFlags::DONTWAIT | RecvFlags::CMSG_CLOEXEC,
    )
    .map_err(|error| Error::io("receiving the shared-memory segment", error.into()))?;
    let mut segment = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            for fd in fds {
                // More than one descriptor: the extra ones are closed here.
                segment.get_or_insert(fd);
            }
        }
    }
    match segment {
        Some(fd) if received.bytes == GREETING.len() && greeting == GREETING => Ok(fd),
        _ if received.bytes == 0 => Err(not_shm("closed the connection")),
        _ => Err(not_shm(
            "answered with something that is not a shared-memory segment",
        )),
    }
}

#[cfg(test)]
mod tests;
