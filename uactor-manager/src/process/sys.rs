//! The operating-system calls process control needs and std does not offer.
//!
//! All of uactor's `unsafe` lives here, each block with its reason.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::Command;

use rustix::io::{FdFlags, fcntl_setfd};
use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};

/// Lets the child started by `command` inherit `socket` under its current
/// descriptor number (which the caller passes to the child in its
/// environment). Other children never see it: it stays close-on-exec in
/// this process.
pub(crate) fn inherit(command: &mut Command, socket: &UnixStream) {
    let raw = socket.as_raw_fd();
    // SAFETY: the closure runs in the forked child before exec, where only
    // async-signal-safe calls are allowed: it makes one fcntl system call
    // and allocates nothing. `raw` stays open until then because the caller
    // keeps `socket` alive across `spawn`.
    unsafe {
        command.pre_exec(move || {
            // SAFETY: `raw` is open in the child: fork copied the table.
            let fd = BorrowedFd::borrow_raw(raw);
            fcntl_setfd(fd, FdFlags::empty()).map_err(io::Error::from)
        });
    }
}

/// Takes ownership of the bootstrap socket a parent left at `raw`.
///
/// Returns `None` unless `raw` is an open descriptor. Called once, before
/// `main`, by the one function that reads the descriptor number from the
/// environment.
pub(crate) fn adopt(raw: i32) -> Option<UnixStream> {
    if raw < 3 {
        return None;
    }
    // SAFETY: only checks whether the descriptor is open.
    let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
    if rustix::io::fcntl_getfd(borrowed).is_err() {
        return None;
    }
    // SAFETY: the parent made `raw` for this process alone and named it in
    // the private environment marker; nothing else in this process owns it
    // (it is read before main, once).
    let owned = unsafe { OwnedFd::from_raw_fd(raw) };
    // Our own children must not inherit it.
    let _ = fcntl_setfd(&owned, FdFlags::CLOEXEC);
    Some(UnixStream::from(owned))
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
/// On ELF platforms `.init_array` entries run after the C runtime and std's
/// own start-up and before `main`: this is how spawning works from test
/// binaries (whose `main` is the harness) and doc tests without a call to
/// `uactor::init()`.
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
