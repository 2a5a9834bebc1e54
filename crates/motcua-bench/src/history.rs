//! History: one province's stream grown through the history sizes (1 M and 10 M events by
//! default), and at each size the rebuild ([`crate::rebuild`]) and the report latency
//! ([`crate::reports`]) measured on what is there.
//!
//! One server without fsync holds the stream: the figures at each size are reads (a rebuild and
//! queries), and seeding 10 M events with fsync before every ack would take hours for nothing.
//! The seeding rate is recorded as an informative row.

use crate::measure::per_sec;
use crate::report::number;
use crate::seed::{SeedConfig, SeedStats, Seeder};
use crate::server::BenchServer;
use crate::{BenchError, Ctx, HistoryPoint, Report, Row, Setting};

/// Runs this section.
pub async fn run(ctx: &Ctx, report: &mut Report) -> Result<(), BenchError> {
    let setting = Setting::NoFsync;
    let server = BenchServer::start(&ctx.dir("history-server")?, setting).await?;
    let url = server.url();
    let mut seeder = Seeder::new(
        &url,
        SeedConfig::province(&ctx.options.province, ctx.options.seed)?,
    )
    .await?;
    let province = seeder.province().clone();
    let mut sizes = ctx.options.history_sizes();
    sizes.sort_unstable();
    sizes.dedup();
    let mut before = SeedStats::default();
    for size in sizes {
        tracing::info!(events = size, "history: growing the stream");
        let seeded = seeder.grow_to(size).await?;
        report.push(seed_row(&before, &seeded, setting));
        before = seeded;

        let tag = format!("history-{size}");
        let views_dir = ctx.dir(&format!("{tag}-views"))?;
        let raw_dir = ctx.dir(&format!("{tag}-raw"))?;
        crate::rebuild::measure(
            ctx, &server, &province, &seeded, &views_dir, &raw_dir, report,
        )
        .await?;

        let (Some(first_day), Some(last_day)) = (seeded.first_day, seeded.last_day) else {
            return Err(BenchError::Failed(
                "the seeded history has no day".to_owned(),
            ));
        };
        let point = HistoryPoint {
            events: seeded.events,
            messages: seeded.messages,
            dossiers: seeded.dossiers,
            province: province.clone(),
            views_dir: views_dir.clone(),
            nats_url: url.clone(),
            first_day,
            last_day,
        };
        crate::reports::measure(ctx, &point, report).await?;
        // Views of 10 M events take gigabytes; the next size rebuilds its own.
        remove_dir(&views_dir);
    }
    Ok(())
}

/// The informative row of one growth step: events/s from the previous size to this one.
fn seed_row(before: &SeedStats, after: &SeedStats, setting: Setting) -> Row {
    let events = after.events - before.events;
    let messages = after.messages - before.messages;
    let elapsed = after.elapsed.saturating_sub(before.elapsed);
    let days = match (after.first_day, after.last_day) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no day".to_owned(),
    };
    let mut note = format!(
        "{} → {} events: {} messages ({:.0}/s), one per command, pipelined with OCC headers, \
         {} acks in flight; {} dossiers in all, days {days}; decide + encode included; \
         a dossier's next command waited for its previous ack {} times",
        count(before.events),
        count(after.events),
        count(messages),
        per_sec(messages, elapsed),
        crate::seed::WINDOW,
        count(after.dossiers),
        after.waits,
    );
    if after.refused > 0 || after.skipped > 0 || after.sim_refusals > 0 {
        note.push_str(&format!(
            "; REFUSED: {} steps by the domain ({} later steps skipped), {} in the simulation",
            after.refused, after.skipped, after.sim_refusals
        ));
    }
    Row::new(
        "history",
        format!("seeding to {} events, events/s", count(after.events)),
        setting.label(),
        per_sec(events, elapsed),
        "events/s",
    )
    .note(note)
}

/// A count with thousands separators.
pub(crate) fn count(n: u64) -> String {
    if n < 100 {
        n.to_string()
    } else {
        number(n as f64)
    }
}

/// Removes a directory of this run (best effort: the run's root is removed at the end anyway).
pub(crate) fn remove_dir(path: &std::path::Path) {
    if let Err(e) = std::fs::remove_dir_all(path) {
        tracing::debug!(path = %path.display(), error = %e, "not removed");
    }
}
