"""Python uActor's figures, taken the way the bench example takes uactor's.

Run it on the machine you ran ``cargo run --release --example bench --
--json`` on, and put the two JSON objects side by side: where Python
uActor has the same notion, the key has the same name and unit.

    python3 -m venv uactor-py          # any virtual environment will do
    uactor-py/bin/pip install uactor==0.1.0
    uactor-py/bin/python examples/python/bench_uactor.py          # JSON
    uactor-py/bin/python examples/python/bench_uactor.py --runs 9
    uactor-py/bin/python examples/python/bench_uactor.py --smoke  # a quick look

Each run is a full pass; every key is the median over the runs, with
``<key>_min`` and ``<key>_max`` beside it (the median of an even count is
the upper of the two middle values, as in the bench example). Iteration
counts are the bench example's quick plan (``--smoke``: a tenth).

Keys, as in the bench example:

- ``call_rtt_us_median``: one call's round trip, µs, median over the
  run's calls (nothing pinned).
- ``calls_per_s``: one caller's blocking loop of calls on a fresh actor,
  median over 5 batches.
- ``threaded_calls_per_s``: 4 threads sharing one proxy (Python uActor
  gives each thread its own connection).
- ``spawn_ms_median``: from creating the actor to its first reply, ms.
- ``shutdown_ms_median``: ``shutdown()`` until the process is joined, ms.
- ``echo_1mib_ms_median``: 1 MiB of ``bytes`` there and back, ms.
- ``actor_idle_rss_kib``: VmRSS of an actor that has answered once.
- ``actor_idle_cpu_ms_per_10s``: user + system time of an actor left alone
  for at least 10 s (1 s with ``--smoke``) while the run goes on, scaled
  to 10 s; ``actor_idle_cpu_window_s`` is how long it was left.

Not measured, for want of the same notion: pipelined calls (a proxy has one
call in flight per thread) and the pinned figures. Linux only (``/proc``).
"""

import argparse
import json
import multiprocessing
import os
import platform
import sys
import threading
import time

import uactor

MIB = 1024 * 1024
RATE_ROUNDS = 5
THREADS = 4


class Bench(uactor.Actor):
    """The actor every figure is taken on, as in the bench example."""

    def ping(self, n):
        return n

    def echo(self, data):
        return data


def median(values):
    """The upper middle value, as the bench example takes it."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def warmup(n):
    return max(n // 10, 1)


def actor_pid(actor):
    # The actor runs in its manager's server process.
    return actor._manager._process.pid


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError(f'no VmRSS for process {pid}')


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as stat:
        # Fields after the command name's closing parenthesis: state is
        # field 3, utime and stime are fields 14 and 15.
        fields = stat.read().rsplit(')', 1)[1].split()
    ticks = int(fields[14 - 3]) + int(fields[15 - 3])
    return ticks / os.sysconf('SC_CLK_TCK')


def spawned():
    actor = Bench()
    actor.ping(0)
    return actor


def call_rtt(n):
    actor = spawned()
    try:
        for _ in range(warmup(n)):
            actor.ping(1)
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            actor.ping(1)
            samples.append(time.perf_counter() - started)
        return median(samples)
    finally:
        actor.shutdown()


def rate(batch):
    """Operations per second of `batch` on a fresh actor each time: one
    untimed batch, then the median of RATE_ROUNDS."""
    def once():
        actor = spawned()
        try:
            return batch(actor)
        finally:
            actor.shutdown()

    once()
    return median([once() for _ in range(RATE_ROUNDS)])


def loop_calls(calls):
    def batch(actor):
        started = time.perf_counter()
        for n in range(calls):
            actor.ping(n)
        return calls / (time.perf_counter() - started)
    return batch


def threaded_calls(calls):
    def batch(actor):
        failures = []

        def work():
            try:
                for n in range(calls // THREADS):
                    actor.ping(n)
            except Exception as error:  # reported after the join
                failures.append(error)

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if failures:
            raise failures[0]
        return calls / elapsed
    return batch


def spawn_and_shutdown(n):
    spawns, shutdowns = [], []
    for i in range(warmup(n) + n):
        started = time.perf_counter()
        actor = spawned()
        first_reply = time.perf_counter() - started
        started = time.perf_counter()
        actor.shutdown()
        if i >= warmup(n):
            spawns.append(first_reply)
            shutdowns.append(time.perf_counter() - started)
    return median(spawns), median(shutdowns)


def echo(n):
    actor = spawned()
    payload = bytes([7]) * MIB
    try:
        for _ in range(warmup(n)):
            actor.echo(payload)
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            reply = actor.echo(payload)
            samples.append(time.perf_counter() - started)
            if len(reply) != MIB:
                raise RuntimeError('the echo came back short')
        return median(samples)
    finally:
        actor.shutdown()


def idle_rss():
    actor = spawned()
    try:
        time.sleep(0.05)
        return rss_kib(actor_pid(actor))
    finally:
        actor.shutdown()


def one_run(plan):
    figures = {}
    # Left idle while the rest of the run goes on, as in the bench example.
    idle = spawned()
    idle_since = time.monotonic()
    idle_used = cpu_seconds(actor_pid(idle))

    figures['call_rtt_us_median'] = call_rtt(plan['calls']) * 1e6
    per_batch = plan['calls'] // RATE_ROUNDS
    figures['calls_per_s'] = rate(loop_calls(per_batch))
    figures['threaded_calls_per_s'] = rate(threaded_calls(per_batch))
    spawn, shutdown = spawn_and_shutdown(plan['spawns'])
    figures['spawn_ms_median'] = spawn * 1e3
    figures['shutdown_ms_median'] = shutdown * 1e3
    figures['echo_1mib_ms_median'] = echo(plan['echoes']) * 1e3
    figures['actor_idle_rss_kib'] = idle_rss()

    left = plan['idle_window'] - (time.monotonic() - idle_since)
    if left > 0:
        time.sleep(left)
    used = cpu_seconds(actor_pid(idle)) - idle_used
    idle_for = time.monotonic() - idle_since
    idle.shutdown()
    figures['actor_idle_cpu_ms_per_10s'] = used * 10 / idle_for * 1e3
    figures['actor_idle_cpu_window_s'] = idle_for
    return figures


def machine():
    model = ''
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'{model}, Linux {platform.release()}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5,
                        help='full passes; each key is their median')
    parser.add_argument('--smoke', action='store_true',
                        help='a tenth of the iterations, a 1 s idle window')
    args = parser.parse_args()
    if args.runs < 1:
        parser.error('--runs needs at least one run')
    plan = {'calls': 20_000, 'spawns': 30, 'echoes': 200, 'idle_window': 10}
    if args.smoke:
        plan = {'calls': 2_000, 'spawns': 10, 'echoes': 20, 'idle_window': 1}

    runs = []
    for run in range(1, args.runs + 1):
        print(f'bench_uactor: run {run} of {args.runs}', file=sys.stderr)
        runs.append(one_run(plan))

    report = {
        'machine': machine(),
        'cpus': len(os.sched_getaffinity(0)),
        'mode': 'smoke' if args.smoke else 'quick',
        'runs': args.runs,
        'implementation': (
            f'Python uActor {uactor.__version__}, '
            f'{platform.python_implementation()} {platform.python_version()}, '
            f'start method {multiprocessing.get_start_method()}'
        ),
    }
    for key in runs[0]:
        values = [figures[key] for figures in runs]
        if key.endswith('_kib'):
            shown = values
        else:
            shown = [round(value, 3) for value in values]
        report[key] = median(shown)
        report[f'{key}_min'] = min(shown)
        report[f'{key}_max'] = max(shown)
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
