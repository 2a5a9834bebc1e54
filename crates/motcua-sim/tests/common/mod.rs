//! Shared helpers: the reference data, and folding a simulated dossier through the domain from
//! scratch, as a command service would.

#![allow(dead_code)] // each test file uses a different part

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::Reference;
use motcua_domain::dossier::{CommandBody, Dossier, decide};
use motcua_sim::{SimDossier, SimSettings, Simulation};

/// The shipped reference data, parsed once per test binary.
pub fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(Reference::official)
}

/// A simulation over the shipped data.
pub fn simulation(settings: SimSettings) -> Simulation {
    Simulation::new(reference().clone(), settings).expect("valid settings")
}

/// A Monday after the 2025 reform, with no holiday in the following weeks.
pub fn monday() -> Date {
    jiff::civil::date(2025, 11, 3)
}

/// Generates a window and checks that the generator itself met no refusal.
pub fn generate(sim: &Simulation, from: Date, days: u32) -> Vec<SimDossier> {
    let mut it = sim.dossiers(from, days).expect("a simulable window");
    let out: Vec<SimDossier> = it.by_ref().collect();
    assert_eq!(
        it.refusals(),
        0,
        "the generator met a refusal: {:?}",
        it.first_refusal()
    );
    out
}

/// Folds every step through `decide` and `evolve` with fresh reference data, checking the
/// invariants after each; panics with the dossier and the step on a refusal.
pub fn fold(d: &SimDossier) -> Dossier {
    let ctx = reference().context();
    let mut state = Dossier::new();
    let mut last: Option<Timestamp> = None;
    for (i, step) in d.steps.iter().enumerate() {
        if let Some(last) = last {
            assert!(
                step.at > last,
                "dossier {} step {i}: time does not increase",
                d.id
            );
        }
        last = Some(step.at);
        let events = decide(&state, &step.command, step.at, &ctx).unwrap_or_else(|e| {
            panic!(
                "dossier {} step {i} ({}) refused: {e} [{}]",
                d.id,
                step.command.body.name(),
                e.code()
            )
        });
        assert!(!events.is_empty(), "a command produced no event");
        state = events.iter().fold(state, Dossier::evolve);
        if let Err(e) = state.check_invariants() {
            panic!("dossier {} step {i}: invariant broken: {e}", d.id);
        }
    }
    state
}

/// The channel of a dossier from its first command.
pub fn channel_of(d: &SimDossier) -> motcua_domain::catalogue::Channel {
    use motcua_domain::catalogue::Channel;
    match &d.steps[0].command.body {
        CommandBody::SubmitOnline { .. } => Channel::Online,
        CommandBody::Receive { channel, .. } => channel.unwrap_or(Channel::Direct),
        other => panic!("a dossier starts with {}", other.name()),
    }
}

/// Number of commands of a kind.
pub fn count(d: &SimDossier, name: &str) -> usize {
    d.steps
        .iter()
        .filter(|s| s.command.body.name() == name)
        .count()
}

/// The first step with a command of this kind.
pub fn first<'a>(d: &'a SimDossier, name: &str) -> Option<&'a motcua_sim::SimStep> {
    d.steps.iter().find(|s| s.command.body.name() == name)
}

/// Asserts `got` is within `tolerance` of `want`.
pub fn assert_near(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got:.4}, want {want:.4} ± {tolerance}"
    );
}
