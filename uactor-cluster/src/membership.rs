//! A caller's view of the workers: who is alive, what each can host and how
//! loaded it is, kept from the `workers` bucket; a worker silent for
//! [`TTL`] is lost, and whoever listens is told.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use async_nats::jetstream::kv::Operation;
use futures::StreamExt;

use crate::broker::Broker;
use crate::liveness::{TICK, TTL};
use crate::record::{self, WorkerRecord};

/// A live worker, as [`Cluster::workers`](crate::Cluster::workers) lists
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerInfo {
    /// The worker's id in the cluster.
    pub id: String,
    /// The address its actors listen on.
    pub host: IpAddr,
    /// Its process id on that host.
    pub pid: u32,
    /// Its build identity.
    pub build: String,
    /// The actor types it can host.
    pub actors: Vec<String>,
    /// How many actors it hosts.
    pub load: u32,
}

/// The live workers.
#[derive(Debug, Default)]
pub(crate) struct Membership {
    members: Mutex<HashMap<String, Member>>,
}

#[derive(Debug)]
struct Member {
    record: WorkerRecord,
    seen: Instant,
    /// Placements this process sent it that are not answered yet.
    pending: u32,
}

/// A worker that was lost: where it was.
#[derive(Debug, Clone)]
pub(crate) struct Lost {
    pub(crate) id: String,
    pub(crate) host: IpAddr,
    pub(crate) pid: u32,
}

impl Membership {
    fn members(&self) -> std::sync::MutexGuard<'_, HashMap<String, Member>> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A record read from the bucket.
    pub(crate) fn heard(&self, record: WorkerRecord) {
        let mut members = self.members();
        match members.get_mut(&record.id) {
            Some(member) => {
                // A record may be older than a spawn reply already heard:
                // the load of the higher version stands.
                let (load, version) = if record.version >= member.record.version {
                    (record.load, record.version)
                } else {
                    (member.record.load, member.record.version)
                };
                member.record = WorkerRecord {
                    load,
                    version,
                    ..record
                };
                member.seen = Instant::now();
            }
            None => {
                members.insert(
                    record.id.clone(),
                    Member {
                        record,
                        seen: Instant::now(),
                        pending: 0,
                    },
                );
            }
        }
    }

    /// The workers silent for longer than [`TTL`], removed.
    pub(crate) fn expire(&self) -> Vec<Lost> {
        let mut lost = Vec::new();
        self.members().retain(|_, member| {
            let alive = member.seen.elapsed() <= TTL;
            if !alive {
                lost.push(member.lost());
            }
            alive
        });
        lost
    }

    /// Removes worker `id` (it left, or stopped answering).
    pub(crate) fn remove(&self, id: &str) -> Option<Lost> {
        self.members().remove(id).map(|member| member.lost())
    }

    pub(crate) fn alive(&self, id: &str) -> bool {
        self.members().contains_key(id)
    }

    pub(crate) fn list(&self) -> Vec<WorkerInfo> {
        let mut list: Vec<WorkerInfo> = self
            .members()
            .values()
            .map(|member| {
                let record = &member.record;
                WorkerInfo {
                    id: record.id.clone(),
                    host: record.host,
                    pid: record.pid,
                    build: record.build.clone(),
                    actors: record.actors.clone(),
                    load: record.load + member.pending,
                }
            })
            .collect();
        list.sort_by(|a, b| (a.host, a.pid, &a.id).cmp(&(b.host, b.pid, &b.id)));
        list
    }

    /// The least loaded worker running `build` that can host `actor`,
    /// other than those in `skip`, counted as one actor busier until its
    /// next record; ties go to the first in `turn`'s rotation.
    pub(crate) fn choose(
        &self,
        actor: &str,
        build: &str,
        skip: &[String],
        turn: usize,
    ) -> Option<Lost> {
        let mut members = self.members();
        let mut eligible: Vec<&mut Member> = members
            .values_mut()
            .filter(|member| {
                member.record.build == build
                    && member.record.actors.iter().any(|name| name == actor)
                    && !skip.contains(&member.record.id)
            })
            .collect();
        if eligible.is_empty() {
            return None;
        }
        eligible.sort_by(|a, b| a.record.id.cmp(&b.record.id));
        let count = eligible.len();
        eligible.rotate_left(turn % count);
        let chosen = eligible
            .into_iter()
            .min_by_key(|member| member.record.load + member.pending)?;
        chosen.pending += 1;
        Some(chosen.lost())
    }

    /// A placement on `id` was answered, with its load then and that
    /// load's version when it was placed.
    pub(crate) fn placed(&self, id: &str, load: Option<(u32, u64)>) {
        if let Some(member) = self.members().get_mut(id) {
            member.pending = member.pending.saturating_sub(1);
            if let Some((load, version)) = load
                && version >= member.record.version
            {
                member.record.load = load;
                member.record.version = version;
            }
        }
    }

    /// Why no worker could take `actor`, for the error.
    pub(crate) fn why_none(&self, actor: &str, build: &str) -> String {
        let members = self.members();
        if members.is_empty() {
            return "no worker has joined (start workers with uactor::cluster::worker)".to_owned();
        }
        let other_build = members
            .values()
            .filter(|member| member.record.build != build)
            .count();
        let lacking = members
            .values()
            .filter(|member| !member.record.actors.iter().any(|name| name == actor))
            .count();
        format!(
            "{} workers are alive; {other_build} run another build than this program's ({build}), \
             {lacking} have no {actor} linked in",
            members.len()
        )
    }
}

impl Member {
    fn lost(&self) -> Lost {
        Lost {
            id: self.record.id.clone(),
            host: self.record.host,
            pid: self.record.pid,
        }
    }
}

/// Keeps `membership` from the `workers` bucket until it is dropped,
/// telling `on_lost` of each worker lost: one that left, or went silent
/// for [`TTL`]. Watches again if the watch ends (nats-server restarted, or
/// the connection was lost), while silent workers keep expiring.
pub(crate) async fn follow(
    broker: Broker,
    membership: std::sync::Weak<Membership>,
    on_lost: impl Fn(Lost) + Send + Sync + 'static,
) {
    let on_lost = std::sync::Arc::new(on_lost);
    let expiring = {
        let (membership, on_lost) = (membership.clone(), std::sync::Arc::clone(&on_lost));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            loop {
                tick.tick().await;
                let Some(view) = membership.upgrade() else {
                    return;
                };
                for lost in view.expire() {
                    on_lost(lost);
                }
            }
        })
    };
    while membership.strong_count() > 0 {
        let Ok(mut watch) = broker.workers.watch_all().await else {
            tokio::time::sleep(TICK).await;
            continue;
        };
        while let Some(Ok(entry)) = watch.next().await {
            let Some(view) = membership.upgrade() else {
                break;
            };
            match entry.operation {
                Operation::Put => {
                    if let Ok(record) = broker
                        .keys
                        .open::<WorkerRecord>(record::WORKER, &entry.value)
                        && record.id == entry.key
                    {
                        view.heard(record);
                    }
                }
                Operation::Delete | Operation::Purge => {
                    if let Some(lost) = view.remove(&entry.key) {
                        on_lost(lost);
                    }
                }
            }
        }
        tokio::time::sleep(TICK).await;
    }
    expiring.abort();
}
