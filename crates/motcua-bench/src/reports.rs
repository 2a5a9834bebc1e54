//! Reports: the latency of the official report and of the dashboard over a province's history,
//! at each size [`crate::history`] grows it to (SYSTEM.md §8: any unit, any period, p99 ≤ 20 ms,
//! flat as history grows from 1 M to 10 M events).
//!
//! At each size, over the views rebuilt from the stream (opened here, closed when handed over):
//!
//! - **library calls**, as `motcua report` makes them: [`Views::official_report`] for the
//!   province and for one of its communes (the first with data, and a district when the unit
//!   list has them), for the quarter, the month and a day of the history; with the
//!   Decision 766 indicators (`motcua report` without `--no-indicators`) as its own figure;
//!   and the separate calls behind it
//!   ([`Views::bieu06`], [`Views::kpi766_inputs`], [`Views::kpi766_indicators`]);
//! - **the dashboard** (module `dashboard`): the real HTTP API (`motcua_api`, state built as
//!   `motcua up` builds it) served in this process on a free port, and the requests the
//!   dashboard page makes (`crates/motcua-api/assets/dashboard/app.js`) when it opens the
//!   province (account, unit, queue and overdue list, Biểu 06 of the last 30 days, a 14-day
//!   trend, one Biểu 06 per unit below) and when it drills down to a commune, four at a time like
//!   the page's request pool.
//!
//! Each figure is the p99 of at least [`RUNS`] runs after a warm-up (fewer only when a call is
//! so slow that the time budget ends first: the note says so), with its p50 in the note.
//! Flatness: when an earlier size was measured in this run, its row is found in the report and a
//! "growth" row holds the ratio of the two p99s (≤ 1.5; not judged when both are under
//! [`GROWTH_FLOOR_MS`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::Reference;
use motcua_domain::units::{UnitCode, UnitLevel};
use motcua_views::{Judging, ReportQuery, Shard, Views};

use crate::history::count;
use crate::measure::Latencies;
use crate::{BenchError, Ctx, HistoryPoint, Report, Row, Target};

mod dashboard;

use dashboard::{PAGE_OPENS, SMOKE_PAGE_OPENS, dashboard_figures};

/// Timed runs of each figure (at least, unless the time budget ends first).
pub const RUNS: usize = 200;
/// Untimed runs before them.
pub const WARM_UP: usize = 20;
/// Time budget of one figure in a full run; a call slower than budget / [`RUNS`] gets fewer
/// runs.
const BUDGET: Duration = Duration::from_secs(60);
/// The same in `--smoke`.
const SMOKE_BUDGET: Duration = Duration::from_secs(5);
/// Fewest runs of a figure whatever the budget.
const MIN_RUNS: usize = 10;
/// The target of every figure (ms, p99).
const TARGET_MS: f64 = 20.0;
/// Largest p99 growth from one size to the next.
const GROWTH: f64 = 1.5;
/// Below this p99 (ms) at both sizes, growth is not judged: on a busy machine one lost
/// scheduler slice (4 ms at 250 Hz) turns a 0.2 ms tail into 4 ms, while a query that really
/// grows with history is far above it at 1 M events.
const GROWTH_FLOOR_MS: f64 = 5.0;

/// Measures the report and dashboard latencies over the history at `point`.
pub async fn measure(
    ctx: &Ctx,
    point: &HistoryPoint,
    report: &mut Report,
) -> Result<(), BenchError> {
    let reference = Arc::new(Reference::official());
    let views = {
        let (path, shard, reference) = (
            point.views_dir.clone(),
            Shard::province(point.province.clone()),
            reference.clone(),
        );
        tokio::task::spawn_blocking(move || Views::open(&path, shard, reference))
            .await
            .map_err(|e| BenchError::Failed(format!("opening the views: {e}")))??
    };
    let budget = if ctx.options.smoke {
        SMOKE_BUDGET
    } else {
        BUDGET
    };
    let size = Size::of(point);
    let plan = Plan::new(&views, point)?;
    tracing::info!(
        events = point.events,
        dossiers = point.dossiers,
        commune = %plan.commune,
        district = plan.district.as_ref().map(|d| d.to_string()),
        "reports: measuring"
    );

    let mut figures = Vec::new();
    {
        let views = views.clone();
        let plan = plan.clone();
        let library = tokio::task::spawn_blocking(move || library_figures(&views, &plan, budget))
            .await
            .map_err(|e| BenchError::Failed(format!("report runs: {e}")))??;
        figures.extend(library);
    }
    let page_opens = if ctx.options.smoke {
        SMOKE_PAGE_OPENS
    } else {
        PAGE_OPENS
    };
    figures.extend(dashboard_figures(&views, point, &plan, reference, budget, page_opens).await?);

    for f in figures {
        f.push(report, &size);
    }
    Ok(())
}

/// The history size, as printed in the figures.
#[derive(Debug, Clone)]
struct Size {
    events: u64,
    dossiers: u64,
}

impl Size {
    fn of(point: &HistoryPoint) -> Size {
        Size {
            events: point.events,
            dossiers: point.dossiers,
        }
    }

    /// The suffix of a figure's name that tells the sizes apart.
    fn label(&self) -> String {
        format!("@ {} events", count(self.events))
    }
}

/// Which units and periods the figures ask for.
#[derive(Debug, Clone)]
struct Plan {
    province: UnitCode,
    /// A commune with data (the first in code order).
    commune: UnitCode,
    /// A district with data, when the unit list has districts.
    district: Option<UnitCode>,
    /// The quarter of the first day of the history.
    quarter: (Date, Date),
    /// The month of the first day.
    month: (Date, Date),
    /// A whole day with events (the day before the last one, whose end may be cut off).
    day: Date,
    /// "The last 30 days" as the dashboard asks them, ending on the history's last day.
    last_30: (Date, Date),
    /// The instant the reports are made at: now, as `motcua report` and the API do.
    at: Timestamp,
}

impl Plan {
    fn new(views: &Views, point: &HistoryPoint) -> Result<Plan, BenchError> {
        let bad = |e: jiff::Error| BenchError::Failed(format!("report period: {e}"));
        let first = point.first_day;
        let (q_from, q_to) = quarter_of(first).map_err(bad)?;
        let m_from = first.first_of_month();
        let m_to = first.last_of_month();
        let day = if point.last_day > first {
            point.last_day.yesterday().map_err(bad)?
        } else {
            first
        };
        let last_30_from = point
            .last_day
            .checked_sub(jiff::Span::new().days(29))
            .map_err(bad)?;
        let at = Timestamp::now();
        let (commune, district) =
            units_with_data(views, &point.province, first, (q_from, q_to), at)?;
        Ok(Plan {
            province: point.province.clone(),
            commune,
            district,
            quarter: (q_from, q_to),
            month: (m_from, m_to),
            day,
            last_30: (last_30_from, point.last_day),
            at,
        })
    }
}

/// The first and last day of the calendar quarter holding `day`.
fn quarter_of(day: Date) -> Result<(Date, Date), jiff::Error> {
    let first_month = (day.month() - 1) / 3 * 3 + 1;
    let from = jiff::civil::Date::new(day.year(), first_month, 1)?;
    let to = from.checked_add(jiff::Span::new().months(3))?.yesterday()?;
    Ok((from, to))
}

/// The first commune and the first district (in code order, in the unit list in force on the
/// history's first day) whose Biểu 06 of `quarter` received anything: units with data, and the
/// same units at every size, so that the figures of two sizes compare.
fn units_with_data(
    views: &Views,
    province: &UnitCode,
    first_day: Date,
    quarter: (Date, Date),
    at: Timestamp,
) -> Result<(UnitCode, Option<UnitCode>), BenchError> {
    let graph = views
        .reference()
        .agencies
        .registry()
        .in_force_on(first_day)
        .ok_or_else(|| BenchError::Failed(format!("no unit list in force on {first_day}")))?;
    let mut units: Vec<&UnitCode> = graph
        .descendants(province)
        .into_iter()
        .map(|u| &u.code)
        .collect();
    units.sort();
    let first_of = |level: UnitLevel| -> Result<Option<UnitCode>, BenchError> {
        let mut fallback = None;
        for unit in units.iter().filter(|u| u.level() == level) {
            fallback.get_or_insert_with(|| (*unit).clone());
            let r = views.bieu06(unit, quarter.0, quarter.1, at)?;
            if r.total.received_total() > 0 {
                return Ok(Some((*unit).clone()));
            }
        }
        Ok(fallback)
    };
    let commune = first_of(UnitLevel::Commune)?
        .ok_or_else(|| BenchError::Failed(format!("province {province} has no commune")))?;
    let district = first_of(UnitLevel::District)?;
    Ok((commune, district))
}

/// One measured figure before it becomes rows.
#[derive(Debug)]
struct Figure {
    /// What, e.g. `official report, province, quarter`.
    name: String,
    latencies: Latencies,
    /// How many runs, after what warm-up.
    runs: String,
    /// Anything about this figure (what it reads).
    detail: String,
    /// Whether the 20 ms target applies.
    target: bool,
}

impl Figure {
    fn push(&self, report: &mut Report, size: &Size) {
        let p99 = self.latencies.p99_ms();
        let mut note = format!(
            "p50 {:.2} ms, max {:.2} ms; {}; {} events, {} dossiers",
            self.latencies.p50_ms(),
            self.latencies.max_ms(),
            self.runs,
            count(size.events),
            count(size.dossiers),
        );
        if !self.detail.is_empty() {
            note.push_str("; ");
            note.push_str(&self.detail);
        }
        let figure = format!("{}, p99 {}", self.name, size.label());
        // The same figure at the largest smaller size measured earlier in this run.
        let prefix = format!("{}, p99 @ ", self.name);
        let earlier = report
            .rows
            .iter()
            .filter(|r| r.section == "reports" && r.figure.starts_with(&prefix))
            .filter_map(|r| Some((events_of(&r.figure)?, r.value)))
            .filter(|(events, _)| *events < size.events)
            .max_by_key(|(events, _)| *events);
        let mut row = Row::new("reports", figure, "-", p99, "ms").note(note);
        if self.target {
            row = row.target(Target::AtMost(TARGET_MS));
        }
        report.push(row);
        if let Some((events, before)) = earlier {
            let judged = self.target && p99.max(before) >= GROWTH_FLOOR_MS;
            let mut row = Row::new(
                "reports",
                format!(
                    "{}, p99 growth {} → {} events",
                    self.name,
                    count(events),
                    count(size.events)
                ),
                "-",
                p99,
                "ms",
            )
            .raw(before)
            .note(format!(
                "raw: the p99 at {} events in this run{}",
                count(events),
                match (judged, self.target) {
                    (true, _) => String::new(),
                    (false, false) => "; informative".to_owned(),
                    (false, true) => format!(
                        "; not judged: both under {GROWTH_FLOOR_MS} ms, where tails are noise"
                    ),
                }
            ));
            if judged {
                row = row.target(Target::RatioAtMost(GROWTH));
            }
            report.push(row);
        }
    }
}

/// The event count in a figure's name (`… @ 1,000,000 events`).
fn events_of(figure: &str) -> Option<u64> {
    let (_, tail) = figure.rsplit_once(" @ ")?;
    tail.strip_suffix(" events")?.replace(',', "").parse().ok()
}

/// Times `f`: [`WARM_UP`] untimed runs, then [`RUNS`] timed ones (fewer when the budget ends,
/// never fewer than [`MIN_RUNS`]).
fn time_runs(
    budget: Duration,
    mut f: impl FnMut() -> Result<(), BenchError>,
) -> Result<(Latencies, String), BenchError> {
    let started = Instant::now();
    let mut warm = 0;
    while warm < WARM_UP {
        f()?;
        warm += 1;
        // A call that eats the budget in its warm-up needs no more of it.
        if started.elapsed() > budget / 4 {
            break;
        }
    }
    let started = Instant::now();
    let mut l = Latencies::new();
    for i in 0..RUNS {
        if i >= MIN_RUNS && started.elapsed() > budget {
            let runs = format!(
                "{i} runs after {warm} warm-up (the {} s time budget ended before {RUNS})",
                budget.as_secs()
            );
            return Ok((l, runs));
        }
        let t = Instant::now();
        f()?;
        l.record(t.elapsed());
    }
    Ok((l, format!("{RUNS} runs after {warm} warm-up")))
}

/// The library calls (blocking: run on a blocking thread).
fn library_figures(
    views: &Views,
    plan: &Plan,
    budget: Duration,
) -> Result<Vec<Figure>, BenchError> {
    let mut out = Vec::new();
    let official = |unit: &UnitCode, (from, to): (Date, Date), indicators: bool| ReportQuery {
        unit: unit.clone(),
        from,
        to,
        at: plan.at,
        judging: Judging::Live,
        indicators,
    };
    let day = (plan.day, plan.day);
    let mut asks: Vec<(String, ReportQuery)> = vec![
        (
            "official report, province, quarter".to_owned(),
            official(&plan.province, plan.quarter, false),
        ),
        (
            "official report, province, month".to_owned(),
            official(&plan.province, plan.month, false),
        ),
        (
            "official report, province, day".to_owned(),
            official(&plan.province, day, false),
        ),
        (
            "official report, commune, quarter".to_owned(),
            official(&plan.commune, plan.quarter, false),
        ),
        (
            "official report, commune, day".to_owned(),
            official(&plan.commune, day, false),
        ),
    ];
    if let Some(district) = &plan.district {
        asks.push((
            "official report, district, quarter".to_owned(),
            official(district, plan.quarter, false),
        ));
    }
    asks.push((
        "official report + all 766 indicators, province, quarter".to_owned(),
        official(&plan.province, plan.quarter, true),
    ));
    asks.push((
        "official report + all 766 indicators, commune, quarter".to_owned(),
        official(&plan.commune, plan.quarter, true),
    ));
    for (name, q) in asks {
        let mut source = None;
        let mut dossiers_read = 0;
        let (latencies, runs) = time_runs(budget, || {
            let r = views.official_report(&q)?;
            source = Some(r.source);
            dossiers_read = r.indicators.as_ref().map_or(0, |i| i.dossiers_read);
            Ok(())
        })?;
        let mut detail = format!(
            "unit {} {}..={}, live at now, from the {}",
            q.unit,
            q.from,
            q.to,
            match source {
                Some(motcua_views::ReportSource::Histories) => "histories",
                _ => "counters",
            }
        );
        if q.indicators {
            detail.push_str(&format!(
                "; with the 766 indicators: {} dossier summaries read per call",
                count(dossiers_read)
            ));
        }
        out.push(Figure {
            name,
            latencies,
            runs,
            detail,
            target: true,
        });
    }

    // The calls inside the official report, each on its own (province, quarter).
    let (from, to) = plan.quarter;
    let unit = &plan.province;
    let (latencies, runs) = time_runs(budget, || {
        views.bieu06(unit, from, to, plan.at)?;
        Ok(())
    })?;
    out.push(Figure {
        name: "Views::bieu06, province, quarter".to_owned(),
        latencies,
        runs,
        target: true,
        detail: "the Biểu 06 table alone".to_owned(),
    });
    let (latencies, runs) = time_runs(budget, || {
        views.kpi766_inputs(unit, from, to, plan.at)?;
        Ok(())
    })?;
    out.push(Figure {
        name: "Views::kpi766_inputs, province, quarter".to_owned(),
        latencies,
        runs,
        target: true,
        detail: "Decision 766 indicator 2.1 from the counters".to_owned(),
    });
    let (latencies, runs) = time_runs(budget, || {
        views.kpi766_indicators(unit, from, to, plan.at)?;
        Ok(())
    })?;
    out.push(Figure {
        name: "Views::kpi766_indicators, province, quarter".to_owned(),
        latencies,
        runs,
        target: true,
        detail: "all the Decision 766 indicators".to_owned(),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_hold_their_days() {
        let d = |y, m, day| jiff::civil::date(y, m, day);
        assert_eq!(
            quarter_of(d(2025, 7, 1)).unwrap(),
            (d(2025, 7, 1), d(2025, 9, 30))
        );
        assert_eq!(
            quarter_of(d(2025, 9, 30)).unwrap(),
            (d(2025, 7, 1), d(2025, 9, 30))
        );
        assert_eq!(
            quarter_of(d(2025, 12, 31)).unwrap(),
            (d(2025, 10, 1), d(2025, 12, 31))
        );
        assert_eq!(
            quarter_of(d(2024, 2, 29)).unwrap(),
            (d(2024, 1, 1), d(2024, 3, 31))
        );
    }

    #[test]
    fn figure_names_give_back_their_size() {
        let size = Size {
            events: 1_000_000,
            dossiers: 1,
        };
        let name = format!("official report, province, quarter, p99 {}", size.label());
        assert_eq!(events_of(&name), Some(1_000_000));
        assert_eq!(events_of("official report, p99 @ 20 events"), Some(20));
        assert_eq!(events_of("official report, p99 growth 1 → 2 events"), None);
    }
}
