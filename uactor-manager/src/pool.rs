//! Pools: several actors of one type, and calls spread over them.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use uactor_core::{Actor, Error, Proxy, Result};

use crate::Options;
use crate::call::{Client, ProxyClient};
use crate::process::spawn_encoded;

/// `n` actors of type `A`, each in its own process (Python uActor's actor pool).
///
/// `Type::pool(n, a, b)` (or `Type::pool_with(&options, n, a, b)`), which
/// `#[uactor::actor]` generates, starts one with the constructor's
/// arguments written as for `Type::spawn(a, b)`; every actor is built from
/// the same arguments, encoded once. [`Pool::spawn`] takes them the way
/// [`Actor::Args`] holds them, for code generic over the actor.
///
/// [`call`](Self::call) runs a call on the least loaded actor (the one with
/// the fewest calls in flight from this pool, not merely the next in turn),
/// passing over actors that died while others live;
/// [`broadcast`](Self::broadcast) runs one on every actor at once. From
/// async code, [`call_async`](Self::call_async),
/// [`broadcast_async`](Self::broadcast_async) and [`map`](Self::map) do the
/// same through the actors' async twins, without a thread per call.
/// Dropping the pool shuts all of them down.
///
/// ```no_run
/// # // This crate's doc test, with the paths users write; in a program
/// # // `Worker` is a type with `#[uactor::actor]`.
/// # mod uactor { pub use uactor_core::Proxy; pub use uactor_manager::Pool; }
/// # fn demo<Worker: uactor_core::Actor<Args = ()>>() -> uactor_core::Result<()>
/// # where Worker::Proxy: uactor_manager::ProxyClient {
/// let pool = uactor::Pool::<Worker>::spawn(4, ())?; // in a program: Worker::pool(4)?
/// let pids = pool.broadcast(|worker| Ok(uactor::Proxy::pid(worker)))?;
/// assert_eq!(pids.len(), 4);
/// # Ok(()) }
/// ```
pub struct Pool<A: Actor> {
    members: Vec<Slot<A>>,
    /// Where the search for the least loaded member starts, so ties are
    /// broken round robin.
    next: AtomicUsize,
}

/// A member of a pool of `A`s.
type Slot<A> = Member<<A as Actor>::Proxy, <<A as Actor>::Proxy as Proxy>::Async>;

struct Member<P, T> {
    proxy: P,
    /// The proxy's client, to pass over an actor that cannot be reached.
    client: Client,
    /// The proxy's async twin, made once.
    twin: T,
    in_flight: AtomicUsize,
}

impl<A: Actor> Pool<A>
where
    A::Proxy: ProxyClient,
{
    /// Starts `n` actors, each built from `args` (what `A::spawn` takes:
    /// `()` for none, the value for one argument, a tuple for more), with
    /// default options. `Type::pool(n, a, b)` says the same.
    pub fn spawn(n: usize, args: A::Args) -> Result<Self> {
        Self::spawn_with(&Options::new(), n, args)
    }

    /// Starts `n` actors with `options`, all at once.
    /// `Type::pool_with(&options, n, a, b)` says the same.
    pub fn spawn_with(options: &Options, n: usize, args: A::Args) -> Result<Self> {
        if n == 0 {
            return Err(Error::spawn("a pool needs at least one actor"));
        }
        // Encoded once: every process gets the same bytes, and the
        // arguments need not be `Clone`.
        let mut encoded = Vec::new();
        options.codec.encode(&args, &mut encoded)?;
        let encoded = &encoded;
        let spawned: Vec<Result<A::Proxy>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .map(|_| scope.spawn(move || spawn_encoded::<A>(options, encoded.clone())))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err(Error::spawn("a spawning thread panicked")))
                })
                .collect()
        });
        let proxies = spawned.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(Pool {
            members: proxies
                .into_iter()
                .map(|proxy| Member {
                    twin: proxy.to_async(),
                    client: proxy.client().clone(),
                    proxy,
                    in_flight: AtomicUsize::new(0),
                })
                .collect(),
            next: AtomicUsize::new(0),
        })
    }
}

impl<A: Actor> Pool<A> {
    /// Runs `call` with the proxy of the least loaded actor and returns what
    /// it returns.
    pub fn call<R>(&self, call: impl FnOnce(&A::Proxy) -> Result<R>) -> Result<R> {
        let (member, _done) = self.least_loaded()?;
        call(&member.proxy)
    }

    /// Runs `call` with the async twin of the least loaded actor's proxy and
    /// awaits what it returns. The actor is chosen when the future is first
    /// polled, and counts as loaded until it resolves or is dropped.
    pub async fn call_async<R, F>(
        &self,
        call: impl FnOnce(&<A::Proxy as Proxy>::Async) -> F,
    ) -> Result<R>
    where
        F: Future<Output = Result<R>>,
    {
        let (member, _done) = self.least_loaded()?;
        call(&member.twin).await
    }

    /// Runs `call` on every actor at once through their async twins and
    /// returns the results in the order of [`proxies`](Self::proxies); the
    /// first error, if any.
    pub async fn broadcast_async<R, F>(
        &self,
        call: impl Fn(&<A::Proxy as Proxy>::Async) -> F,
    ) -> Result<Vec<R>>
    where
        F: Future<Output = Result<R>>,
    {
        let calls = self.members.iter().map(|member| {
            member.in_flight.fetch_add(1, Ordering::Relaxed);
            let done = Done(&member.in_flight);
            let call = call(&member.twin);
            async move {
                let _done = done;
                call.await
            }
        });
        futures::future::join_all(calls).await.into_iter().collect()
    }

    /// Runs `call` once per item, each on the least loaded actor when it is
    /// sent, all at once, and returns the results in the order of the
    /// items. How many are in flight on each actor at a time is bounded by
    /// its connection (`Options::max_in_flight`).
    pub async fn map<T, R, F>(
        &self,
        items: impl IntoIterator<Item = T>,
        call: impl Fn(&<A::Proxy as Proxy>::Async, T) -> F,
    ) -> Vec<Result<R>>
    where
        F: Future<Output = Result<R>>,
    {
        let call = &call;
        let calls = items
            .into_iter()
            .map(|item| self.call_async(move |twin| call(twin, item)));
        futures::future::join_all(calls).await
    }

    /// The least loaded actor, counted as loaded until the guard drops.
    fn least_loaded(&self) -> Result<(&Slot<A>, Done<'_>)> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.members.len();
        let member = (0..count)
            .map(|offset| &self.members[(start + offset) % count])
            // An actor that died (or whose host was lost) is passed over
            // while others can be reached; a supervised one is back once
            // re-created.
            .min_by_key(|member| {
                (
                    !member.client.reachable(),
                    member.in_flight.load(Ordering::Relaxed),
                )
            })
            .ok_or_else(|| Error::spawn("the pool is empty"))?;
        member.in_flight.fetch_add(1, Ordering::Relaxed);
        Ok((member, Done(&member.in_flight)))
    }

    /// Runs `call` on every actor at once and returns the results in the
    /// order of [`proxies`](Self::proxies); the first error, if any.
    pub fn broadcast<R: Send>(
        &self,
        call: impl Fn(&A::Proxy) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        let call = &call;
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .members
                .iter()
                .map(|member| {
                    scope.spawn(move || {
                        member.in_flight.fetch_add(1, Ordering::Relaxed);
                        let _done = Done(&member.in_flight);
                        call(&member.proxy)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(Error::Remote {
                            message: "a broadcast call panicked".into(),
                        })
                    })
                })
                .collect()
        })
    }

    /// The actors' proxies.
    pub fn proxies(&self) -> impl Iterator<Item = &A::Proxy> {
        self.members.iter().map(|member| &member.proxy)
    }

    /// How many actors the pool holds.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the pool holds none (never, once spawned).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Shuts every actor down, all at once; the first error, if any.
    pub fn shutdown(&self) -> Result<()> {
        self.broadcast(|proxy| proxy.shutdown()).map(drop)
    }
}

impl<A: Actor> Drop for Pool<A> {
    fn drop(&mut self) {
        // One process after another would add their exits up.
        let _ = self.shutdown();
    }
}

impl<A: Actor> fmt::Debug for Pool<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("actor", &A::NAME)
            .field(
                "pids",
                &self
                    .members
                    .iter()
                    .map(|member| member.proxy.pid())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Counts a call out of its member when it ends, even by a panic.
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
