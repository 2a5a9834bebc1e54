//! How a dossier ends other than by its result: withdrawal by the applicant (status 7), stopped
//! processing (status 8); and the applicant's rating (Decision 766 group 5).

mod common;

use common::*;
use motcua_domain::dossier::{CommandBody, EventBody, ReturnMethod, Role, Satisfaction, Stage};

fn withdraw(reason: &str) -> CommandBody {
    CommandBody::Withdraw {
        reason: reason.to_owned(),
    }
}

fn stop(reason: &str) -> CommandBody {
    CommandBody::Stop {
        reason: reason.to_owned(),
    }
}

fn rate(satisfaction: Satisfaction) -> CommandBody {
    CommandBody::RecordFeedback {
        satisfaction,
        comment: Some("Cán bộ hướng dẫn tận tình".to_owned()),
    }
}

/// An online company registration handled by the city, assigned on 24/11/2025.
fn online_in_progress() -> Story {
    Story::submitted("2.001583", "2025-11-24T07:30")
        .then(
            reception(),
            receive_online(city(), at("2025-11-24T09:00")),
            "2025-11-24T09:00",
        )
        .then(reception(), forward(city()), "2025-11-24T09:30")
        .then(city_approver(), assign("cv.dang"), "2025-11-24T10:00")
}

// --- withdraw ------------------------------------------------------------------------------

#[test]
fn the_applicant_withdraws_an_online_dossier_from_the_portal() {
    given(online_in_progress().events())
        .when(
            citizen(),
            withdraw("Đã nộp hồ sơ ở nơi khác"),
            at("2025-11-25T08:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::Withdrawn { reason } => assert_eq!(reason, "Đã nộp hồ sơ ở nơi khác"),
            other => panic!("unexpected {other:?}"),
        })
        .status(7)
        .state(|d| {
            assert_eq!(d.stage, Stage::Withdrawn);
            assert_eq!(d.ended_at, Some(at("2025-11-25T08:00")));
            assert_eq!(d.resolved_at, None);
        });
}

#[test]
fn an_online_dossier_may_be_withdrawn_before_intake() {
    given(Story::submitted("1.001193", "2025-11-24T07:30").events())
        .when(
            citizen(),
            withdraw("Nộp nhầm thủ tục"),
            at("2025-11-24T08:00"),
        )
        .then_event("withdrawn")
        .status(7);
}

#[test]
fn the_receiving_desk_records_a_withdrawal_on_paper() {
    // Held by the ward committee; the applicant comes back to the desk that received it.
    given(business_assigned().events())
        .when(
            reception(),
            withdraw("Đơn xin rút hồ sơ"),
            at("2025-11-25T08:00"),
        )
        .then_event("withdrawn")
        .status(7);
}

#[test]
fn a_withdrawal_during_a_supplement_closes_the_pause() {
    let story = business_assigned().then(
        handler(),
        request_supplement(&["Giấy ủy quyền"]),
        "2025-11-25T10:00",
    );
    given(story.events())
        .when(
            reception(),
            withdraw("Không bổ sung được"),
            at("2025-11-28T08:00"),
        )
        .then_event("withdrawn")
        .status(7)
        .state(|d| {
            assert_eq!(d.pauses[0].to, Some(at("2025-11-28T08:00")));
            assert_eq!(d.open_pause(), None);
        });
}

#[test]
fn nobody_withdraws_a_dossier_whose_result_is_issued() {
    let issued = business_issued();
    given(issued.events())
        .when(reception(), withdraw("Đổi ý"), at("2025-11-26T10:00"))
        .then_error("invalid_state");
    let ready = issued.result_ready("2025-11-26T10:00");
    given(ready.events())
        .when(reception(), withdraw("Đổi ý"), at("2025-11-26T11:00"))
        .then_error("invalid_state");
    let returned = ready.then(
        reception(),
        CommandBody::ReturnResult {
            method: ReturnMethod::Desk,
        },
        "2025-11-26T14:00",
    );
    given(returned.events())
        .when(reception(), withdraw("Đổi ý"), at("2025-11-27T11:00"))
        .then_error("invalid_state");
}

#[test]
fn only_the_filing_account_or_the_receiving_desk_may_withdraw() {
    given(online_in_progress().events())
        .when(stranger(), withdraw("?"), at("2025-11-25T08:00"))
        .then_error("not_applicant");
    // A paper dossier has no portal account: the applicant goes through the desk.
    given(business_assigned().events())
        .when(citizen(), withdraw("?"), at("2025-11-25T08:00"))
        .then_error("not_applicant");
    given(business_assigned().events())
        .when(other_reception(), withdraw("?"), at("2025-11-25T08:00"))
        .then_error("not_holder");
    given(business_assigned().events())
        .when(handler(), withdraw("?"), at("2025-11-25T08:00"))
        .then_error("wrong_role");
}

// --- stop ----------------------------------------------------------------------------------

#[test]
fn the_head_of_the_holding_office_stops_processing() {
    given(business_assigned().events())
        .when(
            approver(),
            stop("Có văn bản tạm dừng của cơ quan có thẩm quyền"),
            at("2025-11-25T08:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::Stopped { reason } => assert!(reason.contains("tạm dừng")),
            other => panic!("unexpected {other:?}"),
        })
        .status(8)
        .state(|d| {
            assert_eq!(d.stage, Stage::Stopped);
            assert_eq!(d.ended_at, Some(at("2025-11-25T08:00")));
            assert!(d.stage.is_final());
        });
}

#[test]
fn the_administrator_stops_a_dossier_wherever_it_is() {
    let story = business_assigned().then(
        handler(),
        CommandBody::RequestFee {
            amount_vnd: 100_000,
            reason: "Lệ phí".to_owned(),
        },
        "2025-11-25T10:00",
    );
    given(story.events())
        .when(admin(), stop("Hồ sơ nhập trùng"), at("2025-11-25T11:00"))
        .then_event("stopped")
        .status(8)
        .state(|d| assert_eq!(d.open_pause(), None, "the fee pause is closed"));
}

#[test]
fn only_the_holding_office_head_or_an_administrator_may_stop() {
    let story = business_assigned();
    given(story.events())
        .when(city_approver(), stop("?"), at("2025-11-25T08:00"))
        .then_error("not_holder");
    given(story.events())
        .when(reception(), stop("?"), at("2025-11-25T08:00"))
        .then_error("wrong_role");
    given(story.events())
        .when(handler(), stop("?"), at("2025-11-25T08:00"))
        .then_error("wrong_role");
}

#[test]
fn a_finished_dossier_cannot_be_stopped() {
    let ready = business_issued().result_ready("2025-11-26T10:00");
    given(ready.events())
        .when(admin(), stop("?"), at("2025-11-26T11:00"))
        .then_error("invalid_state");
    let submitted = Story::submitted("1.001193", "2025-11-24T07:30");
    given(submitted.events())
        .when(admin(), stop("?"), at("2025-11-24T08:00"))
        .then_error("invalid_state");
}

// --- record_feedback -----------------------------------------------------------------------

#[test]
fn the_applicant_rates_the_service_once() {
    let story = online_in_progress()
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
        );
    let rated = given(story.events())
        .when(
            citizen(),
            rate(Satisfaction::Satisfied),
            at("2025-11-26T20:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::FeedbackRecorded {
                satisfaction,
                comment,
            } => {
                assert_eq!(*satisfaction, Satisfaction::Satisfied);
                assert_eq!(comment.as_deref(), Some("Cán bộ hướng dẫn tận tình"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(10)
        .state(|d| assert_eq!(d.satisfaction, Some(Satisfaction::Satisfied)));
    rated
        .and()
        .when(
            citizen(),
            rate(Satisfaction::Dissatisfied),
            at("2025-11-27T20:00"),
        )
        .then_error("already_rated");
}

#[test]
fn the_desk_records_the_rating_of_a_paper_dossier() {
    let story = business_issued().result_ready("2025-11-26T10:00").then(
        reception(),
        CommandBody::ReturnResult {
            method: ReturnMethod::Desk,
        },
        "2025-11-26T14:00",
    );
    given(story.events())
        .when(
            reception(),
            rate(Satisfaction::Neutral),
            at("2025-11-26T14:05"),
        )
        .then_event("feedback_recorded")
        .status(10);
    given(story.events())
        .when(clerk(), rate(Satisfaction::Neutral), at("2025-11-26T14:05"))
        .then_error("wrong_role");
}

#[test]
fn a_withdrawn_dossier_may_still_be_rated() {
    let story = business_assigned().then(
        reception(),
        withdraw("Đơn xin rút hồ sơ"),
        "2025-11-25T08:00",
    );
    given(story.events())
        .when(
            officer("tn.nguyen", Role::Reception, desk()),
            rate(Satisfaction::Dissatisfied),
            at("2025-11-25T08:05"),
        )
        .then_event("feedback_recorded")
        .status(7);
}

#[test]
fn an_issued_result_cannot_be_stopped_only_returned() {
    given(business_issued().events())
        .when(admin(), stop("?"), at("2025-11-26T10:00"))
        .then_error("invalid_state");
}
