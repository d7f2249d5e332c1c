//! One run's figures by key, and every run folded into a median, minimum
//! and maximum per key, written as one JSON object.
//!
//! Each key keeps the meaning and unit of a single run's figure; over
//! several runs it holds the median of the runs' figures, with `_min` and
//! `_max` beside it. Ratios are taken within each run (a uactor figure and
//! its floor share that run's load) and then folded like any other figure.

use serde::{Serialize, Serializer};
use serde_json::Value as Json;

use crate::measure::median_of;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Value {
    Number(f64),
    Integer(u64),
    Null,
}

/// One run's figures, in the order they were taken.
#[derive(Default)]
pub(crate) struct Report {
    entries: Vec<(&'static str, Value)>,
}

impl Report {
    fn push(&mut self, key: &'static str, value: Value) {
        self.entries.push((key, value));
    }

    pub(crate) fn micros(&mut self, key: &'static str, seconds: f64) {
        self.push(key, Value::Number(seconds * 1e6));
    }

    pub(crate) fn millis(&mut self, key: &'static str, seconds: f64) {
        self.push(key, Value::Number(seconds * 1e3));
    }

    pub(crate) fn number(&mut self, key: &'static str, value: f64) {
        self.push(key, Value::Number(value));
    }

    pub(crate) fn int(&mut self, key: &'static str, value: u64) {
        self.push(key, Value::Integer(value));
    }

    pub(crate) fn null(&mut self, key: &'static str) {
        self.push(key, Value::Null);
    }

    fn value(&self, key: &str) -> Option<Value> {
        self.entries
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| *value)
    }

    /// A finite figure, if the run has one under `key`.
    fn get(&self, key: &str) -> Option<f64> {
        match self.value(key)? {
            Value::Number(number) if number.is_finite() => Some(number),
            Value::Integer(integer) => Some(integer as f64),
            _ => None,
        }
    }

    pub(crate) fn ratio(&mut self, key: &'static str, numerator: &str, denominator: &str) {
        let ratio = match (self.get(numerator), self.get(denominator)) {
            (Some(numerator), Some(denominator)) if denominator > 0.0 => {
                Value::Number(numerator / denominator)
            }
            _ => Value::Null,
        };
        self.push(key, ratio);
    }
}

/// One key over the runs that produced a figure for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spread {
    pub(crate) min: f64,
    pub(crate) median: f64,
    pub(crate) max: f64,
}

/// One key of the summary.
struct Figure {
    key: &'static str,
    /// `None` when no run had a figure (a cross-core key on one CPU).
    spread: Option<Spread>,
    /// Counts stay whole numbers in the JSON, as a single run wrote them.
    integer: bool,
}

/// Every run folded, key by key, after what describes the setup.
pub(crate) struct Summary {
    setup: Vec<(&'static str, Json)>,
    figures: Vec<Figure>,
}

impl Summary {
    /// `setup` is written first and as it is: it describes the runs (the
    /// machine, the mode, how many) rather than being measured by them, so
    /// it gets no `_min` or `_max`.
    pub(crate) fn of(setup: Vec<(&'static str, Json)>, runs: &[Report]) -> Self {
        let mut keys: Vec<&'static str> = Vec::new();
        for run in runs {
            for (key, _) in &run.entries {
                if !keys.contains(key) {
                    keys.push(key);
                }
            }
        }
        let figures = keys
            .into_iter()
            .map(|key| {
                let values: Vec<f64> = runs.iter().filter_map(|run| run.get(key)).collect();
                let integer = runs
                    .iter()
                    .all(|run| matches!(run.value(key), Some(Value::Integer(_))));
                let spread = (!values.is_empty()).then(|| Spread {
                    min: values.iter().copied().fold(f64::INFINITY, f64::min),
                    max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    median: median_of(values),
                });
                Figure {
                    key,
                    spread,
                    integer,
                }
            })
            .collect();
        Summary { setup, figures }
    }

    pub(crate) fn setup(&self, key: &str) -> Option<&Json> {
        self.setup
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }

    /// Every measured key, in the order the first run took them.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.figures.iter().map(|figure| figure.key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<Spread> {
        self.figures
            .iter()
            .find(|figure| figure.key == key)
            .and_then(|figure| figure.spread)
    }

    /// The setup, then each key's median followed by its `_min` and `_max`.
    pub(crate) fn json(&self) -> serde_json::Result<String> {
        let mut entries: Vec<(String, Json)> = self
            .setup
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone()))
            .collect();
        for figure in &self.figures {
            let number = |value: f64| {
                if figure.integer {
                    Json::from(value as u64)
                } else {
                    // Three decimals, as a single run always printed: the
                    // digits beyond are noise.
                    serde_json::Number::from_f64((value * 1e3).round() / 1e3)
                        .map_or(Json::Null, Json::Number)
                }
            };
            let (median, min, max) = match figure.spread {
                Some(spread) => (
                    number(spread.median),
                    number(spread.min),
                    number(spread.max),
                ),
                None => (Json::Null, Json::Null, Json::Null),
            };
            entries.push((figure.key.to_owned(), median));
            entries.push((format!("{}_min", figure.key), min));
            entries.push((format!("{}_max", figure.key), max));
        }
        serde_json::to_string_pretty(&InOrder(&entries))
    }
}

/// A JSON object whose keys keep their order (serde_json's own map sorts
/// them unless a crate-wide feature says otherwise), so that each figure
/// stays next to its floor as in a single run's output.
struct InOrder<'a>(&'a [(String, Json)]);

impl Serialize for InOrder<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}
