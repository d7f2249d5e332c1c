//! What is asked of the OS: which CPUs there are, pinning threads and
//! processes to them, and what `/proc` says of a process.

use std::time::Duration;

use anyhow::{Context, Result};
use rustix::process::Pid;
use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

/// The CPUs this process may run on when it started, to come back to.
pub(crate) struct Affinity {
    original: CpuSet,
}

impl Affinity {
    pub(crate) fn original() -> Result<Self> {
        Ok(Affinity {
            original: sched_getaffinity(None)?,
        })
    }

    pub(crate) fn count(&self) -> usize {
        self.original.count() as usize
    }

    /// Pins the calling thread to `cpu` until the guard is dropped.
    pub(crate) fn pin_this_thread(&self, cpu: usize) -> Result<Pinned> {
        sched_setaffinity(None, &only(cpu))?;
        Ok(Pinned {
            original: self.original,
        })
    }
}

/// Gives the calling thread its original CPUs back when dropped.
pub(crate) struct Pinned {
    original: CpuSet,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = sched_setaffinity(None, &self.original);
    }
}

pub(crate) fn only(cpu: usize) -> CpuSet {
    let mut set = CpuSet::new();
    set.set(cpu);
    set
}

/// Pins every thread of process `pid` to `cpu`. (The affinity of a pid is
/// that of its main thread only; an actor serves each connection on a
/// thread of its own.)
pub(crate) fn pin_process(pid: u32, cpu: usize) -> Result<()> {
    let set = only(cpu);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let tid: i32 = task?.file_name().to_string_lossy().parse()?;
        let tid = Pid::from_raw(tid).context("a thread id of zero")?;
        sched_setaffinity(Some(tid), &set)
            .with_context(|| format!("pinning thread {tid:?} of {pid}"))?;
    }
    Ok(())
}

/// VmRSS of process `pid`, in KiB.
pub(crate) fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .context("no VmRSS line")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("an empty VmRSS line")?
        .parse()?)
}

/// The CPU model and kernel, for the report.
pub(crate) fn describe() -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| {
            line.strip_prefix("model name")
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    format!("{model}, Linux {}", kernel.trim())
}

/// The CPU time (user and system, all threads) process `pid` has used.
pub(crate) fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces
    // and parentheses itself; the fields after its last ")" are plain.
    let (_, rest) = stat
        .rsplit_once(')')
        .context("no command name in /proc/PID/stat")?;
    let mut fields = rest.split_whitespace();
    // After ")" come field 3 (state) onwards; utime and stime are 14 and 15.
    let utime: u64 = fields
        .nth(14 - 3)
        .context("no utime in /proc/PID/stat")?
        .parse()?;
    let stime: u64 = fields
        .next()
        .context("no stime in /proc/PID/stat")?
        .parse()?;
    let ticks_per_second = rustix::param::clock_ticks_per_second();
    if ticks_per_second == 0 {
        anyhow::bail!("the kernel reports zero clock ticks per second");
    }
    Ok(Duration::from_secs_f64(
        (utime + stime) as f64 / ticks_per_second as f64,
    ))
}
