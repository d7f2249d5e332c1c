//! The connection to nats-server and the registry on it: the buckets of
//! the JetStream key-value store (`workers`, `leases`, `names` with a
//! time-to-live of [`TTL`], and `meta` which holds the proof of the cluster
//! key), and the subjects members talk on.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use async_nats::{ConnectErrorKind, ConnectOptions};
use bytes::Bytes;
use uactor_core::{Error, Result};

use crate::config::{Config, Credentials};
use crate::liveness::TTL;
use crate::record::KeyProof;
use crate::seal::{Keys, hex, random_hex};

/// One member's connection to the cluster.
#[derive(Clone)]
pub(crate) struct Broker {
    pub(crate) client: async_nats::Client,
    pub(crate) workers: kv::Store,
    pub(crate) leases: kv::Store,
    pub(crate) names: kv::Store,
    pub(crate) keys: Keys,
    pub(crate) cluster: String,
}

impl Broker {
    /// Connects to nats-server with `config`'s credentials, opens (or
    /// makes) the registry, and checks the cluster key against the one the
    /// cluster was made with. `role` names the connection on the server.
    pub(crate) async fn join(config: &Config, role: &str) -> Result<Broker> {
        let key = config.check()?;
        let keys = Keys::derive(key);
        let mut options = match &config.credentials {
            Credentials::None => ConnectOptions::new(),
            Credentials::Token(token) => ConnectOptions::with_token(token.to_string()),
            Credentials::NKey(seed) => ConnectOptions::with_nkey(seed.to_string()),
            Credentials::UserPassword(user, password) => {
                ConnectOptions::with_user_and_password(user.clone(), password.to_string())
            }
        };
        options = options
            .name(format!("uactor {role} ({})", config.cluster))
            .connection_timeout(config.connect_timeout)
            .request_timeout(Some(Duration::from_secs(10)));
        let servers = config.servers.clone();
        let client = options.connect(servers.as_str()).await.map_err(|error| {
            let message = format!("joining cluster {} at {servers}: {error}", config.cluster);
            match error.kind() {
                ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
                    Error::auth(format!(
                        "{message} (nats-server refused the credentials: check the token or nkey)"
                    ))
                }
                _ => Error::Transport {
                    message,
                    source: None,
                },
            }
        })?;
        let js = jetstream::new(client.clone());
        let bucket = |name: &str| format!("uactor_{}_{name}", config.cluster);
        let meta = store(&js, bucket("meta"), None).await?;
        check_key(&meta, &keys, &config.cluster).await?;
        Ok(Broker {
            workers: store(&js, bucket("workers"), Some(TTL)).await?,
            leases: store(&js, bucket("leases"), Some(TTL)).await?,
            names: store(&js, bucket("names"), Some(TTL)).await?,
            client,
            keys,
            cluster: config.cluster.clone(),
        })
    }

    /// The subject of a worker's endpoint (`spawn`, `end`, `exit`).
    pub(crate) fn worker_subject(&self, worker: &str, endpoint: &str) -> String {
        format!("{}.{endpoint}", self.worker_group(worker))
    }

    /// The prefix of a worker's endpoints.
    pub(crate) fn worker_group(&self, worker: &str) -> String {
        format!("uactor.{}.worker.{worker}", self.cluster)
    }

    /// Where the workers tell an owner that its actors ended.
    pub(crate) fn owner_subject(&self, lease: &str) -> String {
        format!("uactor.{}.owner.{lease}.ended", self.cluster)
    }
}

/// The bucket `name`, made if it does not exist yet (in memory: the
/// registry is state that members rewrite, not data to keep).
async fn store(js: &jetstream::Context, name: String, ttl: Option<Duration>) -> Result<kv::Store> {
    if let Ok(store) = js.get_key_value(name.as_str()).await {
        return Ok(store);
    }
    let made = js
        .create_key_value(kv::Config {
            bucket: name.clone(),
            history: 1,
            max_age: ttl.unwrap_or_default(),
            storage: jetstream::stream::StorageType::Memory,
            ..Default::default()
        })
        .await;
    match made {
        Ok(store) => Ok(store),
        // Another member made it meanwhile.
        Err(error) => js.get_key_value(name.as_str()).await.map_err(|_| {
            Error::spawn(format!(
                "making the registry bucket {name}: {error} (is JetStream enabled on \
                 nats-server? start it with -js)"
            ))
        }),
    }
}

const PROOF_KEY: &str = "key-proof";

/// Checks that `keys` come from the key the cluster was made with, and
/// records the proof if this is the cluster's first member.
async fn check_key(meta: &kv::Store, keys: &Keys, cluster: &str) -> Result<()> {
    for _ in 0..3 {
        let stored = meta
            .get(PROOF_KEY)
            .await
            .map_err(|error| Error::spawn(format!("reading the cluster's key proof: {error}")))?;
        match stored {
            Some(bytes) => {
                let proof: KeyProof = serde_json::from_slice(&bytes).map_err(|error| {
                    Error::protocol(format!("an undecodable key proof: {error}"))
                })?;
                let proof_bytes = unhex(&proof.proof).unwrap_or_default();
                return if keys.proves(proof.salt.as_bytes(), &proof_bytes) {
                    Ok(())
                } else {
                    Err(Error::auth(format!(
                        "this cluster key is not the key cluster {cluster} was made with"
                    )))
                };
            }
            None => {
                let salt = random_hex(32)?;
                let proof = KeyProof {
                    proof: hex(&keys.prove(salt.as_bytes())),
                    salt,
                };
                let bytes =
                    serde_json::to_vec(&proof).map_err(|error| Error::codec(error.to_string()))?;
                // Whoever creates it first wins; the others check theirs
                // against it.
                let _ = meta.create(PROOF_KEY, Bytes::from(bytes)).await;
            }
        }
    }
    Err(Error::spawn("could not record the cluster's key proof"))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}
