//! Rebuild: the views of a province rebuilt from its whole stream, in a child process of their
//! own (`motcua bench-child rebuild`) so that its peak memory is the rebuild's alone, next to
//! the raw replay-and-apply of the same stream in another child (SYSTEM.md §8: ≤ 1.5 × raw
//! time, ≤ 512 MiB RSS at 10 M events). Also the disk the views and the stream take.
//!
//! [`crate::history`] calls [`measure`] at each history size.

use std::path::Path;
use std::process::Stdio;

use motcua_domain::units::UnitCode;

use crate::child::RebuildOutcome;
use crate::history::{count, remove_dir};
use crate::measure::{disk_usage, mib};
use crate::seed::SeedStats;
use crate::server::BenchServer;
use crate::{BenchError, Ctx, Report, Row, Target};

/// The two rebuilds of one history size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rebuilt {
    /// motcua's rebuild of the views.
    pub motcua: RebuildOutcome,
    /// The raw replay-and-apply.
    pub raw: RebuildOutcome,
}

/// Runs `motcua bench-child rebuild` against the server at `nats_url` into `dir` and reads its
/// result line.
pub async fn spawn_child(
    ctx: &Ctx,
    nats_url: &str,
    province: &UnitCode,
    dir: &Path,
    raw: bool,
) -> Result<RebuildOutcome, BenchError> {
    let exe = ctx.motcua_exe()?;
    let mut command = tokio::process::Command::new(&exe);
    command
        .arg("bench-child")
        .arg("rebuild")
        .arg("--nats-url")
        .arg(nats_url)
        .arg("--province")
        .arg(province.as_str())
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // Its logs go where ours go.
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if raw {
        command.arg("--raw");
    }
    let what = if raw { "raw replay" } else { "rebuild" };
    // Not `output()`: it pipes stderr whatever was set, and the child's logs (and the reason it
    // failed) would be lost.
    let running = || BenchError::io(format!("running {} bench-child", exe.display()));
    let output = command
        .spawn()
        .map_err(running())?
        .wait_with_output()
        .await
        .map_err(running())?;
    if !output.status.success() {
        return Err(BenchError::Failed(format!(
            "the {what} child failed ({})",
            output.status
        )));
    }
    RebuildOutcome::parse(&String::from_utf8_lossy(&output.stdout))
}

/// Replays the stream of `province` on `server` raw into `raw_dir` (removed afterwards) and
/// rebuilds its views into `views_dir` (kept, closed), both fresh, checks that both applied every seeded event, and
/// pushes the rows: time and events/s against raw, the rebuild's peak RSS, the views' and the
/// stream's disk.
pub async fn measure(
    ctx: &Ctx,
    server: &BenchServer,
    province: &UnitCode,
    seeded: &SeedStats,
    views_dir: &Path,
    raw_dir: &Path,
    report: &mut Report,
) -> Result<Rebuilt, BenchError> {
    let url = server.url();
    let raw = spawn_child(ctx, &url, province, raw_dir, true).await?;
    // The raw store is not needed any more, and at 10 M events the disk may not hold both.
    remove_dir(raw_dir);
    let motcua = spawn_child(ctx, &url, province, views_dir, false).await?;
    for (who, o) in [("rebuild", &motcua), ("raw replay", &raw)] {
        if o.events != seeded.events || o.messages != seeded.messages {
            return Err(BenchError::Failed(format!(
                "the {who} applied {} events in {} messages; the stream holds {} in {}",
                o.events, o.messages, seeded.events, seeded.messages
            )));
        }
    }
    let setting = server.setting().label();
    let size = count(seeded.events);
    let where_ = format!(
        "{} messages of {} dossiers; child processes; the stream's server runs {setting} \
         (a rebuild only reads the stream)",
        count(seeded.messages),
        count(seeded.dossiers)
    );
    report.push(
        Row::new(
            "rebuild",
            format!("rebuild of {size} events, time"),
            setting,
            motcua.elapsed_s,
            "s",
        )
        .raw(raw.elapsed_s)
        .target(Target::RatioAtMost(1.5))
        .note(format!(
            "{where_}; raw: ordered consumer, batches of {}, envelope decoded, payloads + \
             checkpoint in one sled transaction, flushed",
            crate::child::REPLAY_BATCH
        )),
    );
    report.push(
        Row::new(
            "rebuild",
            format!("rebuild of {size} events, events/s"),
            setting,
            motcua.events_per_sec(),
            "events/s",
        )
        .raw(raw.events_per_sec())
        .note(where_.clone()),
    );
    report.push(
        Row::new(
            "rebuild",
            format!("rebuild of {size} events, peak RSS"),
            setting,
            mib(motcua.peak_rss_bytes),
            "MiB",
        )
        .raw(mib(raw.peak_rss_bytes))
        .target(Target::AtMost(512.0))
        .note("VmHWM of the child process (the whole motcua binary); raw: the raw child's"),
    );
    report.push(
        Row::new(
            "rebuild",
            format!("views on disk at {size} events"),
            setting,
            mib(motcua.disk_bytes),
            "MiB",
        )
        .raw(mib(raw.disk_bytes))
        .note("sled directory after the rebuild; raw: the payloads and checkpoint alone"),
    );
    report.push(
        Row::new(
            "rebuild",
            format!("stream store on disk at {size} events"),
            setting,
            mib(disk_usage(&server.store_dir())),
            "MiB",
        )
        .note("the nats-server's JetStream directory (this province's stream and nothing else)"),
    );
    Ok(Rebuilt { motcua, raw })
}
