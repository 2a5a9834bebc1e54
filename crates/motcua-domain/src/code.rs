//! The dossier code (mã hồ sơ) printed on the receipt slip: `<agency-id>-<YYMMDD>-<NNNN>`.
//!
//! The code joins the electronic identifier of the receiving office, the receipt date and the
//! office's sequence number for that day (Decree 118/2025 Art. 28; the shape in practice is
//! `000.00.14.H56-200203-0118`).
//! Sequence numbers are allocated at the edge (through the event log, so that two nodes can never
//! hand out the same number); this module only builds, prints and parses codes.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::units::AgencyId;

/// A valid dossier code. Printing always pads the sequence to at least 4 digits; parsing accepts
/// more digits, since a busy office can pass 9,999 dossiers in a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierCode {
    agency: AgencyId,
    date: Date,
    seq: u32,
}

/// Why a text is not a dossier code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not three parts separated by `-`.
    #[error(
        "dossier code {0:?} must look like <agency-id>-<YYMMDD>-<NNNN>, e.g. 000.00.14.H56-200203-0118"
    )]
    Shape(String),
    /// The first part is not an agency identifier.
    #[error("dossier code {code:?}: {reason}")]
    Agency {
        /// The text parsed.
        code: String,
        /// Why the agency part is invalid.
        reason: String,
    },
    /// The date part is not a real YYMMDD date.
    #[error("dossier code {0:?}: the date part is not a valid YYMMDD date")]
    Date(String),
    /// The sequence is not 4 or more digits, or is zero.
    #[error("dossier code {0:?}: the sequence must be 4 or more digits and not 0")]
    Sequence(String),
}

impl DossierCode {
    /// Builds a code; `seq` starts at 1 each day.
    pub fn new(agency: AgencyId, date: Date, seq: u32) -> Result<DossierCode, CodeError> {
        if seq == 0 {
            return Err(CodeError::Sequence(format!("{agency}-…-0000")));
        }
        if !(2000..=2099).contains(&date.year()) {
            return Err(CodeError::Date(format!("{agency}-{date}")));
        }
        Ok(DossierCode { agency, date, seq })
    }

    /// The receiving office.
    pub fn agency(&self) -> &AgencyId {
        &self.agency
    }

    /// The receipt date.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The office's sequence number on that day.
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:02}{:02}{:02}-{:04}",
            self.agency,
            self.date.year() % 100,
            self.date.month(),
            self.date.day(),
            self.seq
        )
    }
}

impl FromStr for DossierCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.rsplitn(3, '-');
        let (Some(seq), Some(date), Some(agency)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CodeError::Shape(s.to_owned()));
        };
        let agency: AgencyId =
            agency
                .parse()
                .map_err(|e: crate::units::AgencyError| CodeError::Agency {
                    code: s.to_owned(),
                    reason: e.to_string(),
                })?;
        if date.len() != 6 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Date(s.to_owned()));
        }
        let num = |r: std::ops::Range<usize>| date[r].parse::<i8>().unwrap_or(0);
        let date = jiff::civil::Date::new(2000 + i16::from(num(0..2)), num(2..4), num(4..6))
            .map_err(|_| CodeError::Date(s.to_owned()))?;
        if seq.len() < 4 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Sequence(s.to_owned()));
        }
        let seq: u32 = seq.parse().map_err(|_| CodeError::Sequence(s.to_owned()))?;
        DossierCode::new(agency, date, seq).map_err(|_| CodeError::Sequence(s.to_owned()))
    }
}

impl TryFrom<String> for DossierCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DossierCode> for String {
    fn from(c: DossierCode) -> String {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_codes_round_trip() {
        for code in [
            "000.00.14.H56-200203-0118",
            "000.17.22.H56-210531-0001",
            "000.00.01.H29-240115-0001",
            "38.98.H29-210519-0013",
            "MC.26734-251124-12345",
        ] {
            let parsed: DossierCode = code.parse().unwrap();
            assert_eq!(parsed.to_string(), code);
        }
        let c: DossierCode = "000.00.14.H56-200203-0118".parse().unwrap();
        assert_eq!(c.date(), jiff::civil::date(2020, 2, 3));
        assert_eq!(c.seq(), 118);
        assert_eq!(c.agency().as_str(), "000.00.14.H56");
    }

    #[test]
    fn new_pads_to_four_digits() {
        let a: AgencyId = "000.00.14.H56".parse().unwrap();
        let c = DossierCode::new(a, jiff::civil::date(2026, 1, 5), 7).unwrap();
        assert_eq!(c.to_string(), "000.00.14.H56-260105-0007");
    }

    #[test]
    fn invalid_codes_say_why() {
        let cases = [
            ("", "must look like"),
            ("000.00.14.H56", "must look like"),
            ("000.00.14.H56-200203", "must look like"),
            ("x-200203-0001", "invalid agency id"),
            ("000.00.14.H56-201332-0001", "date"),
            ("000.00.14.H56-20020-0001", "date"),
            ("000.00.14.H56-200230-0001", "date"),
            ("000.00.14.H56-200203-001", "sequence"),
            ("000.00.14.H56-200203-0000", "sequence"),
            ("000.00.14.H56-200203-00a1", "sequence"),
            ("000.00.14.H56-200203-99999999999", "sequence"),
        ];
        for (text, needle) in cases {
            let err = text.parse::<DossierCode>().unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
