//! The event log against a real nats-server started by the test kit.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use motcua_domain::dossier::{Actor, Event, EventBody, Role};
use motcua_domain::units::AgencyId;
use motcua_log::envelope::chain_hash;
use motcua_log::{
    AppendError, CommitMeta, DossierKey, DriftPolicy, Envelope, EventLog, LogError, LogSettings,
};
use motcua_testkit::NatsServer;
use uuid::Uuid;

fn desk() -> AgencyId {
    "MC.26734".parse().unwrap()
}

fn event(command_id: Uuid, body: EventBody) -> Event {
    Event {
        at: Timestamp::from_second(1_764_000_000).unwrap(),
        actor: Actor::officer("cb01", Role::Approver, desk()),
        command_id,
        body,
    }
}

fn commit(key: &DossierKey, prev: &str, officer: &str) -> Envelope {
    let e = event(
        Uuid::now_v7(),
        EventBody::Assigned {
            officer: officer.to_owned(),
        },
    );
    Envelope::for_commit(key, None, None, &[e], &CommitMeta::default(), prev).unwrap()
}

async fn log(server: &NatsServer) -> EventLog {
    EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn appends_check_the_expected_sequence_and_deduplicate() {
    let server = NatsServer::start_single().await.unwrap();
    let log = log(&server).await;
    let key = DossierKey::generate("79".parse().unwrap()).unwrap();

    let first = commit(&key, "", "a");
    let a1 = log.append(&first, 0).await.unwrap();
    assert_eq!(
        a1.hash,
        chain_hash(&first.encode()),
        "the hash of what was stored"
    );

    // A second "first" commit of the same dossier loses: the subject is no longer empty.
    let rival = commit(&key, "", "b");
    match log.append(&rival, 0).await {
        Err(AppendError::Conflict { expected: 0 }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }

    // The same command again (same Nats-Msg-Id) is not stored twice: the server checks the
    // expected sequence first, so a resend with the old expectation is a conflict, and one with
    // the current expectation is recognised as a duplicate of the first copy.
    match log.append(&first, 0).await {
        Err(AppendError::Conflict { expected: 0 }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    match log.append(&first, a1.stream_seq).await {
        Err(AppendError::Duplicate { stream_seq }) => assert_eq!(stream_seq, a1.stream_seq),
        other => panic!("expected a duplicate, got {other:?}"),
    }

    let second = commit(&key, &chain_hash(&first.encode()), "c");
    let a2 = log.append(&second, a1.stream_seq).await.unwrap();
    assert!(a2.stream_seq > a1.stream_seq);

    let history = log.read_dossier(&key).await.unwrap();
    let seqs: Vec<u64> = history.iter().map(|c| c.stream_seq).collect();
    assert_eq!(seqs, vec![a1.stream_seq, a2.stream_seq]);
    assert_eq!(history[0].envelope, first);
    assert_eq!(history[1].envelope, second);

    // Another dossier in the same stream does not disturb it.
    let other = DossierKey::generate("79".parse().unwrap()).unwrap();
    log.append(&commit(&other, "", "x"), 0).await.unwrap();
    assert_eq!(log.read_dossier(&key).await.unwrap().len(), 2);
    assert!(
        log.read_dossier(&DossierKey::generate("79".parse().unwrap()).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_long_history_is_read_in_batches() {
    let server = NatsServer::builder()
        .sync_always(false)
        .start()
        .await
        .unwrap();
    let log = log(&server).await;
    let key = DossierKey::generate("01".parse().unwrap()).unwrap();
    let (mut seq, mut prev) = (0, String::new());
    for i in 0..600 {
        let c = commit(&key, &prev, &format!("o{i}"));
        seq = log.append(&c, seq).await.unwrap().stream_seq;
        prev = chain_hash(&c.encode());
    }
    let history = log.read_dossier(&key).await.unwrap();
    assert_eq!(history.len(), 600);
    assert_eq!(history.last().unwrap().stream_seq, seq);
}

#[tokio::test]
async fn a_broken_chain_is_reported() {
    let server = NatsServer::start_single().await.unwrap();
    let log = log(&server).await;
    let key = DossierKey::generate("79".parse().unwrap()).unwrap();
    let first = commit(&key, "", "a");
    let s1 = log.append(&first, 0).await.unwrap().stream_seq;
    // Written by something that did not chain it to the first commit.
    let forged = commit(&key, "0000", "b");
    log.append(&forged, s1).await.unwrap();
    match log.read_dossier(&key).await {
        Err(LogError::ChainBroken { stream_seq, .. }) => assert!(stream_seq > s1),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[tokio::test]
async fn stream_drift_is_refused_or_updated() {
    let server = NatsServer::start_single().await.unwrap();
    let province = "79".parse().unwrap();
    let first = log(&server).await;
    first.ensure_dossier_stream(&province).await.unwrap();

    let changed = LogSettings {
        duplicate_window: Duration::from_secs(60),
        ..LogSettings::default()
    };
    let refusing = EventLog::connect(&server.client_url(), changed.clone())
        .await
        .unwrap();
    match refusing.ensure_dossier_stream(&province).await {
        Err(LogError::Drift { differences, .. }) => {
            assert!(differences.contains("duplicate_window"), "{differences}");
        }
        other => panic!("expected drift, got {other:?}"),
    }
    let updating = EventLog::connect(
        &server.client_url(),
        LogSettings {
            on_drift: DriftPolicy::Update,
            ..changed.clone()
        },
    )
    .await
    .unwrap();
    updating.ensure_dossier_stream(&province).await.unwrap();
    let again = EventLog::connect(&server.client_url(), changed)
        .await
        .unwrap();
    again.ensure_dossier_stream(&province).await.unwrap();
}

#[tokio::test]
async fn eight_tasks_allocate_eight_thousand_gap_free_codes() {
    let server = NatsServer::start_single().await.unwrap();
    let log = log(&server).await;
    let agency: AgencyId = "000.00.14.H56".parse().unwrap();
    let day = jiff::civil::date(2026, 11, 23);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let log = log.clone();
        let agency = agency.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::with_capacity(1000);
            for _ in 0..1000 {
                got.push(log.allocate_code(&agency, day).await.unwrap());
            }
            got
        }));
    }
    let mut seqs = BTreeSet::new();
    for t in tasks {
        for code in t.await.unwrap() {
            assert_eq!(code.agency(), &agency);
            assert_eq!(code.date(), day);
            assert!(seqs.insert(code.seq()), "{code} handed out twice");
        }
    }
    assert_eq!(seqs.len(), 8000);
    assert_eq!(seqs.first(), Some(&1));
    assert_eq!(seqs.last(), Some(&8000));
    // Another day and another office start at 1.
    let next = log
        .allocate_code(&agency, day.tomorrow().unwrap())
        .await
        .unwrap();
    assert_eq!(next.to_string(), "000.00.14.H56-261124-0001");
    let other = log
        .allocate_code(&"MC.26734".parse().unwrap(), day)
        .await
        .unwrap();
    assert_eq!(other.seq(), 1);
}

#[tokio::test]
async fn a_durable_consumer_delivers_every_commit_once_acked() {
    let server = NatsServer::start_single().await.unwrap();
    let log = log(&server).await;
    let province = "79".parse().unwrap();
    let mut sent = BTreeSet::new();
    for i in 0..50 {
        let key = DossierKey::generate("79".parse().unwrap()).unwrap();
        let c = commit(&key, "", &format!("o{i}"));
        log.append(&c, 0).await.unwrap();
        sent.insert(c.commandid);
    }
    let consumer = log
        .durable_consumer(
            &province,
            &motcua_log::subscribe::DurableSettings::projector("test"),
        )
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut seen = BTreeSet::new();
    while seen.len() < 50 {
        let msg = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let env = Envelope::decode(&msg.payload).unwrap();
        assert!(seen.insert(env.commandid));
        msg.ack().await.unwrap();
    }
    assert_eq!(seen, sent);

    let mut replay = log
        .replay(&province, vec![], 1)
        .await
        .unwrap()
        .messages()
        .await
        .unwrap();
    let mut count = 0;
    while count < 50 {
        tokio::time::timeout(Duration::from_secs(10), replay.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        count += 1;
    }
}

#[tokio::test]
async fn a_server_below_the_floor_is_refused() {
    // Debian's package, if the machine has it: we start our own copy on a free port.
    let old = std::path::Path::new("/usr/sbin/nats-server");
    if !old.exists() {
        eprintln!("no /usr/sbin/nats-server on this machine; the floor is covered by unit tests");
        return;
    }
    let server = NatsServer::builder()
        .binary(old)
        .allow_below_floor(true)
        .sync_always(false)
        .start()
        .await
        .unwrap();
    match EventLog::connect(&server.client_url(), LogSettings::default()).await {
        Err(LogError::ServerTooOld(msg)) => {
            assert!(msg.contains("below motcua's floor 2.12.0"), "{msg}");
            assert!(msg.contains("tools/install-nats-server"), "{msg}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
