//! The live operations dashboard: a static page (HTML, CSS, vanilla JavaScript modules) compiled
//! into the binary, and the two small lookups it needs besides the queries and the event feed.
//!
//! The files under `crates/motcua-api/assets/dashboard/` are embedded with `include_bytes!`, so
//! the dashboard needs no build step, no CDN and no network beyond this server: `/` and
//! `/dashboard` redirect to `/dashboard/`, and `/dashboard/{file}` serves one file with its
//! content type, an ETag and a Content-Security-Policy that allows nothing but this origin.
//! The files hold no data and are served to anyone; everything the page shows comes from the
//! API with the bearer token the user types in, which the page keeps in `sessionStorage` and
//! sends only in the `Authorization` header. The live feed is read with `fetch` and a streaming
//! body rather than `EventSource`, which cannot send that header, so no token ever travels in a
//! URL (`docs/security.md`, "Sent").
//!
//! Architecture invariant: the page makes only requests whose cost does not grow with the
//! number of dossiers: reports (counters, O(units × days)), lists with a `limit`, unit lookups.
//!
//! | method | path | who |
//! |---|---|---|
//! | GET | `/`, `/dashboard`, `/dashboard/{file}` | anyone (static files, no data) |
//! | GET | `/v1/me` | any account: who the token belongs to |
//! | GET | `/v1/units/{unit}?list=` | officers: a unit of the official lists, its parents and children (public data) |

use std::sync::OnceLock;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use motcua_domain::units::{AgencyId, UnitCode, UnitGraph, UnitLevel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{AccountKind, Caller};
#[allow(unused_imports)] // Named by the OpenAPI attributes only.
use crate::problem::Problem;
use crate::problem::{ApiError, codes};

/// Where the dashboard lives.
pub const DASHBOARD_PATH: &str = "/dashboard/";

/// One embedded file.
#[derive(Debug)]
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../assets/dashboard/", $name)),
        }
    };
}

/// The dashboard's files. `index.html` is served at `/dashboard/`.
const ASSETS: [Asset; 9] = [
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("dashboard.css", "text/css; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("i18n.js", "text/javascript; charset=utf-8"),
    asset!("chart.js", "text/javascript; charset=utf-8"),
    asset!("feed.js", "text/javascript; charset=utf-8"),
    asset!("dom.js", "text/javascript; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
];

/// The names of the embedded files (for tests and tools).
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

/// The policy of every dashboard file: scripts, styles, images and requests from this origin
/// only (no inline script, no CDN), never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The dashboard's routes: the static files (undocumented) and the two lookups (documented).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(unit))
        .route("/", get(to_dashboard))
        .route("/dashboard", get(to_dashboard))
        .route("/dashboard/", get(index))
        .route("/dashboard/{file}", get(file))
}

async fn to_dashboard() -> Redirect {
    Redirect::to(DASHBOARD_PATH)
}

async fn index(headers: HeaderMap) -> Response {
    serve_asset("index.html", &headers)
}

async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve_asset(&name, &headers)
}

/// Strong validators of the files, computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..16]))
            .collect()
    })
}

fn serve_asset(name: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            "no such file of the dashboard",
        )
        .into_response();
    };
    let asset = &ASSETS[i];
    let etag = &etags()[i];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    // Revalidate every time: a new binary must never run with the old page's scripts.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

// ---------------------------------------------------------------------------------------------
// GET /v1/me
// ---------------------------------------------------------------------------------------------

/// The account a token belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeAnswer {
    /// Account id.
    #[schema(example = "demo-baocao")]
    pub id: String,
    /// `officer` or `applicant`.
    #[schema(example = "officer")]
    pub kind: String,
    /// Display name of an officer account (empty for a portal account).
    pub name: String,
    /// The office an officer acts for.
    #[schema(example = "UB.79")]
    pub office: Option<String>,
    /// Its name.
    pub office_name: Option<String>,
    /// The unit of the office.
    #[schema(example = "79")]
    pub unit: Option<String>,
    /// The province of the office: the feed, lists and reports an officer reads.
    #[schema(example = "79")]
    pub province: Option<String>,
    /// The account's roles.
    #[schema(example = json!(["reporter"]))]
    pub roles: Vec<String>,
    /// Reporters and admins read the lists, reports and feed of every province.
    pub reads_every_province: bool,
}

/// `GET /v1/me`: who the token belongs to, so that a client (the dashboard) can check a token
/// and start at the caller's own unit.
///
/// Any account. The answer names the account, its office and roles; nothing about dossiers.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "queries",
    responses(
        (status = 200, description = "The caller's account", body = MeAnswer),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn me(State(state): State<AppState>, Caller(caller): Caller) -> Response {
    crate::queries::measured("me", async move {
        let answer = match &caller.kind {
            AccountKind::Applicant => MeAnswer {
                id: caller.id.clone(),
                kind: "applicant".to_owned(),
                name: String::new(),
                office: None,
                office_name: None,
                unit: None,
                province: None,
                roles: vec!["applicant".to_owned()],
                reads_every_province: false,
            },
            AccountKind::Officer { office, roles } => {
                let agencies = &state.service.reference().agencies;
                MeAnswer {
                    id: caller.id.clone(),
                    kind: "officer".to_owned(),
                    name: caller.name.clone(),
                    office: Some(office.to_string()),
                    office_name: agencies.get(office).map(|a| a.name),
                    unit: agencies.unit_of(office).map(|(_, u)| u.code.to_string()),
                    province: state
                        .service
                        .province_of(office)
                        .ok()
                        .map(|p| p.to_string()),
                    roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
                    reads_every_province: roles.iter().any(|r| {
                        matches!(
                            r,
                            motcua_domain::dossier::Role::Reporter
                                | motcua_domain::dossier::Role::Admin
                        )
                    }),
                }
            }
        };
        Ok(axum::Json(answer).into_response())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// GET /v1/units/{unit}
// ---------------------------------------------------------------------------------------------

/// `list` of a unit lookup.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// The official list to answer from (`3level-2025-03`, `2level-2025-07`); default: the
    /// newest list that has the code. Codes are reused across lists, and districts exist only
    /// in the 3-level list.
    #[param(example = "3level-2025-03")]
    list: Option<String>,
}

/// A unit, briefly.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRef {
    /// Official code.
    #[schema(example = "26740")]
    pub code: String,
    /// Official name.
    #[schema(example = "Phường Sài Gòn")]
    pub name: String,
    /// Official type (Tỉnh, Thành phố, Quận, Phường, Xã, Đặc khu …).
    pub kind: String,
    /// `province`, `district` or `commune`.
    pub level: String,
    /// Number of units directly below it in the same list.
    pub children: usize,
}

/// An official list of units that has the code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitListRef {
    /// List id.
    #[schema(example = "2level-2025-07")]
    pub id: String,
    /// First day in force.
    #[schema(value_type = String, format = Date)]
    pub valid_from: jiff::civil::Date,
    /// Last day in force, if it has ended.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_to: Option<jiff::civil::Date>,
}

/// An office attached to the unit: where events are made and what the feed's `unit` filter
/// takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficeRef {
    /// Office id.
    #[schema(example = "UB.26740")]
    pub id: String,
    /// Office name.
    pub name: String,
    /// `one_stop_desk`, `peoples_committee`, `department` or `vertical_agency`.
    pub kind: String,
}

/// A unit of an official list with its parents, its children and its offices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitAnswer {
    /// The unit.
    pub unit: UnitRef,
    /// The list answered from.
    pub list: UnitListRef,
    /// Every list that has this code, oldest first.
    pub lists: Vec<UnitListRef>,
    /// The units above it, province first.
    pub path: Vec<UnitRef>,
    /// The units directly below it, by proper name (the name without its type: "Sài Gòn" of
    /// "Phường Sài Gòn") in Vietnamese alphabetical order.
    pub children: Vec<UnitRef>,
    /// Its offices: the derived one-stop desk (`MC.<code>`) and People's Committee
    /// (`UB.<code>`), then configured ones.
    pub offices: Vec<OfficeRef>,
}

fn unit_ref(graph: &UnitGraph, u: &motcua_domain::units::Unit) -> UnitRef {
    UnitRef {
        code: u.code.to_string(),
        name: u.name.clone(),
        kind: u.kind.clone(),
        level: u.level.as_str().to_owned(),
        children: graph.children(&u.code).count(),
    }
}

fn list_ref(graph: &UnitGraph) -> UnitListRef {
    UnitListRef {
        id: graph.id().to_string(),
        valid_from: graph.valid_from(),
        valid_to: graph.valid_to(),
    }
}

/// `GET /v1/units/{unit}?list=`: a unit of the official lists, the units above it, the units
/// directly below it (by name) and its offices, for drilling down province → district →
/// commune.
///
/// Officers (the lists are public; applicant accounts get 403 `officers_only`). Reading a
/// unit's lists and reports is decided by those endpoints.
#[utoipa::path(
    get,
    path = "/v1/units/{unit}",
    tag = "queries",
    params(("unit" = String, Path, description = "Unit code: 2 (province), 3 (district) or 5 (commune) digits", example = "79"), UnitQuery),
    responses(
        (status = 200, description = "The unit", body = UnitAnswer),
        (status = 400, description = "Bad unit code or list", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit (in that list)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn unit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    unit: Result<Path<String>, PathRejection>,
    query: Result<Query<UnitQuery>, QueryRejection>,
) -> Response {
    crate::queries::measured("unit", async move {
        if matches!(caller.kind, AccountKind::Applicant) {
            return Err(ApiError::forbidden(
                codes::OFFICERS_ONLY,
                "unit lookups are for officers",
            ));
        }
        let Path(raw) =
            unit.map_err(|e| ApiError::bad_request(codes::BAD_REQUEST, e.body_text()))?;
        let Query(query) =
            query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
        let code: UnitCode = raw.parse().map_err(|_| {
            ApiError::bad_request(
                codes::INVALID_UNIT_CODE,
                format!(
                    "a unit code is 2 (province), 3 (district) or 5 (commune) digits, not {raw:?}"
                ),
            )
        })?;
        let registry = state.service.reference().agencies.registry();
        let having: Vec<&UnitGraph> = registry
            .graphs()
            .iter()
            .filter(|g| g.get(&code).is_some())
            .collect();
        let graph = match query.list.as_deref().filter(|l| !l.is_empty()) {
            Some(id) => {
                if registry.graph(id).is_none() {
                    let known: Vec<&str> =
                        registry.graphs().iter().map(|g| g.id().as_str()).collect();
                    return Err(ApiError::bad_request(
                        codes::INVALID_QUERY,
                        format!("no unit list {id:?}; the lists are {}", known.join(", ")),
                    ));
                }
                having.iter().copied().find(|g| g.id().as_str() == id)
            }
            None => having.last().copied(),
        };
        let not_found = || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                codes::UNKNOWN_UNIT,
                format!("no unit {code} in the unit lists"),
            )
        };
        let graph = graph.ok_or_else(not_found)?;
        let u = graph.get(&code).ok_or_else(not_found)?;
        let mut path: Vec<UnitRef> = graph
            .ancestors(&code)
            .into_iter()
            .map(|a| unit_ref(graph, a))
            .collect();
        // Province first, whatever order the list keeps them in.
        path.sort_by_key(|r| match r.level.parse::<UnitLevel>() {
            Ok(UnitLevel::Province) => 0,
            Ok(UnitLevel::District) => 1,
            _ => 2,
        });
        path.retain(|r| r.code != u.code.as_str());
        let mut children: Vec<UnitRef> =
            graph.children(&code).map(|c| unit_ref(graph, c)).collect();
        // By the proper name ("Sài Gòn" of "Phường Sài Gòn"), as a reader looks a unit up.
        children.sort_by_cached_key(|c| {
            let proper = c.name.strip_prefix(c.kind.as_str()).unwrap_or(&c.name);
            (vietnamese_key(proper.trim()), vietnamese_key(&c.name))
        });
        let agencies = &state.service.reference().agencies;
        let mut offices: Vec<OfficeRef> = [AgencyId::desk_of(&code), AgencyId::committee_of(&code)]
            .into_iter()
            .filter_map(|id| agencies.get(&id))
            .chain(
                agencies
                    .configured_at(&code)
                    .filter(|a| a.hierarchy == *graph.id())
                    .cloned(),
            )
            .map(|a| OfficeRef {
                id: a.id.to_string(),
                name: a.name,
                kind: serde_json::to_value(a.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect();
        offices.dedup_by(|a, b| a.id == b.id);
        Ok(axum::Json(UnitAnswer {
            unit: unit_ref(graph, u),
            list: list_ref(graph),
            lists: having.into_iter().map(list_ref).collect(),
            path,
            children,
            offices,
        })
        .into_response())
    })
    .await
}

/// A sort key that orders Vietnamese names as the alphabet does: letters first (a < ă < â,
/// d < đ, e < ê, o < ô < ơ, u < ư, case ignored), then tones (none, huyền, sắc, hỏi, ngã,
/// nặng). Names in the unit lists are NFC.
fn vietnamese_key(name: &str) -> (Vec<(char, u8)>, Vec<u8>) {
    let mut letters = Vec::with_capacity(name.len());
    let mut tones = Vec::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let (letter, variant, tone) = fold(c);
        letters.push((letter, variant));
        tones.push(tone);
    }
    (letters, tones)
}

/// A lower-case character as (base letter, letter variant, tone).
fn fold(c: char) -> (char, u8, u8) {
    // Each row: a vowel with its five tones, in the order none, huyền, sắc, hỏi, ngã, nặng.
    const VOWELS: [(&str, char, u8); 12] = [
        ("aàáảãạ", 'a', 0),
        ("ăằắẳẵặ", 'a', 1),
        ("âầấẩẫậ", 'a', 2),
        ("eèéẻẽẹ", 'e', 0),
        ("êềếểễệ", 'e', 1),
        ("iìíỉĩị", 'i', 0),
        ("oòóỏõọ", 'o', 0),
        ("ôồốổỗộ", 'o', 1),
        ("ơờớởỡợ", 'o', 2),
        ("uùúủũụ", 'u', 0),
        ("ưừứửữự", 'u', 1),
        ("yỳýỷỹỵ", 'y', 0),
    ];
    if c == 'đ' {
        return ('d', 1, 0);
    }
    for (row, base, variant) in VOWELS {
        if let Some(tone) = row.chars().position(|v| v == c) {
            return (base, variant, u8::try_from(tone).unwrap_or(0));
        }
    }
    (c, 0, 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_base_letters_then_marks() {
        let mut names = vec![
            "Phường Đa Kao",
            "Phường Bến Thành",
            "Phường Ấn Lạc",
            "Phường Dĩ An",
            "Phường An Lạc",
            "Xã Ân Hòa",
            "Phường Bàn Cờ",
        ];
        names.sort_by_key(|n| vietnamese_key(n));
        assert_eq!(
            names,
            [
                "Phường An Lạc",
                "Phường Ấn Lạc",
                "Phường Bàn Cờ",
                "Phường Bến Thành",
                "Phường Dĩ An",
                "Phường Đa Kao",
                "Xã Ân Hòa",
            ]
        );
    }

    #[test]
    fn every_asset_is_embedded_once_with_a_content_type() {
        let mut names: Vec<&str> = asset_names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ASSETS.len());
        for a in &ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.name);
            assert!(!a.content_type.is_empty());
        }
    }
}
