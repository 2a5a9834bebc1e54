//! A dossier's life chosen by the fuzzer: up to 32 commands, each made of realistic parts (the
//! offices, officers, procedures and times of a Hồ Chí Minh City ward and the city; some wrong on
//! purpose), decided one after the other at times that move forward by minutes, days or years.
//! Where `command_json` mutates bytes, this one reaches deep states: supplements, fees,
//! liaison hand-overs, apologies, deadlines near the end of the holiday table.
//!
//! `decide` never panics; every accepted command keeps the dossier's invariants; the history
//! wrapped as an imported envelope round-trips and replays to the same state.
#![no_main]

use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use motcua_domain::catalogue::Channel;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{
    Actor, Applicant, Command, CommandBody, Dossier, Event, PaymentMethod, Proposal, ReturnMethod,
    Role, Satisfaction,
};
use motcua_domain::units::AgencyId;
use uuid::Uuid;

const OFFICES: &[&str] = &[
    "MC.26740", "UB.26740", "MC.26737", "UB.26737", "UB.79", "MC.79", "CA.79", "UB.01",
];
const PROCEDURES: &[&str] = &[
    "1.004194", "1.001193", "1.013225", "2.000986", "3.000333", "2.001035", "1.013978", "1.012786",
    "2.000806", "1.000828", "3.000347", "9.999999",
];
const TEXTS: &[&str] = &["", " ", "Hồ sơ đầy đủ", "Bản sao CCCD", "\u{0}", "x"];

fn pick<'a, T: ?Sized>(u: &mut Unstructured<'_>, items: &'a [&'a T]) -> Result<&'a T> {
    Ok(items[u.choose_index(items.len())?])
}

fn office(u: &mut Unstructured<'_>) -> Result<AgencyId> {
    Ok(pick(u, OFFICES)?.parse().expect("valid office ids"))
}

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if u.ratio(1, 8)? {
        u.arbitrary::<String>()?
    } else {
        pick(u, TEXTS)?.to_owned()
    })
}

fn actor(u: &mut Unstructured<'_>) -> Result<Actor> {
    Ok(match u.int_in_range(0..=11)? {
        0 => Actor::applicant("vneid.079190001234"),
        1 => Actor::applicant("vneid.079190009999"),
        2 => Actor::officer("tn.nguyen", Role::Reception, office(u)?),
        3 => Actor::officer("cv.tran", Role::HandlingOfficer, office(u)?),
        4 => Actor::officer("cv.vo", Role::HandlingOfficer, office(u)?),
        5 => Actor::officer("ld.le", Role::Approver, office(u)?),
        6 => Actor::officer("vt.pham", Role::Clerk, office(u)?),
        7 => Actor::system(),
        8 => Actor {
            id: "admin.root".to_owned(),
            role: Role::Admin,
            agency: None,
        },
        9 => Actor::officer("nhap.lieu", Role::Importer, office(u)?),
        10 => Actor::officer("bc", Role::Reporter, office(u)?),
        _ => Actor {
            id: text(u)?,
            role: *u.choose(&Role::ALL)?,
            agency: if u.arbitrary()? {
                Some(office(u)?)
            } else {
                None
            },
        },
    })
}

/// A step forward in time: mostly minutes to days, sometimes years, rarely backwards.
fn advance(u: &mut Unstructured<'_>, now: Timestamp) -> Result<Timestamp> {
    let minutes: i64 = match u.int_in_range(0..=9)? {
        0 => 0,
        1 => u.int_in_range(1..=60)?,
        2 => u.int_in_range(60..=600)?,
        3 => 24 * 60,
        4 => u.int_in_range(1..=14)? * 24 * 60,
        5 => u.int_in_range(15..=120)? * 24 * 60,
        6 => u.int_in_range(1..=30)? * 365 * 24 * 60,
        7 => -u.int_in_range(1..=600)?,
        8 => u.arbitrary::<i32>()?.into(),
        _ => u.arbitrary::<i64>()?,
    };
    Ok(now
        .checked_add(SignedDuration::try_from_mins(minutes).unwrap_or(SignedDuration::ZERO))
        .unwrap_or(now))
}

fn body(u: &mut Unstructured<'_>, now: Timestamp, state: &Dossier) -> Result<CommandBody> {
    let reference = motcua_fuzz::reference();
    let applicant = |u: &mut Unstructured<'_>| -> Result<Applicant> {
        Ok(Applicant {
            name: text(u)?,
            id_number: u.arbitrary()?,
            phone: u.arbitrary()?,
            address: None,
            email: None,
        })
    };
    let procedure = |u: &mut Unstructured<'_>| -> Result<_> {
        Ok(pick(u, PROCEDURES)?.parse().expect("valid procedure codes"))
    };
    Ok(match u.int_in_range(0..=22)? {
        0 => CommandBody::SubmitOnline {
            procedure: procedure(u)?,
            applicant: applicant(u)?,
            receiving_agency: office(u)?,
        },
        1 => CommandBody::RequestIntakeSupplement {
            items: vec![text(u)?; u.int_in_range(0..=2)?],
        },
        2 => CommandBody::ProvideIntakeSupplement,
        3 => CommandBody::RefuseIntake { reason: text(u)? },
        4 => {
            let desk = office(u)?;
            let day = if u.ratio(7, 8)? {
                reference.calendar.local_date(now)
            } else {
                reference.calendar.local_date(advance(u, now)?)
            };
            CommandBody::Receive {
                code: if u.ratio(7, 8)? {
                    DossierCode::new(desk, day, u.int_in_range(0..=3)?).ok()
                } else {
                    None
                },
                procedure: if u.ratio(3, 4)? {
                    Some(procedure(u)?)
                } else {
                    None
                },
                channel: if u.arbitrary()? {
                    Some(*u.choose(&[Channel::Direct, Channel::Online, Channel::Postal])?)
                } else {
                    None
                },
                applicant: if u.ratio(3, 4)? {
                    Some(applicant(u)?)
                } else {
                    None
                },
                handling_agency: office(u)?,
                digitised: u.arbitrary()?,
            }
        }
        5 => CommandBody::Forward {
            to: office(u)?,
            note: if u.arbitrary()? { Some(text(u)?) } else { None },
        },
        6 => CommandBody::Assign {
            officer: pick(u, &["cv.tran", "cv.vo", "ld.le", ""])?.to_owned(),
        },
        7 => CommandBody::Appraise {
            proposal: if u.ratio(3, 4)? {
                Proposal::Grant
            } else {
                Proposal::Refuse { reason: text(u)? }
            },
            opinion: text(u)?,
        },
        8 => CommandBody::RequestSupplement {
            items: vec![text(u)?; u.int_in_range(0..=2)?],
        },
        9 => CommandBody::ProvideSupplement,
        10 => CommandBody::ExpireSupplement,
        11 => CommandBody::RequestFee {
            amount_vnd: if u.ratio(3, 4)? {
                20_000
            } else {
                u.arbitrary()?
            },
            reason: text(u)?,
        },
        12 => CommandBody::PayFee {
            amount_vnd: if u.ratio(3, 4)? {
                state.fee_due_vnd.unwrap_or(20_000)
            } else {
                u.arbitrary()?
            },
            method: *u.choose(&[
                PaymentMethod::Cash,
                PaymentMethod::Transfer,
                PaymentMethod::OnlinePortal,
            ])?,
        },
        13 => CommandBody::SubmitForApproval,
        14 => CommandBody::Approve,
        15 => CommandBody::RejectApproval { reason: text(u)? },
        16 => CommandBody::Issue {
            document_no: text(u)?,
            electronic: u.arbitrary()?,
        },
        17 => CommandBody::MarkResultReady,
        18 => CommandBody::ReturnResult {
            method: *u.choose(&[
                ReturnMethod::Desk,
                ReturnMethod::Post,
                ReturnMethod::Electronic,
            ])?,
        },
        19 => CommandBody::Withdraw { reason: text(u)? },
        20 => CommandBody::Stop { reason: text(u)? },
        21 => CommandBody::Apologise {
            reason: text(u)?,
            new_due_at: {
                let from = state.due_at.unwrap_or(now);
                advance(u, from)?
            },
        },
        _ => CommandBody::RecordFeedback {
            satisfaction: *u.choose(&[
                Satisfaction::Satisfied,
                Satisfaction::Neutral,
                Satisfaction::Dissatisfied,
            ])?,
            comment: if u.arbitrary()? { Some(text(u)?) } else { None },
        },
    })
}

/// `MOTCUA_FUZZ_TRACE=1` prints each command and what it produced: run a reproducer with it to
/// read the story behind a crash.
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("MOTCUA_FUZZ_TRACE").is_some())
}

fn walk(u: &mut Unstructured<'_>) -> Result<()> {
    let starts = [
        "2025-11-24T02:00:00Z", // Monday 09:00 in Hồ Chí Minh City
        "2025-11-29T03:00:00Z", // a Saturday
        "2026-02-13T08:00:00Z", // the eve of Tết 2026
        "2025-04-01T02:00:00Z", // under the 3-level unit list
        "2026-12-31T09:00:00Z", // the last day of the holiday table
        "2024-12-31T16:59:00Z",
    ];
    let mut now: Timestamp = pick(u, &starts)?.parse().expect("valid times");
    let mut state = Dossier::new();
    let mut history: Vec<Vec<Event>> = Vec::new();
    let mut ids: Vec<Uuid> = Vec::new();
    for n in 0..32u128 {
        if u.is_empty() {
            break;
        }
        now = advance(u, now)?;
        let id = match ids.len() {
            len if len > 0 && u.ratio(1, 16)? => ids[u.choose_index(len)?],
            _ => Uuid::from_u128(0x6d6f_7463_7561_0000_0000_0000_0000_0000 | n),
        };
        ids.push(id);
        let command = Command {
            id,
            actor: actor(u)?,
            body: body(u, now, &state)?,
        };
        if trace() {
            eprintln!("{now} {command:?}");
        }
        if let Some((events, next)) = motcua_fuzz::decide_and_check(&state, &command, now) {
            if trace() {
                eprintln!(
                    "  accepted: {:?}",
                    events.iter().map(|e| &e.body).collect::<Vec<_>>()
                );
            }
            state = next;
            history.push(events);
        }
    }
    let key = motcua_fuzz::KEY.parse().expect("valid key");
    motcua_fuzz::check_history(&key, &history, &state);
    Ok(())
}

fuzz_target!(|bytes: &[u8]| {
    let _ = walk(&mut Unstructured::new(bytes));
});
