//! The build identity workers advertise and callers require, so that a
//! caller never lands on a worker built from other code: by default a
//! digest of the running executable.

use std::io::Read;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use uactor_core::{Error, Result};

use crate::config::Config;

/// `config`'s build identity, or the executable's digest.
pub(crate) fn build(config: &Config) -> Result<String> {
    match &config.build {
        Some(build) => Ok(build.clone()),
        None => executable_digest(),
    }
}

/// `exe-` and the first 16 bytes of the SHA-256 of the running executable,
/// in hex; computed once per process.
pub fn executable_digest() -> Result<String> {
    static DIGEST: OnceLock<std::result::Result<String, Error>> = OnceLock::new();
    DIGEST.get_or_init(digest).clone()
}

fn digest() -> Result<String> {
    let path = std::env::current_exe()
        .map_err(|error| Error::io("finding the running executable", error))?;
    let mut file = std::fs::File::open(&path)
        .map_err(|error| Error::io(format!("reading {}", path.display()), error))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|error| Error::io(format!("reading {}", path.display()), error))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(format!(
        "exe-{}",
        crate::seal::hex(&hasher.finalize()[..16])
    ))
}
