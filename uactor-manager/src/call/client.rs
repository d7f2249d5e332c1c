//! The caller's side of an actor: what every generated proxy wraps.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::frame::{ACTOR_OBJECT, Kind};
use uactor_core::{Address, Error, Result, Token};
use uactor_transport::Authkey;

use super::async_result::{AsyncResult, CallFuture};
use super::connections;
use super::invoke::{self, Route};
use super::link::{Deadline, Link};
use super::reach::Reach;
use crate::{Options, Stats};

/// How long a shutdown asked for by a proxy that does not own the actor
/// waits for the actor's answer.
const SHUTDOWN_ANSWER: Duration = Duration::from_secs(10);

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
    ownership: Ownership,
}

/// Whether this process owns the actor, and so which process serves the
/// calls.
enum Ownership {
    /// A reference (a proxy that travelled here, or `connect`): the
    /// connection is taken on first use, and replaced once if it breaks.
    Reference(Reach),
    /// The owner's proxy: the process that spawned the actor decides which
    /// connection calls go over (a new one after a supervised restart) and
    /// what shutting down means.
    Owned(Arc<dyn Owner>),
}

/// One process of an actor, as its caller reaches it.
#[derive(Clone)]
pub(crate) struct Incarnation {
    pub(crate) link: Link,
    pub(crate) pid: u32,
    pub(crate) address: Address,
}

/// What owns an actor: the process that spawned it (see `process::owner`).
pub(crate) trait Owner: Send + Sync {
    /// The actor's process now.
    fn current(&self) -> Incarnation;

    /// The connection a call goes over; after a crash of a supervised
    /// actor, waits (within a bound) for its new process.
    fn link(&self) -> Result<Link>;

    /// Whether a request that could not be written because the process had
    /// just died may be sent again, once, to a re-created process.
    fn resends(&self) -> bool;

    /// Runs the actor's shutdown hook and ends its process; returns once
    /// the process is gone and reaped.
    fn shutdown(&self) -> Result<()>;

    /// How many times a supervisor has re-created the actor.
    fn generation(&self) -> u64;
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
    /// The owner's client of actor `actor`.
    pub(crate) fn owned(
        actor: &'static str,
        call_timeout: Option<Duration>,
        owner: Arc<dyn Owner>,
    ) -> Client {
        Client::new(actor, call_timeout, Ownership::Owned(owner))
    }

    fn new(actor: &'static str, call_timeout: Option<Duration>, ownership: Ownership) -> Client {
        Client {
            inner: Arc::new(Inner {
                actor,
                call_timeout,
                ownership,
            }),
        }
    }

    /// Connects to the actor `actor` at `address` and authenticates: a
    /// reference to it.
    pub(crate) fn connect(
        actor: &'static str,
        address: Address,
        authkey: &Authkey,
        options: &Options,
    ) -> Result<Client> {
        let connection = crate::endpoint::open(&address, &options.settings())?;
        let incarnation =
            connections::open(Some(actor), address, connection, authkey, options, None)?;
        Ok(Client::new(
            actor,
            options.call_timeout,
            Ownership::Reference(Reach::connected(incarnation.link, actor)),
        ))
    }

    /// Calls method `method` of the actor with `args` and waits for its
    /// result.
    #[inline]
    pub fn call<A, R>(&self, method: u16, args: &A) -> Result<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        invoke::call(self, method, args)
    }

    /// Sends a call to method `method` of an actor method that runs
    /// concurrently, and returns at once with the handle on its result.
    pub fn start<A, R>(&self, method: u16, args: &A) -> Result<AsyncResult<R>>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        invoke::start(self, method, args)
    }

    /// The future of a call to method `method`: what the async twin's
    /// methods return. Nothing is sent before it is first polled.
    pub fn call_async<A, R>(&self, method: u16, args: A) -> CallFuture<R>
    where
        A: Serialize + Send + 'static,
        R: DeserializeOwned,
    {
        invoke::call_async(self, method, args)
    }

    /// The actor's process id (of its current process, after restarts).
    /// A proxy that travelled here connects to learn it; 0 when the actor
    /// cannot be reached.
    pub fn pid(&self) -> u32 {
        match &self.inner.ownership {
            Ownership::Reference(reach) => reach.link().map_or(0, |link| link.pid()),
            Ownership::Owned(owner) => owner.current().pid,
        }
    }

    /// Where the actor listens.
    pub fn address(&self) -> Address {
        match &self.inner.ownership {
            Ownership::Reference(reach) => reach.address().clone(),
            Ownership::Owned(owner) => owner.current().address,
        }
    }

    /// How many times a supervisor has re-created the actor: 0 until its
    /// first crash. A proxy can tell from it that it was restarted.
    pub fn generation(&self) -> u64 {
        match &self.inner.ownership {
            Ownership::Reference(_) => 0,
            Ownership::Owned(owner) => owner.generation(),
        }
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
            self.inner.call_timeout.map(Deadline::after),
            || None,
        )
    }

    /// Whether calls can reach the actor now: false once its connection
    /// is broken (the actor died, was shut down, or its host was lost),
    /// until a supervisor has re-created it. It never blocks.
    pub fn reachable(&self) -> bool {
        match &self.inner.ownership {
            // A reference not yet connected is assumed reachable: its first
            // call tells.
            Ownership::Reference(reach) => {
                reach.current().is_none_or(|link| link.broken().is_none())
            }
            Ownership::Owned(owner) => owner.current().link.broken().is_none(),
        }
    }

    /// Whether this client's process owns the actor.
    pub fn is_owner(&self) -> bool {
        matches!(self.inner.ownership, Ownership::Owned(_))
    }

    /// Runs the actor's shutdown hook and ends its process. The owner
    /// returns once the process is gone and reaped. Shutting down twice is
    /// not an error; later calls fail with [`Error::Closed`].
    pub fn shutdown(&self) -> Result<()> {
        match &self.inner.ownership {
            Ownership::Reference(reach) => shutdown_link(&reach.link()?, SHUTDOWN_ANSWER),
            Ownership::Owned(owner) => owner.shutdown(),
        }
    }

    /// [`shutdown`](Self::shutdown), for async code: the waiting (for the
    /// actor's answer, for its process to end) happens on a thread of its
    /// own, not on the executor's.
    pub fn shutdown_async(&self) -> impl std::future::Future<Output = Result<()>> + Send + use<> {
        let client = self.clone();
        super::async_result::off_thread(move || client.shutdown())
    }

    /// The codec of this client's connection, for a caller that encodes
    /// part of a payload itself (an interface call nests its arguments).
    pub fn codec(&self) -> uactor_core::CodecId {
        match &self.inner.ownership {
            Ownership::Reference(reach) => reach.codec(),
            Ownership::Owned(owner) => owner.current().link.codec(),
        }
    }
}

/// Asks the actor at the end of `link` to shut down, waiting at most
/// `timeout` for its answer, and closes the connection for later calls. A
/// connection that is already closed because the actor was shut down is no
/// error.
pub(crate) fn shutdown_link(link: &Link, timeout: Duration) -> Result<()> {
    if let Some(error) = link.broken() {
        return match error {
            Error::Closed => Ok(()),
            other => Err(other),
        };
    }
    let codec = link.codec();
    let result = link.call(
        Kind::Shutdown,
        ACTOR_OBJECT,
        0,
        |_| Ok(()),
        |bytes| codec.decode::<()>(bytes),
        Some(Deadline::after(timeout)),
        || None,
    );
    match result {
        Ok(()) | Err(Error::Closed) => {
            link.close(Error::Closed);
            Ok(())
        }
        // The actor did not answer: the connection stays as it is, for the
        // owner to say how the actor ended.
        Err(error) => Err(error),
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

    /// A reference to the actor at `token`, checked to serve `served` when
    /// given.
    fn adopt(token: Token, actor: &'static str, served: Option<&'static str>) -> Result<Client> {
        if !token.is_actor() {
            return Err(Error::proxy(format!(
                "a `{}` proxy cannot be decoded as a proxy to {actor}",
                token.typeid
            )));
        }
        let reach = Reach::to(token, served, None)?;
        Ok(Client::new(actor, None, Ownership::Reference(reach)))
    }

    /// The token this proxy travels as: where the actor listens, how it is
    /// spoken to, and this process's vouch for the address when it reaches
    /// it with the tree's key.
    pub fn to_token(&self) -> Token {
        match &self.inner.ownership {
            Ownership::Reference(reach) => Token {
                codec: reach.codec(),
                max_frame: reach.max_frame(),
                vouch: reach.vouch(),
                ..Token::actor(reach.address().clone())
            },
            Ownership::Owned(owner) => {
                let Incarnation { link, address, .. } = owner.current();
                Token {
                    codec: link.codec(),
                    max_frame: link.max_frame_size(),
                    vouch: connections::vouch(&address, link.key()),
                    ..Token::actor(address)
                }
            }
        }
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

impl Inner {
    /// The connection a call goes over.
    fn link(&self) -> Result<Link> {
        match &self.ownership {
            Ownership::Reference(reach) => reach.link(),
            Ownership::Owned(owner) => owner.link(),
        }
    }
}

impl Route for Client {
    fn link(&self) -> Result<Link> {
        self.inner.link()
    }

    fn object(&self) -> u64 {
        ACTOR_OBJECT
    }

    fn call_timeout(&self) -> Option<Duration> {
        self.inner.call_timeout
    }

    fn resends(&self) -> bool {
        matches!(&self.inner.ownership, Ownership::Owned(owner) if owner.resends())
    }

    fn label(&self) -> &'static str {
        self.inner.actor
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ownership::Owned(owner) = &self.ownership {
            let _ = owner.shutdown();
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("actor", &self.inner.actor)
            .field("pid", &self.pid())
            .field("address", &self.address().to_string())
            .field("owner", &self.is_owner())
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
    let client = Client::connect(A::NAME, address.clone(), &authkey, options)?;
    #[cfg(feature = "tracing")]
    scope.span().record("pid", client.pid());
    Ok(A::Proxy::from_client(client))
}
