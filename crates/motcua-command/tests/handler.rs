//! The command service against a real nats-server: codes, concurrency, idempotency.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use motcua_command::CommandError;
use motcua_domain::dossier::{Actor, CommandBody, Role, Stage, Step};
use motcua_log::{CommitMeta, LogSettings};
use motcua_testkit::NatsServer;

#[tokio::test]
async fn receive_allocates_a_code_and_the_dossier_goes_through_its_first_steps() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let key = svc.new_key(&desk()).unwrap();
    assert_eq!(key.province().as_str(), "79");

    let out = svc
        .handle(&key, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    assert_eq!(
        out.code.as_ref().unwrap().to_string(),
        "MC.26740-261123-0001"
    );
    assert_eq!(out.status_code, Some(2));

    // A second dossier that day gets the next number.
    let key2 = svc.new_key(&desk()).unwrap();
    let out2 = svc
        .handle(&key2, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    assert_eq!(out2.code.unwrap().seq(), 2);

    let forward = command(
        reception(),
        CommandBody::Forward {
            to: office(),
            note: None,
        },
    );
    let out = svc
        .handle(&key, forward, CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    assert_eq!(out.status_code, Some(4));
    let state = svc.load(&key).await.unwrap();
    assert_eq!(state.holder, Some(office()));
    assert_eq!(state.handovers.len(), 1);
}

#[tokio::test]
async fn a_refused_receive_burns_no_code_and_stores_nothing() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let key = svc.new_key(&desk()).unwrap();
    let mut bad = receive();
    if let CommandBody::Receive { procedure, .. } = &mut bad.body {
        *procedure = Some("9.999999".parse().unwrap());
    }
    let err = svc
        .handle(&key, bad, CommitMeta::default(), monday_9am())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_procedure");
    assert!(svc.log().read_dossier(&key).await.unwrap().is_empty());
    let out = svc
        .handle(&key, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    assert_eq!(out.code.unwrap().seq(), 1, "the refusal used no number");
}

#[tokio::test]
async fn a_first_command_must_create_and_match_the_province() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let key = motcua_log::DossierKey::generate("01".parse().unwrap()).unwrap();
    let err = svc
        .handle(&key, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "wrong_province");
    let key = svc.new_key(&desk()).unwrap();
    let forward = command(
        reception(),
        CommandBody::Forward {
            to: office(),
            note: None,
        },
    );
    let err = svc
        .handle(&key, forward, CommitMeta::default(), monday_9am())
        .await
        .unwrap_err();
    assert!(matches!(err, CommandError::NotFound(_)), "{err}");
}

#[tokio::test]
async fn a_hundred_concurrent_commands_on_one_version_commit_once() {
    let server = NatsServer::start_single().await.unwrap();
    // Four services with their own caches stand for four motcua nodes.
    let mut services = Vec::new();
    for _ in 0..4 {
        services.push(service(&server.client_url(), LogSettings::default()).await);
    }
    let key = services[0].new_key(&desk()).unwrap();
    let first = services[0]
        .handle(&key, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    // Every node has the dossier cached at the same version.
    for svc in &services {
        svc.load(&key).await.unwrap();
    }

    let mut tasks = Vec::new();
    for i in 0..100 {
        let svc = services[i % 4].clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let forward = command(
                reception(),
                CommandBody::Forward {
                    to: office(),
                    note: Some(format!("copy {i}")),
                },
            );
            svc.handle(&key, forward, CommitMeta::default(), monday_9am())
                .await
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(out) => won.push(out),
            // After reloading, the dossier is no longer at the desk: refused by the rules.
            Err(CommandError::Domain(e)) => assert_eq!(e.code(), "not_holder"),
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one forward wins");
    let history = services[0].log().read_dossier(&key).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].stream_seq, first.stream_seq);
    assert_eq!(history[1].stream_seq, won[0].stream_seq);
}

#[tokio::test]
async fn concurrent_commands_that_stay_valid_all_commit_after_reloading() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let svc = svc.with_max_attempts(30);
    let key = svc.new_key(&desk()).unwrap();
    svc.handle(&key, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let svc = svc.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            // Reassigning is valid whatever the order: each one commits once.
            let assign = command(
                Actor::officer("ld01", Role::Approver, desk()),
                CommandBody::Assign {
                    officer: format!("cv{i:02}"),
                },
            );
            svc.handle(&key, assign, CommitMeta::default(), monday_9am())
                .await
                .unwrap()
        }));
    }
    let mut seqs = BTreeSet::new();
    for t in tasks {
        assert!(seqs.insert(t.await.unwrap().stream_seq));
    }
    let history = svc.log().read_dossier(&key).await.unwrap();
    assert_eq!(history.len(), 11);
    let state = svc.load(&key).await.unwrap();
    assert_eq!(
        state.stage,
        Stage::InProgress {
            step: Step::Assigned
        }
    );
    assert!(state.officer.is_some());
}

#[tokio::test]
async fn the_same_command_ten_times_commits_once_with_one_answer() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let other_node = service(&server.client_url(), LogSettings::default()).await;
    let key = svc.new_key(&desk()).unwrap();
    let cmd = receive();
    let first = svc
        .handle(&key, cmd.clone(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    for _ in 0..4 {
        let again = svc
            .handle(&key, cmd.clone(), CommitMeta::default(), monday_9am())
            .await
            .unwrap();
        assert_eq!(again, first);
    }
    // Another node, with an empty cache, and concurrently.
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let svc = other_node.clone();
        let key = key.clone();
        let cmd = cmd.clone();
        tasks.push(tokio::spawn(async move {
            svc.handle(&key, cmd, CommitMeta::default(), monday_9am())
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), first);
    }
    assert_eq!(svc.log().read_dossier(&key).await.unwrap().len(), 1);

    // Concurrent copies of a new command on a fresh dossier: still one commit, one answer.
    let key = svc.new_key(&desk()).unwrap();
    let cmd = submit_online("portal-0001");
    let mut tasks = Vec::new();
    for i in 0..10 {
        let svc = if i % 2 == 0 {
            svc.clone()
        } else {
            other_node.clone()
        };
        let key = key.clone();
        let cmd = cmd.clone();
        tasks.push(tokio::spawn(async move {
            svc.handle(&key, cmd, CommitMeta::default(), monday_9am())
                .await
                .unwrap()
        }));
    }
    let answers: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(answers.iter().all(|a| a == &answers[0]));
    assert_eq!(svc.log().read_dossier(&key).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_stale_cache_is_corrected_by_the_sequence_check() {
    let server = NatsServer::start_single().await.unwrap();
    let a = service(&server.client_url(), LogSettings::default()).await;
    let b = service(&server.client_url(), LogSettings::default()).await;
    let key = a.new_key(&desk()).unwrap();
    a.handle(&key, receive(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    b.load(&key).await.unwrap();
    // Node a forwards; node b's cache still shows the dossier at the desk.
    let forward = || {
        command(
            reception(),
            CommandBody::Forward {
                to: office(),
                note: None,
            },
        )
    };
    a.handle(&key, forward(), CommitMeta::default(), monday_9am())
        .await
        .unwrap();
    let err = b
        .handle(&key, forward(), CommitMeta::default(), monday_9am())
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        "not_holder",
        "decided again on the reloaded history"
    );
    // The handling office can act through node b at once.
    let assign = command(
        Actor::officer("ld02", Role::Approver, office()),
        CommandBody::Assign {
            officer: "cv01".into(),
        },
    );
    b.handle(&key, assign, CommitMeta::default(), monday_9am())
        .await
        .unwrap();
}
