//! Administrative units and the offices attached to them.
//!
//! Levels are data: a [`UnitGraph`] is one official list (a hierarchy with its validity dates), and
//! the depth of the tree comes from the file, not from the code.
//! The 3-level list of March 2025 (province → district → commune) and the 2-level list in force
//! from 1 July 2025 (province → commune) load side by side, because commune codes are reused
//! across the two lists and old dossiers keep the codes of their time.
//!
//! Offices (one-stop desks, People's Committees, departments, vertical agencies) are attached to
//! units in an [`AgencyDirectory`].

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The rank of a unit in a hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    /// Tỉnh / thành phố trực thuộc trung ương (2-digit code).
    Province,
    /// Quận, huyện, thị xã, thành phố thuộc tỉnh (3-digit code); absent from the 2-level list.
    District,
    /// Xã, phường, thị trấn, đặc khu (5-digit code).
    Commune,
}

impl UnitLevel {
    /// The number of digits of a code at this level.
    pub fn code_len(self) -> usize {
        match self {
            UnitLevel::Province => 2,
            UnitLevel::District => 3,
            UnitLevel::Commune => 5,
        }
    }

    /// The name used in data files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::Province => "province",
            UnitLevel::District => "district",
            UnitLevel::Commune => "commune",
        }
    }
}

impl FromStr for UnitLevel {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "province" => Ok(UnitLevel::Province),
            "district" => Ok(UnitLevel::District),
            "commune" => Ok(UnitLevel::Commune),
            other => Err(UnitError::UnknownLevel(other.to_owned())),
        }
    }
}

impl fmt::Display for UnitLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An official unit code: 2 digits (province), 3 (district) or 5 (commune).
///
/// A code alone does not say which list it belongs to; pair it with a [`HierarchyId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    /// The code as written in the official list.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level a code of this length denotes.
    pub fn level(&self) -> UnitLevel {
        match self.0.len() {
            2 => UnitLevel::Province,
            3 => UnitLevel::District,
            _ => UnitLevel::Commune,
        }
    }
}

impl FromStr for UnitCode {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = matches!(s.len(), 2 | 3 | 5) && s.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(UnitCode(s.to_owned()))
        } else {
            Err(UnitError::InvalidCode(s.to_owned()))
        }
    }
}

impl TryFrom<String> for UnitCode {
    type Error = UnitError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> String {
        c.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names one official list of units, e.g. `3level-2025-03` or `2level-2025-07`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HierarchyId(pub String);

impl HierarchyId {
    /// The 3-level list of the statistics office, as of 1 March 2025.
    pub const THREE_LEVEL_2025_03: &'static str = "3level-2025-03";
    /// The 2-level list in force from 1 July 2025 (Decision 19/2025/QĐ-TTg).
    pub const TWO_LEVEL_2025_07: &'static str = "2level-2025-07";

    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HierarchyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One administrative unit of one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Official code.
    pub code: UnitCode,
    /// Official name, NFC-normalised Vietnamese.
    pub name: String,
    /// Official type as named in the list (Tỉnh, Quận, Phường, Đặc khu …).
    pub kind: String,
    /// Rank in the hierarchy.
    pub level: UnitLevel,
    /// The unit above, `None` for a province.
    pub parent: Option<UnitCode>,
}

/// Errors in unit codes and unit lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// A code that is not 2, 3 or 5 digits.
    #[error("invalid unit code {0:?}: expected 2 (province), 3 (district) or 5 (commune) digits")]
    InvalidCode(String),
    /// A level name that is not province, district or commune.
    #[error("unknown unit level {0:?}: expected province, district or commune")]
    UnknownLevel(String),
    /// A malformed line of a unit list.
    #[error("unit list line {line}: {reason}")]
    BadLine {
        /// 1-based line number in the file, header included.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A code not present in the list.
    #[error("unit {code} is not in the list {hierarchy}")]
    UnknownUnit {
        /// The code looked up.
        code: String,
        /// The list it was looked up in.
        hierarchy: String,
    },
}

/// One official list of administrative units: a tree with validity dates.
#[derive(Debug, Clone)]
pub struct UnitGraph {
    id: HierarchyId,
    valid_from: Date,
    valid_to: Option<Date>,
    units: Vec<Unit>,
    by_code: HashMap<UnitCode, usize>,
    children: Vec<Vec<usize>>,
}

#[derive(Debug, Deserialize)]
struct UnitRow {
    level: String,
    code: String,
    name: String,
    kind: String,
    parent_code: String,
}

impl UnitGraph {
    /// Parses a list in the official CSV shape (`level,code,name,kind,parent_code`).
    ///
    /// Checks that codes are unique, that every parent exists and sits one level above in the
    /// list's own order of levels, and that a code's length matches its level.
    pub fn from_csv(
        id: HierarchyId,
        valid_from: Date,
        valid_to: Option<Date>,
        text: &str,
    ) -> Result<UnitGraph, UnitError> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut units: Vec<Unit> = Vec::new();
        let mut by_code = HashMap::new();
        for record in reader.deserialize::<UnitRow>() {
            let line_no = units.len() as u64 + 2;
            let bad = |reason: String| UnitError::BadLine {
                line: line_no,
                reason,
            };
            let row = record.map_err(|e| bad(e.to_string()))?;
            let level: UnitLevel = row
                .level
                .parse()
                .map_err(|e: UnitError| bad(e.to_string()))?;
            let code: UnitCode = row
                .code
                .parse()
                .map_err(|e: UnitError| bad(e.to_string()))?;
            if code.as_str().len() != level.code_len() {
                return Err(bad(format!(
                    "code {code} does not have the length of a {level}"
                )));
            }
            let parent = if row.parent_code.is_empty() {
                None
            } else {
                Some(
                    row.parent_code
                        .parse::<UnitCode>()
                        .map_err(|e| bad(e.to_string()))?,
                )
            };
            if by_code.insert(code.clone(), units.len()).is_some() {
                return Err(bad(format!("duplicate code {code}")));
            }
            if row.name.trim().is_empty() {
                return Err(bad(format!("unit {code} has no name")));
            }
            units.push(Unit {
                code,
                name: row.name,
                kind: row.kind,
                level,
                parent,
            });
        }
        let mut children = vec![Vec::new(); units.len()];
        for (i, unit) in units.iter().enumerate() {
            match &unit.parent {
                None if unit.level != UnitLevel::Province => {
                    return Err(UnitError::BadLine {
                        line: i as u64 + 2,
                        reason: format!("{} {} has no parent", unit.level, unit.code),
                    });
                }
                None => {}
                Some(p) => {
                    let Some(&pi) = by_code.get(p) else {
                        return Err(UnitError::BadLine {
                            line: i as u64 + 2,
                            reason: format!("parent {p} of {} is not in the list", unit.code),
                        });
                    };
                    if units[pi].level >= unit.level {
                        return Err(UnitError::BadLine {
                            line: i as u64 + 2,
                            reason: format!("parent {p} of {} is not above it", unit.code),
                        });
                    }
                    children[pi].push(i);
                }
            }
        }
        Ok(UnitGraph {
            id,
            valid_from,
            valid_to,
            units,
            by_code,
            children,
        })
    }

    /// The 3-level list as of March 2025 (63 provinces, 696 districts, 10,047 communes), valid
    /// until the reform of 1 July 2025.
    pub fn three_level_2025_03() -> UnitGraph {
        UnitGraph::from_csv(
            HierarchyId(HierarchyId::THREE_LEVEL_2025_03.to_owned()),
            jiff::civil::date(2025, 3, 1),
            Some(jiff::civil::date(2025, 6, 30)),
            include_str!("../data/units-3level-2025-03.csv"),
        )
        .expect("the embedded 3-level unit list is valid (checked by tests)")
    }

    /// The 2-level list in force from 1 July 2025 (34 provinces, 3,321 communes).
    pub fn two_level_2025_07() -> UnitGraph {
        UnitGraph::from_csv(
            HierarchyId(HierarchyId::TWO_LEVEL_2025_07.to_owned()),
            jiff::civil::date(2025, 7, 1),
            None,
            include_str!("../data/units-2level-2025-07.csv"),
        )
        .expect("the embedded 2-level unit list is valid (checked by tests)")
    }

    /// Which list this is.
    pub fn id(&self) -> &HierarchyId {
        &self.id
    }

    /// First day the list is in force.
    pub fn valid_from(&self) -> Date {
        self.valid_from
    }

    /// Last day the list is in force, if it has been replaced.
    pub fn valid_to(&self) -> Option<Date> {
        self.valid_to
    }

    /// Whether the list is in force on `day`.
    pub fn in_force_on(&self, day: Date) -> bool {
        day >= self.valid_from && self.valid_to.is_none_or(|to| day <= to)
    }

    /// The unit with this code.
    pub fn get(&self, code: &UnitCode) -> Option<&Unit> {
        self.by_code.get(code).map(|&i| &self.units[i])
    }

    /// The unit with this code, or an error naming the list.
    pub fn require(&self, code: &UnitCode) -> Result<&Unit, UnitError> {
        self.get(code).ok_or_else(|| UnitError::UnknownUnit {
            code: code.to_string(),
            hierarchy: self.id.to_string(),
        })
    }

    /// The parent of a unit (`None` for a province or an unknown code).
    pub fn parent(&self, code: &UnitCode) -> Option<&Unit> {
        self.get(code)?.parent.as_ref().and_then(|p| self.get(p))
    }

    /// The units directly below a unit, in list order.
    pub fn children(&self, code: &UnitCode) -> impl Iterator<Item = &Unit> {
        let idx = self.by_code.get(code).copied();
        idx.into_iter()
            .flat_map(move |i| self.children[i].iter().map(move |&c| &self.units[c]))
    }

    /// The units above a unit, nearest first, ending with its province.
    pub fn ancestors(&self, code: &UnitCode) -> Vec<&Unit> {
        let mut out = Vec::new();
        let mut cur = self.parent(code);
        while let Some(u) = cur {
            out.push(u);
            cur = self.parent(&u.code);
        }
        out
    }

    /// The province a unit belongs to (itself for a province).
    pub fn province_of(&self, code: &UnitCode) -> Option<&Unit> {
        let unit = self.get(code)?;
        Some(self.ancestors(code).last().copied().unwrap_or(unit))
    }

    /// Every unit below `code`, depth first (not including `code`).
    pub fn descendants(&self, code: &UnitCode) -> Vec<&Unit> {
        let mut out = Vec::new();
        let mut stack: Vec<&Unit> = self.children(code).collect();
        stack.reverse();
        while let Some(u) = stack.pop() {
            out.push(u);
            let mut kids: Vec<&Unit> = self.children(&u.code).collect();
            kids.reverse();
            stack.extend(kids);
        }
        out
    }

    /// All units in list order.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// The levels present in this list, top first: the list's own depth.
    pub fn levels(&self) -> Vec<UnitLevel> {
        let mut levels: Vec<UnitLevel> = self.units.iter().map(|u| u.level).collect();
        levels.sort();
        levels.dedup();
        levels
    }

    /// The number of units at a level.
    pub fn count(&self, level: UnitLevel) -> usize {
        self.units.iter().filter(|u| u.level == level).count()
    }

    /// The units at a level, in list order.
    pub fn at_level(&self, level: UnitLevel) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(move |u| u.level == level)
    }
}

/// The official lists a deployment knows, each with its validity dates.
#[derive(Debug, Clone)]
pub struct UnitRegistry {
    graphs: Vec<UnitGraph>,
}

impl UnitRegistry {
    /// Both shipped lists: 3-level (until 30/06/2025) and 2-level (from 01/07/2025).
    pub fn official() -> UnitRegistry {
        UnitRegistry {
            graphs: vec![
                UnitGraph::three_level_2025_03(),
                UnitGraph::two_level_2025_07(),
            ],
        }
    }

    /// A registry of the given lists.
    pub fn new(graphs: Vec<UnitGraph>) -> UnitRegistry {
        UnitRegistry { graphs }
    }

    /// The list with this id.
    pub fn graph(&self, id: &str) -> Option<&UnitGraph> {
        self.graphs.iter().find(|g| g.id.as_str() == id)
    }

    /// The list in force on `day` (the newest one when several overlap).
    pub fn in_force_on(&self, day: Date) -> Option<&UnitGraph> {
        self.graphs.iter().rev().find(|g| g.in_force_on(day))
    }

    /// All lists, oldest first.
    pub fn graphs(&self) -> &[UnitGraph] {
        &self.graphs
    }
}

/// The electronic identifier of an office (mã định danh điện tử, Decision 20/2020/QĐ-TTg), the
/// first segment of a dossier code: upper-case letters, digits and dots, 5 to 20 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyId(String);

impl AgencyId {
    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The derived identifier of a unit's one-stop desk (`MC.<unit code>`), used where the
    /// province has not configured the official one.
    pub fn desk_of(unit: &UnitCode) -> AgencyId {
        AgencyId(format!("MC.{unit}"))
    }

    /// The derived identifier of a unit's People's Committee (`UB.<unit code>`).
    pub fn committee_of(unit: &UnitCode) -> AgencyId {
        AgencyId(format!("UB.{unit}"))
    }
}

impl FromStr for AgencyId {
    type Err = AgencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (5..=20).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.')
            && !s.starts_with('.')
            && !s.ends_with('.');
        if ok {
            Ok(AgencyId(s.to_owned()))
        } else {
            Err(AgencyError::InvalidId(s.to_owned()))
        }
    }
}

impl TryFrom<String> for AgencyId {
    type Error = AgencyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AgencyId> for String {
    fn from(a: AgencyId) -> String {
        a.0
    }
}

impl fmt::Display for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an office is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// Bộ phận Một cửa / Trung tâm Phục vụ hành chính công: receives and returns.
    OneStopDesk,
    /// Ủy ban nhân dân of the unit.
    PeoplesCommittee,
    /// A provincial department (Sở) or a district office (Phòng).
    Department,
    /// A branch of a vertical agency (police, tax, social insurance, land registry).
    VerticalAgency,
}

impl AgencyKind {
    fn parse(s: &str) -> Option<AgencyKind> {
        Some(match s {
            "one_stop_desk" => AgencyKind::OneStopDesk,
            "peoples_committee" => AgencyKind::PeoplesCommittee,
            "department" => AgencyKind::Department,
            "vertical_agency" => AgencyKind::VerticalAgency,
            _ => return None,
        })
    }
}

/// An office attached to an administrative unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Electronic identifier.
    pub id: AgencyId,
    /// Official name.
    pub name: String,
    /// What it is.
    pub kind: AgencyKind,
    /// The unit it serves, in `hierarchy`.
    pub unit: UnitCode,
    /// The list `unit` belongs to.
    pub hierarchy: HierarchyId,
}

/// Errors about offices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyError {
    /// Not a valid electronic identifier.
    #[error(
        "invalid agency id {0:?}: expected 5-20 upper-case letters, digits and inner dots (e.g. 000.00.14.H56)"
    )]
    InvalidId(String),
    /// A malformed line of an agency list.
    #[error("agency list line {line}: {reason}")]
    BadLine {
        /// 1-based line number, header included.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// The offices a deployment knows: configured ones, plus a desk and a People's Committee derived
/// for every unit of every list (`MC.<code>`, `UB.<code>`) until the province configures the
/// official identifiers.
#[derive(Debug, Clone)]
pub struct AgencyDirectory {
    registry: UnitRegistry,
    configured: HashMap<AgencyId, Agency>,
}

#[derive(Debug, Deserialize)]
struct AgencyRow {
    id: String,
    name: String,
    kind: String,
    unit_code: String,
    hierarchy: String,
}

impl AgencyDirectory {
    /// Only derived desks and committees over the given lists.
    pub fn derived(registry: UnitRegistry) -> AgencyDirectory {
        AgencyDirectory {
            registry,
            configured: HashMap::new(),
        }
    }

    /// Adds configured offices from CSV (`id,name,kind,unit_code,hierarchy`).
    pub fn with_csv(mut self, text: &str) -> Result<AgencyDirectory, AgencyError> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for (i, record) in reader.deserialize::<AgencyRow>().enumerate() {
            let line = i as u64 + 2;
            let bad = |reason: String| AgencyError::BadLine { line, reason };
            let row = record.map_err(|e| bad(e.to_string()))?;
            let id: AgencyId = row
                .id
                .parse()
                .map_err(|e: AgencyError| bad(e.to_string()))?;
            let kind = AgencyKind::parse(&row.kind).ok_or_else(|| {
                bad(format!(
                    "unknown kind {:?}: expected one_stop_desk, peoples_committee, department or vertical_agency",
                    row.kind
                ))
            })?;
            let unit: UnitCode = row
                .unit_code
                .parse()
                .map_err(|e: UnitError| bad(e.to_string()))?;
            let graph = self
                .registry
                .graph(&row.hierarchy)
                .ok_or_else(|| bad(format!("unknown unit list {:?}", row.hierarchy)))?;
            graph.require(&unit).map_err(|e| bad(e.to_string()))?;
            let agency = Agency {
                id: id.clone(),
                name: row.name,
                kind,
                unit,
                hierarchy: HierarchyId(row.hierarchy),
            };
            if self.configured.insert(id.clone(), agency).is_some() {
                return Err(bad(format!("duplicate agency id {id}")));
            }
        }
        Ok(self)
    }

    /// The unit lists behind the directory.
    pub fn registry(&self) -> &UnitRegistry {
        &self.registry
    }

    /// The office with this identifier: a configured one, or a derived desk or committee of a
    /// unit of the newest list that has that code.
    pub fn get(&self, id: &AgencyId) -> Option<Agency> {
        if let Some(a) = self.configured.get(id) {
            return Some(a.clone());
        }
        let (prefix, code) = id.as_str().split_once('.')?;
        let kind = match prefix {
            "MC" => AgencyKind::OneStopDesk,
            "UB" => AgencyKind::PeoplesCommittee,
            _ => return None,
        };
        let code: UnitCode = code.parse().ok()?;
        let graph = self
            .registry
            .graphs()
            .iter()
            .rev()
            .find(|g| g.get(&code).is_some())?;
        let unit = graph.get(&code)?;
        let name = match kind {
            AgencyKind::OneStopDesk => format!("Bộ phận Một cửa {}", unit.name),
            _ => format!("UBND {}", unit.name),
        };
        Some(Agency {
            id: id.clone(),
            name,
            kind,
            unit: code,
            hierarchy: graph.id().clone(),
        })
    }

    /// The unit graph an office's unit belongs to, and the unit.
    pub fn unit_of(&self, id: &AgencyId) -> Option<(&UnitGraph, &Unit)> {
        let agency = self.get(id)?;
        let graph = self.registry.graph(agency.hierarchy.as_str())?;
        let unit = graph.get(&agency.unit)?;
        Some((graph, unit))
    }

    /// Configured offices attached to a unit (derived ones are not listed).
    pub fn configured_at(&self, unit: &UnitCode) -> impl Iterator<Item = &Agency> {
        let unit = unit.clone();
        self.configured.values().filter(move |a| a.unit == unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_by_length() {
        assert_eq!(
            "79".parse::<UnitCode>().unwrap().level(),
            UnitLevel::Province
        );
        assert_eq!(
            "760".parse::<UnitCode>().unwrap().level(),
            UnitLevel::District
        );
        assert_eq!(
            "26734".parse::<UnitCode>().unwrap().level(),
            UnitLevel::Commune
        );
        for bad in ["", "7", "7a", "1234", "123456", "2673 "] {
            assert!(bad.parse::<UnitCode>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn agency_ids() {
        assert!("000.00.14.H56".parse::<AgencyId>().is_ok());
        assert!("MC.26734".parse::<AgencyId>().is_ok());
        for bad in [
            "",
            "ab.12345",
            ".0000.1",
            "000.00.14.H56.",
            "A-B-C-D",
            "000000000000000000000",
        ] {
            assert!(bad.parse::<AgencyId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn bad_lists_are_refused_with_the_line() {
        let h = || HierarchyId("t".into());
        let d = jiff::civil::date(2025, 1, 1);
        let header = "level,code,name,kind,parent_code\n";
        let cases = [
            ("province,01,A,Tỉnh,\nprovince,01,B,Tỉnh,\n", 3, "duplicate"),
            (
                "province,01,A,Tỉnh,\ncommune,00001,X,Xã,02\n",
                3,
                "not in the list",
            ),
            ("province,01,A,Tỉnh,\ncommune,001,X,Xã,01\n", 3, "length"),
            ("district,001,A,Quận,\n", 2, "no parent"),
            ("region,01,A,Tỉnh,\n", 2, "unknown unit level"),
        ];
        for (body, line, needle) in cases {
            let err = UnitGraph::from_csv(h(), d, None, &format!("{header}{body}")).unwrap_err();
            match &err {
                UnitError::BadLine { line: l, reason } => {
                    assert_eq!(*l, line, "{err}");
                    assert!(reason.contains(needle), "{err}");
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
}
