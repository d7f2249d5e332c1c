//! Where an actor listens.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The endpoint of an actor, as `Display`/`FromStr` text:
/// `local:/run/user/1000/uactor-…/actor.sock`, `tcp://127.0.0.1:5000`,
/// `memory:name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Address {
    /// A local socket file.
    Local(PathBuf),
    /// A TCP endpoint.
    Tcp(SocketAddr),
    /// An endpoint of the in-memory transport (tests).
    Memory(String),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Local(path) => write!(f, "local:{}", path.display()),
            Address::Tcp(address) => write!(f, "tcp://{address}"),
            Address::Memory(name) => write!(f, "memory:{name}"),
        }
    }
}

impl FromStr for Address {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        if let Some(path) = text.strip_prefix("local:") {
            if path.is_empty() {
                return Err(Error::proxy("`local:` needs a socket path after it"));
            }
            Ok(Address::Local(PathBuf::from(path)))
        } else if let Some(address) = text.strip_prefix("tcp://") {
            address.parse().map(Address::Tcp).map_err(|error| {
                Error::proxy(format!("`{text}` is not a TCP address (`tcp://IP:PORT`): {error}"))
            })
        } else if let Some(name) = text.strip_prefix("memory:") {
            Ok(Address::Memory(name.to_owned()))
        } else {
            Err(Error::proxy(format!(
                "`{text}` is not an address; write `local:/path`, `tcp://IP:PORT` or `memory:NAME`"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_agree() {
        for text in ["local:/tmp/x/actor.sock", "tcp://127.0.0.1:5000", "tcp://[::1]:80", "memory:a"] {
            let address: Address = text.parse().unwrap();
            assert_eq!(address.to_string(), text);
        }
        assert!("http://x".parse::<Address>().is_err());
        assert!("tcp://nowhere".parse::<Address>().is_err());
        assert!("local:".parse::<Address>().is_err());
    }
}
