//! The same settings and seed give the same dossiers, to the command id and the dossier code; a
//! different seed gives different ones; ids are unique; the live feed is just as reproducible and
//! its schedule hands steps out in time order.

mod common;

use std::collections::HashSet;

use common::*;
use jiff::Timestamp;
use motcua_sim::{LiveRate, Schedule, SimDossier, SimSettings};

fn settings(seed: u64) -> SimSettings {
    SimSettings {
        dossiers_per_working_day: Some(300.0),
        seed,
        ..SimSettings::default()
    }
}

fn json(dossiers: &[SimDossier]) -> String {
    serde_json::to_string(dossiers).expect("serialises")
}

#[test]
fn same_settings_same_dossiers() {
    let a = generate(&simulation(settings(5)), monday(), 10);
    let b = generate(&simulation(settings(5)), monday(), 10);
    assert!(a.len() > 2_000);
    assert_eq!(a, b);
    assert_eq!(json(&a), json(&b));
    let back: Vec<SimDossier> = serde_json::from_str(&json(&a)).expect("reads back");
    assert_eq!(back, a);
    // Two iterations of one simulation agree too.
    let sim = simulation(settings(5));
    assert_eq!(generate(&sim, monday(), 3), generate(&sim, monday(), 3));
}

#[test]
fn another_seed_other_dossiers() {
    let a = generate(&simulation(settings(5)), monday(), 2);
    let b = generate(&simulation(settings(6)), monday(), 2);
    assert_ne!(a.first().map(|d| d.id), b.first().map(|d| d.id));
    assert_ne!(json(&a), json(&b));
}

#[test]
fn ids_are_unique_and_dossiers_come_in_arrival_order() {
    let all = generate(&simulation(settings(5)), monday(), 10);
    let mut dossier_ids = HashSet::new();
    let mut command_ids = HashSet::new();
    for d in &all {
        assert!(dossier_ids.insert(d.id));
        assert_eq!(d.id.get_version_num(), 7);
        for s in &d.steps {
            assert!(command_ids.insert(s.command.id), "command id reused");
        }
    }
    assert!(all.windows(2).all(|w| w[0].steps[0].at <= w[1].steps[0].at));
}

#[test]
fn a_day_is_the_same_whatever_window_it_is_in() {
    // Each day has its own random stream: the second day of a 3-day window is the first day of
    // the window that starts a day later (codes aside, which count from the window's start).
    let sim = simulation(settings(5));
    let tuesday = monday().tomorrow().unwrap();
    let cal = &reference().calendar;
    let ids = |dossiers: Vec<SimDossier>| -> Vec<uuid::Uuid> {
        dossiers
            .into_iter()
            .filter(|d| cal.local_date(d.steps[0].at) == tuesday)
            .map(|d| d.id)
            .collect()
    };
    let within = ids(generate(&sim, monday(), 3));
    let alone = ids(generate(&sim, tuesday, 1));
    assert!(!within.is_empty());
    assert_eq!(within, alone);
}

#[test]
fn the_live_feed_is_reproducible_and_valid() {
    let sim = simulation(settings(5));
    let start: Timestamp = "2025-11-04T01:30:00Z".parse().unwrap(); // Tuesday 08:30 local
    let take = |rate| -> Vec<SimDossier> { sim.live(start, rate).take(300).collect() };
    for rate in [LiveRate::Profile, LiveRate::PerHour(900.0)] {
        let a = take(rate);
        assert_eq!(a, take(rate));
        assert_eq!(a.len(), 300);
        for d in &a {
            assert!(d.steps[0].at >= start);
            fold(d);
        }
        assert!(a.windows(2).all(|w| w[0].steps[0].at <= w[1].steps[0].at));
    }
    // 900 an hour: 300 arrivals take about 20 minutes.
    let steady = take(LiveRate::PerHour(900.0));
    let span = steady[299].steps[0]
        .at
        .duration_since(steady[0].steps[0].at);
    let minutes = span.as_secs_f64() / 60.0;
    assert!((15.0..26.0).contains(&minutes), "{minutes}");
}

#[test]
fn the_schedule_hands_steps_out_in_time_order() {
    let sim = simulation(settings(5));
    let start: Timestamp = "2025-11-04T01:30:00Z".parse().unwrap();
    let dossiers: Vec<SimDossier> = sim
        .live(start, LiveRate::PerHour(600.0))
        .take(200)
        .collect();
    let total: usize = dossiers.iter().map(|d| d.steps.len()).sum();
    let mut schedule = Schedule::default();
    for d in dossiers.iter().cloned() {
        schedule.push(d);
    }
    assert_eq!(schedule.len(), total);
    let noon: Timestamp = "2025-11-04T05:00:00Z".parse().unwrap();
    let mut last = None;
    let mut due = 0;
    while let Some(step) = schedule.pop_due(noon) {
        assert!(step.at <= noon);
        assert!(last.is_none_or(|l| l <= step.at));
        last = Some(step.at);
        due += 1;
    }
    assert!(due > 0 && schedule.next_at().is_some_and(|t| t > noon));
    let mut seen = due;
    while let Some(step) = schedule.pop() {
        assert!(last.is_none_or(|l| l <= step.at));
        last = Some(step.at);
        seen += 1;
    }
    assert_eq!(seen, total);
    assert!(schedule.is_empty());
}
