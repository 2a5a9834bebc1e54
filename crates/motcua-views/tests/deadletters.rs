//! Dead letters against a real server: a message that cannot be decoded or applied is stored
//! with its sequence, subject and reason; the projector goes on; the dossier is parked so its
//! views never show a history with a hole; a replay after the cause is fixed applies them and
//! gives the same digest as a rebuild with the fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::*;
use motcua_domain::Reference;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{Actor, Applicant, Command, CommandBody, Role, decide};
use motcua_domain::units::{AgencyDirectory, UnitRegistry};
use motcua_log::{DossierKey, EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{DeadReason, Projector, ProjectorConfig, Shard, Views, rebuild};
use uuid::Uuid;

/// The shipped data plus the provincial Department of Justice, which the shipped directory lacks.
fn with_department() -> Arc<Reference> {
    let official = Reference::official();
    let agencies = AgencyDirectory::derived(UnitRegistry::official())
        .with_csv(
            "id,name,kind,unit_code,hierarchy\nSTP.79,Sở Tư pháp TP. Hồ Chí Minh,department,79,2level-2025-07\n",
        )
        .unwrap();
    Arc::new(Reference {
        agencies,
        ..official
    })
}

/// A dossier handled by the department: received at the ward desk, forwarded, assigned.
fn department_dossier(r: &Reference) -> GenDossier {
    let ctx = r.context();
    let desk = agency("MC.26740");
    let dept = agency("STP.79");
    let key = DossierKey::generate(unit("79")).unwrap();
    let mut state = motcua_domain::dossier::Dossier::new();
    let mut commits = Vec::new();
    let steps = [
        (
            Actor::officer("tn01", Role::Reception, desk.clone()),
            CommandBody::Receive {
                code: Some(
                    motcua_domain::code::DossierCode::new(desk.clone(), date("2026-02-02"), 901)
                        .unwrap(),
                ),
                procedure: Some("2.001583".parse().unwrap()),
                channel: Some(Channel::Direct),
                applicant: Some(Applicant::named("Công ty Hòa Bình")),
                handling_agency: dept.clone(),
                digitised: true,
            },
            at("2026-02-02T09:00"),
        ),
        (
            Actor::officer("tn01", Role::Reception, desk),
            CommandBody::Forward {
                to: dept.clone(),
                note: None,
            },
            at("2026-02-02T10:00"),
        ),
        (
            Actor::officer("ld01", Role::Approver, dept),
            CommandBody::Assign {
                officer: "cv01".into(),
            },
            at("2026-02-03T10:00"),
        ),
    ];
    for (actor, body, now) in steps {
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
}

async fn publish(log: &EventLog, subject: String, payload: &'static [u8]) -> u64 {
    log.jetstream()
        .publish(subject, Bytes::from_static(payload))
        .await
        .unwrap()
        .await
        .unwrap()
        .sequence
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_become_dead_letters_and_replay_after_the_fix() {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    log.ensure_dossier_stream(&unit("79")).await.unwrap();
    let good = Generator::new(11).dossiers(25);
    append_all(&log, &good[..12], 8).await;
    // Not JSON, on a dossier subject: that dossier is parked.
    let garbage_key = DossierKey::generate(unit("79")).unwrap();
    let garbage_seq = publish(&log, garbage_key.subject(), b"{not json").await;
    // Not a dossier subject at all.
    let bogus_seq = publish(&log, "motcua.dossier.79.bogus".to_owned(), b"{}").await;
    // An office this node does not know: the first commit dies, the later ones are parked.
    let fixed = with_department();
    let dept = department_dossier(&fixed);
    append_all(&log, std::slice::from_ref(&dept), 1).await;
    append_all(&log, &good[12..], 8).await;
    let last = log.last_sequence(&unit("79")).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    let projector = Projector::start(
        log.clone(),
        reference(),
        ProjectorConfig::new(Shard::province(unit("79")), &path),
    )
    .await
    .unwrap();
    projector.run_until(last).await.unwrap();
    let v = projector.views();
    assert_eq!(v.checkpoint().unwrap(), last, "the projector went on");
    let dead = v.list_dead_letters(100).unwrap();
    let summary: Vec<(u64, &str)> = dead.iter().map(|d| (d.seq, d.reason.code())).collect();
    assert_eq!(summary.len(), 5, "{summary:?}");
    assert_eq!(summary[0], (garbage_seq, "undecodable"));
    assert_eq!(dead[0].subject, garbage_key.subject());
    assert_eq!(dead[0].payload(), b"{not json");
    assert_eq!(summary[1], (bogus_seq, "wrong_subject"));
    assert_eq!(summary[2].1, "unknown_agency");
    assert_eq!(dead[2].reason, DeadReason::UnknownAgency("STP.79".into()));
    let first = summary[2].0;
    for d in &dead[3..] {
        assert_eq!(d.reason, DeadReason::Parked { first_seq: first });
        assert_eq!(d.dossier.as_deref(), Some(dept.key.to_string().as_str()));
    }
    // The parked dossier shows nothing; every other dossier is as the model says.
    assert!(v.dossier_by_key(&dept.key).unwrap().is_none());
    assert_views_match_except_dead(v, &Model::new(&good));
    drop(projector);

    // Fixed: the node now knows the department. Replaying applies the three commits.
    let views = Views::open(&path, Shard::province(unit("79")), fixed.clone()).unwrap();
    let outcome = views.replay_dead_letters().unwrap();
    assert_eq!((outcome.applied, outcome.still_dead), (3, 2));
    let detail = views.dossier_by_key(&dept.key).unwrap().unwrap();
    assert_eq!(detail.timeline.len(), 3);
    assert_eq!(detail.row.handling_unit, Some(unit("79")));
    let left: Vec<u64> = views
        .list_dead_letters(10)
        .unwrap()
        .iter()
        .map(|d| d.seq)
        .collect();
    assert_eq!(left, vec![garbage_seq, bogus_seq]);
    // Same bytes as a rebuild made with the fix from the start.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Views::open(
        fresh_dir.path(),
        Shard::named(unit("79"), "fixed").unwrap(),
        fixed,
    )
    .unwrap();
    rebuild(&log, &fresh, |_| {}).await.unwrap();
    assert_eq!(views.digest().unwrap(), fresh.digest().unwrap());
}

/// Like `assert_views_match`, for a store that also holds dead letters.
fn assert_views_match_except_dead(v: &Views, model: &Model) {
    let after = model.last_event() + jiff::SignedDuration::from_hours(1);
    for s in ["79", "26740", "26506"] {
        let got = v
            .bieu06(&unit(s), date("2025-01-01"), date("2026-12-31"), after)
            .unwrap();
        assert_eq!(
            report_rows(&got),
            model.bieu06(&unit(s), date("2025-01-01"), date("2026-12-31"), after),
            "Biểu 06 of {s}"
        );
    }
    for (key, _) in &model.dossiers {
        assert!(v.row(key).unwrap().is_some());
    }
}
