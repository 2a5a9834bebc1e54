//! Bulk import against a real nats-server: one message per dossier, whole or refused,
//! idempotent and resumable.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use jiff::Timestamp;
use motcua_command::import::{DossierImport, Grouped, Grouper, Importer, parse_line};
use motcua_domain::dossier::{Actor, CommandBody, Proposal, ReturnMethod, Role};
use motcua_log::{DossierKey, LogSettings};
use motcua_testkit::NatsServer;
use uuid::Uuid;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A whole life at the HCMC ward desk, as a legacy system would export it.
fn history(key: &DossierKey) -> Vec<String> {
    let office = office();
    let officer = Actor::officer("cv01", Role::HandlingOfficer, office.clone());
    let head = Actor::officer("ld01", Role::Approver, office.clone());
    let clerk = Actor::officer("vt01", Role::Clerk, office.clone());
    let steps: Vec<(&str, Actor, CommandBody)> = vec![
        ("2026-03-02T08:10:00+07:00", reception(), receive().body),
        (
            "2026-03-02T08:30:00+07:00",
            reception(),
            CommandBody::Forward {
                to: office.clone(),
                note: None,
            },
        ),
        (
            "2026-03-02T09:00:00+07:00",
            head.clone(),
            CommandBody::Assign {
                officer: "cv01".into(),
            },
        ),
        (
            "2026-03-03T10:00:00+07:00",
            officer.clone(),
            CommandBody::Appraise {
                proposal: Proposal::Grant,
                opinion: "Đủ điều kiện".into(),
            },
        ),
        (
            "2026-03-03T10:05:00+07:00",
            officer,
            CommandBody::SubmitForApproval,
        ),
        ("2026-03-03T15:00:00+07:00", head, CommandBody::Approve),
        (
            "2026-03-04T08:00:00+07:00",
            clerk.clone(),
            CommandBody::Issue {
                document_no: "12/XN".into(),
                electronic: false,
            },
        ),
        (
            "2026-03-04T08:10:00+07:00",
            clerk,
            CommandBody::MarkResultReady,
        ),
        (
            "2026-03-04T14:00:00+07:00",
            reception(),
            CommandBody::ReturnResult {
                method: ReturnMethod::Desk,
            },
        ),
    ];
    steps
        .into_iter()
        .map(|(t, actor, body)| {
            let mut line = serde_json::json!({
                "at": t, "dossier": key, "command_id": Uuid::now_v7(), "actor": actor,
            });
            let body = serde_json::to_value(&body).unwrap();
            line.as_object_mut()
                .unwrap()
                .extend(body.as_object().unwrap().clone());
            line.to_string()
        })
        .collect()
}

async fn run(importer: &Importer, lines: &[String]) -> Vec<DossierImport> {
    let mut out = Vec::new();
    let mut grouper = Grouper::default();
    let mut ready = Vec::new();
    for (i, text) in lines.iter().enumerate() {
        match parse_line(i as u64 + 1, text) {
            Err(r) => out.push(r),
            Ok(n) => match grouper.push(n) {
                Grouped::Pending => {}
                Grouped::Split(r) => out.push(r),
                Grouped::Ready(k, l) => ready.push((k, l)),
            },
        }
    }
    ready.extend(grouper.finish());
    for (k, l) in ready {
        out.push(importer.import_dossier(&k, &l).await.unwrap());
    }
    out
}

#[tokio::test]
async fn dossiers_import_whole_once_and_resume() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let importer = Importer::new(
        svc.clone(),
        Actor {
            id: "import".into(),
            role: Role::Importer,
            agency: None,
        },
    )
    .unwrap();

    let good = svc.new_key(&desk()).unwrap();
    let bad = svc.new_key(&desk()).unwrap();
    let mut bad_lines = history(&bad);
    // A legacy row that skips approval: issuing is not allowed before approving.
    bad_lines.remove(5);
    let split = svc.new_key(&desk()).unwrap();
    let split_lines = history(&split);

    let other = svc.new_key(&desk()).unwrap();
    let mut file: Vec<String> = Vec::new();
    file.extend(history(&good)); // lines 1-9
    file.extend(bad_lines.clone()); // lines 10-17
    file.extend(split_lines[..2].iter().cloned()); // lines 18-19
    file.push("{ not json".into()); // line 20
    file.push(history(&other)[0].clone()); // line 21
    file.push(split_lines[2].clone()); // line 22: the split dossier again

    // An interrupted first run: only the first dossier.
    let first = run(&importer, &file[..9]).await;
    assert!(
        matches!(&first[0], DossierImport::Imported { lines: 9, .. }),
        "{first:?}"
    );

    let results = run(&importer, &file).await;
    let imported: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            DossierImport::Imported { dossier, lines, .. } => Some((dossier.clone(), *lines)),
            _ => None,
        })
        .collect();
    assert_eq!(
        imported,
        vec![(split.to_string(), 2), (other.to_string(), 1)],
        "{results:?}"
    );
    let already = results
        .iter()
        .filter(|r| matches!(r, DossierImport::AlreadyImported { .. }))
        .count();
    assert_eq!(
        already, 1,
        "the interrupted run's dossier is skipped: {results:?}"
    );
    let rejected: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            DossierImport::Rejected { line, code, .. } => Some((*line, code.as_str())),
            _ => None,
        })
        .collect();
    // The bad dossier's issue line (line 15) is refused by the rules and nothing of that dossier
    // is stored; the malformed line and the split dossier's late line are reported.
    assert!(rejected.contains(&(15, "invalid_state")), "{rejected:?}");
    assert!(rejected.contains(&(20, "malformed")), "{rejected:?}");
    assert!(
        rejected.contains(&(22, "dossier_lines_not_consecutive")),
        "{rejected:?}"
    );
    assert_eq!(rejected.len(), 3, "{rejected:?}");

    // One message per imported dossier; nothing of the refused one.
    let good_history = svc.log().read_dossier(&good).await.unwrap();
    assert_eq!(good_history.len(), 1);
    assert!(good_history[0].envelope.is_import());
    assert_eq!(good_history[0].envelope.events().len(), 9);
    assert!(svc.log().read_dossier(&bad).await.unwrap().is_empty());

    // The imported dossier is a dossier like any other: times kept, live commands go on.
    let state = svc.load(&good).await.unwrap();
    assert_eq!(state.status().unwrap().national_code(), 10);
    assert_eq!(state.received_at, Some(at("2026-03-02T08:10:00+07:00")));
    assert_eq!(
        state.code.as_ref().unwrap().to_string(),
        "MC.26740-260302-0001"
    );
    let feedback = command(
        reception(),
        CommandBody::RecordFeedback {
            satisfaction: motcua_domain::dossier::Satisfaction::Satisfied,
            comment: None,
        },
    );
    svc.handle(
        &good,
        feedback,
        Default::default(),
        at("2026-03-05T09:00:00+07:00"),
    )
    .await
    .unwrap();

    // A third run changes nothing.
    let before = svc
        .log()
        .last_sequence(&"79".parse().unwrap())
        .await
        .unwrap();
    let again = run(&importer, &file[..9]).await;
    assert!(
        matches!(&again[0], DossierImport::AlreadyImported { .. }),
        "{again:?}"
    );
    assert_eq!(
        svc.log()
            .last_sequence(&"79".parse().unwrap())
            .await
            .unwrap(),
        before
    );
}

#[tokio::test]
async fn only_importers_import() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    let err = Importer::new(svc, reception()).unwrap_err();
    assert_eq!(err.code(), "wrong_role");
}
