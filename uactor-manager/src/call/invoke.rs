//! The one routine every call goes through, whatever the proxy: an actor's
//! own, an object's, an interface's, a method handle's. The bound of a call
//! (`Options::call_timeout`), the resending of a request a supervised
//! actor's dead process never read, giving up on a call (a `Cancel`, and
//! the release of what a late reply carries) and the `call` span apply to
//! all of them alike.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::frame::Kind;
use uactor_core::{CodecId, Error, Result};

use super::async_result::{AsyncResult, CallFuture};
use super::link::{Deadline, Late, Link, Reply};

/// Where a proxy's calls go.
pub(crate) trait Route {
    /// The connection a call goes over now (after a supervised restart, the
    /// new process's).
    fn link(&self) -> Result<Link>;

    /// The object called: the actor itself, or one it handed out.
    fn object(&self) -> u64;

    /// The bound of a call.
    fn call_timeout(&self) -> Option<Duration>;

    /// Whether a request that could not even be written because the actor's
    /// process had just died may be sent once more, to its re-created
    /// process: it reached no one.
    fn resends(&self) -> bool {
        false
    }

    /// What a call span names as the callee.
    fn label(&self) -> &'static str;
}

/// The late handler of a reply of type `R`: decode it, as the caller would
/// have, and drop it, which gives back the references of the proxies it
/// holds. Built-in objects undo more (a lock taken, an item taken) with
/// handlers of their own.
pub(crate) fn release<R: DeserializeOwned>(codec: CodecId) -> Late {
    // A function pointer carries no lifetime of `R`'s, so the handler is
    // `'static` whatever `R` is.
    let drop_reply: fn(CodecId, &[u8]) = |codec, bytes| {
        let _ = codec.decode::<R>(bytes);
    };
    Box::new(move |reply: Result<Reply>| {
        if let Ok(reply) = reply {
            let _ = reply.decode(|bytes| {
                drop_reply(codec, bytes);
                Ok(())
            });
        }
    })
}

/// Sends a request over `route`, once more after a death that read none of
/// it when the route allows.
fn send<A: Serialize + ?Sized>(
    route: &impl Route,
    method: u16,
    args: &A,
    deadline: Option<Deadline>,
) -> Result<(Link, u64)> {
    let attempt = || {
        let link = route.link()?;
        let codec = link.codec();
        let request = link.send(
            Kind::Request,
            route.object(),
            method,
            |out| codec.encode(args, out),
            deadline,
        )?;
        Ok((link, request))
    };
    match attempt() {
        Err(Error::ActorDied { .. }) if route.resends() => attempt(),
        other => other,
    }
}

/// Calls `method` with `args` and waits for its result, within the route's
/// bound; a call that runs out of time is given up on, and `late` releases
/// what its reply carries.
pub(crate) fn call_with<A, R>(
    route: &impl Route,
    method: u16,
    args: &A,
    late: impl FnOnce(CodecId) -> Late,
) -> Result<R>
where
    A: Serialize + ?Sized,
    R: DeserializeOwned,
{
    #[cfg(feature = "tracing")]
    let scope = crate::trace::call(route.label(), method);
    let deadline = route.call_timeout().map(Deadline::after);
    let (link, request) = send(route, method, args, deadline)?;
    #[cfg(feature = "tracing")]
    scope.sent(request);
    let codec = link.codec();
    match link.wait(request, deadline, |bytes| codec.decode(bytes)) {
        Err(Error::Timeout { after }) => {
            link.abandon(request, Some(late(codec)));
            Err(Error::Timeout { after })
        }
        result => result,
    }
}

/// Calls `method` with `args` and waits for its result: [`call_with`] whose
/// late replies are decoded and dropped.
#[inline]
pub(crate) fn call<A, R>(route: &impl Route, method: u16, args: &A) -> Result<R>
where
    A: Serialize + ?Sized,
    R: DeserializeOwned,
{
    call_with(route, method, args, release::<R>)
}

/// Sends a call to a method whose result comes later, and returns the
/// handle on it at once.
pub(crate) fn start<A, R>(route: &impl Route, method: u16, args: &A) -> Result<AsyncResult<R>>
where
    A: Serialize + ?Sized,
    R: DeserializeOwned,
{
    #[cfg(feature = "tracing")]
    let scope = crate::trace::call(route.label(), method);
    let (link, request) = send(route, method, args, None)?;
    #[cfg(feature = "tracing")]
    scope.sent(request);
    link.unattend(request);
    Ok(AsyncResult::remote(link, request))
}

/// The future of a call of `method` with `args`: nothing is sent before it
/// is first polled, and the route's bound counts from now.
pub(crate) fn call_async<A, R>(route: &impl Route, method: u16, args: A) -> CallFuture<R>
where
    A: Serialize + Send + 'static,
    R: DeserializeOwned,
{
    call_async_with(route, method, args, release::<R>)
}

/// [`call_async`] whose late reply, if the future is dropped first, goes to
/// what `late` makes.
pub(crate) fn call_async_with<A, R>(
    route: &impl Route,
    method: u16,
    args: A,
    late: impl FnOnce(CodecId) -> Late,
) -> CallFuture<R>
where
    A: Serialize + Send + 'static,
    R: DeserializeOwned,
{
    let deadline = route.call_timeout().map(Deadline::after);
    match route.link() {
        Ok(link) => {
            let codec = link.codec();
            CallFuture::new(
                link,
                route.object(),
                method,
                route.label(),
                Box::new(move |out: &mut Vec<u8>| codec.encode(&args, out)),
                deadline,
                late(codec),
            )
        }
        Err(error) => CallFuture::failed(error),
    }
}
