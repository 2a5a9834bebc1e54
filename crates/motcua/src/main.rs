//! The `motcua` command line: runs the one-stop dossier service and its tools.
//!
//! Every subcommand has `--help`. Errors end the process with a non-zero exit code and one line
//! saying why; logs go to stderr as structured `tracing` output (`MOTCUA_LOG` sets the filter).

/// Prints a line on standard output. A closed pipe (`motcua units | head`) ends the output
/// quietly instead of panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: the projector and the command path allocate and free many
/// small values per message, and malloc and free were a quarter of their CPU (ADR 0006).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// motcua: one-stop ("một cửa, một cửa liên thông") handling of administrative dossiers.
#[derive(Debug, Parser)]
#[command(name = "motcua", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run everything on this machine: a nats-server (unless --nats-url is given), the event
    /// streams and the command service; Ctrl-C stops it all.
    Up(cmd::up::Args),
    /// Send one command (JSON) to a running motcua over NATS and print the answer.
    Send(cmd::send::Args),
    /// Load historical dossiers from NDJSON (one command per line, with its time), one message
    /// per dossier; resumable.
    Import(cmd::import::Args),
    /// Verify the hash chain of one dossier or of a whole province's stream.
    Verify(cmd::verify::Args),
    /// Summarise an official list of administrative units, or one province of it.
    Units(cmd::units::Args),
    /// Simulate a province: N days of history (imported or written as NDJSON), or a live
    /// trickle sent to a running motcua.
    Simulate(cmd::simulate::Args),
    /// Rebuild a province's read models from its stream (run while `up` is stopped).
    Rebuild(cmd::views::RebuildArgs),
    /// Inspect read models: `motcua views digest --province 79`.
    Views(cmd::views::ViewsArgs),
    /// List or replay the messages the projector could not apply.
    Deadletters(cmd::views::DeadArgs),
    /// Follow a province's event stream: readable coloured lines or JSON envelopes, filtered by
    /// office or unit, level and event type, from a sequence, a time or only new commits.
    Tail(cmd::tail::Args),
    /// Make API tokens.
    Token(cmd::token::Args),
    /// The official report of a unit for a period: Biểu 06 and Decision 766 indicators as a
    /// table, JSON, CSV or XLSX (run while `up` is stopped).
    Report(cmd::report::Args),
    /// Validate the procedure catalogue (the shipped one or a CSV file) and summarise it.
    Catalogue(cmd::catalogue::Args),
    /// Measure motcua against raw baselines in the same run (docs/benchmarks.md): ingest over
    /// NATS and HTTP, projection, rebuild, freshness, reports. `--smoke` for a short run.
    Bench(motcua_bench::Options),
    /// A benchmark's part that runs in its own process (used by `motcua bench`).
    #[command(hide = true, subcommand)]
    BenchChild(motcua_bench::child::Child),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("motcua: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => cmd::up::run(args).await,
            Command::Send(args) => cmd::send::run(args).await,
            Command::Verify(args) => cmd::verify::run(args).await,
            Command::Import(args) => cmd::import::run(args).await,
            Command::Units(args) => cmd::units::run(args),
            Command::Catalogue(args) => cmd::catalogue::run(args),
            Command::Token(args) => cmd::token::run(args),
            Command::Rebuild(args) => cmd::views::rebuild(args).await,
            Command::Views(args) => cmd::views::views(args),
            Command::Deadletters(args) => cmd::views::deadletters(args),
            Command::Report(args) => cmd::report::run(args),
            Command::Simulate(args) => cmd::simulate::run(args).await,
            Command::Tail(args) => cmd::tail::run(args).await,
            Command::Bench(options) => cmd::bench::run(options).await,
            Command::BenchChild(child) => motcua_bench::child::run(child)
                .await
                .map(|()| ExitCode::SUCCESS)
                .map_err(Into::into),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the error and its causes.
            eprintln!("motcua: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOTCUA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,async_nats=warn"));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // `MOTCUA_LOG_FORMAT=json`: one JSON object per line, with the fields of every enclosing
    // span (trace_id, span_id, parent_span_id), for log collectors.
    if std::env::var("MOTCUA_LOG_FORMAT").is_ok_and(|f| f == "json") {
        fmt.json().with_span_list(true).init();
    } else {
        fmt.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .compact()
            .init();
    }
}
