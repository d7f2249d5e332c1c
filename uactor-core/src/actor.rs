//! The traits generated code implements and the host drives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Address, CodecId, Result, Stats, Token};

/// A type whose values live in their own process.
///
/// Implemented by `#[uactor::actor]`; not meant to be implemented by hand.
/// What a user reads of it is the proxy type, the arguments of `spawn` and
/// the name; the rest is what the host calls.
///
/// An actor's type must be `Send` (and `Sync`, when it has `async fn`
/// methods): its methods run on whichever thread of its process read the
/// request, one at a time behind a lock.
pub trait Actor: Sized + 'static {
    /// The typed handle callers hold.
    type Proxy: Proxy;

    /// How the host keeps the actor: a [`MutexCell`] when every method
    /// blocks, a [`RwLockCell`] when `async fn` methods share it while they
    /// wait.
    #[doc(hidden)]
    type Cell: Cell<Self>;

    /// What `spawn` takes: `()` for a `Default` actor or a `new()` without
    /// parameters, the parameter's type for one parameter, a tuple for more.
    type Args: Serialize + DeserializeOwned + Send + 'static;

    /// A stable name for the type, the same in parent and child: the
    /// registry key a spawned process looks the type up by.
    const NAME: &'static str;

    /// Builds the actor in its process from `spawn`'s arguments. An error or
    /// panic here is `spawn`'s error.
    #[doc(hidden)]
    fn construct(args: Self::Args) -> Result<Self>;

    /// The cell that keeps the actor: where an actor that is not `Send` is
    /// refused.
    #[doc(hidden)]
    fn cell(self) -> Self::Cell;

    /// Runs method `method` of the actor in `cell` with the arguments and
    /// reply buffer in `call`. A method whose result comes later
    /// ([`Call::defer`]) returns at once.
    #[doc(hidden)]
    fn dispatch(cell: &Arc<Self::Cell>, method: u16, call: &mut Call<'_>) -> Result<()>;

    /// The shutdown hook: runs in the actor just before its process exits.
    #[doc(hidden)]
    fn on_shutdown(&mut self) {}

    /// The name of method `method`, for errors and traces.
    #[doc(hidden)]
    fn method_name(method: u16) -> Option<&'static str>;
}

/// The typed handle to an actor, implemented by every generated
/// `{Type}Proxy` (and by `#[uactor::interface]` proxies).
///
/// `pid`, `address`, `shutdown` and `to_async` are also inherent methods of
/// each proxy; where an actor exposes a method with the same name, the
/// actor's method wins on the proxy and the built-in stays reachable as
/// `uactor::Proxy::pid(&proxy)`. `stats` and `generation` are methods of
/// this trait only, so they never take a name from an actor.
pub trait Proxy: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The async twin: the same methods as futures.
    type Async: Send + Sync + 'static;

    /// The async twin of this proxy, sharing its connection.
    fn to_async(&self) -> Self::Async;

    /// The actor's process id.
    fn pid(&self) -> u32;

    /// Where the actor listens.
    fn address(&self) -> Address;

    /// Runs the actor's shutdown hook and ends its process; for the owner,
    /// returns once the process is gone and reaped.
    ///
    /// The request is served after the calls sent before it. The owner
    /// waits for the actor to end at most its `shutdown_timeout` option
    /// (10 s by default); an actor that does not end in time (a method
    /// stuck in a loop, a hook that blocks) is killed, and this returns
    /// `Err(Error::ActorDied { status: Exit::Killed { after } })`, as do
    /// the calls it was stuck in; its hook may not have run. A reference
    /// (a proxy from `connect`, or one that travelled) waits up to 10 s
    /// for the answer and kills nothing. Shutting down twice is no error.
    fn shutdown(&self) -> Result<()>;

    /// How the actor is doing: calls served, errors, panics, calls in
    /// flight, open connections, objects kept, uptime and resident memory.
    ///
    /// The actor's host answers this itself (a frame of its own, not a
    /// method call), so no method of the actor can shadow it; it is
    /// answered in order with the other requests this process sends the
    /// actor.
    fn stats(&self) -> Result<Stats>;

    /// How many times the actor was re-created by its supervisor
    /// (`Restart::OnCrash`): 0 until its first crash, and always 0 for a
    /// proxy that does not own its actor.
    fn generation(&self) -> u64;

    /// A proxy to the actor `token` stands for: a reference, not an owner.
    /// What `uactor::this` and decoding a proxy build on.
    #[doc(hidden)]
    fn from_token(token: Token) -> Result<Self>;
}

/// What an actor process serves: the actor and the objects it hands out,
/// each addressed by an object id. The host loop drives one `Manager`, from
/// as many connection threads as it has clients: what it serves locks what
/// must run alone (the actor's [`Cell`]), so a blocking call on an object
/// never holds up the actor.
pub trait Manager: Send + Sync + 'static {
    /// Serves one request to `object` (the actor is
    /// [`ACTOR_OBJECT`](crate::frame::ACTOR_OBJECT)).
    fn serve(&self, object: u64, method: u16, call: &mut Call<'_>) -> Result<()>;

    /// Runs the shutdown hooks of what it serves; later requests fail with
    /// [`Error::Closed`](crate::Error::Closed).
    fn shutdown(&self);
}

/// Where the host keeps an actor between calls: shared by the connection
/// threads of the actor's process, so `Send` and `Sync` whatever the actor.
/// The two cells ([`MutexCell`], [`RwLockCell`]) can only be made for an
/// actor that is `Send` (and `Sync`, for the cell async methods share).
pub trait Cell<A>: Send + Sync + 'static {
    /// Runs `f` with the actor, alone: no other method runs meanwhile.
    fn with<R>(&self, f: impl FnOnce(&mut A) -> R) -> R;
}

/// What an actor's type must be: `Send`, since its methods run on
/// whichever connection thread of the actor's process read the request
/// (one at a time, behind a lock), so the actor moves between threads.
///
/// The one bound `#[uactor::actor]`'s code puts on the actor's type, on
/// [`MutexCell::new`] and [`RwLockCell::new`]: an actor that is not `Send`
/// gets this message, at its impl block, and no other error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an actor: it is not `Send`",
    label = "an actor moves between the threads of its process",
    note = "an actor's methods run on whichever thread of its process read the request, one \
            at a time behind a lock, so `{Self}` and each of its fields must be `Send`: one of \
            them is not (an `Rc`, a raw pointer, a guard); share state through `Arc<Mutex<T>>` \
            (or atomics) instead of `Rc<RefCell<T>>`"
)]
#[doc(hidden)]
pub trait ActorSend: Send {}

// Not recommended, so that the compiler reports `ActorSend` itself, with
// the message above, rather than `Send` of some field deep inside.
#[diagnostic::do_not_recommend]
impl<T: Send> ActorSend for T {}

/// What an actor with `async fn` methods must be: `Send` and `Sync`, since
/// its `&self` methods share it while they wait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an actor with `async fn` methods: it is not `Send` and `Sync`",
    label = "an actor with `async fn` methods is shared while they wait",
    note = "an actor's `async fn` methods share it while they wait, and its methods run on \
            whichever thread of its process read the request, so `{Self}` and each of its \
            fields must be `Send` and `Sync`: one of them is not (an `Rc`, a `Cell`, a \
            `RefCell`); share state through `Arc<Mutex<T>>` (or atomics) instead"
)]
#[doc(hidden)]
pub trait ActorSync: Send + Sync {}

#[diagnostic::do_not_recommend]
impl<T: Send + Sync> ActorSync for T {}

/// The cell of an actor whose methods all block: a mutex.
///
/// The mutex is kept behind a `dyn … + Send + Sync`, so the cell is `Send`
/// and `Sync` whatever the actor, and the generated `Actor` impl needs no
/// `Send` bound of its own: whether the actor is `Send` is checked once,
/// where [`new`](Self::new) makes that trait object.
pub struct MutexCell<A>(Box<dyn Exclusive<A> + Send + Sync>);

/// A lock that hands out the actor alone.
trait Exclusive<A> {
    fn lock(&self) -> MutexGuard<'_, A>;
}

impl<A> Exclusive<A> for Mutex<A> {
    #[inline]
    fn lock(&self) -> MutexGuard<'_, A> {
        // A method that panicked is reported to its caller; the actor goes on
        // serving, as Python uActor's does.
        Mutex::lock(self).unwrap_or_else(PoisonError::into_inner)
    }
}

impl<A> MutexCell<A> {
    /// A cell holding `actor`.
    pub fn new(actor: A) -> Self
    where
        A: ActorSend + 'static,
    {
        MutexCell(Box::new(Mutex::new(actor)))
    }
}

impl<A: 'static> Cell<A> for MutexCell<A> {
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut A) -> R) -> R {
        f(&mut self.0.lock())
    }
}

impl<A> fmt::Debug for MutexCell<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MutexCell")
    }
}

/// The cell of an actor with `async fn` methods: an async read-write lock,
/// so `&self` methods share the actor while they wait. Kept behind a
/// `dyn … + Send + Sync` for the reason [`MutexCell`] is.
pub struct RwLockCell<A>(Box<dyn SharedLock<A> + Send + Sync>);

/// An async read-write lock around the actor.
trait SharedLock<A> {
    fn lock(&self) -> &async_lock::RwLock<A>;
}

impl<A> SharedLock<A> for async_lock::RwLock<A> {
    #[inline]
    fn lock(&self) -> &async_lock::RwLock<A> {
        self
    }
}

impl<A> RwLockCell<A> {
    /// A cell holding `actor`.
    pub fn new(actor: A) -> Self
    where
        A: ActorSync + 'static,
    {
        RwLockCell(Box::new(async_lock::RwLock::new(actor)))
    }

    /// Shares the actor with the other `&self` methods.
    pub async fn read(&self) -> async_lock::RwLockReadGuard<'_, A> {
        self.0.lock().read().await
    }

    /// Takes the actor alone.
    pub async fn write(&self) -> async_lock::RwLockWriteGuard<'_, A> {
        self.0.lock().write().await
    }
}

impl<A: 'static> Cell<A> for RwLockCell<A> {
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut A) -> R) -> R {
        f(&mut self.0.lock().write_blocking())
    }
}

impl<A> fmt::Debug for RwLockCell<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RwLockCell")
    }
}

/// A result that comes later: made on the thread that read the call, run
/// on the actor's runtime, and resolving to the encoded reply.
pub type Deferred = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<Vec<u8>>>>> + Send>;

/// One call as the actor sees it: the encoded arguments and the buffer the
/// reply is encoded into.
pub struct Call<'a> {
    codec: CodecId,
    args: &'a [u8],
    reply: &'a mut Vec<u8>,
    deferred: Option<Deferred>,
    connection: u64,
    /// The attachments of the arguments' frame, for the `Bytes` in them.
    attached: std::cell::RefCell<Vec<Vec<u8>>>,
    /// Whether the reply's `Bytes` are set aside as attachments.
    attaching: bool,
    /// Those set aside.
    reply_attached: Vec<crate::Bytes>,
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("codec", &self.codec)
            .field("args", &self.args.len())
            .field("deferred", &self.deferred.is_some())
            .finish()
    }
}

impl<'a> Call<'a> {
    /// A call whose arguments are `args`, replying into `reply`.
    pub fn new(codec: CodecId, args: &'a [u8], reply: &'a mut Vec<u8>) -> Self {
        Call {
            codec,
            args,
            reply,
            deferred: None,
            connection: 0,
            attached: std::cell::RefCell::new(Vec::new()),
            attaching: false,
            reply_attached: Vec::new(),
        }
    }

    /// The same call, its arguments' frame carrying `attached` (see
    /// [`Bytes`](crate::Bytes)); when `attaching`, the reply's own `Bytes`
    /// are set aside too ([`take_attached`](Self::take_attached)).
    pub fn attachments(self, attached: Vec<Vec<u8>>, attaching: bool) -> Self {
        Call {
            attached: std::cell::RefCell::new(attached),
            attaching,
            ..self
        }
    }

    /// The attachments the reply's `Bytes` were set aside as.
    pub fn take_attached(&mut self) -> Vec<crate::Bytes> {
        std::mem::take(&mut self.reply_attached)
    }

    /// The same call, made over connection `connection` (the host numbers
    /// its connections from 1).
    pub fn on_connection(mut self, connection: u64) -> Self {
        self.connection = connection;
        self
    }

    /// The connection this call came over, which objects use to tell their
    /// callers apart (a lock's holder) and to undo what a caller held when
    /// its connection closes. 0 for a call made without one.
    pub fn connection(&self) -> u64 {
        self.connection
    }

    /// Replies later: `make` runs on the actor's runtime, and the encoded
    /// value its future resolves to is the reply. The caller is not kept
    /// waiting meanwhile, and other calls are served.
    pub fn defer(&mut self, make: Deferred) {
        self.deferred = Some(make);
    }

    /// The deferred reply, if the method chose one.
    pub fn take_deferred(&mut self) -> Option<Deferred> {
        self.deferred.take()
    }

    /// Decodes the arguments.
    #[inline]
    pub fn args<T: Deserialize<'a>>(&self) -> Result<T> {
        let attached = std::mem::take(&mut *self.attached.borrow_mut());
        crate::bytes::decoding(attached, || self.codec.decode(self.args))
    }

    /// Encodes the result.
    #[inline]
    pub fn reply<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let (codec, reply) = (self.codec, &mut *self.reply);
        let (encoded, attached) =
            crate::bytes::encoding(self.attaching, || codec.encode(value, reply));
        self.reply_attached.extend(attached);
        encoded
    }

    /// The codec of this call's connection.
    pub fn codec(&self) -> CodecId {
        self.codec
    }
}
