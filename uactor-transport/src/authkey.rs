//! The secret a process tree shares.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uactor_core::typeid::Vouch;
use uactor_core::{Address, Error, Result};
use zeroize::Zeroizing;

/// What a vouch tags, apart from every label the handshake signs.
const VOUCH_LABEL: &[u8] = b"uactor vouch for an address\0";

/// Bytes of a generated authkey.
pub const GENERATED_LEN: usize = 32;

/// The key both ends of a connection prove they know.
///
/// A process makes one at random the first time it needs one; the actors it
/// spawns inherit it over their private bootstrap channel, as Python's
/// multiprocessing does. Clones share one copy of the bytes, which is wiped
/// when the last clone is dropped. Its `Debug` output does not show the
/// bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Authkey(Arc<Zeroizing<Vec<u8>>>);

impl Authkey {
    /// A key of these bytes; an empty key is refused. The bytes are copied:
    /// wiping `bytes` is the caller's to do.
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self> {
        let bytes = bytes.as_ref();
        if bytes.is_empty() {
            return Err(Error::auth(
                "an empty authkey protects nothing; pass a secret",
            ));
        }
        Ok(Authkey(Arc::new(Zeroizing::new(bytes.to_vec()))))
    }

    /// A fresh random key from the operating system.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new(vec![0; GENERATED_LEN]);
        getrandom::fill(&mut bytes)
            .map_err(|error| Error::auth(format!("the OS gave no random bytes: {error}")))?;
        Ok(Authkey(Arc::new(bytes)))
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A tag of `address` under this key: the sender of a token that names
    /// `address` shows with it that the address is reached with this key
    /// (see [`Token::vouch`](uactor_core::Token::vouch)).
    pub fn vouch(&self, address: &Address) -> Vouch {
        let tag = self.vouching(address).finalize().into_bytes();
        let mut vouch = Vouch::default();
        let len = vouch.len();
        vouch.copy_from_slice(&tag[..len]);
        vouch
    }

    /// Whether `vouch` is this key's tag of `address` (in constant time).
    pub fn vouches(&self, address: &Address, vouch: &Vouch) -> bool {
        self.vouching(address).verify_truncated_left(vouch).is_ok()
    }

    fn vouching(&self, address: &Address) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(VOUCH_LABEL);
        mac.update(address.to_string().as_bytes());
        mac
    }
}

impl fmt::Debug for Authkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Authkey({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vouch_holds_for_its_address_and_key_only() {
        let key = Authkey::new(b"tree").unwrap();
        let here: Address = "tcp://127.0.0.1:4000".parse().unwrap();
        let there: Address = "tcp://127.0.0.1:4001".parse().unwrap();
        let vouch = key.vouch(&here);
        assert!(key.vouches(&here, &vouch));
        assert!(!key.vouches(&there, &vouch));
        assert!(!Authkey::new(b"other").unwrap().vouches(&here, &vouch));
        assert!(!key.vouches(&here, &Vouch::default()));
    }
}
