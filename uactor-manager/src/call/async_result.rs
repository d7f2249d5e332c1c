//! Results that come later: [`AsyncResult`] and the futures of the async
//! twin.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use serde::de::DeserializeOwned;
use uactor_core::frame::Kind;
use uactor_core::{CodecId, Error, Result};

use super::invoke::release;
use super::link::{Deadline, Encode, Late, Link, Tickets};
use crate::generated::Carried;

/// The result of a call that runs concurrently in an actor: what an
/// `async fn` method, or one returning `AsyncResult<T>`, gives a blocking
/// caller at once (Python uActor's `AsyncResult`).
///
/// - [`wait`](Self::wait) blocks until the result is in;
/// - [`wait_timeout`](Self::wait_timeout) does so for at most a while;
/// - [`ready`](Self::ready) tells without blocking;
/// - [`get`](Self::get) waits and takes the value;
/// - `.await` does the same from async code, under any runtime.
///
/// Waiting fails with [`Error::ActorDied`] if the actor dies first.
/// Inside an actor, `uactor::spawn_blocking` and `uactor::spawn_task` make
/// one that a method can return.
pub struct AsyncResult<T> {
    state: Mutex<State<T>>,
}

enum State<T> {
    /// A call in flight on a connection.
    Remote {
        link: Link,
        request: u64,
        decode: fn(CodecId, &[u8]) -> Result<T>,
        /// What releases what the reply carries, if the handle is dropped
        /// before it arrives.
        late: fn(CodecId) -> Late,
    },
    /// Work running in this process: the future of its result.
    Local(Pin<Box<dyn Future<Output = Result<T>> + Send>>),
    /// The result is in.
    Done(Result<T>),
    /// The value was taken.
    Taken,
}

fn decode<T: DeserializeOwned>(codec: CodecId, bytes: &[u8]) -> Result<T> {
    codec.decode(bytes)
}

/// Decodes what travelled for a `T` ([`Carried`]) and converts it.
fn decode_carried<T: Carried>(codec: CodecId, bytes: &[u8]) -> Result<T> {
    codec.decode(bytes).map(T::from_wire)
}

impl<T: DeserializeOwned> AsyncResult<T> {
    /// The result of call `request` on `link`.
    pub(crate) fn remote(link: Link, request: u64) -> Self {
        AsyncResult {
            state: Mutex::new(State::Remote {
                link,
                request,
                decode: decode::<T>,
                late: release::<T>,
            }),
        }
    }
}

impl<T: Send + 'static> AsyncResult<T> {
    /// A result that `receiver` will deliver.
    pub(crate) fn local(receiver: oneshot::Receiver<Result<T>>) -> Self {
        AsyncResult {
            state: Mutex::new(State::Local(Box::pin(async move {
                receiver.await.unwrap_or_else(|_| Err(canceled()))
            }))),
        }
    }
}

/// The handle on a result that travels in another form than its own
/// ([`Carried`]: bytes): how a generated proxy hands out the `T` of a call
/// whose reply the actor encoded as `T::Wire`. Nothing is copied; the reply
/// is decoded as `T::Wire` when it comes.
#[doc(hidden)]
pub fn carried_result<T: Carried + Send + 'static>(wire: AsyncResult<T::Wire>) -> AsyncResult<T> {
    let state = std::mem::replace(
        &mut *wire.state.lock().unwrap_or_else(PoisonError::into_inner),
        State::Taken,
    );
    let state = match state {
        // A call's handle decodes its reply as `T::Wire` (it was made by
        // `remote`), so decoding it so and converting is the same decode.
        State::Remote {
            link,
            request,
            decode: _,
            late,
        } => State::Remote {
            link,
            request,
            decode: decode_carried::<T>,
            late,
        },
        State::Local(future) => {
            State::Local(Box::pin(async move { future.await.map(T::from_wire) }))
        }
        State::Done(result) => State::Done(result.map(T::from_wire)),
        State::Taken => State::Taken,
    };
    AsyncResult {
        state: Mutex::new(state),
    }
}

impl<T> AsyncResult<T> {
    /// A result that is already in.
    pub fn ready_with(result: Result<T>) -> Self {
        AsyncResult {
            state: Mutex::new(State::Done(result)),
        }
    }

    /// Blocks until the result is in (or `timeout` passes, when given);
    /// returns whether it is in.
    fn settle(&self, timeout: Option<Duration>) -> Result<bool> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let settled = match &mut *state {
            State::Done(_) => return Ok(true),
            State::Taken => return Err(Error::proxy("the result was already taken")),
            State::Remote {
                link,
                request,
                decode,
                ..
            } => {
                let codec = link.codec();
                let decode = *decode;
                match link.wait(*request, timeout.map(Deadline::after), |bytes| {
                    decode(codec, bytes)
                }) {
                    Err(Error::Timeout { .. }) if timeout.is_some() => return Ok(false),
                    result => result,
                }
            }
            State::Local(future) => match receive(future, timeout) {
                Some(result) => result,
                None => return Ok(false),
            },
        };
        *state = State::Done(settled);
        Ok(true)
    }

    /// Blocks until the result is in. Fails only if it never will be (the
    /// actor died); the method's own outcome is [`get`](Self::get)'s.
    pub fn wait(&self) -> Result<()> {
        self.settle(None)?;
        match &*self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            State::Done(Err(error)) if error.is_fatal() => Err(error.clone()),
            _ => Ok(()),
        }
    }

    /// Blocks until the result is in or `timeout` passes; returns whether
    /// it is in.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool> {
        self.settle(Some(timeout))
    }

    /// Whether the result is in. Never blocks.
    pub fn ready(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *state {
            State::Done(_) | State::Taken => true,
            State::Remote { link, request, .. } => link.is_ready(*request),
            State::Local(future) => match poll_now(future) {
                Some(result) => {
                    *state = State::Done(result);
                    true
                }
                None => false,
            },
        }
    }

    /// Waits for the result and takes it.
    pub fn get(self) -> Result<T> {
        self.settle(None)?;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *state, State::Taken) {
            State::Done(result) => result,
            _ => Err(Error::proxy("the result was already taken")),
        }
    }
}

/// The local result if it is in; never blocks.
fn poll_now<T>(future: &mut Pin<Box<dyn Future<Output = Result<T>> + Send>>) -> Option<Result<T>> {
    match future
        .as_mut()
        .poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
    {
        Poll::Ready(result) => Some(result),
        Poll::Pending => None,
    }
}

/// Waits on a local result, at most `timeout`; `None` if it passed.
fn receive<T>(
    future: &mut Pin<Box<dyn Future<Output = Result<T>> + Send>>,
    timeout: Option<Duration>,
) -> Option<Result<T>> {
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    loop {
        if let Some(result) = poll_now(future) {
            return Some(result);
        }
        match deadline {
            Some(deadline) if Instant::now() >= deadline => return None,
            Some(deadline) => {
                let pause = deadline
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(1));
                std::thread::sleep(pause);
            }
            None => return Some(futures::executor::block_on(future)),
        }
    }
}

fn canceled() -> Error {
    Error::Remote {
        message: "the task was dropped before it finished".into(),
    }
}

/// A handle dropped before its result came gives up on the call: the actor
/// withdraws it where it can, and what a late result carries is released.
impl<T> Drop for AsyncResult<T> {
    fn drop(&mut self) {
        if let State::Remote {
            link,
            request,
            late,
            ..
        } = &*self.state.lock().unwrap_or_else(PoisonError::into_inner)
        {
            link.abandon(*request, Some(late(link.codec())));
        }
    }
}

impl<T> fmt::Debug for AsyncResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            State::Remote { request, .. } => format!("waiting for reply {request}"),
            State::Local(_) => "running".to_owned(),
            State::Done(Ok(_)) => "done".to_owned(),
            State::Done(Err(error)) => format!("failed: {error}"),
            State::Taken => "taken".to_owned(),
        };
        f.debug_struct("AsyncResult")
            .field("state", &state)
            .finish()
    }
}

impl<T: Send + 'static> IntoFuture for AsyncResult<T> {
    type Output = Result<T>;
    type IntoFuture = AsyncResultFuture<T>;

    fn into_future(self) -> AsyncResultFuture<T> {
        AsyncResultFuture { result: self }
    }
}

/// The future of an [`AsyncResult`]: resolves to its value.
pub struct AsyncResultFuture<T> {
    result: AsyncResult<T>,
}

impl<T> fmt::Debug for AsyncResultFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.result.fmt(f)
    }
}

impl<T> Future for AsyncResultFuture<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Result<T>> {
        let mut state = self
            .result
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let result = match &mut *state {
            State::Done(_) => match std::mem::replace(&mut *state, State::Taken) {
                State::Done(result) => result,
                _ => unreachable!("matched Done above"),
            },
            State::Taken => Err(Error::proxy("the result was already taken")),
            State::Remote {
                link,
                request,
                decode,
                ..
            } => {
                let codec = link.codec();
                let decode = *decode;
                match link.poll(*request, context, |bytes| decode(codec, bytes)) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => {
                        *state = State::Taken;
                        result
                    }
                }
            }
            State::Local(future) => match future.as_mut().poll(context) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    *state = State::Taken;
                    result
                }
            },
        };
        Poll::Ready(result)
    }
}

/// The future of one call made through an async twin: resolves to the
/// method's value.
///
/// Nothing is sent before the future is first polled (so a thousand of them
/// made at once queue nothing), and the call's bound counts from when it was
/// made. Past the connection's bound on calls in flight it stays pending
/// until a slot frees. Dropping it before it resolves gives up on the call:
/// the actor withdraws it where it can (a method waiting on the actor's
/// runtime is dropped at its next await point, a built-in wait takes
/// nothing), and what a late reply carries is released.
#[must_use = "a call's future does nothing unless polled"]
pub struct CallFuture<R> {
    call: Option<Pending>,
    early: Option<Error>,
    /// Decodes the reply.
    decode: fn(CodecId, &[u8]) -> Result<R>,
}

/// A call made and not resolved.
struct Pending {
    link: Link,
    object: u64,
    method: u16,
    label: &'static str,
    /// Encodes the arguments: taken when the request goes.
    encode: Option<Encode>,
    /// The request, once it went.
    request: Option<u64>,
    deadline: Option<Deadline>,
    /// The deadline the connection's reader thread keeps for it.
    timer: Option<(Instant, u64)>,
    /// Where it waits to send.
    tickets: Tickets,
    /// What releases what a reply carries, if the future is dropped before
    /// it arrives.
    late: Option<Late>,
}

impl<R: DeserializeOwned> CallFuture<R> {
    /// The future of a call to `method` of `object` over `link`.
    pub(crate) fn new(
        link: Link,
        object: u64,
        method: u16,
        label: &'static str,
        encode: Encode,
        deadline: Option<Deadline>,
        late: Late,
    ) -> Self {
        CallFuture {
            call: Some(Pending {
                link,
                object,
                method,
                label,
                encode: Some(encode),
                request: None,
                deadline,
                timer: None,
                tickets: Tickets::default(),
                late: Some(late),
            }),
            early: None,
            decode: decode::<R>,
        }
    }

    /// The future of a call that failed before it could be made.
    pub(crate) fn failed(error: Error) -> Self {
        CallFuture {
            call: None,
            early: Some(error),
            decode: decode::<R>,
        }
    }
}

/// The future of a call whose result travels in another form than its own
/// ([`Carried`]: bytes), as [`carried_result`] is for a handle.
#[doc(hidden)]
pub fn carried_future<R: Carried>(wire: CallFuture<R::Wire>) -> CallFuture<R> {
    CallFuture {
        call: wire.call,
        early: wire.early,
        decode: decode_carried::<R>,
    }
}

impl<R> fmt::Debug for CallFuture<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallFuture")
            .field("request", &self.call.as_ref().and_then(|call| call.request))
            .finish()
    }
}

impl<R> Future for CallFuture<R> {
    type Output = Result<R>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Result<R>> {
        if let Some(error) = self.early.take() {
            return Poll::Ready(Err(error));
        }
        let decode = self.decode;
        let Some(call) = self.call.as_mut() else {
            return Poll::Ready(Err(Error::proxy(
                "the call's future was polled after it resolved",
            )));
        };
        let polled = call.poll(context, decode);
        if polled.is_ready()
            && let Some(mut call) = self.call.take()
        {
            call.link.disarm(&mut call.timer);
        }
        polled
    }
}

impl Pending {
    fn poll<R>(
        &mut self,
        context: &mut Context<'_>,
        decode: fn(CodecId, &[u8]) -> Result<R>,
    ) -> Poll<Result<R>> {
        if let Some(deadline) = self.deadline
            && deadline.passed()
        {
            if let Some(request) = self.request.take() {
                self.link.abandon(request, self.late.take());
            }
            return Poll::Ready(Err(deadline.error()));
        }
        let request = match self.request {
            Some(request) => request,
            None => {
                #[cfg(feature = "tracing")]
                let scope = crate::trace::call(self.label, self.method);
                #[cfg(not(feature = "tracing"))]
                let _ = self.label;
                match self.link.poll_send(
                    context,
                    &mut self.tickets,
                    Kind::Request,
                    self.object,
                    self.method,
                    &mut self.encode,
                ) {
                    Poll::Ready(Ok(request)) => {
                        #[cfg(feature = "tracing")]
                        scope.sent(request);
                        self.request = Some(request);
                        request
                    }
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => {
                        self.keep_deadline(context);
                        return Poll::Pending;
                    }
                }
            }
        };
        let codec = self.link.codec();
        match self
            .link
            .poll(request, context, |bytes| decode(codec, bytes))
        {
            Poll::Ready(result) => {
                self.request = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                self.keep_deadline(context);
                Poll::Pending
            }
        }
    }

    /// Has the connection's reader thread wake this future when its
    /// deadline passes, whatever else happens meanwhile.
    fn keep_deadline(&mut self, context: &mut Context<'_>) {
        if let Some(deadline) = self.deadline {
            self.link.arm(deadline.at(), context, &mut self.timer);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.link.disarm(&mut self.timer);
        self.link.leave(&mut self.tickets);
        if let Some(request) = self.request.take() {
            self.link.abandon(request, self.late.take());
        }
    }
}

/// Runs blocking `work` on a thread of its own; the future resolves to what
/// it returns. For the blocking parts of starting and ending an actor (a
/// fork and exec, the wait for a process to end), which must not hold up
/// an async executor's thread.
pub(crate) fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> impl Future<Output = Result<T>> + Send + 'static {
    let (sender, receiver) = oneshot::channel();
    let started = std::thread::Builder::new()
        .name("uactor-blocking".into())
        .spawn(move || {
            let _ = sender.send(work());
        });
    async move {
        started.map_err(|error| Error::io("starting a thread", error))?;
        receiver.await.unwrap_or_else(|_| Err(canceled()))
    }
}
