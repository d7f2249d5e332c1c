//! Constants and payload layouts of the connection hello and handshake.
//!
//! A connection opens with these frames, all of fixed size, so a server
//! reads at most a few hundred bytes from a peer that has not proven it
//! knows the authkey:
//!
//! 1. client → server [`Kind::Hello`](crate::frame::Kind::Hello):
//!    [`MAGIC`], [`VERSION`] (u16 LE), codec byte, a reserved zero byte;
//! 2. server → client `Challenge`: a nonce of [`NONCE_LEN`] random bytes;
//! 3. client → server `Response`: its MAC over both nonces, then its own nonce;
//! 4. server → client `Welcome`: its MAC over both nonces, its pid (u32 LE)
//!    a tag of the type it serves (u64 LE) and its codec byte (a client
//!    that speaks another codec learns it here, once it has proven its key,
//!    and the connection closes); or `Refused` with an empty payload, and
//!    the connection closes.
//!
//! It also holds the numbers both sides reserve: [`tag`], the one hash that
//! names a served type or an interface on the wire, and the method indices
//! no user method can take ([`INTERFACE_METHOD`], [`COUNTED_METHOD`]).

use crate::{CodecId, Error, Result};

/// The method index of the actor that carries interface calls: the actor's
/// own methods are numbered below it.
pub const INTERFACE_METHOD: u16 = u16::MAX;

/// A method index no object handed out has: a request for it is answered
/// (with an error) after every frame sent before it on the same
/// connection, which is how a caller learns that a reference count it sent
/// has been counted.
pub const COUNTED_METHOD: u16 = u16::MAX;

/// A stable 64-bit tag of a name (64-bit FNV-1a), computed at compile time
/// where it can be: what the welcome carries for the served type, and what
/// names an interface in an interface call.
pub const fn tag(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut position = 0;
    while position < bytes.len() {
        hash ^= bytes[position] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        position += 1;
    }
    hash
}

/// The first bytes of every uactor connection.
pub const MAGIC: [u8; 4] = *b"uACT";

/// The wire protocol version. Peers with another version are refused.
pub const VERSION: u16 = 2;

/// Random bytes in each side's challenge.
pub const NONCE_LEN: usize = 32;

/// Bytes of an HMAC-SHA256 tag.
pub const MAC_LEN: usize = 32;

/// Bytes of a hello payload.
pub const HELLO_LEN: usize = 8;

/// The hello a client opens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version the client speaks.
    pub version: u16,
    /// The codec the client will encode with.
    pub codec: CodecId,
}

impl Hello {
    /// This build's hello for `codec`.
    pub fn new(codec: CodecId) -> Self {
        Hello {
            version: VERSION,
            codec,
        }
    }

    /// The payload bytes.
    pub fn to_bytes(self) -> [u8; HELLO_LEN] {
        let version = self.version.to_le_bytes();
        [
            MAGIC[0],
            MAGIC[1],
            MAGIC[2],
            MAGIC[3],
            version[0],
            version[1],
            self.codec.to_byte(),
            0,
        ]
    }

    /// Parses and checks a hello payload: magic, version and codec.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != HELLO_LEN || bytes[..4] != MAGIC {
            return Err(Error::protocol(
                "the peer does not speak the uactor protocol (bad magic)",
            ));
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != VERSION {
            return Err(Error::protocol(format!(
                "the peer speaks protocol version {version}, this build speaks {VERSION}; \
                 build both sides with the same uactor"
            )));
        }
        Ok(Hello {
            version,
            codec: CodecId::from_byte(bytes[6])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_fnv1a() {
        // FNV-1a's published test vectors.
        assert_eq!(tag(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(tag("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(tag("animals::Feline"), tag("animals::Canine"));
    }

    #[test]
    fn hello_round_trips_and_refuses_strangers() {
        let hello = Hello::new(CodecId::Postcard);
        assert_eq!(Hello::parse(&hello.to_bytes()).unwrap(), hello);
        assert!(Hello::parse(b"GET / HT").is_err());
        let mut newer = hello.to_bytes();
        newer[4] = 9;
        let error = Hello::parse(&newer).unwrap_err().to_string();
        assert!(error.contains("version 9"), "{error}");
    }
}
