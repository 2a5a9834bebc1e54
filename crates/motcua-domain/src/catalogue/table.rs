//! The catalogue's CSV form: columns, reading one row into a [`ProcedureVersion`], writing it
//! back, and the fingerprint that the lock file records.

use std::str::FromStr;

use jiff::civil::Date;

use super::code::{FieldCode, ProcedureCode};
use super::error::{CatalogueError, CatalogueErrorKind};
use super::model::{
    Channel, Flow, LiaisonRoute, Offer, OnlineLevel, ProcedureLevel, ProcedureVersion, Provenance,
    time_column,
};
use crate::calendar::TimeLimit;
use crate::units::HierarchyId;

/// The columns, in file order.
pub const COLUMNS: [&str; 23] = [
    "code",
    "version",
    "valid_from",
    "valid_to",
    "hierarchy",
    "name",
    "field",
    "field_code",
    "level",
    "handling_agency_kind",
    "channels",
    "time_direct",
    "time_online",
    "time_postal",
    "time_verified",
    "time_note",
    "fee_vnd",
    "fee_note",
    "flow",
    "liaison_route",
    "online_level",
    "provenance",
    "source",
];

/// Column positions found in a header.
pub(crate) struct Header {
    index: [usize; COLUMNS.len()],
}

impl Header {
    pub(crate) fn new(header: &csv::StringRecord) -> Result<Header, CatalogueError> {
        if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(h)) {
            return Err(CatalogueError::new(
                1,
                None,
                CatalogueErrorKind::UnknownColumn(unknown.to_owned()),
            ));
        }
        let mut index = [0; COLUMNS.len()];
        for (slot, column) in index.iter_mut().zip(COLUMNS) {
            *slot = header.iter().position(|h| h == column).ok_or_else(|| {
                CatalogueError::new(1, Some(column), CatalogueErrorKind::MissingColumn)
            })?;
        }
        Ok(Header { index })
    }
}

/// One CSV row being read, with its line for errors.
struct Row<'a> {
    record: &'a csv::StringRecord,
    header: &'a Header,
    line: u64,
}

impl Row<'_> {
    fn raw(&self, column: &'static str) -> &str {
        let at = COLUMNS
            .iter()
            .position(|c| *c == column)
            .expect("columns are named from COLUMNS");
        self.record.get(self.header.index[at]).unwrap_or("")
    }

    fn error(&self, column: &'static str, kind: impl Into<CatalogueErrorKind>) -> CatalogueError {
        CatalogueError::new(self.line, Some(column), kind)
    }

    fn optional<T>(
        &self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, CatalogueErrorKind>,
    ) -> Result<Option<T>, CatalogueError> {
        match self.raw(column) {
            "" => Ok(None),
            text => parse(text).map(Some).map_err(|k| self.error(column, k)),
        }
    }

    fn required<T>(
        &self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, CatalogueErrorKind>,
    ) -> Result<T, CatalogueError> {
        self.optional(column, parse)?
            .ok_or_else(|| self.error(column, CatalogueErrorKind::Empty))
    }

    fn text(&self, column: &'static str) -> Result<String, CatalogueError> {
        self.required(column, |s| Ok(s.to_owned()))
    }
}

/// A parser for `FromStr` values whose error only needs to say what was expected.
fn value<T: FromStr>(expected: &'static str) -> impl Fn(&str) -> Result<T, CatalogueErrorKind> {
    move |s| {
        s.parse().map_err(|_| CatalogueErrorKind::Value {
            expected,
            input: s.to_owned(),
        })
    }
}

fn date(s: &str) -> Result<Date, CatalogueErrorKind> {
    // jiff accepts more than a plain date (e.g. a datetime); the file holds YYYY-MM-DD only.
    let plain = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    let bad = || CatalogueErrorKind::Value {
        expected: "a date YYYY-MM-DD",
        input: s.to_owned(),
    };
    if !plain {
        return Err(bad());
    }
    s.parse().map_err(|_| bad())
}

fn boolean(s: &str) -> Result<bool, CatalogueErrorKind> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(CatalogueErrorKind::Value {
            expected: "true or false",
            input: s.to_owned(),
        }),
    }
}

fn channel_set(s: &str) -> Result<Vec<Channel>, CatalogueErrorKind> {
    let bad = || CatalogueErrorKind::Value {
        expected: "channels separated by ';' in the order direct;online;postal",
        input: s.to_owned(),
    };
    let channels = s
        .split(';')
        .map(|c| c.trim().parse::<Channel>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    // Strictly increasing: no repeats, one canonical spelling per set.
    if channels.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad());
    }
    Ok(channels)
}

/// Reads one row. `line` is the row's first line in the file.
pub(crate) fn read_row(
    header: &Header,
    record: &csv::StringRecord,
    line: u64,
) -> Result<ProcedureVersion, CatalogueError> {
    let row = Row {
        record,
        header,
        line,
    };
    let code: ProcedureCode = row.required("code", |s| Ok(s.parse()?))?;
    let version: u32 = row.required("version", value("a version number (1, 2, …)"))?;
    if version == 0 {
        return Err(row.error(
            "version",
            CatalogueErrorKind::Value {
                expected: "a version number (1, 2, …)",
                input: "0".to_owned(),
            },
        ));
    }
    let valid_from = row.required("valid_from", date)?;
    let valid_to = row.optional("valid_to", date)?;
    let hierarchy = HierarchyId(row.text("hierarchy")?);
    let name = row.text("name")?;
    let field = row.text("field")?;
    let field_code: FieldCode = row.required("field_code", |s| Ok(s.parse()?))?;
    let level: ProcedureLevel =
        row.required("level", value("commune, district, province or ministry"))?;
    let handling_agency_kind = row.text("handling_agency_kind")?;
    let channels = row.required("channels", channel_set)?;
    let mut offers: [Option<Offer>; 3] = [None, None, None];
    for (slot, channel) in offers.iter_mut().zip(Channel::ALL) {
        let column = time_column(*channel);
        let time_limit: Option<TimeLimit> = row.optional(
            column,
            value("a time limit such as 5 working_days or same_day"),
        )?;
        if channels.contains(channel) {
            *slot = Some(Offer { time_limit });
        } else if time_limit.is_some() {
            return Err(row.error(
                column,
                super::rules::VersionRuleError::TimeWithoutChannel(*channel),
            ));
        }
    }
    let [direct, online, postal] = offers;
    let time_verified = row.required("time_verified", boolean)?;
    let time_note = row.raw("time_note").to_owned();
    let fee_vnd = row.optional("fee_vnd", value("a whole number of đồng"))?;
    let fee_note = row.raw("fee_note").to_owned();
    let flow: Flow = row.required("flow", value("on_the_spot, three_step or liaison"))?;
    let liaison_route: LiaisonRoute = row
        .optional("liaison_route", |s| Ok(s.parse::<LiaisonRoute>()?))?
        .unwrap_or_default();
    let online_level: Option<OnlineLevel> = row.optional(
        "online_level",
        value("none, partial or full (or empty: unknown)"),
    )?;
    let provenance: Provenance =
        row.required("provenance", value("national_db or illustrative"))?;
    let source = row.text("source")?;

    let version = ProcedureVersion {
        code,
        version,
        valid_from,
        valid_to,
        hierarchy,
        name,
        field,
        field_code,
        level,
        handling_agency_kind,
        direct,
        online,
        postal,
        time_verified,
        time_note,
        fee_vnd,
        fee_note,
        flow,
        liaison_route,
        online_level,
        provenance,
        source,
    };
    version
        .check()
        .map_err(|(column, rule)| row.error(column, rule))?;
    Ok(version)
}

/// The row of a version, in [`COLUMNS`] order, as the file writes it.
pub(crate) fn write_row(v: &ProcedureVersion) -> [String; COLUMNS.len()] {
    let opt = |o: Option<String>| o.unwrap_or_default();
    let time = |c: Channel| opt(v.time_limit(c).map(|t| t.to_string()));
    [
        v.code.to_string(),
        v.version.to_string(),
        v.valid_from.to_string(),
        opt(v.valid_to.map(|d| d.to_string())),
        v.hierarchy.to_string(),
        v.name.clone(),
        v.field.clone(),
        v.field_code.to_string(),
        v.level.to_string(),
        v.handling_agency_kind.clone(),
        v.channels()
            .map(Channel::as_str)
            .collect::<Vec<_>>()
            .join(";"),
        time(Channel::Direct),
        time(Channel::Online),
        time(Channel::Postal),
        v.time_verified.to_string(),
        v.time_note.clone(),
        opt(v.fee_vnd.map(|f| f.to_string())),
        v.fee_note.clone(),
        v.flow.to_string(),
        v.liaison_route.to_string(),
        opt(v.online_level.map(|l| l.to_string())),
        v.provenance.to_string(),
        v.source.clone(),
    ]
}

/// The first column in which two versions differ, `valid_to` excepted.
pub(crate) fn first_difference(a: &ProcedureVersion, b: &ProcedureVersion) -> Option<&'static str> {
    write_row(a)
        .iter()
        .zip(write_row(b))
        .zip(COLUMNS)
        .find(|((x, y), column)| *column != "valid_to" && *x != y)
        .map(|(_, column)| column)
}

/// A stable 64-bit FNV-1a digest of everything in a version but `valid_to` (the one thing a
/// published version may still get: its end date).
pub(crate) fn fingerprint(v: &ProcedureVersion) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for (field, column) in write_row(v).iter().zip(COLUMNS) {
        if column == "valid_to" {
            continue;
        }
        // 0x1f (unit separator) cannot occur in the fields, so the joining is unambiguous.
        for byte in field.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}
