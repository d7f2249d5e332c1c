//! How a worker or a caller joins a cluster: where nats-server is, the
//! credentials it asks for, the cluster's name and key, and what actor
//! links are served with.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use uactor_core::{Error, Result};
use uactor_manager::Options;
use uactor_transport::Setting;
use zeroize::Zeroizing;

/// How to join a cluster, for a worker ([`worker`](crate::worker)) and a
/// caller ([`Cluster::connect`](crate::Cluster::connect)) alike.
///
/// ```
/// # use uactor_cluster as cluster; // this crate's doc test; users write `uactor::cluster`
/// let config = cluster::Config::new("nats://10.0.0.1:4222")
///     .cluster("shop")
///     .token("nats-token")
///     .key(b"the cluster key, 32 random bytes");
/// assert_eq!(config.cluster_name(), "shop");
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) servers: String,
    pub(crate) cluster: String,
    pub(crate) key: Option<Zeroizing<Vec<u8>>>,
    pub(crate) credentials: Credentials,
    pub(crate) advertise: Option<IpAddr>,
    pub(crate) build: Option<String>,
    pub(crate) options: Options,
    pub(crate) connect_timeout: Duration,
}

/// What nats-server asks a client to prove.
#[derive(Clone)]
pub(crate) enum Credentials {
    None,
    Token(Zeroizing<String>),
    NKey(Zeroizing<String>),
    UserPassword(String, Zeroizing<String>),
}

/// The environment variables [`Config::from_env`] reads.
pub mod env {
    /// nats-server's URL(s), comma-separated (required).
    pub const NATS: &str = "UACTOR_NATS";
    /// The cluster's name (default `uactor`).
    pub const CLUSTER: &str = "UACTOR_CLUSTER";
    /// A file holding the cluster key (preferred to [`CLUSTER_KEY`]: the
    /// environment is inherited by every child).
    pub const CLUSTER_KEY_FILE: &str = "UACTOR_CLUSTER_KEY_FILE";
    /// The cluster key itself.
    pub const CLUSTER_KEY: &str = "UACTOR_CLUSTER_KEY";
    /// A file holding nats-server's token.
    pub const NATS_TOKEN_FILE: &str = "UACTOR_NATS_TOKEN_FILE";
    /// nats-server's token.
    pub const NATS_TOKEN: &str = "UACTOR_NATS_TOKEN";
    /// A file holding an nkey seed (`SU…`) to authenticate to nats-server.
    pub const NATS_NKEY_FILE: &str = "UACTOR_NATS_NKEY_FILE";
    /// The address this host's actors listen on and are reached at.
    pub const ADVERTISE: &str = "UACTOR_ADVERTISE";
    /// The build identity, for a caller and workers that are different
    /// binaries built from the same code.
    pub const BUILD: &str = "UACTOR_BUILD";
    /// Set (to anything but `0`), `uactor::init()` turns the process into
    /// a worker configured from the variables above; it never returns.
    pub const WORKER: &str = "UACTOR_WORKER";
}

impl Config {
    /// A cluster reached through nats-server at `servers` (a URL such as
    /// `nats://10.0.0.1:4222`, or several separated by commas).
    pub fn new(servers: impl Into<String>) -> Self {
        Config {
            servers: servers.into(),
            cluster: "uactor".to_owned(),
            key: None,
            credentials: Credentials::None,
            advertise: None,
            build: None,
            options: Options::new(),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// The cluster's name (`uactor` unless set): clusters of different
    /// names share a nats-server without seeing each other. Letters,
    /// digits, `-` and `_`.
    pub fn cluster(mut self, name: impl Into<String>) -> Self {
        self.cluster = name.into();
        self
    }

    /// The cluster key (required): every message between members is
    /// authenticated with it, a worker serves only callers that prove it,
    /// and it (derived) is the authkey of every actor link. Use 32 random
    /// bytes.
    pub fn key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.key = Some(Zeroizing::new(key.as_ref().to_vec()));
        self
    }

    /// Authenticates to nats-server with a token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Credentials::Token(Zeroizing::new(token.into()));
        self
    }

    /// Authenticates to nats-server with an nkey seed (`SU…`).
    pub fn nkey(mut self, seed: impl Into<String>) -> Self {
        self.credentials = Credentials::NKey(Zeroizing::new(seed.into()));
        self
    }

    /// Authenticates to nats-server with a user name and password.
    pub fn user_password(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Credentials::UserPassword(user.into(), Zeroizing::new(password.into()));
        self
    }

    /// The address this worker's actors listen on, which callers on other
    /// hosts reach (by default, the address of the interface that routes
    /// to nats-server).
    pub fn advertise(mut self, address: IpAddr) -> Self {
        self.advertise = Some(address);
        self
    }

    /// The build identity workers advertise and callers require: by
    /// default a digest of the running executable, so a caller only lands
    /// on workers running the very same binary. Set the same string (a
    /// release or commit) on a caller and workers that are different
    /// binaries built from the same code.
    pub fn build(mut self, identity: impl Into<String>) -> Self {
        self.build = Some(identity.into());
        self
    }

    /// Adds a transport setting for actor links: with the `tls` feature, a
    /// `Tls` with an identity makes a worker serve its actors over TLS, and
    /// its roots are what callers trust.
    pub fn with(mut self, setting: impl Setting) -> Self {
        self.options = self.options.with(setting);
        self
    }

    /// How long joining (connecting to nats-server, setting up the
    /// registry) may take (5 s unless set).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The cluster's name.
    pub fn cluster_name(&self) -> &str {
        &self.cluster
    }

    /// The configuration the [`env`](mod@env) variables describe.
    pub fn from_env() -> Result<Config> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let servers = var(env::NATS).ok_or_else(|| {
            Error::spawn(format!(
                "{} is not set: it names nats-server (nats://host:4222)",
                env::NATS
            ))
        })?;
        let mut config = Config::new(servers);
        if let Some(cluster) = var(env::CLUSTER) {
            config = config.cluster(cluster);
        }
        if let Some(path) = var(env::CLUSTER_KEY_FILE) {
            config = config.key(read_secret(&path)?.as_bytes());
        } else if let Some(key) = var(env::CLUSTER_KEY) {
            config = config.key(key.as_bytes());
        }
        if let Some(path) = var(env::NATS_TOKEN_FILE) {
            config = config.token(read_secret(&path)?.trim());
        } else if let Some(token) = var(env::NATS_TOKEN) {
            config = config.token(token);
        }
        if let Some(path) = var(env::NATS_NKEY_FILE) {
            config = config.nkey(read_secret(&path)?.trim());
        }
        if let Some(address) = var(env::ADVERTISE) {
            let address = address.parse().map_err(|error| {
                Error::spawn(format!(
                    "{} is not an IP address ({address:?}): {error}",
                    env::ADVERTISE
                ))
            })?;
            config = config.advertise(address);
        }
        if let Some(build) = var(env::BUILD) {
            config = config.build(build);
        }
        Ok(config)
    }

    /// Checks what must hold before joining.
    pub(crate) fn check(&self) -> Result<&[u8]> {
        let valid = !self.cluster.is_empty()
            && self.cluster.len() <= 64
            && self
                .cluster
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if !valid {
            return Err(Error::spawn(format!(
                "{:?} is no cluster name: use 1 to 64 letters, digits, `-` or `_`",
                self.cluster
            )));
        }
        match &self.key {
            Some(key) if key.len() >= 16 => Ok(key),
            Some(_) => Err(Error::auth(
                "a cluster key shorter than 16 bytes is too easy to guess; use 32 random bytes",
            )),
            None => Err(Error::auth(
                "a cluster needs a key: Config::key(..) (or UACTOR_CLUSTER_KEY_FILE)",
            )),
        }
    }
}

fn read_secret(path: &str) -> Result<Zeroizing<String>> {
    std::fs::read_to_string(Path::new(path))
        .map(|text| Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_owned()))
        .map_err(|error| Error::io(format!("reading the secret in {path}"), error))
}

impl fmt::Debug for Config {
    /// Never shows a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = match &self.credentials {
            Credentials::None => "none",
            Credentials::Token(_) => "token",
            Credentials::NKey(_) => "nkey",
            Credentials::UserPassword(..) => "user and password",
        };
        f.debug_struct("Config")
            .field("servers", &self.servers)
            .field("cluster", &self.cluster)
            .field("credentials", &credentials)
            .field("key", &self.key.as_ref().map(|_| "…"))
            .field("advertise", &self.advertise)
            .field("build", &self.build)
            .finish_non_exhaustive()
    }
}
