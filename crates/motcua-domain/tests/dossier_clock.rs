//! The clock of a received dossier: supplement requests (pause, restart, expiry), financial
//! obligations (pause, continue) and the apology with a new appointment
//! (DOMAIN.md §2.4, §7.5–7.7; Decree 118/2025 Art. 19.5–19.6).
//!
//! The running example is a household business registration (1.001612, 3 working days) received
//! at the Phường Sài Gòn desk on Monday 24/11/2025 at 09:00 and due Thursday 27/11 at 09:00.

mod common;

use common::*;
use motcua_domain::calendar::Timeliness;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{
    CommandBody, DomainError, EventBody, PauseKind, PaymentMethod, Resume, Stage, Step,
};

const DUE: &str = "2025-11-27T09:00";

fn supplement_requested() -> Story {
    business_assigned().then(
        handler(),
        request_supplement(&["Bản sao hợp đồng thuê mặt bằng"]),
        "2025-11-25T10:00",
    )
}

fn apologise(reason: &str, new_due: &str) -> CommandBody {
    CommandBody::Apologise {
        reason: reason.to_owned(),
        new_due_at: at(new_due),
    }
}

// --- request_supplement --------------------------------------------------------------------

#[test]
fn a_supplement_request_pauses_the_clock() {
    given(business_assigned().events())
        .when(
            handler(),
            request_supplement(&["Bản sao hợp đồng thuê mặt bằng", "Giấy ủy quyền"]),
            at("2025-11-25T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::SupplementRequested {
                items,
                number,
                late_request,
            } => {
                assert_eq!(items.len(), 2);
                assert_eq!(*number, 1);
                assert!(!late_request);
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(5)
        .state(|d| {
            assert_eq!(
                d.stage,
                Stage::Supplement {
                    resume: Resume::InProgress(Step::Assigned)
                }
            );
            assert_eq!(d.supplement_requests, 1);
            assert_eq!(d.pauses.len(), 1);
            assert_eq!(d.pauses[0].kind, PauseKind::Supplement);
            assert_eq!(d.pauses[0].from, at("2025-11-25T10:00"));
            assert_eq!(d.pauses[0].to, None);
            assert_eq!(
                d.due_at,
                Some(at(DUE)),
                "the appointment moves only at completion"
            );
        });
}

#[test]
fn the_desk_may_ask_for_a_supplement_before_forwarding() {
    let done = given(business_received().events())
        .when(
            reception(),
            request_supplement(&["Bản sao CCCD của chủ hộ"]),
            at("2025-11-24T09:15"),
        )
        .then_event("supplement_requested")
        .status(5)
        .state(|d| {
            assert_eq!(
                d.stage,
                Stage::Supplement {
                    resume: Resume::Received
                }
            );
        });
    done.and()
        .when(
            reception(),
            CommandBody::ProvideSupplement,
            at("2025-11-24T10:00"),
        )
        .then_event("supplement_provided")
        .status(2)
        .state(|d| assert_eq!(d.stage, Stage::Received));
}

#[test]
fn a_request_after_3_working_days_is_recorded_and_flagged() {
    let story = business_assigned();
    for (when, late) in [
        ("2025-11-27T09:00", false),
        ("2025-11-27T09:01", true),
        ("2025-11-28T10:00", true),
    ] {
        given(story.events())
            .when(handler(), request_supplement(&["Giấy ủy quyền"]), at(when))
            .then_events(|events| match &events[0].body {
                EventBody::SupplementRequested { late_request, .. } => {
                    assert_eq!(*late_request, late, "requested at {when}");
                }
                other => panic!("unexpected {other:?}"),
            })
            .status(5);
    }
}

#[test]
fn a_second_request_is_numbered_2() {
    let story = supplement_requested().then(
        reception(),
        CommandBody::ProvideSupplement,
        "2025-11-26T09:00",
    );
    given(story.events())
        .when(
            handler(),
            request_supplement(&["Bản chính hợp đồng thuê"]),
            at("2025-11-26T14:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::SupplementRequested { number, .. } => assert_eq!(*number, 2),
            other => panic!("unexpected {other:?}"),
        })
        .status(5)
        .state(|d| {
            assert_eq!(d.supplement_requests, 2);
            assert_eq!(d.pauses.len(), 2);
            assert_eq!(d.pauses[0].to, Some(at("2025-11-26T09:00")));
        });
}

// --- provide_supplement --------------------------------------------------------------------

#[test]
fn a_completed_dossier_restarts_the_time_limit_from_the_completion() {
    // Completed Monday 01/12 14:00: 3 working days again, due Thursday 04/12 14:00.
    given(supplement_requested().events())
        .when(
            reception(),
            CommandBody::ProvideSupplement,
            at("2025-12-01T14:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::SupplementProvided {
                clock_started_at,
                due_at,
            } => {
                assert_eq!(*clock_started_at, at("2025-12-01T14:00"));
                assert_eq!(*due_at, at("2025-12-04T14:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(
                d.stage,
                Stage::InProgress {
                    step: Step::Assigned
                }
            );
            assert_eq!(d.due_at, Some(at("2025-12-04T14:00")));
            assert_eq!(d.deadline, Some(at("2025-12-04T14:00")));
            assert_eq!(
                d.due_at_initial,
                Some(at(DUE)),
                "the receipt slip keeps its date"
            );
            assert_eq!(d.clock_started_at, Some(at("2025-12-01T14:00")));
            assert_eq!(d.pauses[0].to, Some(at("2025-12-01T14:00")));
            assert_eq!(d.open_pause(), None);
        });
}

#[test]
fn a_completion_after_hours_restarts_the_clock_the_next_morning() {
    given(supplement_requested().events())
        .when(
            reception(),
            CommandBody::ProvideSupplement,
            at("2025-12-01T18:00"),
        )
        .then_event("supplement_provided")
        .state(|d| {
            assert_eq!(d.clock_started_at, Some(at("2025-12-02T07:00")));
            assert_eq!(d.due_at, Some(at("2025-12-04T17:00")));
        });
}

#[test]
fn even_a_quick_completion_moves_the_due_time_later() {
    let story = business_assigned().then(
        handler(),
        request_supplement(&["Giấy ủy quyền"]),
        "2025-11-24T10:30",
    );
    given(story.events())
        .when(
            reception(),
            CommandBody::ProvideSupplement,
            at("2025-11-24T11:00"),
        )
        .then_event("supplement_provided")
        .state(|d| assert_eq!(d.due_at, Some(at("2025-11-27T11:00"))));
}

#[test]
fn a_restart_never_makes_the_due_time_earlier() {
    // A timely apology moved the appointment to 19/12; the restart (due 04/12) keeps it.
    let story = business_assigned()
        .then(
            handler(),
            apologise("Chờ ý kiến cơ quan thuế", "2025-12-19T17:00"),
            "2025-11-25T08:00",
        )
        .then(
            handler(),
            request_supplement(&["Giấy ủy quyền"]),
            "2025-11-25T10:00",
        );
    given(story.events())
        .when(
            reception(),
            CommandBody::ProvideSupplement,
            at("2025-12-01T14:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::SupplementProvided { due_at, .. } => {
                assert_eq!(*due_at, at("2025-12-19T17:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .state(|d| {
            assert_eq!(d.due_at, Some(at("2025-12-19T17:00")));
            assert_eq!(d.deadline, Some(at("2025-12-19T17:00")));
        });
}

#[test]
fn the_applicant_completes_an_online_dossier_through_the_portal() {
    let story = Story::submitted("1.001612", "2025-11-24T07:30")
        .then(
            reception(),
            receive_online(ward(), at("2025-11-24T09:00")),
            "2025-11-24T09:00",
        )
        .forwarded("2025-11-24T09:30")
        .assigned("2025-11-24T10:00")
        .then(
            handler(),
            request_supplement(&["Giấy ủy quyền"]),
            "2025-11-25T10:00",
        );
    given(story.events())
        .when(
            citizen(),
            CommandBody::ProvideSupplement,
            at("2025-12-01T14:00"),
        )
        .then_event("supplement_provided")
        .status(4);
}

// --- expire_supplement ---------------------------------------------------------------------

#[test]
fn a_supplement_that_never_came_closes_the_dossier_after_15_days() {
    let story = supplement_requested();
    // Requested 25/11 10:00: the period runs until 10/12 10:00.
    let err = given(story.events())
        .when(
            system(),
            CommandBody::ExpireSupplement,
            at("2025-12-10T09:59"),
        )
        .then_error("supplement_not_expired");
    assert_eq!(
        err,
        DomainError::SupplementNotExpired {
            until: at("2025-12-10T10:00")
        }
    );
    given(story.events())
        .when(
            system(),
            CommandBody::ExpireSupplement,
            at("2025-12-10T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::SupplementExpired { requested_at } => {
                assert_eq!(*requested_at, at("2025-11-25T10:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(8)
        .state(|d| {
            assert_eq!(d.stage, Stage::Closed);
            assert_eq!(d.ended_at, Some(at("2025-12-10T10:00")));
            assert_eq!(d.pauses[0].to, Some(at("2025-12-10T10:00")));
            assert!(d.stage.is_final());
        });
}

#[test]
fn the_receiving_desk_may_close_an_expired_supplement() {
    given(supplement_requested().events())
        .when(
            reception(),
            CommandBody::ExpireSupplement,
            at("2025-12-15T08:00"),
        )
        .then_event("supplement_expired")
        .status(8);
}

// --- request_fee / pay_fee -----------------------------------------------------------------

fn fee_requested() -> Story {
    business_assigned().then(
        handler(),
        CommandBody::RequestFee {
            amount_vnd: 100_000,
            reason: "Lệ phí đăng ký hộ kinh doanh".to_owned(),
        },
        "2025-11-25T10:00",
    )
}

#[test]
fn a_fee_request_pauses_the_clock() {
    given(business_assigned().events())
        .when(
            handler(),
            CommandBody::RequestFee {
                amount_vnd: 100_000,
                reason: "Lệ phí đăng ký hộ kinh doanh".to_owned(),
            },
            at("2025-11-25T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::FeeRequested { amount_vnd, reason } => {
                assert_eq!(*amount_vnd, 100_000);
                assert!(reason.starts_with("Lệ phí"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(6)
        .state(|d| {
            assert_eq!(
                d.stage,
                Stage::AwaitingPayment {
                    resume: Resume::InProgress(Step::Assigned)
                }
            );
            assert_eq!(d.fee_due_vnd, Some(100_000));
            assert_eq!(d.pauses[0].kind, PauseKind::Fee);
            assert_eq!(d.open_pause().map(|p| p.from), Some(at("2025-11-25T10:00")));
        });
}

#[test]
fn paying_resumes_the_clock_with_the_time_left() {
    // Paused Tuesday 10:00 with 15 working hours left; paid Thursday 10:00 → due Monday 09:00.
    given(fee_requested().events())
        .when(
            reception(),
            CommandBody::PayFee {
                amount_vnd: 100_000,
                method: PaymentMethod::Cash,
            },
            at("2025-11-27T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::FeePaid {
                amount_vnd,
                method,
                due_at,
            } => {
                assert_eq!(*amount_vnd, 100_000);
                assert_eq!(*method, PaymentMethod::Cash);
                assert_eq!(*due_at, at("2025-12-01T09:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(
                d.stage,
                Stage::InProgress {
                    step: Step::Assigned
                }
            );
            assert_eq!(d.fee_due_vnd, None);
            assert_eq!(d.fee_paid_vnd, 100_000);
            assert!(!d.paid_online);
            assert_eq!(d.due_at, Some(at("2025-12-01T09:00")));
            assert_eq!(d.deadline, Some(at("2025-12-01T09:00")));
            assert_eq!(
                d.clock_started_at,
                Some(at("2025-11-24T09:00")),
                "no restart"
            );
            assert_eq!(d.open_pause(), None);
        });
}

#[test]
fn a_payment_of_another_amount_is_refused() {
    let err = given(fee_requested().events())
        .when(
            reception(),
            CommandBody::PayFee {
                amount_vnd: 50_000,
                method: PaymentMethod::Cash,
            },
            at("2025-11-27T10:00"),
        )
        .then_error("wrong_amount");
    assert_eq!(
        err,
        DomainError::WrongAmount {
            asked: 100_000,
            paid: 50_000
        }
    );
}

#[test]
fn the_applicant_pays_online_and_the_clerk_may_record_a_payment() {
    let story = Story::submitted("2.001583", "2025-11-24T07:30")
        .then(
            reception(),
            receive_online(city(), at("2025-11-24T09:00")),
            "2025-11-24T09:00",
        )
        .then(
            reception(),
            CommandBody::RequestFee {
                amount_vnd: 50_000,
                reason: "Lệ phí đăng ký doanh nghiệp".to_owned(),
            },
            "2025-11-24T09:10",
        );
    given(story.events())
        .when(
            citizen(),
            CommandBody::PayFee {
                amount_vnd: 50_000,
                method: PaymentMethod::OnlinePortal,
            },
            at("2025-11-24T09:40"),
        )
        .then_event("fee_paid")
        .status(2)
        .state(|d| {
            assert!(d.paid_online);
            // 30 minutes paused: the appointment moves by 30 working minutes.
            assert_eq!(d.due_at, Some(at("2025-11-27T09:30")));
        });
    given(fee_requested().events())
        .when(
            clerk(),
            CommandBody::PayFee {
                amount_vnd: 100_000,
                method: PaymentMethod::Transfer,
            },
            at("2025-11-25T11:00"),
        )
        .then_event("fee_paid");
}

// --- apologise -----------------------------------------------------------------------------

#[test]
fn a_timely_apology_sets_a_new_appointment_and_deadline() {
    // Due Thursday 09:00: an apology by Wednesday 09:00 is at least one working day before.
    for when in ["2025-11-25T15:00", "2025-11-26T09:00"] {
        given(business_assigned().events())
            .when(
                handler(),
                apologise("Chờ xác minh địa điểm kinh doanh", "2025-12-05T17:00"),
                at(when),
            )
            .then_events(|events| match &events[0].body {
                EventBody::Apologised {
                    reason,
                    previous_due_at,
                    new_due_at,
                    timely,
                    extends_deadline,
                } => {
                    assert_eq!(reason, "Chờ xác minh địa điểm kinh doanh");
                    assert_eq!(*previous_due_at, at(DUE));
                    assert_eq!(*new_due_at, at("2025-12-05T17:00"));
                    assert!(timely, "apology at {when}");
                    assert!(extends_deadline);
                }
                other => panic!("unexpected {other:?}"),
            })
            .status(4)
            .state(|d| {
                assert!(d.apologised);
                assert_eq!(d.due_at, Some(at("2025-12-05T17:00")));
                assert_eq!(d.deadline, Some(at("2025-12-05T17:00")));
                assert_eq!(d.due_at_initial, Some(at(DUE)));
            });
    }
}

#[test]
fn an_apology_on_the_last_day_is_flagged_but_still_moves_the_deadline() {
    given(business_assigned().events())
        .when(
            approver(),
            apologise("Chờ xác minh địa điểm kinh doanh", "2025-12-05T17:00"),
            at("2025-11-26T16:00"),
        )
        .then_events(|events| {
            assert!(matches!(
                events[0].body,
                EventBody::Apologised {
                    timely: false,
                    extends_deadline: true,
                    ..
                }
            ));
        })
        .state(|d| assert_eq!(d.deadline, Some(at("2025-12-05T17:00"))));
}

#[test]
fn an_apology_after_the_deadline_moves_the_appointment_but_not_the_lateness() {
    let apologised = given(business_assigned().events())
        .when(
            handler(),
            apologise("Chờ xác minh địa điểm kinh doanh", "2025-12-05T17:00"),
            at("2025-11-28T10:00"),
        )
        .then_events(|events| {
            assert!(matches!(
                events[0].body,
                EventBody::Apologised {
                    timely: false,
                    extends_deadline: false,
                    ..
                }
            ));
        })
        .status(4)
        .state(|d| {
            assert!(d.apologised);
            assert_eq!(
                d.due_at,
                Some(at("2025-12-05T17:00")),
                "the applicant is told"
            );
            assert_eq!(d.deadline, Some(at(DUE)), "the deadline does not move");
        });
    // Resolved before the new appointment but after the deadline: still late.
    let resolved = apologised
        .and()
        .when(handler(), appraise_grant(), at("2025-12-01T08:00"))
        .then_event("appraised")
        .and()
        .when(
            handler(),
            CommandBody::SubmitForApproval,
            at("2025-12-01T09:00"),
        )
        .then_event("submitted_for_approval")
        .and()
        .when(approver(), CommandBody::Approve, at("2025-12-01T10:00"))
        .then_event("approved")
        .and()
        .when(clerk(), issue("55/HKD"), at("2025-12-01T11:00"))
        .then_event("issued")
        .and()
        .when(
            clerk(),
            CommandBody::MarkResultReady,
            at("2025-12-01T14:00"),
        )
        .then_event("result_ready");
    assert_eq!(resolved.state.timeliness, Some(Timeliness::Late));
}

#[test]
fn only_one_apology_and_only_to_a_later_appointment() {
    let story = business_assigned().then(
        handler(),
        apologise("Chờ xác minh", "2025-12-05T17:00"),
        "2025-11-25T15:00",
    );
    given(story.events())
        .when(
            approver(),
            apologise("Chờ thêm ý kiến", "2025-12-12T17:00"),
            at("2025-11-26T08:00"),
        )
        .then_error("already_rescheduled");
    for new_due in [DUE, "2025-11-26T17:00"] {
        let err = given(business_assigned().events())
            .when(
                handler(),
                apologise("Chờ xác minh", new_due),
                at("2025-11-25T15:00"),
            )
            .then_error("new_due_not_later");
        assert_eq!(
            err,
            DomainError::NewDueNotLater {
                new: at(new_due),
                current: at(DUE)
            }
        );
    }
}

#[test]
fn a_paused_dossier_may_be_apologised_for() {
    given(supplement_requested().events())
        .when(
            handler(),
            apologise("Chờ hồ sơ bổ sung", "2025-12-12T17:00"),
            at("2025-11-25T11:00"),
        )
        .then_event("apologised")
        .status(5);
}

#[test]
fn a_postal_dossier_keeps_its_channel_through_the_pauses() {
    let story = Story::received("1.013225", Channel::Postal, ward(), "2025-11-24T09:00")
        .forwarded("2025-11-24T10:00")
        .assigned("2025-11-24T11:00")
        .then(
            handler(),
            request_supplement(&["Bản vẽ thiết kế"]),
            "2025-11-25T09:00",
        );
    // Restarted on Wednesday 03/12: 20 calendar days → Tuesday 23/12 at the close.
    given(story.events())
        .when(
            reception(),
            CommandBody::ProvideSupplement,
            at("2025-12-03T10:00"),
        )
        .then_event("supplement_provided")
        .state(|d| {
            assert_eq!(d.channel, Some(Channel::Postal));
            assert_eq!(d.due_at, Some(at("2025-12-23T17:00")));
        });
}

#[test]
fn a_clock_hours_limit_restarts_at_the_completion_itself() {
    // 24 clock hours (civil status, from 01/03/2027): completed on Friday 12/03/2027 at 19:00,
    // due Saturday 13/03 at 19:00, the clock restarted at the completion.
    let story = Story::on(civil_status_2027())
        .then(
            reception(),
            receive_new("1.001193", Channel::Direct, ward(), at("2027-03-08T10:00")),
            "2027-03-08T10:00",
        )
        .then(
            reception(),
            request_supplement(&["Giấy chứng sinh"]),
            "2027-03-08T15:00",
        );
    assert_eq!(story.state().due_at, Some(at("2027-03-09T10:00")));
    given(story.events())
        .with_reference(civil_status_2027())
        .when(
            reception(),
            CommandBody::ProvideSupplement,
            at("2027-03-12T19:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::SupplementProvided {
                clock_started_at,
                due_at,
            } => {
                assert_eq!(*clock_started_at, at("2027-03-12T19:00"));
                assert_eq!(*due_at, at("2027-03-13T19:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(2);
}

#[test]
fn a_supplement_asked_after_the_deadline_does_not_cure_the_lateness() {
    // Due Thursday 27/11 09:00; the supplement is asked on Friday, completed on Monday.
    let story = business_assigned()
        .then(
            handler(),
            request_supplement(&["Bản sao hợp đồng thuê mặt bằng"]),
            "2025-11-28T10:00",
        )
        .then(
            reception(),
            CommandBody::ProvideSupplement,
            "2025-12-01T08:00",
        );
    given(story.events())
        .when(handler(), appraise_grant(), at("2025-12-01T09:00"))
        .then_event("appraised")
        .state(|d| assert_eq!(d.deadline, Some(at("2025-11-27T09:00"))));
}
