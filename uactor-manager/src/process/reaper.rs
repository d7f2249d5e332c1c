//! Watching a child actor process end: a reaper thread per child waits for
//! it to end, records how, and reaps it, so no zombie is left and the exit
//! status is at hand when a caller asks why its actor died.

use std::os::unix::process::ExitStatusExt;
use std::process::Child;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use uactor_core::{Error, Exit, Result};

/// Called on the reaper thread with how a process ended.
pub(crate) type ExitHook = Box<dyn FnOnce(Exit) + Send>;

/// A child process this process spawned and will reap.
#[derive(Debug)]
pub(crate) struct Process {
    pid: u32,
    /// `None` once reaped: after that its id may belong to another process.
    child: Mutex<Option<Child>>,
    exit: Mutex<Option<Exit>>,
    exited: Condvar,
    /// What to remove once it has ended (its listener's socket folder),
    /// even if it was killed before it could remove it itself.
    leftovers: Mutex<Leftovers>,
}

/// The clean-up of an ended process: to run once it ends, or already run.
enum Leftovers {
    Pending(Option<Box<dyn FnOnce() + Send>>),
    Done,
}

impl std::fmt::Debug for Leftovers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Leftovers::Pending(clean) => write!(f, "Pending({})", clean.is_some()),
            Leftovers::Done => f.write_str("Done"),
        }
    }
}

impl Process {
    /// Starts the reaper of `child`; `on_exit` runs on it once the child
    /// has ended and been reaped.
    pub(crate) fn watch(child: Child, on_exit: Option<ExitHook>) -> Result<Arc<Process>> {
        let process = Arc::new(Process {
            pid: child.id(),
            child: Mutex::new(Some(child)),
            exit: Mutex::new(None),
            exited: Condvar::new(),
            leftovers: Mutex::new(Leftovers::Pending(None)),
        });
        let reaper = Arc::clone(&process);
        let started = thread::Builder::new()
            .name("uactor-reaper".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let exit = reaper.reap();
                if let Some(on_exit) = on_exit {
                    on_exit(exit);
                }
            });
        if let Err(error) = started {
            process.kill();
            return Err(Error::io("starting a reaper thread", error));
        }
        Ok(process)
    }

    fn reap(&self) -> Exit {
        // Wait without reaping, so `kill` can never signal a reused id.
        let waited = super::sys::wait_for_exit(self.pid);
        let status = {
            let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
            let status = match (waited, child.as_mut()) {
                (Ok(()), Some(child)) => child.wait().ok(),
                _ => None,
            };
            *child = None;
            status
        };
        let exit = match status {
            Some(status) => match (status.code(), status.signal()) {
                (Some(code), _) => Exit::Code(code),
                (None, Some(signal)) => Exit::Signal(signal),
                _ => Exit::Unknown,
            },
            None => Exit::Unknown,
        };
        *self.exit.lock().unwrap_or_else(PoisonError::into_inner) = Some(exit);
        self.exited.notify_all();
        let leftovers = std::mem::replace(
            &mut *self
                .leftovers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            Leftovers::Done,
        );
        if let Leftovers::Pending(Some(clean)) = leftovers {
            clean();
        }
        exit
    }

    /// Runs `clean` once the process has ended and been reaped (at once if
    /// it has): what its listener left behind goes even if it was killed.
    pub(crate) fn clean_up_after(&self, clean: impl FnOnce() + Send + 'static) {
        let mut leftovers = self
            .leftovers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &mut *leftovers {
            Leftovers::Pending(slot) => *slot = Some(Box::new(clean)),
            Leftovers::Done => {
                drop(leftovers);
                clean();
            }
        }
    }

    /// Sends SIGKILL unless the process has already been reaped.
    pub(crate) fn kill(&self) {
        if let Some(child) = self
            .child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            let _ = child.kill();
        }
    }

    /// How the process ended, waiting at most `timeout` for it to end and
    /// be reaped.
    pub(crate) fn wait_exit(&self, timeout: Duration) -> Option<Exit> {
        let deadline = Instant::now() + timeout;
        let mut exit = self.exit.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(exit) = *exit {
                return Some(exit);
            }
            let remaining = deadline.checked_duration_since(Instant::now())?;
            exit = self
                .exited
                .wait_timeout(exit, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl crate::call::Exited for Process {
    fn wait_exit(&self, timeout: Duration) -> Option<Exit> {
        Process::wait_exit(self, timeout)
    }
}
