//! The shared-memory transport (feature `shm`): calls, large values, eager
//! futures by the thousand, proxies both ways, the authkey, a kill mid-call,
//! and nothing left behind.
//!
//! The tests of this file take turns (one lock), so that the last one can
//! check that no segment of theirs is still mapped in this process.

#[path = "support/nobody.rs"]
mod nobody;

use nobody::as_nobody;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures::future::join_all;
use tests::{Counter, Holder, Keeper, kill9, wait_gone};
use uactor::net::CodecId;
use uactor::options::Panics;
use uactor::{Address, Error, Exit, Options, Transport};
use uactor_core::Backend;
use uactor_core::frame::{self, Header, Kind};
use uactor_transport::shm::Shm;
use uactor_transport::{Authkey, handshake};

const KEY: &[u8] = b"shm tests key";

/// Shared-memory options; the panics the tests ask for are not printed.
fn shm() -> Options {
    Options::new()
        .transport(Transport::Shm)
        .authkey(KEY)
        .panics(Panics::Quiet)
}

fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The segments this process maps (each link maps one).
fn mapped_segments() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("/proc/self/maps")
        .lines()
        .filter(|line| line.contains("memfd:uactor-shm"))
        .count()
}

/// The socket directory of an shm actor's address.
fn socket_dir(address: &Address) -> std::path::PathBuf {
    match address {
        Address::Custom { scheme, address } if scheme == "shm" => std::path::Path::new(address)
            .parent()
            .expect("a socket in a directory")
            .to_owned(),
        other => panic!("not an shm address: {other}"),
    }
}

#[test]
fn calls_values_errors_and_a_mebibyte_cross_in_shared_memory() {
    let _turn = one_at_a_time();
    let counter = Counter::spawn_with(&shm(), 10).unwrap();
    assert!(
        counter.address().to_string().starts_with("custom:shm:/"),
        "{}",
        counter.address()
    );
    assert!(
        mapped_segments() >= 1,
        "the owner's link is in shared memory"
    );
    for i in 1..=100 {
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
    // Small, read in place, and past half a ring (sent in pieces).
    for size in [1000, 1 << 20, 5 << 20] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        assert!(
            counter.echo(payload.clone()).unwrap() == payload,
            "{size} bytes came back changed"
        );
    }
    assert_eq!(counter.get().unwrap(), 110);
}

#[test]
fn eager_futures_by_the_thousand_and_threads_share_one_link() {
    let _turn = one_at_a_time();
    let counter = Counter::spawn_with(&shm(), 0).unwrap();
    let twin = counter.to_async();
    // Every future is made (and so sent) before any is awaited.
    let futures: Vec<_> = (0..5000).map(|_| twin.add(1)).collect();
    let results = futures::executor::block_on(join_all(futures));
    let mut values: Vec<i64> = results.into_iter().map(Result::unwrap).collect();
    values.sort_unstable();
    assert_eq!(values, (1..=5000).collect::<Vec<_>>());

    std::thread::scope(|scope| {
        for thread in 0..4 {
            let counter = &counter;
            scope.spawn(move || {
                for call in 0..500 {
                    counter.record(thread, call).unwrap();
                }
            });
        }
    });
    assert_eq!(counter.log().unwrap().len(), 2000);
}

#[test]
fn proxies_pass_both_ways_between_shm_actors() {
    let _turn = one_at_a_time();
    let keeper = Keeper::spawn_with(&shm(), 1, 1).unwrap();
    let items = keeper.items().unwrap();
    let holders = [
        Holder::spawn_with(&shm()).unwrap(),
        Holder::spawn_with(&shm()).unwrap(),
    ];
    // Two threads at once: each sends the list's proxy to its holder, which
    // reaches the keeper over shm with it, pushes, and sends it back.
    std::thread::scope(|scope| {
        for (index, holder) in holders.iter().enumerate() {
            let items = &items;
            scope.spawn(move || {
                for _ in 0..100 {
                    let back = holder.relay(items.clone(), index as i64 + 1).unwrap();
                    back.push(10).unwrap();
                }
            });
        }
    });
    assert_eq!(items.len().unwrap(), 400);
    assert_eq!(keeper.sum().unwrap(), 100 * (1 + 2) + 200 * 10);

    let reference = uactor::net::connect_with::<Keeper>(&keeper.address(), &shm()).unwrap();
    assert_eq!(reference.pid(), keeper.pid());
    assert!(reference.ping().unwrap());
    drop(reference);
    assert!(keeper.ping().unwrap(), "a reference does not own");
}

#[test]
fn a_wrong_authkey_is_refused_and_the_actor_keeps_serving() {
    let _turn = one_at_a_time();
    let owner = Counter::spawn_with(&shm(), 1).unwrap();
    for _ in 0..3 {
        match Counter::connect(&owner.address(), b"not the key") {
            Err(Error::Auth { .. }) => {}
            other => panic!("expected Error::Auth, got {other:?}"),
        }
    }
    let right = Counter::connect(&owner.address(), KEY).unwrap();
    assert_eq!(right.add(1).unwrap(), 2);
    assert_eq!(owner.add(1).unwrap(), 3);
}

#[test]
fn an_actor_killed_mid_call_is_actor_died_within_a_second() {
    let _turn = one_at_a_time();
    let counter = Counter::spawn_with(&shm(), 0).unwrap();
    let pid = counter.pid();
    let dir = socket_dir(&counter.address());
    let caller = std::thread::spawn({
        let counter = counter.clone();
        move || (counter.nap(10_000), Instant::now())
    });
    // A large call in flight too, from an async twin.
    let twin = counter.to_async();
    let large =
        std::thread::spawn(move || futures::executor::block_on(twin.echo(vec![5; 3 << 20])));
    std::thread::sleep(Duration::from_millis(200));
    let killed = Instant::now();
    kill9(pid);
    let (result, ended) = caller.join().unwrap();
    assert_eq!(
        result,
        Err(Error::ActorDied {
            status: Exit::Signal(9)
        })
    );
    let after = ended.duration_since(killed);
    assert!(
        after < Duration::from_secs(1),
        "noticed {after:?} after the kill"
    );
    assert!(matches!(
        large.join().unwrap(),
        Err(Error::ActorDied { .. })
    ));
    assert!(matches!(counter.get(), Err(Error::ActorDied { .. })));
    assert!(wait_gone(pid, Duration::from_secs(2)).is_some());
    // The owner removes the killed actor's socket directory once reaped.
    let deadline = Instant::now() + Duration::from_secs(5);
    while dir.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

#[test]
fn a_client_that_stops_reading_delays_no_one_and_is_disconnected() {
    let _turn = one_at_a_time();
    let counter = Counter::spawn_with(&shm().write_timeout(Duration::from_secs(2)), 0).unwrap();
    let mut silent = Shm::default().connect(&counter.address()).unwrap();
    let key = Authkey::new(KEY).unwrap();
    handshake::client(
        &mut silent,
        &key,
        CodecId::Postcard,
        Duration::from_secs(5),
        frame::DEFAULT_MAX_FRAME,
    )
    .unwrap();
    let mut payload = Vec::new();
    CodecId::Postcard
        .encode(&(vec![3u8; 1 << 20],), &mut payload)
        .unwrap();
    // `echo` is Counter's eighth method; the first reply, read, shows it.
    let request = move |n| frame::encode(Header::new(Kind::Request, n).method(7), &payload);
    silent.writer.write_frame(&request(1)).unwrap();
    let (header, body) = Header::parse(silent.reader.read_frame().unwrap()).unwrap();
    assert_eq!(header.kind, Kind::Reply);
    assert!(body.len() > 1 << 20);
    // Then 40 more, whose replies (40 MiB) it never reads.
    silent
        .writer
        .set_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = silent.reader;
    let mut writer = silent.writer;
    let writing = std::thread::spawn(move || {
        (2..=41)
            .take_while(|&n| writer.write_frame(&request(n)).is_ok())
            .count()
    });
    let started = Instant::now();
    let mut worst = Duration::ZERO;
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(4) {
        let call = Instant::now();
        assert_eq!(counter.add(1).unwrap(), calls + 1);
        worst = worst.max(call.elapsed());
        calls += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("while a client read nothing: {calls} calls of another, the slowest {worst:?}");
    assert!(
        worst < Duration::from_millis(500),
        "another client waited {worst:?}"
    );
    let sent = writing.join().unwrap();
    // Disconnected at its write deadline: reading drains what was sent,
    // then meets the end.
    reader.set_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut frames = 0;
    let ended = loop {
        match reader.read_frame() {
            Ok(_) => frames += 1,
            Err(error) => break error,
        }
    };
    println!("it sent {sent} of 40 more requests, got {frames} replies, then: {ended}");
    assert!(frames < 40, "it was never disconnected");
    assert!(
        !matches!(ended, Error::Timeout { .. }),
        "still open: {ended:?}"
    );
    assert_eq!(counter.get().unwrap(), calls, "the actor serves on");
}

#[test]
fn another_user_gets_neither_the_socket_nor_the_memory() {
    let _turn = one_at_a_time();
    let counter = Counter::spawn_with(&shm(), 0).unwrap();
    let address = counter.address();
    let dir = socket_dir(&address);
    let socket = dir.join("actor.sock");
    let metadata = std::fs::metadata(&dir).unwrap();
    assert_eq!(metadata.permissions().mode() & 0o777, 0o700);
    assert_eq!(metadata.uid(), rustix::process::geteuid().as_raw());
    let Some(seen) = as_nobody(&socket) else {
        return;
    };
    assert_eq!(seen, "denied", "another user reached the socket");
    // With the directory opened up, the actor still drops a peer of
    // another user before it makes or sends a segment.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();
    let seen = as_nobody(&socket);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(
        seen.as_deref(),
        Some("dropped"),
        "another user was sent a segment"
    );
    assert_eq!(counter.add(1).unwrap(), 1, "the actor serves on");
}

#[test]
fn nothing_is_left_behind() {
    let _turn = one_at_a_time();
    // The links of the tests before this one close a moment after their
    // last proxy went (their threads linger): wait for that, bounded.
    let lingering = Instant::now() + Duration::from_secs(3);
    while mapped_segments() > 0 && Instant::now() < lingering {
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = mapped_segments();
    let counter = Counter::spawn_with(&shm(), 0).unwrap();
    let reference = Counter::connect(&counter.address(), KEY).unwrap();
    assert_eq!(reference.add(1).unwrap(), 1);
    assert_eq!(counter.echo(vec![1; 2 << 20]).unwrap().len(), 2 << 20);
    assert!(mapped_segments() >= before + 2, "two links, two segments");
    let pid = counter.pid();
    let dir = socket_dir(&counter.address());
    drop(reference);
    counter.shutdown().unwrap();
    // A proxy that was shut down keeps its (closed) link until dropped.
    drop(counter);
    assert!(wait_gone(pid, Duration::from_secs(5)).is_some());
    assert!(!dir.exists(), "{} was left behind", dir.display());
    // A connection's writer and reader threads linger a moment after its
    // last proxy is gone, holding their halves.
    let deadline = Instant::now() + Duration::from_secs(3);
    while mapped_segments() > before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(mapped_segments(), before, "every segment was unmapped");
    assert_eq!(before, 0, "the tests before this one left none mapped");
    // Shared memory has no name: nothing of ours in /dev/shm, ever.
    if let Ok(entries) = std::fs::read_dir("/dev/shm") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            assert!(
                !name.to_string_lossy().contains("uactor"),
                "{name:?} in /dev/shm"
            );
        }
    }
}
