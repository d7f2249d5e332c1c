//! Hardening: proxies a peer makes up, secrets in `Debug`, an environment
//! that names the wrong descriptor, clients that leave mid-reply, and the
//! socket folders processes leave behind.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tests::{Counter, CounterProxy, alive, kill9, wait_gone};
use uactor::{Actor, Address, Error, Options};
use uactor_core::frame::{self, DEFAULT_MAX_FRAME, Header, Kind};
use uactor_core::{CodecId, Token};
use uactor_transport::framing;
use uactor_transport::{Authkey, handshake};

const KEY: &[u8] = b"the key of the hardening tests";

/// What the made-up server below pretends to be; never spawned.
#[derive(Debug, Default)]
pub struct Liar;

#[uactor::actor]
impl Liar {
    /// Counters, as the server says.
    pub fn counters(&self) -> Vec<CounterProxy> {
        Vec::new()
    }
}

/// A listener that only counts who connects to it.
fn counting_listener() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("its address");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&accepted);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (address, accepted)
}

/// A server that knows `KEY` and passes for a `Liar`, answering every
/// request with `tokens`: proxies it made up.
fn lying_server(tokens: Vec<Token>) -> Address {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = Address::Tcp(listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tokens = tokens.clone();
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut connection = framing::connection(uactor_transport::tcp::TcpSocket(stream));
                let welcome = handshake::Welcome {
                    pid: std::process::id(),
                    kind: uactor_core::protocol::tag(<Liar as Actor>::NAME),
                };
                let key = Authkey::new(KEY).expect("a key");
                if handshake::server(
                    &mut connection,
                    &key,
                    CodecId::Postcard,
                    welcome,
                    Duration::from_secs(5),
                    DEFAULT_MAX_FRAME,
                )
                .is_err()
                {
                    return;
                }
                let mut payload = Vec::new();
                CodecId::Postcard
                    .encode(&tokens, &mut payload)
                    .expect("encode");
                while let Ok(bytes) = connection.reader.read_frame() {
                    let Ok((header, _)) = Header::parse(bytes) else {
                        return;
                    };
                    if header.kind == Kind::Request {
                        let reply =
                            frame::encode(Header::new(Kind::Reply, header.request), &payload);
                        if connection.writer.write_frame(&reply).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    address
}

#[test]
fn proxies_a_peer_made_up_are_followed_nowhere_and_never_with_the_tree_key() {
    let (counting, accepted) = counting_listener();
    let unreachable = std::env::temp_dir().join(format!(
        "uactor-hardening-{}-nothing-here/actor.sock",
        std::process::id()
    ));
    let tokens: Vec<Token> = (0..1000u32)
        .map(|index| {
            let address = if index % 2 == 0 {
                Address::Tcp(counting)
            } else {
                Address::Local(unreachable.clone())
            };
            Token {
                // A vouch it cannot have made: it does not know the tree's
                // key (nor, here, does the tree's key match its own).
                vouch: (index % 4 == 0).then_some([index as u8; 16]),
                ..Token::actor(address)
            }
        })
        .collect();
    let liar = Liar::connect(&lying_server(tokens), KEY).expect("connect to the liar");

    let started = Instant::now();
    let counters = liar.counters().expect("the reply decodes");
    let decoded = started.elapsed();
    assert_eq!(counters.len(), 1000);
    println!("1000 made-up proxies decoded in {decoded:?}");
    assert!(
        decoded < Duration::from_secs(2),
        "decoding took {decoded:?}: it must not dial"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "decoding dialled an address"
    );

    let started = Instant::now();
    for counter in counters.iter().take(10) {
        let error = counter.get().expect_err("a made-up proxy is refused");
        assert!(
            matches!(&error, Error::Auth { message } if message.contains("did not show")),
            "{error:?}"
        );
    }
    let refused = started.elapsed();
    println!("10 calls through made-up proxies refused in {refused:?}");
    assert!(refused < Duration::from_secs(1), "{refused:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "a call through a made-up proxy dialled its address"
    );
}

#[test]
fn debug_output_holds_no_key_byte() {
    const SECRET: &[u8] = b"open sesame, 0123456789";
    let options = Options::new().authkey(SECRET);
    let server =
        uactor::net::Server::bind(&"tcp://127.0.0.1:0".parse().expect("an address"), &options)
            .expect("bind a server");
    let as_numbers = format!("{:?}", SECRET)
        .trim_matches(|c| c == '[' || c == ']')
        .to_owned();
    for shown in [format!("{options:?}"), format!("{server:?}")] {
        println!("{shown}");
        assert!(!shown.contains("sesame"), "{shown}");
        assert!(!shown.contains(&as_numbers), "{shown}");
        assert!(!shown.contains("111, 112, 101, 110"), "{shown}");
    }
}

/// Runs this test binary as actor `Counter` with `fd` named as its
/// bootstrap channel, through `sh` (so `sh` is its parent, or it `exec`s
/// into it when `direct`); returns its exit code and what it printed.
fn start_as_actor(fd: i32, direct: bool) -> (Option<i32>, String) {
    let exe = std::env::current_exe().expect("this test binary");
    let script = if direct {
        r#"exec "$0" --list"#
    } else {
        r#""$0" --list; exit $?"#
    };
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(exe)
        .env("UACTOR_ACTOR", <Counter as Actor>::NAME)
        .env("UACTOR_BOOTSTRAP_FD", fd.to_string())
        .output()
        .expect("run sh");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Lets children inherit `fd`.
fn inheritable(fd: &impl std::os::fd::AsFd) {
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty()).expect("clear FD_CLOEXEC");
}

#[test]
fn the_start_up_hook_refuses_a_descriptor_that_is_not_its_parents_socket() {
    // A file, not a socket.
    let file = std::fs::File::open(std::env::current_exe().expect("exe")).expect("open");
    inheritable(&file);
    let (code, said) = start_as_actor(file.as_raw_fd(), true);
    println!("a file: {code:?}: {said}");
    assert_eq!(code, Some(70), "{said}");
    assert!(said.contains("not a socket"), "{said}");

    // A socket, but its peer is this test, not the process's parent (sh).
    let (ours, theirs) = UnixStream::pair().expect("a socket pair");
    inheritable(&theirs);
    let (code, said) = start_as_actor(theirs.as_raw_fd(), false);
    println!("a stranger's socket: {code:?}: {said}");
    assert_eq!(code, Some(70), "{said}");
    assert!(said.contains("not this process's parent"), "{said}");

    // A descriptor that is not open at all.
    let (code, said) = start_as_actor(987, true);
    println!("a closed descriptor: {code:?}: {said}");
    assert_eq!(code, Some(70), "{said}");
    assert!(said.contains("not open"), "{said}");
    drop(ours);
}

/// An actor with a large answer.
#[derive(Debug, Default)]
pub struct Big;

#[uactor::actor]
impl Big {
    /// 8 MiB (a string: encoded as one run of bytes, so a debug build
    /// spends its time on the socket, not on encoding).
    pub fn blob(&self) -> String {
        "u".repeat(8 << 20)
    }

    /// Still here.
    pub fn ping(&self) -> bool {
        true
    }
}

#[test]
fn clients_that_leave_before_reading_a_large_reply_do_not_harm_the_actor() {
    let big = Big::spawn_with(&Options::new().authkey(KEY)).expect("spawn");
    let pid = big.pid();
    let Address::Local(path) = big.address() else {
        panic!("a local actor")
    };
    let blob = (0..64)
        .find(|&index| <Big as Actor>::method_name(index) == Some("blob"))
        .expect("the method");
    let key = Authkey::new(KEY).expect("a key");
    let started = Instant::now();
    for round in 0..100 {
        let stream = UnixStream::connect(&path).expect("connect");
        let mut connection = framing::connection(stream);
        handshake::client(
            &mut connection,
            &key,
            CodecId::Postcard,
            Duration::from_secs(5),
            DEFAULT_MAX_FRAME,
        )
        .unwrap_or_else(|error| panic!("round {round}: {error}"));
        let request = frame::encode(Header::new(Kind::Request, 1).method(blob), &[]);
        connection.writer.write_frame(&request).expect("send");
        // Gone before a byte of the answer is read, as a process that exits.
        drop(connection);
    }
    let left = started.elapsed();
    assert!(big.ping().expect("the actor still serves"));
    assert!(alive(pid));
    assert_eq!(big.blob().expect("a whole reply").len(), 8 << 20);
    println!("100 clients left before reading 8 MiB each, in {left:?}; the actor serves on");
}

/// Where private socket folders are made.
fn runtime_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// The socket folders of process `pid`.
fn folders_of(pid: u32) -> Vec<PathBuf> {
    let prefix = format!("uactor-{pid}-");
    std::fs::read_dir(runtime_dir())
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    path.file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| name.starts_with(&prefix))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn socket_folder(proxy_address: &Address) -> PathBuf {
    let Address::Local(path) = proxy_address else {
        panic!("a local actor")
    };
    path.parent().expect("its folder").to_owned()
}

fn gone_within(folder: &Path, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if !folder.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[test]
fn a_killed_actors_socket_folder_is_removed_by_its_owner() {
    let counter = Counter::spawn(0).expect("spawn");
    let pid = counter.pid();
    let folder = socket_folder(&counter.address());
    assert!(folder.exists());
    kill9(pid);
    assert!(wait_gone(pid, Duration::from_secs(1)).is_some());
    assert!(
        gone_within(&folder, Duration::from_secs(1)),
        "{} outlived its actor",
        folder.display()
    );
    assert!(folders_of(pid).is_empty());
    drop(counter);
}

#[test]
fn an_aborted_actors_socket_folder_is_removed_too() {
    let counter = Counter::spawn(0).expect("spawn");
    let folder = socket_folder(&counter.address());
    let _ = counter.abort();
    assert!(
        gone_within(&folder, Duration::from_secs(1)),
        "{} outlived its actor",
        folder.display()
    );
}

#[test]
fn a_shut_down_actors_socket_folder_is_removed() {
    let counter = Counter::spawn(0).expect("spawn");
    let folder = socket_folder(&counter.address());
    counter.shutdown().expect("shut down");
    assert!(
        gone_within(&folder, Duration::from_secs(1)),
        "{} outlived its actor",
        folder.display()
    );
}

#[test]
fn a_new_actor_sweeps_the_folder_a_killed_tree_left() {
    // A folder named as a process's that is gone, and one whose process
    // lives (this test's own): only the first goes.
    let mut ended = Command::new("true").spawn().expect("run true");
    let dead = ended.id();
    ended.wait().expect("reap true");
    let stale = runtime_dir().join(format!("uactor-{dead}-00112233445566ff"));
    std::fs::create_dir_all(stale.join("inside")).expect("plant a stale folder");
    let living = runtime_dir().join(format!("uactor-{}-ffeeddccbbaa9988", std::process::id()));
    std::fs::create_dir_all(&living).expect("plant a living folder");

    let started = Instant::now();
    let counter = Counter::spawn(0).expect("spawn");
    assert_eq!(counter.add(1).expect("a call"), 1);
    let swept = gone_within(&stale, Duration::from_secs(2));
    let kept = living.exists();
    let _ = std::fs::remove_dir_all(&stale);
    let _ = std::fs::remove_dir_all(&living);
    assert!(swept, "{} outlived a new actor's start", stale.display());
    assert!(kept, "a folder of a living process was swept");
    println!(
        "a new actor swept a dead process's folder within {:?} of its spawn",
        started.elapsed()
    );
}

#[test]
fn a_refused_connection_leaves_the_actor_serving() {
    // A peer that connects, says nothing sensible and leaves, 200 times.
    let counter = Counter::spawn(0).expect("spawn");
    let Address::Local(path) = counter.address() else {
        panic!("a local actor")
    };
    for _ in 0..200 {
        let mut stream = UnixStream::connect(&path).expect("connect");
        let _ = std::io::Write::write_all(&mut stream, b"GET / HTTP/1.1\r\n\r\n");
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut buf = [0; 64];
        match stream.read(&mut buf) {
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
            Err(error) => panic!("the actor kept a stranger waiting: {error}"),
        }
    }
    assert_eq!(counter.add(1).expect("still serving"), 1);
}

/// An actor that calls a counter whose proxy it is given.
#[derive(Debug, Default)]
pub struct Relay;

#[uactor::actor]
impl Relay {
    /// Adds `by` to `counter`, from this process.
    pub fn add_to(&self, counter: CounterProxy, by: i64) -> uactor::Result<i64> {
        counter.add(by)
    }
}

#[test]
fn a_travelling_proxy_speaks_its_actors_codec_and_frame_limit() {
    let counter = Counter::spawn_with(
        &Options::new()
            .codec(uactor::net::CodecId::Bincode)
            .max_frame_size(1 << 20),
        0,
    )
    .expect("spawn a counter with bincode");
    let relay = Relay::spawn().expect("spawn a relay");
    assert_eq!(
        relay
            .add_to(counter.clone(), 5)
            .expect("the call reaches the relay")
            .expect("the relay calls it"),
        5
    );
    assert_eq!(counter.get().expect("a call"), 5);
}

/// Forwards TCP connections from a port of its own to `to`; `cut()`
/// closes those open now, as a network that drops them would.
struct Forwarder {
    address: SocketAddr,
    open: Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Forwarder {
    fn to(to: SocketAddr) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("its address");
        let open = Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = Arc::clone(&open);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(to) else {
                    continue;
                };
                let pipe = |mut from: std::net::TcpStream, mut into: std::net::TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut into);
                        let _ = into.shutdown(std::net::Shutdown::Both);
                    });
                };
                let mut open = kept.lock().expect("the list");
                open.push(client.try_clone().expect("clone"));
                open.push(server.try_clone().expect("clone"));
                pipe(
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                pipe(server, client);
            }
        });
        Forwarder { address, open }
    }

    fn cut(&self) {
        for stream in self.open.lock().expect("the list").drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[test]
fn a_broken_connection_to_a_living_actor_is_reopened() {
    let options = Options::new()
        .authkey(KEY)
        .transport(uactor::Transport::Tcp(
            "127.0.0.1:0".parse().expect("an address"),
        ));
    let counter = Counter::spawn_with(&options, 0).expect("spawn");
    let Address::Tcp(at) = counter.address() else {
        panic!("a tcp actor")
    };
    let forwarder = Forwarder::to(at);
    let reference = Counter::connect(&Address::Tcp(forwarder.address), KEY).expect("connect");
    assert_eq!(reference.add(1).expect("a call"), 1);
    forwarder.cut();
    // The call that meets the cut may fail; the next ones take a new
    // connection.
    let started = Instant::now();
    let mut failed = 0;
    let value = loop {
        match reference.add(1) {
            Ok(value) => break value,
            Err(error) => {
                failed += 1;
                assert!(
                    failed < 3 && started.elapsed() < Duration::from_secs(5),
                    "the connection was not reopened: {error}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    println!(
        "reopened after {failed} failed call(s), in {:?}",
        started.elapsed()
    );
    assert!(value >= 2);
    assert_eq!(counter.get().expect("the owner's own connection"), value);
}
