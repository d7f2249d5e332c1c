//! Actors over TCP with an authentication key (the seed's `_options_` address/authkey):
//! the way to reach actors on other machines.
pub struct Counter {
    n: i64,
}

#[uactor::actor]
impl Counter {
    pub fn new(n: i64) -> Self {
        Counter { n }
    }
    pub fn add(&mut self, by: i64) -> i64 {
        self.n += by;
        self.n
    }
}

fn main() -> uactor::Result<()> {
    uactor::init();
    let opts = uactor::Options::new()
        .transport(uactor::Transport::Tcp("127.0.0.1:0".parse().unwrap()))
        .authkey(b"correct horse battery staple");
    let owner = Counter::spawn_with(&opts, 0)?;
    let address = owner.address();

    // Any process, on any host that can reach the address, with the key:
    let client = Counter::connect(&address, b"correct horse battery staple")?;
    assert_eq!(client.add(2)?, 2);
    assert_eq!(owner.add(3)?, 5);

    // A wrong key is refused before any request is read.
    assert!(matches!(Counter::connect(&address, b"wrong"), Err(uactor::Error::Auth { .. })));
    println!("served at {address}");
    Ok(())
}
