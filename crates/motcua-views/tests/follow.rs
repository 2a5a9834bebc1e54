//! A running projector follows the stream: a new commit becomes visible promptly, acks follow
//! the commits, and a shutdown ends the loop cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use motcua_log::subject::dossier_stream;
use motcua_log::{EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{Projector, ProjectorConfig, Shard};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_following_projector_shows_new_commits_and_acks_them() {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let first = Generator::new(31).dossiers(10);
    append_all(&log, &first, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let projector = std::sync::Arc::new(
        Projector::start(
            log.clone(),
            reference(),
            ProjectorConfig::new(Shard::province(unit("79")), dir.path().join("v")),
        )
        .await
        .unwrap(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let p = projector.clone();
        tokio::spawn(async move {
            p.run(async {
                let _ = stopped.await;
            })
            .await
        })
    };

    let mut slowest = Duration::ZERO;
    for seed in 0..5 {
        let d = Generator::new(100 + seed).dossier();
        let sent = Instant::now();
        append_all(&log, std::slice::from_ref(&d), 1).await;
        loop {
            let row = projector.views().row(&d.key).unwrap();
            if row.is_some_and(|r| r.events as usize == d.events().count()) {
                break;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "not visible in 10 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        slowest = slowest.max(sent.elapsed());
    }
    eprintln!("append → visible, slowest of 5 dossiers: {slowest:?}");

    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    let last = log.last_sequence(&unit("79")).await.unwrap();
    assert_eq!(projector.views().checkpoint().unwrap(), last);
    // Acks went out after the commits: the consumer's ack floor reaches the checkpoint.
    let stream = log
        .jetstream()
        .get_stream(dossier_stream(&unit("79")))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = stream.consumer_info("views-79").await.unwrap();
        if info.ack_floor.stream_sequence == last {
            break;
        }
        assert!(Instant::now() < deadline, "ack floor {:?}", info.ack_floor);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
