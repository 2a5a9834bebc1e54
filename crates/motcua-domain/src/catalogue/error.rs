//! Errors of reading and checking a catalogue: where (line, column) and what (a matchable kind).

use std::fmt;

use super::code::{FieldCode, FieldCodeError, ProcedureCode, ProcedureCodeError};
use super::model::LiaisonRouteError;
use super::rules::VersionRuleError;

/// A catalogue text that cannot be accepted: the line (1-based, the header is line 1), the
/// column when one is at fault, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    line: u64,
    column: Option<&'static str>,
    kind: CatalogueErrorKind,
}

/// What is wrong with a catalogue text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueErrorKind {
    /// Not well-formed CSV (unbalanced quotes, a row with the wrong number of fields).
    #[error("malformed CSV: {0}")]
    Csv(String),
    /// The header lacks a column.
    #[error("the header lacks this column")]
    MissingColumn,
    /// The header has a column the catalogue does not know (a typo would otherwise be ignored).
    #[error("unknown column {0:?}")]
    UnknownColumn(String),
    /// A required value is empty.
    #[error("a value is required")]
    Empty,
    /// Not a procedure code.
    #[error(transparent)]
    Code(#[from] ProcedureCodeError),
    /// Not a field code.
    #[error(transparent)]
    FieldCode(#[from] FieldCodeError),
    /// A value that does not parse as the column's type.
    #[error("expected {expected}, got {input:?}")]
    Value {
        /// What the column holds.
        expected: &'static str,
        /// The rejected text.
        input: String,
    },
    /// A liaison route that is malformed or whose shares do not sum to 100.
    #[error(transparent)]
    Route(#[from] LiaisonRouteError),
    /// A rule about a single version.
    #[error(transparent)]
    Rule(#[from] VersionRuleError),
    /// Two versions of one code in one hierarchy are in force on a common day.
    #[error(
        "the validity overlaps version {other_version} (line {other_line}) in the same hierarchy"
    )]
    Overlap {
        /// The other version.
        other_version: u32,
        /// Its line.
        other_line: u64,
    },
    /// Version numbers do not increase with `valid_from`.
    #[error(
        "version numbers must increase with valid_from; version {other_version} (line {other_line}) disagrees"
    )]
    VersionOrder {
        /// The other version.
        other_version: u32,
        /// Its line.
        other_line: u64,
    },
    /// The same version appears twice with the same content.
    #[error("this version already appears on line {first_line}")]
    DuplicateRow {
        /// Where it first appears.
        first_line: u64,
    },
    /// A published version was edited instead of adding a new version. The error's column is
    /// the first column that differs.
    #[error(
        "version {version} of {code} is published (line {published_line}) and cannot change; add a new version instead"
    )]
    PublishedVersionChanged {
        /// The procedure.
        code: ProcedureCode,
        /// The version.
        version: u32,
        /// Its line in the published text.
        published_line: u64,
    },
    /// A published version is missing. The error's line is the line it had in the published text.
    #[error("version {version} of {code} is published and cannot be removed")]
    PublishedVersionRemoved {
        /// The procedure.
        code: ProcedureCode,
        /// The version.
        version: u32,
    },
    /// One field code used with two field names.
    #[error("field code {field_code} is named {first_name:?} on line {first_line}")]
    FieldNameConflict {
        /// The field code.
        field_code: FieldCode,
        /// The name it had first.
        first_name: String,
        /// Where.
        first_line: u64,
    },
    /// A lock line that is not `code,version,valid_to,fingerprint`.
    #[error("malformed lock line: {0:?}")]
    Lock(String),
}

impl CatalogueError {
    pub(crate) fn new(
        line: u64,
        column: Option<&'static str>,
        kind: impl Into<CatalogueErrorKind>,
    ) -> CatalogueError {
        CatalogueError {
            line,
            column,
            kind: kind.into(),
        }
    }

    /// The 1-based line of the text (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The column at fault, when one is.
    pub fn column(&self) -> Option<&'static str> {
        self.column
    }

    /// What is wrong.
    pub fn kind(&self) -> &CatalogueErrorKind {
        &self.kind
    }
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "procedure catalogue, line {}", self.line)?;
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for CatalogueError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.kind)
    }
}
