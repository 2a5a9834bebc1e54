//! Dead letters: messages the projector could not decode or apply.
//!
//! A dead letter is stored with its stream sequence, subject, reason and the raw payload, in the
//! same transaction that moves the checkpoint past it, and the message is acknowledged: the
//! projector goes on. Its dossier is *parked*: later commits of the same dossier become dead
//! letters too (reason [`DeadReason::Parked`]), so a dossier's views never show a history with a
//! hole in it. [`crate::Views::replay_dead_letters`] applies them again, in order, once the cause
//! is fixed (a newer build that reads a newer schema, a configured office, a catalogue entry).

use serde::{Deserialize, Serialize};

/// Why a message became a dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum DeadReason {
    /// Not a readable envelope (not JSON, not an envelope, an empty commit, …).
    #[error("undecodable envelope: {0}")]
    Undecodable(String),
    /// An envelope of a schema version newer than this build reads: replay it after upgrading.
    #[error("envelope schema version {found} is newer than this build reads ({supported})")]
    NewerSchema {
        /// The version found.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The subject is not a dossier subject of this projector's province.
    #[error("subject not handled by this projector: {0}")]
    WrongSubject(String),
    /// The envelope names another dossier than its subject.
    #[error("envelope subject {envelope} does not match the message subject")]
    SubjectMismatch {
        /// The envelope's `subject`.
        envelope: String,
    },
    /// The envelope's `prevhash` is not the chain hash of the dossier's previous applied
    /// message: a message is missing, rewritten or forged (`motcua verify` says the same).
    #[error("hash chain broken: prevhash {found:?}, expected {expected:?}")]
    BrokenChain {
        /// The chain hash of the previous applied message (empty for a dossier's first).
        expected: String,
        /// The envelope's `prevhash`.
        found: String,
    },
    /// Applying the commit gives a state that breaks the aggregate's invariants (a history that
    /// starts in the middle, a duplicated commit, …).
    #[error("the commit breaks the dossier's history: {0}")]
    BrokenHistory(String),
    /// An office this node's reference data does not know.
    #[error("unknown office {0}")]
    UnknownAgency(String),
    /// A procedure version this node's catalogue does not know.
    #[error("unknown procedure version {0}")]
    UnknownProcedure(String),
    /// An earlier commit of the same dossier is a dead letter.
    #[error("dossier parked since message {first_seq}")]
    Parked {
        /// The first dead letter of the dossier.
        first_seq: u64,
    },
}

impl DeadReason {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeadReason::Undecodable(_) => "undecodable",
            DeadReason::NewerSchema { .. } => "newer_schema",
            DeadReason::BrokenChain { .. } => "broken_chain",
            DeadReason::WrongSubject(_) => "wrong_subject",
            DeadReason::SubjectMismatch { .. } => "subject_mismatch",
            DeadReason::BrokenHistory(_) => "broken_history",
            DeadReason::UnknownAgency(_) => "unknown_agency",
            DeadReason::UnknownProcedure(_) => "unknown_procedure",
            DeadReason::Parked { .. } => "parked",
        }
    }
}

/// A stored dead letter. `Debug` leaves the payload out (it may hold personal data).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Stream sequence.
    pub seq: u64,
    /// Message subject.
    pub subject: String,
    /// Why.
    pub reason: DeadReason,
    /// The dossier it belongs to, when the subject names one.
    pub dossier: Option<String>,
    /// The raw payload, hex-encoded (it may hold personal data: never log it).
    pub payload_hex: String,
}

impl std::fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetter")
            .field("seq", &self.seq)
            .field("subject", &self.subject)
            .field("reason", &self.reason)
            .field("dossier", &self.dossier)
            .field("payload_bytes", &(self.payload_hex.len() / 2))
            .finish()
    }
}

impl DeadLetter {
    /// The raw payload.
    pub fn payload(&self) -> Vec<u8> {
        hex::decode(&self.payload_hex).unwrap_or_default()
    }
}

/// What a replay of dead letters did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayOutcome {
    /// Dead letters applied and removed.
    pub applied: u64,
    /// Dead letters still dead (with their possibly new reason).
    pub still_dead: u64,
}
