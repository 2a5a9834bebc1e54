//! Commands over NATS request/reply, for offices that integrate over NATS instead of HTTP.
//!
//! Subject: `motcua.cmd.<province>.<office>` where `<office>` is the acting office's id with dots
//! written as `_` (`MC.26740` → `MC_26740`), or `portal` for applicants. NATS permissions can
//! then let an office publish only on its own subject; the service checks that the command's
//! actor belongs to the office the subject names.
//!
//! Request body: a JSON object with `command_id`, `actor`, `command` and the command's fields,
//! plus `dossier` (the key `<province>-<uuid>`) for every command but a first one; a first command
//! without `dossier` gets a new key. Reply: `{"ok":true,…outcome}` or
//! `{"ok":false,"status":…, "code":…, "message":…}` with the same codes as the HTTP API.
//! A `traceparent` header (W3C) continues the caller's trace into the commit and the projectors.

use futures::StreamExt;
use jiff::Timestamp;
use motcua_domain::dossier::{Actor, Command, CommandBody, Role};
use motcua_log::trace::{TRACEPARENT, TraceContext};
use motcua_log::{CommitMeta, DossierKey};
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;
use uuid::Uuid;

use crate::{CommandError, CommandService, Outcome};

/// The queue group every motcua node serves commands in, so that a command is handled once.
pub const QUEUE_GROUP: &str = "motcua-commands";

/// The largest request body accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// The subject an office sends its commands to.
pub fn command_subject(province: &str, actor: &Actor) -> String {
    let office = match (&actor.agency, actor.role) {
        (Some(a), _) => a.as_str().replace('.', "_"),
        (None, Role::Applicant) => "portal".to_owned(),
        (None, _) => "system".to_owned(),
    };
    format!("motcua.cmd.{province}.{office}")
}

/// A command as sent over NATS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandRequest {
    /// The dossier; absent for the first command of a new dossier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier: Option<DossierKey>,
    /// Idempotency key.
    pub command_id: Uuid,
    /// Who acts.
    pub actor: Actor,
    /// Tracing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    /// What is asked.
    #[serde(flatten)]
    pub body: CommandBody,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommandReply {
    /// Committed (or committed before, for a repeated command id).
    Ok {
        /// Always true.
        ok: bool,
        /// What was committed.
        #[serde(flatten)]
        outcome: Box<Outcome>,
    },
    /// Refused or failed.
    Err {
        /// Always false.
        ok: bool,
        /// The HTTP status the same refusal gets over HTTP.
        status: u16,
        /// Stable machine-readable code.
        code: String,
        /// Human-readable message.
        message: String,
    },
}

impl CommandReply {
    fn error(status: u16, code: &str, message: impl Into<String>) -> CommandReply {
        CommandReply::Err {
            ok: false,
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// The reply to a failed command.
    pub fn from_error(e: &CommandError) -> CommandReply {
        CommandReply::error(e.http_status(), e.code(), e.to_string())
    }
}

impl CommandError {
    /// The HTTP status of this failure (the same over NATS and HTTP).
    pub fn http_status(&self) -> u16 {
        match self {
            CommandError::Domain(e) if e.is_forbidden() => 403,
            CommandError::Domain(motcua_domain::dossier::DomainError::DuplicateCommand(_)) => 409,
            CommandError::Domain(_) => 422,
            CommandError::Contended { .. } | CommandError::CommandIdReused(_) => 409,
            CommandError::NotFound(_) => 404,
            CommandError::WrongProvince { .. } => 422,
            CommandError::TooLarge(_) => 413,
            CommandError::Log(_) | CommandError::Unavailable(_) => 503,
        }
    }
}

/// Handles one request body for `subject` at `now` (a new trace).
pub async fn handle_request(
    service: &CommandService,
    subject: &str,
    body: &[u8],
    now: Timestamp,
) -> CommandReply {
    handle_traced_request(service, subject, None, body, now).await
}

/// Handles one request body for `subject` at `now`, continuing the caller's trace when the
/// request had a valid `traceparent` header: the command's span is a child of it (field
/// `parent_span_id`), else a new trace starts.
pub async fn handle_traced_request(
    service: &CommandService,
    subject: &str,
    traceparent: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> CommandReply {
    let (trace, parent) = TraceContext::child_of(traceparent);
    // The `command` span inside carries the trace and span ids; this one says whose child it is.
    let span = tracing::info_span!("nats_command", parent_span_id = tracing::field::Empty);
    if let Some(parent) = parent {
        span.record("parent_span_id", parent.span_id());
    }
    request(service, subject, trace, body, now)
        .instrument(span)
        .await
}

async fn request(
    service: &CommandService,
    subject: &str,
    trace: TraceContext,
    body: &[u8],
    now: Timestamp,
) -> CommandReply {
    if body.len() > MAX_REQUEST_BYTES {
        return CommandReply::error(
            413,
            "too_large",
            format!(
                "request of {} bytes exceeds {MAX_REQUEST_BYTES}",
                body.len()
            ),
        );
    }
    let request: CommandRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return CommandReply::error(400, "malformed", format!("malformed command: {e}")),
    };
    let mut parts = subject.split('.');
    let (Some("motcua"), Some("cmd"), Some(province), Some(office), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return CommandReply::error(
            400,
            "bad_subject",
            format!("{subject} is not a command subject"),
        );
    };
    if command_subject(province, &request.actor) != subject {
        return CommandReply::error(
            403,
            "wrong_office",
            format!("subject {subject} belongs to another office than the actor's ({office})"),
        );
    }
    let key = match request.dossier {
        Some(key) => key,
        None => {
            let opening = Command {
                id: request.command_id,
                actor: request.actor.clone(),
                body: request.body.clone(),
            };
            let Some(receiving) = opening.receiving_office().cloned() else {
                return CommandReply::error(
                    400,
                    "missing_dossier",
                    "only submit_online and receive may omit the dossier key",
                );
            };
            match service.new_key(&receiving) {
                Ok(k) => k,
                Err(e) => return CommandReply::from_error(&e),
            }
        }
    };
    if key.province().as_str() != province {
        return CommandReply::error(
            422,
            "wrong_province",
            format!("dossier {key} is not in province {province}"),
        );
    }
    let command = Command {
        id: request.command_id,
        actor: request.actor,
        body: request.body,
    };
    let meta = CommitMeta {
        correlation_id: request.correlation_id,
        causation_id: None,
        traceparent: Some(trace.to_string()),
    };
    match service.handle(&key, command, meta, now).await {
        Ok(outcome) => CommandReply::Ok {
            ok: true,
            outcome: Box::new(outcome),
        },
        Err(e) => CommandReply::from_error(&e),
    }
}

/// Serves commands on `motcua.cmd.>` in the queue group until the subscription ends.
pub async fn serve(service: CommandService) -> Result<(), async_nats::SubscribeError> {
    let client = service.log().client().clone();
    let mut sub = client
        .queue_subscribe("motcua.cmd.>", QUEUE_GROUP.to_owned())
        .await?;
    tracing::info!(
        subject = "motcua.cmd.>",
        queue = QUEUE_GROUP,
        "serving commands over NATS"
    );
    while let Some(msg) = sub.next().await {
        let service = service.clone();
        let client = client.clone();
        tokio::spawn(async move {
            let traceparent = msg
                .headers
                .as_ref()
                .and_then(|h| h.get(TRACEPARENT))
                .map(|v| v.as_str().to_owned());
            let reply = handle_traced_request(
                &service,
                &msg.subject,
                traceparent.as_deref(),
                &msg.payload,
                Timestamp::now(),
            )
            .await;
            if let Some(to) = msg.reply {
                let body = serde_json::to_vec(&reply).unwrap_or_default();
                if let Err(e) = client.publish(to, body.into()).await {
                    tracing::warn!(error = %e, "could not send a command reply");
                }
            }
        });
    }
    Ok(())
}
