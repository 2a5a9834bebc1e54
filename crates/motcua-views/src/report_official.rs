//! The official report of a unit for a period: Biểu 06 laid out as the form lays it out, the
//! on-time rate in every published convention, and the Decision 766 indicators our events give.
//!
//! [`Views::official_report`] builds it; `report_export.rs` writes it as a terminal table, CSV or
//! XLSX. The counting rules are in `docs/reports.md`.

use std::collections::BTreeMap;
use std::ops::{Add, AddAssign};

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use motcua_domain::catalogue::{FieldCode, ProcedureCode};
use motcua_domain::report::{Bieu06Counts, OnTimeConvention, Rate};
use motcua_domain::units::{UnitCode, UnitLevel};
use serde::{Deserialize, Serialize};

use crate::error::ViewError;
use crate::report::{Bieu06Report, Kpi766Counts, RowKey};
use crate::report_scan::Scanned;
use crate::store::Views;

/// Per-dossier facts summed for the Decision 766 indicators (DOMAIN.md §9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndicatorCounts {
    /// 2.1: the dossiers received or being processed in the period (Biểu 06 column 3) and those
    /// of them processed or being processed on time.
    pub on_time: Kpi766Counts,
    /// 2.2: dossiers whose processing ended with a result in the period (Biểu 06 column 7).
    pub completed: u64,
    /// 2.2: their handling time, receipt to end of processing, in working minutes, with the
    /// supplement intervals subtracted.
    pub handling_working_minutes: u64,
    /// 2.2: the same in elapsed seconds.
    pub handling_seconds: u64,
    /// 3.3: received in the period (Biểu 06 columns 4 + 5).
    pub received: u64,
    /// 3.3: of them, online (KenhThucHien = 2).
    pub received_online: u64,
    /// Received in the period with their documents in electronic form: scanned at receipt
    /// (`digitised`) or submitted online.
    pub received_digitised: u64,
    /// 4.1: completed in the period with an electronic result (`Issued.electronic`).
    pub electronic_result: u64,
    /// 4.2: completed in the period, digitised (scanned at receipt or submitted online) **and**
    /// with an electronic result.
    pub digitised_and_electronic: u64,
    /// 3.6: dossiers that paid a fee in the period.
    pub fee_paid: u64,
    /// 3.6: of them, paid online through the portal (`FeePaid.method = online_portal`).
    pub paid_online: u64,
}

impl AddAssign for IndicatorCounts {
    fn add_assign(&mut self, o: IndicatorCounts) {
        self.on_time.add(&o.on_time);
        self.completed += o.completed;
        self.handling_working_minutes += o.handling_working_minutes;
        self.handling_seconds += o.handling_seconds;
        self.received += o.received;
        self.received_online += o.received_online;
        self.received_digitised += o.received_digitised;
        self.electronic_result += o.electronic_result;
        self.digitised_and_electronic += o.digitised_and_electronic;
        self.fee_paid += o.fee_paid;
        self.paid_online += o.paid_online;
    }
}

impl Add for IndicatorCounts {
    type Output = IndicatorCounts;
    fn add(mut self, o: IndicatorCounts) -> IndicatorCounts {
        self += o;
        self
    }
}

impl IndicatorCounts {
    /// 2.2: average handling time in working hours; `None` when nothing was completed.
    pub fn average_working_hours(&self) -> Option<f64> {
        (self.completed > 0)
            .then(|| self.handling_working_minutes as f64 / 60.0 / self.completed as f64)
    }

    /// 2.2: average handling time in elapsed days; `None` when nothing was completed.
    pub fn average_days(&self) -> Option<f64> {
        (self.completed > 0)
            .then(|| self.handling_seconds as f64 / 86_400.0 / self.completed as f64)
    }

    /// The indicators, in the official group order: progress (2.1, 2.2), digitisation (4.1,
    /// 4.2), online service (3.3, 3.6). Numbers are those of the dashboard reconstruction
    /// (DOMAIN.md §9).
    pub fn indicators(&self) -> Vec<Indicator> {
        let rate = |code: &'static str, label: &'static str, n: u64, d: u64| Indicator {
            code,
            label,
            numerator: n,
            denominator: d,
            value: Rate::new(n, d).map(Rate::percent),
            unit: IndicatorUnit::Percent,
        };
        vec![
            rate(
                "2.1",
                "Tỷ lệ hồ sơ xử lý đúng hạn",
                self.on_time.on_time(),
                self.on_time.dossiers,
            ),
            Indicator {
                code: "2.2",
                label: "Thời gian giải quyết trung bình (giờ làm việc)",
                numerator: self.handling_working_minutes,
                denominator: self.completed,
                value: self.average_working_hours(),
                unit: IndicatorUnit::WorkingHours,
            },
            rate(
                "4.1",
                "Tỷ lệ hồ sơ có kết quả giải quyết điện tử",
                self.electronic_result,
                self.completed,
            ),
            rate(
                "4.2",
                "Tỷ lệ hồ sơ được số hóa và có kết quả điện tử",
                self.digitised_and_electronic,
                self.completed,
            ),
            rate(
                "3.3",
                "Tỷ lệ hồ sơ nộp trực tuyến",
                self.received_online,
                self.received,
            ),
            rate(
                "3.6",
                "Tỷ lệ hồ sơ thanh toán trực tuyến",
                self.paid_online,
                self.fee_paid,
            ),
        ]
    }
}

/// What an indicator's value measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorUnit {
    /// numerator / denominator × 100.
    Percent,
    /// numerator (working minutes) / 60 / denominator.
    WorkingHours,
}

/// One Decision 766 indicator, ready to print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// Sub-indicator number (dashboard numbering).
    pub code: &'static str,
    /// Vietnamese label.
    pub label: &'static str,
    /// Numerator.
    pub numerator: u64,
    /// Denominator.
    pub denominator: u64,
    /// The value; `None` when the denominator is 0.
    pub value: Option<f64>,
    /// What the value measures.
    pub unit: IndicatorUnit,
}

/// One procedure's indicator counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorRow {
    /// Level of the handling unit.
    pub level: UnitLevel,
    /// Field.
    pub field: FieldCode,
    /// Procedure.
    pub procedure: ProcedureCode,
    /// The counts.
    pub counts: IndicatorCounts,
}

/// The Decision 766 indicators of a unit for a period, per procedure and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kpi766Indicators {
    /// The unit (with every unit below it).
    pub unit: UnitCode,
    /// First day.
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// When open dossiers are judged.
    pub judged_at: Timestamp,
    /// One row per (level, field, procedure): 2.2 per procedure is `handling_working_minutes /
    /// completed` of its row.
    pub rows: Vec<IndicatorRow>,
    /// Total.
    pub total: IndicatorCounts,
    /// Dossier summaries read to compute it (the cost): 0 when it came from the counters (a
    /// period that has ended, or a live report).
    pub dossiers_read: u64,
    /// Histories folded (0 from the counters).
    pub histories_folded: u64,
}

impl Kpi766Indicators {
    pub(crate) fn from_scan(unit: &UnitCode, from: Date, to: Date, s: Scanned) -> Kpi766Indicators {
        let rows = s.rows.into_iter().map(|(k, (_, n))| (k, n)).collect();
        let judged_at = s.judged_at.unwrap_or(Timestamp::UNIX_EPOCH);
        Kpi766Indicators {
            dossiers_read: s.visited,
            histories_folded: s.folded,
            ..Kpi766Indicators::from_rows(unit, from, to, judged_at, rows)
        }
    }

    /// From per-row counts read off the counters (nothing folded).
    pub(crate) fn from_rows(
        unit: &UnitCode,
        from: Date,
        to: Date,
        judged_at: Timestamp,
        rows: BTreeMap<RowKey, IndicatorCounts>,
    ) -> Kpi766Indicators {
        let rows: Vec<IndicatorRow> = rows
            .into_iter()
            .map(|((level, field, procedure), counts)| IndicatorRow {
                level,
                field,
                procedure,
                counts,
            })
            .collect();
        let total = rows
            .iter()
            .fold(IndicatorCounts::default(), |a, r| a + r.counts);
        Kpi766Indicators {
            unit: unit.clone(),
            from,
            to,
            judged_at,
            rows,
            total,
            dossiers_read: 0,
            histories_folded: 0,
        }
    }
}

/// How the instant of a report is meant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judging {
    /// `at` is the current time: everything comes from the counters and the due-time indexes
    /// (O(units × days)). For a running period this is exact only when no projected event is
    /// later than `at`.
    #[default]
    Live,
    /// `at` is any instant: the report as it stood then, over the events at or before `at`. A
    /// period that has ended by `at` still comes from the counters, indicators included; a
    /// running one folds the histories (O(dossiers of the province)).
    AsOf,
}

/// Where the Biểu 06 figures of a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    /// The day/month/year counters.
    Counters,
    /// The dossiers' histories, cut at the instant.
    Histories,
}

/// What report to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// The unit (commune, district, province): it and every unit below it.
    pub unit: UnitCode,
    /// First day (local date).
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// The instant the report is made at.
    pub at: Timestamp,
    /// Whether `at` is now or a past instant.
    pub judging: Judging,
    /// Whether to compute the Decision 766 indicators beyond 2.1 and 3.3 (2.2, 4.1, 4.2, 3.6).
    /// They come from the counters like Biểu 06, except in an as-of report of a running period,
    /// which folds every dossier of the unit open in the period.
    pub indicators: bool,
}

/// The on-time percentage of the totals in one convention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ConventionRate {
    /// The convention.
    pub convention: OnTimeConvention,
    /// The fraction; `None` when its denominator is 0.
    pub rate: Option<Rate>,
    /// The percentage.
    pub percent: Option<f64>,
}

/// The kind of a line of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormRowKind {
    /// A level group (I, II, III): provincial offices, district, commune.
    Level,
    /// A field (lĩnh vực) inside a level.
    Field,
    /// A procedure inside a field (detail only).
    Procedure,
    /// The grand total, "Tổng cộng".
    Total,
}

/// One line of Biểu 06 as printed: STT, label, columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormRow {
    /// What the line is.
    pub kind: FormRowKind,
    /// Column 1 (STT): I, II, III for levels, 1, 2, … for fields, 1.1 … for procedures.
    pub stt: String,
    /// Column 2.
    pub label: String,
    /// Level of the group.
    pub level: Option<UnitLevel>,
    /// Field.
    pub field: Option<FieldCode>,
    /// Procedure.
    pub procedure: Option<ProcedureCode>,
    /// Columns 3 to 13 (and the dossiers ended otherwise).
    pub counts: Bieu06Counts,
}

/// The official report of a unit for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficialReport {
    /// The form ("Biểu số 06/VPCP/KSTT").
    pub form: &'static str,
    /// The unit.
    pub unit: UnitCode,
    /// Its official name (the list in force on the last day).
    pub unit_name: String,
    /// First day.
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// The instant the report was made at.
    pub at: Timestamp,
    /// How `at` is meant.
    pub judging: Judging,
    /// When pending dossiers are judged: the period end, or `at` for a running period.
    pub judged_at: Timestamp,
    /// The same in local (calendar) time, as printed.
    pub judged_at_local: DateTime,
    /// Where the Biểu 06 figures came from.
    pub source: ReportSource,
    /// Biểu 06.
    pub bieu06: Bieu06Report,
    /// The on-time rate of the totals in every convention (standard first).
    pub on_time: Vec<ConventionRate>,
    /// Decision 766 indicator 2.1 inputs (always computed).
    pub kpi766: Kpi766Counts,
    /// The other Decision 766 indicators, when asked for.
    pub indicators: Option<Kpi766Indicators>,
}

/// The Vietnamese name of a level group on the form.
pub fn level_label(level: UnitLevel) -> &'static str {
    match level {
        UnitLevel::Province => "Cấp tỉnh",
        UnitLevel::District => "Cấp huyện",
        UnitLevel::Commune => "Cấp xã",
    }
}

fn roman(n: usize) -> String {
    ["I", "II", "III", "IV", "V"]
        .get(n)
        .map_or_else(|| (n + 1).to_string(), |s| (*s).to_owned())
}

/// The name of a convention as printed.
pub fn convention_label(c: OnTimeConvention) -> &'static str {
    match c {
        OnTimeConvention::Standard => "(trước hạn + đúng hạn) / đã giải quyết: ((8) + (9)) / (7)",
        OnTimeConvention::DueReached => {
            "(trước hạn + đúng hạn) / hồ sơ đã đến hạn: ((8) + (9)) / ((7) + (13))"
        }
        OnTimeConvention::LateShare => "100% − quá hạn / tiếp nhận: 100% − ((10) + (13)) / (3)",
    }
}

impl OfficialReport {
    /// The lines of Biểu 06 in form order: each level (I, II, III) with its total, its fields
    /// (1, 2, …) and, with `detail`, their procedures; then "Tổng cộng".
    pub fn form_rows(&self, detail: bool) -> Vec<FormRow> {
        let mut out = Vec::new();
        for (i, l) in self.bieu06.levels.iter().enumerate() {
            out.push(FormRow {
                kind: FormRowKind::Level,
                stt: roman(i),
                label: level_label(l.level).to_owned(),
                level: Some(l.level),
                field: None,
                procedure: None,
                counts: l.total,
            });
            for (j, f) in l.fields.iter().enumerate() {
                out.push(FormRow {
                    kind: FormRowKind::Field,
                    stt: (j + 1).to_string(),
                    label: if f.name.is_empty() {
                        f.field.as_str().to_owned()
                    } else {
                        f.name.clone()
                    },
                    level: Some(l.level),
                    field: Some(f.field.clone()),
                    procedure: None,
                    counts: f.total,
                });
                if detail {
                    for (k, p) in f.procedures.iter().enumerate() {
                        out.push(FormRow {
                            kind: FormRowKind::Procedure,
                            stt: format!("{}.{}", j + 1, k + 1),
                            label: if p.name.is_empty() {
                                p.procedure.to_string()
                            } else {
                                format!("{} ({})", p.name, p.procedure)
                            },
                            level: Some(l.level),
                            field: Some(f.field.clone()),
                            procedure: Some(p.procedure),
                            counts: p.counts,
                        });
                    }
                }
            }
        }
        out.push(FormRow {
            kind: FormRowKind::Total,
            stt: String::new(),
            label: "Tổng cộng".to_owned(),
            level: None,
            field: None,
            procedure: None,
            counts: self.bieu06.total,
        });
        out
    }

    /// Every Decision 766 indicator the report has: 2.1 and 3.3 always, the others when the
    /// indicators were computed.
    pub fn indicator_list(&self) -> Vec<Indicator> {
        let mut counts = self
            .indicators
            .as_ref()
            .map(|i| i.total)
            .unwrap_or_default();
        counts.on_time = self.kpi766;
        counts.received_online = self.bieu06.total.received_online;
        counts.received =
            self.bieu06.total.received_online + self.bieu06.total.received_direct_postal;
        counts
            .indicators()
            .into_iter()
            .filter(|i| self.indicators.is_some() || matches!(i.code, "2.1" | "3.3"))
            .collect()
    }

    /// The standard on-time rate of the totals.
    pub fn standard_rate(&self) -> Option<Rate> {
        self.bieu06.total.on_time_rate(OnTimeConvention::Standard)
    }
}

impl Views {
    /// The name of a unit in the list in force on `on` (or the newest list that has it).
    pub fn unit_name(&self, unit: &UnitCode, on: Date) -> Option<String> {
        let registry = self.reference().agencies.registry();
        registry
            .in_force_on(on)
            .and_then(|g| g.get(unit))
            .or_else(|| registry.graphs().iter().rev().find_map(|g| g.get(unit)))
            .map(|u| u.name.clone())
    }

    /// The official report: Biểu 06 with every convention of the on-time rate, Decision 766
    /// indicator 2.1 and, when asked, the other indicators.
    ///
    /// Everything comes from the counters (O(units × days)) when the period has ended by `at` or
    /// the report is [`Judging::Live`]: one read of the period's counters gives Biểu 06, 2.1 and
    /// the other indicators. Only a [`Judging::AsOf`] report of a running period folds the
    /// histories cut at `at` (see [`Views::bieu06_as_of`]).
    pub fn official_report(&self, q: &ReportQuery) -> Result<OfficialReport, ViewError> {
        if q.from > q.to {
            return Err(ViewError::InvalidQuery(format!(
                "the period starts ({}) after it ends ({})",
                q.from, q.to
            )));
        }
        let closed = self.inner.days.end(q.to) <= q.at;
        let (bieu06, kpi766, indicators, source) = if closed || q.judging == Judging::Live {
            let p = self.period(&q.unit, q.from, q.to, q.at)?;
            let bieu06 = self.bieu06_of(&q.unit, &p)?;
            let kpi = self.kpi766_of(&q.unit, &p)?.total;
            let indicators = if q.indicators {
                Some(self.indicators_of(&q.unit, &p)?)
            } else {
                None
            };
            (bieu06, kpi, indicators, ReportSource::Counters)
        } else {
            let (bieu06, ind) = self.scanned_reports(&q.unit, q.from, q.to, q.at)?;
            let kpi = ind.total.on_time;
            (
                bieu06,
                kpi,
                q.indicators.then_some(ind),
                ReportSource::Histories,
            )
        };
        let on_time = OnTimeConvention::ALL
            .into_iter()
            .map(|convention| {
                let rate = bieu06.total.on_time_rate(convention);
                ConventionRate {
                    convention,
                    rate,
                    percent: rate.map(Rate::percent),
                }
            })
            .collect();
        Ok(OfficialReport {
            form: "Biểu số 06/VPCP/KSTT",
            unit_name: self
                .unit_name(&q.unit, q.to)
                .unwrap_or_else(|| q.unit.to_string()),
            unit: q.unit.clone(),
            from: q.from,
            to: q.to,
            at: q.at,
            judging: q.judging,
            judged_at: bieu06.judged_at,
            judged_at_local: self.reference().calendar.local(bieu06.judged_at),
            source,
            bieu06,
            on_time,
            kpi766,
            indicators,
        })
    }
}
