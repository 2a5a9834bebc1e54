//! The life of one dossier, from submission or receipt to return (or withdrawal, refusal,
//! closure), as the commands the actors would send.
//!
//! Every command goes through the domain's `decide` and `evolve` as it is generated: the due
//! times the script paces itself against are the domain's own, and a command the domain would
//! refuse is never emitted (the life stops there and the refusal is counted, which the tests
//! require to be zero).
//!
//! Pacing: a dossier that will be on time aims to finish `slack` × its time limit before the
//! current deadline; a late one `overrun` × its time limit after it. Each step takes a share of
//! the working time left to that target, so supplements, fees and apologies (which move the
//! deadline) move the rest of the life with them. Officers act in working time; applicants
//! filing online act at any hour.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::calendar::WorkCalendar;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Actor, Command, CommandBody, Context, Dossier, decide};
use motcua_domain::units::AgencyId;
use uuid::Uuid;

use crate::arrivals::Arrival;
use crate::plan::Plan;
use crate::province::{Office, Place};
use crate::random::{Rng, uuid_bytes};
use crate::{Inner, SimDossier, SimStep};

/// Sequence numbers handed out while generating: dossier codes per (desk, receipt day), result
/// document numbers per (office, year).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    codes: HashMap<(AgencyId, Date), u32>,
    documents: HashMap<(AgencyId, i16), u32>,
}

impl Counters {
    fn code(&mut self, desk: &AgencyId, day: Date) -> Option<DossierCode> {
        let n = self.codes.entry((desk.clone(), day)).or_insert(0);
        *n += 1;
        DossierCode::new(desk.clone(), day, *n).ok()
    }

    fn document(&mut self, office: &AgencyId, year: i16) -> u32 {
        let n = self.documents.entry((office.clone(), year)).or_insert(0);
        *n += 1;
        *n
    }

    /// Forgets the codes of days before `day` (a live feed runs for ever).
    pub(crate) fn forget_before(&mut self, day: Date) {
        self.codes.retain(|(_, d), _| *d >= day);
    }
}

/// What generating one dossier gave.
pub(crate) struct Outcome {
    pub dossier: SimDossier,
    /// The domain refused a generated command (a defect of the generator).
    pub refused: Option<String>,
}

/// Generates the life of the dossier arriving as `arrival`; nothing at or after `horizon`.
pub(crate) fn generate(
    inner: &Inner,
    counters: &mut Counters,
    plan: Plan<'_>,
    arrival: &Arrival,
    rng: Rng,
    horizon: Timestamp,
) -> Outcome {
    let mut life = Life {
        inner,
        calendar: &inner.reference.calendar,
        ctx: inner.reference.context(),
        counters,
        rng,
        plan,
        state: Dossier::new(),
        steps: Vec::with_capacity(16),
        now: arrival.at,
        horizon,
        complete: false,
        refused: None,
        pace: Pace::OnTime { slack_min: 1.0 },
        overrun_min: 0.0,
        handler: String::new(),
    };
    let id = life.uuid(arrival.at);
    // The script returns `None` when the life stops: at its end, at the horizon, or refused.
    let _ = life.run(arrival.at);
    Outcome {
        dossier: SimDossier {
            id,
            province: inner.map.province.unit.clone(),
            steps: life.steps,
            complete: life.complete,
        },
        refused: life.refused,
    }
}

/// Where the dossier aims to finish, relative to its current deadline.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// This many working minutes before the deadline.
    OnTime { slack_min: f64 },
    /// This many working minutes after it.
    Late { overrun_min: f64 },
}

struct Life<'a, 'c> {
    inner: &'a Inner,
    calendar: &'a WorkCalendar,
    ctx: Context<'a>,
    counters: &'c mut Counters,
    rng: Rng,
    plan: Plan<'a>,
    state: Dossier,
    steps: Vec<SimStep>,
    now: Timestamp,
    horizon: Timestamp,
    complete: bool,
    refused: Option<String>,
    pace: Pace,
    overrun_min: f64,
    /// The handling officer in charge at the current office.
    handler: String,
}

mod pace;
mod script;

impl Life<'_, '_> {
    /// Decides the command at `at` and folds its events; `None` at the horizon or on a refusal.
    fn act(&mut self, at: Timestamp, actor: Actor, body: CommandBody) -> Option<()> {
        if at >= self.horizon {
            return None;
        }
        let command = Command {
            id: self.uuid(at),
            actor,
            body,
        };
        match decide(&self.state, &command, at, &self.ctx) {
            Ok(events) => {
                let state = std::mem::take(&mut self.state);
                self.state = events.iter().fold(state, Dossier::evolve);
                self.steps.push(SimStep { at, command });
                self.now = at;
                Some(())
            }
            Err(e) => {
                self.refused = Some(format!("{}: {e}", command.body.name()));
                None
            }
        }
    }

    fn uuid(&mut self, at: Timestamp) -> Uuid {
        let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(millis, &uuid_bytes(&mut self.rng)).into_uuid()
    }

    fn code(&mut self, desk: &AgencyId, at: Timestamp) -> Option<DossierCode> {
        let day = self.calendar.local_date(at);
        self.counters.code(desk, day)
    }

    fn office(&self, place: Place) -> &Office {
        self.inner.map.office(place)
    }

    fn applicant_actor(&self) -> Actor {
        Actor::applicant(self.plan.person.account.clone().unwrap_or_default())
    }

    /// The online applicant through the portal, or the receiving desk for a paper dossier.
    fn applicant_or_desk(&mut self, desk: &Office) -> Actor {
        if self.plan.person.account.is_some() {
            self.applicant_actor()
        } else {
            desk.reception(&mut self.rng)
        }
    }

    fn handler_actor(&self, office: &Office) -> Actor {
        office.handling_officer(&self.handler)
    }
}
