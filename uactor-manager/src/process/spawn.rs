//! Starting actor processes.
//!
//! `spawn` re-executes the current binary with a private environment
//! marker naming the actor type and an inherited bootstrap socket (see
//! [`bootstrap`](super::bootstrap)), waits until the child listens, and
//! opens the owner's connection to it.

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use uactor_core::{Actor, Error, Exit, Result};
use uactor_transport::{Authkey, framing};

use super::bootstrap::{self, ACTOR_VARIABLE, Bootstrap, CHANNEL_VARIABLE, Report};
use super::owner::Owned;
use super::reaper::{ExitHook, Process};
use crate::call::{Incarnation, ProxyClient, connections};
use crate::{Options, context};

/// Starts `A` in a new process with `args` for its constructor, and returns
/// its owning proxy once the actor listens.
pub fn spawn_actor<A: Actor>(options: &Options, args: A::Args) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    let mut encoded = Vec::new();
    options.codec.encode(&args, &mut encoded)?;
    spawn_encoded::<A>(options, encoded)
}

/// [`spawn_actor`] with the constructor's arguments already encoded with
/// `options`' codec (a pool encodes them once for all its actors).
pub(crate) fn spawn_encoded<A: Actor>(options: &Options, encoded: Vec<u8>) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    #[cfg(feature = "tracing")]
    let scope = crate::trace::spawn(A::NAME);
    let authkey = options.authkey_or(context::authkey)?;
    let recipe = Recipe {
        actor: A::NAME,
        args: encoded,
        options: options.clone(),
        authkey,
    };
    let client = Owned::spawn(recipe)?;
    #[cfg(feature = "tracing")]
    scope.span().record("pid", client.pid());
    Ok(A::Proxy::from_client(client))
}

/// [`spawn_actor`], for async code: starting the process and waiting for it
/// to listen happen on a thread of their own, not on the executor's.
pub fn spawn_actor_async<A: Actor>(
    options: &Options,
    args: A::Args,
) -> impl std::future::Future<Output = Result<A::Proxy>> + Send + use<A>
where
    A::Proxy: ProxyClient,
{
    let options = options.clone();
    crate::call::off_thread(move || spawn_actor::<A>(&options, args))
}

/// Everything needed to start an actor process, again if it crashes.
pub(crate) struct Recipe {
    pub(crate) actor: &'static str,
    pub(crate) args: Vec<u8>,
    pub(crate) options: Options,
    pub(crate) authkey: Authkey,
}

/// A started actor process: the owner's connection to it and its ends.
pub(crate) struct Launched {
    pub(crate) incarnation: Incarnation,
    pub(crate) ends: Ends,
}

/// The owner's ends of an actor's process.
pub(crate) struct Ends {
    pub(crate) process: Arc<Process>,
    /// Closing it tells the actor its parent is gone.
    pub(crate) _bootstrap: UnixStream,
}

impl Recipe {
    /// Starts the process, sends its bootstrap, waits until it listens and
    /// opens and authenticates the owner's connection; `on_exit` runs when
    /// the process ends.
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
        super::sys::inherit(&mut command, &child_end);
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
                write_timeout: options.write_timeout,
                max_queued_bytes: options.max_queued_bytes,
                spin: options.spin,
                panics: options.panics,
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
        {
            let address = address.clone();
            let settings = options.settings();
            process.clean_up_after(move || crate::endpoint::forget(&address, &settings));
        }
        let incarnation = match pending {
            // The child made the owner's link itself (ipc-channel).
            Some(link) => link.complete(Instant::now() + options.spawn_timeout, &|| {
                process.wait_exit(Duration::ZERO).is_none()
            }),
            None => crate::endpoint::open(&address, &options.settings()),
        }
        .and_then(|connection| {
            let exited: Arc<dyn crate::call::Exited> = process.clone();
            connections::open(
                Some(self.actor),
                address,
                connection,
                &self.authkey,
                options,
                Some(exited),
            )
        })
        .inspect_err(|_| process.kill())?;
        Ok(Launched {
            incarnation,
            ends: Ends {
                process,
                _bootstrap: parent_end,
            },
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
