//! A peer that is gone makes a write fail, never kill the process with
//! `SIGPIPE`, on every transport: the sockets are written with
//! `MSG_NOSIGNAL`, and ipc-channel's sockets are `SOCK_SEQPACKET`, for
//! which Linux raises no `SIGPIPE` (only stream sockets and pipes do).
//!
//! Rust programs ignore `SIGPIPE` from the start, which would hide a write
//! that raises it; so the writes run in a child process (this test binary
//! again) that first restores the signal's default action, as a program
//! embedding uactor may have done.

use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use uactor_core::frame::{self, Header, Kind};
use uactor_core::{Backend, Connection, Error, Result};

/// Set in the child.
const CHILD: &str = "UACTOR_SIGPIPE_CHILD";

const SIGPIPE: i32 = 13;

unsafe extern "C" {
    /// signal(2), from the C library every Rust program on Unix links.
    fn signal(signum: i32, handler: usize) -> usize;
}

/// Gives `SIGPIPE` its default action: the process dies of it.
fn die_of_sigpipe() {
    const SIG_DFL: usize = 0;
    // SAFETY: installs the default action, no handler of ours; the child
    // does this before it opens any connection.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

/// Writes frames of `size` bytes to `connection` until a write fails; its
/// peer is gone.
fn write_until_refused(what: &str, size: usize, mut connection: Connection) -> Error {
    let frame = frame::encode(Header::new(Kind::Request, 1), &vec![1; size]);
    let started = Instant::now();
    loop {
        if let Err(error) = connection.writer.write_frame(&frame) {
            println!("{what}, {size}-byte frames: {error}");
            return error;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: writes to a closed peer kept succeeding"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A connected pair through `backend`: ours, and the peer's as accepted.
fn pair(backend: &dyn Backend) -> Result<(Connection, Connection)> {
    let mut listener = backend.listen()?;
    let ours = backend.connect(&listener.address())?;
    Ok((ours, listener.accept()?))
}

/// The child's writes over every transport (in this process, whose
/// `SIGPIPE` kills it).
fn every_transport() {
    use uactor_transport::framing;
    use uactor_transport::local_socket::LocalSocket;

    let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
    drop(theirs);
    write_until_refused(
        "unix stream (bootstrap channel)",
        1000,
        framing::connection(ours),
    );

    let (ours, theirs) = pair(&LocalSocket).expect("a local socket");
    drop(theirs);
    write_until_refused("local socket", 1000, ours);

    #[cfg(feature = "tcp")]
    {
        let tcp = uactor_transport::tcp::Tcp::new(
            Some("127.0.0.1:0".parse().expect("an address")),
            Duration::from_secs(5),
        );
        let (ours, theirs) = pair(&tcp).expect("a TCP connection");
        drop(theirs);
        write_until_refused("tcp", 1000, ours);
    }

    #[cfg(feature = "tls")]
    tls();

    #[cfg(feature = "ipc-channel")]
    ipc_channel();
}

/// TLS past its handshake: the peer answers one frame, then closes.
#[cfg(feature = "tls")]
fn tls() {
    use uactor_core::Address;
    use uactor_transport::tls::{self, Tls};

    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("a certificate");
    let serving = Tls::new()
        .identity_pem(certified.cert.pem(), certified.signing_key.serialize_pem())
        .expect("an identity");
    let mut listener =
        tls::listen("127.0.0.1:0".parse().expect("an address"), &serving).expect("a TLS listener");
    let Address::Tls(at) = uactor_core::Listener::address(&listener) else {
        panic!("a TLS listener has a tls address")
    };
    let peer = std::thread::spawn(move || {
        let mut theirs = uactor_core::Listener::accept(&mut listener).expect("accepted");
        theirs
            .set_timeout(Some(Duration::from_secs(5)))
            .expect("a timeout");
        let frame = theirs.reader.read_frame().expect("a frame").to_vec();
        theirs.writer.write_frame(&frame).expect("an answer");
    });
    let calling = Tls::new().trust_pem(certified.cert.pem()).expect("a root");
    let mut ours = tls::connect(at, &calling, Duration::from_secs(5)).expect("a TLS connection");
    ours.set_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    let frame = frame::encode(Header::new(Kind::Request, 1), b"hello");
    ours.writer.write_frame(&frame).expect("a frame");
    ours.reader.read_frame().expect("the answer");
    peer.join().expect("the peer");
    write_until_refused("tls", 1000, ours);
}

/// Writes over ipc-channel links whose other end is gone: small frames,
/// frames sent in fragments, and frames in shared memory.
#[cfg(feature = "ipc-channel")]
fn ipc_channel() {
    use uactor_transport::ipc_channel;

    for size in [1000, 200_000, ipc_channel::SHARED_FROM + 1] {
        let (rendezvous, name) = ipc_channel::rendezvous().expect("a one-shot server");
        let accepting = std::thread::spawn(move || rendezvous.accept());
        let ours = ipc_channel::connect(&name).expect("a link");
        let theirs = accepting.join().expect("accepted").expect("a link");
        drop(theirs);
        write_until_refused("ipc-channel", size, ours);
    }
}

/// Runs `test` again in a child process that writes; how it ended, and what
/// it printed.
fn child(test: &str) -> (ExitStatus, String) {
    let mut running = Command::new(std::env::current_exe().expect("this test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the child starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = running.try_wait().expect("the child's status") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = running.kill();
            let _ = running.wait();
            panic!("the child did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut printed = String::new();
    if let Some(mut stdout) = running.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut stdout, &mut printed);
    }
    (status, printed)
}

fn signal_of(status: ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[test]
fn writes_to_a_gone_peer_fail_without_sigpipe_on_every_transport() {
    const TEST: &str = "writes_to_a_gone_peer_fail_without_sigpipe_on_every_transport";
    if std::env::var_os(CHILD).is_some() {
        die_of_sigpipe();
        every_transport();
        println!("survived every write");
        return;
    }
    let (status, printed) = child(TEST);
    println!("{}", printed.trim());
    println!("the child, SIGPIPE at its default action, ended with {status}");
    assert_ne!(
        signal_of(status),
        Some(SIGPIPE),
        "a write to a gone peer raised SIGPIPE"
    );
    assert!(status.success(), "the child ended with {status}");
    assert!(printed.contains("survived every write"), "{printed}");
}
