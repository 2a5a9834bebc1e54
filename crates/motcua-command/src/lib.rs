//! The command service: the write side of motcua.
//!
//! For each command it takes the dossier from an in-memory cache of recently commanded dossiers
//! (decoded history and folded state; module `cache`) or reads it from the stream on a miss, runs
//! the domain's `decide`, appends the resulting commit with the dossier's last subject sequence as
//! the optimistic-concurrency check and the command id as the deduplication key, and on a
//! conflict reads the dossier from the stream and decides again, a bounded number of times.
//! Nothing is written to disk but the stream (ADR 0005).
//!
//! Architecture invariant: the cache is only a cache. Every entry can be rebuilt from the stream,
//! a stale entry is detected by the append's sequence check, and losing the cache (a restart)
//! loses nothing. A command retried with the same id gets the same answer as the first time.

mod cache;
pub mod import;
pub mod nats;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use motcua_domain::Reference;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Command, CommandBody, DomainError, Dossier, Event, Status, decide};
use motcua_domain::units::{AgencyId, UnitCode};
use motcua_log::trace::TraceContext;
use motcua_log::{AppendError, CommitMeta, DossierKey, Envelope, EventLog, LogError};
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;
use uuid::Uuid;

use crate::cache::{CachedCommit, DossierCache, History};

/// How many times a command is decided again after a conflict or a lost ack.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// Why a command did not produce a commit.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The rules refuse it.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Other commands kept winning the race for this dossier.
    #[error("the dossier kept changing; gave up after {attempts} attempts")]
    Contended {
        /// Attempts made.
        attempts: u32,
    },
    /// The dossier does not exist (a command other than a first one on an empty history).
    #[error("no dossier {0}")]
    NotFound(String),
    /// The dossier key's province is not the receiving office's province.
    #[error(
        "dossier {key} belongs to province {key_province}, but {agency} is in province {agency_province}"
    )]
    WrongProvince {
        /// The key.
        key: String,
        /// Its province.
        key_province: String,
        /// The receiving office.
        agency: String,
        /// The office's province.
        agency_province: String,
    },
    /// The event log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The log did not answer in time, several times.
    #[error("the event log did not acknowledge the commit: {0}")]
    Unavailable(String),
    /// The commit is too large.
    #[error("the commit is too large ({0} bytes)")]
    TooLarge(usize),
    /// The command id was used before for a different request (another body, actor or
    /// dossier state): a retry must repeat the request exactly, a new request needs a new id.
    #[error("command id {0} was used before for a different request; send it with a new id")]
    CommandIdReused(Uuid),
}

impl CommandError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::Domain(e) => e.code(),
            CommandError::Contended { .. } => "contended",
            CommandError::NotFound(_) => "dossier_not_found",
            CommandError::WrongProvince { .. } => "wrong_province",
            CommandError::Log(_) => "log_error",
            CommandError::Unavailable(_) => "log_unavailable",
            CommandError::TooLarge(_) => "too_large",
            // The HTTP door's name for a command id is Idempotency-Key; one code for both doors.
            CommandError::CommandIdReused(_) => "idempotency_key_reused",
        }
    }
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The dossier.
    pub key: DossierKey,
    /// The commit's stream sequence.
    pub stream_seq: u64,
    /// The events committed.
    pub events: Vec<Event>,
    /// The dossier code, once it has one.
    pub code: Option<DossierCode>,
    /// National status after the commit.
    pub status_code: Option<u8>,
}

/// The write side: decides commands and appends their commits.
///
/// Clones share one cache, so a node should make one service and clone it; two services (two
/// nodes, or two in one process) each keep their own and stay correct through the append's
/// sequence check.
#[derive(Debug, Clone)]
pub struct CommandService {
    log: EventLog,
    cache: Arc<DossierCache>,
    reference: Arc<Reference>,
    max_attempts: u32,
}

impl CommandService {
    /// How many dossiers the write side keeps decoded in memory by default.
    ///
    /// An entry of a whole 9-command life with a full applicant holds ~6.3 KB of heap
    /// (measured), so a full cache is ~50 MiB, beside the views' own cache in the same process.
    /// A miss costs one stream read, which matters only under a burst of commands; a burst
    /// works on far fewer dossiers at once than this (the ingest benchmark: 256 at a time), and
    /// at a big province's pace (~14,000 receipts a day) this still holds the last hours' work.
    pub const DEFAULT_CACHE_CAPACITY: usize = 8_192;

    /// A service over `log`, with an empty cache of [`Self::DEFAULT_CACHE_CAPACITY`] dossiers.
    pub fn new(log: EventLog, reference: Arc<Reference>) -> CommandService {
        CommandService {
            log,
            cache: Arc::new(DossierCache::new(Self::DEFAULT_CACHE_CAPACITY)),
            reference,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Sets how many dossiers the cache holds (0: none, every command reads the stream); the
    /// cache starts empty.
    pub fn with_cache_capacity(mut self, dossiers: usize) -> CommandService {
        self.cache = Arc::new(DossierCache::new(dossiers));
        self
    }

    /// Dossiers in the cache now.
    pub fn cached_dossiers(&self) -> usize {
        self.cache.len()
    }

    /// Sets how many times a command is tried before giving up on a contended dossier.
    pub fn with_max_attempts(mut self, attempts: u32) -> CommandService {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The reference data.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The event log.
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// The province whose stream holds the dossiers an office receives.
    pub fn province_of(&self, agency: &AgencyId) -> Result<UnitCode, CommandError> {
        let (graph, unit) = self
            .reference
            .agencies
            .unit_of(agency)
            .ok_or_else(|| DomainError::UnknownAgency(agency.to_string()))?;
        let province = graph
            .province_of(&unit.code)
            .ok_or_else(|| DomainError::UnknownAgency(agency.to_string()))?;
        Ok(province.code.clone())
    }

    /// A fresh key for a dossier an office receives (or a portal routes to it).
    pub fn new_key(&self, receiving: &AgencyId) -> Result<DossierKey, CommandError> {
        let province = self.province_of(receiving)?;
        DossierKey::generate(province).map_err(|e| CommandError::NotFound(e.to_string()))
    }

    /// The current state of a dossier, read from the stream (and kept in the cache).
    pub async fn load(&self, key: &DossierKey) -> Result<Dossier, CommandError> {
        let history = self.read(key).await?;
        let state = history.state.clone();
        self.keep(key, history);
        Ok(state)
    }

    /// Handles one command at `now`.
    ///
    /// A `receive` without a code gets the next code of the receiving office for the day,
    /// allocated only once the command is known to be valid, so refusals burn no number.
    ///
    /// Tracing: `meta.traceparent` names the command's span (the edges make it a child of the
    /// caller's); without a valid one a new trace starts. It goes into the envelope, and the
    /// work runs in a `command` span with its `trace_id` and `span_id`, which a projector
    /// applying the commit names as its parent.
    pub async fn handle(
        &self,
        key: &DossierKey,
        command: Command,
        mut meta: CommitMeta,
        now: Timestamp,
    ) -> Result<Outcome, CommandError> {
        let trace = meta
            .traceparent
            .as_deref()
            .and_then(TraceContext::parse)
            .unwrap_or_else(TraceContext::new_root);
        meta.traceparent = Some(trace.to_string());
        let span = tracing::info_span!(
            "command",
            trace_id = %trace.trace_id(),
            span_id = %trace.span_id(),
            dossier = %key,
            command = command.body.name(),
        );
        self.handle_traced(key, command, meta, now)
            .instrument(span)
            .await
    }

    async fn handle_traced(
        &self,
        key: &DossierKey,
        command: Command,
        meta: CommitMeta,
        now: Timestamp,
    ) -> Result<Outcome, CommandError> {
        let ctx = self.reference.context();
        let mut command = command;
        // Taken out of the cache: while this command works on it, a concurrent one on the same
        // dossier reads the stream instead of sharing it. Put back only where it is whole; a
        // command whose future is dropped midway leaves a miss, never a half-updated entry.
        let (mut current, mut reloaded) = match self.cache.take(key) {
            Some(history) => (Some(history), false),
            // Just read: a refusal on it needs no second read (only the leader check below).
            None => (Some(self.read(key).await?), true),
        };
        for attempt in 1..=self.max_attempts {
            let history = match current.take() {
                Some(history) => history,
                // Only after an unacknowledged append whose reload failed too.
                None => match self.read(key).await {
                    Ok(history) => {
                        reloaded = true;
                        history
                    }
                    Err(e) if attempt == self.max_attempts => return Err(e),
                    Err(e) => {
                        tracing::warn!(dossier = %key, attempt, error = %e, "cannot read the dossier; retrying");
                        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                        continue;
                    }
                },
            };
            if let Some(done) = history.outcome_of(key, command.id) {
                let same = history.repeats_stored(&command, &ctx);
                self.keep(key, history);
                return if same {
                    Ok(done)
                } else {
                    Err(CommandError::CommandIdReused(command.id))
                };
            }
            if history.state.version == 0 {
                // An empty history: nothing worth keeping if this fails.
                self.check_new_dossier_province(key, &command)?;
            }
            let events = match self
                .decide_with_code(&history.state, &mut command, now, &ctx)
                .await
            {
                Ok(events) => events,
                Err(CommandError::Domain(e)) if !reloaded => {
                    // A refusal on cached state may be stale: decide once more on the stream.
                    tracing::debug!(dossier = %key, code = e.code(), "refused on cached state; reloading");
                    current = Some(self.read(key).await?);
                    reloaded = true;
                    continue;
                }
                Err(CommandError::Domain(e)) => {
                    if self.log.last_seq_at_leader(key).await? > history.last_seq {
                        // The stream was read from a replica that is behind its leader (just
                        // after a leader change): a refusal on that copy is not an answer.
                        tracing::debug!(dossier = %key, code = e.code(), attempt, "refused on a lagging replica's copy; reloading");
                        tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                        current = Some(self.read(key).await?);
                        continue;
                    }
                    self.keep(key, history);
                    return Err(CommandError::Domain(e));
                }
                Err(other) => {
                    self.keep(key, history);
                    return Err(other);
                }
            };
            // The state is folded on with the new events, not copied: from here the history is
            // either the next one (appended) or dropped and read again from the stream.
            let History {
                last_seq,
                last_hash,
                mut commits,
                state,
            } = history;
            let next = events.iter().fold(state, Dossier::evolve);
            let envelope = Envelope::for_commit(
                key,
                next.code.as_ref(),
                next.rule_set.as_deref(),
                &events,
                &meta,
                &last_hash,
            )
            .map_err(|e| {
                CommandError::Log(LogError::JetStream {
                    operation: "envelope",
                    reason: e.to_string(),
                })
            })?;
            match self.log.append(&envelope, last_seq).await {
                Ok(appended) => {
                    tracing::debug!(
                        dossier = %key,
                        command = command.body.name(),
                        stream_seq = appended.stream_seq,
                        attempt,
                        "command committed"
                    );
                    let outcome = Outcome {
                        key: key.clone(),
                        stream_seq: appended.stream_seq,
                        events: events.clone(),
                        code: next.code.clone(),
                        status_code: next.status().map(Status::national_code),
                    };
                    commits.push(CachedCommit {
                        stream_seq: appended.stream_seq,
                        command_id: command.id,
                        events,
                    });
                    self.keep(
                        key,
                        History {
                            last_seq: appended.stream_seq,
                            last_hash: appended.hash,
                            commits,
                            state: next,
                        },
                    );
                    return Ok(outcome);
                }
                Err(AppendError::Conflict { .. }) | Err(AppendError::Duplicate { .. }) => {
                    tracing::debug!(dossier = %key, attempt, "conflict; reloading from the stream");
                    current = Some(self.read(key).await?);
                    reloaded = true;
                }
                Err(AppendError::Unavailable(reason)) => {
                    tracing::warn!(dossier = %key, attempt, %reason, "no ack; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    match self.read(key).await {
                        Ok(h) => {
                            current = Some(h);
                            reloaded = true;
                        }
                        Err(e) if attempt == self.max_attempts => return Err(e),
                        // The next attempt reads again.
                        Err(_) => {}
                    }
                    if attempt == self.max_attempts {
                        return Err(CommandError::Unavailable(reason));
                    }
                }
                Err(AppendError::TooLarge(n)) => return Err(CommandError::TooLarge(n)),
                Err(AppendError::Log(e)) => return Err(CommandError::Log(e)),
            }
        }
        if let Some(history) = current {
            self.keep(key, history);
        }
        Err(CommandError::Contended {
            attempts: self.max_attempts,
        })
    }

    /// Decides; a `receive` without a code is decided with a provisional code first and gets
    /// its real code only when valid.
    async fn decide_with_code(
        &self,
        state: &Dossier,
        command: &mut Command,
        now: Timestamp,
        ctx: &motcua_domain::dossier::Context<'_>,
    ) -> Result<Vec<Event>, CommandError> {
        let needs_code = matches!(&command.body, CommandBody::Receive { code: None, .. });
        if !needs_code {
            return Ok(decide(state, command, now, ctx)?);
        }
        let agency = command
            .actor
            .agency
            .clone()
            .ok_or(DomainError::NoAgency { command: "receive" })?;
        let date = ctx.calendar.local_date(now);
        let provisional = DossierCode::new(agency.clone(), date, 1)
            .map_err(|e| CommandError::NotFound(e.to_string()))?;
        let mut trial = command.clone();
        set_code(&mut trial, provisional);
        decide(state, &trial, now, ctx)?;
        let code = self.log.allocate_code(&agency, date).await?;
        set_code(command, code);
        Ok(decide(state, command, now, ctx)?)
    }

    fn check_new_dossier_province(
        &self,
        key: &DossierKey,
        command: &Command,
    ) -> Result<(), CommandError> {
        let agency = match (&command.body, command.receiving_office()) {
            (_, Some(a)) => a.clone(),
            // A receipt without an office is refused by `decide` (no_agency).
            (CommandBody::Receive { .. }, None) => return Ok(()),
            _ => return Err(CommandError::NotFound(key.to_string())),
        };
        let province = self.province_of(&agency)?;
        if &province != key.province() {
            return Err(CommandError::WrongProvince {
                key: key.to_string(),
                key_province: key.province().to_string(),
                agency: agency.to_string(),
                agency_province: province.to_string(),
            });
        }
        Ok(())
    }

    /// A dossier's history read from the stream.
    async fn read(&self, key: &DossierKey) -> Result<History, CommandError> {
        let commits = self.log.read_dossier(key).await?;
        Ok(History::from_stream(&commits))
    }

    /// Puts a history in the cache; an empty one (no such dossier, or a first command refused)
    /// is not worth a place.
    fn keep(&self, key: &DossierKey, history: History) {
        if history.last_seq > 0 {
            self.cache.put(key.clone(), history);
        }
    }
}

fn set_code(command: &mut Command, new_code: DossierCode) {
    if let CommandBody::Receive { code, .. } = &mut command.body {
        *code = Some(new_code);
    }
}
