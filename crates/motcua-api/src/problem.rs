//! Errors as RFC 9457 problem documents (`application/problem+json`) with a stable `code`.
//!
//! Every refusal the edge makes has its own code (the [`codes`] module); refusals by the rules
//! carry the domain's `DomainError::code()`, and failures of the command service its
//! `CommandError::code()`, with the HTTP status `CommandError::http_status()` gives them (the same
//! as over NATS). Statuses: 400 malformed, 401 no valid token, 403 not allowed, 404 not found,
//! 405 wrong method, 409 conflict, 413 too large, 415 wrong content type, 422 refused by the
//! rules, 503 the event log is unavailable. Bad input never gets a 500.

use axum::extract::rejection::BytesRejection;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use motcua_command::CommandError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The codes the HTTP edge itself answers with (the rules and the command service add theirs).
pub mod codes {
    /// The body is not JSON.
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// The body is JSON but not the shape of the command (wrong type, missing field).
    pub const INVALID_BODY: &str = "invalid_body";
    /// The body has a field the command does not take.
    pub const UNKNOWN_FIELD: &str = "unknown_field";
    /// The body could not be read.
    pub const UNREADABLE_BODY: &str = "unreadable_body";
    /// `POST /v1/dossiers` without a `command`.
    pub const MISSING_COMMAND: &str = "missing_command";
    /// A command name that does not exist.
    pub const UNKNOWN_COMMAND: &str = "unknown_command";
    /// A command that does not create a dossier, sent to `POST /v1/dossiers`.
    pub const NOT_A_CREATING_COMMAND: &str = "not_a_creating_command";
    /// The body's `command` differs from the one in the path.
    pub const COMMAND_MISMATCH: &str = "command_mismatch";
    /// The dossier key in the path is not `<province>-<uuid>`.
    pub const INVALID_DOSSIER_KEY: &str = "invalid_dossier_key";
    /// A procedure code that is not `d.dddddd`.
    pub const INVALID_PROCEDURE_CODE: &str = "invalid_procedure_code";
    /// An office identifier that is not well formed.
    pub const INVALID_AGENCY_ID: &str = "invalid_agency_id";
    /// A dossier code that is not `<office>-<YYMMDD>-<NNNN>`.
    pub const INVALID_DOSSIER_CODE: &str = "invalid_dossier_code";
    /// An instant that is not RFC 3339 with an offset.
    pub const INVALID_DATE: &str = "invalid_date";
    /// `command_id` is not a UUID.
    pub const INVALID_COMMAND_ID: &str = "invalid_command_id";
    /// `correlation_id` is not a UUID.
    pub const INVALID_CORRELATION_ID: &str = "invalid_correlation_id";
    /// The `Idempotency-Key` header is not a UUID.
    pub const INVALID_IDEMPOTENCY_KEY: &str = "invalid_idempotency_key";
    /// `Idempotency-Key` and `command_id` are both given and differ.
    pub const IDEMPOTENCY_KEY_MISMATCH: &str = "idempotency_key_mismatch";
    /// The idempotency key was used before for a different request.
    pub const IDEMPOTENCY_KEY_REUSED: &str = "idempotency_key_reused";
    /// `POST /v1/dossiers` for a dossier that exists (its id was taken from the idempotency key).
    pub const DOSSIER_EXISTS: &str = "dossier_exists";
    /// No `Authorization` header.
    pub const MISSING_TOKEN: &str = "missing_token";
    /// An `Authorization` header that is not `Bearer <token>`.
    pub const MALFORMED_TOKEN: &str = "malformed_token";
    /// A bearer token no account has.
    pub const UNKNOWN_TOKEN: &str = "unknown_token";
    /// None of the caller's roles may make this command.
    pub const WRONG_ROLE: &str = "wrong_role";
    /// Officers only (applicant accounts may not read the event feed).
    pub const OFFICERS_ONLY: &str = "officers_only";
    /// The event feed of another province than the caller's office.
    pub const OTHER_PROVINCE: &str = "other_province";
    /// A query parameter that cannot be read.
    pub const INVALID_QUERY: &str = "invalid_query";
    /// A province that is not in the unit lists.
    pub const UNKNOWN_PROVINCE: &str = "unknown_province";
    /// An office filter that names no known office (event feed), or a unit code in no unit list
    /// (queries).
    pub const UNKNOWN_UNIT: &str = "unknown_unit";
    /// A level that is not `province`, `district` or `commune`.
    pub const UNKNOWN_LEVEL: &str = "unknown_level";
    /// An event type that does not exist.
    pub const UNKNOWN_EVENT_TYPE: &str = "unknown_event_type";
    /// `Last-Event-ID` or `from_seq` is not a stream sequence.
    pub const INVALID_LAST_EVENT_ID: &str = "invalid_last_event_id";
    /// Queries: a `limit` that is not a whole number from 1 to 1000.
    pub const INVALID_LIMIT: &str = "invalid_limit";
    /// Reports: `from` or `to` missing.
    pub const MISSING_PERIOD: &str = "missing_period";
    /// Reports: `from` after `to`.
    pub const INVALID_PERIOD: &str = "invalid_period";
    /// Reports: a period of more than five years.
    pub const PERIOD_TOO_LONG: &str = "period_too_long";
    /// Queries: a unit code that is not 2, 3 or 5 digits.
    pub const INVALID_UNIT_CODE: &str = "invalid_unit_code";
    /// Queries: an office id that names no known office.
    pub const UNKNOWN_AGENCY: &str = "unknown_agency";
    /// Queries: a province parameter that is not a 2-digit province code.
    pub const INVALID_PROVINCE: &str = "invalid_province";
    /// `GET /v1/dossiers` without `code`.
    pub const MISSING_CODE: &str = "missing_code";
    /// `GET /v1/search` without `q`.
    pub const MISSING_Q: &str = "missing_q";
    /// `GET /v1/search` with a `q` that is too long or has no letter or digit.
    pub const INVALID_Q: &str = "invalid_q";
    /// No such dossier in the read models (the command service uses the same code).
    pub const DOSSIER_NOT_FOUND: &str = "dossier_not_found";
    /// This node keeps no read models (of that province).
    pub const VIEWS_UNAVAILABLE: &str = "views_unavailable";
    /// The read models failed to answer (the cause is logged).
    pub const VIEWS_ERROR: &str = "views_error";
    /// A report format other than json, csv or xlsx.
    pub const INVALID_FORMAT: &str = "invalid_format";
    /// The body is larger than the limit.
    pub const TOO_LARGE: &str = "too_large";
    /// The body is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// A request axum cannot read (e.g. a path that is not valid UTF-8).
    pub const BAD_REQUEST: &str = "bad_request";
    /// No such resource.
    pub const NOT_FOUND: &str = "not_found";
    /// The resource exists but not with this method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// The service is starting, stopping, or cannot reach the event log.
    pub const NOT_READY: &str = "not_ready";
    /// A bug: never for bad input.
    pub const INTERNAL: &str = "internal";
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `urn:motcua:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP reason phrase of the status.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, for people.
    pub detail: String,
    /// The stable machine-readable code, for programs.
    pub code: String,
}

/// A refusal or failure, turned into a problem response in one place.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// A problem with this status and code.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// 400 with this code.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401 with a `WWW-Authenticate` challenge (RFC 6750).
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> ApiError {
        let challenge = if code == codes::MISSING_TOKEN {
            "Bearer realm=\"motcua\""
        } else {
            "Bearer realm=\"motcua\", error=\"invalid_token\""
        };
        ApiError::new(StatusCode::UNAUTHORIZED, code, detail).with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        )
    }

    /// 403 with this code.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        problem(self.status, self.code, &self.detail)
    }
}

fn problem(status: StatusCode, code: &str, detail: &str) -> Problem {
    Problem {
        problem_type: format!("urn:motcua:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        code: code.to_owned(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> ApiError {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        if status.is_server_error() {
            // The cause may name servers and streams: it goes to the log, not to the caller.
            tracing::warn!(code = e.code(), error = %e, "command failed");
            return ApiError::new(
                status,
                e.code(),
                "the event log is unavailable; retry later with the same Idempotency-Key",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> ApiError {
        match e {
            BytesRejection::FailedToBufferBody(
                axum::extract::rejection::FailedToBufferBody::LengthLimitError(_),
            ) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::TOO_LARGE,
                "the request body is larger than the limit",
            ),
            other => ApiError::bad_request(codes::UNREADABLE_BODY, other.body_text()),
        }
    }
}

/// Middleware: turns every error response that is not yet a problem document (axum's own 404,
/// 405, 413, 415 and any rejection a handler did not map) into one, keeping its status and
/// headers (`Allow` on a 405).
pub async fn problem_safety_net(request: Request<axum::body::Body>, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => (codes::NOT_FOUND, "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            codes::METHOD_NOT_ALLOWED,
            "this resource does not take this method; see the Allow header",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            codes::TOO_LARGE,
            "the request body is larger than the limit",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            codes::UNSUPPORTED_MEDIA_TYPE,
            "the request body must be application/json",
        ),
        s if s.is_client_error() => (codes::BAD_REQUEST, "the request cannot be read"),
        _ => (codes::INTERNAL, "internal error"),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let body = serde_json::to_vec(&problem(status, code, detail)).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_its_code_in_type_and_code() {
        let e = ApiError::forbidden(codes::WRONG_ROLE, "reporters only read");
        let p = e.problem();
        assert_eq!(p.problem_type, "urn:motcua:problem:wrong_role");
        assert_eq!(p.status, 403);
        assert_eq!(p.title, "Forbidden");
        assert_eq!(p.code, "wrong_role");
    }

    #[test]
    fn server_errors_do_not_leak_their_cause() {
        let e = ApiError::from(CommandError::Unavailable(
            "nats://10.0.0.7:4222 timed out".into(),
        ));
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!e.problem().detail.contains("10.0.0.7"));
    }

    #[test]
    fn a_missing_token_challenge_has_no_error_attribute() {
        let r = ApiError::unauthorized(codes::MISSING_TOKEN, "no token").into_response();
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"motcua\""
        );
        let r = ApiError::unauthorized(codes::UNKNOWN_TOKEN, "no such token").into_response();
        assert!(
            r.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap_or_default()
                .contains("invalid_token")
        );
    }
}
