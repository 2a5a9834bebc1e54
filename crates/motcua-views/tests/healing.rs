//! Self-healing: a store that sled cannot open, or that fails an integrity check, is rebuilt
//! from the stream by the projector itself, and the reason is reported. Each test damages a
//! store in one way and checks that the projector notices it, says why, and ends with the same
//! digest as a clean rebuild.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use motcua_log::{EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{IntegrityProblem, Projector, ProjectorConfig, Shard, Views, rebuild};

struct Setup {
    _server: NatsServer,
    log: EventLog,
    last: u64,
}

async fn server_with(seed: u64, n: usize) -> Setup {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let dossiers = Generator::new(seed).dossiers(n);
    append_all(&log, &dossiers, 16).await;
    let last = log.last_sequence(&unit("79")).await.unwrap();
    Setup {
        _server: server,
        log,
        last,
    }
}

fn config(path: &Path) -> ProjectorConfig {
    ProjectorConfig::new(Shard::province(unit("79")), path)
}

async fn project(log: &EventLog, path: &Path) -> Projector {
    let p = Projector::start(log.clone(), reference(), config(path))
        .await
        .unwrap();
    let last = log.last_sequence(&unit("79")).await.unwrap();
    p.run_until(last).await.unwrap();
    p
}

async fn clean_digest(log: &EventLog) -> motcua_views::Digest {
    let dir = tempfile::tempdir().unwrap();
    let v = Views::open(
        dir.path(),
        Shard::named(unit("79"), "clean").unwrap(),
        reference(),
    )
    .unwrap();
    rebuild(log, &v, |_| {}).await.unwrap();
    v.digest().unwrap()
}

/// Opens the store's sled database directly (the projector must be dropped) and edits a tree.
fn tamper(path: &Path, tree: &str, edit: impl FnOnce(&sled::Tree)) {
    let db = motcua_views::open_db(path).unwrap();
    let t = db.open_tree(format!("views-79/{tree}")).unwrap();
    edit(&t);
    db.flush().unwrap();
}

async fn heals(log: &EventLog, path: &Path, expect: impl Fn(&IntegrityProblem) -> bool) {
    let p = Projector::start(log.clone(), reference(), config(path))
        .await
        .unwrap();
    let healed = p.healed().expect("the projector rebuilt the store");
    assert!(
        expect(&healed.problem),
        "unexpected reason: {:?}",
        healed.problem
    );
    let last = log.last_sequence(&unit("79")).await.unwrap();
    assert_eq!(healed.rebuilt_to, last);
    p.run_until(last).await.unwrap();
    assert_eq!(p.views().digest().unwrap(), clean_digest(log).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_restart_resumes_from_the_checkpoint_without_rebuilding() {
    let s = server_with(1, 40).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    drop(project(&s.log, &path).await);
    // More events while the projector is down.
    let more = Generator::new(2).dossiers(20);
    append_all(&s.log, &more, 8).await;
    let p = Projector::start(s.log.clone(), reference(), config(&path))
        .await
        .unwrap();
    assert!(p.healed().is_none());
    assert_eq!(p.views().checkpoint().unwrap(), s.last);
    let last = s.log.last_sequence(&unit("79")).await.unwrap();
    p.run_until(last).await.unwrap();
    let stats = p.stats();
    assert_eq!(
        stats.commits.load(std::sync::atomic::Ordering::Relaxed),
        last - s.last,
        "only the new messages were applied"
    );
    assert_eq!(p.views().digest().unwrap(), clean_digest(&s.log).await);
}

/// Empty views over a long enough stream are filled in two passes before the projector follows
/// the stream: the same views as batch by batch, and not a heal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_views_over_a_long_stream_are_filled_in_two_passes() {
    let s = server_with(11, 40).await;
    let dir = tempfile::tempdir().unwrap();
    let mut filled = config(&dir.path().join("filled"));
    filled.fill_in_two_passes_from = Some(s.last);
    let p = Projector::start(s.log.clone(), reference(), filled)
        .await
        .unwrap();
    assert!(p.healed().is_none());
    assert_eq!(p.views().checkpoint().unwrap(), s.last, "filled at start");
    assert_eq!(
        p.stats()
            .rebuilds
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    let digest = p.views().digest().unwrap();
    drop(p);

    let mut batches = config(&dir.path().join("batches"));
    batches.fill_in_two_passes_from = Some(s.last + 1);
    let p = Projector::start(s.log.clone(), reference(), batches)
        .await
        .unwrap();
    assert_eq!(
        p.views().checkpoint().unwrap(),
        0,
        "one message short: not filled"
    );
    p.run_until(s.last).await.unwrap();
    assert_eq!(
        p.stats().commits.load(std::sync::atomic::Ordering::Relaxed),
        s.last
    );
    assert_eq!(p.views().digest().unwrap(), digest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_sled_cannot_open_are_recreated() {
    let s = server_with(3, 30).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    drop(project(&s.log, &path).await);
    std::fs::write(path.join("conf"), b"this is not a sled configuration file").unwrap();
    assert!(Views::open(&path, Shard::province(unit("79")), reference()).is_err());
    heals(&s.log, &path, |p| {
        matches!(p, IntegrityProblem::Unopenable { .. })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_format_version_is_rebuilt() {
    let s = server_with(4, 30).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    drop(project(&s.log, &path).await);
    tamper(&path, "meta", |t| {
        t.insert("format", &999u32.to_be_bytes()).unwrap();
    });
    heals(&s.log, &path, |p| {
        matches!(p, IntegrityProblem::FormatVersion { found: 999, .. })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_reset_is_rebuilt() {
    let s = server_with(5, 30).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    drop(project(&s.log, &path).await);
    tamper(&path, "meta", |t| {
        t.insert("resetting", &[1u8]).unwrap();
    });
    heals(&s.log, &path, |p| {
        matches!(p, IntegrityProblem::ResetInterrupted)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_beyond_the_stream_is_reported_and_rebuilt() {
    let a = server_with(6, 40).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    drop(project(&a.log, &path).await);
    // The same store against a stream that lost messages (a fresh server with fewer).
    let b = server_with(7, 5).await;
    assert!(b.last < a.last);
    heals(&b.log, &path, |p| {
        matches!(p, IntegrityProblem::CheckpointBeyondStream { checkpoint, stream_last }
            if *checkpoint == a.last && *stream_last == b.last)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_stream_is_caught_by_the_message_at_the_checkpoint() {
    let a = server_with(8, 10).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    drop(project(&a.log, &path).await);
    // Another stream, longer: the checkpoint is in range but points at another message.
    let b = server_with(9, 40).await;
    assert!(b.last > a.last);
    heals(
        &b.log,
        &path,
        |p| matches!(p, IntegrityProblem::CheckpointMessageChanged { seq } if *seq == a.last),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_changed_behind_the_projectors_back_fail_the_sealed_digest() {
    let s = server_with(10, 30).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    let mut cfg = config(&path);
    cfg.seal_on_shutdown = true;
    let p = Projector::start(s.log.clone(), reference(), cfg.clone())
        .await
        .unwrap();
    p.run_until(s.last).await.unwrap();
    p.run(async {}).await.unwrap(); // clean shutdown: seals the digest
    drop(p);
    // An untouched store passes the full check.
    cfg.verify_digest = true;
    let p = Projector::start(s.log.clone(), reference(), cfg.clone())
        .await
        .unwrap();
    assert!(p.healed().is_none());
    p.run(async {}).await.unwrap();
    drop(p);
    // One counter changed on disk.
    tamper(&path, "counters", |t| {
        let (k, v) = t.iter().next().unwrap().unwrap();
        let mut v = v.to_vec();
        v[7] ^= 1;
        t.insert(k, v).unwrap();
    });
    let p = Projector::start(s.log.clone(), reference(), cfg)
        .await
        .unwrap();
    let healed = p.healed().expect("rebuilt");
    assert!(
        matches!(healed.problem, IntegrityProblem::DigestMismatch { .. }),
        "{:?}",
        healed.problem
    );
    assert_eq!(p.views().digest().unwrap(), clean_digest(&s.log).await);
}
