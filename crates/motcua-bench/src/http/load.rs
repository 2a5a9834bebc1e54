//! The load generator of the HTTP section: dossier lives as HTTP requests, sent closed-loop by
//! N keep-alive clients (the maximum throughput) or open-loop at a fixed rate (latency timed from
//! each request's intended send time, so a slow answer never delays the clock that measures the
//! next one: no coordinated omission).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use motcua_api::commands::{CREATING, IDEMPOTENCY_KEY, dossier_id};
use motcua_log::DossierKey;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::up::Accounts;
use crate::BenchError;
use crate::ingest::workload::{Workload, live_command};
use crate::measure::{Latencies, per_sec};

/// One request, built before any clock runs.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    url: String,
    bearer: HeaderValue,
    idempotency_key: HeaderValue,
    body: Bytes,
}

/// A dossier's life as requests: the creating one first.
pub(crate) type Walk = Vec<Step>;

/// The lives of `workload` as requests to `base`, each command with the token of its actor and
/// its command id as `Idempotency-Key` (as a desk client that may retry sends it).
pub(crate) fn requests(
    workload: &Workload,
    accounts: &Accounts,
    base: &str,
) -> Result<Vec<Walk>, BenchError> {
    let mut out = Vec::with_capacity(workload.walks.len());
    for walk in &workload.walks {
        let Some(first) = walk.steps.first() else {
            continue;
        };
        // The key the API gives a dossier created with this command id.
        let key = DossierKey::new(walk.key.province().clone(), dossier_id(first.command.id))
            .map_err(|e| BenchError::Failed(format!("dossier key: {e}")))?;
        let mut steps = Vec::with_capacity(walk.steps.len());
        for step in &walk.steps {
            let command = live_command(step);
            let name = command.body.name();
            let url = if CREATING.contains(&name) && steps.is_empty() {
                format!("{base}/v1/dossiers")
            } else {
                format!("{base}/v1/dossiers/{key}/{name}")
            };
            let bearer = accounts.bearer(&command.actor.id).cloned().ok_or_else(|| {
                BenchError::Failed(format!("no account for the officer {}", command.actor.id))
            })?;
            let body = serde_json::to_vec(&command.body)
                .map_err(|e| BenchError::Failed(format!("encoding a command: {e}")))?;
            let idempotency_key = HeaderValue::from_str(&command.id.to_string())
                .map_err(|e| BenchError::Failed(format!("idempotency key: {e}")))?;
            steps.push(Step {
                url,
                bearer,
                idempotency_key,
                body: Bytes::from(body),
            });
        }
        out.push(steps);
    }
    Ok(out)
}

/// What a load did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// 2xx answers.
    pub ok: u64,
    /// Every other answer or failure, by status and problem code (e.g. `409 contended`).
    pub refused: BTreeMap<String, u64>,
    /// Latency of every answered request (2xx or not).
    pub latencies: Latencies,
    /// Requests sent.
    pub sent: u64,
    /// Lives started.
    pub dossiers: u64,
    /// The lives ran out before the time did.
    pub exhausted: bool,
    /// From the first send to the last answer.
    pub elapsed: Duration,
}

impl Outcome {
    fn add(&mut self, answer: &Answer, latency: Duration) {
        self.sent += 1;
        self.latencies.record(latency);
        match answer {
            Answer::Ok => self.ok += 1,
            Answer::Refused(what) => *self.refused.entry(what.clone()).or_default() += 1,
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.ok += other.ok;
        self.sent += other.sent;
        self.dossiers += other.dossiers;
        self.exhausted |= other.exhausted;
        self.latencies.merge(&other.latencies);
        for (k, v) in other.refused {
            *self.refused.entry(k).or_default() += v;
        }
    }

    /// 2xx answers per second.
    pub fn rate(&self) -> f64 {
        per_sec(self.ok, self.elapsed)
    }

    /// Requests that did not get a 2xx.
    pub fn errors(&self) -> u64 {
        self.refused.values().sum()
    }

    /// The refusals, for a note: `**3 non-2xx: 409 contended ×2, 503 log_unavailable ×1**`.
    pub fn errors_note(&self) -> Option<String> {
        let n = self.errors();
        (n > 0).then(|| {
            let each: Vec<String> = self
                .refused
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect();
            format!("**{n} non-2xx: {}**", each.join(", "))
        })
    }
}

/// How a request ended.
#[derive(Debug, Clone)]
enum Answer {
    Ok,
    Refused(String),
}

#[derive(Debug, Deserialize)]
struct Problem {
    #[serde(default)]
    code: Option<String>,
}

async fn send(client: &reqwest::Client, step: &Step) -> Answer {
    let response = client
        .post(&step.url)
        .header(AUTHORIZATION, step.bearer.clone())
        .header(CONTENT_TYPE, "application/json")
        .header(IDEMPOTENCY_KEY, step.idempotency_key.clone())
        .body(step.body.clone())
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(e) => return Answer::Refused(transport_error(&e)),
    };
    let status = response.status();
    // Read the whole body, so that the connection goes back to the pool for the next request.
    let body = response.bytes().await;
    if status.is_success() && body.is_ok() {
        return Answer::Ok;
    }
    let code = body
        .ok()
        .and_then(|b| serde_json::from_slice::<Problem>(&b).ok())
        .and_then(|p| p.code)
        .unwrap_or_default();
    Answer::Refused(format!("{} {code}", status.as_u16()).trim().to_owned())
}

fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_owned()
    } else if e.is_connect() {
        "connection refused".to_owned()
    } else {
        "transport error".to_owned()
    }
}

/// `clients` clients, each sending one request at a time along whole lives, for `duration`
/// (lives under way are finished after it).
pub(crate) async fn closed_loop(
    client: &reqwest::Client,
    walks: Arc<Vec<Walk>>,
    clients: usize,
    duration: Duration,
) -> Result<Outcome, BenchError> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for _ in 0..clients {
        let (client, walks, next) = (client.clone(), walks.clone(), next.clone());
        set.spawn(async move {
            let mut out = Outcome::default();
            while Instant::now() < deadline {
                let Some(walk) = walks.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    out.exhausted = true;
                    break;
                };
                out.dossiers += 1;
                for step in walk {
                    let sent = Instant::now();
                    let answer = send(&client, step).await;
                    out.add(&answer, sent.elapsed());
                    if matches!(answer, Answer::Refused(_)) {
                        // The rest of this life depends on the refused step.
                        break;
                    }
                }
            }
            out
        });
    }
    let mut total = Outcome::default();
    while let Some(done) = set.join_next().await {
        total.merge(done.map_err(|e| BenchError::Failed(format!("an HTTP client failed: {e}")))?);
    }
    total.elapsed = start.elapsed();
    Ok(total)
}

/// `rate` requests a second for `duration`, each sent at its intended time whatever happened to
/// the earlier ones (at most `max_in_flight` at once; waiting for a slot counts in the latency).
/// Each request is the next step of a life whose previous step was answered, or the first step
/// of a new life when none is waiting.
pub(crate) async fn open_loop(
    client: &reqwest::Client,
    walks: Arc<Vec<Walk>>,
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
) -> Result<Outcome, BenchError> {
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let slots = Arc::new(Semaphore::new(max_in_flight));
    // Lives whose next step may go: (life, step).
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<(usize, usize)>();
    let mut fresh = 0usize;
    let mut out = Outcome::default();
    let mut set: JoinSet<(Answer, Duration)> = JoinSet::new();
    let start = Instant::now() + Duration::from_millis(10);
    for i in 0..total {
        let intended = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(intended.into()).await;
        while let Some(done) = set.try_join_next() {
            let (answer, latency) = done.map_err(|e| BenchError::Failed(e.to_string()))?;
            out.add(&answer, latency);
        }
        let (life, step) = match ready_rx.try_recv() {
            Ok(next) => next,
            Err(_) if fresh < walks.len() => {
                fresh += 1;
                out.dossiers += 1;
                (fresh - 1, 0)
            }
            Err(_) => {
                // Every life is started and none is ready: wait for an answer that makes one
                // ready (the delay counts in the latency, which is timed from `intended`).
                out.exhausted = true;
                let next = loop {
                    if let Ok(next) = ready_rx.try_recv() {
                        break Some(next);
                    }
                    match set.join_next().await {
                        Some(done) => {
                            let (answer, latency) =
                                done.map_err(|e| BenchError::Failed(e.to_string()))?;
                            out.add(&answer, latency);
                        }
                        None => break None,
                    }
                };
                match next {
                    Some(next) => next,
                    None => break,
                }
            }
        };
        let (client, walks, slots, ready) = (
            client.clone(),
            walks.clone(),
            slots.clone(),
            ready_tx.clone(),
        );
        set.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let answer = match walks.get(life).and_then(|w| w.get(step)) {
                Some(s) => send(&client, s).await,
                None => Answer::Refused("no such step".to_owned()),
            };
            let latency = intended.elapsed();
            if matches!(answer, Answer::Ok) && walks.get(life).is_some_and(|w| step + 1 < w.len()) {
                let _ = ready.send((life, step + 1));
            }
            (answer, latency)
        });
    }
    while let Some(done) = set.join_next().await {
        let (answer, latency) = done.map_err(|e| BenchError::Failed(e.to_string()))?;
        out.add(&answer, latency);
    }
    out.elapsed = start.elapsed();
    Ok(out)
}
