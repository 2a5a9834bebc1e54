//! Sharding: a projector is limited to one province's stream; several run side by side with
//! their own durable consumers and their own trees (separate sled databases, or one shared).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{Actor, Applicant, Command, CommandBody, Role, decide};
use motcua_log::subject::dossier_stream;
use motcua_log::{DossierKey, EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{Projector, ProjectorConfig, Scope, Shard, Views};
use uuid::Uuid;

/// Hà Nội dossiers (Phường Hoàn Kiếm, 2-level list): received and forwarded.
fn hanoi(n: usize) -> Vec<GenDossier> {
    let r = reference();
    let ctx = r.context();
    let desk = agency("MC.00070");
    (0..n)
        .map(|i| {
            let key = DossierKey::generate(unit("01")).unwrap();
            let now = at("2026-02-02T09:00") + jiff::SignedDuration::from_mins(i as i64);
            let mut state = motcua_domain::dossier::Dossier::new();
            let mut commits = Vec::new();
            for (actor, body) in [
                (
                    Actor::officer("tn01", Role::Reception, desk.clone()),
                    CommandBody::Receive {
                        code: Some(
                            motcua_domain::code::DossierCode::new(
                                desk.clone(),
                                date("2026-02-02"),
                                i as u32 + 1,
                            )
                            .unwrap(),
                        ),
                        procedure: Some("1.004194".parse().unwrap()),
                        channel: Some(Channel::Direct),
                        applicant: Some(Applicant::named("Nguyễn Văn Hà Nội")),
                        handling_agency: agency("UB.00070"),
                        digitised: false,
                    },
                ),
                (
                    Actor::officer("tn01", Role::Reception, desk.clone()),
                    CommandBody::Forward {
                        to: agency("UB.00070"),
                        note: None,
                    },
                ),
            ] {
                let cmd = Command {
                    id: Uuid::now_v7(),
                    actor,
                    body,
                };
                let events = decide(&state, &cmd, now, &ctx).unwrap();
                for e in &events {
                    state = state.clone().evolve(e);
                }
                commits.push(events);
            }
            GenDossier { key, commits }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_province_projectors_run_side_by_side() {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let hcmc = Generator::new(21).dossiers(30);
    let hn = hanoi(5);
    append_all(&log, &hcmc, 8).await;
    append_all(&log, &hn, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let start = |p: &str| {
        let log = log.clone();
        let path = dir.path().join(p);
        let province = unit(p);
        async move {
            let projector = Projector::start(
                log.clone(),
                reference(),
                ProjectorConfig::new(Shard::province(province.clone()), path),
            )
            .await
            .unwrap();
            let last = log.last_sequence(&province).await.unwrap();
            projector.run_until(last).await.unwrap();
            projector
        }
    };
    let (p79, p01) = tokio::join!(start("79"), start("01"));
    let (v79, v01) = (p79.views(), p01.views());

    for d in &hn {
        assert!(v01.row(&d.key).unwrap().is_some());
        assert!(v79.row(&d.key).unwrap().is_none());
    }
    for d in &hcmc {
        assert!(v79.row(&d.key).unwrap().is_some());
        assert!(v01.row(&d.key).unwrap().is_none());
    }
    let later = at("2027-01-01T00:00");
    let hn_report = v01
        .bieu06(&unit("01"), date("2026-02-01"), date("2026-02-28"), later)
        .unwrap();
    assert_eq!(hn_report.total.received_direct_postal, 5);
    assert_eq!(
        v79.bieu06(&unit("01"), date("2026-02-01"), date("2026-02-28"), later)
            .unwrap()
            .total,
        Default::default()
    );
    assert_eq!(
        v01.queue(&Scope::Agency(agency("UB.00070")), 10)
            .unwrap()
            .len(),
        5
    );
    assert_eq!(v01.search_applicant("ha noi", 10).unwrap().len(), 5);
    assert!(v79.search_applicant("ha noi", 10).unwrap().is_empty());

    // Each projector has its own durable consumer on its own stream.
    for (p, name) in [("79", "views-79"), ("01", "views-01")] {
        let stream = log
            .jetstream()
            .get_stream(dossier_stream(&unit(p)))
            .await
            .unwrap();
        let info = stream.consumer_info(name).await.unwrap();
        assert_eq!(info.name, name);
    }
}

#[test]
fn shards_sharing_one_database_keep_to_their_own_trees() {
    let hcmc = Generator::new(22).dossiers(20);
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).open().unwrap();
    let v79 = Views::open_in(&db, Shard::province(unit("79")), reference()).unwrap();
    let v01 = Views::open_in(&db, Shard::province(unit("01")), reference()).unwrap();
    let d79 = deliveries(&hcmc, 1);
    let hn = hanoi(3);
    let d01 = deliveries(&hn, 1);
    v79.apply(&d79).unwrap();
    v01.apply(&d01).unwrap();
    // A message of the other province is refused as a dead letter, not applied.
    let stray = v01.apply(&[motcua_views::Delivery {
        seq: 100,
        ..d79[0].clone()
    }]);
    assert_eq!(stray.unwrap().dead, 1);
    assert_eq!(
        v01.list_dead_letters(10).unwrap()[0].reason.code(),
        "wrong_subject"
    );

    // The 79 shard is byte-identical to one built alone.
    let alone_dir = tempfile::tempdir().unwrap();
    let alone = Views::open(alone_dir.path(), Shard::province(unit("79")), reference()).unwrap();
    alone.apply(&d79).unwrap();
    assert_eq!(v79.digest().unwrap(), alone.digest().unwrap());
    assert_ne!(v79.digest().unwrap(), v01.digest().unwrap());
}
