//! One run: every uactor figure next to its floor, each pair measured in
//! the same stretch of time, and the ratios taken within the run.
//!
//! The report's keys and their units are decided here and nowhere else:
//! `_us_` keys are microseconds, `_ms_` milliseconds, `_per_s` operations
//! per second, `_kib` KiB, `_s` seconds; each `_median` is the median
//! over the run's iterations.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_bytes::ByteBuf;
use uactor::{Options, Transport};

use crate::MIB;
use crate::floors::{PIPELINED_MESSAGE, Peer, Wait, floor_idle_rss, floor_pipelined, reexec};
use crate::machine::{Affinity, pin_process, rss_kib};
use crate::measure::{Probe, RATE_ROUNDS, interleaved, median_of, rates};
use crate::plan::Plan;
use crate::report::Report;
use crate::uactor_probes::{
    Bench, IdleActor, WINDOW, call, echo, on_fresh_actor, pipelined_calls, push, spawn,
    threaded_calls,
};

/// Takes every figure once; `cpus` are the CPUs to pin to and come back to.
pub(crate) fn run(plan: &Plan, cpus: &Affinity) -> Result<Report> {
    let cross = cpus.count() >= 2;
    let mut report = Report::default();

    // Left idle while the rest of the run goes on, so that the window a
    // user would wait (10 s) costs the run no time of its own; an idle
    // actor's CPU time is its own, whatever else the machine does.
    let idle = IdleActor::start()?;

    // Round trips, each next to its floor; the same call over shared
    // memory takes its turns with them.
    {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        let shm = Bench::spawn_with(&over_shm())?;
        shm.ping(0)?;
        let peer = Peer::start("echo", None, 8)?;
        let medians = interleaved(
            plan.calls,
            &mut [call(&bench), peer.ping_pong(), call(&shm)],
        )?;
        report.micros("call_rtt_us_median", medians[0]);
        report.micros("floor_uds_us_median", medians[1]);
        report.micros("shm_call_rtt_us_median", medians[2]);
        bench.shutdown()?;
        shm.shutdown()?;
    }
    {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        pin_process(bench.pid(), 0)?;
        // A proxy whose async twin has waited once: its blocking calls now
        // get their replies through the connection's reader thread.
        let switched = Bench::spawn()?;
        futures::executor::block_on(switched.to_async().ping(0))?;
        pin_process(switched.pid(), 0)?;
        let peer = Peer::start("echo", Some(0), 8)?;
        let list = bench.list()?;
        let _pinned = cpus.pin_this_thread(0)?;
        let medians = interleaved(
            plan.calls,
            &mut [call(&bench), peer.ping_pong(), call(&switched), push(&list)],
        )?;
        report.micros("call_rtt_same_core_us_median", medians[0]);
        report.micros("floor_uds_same_core_us_median", medians[1]);
        report.micros("call_rtt_same_core_after_async_us_median", medians[2]);
        // A result proxy's op, same core, next to the plain call.
        report.micros("list_push_us_median", medians[3]);
        bench.shutdown()?;
        switched.shutdown()?;
    }
    if cross {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        pin_process(bench.pid(), 1)?;
        let peer = Peer::start("echo", Some(1), 8)?;
        let spinning = Peer::start("spin-echo", Some(1), 8)?;
        let yielding = Peer::start("yield-echo", Some(1), 8)?;
        // Only this side polls; the helper blocks, as an actor that does not
        // poll for its next request would.
        let caller_yielding = Peer::start("echo", Some(1), 8)?.caller_waits(Wait::Yield)?;
        let _pinned = cpus.pin_this_thread(0)?;
        let medians = interleaved(
            plan.cross_calls,
            &mut [
                call(&bench),
                peer.ping_pong(),
                spinning.ping_pong(),
                yielding.ping_pong(),
                caller_yielding.ping_pong(),
            ],
        )?;
        report.micros("call_rtt_cross_core_us_median", medians[0]);
        report.micros("floor_uds_cross_core_us_median", medians[1]);
        report.micros("floor_spin_cross_core_us_median", medians[2]);
        report.micros("floor_yield_cross_core_us_median", medians[3]);
        report.micros("floor_yield_caller_only_cross_core_us_median", medians[4]);
        bench.shutdown()?;
    } else {
        report.null("call_rtt_cross_core_us_median");
        report.null("floor_uds_cross_core_us_median");
        report.null("floor_spin_cross_core_us_median");
        report.null("floor_yield_cross_core_us_median");
        report.null("floor_yield_caller_only_cross_core_us_median");
    }
    {
        // Spinning where the other side needs the same core: what an
        // adaptive spin must avoid (or yield its way out of).
        let spinning = Peer::start("spin-echo", Some(0), 8)?;
        let yielding = Peer::start("yield-echo", Some(0), 8)?;
        let _pinned = cpus.pin_this_thread(0)?;
        let medians = interleaved(
            plan.spin_same_core,
            &mut [spinning.ping_pong(), yielding.ping_pong()],
        )?;
        report.micros("floor_spin_same_core_us_median", medians[0]);
        report.micros("floor_yield_same_core_us_median", medians[1]);
    }

    // Throughput, each batch on a fresh actor of its own (a proxy whose
    // async twin has waited once reads its replies on a thread of its own
    // from then on), spawned outside the timed part.
    {
        let peer = Peer::start("stream", None, PIPELINED_MESSAGE)?;
        let calls = plan.calls / RATE_ROUNDS;
        let messages = plan.pipelined / RATE_ROUNDS;
        let medians = rates(&mut [
            Box::new(|| {
                on_fresh_actor(|bench| {
                    let started = Instant::now();
                    for n in 0..calls as u64 {
                        bench.ping(n)?;
                    }
                    Ok(calls as f64 / started.elapsed().as_secs_f64())
                })
            }),
            Box::new(|| {
                on_fresh_actor(|bench| {
                    Ok(calls as f64 / threaded_calls(bench, 4, calls)?.as_secs_f64())
                })
            }),
            Box::new(|| {
                on_fresh_actor(|bench| {
                    Ok(messages as f64 / pipelined_calls(bench, messages, WINDOW)?.as_secs_f64())
                })
            }),
            Box::new(|| Ok(messages as f64 / floor_pipelined(&peer, messages)?.as_secs_f64())),
        ])?;
        report.number("calls_per_s", medians[0]);
        report.number("threaded_calls_per_s", medians[1]);
        report.number("pipelined_calls_per_s", medians[2]);
        report.number("floor_uds_pipelined_per_s", medians[3]);
    }

    // Life cycle.
    {
        let mut shutdowns = Vec::new();
        let program = std::env::current_exe()?;
        let medians = interleaved(
            plan.spawns,
            &mut [
                spawn(&mut shutdowns),
                reexec(&program, false),
                reexec(&program, true),
            ],
        )?;
        report.millis("spawn_ms_median", medians[0]);
        report.millis("shutdown_ms_median", median_of(shutdowns));
        report.millis("floor_reexec_ms_median", medians[1]);
        report.millis("floor_reexec_fork_ms_median", medians[2]);
    }

    // Large values.
    {
        let bench = Bench::spawn()?;
        let shm = Bench::spawn_with(&over_shm())?;
        let peer = Peer::start("echo", None, MIB)?;
        let bytes = ByteBuf::from(vec![7u8; MIB]);
        let medians = interleaved(
            plan.echoes,
            &mut [echo(&bench, &bytes), peer.echo(MIB), echo(&shm, &bytes)],
        )?;
        report.millis("echo_1mib_ms_median", medians[0]);
        report.millis("floor_uds_echo_1mib_ms_median", medians[1]);
        report.millis("shm_echo_1mib_ms_median", medians[2]);
        shm.shutdown()?;
        let vector = vec![7u8; MIB];
        let vec_echo: Probe<'_> = Box::new(|| {
            let data = vector.clone();
            let started = Instant::now();
            let reply = bench.echo_vec(data)?;
            let elapsed = started.elapsed();
            drop(reply);
            Ok(elapsed)
        });
        report.millis(
            "echo_1mib_vec_ms_median",
            interleaved(plan.vec_echoes, &mut [vec_echo])?[0],
        );
        let shared = uactor::Bytes::from(vec![7u8; MIB]);
        let bytes_echo: Probe<'_> = Box::new(|| {
            // A clone shares the buffer: nothing is copied before the call.
            let data = shared.clone();
            let started = Instant::now();
            let reply = bench.echo_bytes(data)?;
            let elapsed = started.elapsed();
            drop(reply);
            Ok(elapsed)
        });
        let medians = interleaved(plan.echoes, &mut [bytes_echo, peer.echo(MIB)])?;
        report.millis("echo_1mib_bytes_ms_median", medians[0]);
        report.millis("floor_uds_echo_1mib_bytes_run_ms_median", medians[1]);
        // What the actor keeps after large calls.
        report.int("actor_rss_after_echo_kib", rss_kib(bench.pid())?);
        bench.shutdown()?;
    }

    // Memory: an actor that has answered once and then waits, next to this
    // binary waiting with no actor in it.
    {
        let bench = Bench::spawn()?;
        bench.ping(0)?;
        std::thread::sleep(Duration::from_millis(50));
        report.int("actor_idle_rss_kib", rss_kib(bench.pid())?);
        bench.shutdown()?;
        report.int("floor_idle_rss_kib", floor_idle_rss()?);
    }
    // CPU: the actor left idle at the top of the run, still untouched.
    {
        let (cpu, idle_for) = idle.finish(plan.idle_window)?;
        report.millis("actor_idle_cpu_ms_per_10s", cpu);
        report.number("actor_idle_cpu_window_s", idle_for);
    }

    // The ratios the goals name.
    report.ratio(
        "ratio_call_rtt_same_core_to_floor",
        "call_rtt_same_core_us_median",
        "floor_uds_same_core_us_median",
    );
    report.ratio(
        "ratio_call_rtt_cross_core_to_floor",
        "call_rtt_cross_core_us_median",
        "floor_uds_cross_core_us_median",
    );
    report.ratio(
        "ratio_call_rtt_to_floor",
        "call_rtt_us_median",
        "floor_uds_us_median",
    );
    report.ratio(
        "ratio_spawn_to_reexec",
        "spawn_ms_median",
        "floor_reexec_ms_median",
    );
    report.ratio(
        "ratio_echo_1mib_to_floor",
        "echo_1mib_ms_median",
        "floor_uds_echo_1mib_ms_median",
    );
    report.ratio(
        "ratio_list_push_to_call",
        "list_push_us_median",
        "call_rtt_same_core_us_median",
    );
    report.ratio(
        "ratio_shm_call_rtt_to_floor",
        "shm_call_rtt_us_median",
        "floor_uds_us_median",
    );
    report.ratio(
        "ratio_shm_echo_1mib_to_floor",
        "shm_echo_1mib_ms_median",
        "floor_uds_echo_1mib_ms_median",
    );
    Ok(report)
}

/// An actor on the shared-memory transport.
fn over_shm() -> Options {
    Options::new().transport(Transport::Shm)
}
