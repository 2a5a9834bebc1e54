//! Properties of the dossier aggregate under generated histories: random commands by random
//! actors at random (increasing) times over a few weeks around Tết 2026.
//!
//! (a) no accepted command leads to a state that breaks `check_invariants()`;
//! (b) replaying the events from scratch gives the same state;
//! (c) every event reads back from its JSON form;
//! (d) deadlines are monotone: a later receipt is never due earlier, a pause never brings the
//!     deadline forward, and no command moves the deadline or the appointment earlier.

mod common;

use common::*;
use jiff::Timestamp;
use motcua_domain::Reference;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{
    Actor, CommandBody, DomainError, Dossier, Event, PaymentMethod, Proposal, ReturnMethod, Role,
    Satisfaction, Stage, Step, decide,
};
use motcua_domain::units::AgencyId;
use proptest::prelude::*;

/// Procedures of the pool: same day, 3 working days (ward), 3 working days (city), 20/10 working
/// days by channel, 15/20 calendar days by channel, direct only, no time limit.
const PROCEDURES: [&str; 7] = [
    "1.001193", "1.001612", "2.001583", "1.012786", "1.013225", "2.000815", "2.001263",
];
const CHANNELS: [Channel; 3] = [Channel::Direct, Channel::Online, Channel::Postal];
const OFFICERS: [&str; 2] = ["cv.tran", "cv.vo"];

fn handling_offices() -> [AgencyId; 2] {
    [ward(), city()]
}

fn forward_targets() -> [AgencyId; 4] {
    [ward(), city(), desk(), other_desk()]
}

/// Who makes a command: `Natural` is the actor the rules expect for the command in the current
/// state (so that histories get deep); the others are fixed people, right or wrong.
#[derive(Debug, Clone, Copy)]
enum Who {
    Natural,
    Reception,
    OtherReception,
    Handler,
    OtherHandler,
    Approver,
    Clerk,
    CityHandler,
    CityApprover,
    Citizen,
    Stranger,
    System,
    Admin,
}

const WHO: [Who; 13] = [
    Who::Natural,
    Who::Reception,
    Who::OtherReception,
    Who::Handler,
    Who::OtherHandler,
    Who::Approver,
    Who::Clerk,
    Who::CityHandler,
    Who::CityApprover,
    Who::Citizen,
    Who::Stranger,
    Who::System,
    Who::Admin,
];

/// A command of the pool; parameters are indexes into the pools above.
#[derive(Debug, Clone, Copy)]
enum Cmd {
    SubmitOnline(usize),
    RequestIntakeSupplement,
    ProvideIntakeSupplement,
    RefuseIntake,
    Receive {
        procedure: usize,
        channel: usize,
        handling: usize,
    },
    ReceiveSubmitted(usize),
    Forward(usize),
    Assign(usize),
    Appraise(bool),
    RequestSupplement,
    ProvideSupplement,
    ExpireSupplement,
    RequestFee,
    PayFee(bool),
    SubmitForApproval,
    Approve,
    RejectApproval,
    Issue,
    MarkResultReady,
    ReturnResult(usize),
    Withdraw,
    Stop,
    /// New appointment: this many hours after the current one (negative: earlier).
    Apologise(i64),
    RecordFeedback,
    /// The next step of the lifecycle from the current stage (see [`next_step`]).
    Next,
}

/// How often each kind of command is drawn: the steps of the lifecycle often, the side steps
/// less, the endings (refusal, withdrawal, stop, closure) rarely, so that histories get long.
const KIND_WEIGHTS: [(u8, usize); 25] = [
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 1),
    (4, 2),
    (5, 6),
    (6, 6),
    (7, 6),
    (8, 6),
    (9, 3),
    (10, 4),
    (11, 2),
    (12, 3),
    (13, 4),
    (14, 6),
    (15, 6),
    (16, 2),
    (17, 6),
    (18, 6),
    (19, 4),
    (20, 1),
    (21, 1),
    (22, 2),
    (23, 2),
    (24, 30),
];

fn kind() -> impl Strategy<Value = u8> {
    let pool: Vec<u8> = KIND_WEIGHTS
        .iter()
        .flat_map(|&(k, w)| std::iter::repeat_n(k, w))
        .collect();
    prop::sample::select(pool)
}

fn cmd() -> impl Strategy<Value = Cmd> {
    (kind(), 0usize..64, 0usize..64, 0usize..64, -48i64..400).prop_map(|(k, a, b, c, h)| match k {
        0 => Cmd::SubmitOnline(a % PROCEDURES.len()),
        1 => Cmd::RequestIntakeSupplement,
        2 => Cmd::ProvideIntakeSupplement,
        3 => Cmd::RefuseIntake,
        4 => Cmd::Receive {
            procedure: a % PROCEDURES.len(),
            channel: b % CHANNELS.len(),
            handling: c % 2,
        },
        5 => Cmd::ReceiveSubmitted(a % 2),
        6 => Cmd::Forward(a % 4),
        7 => Cmd::Assign(a % OFFICERS.len()),
        8 => Cmd::Appraise(a % 3 != 0),
        9 => Cmd::RequestSupplement,
        10 => Cmd::ProvideSupplement,
        11 => Cmd::ExpireSupplement,
        12 => Cmd::RequestFee,
        13 => Cmd::PayFee(a % 4 != 0),
        14 => Cmd::SubmitForApproval,
        15 => Cmd::Approve,
        16 => Cmd::RejectApproval,
        17 => Cmd::Issue,
        18 => Cmd::MarkResultReady,
        19 => Cmd::ReturnResult(a % 3),
        20 => Cmd::Withdraw,
        21 => Cmd::Stop,
        22 => Cmd::Apologise(h),
        23 => Cmd::RecordFeedback,
        _ => Cmd::Next,
    })
}

/// The natural actor three times in four, anybody otherwise.
fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => Just(Who::Natural),
        1 => prop::sample::select(WHO.to_vec()),
    ]
}

/// Minutes to the next command: mostly within a working day, sometimes days later.
fn pause_minutes() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 0i64..240,
        2 => 0i64..1_440,
        1 => 0i64..7_200,
        1 => 20_000i64..25_000,
    ]
}

/// A start between Monday 26/01/2026 and Friday 13/02/2026 (the last working day before Tết).
fn start() -> impl Strategy<Value = Timestamp> {
    (0i64..19 * 24 * 60).prop_map(|m| plus_minutes(at("2026-01-26T00:00"), m))
}

/// The command that moves a dossier on from its stage.
fn next_step(d: &Dossier) -> Cmd {
    let handling = usize::from(d.handling_agency.as_ref() == Some(&city()));
    match d.stage {
        Stage::New => Cmd::SubmitOnline(1),
        Stage::Submitted => Cmd::ReceiveSubmitted(handling),
        Stage::IntakeSupplement => Cmd::ProvideIntakeSupplement,
        Stage::Received => Cmd::Forward(handling),
        Stage::InProgress { step } => match step {
            Step::Waiting => Cmd::Assign(0),
            Step::Assigned => Cmd::Appraise(true),
            Step::Appraised => Cmd::SubmitForApproval,
            Step::PendingApproval => Cmd::Approve,
            Step::Approved => Cmd::Issue,
            Step::Issued => Cmd::MarkResultReady,
        },
        Stage::Supplement { .. } => Cmd::ProvideSupplement,
        Stage::AwaitingPayment { .. } => Cmd::PayFee(true),
        Stage::ResultReady => Cmd::ReturnResult(0),
        Stage::IntakeRefused
        | Stage::Returned
        | Stage::Withdrawn
        | Stage::Stopped
        | Stage::Closed => Cmd::RecordFeedback,
    }
}

fn holder_or_desk(d: &Dossier) -> AgencyId {
    d.holder.clone().unwrap_or_else(desk)
}

fn natural_applicant(d: &Dossier) -> Actor {
    match &d.applicant_account {
        Some(_) => citizen(),
        None => reception(),
    }
}

fn natural(c: Cmd, d: &Dossier) -> Actor {
    let at_holder = |role: Role, id: &str| officer(id, role, holder_or_desk(d));
    let assigned = d.officer.clone().unwrap_or_else(|| OFFICERS[0].to_owned());
    match c {
        Cmd::SubmitOnline(_) => citizen(),
        Cmd::ProvideIntakeSupplement
        | Cmd::ProvideSupplement
        | Cmd::PayFee(_)
        | Cmd::Withdraw
        | Cmd::RecordFeedback => natural_applicant(d),
        Cmd::RequestIntakeSupplement
        | Cmd::RefuseIntake
        | Cmd::Receive { .. }
        | Cmd::ReceiveSubmitted(_)
        | Cmd::ReturnResult(_) => reception(),
        Cmd::Forward(_) if d.holder.as_ref() == Some(&desk()) => reception(),
        Cmd::Forward(_) | Cmd::Assign(_) | Cmd::Approve | Cmd::RejectApproval | Cmd::Stop => {
            at_holder(Role::Approver, "ld.le")
        }
        Cmd::Appraise(_)
        | Cmd::SubmitForApproval
        | Cmd::RequestSupplement
        | Cmd::RequestFee
        | Cmd::Apologise(_) => at_holder(Role::HandlingOfficer, &assigned),
        Cmd::ExpireSupplement => system(),
        Cmd::Issue | Cmd::MarkResultReady => at_holder(Role::Clerk, "vt.pham"),
        Cmd::Next => natural(next_step(d), d),
    }
}

fn actor(w: Who, c: Cmd, d: &Dossier) -> Actor {
    match w {
        Who::Natural => natural(c, d),
        Who::Reception => reception(),
        Who::OtherReception => other_reception(),
        Who::Handler => handler(),
        Who::OtherHandler => other_handler(),
        Who::Approver => approver(),
        Who::Clerk => clerk(),
        Who::CityHandler => city_handler(),
        Who::CityApprover => city_approver(),
        Who::Citizen => citizen(),
        Who::Stranger => stranger(),
        Who::System => system(),
        Who::Admin => admin(),
    }
}

fn body(c: Cmd, d: &Dossier, now: Timestamp) -> CommandBody {
    let reason = |s: &str| s.to_owned();
    match c {
        Cmd::SubmitOnline(p) => submit_online(PROCEDURES[p]),
        Cmd::RequestIntakeSupplement => CommandBody::RequestIntakeSupplement {
            items: vec![reason("Giấy chứng sinh")],
        },
        Cmd::ProvideIntakeSupplement => CommandBody::ProvideIntakeSupplement,
        Cmd::RefuseIntake => CommandBody::RefuseIntake {
            reason: reason("Không thuộc thẩm quyền"),
        },
        Cmd::Receive {
            procedure,
            channel,
            handling,
        } => receive_new(
            PROCEDURES[procedure],
            CHANNELS[channel],
            handling_offices()[handling].clone(),
            now,
        ),
        Cmd::ReceiveSubmitted(h) => receive_online(handling_offices()[h].clone(), now),
        Cmd::Forward(t) => forward(forward_targets()[t].clone()),
        Cmd::Assign(o) => assign(OFFICERS[o]),
        Cmd::Appraise(true) => appraise_grant(),
        Cmd::Appraise(false) => appraise_refuse("Không đủ điều kiện"),
        Cmd::RequestSupplement => request_supplement(&["Giấy ủy quyền"]),
        Cmd::ProvideSupplement => CommandBody::ProvideSupplement,
        Cmd::ExpireSupplement => CommandBody::ExpireSupplement,
        Cmd::RequestFee => CommandBody::RequestFee {
            amount_vnd: 100_000,
            reason: reason("Lệ phí"),
        },
        Cmd::PayFee(right) => CommandBody::PayFee {
            amount_vnd: if right { 100_000 } else { 90_000 },
            method: PaymentMethod::Transfer,
        },
        Cmd::SubmitForApproval => CommandBody::SubmitForApproval,
        Cmd::Approve => CommandBody::Approve,
        Cmd::RejectApproval => CommandBody::RejectApproval {
            reason: reason("Xem lại"),
        },
        Cmd::Issue => issue("15/GP-UBND"),
        Cmd::MarkResultReady => CommandBody::MarkResultReady,
        Cmd::ReturnResult(m) => CommandBody::ReturnResult {
            method: [
                ReturnMethod::Desk,
                ReturnMethod::Post,
                ReturnMethod::Electronic,
            ][m],
        },
        Cmd::Withdraw => CommandBody::Withdraw {
            reason: reason("Rút hồ sơ"),
        },
        Cmd::Stop => CommandBody::Stop {
            reason: reason("Dừng xử lý"),
        },
        Cmd::Apologise(hours) => CommandBody::Apologise {
            reason: reason("Chờ xác minh"),
            new_due_at: d
                .due_at
                .unwrap_or(now)
                .checked_add(jiff::SignedDuration::from_hours(hours))
                .expect("in range"),
        },
        Cmd::RecordFeedback => CommandBody::RecordFeedback {
            satisfaction: Satisfaction::Satisfied,
            comment: None,
        },
        Cmd::Next => body(next_step(d), d, now),
    }
}

/// A history opened by one of the usual first commands, then anything.
fn steps() -> impl Strategy<Value = Vec<(Cmd, Who, i64)>> {
    let first = prop_oneof![
        (0usize..PROCEDURES.len()).prop_map(Cmd::SubmitOnline),
        (0usize..PROCEDURES.len(), 0usize..3, 0usize..2).prop_map(
            |(procedure, channel, handling)| {
                Cmd::Receive {
                    procedure,
                    channel,
                    handling,
                }
            }
        ),
    ];
    (
        first,
        prop::collection::vec((cmd(), who(), pause_minutes()), 0..60),
    )
        .prop_map(|(first, mut rest)| {
            rest.insert(0, (first, Who::Natural, 0));
            rest
        })
}

/// Runs the steps from `start`; checks (a), (c) and the per-command part of (d) on the way.
fn run(
    start: Timestamp,
    steps: &[(Cmd, Who, i64)],
) -> Result<(Dossier, Vec<Event>), TestCaseError> {
    let ctx = reference().context();
    let mut state = Dossier::new();
    let mut events: Vec<Event> = Vec::new();
    let mut now = start;
    for &(c, w, minutes) in steps {
        now = plus_minutes(now, minutes);
        let cmd = command(actor(w, c, &state), body(c, &state, now));
        let before = state.clone();
        match decide(&state, &cmd, now, &ctx) {
            Err(e) => {
                // Refusals the pool can provoke; never one that betrays an inconsistent state
                // (a missing desk or appraisal, an unknown rule set) or a harness mistake.
                prop_assert!(
                    !matches!(
                        e,
                        DomainError::UnknownRuleSet(_)
                            | DomainError::DuplicateCommand(_)
                            | DomainError::TimeBeforeLastEvent { .. }
                            | DomainError::Missing {
                                field: "receiving_agency" | "appraisal",
                                ..
                            }
                    ),
                    "{} refused: {e}",
                    cmd.body.name()
                );
            }
            Ok(new) => {
                prop_assert!(!new.is_empty());
                for e in new {
                    prop_assert_eq!(e.at, now);
                    let json = serde_json::to_string(&e).expect("an event serialises");
                    let back: Event = serde_json::from_str(&json).expect("an event reads back");
                    prop_assert_eq!(&back, &e, "round trip of {}", json);
                    state = state.evolve(&e);
                    events.push(e);
                }
                if let Err(why) = state.check_invariants() {
                    return Err(TestCaseError::fail(format!(
                        "after {}: {why}\n{state:#?}",
                        cmd.body.name()
                    )));
                }
                prop_assert_eq!(state.version, events.len() as u64);
                prop_assert!(state.status().is_some());
                if before.deadline.is_some() {
                    prop_assert!(state.deadline >= before.deadline, "deadline moved earlier");
                    prop_assert!(state.due_at >= before.due_at, "appointment moved earlier");
                    prop_assert_eq!(state.due_at_initial, before.due_at_initial);
                }
            }
        }
    }
    Ok((state, events))
}

/// Receives `PROCEDURES[p]` on `CHANNELS[c]` at `now`, if the catalogue allows it.
fn receipt(p: usize, c: usize, now: Timestamp) -> Option<Dossier> {
    let handling = if PROCEDURES[p].starts_with("2.001583") || PROCEDURES[p] == "1.012786" {
        city()
    } else {
        ward()
    };
    let cmd = command(
        reception(),
        receive_new(PROCEDURES[p], CHANNELS[c], handling, now),
    );
    let events = decide(&Dossier::new(), &cmd, now, &reference().context()).ok()?;
    Some(Dossier::replay(&events))
}

fn apply(state: &Dossier, actor: Actor, body: CommandBody, now: Timestamp) -> Dossier {
    apply_on(reference(), state, actor, body, now)
}

fn apply_on(
    reference: &Reference,
    state: &Dossier,
    actor: Actor,
    body: CommandBody,
    now: Timestamp,
) -> Dossier {
    let cmd = command(actor, body);
    let events = decide(state, &cmd, now, &reference.context())
        .unwrap_or_else(|e| panic!("{} refused: {e}", cmd.body.name()));
    events.iter().fold(state.clone(), |d, e| d.evolve(e))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a), (b), (c) and the per-command part of (d).
    #[test]
    fn random_histories_keep_the_invariants_and_replay(start in start(), steps in steps()) {
        let (state, events) = run(start, &steps)?;
        prop_assert_eq!(Dossier::replay(&events), state);
    }

    /// (d) For one procedure and channel, a later receipt is never due earlier.
    #[test]
    fn a_later_receipt_is_never_due_earlier(
        p in 0usize..5,
        c in 0usize..3,
        t in 0i64..45 * 24 * 60,
        later in 0i64..10 * 24 * 60,
    ) {
        let first = plus_minutes(at("2026-01-20T00:00"), t);
        let second = plus_minutes(first, later);
        let a = receipt(p, c, first).expect("the pool's first five procedures are on every channel");
        let b = receipt(p, c, second).expect("received");
        prop_assert!(a.due_at <= b.due_at, "{} on {:?}: {:?} then {:?}", PROCEDURES[p], CHANNELS[c], a.due_at, b.due_at);
        prop_assert!(a.due_at >= a.clock_started_at);
    }

    /// (d) A supplement pause (restart) and a fee pause (continue) never make the deadline
    /// earlier, however long they last and whenever they fall.
    #[test]
    fn a_pause_never_brings_the_deadline_forward(
        p in 0usize..5,
        c in 0usize..3,
        t in 0i64..40 * 24 * 60,
        requested_after in 0i64..6 * 24 * 60,
        lasting in 0i64..12 * 24 * 60,
        fee in any::<bool>(),
    ) {
        let received_at = plus_minutes(at("2026-01-20T00:00"), t);
        let received = receipt(p, c, received_at).expect("received");
        let paused_at = plus_minutes(received_at, requested_after);
        let resumed_at = plus_minutes(paused_at, lasting);
        let (pause, resume) = if fee {
            (
                CommandBody::RequestFee { amount_vnd: 20_000, reason: "Lệ phí".to_owned() },
                CommandBody::PayFee { amount_vnd: 20_000, method: PaymentMethod::Cash },
            )
        } else {
            (request_supplement(&["Giấy ủy quyền"]), CommandBody::ProvideSupplement)
        };
        let paused = apply(&received, reception(), pause, paused_at);
        let resumed = apply(&paused, reception(), resume, resumed_at);
        prop_assert!(resumed.deadline >= received.deadline);
        prop_assert!(resumed.due_at >= received.due_at);
        if !fee && Some(paused_at) <= received.deadline {
            // Restart: never earlier than a fresh receipt at the completion either.
            let fresh = receipt(p, c, resumed_at).expect("received");
            prop_assert!(resumed.deadline >= fresh.due_at);
        }
        if Some(paused_at) > received.deadline {
            // Asked for after the deadline: the lateness stays.
            prop_assert_eq!(resumed.deadline, received.deadline);
        }
        prop_assert!(resumed.check_invariants().is_ok(), "{:?}", resumed.check_invariants());
    }

    /// (a) and (d) with a clock-hours limit (civil status from 01/03/2027): receipts and
    /// completions at any minute, nights and weekends included.
    #[test]
    fn clock_hours_dossiers_keep_the_invariants(
        t in 0i64..30 * 24 * 60,
        requested_after in 0i64..3 * 24 * 60,
        lasting in 0i64..10 * 24 * 60,
    ) {
        let reference = civil_status_2027();
        let received_at = plus_minutes(at("2027-03-01T00:00"), t);
        let received = apply_on(
            reference,
            &Dossier::new(),
            reception(),
            receive_new("1.001193", Channel::Direct, ward(), received_at),
            received_at,
        );
        prop_assert!(received.check_invariants().is_ok(), "{:?}", received.check_invariants());
        prop_assert_eq!(received.due_at, Some(plus_minutes(received_at, 24 * 60)));
        let paused_at = plus_minutes(received_at, requested_after);
        let resumed_at = plus_minutes(paused_at, lasting);
        let paused = apply_on(reference, &received, reception(), request_supplement(&["Giấy chứng sinh"]), paused_at);
        let resumed = apply_on(reference, &paused, reception(), CommandBody::ProvideSupplement, resumed_at);
        prop_assert!(resumed.check_invariants().is_ok(), "{:?}", resumed.check_invariants());
        prop_assert!(resumed.deadline >= received.deadline);
        if Some(paused_at) <= received.deadline {
            prop_assert!(resumed.deadline >= Some(plus_minutes(resumed_at, 24 * 60)));
        } else {
            prop_assert_eq!(resumed.deadline, received.deadline);
        }
    }
}

#[test]
fn the_generator_reaches_the_end_of_the_lifecycle() {
    // A run of natural commands goes all the way: received, handled, returned, rated.
    let path = [
        Cmd::SubmitOnline(2),
        Cmd::ReceiveSubmitted(1),
        Cmd::Forward(1),
        Cmd::Assign(0),
        Cmd::RequestSupplement,
        Cmd::ProvideSupplement,
        Cmd::Appraise(true),
        Cmd::RequestFee,
        Cmd::PayFee(true),
        Cmd::SubmitForApproval,
        Cmd::RejectApproval,
        Cmd::Appraise(true),
        Cmd::SubmitForApproval,
        Cmd::Approve,
        Cmd::Issue,
        Cmd::MarkResultReady,
        Cmd::ReturnResult(2),
        Cmd::RecordFeedback,
    ];
    let steps: Vec<(Cmd, Who, i64)> = path.iter().map(|&c| (c, Who::Natural, 120)).collect();
    let (state, events) = run(at("2026-02-12T08:00"), &steps).expect("no property broken");
    assert_eq!(
        events.len(),
        path.len(),
        "every natural command is accepted"
    );
    assert_eq!(state.status().map(|s| s.national_code()), Some(10));
    assert_eq!(state.satisfaction, Some(Satisfaction::Satisfied));
    assert!(matches!(state.proposal, Some(Proposal::Grant)));
}
