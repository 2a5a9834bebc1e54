//! Measuring helpers shared by the sections: latency percentiles, process memory and CPU from
//! `/proc`, disk usage, rates.

use std::path::Path;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::BenchError;

/// Latencies recorded in microseconds (1 µs to 1 h, 3 significant digits).
#[derive(Debug, Clone)]
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies::new()
    }
}

impl Latencies {
    /// An empty record.
    pub fn new() -> Latencies {
        // 1 µs .. 1 h at 3 significant digits cannot fail to build.
        let histogram = Histogram::new_with_bounds(1, 3_600_000_000, 3)
            .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()));
        Latencies { histogram }
    }

    /// Records one latency (clamped to the histogram's range).
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.histogram.saturating_record(us.max(1));
    }

    /// Adds another record's values.
    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
    }

    /// How many were recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The `q` quantile (0..=1) in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1000.0
    }

    /// Median in milliseconds.
    pub fn p50_ms(&self) -> f64 {
        self.quantile_ms(0.50)
    }

    /// 99th percentile in milliseconds.
    pub fn p99_ms(&self) -> f64 {
        self.quantile_ms(0.99)
    }

    /// Largest value in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.histogram.max() as f64 / 1000.0
    }
}

/// `n / d` per second.
pub fn per_sec(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

/// The median of some figures (rounds of one measurement).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`) in bytes.
pub fn proc_status_bytes(pid: &str, field: &str) -> Result<u64, BenchError> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(BenchError::io(format!("reading {path}")))?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| BenchError::Failed(format!("no {field} in {path}")))
}

/// Resident memory of a process, in bytes.
pub fn rss_bytes(pid: u32) -> Result<u64, BenchError> {
    proc_status_bytes(&pid.to_string(), "VmRSS")
}

/// Peak resident memory of a process so far, in bytes.
pub fn peak_rss_bytes(pid: u32) -> Result<u64, BenchError> {
    proc_status_bytes(&pid.to_string(), "VmHWM")
}

/// Peak resident memory of this process so far, in bytes.
pub fn own_peak_rss_bytes() -> Result<u64, BenchError> {
    proc_status_bytes("self", "VmHWM")
}

/// User + system CPU time of a process (`/proc/<pid>/stat`, clock ticks of 10 ms).
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are space-separated.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Bytes used by the files under `path` (apparent sizes; 0 when it does not exist).
pub fn disk_usage(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| disk_usage(&e.path())).sum())
        .unwrap_or(0)
}

/// Bytes in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The machine's load average (1, 5, 15 min) as printed in `/proc/loadavg`.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_values() {
        let mut l = Latencies::new();
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        assert_eq!(l.count(), 100);
        assert!((l.p50_ms() - 50.0).abs() < 0.1, "{}", l.p50_ms());
        assert!((l.p99_ms() - 99.0).abs() < 0.1, "{}", l.p99_ms());
        assert!((l.max_ms() - 100.0).abs() < 0.1);
    }

    #[test]
    fn medians_and_rates() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(per_sec(500, Duration::from_millis(250)), 2000.0);
    }

    #[test]
    fn own_memory_is_readable() {
        let peak = own_peak_rss_bytes().unwrap();
        assert!(peak > 1024 * 1024, "{peak}");
        assert!(cpu_time("self").is_some());
    }
}
