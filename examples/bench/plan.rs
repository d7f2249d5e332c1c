//! How much work a run does: iterations per comparison, and how many runs.

use std::time::Duration;

/// Which plan, as the report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Quick,
    Smoke,
    Full,
}

impl Mode {
    /// The `mode` value of the report (the names predate `--runs`; kept).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Smoke => "smoke (unoptimized)",
            Mode::Full => "full",
        }
    }
}

/// Iteration counts of one run; `--full` multiplies the quick ones by ten.
pub(crate) struct Plan {
    pub(crate) mode: Mode,
    pub(crate) calls: usize,
    pub(crate) cross_calls: usize,
    pub(crate) spawns: usize,
    pub(crate) echoes: usize,
    pub(crate) vec_echoes: usize,
    pub(crate) spin_same_core: usize,
    pub(crate) pipelined: usize,
    /// Runs unless `--runs` says otherwise.
    pub(crate) runs: usize,
    /// The shortest time the idle actor is left alone before its CPU time
    /// is read (the figure is scaled to 10 s whatever the window).
    pub(crate) idle_window: Duration,
}

impl Plan {
    pub(crate) fn quick() -> Self {
        Plan {
            mode: Mode::Quick,
            calls: 20_000,
            cross_calls: 3_000,
            spawns: 30,
            echoes: 200,
            vec_echoes: 30,
            spin_same_core: 200,
            pipelined: 200_000,
            // One run is one draw of the machine's load; five give a
            // median that a second draw rarely contradicts.
            runs: 5,
            idle_window: Duration::from_secs(10),
        }
    }

    /// A tenth of the quick run, once, for unoptimized builds: CI runs it
    /// to see every path work, and must stay fast.
    pub(crate) fn smoke() -> Self {
        let quick = Plan::quick();
        Plan {
            mode: Mode::Smoke,
            calls: quick.calls / 10,
            cross_calls: quick.cross_calls / 10,
            spawns: quick.spawns / 3,
            echoes: quick.echoes / 10,
            vec_echoes: 1,
            spin_same_core: quick.spin_same_core / 10,
            pipelined: quick.pipelined / 10,
            runs: 1,
            idle_window: Duration::from_secs(1),
        }
    }

    pub(crate) fn full() -> Self {
        let quick = Plan::quick();
        Plan {
            mode: Mode::Full,
            calls: quick.calls * 10,
            cross_calls: quick.cross_calls * 10,
            spawns: quick.spawns * 10,
            echoes: quick.echoes * 10,
            vec_echoes: quick.vec_echoes * 10,
            spin_same_core: quick.spin_same_core * 10,
            pipelined: quick.pipelined * 10,
            runs: quick.runs,
            idle_window: quick.idle_window,
        }
    }
}
