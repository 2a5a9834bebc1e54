//! Poison messages in a province stream, against a real server and a running projector.
//!
//! Between valid commits (appended with optimistic concurrency, as the command service does),
//! raw publishes put into the stream everything a projector must survive: bytes that are not
//! JSON, an empty payload, JSON that is not an envelope, an envelope with no events, an envelope
//! of a newer schema version, an envelope on another dossier's subject, a commit whose `prevhash`
//! breaks the dossier's hash chain, a commit re-published (the same bytes again), events that are
//! impossible in the dossier's state (an approval before any receipt, an approval after the
//! result was returned), a subject that only looks like a dossier's (a bogus id, other spellings
//! of a UUID, among them a real dossier's), and a valid commit carrying garbage and oversized
//! headers. A subject of another province (or with one token too many) is refused by the
//! stream's filter.
//!
//! The live projector proves that it keeps going (its checkpoint reaches the end of the stream),
//! stores each bad message as a dead letter with its precise reason (and parks the dossier, so
//! the dossier's later valid commits are dead letters too), counts them in its stats, and keeps
//! every view equal to a plain fold of the valid commits only; a rebuild gives the same digest;
//! `replay_dead_letters` without a fix leaves every letter, reason, view and the checkpoint as
//! they were, and does so again on a second call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use bytes::Bytes;
use common::*;
use motcua_domain::dossier::{Actor, Event, EventBody, Role};
use motcua_log::envelope::chain_hash;
use motcua_log::{CommitMeta, DossierKey, Envelope, EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{DeadReason, Folded, Projector, ProjectorConfig, Shard, Views, rebuild};
use uuid::Uuid;

/// Publishes without any concurrency check, as a misbehaving or hostile client would.
async fn raw(log: &EventLog, subject: String, payload: Vec<u8>) -> u64 {
    raw_with(log, subject, HeaderMap::new(), payload).await
}

async fn raw_with(log: &EventLog, subject: String, headers: HeaderMap, payload: Vec<u8>) -> u64 {
    log.jetstream()
        .publish_with_headers(subject.clone(), headers, Bytes::from(payload))
        .await
        .unwrap()
        .await
        .unwrap_or_else(|e| panic!("publish on {subject}: {e}"))
        .sequence
}

/// Appends these envelopes of one dossier with the optimistic-concurrency check, after
/// `last` (the dossier's last subject sequence); returns the new last.
async fn append(log: &EventLog, envs: &[Envelope], mut last: u64) -> u64 {
    for env in envs {
        last = log.append(env, last).await.unwrap().stream_seq;
    }
    last
}

fn fresh_key() -> DossierKey {
    DossierKey::generate(unit("79")).unwrap()
}

/// What the test expects of each poison message.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    Code(&'static str),
    Exactly(DeadReason),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_survives_poison_and_its_views_fold_only_the_valid_commits() {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let province = unit("79");
    log.ensure_dossier_stream(&province).await.unwrap();

    // The projector runs from the start: the poison arrives live, in batches with valid commits.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("views");
    let projector = Arc::new(
        Projector::start(
            log.clone(),
            reference(),
            ProjectorConfig::new(Shard::province(province.clone()), &path),
        )
        .await
        .unwrap(),
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let p = projector.clone();
        tokio::spawn(async move {
            p.run(async {
                let _ = stop_rx.await;
            })
            .await
        })
    };

    let mut generator = Generator::new(20_261_123);
    let good = generator.dossiers(40);
    // Dossiers that receive poison in the middle of their history need a few commits.
    let long: Vec<usize> = (10..good.len())
        .filter(|&i| good[i].commits.len() >= 3)
        .collect();
    assert!(long.len() >= 3, "the generator makes long histories");
    let (chain_victim, header_host, alias_host) = (long[0], long[1], long[2]);
    // The valid commits, dossier by dossier, as the views must show them.
    let mut valid: BTreeMap<usize, usize> = (0..good.len())
        .map(|i| (i, good[i].commits.len()))
        .collect();
    let mut want: BTreeMap<u64, (Want, Option<DossierKey>)> = BTreeMap::new();

    // Each envelope is made once: an envelope's id is fresh each time one is made, so the
    // chain hashes below must come from the bytes that were stored.
    let good_envs: Vec<Vec<Envelope>> = good.iter().map(envelopes).collect();
    // Valid history first.
    append_envelopes(log.clone(), good_envs[..10].to_vec(), 4).await;

    // A duplicate: the last commit of a finished dossier, re-published byte for byte. Its
    // `prevhash` names the message before the original, not the original.
    let dup = good_envs[0].last().unwrap();
    let seq = raw(&log, good[0].key.subject(), dup.encode()).await;
    let expected = chain_hash(&dup.encode());
    want.insert(
        seq,
        (
            Want::Exactly(DeadReason::BrokenChain {
                expected,
                found: dup.prevhash.clone(),
            }),
            Some(good[0].key.clone()),
        ),
    );

    // A broken hash chain in the middle of a dossier: the first commit is valid, the second
    // names a wrong previous hash, the rest (correctly chained to the first) are parked.
    let v = &good[chain_victim];
    let envs = &good_envs[chain_victim];
    append(&log, &envs[..1], 0).await;
    let mut forged = envs[1].clone();
    forged.prevhash = "00".repeat(32);
    let forged_seq = raw(&log, v.key.subject(), forged.encode()).await;
    want.insert(
        forged_seq,
        (
            Want::Exactly(DeadReason::BrokenChain {
                expected: envs[1].prevhash.clone(),
                found: "00".repeat(32),
            }),
            Some(v.key.clone()),
        ),
    );
    for env in &envs[1..] {
        let seq = raw(&log, v.key.subject(), env.encode()).await;
        let parked = DeadReason::Parked {
            first_seq: forged_seq,
        };
        want.insert(seq, (Want::Exactly(parked), Some(v.key.clone())));
    }
    valid.insert(chain_victim, 1);

    // Garbage and oversized headers on valid commits: the payload is the truth, they apply.
    let h = &good[header_host];
    let envs = &good_envs[header_host];
    let last = append(&log, &envs[..1], 0).await;
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", "00-not-a-trace-context-zz");
    headers.insert("Nats-Msg-Id", Uuid::now_v7().to_string().as_str());
    headers.insert("X-Motcua-Junk", "x".repeat(32 * 1024).as_str());
    headers.insert("X-Motcua-Unicode", "Nguyễn Văn ☃");
    let headed = raw_with(&log, h.key.subject(), headers, envs[1].encode()).await;
    assert_eq!(headed, last + 1, "nothing else was published in between");
    append(&log, &envs[2..], headed).await;

    // Another spelling of a dossier's UUID (upper case) on a valid, correctly chained commit:
    // the write side and `motcua verify` never see it, so the views must not either.
    let a = &good[alias_host];
    let envs = &good_envs[alias_host];
    let n = envs.len();
    append(&log, &envs[..n - 1], 0).await;
    let upper = format!(
        "motcua.dossier.79.{}",
        a.key.id().hyphenated().to_string().to_uppercase()
    );
    let seq = raw(&log, upper.clone(), envs[n - 1].encode()).await;
    want.insert(seq, (Want::Exactly(DeadReason::WrongSubject(upper)), None));
    let simple = format!("motcua.dossier.79.{}", a.key.id().simple());
    let seq = raw(&log, simple.clone(), envs[n - 1].encode()).await;
    want.insert(seq, (Want::Exactly(DeadReason::WrongSubject(simple)), None));
    valid.insert(alias_host, n - 1);

    // Payloads that are not envelopes, each on a fresh dossier's subject.
    for payload in [
        b"{not json".to_vec(),
        Vec::new(),
        b"\xff\xfe\x00garbage".to_vec(),
        br#"{"hello":"world"}"#.to_vec(),
        br#"{"schemaversion":1,"id":7}"#.to_vec(),
        br#"{"schemaversion":"1"}"#.to_vec(),
        b"[1,2,3]".to_vec(),
    ] {
        let key = fresh_key();
        let seq = raw(&log, key.subject(), payload).await;
        want.insert(seq, (Want::Code("undecodable"), Some(key)));
    }

    // An envelope with no events: decodes as JSON, refused as a commit.
    let spare = generator.dossiers(3);
    let mut empty = envelopes(&spare[0])[0].clone();
    empty.data.events.clear();
    let seq = raw(&log, spare[0].key.subject(), empty.encode()).await;
    want.insert(seq, (Want::Code("undecodable"), Some(spare[0].key.clone())));

    // A newer schema version: dead, and the dossier's next (valid) commit is parked.
    let envs = envelopes(&spare[1]);
    let mut newer: serde_json::Value = serde_json::from_slice(&envs[0].encode()).unwrap();
    newer["schemaversion"] = 2.into();
    let newer_seq = raw(
        &log,
        spare[1].key.subject(),
        serde_json::to_vec(&newer).unwrap(),
    )
    .await;
    want.insert(
        newer_seq,
        (
            Want::Exactly(DeadReason::NewerSchema {
                found: 2,
                supported: 1,
            }),
            Some(spare[1].key.clone()),
        ),
    );
    let seq = raw(&log, spare[1].key.subject(), envs[1].encode()).await;
    want.insert(
        seq,
        (
            Want::Exactly(DeadReason::Parked {
                first_seq: newer_seq,
            }),
            Some(spare[1].key.clone()),
        ),
    );

    // An envelope on the subject of another dossier.
    let other = fresh_key();
    let env = envelopes(&spare[2])[0].clone();
    let seq = raw(&log, other.subject(), env.encode()).await;
    want.insert(
        seq,
        (
            Want::Exactly(DeadReason::SubjectMismatch {
                envelope: spare[2].key.to_string(),
            }),
            Some(other.clone()),
        ),
    );

    // Impossible in the dossier's state: an approval before any receipt.
    let approver = Actor::officer("ld-79", Role::Approver, agency("UB.79"));
    let approval = |at| Event {
        at,
        actor: approver.clone(),
        command_id: Uuid::now_v7(),
        body: EventBody::Approved,
    };
    let key = fresh_key();
    let env = Envelope::for_commit(
        &key,
        None,
        None,
        &[approval(at("2026-02-02T09:00"))],
        &CommitMeta::default(),
        "",
    )
    .unwrap();
    let seq = raw(&log, key.subject(), env.encode()).await;
    want.insert(seq, (Want::Code("broken_history"), Some(key)));

    // Impossible in the dossier's state: an approval after the result was returned, correctly
    // chained to the dossier's last commit.
    let done = (0..10)
        .find(|&i| {
            i != 0
                && Folded::replay(good[i].events()).state.stage
                    == motcua_domain::dossier::Stage::Returned
        })
        .expect("a returned dossier among the first ten");
    let last_env = good_envs[done].last().unwrap();
    let env = Envelope::for_commit(
        &good[done].key,
        last_env.dossiercode.as_ref(),
        last_env.rulesetversion.as_deref(),
        &[approval(
            last_env.time + jiff::SignedDuration::from_hours(1),
        )],
        &CommitMeta::default(),
        &chain_hash(&last_env.encode()),
    )
    .unwrap();
    let seq = raw(&log, good[done].key.subject(), env.encode()).await;
    want.insert(
        seq,
        (Want::Code("broken_history"), Some(good[done].key.clone())),
    );

    // Subjects that only look like a dossier's, inside the stream's filter.
    for subject in [
        "motcua.dossier.79.bogus".to_owned(),
        format!("motcua.dossier.79.{{{}}}", Uuid::now_v7()),
        format!("motcua.dossier.79.urn:uuid:{}", Uuid::now_v7()),
    ] {
        let seq = raw(&log, subject.clone(), envelopes(&good[1])[0].encode()).await;
        want.insert(
            seq,
            (Want::Exactly(DeadReason::WrongSubject(subject)), None),
        );
    }

    // Another province's subject, or one token too many, is outside this stream's filter
    // (`motcua.dossier.79.*`): refused at publish, never seen by this projector.
    let before = log.last_sequence(&province).await.unwrap();
    for subject in [
        DossierKey::generate(unit("01")).unwrap().subject(),
        format!("{}.extra", fresh_key().subject()),
    ] {
        let refused = match log
            .jetstream()
            .publish(subject.clone(), Bytes::from(env.encode()))
            .await
        {
            Err(_) => true,
            Ok(ack) => ack.await.is_err(),
        };
        assert!(refused, "no stream takes {subject}");
    }
    assert_eq!(log.last_sequence(&province).await.unwrap(), before);

    // The rest of the valid history (the dossiers appended piecewise above are done).
    let rest: Vec<Vec<Envelope>> = (10..good.len())
        .filter(|i| ![chain_victim, header_host, alias_host].contains(i))
        .map(|i| good_envs[i].clone())
        .collect();
    append_envelopes(log.clone(), rest, 4).await;
    let last = log.last_sequence(&province).await.unwrap();

    // The projector reaches the end of the stream.
    let deadline = Instant::now() + Duration::from_secs(60);
    while projector.stats().checkpoint() < last {
        assert!(
            Instant::now() < deadline,
            "the projector stalled at {} of {last}: {:?}",
            projector.stats().checkpoint(),
            projector.stats().status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_tx.send(()).unwrap();
    running.await.unwrap().unwrap();

    let views = projector.views();
    assert_eq!(views.checkpoint().unwrap(), last);
    let dead = views.list_dead_letters(usize::MAX).unwrap();
    let got: BTreeMap<u64, &motcua_views::DeadLetter> = dead.iter().map(|d| (d.seq, d)).collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "every poison message, and only those, is a dead letter: {:?}",
        dead.iter()
            .map(|d| (d.seq, d.reason.code()))
            .collect::<Vec<_>>()
    );
    for (seq, (w, dossier)) in &want {
        let d = got[seq];
        match w {
            Want::Code(code) => assert_eq!(d.reason.code(), *code, "message {seq}: {d:?}"),
            Want::Exactly(reason) => assert_eq!(&d.reason, reason, "message {seq}"),
        }
        assert_eq!(
            d.dossier,
            dossier.as_ref().map(ToString::to_string),
            "message {seq}"
        );
        assert!(!d.payload_hex.is_empty() || d.reason.code() == "undecodable");
    }
    let stats = projector.stats();
    let n = want.len() as u64;
    assert_eq!(stats.dead.load(std::sync::atomic::Ordering::Relaxed), n);
    assert_eq!(stats.dead_letters(), n);
    assert_eq!(views.dead_letter_count().unwrap(), n);

    // The views are a fold of the valid commits only.
    let model_dossiers: Vec<GenDossier> = valid
        .iter()
        .map(|(&i, &n)| GenDossier {
            key: good[i].key.clone(),
            commits: good[i].commits[..n].to_vec(),
        })
        .collect();
    let model = Model::new(&model_dossiers);
    assert_views_fold(views, &model, "poison");
    for d in &model_dossiers {
        let detail = views.dossier_by_key(&d.key).unwrap().unwrap();
        assert_eq!(detail.timeline.len(), d.events().count(), "{}", d.key);
    }
    for key in want.values().filter_map(|(_, k)| k.as_ref()) {
        if !model_dossiers.iter().any(|d| &d.key == key) {
            assert!(views.dossier_by_key(key).unwrap().is_none(), "{key}");
        }
    }

    // A rebuild (other batches, an ordered consumer) gives the same bytes.
    let digest = views.digest().unwrap();
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Views::open(
        fresh_dir.path(),
        Shard::named(province.clone(), "fresh").unwrap(),
        reference(),
    )
    .unwrap();
    rebuild(&log, &fresh, |_| {}).await.unwrap();
    assert_eq!(fresh.digest().unwrap(), digest);

    // Replay without a fix: nothing applies, every letter keeps its reason, nothing moves.
    for _ in 0..2 {
        let outcome = views.replay_dead_letters().unwrap();
        assert_eq!((outcome.applied, outcome.still_dead), (0, n));
        assert_eq!(views.list_dead_letters(usize::MAX).unwrap(), dead);
        assert_eq!(views.checkpoint().unwrap(), last);
        assert_eq!(views.digest().unwrap(), digest);
    }
    drop(projector);

    // A restart counts the stored letters again.
    let again = Projector::start(
        log.clone(),
        reference(),
        ProjectorConfig::new(Shard::province(province.clone()), &path),
    )
    .await
    .unwrap();
    assert!(again.healed().is_none());
    assert_eq!(again.stats().dead_letters(), n);
}
