//! Operations endpoints: liveness, readiness, Prometheus metrics. No token needed; none of them
//! says anything about a dossier or a person.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
#[allow(unused_imports)] // Named by the OpenAPI attribute only.
use crate::problem::Problem;
use crate::problem::{ApiError, codes};

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// `GET /healthz`: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub(crate) async fn healthz() -> Response {
    axum::Json(Health { status: "ok" }).into_response()
}

/// `GET /readyz`: connected to NATS and not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready for traffic", body = Health),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    if state.shutdown.is_triggered() {
        return not_ready("shutting down");
    }
    let connected =
        state.service.log().client().connection_state() == async_nats::connection::State::Connected;
    if !connected {
        return not_ready("not connected to NATS");
    }
    axum::Json(Health { status: "ready" }).into_response()
}

fn not_ready(why: &str) -> Response {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, codes::NOT_READY, why).into_response()
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    state.metrics.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
