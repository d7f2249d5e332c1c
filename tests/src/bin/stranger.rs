//! Tries to reach a local socket as whoever runs it (the hostile tests run
//! it as another user) and prints one line: `denied` (no permission to reach
//! the socket), `refused: …`, `dropped` (connected, then closed without a
//! byte in answer to a well-formed hello) or `answered N bytes`.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: stranger SOCKET");
        std::process::exit(2);
    };
    let mut stream = match UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(error) if error.kind() == ErrorKind::PermissionDenied => {
            println!("denied");
            return;
        }
        Err(error) => {
            println!("refused: {error}");
            return;
        }
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    // A hello frame as the protocol lays it out: length 28, kind 1 (Hello),
    // flags, method, request and object zero, then magic, version 2, codec
    // 1 (postcard), a reserved byte.
    let mut hello = vec![28, 0, 0, 0, 1, 0, 0, 0];
    hello.extend_from_slice(&[0; 16]);
    hello.extend_from_slice(b"uACT\x02\x00\x01\x00");
    let _ = stream.write_all(&hello);
    let mut answer = [0; 256];
    match stream.read(&mut answer) {
        Ok(0) => println!("dropped"),
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
            ) =>
        {
            println!("dropped")
        }
        Ok(read) => println!("answered {read} bytes"),
        Err(error) => println!("error: {error}"),
    }
}
