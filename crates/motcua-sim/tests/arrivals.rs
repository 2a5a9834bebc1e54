//! When things happen: paper dossiers arrive on working days within office hours, online ones at
//! any hour but are received in working time, officers act in working time, Mondays are busier
//! than Fridays and mornings busier than afternoons, and the daily volume is the setting's.

mod common;

use std::sync::OnceLock;

use common::*;
use jiff::civil::Weekday;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{CommandBody, Role};
use motcua_sim::{SimDossier, SimSettings};

const PER_DAY: f64 = 800.0;

fn sample() -> &'static Vec<SimDossier> {
    static SAMPLE: OnceLock<Vec<SimDossier>> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let sim = simulation(SimSettings {
            dossiers_per_working_day: Some(PER_DAY),
            seed: 11,
            ..SimSettings::default()
        });
        // Four plain weeks of November 2025, then the window goes on so lives can finish.
        generate(&sim, monday(), 28)
    })
}

#[test]
fn paper_dossiers_arrive_on_working_days_in_office_hours() {
    let cal = &reference().calendar;
    let mut paper = 0;
    for d in sample() {
        let first = &d.steps[0];
        if channel_of(d) != Channel::Online {
            paper += 1;
            assert!(matches!(first.command.body, CommandBody::Receive { .. }));
            assert!(
                cal.is_working_day(cal.local_date(first.at)),
                "{}",
                cal.local(first.at)
            );
            assert!(
                cal.is_desk_open(first.at),
                "received at {}",
                cal.local(first.at)
            );
        }
    }
    assert!(paper > 4_000, "{paper}");
}

#[test]
fn online_dossiers_come_at_any_hour_and_are_received_in_working_time() {
    let cal = &reference().calendar;
    let (mut night, mut day_off, mut received) = (0, 0, 0);
    for d in sample().iter().filter(|d| channel_of(d) == Channel::Online) {
        let submitted = cal.local(d.steps[0].at);
        if submitted.hour() < 7 || submitted.hour() >= 17 {
            night += 1;
        }
        if !cal.is_working_day(submitted.date()) {
            day_off += 1;
        }
        if let Some(step) = first(d, "receive") {
            received += 1;
            assert!(
                cal.is_desk_open(step.at),
                "received at {}",
                cal.local(step.at)
            );
            assert!(step.at > d.steps[0].at);
        }
    }
    assert!(
        night > 500 && day_off > 500 && received > 10_000,
        "{night} {day_off} {received}"
    );
}

#[test]
fn officers_and_the_system_act_in_working_time() {
    let cal = &reference().calendar;
    let mut checked = 0;
    for d in sample() {
        for s in &d.steps {
            if s.command.actor.role != Role::Applicant {
                checked += 1;
                assert!(
                    cal.is_desk_open(s.at),
                    "{} by {} at {}",
                    s.command.body.name(),
                    s.command.actor.id,
                    cal.local(s.at)
                );
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
}

#[test]
fn mondays_are_busier_than_fridays_and_the_volume_is_the_setting() {
    let cal = &reference().calendar;
    let mut per_weekday = [0u32; 7];
    for d in sample() {
        let day = cal.local_date(d.steps[0].at);
        if cal.is_working_day(day) {
            per_weekday[day.weekday().to_monday_zero_offset() as usize] += 1;
        }
    }
    let ratio = f64::from(per_weekday[0]) / f64::from(per_weekday[4]);
    assert!(
        (1.2..1.5).contains(&ratio),
        "Mon/Fri {ratio} {per_weekday:?}"
    );
    // 20 working days (3–28 November 2025 has no holiday).
    let mean = f64::from(per_weekday.iter().sum::<u32>()) / 20.0;
    assert!((mean / PER_DAY - 1.0).abs() < 0.03, "{mean} a working day");
    assert_eq!(
        (1..=28)
            .map(|i| monday()
                .checked_add(jiff::SignedDuration::from_hours(24 * (i - 1)))
                .unwrap())
            .filter(|d| cal.is_working_day(*d))
            .count(),
        20
    );
    assert_eq!(monday().weekday(), Weekday::Monday);
}

#[test]
fn the_desk_has_a_morning_rush_and_a_lunch_break() {
    let cal = &reference().calendar;
    let mut by_half_hour = [0u32; 48];
    for d in sample().iter().filter(|d| channel_of(d) != Channel::Online) {
        let t = cal.local(d.steps[0].at);
        by_half_hour[(t.hour() as usize) * 2 + usize::from(t.minute() >= 30)] += 1;
    }
    let at = |h: usize, m: usize| by_half_hour[h * 2 + m / 30];
    let rush = at(8, 30) + at(9, 0) + at(9, 30);
    let afternoon = at(14, 0) + at(14, 30) + at(15, 0);
    assert!(rush > afternoon, "{rush} ≤ {afternoon}");
    assert_eq!(at(11, 30) + at(12, 0) + at(12, 30) + at(13, 0), 0, "lunch");
    assert_eq!(at(17, 0) + at(6, 30), 0, "closed");
}

#[test]
fn saturday_morning_receipt_when_asked_for() {
    let sim = simulation(SimSettings {
        dossiers_per_working_day: Some(400.0),
        saturday_morning_receipt: 0.3,
        ..SimSettings::default()
    });
    let cal = &reference().calendar;
    let saturday: Vec<SimDossier> = generate(&sim, monday(), 14)
        .into_iter()
        .filter(|d| {
            channel_of(d) != Channel::Online
                && cal.local_date(d.steps[0].at).weekday() == Weekday::Saturday
        })
        .collect();
    assert!(saturday.len() > 20, "{}", saturday.len());
    for d in &saturday {
        let t = cal.local(d.steps[0].at);
        assert!((7..12).contains(&t.hour()), "{t}");
        fold(d);
        // Everything after the receipt waits for working time.
        assert!(
            d.steps[1..]
                .iter()
                .all(|s| s.command.actor.role == Role::Applicant || cal.is_desk_open(s.at))
        );
    }
}
