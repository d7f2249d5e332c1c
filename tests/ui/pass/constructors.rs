//! `new`'s parameters are `spawn`'s; a `new` returning `Result<Self, E>`
//! makes `spawn` fail with its error.

use std::fmt;

pub struct Counter {
    n: i64,
}

#[uactor::actor]
impl Counter {
    pub fn new(start: i64) -> Self {
        Counter { n: start }
    }

    pub fn add(&mut self, by: i64) -> i64 {
        self.n += by;
        self.n
    }
}

pub struct Config {
    name: String,
}

#[derive(Debug)]
pub struct ConfigError;

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bad config")
    }
}

#[uactor::actor]
impl Config {
    // `options` must not clash with `spawn_with`'s own parameter.
    pub fn new(
        name: String,
        (low, high): (u8, u8),
        options: Vec<String>,
    ) -> Result<Self, ConfigError> {
        if low > high || options.is_empty() {
            Err(ConfigError)
        } else {
            Ok(Config { name })
        }
    }

    pub fn name(&self) -> String {
        self.name.clone()
    }
}

pub struct Empty;

#[uactor::actor]
impl Empty {
    pub fn new() -> Self {
        Empty
    }
}

pub struct Io;

#[uactor::actor]
impl Io {
    pub fn new(path: std::path::PathBuf) -> std::io::Result<Self> {
        std::fs::metadata(path).map(|_| Io)
    }
}

fn main() -> uactor::Result<()> {
    uactor::init();
    // The generated code end to end: arguments in, results out, errors back.
    let counter = Counter::spawn(10)?;
    assert_eq!(counter.add(5)?, 15);
    assert_ne!(counter.pid(), std::process::id());
    counter.shutdown()?;
    let config = Config::spawn("c".to_owned(), (1, 2), vec!["o".to_owned()])?;
    assert_eq!(config.name()?, "c");
    drop(config);
    let error = Config::spawn("c".to_owned(), (2, 1), Vec::new()).unwrap_err();
    assert!(error.to_string().contains("bad config"), "{error}");

    let _: fn(i64) -> uactor::Result<CounterProxy> = Counter::spawn;
    let _: fn(&uactor::Options, i64) -> uactor::Result<CounterProxy> = Counter::spawn_with;
    let _: fn(String, (u8, u8), Vec<String>) -> uactor::Result<ConfigProxy> = Config::spawn;
    let _: fn(&uactor::Options, String, (u8, u8), Vec<String>) -> uactor::Result<ConfigProxy> =
        Config::spawn_with;
    let _: fn() -> uactor::Result<EmptyProxy> = Empty::spawn;
    let _: fn(std::path::PathBuf) -> uactor::Result<IoProxy> = Io::spawn;
    Ok(())
}
