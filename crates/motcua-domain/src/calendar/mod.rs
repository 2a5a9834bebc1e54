//! Working calendar and deadlines: the one deadline engine (DOMAIN.md §7, §2.2–2.4).
//!
//! A [`WorkCalendar`] answers every "when is it due?" question of a dossier from plain values:
//! a receipt time, a [`TimeLimit`] from the catalogue, a [`CalendarConfig`] (office hours, the
//! 15:00 cut-off, how working days are counted, the [`HolidayTable`]).
//! It reads no clock and does no I/O; the same inputs always give the same instant.
//!
//! Conventions a caller may rely on:
//! - Working time is counted on the local wall clock of the configured UTC offset (UTC+7 for
//!   Vietnam, which has had no daylight-saving time since 1975), with nanosecond precision;
//!   functions that return minutes round down.
//! - A session is `[start, end)`: a receipt at 11:30 starts the clock at 13:30, but a working-time
//!   walk that ends at 11:30 stays at 11:30.
//! - Nothing panics on extreme inputs: results beyond jiff's range saturate to
//!   `Timestamp::MAX` / `Timestamp::MIN`.
//! - Dates outside the holiday table follow their weekday (see [`HolidayTable::years`]).

mod error;
mod holidays;
mod limit;
mod office_hours;
mod walk;

use jiff::civil::{Date, DateTime, Time, time};
use jiff::tz::{self, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use error::{CalendarError, HolidayRowProblem};
pub use holidays::{DayKind, HOLIDAY_CSV_HEADER, HolidayEntry, HolidayTable};
pub use limit::TimeLimit;
pub use office_hours::{OfficeHours, SaturdayMorning, Session};

/// How a limit in [`TimeLimit::WorkingDays`] is counted. DOMAIN.md tags the counting as
/// implementation practice \[I\], hence a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkingDayMode {
    /// Default, as the provincial implementation CaculateTime does: `n` working days are `n` times
    /// the working-day length (8 h by default) of working time from the clock start.
    /// Mon 10:00 + 1 working day = Tue 10:00.
    #[default]
    ElapsedHours,
    /// Due at the close of the working day on which the `ElapsedHours` due instant falls: the
    /// same due date, at the close (17:00) instead of the clock time.
    /// Mon 10:00 + 1 working day = Tue 17:00; a clock started at the opening counts that day, so
    /// Mon 07:00 + 1 working day = Mon 17:00.
    EndOfDay,
}

/// How a paused clock (supplement requested, financial obligation) resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseMode {
    /// The time limit restarts from zero at the resume (Decree 118/2025 Art. 19.5: supplement
    /// completed → "tính lại từ đầu").
    Restart,
    /// Time already spent counts: the time left at the pause is granted again from the resume
    /// (pre-07/2025 reading of Decision 09/2015 \[?\], and the KPI variant of DOMAIN.md §7.5).
    Continue,
}

/// Timeliness of a resolution (DOMAIN.md §7.7): trước hạn / đúng hạn / quá hạn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Trước hạn: resolved on an earlier local calendar date than the due date.
    Early,
    /// Đúng hạn: resolved on the due date, no later than the due instant.
    OnTime,
    /// Quá hạn: resolved after the due instant.
    Late,
}

/// Everything a [`WorkCalendar`] needs. `Default` is Vietnam's national practice as DOMAIN.md
/// documents it: UTC+7, 07:00–11:30 and 13:30–17:00, Saturday closed, 15:00 cut-off,
/// [`WorkingDayMode::ElapsedHours`], the 2024–2026 holiday table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarConfig {
    /// The offset of local (office) time from UTC. A fixed offset rather than a time-zone rule:
    /// exact for Asia/Ho_Chi_Minh since 1975, and it keeps local ↔ UTC conversion total.
    pub utc_offset: Offset,
    /// The office sessions and the Saturday-morning setting.
    pub office_hours: OfficeHours,
    /// Same-day procedures received after this local time are due the next working day
    /// (DOMAIN.md §7.4b, "sau 15 giờ"). A receipt exactly at the cut-off is still the same day.
    pub same_day_cutoff: Time,
    /// How [`TimeLimit::WorkingDays`] is counted.
    pub working_day_mode: WorkingDayMode,
    /// Days off and swapped working Saturdays.
    pub holidays: HolidayTable,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            utc_offset: tz::offset(7),
            office_hours: OfficeHours::default(),
            same_day_cutoff: time(15, 0, 0, 0),
            working_day_mode: WorkingDayMode::ElapsedHours,
            holidays: HolidayTable::vietnam_2024_2026(),
        }
    }
}

impl CalendarConfig {
    /// The configured offset as a jiff time zone, for formatting local times.
    pub fn time_zone(&self) -> TimeZone {
        TimeZone::fixed(self.utc_offset)
    }
}

/// The deadline engine: working days, working time and every due date of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    config: CalendarConfig,
}

impl Default for WorkCalendar {
    fn default() -> Self {
        WorkCalendar::new(CalendarConfig::default())
    }
}

impl WorkCalendar {
    /// A calendar with these settings (all settings are valid by construction).
    pub fn new(config: CalendarConfig) -> Self {
        WorkCalendar { config }
    }

    /// The settings.
    pub fn config(&self) -> &CalendarConfig {
        &self.config
    }

    /// The local calendar date of an instant.
    pub fn local_date(&self, ts: Timestamp) -> Date {
        self.local(ts).date()
    }

    /// The local wall-clock date and time of an instant.
    pub fn local(&self, ts: Timestamp) -> DateTime {
        self.config.utc_offset.to_datetime(ts)
    }

    /// Whether `date` has working time: Mon–Fri not listed as a day off, a swapped working
    /// Saturday, or an ordinary Saturday when [`SaturdayMorning::Working`] is set.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.sessions(date).iter().any(Option::is_some)
    }

    /// The first working day strictly after `date` (`None` only past the year 9999).
    pub fn next_working_day(&self, date: Date) -> Option<Date> {
        self.next_working_date(date)
    }

    /// The close of business (end of the last session) of `date`, if it is a working day.
    pub fn close_of_day(&self, date: Date) -> Option<Timestamp> {
        self.close_of(date).map(|dt| self.instant_or_max(Some(dt)))
    }

    /// Whether the desk receives dossiers at `ts`: inside a working session, or inside the
    /// Saturday-morning session of an ordinary Saturday when it is receipt-only or working.
    pub fn is_desk_open(&self, ts: Timestamp) -> bool {
        let local = self.local(ts);
        let (date, t) = (local.date(), local.time());
        if self
            .sessions(date)
            .into_iter()
            .flatten()
            .any(|s| s.contains(t))
        {
            return true;
        }
        let ordinary_saturday = date.weekday() == jiff::civil::Weekday::Saturday
            && self.config.holidays.kind(date).is_none();
        match self.config.office_hours.saturday_morning() {
            SaturdayMorning::ReceiptOnly(s) | SaturdayMorning::Working(s) => {
                ordinary_saturday && s.contains(t)
            }
            SaturdayMorning::Closed => false,
        }
    }

    /// Normalises a receipt time into working time: the first working instant at or after
    /// `received_at`. Inside a session it is unchanged; at lunch it becomes 13:30; before 07:00 on
    /// a working day, 07:00 that day; from 17:00 or on a day off, 07:00 of the next working day.
    /// Every working-time limit counts from here.
    pub fn clock_start(&self, received_at: Timestamp) -> Timestamp {
        self.instant_or_max(self.first_working_instant(self.local(received_at)))
    }

    /// The due instant of a dossier whose complete dossier was received at `received_at`.
    ///
    /// - `WorkingHours(n)`: `n` hours of working time from the [clock start](Self::clock_start),
    ///   spilling over lunch, evenings, weekends and days off; ending exactly at a session's end
    ///   it stays there (11:30, not 13:30).
    /// - `WorkingDays(n)`: per [`WorkingDayMode`]; `ElapsedHours` adds `n` × the working-day
    ///   length like `WorkingHours`, `EndOfDay` moves that instant to the close of its day.
    /// - `CalendarDays(n)`: the date `n` days after the clock-start date, due at its close; if
    ///   that date is not a working day, at the close of the next working day. Counting from the
    ///   clock-start date (not the receipt clock time) treats a receipt after hours as received
    ///   the next working morning, and makes the due date monotone in the receipt time.
    /// - `ClockHours(n)`: exactly `received_at + n` hours, nights and days off included.
    /// - `SameDay`: received on a working day no later than the cut-off (and before the close) →
    ///   the close of that day; otherwise → the close of the next working day.
    ///
    /// Monotone: a later receipt never gives an earlier due instant.
    pub fn due_at(&self, received_at: Timestamp, limit: TimeLimit) -> Timestamp {
        let received = self.local(received_at);
        let due = match limit {
            TimeLimit::WorkingHours(n) => self
                .first_working_instant(received)
                .and_then(|s| self.forward(s, hours(n))),
            TimeLimit::WorkingDays(n) => {
                let elapsed = self
                    .first_working_instant(received)
                    .and_then(|s| self.forward(s, self.working_days(n)?));
                match self.config.working_day_mode {
                    WorkingDayMode::ElapsedHours => elapsed,
                    WorkingDayMode::EndOfDay => elapsed.and_then(|e| self.round_up_to_close(e)),
                }
            }
            TimeLimit::CalendarDays(n) => self
                .first_working_instant(received)
                .and_then(|s| walk::add_days(s.date(), i64::from(n)))
                .and_then(|d| self.working_date_on_or_after(d))
                .and_then(|d| self.close_of(d)),
            TimeLimit::ClockHours(n) => {
                return received_at
                    .checked_add(SignedDuration::from_hours(i64::from(n)))
                    .unwrap_or(Timestamp::MAX);
            }
            TimeLimit::SameDay => self.same_day_due(received),
        };
        self.instant_or_max(due)
    }

    /// Working minutes in `[a, b)`, rounded down; 0 if `b <= a`.
    pub fn working_minutes_between(&self, a: Timestamp, b: Timestamp) -> i64 {
        self.working_time_between(self.local(a), self.local(b))
            .as_secs()
            / 60
    }

    /// The instant `minutes` working minutes after `start` (the earliest one: a walk ending at a
    /// session's end stays there), or before it if `minutes` is negative (the latest one: a walk
    /// ending at a session's start stays there). `0` returns `start` unchanged, even outside
    /// working time.
    pub fn add_working_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        let at = self.local(start);
        match SignedDuration::try_from_mins(minutes) {
            Some(d) if d.is_negative() => {
                self.instant_or_min(d.checked_neg().and_then(|d| self.backward(at, d)))
            }
            Some(d) => self.instant_or_max(self.forward(at, d)),
            None if minutes < 0 => Timestamp::MIN,
            None => Timestamp::MAX,
        }
    }

    /// The due instant after the clock was paused (supplement, financial obligation) at
    /// `paused_at` and resumed at `resumed_at`; never earlier than `current_due`.
    ///
    /// - [`PauseMode::Restart`]: `due_at(resumed_at, limit)`.
    /// - [`PauseMode::Continue`]: the time left at the pause until `current_due` is granted again
    ///   from the resume, in the limit's own measure: working time for working-time limits
    ///   (then, for `SameDay` and `WorkingDays` in `EndOfDay` mode, moved to the close of its day),
    ///   elapsed time for `ClockHours`, whole dates for `CalendarDays`. A dossier already overdue
    ///   when paused keeps `current_due`: a pause does not cure lateness.
    ///
    /// `current_due` is the due instant in force at the pause (after any extension), so an
    /// extension granted before the pause is kept. A pause before `clock_started_at` counts from
    /// the clock start (nothing was spent before it); a `resumed_at` before `paused_at` is read as
    /// a pause of zero length.
    pub fn due_after_pause(
        &self,
        limit: TimeLimit,
        clock_started_at: Timestamp,
        current_due: Timestamp,
        paused_at: Timestamp,
        resumed_at: Timestamp,
        mode: PauseMode,
    ) -> Timestamp {
        let paused_at = paused_at.max(clock_started_at);
        let resumed = resumed_at.max(paused_at);
        let recomputed = match mode {
            PauseMode::Restart => self.due_at(resumed, limit),
            PauseMode::Continue if paused_at >= current_due => current_due,
            PauseMode::Continue => match limit {
                TimeLimit::ClockHours(_) => {
                    let left = current_due.duration_since(paused_at);
                    resumed.checked_add(left).unwrap_or(Timestamp::MAX)
                }
                TimeLimit::CalendarDays(_) => {
                    let days = self
                        .local_date(current_due)
                        .duration_since(self.local_date(paused_at));
                    let days = u32::try_from(days.as_hours() / 24).unwrap_or(u32::MAX);
                    self.due_at(resumed, TimeLimit::CalendarDays(days))
                }
                TimeLimit::WorkingHours(_) | TimeLimit::WorkingDays(_) | TimeLimit::SameDay => {
                    let left =
                        self.working_time_between(self.local(paused_at), self.local(current_due));
                    let due = self
                        .first_working_instant(self.local(resumed))
                        .and_then(|s| self.forward(s, left));
                    let to_close = matches!(limit, TimeLimit::SameDay)
                        || (matches!(limit, TimeLimit::WorkingDays(_))
                            && self.config.working_day_mode == WorkingDayMode::EndOfDay);
                    let due = if to_close {
                        due.and_then(|d| self.round_up_to_close(d))
                    } else {
                        due
                    };
                    self.instant_or_max(due)
                }
            },
        };
        recomputed.max(current_due)
    }

    /// The due instant of one step (one agency or level in a liaison chain) that gets
    /// `share_percent` of the whole time limit counted from `start`; shares above 100 count as 100.
    ///
    /// - Working-time limits (`WorkingHours`, `WorkingDays`, `SameDay`): the share of the working
    ///   minutes from the clock start to `due_at(start, limit)`, rounded down to whole minutes but
    ///   at least 1 minute if the share is not 0, added as working time from the clock start.
    /// - `CalendarDays(n)`: `CalendarDays(n × share / 100)` rounded down, at least 1 day if the
    ///   share is not 0.
    /// - `ClockHours(n)`: the share of `n` hours in elapsed minutes, rounded down, at least 1 minute.
    ///
    /// Never later than `due_at(start, limit)`; a share of 100 gives exactly that.
    pub fn step_due(&self, start: Timestamp, limit: TimeLimit, share_percent: u8) -> Timestamp {
        let share = i128::from(share_percent.min(100));
        let full = self.due_at(start, limit);
        if share == 100 {
            return full;
        }
        let part = |whole: i128| {
            if share == 0 {
                0
            } else {
                (whole * share / 100).max(1)
            }
        };
        let step = match limit {
            TimeLimit::ClockHours(n) => {
                let minutes = part(i128::from(n) * 60);
                let minutes = i64::try_from(minutes).unwrap_or(i64::MAX);
                SignedDuration::try_from_mins(minutes)
                    .and_then(|d| start.checked_add(d).ok())
                    .unwrap_or(Timestamp::MAX)
            }
            TimeLimit::CalendarDays(n) => {
                let days = u32::try_from(part(i128::from(n))).unwrap_or(u32::MAX);
                self.due_at(start, TimeLimit::CalendarDays(days))
            }
            TimeLimit::WorkingHours(_) | TimeLimit::WorkingDays(_) | TimeLimit::SameDay => {
                let clock_start = self.clock_start(start);
                let whole = i128::from(self.working_minutes_between(clock_start, full));
                let minutes = i64::try_from(part(whole)).unwrap_or(i64::MAX);
                self.add_working_minutes(clock_start, minutes)
            }
        };
        step.min(full)
    }

    /// The latest instant an apology / extension request (Phiếu đề nghị gia hạn, formerly Phiếu
    /// xin lỗi và hẹn lại) counts as issued "at least 1 day before the due date" (Decree 118
    /// Art. 19.6): one working-day length of working time before `due`. For a due at 17:00 that
    /// is 07:00 the same day, i.e. the close of the previous working day in practice.
    pub fn apology_deadline(&self, due: Timestamp) -> Timestamp {
        let length = self.config.office_hours.working_day_length();
        self.instant_or_min(self.backward(self.local(due), length))
    }

    /// Whether an apology issued at `issued_at` is timely for a dossier due at `due`. A late
    /// apology is still recorded (DOMAIN.md §2.4); this only flags it.
    pub fn is_apology_timely(&self, issued_at: Timestamp, due: Timestamp) -> bool {
        issued_at <= self.apology_deadline(due)
    }

    /// The instant by which the desk must accept an online dossier or ask for a supplement:
    /// 8 working hours after submission (Decree 118/2025 Art. 17.2.c), counted like
    /// `WorkingHours(8)` whatever the working-day length.
    pub fn online_intake_deadline(&self, submitted_at: Timestamp) -> Timestamp {
        self.due_at(submitted_at, TimeLimit::WorkingHours(8))
    }

    /// Classifies a resolution (NgayKetThucXuLy) against the due instant (DOMAIN.md §7.7): late
    /// if `resolved_at > due`; early if resolved on an earlier local calendar date than the due
    /// date; otherwise on time (exactly at `due` is on time).
    pub fn timeliness(&self, resolved_at: Timestamp, due: Timestamp) -> Timeliness {
        if resolved_at > due {
            Timeliness::Late
        } else if self.local_date(resolved_at) < self.local_date(due) {
            Timeliness::Early
        } else {
            Timeliness::OnTime
        }
    }

    fn working_days(&self, n: u32) -> Option<SignedDuration> {
        let day = self.config.office_hours.working_day_length();
        SignedDuration::try_from_nanos_i128(day.as_nanos().checked_mul(i128::from(n))?)
    }

    fn same_day_due(&self, received: DateTime) -> Option<DateTime> {
        let date = received.date();
        let t = received.time();
        match self.close_of(date) {
            Some(close) if t <= self.config.same_day_cutoff && received < close => Some(close),
            _ => self.next_working_date(date).and_then(|d| self.close_of(d)),
        }
    }

    /// The close of `at`'s date if that is a working day with its close at or after `at`; else
    /// `at` (cannot happen for the results of a forward walk).
    fn round_up_to_close(&self, at: DateTime) -> Option<DateTime> {
        Some(
            self.close_of(at.date())
                .filter(|close| *close >= at)
                .unwrap_or(at),
        )
    }

    fn instant_or_max(&self, dt: Option<DateTime>) -> Timestamp {
        dt.and_then(|dt| self.config.utc_offset.to_timestamp(dt).ok())
            .unwrap_or(Timestamp::MAX)
    }

    fn instant_or_min(&self, dt: Option<DateTime>) -> Timestamp {
        dt.and_then(|dt| self.config.utc_offset.to_timestamp(dt).ok())
            .unwrap_or(Timestamp::MIN)
    }
}

fn hours(n: u32) -> SignedDuration {
    SignedDuration::from_hours(i64::from(n))
}
