//! A 3-node JetStream cluster on loopback: formation, R3 writes, leader failover.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use motcua_testkit::{NatsCluster, TestkitError};
use tokio::time::{Instant, sleep};

const STREAM: &str = "DOSSIERS_79";

fn subject(i: u64) -> String {
    format!("motcua.dossier.79.d{i}")
}

fn payload(i: u64) -> String {
    format!("event {i}")
}

/// Publishes message `i` with `Nats-Msg-Id` = `i`, retrying until acked or `deadline`.
///
/// The id makes a retry of a write that was stored but not acked a duplicate, not a second copy.
async fn publish_until_acked(js: &jetstream::Context, i: u64, deadline: Instant) -> u64 {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", i.to_string().as_str());
    loop {
        let attempt = async {
            js.publish_with_headers(subject(i), headers.clone(), payload(i).into())
                .await?
                .await
        };
        match attempt.await {
            Ok(ack) => return ack.sequence,
            Err(e) if Instant::now() >= deadline => panic!("message {i} not acked in time: {e}"),
            Err(_) => sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test]
async fn r3_stream_survives_killing_its_leader() {
    let mut cluster = NatsCluster::start(3).await.unwrap();
    assert_eq!(cluster.size(), 3);
    let urls = cluster.urls();
    assert_eq!(urls.len(), 3);
    assert!(urls.iter().all(|u| !u.ends_with(":4222")), "{urls:?}");
    assert_eq!(cluster.url_list(), urls.join(","));
    for i in 0..3 {
        assert_eq!(cluster.node(i).server_name(), format!("n{}", i + 1));
        assert_eq!(cluster.node_index(&format!("n{}", i + 1)), Some(i));
    }

    assert_eq!(cluster.stream_leader("NO_SUCH_STREAM").await, None);
    assert!(matches!(
        cluster.kill_node(3),
        Err(TestkitError::NoSuchNode { index: 3, size: 3 })
    ));

    let mut js = jetstream::new(cluster.connect().await.unwrap());
    js.set_timeout(Duration::from_secs(2));
    js.create_stream(stream::Config {
        name: STREAM.to_owned(),
        subjects: vec!["motcua.dossier.79.>".to_owned()],
        storage: stream::StorageType::File,
        num_replicas: 3,
        ..Default::default()
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    for i in 1..=20 {
        assert_eq!(publish_until_acked(&js, i, deadline).await, i);
    }

    let old_leader = cluster
        .wait_for_stream_leader(STREAM, Duration::from_secs(10))
        .await
        .unwrap();
    let old_port = cluster.node(old_leader).port();
    cluster.kill_node(old_leader).unwrap();
    assert_eq!(cluster.node(old_leader).pid(), None);

    // Writes resume once the two survivors elect a new leader.
    let deadline = Instant::now() + Duration::from_secs(30);
    assert_eq!(publish_until_acked(&js, 21, deadline).await, 21);
    let new_leader = cluster
        .wait_for_stream_leader(STREAM, Duration::from_secs(10))
        .await
        .unwrap();
    assert_ne!(new_leader, old_leader);

    // Nothing acknowledged before the failover is lost.
    let mut stream = js.get_stream(STREAM).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 21);
    for i in 1..=21 {
        let message = stream.get_raw_message(i).await.unwrap();
        assert_eq!(message.subject.as_str(), subject(i));
        assert_eq!(message.payload, payload(i).as_bytes());
    }

    // The old leader comes back on its port and catches up.
    cluster.restart_node(old_leader).await.unwrap();
    assert_eq!(cluster.node(old_leader).port(), old_port);
    cluster
        .wait_for_stream_current(STREAM, Duration::from_secs(30))
        .await
        .unwrap();
}

#[tokio::test]
async fn cluster_size_and_node_index_are_checked() {
    assert!(matches!(
        NatsCluster::start(0).await,
        Err(TestkitError::ClusterSize(0))
    ));
    assert!(matches!(
        NatsCluster::start(6).await,
        Err(TestkitError::ClusterSize(6))
    ));
}
