//! Local sockets: socket files in a private directory.
//!
//! Each process that serves makes its own directory, mode 0700, under
//! `$XDG_RUNTIME_DIR` (or the temporary directory), and binds its socket
//! there. Only the owner can reach it, unlike an abstract socket name, which
//! any process in the network namespace can reach (the flaw behind
//! CVE-2022-42919 in Python's forkserver). Accepted peers are also checked
//! to run as the same user. The directory is removed by [`PrivateDir::remove`]
//! on shutdown, or when the [`PrivateDir`] is dropped.

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use interprocess::local_socket::prelude::*;
use interprocess::local_socket::{GenericFilePath, ListenerOptions, Stream};
use uactor_core::{Address, Connection, Error, Listener, Result, Transport};

use crate::framing::{self, Socket};

/// The local-socket [`Transport`]: listens in one private directory and
/// connects to any `local:` address.
#[derive(Debug)]
pub struct LocalSocket {
    dir: PathBuf,
}

impl LocalSocket {
    /// A transport that binds its sockets in `dir` (see [`PrivateDir`]).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalSocket { dir: dir.into() }
    }
}

/// Opens a connection to the socket at `path`.
pub fn connect(path: &Path) -> Result<Connection> {
    let name = path
        .to_fs_name::<GenericFilePath>()
        .map_err(|error| Error::io(format!("naming {}", path.display()), error))?;
    let stream = Stream::connect(name)
        .map_err(|error| Error::io(format!("connecting to local:{}", path.display()), error))?;
    Ok(framing::connection(LocalStream(stream)))
}

impl Transport for LocalSocket {
    fn listen(&self) -> Result<Box<dyn Listener>> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = self.dir.join(format!(
            "{}-{}.sock",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let name = path
            .as_path()
            .to_fs_name::<GenericFilePath>()
            .map_err(|error| Error::io(format!("naming {}", path.display()), error))?;
        let listener = ListenerOptions::new()
            .name(name)
            .create_sync()
            .map_err(|error| Error::io(format!("listening at local:{}", path.display()), error))?;
        Ok(Box::new(LocalListener { listener, path }))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        match address {
            Address::Local(path) => connect(path),
            other => Err(Error::proxy(format!(
                "the local-socket transport cannot reach {other}"
            ))),
        }
    }
}

/// Listens at the socket file `path`, which must not exist yet; its
/// directory's permissions are the caller's to choose (`uactor::serve` at a
/// `local:` address).
pub fn listen_at(path: &Path) -> Result<Box<dyn Listener>> {
    let name = path
        .to_fs_name::<GenericFilePath>()
        .map_err(|error| Error::io(format!("naming {}", path.display()), error))?;
    let listener = ListenerOptions::new()
        .name(name)
        .create_sync()
        .map_err(|error| Error::io(format!("listening at local:{}", path.display()), error))?;
    Ok(Box::new(LocalListener {
        listener,
        path: path.to_owned(),
    }))
}

#[derive(Debug)]
struct LocalListener {
    listener: interprocess::local_socket::Listener,
    path: PathBuf,
}

impl Listener for LocalListener {
    fn address(&self) -> Address {
        Address::Local(self.path.clone())
    }

    fn accept(&mut self) -> Result<Connection> {
        loop {
            let stream = self.listener.accept().map_err(|error| {
                Error::io(format!("accepting at local:{}", self.path.display()), error)
            })?;
            // Defence in depth behind the directory's mode: only our own user.
            match stream.peer_creds().map(|creds| creds.euid()) {
                Ok(Some(uid)) if uid != rustix::process::geteuid().as_raw() => continue,
                _ => return Ok(framing::connection(LocalStream(stream))),
            }
        }
    }
}

struct LocalStream(Stream);

impl Socket for LocalStream {
    #[inline]
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &self.0, buf)
    }

    #[inline]
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut &self.0, buf)
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.0.set_recv_timeout(timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.0.set_send_timeout(timeout)
    }

    fn shutdown(&self) {
        match &self.0 {
            Stream::UdSocket(stream) => {
                let _ = stream.inner().shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

/// A directory only this user can enter, removed when dropped.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Makes a fresh directory, mode 0700, under `$XDG_RUNTIME_DIR` if it
    /// is set and usable, else under the temporary directory.
    pub fn create() -> Result<Self> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|error| Error::spawn(format!("the OS gave no random bytes: {error}")))?;
        let suffix: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        let path = base.join(format!("uactor-{}-{suffix}", std::process::id()));
        DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|error| Error::io(format!("creating {}", path.display()), error))?;
        // The umask can only remove bits, but a directory that already
        // existed (it cannot, with a random name) would keep its own.
        let mode = std::fs::metadata(&path)
            .map_err(|error| Error::io(format!("checking {}", path.display()), error))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::spawn(format!(
                "{} is reachable by other users",
                path.display()
            )));
        }
        Ok(PrivateDir { path })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory and what is in it; for paths that must go
    /// before a process exits without running destructors.
    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests {
    use std::thread;

    use uactor_core::frame::{self, Header, Kind};

    use super::*;

    #[test]
    fn frames_cross_a_socket_in_a_private_dir() {
        let dir = PrivateDir::create().unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let mut listener = LocalSocket::new(dir.path()).listen().unwrap();
        let address = listener.address();
        assert!(address.to_string().starts_with("local:"));
        let server = thread::spawn(move || {
            let mut connection = listener.accept().unwrap();
            let bytes = connection.reader.read_frame().unwrap().to_vec();
            connection.writer.write_frame(&bytes).unwrap();
        });
        let mut client = LocalSocket::new(dir.path()).connect(&address).unwrap();
        let frame = frame::encode(Header::new(Kind::Request, 3), &[1; 300_000]);
        client.writer.write_frame(&frame).unwrap();
        assert_eq!(client.reader.read_frame().unwrap(), &frame[..]);
        server.join().unwrap();
        let path = dir.path().to_owned();
        drop(dir);
        assert!(!path.exists());
    }
}
