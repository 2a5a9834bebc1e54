//! Operations endpoints: liveness, readiness, Prometheus metrics. No token needed; none of them
//! says anything about a dossier or a person.
//!
//! Readiness and the projector metrics come from a [`NodeHealth`] the binary shares with its
//! projectors' supervisor and its disk probe ([`crate::AppState::with_health`]).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::units::UnitCode;
use motcua_views::{Phase, ProjectorStats};
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
    /// The projectors of this node, by province (readiness only; absent on `/healthz`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub projectors: Vec<ProjectorHealth>,
}

/// A projector as `/readyz` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectorHealth {
    /// The province (2 digits).
    #[schema(example = "79")]
    pub province: String,
    /// `starting`, `rebuilding`, `running`, `failed` or `stopped`.
    #[schema(example = "running")]
    pub phase: &'static str,
    /// Last stream sequence applied to the views.
    pub checkpoint: u64,
    /// The stream's last sequence as last seen.
    pub stream_last: u64,
    /// Messages not yet in the views (`stream_last − checkpoint`).
    pub lag: u64,
    /// Dead letters in the views' store (`motcua deadletters`).
    pub dead_letters: u64,
    /// While rebuilding: last sequence applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuild_seq: Option<u64>,
    /// While rebuilding: the sequence the rebuild goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuild_target: Option<u64>,
    /// Why it stopped, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The parts of a node that `/readyz` and `/metrics` report on besides NATS: its projectors
/// (their [`ProjectorStats`], shared with the supervisor that runs them) and its data disk
/// (a problem the binary's probe found, or none). Cheap to clone; the binary keeps a clone and
/// updates it.
#[derive(Debug, Clone, Default)]
pub struct NodeHealth {
    projectors: Arc<RwLock<BTreeMap<UnitCode, Arc<ProjectorStats>>>>,
    storage: Arc<RwLock<Option<String>>>,
}

impl NodeHealth {
    /// Reports on this province's projector from now on (replacing an earlier one).
    pub fn add_projector(&self, province: UnitCode, stats: Arc<ProjectorStats>) {
        write(&self.projectors).insert(province, stats);
    }

    /// Says the data disk fails (`Some(why)`, e.g. "No space left on device") or works again
    /// (`None`). While it fails, `/readyz` answers 503 and HTTP commands are refused with 503
    /// `not_ready` before they are decided.
    pub fn set_storage_problem(&self, problem: Option<String>) {
        *write(&self.storage) = problem;
    }

    /// The data disk's problem, if any.
    pub fn storage_problem(&self) -> Option<String> {
        read(&self.storage).clone()
    }

    fn projectors(&self) -> Vec<(UnitCode, Arc<ProjectorStats>)> {
        read(&self.projectors)
            .iter()
            .map(|(p, s)| (p.clone(), s.clone()))
            .collect()
    }

    /// Copies the projectors' numbers into the metrics recorder (at every scrape and every few
    /// seconds).
    pub(crate) fn export_metrics(&self) {
        for (province, stats) in self.projectors() {
            crate::metrics::projector(province.as_str(), &stats);
        }
        crate::metrics::storage(self.storage_problem().is_none());
    }

    /// Why the node is not ready, if it is not.
    fn not_ready_reason(&self) -> Option<String> {
        if let Some(problem) = self.storage_problem() {
            return Some(format!("the data disk is failing: {problem}"));
        }
        for (province, stats) in self.projectors() {
            let status = stats.status();
            match status.phase {
                Phase::Running | Phase::Stopped => {}
                Phase::Starting => return Some(format!("the projector of {province} is starting")),
                Phase::Rebuilding => {
                    let (seq, target) = status.rebuild.map_or((0, 0), |r| (r.seq, r.target));
                    return Some(format!(
                        "the projector of {province} is rebuilding its views ({seq} of {target})"
                    ));
                }
                Phase::Failed => {
                    return Some(format!(
                        "the projector of {province} stopped: {}",
                        status.error.unwrap_or_default()
                    ));
                }
            }
        }
        None
    }

    fn report(&self) -> Vec<ProjectorHealth> {
        self.projectors()
            .into_iter()
            .map(|(province, stats)| {
                let s = stats.status();
                ProjectorHealth {
                    province: province.to_string(),
                    phase: s.phase.as_str(),
                    checkpoint: s.checkpoint,
                    stream_last: s.stream_last,
                    lag: s.lag,
                    dead_letters: s.dead_letters,
                    rebuild_seq: s.rebuild.map(|r| r.seq),
                    rebuild_target: s.rebuild.map(|r| r.target),
                    error: s.error,
                }
            })
            .collect()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

/// `GET /healthz`: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub(crate) async fn healthz() -> Response {
    axum::Json(Health {
        status: "ok",
        projectors: Vec::new(),
    })
    .into_response()
}

/// `GET /readyz`: connected to NATS, not shutting down, the data disk writable, and every
/// projector following its stream (not starting, rebuilding or stopped on an error). The body
/// shows each projector's phase, checkpoint and lag; a 503 says why in `detail`.
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
    let projectors = match &state.health {
        Some(health) => {
            if let Some(why) = health.not_ready_reason() {
                return not_ready(&why);
            }
            health.report()
        }
        None => Vec::new(),
    };
    axum::Json(Health {
        status: "ready",
        projectors,
    })
    .into_response()
}

fn not_ready(why: &str) -> Response {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, codes::NOT_READY, why).into_response()
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    if let Some(health) = &state.health {
        health.export_metrics();
    }
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
