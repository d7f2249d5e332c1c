//! The operating-system calls process control needs and std does not offer.
//!
//! All of uactor's `unsafe` lives here, each block with its reason.

use std::io;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use rustix::io::{FdFlags, fcntl_setfd};
use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};

/// Takes ownership of the bootstrap socket a parent left at `raw`.
///
/// Returns why not unless `raw` is an open descriptor of a stream Unix
/// socket whose peer is this process's parent: the environment that names
/// it is not to be trusted (anyone can start a program with it set). Called
/// once, before `main`, by the one function that reads the descriptor
/// number from the environment.
pub(crate) fn adopt(raw: i32) -> Result<UnixStream, String> {
    if raw == 1 || raw == 2 || raw < 0 {
        return Err(format!("descriptor {raw} is an output stream"));
    }
    // SAFETY: fcntl(F_GETFD) only asks whether `raw` names an open
    // descriptor; it takes no pointer and changes nothing.
    if unsafe { libc::fcntl(raw, libc::F_GETFD) } == -1 {
        return Err(format!("descriptor {raw} is not open"));
    }
    // SAFETY: `raw` is open (checked above) and stays open while borrowed:
    // nothing else in this process closes it before main.
    let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
    verify_bootstrap(borrowed)?;
    if raw == 0 {
        // Passed as standard input (so the parent could start this process
        // with posix_spawn): it moves to a descriptor of its own, and
        // standard input becomes /dev/null, so nothing the program reads
        // from it can take a byte of the channel.
        let moved = rustix::io::fcntl_dupfd_cloexec(borrowed, 3)
            .map_err(|error| format!("moving it off standard input: {error}"))?;
        let null = rustix::fs::open(
            "/dev/null",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|error| format!("opening /dev/null: {error}"))?;
        rustix::stdio::dup2_stdin(&null)
            .map_err(|error| format!("putting /dev/null on standard input: {error}"))?;
        return Ok(UnixStream::from(moved));
    }
    // SAFETY: the parent made `raw` for this process alone and named it in
    // the private environment marker, and it is its socket (verified);
    // nothing else in this process owns it (it is read before main, once).
    let owned = unsafe { OwnedFd::from_raw_fd(raw) };
    // Our own children must not inherit it.
    let _ = fcntl_setfd(&owned, FdFlags::CLOEXEC);
    Ok(UnixStream::from(owned))
}

/// Checks that `fd` is a stream Unix socket connected to this process's
/// parent (the peer's pid, where the system tells it).
fn verify_bootstrap(fd: BorrowedFd<'_>) -> Result<(), String> {
    let status = rustix::fs::fstat(fd).map_err(|error| format!("fstat: {error}"))?;
    if rustix::fs::FileType::from_raw_mode(status.st_mode) != rustix::fs::FileType::Socket {
        return Err("it is not a socket".into());
    }
    let kind =
        rustix::net::sockopt::socket_type(fd).map_err(|error| format!("SO_TYPE: {error}"))?;
    if kind != rustix::net::SocketType::STREAM {
        return Err("it is not a stream socket".into());
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let peer = rustix::net::sockopt::socket_peercred(fd)
            .map_err(|error| format!("SO_PEERCRED: {error}"))?;
        let parent = rustix::process::getppid();
        if Some(peer.pid) != parent {
            return Err(format!(
                "its peer is process {}, not this process's parent",
                peer.pid.as_raw_nonzero()
            ));
        }
    }
    Ok(())
}

/// Ignores SIGPIPE in this process, as std's start-up does before `main`
/// (which an actor process never reaches: it serves from the before-main
/// hook): a peer that disconnects mid-reply, or a closed stdout, is then a
/// write error, not the death of the actor.
pub(crate) fn ignore_sigpipe() {
    // SAFETY: installs the SIG_IGN disposition, which runs no code of ours
    // and is async-signal-safe; called before the actor starts any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Opens `/dev/null` on any of the standard descriptors that is closed, as
/// std's start-up does: otherwise the actor's first socket could take
/// descriptor 1, and a stray `println!` would write into a connection.
pub(crate) fn standard_streams() {
    for fd in 0..=2 {
        // SAFETY: fcntl(F_GETFD) only asks whether `fd` is open; open(2)
        // gets a NUL-terminated path and returns the lowest free descriptor,
        // which is `fd` since the ones below it are open. Called before the
        // actor starts any thread.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                let opened = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if opened != fd && opened >= 0 {
                    libc::close(opened);
                }
            }
        }
    }
}

/// Whether this process runs with privileges its user did not have
/// (set-uid or set-gid): such a process must not take the orders of its
/// environment.
pub(crate) fn privileged() -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: getauxval reads the process's auxiliary vector; it takes
        // no pointer and has no side effect.
        unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
    }
    #[cfg(any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly"
    ))]
    {
        // SAFETY: issetugid takes nothing and has no side effect.
        unsafe { libc::issetugid() != 0 }
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly"
    )))]
    {
        false
    }
}

/// Waits until process `pid` (our child) has ended, without reaping it, so
/// its id cannot be reused while we may still signal it.
pub(crate) fn wait_for_exit(pid: u32) -> io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    loop {
        match waitid(
            WaitId::Pid(pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        ) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(error) => return Err(error.into()),
        }
    }
}

/// Removes variables that only this process may read, before `main` runs.
///
/// Its children are given fresh ones explicitly; a program the actor starts
/// itself must not mistake itself for an actor.
pub(crate) fn forget_marker(names: &[&str]) {
    for name in names {
        // SAFETY: called from the before-main hook (or the first line of
        // main), while this process runs one thread, so nothing reads the
        // environment concurrently.
        unsafe { std::env::remove_var(name) };
    }
}

/// The hook that turns a spawned process into its actor before `main`.
///
/// On ELF platforms `.init_array` entries run after the C runtime has
/// started and before `main`: this is how spawning works from test binaries
/// (whose `main` is the harness) and doc tests without a call to
/// `uactor::init()`. std's runtime start-up, which runs in `main`'s
/// wrapper, has not run then: the actor path does what of it an actor needs
/// ([`ignore_sigpipe`], [`standard_streams`]). std's stack-overflow handler
/// is private to std and cannot be installed from here: a method that
/// overflows its stack ends the actor with SIGSEGV (a guard page still
/// stops it), which its owner and callers are told as
/// `ActorDied { status: Signal(11) }`, without std's one-line message.
#[used]
#[cfg_attr(
    any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "netbsd"
    ),
    unsafe(link_section = ".init_array")
)]
#[cfg_attr(
    target_vendor = "apple",
    unsafe(link_section = "__DATA,__mod_init_func")
)]
static BEFORE_MAIN: extern "C" fn() = before_main;

extern "C" fn before_main() {
    super::child::serve_if_spawned();
}
