//! Bulk import of historical dossiers (migration from legacy one-stop software).
//!
//! Input: NDJSON, one command per line, each with its own time (`at`) and its dossier key; the
//! lines of one dossier are consecutive and in time order. Each line is validated like a live
//! command (`decide` at its own time). A dossier is imported whole or not at all: its valid
//! history becomes **one message** (an imported history: every original commit keeps its time,
//! actor and command id), and a refused line rejects the whole dossier with the line number and
//! the reason, so a dossier is never half-imported without saying so.
//! Idempotent by command id: lines already in the stream are skipped, so an interrupted import
//! resumes by running it again.

use std::collections::HashSet;

use jiff::Timestamp;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Actor, Command, CommandBody, Dossier, Event, Role, decide};
use motcua_log::{AppendError, DossierKey, Envelope, ImportOrigin, StoredCommit};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::nats::CommandRequest;
use crate::{CommandError, CommandService};

/// One line of an import file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportLine {
    /// When the command was made (event time).
    pub at: Timestamp,
    /// The command, as over NATS; `dossier` is required.
    #[serde(flatten)]
    pub request: CommandRequest,
}

/// A line as read, with its number in the file (1-based).
#[derive(Debug, Clone)]
pub struct NumberedLine {
    /// Line number.
    pub number: u64,
    /// The parsed line.
    pub line: ImportLine,
}

/// What became of one dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DossierImport {
    /// Its history was appended as one message.
    Imported {
        /// The dossier.
        dossier: String,
        /// Lines imported.
        lines: usize,
        /// The message's stream sequence.
        stream_seq: u64,
    },
    /// Every line was already in the stream (an earlier run).
    AlreadyImported {
        /// The dossier.
        dossier: String,
        /// Lines skipped.
        lines: usize,
    },
    /// Refused whole: nothing of it was appended.
    Rejected {
        /// The dossier.
        dossier: String,
        /// The first refused line.
        line: u64,
        /// Stable code of the refusal.
        code: String,
        /// Why.
        reason: String,
        /// Lines of the dossier not imported.
        lines: usize,
    },
}

/// Imports dossiers through a command service.
#[derive(Debug, Clone)]
pub struct Importer {
    service: CommandService,
    importer: Actor,
}

impl Importer {
    /// An importer acting as `importer` (an account with the `importer` role).
    pub fn new(service: CommandService, importer: Actor) -> Result<Importer, CommandError> {
        if importer.role != Role::Importer {
            return Err(CommandError::Domain(
                motcua_domain::dossier::DomainError::WrongRole {
                    command: "import",
                    role: importer.role,
                    allowed: Role::Importer.as_str().to_owned(),
                },
            ));
        }
        Ok(Importer { service, importer })
    }

    /// Imports the consecutive lines of one dossier.
    pub async fn import_dossier(
        &self,
        key: &DossierKey,
        lines: &[NumberedLine],
    ) -> Result<DossierImport, CommandError> {
        let dossier = key.to_string();
        let reject = |line: u64, code: &str, reason: String| DossierImport::Rejected {
            dossier: dossier.clone(),
            line,
            code: code.to_owned(),
            reason,
            lines: lines.len(),
        };
        let stored = self.service.log().read_dossier(key).await?;
        let existing: Vec<Event> = stored.iter().flat_map(|c| c.envelope.events()).collect();
        let applied: HashSet<Uuid> = existing.iter().map(|e| e.command_id).collect();
        let mut state = Dossier::replay(&existing);
        let ctx = self.service.reference().context();
        let mut history: Vec<Vec<Event>> = Vec::new();
        let mut skipped = 0;
        for numbered in lines {
            let line = &numbered.line;
            if line.request.dossier.as_ref() != Some(key) {
                return Ok(reject(
                    numbered.number,
                    "wrong_dossier",
                    format!("line belongs to another dossier than {key}"),
                ));
            }
            if applied.contains(&line.request.command_id) {
                skipped += 1;
                continue;
            }
            if state.version == 0
                && let Err(e) = self.check_first(key, &line.request)
            {
                return Ok(reject(numbered.number, e.code(), e.to_string()));
            }
            let mut command = Command {
                id: line.request.command_id,
                actor: line.request.actor.clone(),
                body: line.request.body.clone(),
            };
            if matches!(command.body, CommandBody::Receive { code: None, .. }) {
                let Some(agency) = line.request.actor.agency.clone() else {
                    return Ok(reject(
                        numbered.number,
                        "no_agency",
                        "a receive needs the receiving office".to_owned(),
                    ));
                };
                let day = ctx.calendar.local_date(line.at);
                // Checked with a provisional number first, so a refused line uses none.
                let mut trial = command.clone();
                if let CommandBody::Receive { code: c, .. } = &mut trial.body {
                    *c = DossierCode::new(agency.clone(), day, 1).ok();
                }
                if let Err(e) = decide(&state, &trial, line.at, &ctx) {
                    return Ok(reject(numbered.number, e.code(), e.to_string()));
                }
                let allocated = self.service.log().allocate_code(&agency, day).await?;
                if let CommandBody::Receive { code, .. } = &mut command.body {
                    *code = Some(allocated);
                }
            }
            match decide(&state, &command, line.at, &ctx) {
                Ok(events) => {
                    for e in &events {
                        state = state.evolve(e);
                    }
                    history.push(events);
                }
                Err(e) => return Ok(reject(numbered.number, e.code(), e.to_string())),
            }
        }
        if history.is_empty() {
            return Ok(DossierImport::AlreadyImported {
                dossier,
                lines: skipped,
            });
        }
        let origin = ImportOrigin {
            importer: self.importer.clone(),
            batch_id: batch_id(&history),
            meta: Default::default(),
        };
        let (last_seq, prev_hash) = tip(&stored);
        let envelope = Envelope::for_import(
            key,
            state.code.as_ref(),
            state.rule_set.as_deref(),
            &history,
            &origin,
            &prev_hash,
        )
        .map_err(|e| CommandError::NotFound(e.to_string()))?;
        let imported = history.len();
        match self.service.log().append(&envelope, last_seq).await {
            Ok(a) => Ok(DossierImport::Imported {
                dossier,
                lines: imported,
                stream_seq: a.stream_seq,
            }),
            // An earlier run stored it and its answer was lost: the same batch id.
            Err(AppendError::Duplicate { .. }) => Ok(DossierImport::AlreadyImported {
                dossier,
                lines: imported + skipped,
            }),
            Err(AppendError::Conflict { .. }) => Err(CommandError::Contended { attempts: 1 }),
            Err(AppendError::Unavailable(r)) => Err(CommandError::Unavailable(r)),
            Err(AppendError::TooLarge(n)) => Ok(reject(
                lines.first().map_or(0, |l| l.number),
                "too_large",
                format!("the dossier's history is {n} bytes, more than a message may hold"),
            )),
            Err(AppendError::Log(e)) => Err(CommandError::Log(e)),
        }
    }

    fn check_first(&self, key: &DossierKey, request: &CommandRequest) -> Result<(), CommandError> {
        let command = Command {
            id: request.command_id,
            actor: request.actor.clone(),
            body: request.body.clone(),
        };
        self.service.check_new_dossier_province(key, &command)
    }
}

/// The message id of an imported history: the same for the same original commands, so that a
/// rerun is recognised by the stream's duplicate window.
fn batch_id(history: &[Vec<Event>]) -> Uuid {
    let mut bytes = Vec::with_capacity(history.len() * 16);
    for commit in history {
        if let Some(e) = commit.first() {
            bytes.extend_from_slice(e.command_id.as_bytes());
        }
    }
    Uuid::new_v5(&Uuid::NAMESPACE_OID, &bytes)
}

fn tip(stored: &[StoredCommit]) -> (u64, String) {
    stored
        .last()
        .map_or((0, String::new()), |c| (c.stream_seq, c.hash.clone()))
}

/// Totals of an import run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Dossiers appended.
    pub imported: u64,
    /// Dossiers already in the stream.
    pub already_imported: u64,
    /// Dossiers refused.
    pub rejected: u64,
    /// Lines appended.
    pub lines_imported: u64,
    /// Lines skipped or refused.
    pub lines_not_imported: u64,
    /// Lines that were not a command at all.
    pub malformed_lines: u64,
}

impl ImportSummary {
    /// Adds one dossier's result.
    pub fn add(&mut self, result: &DossierImport) {
        match result {
            DossierImport::Imported { lines, .. } => {
                self.imported += 1;
                self.lines_imported += *lines as u64;
            }
            DossierImport::AlreadyImported { lines, .. } => {
                self.already_imported += 1;
                self.lines_not_imported += *lines as u64;
            }
            DossierImport::Rejected { lines, .. } => {
                self.rejected += 1;
                self.lines_not_imported += *lines as u64;
            }
        }
    }
}

/// Groups parsed lines into consecutive runs of one dossier. A dossier whose lines are split
/// across the file is refused at its second run (its lines must be consecutive).
#[derive(Debug, Default)]
pub struct Grouper {
    current: Option<(DossierKey, Vec<NumberedLine>)>,
    seen: HashSet<DossierKey>,
}

/// What the grouper says about a line.
#[derive(Debug)]
pub enum Grouped {
    /// The line joined the current dossier.
    Pending,
    /// A dossier is complete.
    Ready(DossierKey, Vec<NumberedLine>),
    /// The line's dossier appeared earlier in the file.
    Split(DossierImport),
}

impl Grouper {
    /// Feeds one line; returns a complete dossier when the line starts another one.
    pub fn push(&mut self, numbered: NumberedLine) -> Grouped {
        let Some(key) = numbered.line.request.dossier.clone() else {
            return Grouped::Split(DossierImport::Rejected {
                dossier: String::new(),
                line: numbered.number,
                code: "missing_dossier".to_owned(),
                reason: "every import line needs its dossier key".to_owned(),
                lines: 1,
            });
        };
        match &mut self.current {
            Some((k, lines)) if *k == key => {
                lines.push(numbered);
                Grouped::Pending
            }
            _ => {
                if self.seen.contains(&key) {
                    return Grouped::Split(DossierImport::Rejected {
                        dossier: key.to_string(),
                        line: numbered.number,
                        code: "dossier_lines_not_consecutive".to_owned(),
                        reason: "this dossier's lines appeared earlier in the file; the lines of a dossier must be consecutive".to_owned(),
                        lines: 1,
                    });
                }
                self.seen.insert(key.clone());
                let done = self.current.replace((key, vec![numbered]));
                match done {
                    Some((k, lines)) => Grouped::Ready(k, lines),
                    None => Grouped::Pending,
                }
            }
        }
    }

    /// The last dossier, at the end of the input.
    pub fn finish(&mut self) -> Option<(DossierKey, Vec<NumberedLine>)> {
        self.current.take()
    }
}

/// Parses one NDJSON line.
pub fn parse_line(number: u64, text: &str) -> Result<NumberedLine, DossierImport> {
    serde_json::from_str::<ImportLine>(text)
        .map(|line| NumberedLine { number, line })
        .map_err(|e| DossierImport::Rejected {
            dossier: String::new(),
            line: number,
            code: "malformed".to_owned(),
            reason: e.to_string(),
            lines: 1,
        })
}
