//! The raw baseline of the ingest and HTTP sections: the exact messages motcua stored, read back
//! and republished to a fresh stream of the same configuration on the same server with
//! JetStream async publish, pipelined, with the same headers (`Nats-Msg-Id`, and
//! `Nats-Expected-Last-Subject-Sequence` pointing at the dossier's previous message in the new
//! stream).
//!
//! The order keeps the optimistic-concurrency check honest: rounds of every dossier's first
//! message, then every second one, and so on, and a dossier's message is sent only once the
//! ack of its previous one is in (its sequence is the expected one). Everything else is in
//! flight together, up to [`WINDOW`] acks.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::header::{NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, NATS_MESSAGE_ID};
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, stream};
use async_nats::{HeaderValue, Subject};
use bytes::Bytes;
use futures::StreamExt as _;
use motcua_domain::units::UnitCode;
use motcua_log::EventLog;
use motcua_log::subject::dossier_stream;

use crate::BenchError;
use crate::measure::per_sec;

/// Acks in flight at most (the depth the event log's own benchmark uses).
pub(crate) const WINDOW: usize = 512;

/// How long reading back may wait for the next message before giving up.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One stored message, as read back.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    subject: Subject,
    headers: HeaderMap,
    payload: Bytes,
}

/// What one raw republish did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRun {
    /// Messages published and acknowledged.
    pub messages: u64,
    /// From the first publish to the last ack.
    pub elapsed: Duration,
}

impl RawRun {
    /// Messages per second.
    pub fn rate(&self) -> f64 {
        per_sec(self.messages, self.elapsed)
    }
}

/// A NATS failure as a benchmark error.
pub(crate) fn nats_error(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(format!("{what}: {e}"))
}

/// Deletes the stream named like `config` if it exists and creates it empty.
pub(crate) async fn fresh_stream(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<(), BenchError> {
    if js.get_stream(&config.name).await.is_ok() {
        js.delete_stream(&config.name)
            .await
            .map_err(|e| nats_error("deleting a stream", e))?;
    }
    js.create_stream(config)
        .await
        .map_err(|e| nats_error("creating a stream", e))?;
    Ok(())
}

/// Every message of a province's dossier stream, in stream order.
pub(crate) async fn read_back(
    log: &EventLog,
    province: &UnitCode,
) -> Result<Vec<Stored>, BenchError> {
    let name = dossier_stream(province);
    let mut stream = log
        .jetstream()
        .get_stream(&name)
        .await
        .map_err(|e| nats_error("reading back the stream", e))?;
    let total = stream
        .info()
        .await
        .map_err(|e| nats_error("stream info", e))?
        .state
        .messages;
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    if total == 0 {
        return Ok(out);
    }
    let mut messages = log
        .replay(province, Vec::new(), 1)
        .await?
        .messages()
        .await
        .map_err(|e| nats_error("reading back the stream", e))?;
    while (out.len() as u64) < total {
        let message = tokio::time::timeout(READ_TIMEOUT, messages.next())
            .await
            .map_err(|_| {
                BenchError::Failed(format!(
                    "reading back {name}: nothing for {READ_TIMEOUT:?} after {} of {total}",
                    out.len()
                ))
            })?
            .ok_or_else(|| BenchError::Failed(format!("reading back {name}: the stream ended")))?
            .map_err(|e| nats_error("reading back the stream", e))?;
        let (message, _) = message.split();
        let headers = message.headers.unwrap_or_default();
        if headers.get(NATS_MESSAGE_ID).is_none() {
            return Err(BenchError::Failed(format!(
                "a message of {name} has no Nats-Msg-Id: motcua should send one with every commit"
            )));
        }
        out.push(Stored {
            subject: message.subject,
            headers,
            payload: message.payload,
        });
    }
    Ok(out)
}

/// Reads back a province's stream as motcua left it, replaces it by a fresh stream of the same
/// configuration and republishes the same messages raw. The stream then holds the raw copy.
pub(crate) async fn republish(log: &EventLog, province: &UnitCode) -> Result<RawRun, BenchError> {
    let messages = read_back(log, province).await?;
    fresh_stream(log.jetstream(), log.dossier_stream_config(province)).await?;
    publish(log.jetstream(), &messages).await
}

/// Publishes `messages` to the (fresh) stream that takes their subjects, in rounds per dossier
/// subject, pipelined; fails on any negative or duplicate ack.
pub(crate) async fn publish(
    js: &jetstream::Context,
    messages: &[Stored],
) -> Result<RawRun, BenchError> {
    let order = rounds(messages);
    // Per subject: the sequence of its last acknowledged message, and whether one is in flight.
    let subject_count = order.iter().map(|&(s, _)| s + 1).max().unwrap_or(0);
    let mut last_seq = vec![0u64; subject_count];
    let mut pending = vec![false; subject_count];
    let mut in_flight: VecDeque<(usize, PublishAckFuture)> = VecDeque::with_capacity(WINDOW);

    async fn settle(
        in_flight: &mut VecDeque<(usize, PublishAckFuture)>,
        last_seq: &mut [u64],
        pending: &mut [bool],
    ) -> Result<(), BenchError> {
        if let Some((subject, ack)) = in_flight.pop_front() {
            let ack = ack.await.map_err(|e| nats_error("raw publish ack", e))?;
            if ack.duplicate {
                return Err(BenchError::Failed(
                    "raw publish: a message was taken for a duplicate".to_owned(),
                ));
            }
            last_seq[subject] = ack.sequence;
            pending[subject] = false;
        }
        Ok(())
    }

    let start = Instant::now();
    for &(subject, index) in &order {
        // The dossier's previous message must be stored (and its sequence known) first.
        while pending[subject] || in_flight.len() >= WINDOW {
            settle(&mut in_flight, &mut last_seq, &mut pending).await?;
        }
        let stored = &messages[index];
        let mut headers = stored.headers.clone();
        headers.insert(
            NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
            HeaderValue::from(last_seq[subject]),
        );
        let message = PublishMessage::build()
            .payload(stored.payload.clone())
            .headers(headers);
        let ack = js
            .send_publish(stored.subject.clone(), message)
            .await
            .map_err(|e| nats_error("raw publish", e))?;
        pending[subject] = true;
        in_flight.push_back((subject, ack));
    }
    while !in_flight.is_empty() {
        settle(&mut in_flight, &mut last_seq, &mut pending).await?;
    }
    Ok(RawRun {
        messages: order.len() as u64,
        elapsed: start.elapsed(),
    })
}

/// The publishing order: (subject number, message index), every subject's first message in
/// order of first appearance, then every second message, and so on.
fn rounds(messages: &[Stored]) -> Vec<(usize, usize)> {
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut per_subject: Vec<Vec<usize>> = Vec::new();
    for (index, m) in messages.iter().enumerate() {
        let next = numbers.len();
        let n = *numbers.entry(m.subject.as_str()).or_insert(next);
        if n == per_subject.len() {
            per_subject.push(Vec::new());
        }
        per_subject[n].push(index);
    }
    let depth = per_subject.iter().map(Vec::len).max().unwrap_or(0);
    let mut order = Vec::with_capacity(messages.len());
    for round in 0..depth {
        for (n, indices) in per_subject.iter().enumerate() {
            if let Some(&index) = indices.get(round) {
                order.push((n, index));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(subject: &str) -> Stored {
        Stored {
            subject: Subject::from(subject),
            headers: HeaderMap::new(),
            payload: Bytes::new(),
        }
    }

    #[test]
    fn rounds_put_every_dossier_before_its_next_message() {
        let messages: Vec<Stored> = ["a", "b", "a", "c", "a", "b"]
            .into_iter()
            .map(stored)
            .collect();
        // a → 0, b → 1, c → 2; round 1: a0 b1 c3; round 2: a2 b5; round 3: a4.
        assert_eq!(
            rounds(&messages),
            vec![(0, 0), (1, 1), (2, 3), (0, 2), (1, 5), (0, 4)]
        );
    }
}
