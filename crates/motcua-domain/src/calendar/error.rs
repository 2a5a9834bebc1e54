//! Errors of the calendar: bad holiday tables, bad office hours, bad time-limit text.

use jiff::civil::{Date, Time};

/// Why calendar data or settings were rejected.
///
/// Holiday-table errors carry the 1-based line of the CSV text (comment lines count), so a
/// province correcting its table can find the row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The holiday CSV lacks a required column (`date`, `kind`, `name` or `source`).
    #[error("holiday table, line {line}: missing column `{column}` in the header")]
    HolidayHeader {
        /// Line of the header row.
        line: u64,
        /// The missing column name.
        column: &'static str,
    },
    /// A holiday row is malformed.
    #[error("holiday table, line {line}: {problem}")]
    HolidayRow {
        /// Line of the offending row.
        line: u64,
        /// What is wrong with it.
        problem: HolidayRowProblem,
    },
    /// A holiday entry added in code is malformed (same checks as a CSV row, without a line).
    #[error("holiday entry: {0}")]
    HolidayEntry(HolidayRowProblem),
    /// An office session ends at or before it starts.
    #[error("office session {start}–{end} is empty: it must end after it starts")]
    EmptySession {
        /// Session start (local time).
        start: Time,
        /// Session end (local time).
        end: Time,
    },
    /// The afternoon session starts before the morning session ends.
    #[error(
        "office sessions overlap: the morning ends at {morning_end}, the afternoon starts at {afternoon_start}"
    )]
    OverlappingSessions {
        /// End of the morning session.
        morning_end: Time,
        /// Start of the afternoon session.
        afternoon_start: Time,
    },
    /// A time limit in compact text form could not be read.
    #[error(
        "invalid time limit `{input}`: expected `<n> working_hours`, `<n> working_days`, \
         `<n> calendar_days`, `<n> clock_hours` or `same_day`"
    )]
    InvalidTimeLimit {
        /// The rejected text.
        input: String,
    },
}

/// What is wrong with one row of a holiday table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HolidayRowProblem {
    /// The CSV itself is malformed (e.g. a row with the wrong number of fields).
    #[error("malformed CSV: {0}")]
    Csv(String),
    /// The `date` field is not an ISO date `YYYY-MM-DD`.
    #[error("`{0}` is not a date (expected YYYY-MM-DD)")]
    Date(String),
    /// The `kind` field is neither `day_off` nor `working_saturday`.
    #[error("unknown kind `{0}` (expected `day_off` or `working_saturday`)")]
    Kind(String),
    /// A `working_saturday` row names a day that is not a Saturday.
    #[error("{0} is listed as a working Saturday but is a {1:?}")]
    NotASaturday(Date, jiff::civil::Weekday),
    /// The `name` or `source` field is empty.
    #[error("empty `{0}`: every row says what the day is and where that comes from")]
    Empty(&'static str),
    /// The date already has a row.
    #[error("{0} is listed twice")]
    Duplicate(Date),
}
