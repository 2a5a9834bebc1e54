//! A realistic, reproducible workload for motcua: the dossiers of one province, made from the
//! official unit lists and the procedure catalogue, as the commands their actors would send.
//!
//! - **Where**: the one-stop desks (`MC.<code>`) of the province's communes, of its districts on
//!   the 3-level list, and of the province itself receive; the People's Committees (`UB.<code>`)
//!   handle. Officers are named after their role and unit: `tn-26740-01` receives, `cv-…`
//!   appraises, `ld-…` assigns and approves, `vt-…` issues.
//! - **When**: a Poisson number of arrivals per day shaped by the weekday, times shaped by the
//!   hour; direct and postal dossiers while the desk is open, online submissions at any hour and
//!   on days off, accepted in working time.
//! - **What**: the channel mix, then the level that resolves the dossier, then a procedure of
//!   that level in force that day and offered on that channel with a time limit.
//! - **How it goes**: liaison through a second office, supplements, fees, late resolution with or
//!   without an apology, withdrawal, intake refusal, rejection by the head, rating; every step at
//!   a working time paced against the due time the domain computes.
//!
//! Every command is decided by `motcua_domain::dossier::decide` while it is generated, so a
//! generated history is accepted by the domain as it stands; the tests fold every history again
//! from scratch to prove it.
//!
//! Architecture invariant: the crate is pure. No clock, no I/O, no threads, no OS randomness:
//! time and seed are arguments, and the same settings, seed and window always give the same
//! dossiers, command ids and codes included.
//!
//! ```
//! use motcua_domain::Reference;
//! use motcua_sim::{SimSettings, Simulation};
//!
//! let settings = SimSettings { dossiers_per_working_day: Some(200.0), ..SimSettings::default() };
//! let sim = Simulation::new(Reference::official(), settings).unwrap();
//! let monday = jiff::civil::date(2025, 11, 24);
//! let first_day: Vec<_> = sim.dossiers(monday, 1).unwrap().collect();
//! assert!(first_day.len() > 100);
//! assert!(first_day.iter().all(|d| d.steps.windows(2).all(|w| w[0].at < w[1].at)));
//! ```

mod arrivals;
mod life;
mod live;
mod mix;
mod people;
mod plan;
mod province;
mod random;
mod settings;
mod wording;

use std::collections::VecDeque;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::Reference;
use motcua_domain::dossier::{Actor, Command, Role};
use motcua_domain::units::{AgencyId, UnitCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use live::{Live, LiveRate, Schedule, ScheduledStep};
pub use settings::{
    ChannelMix, KNOWN_DAILY_VOLUMES, LevelMix, NATIONAL_DOSSIERS_PER_WORKING_DAY, SatisfactionMix,
    SimSettings, default_procedure_weights,
};

use arrivals::{Arrival, date_key, day_arrivals};
use life::Counters;
use mix::{Candidate, DayMix, candidates};
use plan::Plan;
use province::{Place, ProvinceMap};
use random::stream;

/// Why a simulation cannot be set up or run over a window.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// A setting is out of range.
    #[error("setting {name}: {reason}")]
    Setting {
        /// The setting.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The unit list is not one the reference data has.
    #[error("unknown unit list {0:?}: expected 2level-2025-07 or 3level-2025-03")]
    UnknownUnitList(String),
    /// The province is not a province of the unit list.
    #[error("{code} is not a province with communes in the unit list {list}")]
    UnknownProvince {
        /// The code.
        code: String,
        /// The list.
        list: String,
    },
    /// The catalogue has nothing to generate for the unit list.
    #[error(
        "the catalogue has no commune, district or province procedure with a time limit for {0}"
    )]
    NoProcedures(String),
    /// A day of the window cannot be simulated.
    #[error("cannot simulate {day}: {reason}")]
    Window {
        /// The day.
        day: Date,
        /// Why.
        reason: String,
    },
}

/// One command of a dossier's life and the instant it is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimStep {
    /// When the actor sends it: the `now` to decide it with.
    pub at: Timestamp,
    /// The command.
    pub command: Command,
}

/// One simulated dossier: its whole life, or as much of it as fits in the window. Its JSON form
/// (one object per line) is a convenient file format for simulated history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimDossier {
    /// The dossier's id: a UUID v7 from its arrival time and the seeded generator.
    pub id: Uuid,
    /// The province it belongs to (the first part of its subject).
    pub province: UnitCode,
    /// The commands in order; `at` strictly increases. The first is the online submission or the
    /// receipt at the desk.
    pub steps: Vec<SimStep>,
    /// `false` when the window ended before the dossier's life did: it is still open (pending,
    /// waiting for a supplement or for its result to be collected).
    pub complete: bool,
}

/// An officer the simulation acts with, for provisioning accounts and roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Officer {
    /// Account id, e.g. `tn-26740-01`.
    pub id: String,
    /// The role the officer acts in.
    pub role: Role,
    /// The office.
    pub agency: AgencyId,
}

pub(crate) struct Inner {
    reference: Reference,
    settings: SimSettings,
    map: ProvinceMap,
    candidates: Vec<Candidate>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("province", &self.map.province.unit)
            .field("unit_list", &self.map.hierarchy)
            .field("daily_volume", &self.map.daily_volume)
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn mix_on(&self, day: Date) -> Option<DayMix> {
        if !self.map.in_force_on(day) {
            return None;
        }
        DayMix::on(
            day,
            &self.candidates,
            &self.settings,
            !self.map.districts.is_empty(),
        )
    }

    /// The dossier arriving as `arrival`, generated up to `horizon`.
    fn dossier(
        &self,
        counters: &mut Counters,
        mix: &DayMix,
        arrival: &Arrival,
        stream_name: &[u64],
        horizon: Timestamp,
    ) -> life::Outcome {
        let mut rng = stream(stream_name);
        let plan = Plan::draw(
            self,
            mix,
            arrival.choice.channel,
            arrival.choice.candidate,
            &mut rng,
        );
        life::generate(self, counters, plan, arrival, rng, horizon)
    }
}

/// A simulated province: the offices, the procedure mix and the settings, ready to generate.
/// Cheap to clone; the generators it hands out own what they need.
#[derive(Debug, Clone)]
pub struct Simulation {
    inner: Arc<Inner>,
}

impl Simulation {
    /// Sets up the province of `settings` over `reference` (normally `Reference::official()`).
    pub fn new(reference: Reference, settings: SimSettings) -> Result<Simulation, SimError> {
        settings.validate()?;
        let map = ProvinceMap::build(&reference, &settings)?;
        let candidates = candidates(&reference.catalogue, &map.hierarchy, &settings);
        if candidates.is_empty() {
            return Err(SimError::NoProcedures(map.hierarchy.to_string()));
        }
        Ok(Simulation {
            inner: Arc::new(Inner {
                reference,
                settings,
                map,
                candidates,
            }),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &SimSettings {
        &self.inner.settings
    }

    /// The reference data commands are decided with.
    pub fn reference(&self) -> &Reference {
        &self.inner.reference
    }

    /// The province.
    pub fn province(&self) -> &UnitCode {
        &self.inner.map.province.unit
    }

    /// Dossiers on an average working day, scale applied.
    pub fn dossiers_per_working_day(&self) -> f64 {
        self.inner.map.daily_volume
    }

    /// The number of communes whose desks receive.
    pub fn commune_count(&self) -> usize {
        self.inner.map.communes.len()
    }

    /// Every officer the simulation may act with: receptionists of every desk, handling officers,
    /// heads and clerks of every People's Committee.
    pub fn officers(&self) -> Vec<Officer> {
        let map = &self.inner.map;
        let places = std::iter::once(Place::Province)
            .chain((0..map.districts.len()).map(Place::District))
            .chain((0..map.communes.len()).map(Place::Commune));
        places
            .flat_map(|p| map.office(p).officers())
            .map(|a: Actor| Officer {
                id: a.id,
                role: a.role,
                agency: a.agency.expect("officers act for an office"),
            })
            .collect()
    }

    /// The dossiers arriving on `days` days from `from` (local dates), in arrival order, each with
    /// its life up to the end of the window (local midnight after the last day).
    ///
    /// Fails when a day of the window lies outside the unit list's span or has no procedure to
    /// generate, or outside the years 2000–2099 that dossier codes can carry.
    pub fn dossiers(&self, from: Date, days: u32) -> Result<Dossiers, SimError> {
        let end = add_days(from, days).ok_or_else(|| SimError::Window {
            day: from,
            reason: format!("{days} days later is out of range"),
        })?;
        let mut day = from;
        while day < end {
            self.check_day(day)?;
            day = add_days(day, 1).unwrap_or(end);
        }
        let horizon = arrivals::midnight(&self.inner.reference.calendar, end);
        Ok(Dossiers {
            inner: self.inner.clone(),
            next_day: from,
            end,
            horizon,
            today: VecDeque::new(),
            mix: None,
            day: from,
            counters: Counters::default(),
            refusals: 0,
            first_refusal: None,
        })
    }

    /// A live feed from `start`: arrivals after `start` at `rate`, each dossier with its whole
    /// future life. Use a [`Schedule`] to send each step when its time comes.
    pub fn live(&self, start: Timestamp, rate: LiveRate) -> Live {
        Live::new(self.inner.clone(), start, rate)
    }

    fn check_day(&self, day: Date) -> Result<(), SimError> {
        let map = &self.inner.map;
        if !(2000..=2099).contains(&day.year()) {
            return Err(SimError::Window {
                day,
                reason: "dossier codes carry years 2000–2099 only".to_owned(),
            });
        }
        if !map.in_force_on(day) {
            let to = map.valid_to.map(|d| d.to_string()).unwrap_or_default();
            return Err(SimError::Window {
                day,
                reason: format!(
                    "the unit list {} is in force {}..{to}",
                    map.hierarchy, map.valid_from
                ),
            });
        }
        if self.inner.mix_on(day).is_none() {
            return Err(SimError::Window {
                day,
                reason: format!(
                    "the catalogue has no procedure of {} in force",
                    map.hierarchy
                ),
            });
        }
        Ok(())
    }
}

/// The dossiers of a window, in arrival order (see [`Simulation::dossiers`]).
#[derive(Debug)]
pub struct Dossiers {
    inner: Arc<Inner>,
    next_day: Date,
    end: Date,
    horizon: Timestamp,
    today: VecDeque<Arrival>,
    mix: Option<DayMix>,
    day: Date,
    counters: Counters,
    refusals: u64,
    first_refusal: Option<String>,
}

impl Dossiers {
    /// Commands the domain refused while generating: always 0 unless the generator has a defect
    /// (the refused dossier then stops before the refused command).
    pub fn refusals(&self) -> u64 {
        self.refusals
    }

    /// The first refusal, for diagnosis.
    pub fn first_refusal(&self) -> Option<&str> {
        self.first_refusal.as_deref()
    }
}

impl Iterator for Dossiers {
    type Item = SimDossier;

    fn next(&mut self) -> Option<SimDossier> {
        loop {
            if let (Some(arrival), Some(mix)) = (self.today.pop_front(), &self.mix) {
                let name = [
                    self.inner.settings.seed,
                    0xd0,
                    date_key(self.day),
                    u64::from(arrival.index),
                ];
                let outcome =
                    self.inner
                        .dossier(&mut self.counters, mix, &arrival, &name, self.horizon);
                if let Some(reason) = outcome.refused {
                    self.refusals += 1;
                    self.first_refusal.get_or_insert(reason);
                }
                return Some(outcome.dossier);
            }
            if self.next_day >= self.end {
                return None;
            }
            let day = self.next_day;
            self.next_day = add_days(day, 1).unwrap_or(self.end);
            self.day = day;
            self.mix = self.inner.mix_on(day);
            if let Some(mix) = &self.mix {
                let s = &self.inner.settings;
                let calendar = &self.inner.reference.calendar;
                self.today =
                    day_arrivals(s, calendar, mix, self.inner.map.daily_volume, day).into();
            }
        }
    }
}

/// `day` moved by `n` days.
pub(crate) fn add_days(day: Date, n: u32) -> Option<Date> {
    day.checked_add(SignedDuration::from_hours(24 * i64::from(n)))
        .ok()
}
