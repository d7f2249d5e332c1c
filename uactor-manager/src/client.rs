//! The caller's side of an actor: what every generated proxy wraps.

use std::collections::VecDeque;
use std::fmt;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::frame::{ACTOR_OBJECT, Kind};
use uactor_core::{Address, Error, Exit, Result, Token};
use uactor_transport::{Authkey, handshake};

use crate::Options;
use crate::async_result::{AsyncResult, CallFuture};
use crate::link::{Link, OnTimeout};
use crate::options::Restart;
use crate::spawn::{ExitHook, Launched, Process, Recipe};
use crate::{ActorInfo, ActorState, Stats};

/// How long a shutdown waits for the process to end after the actor
/// answered, before it kills it.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// A connection to one actor, shared by a proxy and its clones.
///
/// The clones of the proxy that `spawn` returned own the actor: when the
/// last one is dropped, the actor is shut down.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    actor: &'static str,
    call_timeout: Option<Duration>,
    /// The process serving now; a supervised actor gets a new one after a
    /// crash.
    current: RwLock<Incarnation>,
    owner: Option<Owner>,
}

#[derive(Clone)]
struct Incarnation {
    link: Link,
    pid: u32,
    address: Address,
}

/// What the process that spawned an actor holds besides the connection.
pub(crate) struct Owner {
    ends: Mutex<Ends>,
    shutdown_timeout: Duration,
    /// Set once shutdown starts, so the actor's exit is not taken for a
    /// crash.
    shutting_down: AtomicBool,
    supervisor: Option<Arc<Supervisor>>,
}

/// The owner's ends of the current process.
struct Ends {
    process: Arc<Process>,
    /// Closing it tells the actor its parent is gone.
    _bootstrap: UnixStream,
}

/// Re-creates a crashed actor, within its restart intensity.
struct Supervisor {
    recipe: Recipe,
    max_restarts: u32,
    period: Duration,
    /// When the restarts within the period happened.
    restarts: Mutex<VecDeque<Instant>>,
    /// How many processes this actor had before the current one.
    generation: AtomicU64,
    phase: Mutex<Phase>,
    changed: Condvar,
    /// The client it supervises (weak: the client owns the supervisor).
    client: OnceLock<Weak<Inner>>,
}

enum Phase {
    Running,
    Restarting,
    GaveUp(Error),
}

impl Owner {
    fn process(&self) -> Arc<Process> {
        Arc::clone(
            &self
                .ends
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .process,
        )
    }

    /// Waits for the process to end after a shutdown; kills it past the
    /// grace period. Either way it is reaped on return.
    fn finish(&self) {
        let process = self.process();
        if process.wait_exit(EXIT_GRACE).is_none() {
            process.kill();
            let _ = process.wait_exit(EXIT_GRACE);
        }
    }
}

/// Implemented by every generated proxy, so the manager can build one from
/// a [`Client`].
pub trait ProxyClient: Sized {
    /// The proxy around `client`.
    fn from_client(client: Client) -> Self;
    /// The client inside.
    fn client(&self) -> &Client;
}

impl Client {
    /// Starts the actor `recipe` describes and returns its owning client;
    /// supervised if its options ask for restarts.
    pub(crate) fn spawned(recipe: Recipe) -> Result<Client> {
        let options = recipe.options.clone();
        let actor = recipe.actor;
        let authkey = recipe.authkey.clone();
        let (launched, supervisor) = match options.restart {
            Restart::OnCrash { max_restarts } => {
                let supervisor = Arc::new(Supervisor {
                    recipe,
                    max_restarts,
                    period: options.restart_period,
                    restarts: Mutex::new(VecDeque::new()),
                    generation: AtomicU64::new(0),
                    phase: Mutex::new(Phase::Running),
                    changed: Condvar::new(),
                    client: OnceLock::new(),
                });
                (
                    supervisor
                        .recipe
                        .launch(Some(Supervisor::hook(&supervisor)))?,
                    Some(supervisor),
                )
            }
            Restart::Never => (recipe.launch(None)?, None),
        };
        let Launched {
            process,
            bootstrap,
            connection,
            address,
        } = launched;
        let incarnation = open(
            actor,
            address,
            connection,
            &authkey,
            &options,
            Some(Arc::clone(&process)),
        )
        .inspect_err(|_| process.kill())?;
        let inner = Arc::new(Inner {
            actor,
            call_timeout: options.call_timeout,
            current: RwLock::new(incarnation),
            owner: Some(Owner {
                ends: Mutex::new(Ends {
                    process,
                    _bootstrap: bootstrap,
                }),
                shutdown_timeout: options.shutdown_timeout,
                shutting_down: AtomicBool::new(false),
                supervisor: supervisor.clone(),
            }),
        });
        if let Some(supervisor) = &supervisor {
            let _ = supervisor.client.set(Arc::downgrade(&inner));
        }
        let listed: Weak<Inner> = Arc::downgrade(&inner);
        crate::owned::register(listed);
        Ok(Client { inner })
    }

    /// Connects to the actor `actor` at `address` and authenticates.
    pub(crate) fn connect(
        actor: &'static str,
        address: Address,
        authkey: &Authkey,
        options: &Options,
        owner: Option<Owner>,
    ) -> Result<Client> {
        let connection = crate::endpoint::open(&address, &options.settings())?;
        Client::connect_over(actor, address, connection, authkey, options, owner)
    }

    /// Authenticates over `connection`, already open to `actor` at `address`.
    pub(crate) fn connect_over(
        actor: &'static str,
        address: Address,
        connection: uactor_core::Connection,
        authkey: &Authkey,
        options: &Options,
        owner: Option<Owner>,
    ) -> Result<Client> {
        let process = owner.as_ref().map(Owner::process);
        let incarnation = open(actor, address, connection, authkey, options, process)?;
        Ok(Client {
            inner: Arc::new(Inner {
                actor,
                call_timeout: options.call_timeout,
                current: RwLock::new(incarnation),
                owner,
            }),
        })
    }

    /// Calls method `method` of the actor with `args` and waits for its
    /// result.
    #[inline]
    pub fn call<A, R>(&self, method: u16, args: &A) -> Result<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        #[cfg(feature = "tracing")]
        let scope = crate::trace::call(self.inner.actor, method);
        let (link, request) = self.inner.send(method, args)?;
        #[cfg(feature = "tracing")]
        scope.sent(request);
        let codec = link.codec();
        link.wait(
            request,
            self.inner.call_timeout,
            OnTimeout::Forget,
            |bytes| codec.decode(bytes),
        )
    }

    /// Sends a call to method `method` of an actor method that runs
    /// concurrently, and returns at once with the handle on its result.
    pub fn start<A, R>(&self, method: u16, args: &A) -> Result<AsyncResult<R>>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        #[cfg(feature = "tracing")]
        let scope = crate::trace::call(self.inner.actor, method);
        let (link, request) = self.inner.send(method, args)?;
        #[cfg(feature = "tracing")]
        scope.sent(request);
        Ok(AsyncResult::remote(link, request))
    }

    /// Sends a call to method `method` now and returns the future of its
    /// result: what the async twin's methods return.
    pub fn call_async<A, R>(&self, method: u16, args: &A) -> CallFuture<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        #[cfg(feature = "tracing")]
        let scope = crate::trace::call(self.inner.actor, method);
        let sent = self.inner.send(method, args);
        #[cfg(feature = "tracing")]
        if let Ok((_, request)) = &sent {
            scope.sent(*request);
        }
        CallFuture::new(sent)
    }

    /// The actor's process id (of its current process, after restarts).
    pub fn pid(&self) -> u32 {
        self.inner.current().pid
    }

    /// Where the actor listens.
    pub fn address(&self) -> Address {
        self.inner.current().address
    }

    /// How many times a supervisor has re-created the actor: 0 until its
    /// first crash. A proxy can tell from it that it was restarted.
    pub fn generation(&self) -> u64 {
        self.inner
            .owner
            .as_ref()
            .and_then(|owner| owner.supervisor.as_ref())
            .map_or(0, |supervisor| {
                supervisor.generation.load(Ordering::Acquire)
            })
    }

    /// How the actor is doing: its host's counters, uptime and resident
    /// memory. The host answers beside the actor's methods (no method can
    /// shadow it), in order with the other requests of this process's
    /// connection to the actor.
    pub fn stats(&self) -> Result<Stats> {
        let link = self.inner.link()?;
        let codec = link.codec();
        link.call(
            Kind::Stats,
            ACTOR_OBJECT,
            0,
            |_| Ok(()),
            |bytes| codec.decode(bytes),
            self.inner.call_timeout,
        )
    }

    /// Whether this client's process owns the actor.
    pub fn is_owner(&self) -> bool {
        self.inner.owner.is_some()
    }

    /// Runs the actor's shutdown hook and ends its process. The owner
    /// returns once the process is gone and reaped. Shutting down twice is
    /// not an error; later calls fail with [`Error::Closed`].
    pub fn shutdown(&self) -> Result<()> {
        self.inner.shutdown()
    }
}

impl Client {
    /// The actor proxy a token stands for: a reference to the actor, not an
    /// owner, over this process's connection to it.
    pub fn from_token(token: Token, actor: &'static str) -> Result<Client> {
        Client::adopt(token, actor, Some(actor))
    }

    /// The proxy to whichever actor `token` stands for, of any type: for
    /// interface proxies and method handles, which reach actors of several
    /// types. `label` names it in errors and `Debug`.
    pub fn from_any_token(token: Token, label: &'static str) -> Result<Client> {
        Client::adopt(token, label, None)
    }

    /// The codec of this client's connection, for a caller that encodes
    /// part of a payload itself (an interface call nests its arguments).
    pub fn codec(&self) -> uactor_core::CodecId {
        self.inner.current().link.codec()
    }

    /// A reference to the actor at `token`, checked to serve `served` when
    /// given.
    fn adopt(token: Token, actor: &'static str, served: Option<&str>) -> Result<Client> {
        if !token.is_actor() {
            return Err(Error::proxy(format!(
                "a `{}` proxy cannot be decoded as a proxy to {actor}",
                token.typeid
            )));
        }
        let link = crate::connections::link_to(&token.address, served)?;
        let incarnation = Incarnation {
            pid: link.pid(),
            link,
            address: token.address,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                actor,
                call_timeout: None,
                current: RwLock::new(incarnation),
                owner: None,
            }),
        })
    }

    /// The token this proxy travels as.
    pub fn to_token(&self) -> Token {
        Token::actor(self.address())
    }

    /// Decodes an actor proxy to `actor` from serde data.
    pub fn deserialize_for<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
        actor: &'static str,
    ) -> std::result::Result<Client, D::Error> {
        let token = <Token as serde::Deserialize>::deserialize(deserializer)?;
        Client::from_token(token, actor).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Client {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.to_token().serialize(serializer)
    }
}

/// Authenticates over `connection` to `actor` at `address` and makes it
/// the connection later proxies to that address share.
fn open(
    actor: &'static str,
    address: Address,
    mut connection: uactor_core::Connection,
    authkey: &Authkey,
    options: &Options,
    process: Option<Arc<Process>>,
) -> Result<Incarnation> {
    let welcome = handshake::client(
        &mut connection,
        authkey,
        options.codec,
        options.handshake_timeout,
        options.max_frame_size,
    )?;
    if welcome.kind != uactor_core::protocol::tag(actor) {
        return Err(Error::proxy(format!(
            "the actor at {address} is not a {actor}"
        )));
    }
    let link = Link::new(
        connection,
        options.codec,
        options.max_frame_size,
        (welcome.pid, welcome.kind, address.clone()),
        process,
    );
    crate::connections::register(&link);
    crate::connections::remember_key(&address, authkey);
    Ok(Incarnation {
        link,
        pid: welcome.pid,
        address,
    })
}

impl Inner {
    fn current(&self) -> Incarnation {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The connection a call goes over. If the actor crashed and its
    /// supervisor is re-creating it, waits (at most the spawn timeout) for
    /// the new process, so a call made after a crash reaches it.
    fn link(&self) -> Result<Link> {
        let link = self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .link
            .clone();
        let Some(owner) = &self.owner else {
            return Ok(link);
        };
        let Some(supervisor) = &owner.supervisor else {
            return Ok(link);
        };
        if link.broken().is_none() || owner.shutting_down.load(Ordering::Acquire) {
            return Ok(link);
        }
        let deadline = Instant::now() + supervisor.recipe.options.spawn_timeout + EXIT_GRACE;
        let mut phase = supervisor
            .phase
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            let current = self
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .link
                .clone();
            match &*phase {
                Phase::GaveUp(error) => return Err(error.clone()),
                Phase::Running if current.broken().is_none() => return Ok(current),
                // Crashed, and the reaper has not said so yet; or restarting.
                _ => {}
            }
            let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
                return Ok(current);
            };
            phase = supervisor
                .changed
                .wait_timeout(phase, remaining.min(Duration::from_millis(50)))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Sends a request to the actor. A request that could not even be
    /// written because the process had just died is sent again, once, to
    /// its re-created process: it reached no one.
    fn send<A: Serialize + ?Sized>(&self, method: u16, args: &A) -> Result<(Link, u64)> {
        let link = self.link()?;
        let codec = link.codec();
        match link.send(Kind::Request, ACTOR_OBJECT, method, |out| {
            codec.encode(args, out)
        }) {
            Ok(request) => Ok((link, request)),
            Err(Error::ActorDied { .. })
                if self
                    .owner
                    .as_ref()
                    .is_some_and(|owner| owner.supervisor.is_some()) =>
            {
                let link = self.link()?;
                let request = link.send(Kind::Request, ACTOR_OBJECT, method, |out| {
                    codec.encode(args, out)
                })?;
                Ok((link, request))
            }
            Err(error) => Err(error),
        }
    }

    fn shutdown(&self) -> Result<()> {
        if let Some(owner) = &self.owner {
            owner.shutting_down.store(true, Ordering::Release);
        }
        let link = self.current().link;
        if let Some(error) = link.broken() {
            if let Some(owner) = &self.owner {
                owner.finish();
            }
            return match error {
                Error::Closed => Ok(()),
                other => Err(other),
            };
        }
        let timeout = self
            .owner
            .as_ref()
            .map_or(Duration::from_secs(10), |owner| owner.shutdown_timeout);
        let codec = link.codec();
        let result = link.call(
            Kind::Shutdown,
            ACTOR_OBJECT,
            0,
            |_| Ok(()),
            |bytes| codec.decode::<()>(bytes),
            Some(timeout),
        );
        link.close(Error::Closed);
        if let Some(owner) = &self.owner {
            owner.finish();
        }
        match result {
            Ok(()) | Err(Error::Closed) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.owner.is_some() {
            let _ = self.shutdown();
        }
    }
}

impl Supervisor {
    /// What the reaper of each process of this actor runs when it ends.
    fn hook(this: &Arc<Supervisor>) -> ExitHook {
        let supervisor = Arc::clone(this);
        Box::new(move |exit| supervisor.crashed(exit))
    }

    /// Re-creates the actor after its process ended, unless it was shut
    /// down, exited cleanly, or crashed too often.
    fn crashed(self: &Arc<Self>, exit: Exit) {
        // The client is set right after the first launch; a crash before
        // that waits for it briefly.
        let started = Instant::now();
        let client = loop {
            if let Some(client) = self.client.get() {
                break client.upgrade();
            }
            if started.elapsed() > EXIT_GRACE {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let Some(client) = client else { return };
        let Some(owner) = &client.owner else { return };
        if owner.shutting_down.load(Ordering::Acquire) {
            return;
        }
        if exit == Exit::Code(0) {
            // It ended by itself, cleanly: not a crash, nothing to restart.
            self.settle(Phase::GaveUp(
                client
                    .current()
                    .link
                    .close(Error::ActorDied { status: exit }),
            ));
            return;
        }
        // Calls in flight on the dead process fail with how it ended.
        client
            .current()
            .link
            .close(Error::ActorDied { status: exit });
        let now = Instant::now();
        {
            let mut restarts = self.restarts.lock().unwrap_or_else(PoisonError::into_inner);
            restarts.retain(|at| now.duration_since(*at) < self.period);
            if restarts.len() >= self.max_restarts as usize {
                let (code, signal) = match exit {
                    Exit::Code(code) => (Some(code), None),
                    Exit::Signal(signal) => (None, Some(signal)),
                    _ => (None, None),
                };
                let status = Exit::GaveUp {
                    restarts: u32::try_from(restarts.len()).unwrap_or(u32::MAX),
                    code,
                    signal,
                };
                self.settle(Phase::GaveUp(Error::ActorDied { status }));
                return;
            }
            restarts.push_back(now);
        }
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = Phase::Restarting;
        let relaunched = self
            .recipe
            .launch(Some(Supervisor::hook(self)))
            .and_then(|launched| {
                let Launched {
                    process,
                    bootstrap,
                    connection,
                    address,
                } = launched;
                let incarnation = open(
                    self.recipe.actor,
                    address,
                    connection,
                    &self.recipe.authkey,
                    &self.recipe.options,
                    Some(Arc::clone(&process)),
                )
                .inspect_err(|_| process.kill())?;
                Ok((
                    incarnation,
                    Ends {
                        process,
                        _bootstrap: bootstrap,
                    },
                ))
            });
        match relaunched {
            Ok((incarnation, ends)) => {
                *owner.ends.lock().unwrap_or_else(PoisonError::into_inner) = ends;
                *client
                    .current
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = incarnation;
                self.generation.fetch_add(1, Ordering::AcqRel);
                self.settle(Phase::Running);
            }
            Err(error) => self.settle(Phase::GaveUp(error)),
        }
    }

    fn settle(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        self.changed.notify_all();
    }
}

impl crate::owned::Owned for Inner {
    fn describe(&self) -> ActorInfo {
        let current = self.current();
        let supervisor = self
            .owner
            .as_ref()
            .and_then(|owner| owner.supervisor.as_ref());
        ActorInfo {
            name: self.actor,
            pid: current.pid,
            address: current.address,
            state: self.state(),
            generation: supervisor.map_or(0, |supervisor| {
                supervisor.generation.load(Ordering::Acquire)
            }),
        }
    }
}

impl Inner {
    /// Whether the owned actor runs, is being restarted, or has ended.
    fn state(&self) -> ActorState {
        let Some(owner) = &self.owner else {
            return ActorState::Running;
        };
        let mut supervised = owner.supervisor.is_some();
        if let Some(supervisor) = &owner.supervisor {
            match &*supervisor
                .phase
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
            {
                Phase::Restarting => return ActorState::Restarting,
                Phase::GaveUp(Error::ActorDied { status }) => {
                    return ActorState::Exited { status: *status };
                }
                Phase::GaveUp(_) => supervised = false,
                Phase::Running => {}
            }
        }
        match owner.process().wait_exit(Duration::ZERO) {
            None => ActorState::Running,
            // Crashed, and its supervisor has not said what it does yet.
            Some(status)
                if supervised
                    && status != Exit::Code(0)
                    && !owner.shutting_down.load(Ordering::Acquire) =>
            {
                ActorState::Restarting
            }
            Some(status) => ActorState::Exited { status },
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("actor", &self.inner.actor)
            .field("pid", &self.pid())
            .field("address", &self.address().to_string())
            .field("owner", &self.inner.owner.is_some())
            .finish()
    }
}

impl fmt::Debug for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Owner")
            .field("pid", &self.process().pid())
            .finish()
    }
}

/// Connects to an `A` served at `address`: a reference to the actor, not
/// an owner.
pub fn connect<A: uactor_core::Actor>(address: &Address, authkey: &[u8]) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    connect_with::<A>(address, &Options::new().authkey(authkey))
}

/// Connects to an `A` served at `address` with these options: the authkey
/// (else the process tree's), TLS roots, codec, timeouts. A reference to
/// the actor, not an owner.
pub fn connect_with<A: uactor_core::Actor>(address: &Address, options: &Options) -> Result<A::Proxy>
where
    A::Proxy: ProxyClient,
{
    #[cfg(feature = "tracing")]
    let scope = crate::trace::connect(A::NAME, address);
    let authkey: Authkey = options.authkey_or(crate::context::authkey)?;
    let client = Client::connect(A::NAME, address.clone(), &authkey, options, None)?;
    #[cfg(feature = "tracing")]
    scope.span().record("pid", client.pid());
    Ok(A::Proxy::from_client(client))
}
