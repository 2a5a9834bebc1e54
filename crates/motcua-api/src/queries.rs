//! Queries over the read models: a dossier by key or code, applicant search, desk queues,
//! overdue lists, Biểu 06 and the Decision 766 inputs of a unit for a period.
//!
//! The read models are the `motcua-views` shards the binary hands to
//! [`crate::AppState::with_views`], one per province; without them every query answers 503
//! `views_unavailable`, as does a query about a province this node keeps no views of. The views
//! trail the stream by a batch: a dossier created a moment ago may not be found yet.
//!
//! Who reads what (also in `docs/security.md`):
//!
//! - Lists and reports (queues, overdue lists, Biểu 06, Decision 766): officers of the unit's
//!   province; `reporter` and `admin` any province. Applicant accounts: 403 `officers_only`.
//! - A dossier by key or code: officers of the province of its receiving desk or of its holder;
//!   `reporter` and `admin` any; an applicant account only a dossier it submitted itself (any
//!   other answers 404, so that codes cannot be probed).
//! - Applicant data (name, ID number, phone, address, e-mail, the applicant's feedback comment,
//!   a portal account id) goes only to officers of the province of the receiving desk or of the
//!   holder who hold a case-working role (`reception`, `handling_officer`, `approver`, `clerk`,
//!   `admin`), and to the applicant's own portal account. The `reporter` and `importer` roles
//!   never grant it; everyone else gets the same answer with it withheld.
//! - Applicant search: officers of that province with a case-working role.
//!
//! Checks, in order: token (401), officers only (403), the path and query parameters (400, or
//! 404 for an unknown unit, office or province), the caller's province (403), the views (503),
//! then the dossier (404). Bad input never gets a 500.
//!
//! Nothing personal is logged or measured: metrics are labelled by endpoint and outcome code,
//! and neither the search text nor a name is ever logged.

use std::future::Future;
use std::time::Instant;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{EventBody, Role};
use motcua_domain::units::{AgencyId, UnitCode, UnitLevel};
use motcua_log::DossierKey;
use motcua_views::{DossierDetail, Scope, ViewError, Views};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
#[allow(unused_imports)] // Named by the OpenAPI attributes only.
use crate::answers::{Bieu06Answer, DossierAnswer, Kpi766Answer, ListAnswer, SearchAnswer};
use crate::answers::{DossierSummary, ListEntry, ListScope, Personal};
use crate::auth::{Account, AccountKind, Caller};
#[allow(unused_imports)]
use crate::problem::Problem;
use crate::problem::{ApiError, codes};

/// Default number of items of a list or a search.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest `limit`.
pub const MAX_LIMIT: usize = 1000;
/// Longest report period, in years.
pub const MAX_PERIOD_YEARS: i16 = 5;
/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;
/// Years a date or an instant may name.
const YEARS: std::ops::RangeInclusive<i16> = 1900..=2999;

/// Roles that work on dossiers and so may see the applicant's data (in their province).
const CASE_ROLES: [Role; 5] = [
    Role::Reception,
    Role::HandlingOfficer,
    Role::Approver,
    Role::Clerk,
    Role::Admin,
];

/// Roles that read every province's lists and reports.
const WIDE_ROLES: [Role; 2] = [Role::Reporter, Role::Admin];

/// The query routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dossier))
        .routes(routes!(dossier_by_code))
        .routes(routes!(search))
        .routes(routes!(unit_queue))
        .routes(routes!(agency_queue))
        .routes(routes!(unit_overdue))
        .routes(routes!(agency_overdue))
        .routes(routes!(bieu06))
        .routes(routes!(kpi766))
        .routes(routes!(official))
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

/// `limit`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// At most this many items (1 to 1000; default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, example = 50)]
    limit: Option<String>,
}

/// `at` and `limit` of an overdue list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// The instant deadlines are compared with (RFC 3339 with an offset; default: now).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-01-09T09:00:00+07:00")]
    at: Option<String>,
    /// At most this many items (1 to 1000; default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, example = 50)]
    limit: Option<String>,
}

/// The period of a report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day, local `YYYY-MM-DD`.
    #[param(required = true, value_type = String, format = Date, example = "2026-01-01")]
    from: Option<String>,
    /// Last day, inclusive, local `YYYY-MM-DD`; at most 5 years after `from`.
    #[param(required = true, value_type = String, format = Date, example = "2026-01-31")]
    to: Option<String>,
    /// When pending dossiers of a period not yet ended are judged (RFC 3339 with an offset;
    /// default: now).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-02-01T00:00:00+07:00")]
    at: Option<String>,
}

/// An applicant search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// 2-digit province code; default: the province of the caller's office.
    #[param(example = "79")]
    province: Option<String>,
    /// The start of a run of words of the applicant's name; diacritics and case are ignored
    /// ("nguyen van an", "van an" and "an" all find "Nguyễn Văn An"). At most 100 characters.
    #[param(required = true, value_type = String, example = "nguyen van an")]
    q: Option<String>,
    /// At most this many items (1 to 1000; default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, example = 20)]
    limit: Option<String>,
}

/// A lookup by code.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// The dossier code on the receipt slip, `<office>-<YYMMDD>-<NNNN>`.
    #[param(required = true, value_type = String, example = "MC.26740-260105-0001")]
    code: Option<String>,
}

fn query_of<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))
}

fn path_of(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(p)| p)
        .map_err(|e| ApiError::bad_request(codes::BAD_REQUEST, e.body_text()))
}

fn limit_of(raw: Option<&str>) -> Result<usize, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    raw.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            ApiError::bad_request(
                codes::INVALID_LIMIT,
                format!("limit must be a whole number from 1 to {MAX_LIMIT}, not {raw:?}"),
            )
        })
}

/// An instant, RFC 3339 with an offset. A `+` sent unencoded in a query string arrives as a
/// space; it is read as the `+` it was.
fn instant_of(name: &str, raw: Option<&str>) -> Result<Timestamp, ApiError> {
    let Some(raw) = raw else {
        return Ok(Timestamp::now());
    };
    let text = raw.trim();
    let parsed = text
        .parse::<Timestamp>()
        .or_else(|_| text.replace(' ', "+").parse::<Timestamp>())
        .ok()
        .filter(|t| YEARS.contains(&jiff::tz::Offset::UTC.to_datetime(*t).year()));
    parsed.ok_or_else(|| {
        ApiError::bad_request(
            codes::INVALID_DATE,
            format!(
                "{name} must be an RFC 3339 instant with an offset between the years 1900 and 2999, e.g. 2026-01-09T09:00:00+07:00 (write + as %2B), not {raw:?}"
            ),
        )
    })
}

fn date_of(name: &str, raw: Option<&str>) -> Result<Date, ApiError> {
    let Some(raw) = raw else {
        return Err(ApiError::bad_request(
            codes::MISSING_PERIOD,
            "a report needs from=YYYY-MM-DD and to=YYYY-MM-DD",
        ));
    };
    let text = raw.trim();
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| text.parse::<Date>().ok())
        .flatten()
        .filter(|d| YEARS.contains(&d.year()))
        .ok_or_else(|| {
            ApiError::bad_request(
                codes::INVALID_DATE,
                format!(
                    "{name} must be a date YYYY-MM-DD between the years 1900 and 2999, not {raw:?}"
                ),
            )
        })
}

/// A report's period and the instant it is judged at.
fn period_of(q: &PeriodQuery) -> Result<(Date, Date, Timestamp), ApiError> {
    let from = date_of("from", q.from.as_deref())?;
    let to = date_of("to", q.to.as_deref())?;
    if from > to {
        return Err(ApiError::bad_request(
            codes::INVALID_PERIOD,
            format!("the period starts ({from}) after it ends ({to})"),
        ));
    }
    if let Ok(limit) = from.checked_add(MAX_PERIOD_YEARS.years())
        && to >= limit
    {
        return Err(ApiError::bad_request(
            codes::PERIOD_TOO_LONG,
            format!("a report covers at most {MAX_PERIOD_YEARS} years; {from} to {to} is longer"),
        ));
    }
    let at = instant_of("at", q.at.as_deref())?;
    Ok((from, to, at))
}

// ---------------------------------------------------------------------------------------------
// Who reads
// ---------------------------------------------------------------------------------------------

/// The caller, as the queries see it.
#[derive(Debug)]
enum Reader {
    Officer {
        /// The province of the officer's office.
        own: UnitCode,
        /// Reporter or admin: any province's lists and reports.
        wide: bool,
        /// Holds a case-working role: may see applicant data in its province.
        case_worker: bool,
    },
    Applicant {
        account: String,
    },
}

impl Reader {
    fn of(state: &AppState, caller: &Account) -> Result<Reader, ApiError> {
        match &caller.kind {
            AccountKind::Applicant => Ok(Reader::Applicant {
                account: caller.id.clone(),
            }),
            AccountKind::Officer { office, roles } => Ok(Reader::Officer {
                own: state.service.province_of(office)?,
                wide: roles.iter().any(|r| WIDE_ROLES.contains(r)),
                case_worker: roles.iter().any(|r| CASE_ROLES.contains(r)),
            }),
        }
    }

    /// Officers only (lists, reports, search).
    fn officer(state: &AppState, caller: &Account, what: &str) -> Result<Reader, ApiError> {
        match Reader::of(state, caller)? {
            Reader::Applicant { .. } => Err(ApiError::forbidden(
                codes::OFFICERS_ONLY,
                format!("{what} are for officers"),
            )),
            officer => Ok(officer),
        }
    }

    /// May this officer read the lists and reports of `province`, and with applicant data?
    fn lists_of(&self, province: &UnitCode) -> Result<Personal, ApiError> {
        match self {
            Reader::Applicant { .. } => Err(ApiError::forbidden(
                codes::OFFICERS_ONLY,
                "lists and reports are for officers",
            )),
            Reader::Officer {
                own,
                wide,
                case_worker,
            } => {
                if own != province && !wide {
                    return Err(other_province(own));
                }
                Ok(if *case_worker && own == province {
                    Personal::Included
                } else {
                    Personal::Withheld
                })
            }
        }
    }
}

fn other_province(own: &UnitCode) -> ApiError {
    ApiError::forbidden(
        codes::OTHER_PROVINCE,
        format!(
            "officers read the dossiers, lists and reports of their own province ({own}); reporters and admins read any"
        ),
    )
}

fn dossier_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        codes::DOSSIER_NOT_FOUND,
        "no such dossier in the read models (a dossier created a moment ago may not be there yet)",
    )
}

/// The views of a province on this node.
fn views_of(state: &AppState, province: &UnitCode) -> Result<Views, ApiError> {
    let unavailable = |detail: String| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::VIEWS_UNAVAILABLE,
            detail,
        )
    };
    if state.views.is_none() {
        return Err(unavailable(
            "this node runs without read models; queries are answered by nodes that project the streams".to_owned(),
        ));
    }
    state.views_of(province).ok_or_else(|| {
        unavailable(format!(
            "this node keeps no read models of province {province}"
        ))
    })
}

/// A unit named in a path, its name and its province.
struct UnitInfo {
    code: UnitCode,
    name: String,
    province: UnitCode,
}

/// The unit of this code in the newest unit list that has it.
fn unit_info(state: &AppState, raw: &str) -> Result<UnitInfo, ApiError> {
    let code: UnitCode = raw.parse().map_err(|_| {
        ApiError::bad_request(
            codes::INVALID_UNIT_CODE,
            format!("a unit code is 2 (province), 3 (district) or 5 (commune) digits, not {raw:?}"),
        )
    })?;
    let registry = state.service.reference().agencies.registry();
    let found = registry
        .graphs()
        .iter()
        .rev()
        .find_map(|g| Some((g.get(&code)?, g.province_of(&code)?)));
    let Some((unit, province)) = found else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::UNKNOWN_UNIT,
            format!("no unit {code} in the unit lists"),
        ));
    };
    Ok(UnitInfo {
        name: unit.name.clone(),
        province: province.code.clone(),
        code,
    })
}

/// An office named in a path, its name and its province.
fn agency_info(state: &AppState, raw: &str) -> Result<(AgencyId, String, UnitCode), ApiError> {
    let id: AgencyId = raw
        .parse()
        .map_err(|e| ApiError::bad_request(codes::INVALID_AGENCY_ID, format!("{e}")))?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            codes::UNKNOWN_AGENCY,
            format!("no office {id}"),
        )
    };
    let agency = state
        .service
        .reference()
        .agencies
        .get(&id)
        .ok_or_else(unknown)?;
    let province = state.service.province_of(&id).map_err(|_| unknown())?;
    Ok((id, agency.name, province))
}

/// A province given as a query parameter.
fn province_param(state: &AppState, raw: &str) -> Result<UnitCode, ApiError> {
    let code: UnitCode = raw
        .trim()
        .parse()
        .ok()
        .filter(|c: &UnitCode| c.level() == UnitLevel::Province)
        .ok_or_else(|| {
            ApiError::bad_request(
                codes::INVALID_PROVINCE,
                format!("province must be a 2-digit province code, not {raw:?}"),
            )
        })?;
    let known = state
        .service
        .reference()
        .agencies
        .registry()
        .graphs()
        .iter()
        .any(|g| g.get(&code).is_some());
    if !known {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::UNKNOWN_PROVINCE,
            format!("no province {code} in the unit lists"),
        ));
    }
    Ok(code)
}

// ---------------------------------------------------------------------------------------------
// Running a query
// ---------------------------------------------------------------------------------------------

/// Counts the query by endpoint and outcome and times it.
pub(crate) async fn measured(
    endpoint: &'static str,
    work: impl Future<Output = Result<Response, ApiError>>,
) -> Response {
    let start = Instant::now();
    let result = work.await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    };
    crate::metrics::query_outcome(endpoint, outcome, start.elapsed());
    tracing::debug!(
        endpoint,
        outcome,
        ms = start.elapsed().as_millis() as u64,
        "query"
    );
    match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Runs a read off the async threads (sled reads block).
async fn read<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ViewError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(ViewError::InvalidQuery(reason))) => {
            Err(ApiError::bad_request(codes::INVALID_QUERY, reason))
        }
        Ok(Err(e)) => {
            // The cause may name files; it goes to the log, not to the caller.
            tracing::warn!(code = e.code(), error = %e, "read model query failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                codes::VIEWS_ERROR,
                "the read models cannot answer now; retry later",
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "read model query panicked");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::INTERNAL,
                "internal error",
            ))
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> Response {
    axum::Json(value).into_response()
}

// ---------------------------------------------------------------------------------------------
// A dossier
// ---------------------------------------------------------------------------------------------

/// Who submitted the dossier through the portal, if anyone.
fn portal_account(d: &DossierDetail) -> Option<&str> {
    d.timeline
        .iter()
        .find(|e| matches!(e.event, EventBody::Submitted { .. }))
        .filter(|e| e.actor.role == Role::Applicant)
        .map(|e| e.actor.id.as_str())
}

/// Reads a dossier of `province` and decides what the caller sees of it.
async fn answer_dossier(
    state: &AppState,
    reader: &Reader,
    province: UnitCode,
    lookup: impl FnOnce(&Views) -> Result<Option<DossierDetail>, ViewError> + Send + 'static,
) -> Result<Response, ApiError> {
    let views = views_of(state, &province)?;
    let detail = read(move || lookup(&views)).await?;
    let personal = match reader {
        Reader::Applicant { account } => match &detail {
            Some(d) if portal_account(d) == Some(account.as_str()) => Personal::Included,
            // Not found and not theirs answer alike: a code cannot be probed.
            _ => return Err(dossier_not_found()),
        },
        Reader::Officer {
            own,
            wide,
            case_worker,
        } => {
            let Some(d) = &detail else {
                return Err(if own == &province || *wide {
                    dossier_not_found()
                } else {
                    other_province(own)
                });
            };
            let province_of =
                |a: &Option<AgencyId>| a.as_ref().and_then(|a| state.service.province_of(a).ok());
            let receiving = province_of(&d.row.receiving_agency).unwrap_or(province.clone());
            let holder = province_of(&d.row.holder);
            let involved = own == &receiving || holder.as_ref() == Some(own);
            if !involved && !own.eq(&province) && !wide {
                return Err(other_province(own));
            }
            if *case_worker && involved {
                Personal::Included
            } else {
                Personal::Withheld
            }
        }
    };
    let Some(detail) = detail else {
        return Err(dossier_not_found());
    };
    Ok(json(&DossierAnswer::new(&detail, personal)))
}

/// `GET /v1/dossiers/{key}`: a dossier with its timeline, control slip and pauses.
///
/// Officers of the province of its receiving desk or its holder, reporters and admins, and the
/// applicant account that submitted it. Applicant data only for officers of those provinces
/// with a case-working role and for that applicant account (never for reporters).
#[utoipa::path(
    get,
    path = "/v1/dossiers/{key}",
    tag = "queries",
    operation_id = "get_dossier",
    params(("key" = String, Path, description = "Dossier key <province>-<uuid>")),
    responses(
        (status = 200, description = "The dossier", body = DossierAnswer),
        (status = 400, description = "Not a dossier key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another province's dossier", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dossier (or, for an applicant account, not its own)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the dossier's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn dossier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: Result<Path<String>, PathRejection>,
) -> Response {
    measured("dossier", async move {
        let reader = Reader::of(&state, &caller)?;
        let key: DossierKey =
            path_of(key)?
                .parse()
                .map_err(|e: motcua_log::subject::KeyError| {
                    ApiError::bad_request(codes::INVALID_DOSSIER_KEY, e.to_string())
                })?;
        let province = key.province().clone();
        answer_dossier(&state, &reader, province, move |v| v.dossier_by_key(&key)).await
    })
    .await
}

/// `GET /v1/dossiers?code=`: a dossier by the code on its receipt slip.
///
/// The same answer and the same rules as `GET /v1/dossiers/{key}`.
#[utoipa::path(
    get,
    path = "/v1/dossiers",
    tag = "queries",
    operation_id = "find_dossier_by_code",
    params(CodeQuery),
    responses(
        (status = 200, description = "The dossier", body = DossierAnswer),
        (status = 400, description = "No code, or not a dossier code", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another province's dossier", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dossier (or, for an applicant account, not its own)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the dossier's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn dossier_by_code(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<CodeQuery>, QueryRejection>,
) -> Response {
    measured("dossier_by_code", async move {
        let reader = Reader::of(&state, &caller)?;
        let query = query_of(query)?;
        let raw = query
            .code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                ApiError::bad_request(
                    codes::MISSING_CODE,
                    "send code=<office>-<YYMMDD>-<NNNN>, the code on the receipt slip",
                )
            })?;
        let code: DossierCode = raw
            .parse()
            .map_err(|e| ApiError::bad_request(codes::INVALID_DOSSIER_CODE, format!("{e}")))?;
        // A dossier lives in the stream of its receiving desk's province.
        let province = state
            .service
            .province_of(code.agency())
            .map_err(|_| dossier_not_found())?;
        answer_dossier(&state, &reader, province, move |v| v.dossier_by_code(&code)).await
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/// `GET /v1/search?province=&q=&limit=`: dossiers by the applicant's name, ignoring diacritics
/// and case.
///
/// Officers of that province with a case-working role (reception, handling officer, approver,
/// clerk, admin); reporters may not search by name. The items carry the name, never ID numbers,
/// phones or addresses.
#[utoipa::path(
    get,
    path = "/v1/search",
    tag = "queries",
    params(SearchQuery),
    responses(
        (status = 200, description = "The matches", body = SearchAnswer),
        (status = 400, description = "No or bad search text, bad province or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of that province with a case-working role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such province", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    measured("search", async move {
        let reader = Reader::officer(&state, &caller, "searches")?;
        let Reader::Officer {
            own, case_worker, ..
        } = &reader
        else {
            return Err(ApiError::forbidden(codes::OFFICERS_ONLY, "searches are for officers"));
        };
        let query = query_of(query)?;
        let province = match query.province.as_deref() {
            None => own.clone(),
            Some(p) => province_param(&state, p)?,
        };
        let text = query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .ok_or_else(|| {
                ApiError::bad_request(codes::MISSING_Q, "send q=<the start of the applicant's name>")
            })?
            .to_owned();
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(ApiError::bad_request(
                codes::INVALID_Q,
                format!("the search text is at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        if motcua_views::fold::fold(&text).is_empty() {
            return Err(ApiError::bad_request(
                codes::INVALID_Q,
                "the search text needs at least one letter or digit",
            ));
        }
        let limit = limit_of(query.limit.as_deref())?;
        if own != &province {
            return Err(ApiError::forbidden(
                codes::OTHER_PROVINCE,
                format!("officers search the applicants of their own province ({own})"),
            ));
        }
        if !case_worker {
            return Err(ApiError::forbidden(
                codes::WRONG_ROLE,
                "searching by the applicant's name needs a case-working role (reception, handling_officer, approver, clerk or admin)",
            ));
        }
        let views = views_of(&state, &province)?;
        let mut rows = read(move || views.search_applicant(&text, limit + 1)).await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok(json(&SearchAnswer {
            province: province.to_string(),
            limit,
            more,
            items: rows
                .iter()
                .map(|r| DossierSummary::new(r, Personal::Included))
                .collect(),
        }))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Queues and overdue lists
// ---------------------------------------------------------------------------------------------

/// A unit or an office named in a path.
struct Target {
    scope: Scope,
    name: String,
    province: UnitCode,
}

impl Target {
    fn unit(
        state: &AppState,
        raw: Result<Path<String>, PathRejection>,
    ) -> Result<Target, ApiError> {
        let unit = unit_info(state, &path_of(raw)?)?;
        Ok(Target {
            scope: Scope::Unit(unit.code),
            name: unit.name,
            province: unit.province,
        })
    }

    fn agency(
        state: &AppState,
        raw: Result<Path<String>, PathRejection>,
    ) -> Result<Target, ApiError> {
        let (id, name, province) = agency_info(state, &path_of(raw)?)?;
        Ok(Target {
            scope: Scope::Agency(id),
            name,
            province,
        })
    }

    fn list_scope(&self) -> ListScope {
        let (kind, id) = match &self.scope {
            Scope::Unit(u) => ("unit", u.to_string()),
            Scope::Agency(a) => ("agency", a.to_string()),
        };
        ListScope {
            kind: kind.to_owned(),
            id,
            name: self.name.clone(),
            province: self.province.to_string(),
        }
    }
}

/// A queue (`at` = `None`) or an overdue list.
async fn list(
    state: AppState,
    caller: &Account,
    target: impl FnOnce(&AppState) -> Result<Target, ApiError>,
    overdue: bool,
    at: Option<&str>,
    limit: Option<&str>,
) -> Result<Response, ApiError> {
    let reader = Reader::officer(&state, caller, "queues and overdue lists")?;
    let target = target(&state)?;
    let at = if overdue {
        Some(instant_of("at", at)?)
    } else {
        None
    };
    let limit = limit_of(limit)?;
    let personal = reader.lists_of(&target.province)?;
    let views = views_of(&state, &target.province)?;
    let scope = target.scope.clone();
    let mut items = read(move || match at {
        Some(at) => views.overdue(&scope, at, limit + 1),
        None => views.queue(&scope, limit + 1),
    })
    .await?;
    let more = items.len() > limit;
    items.truncate(limit);
    Ok(json(&ListAnswer {
        scope: target.list_scope(),
        at,
        limit,
        more,
        items: items.iter().map(|i| ListEntry::new(i, personal)).collect(),
    }))
}

/// `GET /v1/units/{unit}/queue`: dossiers waiting at the offices of a unit and every unit
/// below it, most urgent first.
///
/// An online submission by its intake deadline, a dossier in handling by the due time of its
/// current step, a result waiting at the desk by its appointment; dossiers waiting for the
/// applicant are in no queue. Officers of the unit's province, reporters and admins.
#[utoipa::path(
    get,
    path = "/v1/units/{unit}/queue",
    tag = "queries",
    params(("unit" = String, Path, description = "Unit code: 2 (province), 3 (district) or 5 (commune) digits", example = "26740"), LimitQuery),
    responses(
        (status = 200, description = "The queue", body = ListAnswer),
        (status = 400, description = "Bad unit code or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the unit's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn unit_queue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    unit: Result<Path<String>, PathRejection>,
    query: Result<Query<LimitQuery>, QueryRejection>,
) -> Response {
    measured("unit_queue", async move {
        let query = query_of(query)?;
        list(
            state,
            &caller,
            |s| Target::unit(s, unit),
            false,
            None,
            query.limit.as_deref(),
        )
        .await
    })
    .await
}

/// `GET /v1/agencies/{agency}/queue`: dossiers waiting at one office, most urgent first.
#[utoipa::path(
    get,
    path = "/v1/agencies/{agency}/queue",
    tag = "queries",
    params(("agency" = String, Path, description = "Office id", example = "MC.26740"), LimitQuery),
    responses(
        (status = 200, description = "The queue", body = ListAnswer),
        (status = 400, description = "Bad office id or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such office", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the office's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn agency_queue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    agency: Result<Path<String>, PathRejection>,
    query: Result<Query<LimitQuery>, QueryRejection>,
) -> Response {
    measured("agency_queue", async move {
        let query = query_of(query)?;
        list(
            state,
            &caller,
            |s| Target::agency(s, agency),
            false,
            None,
            query.limit.as_deref(),
        )
        .await
    })
    .await
}

/// `GET /v1/units/{unit}/overdue?at=`: open dossiers handled at a unit (and every unit below
/// it) whose deadline is before `at`, most overdue first.
///
/// A dossier waiting for the applicant is never overdue (its clock is stopped). `at` only sets
/// the instant deadlines are compared with: the list is of dossiers open now.
#[utoipa::path(
    get,
    path = "/v1/units/{unit}/overdue",
    tag = "queries",
    params(("unit" = String, Path, description = "Unit code", example = "26740"), OverdueQuery),
    responses(
        (status = 200, description = "The overdue list", body = ListAnswer),
        (status = 400, description = "Bad unit code, instant or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the unit's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn unit_overdue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    unit: Result<Path<String>, PathRejection>,
    query: Result<Query<OverdueQuery>, QueryRejection>,
) -> Response {
    measured("unit_overdue", async move {
        let query = query_of(query)?;
        list(
            state,
            &caller,
            |s| Target::unit(s, unit),
            true,
            query.at.as_deref(),
            query.limit.as_deref(),
        )
        .await
    })
    .await
}

/// `GET /v1/agencies/{agency}/overdue?at=`: open dossiers handled by one office whose
/// deadline is before `at`, most overdue first.
#[utoipa::path(
    get,
    path = "/v1/agencies/{agency}/overdue",
    tag = "queries",
    params(("agency" = String, Path, description = "Office id", example = "UB.26740"), OverdueQuery),
    responses(
        (status = 200, description = "The overdue list", body = ListAnswer),
        (status = 400, description = "Bad office id, instant or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such office", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the office's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn agency_overdue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    agency: Result<Path<String>, PathRejection>,
    query: Result<Query<OverdueQuery>, QueryRejection>,
) -> Response {
    measured("agency_overdue", async move {
        let query = query_of(query)?;
        list(
            state,
            &caller,
            |s| Target::agency(s, agency),
            true,
            query.at.as_deref(),
            query.limit.as_deref(),
        )
        .await
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

/// The unit, the period and the views of a report, once the caller may read it.
async fn report_inputs(
    state: &AppState,
    caller: &Account,
    unit: Result<Path<String>, PathRejection>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<(UnitInfo, Date, Date, Timestamp, Views), ApiError> {
    let reader = Reader::officer(state, caller, "reports")?;
    let unit = unit_info(state, &path_of(unit)?)?;
    let (from, to, at) = period_of(&query_of(query)?)?;
    reader.lists_of(&unit.province)?;
    let views = views_of(state, &unit.province)?;
    Ok((unit, from, to, at, views))
}

/// `GET /v1/units/{unit}/reports/bieu06?from=&to=&at=`: Biểu 06 of a unit and every unit below
/// it for the local days `from..=to`.
///
/// Lines by level of the handling unit, then field, then procedure, with columns 3 to 13, the
/// dossiers that ended otherwise (printed as a note) and the on-time rate in every convention.
/// Pending dossiers are judged at the period end, or at `at` (default: now) when the period has
/// not ended. The counting rules are in `docs/reports.md`. Officers of the unit's province,
/// reporters and admins; no applicant data.
#[utoipa::path(
    get,
    path = "/v1/units/{unit}/reports/bieu06",
    tag = "queries",
    params(("unit" = String, Path, description = "Unit code", example = "26740"), PeriodQuery),
    responses(
        (status = 200, description = "The report", body = Bieu06Answer),
        (status = 400, description = "Bad unit code, date, period or instant", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the unit's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn bieu06(
    State(state): State<AppState>,
    Caller(caller): Caller,
    unit: Result<Path<String>, PathRejection>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    measured("bieu06", async move {
        let (unit, from, to, at, views) = report_inputs(&state, &caller, unit, query).await?;
        let code = unit.code.clone();
        let report = read(move || views.bieu06(&code, from, to, at)).await?;
        Ok(json(&Bieu06Answer::new(&report, unit.name)))
    })
    .await
}

/// `GET /v1/units/{unit}/reports/kpi766?from=&to=&at=`: the Decision 766 indicator 2.1 inputs
/// of a unit and every unit below it.
///
/// Per procedure: the dossiers received or being processed in the period (Biểu 06 column 3),
/// those that ended on time in the period, those still open and on time when judged, and the
/// rate. Same access and period rules as Biểu 06.
#[utoipa::path(
    get,
    path = "/v1/units/{unit}/reports/kpi766",
    tag = "queries",
    params(("unit" = String, Path, description = "Unit code", example = "79"), PeriodQuery),
    responses(
        (status = 200, description = "The indicator's inputs", body = Kpi766Answer),
        (status = 400, description = "Bad unit code, date, period or instant", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the unit's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn kpi766(
    State(state): State<AppState>,
    Caller(caller): Caller,
    unit: Result<Path<String>, PathRejection>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    measured("kpi766", async move {
        let (unit, from, to, at, views) = report_inputs(&state, &caller, unit, query).await?;
        let code = unit.code.clone();
        let report = read(move || views.kpi766_inputs(&code, from, to, at)).await?;
        Ok(json(&Kpi766Answer::new(
            &report,
            unit.name,
            state.service.reference(),
        )))
    })
    .await
}

/// The official report's options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfficialQuery {
    /// First day, local `YYYY-MM-DD`.
    #[param(required = true, value_type = String, format = Date, example = "2026-01-01")]
    from: Option<String>,
    /// Last day, inclusive, local `YYYY-MM-DD`; at most 5 years after `from`.
    #[param(required = true, value_type = String, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// The instant the report is made at (RFC 3339 with an offset; default: now).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-04-01T00:00:00+07:00")]
    at: Option<String>,
    /// `true`: the report as it stood at `at`, over the events up to then (folds the histories
    /// of a running period); `false` (default): the live report.
    as_of: Option<bool>,
    /// `json` (default), `csv` or `xlsx` (laid out like the official form).
    #[param(example = "xlsx")]
    format: Option<String>,
    /// One line per procedure under each field.
    detail: Option<bool>,
    /// Also the Decision 766 indicators 2.2, 3.6, 4.1 and 4.2 (from the counters; an as-of report
    /// of a running period folds the histories of the unit's dossiers open in the period).
    indicators: Option<bool>,
}

/// `GET /v1/units/{unit}/reports/official?from=&to=&at=&as_of=&format=json|csv|xlsx`: Biểu 06
/// as the official form lays it out (levels, fields, the 13 columns, totals, the note of
/// dossiers ended otherwise), the on-time rate in every convention and the Decision 766
/// indicators; as JSON, CSV or an XLSX workbook with Vietnamese headers. Same access rules as
/// Biểu 06.
#[utoipa::path(
    get,
    path = "/v1/units/{unit}/reports/official",
    tag = "queries",
    params(("unit" = String, Path, description = "Unit code", example = "79"), OfficialQuery),
    responses(
        (status = 200, description = "The report: JSON, text/csv, or an XLSX workbook"),
        (status = 400, description = "Bad unit code, date, period, instant or format", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No read models of the unit's province on this node", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn official(
    State(state): State<AppState>,
    Caller(caller): Caller,
    unit: Result<Path<String>, PathRejection>,
    query: Result<Query<OfficialQuery>, QueryRejection>,
) -> Response {
    measured("official", async move {
        let q = query_of(query)?;
        let format = match q.format.as_deref().unwrap_or("json") {
            f @ ("json" | "csv" | "xlsx") => f.to_owned(),
            other => {
                return Err(ApiError::bad_request(
                    codes::INVALID_FORMAT,
                    format!("format must be json, csv or xlsx, not {other:?}"),
                ));
            }
        };
        let period = PeriodQuery {
            from: q.from.clone(),
            to: q.to.clone(),
            at: q.at.clone(),
        };
        let (unit, from, to, at, views) =
            report_inputs(&state, &caller, unit, Ok(Query(period))).await?;
        let request = motcua_views::ReportQuery {
            unit: unit.code.clone(),
            from,
            to,
            at,
            judging: if q.as_of.unwrap_or(false) {
                motcua_views::Judging::AsOf
            } else {
                motcua_views::Judging::Live
            },
            indicators: q.indicators.unwrap_or(false),
        };
        let detail = q.detail.unwrap_or(false);
        let report = read(move || views.official_report(&request)).await?;
        let file = format!("bieu06-{}-{from}_{to}", unit.code);
        let export = |bytes: Result<Vec<u8>, motcua_views::ExportError>,
                      content_type: &'static str,
                      ext: &str|
         -> Result<Response, ApiError> {
            let bytes = bytes.map_err(|e| {
                tracing::warn!(error = %e, "report export failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::VIEWS_ERROR,
                    "the report could not be written; retry later",
                )
            })?;
            Ok((
                [
                    (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}.{ext}\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        };
        match format.as_str() {
            "csv" => export(
                motcua_views::to_csv(&report, detail),
                "text/csv; charset=utf-8",
                "csv",
            ),
            "xlsx" => export(
                motcua_views::to_xlsx(&report, detail),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            _ => Ok(json(&report)),
        }
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn limits_dates_and_periods_are_checked() {
        assert_eq!(limit_of(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit_of(Some("1000")).unwrap(), 1000);
        for bad in ["0", "1001", "-1", "ten", ""] {
            assert_eq!(
                limit_of(Some(bad)).unwrap_err().code(),
                codes::INVALID_LIMIT
            );
        }
        let period = |from: &str, to: &str| PeriodQuery {
            from: Some(from.to_owned()),
            to: Some(to.to_owned()),
            at: None,
        };
        assert!(period_of(&period("2026-01-01", "2026-01-31")).is_ok());
        assert!(period_of(&period("2021-01-01", "2025-12-31")).is_ok());
        let code = |q: PeriodQuery| period_of(&q).unwrap_err().code();
        assert_eq!(
            code(period("2021-01-01", "2026-01-01")),
            codes::PERIOD_TOO_LONG
        );
        assert_eq!(
            code(period("2026-02-01", "2026-01-31")),
            codes::INVALID_PERIOD
        );
        assert_eq!(
            code(period("2026-02-30", "2026-03-01")),
            codes::INVALID_DATE
        );
        assert_eq!(code(period("2026-1-1", "2026-03-01")), codes::INVALID_DATE);
        assert_eq!(
            code(period("0001-01-01", "0001-03-01")),
            codes::INVALID_DATE
        );
        assert_eq!(code(PeriodQuery::default()), codes::MISSING_PERIOD);
        // An unencoded + arrives as a space.
        let t = instant_of("at", Some("2026-01-09T09:00:00 07:00")).unwrap();
        assert_eq!(t, "2026-01-09T02:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(
            instant_of("at", Some("2026-01-09")).unwrap_err().code(),
            codes::INVALID_DATE
        );
    }
}
