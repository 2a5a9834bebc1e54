//! Intake: online submission, the intake supplement and refusal, and receipt on every channel
//! (DOMAIN.md §2.1–2.2, §7.1–7.4). Fixtures: Phường Sài Gòn (26740), Hồ Chí Minh City (79).

mod common;

use common::*;
use motcua_domain::calendar::TimeLimit;
use motcua_domain::catalogue::{CatalogueRef, Channel};
use motcua_domain::dossier::{CommandBody, EventBody, Role, Stage};

fn reference_of(code: &str, version: u32) -> CatalogueRef {
    CatalogueRef {
        code: procedure(code),
        version,
    }
}

// --- submit_online -------------------------------------------------------------------------

#[test]
fn an_online_submission_waits_for_intake_with_an_8_working_hour_deadline() {
    // Submitted Monday evening: the 8 working hours run from Tuesday 07:00.
    given_new()
        .when(citizen(), submit_online("1.001193"), at("2025-11-24T20:00"))
        .then_events(|events| match &events[0].body {
            EventBody::Submitted {
                procedure,
                applicant,
                receiving_agency,
                intake_due_at,
            } => {
                assert_eq!(procedure, &reference_of("1.001193", 2));
                assert_eq!(applicant, &nguyen_van_a());
                assert_eq!(receiving_agency, &desk());
                assert_eq!(*intake_due_at, at("2025-11-25T17:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(1)
        .state(|d| {
            assert_eq!(d.stage, Stage::Submitted);
            assert_eq!(d.channel, Some(Channel::Online));
            assert_eq!(d.applicant_account.as_deref(), Some("vneid.079190001234"));
            assert_eq!(d.holder, Some(desk()));
            assert_eq!(d.receiving_agency, Some(desk()));
            assert_eq!(d.submitted_at, Some(at("2025-11-24T20:00")));
            assert_eq!(d.intake_due_at, Some(at("2025-11-25T17:00")));
            assert_eq!(d.code, None, "no code before receipt");
        });
}

#[test]
fn the_intake_deadline_spills_over_lunch_and_into_the_next_day() {
    // Monday 09:00: 2.5 h in the morning, 3.5 h in the afternoon, 2 h on Tuesday.
    given_new()
        .when(citizen(), submit_online("1.012786"), at("2025-11-24T09:00"))
        .then_event("submitted")
        .state(|d| assert_eq!(d.intake_due_at, Some(at("2025-11-25T09:00"))));
}

// --- request_intake_supplement / provide_intake_supplement ---------------------------------

#[test]
fn the_desk_asks_once_for_everything_missing_before_accepting() {
    let story = Story::submitted("1.001193", "2025-11-24T08:00");
    given(story.events())
        .when(
            reception(),
            CommandBody::RequestIntakeSupplement {
                items: vec![
                    "Giấy chứng sinh (bản chính)".to_owned(),
                    "Giấy đăng ký kết hôn của cha mẹ (bản sao)".to_owned(),
                ],
            },
            at("2025-11-24T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::IntakeSupplementRequested { items } => assert_eq!(items.len(), 2),
            other => panic!("unexpected {other:?}"),
        })
        .status(5)
        .state(|d| {
            assert_eq!(d.stage, Stage::IntakeSupplement);
            assert!(d.pauses.is_empty(), "no clock runs before receipt");
        });
}

#[test]
fn completing_an_online_dossier_restarts_the_intake_clock() {
    let story = Story::submitted("1.001193", "2025-11-24T08:00").then(
        reception(),
        CommandBody::RequestIntakeSupplement {
            items: vec!["Giấy chứng sinh".to_owned()],
        },
        "2025-11-24T10:00",
    );
    // Completed on Wednesday 14:00: 3 h that afternoon, 5 h on Thursday (07:00–11:30, 13:30–14:00).
    given(story.events())
        .when(
            citizen(),
            CommandBody::ProvideIntakeSupplement,
            at("2025-11-26T14:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::IntakeSupplementProvided { intake_due_at } => {
                assert_eq!(*intake_due_at, at("2025-11-27T14:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(1)
        .state(|d| {
            assert_eq!(d.stage, Stage::Submitted);
            assert_eq!(d.intake_due_at, Some(at("2025-11-27T14:00")));
        });
    // The desk may record the completion for the applicant.
    given(story.events())
        .when(
            reception(),
            CommandBody::ProvideIntakeSupplement,
            at("2025-11-26T14:00"),
        )
        .then_event("intake_supplement_provided");
}

// --- refuse_intake -------------------------------------------------------------------------

#[test]
fn the_desk_refuses_an_online_dossier_at_intake() {
    let story = Story::submitted("1.001193", "2025-11-24T08:00");
    given(story.events())
        .when(
            reception(),
            CommandBody::RefuseIntake {
                reason: "Không thuộc thẩm quyền giải quyết của Phường Sài Gòn".to_owned(),
            },
            at("2025-11-24T09:00"),
        )
        .then_event("intake_refused")
        .status(3)
        .state(|d| {
            assert_eq!(d.stage, Stage::IntakeRefused);
            assert_eq!(d.holder, None);
            assert_eq!(d.ended_at, Some(at("2025-11-24T09:00")));
            assert_eq!(d.code, None);
        });
}

#[test]
fn a_dossier_waiting_for_its_intake_supplement_can_be_refused() {
    let story = Story::submitted("1.001193", "2025-11-24T08:00").then(
        reception(),
        CommandBody::RequestIntakeSupplement {
            items: vec!["Giấy chứng sinh".to_owned()],
        },
        "2025-11-24T10:00",
    );
    given(story.events())
        .when(
            reception(),
            CommandBody::RefuseIntake {
                reason: "Giấy chứng sinh không hợp lệ".to_owned(),
            },
            at("2025-11-27T10:00"),
        )
        .then_event("intake_refused")
        .status(3);
}

// --- receive -------------------------------------------------------------------------------

#[test]
fn a_direct_birth_registration_is_due_the_same_day() {
    let now = at("2025-11-24T09:00");
    given_new()
        .when(
            reception(),
            receive_new("1.001193", Channel::Direct, ward(), now),
            now,
        )
        .then_events(|events| match &events[0].body {
            EventBody::Received {
                code,
                procedure,
                channel,
                applicant,
                receiving_agency,
                handling_agency,
                rule_set,
                time_limit,
                clock_started_at,
                due_at,
                intake_late,
                digitised,
            } => {
                assert_eq!(code.to_string(), "MC.26740-251124-0001");
                assert_eq!(procedure, &reference_of("1.001193", 2));
                assert_eq!(*channel, Channel::Direct);
                assert_eq!(applicant.as_ref(), Some(&nguyen_van_a()));
                assert_eq!(receiving_agency, &desk());
                assert_eq!(handling_agency, &ward());
                assert_eq!(rule_set, "nd118-2025");
                assert_eq!(*time_limit, TimeLimit::SameDay);
                assert_eq!(*clock_started_at, now);
                assert_eq!(*due_at, at("2025-11-24T17:00"));
                assert!(!intake_late);
                assert!(digitised);
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(2)
        .state(|d| {
            assert_eq!(d.stage, Stage::Received);
            assert_eq!(
                d.holder,
                Some(desk()),
                "the desk holds it until it forwards"
            );
            assert_eq!(d.handling_agency, Some(ward()));
            assert_eq!(d.received_at, Some(now));
            assert_eq!(d.due_at_initial, Some(at("2025-11-24T17:00")));
            assert_eq!(d.due_at, Some(at("2025-11-24T17:00")));
            assert_eq!(d.deadline, Some(at("2025-11-24T17:00")));
            assert_eq!(d.step_due_at, Some(at("2025-11-24T17:00")));
            assert_eq!(
                d.applicant_account, None,
                "a desk receipt has no portal account"
            );
            assert!(d.digitised);
        });
}

#[test]
fn a_same_day_procedure_received_after_15_00_is_due_the_next_working_day() {
    // Friday 28/11/2025 15:30 → Monday 01/12 17:00.
    let now = at("2025-11-28T15:30");
    given_new()
        .when(
            reception(),
            receive_new("1.001193", Channel::Direct, ward(), now),
            now,
        )
        .then_event("received")
        .state(|d| assert_eq!(d.due_at, Some(at("2025-12-01T17:00"))));
}

#[test]
fn a_province_procedure_counts_working_days_from_the_receipt() {
    // Company registration (2.001583, 3 working days) received at the ward desk for the city.
    let now = at("2025-11-24T09:00");
    given_new()
        .when(
            reception(),
            receive_new("2.001583", Channel::Direct, city(), now),
            now,
        )
        .then_event("received")
        .status(2)
        .state(|d| {
            assert_eq!(d.time_limit, Some(TimeLimit::WorkingDays(3)));
            assert_eq!(d.due_at, Some(at("2025-11-27T09:00")));
            assert_eq!(d.handling_agency, Some(city()));
        });
}

#[test]
fn a_postal_dossier_gets_the_postal_time_limit() {
    // Construction permit (1.013225): 15 calendar days direct, 20 by post.
    // 24/11 + 20 = Sunday 14/12 → Monday 15/12 at the close; direct: Tuesday 09/12.
    let now = at("2025-11-24T09:00");
    given_new()
        .when(
            reception(),
            receive_new("1.013225", Channel::Postal, ward(), now),
            now,
        )
        .then_event("received")
        .status(2)
        .state(|d| {
            assert_eq!(d.channel, Some(Channel::Postal));
            assert_eq!(d.time_limit, Some(TimeLimit::CalendarDays(20)));
            assert_eq!(d.due_at, Some(at("2025-12-15T17:00")));
            assert!(!d.digitised);
        });
    given_new()
        .when(
            reception(),
            receive_new("1.013225", Channel::Direct, ward(), now),
            now,
        )
        .then_event("received")
        .state(|d| assert_eq!(d.due_at, Some(at("2025-12-09T17:00"))));
}

#[test]
fn a_receipt_without_a_channel_is_a_direct_one() {
    let now = at("2025-11-24T09:00");
    let CommandBody::Receive {
        code,
        procedure,
        applicant,
        handling_agency,
        ..
    } = receive_new("1.001193", Channel::Direct, ward(), now)
    else {
        unreachable!("receive_new builds a receipt")
    };
    given_new()
        .when(
            reception(),
            CommandBody::Receive {
                code,
                procedure,
                channel: None,
                applicant,
                handling_agency,
                digitised: false,
            },
            now,
        )
        .then_event("received")
        .state(|d| assert_eq!(d.channel, Some(Channel::Direct)));
}

#[test]
fn an_online_submission_is_received_on_the_online_time_limit() {
    // Land certificate re-issue (1.012786): 20 working days direct, 10 online.
    let story = Story::submitted("1.012786", "2025-11-24T08:00");
    let now = at("2025-11-24T10:00");
    given(story.events())
        .when(reception(), receive_online(city(), now), now)
        .then_events(|events| match &events[0].body {
            EventBody::Received {
                channel,
                applicant,
                time_limit,
                due_at,
                intake_late,
                ..
            } => {
                assert_eq!(*channel, Channel::Online);
                assert_eq!(applicant, &None, "the applicant came with the submission");
                assert_eq!(*time_limit, TimeLimit::WorkingDays(10));
                assert_eq!(*due_at, at("2025-12-08T10:00"));
                assert!(!intake_late);
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(2)
        .state(|d| {
            assert_eq!(d.applicant, Some(nguyen_van_a()));
            assert_eq!(d.applicant_account.as_deref(), Some("vneid.079190001234"));
            assert_eq!(d.submitted_at, Some(at("2025-11-24T08:00")));
            assert_eq!(d.received_at, Some(now));
        });
}

#[test]
fn an_online_receipt_may_repeat_the_submitted_procedure() {
    let story = Story::submitted("1.012786", "2025-11-24T08:00");
    let now = at("2025-11-24T10:00");
    let CommandBody::Receive {
        code,
        handling_agency,
        ..
    } = receive_online(city(), now)
    else {
        unreachable!("receive_online builds a receipt")
    };
    given(story.events())
        .when(
            reception(),
            CommandBody::Receive {
                code,
                procedure: Some(procedure("1.012786")),
                // The channel of an online submission is always online.
                channel: Some(Channel::Direct),
                applicant: None,
                handling_agency,
                digitised: false,
            },
            now,
        )
        .then_event("received")
        .state(|d| {
            assert_eq!(d.channel, Some(Channel::Online));
            assert_eq!(d.time_limit, Some(TimeLimit::WorkingDays(10)));
        });
}

#[test]
fn an_online_dossier_accepted_after_8_working_hours_is_flagged_late() {
    // Submitted Monday 08:00: intake due Tuesday 08:00.
    let story = Story::submitted("1.012786", "2025-11-24T08:00");
    assert_eq!(story.state().intake_due_at, Some(at("2025-11-25T08:00")));
    let on_time = at("2025-11-25T08:00");
    given(story.events())
        .when(reception(), receive_online(city(), on_time), on_time)
        .then_events(|events| {
            assert!(matches!(
                events[0].body,
                EventBody::Received {
                    intake_late: false,
                    ..
                }
            ));
        });
    let late = at("2025-11-25T09:00");
    given(story.events())
        .when(reception(), receive_online(city(), late), late)
        .then_events(|events| {
            assert!(matches!(
                events[0].body,
                EventBody::Received {
                    intake_late: true,
                    ..
                }
            ));
        })
        .status(2);
}

#[test]
fn the_code_date_is_the_local_date_not_the_utc_date() {
    // 06:30 in Hồ Chí Minh City is still the previous day in UTC.
    let now = at("2025-11-25T06:30");
    given_new()
        .when(
            reception(),
            receive_new("1.001193", Channel::Direct, ward(), now),
            now,
        )
        .then_event("received")
        .state(|d| {
            let code = d.code.as_ref().expect("coded");
            assert_eq!(code.to_string(), "MC.26740-251125-0001");
            // Received before opening: the clock starts at 07:00, due at the close.
            assert_eq!(d.clock_started_at, Some(at("2025-11-25T07:00")));
            assert_eq!(d.due_at, Some(at("2025-11-25T17:00")));
        });
}

#[test]
fn a_receipt_on_tet_2026_starts_the_clock_after_the_break() {
    // Tết 2026: Saturday 14/02 to Sunday 22/02. A dossier received on Friday 13/02 at 16:00
    // for 3 working days is due on Wednesday 25/02 at 16:00 (1 h on Friday, 16 h on Monday and Tuesday, 7 h on Wednesday).
    let now = at("2026-02-13T16:00");
    given_new()
        .when(
            reception(),
            receive_new("1.001612", Channel::Direct, ward(), now),
            now,
        )
        .then_event("received")
        .state(|d| assert_eq!(d.due_at, Some(at("2026-02-25T16:00"))));
}

// --- the 3-level era (receipt before 01/07/2025) ----------------------------------------------

/// Desk of Phường Tân Định (26734), Quận 1 (760), in the 3-level list only.
fn tan_dinh_desk() -> motcua_domain::units::AgencyId {
    agency("MC.26734")
}

#[test]
fn a_dossier_received_before_the_reform_keeps_the_decree_61_rules_and_3_level_catalogue() {
    let now = at("2025-06-16T09:00");
    let body = CommandBody::Receive {
        code: Some(code_of(&tan_dinh_desk(), now, 3)),
        procedure: Some(procedure("1.013978")),
        channel: Some(Channel::Direct),
        applicant: Some(nguyen_van_a()),
        handling_agency: agency("UB.760"),
        digitised: true,
    };
    given_new()
        .when(
            officer("tn.quan1", Role::Reception, tan_dinh_desk()),
            body,
            now,
        )
        .then_event("received")
        .status(2)
        .state(|d| {
            assert_eq!(d.rule_set.as_deref(), Some("nd61-2018"));
            assert_eq!(d.procedure, Some(reference_of("1.013978", 1)));
            assert_eq!(d.time_limit, Some(TimeLimit::WorkingDays(20)));
            // Four plain weeks: 16/06 09:00 + 20 working days.
            assert_eq!(d.due_at, Some(at("2025-07-14T09:00")));
            assert_eq!(d.handling_agency, Some(agency("UB.760")));
        });
}

#[test]
fn a_birth_registration_of_june_2025_is_received_under_the_3_level_catalogue() {
    // Before the reform the Phường Sài Gòn code 26740 belonged to Phường Bến Nghé (Quận 1); the
    // derived desk MC.26740 exists in both lists, and its receipt on 16/06/2025 must find the
    // version of 1.001193 in force then (version 1, 3-level list).
    let now = at("2025-06-16T09:00");
    given_new()
        .when(
            reception(),
            receive_new("1.001193", Channel::Direct, ward(), now),
            now,
        )
        .then_event("received")
        .state(|d| {
            assert_eq!(d.procedure, Some(reference_of("1.001193", 1)));
            assert_eq!(d.rule_set.as_deref(), Some("nd61-2018"));
            assert_eq!(d.due_at, Some(at("2025-06-16T17:00")));
        });
}

#[test]
fn an_online_submission_before_the_reform_uses_the_3_level_catalogue() {
    given_new()
        .when(
            citizen(),
            CommandBody::SubmitOnline {
                procedure: procedure("1.004222"),
                applicant: nguyen_van_a(),
                receiving_agency: tan_dinh_desk(),
            },
            at("2025-06-16T09:00"),
        )
        .then_event("submitted")
        .state(|d| assert_eq!(d.procedure, Some(reference_of("1.004222", 1))));
}

// --- clock hours (Law on Civil Status 03/2026/QH16, from 01/03/2027) ------------------------

#[test]
fn a_clock_hours_limit_counts_from_the_receipt_itself() {
    // Received on Friday 05/03/2027 at 20:00: due 24 hours later, on Saturday at 20:00, and the
    // clock started at the receipt, not on Monday morning.
    let now = at("2027-03-05T20:00");
    given_new()
        .with_reference(civil_status_2027())
        .when(
            reception(),
            receive_new("1.001193", Channel::Direct, ward(), now),
            now,
        )
        .then_event("received")
        .status(2)
        .state(|d| {
            assert_eq!(d.procedure, Some(reference_of("1.001193", 3)));
            assert_eq!(d.time_limit, Some(TimeLimit::ClockHours(24)));
            assert_eq!(d.clock_started_at, Some(now));
            assert_eq!(d.due_at, Some(at("2027-03-06T20:00")));
        });
}
