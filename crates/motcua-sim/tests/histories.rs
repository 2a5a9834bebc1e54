//! Every generated history is accepted by the domain as it stands: folded from scratch through
//! `decide` and `evolve` with the shipped reference data, no command is refused, every state
//! keeps its invariants, times strictly increase, and a dossier whose life ended inside the
//! window ends in a final stage.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::*;
use motcua_domain::dossier::{CommandBody, CommandBody as C, Stage};
use motcua_sim::{SimDossier, SimSettings};

/// Settings that take every path often: supplements, second requests, closures, late dossiers
/// and apologies, withdrawals, intake supplements and refusals, fees, rejections, liaison.
fn every_path() -> SimSettings {
    SimSettings {
        dossiers_per_working_day: Some(300.0),
        supplement_share: 0.5,
        second_supplement_share: 0.4,
        supplement_expiry_share: 0.3,
        late_share: 0.4,
        apology_share: 0.5,
        withdrawal_share: 0.1,
        intake_refusal_share: 0.1,
        intake_supplement_share: 0.3,
        intake_late_share: 0.3,
        appraisal_refusal_share: 0.2,
        approval_rejection_share: 0.3,
        fee_share: 0.5,
        feedback_share: 0.8,
        liaison_share: 0.5,
        saturday_morning_receipt: 0.3,
        ..SimSettings::default()
    }
}

fn check_all(dossiers: &[SimDossier]) -> BTreeSet<&'static str> {
    let mut seen = BTreeSet::new();
    let mut codes = HashSet::new();
    for d in dossiers {
        assert!(!d.steps.is_empty(), "a dossier without steps");
        let state = fold(d);
        for s in &d.steps {
            seen.insert(s.command.body.name());
            if let CommandBody::Receive { code, .. } = &s.command.body {
                let code = code.as_ref().expect("history carries its codes");
                assert_eq!(code.date(), reference().calendar.local_date(s.at), "{code}");
                assert!(codes.insert(code.to_string()), "code {code} given twice");
            }
        }
        if d.complete {
            let ended = matches!(
                state.stage,
                Stage::Returned
                    | Stage::Withdrawn
                    | Stage::IntakeRefused
                    | Stage::Closed
                    | Stage::Stopped
            );
            assert!(
                ended,
                "dossier {} complete in stage {:?}",
                d.id, state.stage
            );
        }
    }
    seen
}

#[test]
fn default_histories_are_accepted() {
    let sim = simulation(SimSettings {
        dossiers_per_working_day: Some(600.0),
        ..SimSettings::default()
    });
    let dossiers = generate(&sim, monday(), 21);
    assert!(dossiers.len() > 8_000, "{}", dossiers.len());
    let seen = check_all(&dossiers);
    assert!(seen.contains("receive") && seen.contains("return_result"));
    assert!(
        dossiers.iter().any(|d| !d.complete),
        "open dossiers at the end"
    );
    assert!(dossiers.iter().filter(|d| d.complete).count() > dossiers.len() / 2);
}

#[test]
fn every_command_the_generator_makes_is_accepted() {
    let sim = simulation(every_path());
    let dossiers = generate(&sim, monday(), 30);
    let seen = check_all(&dossiers);
    let all: BTreeSet<&str> = CommandBody::NAMES.into_iter().collect();
    let missing: Vec<&&str> = all.difference(&seen).collect();
    // Stopping is an authority's act the simulated applicants and officers never take.
    assert_eq!(missing, vec![&"stop"], "never generated: {missing:?}");
}

#[test]
fn the_three_level_list_works_with_district_offices() {
    let sim = simulation(SimSettings {
        unit_list: "3level-2025-03".to_owned(),
        ..every_path()
    });
    // May–June 2025: the Decree 61 rule set, which has no supplement closure, so applicants who
    // never complete withdraw instead.
    let dossiers = generate(&sim, jiff::civil::date(2025, 5, 5), 40);
    check_all(&dossiers);
    let district_desk = dossiers.iter().any(|d| {
        d.steps.iter().any(|s| {
            s.command.actor.agency.as_ref().is_some_and(|a| {
                a.as_str().len() == "MC.760".len() && a.as_str().starts_with("MC.")
            })
        })
    });
    assert!(district_desk, "district one-stop desks receive");
    let district_committee_forward = dossiers.iter().any(|d| {
        d.steps.iter().any(|s| {
            matches!(&s.command.body, C::Forward { to, .. } if to.as_str().starts_with("UB.") && to.as_str().len() == 6)
        })
    });
    assert!(
        district_committee_forward,
        "district People's Committees handle"
    );
    assert!(
        dossiers.iter().all(|d| count(d, "expire_supplement") == 0),
        "no closure under Decree 61"
    );
}

#[test]
fn a_province_other_than_hcmc_works() {
    // Tuyên Quang (08), a northern province: sized by its communes.
    let sim = simulation(SimSettings {
        province: "08".parse().unwrap(),
        scale: 0.1,
        ..SimSettings::default()
    });
    assert!(sim.dossiers_per_working_day() > 100.0);
    let dossiers = generate(&sim, monday(), 5);
    check_all(&dossiers);
    assert!(dossiers.iter().all(|d| d.province.as_str() == "08"));
}
