//! The published name lists (`EventBody::TYPES`, `CommandBody::NAMES`) match the variants, and
//! the wire tags are those names.

mod common;

use std::collections::BTreeSet;

use common::*;
use motcua_domain::calendar::{TimeLimit, Timeliness};
use motcua_domain::catalogue::{CatalogueRef, Channel};
use motcua_domain::dossier::{
    Command, CommandBody, Event, EventBody, PaymentMethod, Proposal, ReturnMethod, Satisfaction,
};

/// Names the variant of an event body. No wildcard: a new variant does not compile until it is
/// listed here and in [`one_of_each_event`].
fn event_variant(body: &EventBody) -> &'static str {
    match body {
        EventBody::Submitted { .. } => "Submitted",
        EventBody::IntakeSupplementRequested { .. } => "IntakeSupplementRequested",
        EventBody::IntakeSupplementProvided { .. } => "IntakeSupplementProvided",
        EventBody::IntakeRefused { .. } => "IntakeRefused",
        EventBody::Received { .. } => "Received",
        EventBody::Forwarded { .. } => "Forwarded",
        EventBody::Assigned { .. } => "Assigned",
        EventBody::Appraised { .. } => "Appraised",
        EventBody::SupplementRequested { .. } => "SupplementRequested",
        EventBody::SupplementProvided { .. } => "SupplementProvided",
        EventBody::SupplementExpired { .. } => "SupplementExpired",
        EventBody::FeeRequested { .. } => "FeeRequested",
        EventBody::FeePaid { .. } => "FeePaid",
        EventBody::SubmittedForApproval => "SubmittedForApproval",
        EventBody::Approved => "Approved",
        EventBody::ApprovalRejected { .. } => "ApprovalRejected",
        EventBody::Issued { .. } => "Issued",
        EventBody::ResultReady { .. } => "ResultReady",
        EventBody::Returned { .. } => "Returned",
        EventBody::Withdrawn { .. } => "Withdrawn",
        EventBody::Stopped { .. } => "Stopped",
        EventBody::Apologised { .. } => "Apologised",
        EventBody::FeedbackRecorded { .. } => "FeedbackRecorded",
    }
}

/// Names the variant of a command body; no wildcard either.
fn command_variant(body: &CommandBody) -> &'static str {
    match body {
        CommandBody::SubmitOnline { .. } => "SubmitOnline",
        CommandBody::RequestIntakeSupplement { .. } => "RequestIntakeSupplement",
        CommandBody::ProvideIntakeSupplement => "ProvideIntakeSupplement",
        CommandBody::RefuseIntake { .. } => "RefuseIntake",
        CommandBody::Receive { .. } => "Receive",
        CommandBody::Forward { .. } => "Forward",
        CommandBody::Assign { .. } => "Assign",
        CommandBody::Appraise { .. } => "Appraise",
        CommandBody::RequestSupplement { .. } => "RequestSupplement",
        CommandBody::ProvideSupplement => "ProvideSupplement",
        CommandBody::ExpireSupplement => "ExpireSupplement",
        CommandBody::RequestFee { .. } => "RequestFee",
        CommandBody::PayFee { .. } => "PayFee",
        CommandBody::SubmitForApproval => "SubmitForApproval",
        CommandBody::Approve => "Approve",
        CommandBody::RejectApproval { .. } => "RejectApproval",
        CommandBody::Issue { .. } => "Issue",
        CommandBody::MarkResultReady => "MarkResultReady",
        CommandBody::ReturnResult { .. } => "ReturnResult",
        CommandBody::Withdraw { .. } => "Withdraw",
        CommandBody::Stop { .. } => "Stop",
        CommandBody::Apologise { .. } => "Apologise",
        CommandBody::RecordFeedback { .. } => "RecordFeedback",
    }
}

fn one_of_each_event() -> Vec<EventBody> {
    let t = at("2025-11-24T09:00");
    let reason = || "Lý do".to_owned();
    let pinned = CatalogueRef {
        code: procedure("1.001612"),
        version: 1,
    };
    vec![
        EventBody::Submitted {
            procedure: pinned.clone(),
            applicant: nguyen_van_a(),
            receiving_agency: desk(),
            intake_due_at: t,
        },
        EventBody::IntakeSupplementRequested {
            items: vec![reason()],
        },
        EventBody::IntakeSupplementProvided { intake_due_at: t },
        EventBody::IntakeRefused { reason: reason() },
        EventBody::Received {
            code: code_of(&desk(), t, 1),
            procedure: pinned,
            channel: Channel::Direct,
            applicant: Some(nguyen_van_a()),
            receiving_agency: desk(),
            handling_agency: ward(),
            rule_set: "nd118-2025".to_owned(),
            time_limit: TimeLimit::WorkingDays(3),
            clock_started_at: t,
            due_at: t,
            intake_late: false,
            digitised: true,
        },
        EventBody::Forwarded {
            from: desk(),
            to: ward(),
            step_result: Timeliness::Early,
            step_due_at: t,
            note: None,
        },
        EventBody::Assigned {
            officer: "cv.tran".to_owned(),
        },
        EventBody::Appraised {
            proposal: Proposal::Grant,
            opinion: reason(),
        },
        EventBody::SupplementRequested {
            items: vec![reason()],
            number: 1,
            late_request: false,
        },
        EventBody::SupplementProvided {
            clock_started_at: t,
            due_at: t,
        },
        EventBody::SupplementExpired { requested_at: t },
        EventBody::FeeRequested {
            amount_vnd: 1,
            reason: reason(),
        },
        EventBody::FeePaid {
            amount_vnd: 1,
            method: PaymentMethod::Cash,
            due_at: t,
        },
        EventBody::SubmittedForApproval,
        EventBody::Approved,
        EventBody::ApprovalRejected { reason: reason() },
        EventBody::Issued {
            document_no: "1/QĐ".to_owned(),
            electronic: false,
        },
        EventBody::ResultReady {
            outcome: Proposal::Refuse { reason: reason() },
            desk: desk(),
            timeliness: Timeliness::Late,
        },
        EventBody::Returned {
            method: ReturnMethod::Post,
        },
        EventBody::Withdrawn { reason: reason() },
        EventBody::Stopped { reason: reason() },
        EventBody::Apologised {
            reason: reason(),
            previous_due_at: t,
            new_due_at: t,
            timely: true,
            extends_deadline: true,
        },
        EventBody::FeedbackRecorded {
            satisfaction: Satisfaction::Neutral,
            comment: None,
        },
    ]
}

fn one_of_each_command() -> Vec<CommandBody> {
    let t = at("2025-11-24T09:00");
    let reason = || "Lý do".to_owned();
    vec![
        submit_online("1.001193"),
        CommandBody::RequestIntakeSupplement {
            items: vec![reason()],
        },
        CommandBody::ProvideIntakeSupplement,
        CommandBody::RefuseIntake { reason: reason() },
        receive_new("1.001193", Channel::Postal, ward(), t),
        forward(ward()),
        assign("cv.tran"),
        appraise_grant(),
        request_supplement(&["Giấy ủy quyền"]),
        CommandBody::ProvideSupplement,
        CommandBody::ExpireSupplement,
        CommandBody::RequestFee {
            amount_vnd: 1,
            reason: reason(),
        },
        CommandBody::PayFee {
            amount_vnd: 1,
            method: PaymentMethod::Transfer,
        },
        CommandBody::SubmitForApproval,
        CommandBody::Approve,
        CommandBody::RejectApproval { reason: reason() },
        issue("1/QĐ"),
        CommandBody::MarkResultReady,
        CommandBody::ReturnResult {
            method: ReturnMethod::Desk,
        },
        CommandBody::Withdraw { reason: reason() },
        CommandBody::Stop { reason: reason() },
        CommandBody::Apologise {
            reason: reason(),
            new_due_at: t,
        },
        CommandBody::RecordFeedback {
            satisfaction: Satisfaction::Satisfied,
            comment: Some(reason()),
        },
    ]
}

#[test]
fn event_types_are_the_variants() {
    let bodies = one_of_each_event();
    let variants: BTreeSet<&str> = bodies.iter().map(event_variant).collect();
    assert_eq!(variants.len(), bodies.len(), "one value of each variant");
    let produced: Vec<&str> = bodies.iter().map(EventBody::type_name).collect();
    assert_eq!(produced, EventBody::TYPES, "the list is in variant order");
    let unique: BTreeSet<&str> = EventBody::TYPES.into_iter().collect();
    assert_eq!(unique.len(), EventBody::TYPES.len(), "no name twice");
}

#[test]
fn command_names_are_the_variants() {
    let bodies = one_of_each_command();
    let variants: BTreeSet<&str> = bodies.iter().map(command_variant).collect();
    assert_eq!(variants.len(), bodies.len(), "one value of each variant");
    let produced: Vec<&str> = bodies.iter().map(CommandBody::name).collect();
    assert_eq!(produced, CommandBody::NAMES, "the list is in variant order");
    let unique: BTreeSet<&str> = CommandBody::NAMES.into_iter().collect();
    assert_eq!(unique.len(), CommandBody::NAMES.len(), "no name twice");
}

#[test]
fn the_wire_tags_are_the_names_and_read_back() {
    for body in one_of_each_event() {
        let event = Event {
            at: at("2025-11-24T09:00"),
            actor: reception(),
            command_id: next_id(),
            body,
        };
        let json = serde_json::to_value(&event).expect("serialises");
        assert_eq!(json["type"], event.body.type_name());
        let back: Event = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, event);
    }
    for body in one_of_each_command() {
        let cmd: Command = command(citizen(), body);
        let json = serde_json::to_value(&cmd).expect("serialises");
        assert_eq!(json["command"], cmd.body.name());
        let back: Command = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, cmd);
    }
}

/// `allowed_roles()` (which the edges use to pick an officer's acting role) agrees with
/// `decide`: every role outside the list is refused with `wrong_role`.
#[test]
fn allowed_roles_agree_with_decide() {
    let received = business_received();
    for body in one_of_each_command() {
        let creates = matches!(
            body,
            CommandBody::SubmitOnline { .. } | CommandBody::Receive { .. }
        );
        for role in motcua_domain::dossier::Role::ALL {
            let actor = officer("x01", role, ward());
            let history: &[Event] = if creates { &[] } else { received.events() };
            // Forwarding from the desk is for reception only; the others forward from handling.
            let by_stage = matches!(body, CommandBody::Forward { .. });
            if body.allowed_roles().contains(&role) {
                if by_stage {
                    continue;
                }
                // Allowed: the rules may still refuse it, but never for the role.
                let state = motcua_domain::dossier::Dossier::replay(history);
                let cmd = command(actor, body.clone());
                let now = at("2025-11-24T10:00");
                if let Err(e) =
                    motcua_domain::dossier::decide(&state, &cmd, now, &reference().context())
                {
                    assert_ne!(e.code(), "wrong_role", "{} as {role}: {e}", body.name());
                }
                continue;
            }
            given(history)
                .when(actor, body.clone(), at("2025-11-24T10:00"))
                .then_error("wrong_role");
        }
    }
}
