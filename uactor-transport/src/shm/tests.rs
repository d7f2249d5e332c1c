use std::io::IoSlice;
use std::thread;
use std::time::{Duration, Instant};

use uactor_core::frame::{self, Header, Kind};

use super::*;

/// A listener and a client connected to it, with the server's half.
fn pair() -> (Connection, Connection, Box<dyn Listener>) {
    let mut listener = Shm::default().listen().unwrap();
    let address = listener.address();
    let accepting = thread::spawn(move || {
        let connection = listener.accept();
        (connection, listener)
    });
    let client = Shm::default().connect(&address).unwrap();
    let (server, listener) = accepting.join().unwrap();
    (client, server.unwrap(), listener)
}

fn request(size: usize, fill: u8) -> Vec<u8> {
    frame::encode(Header::new(Kind::Request, size as u64), &vec![fill; size])
}

#[test]
fn frames_of_every_size_cross_both_ways() {
    let (mut client, mut server, _listener) = pair();
    // Small (copied), in place, and past half a ring (in pieces).
    for (round, size) in [10, 5000, 1 << 20, CAPACITY / 2, 3 * CAPACITY + 5]
        .into_iter()
        .enumerate()
    {
        let sent = request(size, round as u8);
        let echo = thread::spawn(move || {
            let bytes = server.reader.read_frame().unwrap().to_vec();
            server.writer.write_frame(&bytes).unwrap();
            server
        });
        client.writer.write_frame(&sent).unwrap();
        assert!(
            client.reader.read_frame().unwrap() == &sent[..],
            "size {size}"
        );
        server = echo.join().unwrap();
    }
}

#[test]
fn the_address_names_the_transport_and_forget_removes_its_directory() {
    let listener = Shm::default().listen().unwrap();
    let address = listener.address();
    let text = address.to_string();
    assert!(text.starts_with("custom:shm:/"), "{text}");
    assert_eq!(text.parse::<Address>().unwrap(), address);
    let dir = path_of(&address).unwrap().parent().unwrap().to_owned();
    // A listener that never dropped (its process was killed).
    std::mem::forget(listener);
    assert!(dir.exists());
    Shm::default().forget(&address);
    assert!(!dir.exists());
}

#[test]
fn a_sleeping_reader_is_woken_and_a_timeout_keeps_its_place() {
    let (mut client, mut server, _listener) = pair();
    server
        .reader
        .set_timeout(Some(Duration::from_millis(30)))
        .unwrap();
    let started = Instant::now();
    assert!(matches!(
        server.reader.read_frame(),
        Err(Error::Timeout { .. })
    ));
    assert!(started.elapsed() >= Duration::from_millis(25));
    server
        .reader
        .set_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let sent = request(100, 7);
    let writing = {
        let sent = sent.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            client.writer.write_frame(&sent).unwrap();
            client
        })
    };
    assert_eq!(server.reader.read_frame().unwrap(), &sent[..]);
    let _client = writing.join().unwrap();
}

#[test]
fn a_peer_that_goes_ends_the_connection_after_what_it_sent() {
    let (mut client, mut server, _listener) = pair();
    let sent = request(20_000, 3);
    client.writer.write_frame(&sent).unwrap();
    drop(client);
    assert_eq!(server.reader.read_frame().unwrap(), &sent[..]);
    assert!(matches!(server.reader.read_frame(), Err(Error::Closed)));

    // A reader asleep when the peer goes wakes at once.
    let (client, mut server, _listener) = pair();
    let reading = thread::spawn(move || {
        let started = Instant::now();
        (server.reader.read_frame().map(drop), started.elapsed())
    });
    thread::sleep(Duration::from_millis(50));
    drop(client);
    let (result, waited) = reading.join().unwrap();
    assert!(matches!(result, Err(Error::Closed)), "{result:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
}

#[test]
fn a_full_ring_makes_try_write_take_nothing_and_a_writer_wait_for_room() {
    let (mut client, mut server, _listener) = pair();
    // Two fit in the ring, a third does not.
    let big = request(CAPACITY * 2 / 5, 1);
    let slices = [IoSlice::new(&big), IoSlice::new(&big), IoSlice::new(&big)];
    let taken = client.writer.try_write(&slices).unwrap().unwrap();
    assert_eq!(taken, 2 * big.len(), "frames are taken whole or not at all");
    assert_eq!(client.writer.try_write(&slices[2..]).unwrap().unwrap(), 0);

    client
        .writer
        .set_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    assert!(matches!(
        client.writer.write_frames(&slices[2..]),
        Err(Error::Timeout { .. })
    ));

    client.writer.set_timeout(None).unwrap();
    let reading = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        for _ in 0..2 {
            assert_eq!(server.reader.read_frame().unwrap().len(), big.len());
        }
        server
    });
    let again = request(CAPACITY * 2 / 5, 1);
    assert_eq!(
        client.writer.write_frames(&[IoSlice::new(&again)]).unwrap(),
        again.len(),
        "taken once the reader made room"
    );
    let _server = reading.join().unwrap();
}

#[test]
fn the_closer_wakes_a_blocked_reader_and_a_blocked_writer() {
    let (mut client, _server, _listener) = pair();
    let closer = client.writer.closer().unwrap();
    let reading = thread::spawn(move || {
        let result = client.reader.read_frame().map(drop);
        (result, client)
    });
    thread::sleep(Duration::from_millis(50));
    closer();
    let (result, mut client) = reading.join().unwrap();
    assert!(matches!(result, Err(Error::Closed)), "{result:?}");
    assert!(client.writer.write_frame(&request(10, 1)).is_err());

    let (mut client, _server, _listener) = pair();
    let big = request(CAPACITY * 2 / 5, 1);
    client.writer.write_frame(&big).unwrap();
    client.writer.write_frame(&big).unwrap();
    let closer = client.writer.closer().unwrap();
    let writing = thread::spawn(move || {
        let started = Instant::now();
        (client.writer.write_frame(&big), started.elapsed())
    });
    thread::sleep(Duration::from_millis(50));
    closer();
    let (result, waited) = writing.join().unwrap();
    assert!(result.is_err());
    assert!(waited < Duration::from_secs(2), "{waited:?}");
}

#[test]
fn the_frame_limit_is_checked_before_anything_is_read() {
    let (mut client, mut server, _listener) = pair();
    server.reader.set_max_frame(frame::HANDSHAKE_MAX_FRAME);
    client.writer.write_frame(&request(10_000, 1)).unwrap();
    assert!(matches!(
        server.reader.read_frame(),
        Err(Error::FrameTooLarge { .. })
    ));
    let (mut client, mut server, _listener) = pair();
    server.reader.set_max_frame(1 << 20);
    client
        .writer
        .set_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    // Sent in pieces; the writer gives up once the ring is full.
    let _ = client.writer.write_frame(&request(3 * CAPACITY, 1));
    assert!(matches!(
        server.reader.read_frame(),
        Err(Error::FrameTooLarge { .. })
    ));
}

#[test]
fn polling_and_buffered_see_what_has_arrived() {
    let (mut client, mut server, _listener) = pair();
    assert!(matches!(server.reader.poll_frame(), Some(Ok(false))));
    assert!(!server.reader.buffered());
    let first = request(10, 1);
    let second = request(9000, 2);
    client
        .writer
        .try_write(&[IoSlice::new(&first), IoSlice::new(&second)])
        .unwrap()
        .unwrap();
    assert!(server.reader.buffered());
    assert!(matches!(server.reader.poll_frame(), Some(Ok(true))));
    assert_eq!(server.reader.read_frame().unwrap(), &first[..]);
    assert!(server.reader.buffered(), "the second is whole");
    assert_eq!(server.reader.read_frame().unwrap(), &second[..]);
    assert!(!server.reader.buffered());
}

#[test]
fn a_client_that_reaches_no_shm_actor_fails_within_its_bound() {
    let dir = PrivateDir::create().unwrap();
    let path = dir.path().join("silent.sock");
    let _silent = UnixListener::bind(&path).unwrap();
    let started = Instant::now();
    let result = connect(&path, Duration::from_millis(100));
    assert!(matches!(result, Err(Error::Transport { .. })), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
