//! Given/when/then for the dossier aggregate, with fixtures from Hồ Chí Minh City.
//!
//! ```text
//! let now = at("2025-11-24T09:00");
//! given_new()
//!     .when(reception(), receive_new("1.001193", Channel::Direct, ward(), now), now)
//!     .then_events(|events| ...)
//!     .status(2);
//! given(story.events()).when(clerk(), CommandBody::Approve, now).then_error("wrong_role");
//! ```
//!
//! Every accepted command is folded with `evolve`, the result is checked with
//! `check_invariants()` and against a replay of the whole history; every refused one is checked
//! for its stable code.
//! Times are local (UTC+7) wall-clock times written `"2025-11-24T09:00"`.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::civil::DateTime;
use jiff::{Timestamp, tz};
use motcua_domain::Reference;
use motcua_domain::catalogue::{Catalogue, Channel, ProcedureCode};
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{
    Actor, Applicant, Command, CommandBody, Context, DomainError, Dossier, Event, Proposal, Role,
    decide,
};
use motcua_domain::units::{AgencyId, UnitCode};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Reference data and time
// ---------------------------------------------------------------------------------------------

/// The shipped reference data (both unit lists, the catalogue, 2024–2026 holidays), parsed once.
pub fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(Reference::official)
}

/// The shipped data with a third version of the birth registration (1.001193) from 01/03/2027,
/// when the Law on Civil Status 03/2026/QH16 sets 24 clock hours for a registration without a
/// time limit of its own (Art. 3.3); version 2 closes on 28/02/2027.
pub fn civil_status_2027() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let current = "1.001193,2,2025-07-01,,";
        let text = include_str!("../../data/procedures.csv");
        let row = text
            .lines()
            .find(|l| l.starts_with(current))
            .expect("the catalogue has version 2 of 1.001193");
        let closed = row.replacen(current, "1.001193,2,2025-07-01,2027-02-28,", 1);
        let next = row
            .replacen(current, "1.001193,3,2027-03-01,,", 1)
            .replacen(
                "same_day,same_day,same_day",
                "24 clock_hours,24 clock_hours,24 clock_hours",
                1,
            )
            .replacen(",on_the_spot,", ",three_step,", 1);
        let text = format!("{}\n{next}\n", text.replacen(row, &closed, 1));
        Reference {
            catalogue: Catalogue::from_csv(&text).expect("the 2027 catalogue is valid"),
            ..reference().clone()
        }
    })
}

/// A local (UTC+7) wall-clock time such as `"2025-11-24T09:00"`, as an instant.
pub fn at(local: &str) -> Timestamp {
    let dt: DateTime = local
        .parse()
        .expect("a local date-time like 2025-11-24T09:00");
    tz::offset(7).to_timestamp(dt).expect("in range")
}

/// The local date of an instant.
pub fn local_date(ts: Timestamp) -> jiff::civil::Date {
    reference().calendar.local_date(ts)
}

/// `ts` plus `minutes`.
pub fn plus_minutes(ts: Timestamp, minutes: i64) -> Timestamp {
    ts.checked_add(jiff::SignedDuration::from_mins(minutes))
        .expect("in range")
}

/// A fresh command id, unique within one test binary.
pub fn next_id() -> Uuid {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    Uuid::from_u128(
        0x6d6f_7463_7561_0000_0000_0000_0000_0000
            | u128::from(NEXT.fetch_add(1, Ordering::Relaxed)),
    )
}

// ---------------------------------------------------------------------------------------------
// Offices and actors
// ---------------------------------------------------------------------------------------------

/// An office identifier such as `MC.26740`.
pub fn agency(id: &str) -> AgencyId {
    id.parse().expect("a valid agency id")
}

/// One-stop desk of Phường Sài Gòn (26740, Hồ Chí Minh City, 2-level list).
pub fn desk() -> AgencyId {
    AgencyId::desk_of(&unit("26740"))
}

/// One-stop desk of Phường Tân Định (26737), a neighbouring ward.
pub fn other_desk() -> AgencyId {
    AgencyId::desk_of(&unit("26737"))
}

/// People's Committee of Phường Sài Gòn: the handling office of ward procedures.
pub fn ward() -> AgencyId {
    AgencyId::committee_of(&unit("26740"))
}

/// People's Committee of Hồ Chí Minh City (79): a province-level handling office.
pub fn city() -> AgencyId {
    AgencyId::committee_of(&unit("79"))
}

/// A unit code.
pub fn unit(code: &str) -> UnitCode {
    code.parse().expect("a valid unit code")
}

/// Receiving officer at the Phường Sài Gòn desk.
pub fn reception() -> Actor {
    Actor::officer("tn.nguyen", Role::Reception, desk())
}

/// Receiving officer at the Phường Tân Định desk.
pub fn other_reception() -> Actor {
    Actor::officer("tn.ly", Role::Reception, other_desk())
}

/// An officer of `office` in `role`.
pub fn officer(id: &str, role: Role, office: AgencyId) -> Actor {
    Actor::officer(id, role, office)
}

/// Handling officer of the ward committee; the one the stories assign.
pub fn handler() -> Actor {
    Actor::officer("cv.tran", Role::HandlingOfficer, ward())
}

/// Another handling officer of the same committee.
pub fn other_handler() -> Actor {
    Actor::officer("cv.vo", Role::HandlingOfficer, ward())
}

/// Vice-chairman of the ward committee.
pub fn approver() -> Actor {
    Actor::officer("ld.le", Role::Approver, ward())
}

/// Clerk of the ward committee.
pub fn clerk() -> Actor {
    Actor::officer("vt.pham", Role::Clerk, ward())
}

/// Handling officer, approver and clerk of the city committee.
pub fn city_handler() -> Actor {
    Actor::officer("cv.dang", Role::HandlingOfficer, city())
}

/// Approver of the city committee.
pub fn city_approver() -> Actor {
    Actor::officer("ld.ho", Role::Approver, city())
}

/// Clerk of the city committee.
pub fn city_clerk() -> Actor {
    Actor::officer("vt.bui", Role::Clerk, city())
}

/// The applicant's portal account (VNeID).
pub fn citizen() -> Actor {
    Actor::applicant("vneid.079190001234")
}

/// Someone else's portal account.
pub fn stranger() -> Actor {
    Actor::applicant("vneid.079190009999")
}

/// The deployment administrator (acts for no office).
pub fn admin() -> Actor {
    Actor {
        id: "admin.root".to_owned(),
        role: Role::Admin,
        agency: None,
    }
}

/// The system timer.
pub fn system() -> Actor {
    Actor::system()
}

// ---------------------------------------------------------------------------------------------
// Command bodies
// ---------------------------------------------------------------------------------------------

/// A procedure code such as `1.001193`.
pub fn procedure(code: &str) -> ProcedureCode {
    code.parse().expect("a valid procedure code")
}

/// The applicant of the stories.
pub fn nguyen_van_a() -> Applicant {
    Applicant {
        name: "Nguyễn Văn A".to_owned(),
        id_number: Some("079190001234".to_owned()),
        phone: Some("0903000111".to_owned()),
        address: Some("12 Lê Lợi, Phường Sài Gòn, TP. Hồ Chí Minh".to_owned()),
        email: None,
    }
}

/// The dossier code of `office` on the local date of `when`, `seq`-th of the day.
pub fn code_of(office: &AgencyId, when: Timestamp, seq: u32) -> DossierCode {
    DossierCode::new(office.clone(), local_date(when), seq).expect("a valid dossier code")
}

/// Online submission to the Phường Sài Gòn desk.
pub fn submit_online(code: &str) -> CommandBody {
    CommandBody::SubmitOnline {
        procedure: procedure(code),
        applicant: nguyen_van_a(),
        receiving_agency: desk(),
    }
}

/// Receipt of a new dossier at the Phường Sài Gòn desk on `channel`, code dated `when`.
pub fn receive_new(
    code: &str,
    channel: Channel,
    handling: AgencyId,
    when: Timestamp,
) -> CommandBody {
    CommandBody::Receive {
        code: Some(code_of(&desk(), when, 1)),
        procedure: Some(procedure(code)),
        channel: Some(channel),
        applicant: Some(nguyen_van_a()),
        handling_agency: handling,
        digitised: channel == Channel::Direct,
    }
}

/// Receipt of an online submission, code dated `when`.
pub fn receive_online(handling: AgencyId, when: Timestamp) -> CommandBody {
    CommandBody::Receive {
        code: Some(code_of(&desk(), when, 1)),
        procedure: None,
        channel: None,
        applicant: None,
        handling_agency: handling,
        digitised: false,
    }
}

/// Forward to `to`.
pub fn forward(to: AgencyId) -> CommandBody {
    CommandBody::Forward { to, note: None }
}

/// Assign `officer`.
pub fn assign(officer: &str) -> CommandBody {
    CommandBody::Assign {
        officer: officer.to_owned(),
    }
}

/// A favourable appraisal.
pub fn appraise_grant() -> CommandBody {
    CommandBody::Appraise {
        proposal: Proposal::Grant,
        opinion: "Hồ sơ đầy đủ, hợp lệ; đề nghị giải quyết.".to_owned(),
    }
}

/// An unfavourable appraisal.
pub fn appraise_refuse(reason: &str) -> CommandBody {
    CommandBody::Appraise {
        proposal: Proposal::Refuse {
            reason: reason.to_owned(),
        },
        opinion: "Không đủ điều kiện.".to_owned(),
    }
}

/// A supplement request listing `items`.
pub fn request_supplement(items: &[&str]) -> CommandBody {
    CommandBody::RequestSupplement {
        items: items.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Issue document `no`.
pub fn issue(no: &str) -> CommandBody {
    CommandBody::Issue {
        document_no: no.to_owned(),
        electronic: false,
    }
}

/// A command with a fresh id.
pub fn command(actor: Actor, body: CommandBody) -> Command {
    Command {
        id: next_id(),
        actor,
        body,
    }
}

// ---------------------------------------------------------------------------------------------
// Given / when / then
// ---------------------------------------------------------------------------------------------

/// A dossier with this history.
pub fn given(history: &[Event]) -> Given {
    Given {
        history: history.to_vec(),
        state: Dossier::replay(history),
        reference: reference(),
    }
}

/// A dossier with no history.
pub fn given_new() -> Given {
    given(&[])
}

/// The dossier before the command.
#[derive(Debug, Clone)]
pub struct Given {
    history: Vec<Event>,
    state: Dossier,
    reference: &'static Reference,
}

impl Given {
    /// Decide with other reference data (e.g. another rule book).
    pub fn with_reference(mut self, reference: &'static Reference) -> Given {
        self.reference = reference;
        self
    }

    /// The state the history folds to.
    pub fn state(&self) -> &Dossier {
        &self.state
    }

    /// `actor` asks for `body` at `now`, with a fresh command id.
    pub fn when(self, actor: Actor, body: CommandBody, now: Timestamp) -> Then {
        self.when_command(command(actor, body), now)
    }

    /// A whole command (to reuse an id).
    pub fn when_command(self, cmd: Command, now: Timestamp) -> Then {
        let ctx: Context<'_> = self.reference.context();
        let result = decide(&self.state, &cmd, now, &ctx);
        Then {
            given: self,
            cmd,
            now,
            result,
        }
    }
}

/// The answer to the command.
#[derive(Debug)]
pub struct Then {
    given: Given,
    cmd: Command,
    now: Timestamp,
    result: Result<Vec<Event>, DomainError>,
}

impl Then {
    /// The command was accepted; `check` looks at the events. Every event carries the command's
    /// time, actor and id; the new state satisfies its invariants and equals the replay.
    pub fn then_events(self, check: impl FnOnce(&[Event])) -> Outcome {
        let events = match self.result {
            Ok(events) => events,
            Err(e) => panic!(
                "{} by {:?} was refused: {} ({e})",
                self.cmd.body.name(),
                self.cmd.actor.role,
                e.code()
            ),
        };
        assert!(!events.is_empty(), "an accepted command produces events");
        for e in &events {
            assert_eq!(e.at, self.now, "event time is the command time");
            assert_eq!(e.actor, self.cmd.actor, "event actor is the command actor");
            assert_eq!(e.command_id, self.cmd.id, "event carries the command id");
        }
        check(&events);
        let mut history = self.given.history;
        let mut state = self.given.state;
        for e in &events {
            state = state.evolve(e);
            history.push(e.clone());
        }
        if let Err(why) = state.check_invariants() {
            panic!(
                "invariant broken after {}: {why}\n{state:#?}",
                self.cmd.body.name()
            );
        }
        assert_eq!(
            Dossier::replay(&history),
            state,
            "replay gives the same state"
        );
        Outcome {
            events,
            history,
            state,
        }
    }

    /// The command was accepted and produced exactly one event of this type.
    pub fn then_event(self, type_name: &str) -> Outcome {
        let expected = type_name.to_owned();
        self.then_events(|events| {
            let names: Vec<&str> = events.iter().map(|e| e.body.type_name()).collect();
            assert_eq!(names, [expected.as_str()]);
        })
    }

    /// The command was refused with this code (`decide` only borrows the state, so a refusal
    /// cannot change it; `dossier_refusals.rs` checks that its id is not spent either).
    pub fn then_error(self, code: &str) -> DomainError {
        match self.result {
            Ok(events) => panic!(
                "{} by {:?} was accepted, expected {code}: {:?}",
                self.cmd.body.name(),
                self.cmd.actor.role,
                events
                    .iter()
                    .map(|e| e.body.type_name())
                    .collect::<Vec<_>>()
            ),
            Err(e) => {
                assert_eq!(e.code(), code, "refused for another reason: {e}");
                e
            }
        }
    }
}

/// The dossier after an accepted command.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The events of the command.
    pub events: Vec<Event>,
    /// The whole history, these events included.
    pub history: Vec<Event>,
    /// The state after them.
    pub state: Dossier,
}

impl Outcome {
    /// The national status code is `code`.
    pub fn status(self, code: u8) -> Outcome {
        let status = self.state.status().map(|s| s.national_code());
        assert_eq!(
            status,
            Some(code),
            "national status, stage {:?}",
            self.state.stage
        );
        self
    }

    /// Checks the state.
    pub fn state(self, check: impl FnOnce(&Dossier)) -> Outcome {
        check(&self.state);
        self
    }

    /// Goes on from here.
    pub fn and(&self) -> Given {
        given(&self.history)
    }
}

// ---------------------------------------------------------------------------------------------
// Stories: histories built by running commands (each must be accepted)
// ---------------------------------------------------------------------------------------------

/// A history built one accepted command at a time.
#[derive(Debug, Clone)]
pub struct Story {
    events: Vec<Event>,
    state: Dossier,
    reference: &'static Reference,
}

impl Default for Story {
    fn default() -> Self {
        Story::new()
    }
}

impl Story {
    /// No history.
    pub fn new() -> Story {
        Story::on(reference())
    }

    /// No history, decided with other reference data.
    pub fn on(reference: &'static Reference) -> Story {
        Story {
            events: Vec::new(),
            state: Dossier::new(),
            reference,
        }
    }

    /// Runs a command that must be accepted.
    pub fn then(mut self, actor: Actor, body: CommandBody, now: &str) -> Story {
        let now = at(now);
        let cmd = command(actor, body);
        let name = cmd.body.name();
        match decide(&self.state, &cmd, now, &self.reference.context()) {
            Ok(events) => {
                for e in events {
                    self.state = self.state.evolve(&e);
                    self.events.push(e);
                }
                if let Err(why) = self.state.check_invariants() {
                    panic!("story broke an invariant at {name}: {why}");
                }
                self
            }
            Err(e) => panic!("story step {name} at {now} refused: {} ({e})", e.code()),
        }
    }

    /// The history.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The state.
    pub fn state(&self) -> &Dossier {
        &self.state
    }

    /// A new dossier received at the Phường Sài Gòn desk for `handling` at `now`.
    pub fn received(code: &str, channel: Channel, handling: AgencyId, now: &str) -> Story {
        Story::new().then(
            reception(),
            receive_new(code, channel, handling, at(now)),
            now,
        )
    }

    /// An online submission by [`citizen`] to the Phường Sài Gòn desk.
    pub fn submitted(code: &str, now: &str) -> Story {
        Story::new().then(citizen(), submit_online(code), now)
    }

    /// Forwarded by the desk to the ward committee.
    pub fn forwarded(self, now: &str) -> Story {
        self.then(reception(), forward(ward()), now)
    }

    /// Assigned to [`handler`] by the [`approver`].
    pub fn assigned(self, now: &str) -> Story {
        self.then(approver(), assign("cv.tran"), now)
    }

    /// Appraised favourably by [`handler`].
    pub fn appraised(self, now: &str) -> Story {
        self.then(handler(), appraise_grant(), now)
    }

    /// Put to the approver.
    pub fn pending_approval(self, now: &str) -> Story {
        self.then(handler(), CommandBody::SubmitForApproval, now)
    }

    /// Approved.
    pub fn approved(self, now: &str) -> Story {
        self.then(approver(), CommandBody::Approve, now)
    }

    /// Issued by the [`clerk`].
    pub fn issued(self, now: &str) -> Story {
        self.then(clerk(), issue("125/QĐ-UBND"), now)
    }

    /// Result sent to the desk.
    pub fn result_ready(self, now: &str) -> Story {
        self.then(clerk(), CommandBody::MarkResultReady, now)
    }
}

/// A birth registration (1.001193, same day) received directly on Monday 24/11/2025 at 09:00 for
/// the ward committee.
pub fn birth_received() -> Story {
    Story::received("1.001193", Channel::Direct, ward(), "2025-11-24T09:00")
}

/// A household business registration (1.001612, 3 working days) received directly on Monday
/// 24/11/2025 at 09:00 for the ward committee; due Thursday 27/11 at 09:00.
pub fn business_received() -> Story {
    Story::received("1.001612", Channel::Direct, ward(), "2025-11-24T09:00")
}

/// The household business registration, forwarded, assigned to [`handler`] on 24/11.
pub fn business_assigned() -> Story {
    business_received()
        .forwarded("2025-11-24T09:30")
        .assigned("2025-11-24T10:00")
}

/// The household business registration with the result issued on Wednesday 26/11.
pub fn business_issued() -> Story {
    business_assigned()
        .appraised("2025-11-25T10:00")
        .pending_approval("2025-11-25T11:00")
        .approved("2025-11-26T08:00")
        .issued("2025-11-26T09:00")
}
