//! Messages only members can make: every record and request that goes
//! through nats-server carries an HMAC-SHA256 of its kind and body under a
//! key derived from the cluster key, checked in constant time before the
//! body is decoded. Requests also carry when they were sent and a nonce, so
//! one cannot be replayed (see [`Freshness`]).
//!
//! nats-server's own credentials decide who may connect; this decides who
//! is a member, even on a server that others share.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::{Error, Result};
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The length of a seal.
const SEAL: usize = 32;

/// How far a request's clock may be from the worker's.
pub(crate) const MAX_SKEW: Duration = Duration::from_secs(30);

/// The keys derived from the cluster key, each for one use.
#[derive(Clone)]
pub(crate) struct Keys {
    messages: Zeroizing<Vec<u8>>,
    links: Zeroizing<Vec<u8>>,
    proof: Zeroizing<Vec<u8>>,
}

impl Keys {
    pub(crate) fn derive(key: &[u8]) -> Keys {
        Keys {
            messages: derive(key, b"uactor cluster: messages"),
            links: derive(key, b"uactor cluster: actor links"),
            proof: derive(key, b"uactor cluster: key proof"),
        }
    }

    /// The authkey of every actor link in the cluster.
    pub(crate) fn link_key(&self) -> &[u8] {
        &self.links
    }

    /// `body` of kind `kind`, sealed.
    pub(crate) fn seal<T: Serialize>(&self, kind: &str, body: &T) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(body)
            .map_err(|error| Error::codec(format!("encoding a {kind}: {error}")))?;
        let mut sealed = Vec::with_capacity(SEAL + json.len());
        sealed.extend_from_slice(&mac(&self.messages, kind, &json).finalize().into_bytes());
        sealed.extend_from_slice(&json);
        Ok(sealed)
    }

    /// The body of a sealed message of kind `kind`, if a member sealed it.
    pub(crate) fn open<T: DeserializeOwned>(&self, kind: &str, sealed: &[u8]) -> Result<T> {
        if sealed.len() < SEAL {
            return Err(Error::auth(format!("a {kind} without a seal")));
        }
        let (seal, json) = sealed.split_at(SEAL);
        mac(&self.messages, kind, json)
            .verify_slice(seal)
            .map_err(|_| {
                Error::auth(format!(
                    "a {kind} whose seal does not match this cluster's key \
                     (a member with another key, or not a member)"
                ))
            })?;
        serde_json::from_slice(json)
            .map_err(|error| Error::protocol(format!("an undecodable {kind}: {error}")))
    }

    /// The proof of the key stored in the registry: `salt`'s MAC.
    pub(crate) fn prove(&self, salt: &[u8]) -> Vec<u8> {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.proof)
            .expect("HMAC takes keys of any length");
        mac.update(salt);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `proof` proves this key for `salt`, in constant time.
    pub(crate) fn proves(&self, salt: &[u8], proof: &[u8]) -> bool {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.proof)
            .expect("HMAC takes keys of any length");
        mac.update(salt);
        mac.verify_slice(proof).is_ok()
    }
}

fn derive(key: &[u8], purpose: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(purpose);
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

fn mac(key: &[u8], kind: &str, body: &[u8]) -> HmacSha256 {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(kind.as_bytes());
    mac.update(&[0]);
    mac.update(body);
    mac
}

/// When a request was sent and its nonce: what makes it usable once.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Stamp {
    /// Milliseconds since the Unix epoch, on the sender's clock.
    sent: u64,
    nonce: String,
}

impl Stamp {
    pub(crate) fn now() -> Result<Stamp> {
        Ok(Stamp {
            sent: unix_millis(),
            nonce: random_hex(16)?,
        })
    }
}

/// The nonces of requests seen lately: a request is taken once, and only
/// within [`MAX_SKEW`] of its sending.
#[derive(Debug, Default)]
pub(crate) struct Freshness {
    seen: HashMap<String, Instant>,
}

impl Freshness {
    /// Accepts `stamp` once.
    pub(crate) fn accept(&mut self, stamp: &Stamp) -> Result<()> {
        let now = unix_millis();
        let skew = now.abs_diff(stamp.sent);
        if skew > MAX_SKEW.as_millis() as u64 {
            return Err(Error::auth(format!(
                "a request sent {skew} ms away from this host's time (more than {MAX_SKEW:?}): \
                 replayed, or the hosts' clocks disagree"
            )));
        }
        self.seen
            .retain(|_, at| at.elapsed() < MAX_SKEW * 2 + Duration::from_secs(1));
        if self
            .seen
            .insert(stamp.nonce.clone(), Instant::now())
            .is_some()
        {
            return Err(Error::auth("a request seen before: replayed"));
        }
        Ok(())
    }
}

pub(crate) fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// `bytes` random bytes, as hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    let mut random = vec![0; bytes];
    getrandom::fill(&mut random)
        .map_err(|error| Error::auth(format!("the OS gave no random bytes: {error}")))?;
    Ok(hex(&random))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_opens_only_with_the_same_key_and_kind() {
        let keys = Keys::derive(b"0123456789abcdef0123");
        let sealed = keys.seal("record", &("a", 1)).unwrap();
        let back: (String, i32) = keys.open("record", &sealed).unwrap();
        assert_eq!(back, ("a".to_owned(), 1));
        assert!(matches!(
            keys.open::<(String, i32)>("request", &sealed),
            Err(Error::Auth { .. })
        ));
        let other = Keys::derive(b"another key, as long");
        assert!(matches!(
            other.open::<(String, i32)>("record", &sealed),
            Err(Error::Auth { .. })
        ));
        let mut tampered = sealed.clone();
        tampered[SEAL + 2] ^= 1;
        assert!(keys.open::<serde_json::Value>("record", &tampered).is_err());
        assert!(matches!(
            keys.open::<(String, i32)>("record", &sealed[..10]),
            Err(Error::Auth { .. })
        ));
    }

    #[test]
    fn a_stamp_is_accepted_once() {
        let mut freshness = Freshness::default();
        let stamp = Stamp::now().unwrap();
        freshness.accept(&stamp).unwrap();
        assert!(matches!(freshness.accept(&stamp), Err(Error::Auth { .. })));
        let old = Stamp {
            sent: unix_millis() - 120_000,
            nonce: "x".into(),
        };
        assert!(matches!(freshness.accept(&old), Err(Error::Auth { .. })));
    }

    #[test]
    fn the_key_proof_tells_keys_apart() {
        let keys = Keys::derive(b"0123456789abcdef0123");
        let proof = keys.prove(b"salt");
        assert!(keys.proves(b"salt", &proof));
        assert!(!Keys::derive(b"another key, as long").proves(b"salt", &proof));
        assert_ne!(
            keys.link_key(),
            Keys::derive(b"another key, as long").link_key()
        );
    }
}
