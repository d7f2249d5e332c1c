//! The caller's side of an actor: what every generated proxy wraps.

use std::fmt;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::frame::{ACTOR_OBJECT, Kind};
use uactor_core::{Address, Error, Result};
use uactor_transport::{Authkey, handshake};

use crate::async_result::{AsyncResult, CallFuture};
use crate::object::Token;
use crate::link::Link;
use crate::Options;
use crate::spawn::Process;

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
    address: Address,
    pid: u32,
    call_timeout: Option<Duration>,
    link: Link,
    owner: Option<Owner>,
}

/// What the process that spawned an actor holds besides the connection.
pub(crate) struct Owner {
    process: Arc<Process>,
    /// Closing it tells the actor its parent is gone.
    _bootstrap: UnixStream,
    shutdown_timeout: Duration,
}

impl Owner {
    pub(crate) fn new(process: Arc<Process>, bootstrap: UnixStream, shutdown_timeout: Duration) -> Self {
        Owner { process, _bootstrap: bootstrap, shutdown_timeout }
    }

    /// Waits for the process to end after a shutdown; kills it past the
    /// grace period. Either way it is reaped on return.
    fn finish(&self) {
        if self.process.wait_exit(EXIT_GRACE).is_none() {
            self.process.kill();
            let _ = self.process.wait_exit(EXIT_GRACE);
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
    /// Connects to the actor `actor` at `address` and authenticates.
    pub(crate) fn connect(
        actor: &'static str,
        address: Address,
        authkey: &Authkey,
        options: &Options,
        owner: Option<Owner>,
    ) -> Result<Client> {
        let connection = crate::endpoint::open(&address, options)?;
        Client::connect_over(actor, address, connection, authkey, options, owner)
    }

    /// Authenticates over `connection`, already open to `actor` at `address`.
    pub(crate) fn connect_over(
        actor: &'static str,
        address: Address,
        mut connection: uactor_core::Connection,
        authkey: &Authkey,
        options: &Options,
        owner: Option<Owner>,
    ) -> Result<Client> {
        let welcome = handshake::client(
            &mut connection,
            authkey,
            options.codec,
            options.handshake_timeout,
            options.max_frame_size,
        )?;
        if welcome.kind != handshake::kind_tag(actor) {
            return Err(Error::proxy(format!("the actor at {address} is not a {actor}")));
        }
        let process = owner.as_ref().map(|owner| Arc::clone(&owner.process));
        let link = Link::new(
            connection,
            options.codec,
            options.max_frame_size,
            (welcome.pid, welcome.kind, address.clone()),
            process,
        );
        crate::connections::register(&link);
        crate::connections::remember_key(&address, authkey);
        Ok(Client {
            inner: Arc::new(Inner {
                actor,
                address,
                pid: welcome.pid,
                call_timeout: options.call_timeout,
                link,
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
        let link = &self.inner.link;
        let codec = link.codec();
        link.call(
            Kind::Request,
            ACTOR_OBJECT,
            method,
            |out| codec.encode(args, out),
            |bytes| codec.decode(bytes),
            self.inner.call_timeout,
        )
    }

    /// Sends a call to method `method` of an actor method that runs
    /// concurrently, and returns at once with the handle on its result.
    pub fn start<A, R>(&self, method: u16, args: &A) -> Result<AsyncResult<R>>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let link = &self.inner.link;
        let codec = link.codec();
        let request = link.send(Kind::Request, ACTOR_OBJECT, method, |out| codec.encode(args, out))?;
        Ok(AsyncResult::remote(link.clone(), request))
    }

    /// Sends a call to method `method` now and returns the future of its
    /// result: what the async twin's methods return.
    pub fn call_async<A, R>(&self, method: u16, args: &A) -> CallFuture<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let link = &self.inner.link;
        let codec = link.codec();
        CallFuture::new(
            link.send(Kind::Request, ACTOR_OBJECT, method, |out| codec.encode(args, out))
                .map(|request| (link.clone(), request)),
        )
    }

    /// The actor's process id.
    pub fn pid(&self) -> u32 {
        self.inner.pid
    }

    /// Where the actor listens.
    pub fn address(&self) -> Address {
        self.inner.address.clone()
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
        if token.object != ACTOR_OBJECT || token.typeid != "actor" {
            return Err(Error::proxy(format!("a `{}` proxy cannot be decoded as a proxy to {actor}", token.typeid)));
        }
        let link = crate::connections::link_to(&token.address, Some(actor))?;
        Ok(Client {
            inner: Arc::new(Inner {
                actor,
                address: token.address,
                pid: link.pid(),
                call_timeout: None,
                link,
                owner: None,
            }),
        })
    }

    /// The token this proxy travels as.
    pub fn to_token(&self) -> Token {
        Token { address: self.inner.address.clone(), object: ACTOR_OBJECT, typeid: "actor".to_owned() }
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
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_token().serialize(serializer)
    }
}

impl Inner {
    fn shutdown(&self) -> Result<()> {
        if let Some(error) = self.link.broken() {
            if let Some(owner) = &self.owner {
                owner.finish();
            }
            return match error {
                Error::Closed => Ok(()),
                other => Err(other),
            };
        }
        let timeout = self.owner.as_ref().map_or(Duration::from_secs(10), |owner| owner.shutdown_timeout);
        let codec = self.link.codec();
        let result = self.link.call(
            Kind::Shutdown,
            ACTOR_OBJECT,
            0,
            |_| Ok(()),
            |bytes| codec.decode::<()>(bytes),
            Some(timeout),
        );
        self.link.close(Error::Closed);
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

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("actor", &self.inner.actor)
            .field("pid", &self.inner.pid)
            .field("address", &self.inner.address.to_string())
            .field("owner", &self.inner.owner.is_some())
            .finish()
    }
}

impl fmt::Debug for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Owner").field("pid", &self.process.pid()).finish()
    }
}
