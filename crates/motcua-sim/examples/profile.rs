//! What a simulated window looks like, measured on the folded histories: `cargo run --release
//! -p motcua-sim --example profile -- [DAYS] [DOSSIERS_PER_WORKING_DAY] [SEED]`.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;

use motcua_domain::Reference;
use motcua_domain::calendar::Timeliness;
use motcua_domain::dossier::{CommandBody, Dossier, Stage, decide};
use motcua_sim::{SimSettings, Simulation};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let days: u32 = args.first().map_or(Ok(30), |a| a.parse())?;
    let per_day: f64 = args.get(1).map_or(Ok(2_000.0), |a| a.parse())?;
    let seed: u64 = args.get(2).map_or(Ok(2025), |a| a.parse())?;
    let reference = Reference::official();
    let settings = SimSettings {
        dossiers_per_working_day: Some(per_day),
        seed,
        ..SimSettings::default()
    };
    let sim = Simulation::new(reference.clone(), settings.clone())?;
    let from = jiff::civil::date(2025, 11, 3);
    let cal = &reference.calendar;
    let ctx = reference.context();

    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_weekday: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_hour = [0u64; 24];
    let mut commands = 0u64;
    let mut events = 0u64;
    let mut n = 0u64;
    for d in sim.dossiers(from, days)? {
        n += 1;
        let mut state = Dossier::new();
        for s in &d.steps {
            let e = decide(&state, &s.command, s.at, &ctx)?;
            events += e.len() as u64;
            state = e.iter().fold(state, Dossier::evolve);
        }
        commands += d.steps.len() as u64;
        let first = &d.steps[0];
        let local = cal.local(first.at);
        *by_weekday
            .entry(format!("{:?}", local.date().weekday()))
            .or_default() += 1;
        if !matches!(first.command.body, CommandBody::SubmitOnline { .. }) {
            by_hour[usize::try_from(local.hour()).unwrap_or(0)] += 1;
        }
        let mut bump = |k: &'static str| *counts.entry(k).or_default() += 1;
        bump(match &first.command.body {
            CommandBody::SubmitOnline { .. } => "channel online",
            CommandBody::Receive {
                channel: Some(motcua_domain::catalogue::Channel::Postal),
                ..
            } => "channel postal",
            _ => "channel direct",
        });
        if state.received_at.is_some() {
            bump("received");
            if d.steps
                .iter()
                .filter(|s| matches!(s.command.body, CommandBody::Forward { .. }))
                .count()
                >= 2
            {
                bump("liaison");
            }
            if state.supplement_requests >= 1 {
                bump("supplement asked");
            }
            if state.supplement_requests >= 2 {
                bump("supplement asked twice");
            }
        }
        if let Some(t) = state.timeliness {
            bump("resolved");
            bump(match t {
                Timeliness::Early => "resolved early (trước hạn)",
                Timeliness::OnTime => "resolved on time (đúng hạn)",
                Timeliness::Late => "resolved late (quá hạn)",
            });
            if state.apologised {
                bump("resolved after an apology");
            }
        }
        bump(match state.stage {
            Stage::Returned => "end: returned",
            Stage::Withdrawn => "end: withdrawn",
            Stage::IntakeRefused => "end: refused at intake",
            Stage::Closed => "end: closed (no supplement)",
            Stage::ResultReady => "open: result waiting at the desk",
            Stage::Submitted | Stage::IntakeSupplement => "open: online, not yet received",
            _ => "open: in handling",
        });
        if state.satisfaction.is_some() {
            bump("rated");
        }
    }
    println!(
        "{days} days from {from}, {per_day}/working day, seed {seed}: {n} dossiers, {:.1} commands and {:.1} events per dossier",
        commands as f64 / n as f64,
        events as f64 / n as f64
    );
    for (k, v) in &counts {
        println!("  {k:<36} {v:>8}  {:>6.2} %", 100.0 * *v as f64 / n as f64);
    }
    let received = counts.get("received").copied().unwrap_or(1) as f64;
    let resolved = counts.get("resolved").copied().unwrap_or(1) as f64;
    let pct = |k: &str, of: f64| 100.0 * counts.get(k).copied().unwrap_or(0) as f64 / of;
    println!(
        "  of received: liaison {:.2} %, supplement {:.2} %; of resolved: quá hạn {:.2} %, after an apology {:.2} %",
        pct("liaison", received),
        pct("supplement asked", received),
        pct("resolved late (quá hạn)", resolved),
        pct("resolved after an apology", resolved),
    );
    println!("  arrivals by weekday: {by_weekday:?}");
    println!("  desk arrivals by hour: {by_hour:?}");
    Ok(())
}
