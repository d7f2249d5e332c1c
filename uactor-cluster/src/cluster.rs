//! The caller's side: a [`Cluster`] handle places actors on workers (it is
//! the manager's `Placement`), keeps this process's lease alive, follows
//! which workers live, and finds actors by name.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use async_nats::{Message, RequestErrorKind};
use bytes::Bytes;
use futures::StreamExt;
use uactor_core::{Actor, Error, Exit, Result};
use uactor_manager::{Options, PlaceRequest, Placed, Placement, ProxyClient, Tenure};
use uactor_transport::Settings;

use crate::broker::Broker;
use crate::config::Config;
use crate::liveness::{HEARTBEAT, TICK};
use crate::membership::{self, Lost, Membership, WorkerInfo};
use crate::record::{
    self, ActorRequest, Ended, ExitReply, LeaseRecord, NameRecord, SpawnReply, SpawnRequest,
};
use crate::seal::{Stamp, random_hex};
use crate::{identity, runtime};

/// How long placing waits for a worker that can take the actor to join.
const JOIN_WAIT: Duration = Duration::from_secs(2);

/// How long giving an actor back to its worker may take.
const RELEASE_BOUND: Duration = Duration::from_secs(15);

/// A connection to a cluster, for placing actors on its workers and
/// finding them by name. Clones share it; this process's lease on its
/// actors lives while some clone or some proxy to an actor placed through
/// it does.
///
/// ```no_run
/// # use uactor_cluster as cluster; // users write `uactor::cluster`
/// # fn demo<Counter: uactor_core::Actor<Args = i64>>() -> Result<(), Box<dyn std::error::Error>>
/// # where Counter::Proxy: uactor_manager::ProxyClient {
/// let config = cluster::Config::new("nats://10.0.0.1:4222").key(std::fs::read("cluster.key")?);
/// let cluster = cluster::Cluster::connect(&config)?;
/// let counter = cluster.spawn::<Counter>(10)?;       // on the least loaded worker
/// let options = uactor_manager::Options::new().cluster(&cluster).name("orders");
/// let named = uactor_manager::spawn_actor::<Counter>(&options, 0)?;
/// let found = cluster.lookup::<Counter>("orders")?;  // from any host
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cluster {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    broker: Broker,
    config: Config,
    lease: String,
    build: String,
    membership: Arc<Membership>,
    holds: Mutex<HashMap<(String, u64), Weak<Hold>>>,
    turn: AtomicUsize,
}

impl Cluster {
    /// Joins the cluster `config` describes as a caller: connects to
    /// nats-server, checks the cluster key, takes a lease and reads which
    /// workers are alive.
    pub fn connect(config: &Config) -> Result<Cluster> {
        config.check()?;
        let build = identity::build(config)?;
        let bound = config.connect_timeout * 2;
        let joining = config.clone();
        let (broker, records) = runtime::block(bound, async move {
            let broker = Broker::join(&joining, "caller").await?;
            let records = read_workers(&broker).await;
            Ok((broker, records))
        })?;
        let membership = Arc::new(Membership::default());
        for record in records {
            membership.heard(record);
        }
        let shared = Arc::new(Shared {
            broker,
            config: config.clone(),
            lease: random_hex(16)?,
            build,
            membership,
            holds: Mutex::new(HashMap::new()),
            turn: AtomicUsize::new(0),
        });
        let renewing = Arc::downgrade(&shared);
        let (broker, lease) = (shared.broker.clone(), shared.lease.clone());
        runtime::block(bound, async move {
            renew(&broker, &lease).await?;
            let ended = broker
                .client
                .subscribe(broker.owner_subject(&lease))
                .await
                .map_err(|error| Error::spawn(format!("subscribing to actor ends: {error}")))?;
            let handle = tokio::runtime::Handle::current();
            handle.spawn(keep_lease(renewing.clone()));
            handle.spawn(hear_ends(renewing.clone(), ended));
            let lost = renewing.clone();
            let view = renewing
                .upgrade()
                .map(|shared| Arc::downgrade(&shared.membership));
            if let Some(view) = view {
                handle.spawn(membership::follow(broker.clone(), view, move |gone| {
                    if let Some(shared) = lost.upgrade() {
                        shared.host_lost(&gone);
                    }
                }));
            }
            Ok(())
        })?;
        Ok(Cluster { shared })
    }

    /// Spawns an `A` on the least loaded worker that can host it: the same
    /// as `A::spawn_with(&cluster.options(), args)`.
    pub fn spawn<A: Actor>(&self, args: A::Args) -> Result<A::Proxy>
    where
        A::Proxy: ProxyClient,
    {
        uactor_manager::spawn_actor::<A>(&self.options(), args)
    }

    /// Options that spawn on this cluster; add a name, supervision,
    /// timeouts to them.
    pub fn options(&self) -> Options {
        Options::new().cluster(self)
    }

    /// A proxy to the actor registered as `name` (with
    /// `Options::name`), from any host: a reference, not an owner.
    /// `Error::Proxy` if no live actor has that name, or it is no `A`.
    pub fn lookup<A: Actor>(&self, name: &str) -> Result<A::Proxy>
    where
        A::Proxy: ProxyClient,
    {
        check_name(name)?;
        let shared = &self.shared;
        let names = shared.broker.names.clone();
        let key = name.to_owned();
        let stored = runtime::block(shared.config.connect_timeout, async move {
            names
                .get(key)
                .await
                .map_err(|error| Error::proxy(format!("reading the name registry: {error}")))
        })?;
        let cluster = &shared.config.cluster;
        let Some(bytes) = stored else {
            return Err(Error::proxy(format!(
                "no actor is registered as {name:?} in cluster {cluster}"
            )));
        };
        let entry: NameRecord = shared.broker.keys.open(record::NAME, &bytes)?;
        if entry.actor != A::NAME {
            return Err(Error::proxy(format!(
                "{name:?} in cluster {cluster} is a {}, not a {}",
                entry.actor,
                A::NAME
            )));
        }
        if !shared.membership.alive(&entry.worker) {
            return Err(Error::proxy(format!(
                "no actor is registered as {name:?} in cluster {cluster} \
                 (its host was lost)"
            )));
        }
        let options = shared
            .config
            .options
            .clone()
            .authkey(shared.broker.keys.link_key());
        uactor_manager::connect_with::<A>(&entry.address, &options)
    }

    /// The workers alive now, by host.
    pub fn workers(&self) -> Vec<WorkerInfo> {
        self.shared.membership.list()
    }

    /// The build identity this process requires of workers.
    pub fn build(&self) -> &str {
        &self.shared.build
    }
}

impl Placement for Cluster {
    fn place(&self, request: &PlaceRequest) -> Result<Placed> {
        Shared::place(&self.shared, request)
    }
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("cluster", &self.shared.config.cluster)
            .field("workers", &self.shared.membership.list().len())
            .finish_non_exhaustive()
    }
}

/// Every worker record in the bucket now.
async fn read_workers(broker: &Broker) -> Vec<record::WorkerRecord> {
    let mut records = Vec::new();
    let Ok(mut keys) = broker.workers.keys().await else {
        return records;
    };
    while let Some(Ok(key)) = keys.next().await {
        if let Ok(Some(bytes)) = broker.workers.get(key.as_str()).await
            && let Ok(record) = broker
                .keys
                .open::<record::WorkerRecord>(record::WORKER, &bytes)
            && record.id == key
        {
            records.push(record);
        }
    }
    records
}

async fn renew(broker: &Broker, lease: &str) -> Result<()> {
    let sealed = broker.keys.seal(
        record::LEASE,
        &LeaseRecord {
            lease: lease.to_owned(),
        },
    )?;
    broker
        .leases
        .put(lease, Bytes::from(sealed))
        .await
        .map_err(|error| Error::spawn(format!("renewing this process's lease: {error}")))?;
    Ok(())
}

/// Renews the lease every heartbeat while the cluster handle lives, and
/// gives it up when it goes.
async fn keep_lease(shared: Weak<Shared>) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        let Some(alive) = shared.upgrade() else {
            return;
        };
        let (broker, lease) = (alive.broker.clone(), alive.lease.clone());
        drop(alive);
        let _ = tokio::time::timeout(HEARTBEAT, renew(&broker, &lease)).await;
    }
}

/// Hands the workers' reports of ended actors to their holds.
async fn hear_ends(shared: Weak<Shared>, mut ended: async_nats::Subscriber) {
    while let Some(message) = ended.next().await {
        let Some(alive) = shared.upgrade() else {
            return;
        };
        if let Ok(report) = alive
            .broker
            .keys
            .open::<Ended>(record::ENDED, &message.payload)
            && let Some(hold) = alive.hold(&report.worker, report.serial)
        {
            hold.finish(report.status);
        }
    }
}

/// Why a request got no answer.
enum Unanswered {
    /// Nobody listens on the subject: the worker is gone.
    NoResponders,
    Failed(Error),
}

/// Sends `payload` to `subject` and waits (at most `bound`) for the reply.
fn ask(
    broker: &Broker,
    subject: String,
    payload: Vec<u8>,
    bound: Duration,
) -> Result<std::result::Result<Message, Unanswered>> {
    let client = broker.client.clone();
    runtime::block(bound + Duration::from_millis(500), async move {
        let asked =
            tokio::time::timeout(bound, client.request(subject, Bytes::from(payload))).await;
        Ok(match asked {
            Err(_) => Err(Unanswered::Failed(Error::Timeout { after: bound })),
            Ok(Ok(message)) => Ok(message),
            Ok(Err(error)) if error.kind() == RequestErrorKind::NoResponders => {
                Err(Unanswered::NoResponders)
            }
            Ok(Err(error)) if error.kind() == RequestErrorKind::TimedOut => {
                Err(Unanswered::Failed(Error::Timeout { after: bound }))
            }
            Ok(Err(error)) => Err(Unanswered::Failed(Error::Transport {
                message: format!("a request through nats-server: {error}"),
                source: None,
            })),
        })
    })
}

/// The error a worker answered with through the service API, if any.
fn refusal(message: &Message) -> Option<Error> {
    let headers = message.headers.as_ref()?;
    let status = headers
        .get(async_nats::service::NATS_SERVICE_ERROR)?
        .as_str();
    let code = headers
        .get(async_nats::service::NATS_SERVICE_ERROR_CODE)
        .map(|code| code.as_str().to_owned())
        .unwrap_or_default();
    Some(if code == "401" {
        Error::auth(format!("the worker refused the request: {status}"))
    } else {
        Error::spawn(format!("the worker refused the request: {status}"))
    })
}

impl Shared {
    fn hold(&self, worker: &str, serial: u64) -> Option<Arc<Hold>> {
        self.holds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(worker.to_owned(), serial))
            .and_then(Weak::upgrade)
    }

    /// Every actor placed on `lost` ended with it.
    fn host_lost(&self, lost: &Lost) {
        let holds: Vec<Arc<Hold>> = self
            .holds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|((worker, _), _)| *worker == lost.id)
            .filter_map(|(_, hold)| hold.upgrade())
            .collect();
        for hold in holds {
            hold.finish(hold.host_lost());
        }
    }

    fn place(this: &Arc<Shared>, request: &PlaceRequest) -> Result<Placed> {
        let options = request.options();
        if let Some(name) = options.name_value() {
            check_name(name)?;
        }
        let spawn_timeout = options.spawn_timeout_value();
        let deadline = Instant::now() + spawn_timeout;
        let wait_until = Instant::now() + JOIN_WAIT.min(spawn_timeout);
        let mut skip = Vec::new();
        loop {
            let turn = this.turn.fetch_add(1, Ordering::Relaxed);
            let Some(worker) = this
                .membership
                .choose(request.actor(), &this.build, &skip, turn)
            else {
                if Instant::now() < wait_until {
                    std::thread::sleep(TICK / 5);
                    continue;
                }
                return Err(Error::spawn(format!(
                    "no worker of cluster {} can host {}: {}",
                    this.config.cluster,
                    request.actor(),
                    this.membership.why_none(request.actor(), &this.build)
                )));
            };
            let sealed = this.broker.keys.seal(
                record::SPAWN,
                &SpawnRequest {
                    stamp: Stamp::now()?,
                    actor: request.actor().to_owned(),
                    args: request.args().to_vec(),
                    codec: options.codec_value(),
                    name: options.name_value().map(str::to_owned),
                    again: request.generation() > 0,
                    lease: this.lease.clone(),
                    build: this.build.clone(),
                    spawn_timeout_ms: spawn_timeout.as_millis() as u64,
                },
            )?;
            let bound = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_default()
                .max(Duration::from_secs(1));
            let answer = ask(
                &this.broker,
                this.broker.worker_subject(&worker.id, "spawn"),
                sealed,
                bound,
            )?;
            let message = match answer {
                Ok(message) => message,
                Err(Unanswered::NoResponders) => {
                    // It went away since its last record: try another.
                    this.membership.placed(&worker.id, None);
                    skip.push(worker.id);
                    continue;
                }
                Err(Unanswered::Failed(error)) => {
                    this.membership.placed(&worker.id, None);
                    return Err(Error::spawn(format!(
                        "the worker on {} did not place {}: {error}",
                        worker.host,
                        request.actor()
                    )));
                }
            };
            if let Some(error) = refusal(&message) {
                this.membership.placed(&worker.id, None);
                return Err(error);
            }
            let reply: SpawnReply = this.broker.keys.open(record::SPAWNED, &message.payload)?;
            return match reply {
                SpawnReply::Refused { error } => {
                    this.membership.placed(&worker.id, None);
                    Err(error)
                }
                SpawnReply::Ready {
                    serial,
                    address,
                    load,
                    version,
                } => {
                    this.membership.placed(&worker.id, Some((load, version)));
                    let hold = Arc::new(Hold {
                        shared: Arc::clone(this),
                        worker,
                        serial,
                        exit: Mutex::new(None),
                        changed: Condvar::new(),
                        watcher: Mutex::new(None),
                        released: AtomicBool::new(false),
                    });
                    this.holds
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert((hold.worker.id.clone(), serial), Arc::downgrade(&hold));
                    let placed = Placed::new(address, this.broker.keys.link_key(), hold)?;
                    let settings = this.config.options.settings_value();
                    Ok(if *settings == Settings::default() {
                        placed
                    } else {
                        placed.settings(settings.clone())
                    })
                }
            };
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Ends this process's actors at once rather than after the lease's
        // time-to-live.
        let leases = self.broker.leases.clone();
        let lease = self.lease.clone();
        let give_up = async move {
            let _ = tokio::time::timeout(Duration::from_secs(1), leases.delete(lease)).await;
        };
        if runtime::on_runtime() {
            runtime::detach(give_up);
        } else {
            let _ = runtime::block(Duration::from_secs(2), async move {
                give_up.await;
                Ok(())
            });
        }
    }
}

/// What the owner runs when its placed actor ended.
type Watcher = Box<dyn FnOnce(Exit) + Send>;

/// The cluster's hold on one placed actor: what the owner's proxy keeps
/// (the manager's `Tenure`).
pub(crate) struct Hold {
    shared: Arc<Shared>,
    worker: Lost,
    serial: u64,
    exit: Mutex<Option<Exit>>,
    changed: Condvar,
    watcher: Mutex<Option<Watcher>>,
    released: AtomicBool,
}

impl Hold {
    fn host_lost(&self) -> Exit {
        Exit::HostLost {
            host: self.worker.host,
            worker: self.worker.pid,
        }
    }

    /// The actor ended with `exit`: wakes whoever waits and tells the
    /// watcher, once.
    fn finish(&self, exit: Exit) {
        {
            let mut known = self.exit.lock().unwrap_or_else(PoisonError::into_inner);
            if known.is_some() {
                return;
            }
            *known = Some(exit);
        }
        self.changed.notify_all();
        let watcher = self
            .watcher
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(watcher) = watcher {
            tell(watcher, exit);
        }
    }

    fn request(
        &self,
        kind: &str,
        endpoint: &str,
        bound: Duration,
    ) -> Result<std::result::Result<Message, Unanswered>> {
        let shared = &self.shared;
        let sealed = shared.broker.keys.seal(
            kind,
            &ActorRequest {
                stamp: Stamp::now()?,
                serial: self.serial,
                lease: shared.lease.clone(),
            },
        )?;
        ask(
            &shared.broker,
            shared.broker.worker_subject(&self.worker.id, endpoint),
            sealed,
            bound,
        )
    }
}

/// Runs `watcher` on a thread of its own: it may block.
fn tell(watcher: Watcher, exit: Exit) {
    let spawned = std::thread::Builder::new()
        .name("uactor-cluster-end".into())
        .spawn(move || watcher(exit));
    if let Err(error) = spawned {
        eprintln!("uactor: could not start a thread to report an actor's end: {error}");
    }
}

impl Tenure for Hold {
    fn watch(&self, ended: Box<dyn FnOnce(Exit) + Send>) {
        let known = self.exit.lock().unwrap_or_else(PoisonError::into_inner);
        match *known {
            Some(exit) => {
                drop(known);
                tell(ended, exit);
            }
            None => {
                *self.watcher.lock().unwrap_or_else(PoisonError::into_inner) = Some(ended);
            }
        }
    }

    fn wait_exit(&self, timeout: Duration) -> Option<Exit> {
        let started = Instant::now();
        // The worker reports an exit within milliseconds; wait for that
        // first, then ask.
        {
            let mut known = self.exit.lock().unwrap_or_else(PoisonError::into_inner);
            while known.is_none() {
                let Some(left) = (timeout / 2).checked_sub(started.elapsed()) else {
                    break;
                };
                known = self
                    .changed
                    .wait_timeout(known, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if let Some(exit) = *known {
                return Some(exit);
            }
        }
        if !self.shared.membership.alive(&self.worker.id) {
            return Some(self.host_lost());
        }
        let left = timeout.checked_sub(started.elapsed())?;
        match self.request(record::EXIT, "exit", left).ok()? {
            Ok(message) => {
                let reply: ExitReply = self
                    .shared
                    .broker
                    .keys
                    .open(record::EXITED, &message.payload)
                    .ok()?;
                let status = (reply.serial == self.serial)
                    .then_some(reply.status)
                    .flatten()?;
                self.finish(status);
                Some(status)
            }
            // Nobody serves the worker's subject: its process is gone, and
            // the actor with it (its connection just dropped).
            Err(Unanswered::NoResponders) => {
                let status = self.host_lost();
                self.finish(status);
                Some(status)
            }
            Err(Unanswered::Failed(_)) => None,
        }
    }

    fn release(&self) {
        if self.released.swap(true, Ordering::AcqRel) {
            return;
        }
        self.shared
            .holds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(self.worker.id.clone(), self.serial));
        let lost = matches!(
            *self.exit.lock().unwrap_or_else(PoisonError::into_inner),
            Some(Exit::HostLost { .. })
        );
        if lost || !self.shared.membership.alive(&self.worker.id) {
            return;
        }
        // Errors are no matter: a worker that cannot be told ends the
        // actor when this process's lease lapses.
        if runtime::on_runtime() {
            // Dropped on the runtime's thread, which must not wait.
            let shared = Arc::clone(&self.shared);
            let (worker, serial) = (self.worker.id.clone(), self.serial);
            runtime::detach(async move {
                if let Ok(sealed) = Stamp::now().and_then(|stamp| {
                    shared.broker.keys.seal(
                        record::END,
                        &ActorRequest {
                            stamp,
                            serial,
                            lease: shared.lease.clone(),
                        },
                    )
                }) {
                    let subject = shared.broker.worker_subject(&worker, "end");
                    let _ = tokio::time::timeout(
                        RELEASE_BOUND,
                        shared.broker.client.request(subject, Bytes::from(sealed)),
                    )
                    .await;
                }
            });
        } else {
            let _ = self.request(record::END, "end", RELEASE_BOUND);
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.release();
    }
}

/// Checks that `name` can be a key of the name registry.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_=./".contains(&byte));
    if valid {
        Ok(())
    } else {
        Err(Error::spawn(format!(
            "{name:?} cannot be an actor's name: use 1 to 200 letters, digits, `-`, `_`, `=`, \
             `.` or `/`, not starting or ending with `.`"
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_registry_keys() {
        assert!(super::check_name("orders").is_ok());
        assert!(super::check_name("shop/orders-2").is_ok());
        for bad in ["", "a b", ".x", "x.", "ü", "a*"] {
            assert!(super::check_name(bad).is_err(), "{bad:?}");
        }
    }
}
