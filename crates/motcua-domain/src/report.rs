//! Report arithmetic: the 13 columns of Biểu 06 ("Tình hình, kết quả giải quyết TTHC"), the
//! on-time-rate conventions, and Decision 766 indicator 2.1, as pure functions over counters and
//! over the facts of one dossier.
//!
//! Counting rules (which column a dossier falls in) are written down in `docs/reports.md`; this
//! module is their single implementation.

use std::fmt;
use std::ops::{Add, AddAssign};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::Timeliness;
use crate::catalogue::Channel;

/// The counters behind one row of Biểu 06. Totals (columns 3, 7, 11) are derived, never stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bieu06Counts {
    /// Column 4: received in the period online.
    pub received_online: u64,
    /// Column 5: received in the period directly or by post.
    pub received_direct_postal: u64,
    /// Column 6: received before the period and still pending at its start.
    pub carried_over: u64,
    /// Column 8: resolved before the due date.
    pub resolved_early: u64,
    /// Column 9: resolved on the due date.
    pub resolved_on_time: u64,
    /// Column 10: resolved after the due time.
    pub resolved_late: u64,
    /// Column 12: pending at the period end, within time.
    pub pending_within: u64,
    /// Column 13: pending at the period end, overdue.
    pub pending_overdue: u64,
    /// Not a column: dossiers that left in the period without a result (withdrawn, stopped, closed
    /// for a missing supplement). The form's invariant needs them; the report prints them as a note.
    pub ended_otherwise: u64,
}

/// A fraction kept exact; printed as a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Numerator.
    pub numerator: u64,
    /// Denominator, never 0.
    pub denominator: u64,
}

impl Rate {
    /// `None` when the denominator is 0: a rate of nothing is not 100%.
    pub fn new(numerator: u64, denominator: u64) -> Option<Rate> {
        (denominator > 0).then_some(Rate {
            numerator,
            denominator,
        })
    }

    /// The percentage.
    pub fn percent(self) -> f64 {
        self.numerator as f64 * 100.0 / self.denominator as f64
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}%", self.percent())
    }
}

/// How an on-time percentage is computed; the published conventions differ (DOMAIN.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeConvention {
    /// (a) The standard: (before + on time) / resolved.
    Standard,
    /// (b) Over the dossiers that reached their due date: (before + on time) / (resolved + pending
    /// overdue).
    DueReached,
    /// (c) 100% − (pending overdue + resolved late) / (received in the period + carried over).
    LateShare,
}

impl OnTimeConvention {
    /// Every convention.
    pub const ALL: [OnTimeConvention; 3] = [
        OnTimeConvention::Standard,
        OnTimeConvention::DueReached,
        OnTimeConvention::LateShare,
    ];
}

impl Bieu06Counts {
    /// Column 3 = 4 + 5 + 6.
    pub fn received_total(&self) -> u64 {
        self.received_online + self.received_direct_postal + self.carried_over
    }

    /// Column 7 = 8 + 9 + 10.
    pub fn resolved_total(&self) -> u64 {
        self.resolved_early + self.resolved_on_time + self.resolved_late
    }

    /// Column 11 = 12 + 13.
    pub fn pending_total(&self) -> u64 {
        self.pending_within + self.pending_overdue
    }

    /// The 13 columns in form order (column 1 STT and column 2 the label excepted: 3 to 13).
    pub fn columns(&self) -> [u64; 11] {
        [
            self.received_total(),
            self.received_online,
            self.received_direct_postal,
            self.carried_over,
            self.resolved_total(),
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.pending_total(),
            self.pending_within,
            self.pending_overdue,
        ]
    }

    /// The form's invariant: every dossier counted as received (col 3) is resolved (col 7),
    /// pending (col 11) or left otherwise.
    pub fn check(&self) -> Result<(), String> {
        let out = self.resolved_total() + self.pending_total() + self.ended_otherwise;
        if self.received_total() == out {
            Ok(())
        } else {
            Err(format!(
                "received {} ≠ resolved {} + pending {} + ended otherwise {}",
                self.received_total(),
                self.resolved_total(),
                self.pending_total(),
                self.ended_otherwise
            ))
        }
    }

    /// The on-time percentage in a convention; `None` when its denominator is 0.
    pub fn on_time_rate(&self, convention: OnTimeConvention) -> Option<Rate> {
        let in_time = self.resolved_early + self.resolved_on_time;
        match convention {
            OnTimeConvention::Standard => Rate::new(in_time, self.resolved_total()),
            OnTimeConvention::DueReached => {
                Rate::new(in_time, self.resolved_total() + self.pending_overdue)
            }
            OnTimeConvention::LateShare => {
                let base = self.received_total();
                let late = self.pending_overdue + self.resolved_late;
                Rate::new(base.saturating_sub(late), base)
            }
        }
    }
}

impl Add for Bieu06Counts {
    type Output = Bieu06Counts;
    fn add(mut self, o: Bieu06Counts) -> Bieu06Counts {
        self += o;
        self
    }
}

impl AddAssign for Bieu06Counts {
    fn add_assign(&mut self, o: Bieu06Counts) {
        self.received_online += o.received_online;
        self.received_direct_postal += o.received_direct_postal;
        self.carried_over += o.carried_over;
        self.resolved_early += o.resolved_early;
        self.resolved_on_time += o.resolved_on_time;
        self.resolved_late += o.resolved_late;
        self.pending_within += o.pending_within;
        self.pending_overdue += o.pending_overdue;
        self.ended_otherwise += o.ended_otherwise;
    }
}

impl std::iter::Sum for Bieu06Counts {
    fn sum<I: Iterator<Item = Bieu06Counts>>(iter: I) -> Bieu06Counts {
        iter.fold(Bieu06Counts::default(), Add::add)
    }
}

/// A report period: `[start, end)` in event time (the caller turns local dates into instants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First instant inside.
    pub start: Timestamp,
    /// First instant after.
    pub end: Timestamp,
}

impl Period {
    fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

/// What Biểu 06 needs to know of one dossier, as of the period end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DossierFacts {
    /// Submission channel.
    pub channel: Channel,
    /// Receipt.
    pub received_at: Timestamp,
    /// End of processing and its timeliness, if it ended with a result.
    pub resolved: Option<(Timestamp, Timeliness)>,
    /// Left without a result (withdrawn, stopped, closed).
    pub ended_at: Option<Timestamp>,
    /// The deadline in force at the period end (moved by pauses and a timely apology).
    pub deadline: Timestamp,
    /// Waiting for the applicant (supplement or fee) at the period end: the clock is stopped, so
    /// the dossier counts as within time.
    pub paused_at_end: bool,
}

/// The contribution of one dossier to Biểu 06 for a period: each counter 0 or 1.
pub fn classify(f: &DossierFacts, period: &Period) -> Bieu06Counts {
    let mut c = Bieu06Counts::default();
    if f.received_at >= period.end {
        return c;
    }
    let exit = match (f.resolved.map(|r| r.0), f.ended_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if exit.is_some_and(|e| e < period.start) {
        return c;
    }
    if period.contains(f.received_at) {
        if f.channel == Channel::Online {
            c.received_online = 1;
        } else {
            c.received_direct_postal = 1;
        }
    } else {
        c.carried_over = 1;
    }
    match (f.resolved, f.ended_at) {
        (Some((at, t)), _) if period.contains(at) => match t {
            Timeliness::Early => c.resolved_early = 1,
            Timeliness::OnTime => c.resolved_on_time = 1,
            Timeliness::Late => c.resolved_late = 1,
        },
        (_, Some(at)) if period.contains(at) => c.ended_otherwise = 1,
        _ => {
            if f.paused_at_end || period.end <= f.deadline {
                c.pending_within = 1;
            } else {
                c.pending_overdue = 1;
            }
        }
    }
    c
}

/// What Decision 766 indicator 2.1 needs to know of one dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpi766Facts {
    /// Receipt (the start of processing).
    pub received_at: Timestamp,
    /// The appointment (NgayHenTra) before any supplement moved it; a timely apology's new date.
    pub due_at: Timestamp,
    /// First end: result ready, returned, stopped, refused or withdrawn.
    pub ended_at: Option<Timestamp>,
    /// Supplement intervals: request → completion (`None` while still waiting).
    pub supplements: Vec<(Timestamp, Option<Timestamp>)>,
}

/// Decision 766 indicator 2.1 for one dossier judged at `period_end`: is it processed or in
/// progress on time? Supplement intervals are subtracted; a dossier waiting for a supplement is
/// judged at the request; more than one supplement request counts as overdue; an unfinished
/// dossier is judged at the period end.
pub fn kpi766_on_time(f: &Kpi766Facts, period_end: Timestamp) -> bool {
    if f.supplements.len() > 1 {
        return false;
    }
    let waiting_since = f
        .supplements
        .iter()
        .find(|(_, done)| done.is_none())
        .map(|(from, _)| *from);
    let end = waiting_since
        .or(f.ended_at)
        .unwrap_or(period_end)
        .min(period_end.max(f.received_at));
    let paused: SignedDuration = f
        .supplements
        .iter()
        .filter_map(|(from, to)| to.map(|to| to.duration_since(*from)))
        .filter(|d| d.is_positive())
        .sum();
    let effective_end = end.checked_sub(paused).unwrap_or(end);
    effective_end <= f.due_at
}

/// Decision 766 indicator 2.1 over many dossiers: on time / all, judged at `period_end`.
pub fn kpi766_rate<'a>(
    dossiers: impl IntoIterator<Item = &'a Kpi766Facts>,
    period_end: Timestamp,
) -> Option<Rate> {
    let (mut on_time, mut total) = (0, 0);
    for f in dossiers {
        total += 1;
        on_time += u64::from(kpi766_on_time(f, period_end));
    }
    Rate::new(on_time, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn lam_dong_q1_2020_standard_rate() {
        // Published: 635,593 of 643,272 resolved on time or early = 98.81%.
        let c = Bieu06Counts {
            resolved_early: 600_000,
            resolved_on_time: 35_593,
            resolved_late: 643_272 - 635_593,
            ..Default::default()
        };
        let r = c.on_time_rate(OnTimeConvention::Standard).unwrap();
        assert_eq!(format!("{r}"), "98.81%");
    }

    #[test]
    fn vinh_phuc_due_reached_rate() {
        // Published: 19,255 / 19,944 = 96.55%.
        let c = Bieu06Counts {
            resolved_on_time: 19_255,
            resolved_late: 500,
            pending_overdue: 19_944 - 19_255 - 500,
            ..Default::default()
        };
        let r = c.on_time_rate(OnTimeConvention::DueReached).unwrap();
        assert_eq!(format!("{r}"), "96.55%");
    }

    #[test]
    fn empty_rates_are_none() {
        for conv in OnTimeConvention::ALL {
            assert_eq!(Bieu06Counts::default().on_time_rate(conv), None);
        }
    }

    #[test]
    fn classify_covers_every_column() {
        let p = Period {
            start: ts("2026-01-01T00:00:00+07"),
            end: ts("2026-04-01T00:00:00+07"),
        };
        let base = DossierFacts {
            channel: Channel::Direct,
            received_at: ts("2026-02-02T08:00:00+07"),
            resolved: None,
            ended_at: None,
            deadline: ts("2026-02-10T17:00:00+07"),
            paused_at_end: false,
        };
        // Received in the period, overdue at its end.
        let c = classify(&base, &p);
        assert_eq!((c.received_direct_postal, c.pending_overdue), (1, 1));
        c.check().unwrap();
        // Online, pending within time.
        let f = DossierFacts {
            channel: Channel::Online,
            deadline: ts("2026-04-05T17:00:00+07"),
            ..base
        };
        let c = classify(&f, &p);
        assert_eq!((c.received_online, c.pending_within), (1, 1));
        // Waiting for a supplement at the end: within time even past the deadline.
        let c = classify(
            &DossierFacts {
                paused_at_end: true,
                ..base
            },
            &p,
        );
        assert_eq!(c.pending_within, 1);
        // Carried over and resolved late in the period.
        let f = DossierFacts {
            received_at: ts("2025-12-20T08:00:00+07"),
            resolved: Some((ts("2026-01-05T08:00:00+07"), Timeliness::Late)),
            ..base
        };
        let c = classify(&f, &p);
        assert_eq!((c.carried_over, c.resolved_late), (1, 1));
        c.check().unwrap();
        // Resolved before the period: not counted at all.
        let f = DossierFacts {
            received_at: ts("2025-12-20T08:00:00+07"),
            resolved: Some((ts("2025-12-22T08:00:00+07"), Timeliness::Early)),
            ..base
        };
        assert_eq!(classify(&f, &p), Bieu06Counts::default());
        // Received after the period: not counted.
        let f = DossierFacts {
            received_at: ts("2026-04-01T00:00:00+07"),
            ..base
        };
        assert_eq!(classify(&f, &p), Bieu06Counts::default());
        // Withdrawn in the period.
        let f = DossierFacts {
            ended_at: Some(ts("2026-02-03T08:00:00+07")),
            ..base
        };
        let c = classify(&f, &p);
        assert_eq!(c.ended_otherwise, 1);
        c.check().unwrap();
        // Resolved after the period: pending at its end.
        let f = DossierFacts {
            resolved: Some((ts("2026-04-02T08:00:00+07"), Timeliness::Late)),
            ..base
        };
        assert_eq!(classify(&f, &p).pending_overdue, 1);
        // Exactly at the deadline at the period end: within time.
        let f = DossierFacts {
            deadline: p.end,
            ..base
        };
        assert_eq!(classify(&f, &p).pending_within, 1);
    }

    #[test]
    fn kpi766_rules() {
        let end = ts("2026-04-01T00:00:00+07");
        let f = Kpi766Facts {
            received_at: ts("2026-02-02T08:00:00+07"),
            due_at: ts("2026-02-06T08:00:00+07"),
            ended_at: Some(ts("2026-02-09T08:00:00+07")),
            supplements: vec![],
        };
        assert!(!kpi766_on_time(&f, end), "3 days late");
        let with_supplement = Kpi766Facts {
            supplements: vec![(
                ts("2026-02-03T08:00:00+07"),
                Some(ts("2026-02-06T08:00:00+07")),
            )],
            ..f.clone()
        };
        assert!(kpi766_on_time(&with_supplement, end), "3 days subtracted");
        let two = Kpi766Facts {
            supplements: vec![
                (
                    ts("2026-02-03T08:00:00+07"),
                    Some(ts("2026-02-03T09:00:00+07")),
                ),
                (
                    ts("2026-02-04T08:00:00+07"),
                    Some(ts("2026-02-04T09:00:00+07")),
                ),
            ],
            ended_at: Some(ts("2026-02-05T08:00:00+07")),
            ..f.clone()
        };
        assert!(!kpi766_on_time(&two, end), "a second request is overdue");
        let waiting = Kpi766Facts {
            supplements: vec![(ts("2026-02-05T08:00:00+07"), None)],
            ended_at: None,
            ..f.clone()
        };
        assert!(kpi766_on_time(&waiting, end), "judged at the request");
        let unfinished = Kpi766Facts {
            ended_at: None,
            ..f.clone()
        };
        assert!(
            !kpi766_on_time(&unfinished, end),
            "judged at the period end"
        );
        assert!(kpi766_on_time(&unfinished, ts("2026-02-05T08:00:00+07")));
        let r = kpi766_rate([&f, &with_supplement, &two, &waiting], end).unwrap();
        assert_eq!((r.numerator, r.denominator), (2, 4));
    }
}
