use std::thread;

use uactor_core::transport::memory;

use super::*;

const LIMIT: Duration = Duration::from_secs(2);
const WELCOME: Welcome = Welcome { pid: 77, kind: 5 };

fn run(client_key: &[u8], server_key: &[u8]) -> (Result<Welcome>, Result<CodecId>) {
    let (mut a, mut b) = memory::pair();
    let server_key = Authkey::new(server_key).unwrap();
    let server =
        thread::spawn(move || server(&mut b, &server_key, CodecId::Postcard, WELCOME, LIMIT, 1024));
    let client = client(
        &mut a,
        &Authkey::new(client_key).unwrap(),
        CodecId::Postcard,
        LIMIT,
        1024,
    );
    (client, server.join().unwrap())
}

#[test]
fn the_same_key_opens_the_connection() {
    let (client, server) = run(b"key", b"key");
    assert_eq!(client.unwrap(), WELCOME);
    assert_eq!(server.unwrap(), CodecId::Postcard);
}

#[test]
fn a_wrong_key_is_refused_on_both_sides() {
    let (client, server) = run(b"wrong", b"key");
    assert!(matches!(client, Err(Error::Auth { .. })), "{client:?}");
    assert!(matches!(server, Err(Error::Auth { .. })), "{server:?}");
}

#[test]
fn a_silent_peer_is_dropped_at_the_deadline() {
    let (_silent, mut b) = memory::pair();
    let key = Authkey::new(b"key").unwrap();
    let started = std::time::Instant::now();
    let result = server(
        &mut b,
        &key,
        CodecId::Postcard,
        WELCOME,
        Duration::from_millis(50),
        1024,
    );
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_stranger_gets_one_fixed_refusal() {
    let (mut a, mut b) = memory::pair();
    let key = Authkey::new(b"key").unwrap();
    a.writer
        .write_frame(&frame::encode(Header::new(Kind::Hello, 0), b"GET / HT"))
        .unwrap();
    let result = server(&mut b, &key, CodecId::Postcard, WELCOME, LIMIT, 1024);
    assert!(matches!(result, Err(Error::Protocol { .. })));
    let (header, payload) = Header::parse(a.reader.read_frame().unwrap()).unwrap();
    assert_eq!((header.kind, payload.len()), (Kind::Refused, 0));
}

#[test]
fn empty_keys_are_refused() {
    assert!(matches!(Authkey::new(b""), Err(Error::Auth { .. })));
    assert_ne!(Authkey::generate().unwrap(), Authkey::generate().unwrap());
}

#[test]
fn a_codec_mismatch_is_named_to_an_authenticated_client_only() {
    let (mut a, mut b) = memory::pair();
    let key = Authkey::new(b"key").unwrap();
    let server_key = key.clone();
    let serving =
        thread::spawn(move || server(&mut b, &server_key, CodecId::Postcard, WELCOME, LIMIT, 1024));
    // A client that says it speaks codec 9 (another build), with the key.
    let mut hello = Hello::new(CodecId::Postcard).to_bytes();
    hello[6] = 9;
    a.writer
        .write_frame(&frame::encode(Header::new(Kind::Hello, 0), &hello))
        .unwrap();
    let (header, challenge) = Header::parse(a.reader.read_frame().unwrap())
        .map(|(h, p)| (h, p.to_vec()))
        .unwrap();
    assert_eq!(header.kind, Kind::Challenge);
    let client_nonce = [3u8; NONCE_LEN];
    let mut response = tag(&key, CLIENT_LABEL, &challenge, &client_nonce)
        .unwrap()
        .to_vec();
    response.extend_from_slice(&client_nonce);
    a.writer
        .write_frame(&frame::encode(Header::new(Kind::Response, 0), &response))
        .unwrap();
    let (header, welcome) = Header::parse(a.reader.read_frame().unwrap())
        .map(|(h, p)| (h, p.to_vec()))
        .unwrap();
    assert_eq!(
        (header.kind, welcome[MAC_LEN + 12]),
        (Kind::Welcome, CodecId::Postcard.to_byte())
    );
    assert!(matches!(serving.join().unwrap(), Err(Error::Codec { .. })));

    // Without the key, the same client learns nothing but the refusal.
    let (mut a, mut b) = memory::pair();
    let serving =
        thread::spawn(move || server(&mut b, &key, CodecId::Postcard, WELCOME, LIMIT, 1024));
    let wrong = client(
        &mut a,
        &Authkey::new(b"wrong").unwrap(),
        CodecId::Postcard,
        LIMIT,
        1024,
    );
    assert!(matches!(wrong, Err(Error::Auth { .. })));
    assert!(serving.join().unwrap().is_err());
}

/// Runs `side` against a peer that sends its first frame after `pause`,
/// then stalls; returns the result and how long `side` took.
fn stalled_after_one_frame<T: std::fmt::Debug>(
    first: Vec<u8>,
    pause: Duration,
    side: impl FnOnce(&mut Connection) -> Result<T>,
) -> (Result<T>, Duration) {
    let (peer, mut ours) = memory::pair();
    let started = std::time::Instant::now();
    let stalling = thread::spawn(move || {
        let mut peer = peer;
        thread::sleep(pause);
        let _ = peer.writer.write_frame(&first);
        // Keep the connection open, silent, past any deadline.
        thread::sleep(Duration::from_secs(1));
        drop(peer);
    });
    let result = side(&mut ours);
    let took = started.elapsed();
    stalling.join().unwrap();
    (result, took)
}

#[test]
fn one_deadline_bounds_the_whole_handshake_on_both_sides() {
    // Each frame comes within the deadline; the handshake as a whole does
    // not, so each side gives up at the deadline, not a deadline after the
    // last frame.
    let deadline = Duration::from_millis(600);
    let pause = Duration::from_millis(400);
    let key = Authkey::new(b"key").unwrap();
    let hello = frame::encode(
        Header::new(Kind::Hello, 0),
        &Hello::new(CodecId::Postcard).to_bytes(),
    );
    let (served, server_took) = stalled_after_one_frame(hello, pause, |connection| {
        server(connection, &key, CodecId::Postcard, WELCOME, deadline, 1024)
    });
    let challenge = frame::encode(Header::new(Kind::Challenge, 0), &[5; NONCE_LEN]);
    let (welcomed, client_took) = stalled_after_one_frame(challenge, pause, |connection| {
        client(connection, &key, CodecId::Postcard, deadline, 1024)
    });
    println!(
        "a peer that sent one frame after {pause:?} and stalled was dropped by the server after \
         {server_took:?}, by the client after {client_took:?} (deadline {deadline:?})"
    );
    assert!(
        matches!(served, Err(Error::Timeout { after }) if after == deadline),
        "{served:?}"
    );
    assert!(
        matches!(&welcomed, Err(Error::Transport { message, .. }) if message.contains("did not finish")),
        "{welcomed:?}"
    );
    for took in [server_took, client_took] {
        assert!(
            took >= deadline && took < deadline + deadline / 5,
            "a {deadline:?} handshake took {took:?}"
        );
    }
}

/// What a client makes of a peer that answers its hello with `answer`
/// (`None`: closes without a word).
fn client_against(answer: Option<&[u8]>) -> Error {
    let (mut ours, peer) = memory::pair();
    let Connection { mut writer, reader } = peer;
    if let Some(answer) = answer {
        writer.write_frame(answer).unwrap();
    }
    drop(writer);
    let result = client(
        &mut ours,
        &Authkey::new(b"key").unwrap(),
        CodecId::Postcard,
        Duration::from_secs(2),
        1024,
    );
    drop(reader);
    result.unwrap_err()
}

#[test]
fn a_client_tells_a_stranger_from_a_refusal() {
    let http = client_against(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    println!("an HTTP server: {http}");
    assert!(matches!(http, Error::Protocol { .. }), "{http:?}");
    let shown = http.to_string();
    assert!(
        shown.contains("does not speak the uactor protocol"),
        "{shown}"
    );
    assert!(shown.contains("`HTTP`"), "{shown}");
    assert!(!shown.contains("max_frame_size"), "{shown}");

    let reply = frame::encode(Header::new(Kind::Reply, 1), b"?");
    let other = client_against(Some(&reply));
    println!("a peer that answers with a reply: {other}");
    assert!(
        other
            .to_string()
            .contains("does not speak the uactor protocol"),
        "{other}"
    );

    let closed = client_against(None);
    println!("a peer that closes: {closed}");
    assert!(
        matches!(&closed, Error::Transport { message, .. } if message.contains("is an actor listening there")),
        "{closed:?}"
    );

    // Refused before any key was shown: the actor's bounds or the protocol
    // version, never the key.
    let refused = client_against(Some(&frame::encode(Header::new(Kind::Refused, 0), &[])));
    assert!(
        matches!(&refused, Error::Transport { message, .. } if message.contains("max_connections")),
        "{refused:?}"
    );
}

#[test]
fn a_silent_peer_is_no_actor_and_no_call_timeout() {
    let (mut ours, _silent) = memory::pair();
    let bound = Duration::from_millis(100);
    let error = client(
        &mut ours,
        &Authkey::new(b"key").unwrap(),
        CodecId::Postcard,
        bound,
        1024,
    )
    .unwrap_err();
    println!("a silent peer: {error}");
    assert!(
        matches!(&error, Error::Transport { message, .. }
            if message.contains("no uactor handshake from the peer within 100ms")),
        "{error:?}"
    );
}
