//! Local sockets: socket files in a private directory.
//!
//! Each process that serves makes its own directory, mode 0700, under
//! `$XDG_RUNTIME_DIR` (or the temporary directory), and binds its socket
//! there. Only the owner can reach it, unlike an abstract socket name, which
//! any process in the network namespace can reach (the flaw behind
//! CVE-2022-42919 in Python's forkserver). Accepted peers are also checked
//! to run as the same user. The directory goes with the listener, and
//! [`Backend::forget`] removes it for a listener that never got to drop
//! (an actor that exited or was killed).

use std::fs::DirBuilder;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use interprocess::local_socket::prelude::*;
use interprocess::local_socket::{GenericFilePath, ListenerOptions, Stream};
use uactor_core::{Address, Backend, Connection, Error, Listener, Result};

use crate::framing::{self, Socket};
use crate::registry::{Registration, TRANSPORTS};

/// The local-socket transport: each listener binds in a private directory
/// of its own; connects to any `local:` address.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalSocket;

#[linkme::distributed_slice(TRANSPORTS)]
#[allow(unsafe_code)]
static LOCAL: Registration = Registration::configured("local", |_| Ok(Arc::new(LocalSocket)));

/// The prefix of the private directories listeners make, followed by the
/// process id and a random suffix.
const DIR_PREFIX: &str = "uactor-";

/// Opens a connection to the socket at `path`.
pub fn connect(path: &Path) -> Result<Connection> {
    let name = path
        .to_fs_name::<GenericFilePath>()
        .map_err(|error| Error::io(format!("naming {}", path.display()), error))?;
    let stream = Stream::connect(name)
        .map_err(|error| Error::io(format!("connecting to local:{}", path.display()), error))?;
    Ok(framing::connection(LocalStream(stream)))
}

impl Backend for LocalSocket {
    fn listen(&self) -> Result<Box<dyn Listener>> {
        let dir = PrivateDir::create()?;
        let path = dir.path().join("actor.sock");
        let listener = bind(&path)?;
        Ok(Box::new(LocalListener {
            listener,
            path,
            dir: Some(dir),
        }))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        match address {
            Address::Local(path) => connect(path),
            other => Err(Error::proxy(format!(
                "the local-socket transport cannot reach {other}"
            ))),
        }
    }

    fn listen_at(&self, address: &Address) -> Result<Box<dyn Listener>> {
        match address {
            Address::Local(path) => listen_at(path),
            other => Err(Error::spawn(format!(
                "the local-socket transport cannot listen at {other}"
            ))),
        }
    }

    fn forget(&self, address: &Address) {
        if let Address::Local(path) = address {
            forget(path);
        }
    }
}

/// Listens at the socket file `path`, which must not exist yet; its
/// directory's permissions are the caller's to choose (`uactor::serve` at a
/// `local:` address).
pub fn listen_at(path: &Path) -> Result<Box<dyn Listener>> {
    Ok(Box::new(LocalListener {
        listener: bind(path)?,
        path: path.to_owned(),
        dir: None,
    }))
}

fn bind(path: &Path) -> Result<interprocess::local_socket::Listener> {
    let name = path
        .to_fs_name::<GenericFilePath>()
        .map_err(|error| Error::io(format!("naming {}", path.display()), error))?;
    ListenerOptions::new()
        .name(name)
        .create_sync()
        .map_err(|error| Error::io(format!("listening at local:{}", path.display()), error))
}

/// Removes the socket at `path`, and its directory when that is a private
/// directory a listener made. Nothing else: not a directory of the user's,
/// not a file that is not a socket, and no symbolic link is followed.
fn forget(path: &Path) {
    let is_socket =
        std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_socket());
    if is_socket {
        let _ = std::fs::remove_file(path);
    }
    if let Some(dir) = path.parent().filter(|dir| is_private_dir(dir)) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Removes what processes that are gone left in `base`: directories named
/// as [`PrivateDir`]s are, owned by this user, whose process no longer
/// exists (a process killed before its owner could clean up, whose owner
/// was killed too). A directory whose pid is alive is left alone, whoever
/// has that pid now; no symbolic link is followed.
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let me = rustix::process::geteuid().as_raw();
    for entry in entries.flatten() {
        let dir = entry.path();
        let Some(pid) = dir_pid(&dir) else {
            continue;
        };
        let ours = std::fs::symlink_metadata(&dir).is_ok_and(|metadata| {
            std::os::unix::fs::MetadataExt::uid(&metadata) == me && metadata.is_dir()
        });
        if ours && !alive(pid) {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// Whether a process `pid` exists (of any user).
fn alive(pid: i32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return true;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// The pid in the name of a private directory, when `dir` is named as
/// [`PrivateDir`]s are.
fn dir_pid(dir: &Path) -> Option<i32> {
    let (pid, suffix) = dir
        .file_name()?
        .to_str()?
        .strip_prefix(DIR_PREFIX)?
        .split_once('-')?;
    let named = !pid.is_empty()
        && pid.bytes().all(|byte| byte.is_ascii_digit())
        && suffix.len() == 16
        && suffix.bytes().all(|byte| byte.is_ascii_hexdigit());
    named.then(|| pid.parse().ok()).flatten()
}

/// Whether `dir` is named as [`PrivateDir`]s are and is a real directory
/// (not a symbolic link to one).
fn is_private_dir(dir: &Path) -> bool {
    dir_pid(dir).is_some() && std::fs::symlink_metadata(dir).is_ok_and(|metadata| metadata.is_dir())
}

#[derive(Debug)]
struct LocalListener {
    listener: interprocess::local_socket::Listener,
    path: PathBuf,
    /// The private directory it binds in, removed with it.
    dir: Option<PrivateDir>,
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
            let peer = stream.peer_creds().map(|creds| creds.euid());
            if admits(peer, rustix::process::geteuid().as_raw()) {
                return Ok(framing::connection(LocalStream(stream)));
            }
        }
    }

    fn tidy(&mut self) {
        if let Some(dir) = &self.dir {
            dir.sweep_others();
        }
    }

    fn closer(&self) -> Option<uactor_core::Closer> {
        match &self.listener {
            interprocess::local_socket::Listener::UdSocket(listener) => {
                crate::listening::closer(listener.as_fd())
            }
        }
    }
}

/// Whether a peer whose effective user id is `peer` may speak: only one
/// known to be `ours`. Credentials the system could not tell (an error, or
/// none) shut the door, as another user does.
fn admits(peer: io::Result<Option<u32>>, ours: u32) -> bool {
    matches!(peer, Ok(Some(uid)) if uid == ours)
}

struct LocalStream(Stream);

impl LocalStream {
    fn fd(&self) -> BorrowedFd<'_> {
        match &self.0 {
            Stream::UdSocket(stream) => stream.inner().as_fd(),
        }
    }
}

impl Socket for LocalStream {
    #[inline]
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &self.0, buf)
    }

    #[inline]
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        framing::write_all_with(buf, |bufs| self.write_vectored(bufs))
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        framing::send_vectored(self.fd(), bufs, true)
    }

    #[inline]
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        Some(framing::send_vectored(self.fd(), bufs, false))
    }

    #[inline]
    fn try_read(&self, buf: &mut [u8]) -> Option<io::Result<usize>> {
        Some(framing::recv_now(self.fd(), buf))
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.0.set_recv_timeout(timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.0.set_send_timeout(timeout)
    }

    fn fd(&self) -> Option<BorrowedFd<'_>> {
        Some(LocalStream::fd(self))
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
        let path = base.join(format!("{DIR_PREFIX}{}-{suffix}", std::process::id()));
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

    /// Removes the directories beside this one that processes now gone
    /// left (see `sweep`), once per process: a listener's
    /// [`tidy`](uactor_core::Listener::tidy), so it runs off the path that
    /// readies an actor.
    pub fn sweep_others(&self) {
        static SWEPT: std::sync::Once = std::sync::Once::new();
        if let Some(base) = self.path.parent() {
            SWEPT.call_once(|| sweep(base));
        }
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
    fn a_sweep_removes_only_our_dead_processes_directories() {
        let base = PrivateDir::create().unwrap();
        let dead = {
            let mut child = std::process::Command::new("true").spawn().unwrap();
            let pid = child.id();
            child.wait().unwrap();
            pid
        };
        let make = |name: String| {
            let dir = base.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("actor.sock"), b"").unwrap();
            dir
        };
        let left_by_dead = make(format!("uactor-{dead}-0123456789abcdef"));
        let alive = make(format!("uactor-{}-0123456789abcdef", std::process::id()));
        let not_ours_by_name = make(format!("uactor-{dead}-notsixteenhex"));
        // A link named like a dead process's directory, to a directory
        // that must survive.
        let target = make("kept".to_owned());
        let link = base.path().join(format!("uactor-{dead}-fedcba9876543210"));
        std::os::unix::fs::symlink(&target, &link).unwrap();

        sweep(base.path());

        assert!(!left_by_dead.exists(), "a dead process's directory goes");
        assert!(alive.join("actor.sock").exists(), "a live process's stays");
        assert!(not_ours_by_name.exists(), "another name is not ours");
        assert!(target.join("actor.sock").exists(), "no link is followed");
    }

    #[test]
    fn frames_cross_a_socket_in_a_private_dir() {
        let mut listener = LocalSocket.listen().unwrap();
        let address = listener.address();
        let Address::Local(path) = &address else {
            panic!("{address}")
        };
        let dir = path.parent().unwrap().to_owned();
        assert!(is_private_dir(&dir), "{}", dir.display());
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let server = thread::spawn(move || {
            let mut connection = listener.accept().unwrap();
            let bytes = connection.reader.read_frame().unwrap().to_vec();
            connection.writer.write_frame(&bytes).unwrap();
        });
        let mut client = LocalSocket.connect(&address).unwrap();
        let frame = frame::encode(Header::new(Kind::Request, 3), &[1; 300_000]);
        client.writer.write_frame(&frame).unwrap();
        assert_eq!(client.reader.read_frame().unwrap(), &frame[..]);
        server.join().unwrap();
        assert!(!dir.exists(), "the listener's directory goes with it");
    }

    #[test]
    fn only_a_peer_known_to_be_our_user_is_admitted() {
        let ours = rustix::process::geteuid().as_raw();
        let unknown = || io::Error::new(io::ErrorKind::Unsupported, "no credentials");
        let cases = [
            ("our user", Ok(Some(ours)), true),
            ("another user", Ok(Some(ours.wrapping_add(1))), false),
            ("no euid", Ok(None), false),
            ("credentials unknown", Err(unknown()), false),
        ];
        for (who, peer, admitted) in cases {
            println!("{who}: admitted {admitted}");
            assert_eq!(admits(peer, ours), admitted, "{who}");
        }

        // And at a real socket: our own process is admitted.
        let mut listener = LocalSocket.listen().unwrap();
        let address = listener.address();
        let server = thread::spawn(move || listener.accept().map(drop));
        let _client = LocalSocket.connect(&address).unwrap();
        assert!(server.join().unwrap().is_ok());
    }

    #[test]
    fn forget_removes_private_dirs_only() {
        let listener = LocalSocket.listen().unwrap();
        let address = listener.address();
        // A listener that never dropped (its process was killed).
        std::mem::forget(listener);
        let Address::Local(path) = &address else {
            panic!("{address}")
        };
        let dir = path.parent().unwrap().to_owned();
        assert!(dir.exists());
        LocalSocket.forget(&address);
        assert!(!dir.exists());

        // A directory of the user's keeps everything but the socket.
        let mine = std::env::temp_dir().join(format!("not-uactor-{}", std::process::id()));
        std::fs::create_dir_all(&mine).unwrap();
        let kept = mine.join("notes.txt");
        std::fs::write(&kept, b"mine").unwrap();
        LocalSocket.forget(&Address::Local(kept.clone()));
        assert!(kept.exists(), "a file that is not a socket stays");
        std::fs::remove_dir_all(&mine).unwrap();
    }
}
