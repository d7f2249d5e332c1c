//! What one process keeps for all the actors it talks to: the process
//! tree's authkey.

use std::sync::OnceLock;

use uactor_core::Result;
use uactor_transport::Authkey;

static AUTHKEY: OnceLock<Authkey> = OnceLock::new();

/// The process tree's authkey: inherited when this process is an actor,
/// else made at random on first use.
pub(crate) fn authkey() -> Result<Authkey> {
    if let Some(key) = AUTHKEY.get() {
        return Ok(key.clone());
    }
    let generated = Authkey::generate()?;
    Ok(AUTHKEY.get_or_init(|| generated).clone())
}

/// Adopts the key a parent handed down (first thing an actor process does).
pub(crate) fn inherit_authkey(key: Authkey) {
    let _ = AUTHKEY.set(key);
}
