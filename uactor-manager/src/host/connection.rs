//! Serving one connection: authenticate it, then read its frames one after
//! another and answer each on this thread, or hand the answer to the
//! actor's runtime when it comes later.
//!
//! Replies go out through the connection's [`Outbox`], so this thread never
//! waits on a client that does not read: replies to requests already
//! received are queued and leave together in one write; a client whose
//! queued replies pass the bound gets no more requests read until it reads,
//! and one that reads nothing for the write deadline is disconnected. The
//! actor's runtime queues deferred replies and never waits either. A
//! `Cancel` drops the caller's deferred method at its next await point.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures::FutureExt;
use futures::future::{AbortHandle, Abortable};
use uactor_core::frame::{self, ACTOR_OBJECT, Header, Kind};
use uactor_core::{Call, CodecId, Connection, Deferred, Error};
use uactor_transport::handshake;

use super::admission::Admitted;
use super::{State, panic, runtime, table, waiting};
use crate::call::chain;
use crate::wire::{Frame, Limits, Outbox, Spin};

/// When a call's reply goes out.
enum Reply {
    /// Now: this frame.
    Now(Frame),
    /// When this future, run on the actor's runtime, resolves.
    Later(Deferred),
}

/// The deferred calls of one connection still running, by request: what a
/// `Cancel`, or the connection closing, drops.
#[derive(Default)]
struct Deferreds(Mutex<HashMap<u64, AbortHandle>>);

impl Deferreds {
    fn add(&self, request: u64, handle: AbortHandle) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request, handle);
    }

    fn done(&self, request: u64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&request);
    }

    fn cancel(&self, request: u64) {
        if let Some(handle) = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&request)
        {
            handle.abort();
        }
    }

    fn cancel_all(&self) {
        let handles = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for handle in handles.into_values() {
            handle.abort();
        }
    }
}

/// Authenticates `connection` and serves it until it closes, breaks or
/// asks for shutdown. A connection that fails drops only itself: the actor
/// serves the others.
pub(crate) fn serve(
    state: &State,
    mut connection: Connection,
    mut admitted: Admitted,
    accepted: Instant,
) {
    let settings = &state.settings;
    // The handshake's deadline counts from the accept: time spent at the
    // door is the peer's.
    let Some(left) = settings
        .serving
        .handshake_timeout
        .checked_sub(accepted.elapsed())
        .filter(|left| !left.is_zero())
    else {
        return;
    };
    let codec = match handshake::server(
        &mut connection,
        &settings.authkey,
        settings.serving.codec,
        handshake::Welcome {
            pid: state.pid,
            kind: uactor_core::protocol::tag(settings.served),
        },
        left,
        settings.serving.max_frame_size,
    ) {
        Ok(codec) => codec,
        Err(_) => return,
    };
    admitted.authenticated();
    serve_authenticated(state, connection, codec);
}

/// How serving a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The client asked the actor to shut down.
    Shutdown,
    /// The client closed it, broke it, or the host closed it.
    Closed,
}

/// Serves `connection`, whose client has proved the key (or, for the
/// owner's channel, could not have had it without the key), until it
/// closes, breaks or asks for shutdown.
pub(crate) fn serve_authenticated(state: &State, connection: Connection, codec: CodecId) -> Ended {
    let settings = &state.settings;
    let mut ended = Ended::Closed;
    let Connection { mut reader, writer } = connection;
    let outbox = Arc::new(Outbox::new(
        writer,
        Limits {
            max_bytes: settings.serving.max_queued_bytes,
            write_timeout: Some(settings.serving.write_timeout),
            spin: settings.serving.spin,
        },
    ));
    state.opened(&outbox);
    let deferreds = Arc::new(Deferreds::default());
    // References this connection holds: given back when it closes.
    let mut held = table::Held::default();
    // What objects undo when it closes (a lock it holds, its waits).
    let open = waiting::Open::new();
    // How long this client's requests take to come: how long to poll for
    // the next one before sleeping.
    let spin = Spin::new(settings.serving.spin);
    let mut waiting_since = None;
    loop {
        // A client that does not read its replies gets no more requests
        // read until it does; one that reads nothing for the write deadline
        // is disconnected (which ends this wait too).
        if outbox.wait_room(None).is_err() {
            break;
        }
        if !reader.buffered() {
            let since = Instant::now();
            let polled = spin.poll(since, || match reader.poll_frame() {
                Some(Ok(false)) => None,
                _ => Some(()),
            });
            if polled.is_none() {
                // Learnt once the request is here (below).
                waiting_since = Some(since);
            }
        }
        let Ok((frame, separated)) = reader.read_frame_attached() else {
            break;
        };
        if let Some(since) = waiting_since.take() {
            spin.learn(since.elapsed());
        }
        let Ok((header, payload, attached)) = Header::parse(frame).and_then(|(header, payload)| {
            crate::wire::unpack(&header, payload, separated)
                .map(|(payload, attached)| (header, payload, attached))
        }) else {
            break;
        };
        // A traced caller's context comes first, then the call chain; the
        // span of serving lasts until the reply is queued (or handed to the
        // runtime).
        let (_caller, payload) = crate::trace::split(header, payload);
        let (chain, payload) = chain::split(header, payload);
        #[cfg(feature = "tracing")]
        let _serving = (header.kind == Kind::Request)
            .then(|| crate::trace::serve(settings.served, header, _caller));
        let sent = match header.kind {
            Kind::Request => match call(
                state,
                codec,
                open.id(),
                header,
                (payload, attached),
                chain,
                &outbox,
            ) {
                Reply::Now(frame) => outbox.enqueue(header.request, frame),
                Reply::Later(deferred) => {
                    defer(state, codec, header.request, deferred, &outbox, &deferreds);
                    Ok(())
                }
            },
            Kind::Cancel => {
                deferreds.cancel(header.request);
                Ok(())
            }
            Kind::IncRef | Kind::DecRef | Kind::Adopt => {
                held.apply(header.kind, header.object);
                Ok(())
            }
            Kind::Stats => outbox.enqueue(header.request, state.stats(codec, header.request)),
            Kind::Shutdown => {
                state.shutdown(header.request, &outbox);
                ended = Ended::Shutdown;
                break;
            }
            _ => break,
        };
        // Replies to requests already here leave with theirs, in one write.
        if sent.is_err() || (!reader.buffered() && outbox.flush().is_err()) {
            break;
        }
    }
    deferreds.cancel_all();
    outbox.close(Error::Closed);
    state.closed(&outbox);
    ended
}

/// Runs one request and returns its reply frame, or the future of it.
fn call(
    state: &State,
    codec: CodecId,
    connection: u64,
    header: Header,
    (payload, attached): (&[u8], Vec<Vec<u8>>),
    chain: Vec<u64>,
    outbox: &Outbox,
) -> Reply {
    state.stats.received();
    let mut reply = outbox.buffer();
    frame::start(&mut reply);
    // On a byte stream, `Bytes` in the reply go beside it, from their own
    // buffers.
    let stream = outbox.attaches();
    let mut call = Call::new(codec, payload, &mut reply)
        .on_connection(connection)
        .attachments(attached, true);
    let outcome = if header.object == ACTOR_OBJECT && chain.contains(&chain::this_actor()) {
        // A method of this actor waits, through the chain of callers, for
        // this very call: it could only run once that method returns.
        Err(Error::Reentrant {
            actor: state.settings.served.to_owned(),
        })
    } else {
        let _serving = chain::Serving::enter(chain, header.object == ACTOR_OBJECT);
        panic::catch(|| state.manager.serve(header.object, header.method, &mut call))
    };
    let deferred = call.take_deferred();
    let reply_attached = call.take_attached();
    let result = outcome.and_then(|()| {
        Frame::seal(
            reply,
            Header::new(Kind::Reply, header.request),
            reply_attached,
            state.settings.serving.max_frame_size,
            stream,
        )
    });
    match (result, deferred) {
        // Counted when it resolves.
        #[cfg(not(feature = "tracing"))]
        (Ok(_), Some(deferred)) => Reply::Later(deferred),
        #[cfg(feature = "tracing")]
        (Ok(_), Some(deferred)) => Reply::Later(crate::trace::follow(deferred)),
        (Ok(frame), None) => {
            state.stats.answered();
            Reply::Now(frame)
        }
        (Err(error), _) => {
            state.stats.failed(&error);
            #[cfg(feature = "tracing")]
            crate::trace::failed(&error);
            Reply::Now(failure(codec, header.request, &error, outbox.buffer()).into())
        }
    }
}

/// Runs a deferred reply on the actor's runtime, where a `Cancel` can drop
/// it; its frame is queued when it resolves (the runtime never waits on a
/// client).
fn defer(
    state: &State,
    codec: CodecId,
    request: u64,
    deferred: Deferred,
    outbox: &Arc<Outbox>,
    deferreds: &Arc<Deferreds>,
) {
    let max = state.settings.serving.max_frame_size;
    let stats = Arc::clone(&state.stats);
    let (abort, registration) = AbortHandle::new_pair();
    deferreds.add(request, abort);
    let fallback = Arc::clone(outbox);
    let outbox = Arc::clone(outbox);
    let running = Arc::clone(deferreds);
    let job: runtime::Job = Box::new(move || {
        Box::pin(async move {
            let work = std::panic::AssertUnwindSafe(async move { deferred().await }).catch_unwind();
            let result = match Abortable::new(work, registration).await {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => Err(Error::Remote {
                    message: panic::message(&*panic),
                }),
                Err(_aborted) => Err(Error::proxy("the call was given up by its caller")),
            };
            running.done(request);
            let mut frame = outbox.buffer();
            let frame = match result.and_then(|bytes| {
                frame::start(&mut frame);
                frame.extend_from_slice(&bytes);
                frame::finish(&mut frame, Header::new(Kind::Reply, request), max)
            }) {
                Ok(()) => {
                    stats.answered();
                    frame
                }
                Err(error) => {
                    stats.failed(&error);
                    failure(codec, request, &error, frame)
                }
            };
            let _ = outbox.send(request, frame);
        })
    });
    if let Err(error) = runtime::submit(job) {
        deferreds.done(request);
        state.stats.failed(&error);
        let frame = failure(codec, request, &error, fallback.buffer());
        let _ = fallback.send(request, frame);
    }
}

/// A failure frame carrying `error` for `request`, built in `buffer`.
pub(crate) fn failure(codec: CodecId, request: u64, error: &Error, mut buffer: Vec<u8>) -> Vec<u8> {
    frame::start(&mut buffer);
    if codec.encode(error, &mut buffer).is_err() {
        frame::start(&mut buffer);
        let _ = codec.encode(&Error::codec("the error could not be encoded"), &mut buffer);
    }
    // A failure is small: it always fits.
    let _ = frame::finish(&mut buffer, Header::new(Kind::Failure, request), u32::MAX);
    buffer
}
