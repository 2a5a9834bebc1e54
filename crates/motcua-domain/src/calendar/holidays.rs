//! The table of days off and swapped working Saturdays (ngày nghỉ lễ, Tết, ngày làm bù).

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use super::{CalendarError, HolidayRowProblem};

/// The table shipped with the crate: Vietnam 2024–2026 per DOMAIN.md §7.
const VIETNAM_2024_2026: &str = include_str!("../../data/holidays.csv");

/// The CSV header written by [`HolidayTable::to_csv`]; [`HolidayTable::from_csv`] needs these
/// columns, in any order, and ignores others.
pub const HOLIDAY_CSV_HEADER: [&str; 4] = ["date", "kind", "name", "source"];

/// What a listed date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// No working time that day, whatever its weekday (holiday, Tết, compensating or bridged day).
    DayOff,
    /// A Saturday worked as a full weekday in exchange for a bridged day (ngày làm bù).
    WorkingSaturday,
}

impl DayKind {
    /// The `kind` cell of the CSV form: `day_off` or `working_saturday`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::DayOff => "day_off",
            DayKind::WorkingSaturday => "working_saturday",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "day_off" => Some(DayKind::DayOff),
            "working_saturday" => Some(DayKind::WorkingSaturday),
            _ => None,
        }
    }
}

/// One row of the table: a date, what it is, its name and where that comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HolidayEntry {
    /// The local calendar date.
    pub date: Date,
    /// Day off or working Saturday.
    pub kind: DayKind,
    /// What the day is, e.g. "Lunar New Year break (Tết Nguyên đán)".
    pub name: String,
    /// Where the row comes from (notice, news report, law article), so it can be checked.
    pub source: String,
}

/// Days off and swapped working Saturdays, at most one row per date.
///
/// A date not in the table follows its weekday (Mon–Fri working, Sat–Sun off).
/// The table says nothing about years it has no rows for: check [`HolidayTable::years`] before
/// trusting a deadline that falls after the last year (a missing Tết silently counts as working
/// days).
/// Every row is valid: non-empty name and source, and a `WorkingSaturday` is a Saturday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayTable {
    entries: BTreeMap<Date, HolidayEntry>,
}

impl HolidayTable {
    /// Vietnam's civil-service days off and working Saturdays for 2024, 2025 and 2026
    /// (DOMAIN.md §7 table), from the embedded `data/holidays.csv`.
    pub fn vietnam_2024_2026() -> Self {
        // A test parses the embedded file, so this cannot fail at run time.
        HolidayTable::from_csv(VIETNAM_2024_2026).expect("embedded data/holidays.csv is valid")
    }

    /// Reads a table from CSV text with a header naming the columns `date` (`YYYY-MM-DD`), `kind`
    /// (`day_off` | `working_saturday`), `name` and `source`, in any order; other columns are
    /// ignored, blanks around cells are trimmed, lines starting with `#` are comments.
    ///
    /// # Errors
    /// The first problem found, with its 1-based line number.
    pub fn from_csv(text: &str) -> Result<Self, CalendarError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| csv_error(text, &e))?.clone();
        let header_line = headers.position().map_or(1, |p| line_of(text, p));
        let column = |name: &'static str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or(CalendarError::HolidayHeader {
                    line: header_line,
                    column: name,
                })
        };
        let [date_col, kind_col, name_col, source_col] = [
            column(HOLIDAY_CSV_HEADER[0])?,
            column(HOLIDAY_CSV_HEADER[1])?,
            column(HOLIDAY_CSV_HEADER[2])?,
            column(HOLIDAY_CSV_HEADER[3])?,
        ];
        let mut table = HolidayTable::default();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(text, &e))?;
            let line = record.position().map_or(0, |p| line_of(text, p));
            let row_error = |problem| CalendarError::HolidayRow { line, problem };
            let cell = |i: usize| record.get(i).unwrap_or("");
            let date = cell(date_col)
                .parse::<Date>()
                .map_err(|_| row_error(HolidayRowProblem::Date(cell(date_col).to_owned())))?;
            let kind = DayKind::parse(cell(kind_col))
                .ok_or_else(|| row_error(HolidayRowProblem::Kind(cell(kind_col).to_owned())))?;
            let entry = HolidayEntry {
                date,
                kind,
                name: cell(name_col).to_owned(),
                source: cell(source_col).to_owned(),
            };
            table.insert(entry).map_err(|e| match e {
                CalendarError::HolidayEntry(problem) => row_error(problem),
                other => other,
            })?;
        }
        Ok(table)
    }

    /// Writes the table as CSV (header `date,kind,name,source`, rows by date) that
    /// [`HolidayTable::from_csv`] reads back to an equal table.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        // Writing to a Vec cannot fail, and every cell is valid UTF-8.
        writer
            .write_record(HOLIDAY_CSV_HEADER)
            .expect("writing CSV to memory");
        for e in self.entries.values() {
            let date = e.date.to_string();
            writer
                .write_record([date.as_str(), e.kind.as_str(), &e.name, &e.source])
                .expect("writing CSV to memory");
        }
        let bytes = writer.into_inner().expect("flushing CSV to memory");
        String::from_utf8(bytes).expect("CSV of UTF-8 cells is UTF-8")
    }

    /// Adds a row.
    ///
    /// # Errors
    /// [`CalendarError::HolidayEntry`] if the name or source is empty, a working Saturday is not a
    /// Saturday, or the date already has a row; the table is then unchanged.
    pub fn insert(&mut self, entry: HolidayEntry) -> Result<(), CalendarError> {
        let problem = if entry.name.trim().is_empty() {
            Some(HolidayRowProblem::Empty("name"))
        } else if entry.source.trim().is_empty() {
            Some(HolidayRowProblem::Empty("source"))
        } else if entry.kind == DayKind::WorkingSaturday
            && entry.date.weekday() != Weekday::Saturday
        {
            Some(HolidayRowProblem::NotASaturday(
                entry.date,
                entry.date.weekday(),
            ))
        } else if self.entries.contains_key(&entry.date) {
            Some(HolidayRowProblem::Duplicate(entry.date))
        } else {
            None
        };
        match problem {
            Some(problem) => Err(CalendarError::HolidayEntry(problem)),
            None => {
                self.entries.insert(entry.date, entry);
                Ok(())
            }
        }
    }

    /// The row for `date`, if any.
    pub fn get(&self, date: Date) -> Option<&HolidayEntry> {
        self.entries.get(&date)
    }

    /// What `date` is, if the table lists it.
    pub fn kind(&self, date: Date) -> Option<DayKind> {
        self.entries.get(&date).map(|e| e.kind)
    }

    /// All rows, by date.
    pub fn entries(&self) -> impl Iterator<Item = &HolidayEntry> {
        self.entries.values()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The years that have at least one row, ascending.
    pub fn years(&self) -> Vec<i16> {
        let mut years: Vec<i16> = self.entries.keys().map(|d| d.year()).collect();
        years.dedup();
        years
    }

    /// The first and last listed dates, if any. Outside this span every week is a plain week.
    pub(super) fn span(&self) -> Option<(Date, Date)> {
        let first = self.entries.keys().next()?;
        let last = self.entries.keys().next_back()?;
        Some((*first, *last))
    }
}

fn csv_error(text: &str, e: &csv::Error) -> CalendarError {
    let line = e.position().map_or(0, |p| line_of(text, p));
    CalendarError::HolidayRow {
        line,
        problem: HolidayRowProblem::Csv(e.to_string()),
    }
}

/// The 1-based line on which the record at `position` starts.
///
/// The csv crate's own line count starts a record right after the previous one, before any blank
/// or comment lines it skipped, so count them here.
fn line_of(text: &str, position: &csv::Position) -> u64 {
    let bytes = text.as_bytes();
    let start = usize::try_from(position.byte()).map_or(bytes.len(), |b| b.min(bytes.len()));
    let mut line = 1 + bytes[..start].iter().filter(|&&b| b == b'\n').count();
    let mut rest = &bytes[start..];
    while matches!(rest.first(), Some(b'#' | b'\n' | b'\r')) {
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            break;
        };
        rest = &rest[end + 1..];
        line += 1;
    }
    u64::try_from(line).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn embedded_table_parses_and_covers_2024_to_2026() {
        let table = HolidayTable::from_csv(VIETNAM_2024_2026).expect("embedded table parses");
        assert_eq!(table.years(), vec![2024, 2025, 2026]);
        assert_eq!(
            table.kind(date(2025, 4, 26)),
            Some(DayKind::WorkingSaturday)
        );
        assert_eq!(table.kind(date(2025, 5, 2)), Some(DayKind::DayOff));
        assert_eq!(table.kind(date(2025, 5, 5)), None);
    }

    #[test]
    fn round_trips_through_csv() {
        let table = HolidayTable::vietnam_2024_2026();
        assert_eq!(HolidayTable::from_csv(&table.to_csv()), Ok(table));
    }

    fn row_error(text: &str) -> (u64, HolidayRowProblem) {
        match HolidayTable::from_csv(text) {
            Err(CalendarError::HolidayRow { line, problem }) => (line, problem),
            other => panic!("expected a row error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_line() {
        let head = "# comment\ndate,kind,name,source\n2025-01-01,day_off,New Year,Labour Code\n";
        assert_eq!(
            row_error(&format!("{head}2025-02-30,day_off,x,y\n")),
            (4, HolidayRowProblem::Date("2025-02-30".into()))
        );
        assert_eq!(
            row_error(&format!("{head}2025-02-03,holiday,x,y\n")),
            (4, HolidayRowProblem::Kind("holiday".into()))
        );
        assert_eq!(
            row_error(&format!("{head}2025-04-25,working_saturday,x,y\n")),
            (
                4,
                HolidayRowProblem::NotASaturday(date(2025, 4, 25), Weekday::Friday)
            )
        );
        assert_eq!(
            row_error(&format!("{head}\n2025-01-01,day_off,again,y\n")),
            (5, HolidayRowProblem::Duplicate(date(2025, 1, 1)))
        );
        assert_eq!(
            row_error(&format!("{head}2025-02-03,day_off, ,y\n")),
            (4, HolidayRowProblem::Empty("name"))
        );
        assert_eq!(
            row_error(&format!("{head}2025-02-03,day_off,x,\n")),
            (4, HolidayRowProblem::Empty("source"))
        );
        let (line, problem) = row_error(&format!("{head}2025-02-03,day_off,x\n"));
        assert_eq!(line, 4);
        assert!(matches!(problem, HolidayRowProblem::Csv(_)), "{problem:?}");
    }

    #[test]
    fn header_must_name_the_columns() {
        assert_eq!(
            HolidayTable::from_csv("# c\ndate,kind,name\n"),
            Err(CalendarError::HolidayHeader {
                line: 2,
                column: "source"
            })
        );
        let reordered =
            "source,name,kind,date,note\nLabour Code,New Year,day_off,2025-01-01,extra\n";
        let table = HolidayTable::from_csv(reordered).expect("columns in any order");
        assert_eq!(
            table.get(date(2025, 1, 1)).map(|e| e.name.as_str()),
            Some("New Year")
        );
    }

    #[test]
    fn an_empty_table_is_valid() {
        assert_eq!(
            HolidayTable::from_csv("date,kind,name,source\n"),
            Ok(HolidayTable::default())
        );
    }
}
