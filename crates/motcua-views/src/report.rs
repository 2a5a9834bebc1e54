//! Report queries over the counters: Biểu 06, the Decision 766 timeliness inputs, desk intake.
//!
//! A query reads the day/month/year buckets of one unit that cover the period (at most five
//! contiguous key ranges per sum), so its cost grows with the rows and the days asked, never
//! with the number of events. The counting rules are in `docs/reports.md`. Every Decision 766
//! indicator is read from the same counters ([`Views::kpi766_indicators`]). Reports as of a past
//! instant of a running period fold the histories instead (`report_scan.rs`); the official
//! report and its exports are in `report_official.rs` and `report_export.rs`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::catalogue::{Channel, FieldCode, ProcedureCode};
use motcua_domain::report::{Bieu06Counts, Rate};
use motcua_domain::units::{UnitCode, UnitLevel};
use serde::Serialize;

use crate::error::ViewError;
use crate::keys::{
    Cells, Family, Gran, IndexKind, RowDims, counter_range, index_prefix, pair_dims_from, ts_bytes,
};
use crate::report_official::{IndicatorCounts, Kpi766Indicators};
use crate::store::{T_COUNTERS, T_DUE, Views, corrupt};

/// One procedure's row of Biểu 06.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcedureRow {
    /// Procedure code.
    pub procedure: ProcedureCode,
    /// Procedure name (newest version's).
    pub name: String,
    /// The counters.
    pub counts: Bieu06Counts,
}

/// The rows of one field, with their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldGroup {
    /// Field code.
    pub field: FieldCode,
    /// Field name.
    pub name: String,
    /// One row per procedure.
    pub procedures: Vec<ProcedureRow>,
    /// Sum of the rows.
    pub total: Bieu06Counts,
}

/// The fields handled at one level (provincial offices, district, commune), with their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelGroup {
    /// Level of the handling unit.
    pub level: UnitLevel,
    /// Fields.
    pub fields: Vec<FieldGroup>,
    /// Sum of the fields.
    pub total: Bieu06Counts,
}

/// Biểu 06 of a unit for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bieu06Report {
    /// The unit (with every unit below it).
    pub unit: UnitCode,
    /// First day (local date).
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// When "pending within time / overdue" is judged: the period end, or `at` when the period
    /// has not ended yet.
    pub judged_at: Timestamp,
    /// Row groups by level of the handling unit, top level first.
    pub levels: Vec<LevelGroup>,
    /// Grand total.
    pub total: Bieu06Counts,
}

/// Decision 766 indicator 2.1 inputs of one row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Kpi766Counts {
    /// Dossiers received or being processed in the period (= Biểu 06 column 3).
    pub dossiers: u64,
    /// Of them, ended in the period on time.
    pub ended_on_time: u64,
    /// Of them, still open when judged and on time then.
    pub pending_on_time: u64,
}

impl Kpi766Counts {
    /// Processed or being processed on time.
    pub fn on_time(&self) -> u64 {
        self.ended_on_time + self.pending_on_time
    }

    /// The indicator: on time / dossiers; `None` for no dossiers.
    pub fn rate(&self) -> Option<Rate> {
        Rate::new(self.on_time(), self.dossiers)
    }

    pub(crate) fn add(&mut self, o: &Kpi766Counts) {
        self.dossiers += o.dossiers;
        self.ended_on_time += o.ended_on_time;
        self.pending_on_time += o.pending_on_time;
    }
}

/// One procedure's Decision 766 inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kpi766Row {
    /// Level of the handling unit.
    pub level: UnitLevel,
    /// Field.
    pub field: FieldCode,
    /// Procedure.
    pub procedure: ProcedureCode,
    /// The counts.
    pub counts: Kpi766Counts,
}

/// Decision 766 indicator 2.1 inputs of a unit for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kpi766Report {
    /// The unit (with every unit below it).
    pub unit: UnitCode,
    /// First day.
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// When open dossiers are judged.
    pub judged_at: Timestamp,
    /// One row per (level, field, procedure).
    pub rows: Vec<Kpi766Row>,
    /// Total.
    pub total: Kpi766Counts,
}

/// Receipts at the desks of a unit, by channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IntakeCounts {
    /// At the desk.
    pub direct: u64,
    /// Online.
    pub online: u64,
    /// By post.
    pub postal: u64,
}

/// One procedure's receipts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeRow {
    /// Level of the receiving unit.
    pub level: UnitLevel,
    /// Field.
    pub field: FieldCode,
    /// Procedure.
    pub procedure: ProcedureCode,
    /// Receipts.
    pub counts: IntakeCounts,
}

/// Receipts at the desks of a unit for a period, wherever the dossiers are handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeReport {
    /// The unit (with every unit below it).
    pub unit: UnitCode,
    /// First day.
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// Rows.
    pub rows: Vec<IntakeRow>,
    /// Total.
    pub total: IntakeCounts,
}

type Sums = BTreeMap<RowDims, Cells>;

/// A report row: level of the handling unit, field, procedure.
pub(crate) type RowKey = (UnitLevel, FieldCode, ProcedureCode);

fn nonneg(v: i64) -> Result<u64, ViewError> {
    u64::try_from(v).map_err(|_| corrupt("counters", format!("negative count {v}")))
}

/// The per-row state behind every counter report.
pub(crate) struct Period {
    from: Date,
    to: Date,
    judged_at: Timestamp,
    flows: Sums,
    start: Sums,
    end: Sums,
    overdue_fix: BTreeMap<RowDims, i64>,
    kpi_fix: BTreeMap<RowDims, i64>,
}

impl Views {
    /// Adds the counters of the buckets of `gran` from `a` to `b` to `out`, under the row `row`
    /// gives for each key's dims (`None`: skip the key).
    #[allow(clippy::too_many_arguments)]
    fn add_range(
        &self,
        family: Family,
        unit: &str,
        gran: Gran,
        a: Date,
        b: Date,
        row: &impl Fn(&[u8]) -> Result<Option<RowDims>, ViewError>,
        out: &mut Sums,
    ) -> Result<(), ViewError> {
        let (start, end, prefix_len) = counter_range(family, unit, gran, a, b);
        for kv in self.tree(T_COUNTERS).range(start..=end) {
            let (k, v) = kv?;
            let Some(dims) = row(k.get(prefix_len..).unwrap_or_default())? else {
                continue;
            };
            let cells = Cells::from_bytes(&v).ok_or_else(|| corrupt("counters", "bad cell"))?;
            out.entry(dims).or_default().add(&cells);
        }
        Ok(())
    }

    /// Sums the counters of `[a, b]` from whole years, whole months and days.
    fn sum_range(&self, family: Family, unit: &str, a: Date, b: Date) -> Result<Sums, ViewError> {
        let row = |d: &[u8]| {
            RowDims::from_bytes(d)
                .map(Some)
                .ok_or_else(|| corrupt("counters", "bad key"))
        };
        self.sum_range_with(family, unit, a, b, &row)
    }

    /// [`Views::sum_range`] with the keys' dims read by `row`.
    fn sum_range_with(
        &self,
        family: Family,
        unit: &str,
        a: Date,
        b: Date,
        row: &impl Fn(&[u8]) -> Result<Option<RowDims>, ViewError>,
    ) -> Result<Sums, ViewError> {
        let mut out = Sums::new();
        let mut cur = a;
        while cur <= b {
            let (gran, last) = if cur == cur.first_of_year() && cur.last_of_year() <= b {
                let last = if b == b.last_of_year() {
                    b
                } else {
                    b.first_of_year().yesterday().unwrap_or(b)
                };
                (Gran::Year, last)
            } else if cur == cur.first_of_month() && cur.last_of_month() <= b {
                let limit = b.min(cur.last_of_year());
                let last = if limit == limit.last_of_month() {
                    limit
                } else {
                    limit.first_of_month().yesterday().unwrap_or(limit)
                };
                (Gran::Month, last)
            } else {
                (Gran::Day, b.min(cur.last_of_month()))
            };
            self.add_range(family, unit, gran, cur, last, row, &mut out)?;
            match last.tomorrow() {
                Ok(next) => cur = next,
                Err(_) => break,
            }
        }
        Ok(out)
    }

    /// The pairs of consecutive payment days `p < q` of one dossier with both in `[a, b]`, per
    /// row (see `Family::FeePairs`): the entries of the days `q` in `[a, b]` whose `p ≥ a`.
    fn fee_pairs(&self, unit: &str, a: Date, b: Date) -> Result<Sums, ViewError> {
        let row = |d: &[u8]| {
            let (earlier, dims) =
                pair_dims_from(d).ok_or_else(|| corrupt("counters", "bad fee pair key"))?;
            Ok((earlier >= a).then_some(dims))
        };
        self.sum_range_with(Family::FeePairs, unit, a, b, &row)
    }

    /// Sums from the beginning of time to the end of day `t` (the running states).
    fn prefix(&self, family: Family, unit: &str, t: Date) -> Result<Sums, ViewError> {
        self.sum_range(family, unit, Date::MIN, t)
    }

    fn correction(
        &self,
        kind: IndexKind,
        unit: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeMap<RowDims, i64>, ViewError> {
        let prefix = index_prefix(kind, unit);
        let mut start = prefix.clone();
        start.extend_from_slice(&ts_bytes(from));
        let mut end = prefix;
        end.extend_from_slice(&ts_bytes(to));
        let mut out = BTreeMap::new();
        for kv in self.tree(T_DUE).range(start..end) {
            let (_, v) = kv?;
            let dims = RowDims::from_bytes(&v).ok_or_else(|| corrupt("due", "bad dims"))?;
            *out.entry(dims).or_insert(0) += 1;
        }
        Ok(out)
    }

    pub(crate) fn period(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Period, ViewError> {
        if from > to {
            return Err(ViewError::InvalidQuery(format!(
                "the period starts ({from}) after it ends ({to})"
            )));
        }
        let days = self.inner.days;
        let u = unit.as_str();
        let period_end = days.end(to);
        // Views holding an event later than `at` (another node's clock a little ahead) say
        // nothing of what stood before it: they are judged at that event.
        let at = self.latest_event_at()?.map_or(at, |latest| at.max(latest));
        let flows = self.sum_range(Family::Bieu06, u, from, to)?;
        let start = match from.yesterday() {
            Ok(y) => self.prefix(Family::Bieu06, u, y)?,
            Err(_) => Sums::new(),
        };
        if period_end <= at {
            let end = self.prefix(Family::Bieu06, u, to)?;
            return Ok(Period {
                from,
                to,
                judged_at: period_end,
                flows,
                start,
                end,
                overdue_fix: BTreeMap::new(),
                kpi_fix: BTreeMap::new(),
            });
        }
        // The period has not ended: judge open dossiers at `at`. The running states give the
        // end of `at`'s day; the due-time indexes correct for what falls due later that day.
        let today = days.date(at);
        let end = self.prefix(Family::Bieu06, u, today)?;
        let midnight = days.end(today);
        Ok(Period {
            from,
            to,
            judged_at: at,
            flows,
            start,
            end,
            overdue_fix: self.correction(IndexKind::Unit, u, at, midnight)?,
            kpi_fix: self.correction(IndexKind::Kpi, u, at, midnight)?,
        })
    }

    fn all_dims(p: &Period) -> std::collections::BTreeSet<&RowDims> {
        // Every row with a flow in the period or open at either end: a row with only a payment
        // or a result in the period has a flow, so the indicators need no other rows.
        p.flows
            .keys()
            .chain(p.start.keys())
            .chain(p.end.keys())
            .collect()
    }

    /// Biểu 06 ("Tình hình, kết quả giải quyết TTHC") of a unit and every unit below it, for the
    /// local days `from..=to`.
    ///
    /// Received, resolved and ended counts are by event day. "Carried over" is what was pending
    /// at the end of the day before `from`; "pending within time / overdue" is judged at the
    /// period end when it is not after `at`, and at `at` otherwise. `at` is meant to be the
    /// current time: the views hold the events projected so far and nothing later. When they
    /// hold a later event (clocks of two nodes apart), a running period is judged at that event's
    /// time instead, which `judged_at` gives. For the report of a running period as it stood at
    /// a past instant, use [`Views::bieu06_as_of`].
    pub fn bieu06(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Bieu06Report, ViewError> {
        let p = self.period(unit, from, to, at)?;
        self.bieu06_of(unit, &p)
    }

    /// Biểu 06 from the counters read for a period.
    pub(crate) fn bieu06_of(&self, unit: &UnitCode, p: &Period) -> Result<Bieu06Report, ViewError> {
        let mut rows: BTreeMap<RowKey, Bieu06Counts> = BTreeMap::new();
        let zero = Cells::default();
        for dims in Self::all_dims(p) {
            let f = p.flows.get(dims).unwrap_or(&zero).0;
            let s = p.start.get(dims).unwrap_or(&zero).0;
            let e = p.end.get(dims).unwrap_or(&zero).0;
            let received = nonneg(f[Cells::RECEIVED])?;
            let pending = nonneg(e[Cells::OPEN_DELTA])?;
            let overdue =
                nonneg(e[Cells::OVERDUE_DELTA] - p.overdue_fix.get(dims).copied().unwrap_or(0))?;
            let c = Bieu06Counts {
                received_online: if dims.channel == Channel::Online {
                    received
                } else {
                    0
                },
                received_direct_postal: if dims.channel == Channel::Online {
                    0
                } else {
                    received
                },
                carried_over: nonneg(s[Cells::OPEN_DELTA])?,
                resolved_early: nonneg(f[Cells::EARLY])?,
                resolved_on_time: nonneg(f[Cells::ON_TIME])?,
                resolved_late: nonneg(f[Cells::LATE])?,
                pending_within: pending
                    .checked_sub(overdue)
                    .ok_or_else(|| corrupt("counters", "more overdue than pending"))?,
                pending_overdue: overdue,
                ended_otherwise: nonneg(f[Cells::ENDED])?,
            };
            if c == Bieu06Counts::default() {
                continue;
            }
            *rows
                .entry((dims.level, dims.field.clone(), dims.procedure))
                .or_default() += c;
        }
        self.assemble_bieu06(unit, p.from, p.to, p.judged_at, rows)
    }

    /// Groups Biểu 06 rows by level (top level first), then field, then procedure, with names
    /// from the catalogue and the totals of every group.
    pub(crate) fn assemble_bieu06(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        judged_at: Timestamp,
        rows: BTreeMap<RowKey, Bieu06Counts>,
    ) -> Result<Bieu06Report, ViewError> {
        let catalogue = &self.reference().catalogue;
        let field_names = catalogue.fields();
        let mut levels: Vec<LevelGroup> = Vec::new();
        for ((level, field, procedure), counts) in rows {
            if levels.last().is_none_or(|l| l.level != level) {
                levels.push(LevelGroup {
                    level,
                    fields: Vec::new(),
                    total: Bieu06Counts::default(),
                });
            }
            let lg = levels
                .last_mut()
                .ok_or_else(|| corrupt("counters", "no level"))?;
            if lg.fields.last().is_none_or(|f| f.field != field) {
                lg.fields.push(FieldGroup {
                    name: field_names
                        .get(&field)
                        .map(|n| (*n).to_owned())
                        .unwrap_or_default(),
                    field: field.clone(),
                    procedures: Vec::new(),
                    total: Bieu06Counts::default(),
                });
            }
            let fg = lg
                .fields
                .last_mut()
                .ok_or_else(|| corrupt("counters", "no field"))?;
            fg.procedures.push(ProcedureRow {
                procedure,
                name: catalogue
                    .versions_of(&procedure)
                    .last()
                    .map(|v| v.name.clone())
                    .unwrap_or_default(),
                counts,
            });
            fg.total += counts;
            lg.total += counts;
        }
        let total = levels.iter().map(|l| l.total).sum();
        Ok(Bieu06Report {
            unit: unit.clone(),
            from,
            to,
            judged_at,
            levels,
            total,
        })
    }

    /// The inputs of Decision 766 indicator 2.1 for a unit and every unit below it: the dossiers
    /// received or being processed in `from..=to` (Biểu 06 column 3), and how many of them ended
    /// on time in the period or are on time when judged (at the period end, or at `at` when the
    /// period has not ended), per `motcua_domain::report::kpi766_on_time`.
    pub fn kpi766_inputs(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Kpi766Report, ViewError> {
        let p = self.period(unit, from, to, at)?;
        self.kpi766_of(unit, &p)
    }

    /// Indicator 2.1 of one row from the counters read for a period.
    fn kpi_counts(p: &Period, dims: &RowDims) -> Result<Kpi766Counts, ViewError> {
        let zero = Cells::default();
        let f = p.flows.get(dims).unwrap_or(&zero).0;
        let s = p.start.get(dims).unwrap_or(&zero).0;
        let e = p.end.get(dims).unwrap_or(&zero).0;
        Ok(Kpi766Counts {
            dossiers: nonneg(f[Cells::RECEIVED] + s[Cells::OPEN_DELTA])?,
            ended_on_time: nonneg(f[Cells::KPI_ENDED_ON_TIME])?,
            pending_on_time: nonneg(
                e[Cells::KPI_OPEN_ON_TIME_DELTA] + p.kpi_fix.get(dims).copied().unwrap_or(0),
            )?,
        })
    }

    /// Indicator 2.1 inputs from the counters read for a period.
    pub(crate) fn kpi766_of(&self, unit: &UnitCode, p: &Period) -> Result<Kpi766Report, ViewError> {
        let mut rows: BTreeMap<RowKey, Kpi766Counts> = BTreeMap::new();
        for dims in Self::all_dims(p) {
            let c = Self::kpi_counts(p, dims)?;
            if c == Kpi766Counts::default() {
                continue;
            }
            rows.entry((dims.level, dims.field.clone(), dims.procedure))
                .or_default()
                .add(&c);
        }
        Ok(Self::assemble_kpi766(unit, p.from, p.to, p.judged_at, rows))
    }

    /// Every Decision 766 indicator from the counters read for a period (O(units × days), like
    /// Biểu 06): 2.1 as [`Views::kpi766_inputs`], the others from the cells written on the day of
    /// the receipt, of the end of processing and of each payment (`derive.rs`). Exact for a
    /// period that has ended; for a running one, live (the events projected so far).
    pub(crate) fn indicators_of(
        &self,
        unit: &UnitCode,
        p: &Period,
    ) -> Result<Kpi766Indicators, ViewError> {
        let pairs = self.fee_pairs(unit.as_str(), p.from, p.to)?;
        let zero = Cells::default();
        let mut rows: BTreeMap<RowKey, IndicatorCounts> = BTreeMap::new();
        for dims in Self::all_dims(p) {
            let f = p.flows.get(dims).unwrap_or(&zero).0;
            let pair = pairs.get(dims).unwrap_or(&zero).0;
            let received = nonneg(f[Cells::RECEIVED])?;
            let c = IndicatorCounts {
                on_time: Self::kpi_counts(p, dims)?,
                completed: nonneg(f[Cells::EARLY] + f[Cells::ON_TIME] + f[Cells::LATE])?,
                handling_working_minutes: nonneg(f[Cells::WORKING_MINUTES])?,
                handling_seconds: nonneg(f[Cells::HANDLING_SECONDS])?,
                received,
                received_online: if dims.channel == Channel::Online {
                    received
                } else {
                    0
                },
                received_digitised: nonneg(f[Cells::RECEIVED_DIGITISED])?,
                electronic_result: nonneg(f[Cells::ELECTRONIC_RESULT])?,
                digitised_and_electronic: nonneg(f[Cells::DIGITISED_AND_ELECTRONIC])?,
                fee_paid: nonneg(f[Cells::FEE_PAID] - pair[Cells::FEE_PAID])?,
                paid_online: nonneg(f[Cells::PAID_ONLINE] - pair[Cells::PAID_ONLINE])?,
            };
            if c == IndicatorCounts::default() {
                continue;
            }
            *rows
                .entry((dims.level, dims.field.clone(), dims.procedure))
                .or_default() += c;
        }
        Ok(Kpi766Indicators::from_rows(
            unit,
            p.from,
            p.to,
            p.judged_at,
            rows,
        ))
    }

    /// One Decision 766 row per (level, field, procedure), with the total.
    pub(crate) fn assemble_kpi766(
        unit: &UnitCode,
        from: Date,
        to: Date,
        judged_at: Timestamp,
        rows: BTreeMap<RowKey, Kpi766Counts>,
    ) -> Kpi766Report {
        let mut total = Kpi766Counts::default();
        let rows = rows
            .into_iter()
            .filter(|(_, c)| *c != Kpi766Counts::default())
            .map(|((level, field, procedure), counts)| {
                total.add(&counts);
                Kpi766Row {
                    level,
                    field,
                    procedure,
                    counts,
                }
            })
            .collect();
        Kpi766Report {
            unit: unit.clone(),
            from,
            to,
            judged_at,
            rows,
            total,
        }
    }

    /// Dossiers received at the desks of a unit and every unit below it in `from..=to`, by
    /// channel, wherever they are handled (Biểu 06 counts them at the handling unit instead).
    pub fn intake(&self, unit: &UnitCode, from: Date, to: Date) -> Result<IntakeReport, ViewError> {
        if from > to {
            return Err(ViewError::InvalidQuery(format!(
                "the period starts ({from}) after it ends ({to})"
            )));
        }
        let sums = self.sum_range(Family::Intake, unit.as_str(), from, to)?;
        let mut rows: BTreeMap<(UnitLevel, FieldCode, ProcedureCode), IntakeCounts> =
            BTreeMap::new();
        let mut total = IntakeCounts::default();
        for (dims, cells) in sums {
            let n = nonneg(cells.0[Cells::RECEIVED])?;
            if n == 0 {
                continue;
            }
            let row = rows
                .entry((dims.level, dims.field.clone(), dims.procedure))
                .or_default();
            let (r, t) = match dims.channel {
                Channel::Direct => (&mut row.direct, &mut total.direct),
                Channel::Online => (&mut row.online, &mut total.online),
                Channel::Postal => (&mut row.postal, &mut total.postal),
            };
            *r += n;
            *t += n;
        }
        Ok(IntakeReport {
            unit: unit.clone(),
            from,
            to,
            rows: rows
                .into_iter()
                .map(|((level, field, procedure), counts)| IntakeRow {
                    level,
                    field,
                    procedure,
                    counts,
                })
                .collect(),
            total,
        })
    }
}
