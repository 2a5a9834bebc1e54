//! `motcua rebuild`, `motcua views digest`, `motcua deadletters`: operator tools on a
//! province's read models. They open the same sled files `motcua up` uses (under
//! `<data-dir>/views/<province>`), so run them while `up` is stopped.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use motcua_domain::Reference;
use motcua_domain::units::UnitCode;
use motcua_log::{EventLog, LogSettings};
use motcua_views::{Shard, Views};

/// Where `motcua up` keeps a province's views.
pub fn views_dir(data_dir: &Path, province: &UnitCode) -> PathBuf {
    data_dir.join("views").join(province.as_str())
}

/// Which views.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// Province code (2 digits).
    #[arg(long)]
    pub province: UnitCode,
    /// motcua's data directory (as for `motcua up`).
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl Target {
    fn open(&self) -> anyhow::Result<Views> {
        let path = views_dir(&self.data_dir, &self.province);
        Views::open(
            &path,
            Shard::province(self.province.clone()),
            Arc::new(Reference::official()),
        )
        .with_context(|| {
            format!(
                "cannot open the views at {} (is motcua up still running?)",
                path.display()
            )
        })
    }
}

/// Arguments of `motcua rebuild`.
#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub target: Target,
    /// The NATS server(s), comma-separated.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:14222")]
    pub nats_url: String,
}

/// Rebuilds a province's views from its stream, with a progress bar.
pub async fn rebuild(args: RebuildArgs) -> anyhow::Result<ExitCode> {
    let views = args.target.open()?;
    let log = EventLog::connect(&args.nats_url, LogSettings::default()).await?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let done = motcua_views::rebuild(&log, &views, |p| {
        bar.set_length(p.target);
        bar.set_position(p.seq);
        bar.set_message(format!("{:.0} events/s", p.events_per_sec()));
    })
    .await?;
    bar.finish_and_clear();
    say!(
        "province {}: rebuilt {} messages ({} events, {} dead letters) in {:.1} s, {:.0} events/s; digest {}",
        args.target.province,
        done.messages,
        done.events,
        done.dead,
        done.elapsed.as_secs_f64(),
        done.events_per_sec(),
        views.digest()?
    );
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `motcua views`.
#[derive(Debug, clap::Args)]
pub struct ViewsArgs {
    #[command(subcommand)]
    pub action: ViewsAction,
}

/// What to do with the views.
#[derive(Debug, clap::Subcommand)]
pub enum ViewsAction {
    /// Print the digest of every view (equal digests = equal views) and the checkpoint.
    Digest(Target),
}

/// `motcua views digest`.
pub fn views(args: ViewsArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        ViewsAction::Digest(target) => {
            let views = target.open()?;
            say!("{}  checkpoint {}", views.digest()?, views.checkpoint()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `motcua deadletters`.
#[derive(Debug, clap::Args)]
pub struct DeadArgs {
    #[command(subcommand)]
    pub action: DeadAction,
}

/// What to do with dead letters.
#[derive(Debug, clap::Subcommand)]
pub enum DeadAction {
    /// List dead letters: sequence, subject, reason.
    List {
        #[command(flatten)]
        target: Target,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Apply the dead letters again (after the cause was fixed, e.g. a missing office added).
    Replay(Target),
}

/// `motcua deadletters`.
pub fn deadletters(args: DeadArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        DeadAction::List { target, limit } => {
            let views = target.open()?;
            let dead = views.list_dead_letters(limit)?;
            for d in &dead {
                say!(
                    "{:>10}  {}  {}: {}",
                    d.seq,
                    d.subject,
                    d.reason.code(),
                    d.reason
                );
            }
            say!("{} dead letters", dead.len());
        }
        DeadAction::Replay(target) => {
            let views = target.open()?;
            let out = views.replay_dead_letters()?;
            say!("{} applied, {} still dead", out.applied, out.still_dead);
            if out.still_dead > 0 {
                return Ok(ExitCode::from(5));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
