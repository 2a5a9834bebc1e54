//! The state of a dossier, folded from its events by `evolve`.
//!
//! `evolve` only moves state: it never refuses and never computes a rule; everything it needs was
//! decided and written into the event by `decide`. Replaying the same events always gives the
//! same state.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::actor::Applicant;
use super::event::{Event, EventBody, Proposal, ReturnMethod, Satisfaction};
use crate::calendar::{TimeLimit, Timeliness};
use crate::catalogue::{CatalogueRef, Channel};
use crate::code::DossierCode;
use crate::units::AgencyId;

/// Where a dossier is inside handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Waiting at the holder for an officer.
    Waiting,
    /// An officer is in charge.
    Assigned,
    /// Appraised; not yet put to the head.
    Appraised,
    /// With the head for approval.
    PendingApproval,
    /// Approved and signed.
    Approved,
    /// Result document issued.
    Issued,
}

/// The stage a paused dossier goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "stage", content = "step")]
pub enum Resume {
    /// At the desk, not yet forwarded.
    Received,
    /// In handling.
    InProgress(Step),
}

/// The lifecycle stage of a dossier; finer than the national status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "stage")]
pub enum Stage {
    /// No event yet.
    New,
    /// Submitted online, waiting for intake.
    Submitted,
    /// Online dossier sent back for completion before intake.
    IntakeSupplement,
    /// Refused at intake (final).
    IntakeRefused,
    /// Accepted at the desk, not yet handed to the handling office.
    Received,
    /// In handling.
    InProgress {
        /// Where in handling.
        step: Step,
    },
    /// Waiting for the applicant's supplement; clock paused.
    Supplement {
        /// Where it goes back to.
        resume: Resume,
    },
    /// Waiting for a fee or tax.
    AwaitingPayment {
        /// Where it goes back to.
        resume: Resume,
    },
    /// Processing finished; result at the desk.
    ResultReady,
    /// Result handed over (final).
    Returned,
    /// Withdrawn by the applicant (final).
    Withdrawn,
    /// Processing stopped (final).
    Stopped,
    /// Closed because the supplement never came (final).
    Closed,
}

impl Stage {
    /// No command but feedback can follow.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Stage::IntakeRefused
                | Stage::Returned
                | Stage::Withdrawn
                | Stage::Stopped
                | Stage::Closed
        )
    }

    /// Received and not finished: the clock matters.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Stage::Received
                | Stage::InProgress { .. }
                | Stage::Supplement { .. }
                | Stage::AwaitingPayment { .. }
        )
    }
}

/// The national status code (TrangThaiHoSo) used when syncing to the national portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 1 Mới đăng ký.
    Submitted,
    /// 2 Được tiếp nhận.
    Received,
    /// 3 Không được tiếp nhận.
    Denied,
    /// 4 Đang xử lý.
    Processing,
    /// 5 Yêu cầu bổ sung giấy tờ.
    Supplement,
    /// 6 Yêu cầu thực hiện nghĩa vụ tài chính.
    Paying,
    /// 7 Công dân yêu cầu rút hồ sơ.
    Withdrawn,
    /// 8 Dừng xử lý.
    Stopped,
    /// 9 Đã xử lý xong.
    ResultReady,
    /// 10 Đã trả kết quả.
    Returned,
}

impl Status {
    /// The national code, 1 to 10.
    pub fn national_code(self) -> u8 {
        match self {
            Status::Submitted => 1,
            Status::Received => 2,
            Status::Denied => 3,
            Status::Processing => 4,
            Status::Supplement => 5,
            Status::Paying => 6,
            Status::Withdrawn => 7,
            Status::Stopped => 8,
            Status::ResultReady => 9,
            Status::Returned => 10,
        }
    }

    /// The Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Status::Submitted => "Mới đăng ký",
            Status::Received => "Được tiếp nhận",
            Status::Denied => "Không được tiếp nhận",
            Status::Processing => "Đang xử lý",
            Status::Supplement => "Yêu cầu bổ sung giấy tờ",
            Status::Paying => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Status::Withdrawn => "Công dân yêu cầu rút hồ sơ",
            Status::Stopped => "Dừng xử lý",
            Status::ResultReady => "Đã xử lý xong",
            Status::Returned => "Đã trả kết quả",
        }
    }
}

/// A pause of the clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// Why the clock stopped.
    pub kind: PauseKind,
    /// From.
    pub from: Timestamp,
    /// Until, once the dossier went on.
    pub to: Option<Timestamp>,
}

/// Why a clock stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseKind {
    /// Waiting for a supplement.
    Supplement,
    /// Waiting for a fee or tax.
    Fee,
}

/// One row of the control slip (Form 05).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handover {
    /// Handing over.
    pub from: AgencyId,
    /// Receiving.
    pub to: AgencyId,
    /// When.
    pub at: Timestamp,
    /// Result of the step that ended.
    pub step_result: Timeliness,
}

/// The folded state of one dossier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dossier {
    /// Lifecycle stage.
    pub stage: Stage,
    /// Code from the receipt slip.
    pub code: Option<DossierCode>,
    /// Pinned procedure version.
    pub procedure: Option<CatalogueRef>,
    /// Channel.
    pub channel: Option<Channel>,
    /// The applicant.
    #[serde(skip)]
    pub applicant: Option<Applicant>,
    /// Portal account of an online applicant.
    pub applicant_account: Option<String>,
    /// Desk that received it (and returns the result).
    pub receiving_agency: Option<AgencyId>,
    /// Competent office.
    pub handling_agency: Option<AgencyId>,
    /// Office holding the dossier now.
    pub holder: Option<AgencyId>,
    /// Officer in charge at the holder.
    pub officer: Option<String>,
    /// Rule set pinned at receipt.
    pub rule_set: Option<String>,
    /// Time limit on the dossier's channel.
    pub time_limit: Option<TimeLimit>,
    /// Online submission time.
    pub submitted_at: Option<Timestamp>,
    /// Intake deadline of an online submission.
    pub intake_due_at: Option<Timestamp>,
    /// Receipt (NgayTiepNhan).
    pub received_at: Option<Timestamp>,
    /// Start of the running time limit (moves on a restart after a supplement).
    pub clock_started_at: Option<Timestamp>,
    /// Appointment on the receipt slip.
    pub due_at_initial: Option<Timestamp>,
    /// Current appointment told to the applicant (NgayHenTra).
    pub due_at: Option<Timestamp>,
    /// The deadline the dossier is judged against: moves with pauses and a timely apology, never
    /// with an apology made after it passed.
    pub deadline: Option<Timestamp>,
    /// Due time of the current step.
    pub step_due_at: Option<Timestamp>,
    /// Start of the current step.
    pub step_started_at: Option<Timestamp>,
    /// Clock pauses, in order.
    pub pauses: Vec<Pause>,
    /// Supplement requests during handling.
    pub supplement_requests: u32,
    /// An apology was made.
    pub apologised: bool,
    /// Control-slip rows.
    pub handovers: Vec<Handover>,
    /// The appraisal's proposal.
    pub proposal: Option<Proposal>,
    /// Result document number.
    pub document_no: Option<String>,
    /// Result issued electronically.
    pub electronic_result: bool,
    /// Digitised at receipt.
    pub digitised: bool,
    /// Amount asked and not yet paid.
    pub fee_due_vnd: Option<u64>,
    /// Amount paid.
    pub fee_paid_vnd: u64,
    /// Paid online.
    pub paid_online: bool,
    /// End of processing (NgayKetThucXuLy).
    pub resolved_at: Option<Timestamp>,
    /// Timeliness at the end of processing.
    pub timeliness: Option<Timeliness>,
    /// Handed over (NgayTra).
    pub returned_at: Option<Timestamp>,
    /// How it was handed over.
    pub return_method: Option<ReturnMethod>,
    /// Withdrawn, stopped, closed or refused at intake: when.
    pub ended_at: Option<Timestamp>,
    /// Applicant rating.
    pub satisfaction: Option<Satisfaction>,
    /// Commands already applied (idempotency beyond the log's duplicate window).
    pub applied_commands: BTreeSet<Uuid>,
    /// Time of the last event.
    pub last_event_at: Option<Timestamp>,
    /// Number of events applied.
    pub version: u64,
}

impl Default for Dossier {
    fn default() -> Self {
        Dossier::new()
    }
}

impl Dossier {
    /// A dossier with no history.
    pub fn new() -> Dossier {
        Dossier {
            stage: Stage::New,
            code: None,
            procedure: None,
            channel: None,
            applicant: None,
            applicant_account: None,
            receiving_agency: None,
            handling_agency: None,
            holder: None,
            officer: None,
            rule_set: None,
            time_limit: None,
            submitted_at: None,
            intake_due_at: None,
            received_at: None,
            clock_started_at: None,
            due_at_initial: None,
            due_at: None,
            deadline: None,
            step_due_at: None,
            step_started_at: None,
            pauses: Vec::new(),
            supplement_requests: 0,
            apologised: false,
            handovers: Vec::new(),
            proposal: None,
            document_no: None,
            electronic_result: false,
            digitised: false,
            fee_due_vnd: None,
            fee_paid_vnd: 0,
            paid_online: false,
            resolved_at: None,
            timeliness: None,
            returned_at: None,
            return_method: None,
            ended_at: None,
            satisfaction: None,
            applied_commands: BTreeSet::new(),
            last_event_at: None,
            version: 0,
        }
    }

    /// Folds a history.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Dossier {
        events.into_iter().fold(Dossier::new(), |d, e| d.evolve(e))
    }

    /// The national status, `None` before the first event.
    pub fn status(&self) -> Option<Status> {
        Some(match self.stage {
            Stage::New => return None,
            Stage::Submitted => Status::Submitted,
            Stage::IntakeSupplement | Stage::Supplement { .. } => Status::Supplement,
            Stage::IntakeRefused => Status::Denied,
            Stage::Received => Status::Received,
            Stage::InProgress { .. } => Status::Processing,
            Stage::AwaitingPayment { .. } => Status::Paying,
            Stage::ResultReady => Status::ResultReady,
            Stage::Returned => Status::Returned,
            Stage::Withdrawn => Status::Withdrawn,
            Stage::Stopped | Stage::Closed => Status::Stopped,
        })
    }

    /// The open pause, if the clock is stopped.
    pub fn open_pause(&self) -> Option<&Pause> {
        self.pauses.last().filter(|p| p.to.is_none())
    }

    /// Applies one event. Never fails: events are facts.
    pub fn evolve(mut self, event: &Event) -> Dossier {
        let at = event.at;
        self.applied_commands.insert(event.command_id);
        self.last_event_at = Some(at);
        self.version += 1;
        match &event.body {
            EventBody::Submitted {
                procedure,
                applicant,
                receiving_agency,
                intake_due_at,
            } => {
                self.stage = Stage::Submitted;
                self.procedure = Some(procedure.clone());
                self.channel = Some(Channel::Online);
                self.applicant = Some(applicant.clone());
                self.applicant_account = Some(event.actor.id.clone());
                self.receiving_agency = Some(receiving_agency.clone());
                self.holder = Some(receiving_agency.clone());
                self.submitted_at = Some(at);
                self.intake_due_at = Some(*intake_due_at);
            }
            EventBody::IntakeSupplementRequested { .. } => self.stage = Stage::IntakeSupplement,
            EventBody::IntakeSupplementProvided { intake_due_at } => {
                self.stage = Stage::Submitted;
                self.intake_due_at = Some(*intake_due_at);
            }
            EventBody::IntakeRefused { .. } => {
                self.stage = Stage::IntakeRefused;
                self.ended_at = Some(at);
                self.holder = None;
            }
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
                intake_late: _,
                digitised,
            } => {
                self.stage = Stage::Received;
                self.code = Some(code.clone());
                self.procedure = Some(procedure.clone());
                self.channel = Some(*channel);
                if let Some(a) = applicant {
                    self.applicant = Some(a.clone());
                }
                self.receiving_agency = Some(receiving_agency.clone());
                self.handling_agency = Some(handling_agency.clone());
                self.holder = Some(receiving_agency.clone());
                self.rule_set = Some(rule_set.clone());
                self.time_limit = Some(*time_limit);
                self.received_at = Some(at);
                self.clock_started_at = Some(*clock_started_at);
                self.due_at_initial = Some(*due_at);
                self.due_at = Some(*due_at);
                self.deadline = Some(*due_at);
                self.step_started_at = Some(at);
                self.step_due_at = Some(*due_at);
                self.digitised = *digitised;
            }
            EventBody::Forwarded {
                from,
                to,
                step_result,
                step_due_at,
                note: _,
            } => {
                self.handovers.push(Handover {
                    from: from.clone(),
                    to: to.clone(),
                    at,
                    step_result: *step_result,
                });
                self.holder = Some(to.clone());
                self.officer = None;
                self.stage = Stage::InProgress {
                    step: Step::Waiting,
                };
                self.step_started_at = Some(at);
                self.step_due_at = Some(*step_due_at);
            }
            EventBody::Assigned { officer } => {
                self.officer = Some(officer.clone());
                self.stage = Stage::InProgress {
                    step: Step::Assigned,
                };
            }
            EventBody::Appraised { proposal, .. } => {
                self.proposal = Some(proposal.clone());
                self.stage = Stage::InProgress {
                    step: Step::Appraised,
                };
            }
            EventBody::SupplementRequested { number, .. } => {
                self.supplement_requests = *number;
                let resume = self.resume_point();
                self.stage = Stage::Supplement { resume };
                self.pauses.push(Pause {
                    kind: PauseKind::Supplement,
                    from: at,
                    to: None,
                });
            }
            EventBody::SupplementProvided {
                clock_started_at,
                due_at,
            } => {
                self.close_pause(at);
                if let Stage::Supplement { resume } = self.stage {
                    self.stage = resume.into();
                }
                self.clock_started_at = Some(*clock_started_at);
                self.move_due(*due_at);
            }
            EventBody::SupplementExpired { .. } => {
                self.close_pause(at);
                self.stage = Stage::Closed;
                self.ended_at = Some(at);
            }
            EventBody::FeeRequested { amount_vnd, .. } => {
                self.fee_due_vnd = Some(*amount_vnd);
                let resume = self.resume_point();
                self.stage = Stage::AwaitingPayment { resume };
                self.pauses.push(Pause {
                    kind: PauseKind::Fee,
                    from: at,
                    to: None,
                });
            }
            EventBody::FeePaid {
                amount_vnd,
                method,
                due_at,
            } => {
                self.close_pause(at);
                self.fee_due_vnd = None;
                // Saturating: `evolve` is total, and two fees of any size may be asked and paid.
                self.fee_paid_vnd = self.fee_paid_vnd.saturating_add(*amount_vnd);
                self.paid_online |= matches!(method, super::event::PaymentMethod::OnlinePortal);
                if let Stage::AwaitingPayment { resume } = self.stage {
                    self.stage = resume.into();
                }
                self.move_due(*due_at);
            }
            EventBody::SubmittedForApproval => {
                self.stage = Stage::InProgress {
                    step: Step::PendingApproval,
                }
            }
            EventBody::Approved => {
                self.stage = Stage::InProgress {
                    step: Step::Approved,
                }
            }
            EventBody::ApprovalRejected { .. } => {
                self.stage = Stage::InProgress {
                    step: Step::Assigned,
                };
                self.proposal = None;
            }
            EventBody::Issued {
                document_no,
                electronic,
            } => {
                self.document_no = Some(document_no.clone());
                self.electronic_result = *electronic;
                self.stage = Stage::InProgress { step: Step::Issued };
            }
            EventBody::ResultReady {
                desk, timeliness, ..
            } => {
                if self.holder.as_ref() != Some(desk)
                    && let Some(from) = self.holder.clone()
                {
                    self.handovers.push(Handover {
                        from,
                        to: desk.clone(),
                        at,
                        step_result: *timeliness,
                    });
                }
                self.holder = Some(desk.clone());
                self.stage = Stage::ResultReady;
                self.resolved_at = Some(at);
                self.timeliness = Some(*timeliness);
            }
            EventBody::Returned { method } => {
                self.stage = Stage::Returned;
                self.returned_at = Some(at);
                self.return_method = Some(*method);
            }
            EventBody::Withdrawn { .. } => {
                self.close_pause(at);
                self.stage = Stage::Withdrawn;
                self.ended_at = Some(at);
            }
            EventBody::Stopped { .. } => {
                self.close_pause(at);
                self.stage = Stage::Stopped;
                self.ended_at = Some(at);
            }
            EventBody::Apologised {
                new_due_at,
                extends_deadline,
                ..
            } => {
                self.apologised = true;
                self.due_at = Some(*new_due_at);
                if *extends_deadline {
                    self.deadline = Some(*new_due_at);
                }
            }
            EventBody::FeedbackRecorded { satisfaction, .. } => {
                self.satisfaction = Some(*satisfaction);
            }
        }
        self
    }

    fn resume_point(&self) -> Resume {
        match self.stage {
            Stage::InProgress { step } => Resume::InProgress(step),
            _ => Resume::Received,
        }
    }

    fn close_pause(&mut self, at: Timestamp) {
        if let Some(p) = self.pauses.last_mut().filter(|p| p.to.is_none()) {
            p.to = Some(at);
        }
    }

    /// A pause moves both the appointment and the deadline; never earlier.
    fn move_due(&mut self, due_at: Timestamp) {
        self.due_at = self.due_at.max(Some(due_at));
        self.deadline = self.deadline.max(Some(due_at));
        self.step_due_at = self.step_due_at.max(Some(due_at)).min(self.deadline);
    }

    /// Checks the invariants every reachable state satisfies; used by tests and by projectors
    /// that want to detect a corrupted history.
    pub fn check_invariants(&self) -> Result<(), String> {
        let err = |m: &str| Err(m.to_owned());
        let received = self.received_at.is_some();
        if self.stage == Stage::New {
            return if self.version == 0 {
                Ok(())
            } else {
                err("new dossier with events")
            };
        }
        if self.stage.is_open() || matches!(self.stage, Stage::ResultReady | Stage::Returned) {
            if !received || self.code.is_none() || self.due_at.is_none() || self.deadline.is_none()
            {
                return err("received dossier without code or due time");
            }
            if self.holder.is_none() {
                return err("open dossier without a holder");
            }
        }
        if let (Some(c), Some(d)) = (self.clock_started_at, self.deadline)
            && d < c
        {
            return err("deadline before the clock start");
        }
        if let (Some(i), Some(d)) = (self.due_at_initial, self.deadline)
            && d < i
        {
            return err("deadline earlier than the first appointment");
        }
        if matches!(self.stage, Stage::ResultReady | Stage::Returned) != self.resolved_at.is_some()
        {
            return err("end of processing recorded in the wrong stage");
        }
        if matches!(self.stage, Stage::ResultReady | Stage::Returned) && self.document_no.is_none()
        {
            return err("result without a document");
        }
        if (self.stage == Stage::Returned) != self.returned_at.is_some() {
            return err("return recorded in the wrong stage");
        }
        if let (Some(r), Some(t)) = (self.resolved_at, self.returned_at)
            && t < r
        {
            return err("returned before processing ended");
        }
        let open_pauses = self.pauses.iter().filter(|p| p.to.is_none()).count();
        let paused = matches!(
            self.stage,
            Stage::Supplement { .. } | Stage::AwaitingPayment { .. }
        );
        if open_pauses != usize::from(paused) {
            return err("open pause does not match the stage");
        }
        for w in self.pauses.windows(2) {
            match w[0].to {
                Some(to) if to <= w[1].from => {}
                _ => return err("overlapping pauses"),
            }
        }
        if self.pauses.iter().any(|p| p.to.is_some_and(|t| t < p.from)) {
            return err("pause ends before it starts");
        }
        let supplements = self
            .pauses
            .iter()
            .filter(|p| p.kind == PauseKind::Supplement)
            .count();
        if supplements != self.supplement_requests as usize {
            return err("supplement count does not match the pauses");
        }
        if let Stage::InProgress { step } = self.stage
            && matches!(step, Step::PendingApproval | Step::Approved | Step::Issued)
            && self.proposal.is_none()
        {
            return err("approval without an appraisal");
        }
        if self.stage == Stage::IntakeRefused && self.holder.is_some() {
            return err("refused dossier still held");
        }
        Ok(())
    }
}

impl From<Resume> for Stage {
    fn from(r: Resume) -> Stage {
        match r {
            Resume::Received => Stage::Received,
            Resume::InProgress(step) => Stage::InProgress { step },
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use uuid::Uuid;

    use super::Dossier;
    use crate::Reference;
    use crate::code::DossierCode;
    use crate::dossier::{Actor, Applicant, Command, CommandBody, PaymentMethod, Role, decide};

    /// Found by the `dossier_walk` fuzz target: two fees whose sum passes `u64::MAX` were both
    /// accepted, and folding the second payment overflowed (a panic with overflow checks, a
    /// wrapped total without).
    #[test]
    fn fees_beyond_u64_max_in_total_do_not_overflow() {
        let reference = Reference::official();
        let ctx = reference.context();
        let desk: crate::units::AgencyId = "MC.26737".parse().expect("agency id");
        let reception = Actor::officer("tn.nguyen", Role::Reception, desk.clone());
        let officer = Actor::officer("cv.tran", Role::HandlingOfficer, desk.clone());
        let received_at: Timestamp = "2025-11-24T02:00:00Z".parse().expect("time");
        let later: Timestamp = "2026-02-27T02:00:00Z".parse().expect("time");
        let day = reference.calendar.local_date(received_at);
        let steps = [
            (
                received_at,
                reception.clone(),
                CommandBody::Receive {
                    code: DossierCode::new(desk.clone(), day, 1).ok(),
                    procedure: Some("3.000347".parse().expect("procedure")),
                    channel: None,
                    applicant: Some(Applicant::named("Nguyễn Văn An")),
                    handling_agency: "UB.79".parse().expect("agency id"),
                    digitised: false,
                },
            ),
            (
                later,
                officer.clone(),
                CommandBody::RequestFee {
                    amount_vnd: 17_464_357_609_642_537_932,
                    reason: "Bản sao CCCD".to_owned(),
                },
            ),
            (
                later,
                reception.clone(),
                CommandBody::PayFee {
                    amount_vnd: 17_464_357_609_642_537_932,
                    method: PaymentMethod::Transfer,
                },
            ),
            (
                later,
                officer,
                CommandBody::RequestFee {
                    amount_vnd: 1_513_209_474_796_486_655,
                    reason: "x".to_owned(),
                },
            ),
            (
                later,
                reception,
                CommandBody::PayFee {
                    amount_vnd: 1_513_209_474_796_486_655,
                    method: PaymentMethod::Cash,
                },
            ),
        ];
        let mut state = Dossier::new();
        for (n, (at, actor, body)) in steps.into_iter().enumerate() {
            let command = Command {
                id: Uuid::from_u128(n as u128 + 1),
                actor,
                body,
            };
            let events = decide(&state, &command, at, &ctx).expect("accepted");
            for e in &events {
                state = state.evolve(e);
            }
            state.check_invariants().expect("invariants hold");
        }
        assert_eq!(state.fee_paid_vnd, u64::MAX);
    }
}
