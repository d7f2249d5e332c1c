//! The secret a process tree shares.

use std::fmt;
use std::sync::Arc;

use uactor_core::{Error, Result};
use zeroize::Zeroizing;

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
}

impl fmt::Debug for Authkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Authkey({} bytes)", self.0.len())
    }
}
