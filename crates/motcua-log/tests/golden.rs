//! Golden envelopes: every event type at every schema version, as stored, must keep decoding.
//!
//! The files live in `tests/golden/v<N>/<type>.json` at the workspace root. They are written
//! once, when a version is published, with `MOTCUA_BLESS=1 cargo test -p motcua-log --test
//! golden`, and never edited afterwards: a change to a payload is a new schema version with an
//! upcaster and new files beside the old ones.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use jiff::Timestamp;
use motcua_domain::calendar::{TimeLimit, Timeliness};
use motcua_domain::catalogue::{CatalogueRef, Channel};
use motcua_domain::dossier::{
    Actor, Applicant, Event, EventBody, PaymentMethod, Proposal, ReturnMethod, Role, Satisfaction,
};
use motcua_log::envelope::SCHEMA_VERSION;
use motcua_log::{CommitMeta, DossierKey, Envelope};
use uuid::Uuid;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden")
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// One realistic sample of every event type.
fn samples() -> Vec<EventBody> {
    let desk = "MC.26740".parse().unwrap();
    let office = "UB.26740".parse().unwrap();
    let procedure = CatalogueRef {
        code: "1.004194".parse().unwrap(),
        version: 1,
    };
    let applicant = Applicant {
        name: "Nguyễn Văn An".into(),
        id_number: Some("079090000001".into()),
        phone: Some("0901000001".into()),
        address: Some("1 Đồng Khởi, Phường Sài Gòn, TP Hồ Chí Minh".into()),
        email: None,
    };
    vec![
        EventBody::Submitted {
            procedure: procedure.clone(),
            applicant: applicant.clone(),
            receiving_agency: "MC.26740".parse().unwrap(),
            intake_due_at: ts("2026-11-24T09:00:00+07:00"),
        },
        EventBody::IntakeSupplementRequested {
            items: vec!["Bản sao hợp đồng thuê nhà".into()],
        },
        EventBody::IntakeSupplementProvided {
            intake_due_at: ts("2026-11-25T09:00:00+07:00"),
        },
        EventBody::IntakeRefused {
            reason: "Không thuộc thẩm quyền tiếp nhận".into(),
        },
        EventBody::Received {
            code: "MC.26740-261123-0001".parse().unwrap(),
            procedure,
            channel: Channel::Direct,
            applicant: Some(applicant),
            receiving_agency: desk,
            handling_agency: "UB.26740".parse().unwrap(),
            rule_set: "nd118-2025".into(),
            time_limit: TimeLimit::WorkingDays(3),
            clock_started_at: ts("2026-11-23T09:00:00+07:00"),
            due_at: ts("2026-11-26T09:00:00+07:00"),
            intake_late: false,
            digitised: true,
        },
        EventBody::Forwarded {
            from: "MC.26740".parse().unwrap(),
            to: office,
            step_result: Timeliness::Early,
            step_due_at: ts("2026-11-26T09:00:00+07:00"),
            note: Some("Chuyển bản điện tử ngay sau tiếp nhận".into()),
        },
        EventBody::Assigned {
            officer: "cv01".into(),
        },
        EventBody::Appraised {
            proposal: Proposal::Grant,
            opinion: "Hồ sơ đủ điều kiện".into(),
        },
        EventBody::SupplementRequested {
            items: vec!["Giấy tờ chứng minh chỗ ở hợp pháp".into()],
            number: 1,
            late_request: false,
        },
        EventBody::SupplementProvided {
            clock_started_at: ts("2026-11-25T08:00:00+07:00"),
            due_at: ts("2026-11-28T08:00:00+07:00"),
        },
        EventBody::SupplementExpired {
            requested_at: ts("2026-11-24T10:00:00+07:00"),
        },
        EventBody::FeeRequested {
            amount_vnd: 15_000,
            reason: "Lệ phí đăng ký tạm trú".into(),
        },
        EventBody::FeePaid {
            amount_vnd: 15_000,
            method: PaymentMethod::OnlinePortal,
            due_at: ts("2026-11-27T09:00:00+07:00"),
        },
        EventBody::SubmittedForApproval,
        EventBody::Approved,
        EventBody::ApprovalRejected {
            reason: "Cần xác minh thêm".into(),
        },
        EventBody::Issued {
            document_no: "123/XN-UBND".into(),
            electronic: true,
        },
        EventBody::ResultReady {
            outcome: Proposal::Refuse {
                reason: "Không đủ điều kiện".into(),
            },
            desk: "MC.26740".parse().unwrap(),
            timeliness: Timeliness::OnTime,
        },
        EventBody::Returned {
            method: ReturnMethod::Post,
        },
        EventBody::Withdrawn {
            reason: "Công dân xin rút hồ sơ".into(),
        },
        EventBody::Stopped {
            reason: "Dừng theo đề nghị của cơ quan có thẩm quyền".into(),
        },
        EventBody::Apologised {
            reason: "Cần lấy ý kiến cơ quan liên quan".into(),
            previous_due_at: ts("2026-11-26T09:00:00+07:00"),
            new_due_at: ts("2026-11-30T09:00:00+07:00"),
            timely: true,
            extends_deadline: true,
        },
        EventBody::FeedbackRecorded {
            satisfaction: Satisfaction::Satisfied,
            comment: Some("Nhanh chóng".into()),
        },
    ]
}

fn envelope(body: EventBody) -> Envelope {
    let key: DossierKey = "79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab".parse().unwrap();
    let event = Event {
        at: ts("2026-11-23T09:00:00+07:00"),
        actor: Actor::officer("tn01", Role::Reception, "MC.26740".parse().unwrap()),
        command_id: "0193b3c6-0000-7000-8000-000000000001".parse().unwrap(),
        body,
    };
    let meta = CommitMeta {
        correlation_id: Some("0193b3c6-0000-7000-8000-0000000000aa".parse().unwrap()),
        causation_id: None,
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
    };
    let mut env = Envelope::for_commit(
        &key,
        Some(&"MC.26740-261123-0001".parse().unwrap()),
        Some("nd118-2025"),
        &[event],
        &meta,
        "",
    )
    .unwrap();
    // Fixed, so that the files do not change from run to run.
    env.id = Uuid::from_u128(0x0193b3c6_5a4e_7c2d_9e8f_000000000001);
    env
}

/// An imported history of two original commands.
fn imported() -> Envelope {
    let key: DossierKey = "79-0193b3c6-5a4e-7c2d-9e8f-0123456789ac".parse().unwrap();
    let desk: motcua_domain::units::AgencyId = "MC.26740".parse().unwrap();
    let bodies = samples();
    let pick = |t: &str| bodies.iter().find(|b| b.type_name() == t).unwrap().clone();
    let history = vec![
        vec![Event {
            at: ts("2026-03-02T08:10:00+07:00"),
            actor: Actor::officer("tn01", Role::Reception, desk.clone()),
            command_id: "0193b3c6-0000-7000-8000-000000000011".parse().unwrap(),
            body: pick("received"),
        }],
        vec![Event {
            at: ts("2026-03-02T08:30:00+07:00"),
            actor: Actor::officer("tn01", Role::Reception, desk),
            command_id: "0193b3c6-0000-7000-8000-000000000012".parse().unwrap(),
            body: pick("forwarded"),
        }],
    ];
    let origin = motcua_log::ImportOrigin {
        importer: Actor {
            id: "import".into(),
            role: Role::Importer,
            agency: None,
        },
        batch_id: "0193b3c6-0000-7000-8000-0000000000bb".parse().unwrap(),
        meta: CommitMeta::default(),
    };
    let mut env = Envelope::for_import(
        &key,
        Some(&"MC.26740-260302-0001".parse().unwrap()),
        Some("nd118-2025"),
        &history,
        &origin,
        "",
    )
    .unwrap();
    env.id = Uuid::from_u128(0x0193b3c6_5a4e_7c2d_9e8f_000000000002);
    env
}

#[test]
fn every_event_type_has_a_sample() {
    let names: BTreeSet<_> = samples().iter().map(EventBody::type_name).collect();
    let all: BTreeSet<_> = EventBody::TYPES.into_iter().collect();
    assert_eq!(names, all);
}

#[test]
fn every_golden_file_of_every_version_decodes() {
    let root = golden_dir();
    if std::env::var_os("MOTCUA_BLESS").is_some() {
        let dir = root.join(format!("v{SCHEMA_VERSION}"));
        std::fs::create_dir_all(&dir).unwrap();
        for body in samples() {
            let path = dir.join(format!("{}.json", body.type_name()));
            if !path.exists() {
                let value: serde_json::Value =
                    serde_json::from_slice(&envelope(body).encode()).unwrap();
                let text = serde_json::to_string_pretty(&value).unwrap();
                std::fs::write(&path, text + "\n").unwrap();
            }
        }
        let path = dir.join("imported.json");
        if !path.exists() {
            let value: serde_json::Value = serde_json::from_slice(&imported().encode()).unwrap();
            let text = serde_json::to_string_pretty(&value).unwrap();
            std::fs::write(&path, text + "\n").unwrap();
        }
    }
    let mut versions = 0;
    for version in 1..=SCHEMA_VERSION {
        let dir = root.join(format!("v{version}"));
        let mut seen = BTreeSet::new();
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with MOTCUA_BLESS=1)", dir.display()))
        {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let env = Envelope::decode(&bytes)
                .unwrap_or_else(|e| panic!("{} no longer decodes: {e}", path.display()));
            assert_eq!(
                env.schemaversion, SCHEMA_VERSION,
                "upcast to the current version"
            );
            let types = env.type_names();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if stem == "imported" {
                assert!(env.is_import());
                assert_eq!(
                    env.event_type,
                    format!("vn.motcua.dossier.imported.v{SCHEMA_VERSION}")
                );
                assert_eq!(env.events().len(), 2);
                continue;
            }
            assert_eq!(types, vec![stem.as_str()], "{}", path.display());
            assert_eq!(
                env.event_type,
                format!("vn.motcua.dossier.{stem}.v{SCHEMA_VERSION}")
            );
            seen.insert(stem);
        }
        let all: BTreeSet<String> = EventBody::TYPES.iter().map(|t| t.to_string()).collect();
        assert_eq!(seen, all, "v{version} must hold every event type");
        versions += 1;
    }
    assert_eq!(versions, SCHEMA_VERSION);
}

#[test]
fn the_current_version_reads_back_exactly_what_it_wrote() {
    for env in samples().into_iter().map(envelope).chain([imported()]) {
        let stored = env.encode();
        let back = Envelope::decode(&stored).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.encode(), stored, "encoding is stable");
    }
}

#[test]
fn malformed_and_future_envelopes_are_refused() {
    assert!(Envelope::decode(b"").is_err());
    assert!(Envelope::decode(b"{}").is_err());
    assert!(Envelope::decode(br#"{"schemaversion": 0}"#).is_err());
    let mut future: serde_json::Value =
        serde_json::from_slice(&envelope(EventBody::Approved).encode()).unwrap();
    future["schemaversion"] = serde_json::json!(SCHEMA_VERSION + 1);
    let err = Envelope::decode(&serde_json::to_vec(&future).unwrap()).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}
