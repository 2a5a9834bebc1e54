//! The command service: the write side of motcua.
//!
//! For each command it loads the dossier (from a write-side cache in sled, or from the stream on a
//! miss), runs the domain's `decide`, appends the resulting commit with the dossier's last subject
//! sequence as the optimistic-concurrency check and the command id as the deduplication key, and
//! on a conflict reloads the dossier from the stream and decides again, a bounded number of times.
//!
//! Architecture invariant: the cache is only a cache. Every entry can be rebuilt from the stream,
//! a stale entry is detected by the append's sequence check, and deleting the cache loses nothing.
//! A command retried with the same id gets the same answer as the first time.

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
use motcua_log::{AppendError, CommitMeta, DossierKey, Envelope, EventLog, LogError, StoredCommit};
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;
use uuid::Uuid;

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
    /// The local cache failed (it is rebuilt from the stream on the next start).
    #[error("write-side cache: {0}")]
    Cache(String),
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
            CommandError::Cache(_) => "cache_error",
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

/// A commit as cached: enough to answer a repeated command without the stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedCommit {
    stream_seq: u64,
    command_id: Uuid,
    events: Vec<Event>,
}

/// A dossier's history as the write side keeps it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct History {
    /// The dossier's last subject sequence (0 for none).
    last_seq: u64,
    /// Chain hash of the last message.
    last_hash: String,
    commits: Vec<CachedCommit>,
}

impl History {
    fn from_stream(commits: &[StoredCommit]) -> History {
        History {
            last_seq: commits.last().map_or(0, |c| c.stream_seq),
            last_hash: commits.last().map(|c| c.hash.clone()).unwrap_or_default(),
            commits: commits
                .iter()
                .map(|c| CachedCommit {
                    stream_seq: c.stream_seq,
                    command_id: c.envelope.commandid,
                    events: c.envelope.events(),
                })
                .collect(),
        }
    }

    fn state(&self) -> Dossier {
        Dossier::replay(self.commits.iter().flat_map(|c| c.events.iter()))
    }

    fn outcome_of(&self, key: &DossierKey, command_id: Uuid) -> Option<Outcome> {
        // An imported history holds many original commands in one message.
        let idx = self.commits.iter().position(|c| {
            c.command_id == command_id || c.events.iter().any(|e| e.command_id == command_id)
        })?;
        let state = Dossier::replay(self.commits[..=idx].iter().flat_map(|c| c.events.iter()));
        let commit = &self.commits[idx];
        Some(Outcome {
            key: key.clone(),
            stream_seq: commit.stream_seq,
            events: commit.events.clone(),
            code: state.code.clone(),
            status_code: state.status().map(Status::national_code),
        })
    }
}

/// The write side: decides commands and appends their commits.
#[derive(Debug, Clone)]
pub struct CommandService {
    log: EventLog,
    cache: sled::Tree,
    reference: Arc<Reference>,
    max_attempts: u32,
}

impl CommandService {
    /// A service over `log`, caching in `cache` (any sled tree; it may be empty).
    pub fn new(log: EventLog, cache: sled::Tree, reference: Arc<Reference>) -> CommandService {
        CommandService {
            log,
            cache,
            reference,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
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

    /// The current state of a dossier, read from the stream.
    pub async fn load(&self, key: &DossierKey) -> Result<Dossier, CommandError> {
        Ok(self.history(key, false).await?.state())
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
        let mut history = self.history(key, true).await?;
        let mut reloaded = false;
        for attempt in 1..=self.max_attempts {
            if let Some(done) = history.outcome_of(key, command.id) {
                return Ok(done);
            }
            let state = history.state();
            if state.version == 0 {
                self.check_new_dossier_province(key, &command)?;
            }
            let events = match self.decide_with_code(&state, &mut command, now, &ctx).await {
                Err(CommandError::Domain(e)) if !reloaded => {
                    // A refusal on cached state may be stale: decide once more on the stream.
                    tracing::debug!(dossier = %key, code = e.code(), "refused on cached state; reloading");
                    history = self.history(key, false).await?;
                    reloaded = true;
                    continue;
                }
                Err(CommandError::Domain(e))
                    if self.log.last_seq_at_leader(key).await? > history.last_seq =>
                {
                    // The stream was read from a replica that is behind its leader (just after
                    // a leader change): a refusal on that copy is not an answer. Read again.
                    tracing::debug!(dossier = %key, code = e.code(), attempt, "refused on a lagging replica's copy; reloading");
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                    history = self.history(key, false).await?;
                    continue;
                }
                other => other?,
            };
            let next = Dossier::replay(
                history
                    .commits
                    .iter()
                    .flat_map(|c| c.events.iter())
                    .chain(events.iter()),
            );
            let envelope = Envelope::for_commit(
                key,
                next.code.as_ref(),
                next.rule_set.as_deref(),
                &events,
                &meta,
                &history.last_hash,
            )
            .map_err(|e| {
                CommandError::Log(LogError::JetStream {
                    operation: "envelope",
                    reason: e.to_string(),
                })
            })?;
            match self.log.append(&envelope, history.last_seq).await {
                Ok(appended) => {
                    history.last_seq = appended.stream_seq;
                    history.last_hash = appended.hash;
                    history.commits.push(CachedCommit {
                        stream_seq: appended.stream_seq,
                        command_id: command.id,
                        events: events.clone(),
                    });
                    self.store(key, &history);
                    tracing::debug!(
                        dossier = %key,
                        command = command.body.name(),
                        stream_seq = appended.stream_seq,
                        attempt,
                        "command committed"
                    );
                    return Ok(Outcome {
                        key: key.clone(),
                        stream_seq: appended.stream_seq,
                        events,
                        code: next.code.clone(),
                        status_code: next.status().map(Status::national_code),
                    });
                }
                Err(AppendError::Conflict { .. }) | Err(AppendError::Duplicate { .. }) => {
                    tracing::debug!(dossier = %key, attempt, "conflict; reloading from the stream");
                    history = self.history(key, false).await?;
                    reloaded = true;
                }
                Err(AppendError::Unavailable(reason)) => {
                    tracing::warn!(dossier = %key, attempt, %reason, "no ack; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    match self.history(key, false).await {
                        Ok(h) => {
                            history = h;
                            reloaded = true;
                        }
                        Err(e) if attempt == self.max_attempts => return Err(e),
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

    async fn history(&self, key: &DossierKey, use_cache: bool) -> Result<History, CommandError> {
        if use_cache && let Ok(Some(bytes)) = self.cache.get(key.to_string()) {
            match serde_json::from_slice::<History>(&bytes) {
                Ok(h) => return Ok(h),
                Err(e) => {
                    tracing::warn!(dossier = %key, error = %e, "unreadable cache entry; reloading");
                }
            }
        }
        let commits = self.log.read_dossier(key).await?;
        let history = History::from_stream(&commits);
        if !commits.is_empty() {
            self.store(key, &history);
        }
        Ok(history)
    }

    fn store(&self, key: &DossierKey, history: &History) {
        // A failed cache write only costs a reload later.
        match serde_json::to_vec(history) {
            Ok(bytes) => {
                if let Err(e) = self.cache.insert(key.to_string(), bytes) {
                    tracing::warn!(dossier = %key, error = %e, "cache write failed");
                }
            }
            Err(e) => tracing::warn!(dossier = %key, error = %e, "cache encode failed"),
        }
    }
}

fn set_code(command: &mut Command, new_code: DossierCode) {
    if let CommandBody::Receive { code, .. } = &mut command.body {
        *code = Some(new_code);
    }
}
