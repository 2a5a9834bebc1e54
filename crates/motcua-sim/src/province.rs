//! The offices of the simulated province, taken from an official unit list: a one-stop desk
//! (`MC.<code>`) and a People's Committee (`UB.<code>`) for the province, every commune and, on
//! the 3-level list, every district; each with officers named after their role and unit.

use jiff::civil::Date;
use motcua_domain::Reference;
use motcua_domain::dossier::{Actor, Role};
use motcua_domain::units::{AgencyId, HierarchyId, UnitCode, UnitLevel};
use rand::Rng as _;

use crate::SimError;
use crate::random::{Rng, Weighted, stream, uniform};
use crate::settings::{KNOWN_DAILY_VOLUMES, NATIONAL_DOSSIERS_PER_WORKING_DAY, SimSettings};

/// An office of the province, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The province itself: the provincial centre and People's Committee.
    Province,
    /// A district (3-level list only), by index.
    District(usize),
    /// A commune, by index.
    Commune(usize),
}

/// How many officers of each role an office has.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Staff {
    reception: u32,
    handling: u32,
    approvers: u32,
    clerks: u32,
}

impl Staff {
    /// Enough officers for `daily` dossiers a day: a receptionist per 60, a handling officer per
    /// 15, a head per 150 and a clerk per 100 (assumption), at least one of each.
    fn for_load(daily: f64) -> Staff {
        let n = |per: f64, max: f64| (daily / per).ceil().clamp(1.0, max) as u32;
        Staff {
            reception: n(60.0, 60.0),
            handling: n(15.0, 99.0),
            approvers: n(150.0, 6.0),
            clerks: n(100.0, 9.0),
        }
    }
}

/// One unit with its desk, its committee and their officers.
#[derive(Debug, Clone)]
pub(crate) struct Office {
    /// Official code.
    pub unit: UnitCode,
    /// Official name (e.g. "Phường Sài Gòn").
    pub name: String,
    /// Official type (Phường, Xã, Quận …).
    pub kind: String,
    /// The one-stop desk.
    pub desk: AgencyId,
    /// The People's Committee.
    pub committee: AgencyId,
    staff: Staff,
}

impl Office {
    fn new(unit: &motcua_domain::units::Unit, daily: f64) -> Office {
        Office {
            desk: AgencyId::desk_of(&unit.code),
            committee: AgencyId::committee_of(&unit.code),
            unit: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind.clone(),
            staff: Staff::for_load(daily),
        }
    }

    fn pick(&self, rng: &mut Rng, prefix: &str, count: u32) -> String {
        let n = rng.random_range(1..=count);
        format!("{prefix}-{}-{n:02}", self.unit)
    }

    /// Every officer of the desk and the committee.
    pub fn officers(&self) -> Vec<Actor> {
        let unit = &self.unit;
        let ids = |prefix: &'static str, count: u32| {
            (1..=count).map(move |n| (prefix, format!("{prefix}-{unit}-{n:02}")))
        };
        let desk = ids("tn", self.staff.reception)
            .map(|(_, id)| Actor::officer(id, Role::Reception, self.desk.clone()));
        let committee = ids("cv", self.staff.handling)
            .chain(ids("ld", self.staff.approvers))
            .chain(ids("vt", self.staff.clerks))
            .map(|(prefix, id)| {
                let role = match prefix {
                    "cv" => Role::HandlingOfficer,
                    "ld" => Role::Approver,
                    _ => Role::Clerk,
                };
                Actor::officer(id, role, self.committee.clone())
            });
        desk.chain(committee).collect()
    }

    /// A receptionist of the desk (`tn-<unit>-NN`).
    pub fn reception(&self, rng: &mut Rng) -> Actor {
        let id = self.pick(rng, "tn", self.staff.reception);
        Actor::officer(id, Role::Reception, self.desk.clone())
    }

    /// A handling officer's id at the committee (`cv-<unit>-NN`).
    pub fn handling_officer_id(&self, rng: &mut Rng) -> String {
        self.pick(rng, "cv", self.staff.handling)
    }

    /// The handling officer `id` acting for the committee.
    pub fn handling_officer(&self, id: &str) -> Actor {
        Actor::officer(id, Role::HandlingOfficer, self.committee.clone())
    }

    /// A head of the committee (`ld-<unit>-NN`).
    pub fn approver(&self, rng: &mut Rng) -> Actor {
        let id = self.pick(rng, "ld", self.staff.approvers);
        Actor::officer(id, Role::Approver, self.committee.clone())
    }

    /// A clerk of the committee (`vt-<unit>-NN`).
    pub fn clerk(&self, rng: &mut Rng) -> Actor {
        let id = self.pick(rng, "vt", self.staff.clerks);
        Actor::officer(id, Role::Clerk, self.committee.clone())
    }
}

/// The province as the simulation sees it.
#[derive(Debug, Clone)]
pub(crate) struct ProvinceMap {
    /// The unit list.
    pub hierarchy: HierarchyId,
    /// First day of the list.
    pub valid_from: Date,
    /// Last day of the list, if replaced.
    pub valid_to: Option<Date>,
    /// The province's own offices.
    pub province: Office,
    /// Districts (empty on a 2-level list).
    pub districts: Vec<Office>,
    /// Communes.
    pub communes: Vec<Office>,
    /// The district of each commune (3-level list).
    pub commune_district: Vec<Option<usize>>,
    /// Where applicants live: communes weighted by a fixed, seeded size.
    pub commune_picker: Weighted,
    /// Southern province: family names Huỳnh and Võ rather than Hoàng and Vũ.
    pub south: bool,
    /// Dossiers on an average working day, scale applied.
    pub daily_volume: f64,
    /// The names of the provinces of the list with their codes, for places of birth.
    pub province_codes: Vec<UnitCode>,
}

impl ProvinceMap {
    pub(crate) fn build(reference: &Reference, settings: &SimSettings) -> Result<Self, SimError> {
        let registry = reference.agencies.registry();
        let graph = registry
            .graph(&settings.unit_list)
            .ok_or_else(|| SimError::UnknownUnitList(settings.unit_list.clone()))?;
        let unit = graph
            .get(&settings.province)
            .filter(|u| u.level == UnitLevel::Province)
            .ok_or_else(|| SimError::UnknownProvince {
                code: settings.province.to_string(),
                list: settings.unit_list.clone(),
            })?;
        let below = graph.descendants(&unit.code);
        let commune_units: Vec<_> = below
            .iter()
            .filter(|u| u.level == UnitLevel::Commune)
            .collect();
        if commune_units.is_empty() {
            return Err(SimError::UnknownProvince {
                code: settings.province.to_string(),
                list: settings.unit_list.clone(),
            });
        }
        let district_units: Vec<_> = below
            .iter()
            .filter(|u| u.level == UnitLevel::District)
            .collect();

        let daily_volume = settings
            .dossiers_per_working_day
            .unwrap_or_else(|| sized_volume(graph, &unit.code))
            * settings.scale;

        // A fixed size per commune, log-uniform in [0.5, 2]: some wards are busier than others.
        let mut rng = stream(&[settings.seed, 0xc0]);
        let sizes: Vec<f64> = commune_units
            .iter()
            .map(|_| 2f64.powf(uniform(&mut rng, -1.0, 1.0)))
            .collect();
        let total: f64 = sizes.iter().sum();
        let commune_load = |i: usize| daily_volume * 0.9 * sizes[i] / total;

        let communes: Vec<Office> = commune_units
            .iter()
            .enumerate()
            .map(|(i, u)| Office::new(u, commune_load(i)))
            .collect();
        let districts: Vec<Office> = district_units
            .iter()
            .map(|d| {
                let load: f64 = commune_units
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.parent.as_ref() == Some(&d.code))
                    .map(|(i, _)| commune_load(i))
                    .sum();
                Office::new(d, load)
            })
            .collect();
        let commune_district = commune_units
            .iter()
            .map(|c| {
                district_units
                    .iter()
                    .position(|d| c.parent.as_ref() == Some(&d.code))
            })
            .collect();
        let province = Office::new(unit, daily_volume * 0.15);
        let south = unit.code.as_str() >= "70";
        Ok(ProvinceMap {
            hierarchy: graph.id().clone(),
            valid_from: graph.valid_from(),
            valid_to: graph.valid_to(),
            province,
            districts,
            communes,
            commune_district,
            commune_picker: Weighted::new(sizes).expect("a province has communes (checked)"),
            south,
            daily_volume,
            province_codes: graph
                .at_level(UnitLevel::Province)
                .map(|u| u.code.clone())
                .collect(),
        })
    }

    /// The office at `place`.
    pub(crate) fn office(&self, place: Place) -> &Office {
        match place {
            Place::Province => &self.province,
            Place::District(i) => &self.districts[i],
            Place::Commune(i) => &self.communes[i],
        }
    }

    /// The district of a commune, or the province on a 2-level list.
    pub(crate) fn above(&self, commune: usize) -> Place {
        match self.commune_district.get(commune).copied().flatten() {
            Some(d) => Place::District(d),
            None => Place::Province,
        }
    }

    /// Whether the list is in force on `day`.
    pub(crate) fn in_force_on(&self, day: Date) -> bool {
        day >= self.valid_from && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// The default daily volume of a province: its known figure, or the rest of the national volume
/// shared by commune count.
fn sized_volume(graph: &motcua_domain::units::UnitGraph, province: &UnitCode) -> f64 {
    let communes_of = |code: &UnitCode| {
        graph
            .descendants(code)
            .iter()
            .filter(|u| u.level == UnitLevel::Commune)
            .count() as f64
    };
    if let Some((_, v)) = KNOWN_DAILY_VOLUMES
        .iter()
        .find(|(code, _)| *code == province.as_str())
    {
        return *v;
    }
    let mut rest_volume = NATIONAL_DOSSIERS_PER_WORKING_DAY;
    let mut rest_communes = graph.count(UnitLevel::Commune) as f64;
    for (code, v) in KNOWN_DAILY_VOLUMES {
        if let Ok(code) = code.parse::<UnitCode>()
            && graph.get(&code).is_some()
        {
            rest_volume -= v;
            rest_communes -= communes_of(&code);
        }
    }
    if rest_communes <= 0.0 {
        return 0.0;
    }
    rest_volume * communes_of(province) / rest_communes
}
