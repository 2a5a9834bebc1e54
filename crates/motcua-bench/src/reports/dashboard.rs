//! The dashboard's part of [`super`]: the real HTTP API served in this process over the views,
//! and the requests the dashboard page makes (`crates/motcua-api/assets/dashboard/app.js`) when
//! it opens the province and when it drills down to a commune, timed one by one and as a whole.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use jiff::civil::Date;
use motcua_api::auth::{Account, AccountKind};
use motcua_api::{ActorDirectory, AppState};
use motcua_command::CommandService;
use motcua_domain::Reference;
use motcua_domain::dossier::Role;
use motcua_log::{EventLog, LogSettings};
use motcua_views::Views;

use super::{Figure, MIN_RUNS, Plan, RUNS};
use crate::measure::Latencies;
use crate::{BenchError, HistoryPoint};

/// Requests the dashboard page has in flight at once (its pool, `api.js`).
const PAGE_POOL: usize = 4;
/// Days of the dashboard's trend chart (its default).
const TREND_DAYS: i64 = 14;
/// Rows of the dashboard's lists (its default).
const LIST_LIMIT: usize = 20;

/// A running in-process API over the views, stopped when dropped.
struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Api {
    /// Serves the API as `motcua up` does (command service on the history's server, the views
    /// by province), with one reporter account.
    async fn start(
        views: &Views,
        point: &HistoryPoint,
        reference: Arc<Reference>,
    ) -> Result<Api, BenchError> {
        let log = EventLog::connect(&point.nats_url, LogSettings::default()).await?;
        let service = CommandService::new(log, reference);
        let token = motcua_api::new_token()
            .map_err(|e| BenchError::Failed(format!("no random token: {e}")))?;
        let office = format!("UB.{}", point.province)
            .parse()
            .map_err(|e| BenchError::Failed(format!("reporter office: {e}")))?;
        let actors = ActorDirectory::from_accounts([(
            Account {
                id: "bench-reporter".to_owned(),
                name: "Bench".to_owned(),
                kind: AccountKind::Officer {
                    office,
                    roles: vec![Role::Reporter],
                },
            },
            token.sha256.clone(),
        )])
        .map_err(|e| BenchError::Failed(format!("bench account: {e}")))?;
        let state = AppState::new(service, actors)
            .with_views(motcua_api::views_by_province([views.clone()]));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(BenchError::io("binding the API's port"))?;
        let addr = listener
            .local_addr()
            .map_err(BenchError::io("reading the API's port"))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(motcua_api::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(PAGE_POOL * 2)
            .build()
            .map_err(|e| BenchError::Failed(format!("HTTP client: {e}")))?;
        Ok(Api {
            base: format!("http://{addr}"),
            token: token.token.expose_secret().to_owned(),
            client,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// GETs `path`, checks for 200, and returns the body with the time it took.
    async fn get(&self, path: &str) -> Result<(bytes::Bytes, Duration), BenchError> {
        let started = Instant::now();
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| BenchError::Failed(format!("GET {path}: {e}")))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| BenchError::Failed(format!("GET {path}: {e}")))?;
        let took = started.elapsed();
        if !status.is_success() {
            return Err(BenchError::Failed(format!(
                "GET {path}: {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )));
        }
        Ok((body, took))
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "the bench API stopped with an error"),
                Err(e) => tracing::warn!(error = %e, "the bench API task failed"),
            }
        }
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The kinds of request the dashboard makes, in the order of its figures.
const KINDS: [&str; 7] = [
    "me",
    "unit",
    "queue",
    "overdue",
    "bieu06 period",
    "bieu06 trend day",
    "bieu06 unit below",
];
/// The figure of a whole page open.
const PAGE: &str = "page open";
/// Whole page opens timed, in a full run and in `--smoke`.
pub(super) const PAGE_OPENS: usize = 20;
pub(super) const SMOKE_PAGE_OPENS: usize = 5;

/// One request of a page: its kind and path.
type Ask = (&'static str, String);

/// The requests of the dashboard opening `unit` for `from..=to` (app.js `route`): the unit
/// lookup, then the lists, the period's Biểu 06, the trend and one Biểu 06 per unit below.
fn page(unit: &str, children: &[String], (from, to): (Date, Date), trend_end: Date) -> Vec<Ask> {
    let mut asks: Vec<Ask> = vec![
        (
            "queue",
            format!("/v1/units/{unit}/queue?limit={LIST_LIMIT}"),
        ),
        (
            "overdue",
            format!("/v1/units/{unit}/overdue?limit={LIST_LIMIT}"),
        ),
        (
            "bieu06 period",
            format!("/v1/units/{unit}/reports/bieu06?from={from}&to={to}"),
        ),
    ];
    for back in (0..TREND_DAYS).rev() {
        if let Ok(d) = trend_end.checked_sub(jiff::Span::new().days(back)) {
            asks.push((
                "bieu06 trend day",
                format!("/v1/units/{unit}/reports/bieu06?from={d}&to={d}"),
            ));
        }
    }
    for c in children {
        asks.push((
            "bieu06 unit below",
            format!("/v1/units/{c}/reports/bieu06?from={from}&to={to}"),
        ));
    }
    asks
}

/// Opens the page: the account and unit first (the page waits for them), then the rest
/// [`PAGE_POOL`] at a time. Records each request and the whole.
async fn open_page(
    api: &Api,
    unit: &str,
    period: (Date, Date),
    with_children: bool,
    record: &mut BTreeMap<&'static str, Latencies>,
) -> Result<(Duration, usize), BenchError> {
    let started = Instant::now();
    let (_, took) = api.get("/v1/me").await?;
    record.entry("me").or_default().record(took);
    let (body, took) = api.get(&format!("/v1/units/{unit}")).await?;
    record.entry("unit").or_default().record(took);
    let answer: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| BenchError::Failed(format!("unit answer: {e}")))?;
    let children: Vec<String> = answer["children"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|u| u["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let asked: &[String] = if with_children { &children } else { &[] };
    let asks = page(unit, asked, period, period.1);
    let mut results = futures::stream::iter(
        asks.into_iter()
            .map(|(kind, path)| async move { api.get(&path).await.map(|(_, took)| (kind, took)) }),
    )
    .buffer_unordered(PAGE_POOL);
    while let Some(r) = results.next().await {
        let (kind, took) = r?;
        record.entry(kind).or_default().record(took);
    }
    Ok((started.elapsed(), children.len()))
}

/// The dashboard's requests over the real API.
pub(super) async fn dashboard_figures(
    views: &Views,
    point: &HistoryPoint,
    plan: &Plan,
    reference: Arc<Reference>,
    budget: Duration,
    page_opens: usize,
) -> Result<Vec<Figure>, BenchError> {
    let api = Api::start(views, point, reference).await?;
    let result = dashboard_runs(&api, plan, budget, page_opens).await;
    api.stop().await;
    let recorded = result?;
    let mut out = Vec::new();
    for (scope, record, unit) in [
        ("province", &recorded.province, &plan.province),
        ("commune", &recorded.commune, &plan.commune),
    ] {
        for kind in KINDS.iter().copied().chain([PAGE]) {
            let Some(latencies) = record.get(kind) else {
                continue;
            };
            let (runs, detail) = match kind {
                PAGE => (
                    format!("{} opens after 2 warm-up opens", latencies.count()),
                    format!(
                        "unit {unit}, {}..={}: every request of the page ({} per open, \
                         {PAGE_POOL} at a time), wall time; informative (the target is per \
                         request)",
                        plan.last_30.0,
                        plan.last_30.1,
                        4 + TREND_DAYS as usize
                            + if scope == "province" {
                                recorded.children
                            } else {
                                0
                            }
                    ),
                ),
                _ => (
                    format!(
                        "{} requests after 2 warm-up opens{}, {PAGE_POOL} at a time as the \
                         page's pool",
                        latencies.count(),
                        if recorded.cut_short {
                            " (time budget ended before 200 opens)"
                        } else {
                            ""
                        }
                    ),
                    match kind {
                        "bieu06 unit below" => format!(
                            "{} units below the province, {}..={}",
                            recorded.children, plan.last_30.0, plan.last_30.1
                        ),
                        "bieu06 period" => format!(
                            "unit {unit}, {}..={} (the page's \"last 30 days\")",
                            plan.last_30.0, plan.last_30.1
                        ),
                        "bieu06 trend day" => format!("unit {unit}, {TREND_DAYS} single days"),
                        "queue" | "overdue" => format!("unit {unit}, limit {LIST_LIMIT}"),
                        _ => format!("unit {unit}"),
                    },
                ),
            };
            out.push(Figure {
                name: format!("dashboard, {scope}: {kind}"),
                latencies: latencies.clone(),
                runs,
                detail,
                target: kind != PAGE,
            });
        }
    }
    Ok(out)
}

/// What the dashboard runs recorded.
#[derive(Debug)]
struct Recorded {
    province: BTreeMap<&'static str, Latencies>,
    commune: BTreeMap<&'static str, Latencies>,
    cut_short: bool,
    children: usize,
}

/// Opens the province page and drills down to the commune, over and over, until every kind of
/// request has [`RUNS`] samples (or the budget ends). The units below the province (up to ~170
/// Biểu 06 per open) are asked on the first `page_opens` opens, which are the ones whose wall
/// time is recorded, and after that only until they have their samples.
async fn dashboard_runs(
    api: &Api,
    plan: &Plan,
    budget: Duration,
    page_opens: usize,
) -> Result<Recorded, BenchError> {
    let province = plan.province.to_string();
    let commune = plan.commune.to_string();
    let mut warm = BTreeMap::new();
    let mut children = 0;
    for _ in 0..2 {
        children = open_page(api, &province, plan.last_30, true, &mut warm)
            .await?
            .1;
        open_page(api, &commune, plan.last_30, false, &mut warm).await?;
    }
    let mut p: BTreeMap<&'static str, Latencies> = BTreeMap::new();
    let mut c: BTreeMap<&'static str, Latencies> = BTreeMap::new();
    let started = Instant::now();
    let mut opens = 0usize;
    let mut cut_short = false;
    while opens < RUNS {
        if opens >= MIN_RUNS && started.elapsed() > budget {
            cut_short = true;
            break;
        }
        let whole = opens < page_opens;
        let below = whole
            || p.get("bieu06 unit below")
                .is_none_or(|l| (l.count() as usize) < RUNS);
        let (took, _) = open_page(api, &province, plan.last_30, below, &mut p).await?;
        if whole {
            p.entry(PAGE).or_default().record(took);
        }
        let (took, _) = open_page(api, &commune, plan.last_30, false, &mut c).await?;
        if whole {
            c.entry(PAGE).or_default().record(took);
        }
        opens += 1;
    }
    Ok(Recorded {
        province: p,
        commune: c,
        cut_short,
        children,
    })
}
