//! How samples become one run's figure, the same way for uactor and its
//! floor: the two take turns, so that a change in the machine's load falls
//! on both alike, and each is summed up by its median.

use std::time::Duration;

use anyhow::Result;

/// One timed operation: runs once and returns how long the part that
/// counts took (setup such as copying a payload is left out).
pub(crate) type Probe<'a> = Box<dyn FnMut() -> Result<Duration> + 'a>;

/// One throughput measurement: runs a batch and returns operations per second.
pub(crate) type Rate<'a> = Box<dyn FnMut() -> Result<f64> + 'a>;

/// How many batches each throughput measurement runs, taking turns.
pub(crate) const RATE_ROUNDS: usize = 5;

/// How many rounds the probes of one comparison take turns in.
const ROUNDS: usize = 10;

/// Runs each measurement [`RATE_ROUNDS`] times, taking turns, after one
/// untimed run each, and returns each one's median rate.
pub(crate) fn rates(measurements: &mut [Rate<'_>]) -> Result<Vec<f64>> {
    let mut samples: Vec<Vec<f64>> = measurements.iter().map(|_| Vec::new()).collect();
    for measure in measurements.iter_mut() {
        measure()?;
    }
    for _ in 0..RATE_ROUNDS {
        for (measure, samples) in measurements.iter_mut().zip(&mut samples) {
            samples.push(measure()?);
        }
    }
    Ok(samples.into_iter().map(median_of).collect())
}

/// Runs each probe `n` times after a warm-up, taking turns in [`ROUNDS`]
/// rounds, and returns each one's median in seconds.
pub(crate) fn interleaved(n: usize, probes: &mut [Probe<'_>]) -> Result<Vec<f64>> {
    let mut samples: Vec<Vec<f64>> = probes.iter().map(|_| Vec::with_capacity(n)).collect();
    for probe in probes.iter_mut() {
        for _ in 0..warmup(n) {
            probe()?;
        }
    }
    let per_round = n.div_ceil(ROUNDS);
    for _ in 0..ROUNDS {
        for (probe, samples) in probes.iter_mut().zip(&mut samples) {
            for _ in 0..per_round {
                samples.push(probe()?.as_secs_f64());
            }
        }
    }
    Ok(samples.into_iter().map(median_of).collect())
}

/// A tenth of `n` (at least one) runs first, untimed.
fn warmup(n: usize) -> usize {
    (n / 10).max(1)
}

/// The middle sample (the upper of the two middle ones for an even count,
/// so that the median of whole numbers stays one of them); NaN if none.
pub(crate) fn median_of(mut samples: Vec<f64>) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
