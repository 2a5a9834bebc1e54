//! Errors of the read side.

use serde::{Deserialize, Serialize};

/// Why a view store cannot be trusted: each of these makes the projector rebuild from the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntegrityProblem {
    /// sled could not open its files.
    #[error("sled cannot open the view store: {reason}")]
    Unopenable {
        /// sled's error.
        reason: String,
    },
    /// The store has views but no metadata (a reset was interrupted, or files were mixed).
    #[error("the view store has no metadata")]
    MissingMeta,
    /// A reset (rebuild) was interrupted.
    #[error("a rebuild was interrupted")]
    ResetInterrupted,
    /// Written by another version of the view format.
    #[error("view format {found}, this build writes {expected}")]
    FormatVersion {
        /// Stored.
        found: u32,
        /// Wanted.
        expected: u32,
    },
    /// The store belongs to another shard (province or projector name).
    #[error("the store belongs to shard {found}, not {expected}")]
    ShardMismatch {
        /// Stored.
        found: String,
        /// Wanted.
        expected: String,
    },
    /// The reference data (catalogue, calendar, unit lists) changed since the views were built.
    #[error("the reference data changed since the views were built")]
    ReferenceChanged,
    /// The checkpoint is beyond the stream's last sequence: the stream lost messages or was
    /// replaced (SYSTEM.md §10).
    #[error(
        "checkpoint {checkpoint} is beyond the stream's last sequence {stream_last}: the stream lost or replaced messages"
    )]
    CheckpointBeyondStream {
        /// Stored checkpoint.
        checkpoint: u64,
        /// The stream's last sequence.
        stream_last: u64,
    },
    /// The message at the checkpoint is not the one the views applied: the stream was replaced.
    #[error("the stream's message {seq} is not the one the views applied")]
    CheckpointMessageChanged {
        /// The checkpoint.
        seq: u64,
    },
    /// The digest sealed at the last clean shutdown does not match the views.
    #[error("the views do not match the digest sealed at checkpoint {checkpoint}")]
    DigestMismatch {
        /// The checkpoint the digest was sealed at.
        checkpoint: u64,
    },
}

/// Errors of the views and the projector.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// sled failed.
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    /// The event log failed.
    #[error(transparent)]
    Log(#[from] motcua_log::LogError),
    /// A JetStream call the event log does not wrap failed.
    #[error("JetStream {operation} failed: {reason}")]
    JetStream {
        /// What was attempted.
        operation: &'static str,
        /// Why.
        reason: String,
    },
    /// A stored value cannot be read back.
    #[error("corrupt view entry in {tree}: {reason}")]
    Corrupt {
        /// The tree.
        tree: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The store failed an integrity check.
    #[error("integrity: {0}")]
    Integrity(#[from] IntegrityProblem),
    /// A query with invalid arguments.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
    /// A filesystem operation on the store's directory failed.
    #[error("view store directory: {0}")]
    Io(#[from] std::io::Error),
}

impl ViewError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ViewError::Sled(_) => "sled",
            ViewError::Log(_) => "log",
            ViewError::JetStream { .. } => "jetstream",
            ViewError::Corrupt { .. } => "corrupt",
            ViewError::Integrity(_) => "integrity",
            ViewError::InvalidQuery(_) => "invalid_query",
            ViewError::Task(_) => "task",
            ViewError::Io(_) => "io",
        }
    }
}
