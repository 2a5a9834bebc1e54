//! `motcua bench --smoke` runs every section end to end on a few thousand events, so that the
//! benchmark code keeps compiling and running (the full run is `motcua bench`, by hand:
//! docs/benchmarks.md). The figures of a smoke run mean nothing; what is checked is that every
//! section measured what it says, with a raw baseline where it has one.
//!
//! Needs the pinned nats-server (`tools/test` sets `MOTCUA_NATS_SERVER`).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

#[test]
fn every_section_measures_something() {
    let nats_server = motcua_testkit::find_nats_server().unwrap_or_else(|e| {
        panic!(
            "run through tools/test, or export MOTCUA_NATS_SERVER=$(tools/install-nats-server): {e}"
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["bench", "--smoke", "--work-dir"])
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .env("MOTCUA_NATS_SERVER", &nats_server)
        .env("MOTCUA_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "motcua bench --smoke failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("| section | figure |"), "{stdout}");

    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["smoke"], true);
    let rows = report["rows"].as_array().unwrap();
    let sections: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["section"].as_str().unwrap())
        .collect();
    for wanted in [
        "ingest",
        "http",
        "projection",
        "rebuild",
        "freshness",
        "reports",
    ] {
        assert!(
            sections.contains(wanted),
            "no {wanted} rows in {sections:?}"
        );
    }
    for row in rows {
        let value = row["value"].as_f64().unwrap();
        assert!(value.is_finite() && value >= 0.0, "{row}");
    }
    for section in ["ingest", "projection", "rebuild"] {
        assert!(
            rows.iter()
                .any(|r| r["section"] == section && r["raw"].as_f64().is_some_and(|v| v > 0.0)),
            "{section} has no raw baseline"
        );
    }
}
