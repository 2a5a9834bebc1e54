//! Projection: how fast a projector turns a province's stream into its views, against the raw
//! floor of the same work (SYSTEM.md §8: ≥ 0.7 × raw consume + sled batch apply).
//!
//! For each durability setting: a fresh server, a seeded history ([`crate::seed`]), then rounds
//! of
//! - **motcua**: a [`Projector`] from empty views to the stream's last sequence
//!   ([`Projector::run_until`]) batch by batch, as it follows a live stream (its first fill in
//!   two passes switched off): decode, fold, derive every view, one sled transaction with the
//!   checkpoint and a flush per batch, acks after the commit;
//! - **raw**: a durable pull consumer over the same messages with the projector's batch size and
//!   consumer settings; each batch decoded (to count its events the same way) and written to a
//!   fresh sled database in one transaction with the checkpoint, flushed, then acknowledged
//!   ([`RawStore`]).
//!
//! The figure is the median events/s of the rounds.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use motcua_domain::Reference;
use motcua_domain::units::UnitCode;
use motcua_log::subject::dossier_stream;
use motcua_log::subscribe::DurableSettings;
use motcua_log::{Envelope, EventLog};
use motcua_views::{Delivery, Projector, ProjectorConfig, Shard};
use sha2::{Digest as _, Sha256};
use sled::Transactional;

use crate::history::{count, remove_dir};
use crate::measure::{median, per_sec};
use crate::seed::{SeedConfig, Seeder};
use crate::server::BenchServer;
use crate::{BenchError, Ctx, Report, Row, Target};

/// Events seeded for a full run.
pub const FULL_EVENTS: u64 = 300_000;
/// Events seeded for `--smoke`.
pub const SMOKE_EVENTS: u64 = 5_000;
/// Rounds of each measurement (the median is reported).
pub const ROUNDS: usize = 3;

/// Runs this section.
pub async fn run(ctx: &Ctx, report: &mut Report) -> Result<(), BenchError> {
    let events = if ctx.options.smoke {
        SMOKE_EVENTS
    } else {
        FULL_EVENTS
    };
    let reference = Arc::new(Reference::official());
    for setting in ctx.options.settings() {
        let label = setting.label();
        let server =
            BenchServer::start(&ctx.dir(&format!("projection-{label}-server"))?, setting).await?;
        let url = server.url();
        let mut seeder = Seeder::new(
            &url,
            SeedConfig::province(&ctx.options.province, ctx.options.seed)?,
        )
        .await?;
        let seeded = seeder.grow_to(events).await?;
        let province = seeder.province().clone();
        let log = seeder.log().clone();
        drop(seeder);
        let last = log.last_sequence(&province).await?;
        let batch = ProjectorConfig::new(Shard::province(province.clone()), ".").batch_size;
        tracing::info!(
            setting = label,
            events = seeded.events,
            messages = seeded.messages,
            last,
            "projection: stream seeded"
        );

        let (mut ours, mut raw) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let name = format!("bench-motcua-{round}");
            let dir = ctx.dir(&format!("projection-{label}-{name}"))?;
            let shard = Shard::named(province.clone(), name.clone())?;
            // Empty views over a long stream would be filled in two passes, as a rebuild (the
            // history section measures that): this section measures batch by batch.
            let mut config = ProjectorConfig::new(shard, &dir);
            config.fill_in_two_passes_from = None;
            let projector = Projector::start(log.clone(), reference.clone(), config).await?;
            let started = Instant::now();
            projector.run_until(last).await?;
            let elapsed = started.elapsed();
            let applied = projector.stats().events.load(Ordering::Relaxed);
            let dead = projector.stats().dead.load(Ordering::Relaxed);
            drop(projector);
            delete_consumer(&log, &province, &name).await;
            // Views of 300 k events take a gigabyte or more: keep one round's at a time.
            remove_dir(&dir);
            check_events("projector", applied, dead, seeded.events)?;
            ours.push(per_sec(applied, elapsed));

            let name = format!("bench-raw-{round}");
            let dir = ctx.dir(&format!("projection-{label}-{name}"))?;
            let (elapsed, counted) = raw_consume(&log, &province, &name, &dir, batch, last).await?;
            delete_consumer(&log, &province, &name).await;
            remove_dir(&dir);
            check_events("raw consumer", counted.events, 0, seeded.events)?;
            raw.push(per_sec(counted.events, elapsed));
        }
        report.push(
            Row::new(
                "projection",
                "projector, events/s",
                label,
                median(ours),
                "events/s",
            )
            .raw(median(raw))
            .target(Target::RatioAtLeast(0.7))
            .note(format!(
                "{} events in {} messages of {} dossiers (seeded at {:.0} events/s); batches of \
                 {batch}; median of {ROUNDS} rounds; raw: durable pull consumer, envelope \
                 decoded, payloads by dossier + checkpoint in one sled transaction, flushed, \
                 then acked",
                count(seeded.events),
                count(seeded.messages),
                count(seeded.dossiers),
                seeded.events_per_sec(),
            )),
        );
    }
    Ok(())
}

/// Fails when a consumer did not apply every seeded event (dead letters would make the figure
/// a measure of something else).
fn check_events(who: &str, applied: u64, dead: u64, seeded: u64) -> Result<(), BenchError> {
    if applied == seeded && dead == 0 {
        Ok(())
    } else {
        Err(BenchError::Failed(format!(
            "the {who} applied {applied} events of {seeded} ({dead} dead letters)"
        )))
    }
}

/// Removes a benchmark's durable consumer so that idle consumers do not load the server in the
/// next rounds (best effort: a leftover only costs a little).
async fn delete_consumer(log: &EventLog, province: &UnitCode, name: &str) {
    if let Ok(stream) = log.jetstream().get_stream(dossier_stream(province)).await
        && let Err(e) = stream.delete_consumer(name).await
    {
        tracing::debug!(consumer = name, error = %e, "benchmark consumer not deleted");
    }
}

/// Messages and events a raw store applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Messages written.
    pub messages: u64,
    /// Events in them.
    pub events: u64,
    /// The checkpoint after the batch.
    pub checkpoint: u64,
}

/// The raw baseline's store: every message's payload under its dossier (subject ‖ sequence), and
/// the checkpoint, in a sled database of its own.
#[derive(Debug, Clone)]
pub struct RawStore {
    db: sled::Db,
    messages: sled::Tree,
    meta: sled::Tree,
}

impl RawStore {
    /// Opens (or creates) a raw store at `path`.
    pub fn open(path: &Path) -> Result<RawStore, BenchError> {
        let db = motcua_views::sled_config(path).open()?;
        Ok(RawStore {
            messages: db.open_tree("messages")?,
            meta: db.open_tree("meta")?,
            db,
        })
    }

    /// Applies a batch as the projector's store does: one sled transaction holding the writes and
    /// the checkpoint (the last sequence and the SHA-256 of its message), then a flush. Each
    /// envelope is decoded, as a projector must to apply it, which also counts its events the
    /// way the projector counts them. Blocking.
    pub fn apply(&self, batch: &[Delivery]) -> Result<Applied, BenchError> {
        let Some(last) = batch.last() else {
            return Ok(Applied::default());
        };
        let mut out = Applied::default();
        let mut writes = sled::Batch::default();
        for d in batch {
            let envelope = Envelope::decode(&d.payload).map_err(|e| {
                BenchError::Failed(format!("message {} does not decode: {e}", d.seq))
            })?;
            out.events += envelope.type_names().len() as u64;
            out.messages += 1;
            let mut key = Vec::with_capacity(d.subject.len() + 9);
            key.extend_from_slice(d.subject.as_bytes());
            key.push(0);
            key.extend_from_slice(&d.seq.to_be_bytes());
            writes.insert(key, d.payload.as_ref());
        }
        let mut meta = sled::Batch::default();
        meta.insert(b"checkpoint".as_slice(), &last.seq.to_be_bytes());
        let hash: [u8; 32] = Sha256::digest(&last.payload).into();
        meta.insert(b"checkpoint_hash".as_slice(), &hash);
        (&self.messages, &self.meta)
            .transaction(|(m, t)| {
                m.apply_batch(&writes)?;
                t.apply_batch(&meta)?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => BenchError::Sled(e),
                sled::transaction::TransactionError::Abort(()) => {
                    BenchError::Failed("raw transaction aborted".to_owned())
                }
            })?;
        self.db.flush()?;
        out.checkpoint = last.seq;
        Ok(out)
    }

    /// Applies a batch on a blocking thread.
    pub async fn apply_blocking(&self, batch: Vec<Delivery>) -> Result<Applied, BenchError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.apply(&batch))
            .await
            .map_err(|e| BenchError::Failed(format!("raw apply task: {e}")))?
    }
}

/// The raw baseline of live projection: a durable pull consumer with the projector's settings,
/// batches of `batch` gathered as the projector gathers them, applied to a [`RawStore`] at `dir`
/// and acknowledged after the commit, until `last`. Returns the time from creating the consumer
/// to the last commit, and what was applied.
pub async fn raw_consume(
    log: &EventLog,
    province: &UnitCode,
    name: &str,
    dir: &Path,
    batch: usize,
    last: u64,
) -> Result<(Duration, Applied), BenchError> {
    let store = RawStore::open(dir)?;
    let started = Instant::now();
    let mut settings = DurableSettings::projector(name);
    settings.max_ack_pending = settings.max_ack_pending.max(2 * batch as i64);
    let consumer = log.durable_consumer(province, &settings).await?;
    let failed = |e: String| BenchError::Failed(format!("raw consumer: {e}"));
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(batch)
        .messages()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut total = Applied::default();
    while total.checkpoint < last {
        let first = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .map_err(|_| failed(format!("no message for 30 s before sequence {last}")))?
            .ok_or_else(|| failed("the consumer ended".to_owned()))?
            .map_err(|e| failed(e.to_string()))?;
        let mut got = vec![first];
        while got.len() < batch {
            match messages.next().now_or_never() {
                Some(Some(m)) => got.push(m.map_err(|e| failed(e.to_string()))?),
                Some(None) | None => break,
            }
        }
        let mut deliveries = Vec::with_capacity(got.len());
        for m in &got {
            let seq = m.info().map_err(|e| failed(e.to_string()))?.stream_sequence;
            deliveries.push(Delivery {
                seq,
                subject: m.subject.to_string(),
                payload: m.payload.clone(),
            });
        }
        let applied = store.apply_blocking(deliveries).await?;
        total.messages += applied.messages;
        total.events += applied.events;
        total.checkpoint = applied.checkpoint;
        for m in &got {
            if let Err(e) = m.ack().await {
                tracing::debug!(error = %e, "raw consumer ack not sent");
            }
        }
    }
    Ok((started.elapsed(), total))
}

/// The raw baseline of a rebuild: an ordered consumer replaying the whole stream (as
/// `motcua_views::rebuild` does) in batches of `batch`, applied to `store`.
pub async fn raw_replay(
    log: &EventLog,
    province: &UnitCode,
    store: &RawStore,
    batch: usize,
) -> Result<Applied, BenchError> {
    let target = log.last_sequence(province).await?;
    let mut total = Applied::default();
    if target == 0 {
        return Ok(total);
    }
    let failed = |e: String| BenchError::Failed(format!("raw replay: {e}"));
    let consumer = log.replay(province, Vec::new(), 1).await?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut pending = Vec::with_capacity(batch);
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .map_err(|_| failed(format!("no message for 30 s before sequence {target}")))?
            .ok_or_else(|| failed("the replay ended early".to_owned()))?
            .map_err(|e| failed(e.to_string()))?;
        let seq = m.info().map_err(|e| failed(e.to_string()))?.stream_sequence;
        pending.push(Delivery {
            seq,
            subject: m.subject.to_string(),
            payload: m.payload.clone(),
        });
        if pending.len() >= batch || seq >= target {
            let applied = store
                .apply_blocking(std::mem::replace(&mut pending, Vec::with_capacity(batch)))
                .await?;
            total.messages += applied.messages;
            total.events += applied.events;
            total.checkpoint = applied.checkpoint;
            if seq >= target {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use bytes::Bytes;
    use motcua_domain::dossier::{Actor, Event, EventBody};
    use motcua_log::{CommitMeta, DossierKey};

    fn delivery(seq: u64, key: &DossierKey, n_events: usize) -> Delivery {
        let command_id = uuid::Uuid::now_v7();
        let at = jiff::Timestamp::from_second(1_764_000_000).unwrap();
        let events: Vec<Event> = (0..n_events)
            .map(|i| Event {
                at,
                actor: Actor::applicant("vneid.0000000001"),
                command_id,
                body: EventBody::Assigned {
                    officer: format!("cb.xuly.{i:03}"),
                },
            })
            .collect();
        let envelope =
            Envelope::for_commit(key, None, None, &events, &CommitMeta::default(), "").unwrap();
        Delivery {
            seq,
            subject: key.subject(),
            payload: Bytes::from(envelope.encode()),
        }
    }

    #[test]
    fn raw_store_counts_events_and_keeps_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let store = RawStore::open(dir.path()).unwrap();
        let key = DossierKey::generate("79".parse().unwrap()).unwrap();
        let applied = store
            .apply(&[delivery(1, &key, 1), delivery(2, &key, 3)])
            .unwrap();
        assert_eq!(
            applied,
            Applied {
                messages: 2,
                events: 4,
                checkpoint: 2
            }
        );
        let cp = store.meta.get(b"checkpoint").unwrap().unwrap();
        assert_eq!(cp.as_ref(), &2u64.to_be_bytes());
        assert_eq!(store.messages.len(), 2);
        let bad = Delivery {
            seq: 3,
            subject: key.subject(),
            payload: Bytes::from_static(b"{}"),
        };
        assert!(
            store.apply(&[bad]).is_err(),
            "an undecodable message is an error"
        );
        assert!(store.apply(&[]).unwrap() == Applied::default());
    }
}
