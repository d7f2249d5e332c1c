//! The life of a spawned actor process, from before `main` to its exit:
//! it reads its bootstrap, runs the program's set-up for actor processes,
//! builds the actor, listens, reports to its owner, watches for its
//! owner's end, and serves the actor until it is shut down.

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::thread;

use uactor_core::{Connection, Error};
use uactor_transport::{Authkey, framing};

use super::bootstrap::{
    self, ACTOR_VARIABLE, BOOTSTRAP_DEADLINE, BOOTSTRAP_FAILED, Bootstrap, CHANNEL_VARIABLE, Report,
};
use crate::host::{self, HostSettings};
use crate::registry;

/// Before `main` (or in `uactor::init()`): if this process was spawned as an
/// actor, serve it and exit; otherwise return at once.
pub fn serve_if_spawned() {
    let Some(actor) = std::env::var_os(ACTOR_VARIABLE) else {
        return;
    };
    let channel = std::env::var(CHANNEL_VARIABLE)
        .ok()
        .and_then(|fd| fd.parse::<i32>().ok());
    super::sys::forget_marker(&[ACTOR_VARIABLE, CHANNEL_VARIABLE]);
    if super::sys::privileged() {
        eprintln!(
            "uactor: refusing to act as actor {actor:?}: this program runs set-uid or set-gid, \
             and its environment cannot be trusted; exiting"
        );
        std::process::exit(BOOTSTRAP_FAILED);
    }
    let adopted = match channel {
        Some(fd) => super::sys::adopt(fd),
        None => Err("no descriptor is named".to_owned()),
    };
    let stream = match adopted {
        Ok(stream) => stream,
        Err(why) => {
            eprintln!(
                "uactor: this process was started as actor {actor:?} without its bootstrap \
                 channel ({why}); exiting (do not set {ACTOR_VARIABLE} yourself)"
            );
            std::process::exit(BOOTSTRAP_FAILED);
        }
    };
    super::sys::ignore_sigpipe();
    super::sys::standard_streams();
    let Ok(writer_end) = stream.try_clone() else {
        std::process::exit(BOOTSTRAP_FAILED);
    };
    let mut report = framing::connection(writer_end);
    let bootstrap: Bootstrap = match bootstrap::receive(&mut report, BOOTSTRAP_DEADLINE) {
        Ok(bootstrap) => bootstrap,
        Err(error) => {
            eprintln!("uactor: actor {actor:?} received no bootstrap: {error}");
            std::process::exit(BOOTSTRAP_FAILED);
        }
    };
    // The deadline was for the bootstrap message only. The same socket is
    // then watched for the parent's end, which may come hours later: a read
    // that timed out there would end the actor.
    let _ = stream.set_read_timeout(None);
    run(bootstrap, report, stream)
}

/// Builds and serves the actor the bootstrap names, then exits.
fn run(mut bootstrap: Bootstrap, mut report: Connection, channel: UnixStream) -> ! {
    let fail = |report: &mut Connection, error: Error| -> ! {
        let _ = bootstrap::send(report, &Report::Failed { error });
        std::process::exit(1);
    };
    let Some(registration) = registry::find(&bootstrap.actor) else {
        let error = Error::spawn(format!(
            "actor type {:?} is not registered in {}; \
             spawn actors from the binary that declares them",
            bootstrap.actor,
            std::env::current_exe()
                .map(|path| path.display().to_string())
                .unwrap_or_default()
        ));
        let _ = bootstrap::send(&mut report, &Report::Failed { error });
        std::process::exit(BOOTSTRAP_FAILED);
    };
    let authkey = Authkey::new(&bootstrap.authkey.0);
    // The bootstrap's copy is wiped now (KeyBytes wipes on drop); the key
    // lives on in the Authkey alone.
    bootstrap.authkey = bootstrap::KeyBytes(Vec::new());
    let authkey = match authkey {
        Ok(key) => key,
        Err(error) => fail(&mut report, error),
    };
    host::serve::prepare(&authkey, bootstrap.panics);
    // The program's own set-up for actor processes (a tracing subscriber),
    // before the constructor runs.
    registry::run_actor_start();

    let name = registration.name();
    let constructed =
        host::panic::catch(|| (registration.construct)(bootstrap.serving.codec, &bootstrap.args));
    let manager = match constructed {
        Ok(manager) => manager,
        Err(Error::Spawn { message }) => fail(&mut report, Error::spawn(message)),
        Err(Error::Remote { message }) => fail(
            &mut report,
            Error::spawn(format!("the constructor of {name} panicked: {message}")),
        ),
        Err(error) => fail(
            &mut report,
            Error::spawn(format!("the constructor of {name} failed: {error}")),
        ),
    };

    let listener = match crate::endpoint::listen_spawned(&bootstrap.transport, &bootstrap.settings)
    {
        Ok(listener) => listener,
        Err(error) => fail(&mut report, error),
    };
    let address = listener.address();
    let forget = {
        let address = address.clone();
        let settings = bootstrap.settings.clone();
        Arc::new(move || crate::endpoint::forget(&address, &settings))
    };
    let ready = Report::Ready {
        address,
        pid: std::process::id(),
    };
    // Tells the owner the actor is ready, or exits if the owner is gone.
    let announce = {
        let forget = Arc::clone(&forget);
        move |report: &mut Connection| {
            if bootstrap::send(report, &ready).is_err() {
                forget();
                std::process::exit(BOOTSTRAP_FAILED);
            }
        }
    };
    let parent_gone = {
        let forget = Arc::clone(&forget);
        move || {
            forget();
            exit(0)
        }
    };
    let owner = if bootstrap.owner_over_channel {
        // The channel now carries the owner's calls; its end (other than
        // by a shutdown) is the owner's end.
        drop(channel);
        let mut connection = report;
        let ready = connection.set_timeout(None).inspect(|()| {
            connection
                .reader
                .set_max_frame(bootstrap.serving.max_frame_size)
        });
        if ready.is_err() {
            parent_gone();
        }
        // The host says the actor is ready once it holds every descriptor
        // it will hold, from the thread that then serves the owner, while
        // its other threads start.
        Some(host::OwnerChannel {
            connection,
            announce: Box::new(announce),
            gone: Box::new(parent_gone),
        })
    } else {
        announce(&mut report);
        watch_parent(channel, parent_gone);
        None
    };

    let settings = HostSettings {
        authkey,
        served: name,
        serving: bootstrap.serving,
    };
    host::serve::start(manager, listener, settings, &bootstrap.settings, owner);
    exit(0)
}

/// Ends this process when the bootstrap channel reports end-of-file: the
/// parent is gone (or dropped its owner), and an actor outlives neither.
/// (Over ipc-channel, where the channel carries no calls.)
fn watch_parent(channel: UnixStream, gone: impl FnOnce() + Send + 'static) {
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
            gone();
        });
    if watching.is_err() {
        std::process::exit(BOOTSTRAP_FAILED);
    }
}

/// Exits after flushing what the actor printed.
fn exit(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}
