//! The actor host: accepts connections, authenticates them, and serves
//! their requests one at a time.
//!
//! Each connection has one thread that reads a request, runs it on the
//! [`Manager`] under a lock (so `&mut self` methods run one at a time, in the
//! order their requests were read), and writes the reply itself: no hop to
//! another thread on the call path.

use std::any::Any;
use std::cell::RefCell;
use std::os::unix::net::UnixStream;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::thread;
use std::time::Duration;

use futures::FutureExt;
use uactor_core::frame::{FrameBuffer, Header, Kind};
use uactor_core::{
    Actor, Call, Cell, CodecId, Connection, Deferred, Error, FrameWrite, Listener, Manager, Result,
};
use uactor_transport::{Authkey, framing, handshake};

use crate::bootstrap::{self, Bootstrap, Report};
use crate::{builtins, context, object, runtime};

/// Serves one actor and nothing else (objects it hands out come later).
pub struct ActorManager<A: Actor> {
    cell: Arc<A::Cell>,
}

impl<A: Actor> ActorManager<A> {
    /// A manager serving `actor` as object 0.
    pub fn new(actor: A) -> Self {
        let cell = Arc::new(<A::Cell as Cell<A>>::new(actor));
        // Where the actor lives, so `uactor::proxy(self)` can tell it apart.
        cell.with(|actor| builtins::hosting(actor));
        ActorManager { cell }
    }
}

impl<A: Actor> std::fmt::Debug for ActorManager<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorManager")
            .field("actor", &A::NAME)
            .finish()
    }
}

impl<A: Actor> Manager for ActorManager<A> {
    #[inline]
    fn serve(&mut self, object: u64, method: u16, call: &mut Call<'_>) -> Result<()> {
        if object != uactor_core::frame::ACTOR_OBJECT {
            return Err(Error::proxy(format!(
                "{} holds no object {object}",
                A::NAME
            )));
        }
        A::dispatch(&self.cell, method, call)
    }

    fn shutdown(&mut self) {
        self.cell.with(A::on_shutdown);
    }
}

/// When a call's reply goes out.
enum Reply<'b> {
    /// Now: this frame.
    Now(&'b [u8]),
    /// When this future, run on the actor's runtime, resolves.
    Later(Deferred),
}

/// A connection's writing half, shared by whoever replies on it.
type SharedWriter = Mutex<Box<dyn FrameWrite>>;

/// What a host needs to know besides its manager.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// The key clients must prove they know.
    pub authkey: Authkey,
    /// The codec clients must speak.
    pub codec: CodecId,
    /// The largest frame accepted after the handshake.
    pub max_frame_size: u32,
    /// How long a connection may take to authenticate.
    pub handshake_timeout: Duration,
    /// The name of the served type, which clients check (`Actor::NAME`).
    pub served: &'static str,
}

/// Serves a [`Manager`] to every connection a [`Listener`] accepts.
#[derive(Debug)]
pub struct Host<M> {
    shared: Arc<Shared<M>>,
}

#[derive(Debug)]
struct Shared<M> {
    manager: Mutex<Option<M>>,
    settings: HostSettings,
    pid: u32,
    /// Calls served, failed and in flight, for `Kind::Stats`.
    stats: Arc<crate::stats::Counters>,
    /// Writers of open connections, to say goodbye on shutdown.
    writers: Mutex<Vec<Weak<SharedWriter>>>,
    finished: Mutex<bool>,
    finished_signal: Condvar,
}

impl<M: Manager> Host<M> {
    /// A host serving `manager`.
    pub fn new(manager: M, settings: HostSettings) -> Self {
        Host {
            shared: Arc::new(Shared {
                manager: Mutex::new(Some(manager)),
                settings,
                pid: std::process::id(),
                stats: Arc::new(crate::stats::Counters::new()),
                writers: Mutex::new(Vec::new()),
                finished: Mutex::new(false),
                finished_signal: Condvar::new(),
            }),
        }
    }

    /// Accepts and serves connections until a client asks for shutdown and
    /// the manager's shutdown hooks have run.
    pub fn run(self, mut listener: Box<dyn Listener>) {
        let shared = Arc::clone(&self.shared);
        let accepting = thread::Builder::new()
            .name("uactor-accept".into())
            .spawn(move || {
                loop {
                    match listener.accept() {
                        Ok(connection) => {
                            let shared = Arc::clone(&shared);
                            let spawned = thread::Builder::new()
                                .name("uactor-connection".into())
                                .spawn(move || shared.serve_connection(connection));
                            if spawned.is_err() {
                                // Out of threads: the connection is dropped, the
                                // client sees it closed; keep serving the others.
                                thread::sleep(Duration::from_millis(10));
                            }
                        }
                        Err(Error::Closed) => return,
                        // A failed accept (descriptors exhausted, a peer that
                        // vanished) must not end the actor, nor spin.
                        Err(_) => thread::sleep(Duration::from_millis(10)),
                    }
                }
            });
        if accepting.is_err() {
            return;
        }
        let mut finished = self
            .shared
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*finished {
            finished = self
                .shared
                .finished_signal
                .wait(finished)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl<M: Manager> Shared<M> {
    fn serve_connection(&self, mut connection: Connection) {
        let settings = &self.settings;
        let codec = match handshake::server(
            &mut connection,
            &settings.authkey,
            settings.codec,
            handshake::Welcome {
                pid: self.pid,
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
        self.writers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&writer));
        let mut reply = FrameBuffer::new();
        // References this connection holds: given back when it closes.
        let mut held = object::Held::default();
        // What objects undo when it closes (a lock it holds, its waits).
        let open = builtins::waiting::Open::new();
        // Closed, broken, oversized or hostile: drop this connection only;
        // the actor serves the others.
        while let Ok(frame) = reader.read_frame() {
            let Ok((header, payload)) = Header::parse(frame) else {
                break;
            };
            // A traced caller's context comes first; the span of serving it
            // lasts until the reply is written (or handed to the runtime).
            let (_caller, payload) = crate::trace::split(header, payload);
            #[cfg(feature = "tracing")]
            let _serving = (header.kind == Kind::Request)
                .then(|| crate::trace::serve(self.settings.served, header, _caller));
            match header.kind {
                Kind::Request => match self.call(codec, open.id(), header, payload, &mut reply) {
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
                        self.defer(codec, header.request, deferred, Arc::clone(&writer))
                    }
                },
                Kind::IncRef | Kind::DecRef | Kind::Adopt => held.apply(header.kind, header.object),
                Kind::Stats => {
                    let frame = self.stats(codec, header.request);
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
                    self.shutdown(header.request, &writer);
                    break;
                }
                _ => break,
            }
        }
        self.writers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|weak| {
                weak.strong_count() > 0 && !std::ptr::eq(weak.as_ptr(), Arc::as_ptr(&writer))
            });
    }

    /// Runs one request and returns its reply frame, or the future of it.
    fn call<'b>(
        &self,
        codec: CodecId,
        connection: u64,
        header: Header,
        payload: &[u8],
        reply: &'b mut FrameBuffer,
    ) -> Reply<'b> {
        reply.start();
        self.stats.received();
        let mut deferred = None;
        let outcome = if header.object != uactor_core::frame::ACTOR_OBJECT {
            // An object the actor handed out: served under its own lock, so
            // a blocking object call never holds up the actor.
            match object::table().map(|table| table.get(header.object)) {
                None => Err(Error::proxy("this process hands out no objects")),
                Some(Err(error)) => Err(error),
                Some(Ok(object)) => {
                    let mut call =
                        Call::new(codec, payload, reply.payload()).on_connection(connection);
                    let served = panic::catch_unwind(AssertUnwindSafe(|| {
                        object.serve(header.method, &mut call)
                    }))
                    .unwrap_or_else(|panic| {
                        Err(Error::Remote {
                            message: panic_message(&*panic),
                        })
                    });
                    deferred = call.take_deferred();
                    served
                }
            }
        } else {
            let mut manager = self.manager.lock().unwrap_or_else(PoisonError::into_inner);
            match manager.as_mut() {
                None => Err(Error::Closed),
                Some(manager) => {
                    let mut call =
                        Call::new(codec, payload, reply.payload()).on_connection(connection);
                    let served = panic::catch_unwind(AssertUnwindSafe(|| {
                        manager.serve(header.object, header.method, &mut call)
                    }))
                    .unwrap_or_else(|panic| {
                        Err(Error::Remote {
                            message: panic_message(&*panic),
                        })
                    });
                    deferred = call.take_deferred();
                    served
                }
            }
        };
        let result = match outcome {
            Ok(())
                if reply.len() - uactor_core::frame::HEADER_LEN
                    > self.settings.max_frame_size as usize =>
            {
                Err(Error::FrameTooLarge {
                    size: reply.len() as u64,
                    max: u64::from(self.settings.max_frame_size),
                })
            }
            other => other,
        };
        match (result, deferred) {
            // Counted when it resolves.
            #[cfg(not(feature = "tracing"))]
            (Ok(()), Some(deferred)) => Reply::Later(deferred),
            #[cfg(feature = "tracing")]
            (Ok(()), Some(deferred)) => Reply::Later(crate::trace::follow(deferred)),
            (Ok(()), None) => {
                self.stats.answered();
                Reply::Now(reply.finish(Header::new(Kind::Reply, header.request)))
            }
            (Err(error), _) => {
                self.stats.failed(&error);
                #[cfg(feature = "tracing")]
                crate::trace::failed(&error);
                Reply::Now(failure(codec, header.request, &error, reply))
            }
        }
    }

    /// Runs a deferred reply on the actor's runtime; its frame is written
    /// when it resolves, from the runtime's thread.
    fn defer(&self, codec: CodecId, request: u64, deferred: Deferred, writer: Arc<SharedWriter>) {
        let max = self.settings.max_frame_size as usize;
        let fallback = Arc::clone(&writer);
        let stats = Arc::clone(&self.stats);
        let reply = move |result: Result<Vec<u8>>| {
            let mut frame = FrameBuffer::new();
            match &result {
                Ok(bytes) if bytes.len() + uactor_core::frame::HEADER_LEN <= max => {
                    stats.answered()
                }
                Ok(_) => stats.errored(),
                Err(error) => stats.failed(error),
            }
            let frame = match result {
                Ok(bytes) if bytes.len() + uactor_core::frame::HEADER_LEN <= max => {
                    frame.start();
                    frame.payload().extend_from_slice(&bytes);
                    frame.finish(Header::new(Kind::Reply, request)).to_vec()
                }
                Ok(bytes) => {
                    let error = Error::FrameTooLarge {
                        size: bytes.len() as u64,
                        max: max as u64,
                    };
                    failure(codec, request, &error, &mut frame).to_vec()
                }
                Err(error) => failure(codec, request, &error, &mut frame).to_vec(),
            };
            let _ = writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .write_frame(&frame);
        };
        let job: runtime::Job = Box::new(move || {
            Box::pin(async move {
                let result = AssertUnwindSafe(async move { deferred().await })
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| {
                        Err(Error::Remote {
                            message: panic_message(&*panic),
                        })
                    });
                reply(result);
            })
        });
        if let Err(error) = runtime::submit(job) {
            self.stats.failed(&error);
            let mut frame = FrameBuffer::new();
            let frame = failure(codec, request, &error, &mut frame);
            let _ = fallback
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .write_frame(frame);
        }
    }

    /// Runs the shutdown hooks, answers the caller, tells every other
    /// connection goodbye, and lets `run` return.
    fn shutdown(&self, request: u64, caller: &Arc<SharedWriter>) {
        let manager = self
            .manager
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut manager) = manager {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| manager.shutdown()));
        }
        let goodbye = uactor_core::frame::encode(Header::new(Kind::Goodbye, 0), &[]);
        let writers =
            std::mem::take(&mut *self.writers.lock().unwrap_or_else(PoisonError::into_inner));
        for writer in writers.iter().filter_map(Weak::upgrade) {
            if !Arc::ptr_eq(&writer, caller) {
                let mut writer = writer.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = writer.set_timeout(Some(Duration::from_millis(100)));
                let _ = writer.write_frame(&goodbye);
            }
        }
        let mut done = Vec::new();
        let _ = CodecId::Postcard.encode(&(), &mut done);
        let reply = uactor_core::frame::encode(Header::new(Kind::Reply, request), &done);
        let _ = caller
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_frame(&reply);
        *self.finished.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.finished_signal.notify_all();
    }
}

impl<M> Shared<M> {
    /// The answer to a `Stats` frame: the host's own counters, served
    /// beside the actor, never by one of its methods.
    fn stats(&self, codec: CodecId, request: u64) -> Vec<u8> {
        let connections = self
            .writers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|writer| writer.strong_count() > 0)
            .count();
        let mut payload = Vec::new();
        match codec.encode(&self.stats.snapshot(connections), &mut payload) {
            Ok(()) => uactor_core::frame::encode(Header::new(Kind::Reply, request), &payload),
            Err(error) => failure(codec, request, &error, &mut FrameBuffer::new()).to_vec(),
        }
    }
}

/// Builds a failure frame carrying `error` for `request`.
fn failure<'b>(
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

thread_local! {
    /// The message and location of the last panic on this thread, recorded
    /// by the hook so the caller learns where its call went wrong.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records each panic's message and location for [`panic_message`], then
/// lets the previous hook print it as usual (on the actor's stderr).
pub(crate) fn record_panics() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        let recorded = match info.location() {
            Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
            None => message.to_owned(),
        };
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(recorded));
        previous(info);
    }));
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    LAST_PANIC
        .with(|last| last.borrow_mut().take())
        .unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned())
        })
}

/// The life of a spawned actor process, from its bootstrap to its exit.
pub(crate) fn serve_spawned<A: Actor>(bootstrap: Bootstrap, channel: UnixStream) -> ! {
    let Ok(report_end) = channel.try_clone() else {
        std::process::exit(bootstrap::BOOTSTRAP_FAILED);
    };
    let mut report = framing::connection(report_end);
    let fail = |report: &mut Connection, error: Error| -> ! {
        let _ = bootstrap::send(report, &Report::Failed { error });
        std::process::exit(1);
    };
    let authkey = match Authkey::new(&bootstrap.authkey) {
        Ok(key) => key,
        Err(error) => fail(&mut report, error),
    };
    context::inherit_authkey(authkey.clone());
    record_panics();
    // The program's own set-up for actor processes (a tracing subscriber),
    // before the constructor runs.
    crate::startup::run();

    let constructed = panic::catch_unwind(|| {
        let args: A::Args = bootstrap.codec.decode(&bootstrap.args)?;
        A::construct(args)
    });
    let actor = match constructed {
        Ok(Ok(actor)) => actor,
        Ok(Err(Error::Spawn { message })) => fail(&mut report, Error::spawn(message)),
        Ok(Err(error)) => fail(
            &mut report,
            Error::spawn(format!("the constructor of {} failed: {error}", A::NAME)),
        ),
        Err(panic) => fail(
            &mut report,
            Error::spawn(format!(
                "the constructor of {} panicked: {}",
                A::NAME,
                panic_message(&*panic)
            )),
        ),
    };

    let listener = match crate::endpoint::listen_spawned(&bootstrap.transport, &bootstrap.settings)
    {
        Ok(listener) => listener,
        Err(error) => fail(&mut report, error),
    };
    let address = listener.address();
    let settings = bootstrap.settings.clone();
    let forget = {
        let address = address.clone();
        move || crate::endpoint::forget(&address, &settings)
    };
    object::host_at(address.clone());
    if bootstrap::send(
        &mut report,
        &Report::Ready {
            address,
            pid: std::process::id(),
        },
    )
    .is_err()
    {
        forget();
        std::process::exit(bootstrap::BOOTSTRAP_FAILED);
    }
    let forget = std::sync::Arc::new(forget);
    watch_parent(channel, {
        let forget = std::sync::Arc::clone(&forget);
        move || forget()
    });

    let settings = HostSettings {
        authkey,
        codec: bootstrap.codec,
        max_frame_size: bootstrap.max_frame_size,
        handshake_timeout: bootstrap.handshake_timeout,
        served: A::NAME,
    };
    Host::new(ActorManager::new(actor), settings).run(listener);
    forget();
    exit(0)
}

/// Ends this process when the bootstrap channel reports end-of-file: the
/// parent is gone (or dropped its owner), and an actor outlives neither.
fn watch_parent(channel: UnixStream, forget: impl FnOnce() + Send + 'static) {
    let watching = thread::Builder::new()
        .name("uactor-parent".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            let mut byte = [0u8; 64];
            loop {
                match std::io::Read::read(&mut &channel, &mut byte) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            forget();
            exit(0);
        });
    if watching.is_err() {
        std::process::exit(bootstrap::BOOTSTRAP_FAILED);
    }
}

/// Exits after flushing what the actor printed.
fn exit(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

#[cfg(test)]
mod tests;
