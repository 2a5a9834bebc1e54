//! A large sample meets the settings: channel mix, liaison, supplement, late, apology,
//! withdrawal and intake-refusal shares, measured on the folded histories (what reports would
//! count), within tolerances of a few standard errors.
//!
//! Dossiers are counted if they arrived in the first 20 days of a 45-day window, so that nearly
//! every one has finished its life before the window ends.

mod common;

use std::sync::OnceLock;

use common::*;
use motcua_domain::calendar::Timeliness;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{Dossier, Stage};
use motcua_sim::{SimDossier, SimSettings};

struct Sample {
    dossiers: Vec<(SimDossier, Dossier)>,
}

fn settings() -> SimSettings {
    SimSettings {
        dossiers_per_working_day: Some(1_000.0),
        seed: 7,
        ..SimSettings::default()
    }
}

fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let sim = simulation(settings());
        let cutoff = monday()
            .checked_add(jiff::SignedDuration::from_hours(24 * 20))
            .expect("in range");
        let dossiers = generate(&sim, monday(), 45)
            .into_iter()
            .filter(|d| reference().calendar.local_date(d.steps[0].at) < cutoff)
            .map(|d| {
                let state = fold(&d);
                (d, state)
            })
            .collect();
        Sample { dossiers }
    })
}

fn share(num: usize, den: usize) -> f64 {
    assert!(den > 0);
    num as f64 / den as f64
}

/// Standard error of a share `p` over `n`.
fn se(p: f64, n: usize) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

fn received(s: &Sample) -> impl Iterator<Item = &(SimDossier, Dossier)> {
    s.dossiers.iter().filter(|(_, st)| st.received_at.is_some())
}

#[test]
fn the_sample_is_large_and_finished() {
    let s = sample();
    assert!(s.dossiers.len() > 15_000, "{}", s.dossiers.len());
    let complete = s.dossiers.iter().filter(|(d, _)| d.complete).count();
    assert!(share(complete, s.dossiers.len()) > 0.97, "{complete}");
}

#[test]
fn channel_mix() {
    let s = sample();
    let cal = &reference().calendar;
    let working: Vec<_> = s
        .dossiers
        .iter()
        .filter(|(d, _)| cal.is_working_day(cal.local_date(d.steps[0].at)))
        .collect();
    let n = working.len();
    let c = settings().channel_mix;
    let total = c.online + c.direct + c.postal;
    for (channel, want) in [
        (Channel::Online, c.online / total),
        (Channel::Direct, c.direct / total),
        (Channel::Postal, c.postal / total),
    ] {
        let got = share(
            working
                .iter()
                .filter(|(d, _)| channel_of(d) == channel)
                .count(),
            n,
        );
        assert_near(&format!("{channel} share"), got, want, 3.0 * se(want, n));
    }
    // On days off only the portal takes dossiers.
    let off_day = s
        .dossiers
        .iter()
        .filter(|(d, _)| !cal.is_working_day(cal.local_date(d.steps[0].at)))
        .collect::<Vec<_>>();
    assert!(!off_day.is_empty());
    assert!(
        off_day
            .iter()
            .all(|(d, _)| channel_of(d) == Channel::Online)
    );
}

#[test]
fn liaison_share() {
    let s = sample();
    let received: Vec<_> = received(s).collect();
    let liaison = received
        .iter()
        .filter(|(d, _)| count(d, "forward") >= 2)
        .count();
    let want = settings().liaison_share;
    let n = received.len();
    assert_near(
        "liaison share",
        share(liaison, n),
        want,
        3.0 * se(want, n) + 0.01,
    );
}

#[test]
fn supplement_shares() {
    let s = sample();
    let received: Vec<_> = received(s).collect();
    let n = received.len();
    let asked: Vec<_> = received
        .iter()
        .filter(|(_, st)| st.supplement_requests >= 1)
        .collect();
    let want = settings().supplement_share;
    // Withdrawals before the request lower it slightly.
    assert_near(
        "supplement share",
        share(asked.len(), n),
        want,
        3.0 * se(want, n) + 0.005,
    );
    let twice = asked
        .iter()
        .filter(|(_, st)| st.supplement_requests >= 2)
        .count();
    let want = settings().second_supplement_share;
    let m = asked.len();
    assert_near(
        "second requests",
        share(twice, m),
        want,
        3.0 * se(want, m) + 0.01,
    );
    let closed = asked
        .iter()
        .filter(|(_, st)| st.stage == Stage::Closed)
        .count();
    let want = settings().supplement_expiry_share;
    assert_near(
        "closed for want of a supplement",
        share(closed, m),
        want,
        3.0 * se(want, m) + 0.01,
    );
}

#[test]
fn late_and_apology_shares() {
    let s = sample();
    let resolved: Vec<_> = s
        .dossiers
        .iter()
        .filter(|(_, st)| st.resolved_at.is_some())
        .collect();
    let n = resolved.len();
    let late = resolved
        .iter()
        .filter(|(_, st)| st.timeliness == Some(Timeliness::Late))
        .count();
    let apologised = resolved.iter().filter(|(_, st)| st.apologised).count();
    let cfg = settings();
    // The officers overran: resolved after the deadline, or saved by a timely apology.
    let overran = share(late + apologised, n);
    assert_near(
        "late share",
        overran,
        cfg.late_share,
        3.0 * se(cfg.late_share, n) + 0.005,
    );
    let want = cfg.late_share * (1.0 - cfg.apology_share);
    assert_near(
        "quá hạn share",
        share(late, n),
        want,
        3.0 * se(want, n) + 0.005,
    );
    let among = share(apologised, late + apologised);
    assert_near(
        "apologies among the late",
        among,
        cfg.apology_share,
        3.0 * se(cfg.apology_share, late + apologised) + 0.01,
    );
    // Apologies are made before the due time.
    for (d, _) in &resolved {
        if let Some(step) = first(d, "apologise") {
            let before = d
                .steps
                .iter()
                .take_while(|s| s.at < step.at)
                .cloned()
                .collect();
            let state = fold(&SimDossier {
                steps: before,
                ..(*d).clone()
            });
            assert!(
                step.at <= state.deadline.unwrap(),
                "apology after the due time"
            );
        }
    }
}

#[test]
fn withdrawal_and_intake_refusal_shares() {
    let s = sample();
    let n = s.dossiers.len();
    let cfg = settings();
    // Applicants withdraw, and the desk withdraws for those who never complete a supplement
    // where the rule set has no closure (not under Decree 118).
    let withdrawn = s
        .dossiers
        .iter()
        .filter(|(_, st)| st.stage == Stage::Withdrawn)
        .count();
    assert_near(
        "withdrawal share",
        share(withdrawn, n),
        cfg.withdrawal_share,
        3.0 * se(cfg.withdrawal_share, n) + 0.002,
    );
    let online: Vec<_> = s
        .dossiers
        .iter()
        .filter(|(d, _)| channel_of(d) == Channel::Online)
        .collect();
    let refused = online
        .iter()
        .filter(|(_, st)| st.stage == Stage::IntakeRefused)
        .count();
    let m = online.len();
    let intake_late = online
        .iter()
        .filter(
            |(_, st)| matches!((st.received_at, st.intake_due_at), (Some(r), Some(due)) if r > due),
        )
        .count();
    let accepted = online
        .iter()
        .filter(|(_, st)| st.received_at.is_some())
        .count();
    assert_near(
        "online dossiers accepted after 8 working hours",
        share(intake_late, accepted),
        cfg.intake_late_share,
        3.0 * se(cfg.intake_late_share, accepted) + 0.002,
    );
    // Withdrawals before intake take a few of the would-be refusals.
    assert_near(
        "intake refusal share",
        share(refused, m),
        cfg.intake_refusal_share,
        3.0 * se(cfg.intake_refusal_share, m) + 0.002,
    );
}

#[test]
fn feedback_share() {
    let s = sample();
    let returned: Vec<_> = s
        .dossiers
        .iter()
        .filter(|(_, st)| st.stage == Stage::Returned)
        .collect();
    let n = returned.len();
    let rated = returned
        .iter()
        .filter(|(_, st)| st.satisfaction.is_some())
        .count();
    let want = settings().feedback_share;
    assert_near(
        "feedback share",
        share(rated, n),
        want,
        3.0 * se(want, n) + 0.005,
    );
}
