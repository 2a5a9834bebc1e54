//! What one dossier contributes to the views, as a pure function of its history.
//!
//! The projector never updates a view "by event": it folds the dossier's whole history (stored
//! in the `history` tree), derives the dossier's row, its index entries and its counter
//! contributions, and writes the difference from what the history before the batch derived.
//! So an import of old history, a replayed dead letter or a late event lands in the right past
//! buckets, and the views are a function of the set of histories, whatever order they came in.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::Reference;
use motcua_domain::calendar::{Timeliness, WorkCalendar};
use motcua_domain::catalogue::{CatalogueRef, Channel, FieldCode, ProcedureVersion};
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Dossier, EventBody, PauseKind, PaymentMethod, Stage};
use motcua_domain::report::{Kpi766Facts, kpi766_on_time};
use motcua_domain::units::{AgencyId, UnitCode, UnitLevel};
use motcua_log::DossierKey;
use serde::{Deserialize, Serialize};

use crate::dead::DeadReason;
use crate::facts::{Folded, scope_units, unit_of};
use crate::fold::word_suffixes;
use crate::history::History;
use crate::keys::{Cells, Family, IndexKind, RowDims, index_key, name_key, pair_dims};

/// An applicant's name: personal data, so `Debug` withholds it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(pub String);

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(<withheld>)")
    }
}

/// The summary of one dossier that lists and lookups return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DossierRow {
    /// The dossier key (`79-<uuid>`).
    pub key: DossierKey,
    /// Code from the receipt slip.
    pub code: Option<DossierCode>,
    /// Lifecycle stage (`received`, `in_progress`, `supplement`, …).
    pub stage: String,
    /// Step inside handling, when in progress.
    pub step: Option<String>,
    /// National status code (TrangThaiHoSo, 1–10).
    pub status_code: Option<u8>,
    /// Its Vietnamese label.
    pub status_label: Option<String>,
    /// Pinned procedure version.
    pub procedure: Option<CatalogueRef>,
    /// Procedure name.
    pub procedure_name: Option<String>,
    /// Field of the procedure.
    pub field: Option<FieldCode>,
    /// Channel.
    pub channel: Option<Channel>,
    /// Applicant's name (personal data).
    pub applicant_name: Option<PersonName>,
    /// Desk that received it.
    pub receiving_agency: Option<AgencyId>,
    /// Competent office; the dossier is counted at its unit.
    pub handling_agency: Option<AgencyId>,
    /// Office holding it now.
    pub holder: Option<AgencyId>,
    /// Officer in charge.
    pub officer: Option<String>,
    /// Unit of the receiving desk.
    pub receiving_unit: Option<UnitCode>,
    /// Unit of the handling office: where Biểu 06 and the overdue lists count it.
    pub handling_unit: Option<UnitCode>,
    /// Level of the handling unit.
    pub handling_level: Option<UnitLevel>,
    /// Unit of the holder: where the queues list it.
    pub holder_unit: Option<UnitCode>,
    /// Online submission.
    pub submitted_at: Option<jiff::Timestamp>,
    /// Intake deadline of an online submission.
    pub intake_due_at: Option<jiff::Timestamp>,
    /// Receipt (NgayTiepNhan).
    pub received_at: Option<jiff::Timestamp>,
    /// Current appointment (NgayHenTra).
    pub due_at: Option<jiff::Timestamp>,
    /// Deadline the dossier is judged against.
    pub deadline: Option<jiff::Timestamp>,
    /// Due time of the current step.
    pub step_due_at: Option<jiff::Timestamp>,
    /// End of processing (NgayKetThucXuLy).
    pub resolved_at: Option<jiff::Timestamp>,
    /// Timeliness at the end of processing.
    pub timeliness: Option<Timeliness>,
    /// Returned to the applicant (NgayTra).
    pub returned_at: Option<jiff::Timestamp>,
    /// Withdrawn, stopped, closed or refused at intake.
    pub ended_at: Option<jiff::Timestamp>,
    /// Why the clock is stopped, if it is (`supplement`, `fee`).
    pub paused: Option<String>,
    /// Supplement requests during handling.
    pub supplement_requests: u32,
    /// An apology was made.
    pub apologised: bool,
    /// When it is due at its holder, while it waits there (the queue order).
    pub queue_due_at: Option<jiff::Timestamp>,
    /// Stream sequence of the last applied commit.
    pub last_seq: u64,
    /// Number of events applied.
    pub events: u64,
    /// Event time of the last event.
    pub last_event_at: Option<jiff::Timestamp>,
}

/// Which tree an index entry lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum IndexTree {
    Codes,
    Names,
    Queue,
    Due,
}

/// A day-level counter contribution, counted at every unit of its family's scope
/// ([`Derived::scope`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CounterPoint {
    pub(crate) family: Family,
    pub(crate) dims: Vec<u8>,
    pub(crate) day: Date,
}

/// Everything one dossier contributes to the views.
///
/// Counter points are kept once, not once per unit they count at: a dossier's points are the
/// same at its unit and at each ancestor, and a batch mostly changes few of them, so the
/// difference is taken before it is multiplied out to the units (and to day, month and year).
#[derive(Debug, Clone, Default)]
pub(crate) struct Derived {
    pub(crate) row: Option<DossierRow>,
    pub(crate) entries: BTreeMap<(IndexTree, Vec<u8>), Vec<u8>>,
    pub(crate) counters: BTreeMap<CounterPoint, Cells>,
    /// The handling unit and its ancestors: where Biểu 06 and fee-pair points count.
    pub(crate) handling_scope: Vec<UnitCode>,
    /// The receiving desk's unit and its ancestors: where intake points count.
    pub(crate) desk_scope: Vec<UnitCode>,
}

impl Derived {
    /// The units a point of `family` counts at.
    pub(crate) fn scope(&self, family: Family) -> &[UnitCode] {
        match family {
            Family::Bieu06 | Family::FeePairs => &self.handling_scope,
            Family::Intake => &self.desk_scope,
        }
    }
}

/// Local-day arithmetic in the calendar's offset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Days {
    offset: Offset,
}

impl Days {
    pub(crate) fn new(reference: &Reference) -> Days {
        Days {
            offset: reference.calendar.config().utc_offset,
        }
    }

    /// The local date of an instant.
    pub(crate) fn date(&self, t: Timestamp) -> Date {
        self.offset.to_datetime(t).date()
    }

    /// The first instant of a local date.
    pub(crate) fn start(&self, d: Date) -> Timestamp {
        self.offset
            .to_timestamp(d.to_datetime(Time::midnight()))
            .unwrap_or(if d.year() < 0 {
                Timestamp::MIN
            } else {
                Timestamp::MAX
            })
    }

    /// The end of day `d`: the first instant of the next day (a period end).
    pub(crate) fn end(&self, d: Date) -> Timestamp {
        d.tomorrow().map_or(Timestamp::MAX, |n| self.start(n))
    }
}

/// How far ahead an open interval is searched for its flip point (100 years).
const HORIZON_DAYS: i64 = 36_525;

/// A unit's scope (the unit and every ancestor, nearest first) and its level.
type Scoped = (Vec<UnitCode>, UnitLevel);

/// What a dossier's offices and procedure resolve to in the reference data: the one part of the
/// derivation that can fail, so that [`check`] can run it alone.
struct Resolved<'r> {
    receiving: Option<Scoped>,
    handling: Option<Scoped>,
    holder: Option<Scoped>,
    version: Option<&'r ProcedureVersion>,
}

fn resolve<'r>(
    d: &Dossier,
    first_at: Timestamp,
    reference: &'r Reference,
) -> Result<Resolved<'r>, DeadReason> {
    let days = Days::new(reference);
    let era = days.date(d.received_at.or(d.submitted_at).unwrap_or(first_at));
    let agencies = &reference.agencies;
    let scoped = |a: &Option<AgencyId>| -> Result<Option<Scoped>, DeadReason> {
        match a {
            None => Ok(None),
            Some(id) => {
                let (g, u) = unit_of(agencies, id, era)
                    .ok_or_else(|| DeadReason::UnknownAgency(id.to_string()))?;
                Ok(Some((scope_units(g, u), u.level)))
            }
        }
    };
    let version = match &d.procedure {
        Some(p) => Some(
            reference
                .catalogue
                .resolve(p)
                .ok_or_else(|| DeadReason::UnknownProcedure(p.to_string()))?,
        ),
        None => None,
    };
    Ok(Resolved {
        receiving: scoped(&d.receiving_agency)?,
        handling: scoped(&d.handling_agency)?,
        holder: scoped(&d.holder)?,
        version,
    })
}

/// Whether a dossier folded to `folded` (first event at `first_at`) derives: its offices and
/// procedure are known to the reference data. [`derive`] of the same history fails exactly when
/// this does, so a batch checks each message with this and derives each dossier once.
pub(crate) fn check(
    folded: &Folded,
    first_at: Timestamp,
    reference: &Reference,
) -> Result<(), DeadReason> {
    resolve(&folded.state, first_at, reference).map(|_| ())
}

/// What the counters need of the state between two event times: segment `i` holds for the
/// period ends in `(t_i, t_{i+1}]`, i.e. for the ends of local days `[date(t_i), date(t_{i+1}))`.
struct Segment {
    at: Timestamp,
    pending: bool,
    paused: bool,
    deadline: Option<Timestamp>,
    kpi: Option<Kpi766Facts>,
}

impl Segment {
    fn of(at: Timestamp, f: &Folded) -> Segment {
        let pending = f.is_pending();
        Segment {
            at,
            pending,
            paused: f.is_paused(),
            deadline: f.state.deadline,
            // Only an open dossier's interval uses them.
            kpi: if pending { f.kpi766_facts() } else { None },
        }
    }
}

/// The derivation of one dossier's contributions.
pub(crate) fn derive(
    key: &DossierKey,
    history: &History,
    reference: &Reference,
) -> Result<Derived, DeadReason> {
    let days = Days::new(reference);
    // Segmented by event time, not by stored message: an imported history is one message
    // holding many original commands, each at its own time. Each segment keeps only what the
    // counters read of its state, so the state is folded once and never copied.
    let mut segments: Vec<Segment> = Vec::new();
    let mut last = Folded::new();
    let mut current: Option<Timestamp> = None;
    for e in history.events() {
        if let Some(t) = current
            && t != e.at
        {
            segments.push(Segment::of(t, &last));
        }
        last.apply(e);
        current = Some(e.at);
    }
    let Some(t_last) = current else {
        return Ok(Derived::default());
    };
    segments.push(Segment::of(t_last, &last));
    let last = &last;
    let d = &last.state;
    let first_at = segments[0].at;
    let Resolved {
        receiving,
        handling,
        holder,
        version,
    } = resolve(d, first_at, reference)?;
    let stage_json = serde_json::to_value(d.stage).unwrap_or_default();
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    let status = d.status();
    let queue_due_at = match d.stage {
        Stage::Submitted => d.intake_due_at,
        Stage::Received | Stage::InProgress { .. } => d.step_due_at.or(d.deadline),
        Stage::ResultReady => d.due_at,
        _ => None,
    };
    let key_text = key.to_string();
    let row = DossierRow {
        key: key.clone(),
        code: d.code.clone(),
        stage: text(stage_json.get("stage")).unwrap_or_default(),
        step: text(stage_json.get("step")),
        status_code: status.map(|s| s.national_code()),
        status_label: status.map(|s| s.label_vi().to_owned()),
        procedure: d.procedure.clone(),
        procedure_name: version.map(|v| v.name.clone()),
        field: version.map(|v| v.field_code.clone()),
        channel: d.channel,
        applicant_name: d.applicant.as_ref().map(|a| PersonName(a.name.clone())),
        receiving_agency: d.receiving_agency.clone(),
        handling_agency: d.handling_agency.clone(),
        holder: d.holder.clone(),
        officer: d.officer.clone(),
        receiving_unit: receiving.as_ref().map(|(s, _)| s[0].clone()),
        handling_unit: handling.as_ref().map(|(s, _)| s[0].clone()),
        handling_level: handling.as_ref().map(|(_, l)| *l),
        holder_unit: holder.as_ref().map(|(s, _)| s[0].clone()),
        submitted_at: d.submitted_at,
        intake_due_at: d.intake_due_at,
        received_at: d.received_at,
        due_at: d.due_at,
        deadline: d.deadline,
        step_due_at: d.step_due_at,
        resolved_at: d.resolved_at,
        timeliness: d.timeliness,
        returned_at: d.returned_at,
        ended_at: d.ended_at,
        paused: d
            .open_pause()
            .and_then(|p| serde_json::to_value(p.kind).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
        supplement_requests: d.supplement_requests,
        apologised: d.apologised,
        queue_due_at,
        last_seq: history.last_seq(),
        events: d.version,
        last_event_at: d.last_event_at,
    };

    let mut out = Derived::default();
    // Lookup and search.
    if let Some(code) = &d.code {
        out.entries.insert(
            (IndexTree::Codes, code.to_string().into_bytes()),
            key_text.clone().into_bytes(),
        );
    }
    if let Some(a) = &d.applicant {
        for suffix in word_suffixes(&a.name) {
            out.entries
                .insert((IndexTree::Names, name_key(&suffix, &key_text)), Vec::new());
        }
    }
    // Desk queues: by holder office and by the holder's unit and its ancestors.
    if let (Some(due), Some(h), Some((units, _))) = (queue_due_at, &d.holder, &holder) {
        out.entries.insert(
            (
                IndexTree::Queue,
                index_key(IndexKind::Agency, h.as_str(), due, &key_text),
            ),
            Vec::new(),
        );
        for u in units {
            out.entries.insert(
                (
                    IndexTree::Queue,
                    index_key(IndexKind::Unit, u.as_str(), due, &key_text),
                ),
                Vec::new(),
            );
        }
    }

    // Everything below counts received dossiers at their handling unit.
    let (Some((handling_units, level)), Some(version), Some(channel), Some(received_at)) =
        (&handling, version, d.channel, d.received_at)
    else {
        out.row = Some(row);
        return Ok(out);
    };
    let dims = RowDims {
        level: *level,
        field: version.field_code.clone(),
        procedure: version.code,
        channel,
    }
    .to_bytes();

    // Overdue lists and the report's same-day corrections: open, unpaused dossiers by deadline.
    if last.is_pending()
        && let Some(deadline) = d.deadline
    {
        if !last.is_paused() {
            if let Some(h) = &d.handling_agency {
                out.entries.insert(
                    (
                        IndexTree::Due,
                        index_key(IndexKind::Agency, h.as_str(), deadline, &key_text),
                    ),
                    Vec::new(),
                );
            }
            for u in handling_units {
                out.entries.insert(
                    (
                        IndexTree::Due,
                        index_key(IndexKind::Unit, u.as_str(), deadline, &key_text),
                    ),
                    dims.clone(),
                );
            }
        }
        if let Some(facts) = last.kpi766_facts()
            && let Some(threshold) = kpi_threshold(&facts, t_last)
        {
            for u in handling_units {
                out.entries.insert(
                    (
                        IndexTree::Due,
                        index_key(IndexKind::Kpi, u.as_str(), threshold, &key_text),
                    ),
                    dims.clone(),
                );
            }
        }
    }

    // Counter contributions, per day, at the handling unit (and, when written, every ancestor:
    // `Derived::scope`).
    out.handling_scope = handling_units.clone();
    let mut add = |day: Date, cells: Cells| {
        let point = CounterPoint {
            family: Family::Bieu06,
            dims: dims.clone(),
            day,
        };
        out.counters.entry(point).or_default().add(&cells);
    };
    // Documents in electronic form: Decision 766 4.2's "digitised" (the scan's rule).
    let digitised = d.digitised || channel == Channel::Online;
    let mut receipt = Cells::one(Cells::RECEIVED, 1);
    receipt.0[Cells::RECEIVED_DIGITISED] = i64::from(digitised);
    add(days.date(received_at), receipt);
    if let Some(exit) = last.exit() {
        let day = days.date(exit);
        match (d.resolved_at, d.timeliness) {
            (Some(_), Some(Timeliness::Early)) => add(day, Cells::one(Cells::EARLY, 1)),
            (Some(_), Some(Timeliness::OnTime)) => add(day, Cells::one(Cells::ON_TIME, 1)),
            (Some(_), _) => add(day, Cells::one(Cells::LATE, 1)),
            (None, _) => add(day, Cells::one(Cells::ENDED, 1)),
        }
        // Decision 766 2.2, 4.1 and 4.2 of a dossier with a result, on the day of its end of
        // processing: the result is issued before it (`Issued` precedes `ResultReady`), so the
        // state at that day's end already has every fact these read.
        if let Some((minutes, seconds)) = handling_time(&reference.calendar, d) {
            let mut c = Cells::default();
            c.0[Cells::WORKING_MINUTES] = clamp(minutes);
            c.0[Cells::HANDLING_SECONDS] = clamp(seconds);
            c.0[Cells::ELECTRONIC_RESULT] = i64::from(d.electronic_result);
            c.0[Cells::DIGITISED_AND_ELECTRONIC] = i64::from(d.electronic_result && digitised);
            add(day, c);
        }
        if let Some(f) = last.kpi766_facts()
            && kpi766_on_time(&f, Timestamp::MAX)
        {
            add(day, Cells::one(Cells::KPI_ENDED_ON_TIME, 1));
        }
    }
    let mut interval = |index: usize, from: Date, to: Option<Date>| {
        add(from, Cells::one(index, 1));
        if let Some(to) = to {
            add(to, Cells::one(index, -1));
        }
    };
    for (i, f) in segments.iter().enumerate() {
        let lo = days.date(f.at);
        let hi = segments.get(i + 1).map(|n| days.date(n.at));
        if hi.is_some_and(|h| h <= lo) || !f.pending {
            continue;
        }
        interval(Cells::OPEN_DELTA, lo, hi);
        if !f.paused
            && let Some(deadline) = f.deadline
        {
            let from = lo.max(days.date(deadline));
            if hi.is_none_or(|h| from < h) {
                interval(Cells::OVERDUE_DELTA, from, hi);
            }
        }
        if let Some(facts) = &f.kpi {
            let on_time = |day: Date| kpi766_on_time(facts, days.end(day));
            if let Some(until) = last_true_day(lo, hi, on_time) {
                interval(Cells::KPI_OPEN_ON_TIME_DELTA, lo, until);
            }
        }
    }

    // Decision 766 3.6: a dossier counts once in a period if it paid in it, however many times.
    // One cell per payment day, and one pair entry per two consecutive payment days (see
    // `Family::FeePairs`), for all payments and for online ones.
    let mut paid: BTreeMap<Date, bool> = BTreeMap::new();
    for e in history.events() {
        if let EventBody::FeePaid { method, .. } = &e.body {
            *paid.entry(days.date(e.at)).or_default() |= *method == PaymentMethod::OnlinePortal;
        }
    }
    let online: Vec<Date> = paid.iter().filter(|(_, o)| **o).map(|(d, _)| *d).collect();
    let all: Vec<Date> = paid.into_keys().collect();
    for (payment_days, index) in [(all, Cells::FEE_PAID), (online, Cells::PAID_ONLINE)] {
        for (i, day) in payment_days.iter().enumerate() {
            let point = CounterPoint {
                family: Family::Bieu06,
                dims: dims.clone(),
                day: *day,
            };
            out.counters
                .entry(point)
                .or_default()
                .add(&Cells::one(index, 1));
            if let Some(earlier) = i.checked_sub(1).and_then(|j| payment_days.get(j)) {
                let point = CounterPoint {
                    family: Family::FeePairs,
                    dims: pair_dims(*earlier, &dims),
                    day: *day,
                };
                out.counters
                    .entry(point)
                    .or_default()
                    .add(&Cells::one(index, 1));
            }
        }
    }

    // Desk intake: receipts at the receiving unit and its ancestors.
    if let Some((desk_units, desk_level)) = &receiving {
        let desk_dims = RowDims {
            level: *desk_level,
            field: version.field_code.clone(),
            procedure: version.code,
            channel,
        }
        .to_bytes();
        out.desk_scope = desk_units.clone();
        let point = CounterPoint {
            family: Family::Intake,
            dims: desk_dims,
            day: days.date(received_at),
        };
        out.counters
            .entry(point)
            .or_default()
            .add(&Cells::one(Cells::RECEIVED, 1));
    }
    out.row = Some(row);
    Ok(out)
}

/// Decision 766 indicator 2.2 of a dossier with a result: working minutes and elapsed seconds
/// from receipt to end of processing, supplement intervals (clipped at the result) subtracted.
/// The one definition the counters and the history scan both use.
pub(crate) fn handling_time(calendar: &WorkCalendar, d: &Dossier) -> Option<(i64, i64)> {
    let (received, resolved) = (d.received_at?, d.resolved_at?);
    let mut minutes = calendar.working_minutes_between(received, resolved);
    let mut elapsed = resolved.duration_since(received);
    for p in d.pauses.iter().filter(|p| p.kind == PauseKind::Supplement) {
        let to = p.to.unwrap_or(resolved).min(resolved);
        minutes -= calendar.working_minutes_between(p.from, to);
        if to > p.from {
            elapsed -= to.duration_since(p.from);
        }
    }
    Some((minutes, elapsed.as_secs()))
}

/// A per-dossier count as summed: negative values (impossible from valid histories) count as 0,
/// as the report has always printed them.
pub(crate) fn clamp(v: i64) -> i64 {
    v.max(0)
}

/// For a predicate that is true and then false over the days `[lo, hi)` (`hi = None`: forever),
/// the end of the true run: `None` if it is false at `lo`, `Some(None)` if true to the end.
#[allow(clippy::option_option)]
fn last_true_day(lo: Date, hi: Option<Date>, ok: impl Fn(Date) -> bool) -> Option<Option<Date>> {
    if !ok(lo) {
        return None;
    }
    let last = match hi {
        Some(h) => h.yesterday().ok()?,
        None => lo.saturating_add(SignedDuration::from_hours(24 * HORIZON_DAYS)),
    };
    if ok(last) {
        return Some(hi);
    }
    // ok(a) and !ok(b): find the first false day.
    let (mut a, mut b) = (lo, last);
    loop {
        let span = b.duration_since(a).as_hours() / 24;
        if span <= 1 {
            return Some(Some(b));
        }
        let mid = a.saturating_add(SignedDuration::from_hours(24 * (span / 2)));
        if ok(mid) {
            a = mid;
        } else {
            b = mid;
        }
    }
}

/// The last instant at which an open dossier is still on time for Decision 766, if it is on time
/// now (`at`) and will not stay so forever (a dossier waiting for a supplement stays so).
fn kpi_threshold(facts: &Kpi766Facts, at: Timestamp) -> Option<Timestamp> {
    let ok = |t: i128| Timestamp::from_nanosecond(t).is_ok_and(|ts| kpi766_on_time(facts, ts));
    let mut a = at.as_nanosecond();
    if !ok(a) {
        return None;
    }
    let far = at
        .checked_add(SignedDuration::from_hours(24 * HORIZON_DAYS))
        .unwrap_or(Timestamp::MAX)
        .as_nanosecond();
    if ok(far) {
        return None;
    }
    let mut b = far;
    while b - a > 1 {
        let mid = a + (b - a) / 2;
        if ok(mid) {
            a = mid;
        } else {
            b = mid;
        }
    }
    Timestamp::from_nanosecond(a).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_true_day_finds_the_flip() {
        let lo = jiff::civil::date(2026, 1, 1);
        let flip = jiff::civil::date(2026, 3, 10);
        assert_eq!(last_true_day(lo, None, |d| d < flip), Some(Some(flip)));
        assert_eq!(last_true_day(lo, None, |_| true), Some(None));
        assert_eq!(last_true_day(lo, None, |_| false), None);
        let hi = jiff::civil::date(2026, 2, 1);
        assert_eq!(last_true_day(lo, Some(hi), |d| d < flip), Some(Some(hi)));
        assert_eq!(
            last_true_day(lo, Some(hi), |d| d < jiff::civil::date(2026, 1, 2)),
            Some(Some(jiff::civil::date(2026, 1, 2)))
        );
    }
}
