//! Subjects and stream names.
//!
//! One subject per dossier, province first: `motcua.dossier.<province>.<uuid>`. The event type is
//! never in the subject (it is in the headers and the payload), so that a dossier's subject is
//! the unit of optimistic concurrency. One stream per province (`MOTCUA_DOSSIERS_<province>`,
//! see `docs/adr/0003-stream-per-province.md`).

use std::fmt;
use std::str::FromStr;

use motcua_domain::units::{AgencyId, UnitCode, UnitLevel};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The prefix of every dossier subject.
pub const DOSSIER_PREFIX: &str = "motcua.dossier";

/// Identifies a dossier on the bus: its province (which stream holds it) and its id.
/// Printed as `79-0193b3c6-…`, which is also the CloudEvents `subject`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierKey {
    province: UnitCode,
    id: Uuid,
}

/// Why a text is not a dossier key or subject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not `<province>-<uuid>`.
    #[error(
        "dossier key {0:?} must look like <2-digit province>-<uuid>, e.g. 79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab"
    )]
    Shape(String),
    /// Not a dossier subject.
    #[error("{0:?} is not a dossier subject (motcua.dossier.<province>.<uuid>)")]
    Subject(String),
}

impl DossierKey {
    /// A key for a dossier of `province` (a 2-digit code).
    pub fn new(province: UnitCode, id: Uuid) -> Result<DossierKey, KeyError> {
        if province.level() != UnitLevel::Province {
            return Err(KeyError::Shape(format!("{province}-{id}")));
        }
        Ok(DossierKey { province, id })
    }

    /// A fresh key (UUID v7, time-ordered) for a new dossier of `province`.
    pub fn generate(province: UnitCode) -> Result<DossierKey, KeyError> {
        DossierKey::new(province, Uuid::now_v7())
    }

    /// The province.
    pub fn province(&self) -> &UnitCode {
        &self.province
    }

    /// The dossier id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The dossier's subject.
    pub fn subject(&self) -> String {
        format!("{DOSSIER_PREFIX}.{}.{}", self.province, self.id)
    }

    /// Parses a dossier subject back into its key.
    pub fn from_subject(subject: &str) -> Result<DossierKey, KeyError> {
        let bad = || KeyError::Subject(subject.to_owned());
        let rest = subject
            .strip_prefix(DOSSIER_PREFIX)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or_else(bad)?;
        let (province, id) = rest.split_once('.').ok_or_else(bad)?;
        let province: UnitCode = province.parse().map_err(|_| bad())?;
        let id: Uuid = id.parse().map_err(|_| bad())?;
        DossierKey::new(province, id).map_err(|_| bad())
    }
}

impl fmt::Display for DossierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.province, self.id)
    }
}

impl FromStr for DossierKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || KeyError::Shape(s.to_owned());
        let (province, id) = s.split_once('-').ok_or_else(bad)?;
        let province: UnitCode = province.parse().map_err(|_| bad())?;
        let id: Uuid = id.parse().map_err(|_| bad())?;
        DossierKey::new(province, id).map_err(|_| bad())
    }
}

impl TryFrom<String> for DossierKey {
    type Error = KeyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DossierKey> for String {
    fn from(k: DossierKey) -> String {
        k.to_string()
    }
}

/// The stream holding a province's dossiers.
pub fn dossier_stream(province: &UnitCode) -> String {
    format!("MOTCUA_DOSSIERS_{province}")
}

/// The subjects of a province's dossier stream; also the filter of a province shard.
pub fn province_filter(province: &UnitCode) -> String {
    format!("{DOSSIER_PREFIX}.{province}.*")
}

/// The stream of dossier-code counters.
pub const CODE_STREAM: &str = "MOTCUA_CODES";

/// The counter subject of an office's day: `motcua.code.<agency with dots as _>.<YYMMDD>`.
/// Agency ids hold only `[0-9A-Z.]`, so the mapping of `.` to `_` is reversible.
pub fn code_subject(agency: &AgencyId, date: jiff::civil::Date) -> String {
    format!(
        "motcua.code.{}.{:02}{:02}{:02}",
        agency.as_str().replace('.', "_"),
        date.year() % 100,
        date.month(),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_subjects_round_trip() {
        let key = DossierKey::generate("79".parse().unwrap()).unwrap();
        let text = key.to_string();
        assert!(text.starts_with("79-"));
        assert_eq!(text.parse::<DossierKey>().unwrap(), key);
        assert_eq!(DossierKey::from_subject(&key.subject()).unwrap(), key);
        assert!(key.subject().starts_with("motcua.dossier.79."));
    }

    #[test]
    fn bad_keys_are_refused() {
        for bad in [
            "",
            "79",
            "79-",
            "7-0193b3c6-5a4e-7c2d-9e8f-0123456789ab",
            "760-0193b3c6-5a4e-7c2d-9e8f-0123456789ab",
            "79-xyz",
        ] {
            assert!(bad.parse::<DossierKey>().is_err(), "{bad:?}");
        }
        for bad in [
            "motcua.dossier.79",
            "motcua.other.79.x",
            "motcua.dossier.79.nope",
        ] {
            assert!(DossierKey::from_subject(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn code_subjects_are_single_tokens_per_part() {
        let a: AgencyId = "000.00.14.H56".parse().unwrap();
        assert_eq!(
            code_subject(&a, jiff::civil::date(2026, 1, 5)),
            "motcua.code.000_00_14_H56.260105"
        );
    }
}
