//! How fast the generator is: `cargo run --release -p motcua-sim --example throughput -- [DAYS]
//! [DOSSIERS_PER_WORKING_DAY] [UNIT_LIST FROM]`. Defaults: 30 days of a 2,000-dossier Hồ Chí
//! Minh City from Monday 3 November 2025 on the 2-level list.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use motcua_domain::Reference;
use motcua_sim::{SimSettings, Simulation};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let days: u32 = args.first().map_or(Ok(30), |a| a.parse())?;
    let per_day: f64 = args.get(1).map_or(Ok(2_000.0), |a| a.parse())?;
    let unit_list = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "2level-2025-07".to_owned());
    let from: jiff::civil::Date = args.get(3).map_or("2025-11-03", String::as_str).parse()?;

    let setup = Instant::now();
    let settings = SimSettings {
        dossiers_per_working_day: Some(per_day),
        unit_list,
        ..SimSettings::default()
    };
    let sim = Simulation::new(Reference::official(), settings)?;
    let setup = setup.elapsed();

    let started = Instant::now();
    let mut dossiers = sim.dossiers(from, days)?;
    let (mut count, mut steps, mut open) = (0u64, 0u64, 0u64);
    for d in dossiers.by_ref() {
        count += 1;
        steps += d.steps.len() as u64;
        open += u64::from(!d.complete);
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{days} days of {} ({per_day}/working day, {} communes) from {from}: {count} dossiers, {steps} commands ({open} open at the end) in {elapsed:.2} s = {:.0} dossiers/s, {:.0} commands/s; setup {:.2} s; refusals {}{}",
        sim.province(),
        sim.commune_count(),
        count as f64 / elapsed,
        steps as f64 / elapsed,
        setup.as_secs_f64(),
        dossiers.refusals(),
        dossiers
            .first_refusal()
            .map(|r| format!(" (first: {r})"))
            .unwrap_or_default(),
    );
    Ok(())
}
