//! The Decision 766 indicators from the counters equal those folded from the histories.
//!
//! `Views::kpi766_indicators` reads the counters for a period that has ended (2.2 working minutes
//! and seconds, 4.1, 4.2, received digitised, 3.6 payments, with 2.1 and 3.3 as before), and
//! `Views::kpi766_indicators_folded` folds every dossier's history cut at the period end, as the
//! report did before the counters carried these facts. Over random histories (walks over the
//! domain's `decide`, with frequent fees paid in cash or online, sometimes several times), put
//! into a store in import order, both must give the same rows and totals for every unit and every
//! period that has ended: days, weeks, windows across month and year ends, months, a quarter, a
//! year. The official report (live and as of) must carry the same indicators.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use bytes::Bytes;
use common::*;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::dossier::{EventBody, PaymentMethod};
use motcua_views::{Delivery, Judging, Kpi766Indicators, ReportQuery, ReportSource, Shard, Views};
use proptest::prelude::*;

const SCOPES: [&str; 5] = ["79", "26740", "760", "26506", "26734"];

fn open(dir: &std::path::Path) -> Views {
    Views::open(dir, Shard::province(unit("79")), reference()).unwrap()
}

/// Every commit, dossier after dossier: an import of old dossiers, not event-time order.
fn import_order(dossiers: &[GenDossier]) -> Vec<Delivery> {
    let mut out = Vec::new();
    for d in dossiers {
        for env in envelopes(d) {
            out.push(Delivery {
                seq: out.len() as u64 + 1,
                subject: env.subject.subject(),
                payload: Bytes::from(env.encode()),
            });
        }
    }
    out
}

fn days(d: Date, n: i64) -> Date {
    d.checked_add(SignedDuration::from_hours(24 * n)).unwrap()
}

fn end_of(to: Date) -> Timestamp {
    jiff::tz::offset(7)
        .to_timestamp(
            to.tomorrow()
                .unwrap()
                .to_datetime(jiff::civil::Time::midnight()),
        )
        .unwrap()
}

/// The folded indicators without the cost figures, which only the fold has.
fn without_cost(mut i: Kpi766Indicators) -> Kpi766Indicators {
    i.dossiers_read = 0;
    i.histories_folded = 0;
    i
}

/// Periods around the generator's windows (2025 for the 3-level era, early 2026 for the rest),
/// plus a few around an instant.
fn periods(around: Date) -> Vec<(Date, Date)> {
    let mut out = vec![
        (date("2025-01-01"), date("2025-12-31")),
        (date("2025-04-01"), date("2025-06-30")),
        (date("2025-12-20"), date("2026-01-10")),
        (date("2026-01-01"), date("2026-03-31")),
        (date("2026-02-01"), date("2026-02-28")),
        (date("2026-02-10"), date("2026-03-05")),
        (date("2026-03-01"), date("2026-03-31")),
        (date("2026-01-01"), date("2026-12-31")),
    ];
    for k in [0, 1, 3, 7] {
        let d = days(around, -k);
        out.push((d, d));
        out.push((days(d, -6), d));
        out.push((d.first_of_month(), d));
    }
    out
}

/// Compares the counters with the fold for every scope and period that has ended by `at`;
/// returns how many comparisons had a fee payment in them.
fn compare(v: &Views, at: Timestamp, note: &str) -> usize {
    let mut with_fees = 0;
    let today = reference().calendar.local_date(at);
    for s in SCOPES {
        let u = unit(s);
        for (from, to) in periods(today) {
            let note = format!("{note}: {s} {from}..{to} at {at}");
            let folded = without_cost(v.kpi766_indicators_folded(&u, from, to, at).unwrap());
            if end_of(to) > at {
                // A running period: the as-of indicators still fold the histories.
                assert_eq!(
                    without_cost(v.kpi766_indicators(&u, from, to, at).unwrap()),
                    folded,
                    "{note}: running"
                );
                continue;
            }
            let counted = v.kpi766_indicators(&u, from, to, at).unwrap();
            assert_eq!(
                (counted.dossiers_read, counted.histories_folded),
                (0, 0),
                "{note}: a closed period is read from the counters"
            );
            assert_eq!(counted, folded, "{note}");
            with_fees += usize::from(folded.total.fee_paid > 0);
            for judging in [Judging::Live, Judging::AsOf] {
                let r = v
                    .official_report(&ReportQuery {
                        unit: u.clone(),
                        from,
                        to,
                        at,
                        judging,
                        indicators: true,
                    })
                    .unwrap();
                assert_eq!(r.source, ReportSource::Counters, "{note}");
                assert_eq!(r.indicators.as_ref(), Some(&counted), "{note}: official");
                assert_eq!(r.kpi766, counted.total.on_time, "{note}: 2.1");
                assert_eq!(
                    r.bieu06.total.resolved_total(),
                    counted.total.completed,
                    "{note}: column 7"
                );
            }
        }
    }
    with_fees
}

/// A store fed `dossiers` in import order, compared at the end of history and at a few
/// instants inside it (the closed periods before each instant see only their own days).
fn check(dossiers: &[GenDossier], seed: u64) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let v = open(dir.path());
    v.apply(&import_order(dossiers)).unwrap();
    let mut times: Vec<Timestamp> = dossiers
        .iter()
        .flat_map(|d| d.events().map(|e| e.at))
        .collect();
    times.sort();
    let last = *times.last().unwrap();
    let mut rng = common::Rng::new(seed ^ 0x766);
    let mut instants = vec![last + SignedDuration::from_hours(1), at("2027-01-02T00:00")];
    for _ in 0..2 {
        instants.push(*rng.pick(&times));
    }
    let mut with_fees = 0;
    for t in instants {
        with_fees += compare(&v, t, &format!("seed {seed}"));
    }
    // After the last event, the live official report of a running period (judged now, from the
    // counters) equals the fold as of now: no event is later than `at`.
    let now = last + SignedDuration::from_hours(1);
    let today = reference().calendar.local_date(now);
    for s in SCOPES {
        let u = unit(s);
        for (from, to) in [
            (today.first_of_month(), today.last_of_month()),
            (today, today),
        ] {
            let live = v
                .official_report(&ReportQuery {
                    unit: u.clone(),
                    from,
                    to,
                    at: now,
                    judging: Judging::Live,
                    indicators: true,
                })
                .unwrap();
            assert_eq!(live.source, ReportSource::Counters);
            assert_eq!(
                live.indicators,
                Some(without_cost(
                    v.kpi766_indicators_folded(&u, from, to, now).unwrap()
                )),
                "seed {seed}: live {s} {from}..{to}"
            );
        }
    }
    with_fees
}

fn generator(seed: u64) -> Generator {
    let mut g = Generator::new(seed);
    // Fees often, paid both ways, and room for a second fee after the first.
    g.fee_percent = 35;
    g.cash_percent = 40;
    g.max_steps = 24;
    g
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 0, .. ProptestConfig::default() })]

    #[test]
    fn counter_indicators_equal_the_folded_ones(seed in any::<u64>(), n in 5usize..40) {
        let mut g = generator(seed);
        if seed % 2 == 0 {
            // Many dossiers open at once, many changes on the same days.
            g.window = (at("2026-02-02T07:30"), at("2026-02-20T16:00"));
        }
        check(&g.dossiers(n), seed);
    }
}

/// A fixed larger case that must contain what the pair entries are for: dossiers paying on two
/// different days, in cash and online.
#[test]
fn counter_indicators_on_a_busy_quarter() {
    let seed = 20_260_331;
    let dossiers = generator(seed).dossiers(120);
    let mut payment_days: BTreeMap<String, Vec<(Date, PaymentMethod)>> = BTreeMap::new();
    for d in &dossiers {
        for e in d.events() {
            if let EventBody::FeePaid { method, .. } = &e.body {
                payment_days
                    .entry(d.key.to_string())
                    .or_default()
                    .push((reference().calendar.local_date(e.at), *method));
            }
        }
    }
    let twice = payment_days
        .values()
        .filter(|p| p.first().map(|f| f.0) != p.last().map(|l| l.0))
        .count();
    let methods: std::collections::BTreeSet<String> = payment_days
        .values()
        .flatten()
        .map(|(_, m)| format!("{m:?}"))
        .collect();
    assert!(twice >= 2, "only {twice} dossiers paid on two days");
    assert_eq!(methods.len(), 2, "{methods:?}");
    assert!(check(&dossiers, seed) > 20);
}
