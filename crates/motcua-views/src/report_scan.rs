//! Reports as they stood at an instant, from the dossiers' histories.
//!
//! The counters of `report.rs` are exact for a period that has ended (they are keyed by the event
//! day, and the running states are sums of changes up to a day's end), and for a running period
//! judged now. They cannot say what a running period looked like at an earlier instant of its
//! last day, nor which of a day's changes came after that instant: a dossier resolved at 15:00 is
//! in the day's counters whether the report is asked as of 10:00 or 16:00, and the due-time
//! indexes hold today's deadlines, not the ones in force at 10:00.
//!
//! So for a running period asked as of an instant this module folds the histories themselves,
//! each cut at the report's instant:
//!
//! - a period that has ended when the report is asked (`E ≤ at`) is judged at `E` and sees the
//!   events before `E`;
//! - a running period (`at < E`) is judged at `at` and sees the events at or before `at` — what
//!   the live report showed at that instant: the report over the history truncated at `at`.
//!
//! Each dossier then goes through the domain's arithmetic (`report::classify`,
//! `report::kpi766_on_time`), exactly as the model tests' plain fold does.
//!
//! Cost: one pass over the `dossiers` tree of the shard (every dossier's summary, decoded
//! partially: unit, receipt, exit), then one history read and fold per dossier of the unit that
//! was received before the instant and had not left before the period: O(dossiers of the
//! province) + O(events of the dossiers open in the period). That is not the O(units × days) of
//! the counters, so it is used only where the counters cannot answer: the as-of report of a
//! running period. Live reports and every period that has ended — Biểu 06 and all the Decision
//! 766 indicators — come from the counters (`report.rs`). The fold stays available as
//! [`Views::kpi766_indicators_folded`], the definition the counters are tested against
//! (`tests/report_indicators.rs`). `docs/reports.md` says what an index to make the running
//! as-of case O(units × days) would need.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{EventBody, PaymentMethod};
use motcua_domain::report::{Bieu06Counts, Period, classify, kpi766_on_time};
use motcua_domain::units::{AgencyId, UnitCode};
use serde::Deserialize;

use crate::derive::{clamp, handling_time};
use crate::error::ViewError;
use crate::facts::{Folded, scope_units, unit_of};
use crate::history::History;
use crate::report::{Bieu06Report, Kpi766Counts, Kpi766Report, RowKey};
use crate::report_official::{IndicatorCounts, Kpi766Indicators};
use crate::store::{T_DOSSIERS, T_HISTORY, Views, corrupt};

/// Where a report is cut: the period `[start, end)` and the instant it is asked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cut {
    /// `S`: 00:00 of the first day.
    pub(crate) start: Timestamp,
    /// `E`: 00:00 of the day after the last.
    pub(crate) end: Timestamp,
    /// The instant the report is asked at.
    pub(crate) at: Timestamp,
}

impl Cut {
    /// The period has ended when the report is asked.
    pub(crate) fn closed(&self) -> bool {
        self.end <= self.at
    }

    /// When pending dossiers are judged: `E` or `at`.
    pub(crate) fn judged_at(&self) -> Timestamp {
        if self.closed() { self.end } else { self.at }
    }

    /// Whether the report sees an event of this time.
    pub(crate) fn sees(&self, t: Timestamp) -> bool {
        if self.closed() {
            t < self.end
        } else {
            t <= self.at
        }
    }
}

/// The part of a dossier summary the scan filters on.
#[derive(Deserialize)]
struct RowLite {
    handling_agency: Option<AgencyId>,
    received_at: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
}

/// What the scan found, per report row.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub(crate) judged_at: Option<Timestamp>,
    pub(crate) rows: BTreeMap<RowKey, (Bieu06Counts, IndicatorCounts)>,
    /// Dossier summaries read.
    pub(crate) visited: u64,
    /// Histories folded.
    pub(crate) folded: u64,
}

/// One dossier's contribution to every report of the cut, `None` if it has none.
pub(crate) fn contribution(
    views: &Views,
    folded: &Folded,
    history: &History,
    cut: &Cut,
) -> Option<(Bieu06Counts, IndicatorCounts)> {
    let d = &folded.state;
    let facts = folded.bieu06_facts()?;
    let c = if cut.closed() {
        classify(
            &facts,
            &Period {
                start: cut.start,
                end: cut.end,
            },
        )
    } else {
        // Events at `at` happened (the period is seen up to and including `at`), while a deadline
        // equal to `at` has not passed: shift both ends of the comparison by one nanosecond.
        let tick = SignedDuration::from_nanos(1);
        let shifted = motcua_domain::report::DossierFacts {
            deadline: facts.deadline.checked_add(tick).unwrap_or(Timestamp::MAX),
            ..facts
        };
        classify(
            &shifted,
            &Period {
                start: cut.start,
                end: cut.at.checked_add(tick).unwrap_or(Timestamp::MAX),
            },
        )
    };
    if c.received_total() == 0 {
        return None;
    }
    let judged = cut.judged_at();
    let mut n = IndicatorCounts::default();
    let on_time = folded
        .kpi766_facts()
        .is_some_and(|k| kpi766_on_time(&k, judged));
    n.on_time = Kpi766Counts {
        dossiers: 1,
        ended_on_time: u64::from(on_time && folded.exit().is_some()),
        pending_on_time: u64::from(on_time && folded.exit().is_none()),
    };
    n.received = c.received_online + c.received_direct_postal;
    n.received_online = c.received_online;
    let online = d.channel == Some(Channel::Online);
    n.received_digitised = u64::from(n.received == 1 && (d.digitised || online));
    if c.resolved_total() == 1
        && let Some((minutes, seconds)) = handling_time(&views.reference().calendar, d)
    {
        n.completed = 1;
        n.handling_working_minutes = clamp(minutes).unsigned_abs();
        n.handling_seconds = clamp(seconds).unsigned_abs();
        n.electronic_result = u64::from(d.electronic_result);
        n.digitised_and_electronic = u64::from(d.electronic_result && (d.digitised || online));
    }
    let mut paid = false;
    let mut paid_online = false;
    for e in history.events() {
        if let EventBody::FeePaid { method, .. } = &e.body
            && e.at >= cut.start
            && cut.sees(e.at)
        {
            paid = true;
            paid_online |= *method == PaymentMethod::OnlinePortal;
        }
    }
    n.fee_paid = u64::from(paid);
    n.paid_online = u64::from(paid_online);
    Some((c, n))
}

impl Views {
    fn cut(&self, from: Date, to: Date, at: Timestamp) -> Result<Cut, ViewError> {
        if from > to {
            return Err(ViewError::InvalidQuery(format!(
                "the period starts ({from}) after it ends ({to})"
            )));
        }
        let days = self.inner.days;
        Ok(Cut {
            start: days.start(from),
            end: days.end(to),
            at,
        })
    }

    /// Folds every dossier of `unit` (and the units below it) that the cut can see: see the
    /// module documentation for what it costs.
    pub(crate) fn scan(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Scanned, ViewError> {
        let cut = self.cut(from, to, at)?;
        let reference = self.reference();
        let agencies = &reference.agencies;
        let days = self.inner.days;
        let mut out = Scanned {
            judged_at: Some(cut.judged_at()),
            ..Scanned::default()
        };
        // Dossiers that left before this instant (and that the cut sees leave) are out of every
        // column: before the period starts, or before `at` when the period has not started.
        let gone_before = cut.start.min(cut.judged_at());
        for kv in self.tree(T_DOSSIERS).iter() {
            let (key, value) = kv?;
            out.visited += 1;
            let row: RowLite =
                serde_json::from_slice(&value).map_err(|e| corrupt("dossiers", e))?;
            let (Some(agency), Some(received)) = (&row.handling_agency, row.received_at) else {
                continue;
            };
            if !cut.sees(received) {
                continue;
            }
            let exit = row.resolved_at.or(row.ended_at);
            if exit.is_some_and(|x| x < gone_before && cut.sees(x)) {
                continue;
            }
            let Some((graph, handling)) = unit_of(agencies, agency, days.date(received)) else {
                continue;
            };
            if !scope_units(graph, handling).contains(unit) {
                continue;
            }
            let dossier = std::str::from_utf8(&key).map_err(|e| corrupt("dossiers", e))?;
            let history = History::load(self.tree(T_HISTORY), dossier)?;
            if history.commits.is_empty() {
                continue;
            }
            out.folded += 1;
            let folded = Folded::replay(history.events().filter(|e| cut.sees(e.at)));
            let Some(version) = folded
                .state
                .procedure
                .as_ref()
                .and_then(|p| reference.catalogue.resolve(p))
            else {
                continue;
            };
            let Some((c, n)) = contribution(self, &folded, &history, &cut) else {
                continue;
            };
            let e = out
                .rows
                .entry((handling.level, version.field_code.clone(), version.code))
                .or_default();
            e.0 += c;
            e.1 += n;
        }
        Ok(out)
    }

    /// Biểu 06 of a unit for the local days `from..=to` **as it stood at `at`**: equal to the
    /// report computed, at `at`, over the events whose time is at or before `at`.
    ///
    /// - A period that has ended (`E ≤ at`) is judged at its end and read from the counters
    ///   (O(units × days)): the same as [`Views::bieu06`], which is exact for it.
    /// - A running period (`at < E`) is judged at `at` from the histories cut at `at`, whatever
    ///   happened since (O(dossiers of the province); see the module `report_scan`).
    pub fn bieu06_as_of(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Bieu06Report, ViewError> {
        let cut = self.cut(from, to, at)?;
        if cut.closed() {
            return self.bieu06(unit, from, to, at);
        }
        let s = self.scan(unit, from, to, at)?;
        let rows = s.rows.into_iter().map(|(k, (c, _))| (k, c)).collect();
        self.assemble_bieu06(unit, from, to, cut.judged_at(), rows)
    }

    /// The Decision 766 indicator 2.1 inputs as they stood at `at` (see
    /// [`Views::bieu06_as_of`] for the cut and its cost).
    pub fn kpi766_as_of(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Kpi766Report, ViewError> {
        let cut = self.cut(from, to, at)?;
        if cut.closed() {
            return self.kpi766_inputs(unit, from, to, at);
        }
        let s = self.scan(unit, from, to, at)?;
        let rows = s
            .rows
            .into_iter()
            .map(|(k, (_, n))| (k, n.on_time))
            .collect();
        Ok(Self::assemble_kpi766(unit, from, to, cut.judged_at(), rows))
    }

    /// The Decision 766 indicators our events can give (2.1 on time, 2.2 handling time, 3.3
    /// online share, 4.1 / 4.2 digitisation, online payment), per procedure and in total, for a
    /// unit and every unit below it, as they stood at `at` (the period end when it has ended).
    ///
    /// A period that has ended by `at` is read from the counters (O(units × days), like
    /// [`Views::bieu06`]); a running one folds the histories cut at `at`
    /// ([`Views::kpi766_indicators_folded`]), which the counters cannot rewind to.
    pub fn kpi766_indicators(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Kpi766Indicators, ViewError> {
        let cut = self.cut(from, to, at)?;
        if cut.closed() {
            let p = self.period(unit, from, to, at)?;
            return self.indicators_of(unit, &p);
        }
        self.kpi766_indicators_folded(unit, from, to, at)
    }

    /// [`Views::kpi766_indicators`] always folded from the histories, each cut at `at`:
    /// O(dossiers of the province). The definition the counters are checked against (for a
    /// period that has ended both give the same numbers); the counters are the way to ask.
    pub fn kpi766_indicators_folded(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<Kpi766Indicators, ViewError> {
        let s = self.scan(unit, from, to, at)?;
        Ok(Kpi766Indicators::from_scan(unit, from, to, s))
    }

    /// Biểu 06 together with the Decision 766 indicators, from one scan (as of `at`).
    pub(crate) fn scanned_reports(
        &self,
        unit: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> Result<(Bieu06Report, Kpi766Indicators), ViewError> {
        let s = self.scan(unit, from, to, at)?;
        let judged_at = s.judged_at.unwrap_or(at);
        let rows = s.rows.iter().map(|(k, (c, _))| (k.clone(), *c)).collect();
        let bieu06 = self.assemble_bieu06(unit, from, to, judged_at, rows)?;
        Ok((bieu06, Kpi766Indicators::from_scan(unit, from, to, s)))
    }
}
