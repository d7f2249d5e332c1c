//! The one error type of uactor.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `Result<T, uactor::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between a caller and an actor.
///
/// The variants are stable names a caller can match on. The type is
/// serializable so that it can travel inside a method's result.
/// A method's own `Result<T, E>` is not folded into this type: it comes back
/// as `uactor::Result<Result<T, E>>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Error {
    /// The actor process could not be started, or its constructor failed or
    /// panicked.
    Spawn {
        /// What went wrong.
        message: String,
    },
    /// The operating system or the connection failed (socket, pipe, I/O).
    Transport {
        /// What went wrong.
        message: String,
        /// The underlying I/O error, when there is one in this process.
        #[serde(skip)]
        source: Option<Arc<std::io::Error>>,
    },
    /// The actor process died: every pending and later call on its proxies
    /// fails with this error.
    ActorDied {
        /// How the process ended, when it is known.
        status: Exit,
    },
    /// The actor's method panicked. The actor keeps serving.
    Remote {
        /// The panic message.
        message: String,
    },
    /// A proxy could not be made, or was used where it cannot work.
    Proxy {
        /// What went wrong.
        message: String,
    },
    /// A call did not complete within its bound.
    Timeout {
        /// The bound that passed.
        after: Duration,
    },
    /// Authentication failed: a wrong authkey on either side, or a peer that
    /// does not speak the handshake.
    Auth {
        /// What went wrong.
        message: String,
    },
    /// The peer broke the wire protocol (bad magic, version, frame kind...).
    Protocol {
        /// What went wrong.
        message: String,
    },
    /// A value could not be encoded or decoded.
    Codec {
        /// What went wrong.
        message: String,
    },
    /// A frame declared a length above the connection's limit. Nothing was
    /// allocated for it.
    FrameTooLarge {
        /// The declared length in bytes.
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// The actor was shut down (by `shutdown()` or by dropping its owner).
    Closed,
    /// The call came back into an actor whose method is waiting for it
    /// (A → B → A while A's method runs): it could only be served after
    /// that method returns, which waits for it, so it is refused at once
    /// instead of waiting for ever. Calls to objects the actor handed out
    /// are not refused (they do not wait for the actor).
    Reentrant {
        /// The actor the call came back into.
        actor: String,
    },
}

impl Error {
    /// An [`Error::Spawn`] with this message.
    pub fn spawn(message: impl Into<String>) -> Self {
        Error::Spawn {
            message: message.into(),
        }
    }

    /// An [`Error::Protocol`] with this message.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::Protocol {
            message: message.into(),
        }
    }

    /// An [`Error::Proxy`] with this message.
    pub fn proxy(message: impl Into<String>) -> Self {
        Error::Proxy {
            message: message.into(),
        }
    }

    /// An [`Error::Auth`] with this message.
    pub fn auth(message: impl Into<String>) -> Self {
        Error::Auth {
            message: message.into(),
        }
    }

    /// An [`Error::Codec`] with this message.
    pub fn codec(message: impl Into<String>) -> Self {
        Error::Codec {
            message: message.into(),
        }
    }

    /// An [`Error::Transport`] that says what was being done when `source`
    /// happened.
    pub fn io(context: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Transport {
            message: format!("{context}: {source}"),
            source: Some(Arc::new(source)),
        }
    }

    /// Whether this error means the actor can no longer be reached at all
    /// (as opposed to one call failing).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::ActorDied { .. }
                | Error::Closed
                | Error::Transport { .. }
                | Error::Protocol { .. }
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spawn { message } => write!(f, "could not spawn the actor: {message}"),
            Error::Transport { message, .. } => write!(f, "transport failure: {message}"),
            Error::ActorDied { status } => {
                write!(
                    f,
                    "the actor process died ({status}); spawn a new one to go on"
                )
            }
            Error::Remote { message } => {
                write!(
                    f,
                    "the actor's method panicked: {message} (the actor keeps serving)"
                )
            }
            Error::Proxy { message } => write!(f, "proxy error: {message}"),
            Error::Timeout { after } => {
                write!(
                    f,
                    "the call did not complete within {after:?}; a late reply will be dropped"
                )
            }
            Error::Auth { message } => {
                write!(
                    f,
                    "authentication failed: {message} (check that both sides use the same authkey)"
                )
            }
            Error::Protocol { message } => write!(f, "protocol error: {message}"),
            Error::Codec { message } => write!(f, "could not encode or decode a value: {message}"),
            Error::FrameTooLarge { size, max } => write!(
                f,
                "a frame of {size} bytes exceeds the limit of {max} bytes; \
                 raise Options::max_frame_size or send less per call"
            ),
            Error::Closed => write!(f, "the actor was shut down"),
            Error::Reentrant { actor } => write!(
                f,
                "the call came back into {actor} while a method of {actor} waits for it; \
                 it could only run once that method returns, so it was refused \
                 (call back from an async method, or hand out an object instead)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport {
                source: Some(source),
                ..
            } => Some(&**source),
            _ => None,
        }
    }
}

impl PartialEq for Error {
    /// Errors compare by variant and fields; an I/O source is not compared.
    fn eq(&self, other: &Self) -> bool {
        use Error::*;
        match (self, other) {
            (Spawn { message: a }, Spawn { message: b })
            | (Transport { message: a, .. }, Transport { message: b, .. })
            | (Remote { message: a }, Remote { message: b })
            | (Proxy { message: a }, Proxy { message: b })
            | (Auth { message: a }, Auth { message: b })
            | (Protocol { message: a }, Protocol { message: b })
            | (Codec { message: a }, Codec { message: b }) => a == b,
            (ActorDied { status: a }, ActorDied { status: b }) => a == b,
            (Timeout { after: a }, Timeout { after: b }) => a == b,
            (FrameTooLarge { size: a, max: m }, FrameTooLarge { size: b, max: n }) => {
                a == b && m == n
            }
            (Closed, Closed) => true,
            (Reentrant { actor: a }, Reentrant { actor: b }) => a == b,
            _ => false,
        }
    }
}

/// How an actor process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal.
    Signal(i32),
    /// It is gone, but this process cannot know how (it does not own the
    /// actor, or the status was not reported in time).
    Unknown,
    /// It did not end within `after` of being asked to shut down (a method
    /// stuck in a loop, say), so its owner killed it; its shutdown hook may
    /// not have run.
    Killed {
        /// How long it was given.
        after: Duration,
    },
    /// It kept crashing: its supervisor restarted it `restarts` times
    /// within the restart period, and gave up after the last crash, which
    /// ended with exit code `code` or signal `signal`.
    GaveUp {
        /// Restarts made within the period.
        restarts: u32,
        /// The last crash's exit code, if it exited.
        code: Option<i32>,
        /// The last crash's signal, if it was killed.
        signal: Option<i32>,
    },
    /// Its host was lost: the cluster worker that ran it, on the host at
    /// `host`, stopped showing signs of life (killed, its machine down, or
    /// its network cut), so the actor is taken for dead. Only actors
    /// spawned on a cluster end this way.
    HostLost {
        /// The address the host's actors listened on.
        host: std::net::IpAddr,
        /// The process id of the worker on that host.
        worker: u32,
    },
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal(signal) => match signal_name(*signal) {
                Some(name) => write!(f, "killed by signal {signal}, {name}"),
                None => write!(f, "killed by signal {signal}"),
            },
            Exit::Unknown => write!(f, "connection lost, exit status unknown"),
            Exit::Killed { after } => write!(
                f,
                "killed by its owner: it did not shut down within {after:?} \
                 (Options::shutdown_timeout); its shutdown hook may not have run"
            ),
            Exit::GaveUp {
                restarts,
                code,
                signal,
            } => {
                write!(
                    f,
                    "crashed again after {restarts} restarts within the restart period (last: "
                )?;
                match (code, signal) {
                    (Some(code), _) => write!(f, "{}", Exit::Code(*code))?,
                    (None, Some(signal)) => write!(f, "{}", Exit::Signal(*signal))?,
                    _ => write!(f, "{}", Exit::Unknown)?,
                }
                write!(f, "); not restarted")
            }
            Exit::HostLost { host, worker } => write!(
                f,
                "its host {host} was lost: worker process {worker} there stopped answering \
                 the cluster (killed, machine down or network cut)"
            ),
        }
    }
}

fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
