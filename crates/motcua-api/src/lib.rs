//! The HTTP edge of motcua: commands, queries over the read models, the live event feed,
//! health, metrics and the OpenAPI document, behind bearer tokens with roles and offices.
//!
//! Architecture invariant: no business rule lives here. A request is authenticated, read into
//! the domain's `CommandBody`, given the acting role (the first of the command's allowed roles
//! the account holds) and the account's office, and handed to `motcua_command::CommandService`,
//! which decides and appends. Errors become RFC 9457 problem documents in one place
//! ([`problem`]), with the same status and code as over NATS.
//!
//! Architecture invariant: nothing personal is logged or measured: logs and metrics name
//! commands, codes, dossier keys and officer ids, never an applicant's data or a token.
//!
//! The binary wires it as: [`AppState::new`] with the command service and the accounts
//! ([`ActorDirectory::load`]), [`AppState::with_views`] with the read models of the provinces
//! this node projects (a [`ViewsByProvince`] of `motcua_views::Projector::views`, shared with
//! the projectors' supervisor so that a province found later becomes queryable; without it the
//! queries answer 503 `views_unavailable`), then [`serve`] with a bound listener and a shutdown
//! future.
//!
//! | method | path | who |
//! |---|---|---|
//! | POST | `/v1/dossiers` | reception (`receive`), applicant accounts (`submit_online`) |
//! | POST | `/v1/dossiers/{key}/{command}` | the command's roles (`CommandBody::allowed_roles`) |
//! | GET | `/v1/dossiers/{key}`, `/v1/dossiers?code=` | officers of its province, reporters, admins, its own applicant account |
//! | GET | `/v1/search?province=&q=` | officers of that province with a case-working role |
//! | GET | `/v1/units/{unit}/queue`, `/v1/agencies/{agency}/queue` | officers (own province; reporters and admins any) |
//! | GET | `/v1/units/{unit}/overdue`, `/v1/agencies/{agency}/overdue` | officers (own province; reporters and admins any) |
//! | GET | `/v1/units/{unit}/reports/bieu06`, `/v1/units/{unit}/reports/kpi766` | officers (own province; reporters and admins any) |
//! | GET | `/v1/events` | officers (own province; reporters and admins any) |
//! | GET | `/healthz`, `/readyz`, `/metrics`, `/openapi.json` | anyone |

pub mod answers;
pub mod auth;
pub mod commands;
pub mod dashboard;
mod endpoints;
mod events;
pub mod metrics;
mod ops;
pub mod problem;
mod queries;
mod schema;

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use motcua_command::CommandService;
use motcua_domain::units::UnitCode;
use motcua_views::Views;
use tokio::net::TcpListener;
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::{
    Account, AccountKind, ActorDirectory, ConfigError, NewToken, SecretToken, new_token,
    token_sha256,
};
pub use commands::CommandAnswer;
pub use endpoints::ON_DOSSIER;
pub use ops::{NodeHealth, ProjectorHealth};
pub use problem::{ApiError, Problem};

/// Settings of the HTTP edge. Defaults, then environment (`MOTCUA_API_…`), then the binary's
/// flags.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Largest request body, in bytes (larger → 413 `too_large`).
    pub body_limit: usize,
    /// Interval of keep-alive comments on the event feed.
    pub sse_keep_alive: Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            // The same limit as a command over NATS.
            body_limit: motcua_command::nats::MAX_REQUEST_BYTES,
            sse_keep_alive: Duration::from_secs(15),
        }
    }
}

impl ApiSettings {
    /// Applies `MOTCUA_API_BODY_LIMIT` (bytes) and `MOTCUA_API_SSE_KEEP_ALIVE_SECS` from `var`
    /// (e.g. `|n| std::env::var(n).ok()`).
    ///
    /// # Errors
    /// [`ConfigError::Setting`] for a value that is not a positive whole number.
    pub fn with_env(
        mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ApiSettings, ConfigError> {
        let number = |name: &str| -> Result<Option<u64>, ConfigError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| ConfigError::Setting {
                        name: name.to_owned(),
                        reason: format!("{v:?} is not a positive whole number"),
                    }),
            }
        };
        if let Some(n) = number("MOTCUA_API_BODY_LIMIT")? {
            self.body_limit = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = number("MOTCUA_API_SSE_KEEP_ALIVE_SECS")? {
            self.sse_keep_alive = Duration::from_secs(n);
        }
        Ok(self)
    }
}

/// Tells long-lived responses (the event feed) and `/readyz` that the server is stopping.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown(Arc<watch::Sender<bool>>);

impl Shutdown {
    fn new() -> Shutdown {
        Shutdown(Arc::new(watch::Sender::new(false)))
    }

    fn trigger(&self) {
        self.0.send_replace(true);
    }

    pub(crate) fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    pub(crate) async fn wait(&self) {
        let mut rx = self.0.subscribe();
        // An error means the sender is gone, which is a shutdown too.
        let _ = rx.wait_for(|stopping| *stopping).await;
    }
}

/// Everything a request needs. Cheap to clone.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AppState {
    /// The write side.
    pub service: CommandService,
    /// The accounts, by token hash.
    pub actors: ActorDirectory,
    /// Limits and intervals.
    pub settings: ApiSettings,
    /// The read models by province, for the queries; `None` on a node without projections
    /// (every query then answers 503 `views_unavailable`).
    pub views: Option<ViewsByProvince>,
    /// The projectors and the data disk, for `/readyz` and `/metrics`; `None` on a node that
    /// reports only its NATS connection.
    pub health: Option<NodeHealth>,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) shutdown: Shutdown,
}

impl AppState {
    /// The state with default settings; installs the Prometheus recorder on first use.
    pub fn new(service: CommandService, actors: ActorDirectory) -> AppState {
        AppState {
            service,
            actors,
            settings: ApiSettings::default(),
            views: None,
            health: None,
            metrics: metrics::prometheus(),
            shutdown: Shutdown::new(),
        }
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: ApiSettings) -> AppState {
        self.settings = settings;
        self
    }

    /// Serves queries from these read models: the views of each province's running projector
    /// (`Projector::views()`), by province. The map is shared, not copied: a projector the
    /// binary starts later (a province stream found after start) is queryable as soon as its
    /// views are inserted. Queries about a province without views answer 503
    /// `views_unavailable`.
    pub fn with_views(mut self, views: ViewsByProvince) -> AppState {
        self.views = Some(views);
        self
    }

    /// Reports on these projectors and this data disk in `/readyz` and `/metrics`, and refuses
    /// commands while the disk fails (see [`NodeHealth`]).
    pub fn with_health(mut self, health: NodeHealth) -> AppState {
        self.health = Some(health);
        self
    }

    /// The views of a province, if this node keeps them.
    pub(crate) fn views_of(&self, province: &UnitCode) -> Option<Views> {
        let map = self.views.as_ref()?;
        let map = match map.read() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.get(province).cloned()
    }
}

/// The read models of the provinces a node projects, by province, shared between the
/// projectors' supervisor (which inserts a province's views when its projector starts) and the
/// queries (which read them).
pub type ViewsByProvince = Arc<RwLock<BTreeMap<UnitCode, Views>>>;

/// A [`ViewsByProvince`] of these views, keyed by their shard's province (the first of two of
/// the same province wins).
pub fn views_by_province(views: impl IntoIterator<Item = Views>) -> ViewsByProvince {
    let mut map = BTreeMap::new();
    for v in views {
        map.entry(v.shard().province.clone()).or_insert(v);
    }
    Arc::new(RwLock::new(map))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua",
        description = "One-stop (một cửa) handling of administrative dossiers: one POST per command, queries over the read models (dossiers, applicant search, queues, overdue lists, Biểu 06 and Decision 766 reports), the live event feed, operations. Errors are RFC 9457 problem documents (application/problem+json) whose `code` is stable: refusals by the rules carry the domain's codes (422, or 403 for office, holder and assignment), the edge's own codes are listed in docs/security.md.",
        license(name = "EUPL-1.2")
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, CommandAnswer, ops::ProjectorHealth)),
    tags(
        (name = "commands", description = "Commands on dossiers; each appends one commit or is refused"),
        (name = "queries", description = "Reads of the read models: a dossier, applicant search, queues, overdue lists, reports"),
        (name = "events", description = "The live event feed (Server-Sent Events)"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An account's token (motcua token new); the server keeps only its SHA-256",
                    ))
                    .build(),
            ),
        );
    }
}

/// The documented routes, with their OpenAPI paths.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(endpoints::create_dossier))
        .merge(endpoints::on_dossier_routes())
        .routes(routes!(events::events))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .merge(queries::routes())
        .merge(dashboard::routes())
}

/// The OpenAPI 3.1 document of the API, generated from the handlers and schemas.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = documented().split_for_parts();
    doc
}

/// The application: every route, the body limit, and problem documents for every error.
pub fn router(state: AppState) -> axum::Router {
    let (routes, doc) = documented().split_for_parts();
    let doc = Arc::new(doc.to_json().unwrap_or_else(|_| "{}".to_owned()));
    routes
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { openapi_json(&doc) }
            }),
        )
        // Static segments win over this one: any other name under a dossier is unknown.
        .route(
            "/v1/dossiers/{key}/{command}",
            post(endpoints::unknown_command),
        )
        .layer(DefaultBodyLimit::max(state.settings.body_limit))
        .layer(axum::middleware::from_fn(problem::problem_safety_net))
        .with_state(state)
}

fn openapi_json(doc: &str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.to_owned()).into_response()
}

/// Serves `state` on `listener` until `shutdown` completes, then stops taking connections,
/// ends the event feeds and lets requests in flight finish.
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let stopping = state.shutdown.clone();
    let metrics = state.metrics.clone();
    let health = state.health.clone();
    let upkeep = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Some(h) = &health {
                h.export_metrics();
            }
            metrics.run_upkeep();
        }
    });
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "HTTP API listening");
    }
    let app = router(state);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("HTTP API stopping");
            stopping.trigger();
        })
        .await;
    upkeep.abort();
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn settings_layer_environment_over_defaults() {
        let s = ApiSettings::default()
            .with_env(|n| (n == "MOTCUA_API_BODY_LIMIT").then(|| "1024".to_owned()))
            .unwrap();
        assert_eq!(s.body_limit, 1024);
        assert_eq!(s.sse_keep_alive, Duration::from_secs(15));
        let e = ApiSettings::default()
            .with_env(|n| (n == "MOTCUA_API_SSE_KEEP_ALIVE_SECS").then(|| "soon".to_owned()))
            .unwrap_err();
        assert!(e.to_string().contains("MOTCUA_API_SSE_KEEP_ALIVE_SECS"));
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_command() {
        let doc = openapi();
        let json: serde_json::Value = serde_json::from_str(&doc.to_json().unwrap()).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        for name in endpoints::ON_DOSSIER {
            let path = format!("/v1/dossiers/{{key}}/{name}");
            assert!(json["paths"][&path]["post"].is_object(), "{path} missing");
        }
        assert!(json["paths"]["/v1/dossiers"]["post"].is_object());
        assert!(json["paths"]["/v1/events"]["get"].is_object());
    }

    /// The document is checked in (`crates/motcua-api/openapi.json`) so that API changes show up
    /// in review; `MOTCUA_BLESS=1 cargo test -p motcua-api` writes it anew.
    #[test]
    fn the_checked_in_document_is_the_generated_one() {
        let generated = openapi().to_pretty_json().unwrap() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        if std::env::var_os("MOTCUA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let stored = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            stored == generated,
            "{path} is out of date: run MOTCUA_BLESS=1 cargo test -p motcua-api"
        );
    }
}
