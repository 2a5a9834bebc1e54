//! The table `motcua bench` prints: each figure, its raw baseline from the same run, their ratio
//! and the target it is held to.

use std::fmt::Write as _;

use serde::Serialize;

/// What a figure is held to (SYSTEM.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// `value / raw` must be at least this.
    RatioAtLeast(f64),
    /// `value / raw` must be at most this (times, memory).
    RatioAtMost(f64),
    /// The value must be at most this (latencies in ms, memory in MiB).
    AtMost(f64),
    /// The value must be at least this.
    AtLeast(f64),
}

impl Target {
    fn describe(self) -> String {
        match self {
            Target::RatioAtLeast(r) => format!("≥ {r} × raw"),
            Target::RatioAtMost(r) => format!("≤ {r} × raw"),
            Target::AtMost(v) => format!("≤ {v}"),
            Target::AtLeast(v) => format!("≥ {v}"),
        }
    }

    /// Whether `value` (with `raw`) meets the target; `None` when a ratio has no baseline.
    pub fn met(self, value: f64, raw: Option<f64>) -> Option<bool> {
        let ratio = raw.filter(|r| *r > 0.0).map(|r| value / r);
        match self {
            Target::RatioAtLeast(t) => ratio.map(|q| q >= t),
            Target::RatioAtMost(t) => ratio.map(|q| q <= t),
            Target::AtMost(t) => Some(value <= t),
            Target::AtLeast(t) => Some(value >= t),
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `ingest`, `http`, `projection`, `rebuild`, `freshness`, `reports`.
    pub section: String,
    /// What was measured, e.g. `command service, commands/s`.
    pub figure: String,
    /// `durable`, `no-fsync`, or `-` when the server's setting does not matter.
    pub setting: String,
    /// motcua's figure.
    pub value: f64,
    /// Its unit (`cmd/s`, `events/s`, `ms`, `MiB`, `s`, `GiB`).
    pub unit: String,
    /// The raw baseline in the same unit, measured in the same run.
    pub raw: Option<f64>,
    /// What the figure is held to.
    pub target: Option<Target>,
    /// Anything a reader needs: sizes, rounds, why a raw figure is absent.
    pub note: String,
}

impl Row {
    /// A row without baseline, target or note.
    pub fn new(
        section: &str,
        figure: impl Into<String>,
        setting: &str,
        value: f64,
        unit: &str,
    ) -> Row {
        Row {
            section: section.to_owned(),
            figure: figure.into(),
            setting: setting.to_owned(),
            value,
            unit: unit.to_owned(),
            raw: None,
            target: None,
            note: String::new(),
        }
    }

    /// With its raw baseline.
    pub fn raw(mut self, raw: f64) -> Row {
        self.raw = Some(raw);
        self
    }

    /// With its target.
    pub fn target(mut self, target: Target) -> Row {
        self.target = Some(target);
        self
    }

    /// With a note.
    pub fn note(mut self, note: impl Into<String>) -> Row {
        self.note = note.into();
        self
    }

    /// `value / raw`.
    pub fn ratio(&self) -> Option<f64> {
        self.raw.filter(|r| *r > 0.0).map(|r| self.value / r)
    }

    /// Whether the target is met (`None`: no target, or no baseline for a ratio).
    pub fn met(&self) -> Option<bool> {
        self.target.and_then(|t| t.met(self.value, self.raw))
    }
}

/// The whole table.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Whether this was a `--smoke` run (its figures say nothing about speed).
    pub smoke: bool,
    /// The rows in the order measured.
    pub rows: Vec<Row>,
}

impl Report {
    /// An empty table.
    pub fn new(smoke: bool) -> Report {
        Report {
            smoke,
            rows: Vec::new(),
        }
    }

    /// Adds a row and logs it, so a long run shows its figures as they come.
    pub fn push(&mut self, row: Row) {
        tracing::info!(
            section = %row.section,
            figure = %row.figure,
            setting = %row.setting,
            value = row.value,
            unit = %row.unit,
            raw = ?row.raw,
            "figure"
        );
        self.rows.push(row);
    }

    /// Rows whose target is missed.
    pub fn missed(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.met() == Some(false))
    }

    /// The table as Markdown (what `motcua bench` prints and docs/benchmarks.md quotes).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        if self.smoke {
            out.push_str("(smoke run: sizes too small for the figures to mean anything)\n\n");
        }
        out.push_str(
            "| section | figure | setting | motcua | raw | ratio | target | met | note |\n",
        );
        out.push_str("|---|---|---|---:|---:|---:|---|---|---|\n");
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} {} | {} | {} | {} | {} | {} |",
                r.section,
                r.figure,
                r.setting,
                number(r.value),
                r.unit,
                r.raw.map(number).unwrap_or_else(|| "–".to_owned()),
                r.ratio()
                    .map(|q| format!("{q:.2}"))
                    .unwrap_or_else(|| "–".to_owned()),
                r.target.map(Target::describe).unwrap_or_default(),
                match r.met() {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "",
                },
                r.note
            );
        }
        out
    }
}

/// A figure with a sensible number of digits and thousands separators.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.abs() >= 100.0 {
        let whole = v.round() as i64;
        let digits = whole.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if whole < 0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(27876.4), "27,876");
        assert_eq!(number(1_000_000.0), "1,000,000");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(0.374), "0.37");
        assert_eq!(number(-1234.0), "-1,234");
    }

    #[test]
    fn targets_judge_ratios_and_bounds() {
        let r = Row::new("ingest", "x", "durable", 70.0, "cmd/s")
            .raw(100.0)
            .target(Target::RatioAtLeast(0.7));
        assert_eq!(r.met(), Some(true));
        let r = Row::new("ingest", "x", "durable", 69.0, "cmd/s")
            .raw(100.0)
            .target(Target::RatioAtLeast(0.7));
        assert_eq!(r.met(), Some(false));
        let r = Row::new("reports", "p99", "-", 25.0, "ms").target(Target::AtMost(20.0));
        assert_eq!(r.met(), Some(false));
        let r = Row::new("ingest", "x", "durable", 70.0, "cmd/s").target(Target::RatioAtLeast(0.7));
        assert_eq!(r.met(), None, "a ratio without baseline is not judged");
        let table = Report {
            smoke: false,
            rows: vec![r],
        }
        .markdown();
        assert!(table.contains("| ingest | x | durable | 70.0 cmd/s | – | – | ≥ 0.7 × raw |"));
    }
}
