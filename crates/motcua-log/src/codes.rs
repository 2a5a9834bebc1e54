//! Dossier-code allocation: the per-office daily sequence, coordinated through JetStream itself.
//!
//! Each (office, day) has a counter subject in the `MOTCUA_CODES` stream, a message-counter
//! stream (nats-server ≥ 2.12, `allow_msg_counter`). A publish with `Nats-Incr: +1` is answered
//! with the new total, atomically on the stream leader, so two handlers or two motcua nodes can
//! never be handed the same number, and no number is skipped.
//! Counters of a day are kept for `CODE_COUNTER_DAYS` days and then expire, which bounds the
//! stream's subjects; codes for older receipt dates (imports) keep the codes they were given.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bytes::Bytes;
use jiff::civil::Date;
use motcua_domain::code::DossierCode;
use motcua_domain::units::AgencyId;

use crate::log::{EventLog, LogError};
use crate::subject::{CODE_STREAM, code_subject};

/// How long a day's counter is kept, in days.
pub const CODE_COUNTER_DAYS: u64 = 35;

impl EventLog {
    /// The wanted configuration of the counter stream.
    pub fn code_stream_config(&self) -> stream::Config {
        stream::Config {
            name: CODE_STREAM.to_owned(),
            description: Some(
                "motcua dossier-code counters, one subject per office and day".to_owned(),
            ),
            subjects: vec!["motcua.code.>".to_owned()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            num_replicas: self.settings().replicas,
            max_messages_per_subject: 1,
            max_age: Duration::from_secs(CODE_COUNTER_DAYS * 24 * 3600),
            allow_message_counter: true,
            allow_direct: true,
            duplicate_window: self.settings().duplicate_window,
            max_message_size: 1024,
            ..Default::default()
        }
    }

    /// Allocates the next dossier code of `agency` for receipts on `date`.
    pub async fn allocate_code(
        &self,
        agency: &AgencyId,
        date: Date,
    ) -> Result<DossierCode, LogError> {
        self.ensure_code_stream().await?;
        let publish = jetstream::message::PublishMessage::build()
            .payload(Bytes::new())
            .header("Nats-Incr", "+1");
        let err = |reason: String| LogError::JetStream {
            operation: "code counter",
            reason,
        };
        let ack = self
            .jetstream()
            .send_publish(code_subject(agency, date), publish)
            .await
            .map_err(|e| err(e.to_string()))?
            .await
            .map_err(|e| err(e.to_string()))?;
        let value = ack.value.as_deref().ok_or_else(|| {
            err("the server returned no counter value (is it ≥ 2.12?)".to_owned())
        })?;
        let seq: u32 = value
            .parse()
            .map_err(|_| err(format!("counter value {value:?} is not a sequence number")))?;
        DossierCode::new(agency.clone(), date, seq).map_err(|e| err(e.to_string()))
    }

    async fn ensure_code_stream(&self) -> Result<(), LogError> {
        self.ensure_named(CODE_STREAM, || self.code_stream_config())
            .await
    }
}
