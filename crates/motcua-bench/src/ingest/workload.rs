//! The commands the ingest and HTTP benchmarks send: whole dossier lives from the seeded
//! simulator (`motcua_sim`), over the official units and catalogue.
//!
//! Two kinds of workload come from it:
//!
//! - **historical** ([`Generator::historical`]): every completed life as simulated, each command
//!   to be decided at its own time (the command service called directly, and bulk import);
//! - **live** ([`Generator::live`]): lives that stay valid when every command is decided at the
//!   wall clock, as the NATS door and the HTTP API do (they take `now` from the clock, not from
//!   the caller). Lives with a time-triggered step (a supplement that expires, an apology with a
//!   new appointment) cannot be replayed within seconds and are left out; every other life is
//!   checked by deciding it at clock-like instants before it is used, and applicants act through
//!   one portal account, as the HTTP API's accounts allow.

use jiff::{SignedDuration, Timestamp};
use motcua_domain::Reference;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Actor, Command, CommandBody, Dossier, Role, decide};
use motcua_log::DossierKey;
use motcua_sim::{Dossiers, Officer, SimSettings, SimStep, Simulation};

use crate::{BenchError, Ctx};

/// The portal account every applicant of a live workload acts through.
pub(crate) const PORTAL_ACCOUNT: &str = "portal-bench";

/// Days of simulated history the dossiers are taken from; the first dossiers (those the
/// benchmarks use) arrive at its start, so their lives end well inside it.
const WINDOW_DAYS: u32 = 60;

/// One dossier's whole life: its key and its commands in order.
#[derive(Debug, Clone)]
pub(crate) struct Walk {
    /// The dossier.
    pub key: DossierKey,
    /// Its commands; `at` strictly increases. Receipts carry the simulator's code (a migrated
    /// history keeps its codes); [`live_command`] drops it for the live paths.
    pub steps: Vec<SimStep>,
}

/// A set of lives ready to send.
#[derive(Debug, Clone, Default)]
pub(crate) struct Workload {
    /// The lives, in arrival order.
    pub walks: Vec<Walk>,
    /// Commands in all of them.
    pub commands: usize,
}

impl Workload {
    /// Commands that are receipts (each also allocates a dossier code on the live paths).
    pub fn receipts(&self) -> usize {
        self.walks
            .iter()
            .flat_map(|w| &w.steps)
            .filter(|s| matches!(s.command.body, CommandBody::Receive { .. }))
            .count()
    }
}

/// Hands out lives from one simulated province, never the same one twice.
#[derive(Debug)]
pub(crate) struct Generator {
    reference: Reference,
    sim: Simulation,
    dossiers: Dossiers,
    live: bool,
    /// Lives the simulation left open at the end of its window (skipped).
    pub incomplete: u64,
    /// Lives a live workload cannot use (time-triggered steps, or refused at clock time).
    pub unfit: u64,
}

impl Generator {
    /// Lives decided at their own times.
    pub fn historical(ctx: &Ctx) -> Result<Generator, BenchError> {
        Generator::new(ctx, false)
    }

    /// Lives that stay valid when decided at the wall clock.
    pub fn live(ctx: &Ctx) -> Result<Generator, BenchError> {
        Generator::new(ctx, true)
    }

    fn new(ctx: &Ctx, live: bool) -> Result<Generator, BenchError> {
        let reference = Reference::official();
        let province =
            ctx.options.province.parse().map_err(|e| {
                BenchError::Failed(format!("--province {}: {e}", ctx.options.province))
            })?;
        let settings = SimSettings {
            seed: ctx.options.seed,
            province,
            ..SimSettings::default()
        };
        let sim = Simulation::new(reference.clone(), settings)?;
        // A window that ends before today, so that the procedures its dossiers use are still
        // in force when a live workload decides them at the clock.
        let today = reference.calendar.local_date(Timestamp::now());
        let from = today
            .checked_sub(jiff::Span::new().days(i64::from(WINDOW_DAYS) + 10))
            .map_err(|e| BenchError::Failed(format!("simulation window: {e}")))?;
        let dossiers = sim.dossiers(from, WINDOW_DAYS)?;
        Ok(Generator {
            reference,
            sim,
            dossiers,
            live,
            incomplete: 0,
            unfit: 0,
        })
    }

    /// Every officer the lives may act with (for the HTTP API's accounts).
    pub fn officers(&self) -> Vec<Officer> {
        self.sim.officers()
    }

    /// The next lives, at least `commands` commands in all (fewer only when the window runs
    /// out).
    pub fn take(&mut self, commands: usize) -> Result<Workload, BenchError> {
        let mut out = Workload::default();
        let ctx = self.reference.context();
        while out.commands < commands {
            let Some(dossier) = self.dossiers.next() else {
                break;
            };
            if !dossier.complete {
                self.incomplete += 1;
                continue;
            }
            let key = DossierKey::new(dossier.province.clone(), dossier.id)
                .map_err(|e| BenchError::Failed(format!("simulated dossier key: {e}")))?;
            let mut walk = Walk {
                key,
                steps: dossier.steps,
            };
            if self.live {
                for step in &mut walk.steps {
                    if step.command.actor.role == Role::Applicant {
                        step.command.actor = Actor::applicant(PORTAL_ACCOUNT);
                    }
                }
                if !fits_the_clock(&walk, &ctx) {
                    self.unfit += 1;
                    continue;
                }
            }
            out.commands += walk.steps.len();
            out.walks.push(walk);
        }
        if let Some(reason) = self.dossiers.first_refusal() {
            // The simulator decides every command it makes; a refusal is its defect, and the
            // refused life stops before the refused command, so it is still usable here.
            tracing::warn!(reason, "the simulator refused one of its own commands");
        }
        Ok(out)
    }
}

/// A command as a live client sends it: a receipt without a code (the service allocates one).
pub(crate) fn live_command(step: &SimStep) -> Command {
    let mut command = step.command.clone();
    if let CommandBody::Receive { code, .. } = &mut command.body {
        *code = None;
    }
    command
}

/// Whether a life is accepted when its commands are decided one after the other at the wall
/// clock (as the NATS door and the HTTP API decide them), receipts with the code the service
/// would draw first.
fn fits_the_clock(walk: &Walk, ctx: &motcua_domain::dossier::Context<'_>) -> bool {
    let time_triggered = walk.steps.iter().any(|s| {
        matches!(
            s.command.body,
            CommandBody::ExpireSupplement | CommandBody::Apologise { .. }
        )
    });
    if time_triggered {
        return false;
    }
    let mut state = Dossier::replay(std::iter::empty());
    let mut now = Timestamp::now();
    for step in &walk.steps {
        let mut command = live_command(step);
        if let (CommandBody::Receive { code, .. }, Some(agency)) =
            (&mut command.body, command.actor.agency.clone())
        {
            *code = DossierCode::new(agency, ctx.calendar.local_date(now), 1).ok();
        }
        match decide(&state, &command, now, ctx) {
            Ok(events) => state = events.iter().fold(state, |d, e| d.evolve(e)),
            Err(_) => return false,
        }
        now = now
            .checked_add(SignedDuration::from_millis(1))
            .unwrap_or(now);
    }
    true
}
