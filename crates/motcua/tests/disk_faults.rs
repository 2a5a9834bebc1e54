//! A full or read-only data disk under a running `motcua up` (operations.md, "Failures and
//! recovery").
//!
//! The real binary runs with its data directory (the views, in sled)
//! on the power-cut FUSE filesystem of `motcua-powercut`, against a test nats-server whose store
//! is elsewhere. With commands flowing, the disk turns full (`ENOSPC`) or read-only (`EROFS`):
//!
//! - `/readyz` answers 503 with a reason, and HTTP commands get a 503 problem document before
//!   anything is decided: the stream does not move;
//! - commands over NATS (which do not look at the disk) go on: every one acknowledged is in the
//!   stream, once, though the data disk refuses writes;
//! - the projector stops advancing and its supervisor keeps trying to start it again.
//!
//! Then the fault ends: without a restart `/readyz` turns 200, the projector catches up, a new
//! command works, and after a clean stop the views' digest (`motcua views digest`) equals the
//! digest of a clean rebuild from the stream (`motcua rebuild` into another directory), at the
//! same checkpoint: no partial batch survived.
//!
//! Needs root and /dev/fuse (or `MOTCUA_SKIP_FUSE=1` to skip) and the pinned nats-server.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use motcua_domain::units::UnitCode;
use motcua_log::{DossierKey, EventLog, LogSettings};
use motcua_powercut::{DiskFault, PowerCutMount};
use motcua_testkit::NatsServer;
use serde_json::{Value, json};
use support::{DESK, Up, motcua};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_data_disk_is_survived() {
    disk_fault(DiskFault::NoSpace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_data_disk_is_survived() {
    disk_fault(DiskFault::ReadOnly).await;
}

async fn disk_fault(fault: DiskFault) {
    if !motcua_powercut::fuse_tests_enabled("disk_faults") {
        return;
    }
    let nats = NatsServer::start_single().await.unwrap();
    let url = nats.client_url();
    let province: UnitCode = "79".parse().unwrap();
    let log = EventLog::connect(&url, LogSettings::default())
        .await
        .unwrap();
    // The province stream exists before `up` starts, so that its projector starts with it.
    log.ensure_dossier_stream(&province).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let backing = dir.path().join("backing");
    let mnt = dir.path().join("mnt");
    std::fs::create_dir_all(&backing).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    let mount = PowerCutMount::mount(&backing, &mnt).unwrap();
    let data_dir = mount.mountpoint().to_path_buf();
    let mut up = Up::start(&url, &data_dir, dir.path(), &[("MOTCUA_LOG", "info")]);
    let http = reqwest::Client::new();

    // Traffic before the fault.
    for _ in 0..3 {
        let (status, body) = up.receive(&http, &[]).await;
        assert_eq!(status, 201, "{body}");
    }
    let before = log.last_sequence(&province).await.unwrap();
    up.wait_caught_up(&http, before, Duration::from_secs(15))
        .await;

    // The disk fails.
    mount.set_fault(Some(fault));
    let (status, body) = wait_for(&up, &http, Duration::from_secs(10), |s, _| s == 503).await;
    assert_eq!(status, 503);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("data disk"), "/readyz says why: {body}");

    // HTTP commands are refused before anything is decided.
    let at_fault = log.last_sequence(&province).await.unwrap();
    for _ in 0..3 {
        let (status, body) = up.receive(&http, &[]).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["code"], "not_ready", "{body}");
        assert_eq!(body["_content_type"], "application/problem+json");
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("data disk"),
            "{body}"
        );
    }
    assert_eq!(
        log.last_sequence(&province).await.unwrap(),
        at_fault,
        "a refused HTTP command appended something"
    );

    // NATS commands go on while the data disk refuses writes; what is acknowledged is in the
    // stream exactly once, and a repeated command gets the same answer.
    let client = async_nats::connect(&url).await.unwrap();
    let mut acked: Vec<(DossierKey, Uuid, u64)> = Vec::new();
    for _ in 0..5 {
        let id = Uuid::now_v7();
        let request = json!({
            "command_id": id,
            "actor": {"id": "tn01", "role": "reception", "agency": DESK},
            "command": "receive",
            "procedure": "1.004194",
            "channel": "direct",
            "applicant": {"name": "Người Thử"},
            "handling_agency": "UB.26740",
            "digitised": true
        });
        let body = serde_json::to_vec(&request).unwrap();
        let reply = client
            .request("motcua.cmd.79.MC_26740", body.clone().into())
            .await
            .unwrap();
        let reply: Value = serde_json::from_slice(&reply.payload).unwrap();
        if reply["ok"] == true {
            let key: DossierKey = reply["key"].as_str().unwrap().parse().unwrap();
            let seq = reply["stream_seq"].as_u64().unwrap();
            // The same command again: the first answer, nothing appended.
            let again = client
                .request(
                    "motcua.cmd.79.MC_26740",
                    serde_json::to_vec(&json!({
                        "dossier": key.to_string(),
                        "command_id": id,
                        "actor": request["actor"],
                        "command": "receive",
                        "procedure": "1.004194",
                        "channel": "direct",
                        "applicant": {"name": "Người Thử"},
                        "handling_agency": "UB.26740",
                        "digitised": true
                    }))
                    .unwrap()
                    .into(),
                )
                .await
                .unwrap();
            let again: Value = serde_json::from_slice(&again.payload).unwrap();
            assert_eq!(again["stream_seq"].as_u64(), Some(seq), "{again}");
            acked.push((key, id, seq));
        }
    }
    assert!(
        !acked.is_empty(),
        "no NATS command was acknowledged although the stream is on another disk"
    );
    for (key, id, seq) in &acked {
        let history = log.read_dossier(key).await.unwrap();
        let matching: Vec<_> = history
            .iter()
            .filter(|c| c.envelope.commandid == *id)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "command {id} is in the stream {} times",
            matching.len()
        );
        assert_eq!(matching[0].stream_seq, *seq);
    }

    // The projector cannot advance: its checkpoint stays below the stream while the fault lasts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stream_last = log.last_sequence(&province).await.unwrap();
    assert!(stream_last > at_fault);
    let metrics = http
        .get(up.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("motcua_storage_writable 0"),
        "the disk gauge does not show the fault:\n{metrics}"
    );
    let checkpoint = gauge(&metrics, "motcua_projector_checkpoint{province=\"79\"}");
    assert!(
        checkpoint < stream_last as f64,
        "the projector advanced to {checkpoint} on a failing disk (stream {stream_last})"
    );

    // The disk comes back: recovery without a restart.
    mount.set_fault(None);
    up.wait_caught_up(&http, stream_last, Duration::from_secs(40))
        .await;
    let (status, body) = up.receive(&http, &[]).await;
    assert_eq!(status, 201, "after recovery: {body}");
    let last = log.last_sequence(&province).await.unwrap();
    up.wait_caught_up(&http, last, Duration::from_secs(15))
        .await;
    let stderr = up.stderr_text();
    assert!(
        stderr.contains("projector stopped") || stderr.contains("projector could not start"),
        "the projector never noticed the fault:\n{}",
        up.stderr_tail(30)
    );
    assert!(!stderr.contains("panicked"), "{}", up.stderr_tail(30));
    // What happened, for the test's output.
    for line in stderr
        .lines()
        .filter(|l| l.contains("projector") || l.contains("disk") || l.contains("cache"))
        .take(12)
    {
        eprintln!("{line}");
    }
    let status = up.interrupt();
    assert!(status.success(), "motcua up stopped with {status}");

    // The views equal a clean rebuild.
    let data = data_dir.to_str().unwrap();
    let digest = |out: &str| out.split_whitespace().collect::<Vec<_>>().join(" ");
    let ours = digest(&motcua(
        &["views", "digest", "--province", "79", "--data-dir", data],
        &[],
    ));
    let clean_dir = dir.path().join("clean");
    let rebuilt = motcua(
        &[
            "rebuild",
            "--province",
            "79",
            "--data-dir",
            clean_dir.to_str().unwrap(),
            "--nats-url",
            &url,
        ],
        &[],
    );
    let clean = digest(&motcua(
        &[
            "views",
            "digest",
            "--province",
            "79",
            "--data-dir",
            clean_dir.to_str().unwrap(),
        ],
        &[],
    ));
    assert_eq!(
        ours, clean,
        "views after the fault differ from a rebuild ({rebuilt})"
    );
    assert!(
        ours.ends_with(&format!("checkpoint {last}")),
        "checkpoint of {ours} is not the stream's last sequence {last}"
    );
    drop(mount);
}

/// Polls `/readyz` until `done(status, body)`.
async fn wait_for(
    up: &Up,
    http: &reqwest::Client,
    within: Duration,
    done: impl Fn(u16, &Value) -> bool,
) -> (u16, Value) {
    let started = Instant::now();
    loop {
        let (status, body) = up.readyz(http).await;
        if done(status, &body) || started.elapsed() > within {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of one sample in Prometheus text.
fn gauge(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{metrics}"))
}
