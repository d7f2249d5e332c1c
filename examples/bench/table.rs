//! The summary as a table for a person: what a user sees first (nothing
//! pinned), then the pinned figures that isolate one cost; each figure
//! with its floor under it and min / median / max over the runs.

use crate::plan::{Mode, Plan};
use crate::report::{Spread, Summary};

/// One line: a label (unit included), its key, the key of its ratio if it
/// has one, and the goal the ratio or figure is held to.
type Row = (&'static str, &'static str, &'static str, &'static str);

/// Unpinned: the scheduler places every thread, as in a user's program.
const UNPINNED: &[Row] = &[
    (
        "call round trip, µs",
        "call_rtt_us_median",
        "ratio_call_rtt_to_floor",
        "",
    ),
    (
        "  floor: 8-byte Unix socket ping-pong",
        "floor_uds_us_median",
        "",
        "",
    ),
    (
        "call round trip over shm, µs",
        "shm_call_rtt_us_median",
        "ratio_shm_call_rtt_to_floor",
        "≤ 0.5",
    ),
    ("calls/s, one caller's blocking loop", "calls_per_s", "", ""),
    (
        "calls/s, 4 threads sharing one proxy",
        "threaded_calls_per_s",
        "",
        "",
    ),
    (
        "pipelined calls/s, one proxy",
        "pipelined_calls_per_s",
        "",
        "≥ 500k",
    ),
    (
        "  floor: 32-byte messages streamed",
        "floor_uds_pipelined_per_s",
        "",
        "",
    ),
    (
        "spawn to first reply, ms",
        "spawn_ms_median",
        "ratio_spawn_to_reexec",
        "≤ 1.5",
    ),
    (
        "  floor: re-exec to first byte",
        "floor_reexec_ms_median",
        "",
        "",
    ),
    (
        "  floor: re-exec, fork + exec",
        "floor_reexec_fork_ms_median",
        "",
        "",
    ),
    ("shutdown until reaped, ms", "shutdown_ms_median", "", ""),
    (
        "1 MiB echo (serde_bytes), ms",
        "echo_1mib_ms_median",
        "ratio_echo_1mib_to_floor",
        "≤ 1.2",
    ),
    (
        "  floor: 1 MiB Unix socket echo",
        "floor_uds_echo_1mib_ms_median",
        "",
        "",
    ),
    (
        "1 MiB echo over shm, ms",
        "shm_echo_1mib_ms_median",
        "ratio_shm_echo_1mib_to_floor",
        "≤ 0.5",
    ),
    (
        "1 MiB echo as Vec<u8>, ms",
        "echo_1mib_vec_ms_median",
        "",
        "",
    ),
    (
        "actor resident after echoes, KiB",
        "actor_rss_after_echo_kib",
        "",
        "",
    ),
    (
        "idle actor resident, KiB",
        "actor_idle_rss_kib",
        "",
        "≤ 4096",
    ),
    (
        "  floor: this binary idle, no actor",
        "floor_idle_rss_kib",
        "",
        "",
    ),
    (
        "idle actor CPU, ms per 10 s",
        "actor_idle_cpu_ms_per_10s",
        "",
        "",
    ),
    ("  idle for, s", "actor_idle_cpu_window_s", "", ""),
];

/// Pinned: the caller on CPU 0, the other process on CPU 0 or CPU 1.
const PINNED: &[Row] = &[
    (
        "call round trip, same core, µs",
        "call_rtt_same_core_us_median",
        "ratio_call_rtt_same_core_to_floor",
        "≤ 1.3",
    ),
    (
        "  floor: ping-pong, same core",
        "floor_uds_same_core_us_median",
        "",
        "",
    ),
    (
        "  floor: both sides spin, same core",
        "floor_spin_same_core_us_median",
        "",
        "",
    ),
    (
        "  floor: both sides yield, same core",
        "floor_yield_same_core_us_median",
        "",
        "",
    ),
    (
        "same, after the async twin waited, µs",
        "call_rtt_same_core_after_async_us_median",
        "",
        "",
    ),
    (
        "list push (result proxy), same core, µs",
        "list_push_us_median",
        "ratio_list_push_to_call",
        "≤ 1.3",
    ),
    (
        "call round trip, cross core, µs",
        "call_rtt_cross_core_us_median",
        "ratio_call_rtt_cross_core_to_floor",
        "",
    ),
    (
        "  floor: ping-pong, cross core",
        "floor_uds_cross_core_us_median",
        "",
        "",
    ),
    (
        "  floor: both sides spin, cross core",
        "floor_spin_cross_core_us_median",
        "",
        "",
    ),
    (
        "  floor: both sides yield, cross core",
        "floor_yield_cross_core_us_median",
        "",
        "",
    ),
    (
        "  floor: the caller alone yields",
        "floor_yield_caller_only_cross_core_us_median",
        "",
        "",
    ),
];

const LABEL: usize = 42;

pub(crate) fn print(summary: &Summary, plan: &Plan) {
    let setup = |key: &str| {
        summary
            .setup(key)
            .map_or_else(String::new, |value| match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            })
    };
    println!("machine: {}", setup("machine"));
    let runs = setup("runs");
    let plural = if runs == "1" { "" } else { "s" };
    println!(
        "mode: {}, {runs} run{plural}; each figure is min / median / max over the runs,",
        setup("mode"),
    );
    println!("  and each run's figure a median over its iterations");
    println!("ratios, a uactor figure over another from the same run:");
    println!("  call round trip  over an 8-byte ping-pong on a Unix socket with a helper process");
    println!("  spawn            over re-executing this binary (posix_spawn) to its first byte");
    println!("  1 MiB echo       over a 1 MiB echo on a Unix socket");
    println!("  list push        over the plain call, same core (a result proxy's cost, no floor)");
    let scaled = if plan.mode == Mode::Smoke {
        " (the smoke plan's shorter window)"
    } else {
        ""
    };
    println!(
        "idle actor CPU: user + system time of an actor left alone for at least {} s{scaled}",
        plan.idle_window.as_secs()
    );
    println!("  while the run goes on, scaled to 10 s");

    section(summary, "unpinned (as a user's program runs)", UNPINNED);
    section(
        summary,
        "pinned (caller on CPU 0; other side on CPU 0 = same core, CPU 1 = cross core)",
        PINNED,
    );

    let shown: Vec<&str> = UNPINNED.iter().chain(PINNED).map(|row| row.1).collect();
    let ratios: Vec<&str> = UNPINNED.iter().chain(PINNED).map(|row| row.2).collect();
    let rest: Vec<&str> = summary
        .keys()
        .filter(|key| !shown.contains(key) && !ratios.contains(key))
        .collect();
    if !rest.is_empty() {
        println!();
        println!(
            "{:<LABEL$} {:>10} {:>10} {:>10}",
            "other", "min", "median", "max"
        );
        for key in rest {
            println!("{key:<LABEL$} {}", spread(summary.get(key)));
        }
    }
}

fn section(summary: &Summary, title: &str, rows: &[Row]) {
    println!();
    println!("{title}");
    println!(
        "{:<LABEL$} {:>10} {:>10} {:>10}  {:<18} goal",
        "", "min", "median", "max", "ratio (min–max)"
    );
    for &(label, key, ratio, goal) in rows {
        let ratio = summary.get(ratio).map_or_else(String::new, |ratio| {
            format!("{:.2} ({:.2}–{:.2})", ratio.median, ratio.min, ratio.max)
        });
        let line = format!(
            "{label:<LABEL$} {}  {ratio:<18} {goal}",
            spread(summary.get(key))
        );
        // Most rows have no ratio or goal; no padding left dangling.
        println!("{}", line.trim_end());
    }
}

fn spread(spread: Option<Spread>) -> String {
    match spread {
        Some(spread) => format!(
            "{:>10} {:>10} {:>10}",
            value(spread.min),
            value(spread.median),
            value(spread.max)
        ),
        None => format!("{:>10} {:>10} {:>10}", "n/a", "n/a", "n/a"),
    }
}

fn value(value: f64) -> String {
    if value.abs() >= 1000.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}
