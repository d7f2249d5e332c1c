//! Serving one connection: authenticate it, then read its frames one after
//! another and answer each on this thread, or hand the answer to the
//! actor's runtime when it comes later.

use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt;
use uactor_core::frame::{FrameBuffer, HEADER_LEN, Header, Kind};
use uactor_core::{Call, CodecId, Connection, Deferred, Error, FrameWrite, Result};
use uactor_transport::handshake;

use super::{State, panic, runtime, table, waiting};

/// A connection's writing half, shared by whoever replies on it.
pub(crate) type SharedWriter = Mutex<Box<dyn FrameWrite>>;

/// When a call's reply goes out.
enum Reply<'b> {
    /// Now: this frame.
    Now(&'b [u8]),
    /// When this future, run on the actor's runtime, resolves.
    Later(Deferred),
}

/// Authenticates `connection` and serves it until it closes, breaks or
/// asks for shutdown. A connection that fails drops only itself: the actor
/// serves the others.
pub(crate) fn serve(state: &State, mut connection: Connection) {
    let settings = &state.settings;
    let codec = match handshake::server(
        &mut connection,
        &settings.authkey,
        settings.codec,
        handshake::Welcome {
            pid: state.pid,
            kind: uactor_core::protocol::tag(settings.served),
        },
        settings.handshake_timeout,
        settings.max_frame_size,
    ) {
        Ok(codec) => codec,
        Err(_) => return,
    };
    let Connection { mut reader, writer } = connection;
    let writer = Arc::new(Mutex::new(writer));
    state.opened(&writer);
    let mut reply = FrameBuffer::new();
    // References this connection holds: given back when it closes.
    let mut held = table::Held::default();
    // What objects undo when it closes (a lock it holds, its waits).
    let open = waiting::Open::new();
    while let Ok(frame) = reader.read_frame() {
        let Ok((header, payload)) = Header::parse(frame) else {
            break;
        };
        // A traced caller's context comes first; the span of serving it
        // lasts until the reply is written (or handed to the runtime).
        let (_caller, payload) = crate::trace::split(header, payload);
        #[cfg(feature = "tracing")]
        let _serving = (header.kind == Kind::Request)
            .then(|| crate::trace::serve(settings.served, header, _caller));
        match header.kind {
            Kind::Request => match call(state, codec, open.id(), header, payload, &mut reply) {
                Reply::Now(frame) => {
                    let sent = writer
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .write_frame(frame);
                    reply.shrink();
                    if sent.is_err() {
                        break;
                    }
                }
                Reply::Later(deferred) => {
                    defer(state, codec, header.request, deferred, Arc::clone(&writer))
                }
            },
            Kind::IncRef | Kind::DecRef | Kind::Adopt => held.apply(header.kind, header.object),
            Kind::Stats => {
                let frame = state.stats(codec, header.request);
                if writer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .write_frame(&frame)
                    .is_err()
                {
                    break;
                }
            }
            Kind::Shutdown => {
                state.shutdown(header.request, &writer);
                break;
            }
            _ => break,
        }
    }
    state.closed(&writer);
}

/// Runs one request and returns its reply frame, or the future of it.
fn call<'b>(
    state: &State,
    codec: CodecId,
    connection: u64,
    header: Header,
    payload: &[u8],
    reply: &'b mut FrameBuffer,
) -> Reply<'b> {
    reply.start();
    state.stats.received();
    let mut call = Call::new(codec, payload, reply.payload()).on_connection(connection);
    let outcome = panic::catch(|| state.manager.serve(header.object, header.method, &mut call));
    let deferred = call.take_deferred();
    let max = state.settings.max_frame_size as usize;
    let result = match outcome {
        Ok(()) if reply.len() - HEADER_LEN > max => Err(Error::FrameTooLarge {
            size: reply.len() as u64,
            max: max as u64,
        }),
        other => other,
    };
    match (result, deferred) {
        // Counted when it resolves.
        #[cfg(not(feature = "tracing"))]
        (Ok(()), Some(deferred)) => Reply::Later(deferred),
        #[cfg(feature = "tracing")]
        (Ok(()), Some(deferred)) => Reply::Later(crate::trace::follow(deferred)),
        (Ok(()), None) => {
            state.stats.answered();
            Reply::Now(reply.finish(Header::new(Kind::Reply, header.request)))
        }
        (Err(error), _) => {
            state.stats.failed(&error);
            #[cfg(feature = "tracing")]
            crate::trace::failed(&error);
            Reply::Now(failure(codec, header.request, &error, reply))
        }
    }
}

/// Runs a deferred reply on the actor's runtime; its frame is written when
/// it resolves, from the runtime's thread.
fn defer(
    state: &State,
    codec: CodecId,
    request: u64,
    deferred: Deferred,
    writer: Arc<SharedWriter>,
) {
    let max = state.settings.max_frame_size as usize;
    let fallback = Arc::clone(&writer);
    let stats = Arc::clone(&state.stats);
    let reply = move |result: Result<Vec<u8>>| {
        let mut frame = FrameBuffer::new();
        let result = match result {
            Ok(bytes) if bytes.len() + HEADER_LEN > max => Err(Error::FrameTooLarge {
                size: bytes.len() as u64,
                max: max as u64,
            }),
            other => other,
        };
        let frame = match &result {
            Ok(bytes) => {
                stats.answered();
                frame.start();
                frame.payload().extend_from_slice(bytes);
                frame.finish(Header::new(Kind::Reply, request))
            }
            Err(error) => {
                stats.failed(error);
                failure(codec, request, error, &mut frame)
            }
        };
        let _ = writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_frame(frame);
    };
    let job: runtime::Job = Box::new(move || {
        Box::pin(async move {
            let result = std::panic::AssertUnwindSafe(async move { deferred().await })
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| {
                    Err(Error::Remote {
                        message: panic::message(&*panic),
                    })
                });
            reply(result);
        })
    });
    if let Err(error) = runtime::submit(job) {
        state.stats.failed(&error);
        let mut frame = FrameBuffer::new();
        let frame = failure(codec, request, &error, &mut frame);
        let _ = fallback
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_frame(frame);
    }
}

/// Builds a failure frame carrying `error` for `request`.
pub(crate) fn failure<'b>(
    codec: CodecId,
    request: u64,
    error: &Error,
    frame: &'b mut FrameBuffer,
) -> &'b [u8] {
    frame.start();
    if codec.encode(error, frame.payload()).is_err() {
        frame.start();
        let _ = codec.encode(
            &Error::codec("the error could not be encoded"),
            frame.payload(),
        );
    }
    frame.finish(Header::new(Kind::Failure, request))
}
