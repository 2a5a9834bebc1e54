//! The dossier event log on NATS JetStream: the only source of truth.
//!
//! Architecture invariant: this crate knows NATS and the domain's events, nothing of sled or HTTP.
//! It owns the subject scheme, stream provisioning, the CloudEvents envelope and its versions,
//! appends with optimistic concurrency and idempotency, reads of one dossier's history,
//! dossier-code allocation and subscriptions.

pub mod codes;
pub mod embedded;
pub mod envelope;
pub mod locate;
mod log;
pub mod server;
pub mod subject;
pub mod subscribe;
pub mod trace;

pub use envelope::{CommitMeta, Envelope, EnvelopeError, ImportOrigin, ImportedCommit};
pub use log::{
    AppendError, Appended, DriftPolicy, EventLog, HEADER_SCHEMA, HEADER_TYPES, HEADER_UNIT,
    LogError, LogSettings, StoredCommit, excluded_by_types_header, publish_message,
};
pub use subject::DossierKey;
