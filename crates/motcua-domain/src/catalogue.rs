//! The procedure catalogue (danh mục thủ tục hành chính), as versioned data.
//!
//! Every row of `data/procedures.csv` is one **version** of one procedure: its levels, agency,
//! channels with their time limits, fee, flow and liaison route, valid over a date range within
//! one unit list (`hierarchy`).
//! A dossier pins the version in force on its receipt day as a [`CatalogueRef`] and keeps it for
//! life, so a catalogue change never rewrites how an earlier dossier is judged.
//!
//! # Versions are immutable once published
//! A correction, a new time limit, a new agency or a new era is a **new row** with the next
//! version number and its own `valid_from`; the earlier row stays as it was.
//! The only edit allowed to a published row is closing its open `valid_to` the day before its
//! successor starts.
//! `data/procedures-published.lock` records a fingerprint of every published version; a test
//! fails when a published row changes ([`Catalogue::check_lock`]), and
//! [`Catalogue::ensure_extends`] checks a new catalogue against the one it replaces.
//!
//! # The file
//! UTF-8, NFC, one header line with the columns of [`COLUMNS`] (any order).
//!
//! | column | holds |
//! |---|---|
//! | `code` | national procedure code `d.dddddd` |
//! | `version` | 1, 2, …; increases with `valid_from` |
//! | `valid_from`, `valid_to` | first and last day (inclusive) of a dossier's receipt; `valid_to` empty while current |
//! | `hierarchy` | `3level-2025-03` (province → district → commune; the rows must end by 2025-06-30) or `2level-2025-07` (province → commune; from 2025-07-01). A row lies within its list's span. |
//! | `name`, `field` | as the source words them (Vietnamese) |
//! | `field_code` | our stable code for the field, e.g. `HO_TICH`; one name per code |
//! | `level` | `commune`, `district` (3-level only), `province`, `ministry` |
//! | `handling_agency_kind` | competent or handling agency, as the source words it |
//! | `channels` | the channels offered, `direct;online;postal` or a subset in that order |
//! | `time_direct`, `time_online`, `time_postal` | the time limit on each channel in the compact [`TimeLimit`](crate::calendar::TimeLimit) form (`5 working_days`, `8 working_hours`, `30 calendar_days`, `24 clock_hours`, `same_day`); empty = not offered when the channel is not in `channels`, or no limit stated by the source when it is |
//! | `time_verified` | `true` when value and unit are as the source states them; `false` when they are our reading (e.g. a bare `1` read as `same_day`) or an illustrative value |
//! | `time_note` | what the source says about time, in Vietnamese |
//! | `fee_vnd`, `fee_note` | the fee in đồng when the source states one figure; the rest in the note |
//! | `flow` | [`Flow`]: `on_the_spot`, `three_step` or `liaison` |
//! | `liaison_route` | `commune:40;district:60`: the levels a liaison passes in order, each with its share of the total time (shares sum to 100); empty when there is no liaison, or when the source does not split the time (same-level agencies in parallel) |
//! | `online_level` | `none`, `partial` (một phần), `full` (toàn trình); empty = unknown, which is the rule since the national pages we copy do not state it. `none` is set only where the source offers no online channel. |
//! | `provenance` | `national_db` (copied from the national procedure database) or `illustrative` |
//! | `source` | the source id of `shared/data/procedures-2025-sources.md` (`CT-<code>`), or what an illustrative row rests on |
//!
//! `data/procedures-2025-sample.csv` and `data/procedures-2025-sources.md` are unchanged copies of
//! the sample the 34 national rows come from and of its list of sources (the `CT-…` ids); a test
//! checks the rows against the sample.
//! Text is copied from the source; the note "Nguồn CSDL quốc gia bản sau 01/7/2025 (chính quyền
//! 2 cấp, không còn cấp huyện)" that ended every `time_note` of the sample is carried by
//! `hierarchy` and `source` instead. The 2-level rows are the pages as crawled in June 2026;
//! changes between July 2025 and then are not reconstructed.

mod code;
mod error;
mod model;
mod rules;
mod table;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use jiff::civil::Date;

pub use self::code::{CatalogueRef, FieldCode, FieldCodeError, ProcedureCode, ProcedureCodeError};
pub use self::error::{CatalogueError, CatalogueErrorKind};
pub use self::model::{
    Channel, Flow, LiaisonRoute, LiaisonRouteError, LiaisonStep, Offer, OnlineLevel,
    ProcedureLevel, ProcedureVersion, Provenance, VocabularyError,
};
pub use self::rules::VersionRuleError;
pub use self::table::COLUMNS;
use crate::units::HierarchyId;

/// All versions of all procedures, checked.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Sorted by (code, version).
    versions: Vec<ProcedureVersion>,
    /// The line of each version in the text it was read from, parallel to `versions`.
    lines: Vec<u64>,
}

impl Catalogue {
    /// The catalogue shipped with the crate (`data/procedures.csv`); parsed once, then cloned.
    pub fn embedded() -> Catalogue {
        static EMBEDDED: OnceLock<Catalogue> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                Catalogue::from_csv(include_str!("../data/procedures.csv"))
                    .expect("the embedded catalogue is valid (checked by tests)")
            })
            .clone()
    }

    /// Reads and checks a catalogue text.
    ///
    /// Every row must parse and satisfy [`ProcedureVersion::check`]; across rows, a
    /// (code, version) appears once, version numbers increase with `valid_from`, two versions of
    /// one code in one hierarchy never share a day, and a field code has one name.
    /// The first error in file order is returned.
    pub fn from_csv(text: &str) -> Result<Catalogue, CatalogueError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = reader.headers().map_err(csv_error)?.clone();
        let header = table::Header::new(&header)?;

        let mut rows: Vec<(ProcedureVersion, u64)> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, csv::Position::line);
            rows.push((table::read_row(&header, &record, line)?, line));
        }
        check_rows(&rows)?;

        rows.sort_by_key(|(v, _)| (v.code, v.version));
        let (versions, lines) = rows.into_iter().unzip();
        Ok(Catalogue { versions, lines })
    }

    /// The catalogue as CSV text in the canonical form (columns in [`COLUMNS`] order, rows by
    /// code and version); [`Catalogue::from_csv`] reads it back to an equal catalogue.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let rows = std::iter::once(COLUMNS.map(str::to_owned))
            .chain(self.versions.iter().map(table::write_row));
        for row in rows {
            writer
                .write_record(&row)
                .expect("writing CSV to memory cannot fail");
        }
        let bytes = writer
            .into_inner()
            .expect("flushing CSV to memory cannot fail");
        String::from_utf8(bytes).expect("the CSV writer writes the UTF-8 it was given")
    }

    /// The version of `code` in force on `at` (a receipt day) in `hierarchy`.
    pub fn get(
        &self,
        code: &ProcedureCode,
        at: Date,
        hierarchy: &HierarchyId,
    ) -> Option<&ProcedureVersion> {
        self.versions_of(code)
            .iter()
            .find(|v| &v.hierarchy == hierarchy && v.in_force_on(at))
    }

    /// One version of `code`.
    pub fn get_version(&self, code: &ProcedureCode, version: u32) -> Option<&ProcedureVersion> {
        let all = self.versions_of(code);
        all.binary_search_by_key(&version, |v| v.version)
            .ok()
            .map(|i| &all[i])
    }

    /// The version a dossier pinned.
    pub fn resolve(&self, reference: &CatalogueRef) -> Option<&ProcedureVersion> {
        self.get_version(&reference.code, reference.version)
    }

    /// Every version of `code`, oldest first.
    pub fn versions_of(&self, code: &ProcedureCode) -> &[ProcedureVersion] {
        let start = self.versions.partition_point(|v| v.code < *code);
        let end = self.versions.partition_point(|v| v.code <= *code);
        &self.versions[start..end]
    }

    /// All versions, by code then version.
    pub fn iter(&self) -> std::slice::Iter<'_, ProcedureVersion> {
        self.versions.iter()
    }

    /// The versions in force on `at` in `hierarchy`, by code.
    pub fn in_force<'a>(
        &'a self,
        at: Date,
        hierarchy: &'a HierarchyId,
    ) -> impl Iterator<Item = &'a ProcedureVersion> + 'a {
        self.versions
            .iter()
            .filter(move |v| &v.hierarchy == hierarchy && v.in_force_on(at))
    }

    /// Number of versions.
    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// Whether there is no version at all.
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// The distinct procedure codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = ProcedureCode> + '_ {
        let mut previous = None;
        self.versions.iter().filter_map(move |v| {
            let new = previous != Some(v.code);
            previous = Some(v.code);
            new.then_some(v.code)
        })
    }

    /// The fields: each field code with its name, by code.
    pub fn fields(&self) -> BTreeMap<&FieldCode, &str> {
        self.versions
            .iter()
            .map(|v| (&v.field_code, v.field.as_str()))
            .collect()
    }

    /// How many distinct procedures each level has among the versions of `hierarchy` (a code
    /// counts once per level it has there).
    pub fn count_by_level(&self, hierarchy: &HierarchyId) -> BTreeMap<ProcedureLevel, usize> {
        let mut seen: BTreeMap<ProcedureLevel, Vec<ProcedureCode>> = BTreeMap::new();
        for v in self.versions.iter().filter(|v| &v.hierarchy == hierarchy) {
            let codes = seen.entry(v.level).or_default();
            if codes.last() != Some(&v.code) {
                codes.push(v.code);
            }
        }
        seen.into_iter()
            .map(|(l, codes)| (l, codes.len()))
            .collect()
    }

    /// The line a version was read from.
    pub fn line_of(&self, code: &ProcedureCode, version: u32) -> Option<u64> {
        let at = self
            .versions
            .binary_search_by_key(&(*code, version), |v| (v.code, v.version))
            .ok()?;
        Some(self.lines[at])
    }

    /// Checks that `self` can replace `published`: every published version is still there,
    /// unchanged, except that an open `valid_to` may have been closed.
    pub fn ensure_extends(&self, published: &Catalogue) -> Result<(), CatalogueError> {
        for (old, old_line) in published.versions.iter().zip(&published.lines) {
            let (code, version) = (old.code, old.version);
            let Some(new) = self.get_version(&code, version) else {
                return Err(CatalogueError::new(
                    *old_line,
                    None,
                    CatalogueErrorKind::PublishedVersionRemoved { code, version },
                ));
            };
            let column = table::first_difference(old, new).or_else(|| {
                (old.valid_to.is_some() && old.valid_to != new.valid_to).then_some("valid_to")
            });
            if let Some(column) = column {
                return Err(CatalogueError::new(
                    self.line_of(&code, version).unwrap_or(0),
                    Some(column),
                    CatalogueErrorKind::PublishedVersionChanged {
                        code,
                        version,
                        published_line: *old_line,
                    },
                ));
            }
        }
        Ok(())
    }

    /// The lock text recording every version as published: a header, then
    /// `code,version,valid_to,fingerprint` lines (the fingerprint covers all but `valid_to`).
    pub fn lock(&self) -> String {
        let mut text = String::from("code,version,valid_to,fingerprint\n");
        for v in &self.versions {
            let valid_to = v.valid_to.map(|d| d.to_string()).unwrap_or_default();
            text.push_str(&format!(
                "{},{},{},{:016x}\n",
                v.code,
                v.version,
                valid_to,
                table::fingerprint(v)
            ));
        }
        text
    }

    /// Checks the catalogue against a lock text (see [`Catalogue::lock`]): every locked version
    /// is present with the same fingerprint, and a locked `valid_to` has not moved (an empty one
    /// may have been set). Versions not in the lock are new and pass.
    pub fn check_lock(&self, lock: &str) -> Result<(), CatalogueError> {
        for (n, entry) in lock.lines().enumerate().skip(1) {
            let lock_line = u64::try_from(n + 1).unwrap_or(u64::MAX);
            if entry.trim().is_empty() {
                continue;
            }
            let malformed =
                || CatalogueError::new(lock_line, None, CatalogueErrorKind::Lock(entry.to_owned()));
            let parts: Vec<&str> = entry.split(',').collect();
            let [code, version, valid_to, fingerprint] = parts[..] else {
                return Err(malformed());
            };
            let code: ProcedureCode = code.parse().map_err(|_| malformed())?;
            let version: u32 = version.parse().map_err(|_| malformed())?;
            let fingerprint = u64::from_str_radix(fingerprint, 16).map_err(|_| malformed())?;
            let Some(current) = self.get_version(&code, version) else {
                return Err(CatalogueError::new(
                    lock_line,
                    None,
                    CatalogueErrorKind::PublishedVersionRemoved { code, version },
                ));
            };
            let changed_column = if table::fingerprint(current) != fingerprint {
                Some(None)
            } else if !valid_to.is_empty()
                && current.valid_to.map(|d| d.to_string()).as_deref() != Some(valid_to)
            {
                Some(Some("valid_to"))
            } else {
                None
            };
            if let Some(column) = changed_column {
                return Err(CatalogueError::new(
                    self.line_of(&code, version).unwrap_or(0),
                    column,
                    CatalogueErrorKind::PublishedVersionChanged {
                        code,
                        version,
                        published_line: lock_line,
                    },
                ));
            }
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Catalogue {
    type Item = &'a ProcedureVersion;
    type IntoIter = std::slice::Iter<'a, ProcedureVersion>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

fn csv_error(e: csv::Error) -> CatalogueError {
    let line = e.position().map_or(1, csv::Position::line);
    CatalogueError::new(line, None, CatalogueErrorKind::Csv(e.to_string()))
}

/// The rules between rows. Returns the error on the earliest line.
fn check_rows(rows: &[(ProcedureVersion, u64)]) -> Result<(), CatalogueError> {
    let mut errors: Vec<CatalogueError> = Vec::new();

    let mut first: HashMap<(ProcedureCode, u32), usize> = HashMap::new();
    let mut field_names: HashMap<&FieldCode, (&str, u64)> = HashMap::new();
    for (i, (v, line)) in rows.iter().enumerate() {
        if let Some(&j) = first.get(&(v.code, v.version)) {
            let (earlier, first_line) = (&rows[j].0, rows[j].1);
            let column = table::first_difference(earlier, v)
                .or_else(|| (earlier.valid_to != v.valid_to).then_some("valid_to"));
            errors.push(match column {
                None => CatalogueError::new(
                    *line,
                    None,
                    CatalogueErrorKind::DuplicateRow { first_line },
                ),
                Some(column) => CatalogueError::new(
                    *line,
                    Some(column),
                    CatalogueErrorKind::PublishedVersionChanged {
                        code: v.code,
                        version: v.version,
                        published_line: first_line,
                    },
                ),
            });
        } else {
            first.insert((v.code, v.version), i);
        }
        let (name, first_line) = *field_names
            .entry(&v.field_code)
            .or_insert((v.field.as_str(), *line));
        if name != v.field {
            errors.push(CatalogueError::new(
                *line,
                Some("field"),
                CatalogueErrorKind::FieldNameConflict {
                    field_code: v.field_code.clone(),
                    first_name: name.to_owned(),
                    first_line,
                },
            ));
        }
    }

    // Pairs of distinct versions of one code (duplicates were reported above).
    let mut by_code: BTreeMap<ProcedureCode, Vec<usize>> = BTreeMap::new();
    for (&(code, _), &i) in &first {
        by_code.entry(code).or_default().push(i);
    }
    for indices in by_code.values_mut() {
        indices.sort_unstable();
    }
    for indices in by_code.values() {
        for (n, &a) in indices.iter().enumerate() {
            for &b in &indices[n + 1..] {
                let ((va, la), (vb, lb)) = (&rows[a], &rows[b]);
                // Report on the later line, naming the earlier one.
                let (later, later_line, other, other_line) = if la > lb {
                    (va, *la, vb, *lb)
                } else {
                    (vb, *lb, va, *la)
                };
                let order_ok = (later.version < other.version)
                    == (later.valid_from < other.valid_from)
                    && later.valid_from != other.valid_from;
                if !order_ok {
                    errors.push(CatalogueError::new(
                        later_line,
                        Some("version"),
                        CatalogueErrorKind::VersionOrder {
                            other_version: other.version,
                            other_line,
                        },
                    ));
                } else if later.hierarchy == other.hierarchy && overlaps(later, other) {
                    errors.push(CatalogueError::new(
                        later_line,
                        Some("valid_from"),
                        CatalogueErrorKind::Overlap {
                            other_version: other.version,
                            other_line,
                        },
                    ));
                }
            }
        }
    }

    match errors.into_iter().min_by_key(|e| e.line()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Whether two versions share a day.
fn overlaps(a: &ProcedureVersion, b: &ProcedureVersion) -> bool {
    let ends_after = |v: &ProcedureVersion, day: Date| v.valid_to.is_none_or(|to| to >= day);
    ends_after(a, b.valid_from) && ends_after(b, a.valid_from)
}
