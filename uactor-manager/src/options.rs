//! How an actor is spawned and called.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use uactor_core::frame::DEFAULT_MAX_FRAME;
use uactor_core::{CodecId, Result};
use uactor_transport::{Authkey, Setting, Settings, Transport};

mod placement;

pub use placement::{PlaceRequest, Placed, Placement, Tenure};

/// How an actor is spawned (`Type::spawn_with`), served or reached
/// (`connect_with`): transport, authkey, codec, timeouts, bounds,
/// supervision.
///
/// ```
/// # use uactor_manager as uactor; // this crate's doc test; users write `uactor`
/// use std::time::Duration;
/// let options = uactor::Options::new()
///     .call_timeout(Duration::from_secs(5))
///     .authkey(b"secret");
/// assert_eq!(options.call_timeout_value(), Some(Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    pub(crate) transport: Transport,
    pub(crate) authkey: Option<GivenKey>,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) spawn_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) max_frame_size: u32,
    pub(crate) codec: CodecId,
    pub(crate) restart: Restart,
    pub(crate) restart_period: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) max_queued_bytes: usize,
    pub(crate) write_timeout: Duration,
    pub(crate) spin: bool,
    pub(crate) max_handshakes: usize,
    pub(crate) max_connections: usize,
    pub(crate) panics: Panics,
    /// The transports' own settings (TLS certificates).
    pub(crate) settings: Settings,
    /// Where the actor is started instead of a child of this process (a
    /// cluster), and the name it is registered under there.
    pub(crate) placement: Option<std::sync::Arc<dyn Placement>>,
    pub(crate) name: Option<String>,
}

/// A key given to [`Options::authkey`]: held as an [`Authkey`] (one copy
/// shared by clones, wiped when the last goes, never printed), or, when
/// empty, kept to be refused where it is used.
#[derive(Debug, Clone)]
pub(crate) enum GivenKey {
    Key(Authkey),
    Empty,
}

/// What the owner does when its actor crashes (exits other than through
/// `shutdown`, with a non-zero code or a signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Restart {
    /// Nothing: calls fail with `Error::ActorDied` (the default).
    #[default]
    Never,
    /// Re-create the actor from `spawn`'s arguments, at most `max_restarts`
    /// times within [`Options::restart_period`] (OTP's restart intensity);
    /// past that, calls fail with `Error::ActorDied` whose status is
    /// [`Exit::GaveUp`](uactor_core::Exit::GaveUp).
    OnCrash {
        /// Restarts allowed within one period.
        max_restarts: u32,
    },
}

/// The default restart period: OTP supervisors' default of 5 seconds.
pub const DEFAULT_RESTART_PERIOD: Duration = Duration::from_secs(5);

/// The default bound on calls in flight on one connection.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// The default bound on bytes queued for sending on one connection.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

/// The default time an actor waits for a client that reads nothing before
/// it disconnects it.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default bound on connections an actor authenticates at once.
pub const DEFAULT_MAX_HANDSHAKES: usize = 64;

/// The default bound on connections an actor serves at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

impl Default for Options {
    fn default() -> Self {
        Options {
            transport: Transport::LocalSocket,
            authkey: None,
            call_timeout: None,
            spawn_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
            handshake_timeout: uactor_transport::handshake::DEFAULT_DEADLINE,
            max_frame_size: DEFAULT_MAX_FRAME,
            codec: CodecId::Postcard,
            restart: Restart::Never,
            restart_period: DEFAULT_RESTART_PERIOD,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            spin: true,
            max_handshakes: DEFAULT_MAX_HANDSHAKES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            panics: Panics::Print,
            settings: Settings::default(),
            placement: None,
            name: None,
        }
    }
}

impl Options {
    /// The defaults: local socket, the process tree's authkey, no call
    /// timeout, 30 s to spawn, 10 s to shut down, 64 MiB frames.
    pub fn new() -> Self {
        Options::default()
    }

    /// Supervision: whether the owner re-creates a crashed actor.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// The window of the restart intensity: at most `max_restarts` restarts
    /// within any `period` ([`DEFAULT_RESTART_PERIOD`], 5 s, unless set).
    pub fn restart_period(mut self, period: Duration) -> Self {
        self.restart_period = period;
        self
    }

    /// Where the actor serves (a local socket unless told otherwise).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The key connections must prove they know. Without one, local actors
    /// use the random key of the process tree.
    pub fn authkey(mut self, authkey: impl AsRef<[u8]>) -> Self {
        self.authkey = Some(match Authkey::new(authkey) {
            Ok(key) => GivenKey::Key(key),
            Err(_) => GivenKey::Empty,
        });
        self
    }

    /// A bound on every call made through the proxy: past it the call
    /// returns [`Error::Timeout`](uactor_core::Error::Timeout) and a late
    /// reply is dropped.
    pub fn call_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// How long `spawn` waits for the actor's constructor and listener.
    pub fn spawn_timeout(mut self, timeout: Duration) -> Self {
        self.spawn_timeout = timeout;
        self
    }

    /// How long `shutdown` (or dropping the last owning proxy) waits for
    /// the actor to finish before it kills the process: 10 s unless set.
    ///
    /// `shutdown` asks the actor to end; the request is served after the
    /// calls before it, then the shutdown hook runs and the process exits.
    /// An actor that does not get there in time (a method stuck in a loop,
    /// a hook that blocks) is killed with `SIGKILL`, and `shutdown` returns
    /// `Err(Error::ActorDied { status: Exit::Killed { after } })`, `after`
    /// being this timeout; its shutdown hook may not have run. Either way
    /// the process is gone and reaped when `shutdown` returns.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How long a connection may take to authenticate.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The largest frame either side accepts, in bytes (64 MiB by default).
    pub fn max_frame_size(mut self, bytes: u32) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// The most calls in flight on one connection ([`DEFAULT_MAX_IN_FLIGHT`],
    /// 1024): past it a blocking call waits (within its own bound) and a
    /// future stays pending until a reply frees a slot, so memory is bounded
    /// by this, not by how many calls a program makes at once. A call given
    /// up on keeps its slot until the actor has answered it.
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// The most bytes queued for sending on one connection
    /// ([`DEFAULT_MAX_QUEUED_BYTES`], 16 MiB): past it senders wait until
    /// the peer has read enough (one frame is always taken, whatever its
    /// size). In an actor, a client's requests are not read while its
    /// replies fill this.
    pub fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_bytes = bytes.max(1);
        self
    }

    /// The most connections an actor authenticates at once
    /// ([`DEFAULT_MAX_HANDSHAKES`], 64), each on a thread of its own until
    /// it has proved the key. A newcomer when all are taken ends the
    /// oldest handshake still under way, so peers that connect and say
    /// nothing cannot lock real clients out, nor cost the actor more than
    /// this many threads.
    pub fn max_handshakes(mut self, handshakes: usize) -> Self {
        self.max_handshakes = handshakes.max(1);
        self
    }

    /// The most connections an actor serves at once, authenticated or not
    /// ([`DEFAULT_MAX_CONNECTIONS`], 1024): past it, a newcomer is refused
    /// at once, and its client's connect fails with
    /// [`Error::Transport`](uactor_core::Error::Transport) saying so.
    /// Callers in one process share one connection per actor, so this
    /// bounds client processes (and `connect`ed proxies), not proxies.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How long an actor waits for a client that reads nothing of its
    /// replies before it disconnects that client
    /// ([`DEFAULT_WRITE_TIMEOUT`], 10 s); its other clients are not delayed
    /// meanwhile. Set on the options an actor is spawned or served with.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Whether a thread that waits for its peer (a caller for its reply, an
    /// actor for its next request, the reader of a connection) polls for a
    /// short while before it sleeps (on by default).
    ///
    /// Being woken from sleep costs 45 to 90 µs on a machine whose idle
    /// CPUs sleep (most VMs), more than the rest of a call; polling, with
    /// the CPU yielded between polls, sees the answer within a few µs. The
    /// poll lasts about twice as long as recent waits took, at most 100 µs,
    /// and not at all once waits are longer than that: a caller making
    /// calls back to back spends up to that much CPU per call waiting; an
    /// actor that receives no calls spends none. `false`, or the
    /// environment variable `UACTOR_SPIN=0` (for every process started with
    /// it), turns it off: the lowest CPU use, and each call pays the
    /// wake-up.
    pub fn spin(mut self, spin: bool) -> Self {
        self.spin = spin;
        self
    }

    /// Whether the actor's process prints the panics of the actor's code
    /// on its standard error ([`Panics::Print`], the default) or leaves
    /// the caller's `Error::Remote` as the only report
    /// ([`Panics::Quiet`]).
    pub fn panics(mut self, panics: Panics) -> Self {
        self.panics = panics;
        self
    }

    /// The codec calls are encoded with: [`CodecId::Postcard`] (the
    /// default) or, with the `bincode` feature, `CodecId::Bincode`. Both
    /// sides must use the same; a mismatch is refused at connection time
    /// with an error that names both.
    pub fn codec(mut self, codec: CodecId) -> Self {
        self.codec = codec;
        self
    }

    /// Adds a transport's own setting. With the `tls` feature, TLS
    /// settings (`Tls`) make an actor spawned on TCP serve TLS, on top of
    /// the authkey, and let a caller connect to `tls://` addresses: to
    /// serve, they need a certificate and key; to connect, the roots to
    /// trust (without them, the owner trusts the certificate it spawned the
    /// actor with).
    pub fn with(mut self, setting: impl Setting) -> Self {
        self.settings.set(setting);
        self
    }

    /// The call bound, if any.
    pub fn call_timeout_value(&self) -> Option<Duration> {
        self.call_timeout
    }

    /// Spawns on `cluster` (feature `cluster` of `uactor`): the actor is
    /// started on one of the cluster's workers, on another host, and the
    /// proxy reaches it over TCP (TLS when configured) with the cluster's
    /// key. The owner's guarantees hold across hosts; see
    /// `uactor::cluster`.
    pub fn cluster(mut self, cluster: &(impl Placement + Clone)) -> Self {
        self.placement = Some(std::sync::Arc::new(cluster.clone()));
        self
    }

    /// Registers the actor under `name` where it is placed (with
    /// [`cluster`](Self::cluster)), so that it can be looked up by that
    /// name from any host while it lives.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The name given with [`name`](Self::name), if any.
    pub fn name_value(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How long `spawn` waits for the actor to be ready.
    pub fn spawn_timeout_value(&self) -> Duration {
        self.spawn_timeout
    }

    /// The codec calls are encoded with.
    pub fn codec_value(&self) -> CodecId {
        self.codec
    }

    /// The transports' own settings given with [`with`](Self::with) (TLS).
    pub fn settings_value(&self) -> &Settings {
        &self.settings
    }

    /// What the transports are configured with: their own settings, and
    /// how long opening a connection may wait (the handshake's bound).
    pub(crate) fn settings(&self) -> Settings {
        self.settings
            .clone()
            .with_connect_timeout(self.handshake_timeout)
    }

    pub(crate) fn authkey_or(&self, fallback: impl FnOnce() -> Result<Authkey>) -> Result<Authkey> {
        match &self.authkey {
            Some(GivenKey::Key(key)) => Ok(key.clone()),
            // Refused as `Authkey::new` refuses it.
            Some(GivenKey::Empty) => Authkey::new([]),
            None => fallback(),
        }
    }
}

/// Whether the process that hosts an actor prints the panics of the
/// actor's code (its methods, its constructor, the tasks it starts), set
/// with `Options::panics`.
///
/// The caller learns of a panic either way: its call fails with
/// `Error::Remote` carrying the panic's message and where it happened
/// (`Error::Spawn` for the constructor's), and the actor goes on serving.
/// Printing is for whoever reads the actor's standard error, which is its
/// parent's: the terminal of the program that spawned it.
///
/// ```
/// # // This crate's doc test, with the paths users write:
/// # mod uactor { pub use uactor_manager::Options; pub mod options { pub use uactor_manager::Panics; } }
/// use uactor::options::Panics;
/// // Tests that make an actor panic on purpose keep their output clean:
/// let options = uactor::Options::new().panics(Panics::Quiet);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Panics {
    /// Printed on the actor's standard error by the panic hook in place
    /// (Rust's: `thread '…' panicked at …`, or the program's own), as any
    /// Rust program does: the default.
    #[default]
    Print,
    /// Not printed: the caller's error is the only report. The setting
    /// holds for the whole process that hosts the actor: a spawned actor's,
    /// or the one that runs `Server::run`.
    Quiet,
}
