//! Shared fixtures of the fuzz targets: the shipped reference data, a few realistic dossier
//! states built by running real commands through `decide`, and the checks every target makes on
//! what it decoded.
//!
//! The story below is written as wire JSON (`CommandRequest`, as over NATS), so the very same
//! texts are the seeds of `command_json` and, with their time, of `import_line`
//! (`cargo test --manifest-path fuzz/Cargo.toml -- --ignored write_seeds` rewrites them).

use std::sync::OnceLock;

use jiff::Timestamp;
use motcua_command::nats::CommandRequest;
use motcua_domain::Reference;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Command, CommandBody, Dossier, Event, decide};
use motcua_log::{DossierKey, Envelope, ImportOrigin};

/// The shipped reference data, parsed once per process.
pub fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(Reference::official)
}

/// The dossier key of the story.
pub const KEY: &str = "79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab";

/// One step of the story: its name, its time and the command as sent over NATS.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// Name of the state the step leads to (and of the seed file).
    pub name: &'static str,
    /// Which state the step continues from (an index into [`STEPS`]), `None` for a new dossier.
    pub after: Option<usize>,
    /// Event time (RFC 3339).
    pub at: &'static str,
    /// The command (`CommandRequest` JSON).
    pub json: &'static str,
}

/// A direct and an online dossier at the Phường Sài Gòn desk (Hồ Chí Minh City), walked through
/// receipt, handling, a supplement, a fee, approval and return. Monday 24/11/2025, UTC+7.
pub const STEPS: &[Step] = &[
    Step {
        name: "submitted",
        after: None,
        at: "2025-11-24T02:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000001","actor":{"id":"vneid.079190001234","role":"applicant"},"command":"submit_online","procedure":"1.004194","applicant":{"name":"Nguyễn Văn An","id_number":"079090000001","phone":"0901000001","address":"1 Đồng Khởi, Phường Sài Gòn, TP Hồ Chí Minh","email":"an.nguyen@example.vn"},"receiving_agency":"MC.26740"}"#,
    },
    Step {
        name: "intake_supplement",
        after: Some(0),
        at: "2025-11-24T02:30:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000002","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"request_intake_supplement","items":["Bản sao giấy khai sinh"]}"#,
    },
    Step {
        name: "received_online",
        after: Some(0),
        at: "2025-11-24T03:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000003","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"receive","code":"MC.26740-251124-0002","handling_agency":"UB.26740"}"#,
    },
    Step {
        name: "received",
        after: None,
        at: "2025-11-24T02:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000010","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"receive","code":"MC.26740-251124-0001","procedure":"1.004194","channel":"direct","applicant":{"name":"Trần Thị Bình","id_number":"079185000002","phone":"0912000002","address":"12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh"},"handling_agency":"UB.26740","digitised":true}"#,
    },
    Step {
        name: "forwarded",
        after: Some(3),
        at: "2025-11-24T02:10:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000011","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"forward","to":"UB.26740","note":"Chuyển hồ sơ đến cơ quan giải quyết"}"#,
    },
    Step {
        name: "assigned",
        after: Some(4),
        at: "2025-11-24T02:30:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000012","actor":{"id":"ld.le","role":"approver","agency":"UB.26740"},"command":"assign","officer":"cv.tran"}"#,
    },
    Step {
        name: "appraised",
        after: Some(5),
        at: "2025-11-24T03:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000013","actor":{"id":"cv.tran","role":"handling_officer","agency":"UB.26740"},"command":"appraise","proposal":{"decision":"grant"},"opinion":"Hồ sơ đầy đủ, hợp lệ; đề nghị giải quyết."}"#,
    },
    Step {
        name: "supplement",
        after: Some(5),
        at: "2025-11-24T03:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000014","actor":{"id":"cv.tran","role":"handling_officer","agency":"UB.26740"},"command":"request_supplement","items":["Giấy xác nhận nơi ở hợp pháp","Bản sao CCCD"]}"#,
    },
    Step {
        name: "fee_requested",
        after: Some(6),
        at: "2025-11-24T03:30:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000015","actor":{"id":"cv.tran","role":"handling_officer","agency":"UB.26740"},"command":"request_fee","amount_vnd":20000,"reason":"Lệ phí đăng ký tạm trú"}"#,
    },
    Step {
        name: "pending_approval",
        after: Some(6),
        at: "2025-11-24T04:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000016","actor":{"id":"cv.tran","role":"handling_officer","agency":"UB.26740"},"command":"submit_for_approval"}"#,
    },
    Step {
        name: "approved",
        after: Some(9),
        at: "2025-11-24T07:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000017","actor":{"id":"ld.le","role":"approver","agency":"UB.26740"},"command":"approve"}"#,
    },
    Step {
        name: "issued",
        after: Some(10),
        at: "2025-11-24T07:30:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000018","actor":{"id":"vt.pham","role":"clerk","agency":"UB.26740"},"command":"issue","document_no":"125/XN-UBND","electronic":true}"#,
    },
    Step {
        name: "result_ready",
        after: Some(11),
        at: "2025-11-24T08:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000019","actor":{"id":"vt.pham","role":"clerk","agency":"UB.26740"},"command":"mark_result_ready"}"#,
    },
    Step {
        name: "returned",
        after: Some(12),
        at: "2025-11-24T09:00:00Z",
        json: r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-00000000001a","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"return_result","method":"desk"}"#,
    },
];

/// Further commands that are valid somewhere in the story: seeds only.
pub const EXTRA_SEEDS: &[(&str, &str)] = &[
    (
        "provide_intake_supplement",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000020","actor":{"id":"vneid.079190001234","role":"applicant"},"command":"provide_intake_supplement"}"#,
    ),
    (
        "refuse_intake",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000021","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"refuse_intake","reason":"Không thuộc thẩm quyền"}"#,
    ),
    (
        "provide_supplement",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000022","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"provide_supplement"}"#,
    ),
    (
        "expire_supplement",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000023","actor":{"id":"system","role":"system"},"command":"expire_supplement"}"#,
    ),
    (
        "pay_fee",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000024","actor":{"id":"vneid.079190001234","role":"applicant"},"command":"pay_fee","amount_vnd":20000,"method":"online_portal"}"#,
    ),
    (
        "reject_approval",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000025","actor":{"id":"ld.le","role":"approver","agency":"UB.26740"},"command":"reject_approval","reason":"Bổ sung ý kiến thẩm định"}"#,
    ),
    (
        "appraise_refuse",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000026","actor":{"id":"cv.tran","role":"handling_officer","agency":"UB.26740"},"command":"appraise","proposal":{"decision":"refuse","reason":"Không đủ điều kiện"},"opinion":"Không đủ điều kiện."}"#,
    ),
    (
        "withdraw",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000027","actor":{"id":"vneid.079190001234","role":"applicant"},"command":"withdraw","reason":"Không còn nhu cầu"}"#,
    ),
    (
        "stop",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000028","actor":{"id":"admin.root","role":"admin"},"command":"stop","reason":"Theo yêu cầu của cơ quan có thẩm quyền"}"#,
    ),
    (
        "apologise",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-000000000029","actor":{"id":"cv.tran","role":"handling_officer","agency":"UB.26740"},"command":"apologise","reason":"Cần xác minh thêm","new_due_at":"2025-12-05T10:00:00Z"}"#,
    ),
    (
        "record_feedback",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-00000000002a","actor":{"id":"vneid.079190001234","role":"applicant"},"command":"record_feedback","satisfaction":"satisfied","comment":"Nhanh chóng"}"#,
    ),
    (
        "forward_city",
        r#"{"dossier":"79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab","command_id":"0193b3c6-0000-7000-8000-00000000002b","actor":{"id":"ld.le","role":"approver","agency":"UB.26740"},"command":"forward","to":"UB.79"}"#,
    ),
    (
        "receive_postal_no_code",
        r#"{"command_id":"0193b3c6-0000-7000-8000-00000000002c","actor":{"id":"tn.nguyen","role":"reception","agency":"MC.26740"},"command":"receive","procedure":"1.001193","channel":"postal","applicant":{"name":"Lê Văn Cường"},"handling_agency":"UB.26740"}"#,
    ),
];

/// A state of the story and the history that led to it.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The state's name.
    pub name: &'static str,
    /// The events so far.
    pub history: Vec<Event>,
    /// Their fold.
    pub state: Dossier,
}

/// Parses a story command.
pub fn request(json: &str) -> CommandRequest {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("fixture command {json}: {e}"))
}

/// A request as a domain command.
pub fn command(request: &CommandRequest) -> Command {
    Command {
        id: request.command_id,
        actor: request.actor.clone(),
        body: request.body.clone(),
    }
}

/// A new dossier and every state of the story, built once per process.
pub fn fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let ctx = reference().context();
        let mut out = vec![Fixture {
            name: "new",
            history: Vec::new(),
            state: Dossier::new(),
        }];
        for step in STEPS {
            let mut history = step
                .after
                .map_or_else(Vec::new, |i| out[i + 1].history.clone());
            let state = Dossier::replay(&history);
            let at: Timestamp = step.at.parse().expect("fixture time");
            let events = decide(&state, &command(&request(step.json)), at, &ctx)
                .unwrap_or_else(|e| panic!("fixture step {} refused: {e}", step.name));
            history.extend(events);
            let state = Dossier::replay(&history);
            if let Err(why) = state.check_invariants() {
                panic!("fixture step {} breaks an invariant: {why}", step.name);
            }
            out.push(Fixture {
                name: step.name,
                history,
                state,
            });
        }
        out
    })
}

/// When a command is decided against a fixture: a few minutes after its last event (inside
/// office hours), and two months later (past supplement and apology windows, near the end of
/// the holiday table).
pub fn decision_times(state: &Dossier) -> [Timestamp; 2] {
    let base: Timestamp = "2025-11-24T01:00:00Z".parse().expect("fixture time");
    let last = state.last_event_at.unwrap_or(base);
    let later = |minutes: i64| {
        last.checked_add(jiff::SignedDuration::from_mins(minutes))
            .expect("fixture times are far from the end of time")
    };
    [later(5), later(61 * 24 * 60)]
}

/// Decides `command` against `state` at `now`; when accepted, folds the events and checks the
/// state's invariants (an accepted command must never break them). Returns the events and the
/// new state.
pub fn decide_and_check(
    state: &Dossier,
    command: &Command,
    now: Timestamp,
) -> Option<(Vec<Event>, Dossier)> {
    let ctx = reference().context();
    let events = decide(state, command, now, &ctx).ok()?;
    assert!(!events.is_empty(), "an accepted command produces events");
    let mut next = state.clone();
    for e in &events {
        next = next.evolve(e);
    }
    if let Err(why) = next.check_invariants() {
        panic!(
            "{} accepted at {now} breaks an invariant: {why}",
            command.body.name()
        );
    }
    Some((events, next))
}

/// Replays one grouped dossier of an import file the way `Importer::import_dossier` does,
/// without NATS: each line decided at its own time (a `receive` without a code gets a
/// provisional one), the dossier stops at its first refusal; what was accepted is wrapped as an
/// imported history, which must survive encoding and decoding unchanged.
pub fn import_dossier(key: &DossierKey, lines: &[motcua_command::import::NumberedLine]) {
    let ctx = reference().context();
    let mut state = Dossier::new();
    let mut history: Vec<Vec<Event>> = Vec::new();
    for numbered in lines {
        let line = &numbered.line;
        if line.request.dossier.as_ref() != Some(key) {
            break;
        }
        let mut command = command(&line.request);
        if let CommandBody::Receive { code, .. } = &mut command.body
            && code.is_none()
        {
            let Some(agency) = line.request.actor.agency.clone() else {
                break;
            };
            *code = DossierCode::new(agency, ctx.calendar.local_date(line.at), 1).ok();
        }
        let Ok(events) = decide(&state, &command, line.at, &ctx) else {
            break;
        };
        for e in &events {
            state = state.evolve(e);
        }
        if let Err(why) = state.check_invariants() {
            panic!(
                "line {} ({}) accepted at {} breaks an invariant: {why}",
                numbered.number,
                command.body.name(),
                line.at
            );
        }
        history.push(events);
    }
    check_history(key, &history, &state);
}

/// A history of accepted commits, wrapped as one imported envelope, round-trips through
/// encoding and replays to `state`.
pub fn check_history(key: &DossierKey, history: &[Vec<Event>], state: &Dossier) {
    if history.is_empty() {
        return;
    }
    let origin = ImportOrigin {
        importer: motcua_domain::dossier::Actor {
            id: "importer".to_owned(),
            role: motcua_domain::dossier::Role::Importer,
            agency: None,
        },
        batch_id: uuid::Uuid::nil(),
        meta: Default::default(),
    };
    let envelope = Envelope::for_import(
        key,
        state.code.as_ref(),
        state.rule_set.as_deref(),
        history,
        &origin,
        "",
    )
    .expect("an accepted history wraps");
    check_envelope_round_trip(&envelope);
    let replayed = Dossier::replay(&envelope.events());
    assert_eq!(
        &replayed, state,
        "the stored history replays to the same state"
    );
}

/// An envelope, encoded and decoded, is the same envelope.
pub fn check_envelope_round_trip(envelope: &Envelope) {
    let bytes = envelope.encode();
    match Envelope::decode(&bytes) {
        Ok(again) => assert_eq!(&again, envelope, "decode(encode(e)) != e"),
        Err(e) => panic!(
            "an encoded envelope does not decode: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_builds() {
        assert_eq!(fixtures().len(), STEPS.len() + 1);
        for f in fixtures() {
            for now in decision_times(&f.state) {
                for (_, json) in EXTRA_SEEDS {
                    let _ = decide_and_check(&f.state, &command(&request(json)), now);
                }
            }
        }
    }

    /// Rewrites the seeds of `command_json` and `import_line` from the story.
    #[test]
    #[ignore = "writes files: run with --ignored to refresh the seed corpora"]
    fn write_seeds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let cmd_dir = root.join("command_json");
        let line_dir = root.join("import_line");
        std::fs::create_dir_all(&cmd_dir).expect("mkdir");
        std::fs::create_dir_all(&line_dir).expect("mkdir");
        let with_at = |json: &str, at: &str| format!("{{\"at\":\"{at}\",{}", &json[1..]);
        for step in STEPS {
            std::fs::write(cmd_dir.join(format!("story-{}.json", step.name)), step.json)
                .expect("write");
        }
        for (name, json) in EXTRA_SEEDS {
            std::fs::write(cmd_dir.join(format!("extra-{name}.json")), json).expect("write");
        }
        // Whole histories as NDJSON: each path from a new dossier to a state of the story.
        for (i, step) in STEPS.iter().enumerate() {
            let mut path = vec![i];
            while let Some(p) = STEPS[*path.last().expect("non-empty")].after {
                path.push(p);
            }
            path.reverse();
            let text: String = path
                .iter()
                .map(|&j| with_at(STEPS[j].json, STEPS[j].at) + "\n")
                .collect();
            std::fs::write(line_dir.join(format!("story-{}.ndjson", step.name)), text)
                .expect("write");
        }
    }
}
