//! Transports: the same behaviour over local sockets, ipc-channel, shared
//! memory, TCP and TLS (one body per behaviour, run over each), then what
//! is particular to each: TCP's authkey, hostile bytes and idle peers, TLS
//! certificates, ipc-channel's rendezvous, codecs, `serve` and user
//! transports.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tests::{Counter, Fragile, wait_gone};
use uactor::net::{CodecId, Tls};
use uactor::options::Panics;
use uactor::{Address, Error, Options, Transport};

const KEY: &[u8] = b"transport tests key";

/// A self-signed certificate for 127.0.0.1, made once per test binary.
fn certificate() -> &'static (String, String) {
    static CERTIFICATE: OnceLock<(String, String)> = OnceLock::new();
    CERTIFICATE.get_or_init(|| {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("rcgen makes a certificate");
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    })
}

fn serving_tls() -> Tls {
    let (cert, key) = certificate();
    Tls::new()
        .identity_pem(cert, key)
        .expect("the generated identity is valid")
}

fn calling_tls() -> Tls {
    Tls::new()
        .trust_pem(&certificate().0)
        .expect("the generated certificate is valid")
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("a socket address")
}

/// The options of each transport under test, and how a second process
/// (here: this one, as a non-owner) connects.
fn local() -> Options {
    Options::new().authkey(KEY)
}

fn ipc() -> Options {
    Options::new().transport(Transport::IpcChannel).authkey(KEY)
}

fn shm() -> Options {
    Options::new().transport(Transport::Shm).authkey(KEY)
}

fn tcp() -> Options {
    Options::new()
        .transport(Transport::Tcp(loopback()))
        .authkey(KEY)
}

fn tls() -> Options {
    Options::new()
        .transport(Transport::Tcp(loopback()))
        .authkey(KEY)
        .with(serving_tls())
}

fn connecting(options: &Options) -> Options {
    // The roots a client on another host would be given.
    let _ = options;
    Options::new().authkey(KEY).with(calling_tls())
}

// ---- one body per behaviour ----------------------------------------------

fn calls_values_user_errors_and_panics(options: Options) {
    let counter = Counter::spawn_with(&options.panics(Panics::Quiet), 10).unwrap();
    assert_ne!(counter.pid(), std::process::id());
    for i in 1..=50 {
        assert_eq!(counter.add(1).unwrap(), 10 + i);
    }
    assert_eq!(
        counter.checked_div(0).unwrap(),
        Err("division by zero".to_owned())
    );
    assert!(matches!(
        counter.explode("boom".into()),
        Err(Error::Remote { .. })
    ));
    assert_eq!(
        counter.get().unwrap(),
        60,
        "the actor kept serving after the panic"
    );
}

fn a_mebibyte_crosses_whole(options: Options) {
    let counter = Counter::spawn_with(&options, 0).unwrap();
    let payload: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    assert_eq!(counter.echo(payload.clone()).unwrap(), payload);
}

fn threads_pipeline_on_one_connection(options: Options) {
    let counter = Counter::spawn_with(&options, 0).unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let counter = &counter;
            scope.spawn(move || {
                for call in 0..200 {
                    counter.record(thread, call).unwrap();
                }
            });
        }
    });
    assert_eq!(counter.log().unwrap().len(), 800);
}

fn the_async_twin_answers(options: Options) {
    let counter = Counter::spawn_with(&options, 1).unwrap();
    let twin = counter.to_async();
    let sum = futures::executor::block_on(async {
        twin.add(2).await.unwrap() + twin.add(3).await.unwrap()
    });
    assert_eq!(sum, 3 + 6);
}

fn death_is_reported_with_the_signal(options: Options) {
    let counter = Counter::spawn_with(&options, 0).unwrap();
    let _ = counter.abort();
    match counter.get() {
        // The status is waited for briefly; a loaded machine may report it
        // unknown (tests/death.rs checks it exactly).
        Err(Error::ActorDied { status }) => {
            assert!(
                matches!(status, uactor::Exit::Signal(6) | uactor::Exit::Unknown),
                "{status}"
            )
        }
        other => panic!("expected ActorDied, got {other:?}"),
    }
}

fn a_connected_proxy_is_a_reference(options: Options) {
    let owner = Counter::spawn_with(&options, 5).unwrap();
    let address = owner.address();
    let remote = uactor::net::connect_with::<Counter>(&address, &connecting(&options)).unwrap();
    assert_eq!(remote.pid(), owner.pid());
    assert_eq!(remote.add(1).unwrap(), 6);
    drop(remote);
    assert_eq!(
        owner.add(1).unwrap(),
        7,
        "dropping a reference does not end the actor"
    );
    let pid = owner.pid();
    owner.shutdown().unwrap();
    assert!(wait_gone(pid, Duration::from_secs(5)).is_some());
}

/// Hands out a list that stays in its process, and calls actors whose
/// proxies it is given.
#[derive(Debug)]
pub struct Shelf {
    items: uactor::Shared<Vec<i64>>,
}

impl Default for Shelf {
    fn default() -> Self {
        Shelf {
            items: uactor::Shared::new(vec![1, 2, 3]),
        }
    }
}

#[uactor::actor]
impl Shelf {
    /// The list, as a proxy.
    pub fn items(&self) -> uactor::Result<uactor::ListProxy<i64>> {
        uactor::proxy(&self.items)
    }

    /// What the list holds, summed here.
    pub fn sum(&self) -> i64 {
        self.items.lock().iter().sum()
    }

    /// Calls `counter`, an actor whose proxy travelled here.
    pub fn add_to(&self, counter: tests::CounterProxy, by: i64) -> uactor::Result<i64> {
        counter.add(by)
    }
}

fn result_proxies_and_proxies_passed_to_actors(options: Options) {
    let shelf = Shelf::spawn_with(&options).unwrap();
    let items = shelf.items().unwrap();
    items.push(4).unwrap();
    assert_eq!(items.to_vec().unwrap(), vec![1, 2, 3, 4]);
    assert_eq!(shelf.sum().unwrap(), 10, "the list stayed in the actor");
    let counter = Counter::spawn_with(&options, 1).unwrap();
    assert_eq!(
        shelf.add_to(counter.clone(), 5).unwrap().unwrap(),
        6,
        "the proxy worked in the other actor"
    );
    assert_eq!(counter.get().unwrap(), 6);
}

/// An actor that sends bytes back, and keeps some.
#[derive(Debug, Default)]
pub struct Store {
    kept: Vec<uactor::Bytes>,
}

#[uactor::actor]
impl Store {
    /// The bytes, back.
    pub fn echo(&self, data: uactor::Bytes) -> uactor::Bytes {
        data
    }

    /// Several buffers and a value around them, back with their total.
    pub fn echo_many(
        &self,
        tag: String,
        data: Vec<uactor::Bytes>,
    ) -> (String, Vec<uactor::Bytes>, usize) {
        let total = data.iter().map(|bytes| bytes.len()).sum();
        (tag, data, total)
    }

    /// The bytes, back from an `async fn`.
    pub async fn later(&self, data: uactor::Bytes) -> uactor::Bytes {
        data
    }

    /// Keeps the bytes in the actor.
    pub fn keep(&mut self, data: uactor::Bytes) -> usize {
        self.kept.push(data);
        self.kept.len()
    }

    /// What it kept.
    pub fn kept(&self) -> Vec<uactor::Bytes> {
        self.kept.clone()
    }
}

/// A pattern no two neighbouring mebibytes share, so a misplaced block
/// shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|index| (index % 251) as u8 ^ seed ^ (index >> 20) as u8)
        .collect()
}

fn bytes_travel_whole_beside_the_payload(options: Options) {
    use uactor::Bytes;
    let store = Store::spawn_with(&options).unwrap();
    for len in [0, 1, 100, 70_000, (3 << 20) + 7] {
        let data = pattern(len, 1);
        let back = store.echo(Bytes::from(data.clone())).unwrap();
        assert_eq!(back.len(), len);
        assert!(*back == *data, "{len} bytes came back changed");
    }
    let parts = vec![
        Bytes::from(pattern(1 << 20, 2)),
        Bytes::new(),
        Bytes::from(pattern(10, 3)),
        Bytes::from(pattern(200_000, 4)),
    ];
    let (tag, back, total) = store
        .echo_many("around them".to_owned(), parts.clone())
        .unwrap();
    assert_eq!(tag, "around them");
    assert_eq!(back, parts);
    assert_eq!(total, (1 << 20) + 10 + 200_000);

    let big = Bytes::from(pattern(2 << 20, 5));
    assert_eq!(
        store.later(big.clone()).unwrap().get().unwrap(),
        big,
        "an async fn's reply"
    );
    let twin = store.to_async();
    let back = futures::executor::block_on(twin.echo(big.clone())).unwrap();
    assert_eq!(back, big, "through the async twin");
    let eager: Vec<_> = (0..32u8)
        .map(|seed| twin.echo(Bytes::from(pattern(100_000, seed))))
        .collect();
    for (seed, reply) in futures::executor::block_on(futures::future::join_all(eager))
        .into_iter()
        .enumerate()
    {
        assert_eq!(reply.unwrap(), Bytes::from(pattern(100_000, seed as u8)));
    }

    assert_eq!(store.keep(big.clone()).unwrap(), 1);
    assert_eq!(store.keep(Bytes::from(pattern(5, 6))).unwrap(), 2);
    assert_eq!(
        store.kept().unwrap(),
        vec![big, Bytes::from(pattern(5, 6))],
        "kept in the actor, sent back later"
    );
}

macro_rules! over_each_transport {
    ($($body:ident),* $(,)?) => {
        mod local_socket { $( #[test] fn $body() { super::$body(super::local()) } )* }
        mod ipc_channel { $( #[test] fn $body() { super::$body(super::ipc()) } )* }
        mod shm { $( #[test] fn $body() { super::$body(super::shm()) } )* }
        mod tcp { $( #[test] fn $body() { super::$body(super::tcp()) } )* }
        mod tls { $( #[test] fn $body() { super::$body(super::tls()) } )* }
    };
}

over_each_transport!(
    calls_values_user_errors_and_panics,
    a_mebibyte_crosses_whole,
    threads_pipeline_on_one_connection,
    the_async_twin_answers,
    death_is_reported_with_the_signal,
    a_connected_proxy_is_a_reference,
    result_proxies_and_proxies_passed_to_actors,
    bytes_travel_whole_beside_the_payload,
);

// ---- addresses -------------------------------------------------------------

#[test]
fn addresses_name_their_transport_and_parse_back() {
    let cases: [(Options, &str); 5] = [
        (local(), "local:/"),
        (ipc(), "local:/"),
        (shm(), "custom:shm:/"),
        (tcp(), "tcp://127.0.0.1:"),
        (tls(), "tls://127.0.0.1:"),
    ];
    for (options, prefix) in cases {
        let counter = Counter::spawn_with(&options, 0).unwrap();
        let text = counter.address().to_string();
        assert!(
            text.starts_with(prefix),
            "{text} should start with {prefix}"
        );
        assert!(!text.ends_with(":0"), "port 0 is resolved: {text}");
        assert_eq!(text.parse::<Address>().unwrap(), counter.address());
    }
}

// ---- TCP -------------------------------------------------------------------

fn tcp_address(counter: &tests::CounterProxy) -> SocketAddr {
    match counter.address() {
        Address::Tcp(at) => at,
        other => panic!("not a TCP address: {other}"),
    }
}

#[test]
fn tcp_without_an_authkey_is_refused_with_a_clear_error() {
    let options = Options::new().transport(Transport::Tcp(loopback()));
    match Counter::spawn_with(&options, 0) {
        Err(Error::Auth { message }) => assert!(message.contains("authkey"), "{message}"),
        other => panic!("expected Error::Auth, got {other:?}"),
    }
}

#[test]
fn a_wrong_key_is_auth_and_the_actor_keeps_serving() {
    let owner = Counter::spawn_with(&tcp(), 1).unwrap();
    for _ in 0..3 {
        assert!(matches!(
            Counter::connect(&owner.address(), b"wrong"),
            Err(Error::Auth { .. })
        ));
    }
    let right = Counter::connect(&owner.address(), KEY).unwrap();
    assert_eq!(right.add(1).unwrap(), 2);
    assert_eq!(owner.add(1).unwrap(), 3);
}

/// Sends `bytes` on a raw TCP connection, then waits (bounded) for the
/// actor to close it; returns what it answered.
fn hostile(at: SocketAddr, bytes: &[u8], then_close: bool) -> Vec<u8> {
    let mut stream = TcpStream::connect_timeout(&at, Duration::from_secs(2)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(8)))
        .unwrap();
    let _ = stream.write_all(bytes);
    if then_close {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

#[test]
fn hostile_bytes_never_crash_or_stall_the_actor() {
    let options = tcp().handshake_timeout(Duration::from_millis(500));
    let owner = Counter::spawn_with(&options, 0).unwrap();
    let at = tcp_address(&owner);
    let mut huge = u32::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(&[0; 60]);
    let mut cut = 40u32.to_le_bytes().to_vec();
    cut.extend_from_slice(&[1, 0, 0, 0, 0]);
    let http = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases: [(&str, Vec<u8>, bool); 5] = [
        ("garbage", garbage, false),
        ("an HTTP request", http, false),
        ("a huge length prefix", huge, false),
        ("a connection closed mid-frame", cut, true),
        ("nothing at all", Vec::new(), false),
    ];
    for (what, bytes, close) in cases {
        let started = Instant::now();
        let answer = hostile(at, &bytes, close);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what}: the actor held the connection"
        );
        // At most one fixed refusal frame (24 bytes), never more.
        assert!(
            answer.len() <= 24,
            "{what}: the actor said {} bytes",
            answer.len()
        );
        let started = Instant::now();
        assert!(
            owner.add(1).unwrap() >= 1,
            "{what}: the actor stopped serving"
        );
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{what}: a call waited"
        );
    }
    let remote = Counter::connect(&owner.address(), KEY).unwrap();
    assert_eq!(remote.get().unwrap(), 5);
}

#[test]
fn two_hundred_idle_connections_do_not_delay_a_real_client() {
    let owner = Counter::spawn_with(&tcp(), 0).unwrap();
    let at = tcp_address(&owner);
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect_timeout(&at, Duration::from_secs(2)).unwrap())
        .collect();
    let started = Instant::now();
    let client = Counter::connect(&owner.address(), KEY).unwrap();
    assert_eq!(client.add(1).unwrap(), 1);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "a login behind 200 idle peers took {took:?}"
    );
    drop(idle);
}

// ---- TLS ---------------------------------------------------------------------

#[test]
fn tls_refuses_a_client_that_does_not_trust_the_server() {
    let owner = Counter::spawn_with(&tls(), 0).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let stranger = Options::new()
        .authkey(KEY)
        .with(Tls::new().trust_pem(other.cert.pem()).unwrap());
    match uactor::net::connect_with::<Counter>(&owner.address(), &stranger) {
        Err(Error::Transport { message, .. }) => {
            assert!(message.contains("certificate"), "{message}")
        }
        other => panic!("expected a certificate failure, got {other:?}"),
    }
    // The right roots but the wrong key: TLS passes, the authkey does not.
    let wrong_key = Options::new().authkey(b"wrong").with(calling_tls());
    assert!(matches!(
        uactor::net::connect_with::<Counter>(&owner.address(), &wrong_key),
        Err(Error::Auth { .. })
    ));
    // Plain TCP to a TLS actor is refused too, and the actor goes on.
    let Address::Tls(at) = owner.address() else {
        panic!("{}", owner.address())
    };
    assert!(Counter::connect(&Address::Tcp(at), KEY).is_err());
    assert_eq!(owner.add(2).unwrap(), 2);
}

#[test]
fn tls_reads_certificates_from_pem_files() {
    let (cert, key) = certificate();
    let dir = tests::scratch("tls-pem");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("actor.crt"), cert).unwrap();
    std::fs::write(dir.join("actor.key"), key).unwrap();
    let serving = Tls::new()
        .identity_pem_files(dir.join("actor.crt"), dir.join("actor.key"))
        .unwrap();
    let options = tcp().with(serving);
    let owner = Counter::spawn_with(&options, 3).unwrap();
    let calling = Options::new()
        .authkey(KEY)
        .with(Tls::new().trust_pem_file(dir.join("actor.crt")).unwrap());
    assert_eq!(
        uactor::net::connect_with::<Counter>(&owner.address(), &calling)
            .unwrap()
            .get()
            .unwrap(),
        3
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        Tls::new()
            .identity_pem_files(dir.join("missing.crt"), dir.join("missing.key"))
            .is_err()
    );
}

// ---- ipc-channel -----------------------------------------------------------

#[test]
fn an_ipc_child_that_dies_before_connecting_does_not_hang_spawn() {
    for mode in ["exit", "panic", "fail"] {
        let started = Instant::now();
        let result = Fragile::spawn_with(&ipc().panics(Panics::Quiet), mode.to_owned());
        assert!(
            matches!(result, Err(Error::Spawn { .. })),
            "{mode}: {result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{mode}: spawn took {:?}",
            started.elapsed()
        );
    }
    assert!(
        Fragile::spawn_with(&ipc(), "fine".to_owned())
            .unwrap()
            .ping()
            .unwrap()
    );
}

#[test]
fn an_ipc_actor_is_reached_by_others_through_its_local_socket() {
    let owner = Counter::spawn_with(&ipc(), 1).unwrap();
    let address = owner.address();
    assert!(matches!(address, Address::Local(_)), "{address}");
    let other = Counter::connect(&address, KEY).unwrap();
    assert_eq!(other.add(1).unwrap(), 2);
    assert_eq!(owner.get().unwrap(), 2);
}

// ---- codecs ----------------------------------------------------------------

#[test]
fn bincode_actors_work_and_a_codec_mismatch_is_named() {
    for options in [local(), tcp(), ipc()] {
        let bincode = options.codec(CodecId::Bincode);
        let owner = Counter::spawn_with(&bincode, 1).unwrap();
        assert_eq!(owner.add(1).unwrap(), 2);
        let payload = vec![9u8; 1 << 20];
        assert_eq!(owner.echo(payload.clone()).unwrap(), payload);
        match Counter::connect(&owner.address(), KEY) {
            Err(Error::Codec { message }) => {
                assert!(
                    message.contains("mismatch") && message.contains("Bincode"),
                    "{message}"
                )
            }
            other => panic!("expected a codec mismatch, got {other:?}"),
        }
        let same = Options::new().authkey(KEY).codec(CodecId::Bincode);
        assert_eq!(
            uactor::net::connect_with::<Counter>(&owner.address(), &same)
                .unwrap()
                .get()
                .unwrap(),
            2
        );
    }
}

// ---- serve -------------------------------------------------------------------

#[test]
fn serve_hosts_an_actor_in_this_process_until_it_is_shut_down() {
    let server = uactor::net::Server::bind(
        &"tcp://127.0.0.1:0".parse().unwrap(),
        &Options::new().authkey(KEY),
    )
    .unwrap();
    let address = server.address();
    let serving = std::thread::spawn(move || server.run(Shelf::default()));
    let client = Shelf::connect(&address, KEY).unwrap();
    assert_eq!(client.pid(), std::process::id());
    let items = client.items().unwrap();
    items.push(4).unwrap();
    assert_eq!(
        client.sum().unwrap(),
        10,
        "a result proxy from a served actor works"
    );
    assert!(matches!(
        Shelf::connect(&address, b"wrong"),
        Err(Error::Auth { .. })
    ));
    client.shutdown().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !serving.is_finished() {
        assert!(
            Instant::now() < deadline,
            "serve did not return after shutdown"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    serving.join().unwrap().unwrap();
    // Once run has returned, nobody is served: the port is closed, and a
    // client that had connected before is told the actor is gone.
    let Address::Tcp(at) = address else {
        panic!("a tcp address")
    };
    assert_eq!(
        std::net::TcpStream::connect(at)
            .map_err(|error| error.kind())
            .err(),
        Some(std::io::ErrorKind::ConnectionRefused),
        "the port still accepts after serve returned"
    );
    assert!(Shelf::connect(&address, KEY).is_err());
    assert!(matches!(
        uactor::net::serve::<Counter>(&address, b"", Counter::new(0)),
        Err(Error::Auth { .. })
    ));
}
