//! `motcua catalogue`: validate and summarise the procedure catalogue.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use motcua_domain::catalogue::{Catalogue, ProcedureLevel};

/// Arguments of `motcua catalogue`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A catalogue CSV to check instead of the shipped one (same columns as
    /// `crates/motcua-domain/data/procedures.csv`).
    #[arg(long)]
    pub file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let catalogue = match &args.file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Catalogue::from_csv(&text).with_context(|| format!("{}", path.display()))?
        }
        None => Catalogue::embedded(),
    };
    let versions: Vec<_> = catalogue.iter().collect();
    let mut hierarchies: Vec<_> = versions.iter().map(|v| v.hierarchy.clone()).collect();
    hierarchies.sort();
    hierarchies.dedup();
    say!(
        "catalogue: {} procedure versions, {} procedures, {} fields",
        versions.len(),
        catalogue.codes().count(),
        catalogue.fields().len()
    );
    for h in &hierarchies {
        let of: Vec<_> = versions.iter().filter(|v| &v.hierarchy == h).collect();
        let by = |l: ProcedureLevel| of.iter().filter(|v| v.level == l).count();
        say!(
            "  {h}: {} versions (commune {}, district {}, province {}, ministry {}); {} with unverified time limits; {} liaison routes",
            of.len(),
            by(ProcedureLevel::Commune),
            by(ProcedureLevel::District),
            by(ProcedureLevel::Province),
            by(ProcedureLevel::Ministry),
            of.iter().filter(|v| !v.time_verified).count(),
            of.iter().filter(|v| !v.liaison_route.is_empty()).count(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
