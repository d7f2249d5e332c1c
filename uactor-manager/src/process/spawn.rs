//! Starting actor processes.
//!
//! `spawn` re-executes the current binary with a private environment
//! marker naming the actor type and a bootstrap socket as its standard
//! input (see [`bootstrap`](super::bootstrap)), waits until the child
//! listens, and then calls it over that same socket.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use uactor_core::{Actor, Connection, Error, Exit, Result};
use uactor_transport::{Authkey, framing};

use super::bootstrap::{self, ACTOR_VARIABLE, Bootstrap, CHANNEL_VARIABLE, Report};
use super::owner::Owned;
use super::reaper::{ExitHook, Process};
use crate::call::{Incarnation, ProxyClient, connections};
use crate::endpoint::OwnerLink;
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
    if let Some(placement) = &options.placement {
        return super::placement::spawn(placement, A::NAME, encoded, options)
            .map(A::Proxy::from_client);
    }
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
    /// Closing it tells the actor its parent is gone, when the owner's
    /// link is not the channel itself (ipc-channel).
    pub(crate) _bootstrap: Option<UnixStream>,
}

impl Recipe {
    /// Starts the process, sends its bootstrap, waits until it listens and
    /// opens and authenticates the owner's connection; `on_exit` runs when
    /// the process ends.
    pub(crate) fn launch(&self, on_exit: Option<ExitHook>) -> Result<Launched> {
        let options = &self.options;
        let (boot, owner_link) = crate::endpoint::prepare(options)?;
        let (parent_end, child_end) =
            UnixStream::pair().map_err(|error| Error::io("making the bootstrap channel", error))?;
        let program = std::env::current_exe()
            .map_err(|error| Error::io("finding the current executable to re-execute", error))?;
        // The channel is the child's standard input: std then starts it
        // with posix_spawn (no fork of this process's memory), which no
        // code of ours run between fork and exec would allow.
        let child = Command::new(&program)
            .env(ACTOR_VARIABLE, self.actor)
            .env(CHANNEL_VARIABLE, "0")
            .stdin(Stdio::from(OwnedFd::from(child_end)))
            .spawn()
            .map_err(|error| Error::io(format!("starting {}", program.display()), error))?;
        let process = Process::watch(child, on_exit)?;
        // Unless the transport says otherwise (ipc-channel makes its own
        // link, shared memory is faster), the owner is served over this
        // very channel once the actor is ready: no connect, no accept, no
        // handshake (only the two processes hold it).
        let over_channel = matches!(owner_link, OwnerLink::Channel);

        let result = handshake_child(
            &process,
            &parent_end,
            options,
            Bootstrap {
                actor: self.actor.to_owned(),
                authkey: super::bootstrap::KeyBytes(self.authkey.as_bytes().to_vec()),
                args: self.args.clone(),
                serving: crate::host::Serving::of(options),
                panics: options.panics,
                transport: boot,
                settings: options.settings(),
                owner_over_channel: over_channel,
            },
        );
        let (address, pid, channel) = match result {
            Ok(ready) => ready,
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
        let exited: Arc<dyn crate::call::Exited> = process.clone();
        // Otherwise the channel stays open only to tell the child its
        // parent lives.
        let connected = match owner_link {
            // The child made the owner's link itself (ipc-channel).
            OwnerLink::Pending(link) => {
                Some(link.complete(Instant::now() + options.spawn_timeout, &|| {
                    process.wait_exit(Duration::ZERO).is_none()
                }))
            }
            OwnerLink::Connect => Some(crate::endpoint::open(&address, &options.settings())),
            OwnerLink::Channel => None,
        };
        let incarnation = match connected {
            Some(connection) => connection.and_then(|connection| {
                connections::open(
                    Some(self.actor),
                    address,
                    connection,
                    &self.authkey,
                    options,
                    Some(exited),
                )
            }),
            None => connections::adopt(
                self.actor,
                address,
                pid,
                channel,
                &self.authkey,
                options,
                exited,
            ),
        }
        .inspect_err(|_| process.kill())?;
        Ok(Launched {
            incarnation,
            ends: Ends {
                process,
                _bootstrap: (!over_channel).then_some(parent_end),
            },
        })
    }
}

/// Sends the bootstrap and waits for the child's report: where it listens,
/// its pid, and the channel, which then carries the owner's calls (when the
/// child was told so).
fn handshake_child(
    process: &Process,
    parent_end: &UnixStream,
    options: &Options,
    message: Bootstrap,
) -> Result<(uactor_core::Address, u32, Connection)> {
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
        Ok(Report::Ready { address, pid }) => Ok((address, pid, channel)),
        Ok(Report::Failed { error }) => Err(error),
        Err(Error::Timeout { .. }) => Err(Error::spawn(format!(
            "{name} did not report ready within {:?} (a slow constructor? raise Options::spawn_timeout)",
            options.spawn_timeout
        ))),
        Err(_) => Err(died_early(process)),
    }
}
