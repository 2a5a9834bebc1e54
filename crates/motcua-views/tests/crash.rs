//! kill -9 of a real projector process at 20 random moments while a load is appended, then a
//! final run to the end of the stream: the digest must equal that of a clean rebuild into a
//! fresh store (exactly-once effect: nothing lost, nothing applied twice).
//!
//! The projector runs as its own process (`motcua-views-projector`, a test harness binary of this
//! crate) so that SIGKILL hits it wherever it is: inside a sled transaction, between the commit
//! and the acks, during a consumer reset, during start-up.
//!
//! Load size: 20,000 events by default (still 20 kill points) so the default suite stays fast on
//! 2 cores; `MOTCUA_HEAVY=1` runs the 200,000 events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use motcua_log::{EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{Shard, Views, rebuild};

fn started_checkpoint(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("started checkpoint="))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_twenty_points_then_the_digest_equals_a_clean_rebuild() {
    let heavy = std::env::var("MOTCUA_HEAVY").is_ok_and(|v| v == "1");
    let target_events: usize = if heavy { 200_000 } else { 20_000 };
    let server = NatsServer::start_single().await.unwrap();
    let url = server.client_url();
    let log = EventLog::connect(&url, LogSettings::default())
        .await
        .unwrap();

    // Realistic histories from `decide`, until the load holds enough events.
    let mut generator = Generator::new(20_261_123);
    let mut dossiers = Vec::new();
    let mut events = 0usize;
    while events < target_events {
        let d = generator.dossier();
        events += d.events().count();
        dossiers.push(d);
    }
    let jobs: Vec<_> = dossiers.iter().map(envelopes).collect();
    let load = tokio::spawn(append_envelopes(log.clone(), jobs, 64));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("views");
    let bin = env!("CARGO_BIN_EXE_motcua-views-projector");
    let mut rng = Rng::new(766);
    let mut starts = Vec::new();
    let scale = if heavy { 3 } else { 1 };
    for _ in 0..20 {
        let child = Command::new(bin)
            .args([url.as_str(), path.to_str().unwrap(), "79"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let alive = Duration::from_millis(scale * (150 + rng.below(900)));
        tokio::time::sleep(alive).await;
        let mut child = child;
        child.kill().unwrap(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !stderr.contains("motcua-views-projector:"),
            "the projector failed by itself: {stderr}"
        );
        starts.push(started_checkpoint(&stderr));
    }
    let appended = load.await.unwrap();
    let last = log.last_sequence(&unit("79")).await.unwrap();
    assert_eq!(appended, last);

    // The last run goes to the end of the stream and exits.
    let started = Instant::now();
    let out = tokio::task::spawn_blocking({
        let path = path.clone();
        let url = url.clone();
        move || {
            Command::new(bin)
                .args([
                    url.as_str(),
                    path.to_str().unwrap(),
                    "79",
                    &last.to_string(),
                ])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "final run failed: {stderr}");
    assert!(
        stderr.contains(&format!("done checkpoint={last}")),
        "{stderr}"
    );
    let final_run = started.elapsed();

    // Every restart resumed from a checkpoint no smaller than the one before; some resumed
    // from the middle of the stream, so kills did land while there was work.
    let seen: Vec<u64> = starts.iter().flatten().copied().collect();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(
        seen.iter().filter(|&&c| c > 0 && c < last).count() >= 3,
        "too few kills landed mid-stream: {seen:?} of {last}"
    );

    let live = Views::open(&path, Shard::province(unit("79")), reference()).unwrap();
    assert_eq!(live.checkpoint().unwrap(), last);
    assert!(live.list_dead_letters(1).unwrap().is_empty());
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Views::open(
        fresh_dir.path(),
        Shard::named(unit("79"), "clean-rebuild").unwrap(),
        reference(),
    )
    .unwrap();
    let p = rebuild(&log, &fresh, |_| {}).await.unwrap();
    assert_eq!(p.seq, last);
    assert_eq!(p.events as usize, events);
    assert_eq!(live.digest().unwrap(), fresh.digest().unwrap());
    eprintln!(
        "{events} events in {last} messages; restarts at {seen:?}; final run {final_run:?}; \
         clean rebuild {:.0} events/s",
        p.events_per_sec()
    );
}
