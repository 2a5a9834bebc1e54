//! Identifiers of the catalogue: procedure codes, field codes and the pinned reference.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A national procedure code (mã TTHC), the short form `d.dddddd`: one digit, a dot, six digits.
///
/// Examples: `1.001193` birth registration, `2.000815` certified copy from an original.
/// The meaning of the leading digit is not documented in the sources at hand (DOMAIN.md §12.4),
/// so it is kept but not interpreted.
/// Provincial long forms (`2.000815.000.00.00.H55`) are not procedure codes and are rejected.
///
/// Only valid codes can be built; the value is stored packed, so the type is `Copy` and orders
/// like the string form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProcedureCode(u32);

/// Why a text is not a procedure code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a procedure code is one digit, a dot and six digits (d.dddddd), not {input:?}")]
pub struct ProcedureCodeError {
    /// The rejected text.
    pub input: String,
}

impl ProcedureCode {
    /// The leading digit (1, 2 or 3 in the national database).
    pub fn group(self) -> u8 {
        u8::try_from(self.0 / 1_000_000).expect("the leading part is a single digit")
    }

    /// The six digits after the dot.
    pub fn number(self) -> u32 {
        self.0 % 1_000_000
    }
}

impl FromStr for ProcedureCode {
    type Err = ProcedureCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 8
            && bytes[1] == b'.'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 1 || b.is_ascii_digit());
        if !well_formed {
            return Err(ProcedureCodeError {
                input: s.to_owned(),
            });
        }
        let value = bytes
            .iter()
            .filter(|b| b.is_ascii_digit())
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
        Ok(ProcedureCode(value))
    }
}

impl fmt::Display for ProcedureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}", self.group(), self.number())
    }
}

impl fmt::Debug for ProcedureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProcedureCode({self})")
    }
}

impl TryFrom<String> for ProcedureCode {
    type Error = ProcedureCodeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ProcedureCode> for String {
    fn from(code: ProcedureCode) -> String {
        code.to_string()
    }
}

/// A short, stable code for a field (lĩnh vực) that we derive from the field's name, e.g.
/// `HO_TICH` (hộ tịch), `CHUNG_THUC` (chứng thực), `DAT_DAI` (đất đai).
///
/// Upper-case ASCII letters, digits and `_`, starting with a letter, at most 40 characters.
/// These are ours, not the national field codes (such as `G03-GD10`), which the source lacks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldCode(String);

/// Why a text is not a field code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a field code is A-Z, 0-9 and _, starting with a letter, at most 40 characters, not {input:?}"
)]
pub struct FieldCodeError {
    /// The rejected text.
    pub input: String,
}

impl FieldCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for FieldCode {
    type Err = FieldCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_uppercase())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(FieldCode(s.to_owned()))
        } else {
            Err(FieldCodeError {
                input: s.to_owned(),
            })
        }
    }
}

impl fmt::Display for FieldCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FieldCode {
    type Error = FieldCodeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<FieldCode> for String {
    fn from(code: FieldCode) -> String {
        code.0
    }
}

/// The procedure version a dossier is handled under, pinned at receipt and kept for the
/// dossier's whole life, so a later catalogue change never rewrites its rules.
///
/// Displayed as `1.001193@2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CatalogueRef {
    /// The procedure.
    pub code: ProcedureCode,
    /// The version number of that procedure (1, 2, …).
    pub version: u32,
}

impl fmt::Display for CatalogueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.code, self.version)
    }
}
