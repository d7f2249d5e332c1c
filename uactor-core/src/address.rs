//! Where an actor listens.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The endpoint of an actor, as `Display`/`FromStr` text:
/// `local:/run/user/1000/uactor-…/actor.sock`, `tcp://127.0.0.1:5000`,
/// `tls://127.0.0.1:5000`, `memory:name`, or `custom:SCHEME:ADDRESS` for a
/// transport a program registers itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Address {
    /// A local socket file.
    Local(PathBuf),
    /// A TCP endpoint.
    Tcp(SocketAddr),
    /// A TCP endpoint that speaks TLS.
    Tls(SocketAddr),
    /// An endpoint of a transport registered by the program under `scheme`.
    Custom {
        /// The name the transport was registered under.
        scheme: String,
        /// The transport's own text for the endpoint.
        address: String,
    },
    /// An endpoint of the in-memory transport (tests).
    Memory(String),
}

impl Address {
    /// The name of the transport that reaches this address: `local`, `tcp`,
    /// `tls`, `memory`, or a custom transport's scheme.
    pub fn scheme(&self) -> &str {
        match self {
            Address::Local(_) => "local",
            Address::Tcp(_) => "tcp",
            Address::Tls(_) => "tls",
            Address::Custom { scheme, .. } => scheme,
            Address::Memory(_) => "memory",
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Local(path) => write!(f, "local:{}", path.display()),
            Address::Tcp(address) => write!(f, "tcp://{address}"),
            Address::Tls(address) => write!(f, "tls://{address}"),
            Address::Custom { scheme, address } => write!(f, "custom:{scheme}:{address}"),
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
                Error::proxy(format!(
                    "`{text}` is not a TCP address (`tcp://IP:PORT`): {error}"
                ))
            })
        } else if let Some(address) = text.strip_prefix("tls://") {
            address.parse().map(Address::Tls).map_err(|error| {
                Error::proxy(format!(
                    "`{text}` is not a TLS address (`tls://IP:PORT`): {error}"
                ))
            })
        } else if let Some(rest) = text.strip_prefix("custom:") {
            match rest.split_once(':') {
                Some((scheme, address)) if !scheme.is_empty() => Ok(Address::Custom {
                    scheme: scheme.to_owned(),
                    address: address.to_owned(),
                }),
                _ => Err(Error::proxy(format!(
                    "`{text}` is not a custom address (`custom:SCHEME:ADDRESS`)"
                ))),
            }
        } else if let Some(name) = text.strip_prefix("memory:") {
            Ok(Address::Memory(name.to_owned()))
        } else {
            Err(Error::proxy(format!(
                "`{text}` is not an address; write `local:/path`, `tcp://IP:PORT`, `tls://IP:PORT`, \
                 `custom:SCHEME:ADDRESS` or `memory:NAME`"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_agree() {
        for text in [
            "local:/tmp/x/actor.sock",
            "tcp://127.0.0.1:5000",
            "tcp://[::1]:80",
            "memory:a",
            "tls://127.0.0.2:9",
            "custom:pipes:/tmp/a:b",
        ] {
            let address: Address = text.parse().unwrap();
            assert_eq!(address.to_string(), text);
        }
        assert!("http://x".parse::<Address>().is_err());
        assert!("tcp://nowhere".parse::<Address>().is_err());
        assert!("local:".parse::<Address>().is_err());
    }
}
