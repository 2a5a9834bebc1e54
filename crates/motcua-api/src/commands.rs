//! Commands over HTTP: `POST /v1/dossiers` creates a dossier (`receive`, `submit_online`),
//! `POST /v1/dossiers/{key}/{command}` makes any other command.
//!
//! The request is checked in this order, and the first failure answers: token (401), body size
//! (413), content type (415), JSON syntax and shape (400, one code per kind of mistake), the
//! caller's roles against the command's (403 `wrong_role`), then the command service: the rules
//! (403 for office, holder or assignment, 422 for the rest), the dossier's existence (404) and
//! the event log (503). Nothing is appended unless every check passed.
//!
//! Idempotency: the command id is the body's `command_id` or the `Idempotency-Key` header (a
//! UUID), else a new UUID v7 (then a retry is a new command: clients that may retry send a key).
//! A repeated id gets the first answer; a repeated id with a different request gets 409
//! `idempotency_key_reused`, checked by the command service (so the NATS door answers alike) by
//! deciding the new request again against the dossier as it was before the first one (the rules
//! are deterministic), so no extra store is needed.
//! A new dossier's id is the command id when that is a UUID v7, else a UUID v8 derived from it:
//! a retried creation finds the same dossier.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use motcua_command::{CommandError, Outcome};
use motcua_domain::catalogue::ProcedureCode;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Command, CommandBody};
use motcua_domain::units::AgencyId;
use motcua_log::trace::{TRACEPARENT, TraceContext};
use motcua_log::{CommitMeta, DossierKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tracing::Instrument as _;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Account;
use crate::problem::{ApiError, codes};

/// The commands that create a dossier.
pub const CREATING: [&str; 2] = ["receive", "submit_online"];

/// The idempotency header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommandAnswer {
    /// The dossier key `<province>-<uuid>`.
    #[schema(example = "79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab")]
    pub key: String,
    /// The command id (the one sent, or the one generated).
    pub command_id: Uuid,
    /// Stream sequence of the commit; also the `id` of its event on `GET /v1/events`.
    pub stream_seq: u64,
    /// Types of the events committed, in order.
    #[schema(example = json!(["received"]))]
    pub events: Vec<String>,
    /// The dossier code on the receipt slip, once there is one.
    #[schema(example = "MC.26740-261123-0001")]
    pub code: Option<String>,
    /// National status code (TrangThaiHoSo) after the commit.
    pub status_code: Option<u8>,
}

impl CommandAnswer {
    fn new(outcome: &Outcome, command_id: Uuid) -> CommandAnswer {
        CommandAnswer {
            key: outcome.key.to_string(),
            command_id,
            stream_seq: outcome.stream_seq,
            events: outcome
                .events
                .iter()
                .map(|e| e.body.type_name().to_owned())
                .collect(),
            code: outcome.code.as_ref().map(ToString::to_string),
            status_code: outcome.status_code,
        }
    }
}

/// A request read and checked, not yet decided.
#[derive(Debug)]
struct Parsed {
    body: CommandBody,
    command_id: Uuid,
    /// The caller chose the id (so this may be a retry).
    keyed: bool,
    correlation_id: Option<Uuid>,
    /// The command's trace span: a child of the request's `traceparent`, or a new trace.
    trace: TraceContext,
    /// The request's valid `traceparent`, if it had one.
    trace_parent: Option<TraceContext>,
}

/// `POST /v1/dossiers`.
pub(crate) async fn create(
    state: AppState,
    caller: &Account,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut label = "invalid";
    let result = async {
        let mut object = read_object(headers, body)?;
        let name = match object.remove("command") {
            None | Some(Value::Null) => {
                return Err(ApiError::bad_request(
                    codes::MISSING_COMMAND,
                    "the body needs \"command\": \"receive\" or \"submit_online\"",
                ));
            }
            Some(Value::String(s)) => known_command(&s)?,
            Some(other) => {
                return Err(ApiError::bad_request(
                    codes::INVALID_BODY,
                    format!("\"command\" must be a string, not {}", kind_of(&other)),
                ));
            }
        };
        label = name;
        if !CREATING.contains(&name) {
            return Err(ApiError::bad_request(
                codes::NOT_A_CREATING_COMMAND,
                format!(
                    "{name} does not create a dossier: POST /v1/dossiers/{{key}}/{name}; only receive and submit_online create one"
                ),
            ));
        }
        let parsed = parse(object, name, headers)?;
        let role = caller
            .acting_role(&parsed.body)
            .ok_or_else(|| caller.wrong_role(&parsed.body))?;
        let receiving = match &parsed.body {
            CommandBody::SubmitOnline {
                receiving_agency, ..
            } => receiving_agency.clone(),
            _ => caller
                .office()
                .cloned()
                .ok_or_else(|| caller.wrong_role(&parsed.body))?,
        };
        let province = state.service.province_of(&receiving)?;
        let key = DossierKey::new(province, dossier_id(parsed.command_id))
            .map_err(|e| ApiError::bad_request(codes::INVALID_DOSSIER_KEY, e.to_string()))?;
        if parsed.keyed {
            // The id comes from the client: the dossier may exist already.
            let history = state
                .service
                .log()
                .read_dossier(&key)
                .await
                .map_err(|e| ApiError::from(CommandError::Log(e)))?;
            if !history.is_empty()
                && !history
                    .iter()
                    .any(|c| c.envelope.commandid == parsed.command_id)
            {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    codes::DOSSIER_EXISTS,
                    format!("dossier {key} exists; use another Idempotency-Key for a new dossier"),
                ));
            }
        }
        let answer = run(&state, caller, key, parsed, role).await?;
        Ok(answer)
    }
    .await;
    match result {
        Ok(answer) => {
            crate::metrics::command_outcome(label, "ok");
            let location = format!("/v1/dossiers/{}", answer.key);
            let mut response = (StatusCode::CREATED, axum::Json(answer)).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(e) => refused(label, e),
    }
}

/// `POST /v1/dossiers/{key}/{command}` for a known command name.
pub(crate) async fn on_dossier(
    state: AppState,
    caller: &Account,
    name: &'static str,
    key: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let key: DossierKey = key.parse().map_err(|e: motcua_log::subject::KeyError| {
            ApiError::bad_request(codes::INVALID_DOSSIER_KEY, e.to_string())
        })?;
        let mut object = read_object(headers, body)?;
        match object.remove("command") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s == name => {}
            Some(other) => {
                return Err(ApiError::bad_request(
                    codes::COMMAND_MISMATCH,
                    format!("the path names {name} but the body names {other}"),
                ));
            }
        }
        let parsed = parse(object, name, headers)?;
        let role = caller
            .acting_role(&parsed.body)
            .ok_or_else(|| caller.wrong_role(&parsed.body))?;
        run(&state, caller, key, parsed, role).await
    }
    .await;
    match result {
        Ok(answer) => {
            crate::metrics::command_outcome(name, "ok");
            (StatusCode::OK, axum::Json(answer)).into_response()
        }
        Err(e) => refused(name, e),
    }
}

/// The answer to `POST /v1/dossiers/{key}/{name}` for a name that is no command of a dossier.
pub(crate) fn unknown_on_dossier(name: &str) -> Response {
    let detail = if name == "submit_online" {
        "submit_online creates a dossier: POST /v1/dossiers".to_owned()
    } else {
        format!(
            "no command {name:?}; the commands are {}",
            CommandBody::NAMES.join(", ")
        )
    };
    refused(
        "invalid",
        ApiError::new(StatusCode::NOT_FOUND, codes::UNKNOWN_COMMAND, detail),
    )
}

fn refused(command: &'static str, e: ApiError) -> Response {
    crate::metrics::command_outcome(command, e.code());
    // The code and status only: the detail may quote what the applicant wrote.
    tracing::info!(
        command,
        status = e.status().as_u16(),
        code = e.code(),
        "command refused"
    );
    e.into_response()
}

/// Decides and appends; the command service answers a repeat with the first answer, or 409
/// when it differs.
async fn run(
    state: &AppState,
    caller: &Account,
    key: DossierKey,
    parsed: Parsed,
    role: motcua_domain::dossier::Role,
) -> Result<CommandAnswer, ApiError> {
    if let Some(problem) = state.health.as_ref().and_then(|h| h.storage_problem()) {
        // The node's data disk fails: its views cannot follow and its cache cannot be written.
        // Refused before anything is decided, so nothing is appended that the client would not
        // hear about; another node (or this one, once the disk is back) takes the retry.
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::NOT_READY,
            format!("this node's data disk is failing ({problem}); retry later or elsewhere"),
        ));
    }
    let name = parsed.body.name();
    let trace = parsed.trace;
    let command = Command {
        id: parsed.command_id,
        actor: caller.actor(role),
        body: parsed.body,
    };
    let meta = CommitMeta {
        correlation_id: parsed.correlation_id,
        causation_id: None,
        traceparent: Some(trace.to_string()),
    };
    let now = Timestamp::now();
    let started = Instant::now();
    // The command service's `command` span inside carries the trace and span ids; this one
    // says whose child it is.
    let span = tracing::info_span!("http_command", parent_span_id = tracing::field::Empty);
    if let Some(parent) = parsed.trace_parent {
        span.record("parent_span_id", parent.span_id());
    }
    let result = state
        .service
        .handle(&key, command.clone(), meta, now)
        .instrument(span)
        .await;
    metrics::histogram!(crate::metrics::APPEND_SECONDS, "command" => name)
        .record(started.elapsed().as_secs_f64());
    let outcome = result?;
    let fresh = outcome
        .events
        .first()
        .is_some_and(|e| e.at == now && e.actor == command.actor);
    tracing::info!(
        command = name,
        dossier = %key,
        officer = caller.office().map(|_| caller.id.as_str()).unwrap_or("applicant"),
        role = role.as_str(),
        stream_seq = outcome.stream_seq,
        replay = !fresh,
        elapsed_ms = started.elapsed().as_millis() as u64,
        trace_id = %trace.trace_id(),
        "command committed"
    );
    Ok(CommandAnswer::new(&outcome, command.id))
}

/// The id of a new dossier made by command `id`: the id itself when it is a UUID v7 (so keys
/// sort by creation time), else a UUID v8 derived from it.
pub fn dossier_id(command_id: Uuid) -> Uuid {
    if command_id.get_version_num() == 7 {
        return command_id;
    }
    let digest = Sha256::new()
        .chain_update(b"motcua dossier id\0")
        .chain_update(command_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Reads the body as a JSON object (an empty body is `{}`).
fn read_object(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let bytes = body?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        });
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "the request body must be sent with Content-Type: application/json",
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::bad_request(
            codes::INVALID_BODY,
            format!("the body must be a JSON object, not {}", kind_of(&other)),
        )),
        Err(e) => Err(ApiError::bad_request(
            codes::MALFORMED_JSON,
            format!("the body is not JSON: {e}"),
        )),
    }
}

fn known_command(name: &str) -> Result<&'static str, ApiError> {
    CommandBody::NAMES
        .iter()
        .copied()
        .find(|n| *n == name)
        .ok_or_else(|| {
            ApiError::bad_request(
                codes::UNKNOWN_COMMAND,
                format!(
                    "no command {name:?}; the commands are {}",
                    CommandBody::NAMES.join(", ")
                ),
            )
        })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn uuid_field(
    object: &mut Map<String, Value>,
    field: &str,
    code: &'static str,
) -> Result<Option<Uuid>, ApiError> {
    match object.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(code, format!("{field} must be a UUID, not {s:?}"))),
        Some(other) => Err(ApiError::bad_request(
            code,
            format!("{field} must be a UUID string, not {}", kind_of(&other)),
        )),
    }
}

/// Reads ids and the command's fields; checks the fields whose format has its own code.
fn parse(
    mut object: Map<String, Value>,
    name: &'static str,
    headers: &HeaderMap,
) -> Result<Parsed, ApiError> {
    let header_key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<Uuid>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        codes::INVALID_IDEMPOTENCY_KEY,
                        "the Idempotency-Key header must be a UUID",
                    )
                })?,
        ),
    };
    let body_id = uuid_field(&mut object, "command_id", codes::INVALID_COMMAND_ID)?;
    let correlation_id = uuid_field(&mut object, "correlation_id", codes::INVALID_CORRELATION_ID)?;
    let id = match (header_key, body_id) {
        (Some(h), Some(b)) if h != b => {
            return Err(ApiError::bad_request(
                codes::IDEMPOTENCY_KEY_MISMATCH,
                format!("Idempotency-Key {h} and command_id {b} differ; send one, or the same"),
            ));
        }
        (h, b) => h.or(b),
    };
    check_formats(&object)?;
    object.insert("command".to_owned(), Value::String(name.to_owned()));
    let body: CommandBody = serde_json::from_value(Value::Object(object)).map_err(|e| {
        let message = e.to_string();
        let code = if message.starts_with("unknown field") {
            codes::UNKNOWN_FIELD
        } else {
            codes::INVALID_BODY
        };
        ApiError::bad_request(code, format!("{name}: {message}"))
    })?;
    let (trace, trace_parent) =
        TraceContext::child_of(headers.get(TRACEPARENT).and_then(|v| v.to_str().ok()));
    Ok(Parsed {
        body,
        command_id: id.unwrap_or_else(Uuid::now_v7),
        keyed: id.is_some(),
        correlation_id,
        trace,
        trace_parent,
    })
}

/// Fields whose text has a format of its own get a code of their own.
fn check_formats(object: &Map<String, Value>) -> Result<(), ApiError> {
    for (field, value) in object {
        let Value::String(text) = value else { continue };
        let refusal = match field.as_str() {
            "procedure" => text
                .parse::<ProcedureCode>()
                .err()
                .map(|e| (codes::INVALID_PROCEDURE_CODE, e.to_string())),
            "handling_agency" | "receiving_agency" | "to" => text
                .parse::<AgencyId>()
                .err()
                .map(|e| (codes::INVALID_AGENCY_ID, format!("{field}: {e}"))),
            "code" => text
                .parse::<DossierCode>()
                .err()
                .map(|e| (codes::INVALID_DOSSIER_CODE, e.to_string())),
            "new_due_at" => text.parse::<Timestamp>().err().map(|_| {
                (
                    codes::INVALID_DATE,
                    format!(
                        "{field} must be an RFC 3339 instant with an offset, e.g. 2026-12-01T17:00:00+07:00, not {text:?}"
                    ),
                )
            }),
            _ => None,
        };
        if let Some((code, detail)) = refusal {
            return Err(ApiError::bad_request(code, detail));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_v7_command_id_is_the_dossier_id_and_others_derive_one() {
        let v7 = Uuid::now_v7();
        assert_eq!(dossier_id(v7), v7);
        let v4: Uuid = "0b7f4e2a-3c1d-4e5f-8a9b-0c1d2e3f4a5b".parse().unwrap();
        let derived = dossier_id(v4);
        assert_ne!(derived, v4);
        assert_eq!(derived, dossier_id(v4), "derivation is deterministic");
        assert_eq!(derived.get_version_num(), 8);
    }

    #[test]
    fn parse_takes_the_id_from_header_or_body() {
        let id = Uuid::now_v7();
        let mut headers = HeaderMap::new();
        headers.insert(
            IDEMPOTENCY_KEY,
            HeaderValue::from_str(&id.to_string()).unwrap(),
        );
        let body = serde_json::json!({"to": "UB.26740"});
        let p = parse(body.as_object().unwrap().clone(), "forward", &headers).unwrap();
        assert_eq!(p.command_id, id);
        assert!(p.keyed);
        let p = parse(Map::new(), "approve", &HeaderMap::new()).unwrap();
        assert!(!p.keyed);
        assert_eq!(p.body, CommandBody::Approve);
        let other = serde_json::json!({"to": "UB.26740", "command_id": Uuid::now_v7()});
        let e = parse(other.as_object().unwrap().clone(), "forward", &headers).unwrap_err();
        assert_eq!(e.code(), codes::IDEMPOTENCY_KEY_MISMATCH);
    }
}
