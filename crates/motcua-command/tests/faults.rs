//! Faults under load: nats-server killed with SIGKILL and restarted, and a cluster's stream
//! leader killed. Every acknowledged command must be in the stream exactly once afterwards.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use motcua_command::CommandService;
use motcua_log::{CommitMeta, DossierKey, Envelope, LogSettings};
use motcua_testkit::{NatsCluster, NatsServer};
use tokio::sync::Mutex;
use uuid::Uuid;

/// Submits `total` new dossiers from `workers` tasks; each command is retried with the same id
/// until it is acknowledged. Returns the acknowledged command ids with their stream sequences.
async fn submit_all(
    svc: &CommandService,
    total: usize,
    workers: usize,
    acked: Arc<AtomicUsize>,
) -> BTreeMap<Uuid, u64> {
    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new(BTreeMap::new()));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (svc, next, results, acked) =
            (svc.clone(), next.clone(), results.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    return;
                }
                let key = svc.new_key(&desk()).unwrap();
                let cmd = submit_online(&format!("portal-{i:05}"));
                let deadline = Instant::now() + Duration::from_secs(90);
                loop {
                    match svc
                        .handle(&key, cmd.clone(), CommitMeta::default(), monday_9am())
                        .await
                    {
                        Ok(out) => {
                            results.lock().await.insert(cmd.id, out.stream_seq);
                            acked.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Err(e) => {
                            assert!(
                                Instant::now() < deadline,
                                "command {i} never acknowledged: {e}"
                            );
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(results).unwrap().into_inner()
}

/// Every message of province 79's stream, as command id → stream sequences.
async fn stored_commands(svc: &CommandService) -> BTreeMap<Uuid, Vec<u64>> {
    let province = "79".parse().unwrap();
    let last = svc.log().last_sequence(&province).await.unwrap();
    // After a node loss the cluster may still be electing a meta leader: retry for a while.
    let deadline = Instant::now() + Duration::from_secs(60);
    let consumer = loop {
        match svc.log().replay(&province, vec![], 1).await {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("replay not ready yet: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("no replay: {e}"),
        }
    };
    let mut messages = consumer.messages().await.unwrap();
    let mut out: BTreeMap<Uuid, Vec<u64>> = BTreeMap::new();
    let mut seen_last = 0;
    while seen_last < last {
        let msg = tokio::time::timeout(Duration::from_secs(20), messages.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let info = msg.info().unwrap();
        seen_last = info.stream_sequence;
        let env = Envelope::decode(&msg.payload).unwrap();
        out.entry(env.commandid)
            .or_default()
            .push(info.stream_sequence);
    }
    out
}

fn assert_exactly_once(acked: &BTreeMap<Uuid, u64>, stored: &BTreeMap<Uuid, Vec<u64>>) {
    for (id, seqs) in stored {
        assert_eq!(seqs.len(), 1, "command {id} stored {} times", seqs.len());
    }
    for (id, seq) in acked {
        let stored_at = stored
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged {id} is lost"));
        assert_eq!(
            stored_at,
            &vec![*seq],
            "acknowledged {id} answered with another sequence"
        );
    }
}

#[tokio::test]
async fn server_killed_and_restarted_during_ten_thousand_appends_loses_nothing() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let acked = Arc::new(AtomicUsize::new(0));
    let killer = {
        let acked = acked.clone();
        tokio::spawn(async move {
            let mut server = server;
            while acked.load(Ordering::SeqCst) < 3_000 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            server.kill().unwrap();
            let at_kill = acked.load(Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(700)).await;
            server.restart().await.unwrap();
            (server, at_kill)
        })
    };
    let results = submit_all(&svc, 10_000, 32, acked.clone()).await;
    let (_server, at_kill) = killer.await.unwrap();
    assert!(at_kill < 10_000, "the server was killed during the load");
    assert_eq!(results.len(), 10_000);
    // The same client reconnected by itself: it reads the whole stream now.
    let stored = stored_commands(&svc).await;
    assert_exactly_once(&results, &stored);
    assert_eq!(stored.len(), 10_000);
}

#[tokio::test]
async fn cluster_stream_leader_killed_during_appends_loses_nothing() {
    let cluster = NatsCluster::start(3).await.unwrap();
    let settings = LogSettings {
        replicas: 3,
        ..LogSettings::default()
    };
    let svc = service(&cluster.urls().join(","), settings).await;
    // Create the stream before the load so that it has a leader to kill.
    svc.log()
        .ensure_dossier_stream(&"79".parse().unwrap())
        .await
        .unwrap();
    let acked = Arc::new(AtomicUsize::new(0));
    let killer = {
        let acked = acked.clone();
        tokio::spawn(async move {
            let mut cluster = cluster;
            while acked.load(Ordering::SeqCst) < 500 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let leader = cluster
                .stream_leader("MOTCUA_DOSSIERS_79")
                .await
                .expect("the stream has a leader");
            cluster.kill_node(leader).unwrap();
            (cluster, leader, acked.load(Ordering::SeqCst))
        })
    };
    let results = submit_all(&svc, 2_000, 16, acked.clone()).await;
    let (cluster, killed, at_kill) = killer.await.unwrap();
    assert!(at_kill < 2_000, "the leader was killed during the load");
    let new_leader = cluster.stream_leader("MOTCUA_DOSSIERS_79").await;
    assert!(
        new_leader.is_some_and(|l| l != killed),
        "a new leader took over"
    );
    // Writes resume on the new leader.
    let key: DossierKey = svc.new_key(&desk()).unwrap();
    svc.handle(&key, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    let stored = stored_commands(&svc).await;
    assert_exactly_once(&results, &stored);
    let submitted: BTreeSet<_> = results.keys().collect();
    assert_eq!(submitted.len(), 2_000);
}
