//! Makes an actor panic, in a method and in its constructor, with the
//! `Panics` setting its argument names ("print" or "quiet"), and prints on
//! stdout what the caller learnt; what the actor's process printed goes to
//! the shared stderr, for tests/calls.rs to read.

use tests::{Counter, Fragile};
use uactor::Error;
use uactor::options::Panics;

fn main() -> uactor::Result<()> {
    uactor::init();
    let panics = match std::env::args().nth(1).as_deref() {
        Some("quiet") => Panics::Quiet,
        _ => Panics::Print,
    };
    let options = uactor::Options::new().panics(panics);
    let counter = Counter::spawn_with(&options, 0)?;
    match counter.explode("a method panicked on purpose".into()) {
        Err(Error::Remote { message }) => println!("CALLER {message}"),
        other => println!("UNEXPECTED {other:?}"),
    }
    match Fragile::spawn_with(&options, "panic".into()) {
        Err(Error::Spawn { message }) => println!("CALLER {message}"),
        other => println!("UNEXPECTED {other:?}"),
    }
    counter.shutdown()
}
