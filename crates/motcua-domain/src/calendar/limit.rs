//! The time limit (thời hạn giải quyết) of a procedure, as the catalogue states it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::CalendarError;

/// How long the authority has to resolve a dossier, in the unit the catalogue uses.
///
/// What each unit means is decided by [`WorkCalendar::due_at`](super::WorkCalendar::due_at); this
/// type only says which rule applies.
///
/// Wire forms (both stable):
/// - JSON: `{"unit":"working_days","value":5}`, `{"unit":"same_day"}`;
/// - compact text (CSV cells): `5 working_days`, `8 working_hours`, `30 calendar_days`,
///   `24 clock_hours`, `same_day`. [`Display`](fmt::Display) writes it, [`FromStr`] reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum TimeLimit {
    /// Working hours (giờ làm việc): counted in office time only.
    WorkingHours(u32),
    /// Working days (ngày làm việc); see [`WorkingDayMode`](super::WorkingDayMode) for the two
    /// ways of counting them.
    WorkingDays(u32),
    /// Calendar days (ngày): every day counts, the due date is moved off days off.
    CalendarDays(u32),
    /// Clock hours: elapsed time, nights and days off included. Law on Civil Status 03/2026/QH16
    /// Art. 3.3 (from 01/03/2027): a registration without a time limit of its own is resolved
    /// within 24 hours of the complete dossier.
    ClockHours(u32),
    /// "Trong ngày": the result the same working day; received after the cut-off (15:00 by
    /// default) it is due at the end of the next working day (DOMAIN.md §2.3, §7.4b).
    SameDay,
}

const WORKING_HOURS: &str = "working_hours";
const WORKING_DAYS: &str = "working_days";
const CALENDAR_DAYS: &str = "calendar_days";
const CLOCK_HOURS: &str = "clock_hours";
const SAME_DAY: &str = "same_day";

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeLimit::WorkingHours(n) => write!(f, "{n} {WORKING_HOURS}"),
            TimeLimit::WorkingDays(n) => write!(f, "{n} {WORKING_DAYS}"),
            TimeLimit::CalendarDays(n) => write!(f, "{n} {CALENDAR_DAYS}"),
            TimeLimit::ClockHours(n) => write!(f, "{n} {CLOCK_HOURS}"),
            TimeLimit::SameDay => f.write_str(SAME_DAY),
        }
    }
}

impl FromStr for TimeLimit {
    type Err = CalendarError;

    /// Reads the compact form written by `Display`; surrounding and repeated blanks are allowed.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = || CalendarError::InvalidTimeLimit {
            input: input.to_owned(),
        };
        let mut words = input.split_whitespace();
        let (first, second) = (words.next(), words.next());
        if words.next().is_some() {
            return Err(invalid());
        }
        match (first, second) {
            (Some(SAME_DAY), None) => Ok(TimeLimit::SameDay),
            (Some(number), Some(unit)) => {
                let n: u32 = number.parse().map_err(|_| invalid())?;
                match unit {
                    WORKING_HOURS => Ok(TimeLimit::WorkingHours(n)),
                    WORKING_DAYS => Ok(TimeLimit::WorkingDays(n)),
                    CALENDAR_DAYS => Ok(TimeLimit::CalendarDays(n)),
                    CLOCK_HOURS => Ok(TimeLimit::ClockHours(n)),
                    _ => Err(invalid()),
                }
            }
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_form_reads_what_it_writes() {
        for (text, limit) in [
            ("5 working_days", TimeLimit::WorkingDays(5)),
            ("8 working_hours", TimeLimit::WorkingHours(8)),
            ("30 calendar_days", TimeLimit::CalendarDays(30)),
            ("24 clock_hours", TimeLimit::ClockHours(24)),
            ("same_day", TimeLimit::SameDay),
        ] {
            assert_eq!(text.parse::<TimeLimit>(), Ok(limit), "{text}");
            assert_eq!(limit.to_string(), text);
        }
        assert_eq!("  3   working_days ".parse(), Ok(TimeLimit::WorkingDays(3)));
    }

    #[test]
    fn compact_form_rejects_garbage() {
        for text in [
            "",
            "5",
            "working_days",
            "5 days",
            "-1 working_days",
            "5 working_days extra",
            "same_day 1",
            "1 same_day",
            "4294967296 clock_hours",
        ] {
            assert_eq!(
                text.parse::<TimeLimit>(),
                Err(CalendarError::InvalidTimeLimit {
                    input: text.to_owned()
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn json_form_is_unit_and_value() {
        let cases = [
            (
                TimeLimit::WorkingDays(5),
                r#"{"unit":"working_days","value":5}"#,
            ),
            (
                TimeLimit::WorkingHours(8),
                r#"{"unit":"working_hours","value":8}"#,
            ),
            (
                TimeLimit::CalendarDays(30),
                r#"{"unit":"calendar_days","value":30}"#,
            ),
            (
                TimeLimit::ClockHours(24),
                r#"{"unit":"clock_hours","value":24}"#,
            ),
            (TimeLimit::SameDay, r#"{"unit":"same_day"}"#),
        ];
        for (limit, json) in cases {
            assert_eq!(serde_json::to_string(&limit).expect("serialises"), json);
            assert_eq!(
                serde_json::from_str::<TimeLimit>(json).expect("parses"),
                limit
            );
        }
    }
}
