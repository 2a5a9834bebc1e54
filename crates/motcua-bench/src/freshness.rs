//! Freshness: how long after a command is appended its effect is visible in the views
//! (SYSTEM.md §8: append → visible, p99 ≤ 50 ms at 1,000 events/s).
//!
//! For each durability setting: a fresh server, a [`Projector`] configured as `motcua up` runs
//! it (`ProjectorConfig::new`, the province's default shard), and simulated dossiers
//! ([`Simulation::live`]) whose commands go through a [`CommandService`] **open-loop** at a fixed
//! rate, each decided at the real time (`now` = the clock, as the live trickle of `motcua up
//! --demo` does). The simulated lives are compressed: a dossier's next command is sent as soon
//! as its previous one is acknowledged and its turn comes, not days later, so the commands are
//! the mix of a real province (receipts, forwards, appraisals, approvals, returns …) at a rate a
//! real province only reaches in a burst. A step whose rules need time to have passed (a
//! supplement that expires) is refused and the rest of that dossier is dropped; the refusals are
//! counted in the note.
//!
//! Per command: *send → visible* (from the call to `CommandService::handle`) and *ack → visible*
//! (from its return with the commit's stream sequence). **Visible** is the instant the views'
//! checkpoint reaches that sequence, observed exactly and without polling: a sled subscriber on
//! the checkpoint key of the shard's `meta` tree (the projector writes it in the same
//! transaction as the views, so a reader that sees it sees the whole batch). Every
//! [`CHECK_EVERY`]th command is also looked up in the views by its key at that point, and must
//! be there with this commit applied. The append's own latency (send → ack) is the raw figure:
//! no faster path to "visible" exists than the acknowledged append itself.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use motcua_command::{CommandError, CommandService};
use motcua_domain::Reference;
use motcua_domain::dossier::{Command, CommandBody};
use motcua_log::{CommitMeta, DossierKey, EventLog, LogSettings};
use motcua_sim::{Live, LiveRate, SimSettings, Simulation};
use motcua_views::{Projector, ProjectorConfig, Shard, Views};
use tokio::sync::{mpsc, watch};

use crate::measure::{Latencies, per_sec};
use crate::server::BenchServer;
use crate::{BenchError, Ctx, Report, Row, Setting, Target};

/// Commands per second of a full run.
pub const FULL_RATE: f64 = 1_000.0;
/// Seconds measured in a full run (after the warm-up).
pub const FULL_SECONDS: f64 = 20.0;
/// Commands per second of `--smoke`.
pub const SMOKE_RATE: f64 = 200.0;
/// Seconds measured in `--smoke`.
pub const SMOKE_SECONDS: f64 = 2.0;
/// Seconds sent before the measurement starts and left out of it: the first messages open the
/// consumer, fill the caches and the code counters.
pub const WARM_UP_SECONDS: f64 = 1.0;
/// Every this many commands, the dossier is read from the views when it becomes visible.
pub const CHECK_EVERY: u64 = 50;
/// How long the end of a run waits for the last commands and for the views to catch up.
const DRAIN: Duration = Duration::from_secs(30);

/// Runs this section.
pub async fn run(ctx: &Ctx, report: &mut Report) -> Result<(), BenchError> {
    let (rate, seconds) = if ctx.options.smoke {
        (SMOKE_RATE, SMOKE_SECONDS)
    } else {
        (FULL_RATE, FULL_SECONDS)
    };
    for setting in ctx.options.settings() {
        let outcome = measure_setting(ctx, setting, rate, seconds).await?;
        outcome.push_rows(report, setting, rate);
    }
    Ok(())
}

/// What one setting gave.
#[derive(Debug, Default)]
struct Outcome {
    send_visible: Latencies,
    ack_visible: Latencies,
    ack: Latencies,
    /// Measured commands (warm-up excluded).
    measured: u64,
    /// Commands sent in all, warm-up included.
    sent: u64,
    /// Wall time of the measured sends (first to last).
    send_span: Duration,
    /// Measured commands whose views moved before the sender had its ack.
    visible_before_ack: u64,
    refused: u64,
    /// The refusals' codes and counts, e.g. `supplement_not_expired ×4`.
    refusal_codes: String,
    failed: u64,
    dossiers: u64,
    /// Largest delay between a command's planned send time and its send.
    max_lag: Duration,
    checked: u64,
    /// The machine's load average before and after (a shared machine moves the tails).
    load: (String, String),
    batches: u64,
    commits: u64,
    dead: u64,
}

impl Outcome {
    fn push_rows(&self, report: &mut Report, setting: Setting, rate: f64) {
        let label = setting.label();
        let achieved = if self.measured > 1 {
            per_sec(self.measured - 1, self.send_span)
        } else {
            0.0
        };
        let common = format!(
            "{} commands measured at {achieved:.0}/s (planned {rate:.0}/s, open loop; largest \
             send lag {:.1} ms) after {WARM_UP_SECONDS} s of warm-up; {} dossiers, {} refused \
             by the rules at real time{}, {} failed; projector: {} commits in {} batches ({:.1} \
             per batch), {} dead letters; {} dossiers read back from the views when visible; \
             load average {} before, {} after",
            self.measured,
            self.max_lag.as_secs_f64() * 1000.0,
            self.dossiers,
            self.refused,
            if self.refusal_codes.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.refusal_codes)
            },
            self.failed,
            self.commits,
            self.batches,
            if self.batches > 0 {
                self.commits as f64 / self.batches as f64
            } else {
                0.0
            },
            self.dead,
            self.checked,
            self.load.0,
            self.load.1,
        );
        let raw_note = "raw: the append itself (CommandService::handle, send → ack)";
        report.push(
            Row::new(
                "freshness",
                "send → visible, p50",
                label,
                self.send_visible.p50_ms(),
                "ms",
            )
            .raw(self.ack.p50_ms())
            .note(format!("{raw_note}; {common}")),
        );
        report.push(
            Row::new(
                "freshness",
                "send → visible, p99",
                label,
                self.send_visible.p99_ms(),
                "ms",
            )
            .raw(self.ack.p99_ms())
            .target(Target::AtMost(50.0))
            .note(format!(
                "max {:.1} ms; {raw_note}",
                self.send_visible.max_ms()
            )),
        );
        report.push(
            Row::new(
                "freshness",
                "ack → visible, p50",
                label,
                self.ack_visible.p50_ms(),
                "ms",
            )
            .note(format!(
                "{} of {} visible before the sender had its ack (counted as 0)",
                self.visible_before_ack, self.measured
            )),
        );
        report.push(
            Row::new(
                "freshness",
                "ack → visible, p99",
                label,
                self.ack_visible.p99_ms(),
                "ms",
            )
            .note(format!("max {:.1} ms", self.ack_visible.max_ms())),
        );
    }
}

/// One command's timings, as its sender saw them.
#[derive(Debug, Clone, Copy)]
struct Sample {
    seq: u64,
    sent: Instant,
    acked: Instant,
    warm_up: bool,
}

/// A dossier with commands still to send.
#[derive(Debug)]
struct Active {
    key: DossierKey,
    steps: VecDeque<Command>,
}

/// What a sender task hands back.
#[derive(Debug)]
enum Done {
    /// Appended; the dossier comes back when it has more to send.
    Appended {
        key: DossierKey,
        sample: Sample,
        dossier: Option<Active>,
    },
    /// Refused by the rules (the refusal's code): the dossier is dropped.
    Refused(&'static str),
    /// Anything else.
    Failed(String),
}

/// Checkpoint advances as the views' subscriber saw them: (checkpoint, instant), in order.
type Advances = Arc<Mutex<Vec<(u64, Instant)>>>;

async fn measure_setting(
    ctx: &Ctx,
    setting: Setting,
    rate: f64,
    seconds: f64,
) -> Result<Outcome, BenchError> {
    let label = setting.label();
    let dir = ctx.dir(&format!("freshness-{label}"))?;
    let server = BenchServer::start(&dir.join("server"), setting).await?;
    let log = EventLog::connect(&server.url(), LogSettings::default()).await?;
    let reference = Arc::new(Reference::official());
    let sim = Simulation::new(
        (*reference).clone(),
        SimSettings {
            seed: ctx.options.seed,
            province: ctx
                .options
                .province
                .parse()
                .map_err(|e| BenchError::Failed(format!("province: {e}")))?,
            ..SimSettings::default()
        },
    )?;
    let province = sim.province().clone();

    // As `motcua up` starts a province's projector (cmd/projectors.rs).
    let config = ProjectorConfig::new(Shard::province(province.clone()), dir.join("views"));
    let projector = Projector::start(log.clone(), reference.clone(), config).await?;
    let views = projector.views().clone();
    let stats = projector.stats().clone();

    // Subscribe before anything is sent, so that no advance is missed.
    let meta = views
        .db()
        .open_tree(format!("{}/meta", views.shard().name))?;
    let subscriber = meta.watch_prefix(b"checkpoint");
    let advances: Advances = Arc::default();
    let (checkpoint_tx, checkpoint_rx) = watch::channel(views.checkpoint()?);
    let stop_watcher = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (views, advances, stop) = (views.clone(), advances.clone(), stop_watcher.clone());
        std::thread::Builder::new()
            .name("freshness-watch".to_owned())
            .spawn(move || watch_checkpoint(subscriber, &views, &advances, &checkpoint_tx, &stop))
            .map_err(BenchError::io("starting the checkpoint watcher"))?
    };

    let (stop_projector, projector_stopped) = tokio::sync::oneshot::channel::<()>();
    let projector_task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = projector_stopped.await;
        };
        projector.run(shutdown).await
    });

    let service = CommandService::new(log.clone(), reference.clone());

    let load_before = crate::measure::loadavg();
    tracing::info!(setting = label, rate, seconds, "freshness: sending");
    let sent = send_open_loop(
        &service,
        &sim,
        &views,
        &checkpoint_rx,
        rate,
        seconds,
        WARM_UP_SECONDS,
    )
    .await;

    // Whatever happened, stop the background work before looking at the result.
    let last = sent
        .as_ref()
        .map(|s| s.samples.iter().map(|x| x.seq).max().unwrap_or(0))
        .unwrap_or(0);
    let caught_up = wait_for_checkpoint(&checkpoint_rx, last).await;
    let _ = stop_projector.send(());
    let projected = projector_task
        .await
        .map_err(|e| BenchError::Failed(format!("the projector task failed: {e}")))?;
    stop_watcher.store(true, Ordering::Relaxed);
    if watcher.join().is_err() {
        tracing::warn!("the checkpoint watcher panicked");
    }
    projected?;
    let sent = sent?;
    if !caught_up {
        return Err(BenchError::Failed(format!(
            "the views did not reach sequence {last} within {} s",
            DRAIN.as_secs()
        )));
    }
    if sent.check_failures > 0 {
        return Err(BenchError::Failed(format!(
            "{} of {} dossiers read back when their commit became visible were missing or \
             behind it",
            sent.check_failures, sent.checked
        )));
    }

    let advances = std::mem::take(&mut *advances.lock().unwrap_or_else(PoisonError::into_inner));
    let mut out = Outcome {
        refused: sent.refused,
        refusal_codes: sent
            .refusals
            .iter()
            .map(|(code, n)| format!("{code} ×{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        failed: sent.failed,
        dossiers: sent.dossiers,
        max_lag: sent.max_lag,
        checked: sent.checked,
        load: (load_before, crate::measure::loadavg()),
        sent: sent.samples.len() as u64,
        batches: stats.batches.load(Ordering::Relaxed),
        commits: stats.commits.load(Ordering::Relaxed),
        dead: stats.dead.load(Ordering::Relaxed),
        ..Outcome::default()
    };
    let (mut first, mut last_sent) = (None::<Instant>, None::<Instant>);
    for s in sent.samples.iter().filter(|s| !s.warm_up) {
        let Some(visible) = visible_at(&advances, s.seq) else {
            return Err(BenchError::Failed(format!(
                "sequence {} was never seen in the views' checkpoint",
                s.seq
            )));
        };
        out.measured += 1;
        out.ack.record(s.acked.duration_since(s.sent));
        out.send_visible
            .record(visible.saturating_duration_since(s.sent));
        if visible < s.acked {
            out.visible_before_ack += 1;
        }
        out.ack_visible
            .record(visible.saturating_duration_since(s.acked));
        first = Some(first.map_or(s.sent, |f| f.min(s.sent)));
        last_sent = Some(last_sent.map_or(s.sent, |l| l.max(s.sent)));
    }
    if let (Some(f), Some(l)) = (first, last_sent) {
        out.send_span = l.duration_since(f);
    }
    if out.measured == 0 {
        return Err(BenchError::Failed(format!(
            "no command was appended ({} refused, {} failed{})",
            sent.refused,
            sent.failed,
            sent.first_failure
                .as_deref()
                .map(|f| format!(", first: {f}"))
                .unwrap_or_default()
        )));
    }
    if let Some(f) = &sent.first_failure {
        tracing::warn!(setting = label, failed = sent.failed, first = %f, "freshness: commands failed");
    }
    tracing::info!(
        setting = label,
        sent = out.sent,
        measured = out.measured,
        refused = out.refused,
        "freshness: done"
    );
    drop(server);
    Ok(out)
}

/// Follows the checkpoint key until `stop`: each advance is recorded with the instant it became
/// readable and published on `tx`.
fn watch_checkpoint(
    mut subscriber: sled::Subscriber,
    views: &Views,
    advances: &Advances,
    tx: &watch::Sender<u64>,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Relaxed) {
        let event = match subscriber.next_timeout(Duration::from_millis(100)) {
            Ok(e) => e,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        // The prefix also matches `checkpoint_hash`.
        let sled::Event::Insert { key, value } = event else {
            continue;
        };
        if key.as_ref() != b"checkpoint" {
            continue;
        }
        let Ok(bytes) = <[u8; 8]>::try_from(value.as_ref()) else {
            continue;
        };
        let seq = u64::from_be_bytes(bytes);
        // The event fires inside the batch's transaction, as the key is written. A read takes
        // sled's read lock, which waits for the transaction to finish: once it returns, every
        // reader sees the whole batch, so this is the instant the commit became visible.
        let _ = views.checkpoint();
        let at = Instant::now();
        advances
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((seq, at));
        tx.send_replace(seq);
    }
}

/// The instant the checkpoint first reached `seq`.
fn visible_at(advances: &[(u64, Instant)], seq: u64) -> Option<Instant> {
    // The checkpoint only grows, so the advances are sorted by sequence.
    let i = advances.partition_point(|(s, _)| *s < seq);
    advances.get(i).map(|(_, at)| *at)
}

/// Waits (at most [`DRAIN`]) until the views' checkpoint is at least `seq`.
async fn wait_for_checkpoint(rx: &watch::Receiver<u64>, seq: u64) -> bool {
    let mut rx = rx.clone();
    tokio::time::timeout(DRAIN, rx.wait_for(|c| *c >= seq))
        .await
        .is_ok_and(|r| r.is_ok())
}

/// What the sender did.
#[derive(Debug, Default)]
struct Sent {
    samples: Vec<Sample>,
    refused: u64,
    /// Refusals by code.
    refusals: std::collections::BTreeMap<&'static str, u64>,
    failed: u64,
    first_failure: Option<String>,
    dossiers: u64,
    max_lag: Duration,
    checked: u64,
    check_failures: u64,
}

/// The sender's books: what was answered, which dossiers wait for their turn, the read-backs.
struct Books<'a> {
    sent: Sent,
    /// Dossiers whose last command is answered, in the order they will go again.
    ready: VecDeque<Active>,
    /// Dossiers taken from the simulation and not finished or dropped.
    open: usize,
    in_flight: u64,
    checks: tokio::task::JoinSet<bool>,
    checkpoint: &'a watch::Receiver<u64>,
    views: &'a Views,
}

impl Books<'_> {
    /// Books a sender's answer: its timings, its dossier back in line, and now and then a
    /// read-back of the dossier once its commit is visible.
    fn settle(&mut self, done: Done) {
        self.in_flight -= 1;
        match done {
            Done::Appended {
                key,
                sample,
                dossier,
            } => {
                let n = self.sent.samples.len() as u64;
                self.sent.samples.push(sample);
                if n.is_multiple_of(CHECK_EVERY) {
                    self.checks.spawn(read_back(
                        self.checkpoint.clone(),
                        self.views.clone(),
                        key,
                        sample.seq,
                    ));
                }
                match dossier {
                    Some(a) => self.ready.push_back(a),
                    None => self.open -= 1,
                }
            }
            Done::Refused(code) => {
                self.sent.refused += 1;
                *self.sent.refusals.entry(code).or_default() += 1;
                self.open -= 1;
            }
            Done::Failed(e) => {
                self.sent.failed += 1;
                self.sent.first_failure.get_or_insert(e);
                self.open -= 1;
            }
        }
    }
}

/// Sends the simulated commands at `rate` for `warm_up + seconds`, each at its planned instant
/// whether or not earlier ones have been answered (open loop), and collects their timings.
async fn send_open_loop(
    service: &CommandService,
    sim: &Simulation,
    views: &Views,
    checkpoint: &watch::Receiver<u64>,
    rate: f64,
    seconds: f64,
    warm_up: f64,
) -> Result<Sent, BenchError> {
    let warm_count = (rate * warm_up).round() as u64;
    let total = warm_count + (rate * seconds).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    // Open dossiers taking turns: about half a second of commands, so that each has several
    // steps in flight over a run and new receipts keep coming (a life is ~8–10 commands).
    let target_open = (rate / 2.0).max(8.0) as usize;
    let mut live = sim.live(Timestamp::now(), LiveRate::PerHour(rate * 3_600.0));
    let (tx, mut rx) = mpsc::unbounded_channel::<Done>();
    let mut books = Books {
        sent: Sent::default(),
        ready: VecDeque::new(),
        open: 0,
        in_flight: 0,
        checks: tokio::task::JoinSet::new(),
        checkpoint,
        views,
    };
    let start = tokio::time::Instant::now() + Duration::from_millis(10);
    let mut i = 0u64;
    while i < total || books.in_flight > 0 {
        while let Ok(done) = rx.try_recv() {
            books.settle(done);
        }
        if i >= total {
            match tokio::time::timeout(DRAIN, rx.recv()).await {
                Ok(Some(done)) => books.settle(done),
                _ => {
                    return Err(BenchError::Failed(format!(
                        "{} commands unanswered after {} s",
                        books.in_flight,
                        DRAIN.as_secs()
                    )));
                }
            }
            continue;
        }
        let due = start + interval.mul_f64(i as f64);
        if tokio::time::Instant::now() < due {
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                done = rx.recv() => {
                    if let Some(done) = done {
                        books.settle(done);
                    }
                    continue;
                }
            }
        }
        books.sent.max_lag = books
            .sent
            .max_lag
            .max(tokio::time::Instant::now().duration_since(due));
        let mut active = match books.ready.pop_front() {
            Some(a) if books.open >= target_open => a,
            other => {
                if let Some(a) = other {
                    books.ready.push_front(a);
                }
                books.open += 1;
                books.sent.dossiers += 1;
                next_dossier(&mut live)?
            }
        };
        let Some(command) = active.steps.pop_front() else {
            books.open -= 1;
            continue;
        };
        i += 1;
        books.in_flight += 1;
        let warm = i <= warm_count;
        let service = service.clone();
        let tx = tx.clone();
        // Taken here, not in the task: a task that waits for a worker thread is part of the
        // latency a caller would see.
        let sent_at = Instant::now();
        tokio::spawn(async move {
            let key = active.key.clone();
            let done = match service
                .handle(&key, command, CommitMeta::default(), Timestamp::now())
                .await
            {
                Ok(outcome) => Done::Appended {
                    key,
                    sample: Sample {
                        seq: outcome.stream_seq,
                        sent: sent_at,
                        acked: Instant::now(),
                        warm_up: warm,
                    },
                    dossier: (!active.steps.is_empty()).then_some(active),
                },
                Err(CommandError::Domain(e)) => Done::Refused(e.code()),
                Err(e) => Done::Failed(e.to_string()),
            };
            // The receiver is gone only when the run has already failed.
            let _ = tx.send(done);
        });
    }
    let mut sent = books.sent;
    while let Some(r) = books.checks.join_next().await {
        sent.checked += 1;
        match r {
            Ok(true) => {}
            Ok(false) => sent.check_failures += 1,
            Err(e) => return Err(BenchError::Failed(format!("a read-back check failed: {e}"))),
        }
    }
    Ok(sent)
}

/// The next simulated dossier, its receipt left without a code so that the service allocates
/// one (as the live trickle does).
fn next_dossier(live: &mut Live) -> Result<Active, BenchError> {
    let dossier = live
        .next()
        .ok_or_else(|| BenchError::Failed("the simulation has no more dossiers".to_owned()))?;
    let key = DossierKey::new(dossier.province.clone(), dossier.id)
        .map_err(|e| BenchError::Failed(format!("simulated dossier key: {e}")))?;
    let steps = dossier
        .steps
        .into_iter()
        .map(|step| {
            let mut command = step.command;
            if let CommandBody::Receive { code, .. } = &mut command.body {
                *code = None;
            }
            command
        })
        .collect();
    Ok(Active { key, steps })
}

/// Whether the dossier is in the views with the commit at `seq` applied as soon as the
/// checkpoint reaches `seq`.
async fn read_back(
    mut checkpoint: watch::Receiver<u64>,
    views: Views,
    key: DossierKey,
    seq: u64,
) -> bool {
    if tokio::time::timeout(DRAIN, checkpoint.wait_for(|c| *c >= seq))
        .await
        .is_err()
    {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        views
            .row(&key)
            .ok()
            .flatten()
            .is_some_and(|row| row.last_seq >= seq)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_is_visible_at_the_first_checkpoint_that_covers_it() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let advances = vec![(3, at(1)), (7, at(2)), (8, at(5))];
        assert_eq!(visible_at(&advances, 1), Some(at(1)));
        assert_eq!(visible_at(&advances, 3), Some(at(1)));
        assert_eq!(visible_at(&advances, 4), Some(at(2)));
        assert_eq!(visible_at(&advances, 8), Some(at(5)));
        assert_eq!(visible_at(&advances, 9), None, "never reached");
    }
}
