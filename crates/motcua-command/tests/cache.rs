//! The in-memory write-side cache is only a cache: stale entries (another node appended) are
//! caught by the append's sequence check and read again, and evicted entries cost a stream read,
//! never a wrong answer.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use motcua_command::{CommandService, Outcome};
use motcua_domain::dossier::{Actor, CommandBody, Dossier, Proposal, Role, Stage, Status};
use motcua_log::{CommitMeta, DossierKey, LogSettings};
use motcua_testkit::NatsServer;

/// What the stream says the answer to each commit was: the state replayed up to it.
async fn answers_from_stream(svc: &CommandService, key: &DossierKey) -> Vec<(u64, Option<u8>)> {
    let stored = svc.log().read_dossier(key).await.unwrap();
    let mut state = Dossier::new();
    let mut out = Vec::new();
    for commit in &stored {
        for e in commit.envelope.events() {
            state = state.evolve(&e);
        }
        out.push((commit.stream_seq, state.status().map(Status::national_code)));
    }
    out
}

#[tokio::test]
async fn one_node_alone_answers_what_the_stream_says() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let key = svc.new_key(&desk()).unwrap();
    let mut answered = Vec::new();
    for (at, command) in life() {
        let out = svc
            .handle(&key, command, CommitMeta::default(), at)
            .await
            .unwrap();
        answered.push((out.stream_seq, out.status_code));
    }
    // Every answer came from the cached state folded on with the commit's events; the stream,
    // replayed, says the same after each commit.
    assert_eq!(answered, answers_from_stream(&svc, &key).await);
    assert_eq!(answered.last().map(|a| a.1), Some(Some(10)), "returned");
}

#[tokio::test]
async fn two_nodes_taking_turns_on_one_dossier_both_commit_on_a_sound_chain() {
    let server = NatsServer::start_single().await.unwrap();
    // Two services, two caches, one stream: after the first turn each node's entry is one commit
    // behind whenever it acts again.
    let nodes = [
        service(&server.client_url(), LogSettings::default()).await,
        service(&server.client_url(), LogSettings::default()).await,
    ];
    let key = nodes[0].new_key(&desk()).unwrap();
    let mut outcomes: Vec<Outcome> = Vec::new();
    for (i, (at, command)) in life().into_iter().enumerate() {
        let node = &nodes[i % 2];
        let out = node
            .handle(&key, command, CommitMeta::default(), at)
            .await
            .unwrap_or_else(|e| panic!("step {i} on node {}: {e}", i % 2));
        outcomes.push(out);
        if i >= 1 {
            assert_eq!(nodes[0].cached_dossiers(), 1, "node 0 keeps the dossier");
            assert_eq!(nodes[1].cached_dossiers(), 1, "node 1 keeps the dossier");
        }
    }
    // One message per command, chained (read_dossier checks every prevhash), and each answer
    // is what the stream says.
    let from_stream = answers_from_stream(&nodes[0], &key).await;
    assert_eq!(from_stream.len(), outcomes.len());
    let answered: Vec<(u64, Option<u8>)> = outcomes
        .iter()
        .map(|o| (o.stream_seq, o.status_code))
        .collect();
    assert_eq!(answered, from_stream);
    let code = outcomes[0].code.clone();
    assert!(code.is_some());
    assert!(
        outcomes.iter().all(|o| o.code == code),
        "one code throughout"
    );
    // Both nodes' caches now serve the final state; a fresh node reads the same.
    let fresh = service(&server.client_url(), LogSettings::default()).await;
    assert_eq!(fresh.load(&key).await.unwrap().stage, Stage::Returned);
}

#[tokio::test]
async fn a_stale_entry_is_replaced_by_the_stream_not_kept() {
    let server = NatsServer::start_single().await.unwrap();
    let a = service(&server.client_url(), LogSettings::default()).await;
    let b = service(&server.client_url(), LogSettings::default()).await;
    let key = a.new_key(&desk()).unwrap();
    let steps = life();
    a.handle(&key, steps[0].1.clone(), CommitMeta::default(), steps[0].0)
        .await
        .unwrap();
    b.load(&key).await.unwrap();
    // Node a goes on alone for a while: b's entry falls further and further behind.
    for (at, command) in steps[1..5].iter().cloned() {
        a.handle(&key, command, CommitMeta::default(), at)
            .await
            .unwrap();
    }
    // b answers a repeated command of a's from the stream, not with a refusal from its stale
    // entry (which has never seen it) ...
    let (at, repeated) = steps[4].clone();
    let first = a
        .handle(&key, repeated.clone(), CommitMeta::default(), at)
        .await
        .unwrap();
    let again = b
        .handle(&key, repeated, CommitMeta::default(), at)
        .await
        .unwrap();
    assert_eq!(again, first);
    // ... and then goes on from the stream's state.
    for (at, command) in steps[5..].iter().cloned() {
        b.handle(&key, command, CommitMeta::default(), at)
            .await
            .unwrap();
    }
    assert_eq!(
        answers_from_stream(&a, &key).await.len(),
        steps.len(),
        "one message per command"
    );
    assert_eq!(a.load(&key).await.unwrap().stage, Stage::Returned);
}

#[tokio::test]
async fn a_small_cache_that_evicts_still_answers_repeated_commands_with_their_first_answer() {
    let server = NatsServer::start_single().await.unwrap();
    for capacity in [0, 2] {
        let svc = service(&server.client_url(), LogSettings::default())
            .await
            .with_cache_capacity(capacity);
        // Five dossiers, each received and forwarded: far more than the cache holds.
        let mut dossiers = Vec::new();
        for _ in 0..5 {
            let key = svc.new_key(&desk()).unwrap();
            let mut firsts = Vec::new();
            for (at, command) in life().into_iter().take(2) {
                let out = svc
                    .handle(&key, command.clone(), CommitMeta::default(), at)
                    .await
                    .unwrap();
                firsts.push((at, command, out));
            }
            dossiers.push((key, firsts));
        }
        assert!(
            svc.cached_dossiers() <= capacity,
            "{}",
            svc.cached_dossiers()
        );
        let province = dossiers[0].0.province().clone();
        let last = svc.log().last_sequence(&province).await.unwrap();
        for (key, firsts) in &dossiers {
            // The receipt (not the last commit: its answer is the state before the forward)
            // and the forward (the last), in both orders.
            for (at, command, first) in firsts.iter().chain(firsts.iter().rev()) {
                let again = svc
                    .handle(key, command.clone(), CommitMeta::default(), *at)
                    .await
                    .unwrap();
                assert_eq!(&again, first, "capacity {capacity}");
            }
            assert_eq!(firsts[0].2.status_code, Some(2), "received");
            assert_eq!(firsts[1].2.status_code, Some(4), "processing");
        }
        assert_eq!(
            svc.log().last_sequence(&province).await.unwrap(),
            last,
            "a repeated command appended something (capacity {capacity})"
        );
        assert!(svc.cached_dossiers() <= capacity);
    }
}

#[tokio::test]
async fn racing_commands_on_one_node_leave_it_deciding_on_the_stream_state() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default())
        .await
        .with_max_attempts(30);
    let key = svc.new_key(&desk()).unwrap();
    let steps = life();
    for (at, command) in steps[..3].iter().cloned() {
        svc.handle(&key, command, CommitMeta::default(), at)
            .await
            .unwrap();
    }
    // Reassignments race on one node: while one holds the entry the others read the stream,
    // and each puts back what it saw.
    let (at, _) = steps[2].clone();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let svc = svc.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let reassign = command(
                Actor::officer("ld01", Role::Approver, office()),
                CommandBody::Assign {
                    officer: format!("cv{i:02}"),
                },
            );
            svc.handle(&key, reassign, CommitMeta::default(), at)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(svc.cached_dossiers(), 1);
    assert_eq!(answers_from_stream(&svc, &key).await.len(), 3 + 12);
    // Whoever the stream says is in charge now may appraise through this node; anyone else is
    // refused.
    let fresh = service(&server.client_url(), LogSettings::default()).await;
    let in_charge = fresh.load(&key).await.unwrap().officer.unwrap();
    let other = if in_charge == "cv00" { "cv01" } else { "cv00" };
    let appraise = |officer: &str| {
        command(
            Actor::officer(officer, Role::HandlingOfficer, office()),
            CommandBody::Appraise {
                proposal: Proposal::Grant,
                opinion: "Đủ điều kiện".into(),
            },
        )
    };
    let (at, _) = steps[3].clone();
    let err = svc
        .handle(&key, appraise(other), CommitMeta::default(), at)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_assigned");
    let out = svc
        .handle(&key, appraise(&in_charge), CommitMeta::default(), at)
        .await
        .unwrap();
    let after = answers_from_stream(&svc, &key).await;
    assert_eq!(after.len(), 3 + 12 + 1);
    assert_eq!(after.last().map(|a| a.0), Some(out.stream_seq));
}
