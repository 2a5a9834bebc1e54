//! Subscriptions for projectors, province centres and tails.
//!
//! Durable pull consumers with filter subjects, explicit acks, a bound on unacknowledged
//! messages, back-off between redeliveries and a delivery limit; ordered consumers for replays.

use std::time::Duration;

use async_nats::jetstream::consumer::{self, pull};
use motcua_domain::units::UnitCode;

use crate::log::{EventLog, LogError};
use crate::subject::dossier_stream;

/// Settings of a durable subscription.
#[derive(Debug, Clone)]
pub struct DurableSettings {
    /// Durable name (letters, digits, `-`, `_`).
    pub name: String,
    /// Subjects to receive; empty = the whole stream.
    pub filter_subjects: Vec<String>,
    /// Most messages delivered and not yet acknowledged.
    pub max_ack_pending: i64,
    /// Waits between redeliveries.
    pub backoff: Vec<Duration>,
    /// Deliveries before a message is given up (and reported as an advisory).
    pub max_deliver: i64,
    /// How long a delivered message may stay unacknowledged before redelivery.
    pub ack_wait: Duration,
}

impl DurableSettings {
    /// Defaults for a projector: a few thousand in flight, back-off 1 s, 5 s, 30 s, 10 deliveries.
    pub fn projector(name: impl Into<String>) -> DurableSettings {
        DurableSettings {
            name: name.into(),
            filter_subjects: Vec::new(),
            max_ack_pending: 4096,
            backoff: vec![
                Duration::from_secs(1),
                Duration::from_secs(5),
                Duration::from_secs(30),
            ],
            max_deliver: 10,
            ack_wait: Duration::from_secs(30),
        }
    }
}

impl EventLog {
    /// A durable pull consumer on a province's dossier stream (created or reused).
    pub async fn durable_consumer(
        &self,
        province: &UnitCode,
        settings: &DurableSettings,
    ) -> Result<consumer::Consumer<pull::Config>, LogError> {
        self.ensure_dossier_stream(province).await?;
        let err = |e: String| LogError::JetStream {
            operation: "durable consumer",
            reason: e,
        };
        let stream = self
            .jetstream()
            .get_stream(dossier_stream(province))
            .await
            .map_err(|e| err(e.to_string()))?;
        let config = pull::Config {
            durable_name: Some(settings.name.clone()),
            filter_subjects: settings.filter_subjects.clone(),
            ack_policy: consumer::AckPolicy::Explicit,
            deliver_policy: consumer::DeliverPolicy::All,
            max_ack_pending: settings.max_ack_pending,
            backoff: settings.backoff.clone(),
            max_deliver: settings.max_deliver,
            ack_wait: settings.ack_wait,
            ..Default::default()
        };
        stream
            .get_or_create_consumer(&settings.name, config)
            .await
            .map_err(|e| err(e.to_string()))
    }

    /// An ordered (ephemeral, flow-controlled, gap-detecting) consumer replaying a province's
    /// stream from `start_seq` (1 = from the beginning), for rebuilds and tails.
    pub async fn replay(
        &self,
        province: &UnitCode,
        filter_subjects: Vec<String>,
        start_seq: u64,
    ) -> Result<consumer::Consumer<pull::OrderedConfig>, LogError> {
        let err = |e: String| LogError::JetStream {
            operation: "ordered consumer",
            reason: e,
        };
        // A reader takes the stream as it is: provisioning (and its drift check) only when the
        // stream is not there yet, so that a tool connected with the default settings (one
        // replica) can read an R3 stream (`motcua verify`, `motcua rebuild` on a cluster).
        let stream = match self.jetstream().get_stream(dossier_stream(province)).await {
            Ok(stream) => stream,
            Err(_) => {
                self.ensure_dossier_stream(province).await?;
                self.jetstream()
                    .get_stream(dossier_stream(province))
                    .await
                    .map_err(|e| err(e.to_string()))?
            }
        };
        let config = pull::OrderedConfig {
            filter_subjects,
            deliver_policy: if start_seq <= 1 {
                consumer::DeliverPolicy::All
            } else {
                consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: start_seq,
                }
            },
            ..Default::default()
        };
        stream
            .create_consumer(config)
            .await
            .map_err(|e| err(e.to_string()))
    }
}
