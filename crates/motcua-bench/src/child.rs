//! `motcua bench-child`: the parts of a benchmark that run in their own process, so that their
//! peak memory (`VmHWM`) is theirs alone. They print one JSON line on stdout.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use motcua_domain::Reference;
use motcua_domain::units::UnitCode;
use motcua_log::{EventLog, LogSettings};
use motcua_views::{Shard, Views};
use serde::{Deserialize, Serialize};

use crate::BenchError;
use crate::measure::{disk_usage, own_peak_rss_bytes};
use crate::projection::{RawStore, raw_replay};
use crate::seed::{SeedConfig, Seeder};

/// Messages per batch of the raw replay: the batch `motcua_views::rebuild` applies.
pub const REPLAY_BATCH: usize = motcua_views::REBUILD_BATCH;

/// What a child process does.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Child {
    /// Rebuilds a province's views from its whole stream into a fresh directory (or, with
    /// `--raw`, replays the stream into a raw sled store) and prints one JSON line:
    /// `{elapsed_s, messages, events, peak_rss_bytes, disk_bytes}`.
    Rebuild(RebuildArgs),
    /// Grows a province's stream on a running server to a number of events with the history
    /// section's seeder (one message per command, event-time order), and prints one JSON line
    /// with what it wrote: a stream to profile a rebuild or a projector against, run after run.
    Seed(SeedArgs),
}

/// Arguments of `motcua bench-child seed`.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// The server to write to (a server of your own: never a production one).
    #[arg(long)]
    pub nats_url: String,
    /// The province simulated (2-digit code).
    #[arg(long, default_value = "79")]
    pub province: String,
    /// Events the stream should hold (`k`/`M` suffixes).
    #[arg(long, value_parser = crate::parse_count)]
    pub events: u64,
    /// Seed of the simulation.
    #[arg(long, default_value_t = crate::DEFAULT_SEED)]
    pub seed: u64,
}

/// Arguments of `motcua bench-child rebuild`.
#[derive(Debug, Clone, clap::Args)]
pub struct RebuildArgs {
    /// The server holding the stream.
    #[arg(long)]
    pub nats_url: String,
    /// The province whose stream is replayed.
    #[arg(long)]
    pub province: String,
    /// The directory of the views (created; should be empty).
    #[arg(long)]
    pub dir: PathBuf,
    /// The raw baseline: consume the stream and apply it to a plain sled store.
    #[arg(long)]
    pub raw: bool,
}

/// What a rebuild child prints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RebuildOutcome {
    /// Seconds from the first read of the stream to the last commit (connecting and opening
    /// the store excluded).
    pub elapsed_s: f64,
    /// Messages applied.
    pub messages: u64,
    /// Events in them.
    pub events: u64,
    /// The child's peak resident memory (`VmHWM`), in bytes.
    pub peak_rss_bytes: u64,
    /// Bytes on disk under the views' directory, once closed.
    pub disk_bytes: u64,
}

impl RebuildOutcome {
    /// Events applied per second.
    pub fn events_per_sec(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.events as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// Reads the JSON line a child printed: the last non-empty line of its standard output.
    pub fn parse(stdout: &str) -> Result<RebuildOutcome, BenchError> {
        let line = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .ok_or_else(|| BenchError::Failed("the rebuild child printed nothing".to_owned()))?;
        serde_json::from_str(line).map_err(|e| {
            BenchError::Failed(format!(
                "the rebuild child printed {line:?}, not its result: {e}"
            ))
        })
    }
}

/// Runs a child's work.
pub async fn run(child: Child) -> Result<(), BenchError> {
    match child {
        Child::Rebuild(args) => {
            let outcome = rebuild(&args).await?;
            let line = serde_json::to_string(&outcome)
                .map_err(|e| BenchError::Failed(format!("encoding the result: {e}")))?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}").map_err(BenchError::io("writing the result"))?;
            out.flush().map_err(BenchError::io("writing the result"))?;
            Ok(())
        }
        Child::Seed(args) => {
            let config = SeedConfig::province(&args.province, args.seed)?;
            let mut seeder = Seeder::new(&args.nats_url, config).await?;
            let stats = seeder.grow_to(args.events).await?;
            let line = serde_json::json!({
                "events": stats.events,
                "messages": stats.messages,
                "dossiers": stats.dossiers,
                "events_per_sec": stats.events_per_sec(),
                "refused": stats.refused,
                "skipped": stats.skipped,
            });
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}").map_err(BenchError::io("writing the result"))?;
            Ok(())
        }
    }
}

async fn rebuild(args: &RebuildArgs) -> Result<RebuildOutcome, BenchError> {
    let province: UnitCode = args
        .province
        .parse()
        .map_err(|e| BenchError::Failed(format!("province {:?}: {e}", args.province)))?;
    std::fs::create_dir_all(&args.dir)
        .map_err(BenchError::io(format!("creating {}", args.dir.display())))?;
    let log = EventLog::connect(&args.nats_url, LogSettings::default()).await?;
    let (elapsed, messages, events) = if args.raw {
        let store = RawStore::open(&args.dir)?;
        let started = Instant::now();
        let applied = raw_replay(&log, &province, &store, REPLAY_BATCH).await?;
        (started.elapsed(), applied.messages, applied.events)
    } else {
        let views = Views::open(
            &args.dir,
            Shard::province(province.clone()),
            Arc::new(Reference::official()),
        )?;
        let started = Instant::now();
        let p = motcua_views::rebuild(&log, &views, |p| {
            tracing::debug!(seq = p.seq, target = p.target, "rebuilding");
        })
        .await?;
        if p.dead > 0 {
            return Err(BenchError::Failed(format!(
                "the rebuild wrote {} dead letters",
                p.dead
            )));
        }
        (started.elapsed(), p.messages, p.events)
    };
    // Closed (sled flushes on the last drop) before its size is read.
    let peak_rss_bytes = own_peak_rss_bytes()?;
    Ok(RebuildOutcome {
        elapsed_s: elapsed.as_secs_f64(),
        messages,
        events,
        peak_rss_bytes,
        disk_bytes: disk_usage(&args.dir),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_result_line_round_trips() {
        let outcome = RebuildOutcome {
            elapsed_s: 12.5,
            messages: 1_000,
            events: 1_250,
            peak_rss_bytes: 64 << 20,
            disk_bytes: 10 << 20,
        };
        let line = serde_json::to_string(&outcome).unwrap();
        let stdout = format!("some noise\n{line}\n\n");
        assert_eq!(RebuildOutcome::parse(&stdout).unwrap(), outcome);
        assert_eq!(outcome.events_per_sec(), 100.0);
    }

    #[test]
    fn a_missing_or_garbled_line_is_an_error() {
        assert!(RebuildOutcome::parse("").is_err());
        assert!(RebuildOutcome::parse("\n  \n").is_err());
        assert!(RebuildOutcome::parse("{\"elapsed_s\": 1.0}").is_err());
    }

    #[test]
    fn the_command_line_parses() {
        use clap::Parser;
        #[derive(Debug, Parser)]
        struct Cli {
            #[command(subcommand)]
            child: Child,
        }
        let cli = Cli::try_parse_from([
            "motcua",
            "rebuild",
            "--nats-url",
            "nats://127.0.0.1:4333",
            "--province",
            "79",
            "--dir",
            "/tmp/x",
            "--raw",
        ])
        .unwrap();
        let Child::Rebuild(args) = cli.child else {
            panic!("not the rebuild child: {:?}", cli.child);
        };
        assert!(args.raw);
        assert_eq!(args.province, "79");
        let cli =
            Cli::try_parse_from(["motcua", "seed", "--nats-url", "u", "--events", "1M"]).unwrap();
        let Child::Seed(args) = cli.child else {
            panic!("not the seed child: {:?}", cli.child);
        };
        assert_eq!(args.events, 1_000_000);
        assert_eq!(args.province, "79");
    }
}
