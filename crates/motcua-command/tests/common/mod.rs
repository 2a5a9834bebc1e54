//! Fixtures for the command-service tests: real reference data, a Hồ Chí Minh City ward desk.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use jiff::Timestamp;
use motcua_command::CommandService;
use motcua_domain::Reference;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{
    Actor, Applicant, Command, CommandBody, Proposal, ReturnMethod, Role,
};
use motcua_domain::units::AgencyId;
use motcua_log::{EventLog, LogSettings};
use uuid::Uuid;

/// The one-stop desk of Phường Sài Gòn (HCMC).
pub fn desk() -> AgencyId {
    "MC.26740".parse().unwrap()
}

/// The ward's People's Committee, which handles the procedure.
pub fn office() -> AgencyId {
    "UB.26740".parse().unwrap()
}

/// Temporary residence registration: 3 working days, direct or online.
pub const PROCEDURE: &str = "1.004194";

pub fn reference() -> Arc<Reference> {
    Arc::new(Reference::official())
}

/// A Monday morning in Ho Chi Minh City.
pub fn monday_9am() -> Timestamp {
    "2026-11-23T09:00:00+07:00".parse().unwrap()
}

pub fn reception() -> Actor {
    Actor::officer("tn01", Role::Reception, desk())
}

pub fn command(actor: Actor, body: CommandBody) -> Command {
    Command {
        id: Uuid::now_v7(),
        actor,
        body,
    }
}

pub fn receive() -> Command {
    command(
        reception(),
        CommandBody::Receive {
            code: None,
            procedure: Some(PROCEDURE.parse().unwrap()),
            channel: Some(Channel::Direct),
            applicant: Some(Applicant::named("Nguyễn Văn An")),
            handling_agency: office(),
            digitised: true,
        },
    )
}

pub fn submit_online(account: &str) -> Command {
    command(
        Actor::applicant(account),
        CommandBody::SubmitOnline {
            procedure: PROCEDURE.parse().unwrap(),
            applicant: Applicant::named("Trần Thị Bình"),
            receiving_agency: desk(),
        },
    )
}

/// A service with its own cache: a motcua node.
pub async fn service(url: &str, settings: LogSettings) -> CommandService {
    let log = EventLog::connect(url, settings).await.unwrap();
    CommandService::new(log, reference())
}

/// A whole life at the HCMC ward desk, from receipt to the result handed over: each command with
/// its time (all on valid working hours, in order) and a fresh id.
pub fn life() -> Vec<(Timestamp, Command)> {
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let officer = Actor::officer("cv01", Role::HandlingOfficer, office());
    let head = Actor::officer("ld01", Role::Approver, office());
    let clerk = Actor::officer("vt01", Role::Clerk, office());
    vec![
        (at("2026-11-23T09:00:00+07:00"), receive()),
        (
            at("2026-11-23T09:30:00+07:00"),
            command(
                reception(),
                CommandBody::Forward {
                    to: office(),
                    note: None,
                },
            ),
        ),
        (
            at("2026-11-23T10:00:00+07:00"),
            command(
                head.clone(),
                CommandBody::Assign {
                    officer: "cv01".into(),
                },
            ),
        ),
        (
            at("2026-11-24T10:00:00+07:00"),
            command(
                officer.clone(),
                CommandBody::Appraise {
                    proposal: Proposal::Grant,
                    opinion: "Đủ điều kiện".into(),
                },
            ),
        ),
        (
            at("2026-11-24T10:05:00+07:00"),
            command(officer, CommandBody::SubmitForApproval),
        ),
        (
            at("2026-11-24T15:00:00+07:00"),
            command(head, CommandBody::Approve),
        ),
        (
            at("2026-11-25T08:00:00+07:00"),
            command(
                clerk.clone(),
                CommandBody::Issue {
                    document_no: "12/XN".into(),
                    electronic: false,
                },
            ),
        ),
        (
            at("2026-11-25T08:10:00+07:00"),
            command(clerk, CommandBody::MarkResultReady),
        ),
        (
            at("2026-11-25T14:00:00+07:00"),
            command(
                reception(),
                CommandBody::ReturnResult {
                    method: ReturnMethod::Desk,
                },
            ),
        ),
    ]
}
