//! The traits generated code implements and the host drives.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Address, CodecId, Result};

/// A type whose values live in their own process.
///
/// Implemented by `#[uactor::actor]`; not meant to be implemented by hand.
pub trait Actor: Sized + Send + 'static {
    /// The typed handle callers hold.
    type Proxy: Proxy;

    /// What `spawn` takes: `()` for a `Default` actor or a `new()` without
    /// parameters, the parameter's type for one parameter, a tuple for more.
    type Args: Serialize + DeserializeOwned + Send + 'static;

    /// A stable name for the type, the same in parent and child: the
    /// registry key a spawned process looks the type up by.
    const NAME: &'static str;

    /// Builds the actor in its process from `spawn`'s arguments. An error or
    /// panic here is `spawn`'s error.
    fn construct(args: Self::Args) -> Result<Self>;

    /// Runs method `method` with the arguments and reply buffer in `call`.
    fn dispatch(&mut self, method: u16, call: &mut Call<'_>) -> Result<()>;

    /// The shutdown hook: runs in the actor just before its process exits.
    fn on_shutdown(&mut self) {}

    /// The name of method `method`, for errors and traces.
    fn method_name(method: u16) -> Option<&'static str>;
}

/// The typed handle to an actor, implemented by every generated
/// `{Type}Proxy`.
///
/// These built-ins are also inherent methods of each proxy; where an actor
/// exposes a method with the same name, the actor's method wins on the proxy
/// and the built-in stays reachable as `uactor::Proxy::pid(&proxy)`.
pub trait Proxy: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The actor's process id.
    fn pid(&self) -> u32;

    /// Where the actor listens.
    fn address(&self) -> Address;

    /// Runs the actor's shutdown hook and ends its process; for the owner,
    /// returns once the process is gone and reaped.
    fn shutdown(&self) -> Result<()>;
}

/// What an actor process serves: the actor and the objects it hands out,
/// each addressed by an object id. The host loop drives one `Manager`.
pub trait Manager: Send + 'static {
    /// Serves one request to `object`.
    fn serve(&mut self, object: u64, method: u16, call: &mut Call<'_>) -> Result<()>;

    /// Runs the shutdown hooks of what it serves.
    fn shutdown(&mut self);
}

/// One call as the actor sees it: the encoded arguments and the buffer the
/// reply is encoded into.
#[derive(Debug)]
pub struct Call<'a> {
    codec: CodecId,
    args: &'a [u8],
    reply: &'a mut Vec<u8>,
}

impl<'a> Call<'a> {
    /// A call whose arguments are `args`, replying into `reply`.
    pub fn new(codec: CodecId, args: &'a [u8], reply: &'a mut Vec<u8>) -> Self {
        Call { codec, args, reply }
    }

    /// Decodes the arguments.
    #[inline]
    pub fn args<T: Deserialize<'a>>(&self) -> Result<T> {
        self.codec.decode(self.args)
    }

    /// Encodes the result.
    #[inline]
    pub fn reply<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.codec.encode(value, self.reply)
    }

    /// The codec of this call's connection.
    pub fn codec(&self) -> CodecId {
        self.codec
    }
}
