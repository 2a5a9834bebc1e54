//! `motcua import FILE.ndjson`: bulk load of historical dossiers.
//!
//! One line per command, each with its time and dossier key; the lines of a dossier are
//! consecutive. Every dossier becomes one message carrying its whole history, or is refused whole
//! with the line number and the reason. Running the same file again skips what is already in
//! the stream, so an interrupted import resumes.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use motcua_command::CommandService;
use motcua_command::import::{
    DossierImport, Grouped, Grouper, ImportSummary, Importer, NumberedLine, parse_line,
};
use motcua_domain::Reference;
use motcua_domain::dossier::{Actor, Role};
use motcua_log::{DossierKey, EventLog, LogSettings};
use tokio::task::JoinSet;

/// Arguments of `motcua import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The NDJSON file (`-` reads standard input).
    pub file: PathBuf,
    /// The NATS server(s), comma-separated.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:14222")]
    pub nats_url: String,
    /// The importer's account id, recorded on every imported message.
    #[arg(long, default_value = "import")]
    pub importer: String,
    /// Dossiers imported at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Write every refused dossier as a JSON line here (default: standard error).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Stream replicas when a province's stream must be created.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let input: Box<dyn BufRead + Send> = if args.file.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        Box::new(BufReader::new(f))
    };
    let total_bytes = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let settings = LogSettings {
        replicas: args.replicas,
        ..LogSettings::default()
    };
    let log = EventLog::connect(&args.nats_url, settings).await?;
    // The import reads every dossier from the stream.
    let service = CommandService::new(log, Arc::new(Reference::official()));
    let importer = Arc::new(Importer::new(
        service,
        Actor {
            id: args.importer.clone(),
            role: Role::Importer,
            agency: None,
        },
    )?);
    let mut rejects: Box<dyn Write + Send> = match &args.rejects {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stderr()),
    };

    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut summary = ImportSummary::default();
    let mut tasks: JoinSet<anyhow::Result<DossierImport>> = JoinSet::new();
    let mut grouper = Grouper::default();
    let mut read = 0u64;
    let report = |result: &DossierImport,
                  summary: &mut ImportSummary,
                  out: &mut Box<dyn Write + Send>|
     -> anyhow::Result<()> {
        summary.add(result);
        if matches!(result, DossierImport::Rejected { .. }) {
            writeln!(out, "{}", serde_json::to_string(result)?)?;
        }
        Ok(())
    };
    let spawn = |tasks: &mut JoinSet<_>, key: DossierKey, lines: Vec<NumberedLine>| {
        let importer = importer.clone();
        tasks.spawn(async move { import_with_retry(&importer, &key, &lines).await });
    };
    for (i, line) in input.lines().enumerate() {
        let text = line.context("reading the import file")?;
        read += text.len() as u64 + 1;
        if text.trim().is_empty() {
            continue;
        }
        let number = i as u64 + 1;
        let ready = match parse_line(number, &text) {
            Ok(numbered) => grouper.push(numbered),
            Err(malformed) => {
                summary.malformed_lines += 1;
                report(&malformed, &mut summary, &mut rejects)?;
                continue;
            }
        };
        match ready {
            Grouped::Pending => {}
            Grouped::Split(rejected) => report(&rejected, &mut summary, &mut rejects)?,
            Grouped::Ready(key, lines) => {
                while tasks.len() >= args.concurrency.max(1) {
                    if let Some(done) = tasks.join_next().await {
                        report(&done??, &mut summary, &mut rejects)?;
                    }
                }
                spawn(&mut tasks, key, lines);
            }
        }
        bar.set_position(read);
        bar.set_message(rate(&summary, started));
    }
    if let Some((key, lines)) = grouper.finish() {
        spawn(&mut tasks, key, lines);
    }
    while let Some(done) = tasks.join_next().await {
        report(&done??, &mut summary, &mut rejects)?;
        bar.set_message(rate(&summary, started));
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    say!(
        "imported {} dossiers ({} lines), {} already imported, {} rejected, {} malformed lines; {:.1} s, {:.0} dossiers/s",
        summary.imported,
        summary.lines_imported,
        summary.already_imported,
        summary.rejected,
        summary.malformed_lines,
        secs,
        summary.imported as f64 / secs.max(1e-9)
    );
    Ok(if summary.rejected == 0 && summary.malformed_lines == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(4)
    })
}

fn rate(summary: &ImportSummary, started: Instant) -> String {
    let done = summary.imported + summary.already_imported + summary.rejected;
    format!(
        "{done} dossiers, {:.0}/s, {} rejected",
        done as f64 / started.elapsed().as_secs_f64().max(1e-9),
        summary.rejected
    )
}

/// Imports one dossier, retrying while the event log is briefly unavailable.
async fn import_with_retry(
    importer: &Importer,
    key: &DossierKey,
    lines: &[NumberedLine],
) -> anyhow::Result<DossierImport> {
    let mut wait = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match importer.import_dossier(key, lines).await {
            Ok(r) => return Ok(r),
            Err(e) if attempt < 8 => {
                tracing::warn!(dossier = %key, attempt, error = %e, "import failed; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(e) => return Err(e).with_context(|| format!("importing {key}")),
        }
    }
}
