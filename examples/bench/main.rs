//! How close a proxy call comes to what this machine charges for the same
//! work without uactor.
//!
//! Every uactor figure is measured next to its floor in the same run: the
//! floor does the same work with plain Unix sockets and processes (this very
//! binary, re-executed in a helper role), so each figure reads as a ratio.
//! Medians over many iterations, after a warm-up; then the whole pass is
//! repeated (`--runs`, 5 by default in an optimized build) and each figure
//! is reported as the median, minimum and maximum over the runs, because a
//! single run on a busy machine says little about what a user will see.
//!
//! ```text
//! cargo run --release --example bench             # a table
//! cargo run --release --example bench -- --json   # one JSON object
//! cargo run --release --example bench -- --full   # ten times the iterations
//! cargo run --release --example bench -- --runs 9 # nine passes, not five
//! ```
//!
//! "Same core" pins the caller thread and every thread of the other process
//! to CPU 0; "cross core" puts the caller on CPU 0 and the other side on
//! CPU 1.
//!
//! The files follow the questions a reader brings to a figure:
//!
//! - [`pass`]: which figures one run takes, and what each is compared to.
//!   The one place to read to know what a key means.
//! - [`uactor_probes`] and [`floors`]: how a uactor figure and its floor
//!   are taken, kept apart so that each floor can be checked for doing the
//!   same work as its uactor side without uactor in it (the floors' helper
//!   roles run in this binary re-executed, before uactor's own start-up).
//! - [`measure`]: how samples become a figure (interleaving, warm-up,
//!   medians), the same for both sides so neither gets an advantage.
//! - [`machine`]: what is asked of the OS (CPUs, pinning, `/proc`).
//! - [`plan`]: how many iterations and runs.
//! - [`report`] and [`table`]: runs folded into min / median / max, then
//!   written as JSON or as a table; the keys and their units are fixed by
//!   `pass`, so neither output can rename one.

mod floors;
mod machine;
mod measure;
mod pass;
mod plan;
mod report;
mod table;
mod uactor_probes;

use anyhow::{Context, Result, bail};

use crate::plan::Plan;
use crate::report::Summary;

/// One mebibyte: the size of the large values echoed.
const MIB: usize = 1024 * 1024;

const USAGE: &str = "usage: bench [--json] [--full] [--runs N] \
     | bench --loop [shm-]call|echo|echo-bytes|spawn|threaded|pipelined [COUNT]";

fn main() -> Result<()> {
    uactor::init();
    if let Ok(role) = std::env::var(floors::ROLE) {
        return floors::helper(&role);
    }
    let mut json = false;
    let mut full = false;
    let mut runs = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--full" => full = true,
            "--runs" => {
                let count: usize = args
                    .next()
                    .context("--runs needs a count")?
                    .parse()
                    .context("--runs needs a whole number")?;
                if count == 0 {
                    bail!("--runs needs at least one run");
                }
                runs = Some(count);
            }
            "--loop" => {
                let what = args.next().unwrap_or_default();
                let count = args.next().unwrap_or_default().parse().unwrap_or(100_000);
                return uactor_probes::repeat(&what, count);
            }
            other => bail!("unknown argument {other:?}; {USAGE}"),
        }
    }
    let plan = if full {
        Plan::full()
    } else if cfg!(debug_assertions) {
        // CI runs every example unoptimized: check that everything runs,
        // quickly; the figures mean nothing there.
        eprintln!("bench: an unoptimized build measures little; use --release for figures");
        Plan::smoke()
    } else {
        Plan::quick()
    };
    let runs = runs.unwrap_or(plan.runs);
    let cpus = machine::Affinity::original()?;
    let mut passes = Vec::with_capacity(runs);
    for run in 1..=runs {
        // On stderr, so that `--json` keeps stdout to the one object.
        eprintln!("bench: run {run} of {runs}");
        passes.push(pass::run(&plan, &cpus)?);
    }
    let summary = Summary::of(
        vec![
            ("machine", machine::describe().into()),
            ("cpus", (cpus.count() as u64).into()),
            ("mode", plan.mode.name().into()),
            ("runs", (runs as u64).into()),
        ],
        &passes,
    );
    if json {
        println!("{}", summary.json()?);
    } else {
        table::print(&summary, &plan);
    }
    Ok(())
}
