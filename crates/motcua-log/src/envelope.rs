//! The message format: one message = one commit = the 1..n events one command produced, in a
//! CloudEvents 1.0 envelope (structured mode, JSON) with our extension attributes.
//!
//! Payloads are versioned (`schemaversion`). Old versions are upcast when read, never rewritten;
//! golden files under `tests/golden/` hold every event type at every version.
//! Each envelope carries `prevhash`, the SHA-256 of the previous message of the same dossier as
//! stored, so a dossier's history is a hash chain anyone holding the stream can verify.

use jiff::Timestamp;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Actor, Event, EventBody, Role};
use motcua_domain::units::AgencyId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::subject::DossierKey;

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The CloudEvents spec version.
pub const SPEC_VERSION: &str = "1.0";

/// The `datacontenttype` of our payloads.
pub const CONTENT_TYPE: &str = "application/json";

/// The CloudEvents `type` of an event type name.
pub fn cloudevents_type(event_type: &str) -> String {
    format!("vn.motcua.dossier.{event_type}.v{SCHEMA_VERSION}")
}

/// Tracing and causality of a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitMeta {
    /// Joins every commit of one business transaction (defaults to the command id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    /// The message that caused this command, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// W3C trace context of the request that made the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// The events of a commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitData {
    /// The events of a live commit, in order (empty in an imported history).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventBody>,
    /// An imported history: the original commits of a migrated dossier, in order, each with its
    /// own time, actor and command id (empty in a live commit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<ImportedCommit>,
}

/// One original commit inside an imported history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedCommit {
    /// Event time.
    pub time: Timestamp,
    /// The original actor's account id.
    pub actor: String,
    /// The original actor's role.
    pub role: Role,
    /// The original actor's office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<AgencyId>,
    /// The original command's id.
    pub commandid: Uuid,
    /// Its events, in order.
    pub events: Vec<EventBody>,
}

/// Who imports a history, under which message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOrigin {
    /// The importer (role `importer`).
    pub importer: Actor,
    /// The message's command id (`Nats-Msg-Id`), the same on every run of the same import.
    pub batch_id: Uuid,
    /// Tracing.
    pub meta: CommitMeta,
}

/// The CloudEvents `type` of an imported history.
pub const IMPORTED_TYPE: &str = "imported";

/// A commit as it travels and is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Always "1.0".
    pub specversion: String,
    /// Unique id of the commit (UUID v7).
    pub id: Uuid,
    /// The acting office (`/motcua/agencies/<id>`), `/motcua/applicants` or `/motcua/system`.
    pub source: String,
    /// `vn.motcua.dossier.<first event type>.v<schema>`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The dossier key.
    pub subject: DossierKey,
    /// Event time of the commit.
    pub time: Timestamp,
    /// Always `application/json`.
    pub datacontenttype: String,
    /// The dossier code, once the dossier has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossiercode: Option<DossierCode>,
    /// The actor's account id.
    pub actor: String,
    /// The actor's role.
    pub role: Role,
    /// The actor's office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<AgencyId>,
    /// The command's id (also `Nats-Msg-Id`).
    pub commandid: Uuid,
    /// Correlation id.
    pub correlationid: Uuid,
    /// Causation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causationid: Option<Uuid>,
    /// W3C trace context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The rule set the dossier is handled under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rulesetversion: Option<String>,
    /// Payload schema version.
    pub schemaversion: u32,
    /// SHA-256 (hex) of the previous message of this dossier as stored; empty for the first.
    pub prevhash: String,
    /// The events.
    pub data: CommitData,
}

/// Why a commit cannot be built or read.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// A commit needs at least one event.
    #[error("a commit needs at least one event")]
    Empty,
    /// Events of one commit must share actor, command and time.
    #[error("the events of one commit must share actor, command and time")]
    Mixed,
    /// Not JSON, or not an envelope.
    #[error("not a motcua envelope: {0}")]
    Malformed(String),
    /// Written by a newer version of motcua.
    #[error("schema version {found} is newer than this build understands ({SCHEMA_VERSION})")]
    TooNew {
        /// The version found.
        found: u64,
    },
}

impl Envelope {
    /// Wraps the events of one command.
    pub fn for_commit(
        key: &DossierKey,
        code: Option<&DossierCode>,
        rule_set: Option<&str>,
        events: &[Event],
        meta: &CommitMeta,
        prev_hash: &str,
    ) -> Result<Envelope, EnvelopeError> {
        let first = events.first().ok_or(EnvelopeError::Empty)?;
        if events
            .iter()
            .any(|e| e.actor != first.actor || e.command_id != first.command_id || e.at != first.at)
        {
            return Err(EnvelopeError::Mixed);
        }
        let source = match (&first.actor.agency, first.actor.role) {
            (Some(a), _) => format!("/motcua/agencies/{a}"),
            (None, Role::Applicant) => "/motcua/applicants".to_owned(),
            (None, _) => "/motcua/system".to_owned(),
        };
        Ok(Envelope {
            specversion: SPEC_VERSION.to_owned(),
            id: Uuid::now_v7(),
            source,
            event_type: cloudevents_type(first.body.type_name()),
            subject: key.clone(),
            time: first.at,
            datacontenttype: CONTENT_TYPE.to_owned(),
            dossiercode: code.cloned(),
            actor: first.actor.id.clone(),
            role: first.actor.role,
            unit: first.actor.agency.clone(),
            commandid: first.command_id,
            correlationid: meta.correlation_id.unwrap_or(first.command_id),
            causationid: meta.causation_id,
            traceparent: meta.traceparent.clone(),
            rulesetversion: rule_set.map(str::to_owned),
            schemaversion: SCHEMA_VERSION,
            prevhash: prev_hash.to_owned(),
            data: CommitData {
                events: events.iter().map(|e| e.body.clone()).collect(),
                commits: Vec::new(),
            },
        })
    }

    /// Wraps a migrated dossier's whole history as one message: the original commits keep
    /// their times, actors and command ids; the envelope names the importer and the time of the
    /// last original commit. `batch_id` is the message's command id (`Nats-Msg-Id`).
    pub fn for_import(
        key: &DossierKey,
        code: Option<&DossierCode>,
        rule_set: Option<&str>,
        history: &[Vec<Event>],
        origin: &ImportOrigin,
        prev_hash: &str,
    ) -> Result<Envelope, EnvelopeError> {
        let (importer, batch_id, meta) = (&origin.importer, origin.batch_id, &origin.meta);
        let mut commits = Vec::with_capacity(history.len());
        for events in history {
            let first = events.first().ok_or(EnvelopeError::Empty)?;
            if events.iter().any(|e| {
                e.actor != first.actor || e.command_id != first.command_id || e.at != first.at
            }) {
                return Err(EnvelopeError::Mixed);
            }
            commits.push(ImportedCommit {
                time: first.at,
                actor: first.actor.id.clone(),
                role: first.actor.role,
                unit: first.actor.agency.clone(),
                commandid: first.command_id,
                events: events.iter().map(|e| e.body.clone()).collect(),
            });
        }
        let last = commits.last().ok_or(EnvelopeError::Empty)?.time;
        Ok(Envelope {
            specversion: SPEC_VERSION.to_owned(),
            id: Uuid::now_v7(),
            source: match &importer.agency {
                Some(a) => format!("/motcua/agencies/{a}"),
                None => "/motcua/import".to_owned(),
            },
            event_type: cloudevents_type(IMPORTED_TYPE),
            subject: key.clone(),
            time: last,
            datacontenttype: CONTENT_TYPE.to_owned(),
            dossiercode: code.cloned(),
            actor: importer.id.clone(),
            role: importer.role,
            unit: importer.agency.clone(),
            commandid: batch_id,
            correlationid: meta.correlation_id.unwrap_or(batch_id),
            causationid: meta.causation_id,
            traceparent: meta.traceparent.clone(),
            rulesetversion: rule_set.map(str::to_owned),
            schemaversion: SCHEMA_VERSION,
            prevhash: prev_hash.to_owned(),
            data: CommitData {
                events: Vec::new(),
                commits,
            },
        })
    }

    /// Whether this message is an imported history.
    pub fn is_import(&self) -> bool {
        !self.data.commits.is_empty()
    }

    /// The domain events of the commit, each with its own time, actor and command.
    pub fn events(&self) -> Vec<Event> {
        if self.is_import() {
            return self
                .data
                .commits
                .iter()
                .flat_map(|c| {
                    let actor = Actor {
                        id: c.actor.clone(),
                        role: c.role,
                        agency: c.unit.clone(),
                    };
                    c.events.iter().map(move |body| Event {
                        at: c.time,
                        actor: actor.clone(),
                        command_id: c.commandid,
                        body: body.clone(),
                    })
                })
                .collect();
        }
        let actor = Actor {
            id: self.actor.clone(),
            role: self.role,
            agency: self.unit.clone(),
        };
        self.data
            .events
            .iter()
            .map(|body| Event {
                at: self.time,
                actor: actor.clone(),
                command_id: self.commandid,
                body: body.clone(),
            })
            .collect()
    }

    /// The event type names of the commit, in order (of every original commit for an import).
    pub fn type_names(&self) -> Vec<&'static str> {
        self.data
            .events
            .iter()
            .chain(self.data.commits.iter().flat_map(|c| c.events.iter()))
            .map(EventBody::type_name)
            .collect()
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self)
            .expect("an envelope always serialises: no maps with non-string keys")
    }

    /// Reads a stored message of any known schema version, upcasting it to the current one.
    pub fn decode(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        // Nearly every message is of the current version: read it straight into the struct, in
        // one pass. Anything else (another version, or what the struct refuses, such as a
        // repeated field) takes the general path, which decides as it always did.
        if let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes)
            && envelope.schemaversion == SCHEMA_VERSION
        {
            return envelope.checked();
        }
        Envelope::decode_general(bytes)
    }

    /// [`Envelope::decode`] for any version: through a JSON value, upcast, then the struct.
    fn decode_general(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        let mut value: Value =
            serde_json::from_slice(bytes).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        let version = value
            .get("schemaversion")
            .and_then(Value::as_u64)
            .ok_or_else(|| EnvelopeError::Malformed("no schemaversion".to_owned()))?;
        if version > u64::from(SCHEMA_VERSION) {
            return Err(EnvelopeError::TooNew { found: version });
        }
        upcast(&mut value, version)?;
        let envelope: Envelope =
            serde_json::from_value(value).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        envelope.checked()
    }

    /// The envelope, when its data is either events or imported commits and no commit is empty.
    fn checked(self) -> Result<Envelope, EnvelopeError> {
        let live = !self.data.events.is_empty();
        if live == self.is_import() || self.data.commits.iter().any(|c| c.events.is_empty()) {
            return Err(EnvelopeError::Malformed(
                "a commit holds either events or imported commits, and no empty commit".to_owned(),
            ));
        }
        Ok(self)
    }
}

/// Brings an envelope of `version` to the current schema, one version at a time.
///
/// Version 1 is the first published schema, so the chain is empty; a change to a payload adds a
/// step `n → n+1` here and a golden file for version n+1, and keeps every older golden file.
fn upcast(value: &mut Value, version: u64) -> Result<(), EnvelopeError> {
    if version == 0 {
        return Err(EnvelopeError::Malformed(
            "schema version 0 was never written".to_owned(),
        ));
    }
    if let Some(obj) = value.as_object_mut() {
        obj.insert("schemaversion".to_owned(), Value::from(SCHEMA_VERSION));
    }
    Ok(())
}

/// The chain hash of a stored message.
pub fn chain_hash(stored: &[u8]) -> String {
    hex::encode(Sha256::digest(stored))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The one-pass read of the current version decides exactly as the general path: every
    /// golden file of the current version, and messages the fast path must hand over.
    #[test]
    fn the_fast_path_decides_as_the_general_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../tests/golden/v{SCHEMA_VERSION}"));
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let fast = serde_json::from_slice::<Envelope>(&bytes).unwrap();
            assert_eq!(fast.schemaversion, SCHEMA_VERSION);
            assert_eq!(
                Envelope::decode(&bytes).unwrap(),
                Envelope::decode_general(&bytes).unwrap()
            );
            files += 1;
        }
        assert!(files > 20, "golden files of v{SCHEMA_VERSION}: {files}");

        let sample = std::fs::read(dir.join("received.json")).unwrap();
        let text = String::from_utf8(sample).unwrap();
        // A repeated field: the struct refuses it, the general path decides (the last wins).
        let repeated = text.replacen('{', "{\"actor\":\"someone-else\",", 1);
        assert!(serde_json::from_slice::<Envelope>(repeated.as_bytes()).is_err());
        assert_eq!(
            Envelope::decode(repeated.as_bytes()).unwrap(),
            Envelope::decode_general(&std::fs::read(dir.join("received.json")).unwrap()).unwrap()
        );
        // A newer version is refused as such, not as malformed.
        let mut newer: Value = serde_json::from_str(&text).unwrap();
        newer["schemaversion"] = Value::from(SCHEMA_VERSION + 1);
        assert!(matches!(
            Envelope::decode(&serde_json::to_vec(&newer).unwrap()),
            Err(EnvelopeError::TooNew { .. })
        ));
    }
}
