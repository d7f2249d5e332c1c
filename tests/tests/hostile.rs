//! Hostile peers against a real actor process: wrong keys by the
//! thousand, silence, a slow drip, a crowd of idle connections, strangers
//! who learn nothing, another user at the socket's door, and length bombs
//! from a peer that does know the key; and what a client says when the
//! address is not an actor's.
//!
//! Each test runs over every transport in [`transports`]; the raw side
//! speaks the wire protocol by hand over the transport's byte stream (for
//! TLS, inside a TLS session).

#[path = "support/nobody.rs"]
mod nobody;

use nobody::as_nobody;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use uactor::net::Tls;
use uactor::{Actor, Address, Error, Options};
use uactor_core::frame::{self, DEFAULT_MAX_FRAME, Header, Kind};
use uactor_core::protocol::{Hello, MAC_LEN, NONCE_LEN};
use uactor_core::{CodecId, Connection};
use uactor_transport::framing::{self, Socket};
use uactor_transport::tls::{self, TlsSocket};
use uactor_transport::{Authkey, handshake};

const KEY: &[u8] = b"the key of the hostile tests";

/// An actor that counts every request it decodes.
#[derive(Debug, Default)]
pub struct Vault {
    decoded: u64,
}

/// A recursive value, nested as deep as a peer likes.
#[derive(Debug, Serialize, Deserialize)]
pub enum Nest {
    /// The bottom.
    Leaf,
    /// One level more.
    Node(Box<Nest>),
}

#[uactor::actor]
impl Vault {
    /// Counts a request.
    pub fn bump(&mut self) -> u64 {
        self.decoded += 1;
        self.decoded
    }

    /// How many requests were decoded (this one not counted).
    pub fn decoded(&self) -> u64 {
        self.decoded
    }

    /// Adds numbers up.
    pub fn sum(&mut self, values: Vec<u64>) -> u64 {
        self.decoded += 1;
        values.iter().sum()
    }

    /// How deep a value nests.
    pub fn depth(&mut self, nest: Nest) -> u32 {
        self.decoded += 1;
        let mut depth = 0;
        let mut node = &nest;
        while let Nest::Node(inner) = node {
            depth += 1;
            node = inner;
        }
        depth
    }
}

/// A self-signed certificate for 127.0.0.1, made once per test binary.
fn certificate() -> &'static (String, String) {
    static CERTIFICATE: OnceLock<(String, String)> = OnceLock::new();
    CERTIFICATE.get_or_init(|| {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("rcgen makes a certificate");
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    })
}

/// What a client trusts to reach the TLS actors here.
fn calling_tls() -> Tls {
    Tls::new()
        .trust_pem(&certificate().0)
        .expect("the generated certificate is valid")
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

/// The transports the attacks run over, each with the options that serve an
/// actor on it. A new transport whose addresses [`Raw::connect`] reaches is
/// one more line here.
fn transports() -> Vec<(&'static str, Options)> {
    let (cert, key) = certificate();
    let serving = Tls::new()
        .identity_pem(cert, key)
        .expect("the generated identity is valid");
    vec![
        ("local socket", Options::new()),
        (
            "tcp",
            Options::new().transport(uactor::Transport::Tcp(loopback())),
        ),
        (
            "tls",
            Options::new()
                .transport(uactor::Transport::Tcp(loopback()))
                .with(serving),
        ),
    ]
}

fn spawn(options: &Options) -> VaultProxy {
    Vault::spawn_with(&options.clone().authkey(KEY)).expect("spawn a vault")
}

/// The index of `name` among the vault's methods, as a request names it.
fn method(name: &str) -> u16 {
    (0..64)
        .find(|&index| <Vault as Actor>::method_name(index) == Some(name))
        .expect("a method of Vault")
}

/// A byte stream to an actor's address, below the handshake.
enum Raw {
    Unix(UnixStream),
    Tcp(TcpStream),
    /// A TLS session: what is written and read is its plaintext.
    Tls(Box<TlsSocket>),
}

impl Raw {
    fn connect(address: &Address) -> std::io::Result<Raw> {
        match address {
            Address::Local(path) => UnixStream::connect(path).map(Raw::Unix),
            Address::Tcp(at) => TcpStream::connect(at).map(Raw::Tcp),
            Address::Tls(at) => tls::connect_socket(*at, &calling_tls(), Duration::from_secs(10))
                .map(|socket| Raw::Tls(Box::new(socket)))
                .map_err(std::io::Error::other),
            other => panic!("these tests cannot open a raw stream to {other}"),
        }
    }

    fn set_read_timeout(&self, timeout: Duration) {
        match self {
            Raw::Unix(stream) => stream.set_read_timeout(Some(timeout)),
            Raw::Tcp(stream) => stream.set_read_timeout(Some(timeout)),
            Raw::Tls(stream) => Socket::set_read_timeout(&**stream, Some(timeout)),
        }
        .expect("set a read timeout");
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Raw::Unix(stream) => stream.write_all(bytes),
            Raw::Tcp(stream) => stream.write_all(bytes),
            Raw::Tls(stream) => Socket::write_all(&**stream, bytes),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Raw::Unix(stream) => stream.read(buf),
            Raw::Tcp(stream) => stream.read(buf),
            // Records that decrypt to nothing (the TLS handshake's) come
            // back as Interrupted; each socket read is still bounded.
            Raw::Tls(stream) => loop {
                match Socket::read(&**stream, buf) {
                    Err(error) if error.kind() == ErrorKind::Interrupted => {}
                    read => return read,
                }
            },
        }
    }

    /// Everything the server sends until it closes the stream (or `limit`
    /// passes, which is an error).
    fn read_to_close(&mut self, limit: Duration) -> Vec<u8> {
        self.set_read_timeout(limit);
        let mut all = Vec::new();
        let mut buf = [0; 4096];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return all,
                Ok(read) => all.extend_from_slice(&buf[..read]),
                Err(error) if error.kind() == ErrorKind::ConnectionReset => return all,
                Err(error) => panic!("the server kept the stream open past {limit:?}: {error}"),
            }
        }
    }

    /// The stream as a framed connection, for the handshake.
    fn framed(self) -> Connection {
        match self {
            Raw::Unix(stream) => framing::connection(stream),
            Raw::Tcp(stream) => framing::connection(Tcp(stream)),
            Raw::Tls(stream) => framing::connection(*stream),
        }
    }
}

struct Tcp(TcpStream);

impl Socket for Tcp {
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&self.0).read(buf)
    }
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        (&self.0).write_all(buf)
    }
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.0.set_read_timeout(timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.0.set_write_timeout(timeout)
    }
}

fn hello_frame() -> Vec<u8> {
    frame::encode(
        Header::new(Kind::Hello, 0),
        &Hello::new(CodecId::Postcard).to_bytes(),
    )
}

fn refusal() -> Vec<u8> {
    frame::encode(Header::new(Kind::Refused, 0), &[])
}

/// A request for `method` with these encoded arguments.
fn request(id: u64, method: u16, args: &[u8]) -> Vec<u8> {
    frame::encode(Header::new(Kind::Request, id).method(method), args)
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// The resident memory of process `pid` in KiB (`VmRSS` of its status).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}

/// Waits until `pid` has at most `most` descriptors open; returns how many.
fn settle_files(pid: u32, most: usize, limit: Duration) -> usize {
    let started = Instant::now();
    loop {
        let open = open_files(pid);
        if open <= most || started.elapsed() > limit {
            return open;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ten_thousand_wrong_keys_are_refused_and_no_request_is_decoded() {
    for (transport, options) in transports() {
        let vault = spawn(&options);
        let address = vault.address();
        // Counted once the actor serves (a spawn returns when it is ready,
        // a moment before its host has made its door).
        vault.decoded().expect("a first call");
        let files = open_files(vault.pid());
        let bump = method("bump");
        let wrong_keys: Vec<Authkey> = [
            b"the key of the hostile test".to_vec(),
            b"the key of the hostile testS".to_vec(),
            [KEY, b"!"].concat(),
            b"x".to_vec(),
            vec![0; 200],
        ]
        .into_iter()
        .map(|key| Authkey::new(key).expect("a non-empty key"))
        .collect();
        let refused = AtomicUsize::new(0);
        let attempts = 10_000;
        let threads = 4;
        let started = Instant::now();
        std::thread::scope(|scope| {
            for thread in 0..threads {
                let (address, wrong_keys, refused) = (&address, &wrong_keys, &refused);
                scope.spawn(move || {
                    for attempt in (thread..attempts).step_by(threads) {
                        let mut raw = Raw::connect(address).expect("connect");
                        if attempt % 2 == 0 {
                            // Through the real client, with a wrong key, then
                            // a request on the refused connection.
                            let mut connection = raw.framed();
                            let key = &wrong_keys[attempt % wrong_keys.len()];
                            let result = handshake::client(
                                &mut connection,
                                key,
                                CodecId::Postcard,
                                Duration::from_secs(10),
                                DEFAULT_MAX_FRAME,
                            );
                            assert!(
                                matches!(result, Err(Error::Auth { .. })),
                                "attempt {attempt}: {result:?}"
                            );
                            let _ = connection.writer.write_frame(&request(1, bump, &[]));
                        } else {
                            // By hand: a hello, a forged response and a
                            // request in one write, before any answer.
                            let mut forged = [0u8; MAC_LEN + NONCE_LEN];
                            forged[..8].copy_from_slice(&(attempt as u64).to_le_bytes());
                            let mut bytes = hello_frame();
                            bytes.extend_from_slice(&frame::encode(
                                Header::new(Kind::Response, 0),
                                &forged,
                            ));
                            bytes.extend_from_slice(&request(1, bump, &[]));
                            raw.write_all(&bytes).expect("write");
                            let told = raw.read_to_close(Duration::from_secs(10));
                            let head = told.get(..24 + NONCE_LEN).expect("a challenge");
                            let (challenge, rest) = Header::parse(head)
                                .map(|(header, nonce)| {
                                    ((header.kind, nonce.len()), &told[24 + NONCE_LEN..])
                                })
                                .expect("a challenge");
                            assert_eq!(challenge, (Kind::Challenge, NONCE_LEN));
                            assert_eq!(
                                rest,
                                refusal(),
                                "attempt {attempt}: more than a fixed refusal"
                            );
                        }
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        let elapsed = started.elapsed();
        assert_eq!(refused.load(Ordering::Relaxed), attempts);
        // Every connection above sent a request for `bump`; none was read.
        assert_eq!(
            vault.decoded().unwrap(),
            0,
            "{transport}: a request was decoded without the key"
        );
        let left = settle_files(vault.pid(), files, Duration::from_secs(10));
        assert!(
            left <= files,
            "{transport}: the actor holds {left} descriptors, {files} before"
        );
        println!(
            "{transport}: {attempts} wrong-key attempts refused in {elapsed:?} ({:.0}/s); requests decoded: 0; \
             actor descriptors {files} before, {left} after",
            attempts as f64 / elapsed.as_secs_f64()
        );
    }
}

#[test]
fn a_silent_peer_is_dropped_at_the_handshake_deadline() {
    for (transport, options) in transports() {
        let deadline = Duration::from_secs(1);
        let vault = spawn(&options.handshake_timeout(deadline));
        let mut raw = Raw::connect(&vault.address()).expect("connect");
        let started = Instant::now();
        let told = raw.read_to_close(Duration::from_secs(10));
        let held = started.elapsed();
        assert!(
            told.is_empty(),
            "{transport}: a silent peer was told {told:?}"
        );
        assert!(
            held >= deadline / 2 && held < deadline + Duration::from_secs(2),
            "{transport}: held {held:?}"
        );
        println!("{transport}: a silent peer was dropped after {held:?} (deadline {deadline:?})");
    }
}

/// Asserts that `held` is the handshake `deadline` give or take 20 %, and
/// prints it.
fn at_the_deadline(transport: &str, what: &str, held: Duration, deadline: Duration) {
    println!("{transport}: {what} was dropped after {held:?} (deadline {deadline:?})");
    assert!(
        held >= deadline - deadline / 5 && held <= deadline + deadline / 5,
        "{transport}: {what} was held {held:?}, the deadline is {deadline:?}"
    );
}

/// Writes `bytes` to `raw` one at a time, a second apart, reading between
/// them (the challenge, once the hello is whole); returns when the server
/// dropped the stream, measured from `started`. Gives up past `limit`.
fn drip(raw: &mut Raw, bytes: &[u8], started: Instant, limit: Duration) -> Option<Duration> {
    raw.set_read_timeout(Duration::from_secs(1));
    for byte in bytes {
        if raw.write_all(&[*byte]).is_err() {
            return Some(started.elapsed());
        }
        let mut buf = [0; 256];
        match raw.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => {
                return Some(started.elapsed());
            }
            // The challenge, or nothing yet.
            Ok(_) | Err(_) => {}
        }
        if started.elapsed() > limit {
            return None;
        }
    }
    None
}

#[test]
fn a_peer_sending_a_byte_a_second_is_dropped_at_the_handshake_deadline() {
    for (transport, options) in transports() {
        // Not a whole number of seconds: a frame whose deadline is checked
        // only when a byte comes would be dropped at the next whole second.
        let deadline = Duration::from_millis(1500);
        let vault = spawn(&options.handshake_timeout(deadline));
        let started = Instant::now();
        let mut raw = Raw::connect(&vault.address()).expect("connect");
        // A valid hello, then a response, one byte a second: each byte comes
        // well within the deadline, the handshake as a whole does not.
        let mut bytes = hello_frame();
        bytes.extend_from_slice(&frame::encode(
            Header::new(Kind::Response, 0),
            &[0; MAC_LEN + NONCE_LEN],
        ));
        let held = drip(&mut raw, &bytes, started, deadline * 5).unwrap_or_else(|| {
            panic!(
                "{transport}: a peer dripping a byte a second was held {:?} past a {deadline:?} deadline",
                started.elapsed()
            )
        });
        at_the_deadline(transport, "a peer sending a byte a second", held, deadline);
    }
}

#[test]
fn a_peer_sending_its_hello_slowly_then_stalling_is_dropped_at_the_handshake_deadline() {
    for (transport, options) in transports() {
        let deadline = Duration::from_secs(2);
        let vault = spawn(&options.handshake_timeout(deadline));
        let started = Instant::now();
        let mut raw = Raw::connect(&vault.address()).expect("connect");
        // The hello in four pieces over 1.2 s, within the deadline; the
        // response never comes. A deadline per frame would start again at
        // the challenge and hold the peer until 3.2 s.
        let hello = hello_frame();
        for (piece, bytes) in hello.chunks(hello.len().div_ceil(4)).enumerate() {
            if piece > 0 {
                std::thread::sleep(Duration::from_millis(400));
            }
            raw.write_all(bytes).expect("a piece of the hello");
        }
        let told = raw.read_to_close(deadline * 3);
        let held = started.elapsed();
        let challenge = told.get(..24 + NONCE_LEN).map(Header::parse);
        assert!(
            matches!(challenge, Some(Ok((header, _))) if header.kind == Kind::Challenge),
            "{transport}: no challenge for a whole hello: {told:?}"
        );
        at_the_deadline(
            transport,
            "a peer that sent its hello over 1.2 s and stalled",
            held,
            deadline,
        );
    }
}

/// The ClientHello a rustls client opens with, as it crosses the wire: what
/// the first write of a TLS client sends to a listener that never answers.
fn client_hello() -> Vec<u8> {
    let listener = TcpListener::bind(loopback()).expect("a listener");
    let at = listener.local_addr().expect("its address");
    let mut client = tls::connect(at, &calling_tls(), Duration::from_secs(5)).expect("connect");
    let (mut server, _) = listener.accept().expect("accepted");
    // Sends the ClientHello (the frame itself waits for the handshake).
    client
        .writer
        .write_frame(&hello_frame())
        .expect("the ClientHello");
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    let mut hello = vec![0; 64 * 1024];
    let read = server.read(&mut hello).expect("the ClientHello");
    hello.truncate(read);
    hello
}

#[test]
fn a_client_hello_sent_a_byte_a_second_is_dropped_at_the_handshake_deadline() {
    let (_, options) = transports()
        .into_iter()
        .find(|(transport, _)| *transport == "tls")
        .expect("a TLS transport");
    let hello = client_hello();
    assert_eq!(hello.first(), Some(&0x16), "a TLS handshake record");
    let deadline = Duration::from_millis(2500);
    let vault = spawn(&options.handshake_timeout(deadline));
    let Address::Tls(at) = vault.address() else {
        panic!("a TLS actor has a tls:// address")
    };
    // Plain TCP: the TLS handshake is what drips, a byte a second, and no
    // byte of it is plaintext for the frame reader.
    let started = Instant::now();
    let mut raw = Raw::Tcp(TcpStream::connect(at).expect("connect"));
    let held = drip(&mut raw, &hello, started, deadline * 5).unwrap_or_else(|| {
        panic!(
            "tls: a ClientHello dripping a byte a second ({} bytes) was held {:?} past a \
             {deadline:?} deadline",
            hello.len(),
            started.elapsed()
        )
    });
    at_the_deadline(
        "tls",
        &format!(
            "a peer sending its {}-byte ClientHello a byte a second",
            hello.len()
        ),
        held,
        deadline,
    );
}

/// Raises this process's descriptor limit to what `wanted` needs, as far as
/// the hard limit allows; returns how many connections fit.
fn room_for(wanted: usize) -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    let needed = wanted as u64 + 256;
    if limit.current.is_some_and(|current| current < needed) {
        limit.current = Some(needed.min(hard));
        let _ = setrlimit(Resource::Nofile, limit);
    }
    let current = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    (current.saturating_sub(256) as usize).min(wanted)
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

#[test]
fn ten_thousand_idle_connections_hold_few_threads_and_do_not_lock_out_a_real_client() {
    let wanted = room_for(10_000);
    if wanted < 10_000 {
        println!("the descriptor limit allows {wanted} connections at once, not 10 000");
    }
    for (transport, options) in transports() {
        // Long enough that no idle peer leaves on its own while we measure:
        // only the actor's bounds can make room.
        let vault = spawn(&options.handshake_timeout(Duration::from_secs(60)));
        let address = vault.address();
        let pid = vault.pid();
        let connect_and_call = || {
            let started = Instant::now();
            let client = Vault::connect(&address, KEY).expect("a real client connects");
            client.decoded().expect("a call");
            started.elapsed()
        };
        let alone = connect_and_call();
        let files = open_files(pid);
        let rss_before = rss_kib(pid);

        // Peers that connect and never say a word (over TLS, not even a
        // ClientHello), all at once.
        let started = Instant::now();
        let mut most_threads = 0;
        let mut idle = Vec::with_capacity(wanted);
        for index in 0..wanted {
            let raw = match &address {
                Address::Tls(at) => TcpStream::connect(at).map(Raw::Tcp),
                other => Raw::connect(other),
            };
            idle.push(raw.expect("an idle connection"));
            if index % 500 == 0 {
                most_threads = most_threads.max(threads(pid));
            }
        }
        let opened = started.elapsed();
        most_threads = most_threads.max(threads(pid));
        let held_files = open_files(pid);
        let rss_idle = rss_kib(pid);

        let among = connect_and_call();
        most_threads = most_threads.max(threads(pid));
        println!(
            "{transport}: {wanted} idle connections opened in {opened:?}; the actor held at most \
             {most_threads} threads and {} descriptors ({files} before), RSS {rss_before} -> \
             {rss_idle} KiB; a real client connected and called in {among:?} ({alone:?} alone)",
            held_files
        );
        assert!(
            most_threads < 200,
            "{transport}: the actor ran {most_threads} threads among {wanted} idle peers"
        );
        // Quiet peers wait at the door, a descriptor each, up to
        // max_connections (and as many just accepted); past that the
        // longest waiting is closed.
        assert!(
            held_files <= files + 2 * uactor::options::DEFAULT_MAX_CONNECTIONS + 300,
            "{transport}: the actor held {held_files} descriptors ({files} before)"
        );
        assert!(
            rss_idle < rss_before + 16 * 1024,
            "{transport}: the actor grew from {rss_before} to {rss_idle} KiB"
        );
        // A host that let the idle peers keep every slot would make this
        // client wait for their 60 s deadline.
        assert!(
            among < Duration::from_secs(1),
            "{transport}: a real client took {among:?} among {wanted} idle peers"
        );
        drop(idle);
        let left = settle_files(pid, files, Duration::from_secs(10));
        assert!(
            left <= files,
            "{transport}: {left} descriptors left, {files} before the idle peers"
        );
    }
}

#[test]
fn a_client_beyond_max_connections_is_refused_at_once_and_told_why() {
    // The owner's own link (the channel it started the actor with) is not
    // counted: one client fits, a second is one too many.
    let options = Options::new().authkey(KEY).max_connections(1);
    let vault = Vault::spawn_with(&options).expect("spawn a vault");
    let address = vault.address();
    let second = Vault::connect(&address, KEY).expect("a second client");
    second.decoded().expect("a call");
    let started = Instant::now();
    let third = Vault::connect(&address, KEY).expect_err("a third client is one too many");
    let took = started.elapsed();
    println!("a client beyond max_connections: {third} (in {took:?})");
    assert!(
        matches!(&third, Error::Transport { message, .. } if message.contains("max_connections")),
        "{third:?}"
    );
    assert!(took < Duration::from_secs(1), "refused in {took:?}");
    drop(second);
    // Its place is free again once it closed.
    let deadline = Instant::now() + Duration::from_secs(5);
    let again = loop {
        match Vault::connect(&address, KEY) {
            Ok(client) => break client,
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => panic!("the freed place was not given back: {error}"),
        }
    };
    again.decoded().expect("a call");
}

#[test]
fn an_unauthenticated_peer_learns_nothing_but_a_fixed_refusal() {
    let challenge = 24 + NONCE_LEN;
    let hello_with = |payload: &[u8]| frame::encode(Header::new(Kind::Hello, 0), payload);
    let mut wrong_version = Hello::new(CodecId::Postcard).to_bytes();
    wrong_version[4] = 9;
    let mut unknown_codec = Hello::new(CodecId::Postcard).to_bytes();
    unknown_codec[6] = 77;
    let forged = frame::encode(Header::new(Kind::Response, 0), &[7; MAC_LEN + NONCE_LEN]);
    // What the peer sends, and whether its valid hello must earn it a
    // challenge (a hello naming an unknown codec may or may not).
    let attempts: Vec<(&str, Vec<u8>, bool)> = vec![
        (
            "a wrong key",
            [hello_frame(), forged.clone()].concat(),
            true,
        ),
        (
            "a short response",
            [
                hello_frame(),
                frame::encode(Header::new(Kind::Response, 0), &[1; 5]),
            ]
            .concat(),
            true,
        ),
        (
            "an unknown codec and a wrong key",
            [hello_with(&unknown_codec), forged.clone()].concat(),
            false,
        ),
        ("a bad magic", hello_with(b"GET / HT"), false),
        ("another version", hello_with(&wrong_version), false),
        ("a request first", request(1, method("bump"), &[]), false),
        (
            "a shutdown first",
            frame::encode(Header::new(Kind::Shutdown, 9), &[]),
            false,
        ),
        ("a response first", forged, false),
        (
            "an oversized frame",
            frame::encode(Header::new(Kind::Hello, 0), &[0; 1000]),
            false,
        ),
        (
            "an HTTP request",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        ("a length of u32::MAX", vec![0xff; 8], false),
    ];
    for (transport, options) in transports() {
        let vault = spawn(&options);
        for (what, bytes, challenged) in &attempts {
            let mut raw = Raw::connect(&vault.address()).expect("connect");
            raw.write_all(bytes).expect("write");
            let told = raw.read_to_close(Duration::from_secs(10));
            // A random challenge may come first, once the hello is valid.
            let rest = match told.get(..challenge).map(Header::parse) {
                Some(Ok((header, nonce))) if header.kind == Kind::Challenge => {
                    assert_eq!(nonce.len(), NONCE_LEN, "{transport}, {what}");
                    &told[challenge..]
                }
                _ => {
                    assert!(
                        !challenged,
                        "{transport}, {what}: no challenge before the refusal"
                    );
                    &told[..]
                }
            };
            assert_eq!(rest, refusal(), "{transport}, {what}: told {told:?}");
        }
        assert_eq!(vault.decoded().unwrap(), 0);
        println!(
            "{transport}: {} kinds of stranger each got the same 24-byte refusal",
            attempts.len()
        );
    }
}

/// The private directory of a local actor's socket.
fn socket_dir(address: &Address) -> PathBuf {
    let Address::Local(path) = address else {
        panic!("not a local socket: {address}")
    };
    path.parent().expect("a socket in a directory").to_owned()
}

#[test]
fn a_local_socket_is_private_to_its_user() {
    let vault = spawn(&Options::new());
    let address = vault.address();
    let Address::Local(socket) = &address else {
        panic!("the default transport is a local socket")
    };
    let dir = socket_dir(&address);
    let metadata = std::fs::metadata(&dir).expect("the socket's directory");
    assert_eq!(
        metadata.permissions().mode() & 0o777,
        0o700,
        "{}",
        dir.display()
    );
    assert_eq!(
        metadata.uid(),
        rustix::process::geteuid().as_raw(),
        "owned by the actor's user"
    );
    println!("{}: mode 0700, owner uid {}", dir.display(), metadata.uid());

    // Another user cannot even reach the socket.
    let Some(seen) = as_nobody(socket) else {
        return;
    };
    assert_eq!(seen, "denied", "another user reached the socket");
    println!("as nobody: {seen}");

    // Defence in depth: with the directory opened up, the actor still drops
    // a peer running as another user before it reads a byte.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711))
        .expect("chmod the directory");
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o777))
        .expect("chmod the socket");
    let seen = as_nobody(socket);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .expect("restore the directory");
    let seen = seen.expect("ran as nobody a moment ago");
    assert_eq!(seen, "dropped", "the peer-uid check let another user speak");
    println!("as nobody, past an opened directory: {seen}");
    assert_eq!(vault.decoded().unwrap(), 0);
}

/// An authenticated raw connection: the peer knows the key, and then
/// misbehaves.
fn authenticated(address: &Address) -> Connection {
    let mut connection = Raw::connect(address).expect("connect").framed();
    let key = Authkey::new(KEY).expect("a key");
    handshake::client(
        &mut connection,
        &key,
        CodecId::Postcard,
        Duration::from_secs(10),
        DEFAULT_MAX_FRAME,
    )
    .expect("the right key is welcome");
    connection
}

/// Sends a request and returns what came back, and how long it took.
fn call_raw(connection: &mut Connection, frame: &[u8]) -> (Result<Vec<u8>, Error>, Duration) {
    let started = Instant::now();
    connection.writer.write_frame(frame).expect("send");
    connection
        .reader
        .set_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let reply = connection.reader.read_frame().expect("a reply").to_vec();
    let elapsed = started.elapsed();
    let (header, payload) = Header::parse(&reply).expect("a well-formed reply");
    match header.kind {
        Kind::Reply => (Ok(payload.to_vec()), elapsed),
        Kind::Failure => (
            Err(CodecId::Postcard.decode(payload).expect("an error")),
            elapsed,
        ),
        other => panic!("a {other:?} frame in reply"),
    }
}

#[test]
fn length_bombs_from_an_authenticated_peer_fail_fast_and_the_actor_serves_on() {
    for (transport, options) in transports() {
        let vault = spawn(&options);
        let address = vault.address();
        let mut connection = authenticated(&address);

        // A 16-byte payload declaring a vector of 2^60 elements.
        let mut payload = Vec::new();
        CodecId::Postcard
            .encode(&(1u64 << 60), &mut payload)
            .expect("encode");
        payload.resize(16, 1);
        let (result, vector) = call_raw(&mut connection, &request(1, method("sum"), &payload));
        assert!(
            matches!(result, Err(Error::Codec { .. })),
            "{transport}: {result:?}"
        );

        // A value nested 100 000 deep: `Node` is variant 1, `Leaf` 0.
        let mut nested = vec![1u8; 100_000];
        nested.push(0);
        let (result, nesting) = call_raw(&mut connection, &request(2, method("depth"), &nested));
        match result {
            Err(Error::Codec { message }) => assert!(message.contains("deeper than"), "{message}"),
            other => panic!("{transport}: expected a codec error, got {other:?}"),
        }

        // The same connection still works.
        let (result, _) = call_raw(&mut connection, &request(3, method("bump"), &[]));
        assert!(result.is_ok(), "{transport}: {result:?}");

        // A length prefix of u32::MAX: the connection is dropped, nothing
        // is allocated for it, and the actor serves everyone else.
        let started = Instant::now();
        connection.writer.write_frame(&[0xff; 4]).expect("send");
        connection
            .reader
            .set_timeout(Some(Duration::from_secs(10)))
            .expect("a timeout");
        let closed = connection.reader.read_frame().map(<[u8]>::to_vec);
        let dropped = started.elapsed();
        assert!(
            matches!(closed, Err(Error::Closed | Error::Transport { .. })),
            "{transport}: {closed:?}"
        );
        assert_eq!(vault.bump().unwrap(), 2, "{transport}: the actor serves on");
        println!(
            "{transport}: 2^60-element vector refused in {vector:?}, 100 000-deep value in {nesting:?}, \
             u32::MAX length prefix dropped in {dropped:?} (round trips)"
        );
    }
}

/// A TCP listener of this process that is no actor: it takes one
/// connection (waiting at most 20 s for it), reads what comes, sends
/// `answer` (if any) and holds the connection until the client leaves (at
/// most 20 s more).
fn impostor(answer: Option<&'static [u8]>) -> (Address, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind(loopback()).expect("a listener");
    let at = listener.local_addr().expect("its address");
    listener
        .set_nonblocking(true)
        .expect("a listener that polls");
    let serving = std::thread::spawn(move || {
        let started = Instant::now();
        let mut stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(error) if error.kind() == ErrorKind::WouldBlock => {
                    assert!(
                        started.elapsed() < Duration::from_secs(20),
                        "no client came"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(error) => panic!("accepting the client: {error}"),
            }
        };
        stream.set_nonblocking(false).expect("a blocking stream");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("a timeout");
        let mut buf = [0; 512];
        if let Some(answer) = answer {
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(answer);
        }
        while matches!(stream.read(&mut buf), Ok(read) if read > 0) {}
    });
    (Address::Tcp(at), serving)
}

#[test]
fn a_client_pointed_at_an_http_server_is_told_it_does_not_speak_uactor() {
    let (address, serving) = impostor(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    let started = Instant::now();
    let result = uactor::net::connect_with::<Vault>(&address, &Options::new().authkey(KEY));
    let took = started.elapsed();
    serving.join().expect("the HTTP server");
    let error = result.expect_err("an HTTP server is no actor");
    println!("{address}, an HTTP server, after {took:?}: {error}");
    assert!(matches!(error, Error::Protocol { .. }), "{error:?}");
    let shown = error.to_string();
    assert!(
        shown.contains("does not speak the uactor protocol"),
        "{shown}"
    );
    assert!(shown.contains("`HTTP`"), "{shown}");
    assert!(!shown.contains("max_frame_size"), "{shown}");
}

#[test]
fn a_client_pointed_at_a_silent_listener_is_told_no_handshake_came() {
    let (address, serving) = impostor(None);
    let bound = Duration::from_secs(1);
    let started = Instant::now();
    let result = uactor::net::connect_with::<Vault>(
        &address,
        &Options::new().authkey(KEY).handshake_timeout(bound),
    );
    let took = started.elapsed();
    serving.join().expect("the silent listener");
    let error = result.expect_err("a silent listener is no actor");
    println!("{address}, a silent listener, after {took:?}: {error}");
    let shown = error.to_string();
    assert!(
        matches!(error, Error::Transport { .. }),
        "a handshake that never came is no call timeout: {error:?}"
    );
    assert!(
        shown.contains("no uactor handshake") && shown.contains("is an actor listening there"),
        "{shown}"
    );
    assert!(!shown.contains("late reply"), "{shown}");
    assert!(
        took >= bound && took <= bound + bound / 5,
        "the client gave up after {took:?}, its handshake bound is {bound:?}"
    );
}
