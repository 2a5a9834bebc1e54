//! Test harness: runs one projector against a NATS URL and a sled directory, so that the crash
//! tests can SIGKILL a real process at any moment. Operators use `motcua project` instead.
//!
//! Usage: `motcua-views-projector <nats-url> <sled-dir> <province> [until-seq]`
//!
//! Without `until-seq` it follows the stream until killed or interrupted; with it, it exits 0 once
//! the checkpoint reaches that sequence. It reports its checkpoint on stderr at start
//! (`started checkpoint=N`) and at the end (`done checkpoint=N`).

use std::process::ExitCode;
use std::sync::Arc;

use motcua_domain::Reference;
use motcua_log::{EventLog, LogSettings};
use motcua_views::{Projector, ProjectorConfig, Shard};

async fn run(args: &[String]) -> Result<(), String> {
    let [url, path, province, rest @ ..] = args else {
        return Err(
            "usage: motcua-views-projector <nats-url> <sled-dir> <province> [until-seq]".into(),
        );
    };
    let province = province.parse().map_err(|e| format!("province: {e}"))?;
    let until: Option<u64> = match rest.first() {
        Some(s) => Some(s.parse().map_err(|e| format!("until-seq: {e}"))?),
        None => None,
    };
    let log = EventLog::connect(url, LogSettings::default())
        .await
        .map_err(|e| e.to_string())?;
    let config = ProjectorConfig::new(Shard::province(province), path);
    let projector = Projector::start(log, Arc::new(Reference::official()), config)
        .await
        .map_err(|e| e.to_string())?;
    let checkpoint = projector.views().checkpoint().map_err(|e| e.to_string())?;
    let healed = projector
        .healed()
        .map(|h| h.problem.to_string())
        .unwrap_or_default();
    eprintln!("started checkpoint={checkpoint} healed={healed:?}");
    match until {
        Some(seq) => projector.run_until(seq).await,
        None => {
            projector
                .run(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
        }
    }
    .map_err(|e| e.to_string())?;
    let checkpoint = projector.views().checkpoint().map_err(|e| e.to_string())?;
    projector.views().flush().map_err(|e| e.to_string())?;
    eprintln!("done checkpoint={checkpoint}");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("motcua-views-projector: {e}");
            ExitCode::FAILURE
        }
    }
}
