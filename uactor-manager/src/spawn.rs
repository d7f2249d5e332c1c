//! Starting actor processes and watching them end.
//!
//! `spawn` re-executes the current binary with a private environment
//! marker naming the actor type and an inherited bootstrap socket (see
//! [`bootstrap`](crate::bootstrap)). A reaper thread per child waits for it
//! to end, records how, and reaps it, so no zombie is left and the exit
//! status is at hand when a caller asks why its actor died.

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use uactor_core::{Actor, Address, Connection, Error, Exit, Result};
use uactor_transport::Authkey;
use uactor_transport::framing;

use crate::bootstrap::{self, ACTOR_VARIABLE, Bootstrap, CHANNEL_VARIABLE, Report};
use crate::client::{Client, ProxyClient};
use crate::{Options, context};

/// Starts `A` in a new process with `args` for its constructor, and returns
/// its owning proxy once the actor listens.
pub fn spawn_actor<A: Actor>(options: &Options, args: A::Args) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    #[cfg(feature = "tracing")]
    let scope = crate::trace::spawn(A::NAME);
    let authkey = options.authkey_or(context::authkey)?;
    let mut encoded = Vec::new();
    options.codec.encode(&args, &mut encoded)?;
    let recipe = Recipe {
        actor: A::NAME,
        args: encoded,
        options: options.clone(),
        authkey,
    };
    let client = Client::spawned(recipe)?;
    #[cfg(feature = "tracing")]
    scope.span().record("pid", client.pid());
    Ok(A::Proxy::from_client(client))
}

/// Everything needed to start an actor process, again if it crashes.
pub(crate) struct Recipe {
    pub(crate) actor: &'static str,
    pub(crate) args: Vec<u8>,
    pub(crate) options: Options,
    pub(crate) authkey: Authkey,
}

/// A started actor process and the owner's ends of it.
pub(crate) struct Launched {
    pub(crate) process: Arc<Process>,
    pub(crate) bootstrap: UnixStream,
    pub(crate) connection: Connection,
    pub(crate) address: Address,
}

/// Called on the reaper thread with how a process ended.
pub(crate) type ExitHook = Box<dyn FnOnce(Exit) + Send>;

impl Recipe {
    /// Starts the process, sends its bootstrap, waits until it listens and
    /// opens the owner's connection; `on_exit` runs when the process ends.
    pub(crate) fn launch(&self, on_exit: Option<ExitHook>) -> Result<Launched> {
        let options = &self.options;
        let (boot, pending) = crate::endpoint::prepare(options)?;
        let (parent_end, child_end) =
            UnixStream::pair().map_err(|error| Error::io("making the bootstrap channel", error))?;
        let program = std::env::current_exe()
            .map_err(|error| Error::io("finding the current executable to re-execute", error))?;
        let mut command = Command::new(&program);
        command
            .env(ACTOR_VARIABLE, self.actor)
            .env(CHANNEL_VARIABLE, child_end.as_raw_fd().to_string())
            .stdin(Stdio::null());
        crate::process::inherit(&mut command, &child_end);
        let child = command
            .spawn()
            .map_err(|error| Error::io(format!("starting {}", program.display()), error))?;
        drop(child_end);
        let process = Process::watch(child, on_exit)?;

        let result = handshake_child(
            &process,
            &parent_end,
            options,
            Bootstrap {
                actor: self.actor.to_owned(),
                authkey: self.authkey.as_bytes().to_vec(),
                args: self.args.clone(),
                codec: options.codec,
                max_frame_size: options.max_frame_size,
                handshake_timeout: options.handshake_timeout,
                transport: boot,
                settings: options.settings(),
            },
        );
        let address = match result {
            Ok(address) => address,
            Err(error) => {
                process.kill();
                let _ = process.wait_exit(Duration::from_secs(1));
                return Err(error);
            }
        };
        let connection = match pending {
            // The child made the owner's link itself (ipc-channel).
            Some(link) => link.complete(Instant::now() + options.spawn_timeout, &|| {
                process.wait_exit(Duration::ZERO).is_none()
            }),
            None => crate::endpoint::open(&address, &options.settings()),
        }
        .inspect_err(|_| process.kill())?;
        Ok(Launched {
            process,
            bootstrap: parent_end,
            connection,
            address,
        })
    }
}

/// Sends the bootstrap and waits for the child's report.
fn handshake_child(
    process: &Process,
    parent_end: &UnixStream,
    options: &Options,
    message: Bootstrap,
) -> Result<uactor_core::Address> {
    let name = message.actor.clone();
    let channel_end = parent_end
        .try_clone()
        .map_err(|error| Error::io("sharing the bootstrap channel", error))?;
    let mut channel = framing::connection(channel_end);
    let died_early = |process: &Process| {
        let status = process
            .wait_exit(Duration::from_secs(2))
            .unwrap_or(Exit::Unknown);
        Error::spawn(format!(
            "the process of {name} ended ({status}) before it was ready"
        ))
    };
    if bootstrap::send(&mut channel, &message).is_err() {
        return Err(died_early(process));
    }
    match bootstrap::receive::<Report>(&mut channel, options.spawn_timeout) {
        Ok(Report::Ready { address, .. }) => Ok(address),
        Ok(Report::Failed { error }) => Err(error),
        Err(Error::Timeout { .. }) => Err(Error::spawn(format!(
            "{name} did not report ready within {:?} (a slow constructor? raise Options::spawn_timeout)",
            options.spawn_timeout
        ))),
        Err(_) => Err(died_early(process)),
    }
}

/// A child process this process spawned and will reap.
#[derive(Debug)]
pub(crate) struct Process {
    pid: u32,
    /// `None` once reaped: after that its id may belong to another process.
    child: Mutex<Option<Child>>,
    exit: Mutex<Option<Exit>>,
    exited: Condvar,
}

impl Process {
    /// Starts the reaper of `child`; `on_exit` runs on it once the child
    /// has ended and been reaped.
    fn watch(child: Child, on_exit: Option<ExitHook>) -> Result<Arc<Process>> {
        let process = Arc::new(Process {
            pid: child.id(),
            child: Mutex::new(Some(child)),
            exit: Mutex::new(None),
            exited: Condvar::new(),
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
        let waited = crate::process::wait_for_exit(self.pid);
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
        exit
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
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
