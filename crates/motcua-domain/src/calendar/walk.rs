//! Walking working time on the local wall clock: the primitives every deadline rule is built on.
//!
//! All of it works on civil (local) date-times and `SignedDuration`s of working time, with
//! nanosecond precision; the public API converts to and from `Timestamp` at the edges.
//! `None` means "beyond the range of dates jiff can represent" and becomes `Timestamp::MAX`
//! (forwards) or `Timestamp::MIN` (backwards) in the public API, so nothing here panics.

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime, Time, Weekday};

use super::{DayKind, SaturdayMorning, Session, WorkCalendar};

/// The working sessions of one date, in order (at most two).
pub(super) type DaySessions = [Option<Session>; 2];

/// Where a walk stands within a date: `None` is the very start (forwards) or the very end
/// (backwards) of the date.
type Position = Option<Time>;

const SECONDS_PER_DAY: i64 = 86_400;

impl WorkCalendar {
    /// The working sessions of `date`: none on a day off, the weekday sessions on a working
    /// weekday or a swapped working Saturday, the Saturday session on an ordinary Saturday when
    /// Saturday morning is working time.
    pub(super) fn sessions(&self, date: Date) -> DaySessions {
        let hours = &self.config.office_hours;
        let [morning, afternoon] = hours.weekday_sessions();
        let full = [Some(morning), Some(afternoon)];
        match self.config.holidays.kind(date) {
            Some(DayKind::DayOff) => [None, None],
            Some(DayKind::WorkingSaturday) => full,
            None => match (date.weekday(), hours.saturday_morning()) {
                (Weekday::Sunday, _) => [None, None],
                (Weekday::Saturday, SaturdayMorning::Working(s)) => [Some(s), None],
                (Weekday::Saturday, _) => [None, None],
                _ => full,
            },
        }
    }

    /// The end of the last session of `date`, if it is a working day.
    pub(super) fn close_of(&self, date: Date) -> Option<DateTime> {
        let [first, second] = self.sessions(date);
        second.or(first).map(|s| date.to_datetime(s.end()))
    }

    /// The first working day strictly after `date`.
    pub(super) fn next_working_date(&self, date: Date) -> Option<Date> {
        let mut d = date.tomorrow().ok()?;
        while !self.is_working_day(d) {
            d = d.tomorrow().ok()?;
        }
        Some(d)
    }

    /// The first working day on or after `date`.
    pub(super) fn working_date_on_or_after(&self, date: Date) -> Option<Date> {
        if self.is_working_day(date) {
            Some(date)
        } else {
            self.next_working_date(date)
        }
    }

    /// The first instant of working time at or after `at`.
    pub(super) fn first_working_instant(&self, at: DateTime) -> Option<DateTime> {
        let mut date = at.date();
        let mut pos: Position = Some(at.time());
        loop {
            for s in self.sessions(date).into_iter().flatten() {
                match pos {
                    Some(t) if t >= s.end() => {}
                    Some(t) if t > s.start() => return Some(date.to_datetime(t)),
                    _ => return Some(date.to_datetime(s.start())),
                }
            }
            date = date.tomorrow().ok()?;
            pos = None;
        }
    }

    /// The earliest instant `x >= at` with exactly `amount` of working time in `[at, x)`.
    /// A walk that ends exactly at the end of a session stays there (11:30 stays 11:30).
    /// `amount <= 0` returns `at` unchanged.
    pub(super) fn forward(&self, at: DateTime, amount: SignedDuration) -> Option<DateTime> {
        self.forward_with(at, amount, true)
    }

    pub(super) fn forward_with(
        &self,
        at: DateTime,
        amount: SignedDuration,
        skip_plain_weeks: bool,
    ) -> Option<DateTime> {
        if !amount.is_positive() {
            return Some(at);
        }
        let mut remaining = amount;
        let mut date = at.date();
        let mut pos: Position = Some(at.time());
        loop {
            if skip_plain_weeks && pos.is_none() && date.weekday() == Weekday::Monday {
                let weeks = self
                    .weeks_to_skip(remaining)
                    .min(self.plain_weeks_from(date));
                if weeks > 0 {
                    date = add_days(date, weeks.checked_mul(7)?)?;
                    remaining =
                        remaining.checked_sub(self.plain_week_length().checked_mul_i64(weeks)?)?;
                }
            }
            for s in self.sessions(date).into_iter().flatten() {
                let from = match pos {
                    Some(t) if t >= s.end() => continue,
                    Some(t) if t > s.start() => t,
                    _ => s.start(),
                };
                let available = s.end().duration_since(from);
                if remaining <= available {
                    return date.to_datetime(from).checked_add(remaining).ok();
                }
                remaining = remaining.checked_sub(available)?;
            }
            date = date.tomorrow().ok()?;
            pos = None;
        }
    }

    /// The latest instant `x <= at` with exactly `amount` of working time in `[x, at)`.
    /// A walk that ends exactly at the start of a session stays there (07:00 stays 07:00).
    /// `amount <= 0` returns `at` unchanged.
    pub(super) fn backward(&self, at: DateTime, amount: SignedDuration) -> Option<DateTime> {
        self.backward_with(at, amount, true)
    }

    pub(super) fn backward_with(
        &self,
        at: DateTime,
        amount: SignedDuration,
        skip_plain_weeks: bool,
    ) -> Option<DateTime> {
        if !amount.is_positive() {
            return Some(at);
        }
        let mut remaining = amount;
        let mut date = at.date();
        let mut pos: Position = Some(at.time());
        loop {
            if skip_plain_weeks && pos.is_none() && date.weekday() == Weekday::Sunday {
                let weeks = self
                    .weeks_to_skip(remaining)
                    .min(self.plain_weeks_until(date));
                if weeks > 0 {
                    date = add_days(date, weeks.checked_mul(-7)?)?;
                    remaining =
                        remaining.checked_sub(self.plain_week_length().checked_mul_i64(weeks)?)?;
                }
            }
            let [first, second] = self.sessions(date);
            for s in [second, first].into_iter().flatten() {
                let to = match pos {
                    Some(t) if t <= s.start() => continue,
                    Some(t) if t < s.end() => t,
                    _ => s.end(),
                };
                let available = to.duration_since(s.start());
                if remaining <= available {
                    return date.to_datetime(to).checked_sub(remaining).ok();
                }
                remaining = remaining.checked_sub(available)?;
            }
            date = date.yesterday().ok()?;
            pos = None;
        }
    }

    /// The working time in `[a, b)`; zero if `b <= a`.
    pub(super) fn working_time_between(&self, a: DateTime, b: DateTime) -> SignedDuration {
        self.working_time_between_with(a, b, true)
    }

    pub(super) fn working_time_between_with(
        &self,
        a: DateTime,
        b: DateTime,
        skip_plain_weeks: bool,
    ) -> SignedDuration {
        let mut total = SignedDuration::ZERO;
        if b <= a {
            return total;
        }
        let mut date = a.date();
        loop {
            if skip_plain_weeks && date > a.date() && date.weekday() == Weekday::Monday {
                let weeks = (days_between(date, b.date()) / 7 - 1).min(self.plain_weeks_from(date));
                if weeks > 0
                    && let Some(length) = self.plain_week_length().checked_mul_i64(weeks)
                    && let Some(next) = add_days(date, weeks * 7)
                {
                    total = total.saturating_add(length);
                    date = next;
                }
            }
            for s in self.sessions(date).into_iter().flatten() {
                let lo = date.to_datetime(s.start()).max(a);
                let hi = date.to_datetime(s.end()).min(b);
                if hi > lo {
                    total = total.saturating_add(hi.duration_since(lo));
                }
            }
            if date >= b.date() {
                return total;
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => return total,
            }
        }
    }

    /// The working time of a week with no table rows (5 weekdays, plus a working Saturday
    /// morning if so configured).
    fn plain_week_length(&self) -> SignedDuration {
        let hours = &self.config.office_hours;
        let saturday = match hours.saturday_morning() {
            SaturdayMorning::Working(s) => s.length(),
            _ => SignedDuration::ZERO,
        };
        hours
            .working_day_length()
            .saturating_mul(5)
            .saturating_add(saturday)
    }

    /// How many whole weeks a walk with `remaining` working time left may skip, keeping at least
    /// one week to walk day by day so that it ends inside a walked week.
    fn weeks_to_skip(&self, remaining: SignedDuration) -> i64 {
        let week = self.plain_week_length().as_nanos().max(1);
        i64::try_from(remaining.as_nanos() / week)
            .unwrap_or(i64::MAX)
            .saturating_sub(1)
    }

    /// How many whole weeks starting at `date` hold no table row (so each has the plain week's
    /// working time); `i64::MAX` past the table's last row.
    fn plain_weeks_from(&self, date: Date) -> i64 {
        match self.config.holidays.span() {
            None => i64::MAX,
            Some((_, last)) if date > last => i64::MAX,
            Some((first, _)) if date < first => days_between(date, first) / 7,
            Some(_) => 0,
        }
    }

    /// How many whole weeks ending with `date` (inclusive) hold no table row; `i64::MAX` before
    /// the table's first row.
    fn plain_weeks_until(&self, date: Date) -> i64 {
        match self.config.holidays.span() {
            None => i64::MAX,
            Some((first, _)) if date < first => i64::MAX,
            Some((_, last)) if date > last => days_between(last, date) / 7,
            Some(_) => 0,
        }
    }
}

/// Whole days from `a` to `b` (negative if `b` is earlier).
fn days_between(a: Date, b: Date) -> i64 {
    b.duration_since(a).as_secs() / SECONDS_PER_DAY
}

/// `date` moved by `days` days, `None` outside jiff's range.
pub(super) fn add_days(date: Date, days: i64) -> Option<Date> {
    let seconds = days.checked_mul(SECONDS_PER_DAY)?;
    date.checked_add(SignedDuration::from_secs(seconds)).ok()
}

trait CheckedMulI64: Sized {
    fn checked_mul_i64(self, n: i64) -> Option<Self>;
}

impl CheckedMulI64 for SignedDuration {
    fn checked_mul_i64(self, n: i64) -> Option<Self> {
        SignedDuration::try_from_nanos_i128(self.as_nanos().checked_mul(i128::from(n))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{CalendarConfig, HolidayTable, OfficeHours};
    use jiff::civil::date;
    use proptest::prelude::*;

    fn calendars() -> Vec<WorkCalendar> {
        let saturday = Session::new(
            jiff::civil::time(7, 30, 0, 0),
            jiff::civil::time(11, 0, 0, 0),
        )
        .expect("valid");
        let base = CalendarConfig::default();
        vec![
            WorkCalendar::new(base.clone()),
            WorkCalendar::new(CalendarConfig {
                office_hours: OfficeHours::default()
                    .with_saturday_morning(SaturdayMorning::Working(saturday)),
                ..base.clone()
            }),
            WorkCalendar::new(CalendarConfig {
                holidays: HolidayTable::default(),
                ..base
            }),
        ]
    }

    fn local_in_2022_to_2029() -> impl Strategy<Value = DateTime> {
        (0i64..2900, 0i64..1440).prop_map(|(day, minute)| {
            let d = add_days(date(2022, 1, 1), day).expect("in range");
            d.to_datetime(jiff::civil::time(0, 0, 0, 0))
                .checked_add(SignedDuration::from_mins(minute))
                .expect("in range")
        })
    }

    proptest! {
        /// Skipping plain weeks is only a shortcut: the day-by-day walk gives the same instants.
        #[test]
        fn skipping_plain_weeks_changes_nothing(
            cal in 0usize..3,
            at in local_in_2022_to_2029(),
            minutes in 0i64..600_000,
            other in local_in_2022_to_2029(),
        ) {
            let cal = &calendars()[cal];
            let amount = SignedDuration::from_mins(minutes);
            prop_assert_eq!(cal.forward_with(at, amount, true), cal.forward_with(at, amount, false));
            prop_assert_eq!(cal.backward_with(at, amount, true), cal.backward_with(at, amount, false));
            let (a, b) = (at.min(other), at.max(other));
            prop_assert_eq!(cal.working_time_between_with(a, b, true), cal.working_time_between_with(a, b, false));
        }
    }

    #[test]
    fn a_plain_week_is_five_working_days() {
        let cal = &calendars()[0];
        assert_eq!(cal.plain_week_length(), SignedDuration::from_hours(40));
        assert_eq!(
            calendars()[1].plain_week_length(),
            SignedDuration::from_mins(40 * 60 + 210)
        );
    }

    #[test]
    fn walks_saturate_at_the_ends_of_time() {
        let cal = &calendars()[0];
        let at = date(2025, 3, 3).at(10, 0, 0, 0);
        assert_eq!(cal.forward(at, SignedDuration::MAX), None);
        assert_eq!(cal.backward(at, SignedDuration::MAX), None);
        let (min, max) = (DateTime::MIN, DateTime::MAX);
        let all = cal.working_time_between(min, max);
        assert!(
            all > SignedDuration::from_hours(40 * 52 * 19_000),
            "{all:?}"
        );
    }
}
