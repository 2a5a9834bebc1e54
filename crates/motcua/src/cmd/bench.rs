//! `motcua bench`: runs the benchmarks of `motcua-bench` and prints their table.

use std::process::ExitCode;

use anyhow::Context;

/// Runs the selected sections, prints the Markdown table, writes the JSON when asked.
pub async fn run(options: motcua_bench::Options) -> anyhow::Result<ExitCode> {
    let report = motcua_bench::run(&options).await?;
    say!("{}", report.markdown());
    if let Some(path) = &options.json {
        let json = serde_json::to_vec_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let missed = report.missed().count();
    if missed > 0 {
        say!("{missed} figure(s) miss their target (marked **no**).");
    }
    Ok(ExitCode::SUCCESS)
}
