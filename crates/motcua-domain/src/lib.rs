//! The pure model of one-stop ("một cửa, một cửa liên thông") dossier handling.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and spawns nothing.
//! Time comes in as an argument, reference data (unit lists, catalogue, holidays) is parsed from
//! text embedded at compile time or handed in by the caller.
//! Everything here can be tested with plain values, and every decision is reproducible from the
//! dossier's events.

pub mod calendar;
pub mod catalogue;
pub mod code;
pub mod dossier;
pub mod report;
pub mod units;

use calendar::{CalendarConfig, WorkCalendar};
use catalogue::Catalogue;
use dossier::{Context, RuleBook};
use units::{AgencyDirectory, UnitRegistry};

/// The reference data a deployment decides with, owned: catalogue, calendar, rule sets, offices.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Every procedure version.
    pub catalogue: Catalogue,
    /// The working calendar.
    pub calendar: WorkCalendar,
    /// The rule sets.
    pub rules: RuleBook,
    /// Offices over the unit lists.
    pub agencies: AgencyDirectory,
}

impl Reference {
    /// The shipped data: both official unit lists, the sample catalogue, the 2024–2026 holiday
    /// table with default office hours, and the Decree 61 / Decree 118 rule sets.
    pub fn official() -> Reference {
        Reference {
            catalogue: Catalogue::embedded(),
            calendar: WorkCalendar::new(CalendarConfig::default()),
            rules: RuleBook::default(),
            agencies: AgencyDirectory::derived(UnitRegistry::official()),
        }
    }

    /// Borrowed view for `decide`.
    pub fn context(&self) -> Context<'_> {
        Context {
            catalogue: &self.catalogue,
            calendar: &self.calendar,
            rules: &self.rules,
            agencies: &self.agencies,
        }
    }
}
