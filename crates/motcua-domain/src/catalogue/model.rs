//! One procedure version and the small vocabularies it is made of.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::code::{CatalogueRef, FieldCode, ProcedureCode};
use crate::calendar::TimeLimit;
use crate::units::{HierarchyId, UnitLevel};

/// Why a word is not one of a vocabulary's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {input:?}")]
pub struct VocabularyError {
    /// The accepted values.
    pub expected: &'static str,
    /// The rejected text.
    pub input: String,
}

/// Implements `as_str`, `Display` and `FromStr` for a fieldless enum from one word table.
macro_rules! vocabulary {
    ($ty:ident, $expected:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word used in the catalogue file and in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = VocabularyError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(VocabularyError { expected: $expected, input: s.to_owned() }),
                }
            }
        }
    };
}

/// The level of government whose authority resolves the procedure (cấp thực hiện).
///
/// `District` exists only in the 3-level era (before 1 July 2025).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureLevel {
    /// Cấp xã: commune, ward, township, special zone.
    Commune,
    /// Cấp huyện (3-level era only).
    District,
    /// Cấp tỉnh: provincial departments, the provincial People's Committee, provincial police.
    Province,
    /// Cấp bộ: a ministry or a central department.
    Ministry,
}

/// A procedure level is the unit level of the same name; `Ministry` is no unit level.
impl PartialEq<UnitLevel> for ProcedureLevel {
    fn eq(&self, other: &UnitLevel) -> bool {
        matches!(
            (self, other),
            (ProcedureLevel::Commune, UnitLevel::Commune)
                | (ProcedureLevel::District, UnitLevel::District)
                | (ProcedureLevel::Province, UnitLevel::Province)
        )
    }
}

impl PartialEq<ProcedureLevel> for UnitLevel {
    fn eq(&self, other: &ProcedureLevel) -> bool {
        other == self
    }
}

vocabulary!(ProcedureLevel, "commune, district, province or ministry", {
    Commune => "commune",
    District => "district",
    Province => "province",
    Ministry => "ministry",
});

/// A submission channel (kênh thực hiện), with the national sync code `KenhThucHien`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Channel {
    /// Trực tiếp: at the desk (code 1).
    Direct = 1,
    /// Trực tuyến: through the National Public Service Portal (code 2).
    Online = 2,
    /// Dịch vụ bưu chính công ích: public postal service (code 3).
    Postal = 3,
}

vocabulary!(Channel, "direct, online or postal", {
    Direct => "direct",
    Online => "online",
    Postal => "postal",
});

impl Channel {
    /// The national `KenhThucHien` code: 1 direct, 2 online, 3 postal.
    pub fn national_code(self) -> u8 {
        self as u8
    }

    /// The channel of a national `KenhThucHien` code.
    pub fn from_national_code(code: u8) -> Option<Channel> {
        Channel::ALL
            .iter()
            .copied()
            .find(|c| c.national_code() == code)
    }
}

/// How a dossier of the procedure moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Resolved where it is received, within the working day (the 15:00 rule: received after
    /// 15:00, returned the next working day): certified copies, same-day civil status.
    /// The result may be handed over at once, without an appointment slip.
    /// Every offered channel's time limit, when known, is `same_day`.
    OnTheSpot,
    /// Receive at the desk → handle at the competent authority (appraise, approve, sign) →
    /// return at the desk. One competent authority.
    ThreeStep,
    /// Một cửa liên thông: several authorities (of one level or of several levels) handle the
    /// dossier in turn. When the source gives how the time limit is split between levels, the
    /// version carries a [`LiaisonRoute`].
    Liaison,
}

vocabulary!(Flow, "on_the_spot, three_step or liaison", {
    OnTheSpot => "on_the_spot",
    ThreeStep => "three_step",
    Liaison => "liaison",
});

/// The online service level (Decree 42/2022): fully online (toàn trình) or partly online
/// (một phần). The national procedure pages we copy do not say; unknown levels are `None` in
/// [`ProcedureVersion::online_level`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    /// No online service.
    #[serde(rename = "none")]
    NotOnline,
    /// Một phần: submission online, some step (e.g. returning the original) on paper.
    Partial,
    /// Toàn trình: every step online.
    Full,
}

vocabulary!(OnlineLevel, "none, partial or full", {
    NotOnline => "none",
    Partial => "partial",
    Full => "full",
});

impl OnlineLevel {
    /// The `MucDo` code of provincial systems: 2 not online, 3 partial, 4 full (DOMAIN.md §6).
    pub fn muc_do(self) -> u8 {
        match self {
            OnlineLevel::NotOnline => 2,
            OnlineLevel::Partial => 3,
            OnlineLevel::Full => 4,
        }
    }
}

/// Where a catalogue row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Copied from the national procedure database (a page named in `source`).
    NationalDb,
    /// Written by us to model an era the sources at hand do not cover; values are plausible,
    /// not authoritative, and `source` says what they rest on.
    Illustrative,
}

vocabulary!(Provenance, "national_db or illustrative", {
    NationalDb => "national_db",
    Illustrative => "illustrative",
});

/// One level of a liaison route with its share of the procedure's total time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LiaisonStep {
    /// The level that handles this part.
    pub level: ProcedureLevel,
    /// Its share of the total time limit, in percent (1–100).
    pub share_percent: u8,
}

/// The levels a liaison dossier passes, in order, with each level's share of the total time
/// limit; written `commune:30;district:70`. Empty (written as an empty cell) when there is no
/// route: no liaison, or a liaison whose source does not split the time between levels.
///
/// Only valid routes can be built: empty, or steps with shares of at least 1% summing to exactly
/// 100%.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<LiaisonStep>", into = "Vec<LiaisonStep>")]
pub struct LiaisonRoute(Vec<LiaisonStep>);

/// Why a route is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiaisonRouteError {
    /// Not `level:percent` steps separated by `;`.
    #[error(
        "a route is level:percent steps separated by ';' (e.g. commune:30;district:70), not {0:?}"
    )]
    Syntax(String),
    /// A step with a share of 0.
    #[error("every step needs a share of at least 1%")]
    ZeroShare,
    /// The shares do not add up to 100.
    #[error("the shares sum to {sum}%, not 100%")]
    ShareSum {
        /// The actual sum.
        sum: u32,
    },
}

impl LiaisonRoute {
    /// A route from its steps (none for no route).
    pub fn new(steps: Vec<LiaisonStep>) -> Result<LiaisonRoute, LiaisonRouteError> {
        if steps.is_empty() {
            return Ok(LiaisonRoute::default());
        }
        if steps.iter().any(|s| s.share_percent == 0) {
            return Err(LiaisonRouteError::ZeroShare);
        }
        let sum: u32 = steps.iter().map(|s| u32::from(s.share_percent)).sum();
        if sum != 100 {
            return Err(LiaisonRouteError::ShareSum { sum });
        }
        Ok(LiaisonRoute(steps))
    }

    /// The steps in order.
    pub fn steps(&self) -> &[LiaisonStep] {
        &self.0
    }

    /// The steps in order.
    pub fn iter(&self) -> std::slice::Iter<'_, LiaisonStep> {
        self.0.iter()
    }

    /// Whether there is no route.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The share of the first step at `level`.
    pub fn share_of(&self, level: ProcedureLevel) -> Option<u8> {
        self.iter()
            .find(|s| s.level == level)
            .map(|s| s.share_percent)
    }
}

impl<'a> IntoIterator for &'a LiaisonRoute {
    type Item = &'a LiaisonStep;
    type IntoIter = std::slice::Iter<'a, LiaisonStep>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromStr for LiaisonRoute {
    type Err = LiaisonRouteError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(LiaisonRoute::default());
        }
        let syntax = || LiaisonRouteError::Syntax(s.to_owned());
        let steps = s
            .split(';')
            .map(|step| {
                let (level, share) = step.split_once(':').ok_or_else(syntax)?;
                let level = level.trim().parse().map_err(|_| syntax())?;
                let share_percent = share.trim().parse().map_err(|_| syntax())?;
                Ok(LiaisonStep {
                    level,
                    share_percent,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        LiaisonRoute::new(steps)
    }
}

impl fmt::Display for LiaisonRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{}:{}", step.level, step.share_percent)?;
        }
        Ok(())
    }
}

impl TryFrom<Vec<LiaisonStep>> for LiaisonRoute {
    type Error = LiaisonRouteError;

    fn try_from(steps: Vec<LiaisonStep>) -> Result<Self, Self::Error> {
        LiaisonRoute::new(steps)
    }
}

impl From<LiaisonRoute> for Vec<LiaisonStep> {
    fn from(route: LiaisonRoute) -> Self {
        route.0
    }
}

/// What a procedure offers on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Offer {
    /// The statutory time limit on this channel; `None` when the source states none.
    pub time_limit: Option<TimeLimit>,
}

/// One version of one procedure: the rules a dossier received while it is in force is handled
/// under.
///
/// A published version never changes. A correction, a new time limit or a new agency is a new
/// version (a new row with the next version number and its own `valid_from`); the only edit
/// allowed to a published row is closing its open `valid_to` when a successor starts.
/// [`super::Catalogue::from_csv`] checks every rule below; a value built by hand is not checked
/// until it goes through [`ProcedureVersion::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureVersion {
    /// National procedure code.
    pub code: ProcedureCode,
    /// Version number, 1 for the first; increases with `valid_from`.
    pub version: u32,
    /// First day a dossier received that day is handled under this version.
    pub valid_from: Date,
    /// Last day, inclusive; `None` while the version is current.
    pub valid_to: Option<Date>,
    /// The unit list (and so the legal era) the levels refer to, e.g. `2level-2025-07`.
    pub hierarchy: HierarchyId,
    /// Official name (tên thủ tục).
    pub name: String,
    /// Field (lĩnh vực) as named by the source.
    pub field: String,
    /// Our stable code for the field.
    pub field_code: FieldCode,
    /// Level whose authority resolves it.
    pub level: ProcedureLevel,
    /// The competent or handling agency, as the source words it.
    pub handling_agency_kind: String,
    /// Direct submission, if offered.
    pub direct: Option<Offer>,
    /// Online submission, if offered.
    pub online: Option<Offer>,
    /// Postal submission, if offered.
    pub postal: Option<Offer>,
    /// Whether the time limits are as the source states them, unit included.
    /// `false` when the unit (or the value) is our reading, e.g. a bare `1` read as `same_day`.
    pub time_verified: bool,
    /// What the source says about the time limit (Vietnamese).
    pub time_note: String,
    /// Fee in đồng when the source states a single figure.
    pub fee_vnd: Option<u64>,
    /// Everything else about fees (Vietnamese).
    pub fee_note: String,
    /// How dossiers move.
    pub flow: Flow,
    /// Levels of a liaison and their shares of the time limit; empty when none is known.
    pub liaison_route: LiaisonRoute,
    /// Online service level; `None` when unknown (the national pages we copy lack it).
    pub online_level: Option<OnlineLevel>,
    /// Copied from the national database, or illustrative.
    pub provenance: Provenance,
    /// The source id (see `procedures-2025-sources.md`) or, for illustrative rows, what the
    /// values rest on.
    pub source: String,
}

impl ProcedureVersion {
    /// The reference a dossier pins at receipt.
    pub fn reference(&self) -> CatalogueRef {
        CatalogueRef {
            code: self.code,
            version: self.version,
        }
    }

    /// What the procedure offers on `channel`, if it is offered there.
    pub fn offer(&self, channel: Channel) -> Option<&Offer> {
        match channel {
            Channel::Direct => self.direct.as_ref(),
            Channel::Online => self.online.as_ref(),
            Channel::Postal => self.postal.as_ref(),
        }
    }

    /// Whether the procedure can be submitted on `channel`.
    pub fn offers(&self, channel: Channel) -> bool {
        self.offer(channel).is_some()
    }

    /// The channels offered, in national-code order.
    pub fn channels(&self) -> impl Iterator<Item = Channel> + '_ {
        Channel::ALL.iter().copied().filter(|c| self.offers(*c))
    }

    /// The time limit on `channel`: `None` when the channel is not offered or the source gives
    /// no limit (tell the two apart with [`ProcedureVersion::offers`]).
    pub fn time_limit(&self, channel: Channel) -> Option<TimeLimit> {
        self.offer(channel)?.time_limit
    }

    /// Whether a dossier received on `day` falls under this version.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// The catalogue column holding a channel's time limit.
pub(crate) fn time_column(channel: Channel) -> &'static str {
    match channel {
        Channel::Direct => "time_direct",
        Channel::Online => "time_online",
        Channel::Postal => "time_postal",
    }
}
