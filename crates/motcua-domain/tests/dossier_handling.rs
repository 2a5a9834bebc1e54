//! Handling: transfer to the competent office and liaison hops (control slip, Form 05),
//! assignment, appraisal, approval, issue, the end of processing and the return of the result
//! (DOMAIN.md §2.3–2.6, §7.7).

mod common;

use common::*;
use motcua_domain::calendar::Timeliness;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{
    CommandBody, EventBody, Handover, Proposal, ReturnMethod, Role, Stage, Step,
};

fn in_progress(step: Step) -> Stage {
    Stage::InProgress { step }
}

// --- forward -------------------------------------------------------------------------------

#[test]
fn the_desk_forwards_the_dossier_to_the_handling_office() {
    let story = business_received();
    given(story.events())
        .when(
            reception(),
            CommandBody::Forward {
                to: ward(),
                note: Some("Hồ sơ giấy chuyển trong ngày".to_owned()),
            },
            at("2025-11-24T09:30"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::Forwarded {
                from,
                to,
                step_result,
                step_due_at,
                note,
            } => {
                assert_eq!(from, &desk());
                assert_eq!(to, &ward());
                assert_eq!(*step_result, Timeliness::Early);
                // No liaison route: the step is due with the dossier.
                assert_eq!(*step_due_at, at("2025-11-27T09:00"));
                assert_eq!(note.as_deref(), Some("Hồ sơ giấy chuyển trong ngày"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(d.stage, in_progress(Step::Waiting));
            assert_eq!(d.holder, Some(ward()));
            assert_eq!(d.officer, None);
            assert_eq!(d.step_started_at, Some(at("2025-11-24T09:30")));
            assert_eq!(
                d.handovers,
                [Handover {
                    from: desk(),
                    to: ward(),
                    at: at("2025-11-24T09:30"),
                    step_result: Timeliness::Early,
                }]
            );
        });
}

#[test]
fn a_province_procedure_goes_from_the_ward_desk_to_the_city() {
    let story = Story::received("2.001583", Channel::Direct, city(), "2025-11-24T09:00");
    given(story.events())
        .when(reception(), forward(city()), at("2025-11-24T14:00"))
        .then_event("forwarded")
        .status(4)
        .state(|d| {
            assert_eq!(d.holder, Some(city()));
            assert_eq!(d.step_due_at, Some(at("2025-11-27T09:00")));
        });
}

#[test]
fn the_handling_office_can_pass_the_dossier_on() {
    // Assigned at the ward, then found to be the city's: the officer forwards it.
    let story = business_assigned();
    given(story.events())
        .when(handler(), forward(city()), at("2025-11-25T09:00"))
        .then_event("forwarded")
        .status(4)
        .state(|d| {
            assert_eq!(d.holder, Some(city()));
            assert_eq!(d.officer, None, "the new office assigns its own officer");
            assert_eq!(d.stage, in_progress(Step::Waiting));
            assert_eq!(d.handovers.len(), 2);
            assert_eq!(d.handovers[1].from, ward());
        });
}

#[test]
fn a_step_handed_over_after_its_due_time_is_late_on_the_control_slip() {
    // Birth registration due Monday 17:00, forwarded Tuesday morning.
    let story = birth_received();
    given(story.events())
        .when(reception(), forward(ward()), at("2025-11-25T08:00"))
        .then_events(|events| {
            assert!(matches!(
                events[0].body,
                EventBody::Forwarded {
                    step_result: Timeliness::Late,
                    ..
                }
            ));
        })
        .state(|d| assert_eq!(d.handovers[0].step_result, Timeliness::Late));
    given(story.events())
        .when(reception(), forward(ward()), at("2025-11-24T16:00"))
        .then_events(|events| {
            assert!(matches!(
                events[0].body,
                EventBody::Forwarded {
                    step_result: Timeliness::OnTime,
                    ..
                }
            ));
        });
}

/// Land registration (1.013978 version 1, 3-level list, 20 working days, liaison route
/// `commune:40;district:60`) received on Monday 16/06/2025 at the Phường Tân Định desk of
/// Quận 1; due Monday 14/07 at 09:00.
fn land_registration_2025_06() -> Story {
    let now = "2025-06-16T09:00";
    Story::new().then(
        officer("tn.quan1", Role::Reception, agency("MC.26734")),
        CommandBody::Receive {
            code: Some(code_of(&agency("MC.26734"), at(now), 12)),
            procedure: Some(procedure("1.013978")),
            channel: Some(Channel::Direct),
            applicant: Some(nguyen_van_a()),
            handling_agency: agency("UB.760"),
            digitised: true,
        },
        now,
    )
}

#[test]
fn a_liaison_hop_gets_its_level_share_of_the_time_limit() {
    let story = land_registration_2025_06();
    assert_eq!(story.state().due_at, Some(at("2025-07-14T09:00")));
    // Desk → ward committee (commune level, 40 %): 8 of the 20 working days.
    let to_ward = given(story.events())
        .when(
            officer("tn.quan1", Role::Reception, agency("MC.26734")),
            forward(agency("UB.26734")),
            at("2025-06-16T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::Forwarded {
                step_result,
                step_due_at,
                ..
            } => {
                assert_eq!(*step_result, Timeliness::Early);
                assert_eq!(*step_due_at, at("2025-06-26T10:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(4);
    // Ward → district (60 %): 12 working days from the hop, within the dossier's deadline.
    let ward_approver = officer("ld.tandinh", Role::Approver, agency("UB.26734"));
    to_ward
        .and()
        .when(
            ward_approver.clone(),
            forward(agency("UB.760")),
            at("2025-06-20T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::Forwarded {
                from,
                to,
                step_result,
                step_due_at,
                ..
            } => {
                assert_eq!(from, &agency("UB.26734"));
                assert_eq!(to, &agency("UB.760"));
                assert_eq!(*step_result, Timeliness::Early);
                assert_eq!(*step_due_at, at("2025-07-08T10:00"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(d.handovers.len(), 2);
            assert_eq!(d.holder, Some(agency("UB.760")));
            assert_eq!(d.step_due_at, Some(at("2025-07-08T10:00")));
        });
    // The ward's step was due 26/06 10:00: a hop on 27/06 is late on the slip, and the
    // district's share is cut at the dossier's deadline.
    to_ward
        .and()
        .when(
            ward_approver,
            forward(agency("UB.760")),
            at("2025-06-27T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::Forwarded {
                step_result,
                step_due_at,
                ..
            } => {
                assert_eq!(*step_result, Timeliness::Late);
                assert_eq!(*step_due_at, at("2025-07-14T09:00"));
            }
            other => panic!("unexpected {other:?}"),
        });
}

// --- assign --------------------------------------------------------------------------------

#[test]
fn the_head_of_the_office_assigns_an_officer() {
    let story = business_received().forwarded("2025-11-24T09:30");
    given(story.events())
        .when(approver(), assign("cv.tran"), at("2025-11-24T10:00"))
        .then_events(|events| match &events[0].body {
            EventBody::Assigned { officer } => assert_eq!(officer, "cv.tran"),
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(d.stage, in_progress(Step::Assigned));
            assert_eq!(d.officer.as_deref(), Some("cv.tran"));
        });
}

#[test]
fn a_handling_officer_may_take_the_dossier_and_it_may_be_reassigned() {
    let story = business_received().forwarded("2025-11-24T09:30");
    let taken = given(story.events())
        .when(handler(), assign("cv.tran"), at("2025-11-24T10:00"))
        .then_event("assigned");
    taken
        .and()
        .when(approver(), assign("cv.vo"), at("2025-11-24T11:00"))
        .then_event("assigned")
        .state(|d| assert_eq!(d.officer.as_deref(), Some("cv.vo")));
}

#[test]
fn an_on_the_spot_procedure_is_handled_at_the_desk() {
    // The desk's own head assigns without forwarding (flow on_the_spot).
    let story = birth_received();
    given(story.events())
        .when(
            officer("ld.desk", Role::Approver, desk()),
            assign("tn.nguyen"),
            at("2025-11-24T09:05"),
        )
        .then_event("assigned")
        .status(4)
        .state(|d| {
            assert_eq!(d.holder, Some(desk()));
            assert!(d.handovers.is_empty());
        });
}

// --- appraise ------------------------------------------------------------------------------

#[test]
fn the_assigned_officer_proposes_to_grant() {
    given(business_assigned().events())
        .when(handler(), appraise_grant(), at("2025-11-25T10:00"))
        .then_events(|events| match &events[0].body {
            EventBody::Appraised { proposal, opinion } => {
                assert_eq!(proposal, &Proposal::Grant);
                assert!(opinion.contains("hợp lệ"));
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(d.stage, in_progress(Step::Appraised));
            assert_eq!(d.proposal, Some(Proposal::Grant));
        });
}

#[test]
fn the_assigned_officer_proposes_to_refuse_and_may_revise() {
    let refused = given(business_assigned().events())
        .when(
            handler(),
            appraise_refuse("Ngành nghề kinh doanh thuộc danh mục cấm"),
            at("2025-11-25T10:00"),
        )
        .then_event("appraised")
        .status(4)
        .state(|d| {
            assert_eq!(
                d.proposal,
                Some(Proposal::Refuse {
                    reason: "Ngành nghề kinh doanh thuộc danh mục cấm".to_owned()
                })
            );
        });
    refused
        .and()
        .when(handler(), appraise_grant(), at("2025-11-25T11:00"))
        .then_event("appraised")
        .state(|d| assert_eq!(d.proposal, Some(Proposal::Grant)));
}

// --- submit_for_approval / approve / reject_approval ---------------------------------------

#[test]
fn the_appraisal_goes_to_the_head_who_approves() {
    let story = business_assigned().appraised("2025-11-25T10:00");
    let pending = given(story.events())
        .when(
            handler(),
            CommandBody::SubmitForApproval,
            at("2025-11-25T11:00"),
        )
        .then_event("submitted_for_approval")
        .status(4)
        .state(|d| assert_eq!(d.stage, in_progress(Step::PendingApproval)));
    pending
        .and()
        .when(approver(), CommandBody::Approve, at("2025-11-26T08:00"))
        .then_event("approved")
        .status(4)
        .state(|d| {
            assert_eq!(d.stage, in_progress(Step::Approved));
            assert_eq!(d.proposal, Some(Proposal::Grant));
        });
}

#[test]
fn a_rejected_appraisal_goes_back_to_the_officer() {
    let story = business_assigned()
        .appraised("2025-11-25T10:00")
        .pending_approval("2025-11-25T11:00");
    let rejected = given(story.events())
        .when(
            approver(),
            CommandBody::RejectApproval {
                reason: "Bổ sung căn cứ pháp lý".to_owned(),
            },
            at("2025-11-26T08:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::ApprovalRejected { reason } => assert_eq!(reason, "Bổ sung căn cứ pháp lý"),
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(d.stage, in_progress(Step::Assigned));
            assert_eq!(d.officer.as_deref(), Some("cv.tran"));
            assert_eq!(d.proposal, None, "the rejected appraisal no longer stands");
        });
    // Only a new appraisal can go back to the head.
    rejected
        .and()
        .when(
            handler(),
            CommandBody::SubmitForApproval,
            at("2025-11-26T09:00"),
        )
        .then_error("invalid_state");
    rejected
        .and()
        .when(handler(), appraise_grant(), at("2025-11-26T09:00"))
        .then_event("appraised");
}

// --- issue ---------------------------------------------------------------------------------

#[test]
fn the_clerk_numbers_and_issues_the_result() {
    let story = business_assigned()
        .appraised("2025-11-25T10:00")
        .pending_approval("2025-11-25T11:00")
        .approved("2025-11-26T08:00");
    given(story.events())
        .when(
            clerk(),
            CommandBody::Issue {
                document_no: "41A8012345".to_owned(),
                electronic: true,
            },
            at("2025-11-26T09:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::Issued {
                document_no,
                electronic,
            } => {
                assert_eq!(document_no, "41A8012345");
                assert!(electronic);
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(4)
        .state(|d| {
            assert_eq!(d.stage, in_progress(Step::Issued));
            assert_eq!(d.document_no.as_deref(), Some("41A8012345"));
            assert!(d.electronic_result);
        });
}

// --- mark_result_ready ---------------------------------------------------------------------

#[test]
fn the_result_goes_back_to_the_receiving_desk_with_a_control_slip_row() {
    // Due Thursday 27/11 09:00; ready Wednesday: before the deadline.
    given(business_issued().events())
        .when(
            clerk(),
            CommandBody::MarkResultReady,
            at("2025-11-26T10:00"),
        )
        .then_events(|events| match &events[0].body {
            EventBody::ResultReady {
                outcome,
                desk: to,
                timeliness,
            } => {
                assert_eq!(outcome, &Proposal::Grant);
                assert_eq!(to, &desk());
                assert_eq!(*timeliness, Timeliness::Early);
            }
            other => panic!("unexpected {other:?}"),
        })
        .status(9)
        .state(|d| {
            assert_eq!(d.stage, Stage::ResultReady);
            assert_eq!(d.holder, Some(desk()));
            assert_eq!(d.resolved_at, Some(at("2025-11-26T10:00")));
            assert_eq!(d.timeliness, Some(Timeliness::Early));
            assert_eq!(d.handovers.len(), 2);
            assert_eq!(
                d.handovers[1],
                Handover {
                    from: ward(),
                    to: desk(),
                    at: at("2025-11-26T10:00"),
                    step_result: Timeliness::Early,
                }
            );
        });
}

#[test]
fn timeliness_of_the_result_is_judged_against_the_deadline() {
    let story = business_issued();
    for (when, expected) in [
        ("2025-11-26T16:59", Timeliness::Early),
        ("2025-11-27T07:30", Timeliness::OnTime),
        ("2025-11-27T09:00", Timeliness::OnTime),
        ("2025-11-27T09:01", Timeliness::Late),
        ("2025-12-01T08:00", Timeliness::Late),
    ] {
        given(story.events())
            .when(clerk(), CommandBody::MarkResultReady, at(when))
            .then_event("result_ready")
            .status(9)
            .state(|d| assert_eq!(d.timeliness, Some(expected), "ready at {when}"));
    }
}

#[test]
fn a_refusal_is_a_result_too() {
    let story = business_assigned()
        .then(
            handler(),
            appraise_refuse("Tên hộ kinh doanh trùng"),
            "2025-11-25T10:00",
        )
        .pending_approval("2025-11-25T11:00")
        .approved("2025-11-26T08:00")
        .then(clerk(), issue("12/TB-UBND"), "2025-11-26T09:00");
    given(story.events())
        .when(
            handler(),
            CommandBody::MarkResultReady,
            at("2025-11-26T10:00"),
        )
        .then_events(|events| {
            assert!(matches!(
                &events[0].body,
                EventBody::ResultReady {
                    outcome: Proposal::Refuse { .. },
                    ..
                }
            ));
        })
        .status(9);
}

#[test]
fn a_result_made_at_the_desk_adds_no_handover() {
    let desk_head = officer("ld.desk", Role::Approver, desk());
    let desk_officer = officer("tn.nguyen", Role::HandlingOfficer, desk());
    let story = birth_received()
        .then(desk_head.clone(), assign("tn.nguyen"), "2025-11-24T09:05")
        .then(desk_officer.clone(), appraise_grant(), "2025-11-24T09:30")
        .then(
            desk_officer.clone(),
            CommandBody::SubmitForApproval,
            "2025-11-24T09:35",
        )
        .then(desk_head, CommandBody::Approve, "2025-11-24T10:00")
        .then(
            officer("vt.desk", Role::Clerk, desk()),
            issue("TLKS-0001"),
            "2025-11-24T10:30",
        );
    given(story.events())
        .when(
            desk_officer,
            CommandBody::MarkResultReady,
            at("2025-11-24T10:45"),
        )
        .then_event("result_ready")
        .status(9)
        .state(|d| {
            assert!(d.handovers.is_empty());
            assert_eq!(d.timeliness, Some(Timeliness::OnTime));
        });
}

// --- return_result -------------------------------------------------------------------------

#[test]
fn the_desk_hands_the_result_over_by_every_method() {
    let story = business_issued().result_ready("2025-11-26T10:00");
    for method in [
        ReturnMethod::Desk,
        ReturnMethod::Post,
        ReturnMethod::Electronic,
    ] {
        given(story.events())
            .when(
                reception(),
                CommandBody::ReturnResult { method },
                at("2025-11-27T08:00"),
            )
            .then_events(|events| match &events[0].body {
                EventBody::Returned { method: m } => assert_eq!(*m, method),
                other => panic!("unexpected {other:?}"),
            })
            .status(10)
            .state(|d| {
                assert_eq!(d.stage, Stage::Returned);
                assert_eq!(d.returned_at, Some(at("2025-11-27T08:00")));
                assert_eq!(d.return_method, Some(method));
                assert_eq!(d.resolved_at, Some(at("2025-11-26T10:00")));
            });
    }
}

#[test]
fn the_whole_life_of_an_online_dossier() {
    // Submitted Sunday night, accepted Monday, handled by the city, returned electronically.
    let story = Story::submitted("2.001583", "2025-11-23T21:00")
        .then(
            reception(),
            receive_online(city(), at("2025-11-24T08:00")),
            "2025-11-24T08:00",
        )
        .then(reception(), forward(city()), "2025-11-24T08:30")
        .then(city_approver(), assign("cv.dang"), "2025-11-24T09:00")
        .then(city_handler(), appraise_grant(), "2025-11-25T09:00")
        .then(
            city_handler(),
            CommandBody::SubmitForApproval,
            "2025-11-25T10:00",
        )
        .then(city_approver(), CommandBody::Approve, "2025-11-25T14:00")
        .then(
            city_clerk(),
            CommandBody::Issue {
                document_no: "0318123456".to_owned(),
                electronic: true,
            },
            "2025-11-25T15:00",
        )
        .then(
            city_clerk(),
            CommandBody::MarkResultReady,
            "2025-11-25T15:30",
        );
    let d = story.state();
    assert_eq!(d.due_at, Some(at("2025-11-27T08:00")));
    assert_eq!(d.timeliness, Some(Timeliness::Early));
    assert_eq!(d.holder, Some(desk()));
    given(story.events())
        .when(
            reception(),
            CommandBody::ReturnResult {
                method: ReturnMethod::Electronic,
            },
            at("2025-11-25T16:00"),
        )
        .then_event("returned")
        .status(10)
        .state(|d| {
            let slip: Vec<(String, String)> = d
                .handovers
                .iter()
                .map(|h| (h.from.to_string(), h.to.to_string()))
                .collect();
            assert_eq!(
                slip,
                [
                    ("MC.26740".to_owned(), "UB.79".to_owned()),
                    ("UB.79".to_owned(), "MC.26740".to_owned())
                ]
            );
            assert_eq!(d.version, 10);
        });
}
