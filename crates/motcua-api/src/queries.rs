//! Queries over the read models (dossier by key or code, desk queues, overdue lists, reports).
//!
//! Not written yet: `motcua-views` is being built. This is where they plug in, so that neither
//! the router nor the binary changes shape when they arrive:
//!
//! 1. `AppState` gets a `views` field (an `Option` of the views handle, `None` while a node runs
//!    without projections) and a `with_views` builder; it is `#[non_exhaustive]` and built by
//!    `AppState::new`, so adding the field breaks no caller.
//! 2. The handlers here take `State<AppState>` and `Caller`, answer 503 `views_unavailable` when
//!    `views` is `None`, and check the scope: an officer reads its own office's units, reporters
//!    and admins any (the same rule as the event feed).
//! 3. [`routes`] lists them with `utoipa_axum::routes!`, so they appear in `/openapi.json`; it
//!    is already merged into the documented router.

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The query routes (none yet).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
