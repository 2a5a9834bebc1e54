//! Fixtures for the command-service tests: real reference data, a Hồ Chí Minh City ward desk.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use jiff::Timestamp;
use motcua_command::CommandService;
use motcua_domain::Reference;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{Actor, Applicant, Command, CommandBody, Role};
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

pub async fn service(url: &str, settings: LogSettings) -> (CommandService, tempfile::TempDir) {
    let log = EventLog::connect(url, settings).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).open().unwrap();
    let cache = db.open_tree("write_cache").unwrap();
    (CommandService::new(log, cache, reference()), dir)
}
