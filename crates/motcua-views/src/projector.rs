//! The projector: a durable pull consumer on one province's stream feeding [`Views::apply`], the
//! self-healing start, and rebuilds from the stream.
//!
//! Exactly-once effect: a batch is applied in one sled transaction with the checkpoint and
//! flushed, and only then acknowledged. The checkpoint, not the consumer's ack floor, is the
//! truth: at every start (and after any fetch error) the durable consumer is reset to
//! `checkpoint + 1`, so messages delivered to a process that died are delivered again in order,
//! and messages at or below the checkpoint are acknowledged and skipped.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{self, pull};
use async_nats::jetstream::stream::DirectGetErrorKind;
use futures::{FutureExt, StreamExt};
use motcua_domain::Reference;
use motcua_log::EventLog;
use motcua_log::subject::{dossier_stream, province_filter};
use motcua_log::subscribe::DurableSettings;
use motcua_log::trace::{TRACEPARENT, TraceContext};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::apply::{BatchOutcome, Delivery};
use crate::error::{IntegrityProblem, ViewError};
use crate::health::{Phase, ProjectorStats};
use crate::store::{Shard, Views, is_lock_held};

/// Settings of one projector.
#[derive(Debug, Clone)]
pub struct ProjectorConfig {
    /// Province and projector name (also the durable consumer's name).
    pub shard: Shard,
    /// The sled directory of this projector's views (a cache: it may be deleted at any time).
    pub path: PathBuf,
    /// Most messages per batch (one transaction each).
    pub batch_size: usize,
    /// How long the projector waits for a message before it checks for shutdown again.
    pub fetch_wait: Duration,
    /// Recompute the digest at start and compare it with the one sealed at the last clean
    /// shutdown (a full scan: off by default).
    pub verify_digest: bool,
    /// Seal the digest at a clean shutdown (a full scan: off by default).
    pub seal_on_shutdown: bool,
    /// Empty views over a stream of at least this many messages are filled the way a rebuild
    /// does it (two passes, several times faster than batch by batch) before the projector
    /// follows the stream; `None`: always batch by batch. Default [`FILL_IN_TWO_PASSES_FROM`].
    pub fill_in_two_passes_from: Option<u64>,
}

/// The smallest stream that empty views are filled from in two passes ([`rebuild`]) rather
/// than batch by batch: below it the second pass's scan of every history costs more than it
/// saves.
pub const FILL_IN_TWO_PASSES_FROM: u64 = 10_000;

impl ProjectorConfig {
    /// Defaults: batches of up to 500, 1 s idle wait, no digest sealing.
    pub fn new(shard: Shard, path: impl Into<PathBuf>) -> ProjectorConfig {
        ProjectorConfig {
            shard,
            path: path.into(),
            batch_size: 500,
            fetch_wait: Duration::from_secs(1),
            verify_digest: false,
            seal_on_shutdown: false,
            fill_in_two_passes_from: Some(FILL_IN_TWO_PASSES_FROM),
        }
    }
}

/// Why and how a projector rebuilt its views by itself.
#[derive(Debug, Clone, Serialize)]
pub struct HealReport {
    /// What was wrong.
    pub problem: IntegrityProblem,
    /// The checkpoint found (0 when the store could not be read).
    pub checkpoint_before: u64,
    /// The stream's last sequence at the time.
    pub stream_last: u64,
    /// Where the rebuild ended.
    pub rebuilt_to: u64,
}

/// Progress of a rebuild or catch-up.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    /// Last sequence applied.
    pub seq: u64,
    /// The stream's last sequence when the work started.
    pub target: u64,
    /// Messages applied so far.
    pub messages: u64,
    /// Events applied so far.
    pub events: u64,
    /// Dead letters so far.
    pub dead: u64,
    /// Time spent.
    pub elapsed: Duration,
}

impl Progress {
    /// Events applied per second so far.
    pub fn events_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.events as f64 / s } else { 0.0 }
    }
}

/// A projector of one shard.
#[derive(Debug)]
pub struct Projector {
    log: EventLog,
    views: Views,
    config: ProjectorConfig,
    healed: Option<HealReport>,
    stats: Arc<ProjectorStats>,
}

/// The result of a blocking task, its panic or cancellation as an error.
fn joined<T>(r: Result<Result<T, ViewError>, tokio::task::JoinError>) -> Result<T, ViewError> {
    r.map_err(|e| ViewError::Task(e.to_string()))?
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ViewError> + Send + 'static,
) -> Result<T, ViewError> {
    joined(tokio::task::spawn_blocking(f).await)
}

/// Whether a directory holds nothing but what sled writes, so that removing it loses nothing of
/// anyone else's.
fn looks_like_sled(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    entries.flatten().all(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        matches!(name.as_ref(), "conf" | "db" | "blobs" | "snap.tmp") || name.starts_with("snap.")
    })
}

/// `ENOSPC` and `EROFS` of Linux (no `libc` needed for two numbers).
const ENOSPC: i32 = 28;
const EROFS: i32 = 30;

/// Opens the store, recreating it when sled cannot open its files.
fn open_or_recreate(
    config: &ProjectorConfig,
    reference: Arc<Reference>,
) -> Result<(Views, Option<IntegrityProblem>), ViewError> {
    match Views::open(&config.path, config.shard.clone(), reference.clone()) {
        Ok(v) => Ok((v, None)),
        // Another handle in this process (or another process) still has the store open: its
        // files are fine, and removing them under a live handle would be the real damage.
        Err(ViewError::Sled(e)) if is_lock_held(&e) => Err(ViewError::Sled(e)),
        // The disk refuses writes: recreating cannot help, and the files may be fine.
        Err(ViewError::Sled(sled::Error::Io(e)))
            if e.raw_os_error().is_some_and(|c| c == ENOSPC || c == EROFS) =>
        {
            Err(ViewError::Sled(sled::Error::Io(e)))
        }
        Err(ViewError::Sled(e)) => {
            let problem = IntegrityProblem::Unopenable {
                reason: e.to_string(),
            };
            tracing::error!(
                shard = %config.shard,
                path = %config.path.display(),
                %problem,
                "view store unusable; recreating it and rebuilding from the stream"
            );
            if !looks_like_sled(&config.path) {
                return Err(ViewError::Sled(e));
            }
            std::fs::remove_dir_all(&config.path)?;
            let v = Views::open(&config.path, config.shard.clone(), reference)?;
            Ok((v, Some(problem)))
        }
        Err(e) => Err(e),
    }
}

impl Projector {
    /// Opens the shard's views and checks them; rebuilds them from the stream when sled cannot
    /// open its files, the metadata is missing or of another format, shard or reference data,
    /// a reset was interrupted, the checkpoint is beyond the stream's last sequence, the message
    /// at the checkpoint is not the one applied, or (with `verify_digest`) the sealed digest does
    /// not match. The reason is logged at error level and kept in [`Projector::healed`]. Empty
    /// views over a long stream are filled in two passes before it returns
    /// ([`ProjectorConfig::fill_in_two_passes_from`]).
    pub async fn start(
        log: EventLog,
        reference: Arc<Reference>,
        config: ProjectorConfig,
    ) -> Result<Projector, ViewError> {
        Projector::start_with_stats(log, reference, config, Arc::default()).await
    }

    /// [`Projector::start`] reporting into `stats` from the first moment (phase, rebuild
    /// progress), so that a supervisor sees a self-heal while it runs and keeps the counters
    /// across restarts. The phase is [`Phase::Starting`] until [`Projector::run`].
    pub async fn start_with_stats(
        log: EventLog,
        reference: Arc<Reference>,
        config: ProjectorConfig,
        stats: Arc<ProjectorStats>,
    ) -> Result<Projector, ViewError> {
        stats.set_phase(Phase::Starting);
        let province = config.shard.province.clone();
        log.ensure_dossier_stream(&province).await?;
        let (views, mut problem) = {
            let config = config.clone();
            blocking(move || open_or_recreate(&config, reference)).await?
        };
        let stream_last = log.last_sequence(&province).await?;
        stats.set_stream_last(stream_last);
        let checkpoint_before = views.checkpoint().unwrap_or(0);
        stats.set_checkpoint(checkpoint_before);
        if problem.is_none() {
            problem = views.verify_local().err();
        }
        if problem.is_none() {
            problem = check_against_stream(&log, &views, stream_last).await?;
        }
        if problem.is_none() && config.verify_digest {
            let v = views.clone();
            match blocking(move || v.verify_sealed_digest()).await {
                Ok(_) => {}
                Err(ViewError::Integrity(p)) => problem = Some(p),
                Err(e) => return Err(e),
            }
        }
        let mut healed = None;
        if let Some(problem) = problem {
            tracing::error!(
                shard = %config.shard,
                %problem,
                checkpoint = checkpoint_before,
                stream_last,
                "view store failed its integrity check; rebuilding from the stream"
            );
            stats.rebuilds.fetch_add(1, Ordering::Relaxed);
            let p = rebuild_at_start(&log, &views, &stats, &config.shard).await?;
            healed = Some(HealReport {
                problem,
                checkpoint_before,
                stream_last,
                rebuilt_to: p.seq,
            });
        } else if checkpoint_before == 0
            && config
                .fill_in_two_passes_from
                .is_some_and(|from| stream_last >= from.max(1))
        {
            // New views (a new node, a deleted store) over a long stream: the views are not
            // whole until the end either way, and two passes write a dossier once instead of at
            // each of its messages. Not a heal: nothing was wrong.
            tracing::info!(
                shard = %config.shard,
                stream_last,
                "empty views: filling them from the stream in two passes"
            );
            rebuild_at_start(&log, &views, &stats, &config.shard).await?;
        }
        let checkpoint = views.checkpoint()?;
        stats.set_checkpoint(checkpoint);
        let dead = {
            let v = views.clone();
            blocking(move || v.dead_letter_count()).await?
        };
        stats.set_dead_letters(dead);
        tracing::info!(
            shard = %config.shard,
            checkpoint,
            stream_last,
            dead_letters = dead,
            "projector ready"
        );
        Ok(Projector {
            log,
            views,
            config,
            healed,
            stats,
        })
    }

    /// The views (for queries).
    pub fn views(&self) -> &Views {
        &self.views
    }

    /// Why the views were rebuilt at start, if they were.
    pub fn healed(&self) -> Option<&HealReport> {
        self.healed.as_ref()
    }

    /// Running counters.
    pub fn stats(&self) -> &Arc<ProjectorStats> {
        &self.stats
    }

    /// Follows the stream until `shutdown` completes, then finishes the batch in hand and
    /// returns (sealing the digest if configured).
    ///
    /// The phase in [`Projector::stats`] is [`Phase::Running`] meanwhile, then
    /// [`Phase::Stopped`], or [`Phase::Failed`] with the error. A failed projector stops
    /// advancing with its views as of its last committed batch (nothing of a failed batch is
    /// acknowledged); start it again to go on.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), ViewError> {
        let result = async {
            self.follow(shutdown, None).await?;
            if self.config.seal_on_shutdown {
                let v = self.views.clone();
                let digest = blocking(move || v.seal()).await?;
                tracing::info!(shard = %self.config.shard, %digest, "digest sealed");
            }
            Ok(())
        }
        .await;
        self.finished(&result);
        result
    }

    /// Follows the stream until the checkpoint reaches `seq`.
    pub async fn run_until(&self, seq: u64) -> Result<(), ViewError> {
        let result = self.follow(std::future::pending(), Some(seq)).await;
        self.finished(&result);
        result
    }

    fn finished(&self, result: &Result<(), ViewError>) {
        match result {
            Ok(()) => self.stats.set_phase(Phase::Stopped),
            Err(e) => self.stats.fail(e.to_string()),
        }
    }

    /// Asks the server for the stream's last sequence, for the lag; a failure only leaves the
    /// last known value (the next fetch error repositions the consumer anyway).
    async fn refresh_stream_last(&self) {
        match self.log.last_sequence(&self.config.shard.province).await {
            Ok(last) => self.stats.set_stream_last(last),
            Err(e) => {
                tracing::debug!(shard = %self.config.shard, error = %e, "stream info unavailable")
            }
        }
    }

    async fn follow(
        &self,
        shutdown: impl Future<Output = ()>,
        until: Option<u64>,
    ) -> Result<(), ViewError> {
        tokio::pin!(shutdown);
        let mut healed_while_running = false;
        self.stats.set_phase(Phase::Running);
        self.stats.set_checkpoint(self.views.checkpoint()?);
        self.refresh_stream_last().await;
        let mut refreshed = Instant::now();
        loop {
            // (Re)position the durable consumer at the checkpoint and open a message stream:
            // the client keeps pull requests of `batch_size` outstanding, so a message is
            // applied as soon as it arrives and a backlog is applied in full batches.
            let consumer = self.positioned_consumer().await?;
            let mut stream = consumer
                .stream()
                .max_messages_per_batch(self.config.batch_size)
                .messages()
                .await
                .map_err(|e| ViewError::JetStream {
                    operation: "consume",
                    reason: e.to_string(),
                })?;
            loop {
                let checkpoint = self.views.checkpoint()?;
                if until.is_some_and(|u| checkpoint >= u) {
                    return Ok(());
                }
                let first = tokio::select! {
                    () = &mut shutdown => return Ok(()),
                    r = tokio::time::timeout(self.config.fetch_wait, stream.next()) => r,
                };
                if refreshed.elapsed() >= STREAM_INFO_EVERY {
                    // Idle or busy, the lag gauge never goes stale for long.
                    self.refresh_stream_last().await;
                    refreshed = Instant::now();
                }
                let first = match first {
                    Err(_) => continue, // idle
                    Ok(Some(Ok(m))) => m,
                    Ok(Some(Err(e))) => {
                        tracing::warn!(shard = %self.config.shard, error = %e, "consumer error; repositioning");
                        break;
                    }
                    Ok(None) => break,
                };
                let mut messages = vec![delivery(first)?];
                let mut broken = false;
                while messages.len() < self.config.batch_size {
                    match stream.next().now_or_never() {
                        Some(Some(Ok(m))) => messages.push(delivery(m)?),
                        Some(Some(Err(e))) => {
                            tracing::warn!(shard = %self.config.shard, error = %e, "consumer error; repositioning");
                            broken = true;
                            break;
                        }
                        Some(None) => {
                            broken = true;
                            break;
                        }
                        None => break,
                    }
                }
                let (deliveries, complete) = self.contiguous(&messages, checkpoint).await?;
                if !deliveries.is_empty() {
                    let v = self.views.clone();
                    match blocking(move || v.apply(&deliveries)).await {
                        Ok(outcome) => {
                            self.stats.record(&outcome);
                            if let Some((m, d)) = messages.get(complete.saturating_sub(1))
                                && let Ok(info) = m.info()
                            {
                                self.stats.saw_stream_last(d.seq + info.pending);
                            }
                            trace_commits(&messages[..complete], checkpoint);
                        }
                        Err(e @ ViewError::Corrupt { .. }) if !healed_while_running => {
                            // A stored view this build cannot read back: rebuild once, loudly.
                            tracing::error!(shard = %self.config.shard, error = %e, "corrupt view entry; rebuilding from the stream");
                            healed_while_running = true;
                            self.stats.set_phase(Phase::Rebuilding);
                            self.stats.rebuilds.fetch_add(1, Ordering::Relaxed);
                            let stats = self.stats.clone();
                            rebuild(&self.log, &self.views, |p| {
                                stats.rebuilding(p.seq, p.target)
                            })
                            .await?;
                            self.stats.set_phase(Phase::Running);
                            let v = self.views.clone();
                            let dead = blocking(move || v.dead_letter_count()).await?;
                            self.stats.set_dead_letters(dead);
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
                // Committed and flushed: acknowledge (skipped ones too).
                for (m, _) in messages.iter().take(complete) {
                    if let Err(e) = m.ack().await {
                        tracing::debug!(error = %e, "ack not sent; the message will be skipped when redelivered");
                    }
                }
                if broken || complete < messages.len() {
                    break;
                }
            }
            self.stats.resets.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The prefix of a fetched batch that continues the checkpoint without a hole. A hole is
    /// either a real gap in the stream (deleted or archived messages: fine) or messages this
    /// process never received (then the consumer is reset to the hole and they come again).
    async fn contiguous(
        &self,
        messages: &[(async_nats::jetstream::Message, Delivery)],
        checkpoint: u64,
    ) -> Result<(Vec<Delivery>, usize), ViewError> {
        let mut expected = checkpoint + 1;
        let mut out = Vec::with_capacity(messages.len());
        for (i, (_, d)) in messages.iter().enumerate() {
            if d.seq <= checkpoint || d.seq < expected {
                // Already applied (or a duplicate delivery): skipped by `apply`, acknowledged.
                out.push(d.clone());
                continue;
            }
            if d.seq > expected && !self.is_gap(expected, d.seq).await? {
                tracing::warn!(
                    shard = %self.config.shard,
                    expected,
                    got = d.seq,
                    "messages missing from the delivery; repositioning the consumer"
                );
                return Ok((out, i));
            }
            expected = d.seq + 1;
            out.push(d.clone());
        }
        Ok((out, messages.len()))
    }

    /// Whether the stream really has no message of this shard in `[from, to)`.
    async fn is_gap(&self, from: u64, to: u64) -> Result<bool, ViewError> {
        let province = &self.config.shard.province;
        let stream = self
            .log
            .jetstream()
            .get_stream(dossier_stream(province))
            .await
            .map_err(|e| ViewError::JetStream {
                operation: "stream lookup",
                reason: e.to_string(),
            })?;
        match stream
            .direct_get_next_for_subject(province_filter(province), Some(from))
            .await
        {
            Ok(m) => Ok(m.sequence >= to),
            Err(e) if matches!(e.kind(), DirectGetErrorKind::NotFound) => Ok(true),
            Err(e) => Err(ViewError::JetStream {
                operation: "direct get",
                reason: e.to_string(),
            }),
        }
    }

    /// The durable consumer, reset so that its next message is `checkpoint + 1` (pending and
    /// redelivery state cleared).
    async fn positioned_consumer(&self) -> Result<consumer::Consumer<pull::Config>, ViewError> {
        let province = &self.config.shard.province;
        let mut settings = DurableSettings::projector(self.config.shard.name.clone());
        settings.max_ack_pending = settings
            .max_ack_pending
            .max(2 * self.config.batch_size as i64);
        let consumer = self.log.durable_consumer(province, &settings).await?;
        let next = self.views.checkpoint()? + 1;
        let stream = self
            .log
            .jetstream()
            .get_stream(dossier_stream(province))
            .await
            .map_err(|e| ViewError::JetStream {
                operation: "stream lookup",
                reason: e.to_string(),
            })?;
        match stream.reset_consumer(&settings.name, Some(next)).await {
            Ok(_) => Ok(consumer),
            Err(e) => {
                // Servers before 2.14 have no consumer reset: recreate it at the position.
                tracing::warn!(error = %e, "consumer reset refused; recreating the consumer");
                let _ = stream.delete_consumer(&settings.name).await;
                let config = pull::Config {
                    durable_name: Some(settings.name.clone()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                        start_sequence: next,
                    },
                    max_ack_pending: settings.max_ack_pending,
                    backoff: settings.backoff.clone(),
                    max_deliver: settings.max_deliver,
                    ack_wait: settings.ack_wait,
                    ..Default::default()
                };
                stream
                    .create_consumer(config)
                    .await
                    .map_err(|e| ViewError::JetStream {
                        operation: "consumer create",
                        reason: e.to_string(),
                    })
            }
        }
    }
}

/// [`rebuild`] before a projector follows its stream, reported in `stats` (phase
/// [`Phase::Rebuilding`], progress) and logged.
async fn rebuild_at_start(
    log: &EventLog,
    views: &Views,
    stats: &ProjectorStats,
    shard: &Shard,
) -> Result<Progress, ViewError> {
    stats.set_phase(Phase::Rebuilding);
    let p = rebuild(log, views, |p| {
        stats.rebuilding(p.seq, p.target);
        tracing::info!(
            shard = %shard,
            seq = p.seq,
            target = p.target,
            events_per_sec = p.events_per_sec() as u64,
            "rebuilding"
        );
    })
    .await?;
    stats.set_phase(Phase::Starting);
    Ok(p)
}

/// How often a running projector asks for the stream's last sequence (for the lag gauge).
const STREAM_INFO_EVERY: Duration = Duration::from_secs(1);

/// One `project` span per commit just applied (debug level), joined to the trace of the command
/// that made it: the message's `traceparent` (the envelope's, sent as a header by the append)
/// gives `trace_id`, and its span, the command's, is `parent_span_id`.
fn trace_commits(applied: &[(async_nats::jetstream::Message, Delivery)], checkpoint: u64) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    for (m, d) in applied {
        if d.seq <= checkpoint {
            continue;
        }
        let Some(parent) = m
            .headers
            .as_ref()
            .and_then(|h| h.get(TRACEPARENT))
            .and_then(|v| TraceContext::parse(v.as_str()))
        else {
            continue;
        };
        let own = parent.child();
        let span = tracing::debug_span!(
            "project",
            trace_id = %own.trace_id(),
            span_id = %own.span_id(),
            parent_span_id = %parent.span_id(),
            seq = d.seq,
        );
        span.in_scope(|| tracing::debug!(subject = %d.subject, "commit projected"));
    }
}

/// A consumed message and what `Views::apply` needs of it.
fn delivery(
    m: async_nats::jetstream::Message,
) -> Result<(async_nats::jetstream::Message, Delivery), ViewError> {
    let seq = m
        .info()
        .map_err(|e| ViewError::JetStream {
            operation: "consume",
            reason: e.to_string(),
        })?
        .stream_sequence;
    let d = Delivery {
        seq,
        subject: m.subject.to_string(),
        payload: m.payload.clone(),
    };
    Ok((m, d))
}

/// The checks against the stream: the checkpoint is not beyond the stream's last sequence, and
/// the message at the checkpoint is the one the views applied.
async fn check_against_stream(
    log: &EventLog,
    views: &Views,
    stream_last: u64,
) -> Result<Option<IntegrityProblem>, ViewError> {
    let checkpoint = views.checkpoint()?;
    if checkpoint > stream_last {
        return Ok(Some(IntegrityProblem::CheckpointBeyondStream {
            checkpoint,
            stream_last,
        }));
    }
    let Some(hash) = views.checkpoint_hash()? else {
        return Ok(None);
    };
    if checkpoint == 0 {
        return Ok(None);
    }
    let stream = log
        .jetstream()
        .get_stream(dossier_stream(&views.shard().province))
        .await
        .map_err(|e| ViewError::JetStream {
            operation: "stream lookup",
            reason: e.to_string(),
        })?;
    match stream.direct_get(checkpoint).await {
        Ok(m) => {
            let got: [u8; 32] = Sha256::digest(&m.payload).into();
            Ok((got != hash)
                .then_some(IntegrityProblem::CheckpointMessageChanged { seq: checkpoint }))
        }
        Err(e) if matches!(e.kind(), DirectGetErrorKind::NotFound) => {
            tracing::warn!(
                checkpoint,
                "the message at the checkpoint is gone (archived?); not verified"
            );
            Ok(None)
        }
        Err(e) => Err(ViewError::JetStream {
            operation: "direct get",
            reason: e.to_string(),
        }),
    }
}

/// Messages per batch (one sled transaction) of a rebuild or catch-up. Larger than a live
/// batch: a backlog has no freshness to keep, and a larger batch writes a dossier touched several
/// times, and a counter many dossiers add to, once.
pub const REBUILD_BATCH: usize = 1_000;

/// Empties `views` and rebuilds them from the whole stream (an ordered consumer: the durable
/// consumer of a live projector is not touched), reporting progress after every batch. Returns
/// the final progress.
///
/// Two passes: every message of the stream is put in its dossier's history as stored, unchecked
/// (`Views::stage`: one write per message, as raw as a projector can be); then every dossier is
/// read once, its messages checked in order exactly as the live projector checks them, and its
/// views derived once from what passed (`Views::derive_all`). The views are the same as one
/// batch at a time would make them (the digest tests compare the two), with far fewer writes
/// and no dossier kept in memory between messages. Until the second pass is done the reset
/// marker stays set, so a crash in between is rebuilt again at the next start. Events and dead
/// letters of the progress count from the second pass on (the first pass does not decode).
pub async fn rebuild(
    log: &EventLog,
    views: &Views,
    mut progress: impl FnMut(&Progress),
) -> Result<Progress, ViewError> {
    let v = views.clone();
    blocking(move || {
        v.reset()?;
        // Until the second pass is done the views are not whole: a crash before then is an
        // interrupted reset at the next start, and the views are rebuilt again.
        v.set_resetting(true)
    })
    .await?;
    let started = Instant::now();
    let mut p = replay(log, views, &mut progress, false).await?;
    let staged = p.elapsed;
    let v = views.clone();
    let derived = blocking(move || {
        let d = v.derive_all()?;
        v.set_resetting(false)?;
        Ok(d)
    })
    .await?;
    p.events = derived.events;
    p.dead += derived.dead;
    p.elapsed = started.elapsed();
    progress(&p);
    tracing::info!(
        shard = %views.shard(),
        messages = p.messages,
        dossiers = derived.dossiers,
        dead = p.dead,
        staged_seconds = staged.as_secs_f64(),
        derived_seconds = (p.elapsed - staged).as_secs_f64(),
        "views rebuilt"
    );
    Ok(p)
}

/// Applies everything from the checkpoint to the stream's last sequence (as of the call) through
/// an ordered consumer.
pub async fn catch_up(
    log: &EventLog,
    views: &Views,
    progress: impl FnMut(&Progress),
) -> Result<Progress, ViewError> {
    replay(log, views, progress, true).await
}

/// [`catch_up`] (`derive`), or the first pass of [`rebuild`], which only stages the messages.
async fn replay(
    log: &EventLog,
    views: &Views,
    mut progress: impl FnMut(&Progress),
    derive: bool,
) -> Result<Progress, ViewError> {
    let province = views.shard().province.clone();
    let target = log.last_sequence(&province).await?;
    let started = Instant::now();
    let mut p = Progress {
        seq: views.checkpoint()?,
        target,
        messages: 0,
        events: 0,
        dead: 0,
        elapsed: Duration::ZERO,
    };
    if p.seq >= target {
        progress(&p);
        return Ok(p);
    }
    let err = |e: String| ViewError::JetStream {
        operation: "replay",
        reason: e,
    };
    let consumer = log.replay(&province, Vec::new(), p.seq + 1).await?;
    let mut messages = consumer.messages().await.map_err(|e| err(e.to_string()))?;
    let mut batch = Vec::with_capacity(REBUILD_BATCH);
    // One batch is applied on a blocking thread while the next one is received: batches are
    // still applied one after the other, in order, each after the previous one's checkpoint.
    let mut in_flight: Option<tokio::task::JoinHandle<Result<BatchOutcome, ViewError>>> = None;
    let mut account = |o: BatchOutcome, p: &mut Progress| {
        p.seq = o.checkpoint;
        p.messages += o.commits + o.dead;
        p.events += o.events;
        p.dead += o.dead;
        p.elapsed = started.elapsed();
        progress(p);
    };
    loop {
        let next = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .map_err(|_| err(format!("no message for 30 s before sequence {target}")))?;
        let Some(m) = next else {
            return Err(err("the replay ended early".to_owned()));
        };
        let m = m.map_err(|e| err(e.to_string()))?;
        let seq = m.info().map_err(|e| err(e.to_string()))?.stream_sequence;
        batch.push(Delivery {
            seq,
            subject: m.subject.to_string(),
            payload: m.payload.clone(),
        });
        if batch.len() >= REBUILD_BATCH || seq >= target {
            if let Some(previous) = in_flight.take() {
                account(joined(previous.await)?, &mut p);
            }
            let v = views.clone();
            let deliveries = std::mem::take(&mut batch);
            in_flight = Some(tokio::task::spawn_blocking(move || {
                if derive {
                    v.apply(&deliveries)
                } else {
                    v.stage(&deliveries)
                }
            }));
            if seq >= target {
                if let Some(last) = in_flight.take() {
                    account(joined(last.await)?, &mut p);
                }
                return Ok(p);
            }
        }
    }
}
