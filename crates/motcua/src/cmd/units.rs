//! `motcua units`: summarise an official list of administrative units.

use std::process::ExitCode;

use anyhow::{Context, bail};
use motcua_domain::units::{HierarchyId, UnitCode, UnitLevel, UnitRegistry};

/// Arguments of `motcua units`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which list: `2level-2025-07` (in force from 1 July 2025) or `3level-2025-03`.
    #[arg(long, default_value = HierarchyId::TWO_LEVEL_2025_07)]
    pub list: String,
    /// Show one unit (a province, district or commune code) and the units below it.
    #[arg(long)]
    pub unit: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let registry = UnitRegistry::official();
    let Some(graph) = registry.graph(&args.list) else {
        let known: Vec<_> = registry
            .graphs()
            .iter()
            .map(|g| g.id().to_string())
            .collect();
        bail!(
            "unknown unit list {:?}; known lists: {}",
            args.list,
            known.join(", ")
        );
    };
    let code: Option<UnitCode> = args
        .unit
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--unit")?;
    let to = graph
        .valid_to()
        .map_or_else(|| "today".to_owned(), |d| d.to_string());
    say!("{} (in force {} – {})", graph.id(), graph.valid_from(), to);
    for level in graph.levels() {
        say!("  {:<9} {:>6}", level.as_str(), graph.count(level));
    }
    let Some(code) = code else {
        return Ok(ExitCode::SUCCESS);
    };
    let unit = graph.require(&code)?;
    say!();
    let path: Vec<String> = graph
        .ancestors(&code)
        .iter()
        .rev()
        .map(|u| format!("{} {}", u.code, u.name))
        .collect();
    if !path.is_empty() {
        say!("{}", path.join(" › "));
    }
    say!(
        "{} {} ({}, {})",
        unit.code,
        unit.name,
        unit.kind,
        unit.level
    );
    let below = graph.descendants(&code);
    for level in [UnitLevel::District, UnitLevel::Commune] {
        let n = below.iter().filter(|u| u.level == level).count();
        if n > 0 {
            say!("  {n} {level} units below");
        }
    }
    for child in graph.children(&code).take(20) {
        say!("  {} {} ({})", child.code, child.name, child.kind);
    }
    let children = graph.children(&code).count();
    if children > 20 {
        say!("  … and {} more", children - 20);
    }
    Ok(ExitCode::SUCCESS)
}
