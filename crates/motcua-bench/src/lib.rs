//! `motcua bench`: measures motcua against the raw limits of the same machine, in one run.
//!
//! Every figure is printed next to a raw baseline measured in the same run, on the same
//! nats-server settings and the same events, with their ratio and the target of SYSTEM.md §8.
//! The servers are started here (free loopback ports, temporary stores) and stopped at the end;
//! the system's own nats-server is never touched.
//!
//! Sections: [`ingest`] (the NATS/bulk command path and raw async publish), [`http`] (the HTTP
//! API of a `motcua up` child process under a load generator in this process), [`projection`]
//! (projector vs raw consume + sled apply), [`history`] (a province's history seeded to 1 M and
//! 10 M events: [`rebuild`] time, events/s, peak RSS and disk; [`reports`] latency at each size),
//! and [`freshness`] (append → visible in the views at a fixed rate).
//! `--smoke` runs every section on a few thousand events so that CI keeps the code running.

pub mod child;
pub mod freshness;
pub mod history;
pub mod http;
pub mod ingest;
pub mod measure;
pub mod projection;
pub mod rebuild;
pub mod report;
pub mod reports;
pub mod seed;
pub mod server;

use std::path::PathBuf;

pub use report::{Report, Row, Target};

/// The nats-server durability setting a figure was measured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Setting {
    /// `sync_interval: always`: fsync before every ack (how motcua runs).
    Durable,
    /// The server's default (fsync every two minutes): the CPU-bound ceiling.
    NoFsync,
}

impl Setting {
    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Setting::Durable => "durable",
            Setting::NoFsync => "no-fsync",
        }
    }

    /// Whether the server fsyncs before every ack.
    pub fn sync_always(self) -> bool {
        self == Setting::Durable
    }
}

/// Which sections to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// NATS/bulk command path vs raw JetStream async publish.
    Ingest,
    /// HTTP API throughput and latency at fixed rates.
    Http,
    /// Projector vs raw consume + sled batch apply.
    Projection,
    /// Seeded history at 1 M and 10 M events: rebuild and report latency.
    History,
    /// Append → visible in the views.
    Freshness,
}

impl Section {
    /// Every section, in the order they run.
    pub const ALL: [Section; 5] = [
        Section::Ingest,
        Section::Http,
        Section::Projection,
        Section::Freshness,
        Section::History,
    ];
}

/// Options of `motcua bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A short run of every section (seconds, a few thousand events): keeps the code running in CI.
    #[arg(long)]
    pub smoke: bool,
    /// Run only these sections (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Section>,
    /// Durability settings to measure (comma-separated; default both).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub setting: Vec<Setting>,
    /// History sizes in events for rebuild and reports (comma-separated; `k`/`M` suffixes).
    #[arg(long, value_delimiter = ',', value_parser = parse_count)]
    pub events: Vec<u64>,
    /// The province simulated (2-digit code).
    #[arg(long, default_value = "79")]
    pub province: String,
    /// Where temporary stores go (default: the system's temp dir).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Also write the table as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Seed of the simulated province.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
}

/// The simulation seed of every section unless `--seed` says otherwise.
pub const DEFAULT_SEED: u64 = 2026;

impl Options {
    /// The sections to run.
    pub fn sections(&self) -> Vec<Section> {
        if self.only.is_empty() {
            Section::ALL.to_vec()
        } else {
            Section::ALL
                .into_iter()
                .filter(|s| self.only.contains(s))
                .collect()
        }
    }

    /// The settings to measure.
    pub fn settings(&self) -> Vec<Setting> {
        if self.setting.is_empty() {
            vec![Setting::Durable, Setting::NoFsync]
        } else {
            self.setting.clone()
        }
    }

    /// The history sizes (events).
    pub fn history_sizes(&self) -> Vec<u64> {
        match (self.events.is_empty(), self.smoke) {
            (false, _) => self.events.clone(),
            (true, true) => vec![5_000, 20_000],
            (true, false) => vec![1_000_000, 10_000_000],
        }
    }
}

/// Parses `20000`, `200k`, `1M`, `10M`.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, factor) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1_000),
        Some((i, 'm' | 'M')) => (&t[..i], 1_000_000),
        _ => (t, 1),
    };
    digits
        .replace('_', "")
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a positive count (e.g. 20000, 200k, 10M)"))
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A nats-server could not be started or stopped.
    #[error("nats-server: {0}")]
    Server(#[from] motcua_log::embedded::EmbeddedError),
    /// The event log failed.
    #[error("event log: {0}")]
    Log(#[from] motcua_log::LogError),
    /// An append failed.
    #[error("append: {0}")]
    Append(#[from] motcua_log::AppendError),
    /// The views failed.
    #[error("views: {0}")]
    Views(#[from] motcua_views::ViewError),
    /// The command service failed.
    #[error("command: {0}")]
    Command(#[from] motcua_command::CommandError),
    /// The simulation failed.
    #[error("simulation: {0}")]
    Sim(#[from] motcua_sim::SimError),
    /// A sled store of a raw baseline failed.
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    /// Files or processes.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// Anything else, said in one line.
    #[error("{0}")]
    Failed(String),
}

impl BenchError {
    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BenchError {
        let what = what.into();
        move |source| BenchError::Io { what, source }
    }
}

/// Runs the selected sections and returns the table.
pub async fn run(options: &Options) -> Result<Report, BenchError> {
    let root = match &options.work_dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("motcua-bench-")
            .tempdir_in(dir),
        None => tempfile::Builder::new().prefix("motcua-bench-").tempdir(),
    }
    .map_err(BenchError::io("creating the work directory"))?;
    let ctx = Ctx {
        options: options.clone(),
        root: root.path().to_path_buf(),
    };
    let mut report = Report::new(options.smoke);
    for section in options.sections() {
        tracing::info!(?section, "benchmark section starting");
        match section {
            Section::Ingest => ingest::run(&ctx, &mut report).await?,
            Section::Http => http::run(&ctx, &mut report).await?,
            Section::Projection => projection::run(&ctx, &mut report).await?,
            Section::Freshness => freshness::run(&ctx, &mut report).await?,
            Section::History => history::run(&ctx, &mut report).await?,
        }
    }
    Ok(report)
}

/// What every section gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The options.
    pub options: Options,
    /// A fresh directory for this run's stores (removed at the end).
    pub root: PathBuf,
}

impl Ctx {
    /// A new empty directory under the run's root.
    pub fn dir(&self, name: &str) -> Result<PathBuf, BenchError> {
        let path = self.root.join(name);
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(BenchError::io(format!("clearing {name}")))?;
        }
        std::fs::create_dir_all(&path).map_err(BenchError::io(format!("creating {name}")))?;
        Ok(path)
    }

    /// The `motcua` executable, for child processes (`motcua up`, `motcua bench-child`).
    pub fn motcua_exe(&self) -> Result<PathBuf, BenchError> {
        std::env::current_exe().map_err(BenchError::io("finding the motcua executable"))
    }
}

/// A province's seeded history at one size, as [`history`] hands it to [`reports`]: the stream
/// on a running server and views rebuilt from it (closed: open them to read).
#[derive(Debug, Clone)]
pub struct HistoryPoint {
    /// Events in the stream (what the size is counted in).
    pub events: u64,
    /// Messages (commits) in the stream.
    pub messages: u64,
    /// Dossiers in the stream.
    pub dossiers: u64,
    /// The province.
    pub province: motcua_domain::units::UnitCode,
    /// The sled directory of the rebuilt views.
    pub views_dir: PathBuf,
    /// The running server holding the stream.
    pub nats_url: String,
    /// The first day of the seeded history (local date).
    pub first_day: jiff::civil::Date,
    /// The last day with events.
    pub last_day: jiff::civil::Date,
}
