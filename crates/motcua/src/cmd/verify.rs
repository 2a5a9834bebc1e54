//! `motcua verify`: check dossiers' hash chains against the stream, offline from motcua's own
//! state: each message must name the SHA-256 of the message before it in its dossier.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use motcua_log::envelope::chain_hash;
use motcua_log::{DossierKey, Envelope, EventLog, LogSettings};

/// Arguments of `motcua verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The NATS server(s), comma-separated.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:14222")]
    pub nats_url: String,
    /// One dossier key (`79-<uuid>`).
    #[arg(long, conflicts_with = "province")]
    pub dossier: Option<DossierKey>,
    /// Every dossier of a province's stream (2 digits).
    #[arg(long)]
    pub province: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let log = EventLog::connect(&args.nats_url, LogSettings::default()).await?;
    if let Some(key) = args.dossier {
        let commits = log.read_dossier(&key).await?;
        if commits.is_empty() {
            bail!("no dossier {key} in the stream");
        }
        say!("{key}: {} commits, chain intact", commits.len());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(province) = args.province else {
        bail!("give --dossier KEY or --province CODE");
    };
    let province = province.parse().context("--province")?;
    let last = log.last_sequence(&province).await?;
    if last == 0 {
        say!("province {province}: empty stream");
        return Ok(ExitCode::SUCCESS);
    }
    let mut messages = log.replay(&province, vec![], 1).await?.messages().await?;
    let mut tips: HashMap<String, String> = HashMap::new();
    let (mut checked, mut broken) = (0u64, 0u64);
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .context("the stream stopped answering")?
            .context("the replay ended early")??;
        let seq = msg
            .info()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .stream_sequence;
        let subject = msg.subject.to_string();
        let prev = tips.get(&subject).map_or("", String::as_str);
        match Envelope::decode(&msg.payload) {
            Ok(env) if env.prevhash == prev => {}
            Ok(_) => {
                broken += 1;
                say!("BROKEN {subject} at message {seq}: prevhash does not match");
            }
            Err(e) => {
                broken += 1;
                say!("UNREADABLE {subject} at message {seq}: {e}");
            }
        }
        tips.insert(subject, chain_hash(&msg.payload));
        checked += 1;
        if seq >= last {
            break;
        }
    }
    say!(
        "province {province}: {checked} messages of {} dossiers checked, {broken} broken",
        tips.len()
    );
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
