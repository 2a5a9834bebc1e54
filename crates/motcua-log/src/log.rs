//! The event log: connection, stream provisioning, optimistic appends and reads of one dossier.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind, stream};
use bytes::Bytes;
use futures::StreamExt;
use motcua_domain::units::UnitCode;
use tokio::sync::Mutex;

use crate::envelope::{Envelope, EnvelopeError, chain_hash};
use crate::server;
use crate::subject::{DossierKey, dossier_stream, province_filter};

/// Header with the commit's event types, comma-separated (for filters that do not parse JSON).
pub const HEADER_TYPES: &str = "Motcua-Types";
/// Header with the acting office.
pub const HEADER_UNIT: &str = "Motcua-Unit";
/// Header with the payload schema version.
pub const HEADER_SCHEMA: &str = "Motcua-Schema";

/// What to do when an existing stream's configuration differs from the wanted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftPolicy {
    /// Refuse to start, saying what differs.
    Refuse,
    /// Update the stream to the wanted configuration (where the server allows it).
    Update,
}

/// Settings of the dossier streams.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// Replicas per stream: 1 on a single node, 3 on a cluster.
    pub replicas: usize,
    /// How long a command id is remembered for deduplication.
    pub duplicate_window: Duration,
    /// Largest commit accepted, in bytes.
    pub max_message_bytes: i32,
    /// On configuration drift.
    pub on_drift: DriftPolicy,
    /// How long to wait for an ack or a read.
    pub request_timeout: Duration,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            replicas: 1,
            duplicate_window: Duration::from_secs(10 * 60),
            max_message_bytes: 1024 * 1024,
            on_drift: DriftPolicy::Refuse,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Errors of the event log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Could not connect.
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server is too old.
    #[error("{0}")]
    ServerTooOld(String),
    /// A stream exists with another configuration.
    #[error("stream {stream} differs from the wanted configuration: {differences}")]
    Drift {
        /// The stream.
        stream: String,
        /// What differs.
        differences: String,
    },
    /// A JetStream request failed.
    #[error("JetStream {operation} failed: {reason}")]
    JetStream {
        /// What was attempted.
        operation: &'static str,
        /// Why.
        reason: String,
    },
    /// A stored message could not be read.
    #[error("message {stream_seq} of {subject} is unreadable: {source}")]
    Unreadable {
        /// Its subject.
        subject: String,
        /// Its sequence.
        stream_seq: u64,
        /// Why.
        source: EnvelopeError,
    },
    /// A dossier's hash chain is broken: an event was rewritten or is missing.
    #[error(
        "the history of {subject} is broken at message {stream_seq}: its prevhash does not match the message before it"
    )]
    ChainBroken {
        /// The dossier.
        subject: String,
        /// The first message that does not chain.
        stream_seq: u64,
    },
}

/// Why an append did not store a new commit.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The dossier moved on since the state the command was decided on.
    #[error("the dossier changed since message {expected}; reload and decide again")]
    Conflict {
        /// The last subject sequence the command expected.
        expected: u64,
    },
    /// This command id was stored before, within the duplicate window.
    #[error("command already stored as message {stream_seq}")]
    Duplicate {
        /// Where the first copy is.
        stream_seq: u64,
    },
    /// No answer in time: the commit may or may not be stored; retry with the same command id.
    #[error("no acknowledgement from JetStream: {0}")]
    Unavailable(String),
    /// The commit is larger than the stream accepts.
    #[error("the commit is too large for the stream ({0} bytes)")]
    TooLarge(usize),
    /// Anything else.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// A commit as read back from the stream.
#[derive(Debug, Clone)]
pub struct StoredCommit {
    /// Its stream sequence (the dossier's subject sequence after it).
    pub stream_seq: u64,
    /// Chain hash of the stored bytes.
    pub hash: String,
    /// The decoded envelope.
    pub envelope: Envelope,
}

/// A successful append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The new commit's stream sequence.
    pub stream_seq: u64,
    /// Chain hash of the bytes stored (the next commit's `prevhash`), so that the caller need
    /// not encode the envelope a second time.
    pub hash: String,
}

/// Handle on the event log; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventLog {
    client: async_nats::Client,
    js: jetstream::Context,
    settings: LogSettings,
    server_version: server::ServerVersion,
    provisioned: Arc<Mutex<HashSet<String>>>,
}

impl EventLog {
    /// Connects to one server or a comma-separated list of a cluster's servers, checks the
    /// server version against the floor and logs it.
    pub async fn connect(url: &str, settings: LogSettings) -> Result<EventLog, LogError> {
        let addrs = url
            .split(',')
            .map(|u| u.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LogError::Connect {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        let client = async_nats::ConnectOptions::new()
            .name("motcua")
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .max_reconnects(None)
            .connect(addrs)
            .await
            .map_err(|e| LogError::Connect {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        // retry_on_initial_connect returns at once; wait for the first INFO.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while client.connection_state() != async_nats::connection::State::Connected {
            if tokio::time::Instant::now() > deadline {
                return Err(LogError::Connect {
                    url: url.to_owned(),
                    reason: "no server answered within 15 s".to_owned(),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        EventLog::from_client(client, settings)
    }

    /// Wraps a connected client, checking the server version.
    pub fn from_client(
        client: async_nats::Client,
        settings: LogSettings,
    ) -> Result<EventLog, LogError> {
        let info = client.server_info();
        let server_version =
            server::check_version(&info.version).map_err(LogError::ServerTooOld)?;
        tracing::info!(
            server_version = %info.version,
            server_name = %info.server_name,
            jetstream = info.jetstream,
            "connected to nats-server"
        );
        let js = jetstream::ContextBuilder::new()
            .timeout(settings.request_timeout)
            .build(client.clone());
        Ok(EventLog {
            client,
            js,
            settings,
            server_version,
            provisioned: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    /// The NATS client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// The JetStream context.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The connected server's version.
    pub fn server_version(&self) -> server::ServerVersion {
        self.server_version
    }

    /// The settings.
    pub fn settings(&self) -> &LogSettings {
        &self.settings
    }

    /// The wanted configuration of a province's dossier stream.
    pub fn dossier_stream_config(&self, province: &UnitCode) -> stream::Config {
        stream::Config {
            name: dossier_stream(province),
            description: Some(format!("motcua dossier events of province {province}")),
            subjects: vec![province_filter(province)],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            num_replicas: self.settings.replicas,
            duplicate_window: self.settings.duplicate_window,
            max_message_size: self.settings.max_message_bytes,
            allow_direct: true,
            deny_delete: true,
            ..Default::default()
        }
    }

    /// Creates a province's dossier stream, or checks an existing one against the wanted
    /// configuration (and refuses or updates it on drift).
    pub async fn ensure_dossier_stream(&self, province: &UnitCode) -> Result<(), LogError> {
        self.ensure_named(&dossier_stream(province), || {
            self.dossier_stream_config(province)
        })
        .await
    }

    /// Provisions a stream once per process.
    pub(crate) async fn ensure_named(
        &self,
        name: &str,
        wanted: impl FnOnce() -> stream::Config,
    ) -> Result<(), LogError> {
        if self.provisioned.lock().await.contains(name) {
            return Ok(());
        }
        self.ensure_stream(wanted()).await?;
        self.provisioned.lock().await.insert(name.to_owned());
        Ok(())
    }

    /// Creates or verifies a stream.
    pub(crate) async fn ensure_stream(&self, wanted: stream::Config) -> Result<(), LogError> {
        let name = wanted.name.clone();
        match self.js.get_stream(&name).await {
            Ok(mut existing) => {
                let info = existing.info().await.map_err(|e| LogError::JetStream {
                    operation: "stream info",
                    reason: e.to_string(),
                })?;
                let differences = drift(&info.config, &wanted);
                if differences.is_empty() {
                    return Ok(());
                }
                match self.settings.on_drift {
                    DriftPolicy::Refuse => Err(LogError::Drift {
                        stream: name,
                        differences: differences.join("; "),
                    }),
                    DriftPolicy::Update => {
                        tracing::warn!(stream = %name, differences = %differences.join("; "), "updating drifted stream");
                        self.js
                            .update_stream(wanted)
                            .await
                            .map_err(|e| LogError::JetStream {
                                operation: "stream update",
                                reason: e.to_string(),
                            })?;
                        Ok(())
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    jetstream::context::GetStreamErrorKind::JetStream(_)
                ) =>
            {
                // Not found (or another API error, which create will report).
                self.js
                    .create_stream(wanted)
                    .await
                    .map_err(|e| LogError::JetStream {
                        operation: "stream create",
                        reason: e.to_string(),
                    })?;
                tracing::info!(stream = %name, "created stream");
                Ok(())
            }
            Err(e) => Err(LogError::JetStream {
                operation: "stream lookup",
                reason: e.to_string(),
            }),
        }
    }

    /// Appends one commit to a dossier, if and only if the dossier's last message is still
    /// `expected_last_seq` (0 for a new dossier). The command id deduplicates retries.
    pub async fn append(
        &self,
        envelope: &Envelope,
        expected_last_seq: u64,
    ) -> Result<Appended, AppendError> {
        let key = &envelope.subject;
        self.ensure_dossier_stream(key.province()).await?;
        let payload = Bytes::from(envelope.encode());
        let hash = chain_hash(&payload);
        if payload.len() > self.settings.max_message_bytes as usize {
            return Err(AppendError::TooLarge(payload.len()));
        }
        let publish = publish_message(envelope, payload, expected_last_seq);
        let ack = self
            .js
            .send_publish(key.subject(), publish)
            .await
            .map_err(|e| publish_error(e, expected_last_seq))?
            .await
            .map_err(|e| publish_error(e, expected_last_seq))?;
        if ack.duplicate {
            return Err(AppendError::Duplicate {
                stream_seq: ack.sequence,
            });
        }
        Ok(Appended {
            stream_seq: ack.sequence,
            hash,
        })
    }

    /// Reads a dossier's whole history with batched direct gets (no consumer per dossier) and
    /// verifies its hash chain.
    pub async fn read_dossier(&self, key: &DossierKey) -> Result<Vec<StoredCommit>, LogError> {
        self.ensure_dossier_stream(key.province()).await?;
        let stream = dossier_stream(key.province());
        let subject = key.subject();
        let raw = self.direct_get_batch(&stream, &subject, 1).await?;
        let mut out: Vec<StoredCommit> = Vec::with_capacity(raw.len());
        for (seq, bytes) in raw {
            let envelope = Envelope::decode(&bytes).map_err(|source| LogError::Unreadable {
                subject: subject.clone(),
                stream_seq: seq,
                source,
            })?;
            let expected_prev = out.last().map_or("", |c| c.hash.as_str());
            if envelope.prevhash != expected_prev {
                return Err(LogError::ChainBroken {
                    subject,
                    stream_seq: seq,
                });
            }
            out.push(StoredCommit {
                stream_seq: seq,
                hash: chain_hash(&bytes),
                envelope,
            });
        }
        Ok(out)
    }

    /// All messages of `subject` from sequence `from` on, as (stream sequence, payload), using
    /// the batched direct get of JetStream (`$JS.API.DIRECT.GET.<stream>` with `batch` and
    /// `next_by_subj`), which the client library does not wrap.
    async fn direct_get_batch(
        &self,
        stream: &str,
        subject: &str,
        from: u64,
    ) -> Result<Vec<(u64, Bytes)>, LogError> {
        const BATCH: usize = 256;
        let err = |reason: String| LogError::JetStream {
            operation: "direct get",
            reason,
        };
        let mut out = Vec::new();
        let mut next = from;
        loop {
            let inbox = self.client.new_inbox();
            let mut sub = self
                .client
                .subscribe(inbox.clone())
                .await
                .map_err(|e| err(e.to_string()))?;
            let request =
                serde_json::json!({ "seq": next, "next_by_subj": subject, "batch": BATCH });
            self.client
                .publish_with_reply(
                    format!("$JS.API.DIRECT.GET.{stream}"),
                    inbox,
                    Bytes::from(request.to_string()),
                )
                .await
                .map_err(|e| err(e.to_string()))?;
            let mut got = 0usize;
            let mut more = false;
            loop {
                let msg = tokio::time::timeout(self.settings.request_timeout, sub.next())
                    .await
                    .map_err(|_| err(format!("no answer from stream {stream} in time")))?
                    .ok_or_else(|| err("subscription closed".to_owned()))?;
                if let Some(status) = msg.status {
                    match status.as_u16() {
                        // End of batch: more may remain past it.
                        204 => {
                            let pending = header_u64(&msg, "Nats-Num-Pending").unwrap_or(0);
                            more = pending > 0 && got == BATCH;
                            break;
                        }
                        404 => break,
                        408 if got > 0 => break,
                        code => {
                            return Err(err(format!(
                                "status {code} {}",
                                msg.description.as_deref().unwrap_or("")
                            )));
                        }
                    }
                }
                let seq = header_u64(&msg, "Nats-Sequence")
                    .ok_or_else(|| err("answer without Nats-Sequence".to_owned()))?;
                out.push((seq, msg.payload));
                next = seq + 1;
                got += 1;
            }
            let _ = sub.unsubscribe().await;
            if !more {
                return Ok(out);
            }
        }
    }

    /// The provinces that have a dossier stream on the server.
    pub async fn dossier_provinces(&self) -> Result<Vec<UnitCode>, LogError> {
        let mut names = self.js.stream_names();
        let mut out = Vec::new();
        while let Some(name) = names.next().await {
            let name = name.map_err(|e| LogError::JetStream {
                operation: "stream names",
                reason: e.to_string(),
            })?;
            if let Some(code) = name
                .strip_prefix("MOTCUA_DOSSIERS_")
                .and_then(|c| c.parse::<UnitCode>().ok())
            {
                out.push(code);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The stream's last sequence for a province (0 when empty or absent).
    pub async fn last_sequence(&self, province: &UnitCode) -> Result<u64, LogError> {
        match self.js.get_stream(dossier_stream(province)).await {
            Ok(mut s) => Ok(s
                .info()
                .await
                .map_err(|e| LogError::JetStream {
                    operation: "stream info",
                    reason: e.to_string(),
                })?
                .state
                .last_sequence),
            Err(_) => Ok(0),
        }
    }

    /// The stream sequence of a dossier's last message as the stream's **leader** has it (0: no
    /// message). [`EventLog::read_dossier`] reads by direct get, which on a replicated stream any
    /// replica may answer, and a replica can be behind, most of all just after the leader
    /// changed; this asks the leader (`STREAM.MSG.GET`), so a reader can tell whether what it
    /// read is the whole history.
    ///
    /// # Errors
    /// [`LogError::JetStream`] when the leader cannot be asked.
    pub async fn last_seq_at_leader(&self, key: &DossierKey) -> Result<u64, LogError> {
        let err = |reason: String| LogError::JetStream {
            operation: "last message at the leader",
            reason,
        };
        let stream = self
            .js
            .get_stream_no_info(dossier_stream(key.province()))
            .await
            .map_err(|e| err(e.to_string()))?;
        match stream.get_last_raw_message_by_subject(&key.subject()).await {
            Ok(message) => Ok(message.sequence),
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(0),
            Err(e) => Err(err(e.to_string())),
        }
    }
}

fn header_u64(msg: &async_nats::Message, name: &str) -> Option<u64> {
    msg.headers.as_ref()?.get(name)?.as_str().parse().ok()
}

fn publish_error(e: jetstream::context::PublishError, expected: u64) -> AppendError {
    // A clustered 2.14 server can refuse the next append of a subject right after acknowledging
    // the previous one ("wrong last sequence", code 10164, while it clears its in-process mark),
    // or answer that the subject's last sequence is not ready yet (10163). The client library
    // only maps 10071; these are conflicts too: reload and decide again.
    let server_code = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<jetstream::Error>())
        .map(|j| j.error_code());
    if matches!(
        server_code,
        Some(jetstream::ErrorCode::STREAM_WRONG_LAST_SEQUENCE_CONSTANT)
            | Some(jetstream::ErrorCode::STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_NOT_READY)
    ) {
        return AppendError::Conflict { expected };
    }
    match e.kind() {
        PublishErrorKind::WrongLastSequence => AppendError::Conflict { expected },
        PublishErrorKind::TimedOut | PublishErrorKind::BrokenPipe => {
            AppendError::Unavailable(e.to_string())
        }
        PublishErrorKind::MaxPayloadExceeded => AppendError::TooLarge(0),
        _ => AppendError::Log(LogError::JetStream {
            operation: "publish",
            reason: e.to_string(),
        }),
    }
}

/// What differs between an existing stream and the wanted configuration, field by field.
pub(crate) fn drift(have: &stream::Config, want: &stream::Config) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field} is {a}, wanted {b}"));
        }
    };
    let mut hs = have.subjects.clone();
    let mut ws = want.subjects.clone();
    hs.sort();
    ws.sort();
    check("subjects", format!("{hs:?}"), format!("{ws:?}"));
    check(
        "storage",
        format!("{:?}", have.storage),
        format!("{:?}", want.storage),
    );
    check(
        "retention",
        format!("{:?}", have.retention),
        format!("{:?}", want.retention),
    );
    check(
        "discard",
        format!("{:?}", have.discard),
        format!("{:?}", want.discard),
    );
    check(
        "replicas",
        have.num_replicas.max(1).to_string(),
        want.num_replicas.max(1).to_string(),
    );
    check(
        "duplicate_window",
        format!("{:?}", have.duplicate_window),
        format!("{:?}", want.duplicate_window),
    );
    check(
        "allow_direct",
        have.allow_direct.to_string(),
        want.allow_direct.to_string(),
    );
    check(
        "deny_delete",
        have.deny_delete.to_string(),
        want.deny_delete.to_string(),
    );
    // The server reports "no limit" as -1 where a config leaves 0.
    let unlimited = |n: i32| if n <= 0 { -1 } else { n };
    check(
        "max_message_size",
        unlimited(have.max_message_size).to_string(),
        unlimited(want.max_message_size).to_string(),
    );
    check(
        "allow_message_counter",
        have.allow_message_counter.to_string(),
        want.allow_message_counter.to_string(),
    );
    out
}

/// The message [`EventLog::append`] publishes for `envelope` (already encoded as `payload`) when
/// the dossier's last message is `expected_last_seq`: the idempotency and concurrency headers and
/// the ones consumers filter on without decoding. Public so that bulk loaders (the benchmark's
/// seeder) send exactly what an append sends.
pub fn publish_message(
    envelope: &Envelope,
    payload: Bytes,
    expected_last_seq: u64,
) -> jetstream::message::PublishMessage {
    let mut publish = jetstream::message::PublishMessage::build()
        .payload(payload)
        .message_id(envelope.commandid.to_string())
        .expected_last_subject_sequence(expected_last_seq)
        .header("Content-Type", "application/cloudevents+json")
        .header(HEADER_TYPES, envelope.type_names().join(","))
        .header(HEADER_SCHEMA, envelope.schemaversion.to_string());
    if let Some(unit) = &envelope.unit {
        publish = publish.header(HEADER_UNIT, unit.as_str());
    }
    if let Some(tp) = &envelope.traceparent {
        publish = publish.header("traceparent", tp.as_str());
    }
    publish
}

/// Whether a type filter (`wanted`: event type names, possibly `imported`) can drop a message
/// from its `Motcua-Types` header alone, without decoding the payload: the header lists none of
/// the wanted types. An empty filter keeps everything; a filter asking for imported histories,
/// and a message without the header, need the payload to decide (`false`).
pub fn excluded_by_types_header(
    headers: Option<&async_nats::HeaderMap>,
    wanted: &std::collections::BTreeSet<String>,
) -> bool {
    if wanted.is_empty() || wanted.contains(crate::envelope::IMPORTED_TYPE) {
        return false;
    }
    headers
        .and_then(|h| h.get(HEADER_TYPES))
        .is_some_and(|listed| !listed.as_str().split(',').any(|t| wanted.contains(t)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn server_error(code: u64) -> jetstream::context::PublishError {
        let error: jetstream::Error = serde_json::from_value(serde_json::json!({
            "code": 400, "err_code": code, "description": "wrong last sequence"
        }))
        .unwrap();
        jetstream::context::PublishError::with_source(PublishErrorKind::Other, error)
    }

    #[test]
    fn clustered_sequence_races_are_conflicts() {
        for code in [10164, 10163] {
            assert!(
                matches!(
                    publish_error(server_error(code), 7),
                    AppendError::Conflict { expected: 7 }
                ),
                "{code}"
            );
        }
        assert!(matches!(
            publish_error(server_error(10077), 7),
            AppendError::Log(_)
        ));
    }
}

#[cfg(test)]
mod type_filter_tests {
    use std::collections::BTreeSet;

    use super::*;

    fn wanted(types: &[&str]) -> BTreeSet<String> {
        types.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn the_types_header_drops_only_what_it_can() {
        let mut h = async_nats::HeaderMap::new();
        h.insert(HEADER_TYPES, "received,assigned");
        assert!(!excluded_by_types_header(Some(&h), &wanted(&[])));
        assert!(!excluded_by_types_header(Some(&h), &wanted(&["assigned"])));
        assert!(excluded_by_types_header(Some(&h), &wanted(&["returned"])));
        assert!(!excluded_by_types_header(None, &wanted(&["returned"])));
        assert!(!excluded_by_types_header(
            Some(&h),
            &wanted(&["returned", crate::envelope::IMPORTED_TYPE])
        ));
    }
}
