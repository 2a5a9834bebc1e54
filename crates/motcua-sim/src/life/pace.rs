//! Time: where the dossier aims to finish, and the working or elapsed time between steps.

use jiff::civil::time;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::catalogue::Channel;

use super::{Life, Pace};
use crate::random::uniform;

impl Life<'_, '_> {
    /// The pace from the due time the domain gave at receipt.
    pub(super) fn start_pace(&mut self) {
        let (Some(start), Some(deadline)) = (self.state.clock_started_at, self.state.deadline)
        else {
            return;
        };
        let budget = (self.calendar.working_minutes_between(start, deadline) as f64).max(1.0);
        self.overrun_min = (budget * self.plan.overrun).max(30.0);
        // A dossier whose officer will apologise runs as if on time until the apology, so that
        // the apology can come before the due time.
        self.pace = if self.plan.late && !self.plan.apologise {
            Pace::Late {
                overrun_min: self.overrun_min,
            }
        } else {
            Pace::OnTime {
                slack_min: (budget * self.plan.slack).max(1.0),
            }
        };
    }

    /// Where the dossier aims to end processing.
    pub(super) fn target(&self) -> Timestamp {
        let deadline = self.state.deadline.unwrap_or(self.now);
        match self.pace {
            Pace::OnTime { slack_min } => self
                .calendar
                .add_working_minutes(deadline, -(slack_min.round() as i64).max(1)),
            Pace::Late { overrun_min } => self.add_work(deadline, overrun_min),
        }
    }

    /// The next step: `share` of the working time left to the target, at least a few minutes.
    pub(super) fn pace_at(&mut self, share: f64) -> Timestamp {
        let left = self
            .calendar
            .working_minutes_between(self.now, self.target()) as f64;
        let gap = uniform(&mut self.rng, 1.0, 8.0);
        self.work(self.now, (share * left).max(gap))
    }

    /// The end of processing: the target, or a few minutes from now if it has passed.
    pub(super) fn ready_time(&mut self) -> Timestamp {
        let soonest = self.work_within(self.now, 1.0, 8.0);
        let target = self.target();
        if target > soonest {
            self.calendar.clock_start(target)
        } else {
            soonest
        }
    }

    /// The transfer to the first office (Decree 118 Art. 18): an electronic dossier at once, a
    /// paper one the same day, or the next working morning if received after 15:00.
    pub(super) fn transfer_time(&mut self) -> Timestamp {
        let electronic = self.plan.channel == Channel::Online || self.plan.digitised;
        if electronic {
            return self.work_within(self.now, 2.0, 45.0);
        }
        let local = self.calendar.local(self.now);
        if local.time() <= time(15, 0, 0, 0) {
            let close = self.calendar.close_of_day(local.date()).unwrap_or(self.now);
            let left = self.calendar.working_minutes_between(self.now, close) as f64;
            let m = uniform(&mut self.rng, 10.0, 90.0).min((left - 1.0).max(1.0));
            self.work(self.now, m)
        } else {
            let next = self
                .calendar
                .next_working_day(local.date())
                .unwrap_or(local.date());
            let morning = crate::arrivals::midnight(self.calendar, next);
            self.work_within(morning, 1.0, 90.0)
        }
    }

    /// When the desk accepts an online submission: within 8 working hours for most, later for
    /// the planned late ones.
    pub(super) fn intake_time(&mut self) -> Timestamp {
        let minutes = if self.plan.intake.late {
            uniform(&mut self.rng, 490.0, 1200.0)
        } else {
            2.0 + 470.0 * self.rng_square()
        };
        self.work(self.now, minutes)
    }

    pub(super) fn rng_square(&mut self) -> f64 {
        let u = uniform(&mut self.rng, 0.0, 1.0);
        u * u
    }

    /// The applicant's next move: online at any hour after `minutes`, otherwise at the desk
    /// during working time.
    pub(super) fn applicant_time(&mut self, minutes: f64) -> Timestamp {
        let then = self.any_time(self.now, minutes);
        if self.plan.person.account.is_some() {
            then
        } else {
            self.work_within(then, 1.0, 120.0)
        }
    }

    pub(super) fn work_within(&mut self, from: Timestamp, lo: f64, hi: f64) -> Timestamp {
        let m = uniform(&mut self.rng, lo, hi);
        self.work(from, m)
    }

    pub(super) fn any_time_within(&mut self, from: Timestamp, lo: f64, hi: f64) -> Timestamp {
        let m = uniform(&mut self.rng, lo, hi);
        self.any_time(from, m)
    }

    pub(super) fn applicant_time_within(&mut self, lo: f64, hi: f64) -> Timestamp {
        let m = uniform(&mut self.rng, lo, hi);
        self.applicant_time(m)
    }

    pub(super) fn received_today(&self) -> bool {
        self.state
            .received_at
            .is_some_and(|r| self.calendar.local_date(r) == self.calendar.local_date(self.now))
    }

    /// `minutes` of working time after `from` (counted from the next working instant), inside a
    /// session and strictly after `from`.
    pub(super) fn work(&self, from: Timestamp, minutes: f64) -> Timestamp {
        let t = self.add_work(self.calendar.clock_start(from), minutes);
        let t = self.calendar.clock_start(t);
        if t > from {
            t
        } else {
            self.calendar.clock_start(
                from.checked_add(SignedDuration::from_secs(1))
                    .unwrap_or(from),
            )
        }
    }

    /// `minutes` (fractional) of working time after `from`.
    pub(super) fn add_work(&self, from: Timestamp, minutes: f64) -> Timestamp {
        let minutes = minutes.max(0.0);
        let whole = minutes.floor();
        let t = self.calendar.add_working_minutes(from, whole as i64);
        let millis = ((minutes - whole) * 60_000.0) as i64;
        t.checked_add(SignedDuration::from_millis(millis))
            .unwrap_or(t)
    }

    /// `minutes` of elapsed time after `from`, strictly later.
    pub(super) fn any_time(&self, from: Timestamp, minutes: f64) -> Timestamp {
        let millis = ((minutes * 60_000.0) as i64).max(1_000);
        from.checked_add(SignedDuration::from_millis(millis))
            .unwrap_or(from)
    }
}
