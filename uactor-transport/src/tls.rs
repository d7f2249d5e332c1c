//! TLS over TCP, through rustls with the ring provider.
//!
//! TLS here adds confidentiality and server identity on top of the authkey
//! handshake, which still runs inside the encrypted stream before any
//! request is decoded. The streams stay blocking `std::net` sockets: a
//! [`TlsSocket`] drives rustls' state machine by hand, holding its lock only
//! to encrypt or decrypt, never across a system call, so one thread can
//! block reading while another writes (as the frame halves of every
//! connection do). The TLS handshake itself runs on the connection's first
//! read or write, on the connection's own thread and under the same
//! deadline as the authkey handshake, never in the accept loop.
//!
//! Certificates come as PEM, from files or bytes ([`Tls`]). A client
//! verifies the server's certificate against the roots it was given (or,
//! for an actor it spawned itself, against the actor's own certificate),
//! for the name set with [`Tls::server_name`] or else the IP address it
//! connects to.

use std::fmt;
use std::io::{self, IoSlice, Read as _, Write as _};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use serde::{Deserialize, Serialize};
use uactor_core::{Address, Backend, Connection, Error, Listener, Prepared, Result};
use zeroize::{Zeroize as _, Zeroizing};

use crate::Settings;
use crate::framing::{self, Socket};
use crate::registry::{Registration, TRANSPORTS};
use crate::tcp::{self, TcpActorListener};

/// The TLS transport: TCP through rustls, with the settings it was made
/// with (or, for a proxy to a `tls://` actor that travelled here with no
/// settings of its own, the last ones this process used).
#[derive(Debug, Clone)]
pub struct TlsBackend {
    bind: Option<SocketAddr>,
    tls: Option<Tls>,
    connect_timeout: Duration,
}

#[linkme::distributed_slice(TRANSPORTS)]
#[allow(unsafe_code)]
static TLS_TRANSPORT: Registration = Registration::configured("tls", |settings| {
    Ok(Arc::new(TlsBackend::new(
        None,
        settings.tls().cloned(),
        settings,
    )))
});

/// TLS settings for connections that are given none: those of the actor
/// this process serves, or the last ones it spawned or served with. This is
/// how a proxy to a `tls://` actor that travelled here finds its roots.
static REMEMBERED: OnceLock<Tls> = OnceLock::new();

impl TlsBackend {
    /// A TLS transport that listens at `bind` (when it listens at all) with
    /// `tls`'s identity and connects trusting `tls`'s roots.
    pub fn new(bind: Option<SocketAddr>, tls: Option<Tls>, settings: &Settings) -> Self {
        if let Some(tls) = &tls {
            let _ = REMEMBERED.set(tls.clone());
        }
        TlsBackend {
            bind,
            tls,
            connect_timeout: settings.connect_timeout(),
        }
    }

    fn tls(&self) -> Result<&Tls> {
        self.tls.as_ref().or_else(|| REMEMBERED.get()).ok_or_else(|| {
            tls_error(
                "this side has no TLS settings: connect with the server's certificate, \
                 uactor::net::connect_with::<T>(&address, &Options::new().authkey(..).with(Tls::new().trust_pem(..)?))",
            )
        })
    }

    fn serving(&self) -> Result<&Tls> {
        let tls = self.tls()?;
        if !tls.can_serve() {
            return Err(Error::spawn(
                "an actor served over TLS needs a certificate and key: \
                 Tls::new().identity_pem(cert, key) or identity_pem_files",
            ));
        }
        Ok(tls)
    }
}

impl Backend for TlsBackend {
    fn listen(&self) -> Result<Box<dyn Listener>> {
        let bind = self
            .bind
            .ok_or_else(|| Error::spawn("a TLS listener needs an address to bind"))?;
        Ok(Box::new(listen(bind, self.serving()?)?))
    }

    fn connect(&self, address: &Address) -> Result<Connection> {
        match address {
            Address::Tls(at) => connect(*at, self.tls()?, self.connect_timeout),
            other => Err(Error::proxy(format!(
                "the TLS transport cannot reach {other}"
            ))),
        }
    }

    fn listen_at(&self, address: &Address) -> Result<Box<dyn Listener>> {
        match address {
            Address::Tls(at) | Address::Tcp(at) => Ok(Box::new(listen(*at, self.serving()?)?)),
            other => Err(Error::spawn(format!(
                "the TLS transport cannot listen at {other}"
            ))),
        }
    }

    fn prepare(&self) -> Result<Prepared> {
        self.serving()?;
        tcp::record(self.bind)
    }

    fn listen_spawned(&self, record: &[u8]) -> Result<Box<dyn Listener>> {
        Ok(Box::new(listen(
            tcp::bind_record(record)?,
            self.serving()?,
        )?))
    }

    fn remote(&self) -> bool {
        true
    }
}

/// TLS settings: this side's certificate chain and key (to serve), the
/// roots it trusts (to connect), and the name it expects servers to prove.
///
/// Clones share one copy of the material, and the key's bytes are wiped
/// when the last clone is dropped; `Debug` never shows the key.
///
/// ```no_run
/// # // This crate's doc test, with the paths users write:
/// # mod uactor { pub mod net { pub use uactor_transport::tls::Tls; } }
/// # fn main() -> uactor_core::Result<()> {
/// use uactor::net::Tls;
/// let serving = Tls::new().identity_pem_files("actor.crt", "actor.key")?;
/// let calling = Tls::new().trust_pem_file("ca.crt")?.server_name("actor.example")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Tls {
    material: Arc<Material>,
    built: Arc<Built>,
}

/// What a [`Tls`] is made of, as it travels to a spawned actor over its
/// private bootstrap channel.
#[derive(Clone, Default, Serialize, Deserialize)]
struct Material {
    chain: Vec<Vec<u8>>,
    key: Option<PrivateKey>,
    roots: Vec<Vec<u8>>,
    server_name: Option<String>,
}

/// A private key's DER bytes, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
struct PrivateKey(Zeroizing<Vec<u8>>);

impl Serialize for PrivateKey {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for PrivateKey {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = PrivateKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a private key's DER bytes")
            }
            fn visit_bytes<E: serde::de::Error>(
                self,
                bytes: &[u8],
            ) -> std::result::Result<PrivateKey, E> {
                Ok(PrivateKey(Zeroizing::new(bytes.to_vec())))
            }
            fn visit_byte_buf<E: serde::de::Error>(
                self,
                bytes: Vec<u8>,
            ) -> std::result::Result<PrivateKey, E> {
                Ok(PrivateKey(Zeroizing::new(bytes)))
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

#[derive(Default)]
struct Built {
    server: OnceLock<std::result::Result<Arc<ServerConfig>, String>>,
    client: OnceLock<std::result::Result<Arc<ClientConfig>, String>>,
}

impl Tls {
    /// Settings with no certificate, no key and no roots yet.
    pub fn new() -> Self {
        Tls::default()
    }

    /// Serves with this certificate chain (leaf first) and private key, both
    /// PEM (PKCS#8, PKCS#1 or SEC1 keys).
    pub fn identity_pem(self, chain: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Result<Self> {
        let certificates = CertificateDer::pem_slice_iter(chain.as_ref())
            .map(|certificate| certificate.map(|der| der.as_ref().to_vec()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|error| {
                tls_error(format!("the certificate chain is not valid PEM: {error}"))
            })?;
        if certificates.is_empty() {
            return Err(tls_error(
                "the certificate chain holds no PEM `CERTIFICATE`",
            ));
        }
        let mut key = PrivateKeyDer::from_pem_slice(key.as_ref())
            .map_err(|error| tls_error(format!("no PEM private key found: {error}")))?;
        let der = PrivateKey(Zeroizing::new(key.secret_der().to_vec()));
        key.zeroize();
        let mut material = self.into_material();
        material.chain = certificates;
        material.key = Some(der);
        Ok(Tls::from_material(material))
    }

    /// [`identity_pem`](Self::identity_pem) from two files.
    pub fn identity_pem_files(
        self,
        chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self> {
        let chain = read_file(chain.as_ref())?;
        let key = read_file(key.as_ref())?;
        self.identity_pem(chain, key)
    }

    /// Trusts these PEM certificates (a CA, or a self-signed server
    /// certificate) as roots when connecting.
    pub fn trust_pem(self, certificates: impl AsRef<[u8]>) -> Result<Self> {
        let mut material = self.into_material();
        let before = material.roots.len();
        for certificate in CertificateDer::pem_slice_iter(certificates.as_ref()) {
            let certificate = certificate.map_err(|error| {
                tls_error(format!("a trusted certificate is not valid PEM: {error}"))
            })?;
            material.roots.push(certificate.as_ref().to_vec());
        }
        if material.roots.len() == before {
            return Err(tls_error("no PEM `CERTIFICATE` to trust"));
        }
        Ok(Tls::from_material(material))
    }

    /// [`trust_pem`](Self::trust_pem) from a file.
    pub fn trust_pem_file(self, path: impl AsRef<Path>) -> Result<Self> {
        let certificates = read_file(path.as_ref())?;
        self.trust_pem(certificates)
    }

    /// The name the server's certificate must be valid for (a DNS name or
    /// an IP address); without it, the IP address connected to.
    pub fn server_name(self, name: &str) -> Result<Self> {
        ServerName::try_from(name.to_owned()).map_err(|error| {
            tls_error(format!("`{name}` is not a DNS name or IP address: {error}"))
        })?;
        let mut material = self.into_material();
        material.server_name = Some(name.to_owned());
        Ok(Tls::from_material(material))
    }

    /// Whether these settings can serve (a certificate and key were given).
    pub fn can_serve(&self) -> bool {
        self.material.key.is_some()
    }

    fn from_material(material: Material) -> Self {
        Tls {
            material: Arc::new(material),
            built: Arc::default(),
        }
    }

    /// The material to build on: this one if no clone shares it, else a
    /// copy (the key too, wiped with the last of them).
    fn into_material(self) -> Material {
        Arc::unwrap_or_clone(self.material)
    }

    /// The rustls server configuration (TLS 1.3, ring).
    pub fn server_config(&self) -> Result<Arc<ServerConfig>> {
        self.built
            .server
            .get_or_init(|| self.build_server().map_err(|error| error.to_string()))
            .clone()
            .map_err(tls_error)
    }

    /// The rustls client configuration (TLS 1.3, ring).
    pub fn client_config(&self) -> Result<Arc<ClientConfig>> {
        self.built
            .client
            .get_or_init(|| self.build_client().map_err(|error| error.to_string()))
            .clone()
            .map_err(tls_error)
    }

    fn build_server(&self) -> std::result::Result<Arc<ServerConfig>, Error> {
        let Some(key) = &self.material.key else {
            return Err(tls_error(
                "serving over TLS needs a certificate and key: Tls::identity_pem or identity_pem_files",
            ));
        };
        // rustls wants a key it owns: this copy is rustls' to drop (it is
        // not wiped), and the parsed key lives as long as the configuration,
        // which is built once per process.
        let key = PrivateKeyDer::try_from(key.0.to_vec())
            .map_err(|error| tls_error(format!("the private key is not usable: {error}")))?;
        let chain = self
            .material
            .chain
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect();
        let config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|error| tls_error(error.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|error| {
                tls_error(format!(
                    "the certificate and key do not make an identity: {error}"
                ))
            })?;
        Ok(Arc::new(config))
    }

    fn build_client(&self) -> std::result::Result<Arc<ClientConfig>, Error> {
        // With no roots of its own, a process trusts its own identity: the
        // case of an owner connecting to the actor it spawned with it.
        let roots = if self.material.roots.is_empty() {
            &self.material.chain
        } else {
            &self.material.roots
        };
        if roots.is_empty() {
            return Err(tls_error(
                "connecting over TLS needs the server's certificate or its CA: Tls::trust_pem or trust_pem_file",
            ));
        }
        let mut store = RootCertStore::empty();
        for root in roots {
            store
                .add(CertificateDer::from(root.clone()))
                .map_err(|error| {
                    tls_error(format!("a trusted certificate is not usable: {error}"))
                })?;
        }
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|error| tls_error(error.to_string()))?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    fn server_name_for(&self, ip: IpAddr) -> Result<ServerName<'static>> {
        match &self.material.server_name {
            Some(name) => ServerName::try_from(name.clone())
                .map_err(|error| tls_error(format!("`{name}` is not a server name: {error}"))),
            None => Ok(ServerName::IpAddress(ip.into())),
        }
    }
}

/// Serialized whole, key included, for a spawned actor's private bootstrap
/// channel; never send it anywhere else.
impl Serialize for Tls {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.material.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Tls {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        Material::deserialize(deserializer).map(Tls::from_material)
    }
}

impl PartialEq for Tls {
    fn eq(&self, other: &Self) -> bool {
        self.material.chain == other.material.chain
            && self.material.roots == other.material.roots
            && self.material.server_name == other.material.server_name
            && self.material.key == other.material.key
    }
}

impl Eq for Tls {}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("certificates", &self.material.chain.len())
            .field("key", &self.material.key.as_ref().map(|_| "…"))
            .field("roots", &self.material.roots.len())
            .field("server_name", &self.material.server_name)
            .finish()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(message: impl Into<String>) -> Error {
    Error::Transport {
        message: format!("TLS: {}", message.into()),
        source: None,
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|error| Error::io(format!("reading {}", path.display()), error))
}

/// Listens at `at` and serves TLS with `tls`'s identity.
pub fn listen(at: SocketAddr, tls: &Tls) -> Result<TlsListener> {
    let config = tls.server_config()?;
    Ok(TlsListener {
        inner: tcp::listen(at)?,
        config,
    })
}

/// Opens a TLS connection to `at`, verifying the server with `tls`. The TLS
/// handshake runs on the first read or write, bounded by their timeouts.
pub fn connect(at: SocketAddr, tls: &Tls, timeout: Duration) -> Result<Connection> {
    Ok(framing::connection(connect_socket(at, tls, timeout)?))
}

/// [`connect`], as the byte stream under the frames: for a caller that
/// frames it itself, or speaks bytes (a test playing a hostile peer).
pub fn connect_socket(at: SocketAddr, tls: &Tls, timeout: Duration) -> Result<TlsSocket> {
    let config = tls.client_config()?;
    let name = tls.server_name_for(at.ip())?;
    let session =
        ClientConnection::new(config, name).map_err(|error| tls_error(error.to_string()))?;
    let stream = tcp::connect_stream(at, timeout)?;
    Ok(TlsSocket::new(stream, rustls::Connection::Client(session)))
}

/// A TCP listener whose connections speak TLS.
#[derive(Debug)]
pub struct TlsListener {
    inner: TcpActorListener,
    config: Arc<ServerConfig>,
}

impl Listener for TlsListener {
    fn address(&self) -> Address {
        Address::Tls(self.inner.local_addr())
    }

    fn accept(&mut self) -> Result<Connection> {
        loop {
            let stream = self.inner.accept_stream()?;
            // Only allocates the session; no byte is read here.
            if let Ok(session) = ServerConnection::new(Arc::clone(&self.config)) {
                return Ok(framing::connection(TlsSocket::new(
                    stream,
                    rustls::Connection::Server(session),
                )));
            }
        }
    }

    fn closer(&self) -> Option<uactor_core::Closer> {
        self.inner.closer()
    }
}

/// A TLS session over a blocking TCP stream, readable and writable from two
/// threads at once.
pub struct TlsSocket {
    stream: TcpStream,
    state: Mutex<State>,
    /// Held while records are encrypted and sent, so they reach the wire in
    /// the order of their sequence numbers. Always taken before `state`.
    sending: Mutex<Vec<u8>>,
    /// What the reader reads the stream into before rustls takes it; only
    /// the reader takes this lock, across its read.
    receiving: Mutex<Vec<u8>>,
}

/// Bytes read from the stream at a time while the TLS handshake runs: a
/// ClientHello fits, and a peer that has proven nothing holds no more.
const HANDSHAKE_READ: usize = 2 * 1024;

/// Bytes read at a time once the session is up: a whole TLS record.
const RECORD_READ: usize = 16 * 1024 + 256;

struct State {
    session: rustls::Connection,
    /// Ciphertext read from the stream that rustls has not taken yet.
    pending: Vec<u8>,
}

impl TlsSocket {
    fn new(stream: TcpStream, mut session: rustls::Connection) -> Self {
        // Frames are bounded above; let one frame be encrypted whole.
        session.set_buffer_limit(None);
        TlsSocket {
            stream,
            state: Mutex::new(State {
                session,
                pending: Vec::new(),
            }),
            sending: Mutex::new(Vec::new()),
            receiving: Mutex::new(Vec::new()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `bufs` to rustls as plaintext; returns how many bytes it took
    /// (all of them: frames are bounded above, so the buffer is unlimited).
    fn accept(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut state = self.state();
        let mut taken = 0;
        for buf in bufs {
            state.session.writer().write_all(buf)?;
            taken += buf.len();
        }
        Ok(taken)
    }

    /// Sends the TLS records rustls has queued (data, handshake messages,
    /// tickets, alerts): waiting at most the write timeout, or only what the
    /// socket takes now (and, if another thread is sending, nothing).
    fn flush(&self, wait: bool) -> io::Result<()> {
        let mut out = if wait {
            self.sending.lock().unwrap_or_else(PoisonError::into_inner)
        } else {
            match self.sending.try_lock() {
                Ok(out) => out,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => return Ok(()),
            }
        };
        loop {
            if out.is_empty() {
                let mut state = self.state();
                while state.session.wants_write() {
                    state.session.write_tls(&mut *out)?;
                }
            }
            if out.is_empty() {
                if out.capacity() > 1 << 20 {
                    *out = Vec::new();
                }
                return Ok(());
            }
            match framing::send_vectored(self.stream.as_fd(), &[IoSlice::new(&out)], wait) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(sent) => {
                    out.drain(..sent);
                }
                Err(error) if !wait && error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => return Err(error),
            }
        }
    }
}

impl TlsSocket {
    /// Decrypts what has been read: the plaintext rustls has ready, or
    /// `None` when the records read so far hold none (a record not yet
    /// whole, handshake messages, tickets).
    fn plaintext(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let mut state = self.state();
        loop {
            match state.session.reader().read(buf) {
                Ok(read) => return Ok(Some(read)),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
            if state.pending.is_empty() {
                return Ok(None);
            }
            let State { session, pending } = &mut *state;
            let mut unread = &pending[..];
            let taken = session.read_tls(&mut unread)?;
            pending.drain(..taken);
            session
                .process_new_packets()
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
            if taken == 0 {
                return Ok(None);
            }
        }
    }
}

impl Socket for TlsSocket {
    /// Plaintext if there is some; else sends what rustls has to say (its
    /// handshake messages), reads the socket once and returns what that
    /// decrypts to, or `Interrupted` when it decrypts to nothing. Reading
    /// once per call keeps every socket read under the frame reader's
    /// deadline: a peer that sends a record a byte at a time (a slow
    /// ClientHello) is dropped when the handshake's time is up, not after
    /// its last byte.
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(read) = self.plaintext(buf)? {
            return Ok(read);
        }
        let (wants_write, handshaking) = {
            let state = self.state();
            (state.session.wants_write(), state.session.is_handshaking())
        };
        if wants_write {
            // Handshake messages are awaited by the peer before it sends
            // more: send them whole. Later records (tickets, alerts) go
            // without waiting, so a reader never stalls on a full socket.
            self.flush(handshaking)?;
        }
        let mut receiving = self
            .receiving
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let size = if handshaking {
            HANDSHAKE_READ
        } else {
            RECORD_READ
        };
        if receiving.len() < size {
            receiving.resize(size, 0);
        }
        let read = (&self.stream).read(&mut receiving[..size])?;
        if read == 0 {
            // The peer closed the stream: end of file for the frames
            // above, which tell a clean close from a cut frame.
            return Ok(0);
        }
        self.state().pending.extend_from_slice(&receiving[..read]);
        drop(receiving);
        match self.plaintext(buf)? {
            Some(read) => Ok(read),
            None => Err(io::ErrorKind::Interrupted.into()),
        }
    }

    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.write_vectored(&[IoSlice::new(buf)]).map(drop)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let taken = self.accept(bufs)?;
        self.flush(true)?;
        Ok(taken)
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        Some(
            self.accept(bufs)
                .and_then(|taken| self.flush(false).map(|()| taken)),
        )
    }

    fn pending(&self) -> bool {
        let sending = match self.sending.try_lock() {
            Ok(out) => !out.is_empty(),
            Err(TryLockError::Poisoned(poisoned)) => !poisoned.into_inner().is_empty(),
            // Another thread is sending right now.
            Err(TryLockError::WouldBlock) => true,
        };
        sending || self.state().session.wants_write()
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_write_timeout(timeout)
    }

    fn shutdown(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// The TCP stream's descriptor: it tells of records arriving, which is
    /// what a host waits for before the TLS handshake has begun (after it,
    /// rustls may hold plaintext that no poll would report).
    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        Some(std::os::fd::AsFd::as_fd(&self.stream))
    }
}

impl fmt::Debug for TlsSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSocket")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::thread;

    use uactor_core::frame::{self, Header, Kind};

    use super::*;

    fn self_signed() -> (String, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    }

    #[test]
    fn frames_cross_both_ways_at_once_and_strangers_are_refused() {
        let (cert, key) = self_signed();
        let tls = Tls::new().identity_pem(&cert, &key).unwrap();
        let mut listener = listen("127.0.0.1:0".parse().unwrap(), &tls).unwrap();
        let Address::Tls(at) = listener.address() else {
            panic!()
        };
        let server = thread::spawn(move || {
            let connection = listener.accept().unwrap();
            let Connection { mut reader, writer } = connection;
            // Echo from a second thread while this one keeps reading.
            let (sender, receiver) = std::sync::mpsc::channel::<Vec<u8>>();
            let echo = thread::spawn(move || {
                let mut writer = writer;
                for frame in receiver {
                    writer.write_frame(&frame).unwrap();
                }
            });
            for _ in 0..3 {
                sender.send(reader.read_frame().unwrap().to_vec()).unwrap();
            }
            drop(sender);
            echo.join().unwrap();
            // A client with the wrong root fails its handshake; the
            // listener goes on.
            let mut stranger = listener.accept().unwrap();
            stranger
                .reader
                .set_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            assert!(stranger.reader.read_frame().is_err());
        });
        let client_tls = Tls::new().trust_pem(&cert).unwrap();
        let mut client = connect(at, &client_tls, Duration::from_secs(2)).unwrap();
        client.set_timeout(Some(Duration::from_secs(5))).unwrap();
        let big = frame::encode(Header::new(Kind::Request, 3), &[7; 1_000_000]);
        let small = frame::encode(Header::new(Kind::Request, 4), b"hi");
        for frame in [&small, &big, &small] {
            client.writer.write_frame(frame).unwrap();
        }
        for frame in [&small, &big, &small] {
            assert_eq!(client.reader.read_frame().unwrap(), &frame[..]);
        }
        let (other, _) = self_signed();
        let mut wrong = connect(
            at,
            &Tls::new().trust_pem(&other).unwrap(),
            Duration::from_secs(2),
        )
        .unwrap();
        wrong.set_timeout(Some(Duration::from_secs(2))).unwrap();
        let attempt = wrong
            .writer
            .write_frame(&small)
            .and_then(|()| wrong.reader.read_frame().map(|_| ()));
        assert!(
            matches!(attempt, Err(Error::Transport { .. })),
            "{attempt:?}"
        );
        server.join().unwrap();
    }

    /// The first bytes a rustls client sends to `at`: its ClientHello.
    fn client_hello(cert: &str) -> Vec<u8> {
        let tls = Tls::new().trust_pem(cert).unwrap();
        let name = tls.server_name_for("127.0.0.1".parse().unwrap()).unwrap();
        let mut session = ClientConnection::new(tls.client_config().unwrap(), name).unwrap();
        let mut hello = Vec::new();
        while session.wants_write() {
            session.write_tls(&mut hello).unwrap();
        }
        hello
    }

    #[test]
    fn a_client_hello_dripping_a_byte_at_a_time_is_dropped_at_the_deadline() {
        let (cert, key) = self_signed();
        let tls = Tls::new().identity_pem(&cert, &key).unwrap();
        let mut listener = listen("127.0.0.1:0".parse().unwrap(), &tls).unwrap();
        let Address::Tls(at) = listener.address() else {
            panic!()
        };
        let hello = client_hello(&cert);
        // A byte every 50 ms, well within any read timeout; the drip stops
        // after 2 s whatever happens, so a reader that waits for the whole
        // record fails instead of hanging.
        let dripping = thread::spawn(move || {
            let mut stream = TcpStream::connect(at).unwrap();
            let started = std::time::Instant::now();
            for byte in hello {
                if stream.write_all(&[byte]).is_err() || started.elapsed() > Duration::from_secs(2)
                {
                    return;
                }
                thread::sleep(Duration::from_millis(50));
            }
        });
        let mut connection = listener.accept().unwrap();
        let timeout = Duration::from_millis(600);
        connection.reader.set_timeout(Some(timeout)).unwrap();
        let started = std::time::Instant::now();
        let result = connection.reader.read_frame().map(<[u8]>::to_vec);
        let took = started.elapsed();
        drop(connection);
        dripping.join().unwrap();
        println!(
            "a ClientHello sent a byte every 50 ms was dropped after {took:?} (timeout {timeout:?})"
        );
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
        assert!(
            took >= timeout && took < timeout + timeout / 5,
            "a {timeout:?} frame timeout took {took:?}"
        );
    }

    #[test]
    fn bad_pem_says_what_is_missing() {
        let error = Tls::new()
            .identity_pem("nothing", "nothing")
            .unwrap_err()
            .to_string();
        assert!(error.contains("CERTIFICATE"), "{error}");
        let error = Tls::new().client_config().unwrap_err().to_string();
        assert!(error.contains("trust_pem"), "{error}");
    }
}
