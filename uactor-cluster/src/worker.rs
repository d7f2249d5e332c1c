//! The worker: the user's own binary, serving a cluster on one host. It
//! joins through nats-server, advertises (in its record, rewritten every
//! heartbeat) which actor types it can host, its build identity, its load
//! and its address, and serves three endpoints through NATS's service API
//! (so `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` find and check it):
//!
//! - `spawn`: start an actor for an owner that proves the cluster key,
//!   listening on TCP (TLS when configured) with the cluster's link key,
//!   and register its name;
//! - `end`: the owner is done with an actor;
//! - `exit`: how an actor ended.
//!
//! Each actor is a child process of the worker, as any spawned actor is of
//! its parent: if the worker dies, its actors end. An actor whose owner's
//! lease lapses (the owner died, or this host lost the cluster) is ended;
//! an actor that ends is reported to its owner and its name withdrawn.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_nats::jetstream::kv::{CreateErrorKind, Operation};
use async_nats::service::{self, ServiceExt};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use uactor_core::{Address, Error, Exit, Result};
use uactor_manager::{ACTORS, Client, Transport};

use crate::broker::Broker;
use crate::config::Config;
use crate::liveness::{HEARTBEAT, TICK, TTL};
use crate::record::{
    self, ActorRequest, Ended, ExitReply, LeaseRecord, NameRecord, SpawnReply, SpawnRequest,
    WorkerRecord,
};
use crate::seal::{Freshness, random_hex};
use crate::{identity, runtime};

/// How long a worker remembers how an actor ended.
const REMEMBER_EXITS: Duration = Duration::from_secs(60);

/// Serves the cluster `config` describes from this process until the
/// process ends: the line a worker binary's `main` runs (after
/// `uactor::init()`). Returns only if joining fails.
///
/// ```no_run
/// fn main() -> uactor_core::Result<()> {
///     // uactor::init();
///     let config = uactor_cluster::Config::from_env()?;
///     uactor_cluster::worker(&config)
/// }
/// ```
pub fn worker(config: &Config) -> Result<()> {
    Worker::start(config)?.wait();
    Ok(())
}

/// If the environment variable `UACTOR_WORKER` is set (to anything but
/// `0`), serves as a worker configured from the environment
/// ([`Config::from_env`]) and never returns: exits when serving ends, with
/// status 1 if joining failed. `uactor::init()` calls it.
pub fn serve_if_worker() {
    match std::env::var(crate::config::env::WORKER) {
        Ok(value) if !value.is_empty() && value != "0" => {}
        _ => return,
    }
    match Config::from_env().and_then(|config| worker(&config)) {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("uactor: this process cannot serve as a cluster worker: {error}");
            std::process::exit(1);
        }
    }
}

/// A worker serving in this process; [`stop`](Self::stop) (or dropping
/// it) ends its actors and leaves the cluster.
pub struct Worker {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    broker: Broker,
    config: Config,
    id: String,
    host: IpAddr,
    pid: u32,
    build: String,
    actors: Vec<String>,
    hosted: Mutex<HashMap<u64, Hosted>>,
    /// How actors ended lately, by serial.
    finished: Mutex<HashMap<u64, (Exit, Instant)>>,
    /// When each owner's lease was last seen renewed.
    leases: Mutex<HashMap<String, Instant>>,
    freshness: Mutex<Freshness>,
    serial: AtomicU64,
    /// Counts the changes of `hosted`, so a reader of two loads knows the
    /// newer.
    version: AtomicU64,
    /// Wakes the heartbeat early when the load changed.
    changed: Notify,
    exits: mpsc::UnboundedSender<(u64, Exit)>,
}

struct Hosted {
    /// The owner's client: dropping it ends the actor.
    _owner: Client,
    lease: String,
    actor: String,
    address: Address,
    name: Option<(String, u64)>,
    since: Instant,
}

impl Worker {
    /// Joins the cluster and starts serving; returns once this worker is
    /// in the registry.
    pub fn start(config: &Config) -> Result<Worker> {
        config.check()?;
        let build = identity::build(config)?;
        let host = match config.advertise {
            Some(host) => host,
            None => route_to(&config.servers).ok_or_else(|| {
                Error::spawn(format!(
                    "cannot tell which address of this host reaches {}: set Config::advertise",
                    config.servers
                ))
            })?,
        };
        let id = random_hex(8)?;
        let joining = config.clone();
        let broker = runtime::block(config.connect_timeout * 2, async move {
            Broker::join(&joining, "worker").await
        })?;
        let (exits, ended) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            broker,
            config: config.clone(),
            id,
            host,
            pid: std::process::id(),
            build,
            actors: ACTORS.iter().map(|actor| actor.name().to_owned()).collect(),
            hosted: Mutex::new(HashMap::new()),
            finished: Mutex::new(HashMap::new()),
            leases: Mutex::new(HashMap::new()),
            freshness: Mutex::new(Freshness::default()),
            serial: AtomicU64::new(1),
            version: AtomicU64::new(0),
            changed: Notify::new(),
            exits,
        });
        let starting = Arc::clone(&shared);
        let tasks = runtime::block(config.connect_timeout * 2, async move {
            let shared = starting;
            let service = shared
                .broker
                .client
                .service_builder()
                .description(format!(
                    "uactor worker of cluster {} on {}",
                    shared.broker.cluster, shared.host
                ))
                .metadata(HashMap::from([
                    ("cluster".to_owned(), shared.broker.cluster.clone()),
                    ("worker".to_owned(), shared.id.clone()),
                    ("host".to_owned(), shared.host.to_string()),
                    ("build".to_owned(), shared.build.clone()),
                ]))
                .start("uactor-worker", env!("CARGO_PKG_VERSION"))
                .await
                .map_err(|error| Error::spawn(format!("starting the worker's service: {error}")))?;
            let group = service.group(shared.broker.worker_group(&shared.id));
            let mut endpoints = Vec::new();
            for name in ["spawn", "end", "exit"] {
                endpoints.push(group.endpoint(name).await.map_err(|error| {
                    Error::spawn(format!("serving the worker's {name} endpoint: {error}"))
                })?);
            }
            shared.heartbeat().await?;
            let mut tasks = Vec::new();
            let handle = tokio::runtime::Handle::current();
            let mut endpoints = endpoints.into_iter();
            for endpoint in ["spawn", "end", "exit"] {
                let Some(mut requests) = endpoints.next() else {
                    break;
                };
                let shared = Arc::clone(&shared);
                tasks.push(handle.spawn(async move {
                    while let Some(request) = requests.next().await {
                        let shared = Arc::clone(&shared);
                        tokio::spawn(async move { shared.serve(endpoint, request).await });
                    }
                }));
            }
            tasks.push(handle.spawn(Arc::clone(&shared).beat()));
            tasks.push(handle.spawn(Arc::clone(&shared).watch_leases()));
            tasks.push(handle.spawn(Arc::clone(&shared).expire()));
            tasks.push(handle.spawn(Arc::clone(&shared).report(ended)));
            // The service lives as long as the tasks that serve it.
            tasks.push(handle.spawn(async move {
                let _service = service;
                std::future::pending::<()>().await;
            }));
            Ok(tasks)
        })?;
        Ok(Worker { shared, tasks })
    }

    /// This worker's id in the cluster.
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// The address its actors listen on.
    pub fn host(&self) -> IpAddr {
        self.shared.host
    }

    /// How many actors it hosts now.
    pub fn hosted(&self) -> usize {
        self.shared.hosted().len()
    }

    /// Serves until the process ends.
    pub fn wait(self) {
        loop {
            std::thread::park();
        }
    }

    /// Ends its actors and leaves the cluster.
    pub fn stop(mut self) {
        self.leave();
    }

    fn leave(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        let hosted: Vec<Hosted> = self
            .shared
            .hosted()
            .drain()
            .map(|(_, hosted)| hosted)
            .collect();
        drop(hosted);
        let broker = self.shared.broker.clone();
        let id = self.shared.id.clone();
        let _ = runtime::block(Duration::from_secs(2), async move {
            let _ = broker.workers.delete(id).await;
            Ok(())
        });
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !self.tasks.is_empty() {
            self.leave();
        }
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.shared.id)
            .field("host", &self.shared.host)
            .field("hosted", &self.hosted())
            .finish_non_exhaustive()
    }
}

/// A request an endpoint refuses without answering it in the cluster's
/// seal: the caller could not prove the key.
struct Refused(Error);

impl Shared {
    fn hosted(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Hosted>> {
        self.hosted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops listing actor `serial`.
    fn take(&self, serial: u64) -> Option<Hosted> {
        let mut hosted = self.hosted();
        let taken = hosted.remove(&serial);
        self.version.fetch_add(1, Ordering::AcqRel);
        taken
    }

    fn put(&self, serial: u64, entry: Hosted) {
        let mut hosted = self.hosted();
        hosted.insert(serial, entry);
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// How many actors it hosts, and the version of that count.
    fn load(&self) -> (u32, u64) {
        let hosted = self.hosted();
        (
            u32::try_from(hosted.len()).unwrap_or(u32::MAX),
            self.version.load(Ordering::Acquire),
        )
    }

    fn finished(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (Exit, Instant)>> {
        self.finished.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn leases(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.leases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes this worker's record and renews its actors' names.
    async fn heartbeat(&self) -> Result<()> {
        let (load, version) = self.load();
        let names = {
            let hosted = self.hosted();
            let names: Vec<(u64, String, u64, NameRecord)> = hosted
                .iter()
                .filter_map(|(serial, hosted)| {
                    let (name, revision) = hosted.name.clone()?;
                    Some((*serial, name, revision, self.name_record(*serial, hosted)))
                })
                .collect();
            names
        };
        let record = WorkerRecord {
            id: self.id.clone(),
            host: self.host,
            pid: self.pid,
            build: self.build.clone(),
            actors: self.actors.clone(),
            load,
            version,
        };
        let sealed = self.broker.keys.seal(record::WORKER, &record)?;
        self.broker
            .workers
            .put(self.id.as_str(), Bytes::from(sealed))
            .await
            .map_err(|error| Error::spawn(format!("writing the worker's record: {error}")))?;
        for (serial, name, revision, entry) in names {
            let sealed = self.broker.keys.seal(record::NAME, &entry)?;
            // Only over its own last write: a name withdrawn meanwhile
            // stays withdrawn.
            if let Ok(revision) = self
                .broker
                .names
                .update(name.as_str(), Bytes::from(sealed), revision)
                .await
                && let Some(hosted) = self.hosted().get_mut(&serial)
                && let Some(name) = &mut hosted.name
            {
                name.1 = revision;
            }
        }
        Ok(())
    }

    fn name_record(&self, serial: u64, hosted: &Hosted) -> NameRecord {
        NameRecord {
            actor: hosted.actor.clone(),
            address: hosted.address.clone(),
            worker: self.id.clone(),
            serial,
            lease: hosted.lease.clone(),
        }
    }

    /// The heartbeat, every [`HEARTBEAT`] and whenever the load changed.
    async fn beat(self: Arc<Self>) {
        loop {
            let _ = tokio::time::timeout(HEARTBEAT, self.heartbeat()).await;
            tokio::select! {
                _ = tokio::time::sleep(HEARTBEAT) => {}
                _ = self.changed.notified() => {}
            }
        }
    }

    /// Follows the owners' leases.
    async fn watch_leases(self: Arc<Self>) {
        loop {
            if let Ok(mut watch) = self.broker.leases.watch_all().await {
                while let Some(Ok(entry)) = watch.next().await {
                    match entry.operation {
                        Operation::Put => {
                            if let Ok(lease) = self
                                .broker
                                .keys
                                .open::<LeaseRecord>(record::LEASE, &entry.value)
                                && lease.lease == entry.key
                            {
                                self.leases().insert(lease.lease, Instant::now());
                            }
                        }
                        // The owner let go of its lease: its actors end now.
                        Operation::Delete | Operation::Purge => {
                            self.leases().remove(&entry.key);
                            let ended: Vec<u64> = self
                                .hosted()
                                .iter()
                                .filter(|(_, hosted)| hosted.lease == entry.key)
                                .map(|(serial, _)| *serial)
                                .collect();
                            for serial in ended {
                                self.end(serial).await;
                            }
                        }
                    }
                }
            }
            tokio::time::sleep(TICK).await;
        }
    }

    /// Ends the actors whose owner's lease lapsed, and forgets old exits.
    async fn expire(self: Arc<Self>) {
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            let lapsed: Vec<u64> = {
                let leases = self.leases();
                self.hosted()
                    .iter()
                    .filter(|(_, hosted)| {
                        let seen = leases.get(&hosted.lease).copied().unwrap_or(hosted.since);
                        seen.elapsed() > TTL
                    })
                    .map(|(serial, _)| *serial)
                    .collect()
            };
            for serial in lapsed {
                self.end(serial).await;
            }
            self.finished()
                .retain(|_, (_, at)| at.elapsed() < REMEMBER_EXITS);
            self.leases()
                .retain(|_, seen| seen.elapsed() < REMEMBER_EXITS);
        }
    }

    /// Ends actor `serial`: its process is shut down (killed past its
    /// shutdown timeout) and reaped; its end is then reported.
    async fn end(&self, serial: u64) {
        let Some(hosted) = self.take(serial) else {
            return;
        };
        self.changed.notify_one();
        self.withdraw(serial, &hosted).await;
        let _ = tokio::task::spawn_blocking(move || drop(hosted)).await;
    }

    /// Reports each actor that ended to its owner and withdraws its name.
    async fn report(self: Arc<Self>, mut ended: mpsc::UnboundedReceiver<(u64, Exit)>) {
        while let Some((serial, status)) = ended.recv().await {
            self.finished().insert(serial, (status, Instant::now()));
            let Some(hosted) = self.take(serial) else {
                // Ended by `end` (already removed), or before it was
                // listed: the owner learns it from the `exit` endpoint.
                continue;
            };
            self.changed.notify_one();
            self.withdraw(serial, &hosted).await;
            if let Ok(sealed) = self.broker.keys.seal(
                record::ENDED,
                &Ended {
                    worker: self.id.clone(),
                    serial,
                    status,
                },
            ) {
                let _ = self
                    .broker
                    .client
                    .publish(
                        self.broker.owner_subject(&hosted.lease),
                        Bytes::from(sealed),
                    )
                    .await;
            }
            let _ = tokio::task::spawn_blocking(move || drop(hosted)).await;
        }
    }

    /// Withdraws the name of actor `serial`, if it still holds it.
    async fn withdraw(&self, serial: u64, hosted: &Hosted) {
        let Some((name, _)) = &hosted.name else {
            return;
        };
        if let Ok(Some(entry)) = self.broker.names.entry(name.as_str()).await
            && entry.operation == Operation::Put
            && let Ok(record) = self
                .broker
                .keys
                .open::<NameRecord>(record::NAME, &entry.value)
            && record.worker == self.id
            && record.serial == serial
        {
            let _ = self
                .broker
                .names
                .delete_expect_revision(name.as_str(), Some(entry.revision))
                .await;
        }
    }

    /// Answers one request on `endpoint`.
    async fn serve(self: Arc<Self>, endpoint: &'static str, request: service::Request) {
        let payload = request.message.payload.clone();
        let answer = match endpoint {
            "spawn" => self.spawn(&payload).await,
            "end" => self.release(&payload).await,
            _ => self.exit(&payload).await,
        };
        let response = match answer {
            Ok(sealed) => Ok(Bytes::from(sealed)),
            Err(Refused(error)) => Err(service::error::Error {
                status: error.to_string(),
                code: 401,
            }),
        };
        let _ = request.respond(response).await;
    }

    /// Opens a sealed request of kind `kind`, once.
    fn open<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        payload: &[u8],
        stamp: impl FnOnce(&T) -> &crate::seal::Stamp,
    ) -> std::result::Result<T, Refused> {
        let request: T = self.broker.keys.open(kind, payload).map_err(Refused)?;
        self.freshness
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .accept(stamp(&request))
            .map_err(Refused)?;
        Ok(request)
    }

    fn seal<T: serde::Serialize>(
        &self,
        kind: &str,
        body: &T,
    ) -> std::result::Result<Vec<u8>, Refused> {
        self.broker.keys.seal(kind, body).map_err(Refused)
    }

    async fn spawn(self: &Arc<Self>, payload: &[u8]) -> std::result::Result<Vec<u8>, Refused> {
        let request: SpawnRequest =
            self.open(record::SPAWN, payload, |request: &SpawnRequest| {
                &request.stamp
            })?;
        // The request shows its owner's lease is alive.
        self.leases().insert(request.lease.clone(), Instant::now());
        let reply = match self.host(request).await {
            Ok((serial, address)) => {
                let (load, version) = self.load();
                SpawnReply::Ready {
                    serial,
                    address,
                    load,
                    version,
                }
            }
            Err(error) => SpawnReply::Refused { error },
        };
        self.seal(record::SPAWNED, &reply)
    }

    /// Starts the actor `request` asks for and registers its name.
    async fn host(self: &Arc<Self>, request: SpawnRequest) -> Result<(u64, Address)> {
        if request.build != self.build {
            return Err(Error::spawn(format!(
                "the worker on {} runs build {}, the caller {}: they are different code",
                self.host, self.build, request.build
            )));
        }
        if let Some(name) = &request.name {
            crate::cluster::check_name(name)?;
        }
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let options = self
            .config
            .options
            .clone()
            .transport(Transport::Tcp(SocketAddr::new(self.host, 0)))
            .authkey(self.broker.keys.link_key())
            .codec(request.codec)
            .spawn_timeout(Duration::from_millis(request.spawn_timeout_ms));
        let exits = self.exits.clone();
        let on_exit: Box<dyn FnOnce(Exit) + Send> = Box::new(move |exit| {
            let _ = exits.send((serial, exit));
        });
        let (actor, args) = (request.actor.clone(), request.args);
        let client = tokio::task::spawn_blocking(move || {
            uactor_manager::host_placed(&actor, args, &options, on_exit)
        })
        .await
        .map_err(|_| Error::spawn("the spawning task failed"))??;
        let mut hosted = Hosted {
            address: client.address(),
            _owner: client,
            lease: request.lease,
            actor: request.actor,
            name: None,
            since: Instant::now(),
        };
        if let Some(name) = request.name {
            match self.register(serial, &hosted, &name, request.again).await {
                Ok(revision) => hosted.name = Some((name, revision)),
                Err(error) => {
                    let _ = tokio::task::spawn_blocking(move || drop(hosted)).await;
                    return Err(error);
                }
            }
        }
        let address = hosted.address.clone();
        self.put(serial, hosted);
        let finished = self.finished().get(&serial).copied();
        if let Some((status, _)) = finished {
            // It ended before it was listed.
            let hosted = self.take(serial);
            if let Some(hosted) = hosted {
                self.withdraw(serial, &hosted).await;
                let _ = tokio::task::spawn_blocking(move || drop(hosted)).await;
            }
            return Err(Error::spawn(format!(
                "the actor ended as soon as it started ({status})"
            )));
        }
        self.changed.notify_one();
        Ok((serial, address))
    }

    /// Registers `name` for actor `serial`; returns the entry's revision.
    async fn register(&self, serial: u64, hosted: &Hosted, name: &str, again: bool) -> Result<u64> {
        let sealed = Bytes::from(
            self.broker
                .keys
                .seal(record::NAME, &self.name_record(serial, hosted))?,
        );
        let taken = match self.broker.names.create(name, sealed.clone()).await {
            Ok(revision) => return Ok(revision),
            Err(error) if error.kind() == CreateErrorKind::AlreadyExists => {
                self.broker.names.entry(name).await.ok().flatten()
            }
            Err(error) => {
                return Err(Error::spawn(format!(
                    "registering the name {name:?}: {error}"
                )));
            }
        };
        let holder = taken.as_ref().and_then(|entry| {
            self.broker
                .keys
                .open::<NameRecord>(record::NAME, &entry.value)
                .ok()
        });
        match (taken, holder) {
            // The same owner places its actor again (after a crash or the
            // loss of its host): the name moves to the new actor.
            (Some(entry), Some(holder)) if again && holder.lease == hosted.lease => self
                .broker
                .names
                .update(name, sealed, entry.revision)
                .await
                .map_err(|error| Error::spawn(format!("taking over the name {name:?}: {error}"))),
            (_, holder) => Err(Error::spawn(format!(
                "the name {name:?} is taken in cluster {}{}",
                self.broker.cluster,
                holder.map_or(String::new(), |holder| format!(" (by a {})", holder.actor))
            ))),
        }
    }

    /// The owner is done with an actor: end it and say how it ended.
    async fn release(&self, payload: &[u8]) -> std::result::Result<Vec<u8>, Refused> {
        let request: ActorRequest = self.open(record::END, payload, |request: &ActorRequest| {
            &request.stamp
        })?;
        let owned = self
            .hosted()
            .get(&request.serial)
            .is_some_and(|hosted| hosted.lease == request.lease);
        if owned {
            self.end(request.serial).await;
        }
        self.seal(
            record::EXITED,
            &ExitReply {
                serial: request.serial,
                status: self
                    .finished()
                    .get(&request.serial)
                    .map(|(status, _)| *status),
            },
        )
    }

    /// How an actor ended, if it did (waiting briefly for its reaper).
    async fn exit(&self, payload: &[u8]) -> std::result::Result<Vec<u8>, Refused> {
        let request: ActorRequest =
            self.open(record::EXIT, payload, |request: &ActorRequest| {
                &request.stamp
            })?;
        let mut status = None;
        for _ in 0..10 {
            status = self
                .finished()
                .get(&request.serial)
                .map(|(status, _)| *status);
            if status.is_some() || !self.hosted().contains_key(&request.serial) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.seal(
            record::EXITED,
            &ExitReply {
                serial: request.serial,
                status,
            },
        )
    }
}

/// The address of this host's interface that routes to the first of
/// `servers` (no packet is sent: a UDP socket is only connected).
fn route_to(servers: &str) -> Option<IpAddr> {
    let first = servers.split(',').next()?.trim();
    let authority = first.rsplit("://").next()?;
    let authority = authority.rsplit('@').next()?;
    let authority = authority.split('/').next()?;
    let target = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_socket_addrs().ok()?.next()?
    } else {
        (authority.trim_matches(['[', ']']), 4222)
            .to_socket_addrs()
            .ok()?
            .next()?
    };
    let local: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).ok()?;
    socket.connect(target).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_route_to_a_loopback_server_is_loopback() {
        assert_eq!(
            super::route_to("nats://127.0.0.1:4222"),
            Some(std::net::IpAddr::from([127, 0, 0, 1]))
        );
        assert_eq!(
            super::route_to("nats://user:pw@localhost"),
            Some(std::net::IpAddr::from([127, 0, 0, 1]))
        );
    }
}
