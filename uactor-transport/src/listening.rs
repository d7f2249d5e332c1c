//! Stopping a listening socket from another thread.

use std::os::fd::BorrowedFd;
use std::sync::Arc;

use uactor_core::Closer;

/// A [`Closer`] for the listening socket `fd`: shutting a listening socket
/// down ends a pending `accept` with an error (on Linux) and refuses every
/// later peer, while the listener itself stays valid until dropped. Works
/// on a duplicate of the descriptor, so it may outlive the listener.
pub(crate) fn closer(fd: BorrowedFd<'_>) -> Option<Closer> {
    let fd = fd.try_clone_to_owned().ok()?;
    Some(Arc::new(move || {
        let _ = rustix::net::shutdown(&fd, rustix::net::Shutdown::Both);
    }))
}
