//! `GET /v1/events`: a province's commits as Server-Sent Events, filtered and resumable.
//!
//! Each SSE event is one commit: `id` = its stream sequence, `event` = its first event type
//! (`imported` for a migrated dossier's whole history in one message), `data` = the CloudEvents
//! envelope (JSON, current schema version). A client that reconnects
//! with `Last-Event-ID: n` continues with the first commit after `n`; `from_seq` starts at a given
//! sequence; without either the feed starts at the live end. Comments keep idle connections open.
//!
//! Filters (all optional, combined with AND):
//! - `unit=<office id>`: commits whose acting office is that office, or whose events name it
//!   (`from`, `to`, `receiving_agency`, `handling_agency`, the result's `desk`).
//! - `level=province|district|commune`: commits where one of those offices is at that level of
//!   its unit list.
//! - `type=received,forwarded`: commits with at least one event of these types (`imported`
//!   selects imported histories).
//!
//! Who may read: officers (not applicant accounts); an officer reads the province of its office,
//! reporters and admins any province. The envelopes carry applicants' personal data, so the feed
//! is never logged.

use std::collections::BTreeSet;
use std::convert::Infallible;

use async_nats::jetstream;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use motcua_domain::dossier::{EventBody, Role};
use motcua_domain::units::{AgencyId, UnitCode, UnitLevel};
use motcua_log::envelope::IMPORTED_TYPE;
use motcua_log::{Envelope, excluded_by_types_header};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::{AccountKind, Caller};
#[allow(unused_imports)] // Named by the OpenAPI attribute only.
use crate::problem::Problem;
use crate::problem::{ApiError, codes};

/// The query of `GET /v1/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// 2-digit province code; default: the province of the caller's office.
    #[param(example = "79")]
    province: Option<String>,
    /// An office id: commits it made or that name it.
    #[param(example = "MC.26740")]
    unit: Option<String>,
    /// `province`, `district` or `commune`.
    #[param(example = "commune")]
    level: Option<String>,
    /// Comma-separated event types.
    #[param(rename = "type", example = "received,forwarded")]
    #[serde(rename = "type")]
    types: Option<String>,
    /// First stream sequence to send (ignored when `Last-Event-ID` is sent).
    from_seq: Option<String>,
}

/// What to send.
#[derive(Debug, Clone, Default)]
struct Filter {
    unit: Option<AgencyId>,
    level: Option<UnitLevel>,
    types: BTreeSet<String>,
}

/// `GET /v1/events`: the live event feed.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "events",
    params(
        EventsQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this stream sequence"),
    ),
    responses(
        (status = 200, description = "text/event-stream: id = stream sequence, event = first event type, data = the CloudEvents envelope", content_type = "text/event-stream", body = String),
        (status = 400, description = "Bad filter or sequence", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Event log unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn events(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Response {
    match open(&state, &caller, &headers, query).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn open(
    state: &AppState,
    caller: &crate::auth::Account,
    headers: &HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let AccountKind::Officer { office, roles } = &caller.kind else {
        return Err(ApiError::forbidden(
            codes::OFFICERS_ONLY,
            "the event feed is for officers",
        ));
    };
    let reference = state.service.reference();
    let own = state.service.province_of(office)?;
    let province = match &query.province {
        None => own.clone(),
        Some(p) => {
            let code: UnitCode = p
                .parse()
                .ok()
                .filter(|c: &UnitCode| c.level() == UnitLevel::Province)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        codes::UNKNOWN_PROVINCE,
                        format!("province must be a 2-digit province code, not {p:?}"),
                    )
                })?;
            let known = reference
                .agencies
                .registry()
                .graphs()
                .iter()
                .any(|g| g.get(&code).is_some());
            if !known {
                return Err(ApiError::bad_request(
                    codes::UNKNOWN_PROVINCE,
                    format!("no province {code} in the unit lists"),
                ));
            }
            code
        }
    };
    let wide = roles
        .iter()
        .any(|r| matches!(r, Role::Reporter | Role::Admin));
    if province != own && !wide {
        return Err(ApiError::forbidden(
            codes::OTHER_PROVINCE,
            format!(
                "officers read the feed of their own province ({own}); reporters and admins read any"
            ),
        ));
    }
    let filter = filter_of(state, &query)?;
    let start = match start_of(headers, &query)? {
        Some(seq) => seq,
        None => {
            let last = state
                .service
                .log()
                .last_sequence(&province)
                .await
                .map_err(|e| ApiError::from(motcua_command::CommandError::Log(e)))?;
            last + 1
        }
    };
    let consumer = state
        .service
        .log()
        .replay(&province, Vec::new(), start)
        .await
        .map_err(|e| ApiError::from(motcua_command::CommandError::Log(e)))?;
    let messages = consumer
        .messages()
        .await
        .map_err(|e| ApiError::from(motcua_command::CommandError::Unavailable(e.to_string())))?;
    tracing::debug!(province = %province, start, "event feed opened");
    let stream = feed(state.clone(), messages, filter);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(state.settings.sse_keep_alive))
        .into_response())
}

fn filter_of(state: &AppState, query: &EventsQuery) -> Result<Filter, ApiError> {
    let mut filter = Filter::default();
    if let Some(unit) = query.unit.as_deref().filter(|u| !u.is_empty()) {
        let id: AgencyId = unit
            .parse()
            .map_err(|e| ApiError::bad_request(codes::UNKNOWN_UNIT, format!("unit: {e}")))?;
        if state.service.reference().agencies.get(&id).is_none() {
            return Err(ApiError::bad_request(
                codes::UNKNOWN_UNIT,
                format!("no office {id}"),
            ));
        }
        filter.unit = Some(id);
    }
    if let Some(level) = query.level.as_deref().filter(|l| !l.is_empty()) {
        filter.level = Some(level.parse().map_err(|_| {
            ApiError::bad_request(
                codes::UNKNOWN_LEVEL,
                format!("level must be province, district or commune, not {level:?}"),
            )
        })?);
    }
    if let Some(types) = query.types.as_deref() {
        for t in types.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !EventBody::TYPES.contains(&t) && t != IMPORTED_TYPE {
                return Err(ApiError::bad_request(
                    codes::UNKNOWN_EVENT_TYPE,
                    format!(
                        "no event type {t:?}; the types are {} and {IMPORTED_TYPE}",
                        EventBody::TYPES.join(", ")
                    ),
                ));
            }
            filter.types.insert(t.to_owned());
        }
    }
    Ok(filter)
}

/// The first sequence to send: after `Last-Event-ID`, else `from_seq`, else none (live end).
fn start_of(headers: &HeaderMap, query: &EventsQuery) -> Result<Option<u64>, ApiError> {
    let bad = |what: &str| {
        ApiError::bad_request(
            codes::INVALID_LAST_EVENT_ID,
            format!("{what} must be a stream sequence (a whole number)"),
        )
    };
    if let Some(v) = headers.get("last-event-id") {
        let id: u64 = v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| bad("Last-Event-ID"))?;
        return Ok(Some(id.saturating_add(1)));
    }
    match query.from_seq.as_deref() {
        None => Ok(None),
        Some(s) => s
            .trim()
            .parse::<u64>()
            .map(|n| Some(n.max(1)))
            .map_err(|_| bad("from_seq")),
    }
}

/// Decrements the open-feeds gauge when the feed ends, however it ends.
struct OpenFeed;

impl OpenFeed {
    fn new() -> OpenFeed {
        metrics::gauge!(crate::metrics::SSE_STREAMS).increment(1.0);
        OpenFeed
    }
}

impl Drop for OpenFeed {
    fn drop(&mut self) {
        metrics::gauge!(crate::metrics::SSE_STREAMS).decrement(1.0);
    }
}

fn feed(
    state: AppState,
    messages: jetstream::consumer::pull::Ordered,
    filter: Filter,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let guard = OpenFeed::new();
    let shutdown = state.shutdown.clone();
    messages
        .take_while(|m| {
            if let Err(e) = m {
                // The client reconnects with Last-Event-ID and loses nothing.
                tracing::warn!(error = %e, "event feed ended");
            }
            std::future::ready(m.is_ok())
        })
        .filter_map(move |m| {
            let _alive = &guard;
            std::future::ready(m.ok().and_then(|m| to_event(&state, &filter, &m)))
        })
        .map(Ok)
        .take_until(async move { shutdown.wait().await })
}

/// The SSE event for a message, or `None` when the filter drops it.
fn to_event(state: &AppState, filter: &Filter, msg: &jetstream::Message) -> Option<Event> {
    let seq = msg.info().ok()?.stream_sequence;
    if excluded_by_types_header(msg.headers.as_ref(), &filter.types) {
        return None;
    }
    let envelope = match Envelope::decode(&msg.payload) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(stream_seq = seq, error = %e, "unreadable message skipped on the event feed");
            return None;
        }
    };
    let names = envelope.type_names();
    // An imported history is named as such, so that a feed never mistakes it for live work.
    let name = if envelope.is_import() {
        IMPORTED_TYPE
    } else {
        names.first().copied().unwrap_or("commit")
    };
    if !filter.types.is_empty()
        && !filter.types.contains(name)
        && !names.iter().any(|t| filter.types.contains(*t))
    {
        return None;
    }
    if filter.unit.is_some() || filter.level.is_some() {
        let offices = offices_of(&envelope);
        if let Some(unit) = &filter.unit
            && !offices.contains(unit)
        {
            return None;
        }
        if let Some(level) = filter.level {
            let agencies = &state.service.reference().agencies;
            let at_level = offices
                .iter()
                .any(|o| agencies.unit_of(o).is_some_and(|(_, u)| u.level == level));
            if !at_level {
                return None;
            }
        }
    }
    metrics::counter!(crate::metrics::SSE_EVENTS).increment(1);
    let data = String::from_utf8(envelope.encode()).ok()?;
    Some(Event::default().id(seq.to_string()).event(name).data(data))
}

/// The offices a commit involves: the acting one and every one its events name (for an
/// imported history, every original commit's office too).
fn offices_of(envelope: &Envelope) -> BTreeSet<AgencyId> {
    let mut out = BTreeSet::new();
    out.extend(envelope.unit.clone());
    for event in envelope.events() {
        out.extend(event.actor.agency);
        match event.body {
            EventBody::Submitted {
                receiving_agency, ..
            } => {
                out.insert(receiving_agency);
            }
            EventBody::Received {
                receiving_agency,
                handling_agency,
                ..
            } => {
                out.insert(receiving_agency);
                out.insert(handling_agency);
            }
            EventBody::Forwarded { from, to, .. } => {
                out.insert(from);
                out.insert(to);
            }
            EventBody::ResultReady { desk, .. } => {
                out.insert(desk);
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn last_event_id_wins_over_from_seq_and_resumes_after_it() {
        let mut headers = HeaderMap::new();
        let query = EventsQuery {
            from_seq: Some("3".into()),
            ..Default::default()
        };
        assert_eq!(start_of(&headers, &query).unwrap(), Some(3));
        headers.insert("last-event-id", HeaderValue::from_static("41"));
        assert_eq!(start_of(&headers, &query).unwrap(), Some(42));
        headers.insert("last-event-id", HeaderValue::from_static("x"));
        assert_eq!(
            start_of(&headers, &query).unwrap_err().code(),
            codes::INVALID_LAST_EVENT_ID
        );
        assert_eq!(
            start_of(&HeaderMap::new(), &EventsQuery::default()).unwrap(),
            None
        );
    }
}
