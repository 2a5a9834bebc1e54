//! `motcua send`: one command over NATS request/reply, as an integrating office would send it.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use motcua_command::nats::{CommandRequest, command_subject};

/// Arguments of `motcua send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The NATS server(s) of a running motcua, comma-separated.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:14222")]
    pub nats_url: String,
    /// The province whose command service handles it (2 digits), e.g. 79.
    #[arg(long)]
    pub province: String,
    /// The command as JSON (`-` reads standard input): `command_id`, `actor`, `command`, its
    /// fields, and `dossier` except for a first command.
    pub file: PathBuf,
    /// How long to wait for the answer, in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    if args.file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
    } else {
        text = std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
    }
    let request: CommandRequest =
        serde_json::from_str(&text).context("the command is not valid command JSON")?;
    if args.province.len() != 2 || !args.province.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "--province must be a 2-digit province code, not {:?}",
            args.province
        );
    }
    let subject = command_subject(&args.province, &request.actor);
    let client = async_nats::connect(args.nats_url.as_str())
        .await
        .with_context(|| format!("cannot connect to {}", args.nats_url))?;
    let answer = tokio::time::timeout(
        Duration::from_secs(args.timeout),
        client.request(subject.clone(), text.into_bytes().into()),
    )
    .await
    .with_context(|| format!("no answer on {subject} within {} s", args.timeout))?
    .with_context(|| format!("no command service answers on {subject}"))?;
    let reply: serde_json::Value =
        serde_json::from_slice(&answer.payload).context("the answer is not JSON")?;
    say!("{}", serde_json::to_string_pretty(&reply)?);
    Ok(if reply["ok"] == true {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
