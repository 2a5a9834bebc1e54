//! Every refusal `decide` can give, by its stable code (`DomainError::code()`), and the promise
//! that a refusal changes nothing.

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use common::*;
use motcua_domain::Reference;
use motcua_domain::catalogue::{Channel, ProcedureCode};
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{
    Actor, Applicant, Command, CommandBody, DomainError, Dossier, Event, PaymentMethod, Proposal,
    ReturnMethod, Role, RuleBook, RuleSet, Satisfaction, decide,
};
use motcua_domain::units::AgencyId;

/// Every code `DomainError::code()` gives.
const ALL_CODES: [&str; 23] = [
    "wrong_role",
    "not_holder",
    "no_agency",
    "not_applicant",
    "not_assigned",
    "invalid_state",
    "duplicate_command",
    "time_before_last_event",
    "unknown_procedure",
    "channel_not_offered",
    "time_limit_unknown",
    "procedure_mismatch",
    "unknown_agency",
    "missing_field",
    "code_date_mismatch",
    "forward_to_self",
    "already_rescheduled",
    "new_due_not_later",
    "supplement_not_expired",
    "no_supplement_period",
    "wrong_amount",
    "unknown_rule_set",
    "already_rated",
];

/// One refused command: on `history`, `actor` asks for `body` at local time `when`.
struct Case {
    why: &'static str,
    history: Vec<Event>,
    actor: Actor,
    body: CommandBody,
    when: &'static str,
    code: &'static str,
}

fn case(
    why: &'static str,
    history: &Story,
    actor: Actor,
    body: CommandBody,
    when: &'static str,
    code: &'static str,
) -> Case {
    Case {
        why,
        history: history.events().to_vec(),
        actor,
        body,
        when,
        code,
    }
}

fn text(s: &str) -> String {
    s.to_owned()
}

fn no_office(role: Role) -> Actor {
    Actor {
        id: "cb.khong-don-vi".to_owned(),
        role,
        agency: None,
    }
}

/// The fields of a receipt at the Phường Sài Gòn desk, to change one at a time.
struct Receipt {
    code: Option<DossierCode>,
    procedure: Option<ProcedureCode>,
    channel: Option<Channel>,
    applicant: Option<Applicant>,
    handling: AgencyId,
}

/// A household business registration (1.001612) received directly for the ward committee, code
/// dated `when`.
fn receipt(when: &str) -> Receipt {
    Receipt {
        code: Some(code_of(&desk(), at(when), 1)),
        procedure: Some(procedure("1.001612")),
        channel: Some(Channel::Direct),
        applicant: Some(nguyen_van_a()),
        handling: ward(),
    }
}

impl Receipt {
    fn body(self) -> CommandBody {
        CommandBody::Receive {
            code: self.code,
            procedure: self.procedure,
            channel: self.channel,
            applicant: self.applicant,
            handling_agency: self.handling,
            digitised: false,
        }
    }
}

/// Land registration received on 16/06/2025 at Phường Tân Định (3-level list): Decree 61 rules.
fn received_under_decree_61() -> Story {
    let now = "2025-06-16T09:00";
    let desk_1 = agency("MC.26734");
    Story::new().then(
        officer("tn.quan1", Role::Reception, desk_1.clone()),
        CommandBody::Receive {
            code: Some(code_of(&desk_1, at(now), 1)),
            procedure: Some(procedure("1.013978")),
            channel: Some(Channel::Direct),
            applicant: Some(nguyen_van_a()),
            handling_agency: agency("UB.760"),
            digitised: true,
        },
        now,
    )
}

fn pending_approval() -> Story {
    business_assigned()
        .appraised("2025-11-25T10:00")
        .pending_approval("2025-11-25T11:00")
}

fn online_received() -> Story {
    Story::submitted("2.001583", "2025-11-24T07:30").then(
        reception(),
        receive_online(city(), at("2025-11-24T09:00")),
        "2025-11-24T09:00",
    )
}

fn supplement_requested() -> Story {
    business_assigned().then(
        handler(),
        request_supplement(&["Giấy ủy quyền"]),
        "2025-11-25T10:00",
    )
}

fn fee_requested(story: Story, by: Actor) -> Story {
    story.then(
        by,
        CommandBody::RequestFee {
            amount_vnd: 100_000,
            reason: text("Lệ phí"),
        },
        "2025-11-25T10:00",
    )
}

fn returned() -> Story {
    online_received()
        .then(reception(), forward(city()), "2025-11-24T09:30")
        .then(city_approver(), assign("cv.dang"), "2025-11-24T10:00")
        .then(city_handler(), appraise_grant(), "2025-11-25T09:00")
        .then(
            city_handler(),
            CommandBody::SubmitForApproval,
            "2025-11-25T10:00",
        )
        .then(city_approver(), CommandBody::Approve, "2025-11-25T14:00")
        .then(city_clerk(), issue("0318123456"), "2025-11-25T15:00")
        .then(
            city_clerk(),
            CommandBody::MarkResultReady,
            "2025-11-25T15:30",
        )
        .then(
            reception(),
            CommandBody::ReturnResult {
                method: ReturnMethod::Electronic,
            },
            "2025-11-25T16:00",
        )
}

fn apologise(new_due: &str) -> CommandBody {
    CommandBody::Apologise {
        reason: text("Chờ xác minh"),
        new_due_at: at(new_due),
    }
}

#[allow(clippy::too_many_lines)] // one table, one row per refusal
fn cases() -> Vec<Case> {
    let new = Story::new();
    let submitted = Story::submitted("1.001193", "2025-11-24T07:30");
    let received = business_received();
    let assigned = business_assigned();
    let appraised = business_assigned().appraised("2025-11-25T10:00");
    let pending = pending_approval();
    let issued = business_issued();
    let supplement = supplement_requested();
    vec![
        // --- authorisation -----------------------------------------------------------------
        case(
            "a clerk cannot approve",
            &pending,
            clerk(),
            CommandBody::Approve,
            "2025-11-26T08:00",
            "wrong_role",
        ),
        case(
            "an applicant cannot receive",
            &new,
            citizen(),
            receipt("2025-11-24T09:00").body(),
            "2025-11-24T09:00",
            "wrong_role",
        ),
        case(
            "an officer cannot submit online",
            &new,
            handler(),
            submit_online("1.001193"),
            "2025-11-24T09:00",
            "wrong_role",
        ),
        case(
            "the desk does not appraise",
            &assigned,
            officer("tn.nguyen", Role::Reception, ward()),
            appraise_grant(),
            "2025-11-25T10:00",
            "wrong_role",
        ),
        case(
            "a reporter never acts",
            &received,
            officer("bc.ho", Role::Reporter, desk()),
            forward(ward()),
            "2025-11-24T09:30",
            "wrong_role",
        ),
        case(
            "a handling officer cannot close a supplement",
            &supplement,
            handler(),
            CommandBody::ExpireSupplement,
            "2025-12-15T08:00",
            "wrong_role",
        ),
        case(
            "an approver cannot return the result",
            &issued.clone().result_ready("2025-11-26T10:00"),
            officer("ld.desk", Role::Approver, desk()),
            CommandBody::ReturnResult {
                method: ReturnMethod::Desk,
            },
            "2025-11-26T11:00",
            "wrong_role",
        ),
        case(
            "another desk cannot forward",
            &received,
            other_reception(),
            forward(ward()),
            "2025-11-24T09:30",
            "not_holder",
        ),
        case(
            "the city cannot approve a ward dossier",
            &pending,
            city_approver(),
            CommandBody::Approve,
            "2025-11-26T08:00",
            "not_holder",
        ),
        case(
            "an online dossier is received by the desk it was routed to",
            &submitted,
            other_reception(),
            receive_online(ward(), at("2025-11-24T09:00")),
            "2025-11-24T09:00",
            "not_holder",
        ),
        case(
            "another desk cannot close a supplement",
            &supplement,
            other_reception(),
            CommandBody::ExpireSupplement,
            "2025-12-15T08:00",
            "not_holder",
        ),
        case(
            "the desk cannot issue once forwarded",
            &pending.clone().approved("2025-11-26T08:00"),
            officer("vt.desk", Role::Clerk, desk()),
            issue("1/QĐ"),
            "2025-11-26T09:00",
            "not_holder",
        ),
        case(
            "a receiving officer acts for a desk",
            &new,
            no_office(Role::Reception),
            receipt("2025-11-24T09:00").body(),
            "2025-11-24T09:00",
            "no_agency",
        ),
        case(
            "an approver acts for an office",
            &pending,
            no_office(Role::Approver),
            CommandBody::Approve,
            "2025-11-26T08:00",
            "no_agency",
        ),
        case(
            "someone else's account cannot complete the dossier",
            &submitted.clone().then(
                reception(),
                CommandBody::RequestIntakeSupplement {
                    items: vec![text("Giấy chứng sinh")],
                },
                "2025-11-24T08:00",
            ),
            stranger(),
            CommandBody::ProvideIntakeSupplement,
            "2025-11-24T09:00",
            "not_applicant",
        ),
        case(
            "someone else's account cannot pay",
            &fee_requested(online_received(), reception()),
            stranger(),
            CommandBody::PayFee {
                amount_vnd: 100_000,
                method: PaymentMethod::OnlinePortal,
            },
            "2025-11-25T11:00",
            "not_applicant",
        ),
        case(
            "only the assigned officer appraises",
            &assigned,
            other_handler(),
            appraise_grant(),
            "2025-11-25T10:00",
            "not_assigned",
        ),
        case(
            "only the assigned officer submits for approval",
            &appraised,
            other_handler(),
            CommandBody::SubmitForApproval,
            "2025-11-25T11:00",
            "not_assigned",
        ),
        // --- stage -------------------------------------------------------------------------
        case(
            "nothing to approve yet",
            &received,
            officer("ld.desk", Role::Approver, desk()),
            CommandBody::Approve,
            "2025-11-24T10:00",
            "invalid_state",
        ),
        case(
            "a dossier is received once",
            &received,
            reception(),
            receipt("2025-11-24T10:00").body(),
            "2025-11-24T10:00",
            "invalid_state",
        ),
        case(
            "a dossier is submitted once",
            &submitted,
            citizen(),
            submit_online("1.001193"),
            "2025-11-24T08:00",
            "invalid_state",
        ),
        case(
            "no intake supplement after receipt",
            &received,
            reception(),
            CommandBody::RequestIntakeSupplement {
                items: vec![text("CCCD")],
            },
            "2025-11-24T10:00",
            "invalid_state",
        ),
        case(
            "no supplement to provide",
            &assigned,
            reception(),
            CommandBody::ProvideSupplement,
            "2025-11-25T10:00",
            "invalid_state",
        ),
        case(
            "no appraisal before assignment",
            &received.clone().forwarded("2025-11-24T09:30"),
            handler(),
            appraise_grant(),
            "2025-11-24T10:00",
            "invalid_state",
        ),
        case(
            "no result before issue",
            &pending.clone().approved("2025-11-26T08:00"),
            clerk(),
            CommandBody::MarkResultReady,
            "2025-11-26T09:00",
            "invalid_state",
        ),
        case(
            "no return before the result",
            &received,
            reception(),
            CommandBody::ReturnResult {
                method: ReturnMethod::Desk,
            },
            "2025-11-24T10:00",
            "invalid_state",
        ),
        case(
            "no fee to pay",
            &assigned,
            reception(),
            CommandBody::PayFee {
                amount_vnd: 100_000,
                method: PaymentMethod::Cash,
            },
            "2025-11-25T10:00",
            "invalid_state",
        ),
        case(
            "no withdrawal after issue",
            &issued,
            reception(),
            CommandBody::Withdraw {
                reason: text("Đổi ý"),
            },
            "2025-11-26T10:00",
            "invalid_state",
        ),
        case(
            "an issued result is not forwarded",
            &issued,
            clerk(),
            forward(city()),
            "2025-11-26T10:00",
            "invalid_state",
        ),
        case(
            "no refusal at intake after receipt",
            &received,
            reception(),
            CommandBody::RefuseIntake {
                reason: text("Sai thẩm quyền"),
            },
            "2025-11-24T10:00",
            "invalid_state",
        ),
        case(
            "no fee while waiting for a supplement",
            &supplement,
            handler(),
            CommandBody::RequestFee {
                amount_vnd: 1,
                reason: text("Lệ phí"),
            },
            "2025-11-25T11:00",
            "invalid_state",
        ),
        case(
            "no apology before receipt",
            &submitted,
            officer("ld.desk", Role::Approver, desk()),
            apologise("2025-12-01T17:00"),
            "2025-11-24T08:00",
            "invalid_state",
        ),
        // --- history -----------------------------------------------------------------------
        case(
            "time runs forward",
            &assigned,
            handler(),
            appraise_grant(),
            "2025-11-24T09:59",
            "time_before_last_event",
        ),
        // --- catalogue ---------------------------------------------------------------------
        case(
            "a code the catalogue does not have",
            &new,
            reception(),
            Receipt {
                procedure: Some(procedure("1.999999")),
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "unknown_procedure",
        ),
        case(
            "no version in force before March 2025",
            &new,
            reception(),
            Receipt {
                procedure: Some(procedure("1.001193")),
                ..receipt("2024-11-25T09:00")
            }
            .body(),
            "2024-11-25T09:00",
            "unknown_procedure",
        ),
        case(
            "a procedure not offered online",
            &new,
            citizen(),
            submit_online("2.000815"),
            "2025-11-24T09:00",
            "channel_not_offered",
        ),
        case(
            "a certified copy is made at the desk, not by post",
            &new,
            reception(),
            Receipt {
                procedure: Some(procedure("2.000815")),
                channel: Some(Channel::Postal),
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "channel_not_offered",
        ),
        case(
            "adoption has no time limit in the catalogue",
            &new,
            reception(),
            Receipt {
                procedure: Some(procedure("2.001263")),
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "time_limit_unknown",
        ),
        case(
            "no online submission without a time limit",
            &new,
            citizen(),
            submit_online("2.001263"),
            "2025-11-24T09:00",
            "time_limit_unknown",
        ),
        case(
            "the receipt names another procedure",
            &submitted,
            reception(),
            Receipt {
                procedure: Some(procedure("1.004194")),
                channel: None,
                applicant: None,
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "procedure_mismatch",
        ),
        // --- offices -----------------------------------------------------------------------
        case(
            "an unknown handling office",
            &new,
            reception(),
            Receipt {
                handling: agency("UB.99999"),
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "unknown_agency",
        ),
        case(
            "an unknown receiving desk",
            &new,
            citizen(),
            CommandBody::SubmitOnline {
                procedure: procedure("1.001193"),
                applicant: nguyen_van_a(),
                receiving_agency: agency("MC.99999"),
            },
            "2025-11-24T09:00",
            "unknown_agency",
        ),
        case(
            "an office the directory does not know",
            &received,
            reception(),
            forward(agency("STP.79")),
            "2025-11-24T09:30",
            "unknown_agency",
        ),
        case(
            "a desk not in the directory",
            &new,
            officer("tn.x", Role::Reception, agency("MC.00000")),
            receipt("2025-11-24T09:00").body(),
            "2025-11-24T09:00",
            "unknown_agency",
        ),
        case(
            "the dossier is already there",
            &assigned,
            handler(),
            forward(ward()),
            "2025-11-25T09:00",
            "forward_to_self",
        ),
        case(
            "the desk already holds it",
            &received,
            reception(),
            forward(desk()),
            "2025-11-24T09:30",
            "forward_to_self",
        ),
        // --- required fields ---------------------------------------------------------------
        case(
            "a refusal says why",
            &submitted,
            reception(),
            CommandBody::RefuseIntake { reason: text("  ") },
            "2025-11-24T08:00",
            "missing_field",
        ),
        case(
            "an intake supplement lists something",
            &submitted,
            reception(),
            CommandBody::RequestIntakeSupplement { items: vec![] },
            "2025-11-24T08:00",
            "missing_field",
        ),
        case(
            "a supplement lists something",
            &assigned,
            handler(),
            request_supplement(&[]),
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "a supplement lists no blank item",
            &assigned,
            handler(),
            request_supplement(&["Giấy ủy quyền", " "]),
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "an applicant has a name",
            &new,
            reception(),
            Receipt {
                applicant: Some(Applicant::named("")),
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "missing_field",
        ),
        case(
            "an online applicant has a name",
            &new,
            citizen(),
            CommandBody::SubmitOnline {
                procedure: procedure("1.001193"),
                applicant: Applicant::named(" "),
                receiving_agency: desk(),
            },
            "2025-11-24T09:00",
            "missing_field",
        ),
        case(
            "a receipt carries a code",
            &new,
            reception(),
            Receipt {
                code: None,
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "missing_field",
        ),
        case(
            "a new dossier has an applicant",
            &new,
            reception(),
            Receipt {
                applicant: None,
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "missing_field",
        ),
        case(
            "a new dossier has a procedure",
            &new,
            reception(),
            Receipt {
                procedure: None,
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "missing_field",
        ),
        case(
            "an assignment names the officer",
            &received.clone().forwarded("2025-11-24T09:30"),
            approver(),
            assign(""),
            "2025-11-24T10:00",
            "missing_field",
        ),
        case(
            "an appraisal has an opinion",
            &assigned,
            handler(),
            CommandBody::Appraise {
                proposal: Proposal::Grant,
                opinion: text(""),
            },
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "a refusal proposal has a reason",
            &assigned,
            handler(),
            appraise_refuse(""),
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "a fee has an amount",
            &assigned,
            handler(),
            CommandBody::RequestFee {
                amount_vnd: 0,
                reason: text("Lệ phí"),
            },
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "a fee has a reason",
            &assigned,
            handler(),
            CommandBody::RequestFee {
                amount_vnd: 100_000,
                reason: text(""),
            },
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "a rejection says why",
            &pending,
            approver(),
            CommandBody::RejectApproval { reason: text("") },
            "2025-11-26T08:00",
            "missing_field",
        ),
        case(
            "a result has a number",
            &pending.clone().approved("2025-11-26T08:00"),
            clerk(),
            issue(" "),
            "2025-11-26T09:00",
            "missing_field",
        ),
        case(
            "a withdrawal says why",
            &assigned,
            reception(),
            CommandBody::Withdraw { reason: text("") },
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "a stop says why",
            &assigned,
            admin(),
            CommandBody::Stop { reason: text("") },
            "2025-11-25T10:00",
            "missing_field",
        ),
        case(
            "an apology says why",
            &assigned,
            handler(),
            CommandBody::Apologise {
                reason: text(""),
                new_due_at: at("2025-12-05T17:00"),
            },
            "2025-11-25T10:00",
            "missing_field",
        ),
        // --- codes and deadlines -----------------------------------------------------------
        case(
            "the code is dated the receipt day",
            &new,
            reception(),
            receipt("2025-11-23T09:00").body(),
            "2025-11-24T09:00",
            "code_date_mismatch",
        ),
        case(
            "the receipt day is the local day",
            &new,
            reception(),
            receipt("2025-11-24T09:00").body(),
            "2025-11-25T06:30",
            "code_date_mismatch",
        ),
        case(
            "one apology only",
            &assigned
                .clone()
                .then(handler(), apologise("2025-12-05T17:00"), "2025-11-25T10:00"),
            approver(),
            apologise("2025-12-12T17:00"),
            "2025-11-25T11:00",
            "already_rescheduled",
        ),
        case(
            "an apology moves the appointment later",
            &assigned,
            handler(),
            apologise("2025-11-27T09:00"),
            "2025-11-25T10:00",
            "new_due_not_later",
        ),
        case(
            "15 days to complete a dossier",
            &supplement,
            system(),
            CommandBody::ExpireSupplement,
            "2025-12-10T09:00",
            "supplement_not_expired",
        ),
        case(
            "Decree 61 sets no supplement period",
            &received_under_decree_61().then(
                officer("tn.quan1", Role::Reception, agency("MC.26734")),
                request_supplement(&["Bản vẽ thửa đất"]),
                "2025-06-17T09:00",
            ),
            system(),
            CommandBody::ExpireSupplement,
            "2025-08-01T09:00",
            "no_supplement_period",
        ),
        case(
            "the amount asked",
            &fee_requested(assigned.clone(), handler()),
            reception(),
            CommandBody::PayFee {
                amount_vnd: 10_000,
                method: PaymentMethod::Cash,
            },
            "2025-11-25T11:00",
            "wrong_amount",
        ),
        case(
            "one rating",
            &returned().then(
                citizen(),
                CommandBody::RecordFeedback {
                    satisfaction: Satisfaction::Satisfied,
                    comment: None,
                },
                "2025-11-26T08:00",
            ),
            citizen(),
            CommandBody::RecordFeedback {
                satisfaction: Satisfaction::Neutral,
                comment: None,
            },
            "2025-11-26T09:00",
            "already_rated",
        ),
    ]
}

#[test]
fn every_refusal_has_its_code_and_changes_nothing() {
    for c in cases() {
        let err = given(&c.history)
            .when(c.actor.clone(), c.body.clone(), at(c.when))
            .then_error(c.code);
        assert!(
            !err.to_string().is_empty(),
            "{}: a message for people too",
            c.why
        );
        let forbidden = matches!(
            c.code,
            "wrong_role" | "not_holder" | "no_agency" | "not_applicant" | "not_assigned"
        );
        assert_eq!(err.is_forbidden(), forbidden, "{}", c.why);
    }
}

#[test]
fn missing_fields_name_the_field() {
    let new = Story::new();
    let assigned = business_assigned();
    for (history, actor, body, when, field) in [
        (
            &new,
            reception(),
            Receipt {
                code: None,
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "code",
        ),
        (
            &new,
            reception(),
            Receipt {
                applicant: None,
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "applicant",
        ),
        (
            &new,
            reception(),
            Receipt {
                procedure: None,
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "procedure",
        ),
        (
            &new,
            reception(),
            Receipt {
                applicant: Some(Applicant::named("\t")),
                ..receipt("2025-11-24T09:00")
            }
            .body(),
            "2025-11-24T09:00",
            "applicant.name",
        ),
        (
            &assigned,
            handler(),
            request_supplement(&[]),
            "2025-11-25T10:00",
            "items",
        ),
        (
            &assigned,
            handler(),
            appraise_refuse(" "),
            "2025-11-25T10:00",
            "proposal.reason",
        ),
        (
            &assigned,
            handler(),
            CommandBody::RequestFee {
                amount_vnd: 0,
                reason: text("Lệ phí"),
            },
            "2025-11-25T10:00",
            "amount_vnd",
        ),
        (
            &assigned,
            reception(),
            CommandBody::Withdraw { reason: text("") },
            "2025-11-25T10:00",
            "reason",
        ),
    ] {
        let err = given(history.events())
            .when(actor, body, at(when))
            .then_error("missing_field");
        match err {
            DomainError::Missing { field: f, .. } => assert_eq!(f, field),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn every_code_decide_can_give_is_tested() {
    let mut tested: BTreeSet<&str> = cases().iter().map(|c| c.code).collect();
    // Covered below, with its own reference data and a reused command id.
    tested.insert("unknown_rule_set");
    tested.insert("duplicate_command");
    let all: BTreeSet<&str> = ALL_CODES.into_iter().collect();
    assert_eq!(tested, all);
}

#[test]
fn a_command_is_applied_once() {
    let story = business_received();
    let cmd = Command {
        id: story.events()[0].command_id,
        actor: reception(),
        body: forward(ward()),
    };
    let err = given(story.events())
        .when_command(cmd.clone(), at("2025-11-24T09:30"))
        .then_error("duplicate_command");
    assert_eq!(err, DomainError::DuplicateCommand(cmd.id));
    // Even a command that would be refused otherwise is reported as the duplicate it is.
    let replayed_receipt = Command {
        id: story.events()[0].command_id,
        actor: reception(),
        body: receipt("2025-11-24T09:00").body(),
    };
    given(story.events())
        .when_command(replayed_receipt, at("2025-11-24T09:00"))
        .then_error("duplicate_command");
}

#[test]
fn a_refused_command_leaves_the_dossier_as_it_was_and_may_be_retried() {
    let story = business_assigned();
    let before: Dossier = story.state().clone();
    let ctx = reference().context();
    let cmd = command(other_handler(), appraise_grant());
    let refused = decide(story.state(), &cmd, at("2025-11-25T10:00"), &ctx);
    assert_eq!(
        refused.as_ref().map_err(DomainError::code),
        Err("not_assigned")
    );
    assert_eq!(
        story.state(),
        &before,
        "decide borrowed the state and left it alone"
    );
    assert_eq!(
        decide(story.state(), &cmd, at("2025-11-25T10:00"), &ctx),
        refused,
        "the same question gets the same answer"
    );
    // The refused id was not recorded: after the reassignment the same command goes through.
    let reassigned = story.then(approver(), assign("cv.vo"), "2025-11-25T09:00");
    let events = decide(reassigned.state(), &cmd, at("2025-11-25T10:00"), &ctx)
        .expect("accepted once cv.vo is in charge");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].command_id, cmd.id);
}

/// The shipped data with a rule book that only knows Decree 118.
fn decree_118_only() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| Reference {
        rules: RuleBook::new(vec![RuleSet::decree_118_2025()]),
        ..reference().clone()
    })
}

#[test]
fn a_deployment_without_the_rule_set_refuses_rather_than_guessing() {
    // No rule set for a receipt in June 2025.
    let now = "2025-06-16T09:00";
    let err = given(&[])
        .with_reference(decree_118_only())
        .when(
            officer("tn.quan1", Role::Reception, agency("MC.26734")),
            CommandBody::Receive {
                code: Some(code_of(&agency("MC.26734"), at(now), 1)),
                procedure: Some(procedure("1.013978")),
                channel: Some(Channel::Direct),
                applicant: Some(nguyen_van_a()),
                handling_agency: agency("UB.760"),
                digitised: true,
            },
            at(now),
        )
        .then_error("unknown_rule_set");
    assert!(err.to_string().contains("2025-06-16"), "{err}");
    // A dossier pinned to a rule set the deployment no longer has.
    let story = received_under_decree_61();
    let err = given(story.events())
        .with_reference(decree_118_only())
        .when(
            officer("tn.quan1", Role::Reception, agency("MC.26734")),
            request_supplement(&["Bản vẽ thửa đất"]),
            at("2025-06-17T09:00"),
        )
        .then_error("unknown_rule_set");
    assert_eq!(err, DomainError::UnknownRuleSet("nd61-2018".to_owned()));
}
