//! What happened to a dossier. Events are facts: `evolve` applies them without judging them.
//!
//! Every event carries the instant it happened (event time, the only time reports use), the actor
//! and the command that produced it. The wire form is `{"type": "received", …}`; the CloudEvents
//! type is `vn.motcua.dossier.<type>.v1`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::actor::{Actor, Applicant};
use crate::calendar::{TimeLimit, Timeliness};
use crate::catalogue::{CatalogueRef, Channel};
use crate::code::DossierCode;
use crate::units::AgencyId;

/// One event of a dossier's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened (event time).
    pub at: Timestamp,
    /// Who did it, in which role, for which office.
    pub actor: Actor,
    /// The command that produced it; one command produces one commit of one or more events.
    pub command_id: Uuid,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

/// The outcome the appraisal proposes and the approver confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Proposal {
    /// Grant what was asked.
    Grant,
    /// Refuse, with the reason the refusal letter gives (Art. 19.3).
    Refuse {
        /// Reason given to the applicant.
        reason: String,
    },
}

/// How the result reaches the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethod {
    /// At the one-stop desk.
    Desk,
    /// By public postal service.
    Post,
    /// Electronically, with a digital signature.
    Electronic,
}

/// How a fee was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash at the desk.
    Cash,
    /// Bank transfer.
    Transfer,
    /// Online through the national portal's payment platform.
    OnlinePortal,
}

/// The applicant's view of how the dossier was handled (Decision 766 group 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// Hài lòng.
    Satisfied,
    /// Bình thường.
    Neutral,
    /// Không hài lòng.
    Dissatisfied,
}

/// What happened, with the facts that the rules derived at the time (due times, step results), so
/// that a reader never has to re-run the rules of a past rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// Submitted online through the portal; not yet accepted (national status 1).
    Submitted {
        /// The procedure version in force at submission.
        procedure: CatalogueRef,
        /// The applicant.
        applicant: Applicant,
        /// The desk the portal routed the dossier to.
        receiving_agency: AgencyId,
        /// When the desk must have accepted it or asked for a supplement (8 working hours).
        intake_due_at: Timestamp,
    },
    /// The desk asked for the online dossier to be completed before accepting it (Form 02).
    IntakeSupplementRequested {
        /// Everything missing, listed once.
        items: Vec<String>,
    },
    /// The applicant completed the online dossier; the intake clock starts again.
    IntakeSupplementProvided {
        /// New intake deadline.
        intake_due_at: Timestamp,
    },
    /// Refused at intake (Form 03; national status 3).
    IntakeRefused {
        /// Reason given to the applicant.
        reason: String,
    },
    /// Accepted: code issued, receipt slip printed, clock started (national status 2).
    Received {
        /// The dossier code on the receipt slip.
        code: DossierCode,
        /// Procedure version pinned for the dossier's whole life.
        procedure: CatalogueRef,
        /// Submission channel.
        channel: Channel,
        /// The applicant, unless already given at online submission.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        applicant: Option<Applicant>,
        /// The desk that received it.
        receiving_agency: AgencyId,
        /// The competent office that will decide.
        handling_agency: AgencyId,
        /// Rule set applied for the whole life of the dossier.
        rule_set: String,
        /// The time limit of the procedure on this channel.
        time_limit: TimeLimit,
        /// Start of the time limit (the receipt, normalised into working time).
        clock_started_at: Timestamp,
        /// Appointment on the receipt slip (ngày hẹn trả).
        due_at: Timestamp,
        /// An online dossier accepted after its 8-working-hour intake deadline.
        #[serde(default)]
        intake_late: bool,
        /// The paper dossier was scanned and signed at receipt (Decision 766 4.2).
        #[serde(default)]
        digitised: bool,
    },
    /// Handed over to another office: one row of the control slip (Form 05).
    Forwarded {
        /// The office handing over.
        from: AgencyId,
        /// The office receiving it.
        to: AgencyId,
        /// The result of the step that ends with this handover.
        step_result: Timeliness,
        /// Due time of the next step at `to`.
        step_due_at: Timestamp,
        /// Free note on the slip.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An officer was put in charge.
    Assigned {
        /// The officer's account id.
        officer: String,
    },
    /// The officer's appraisal (thẩm định).
    Appraised {
        /// Grant or refuse.
        proposal: Proposal,
        /// The opinion as written.
        opinion: String,
    },
    /// The handling office asked for a supplement; the clock is paused (national status 5).
    SupplementRequested {
        /// Everything missing, listed once.
        items: Vec<String>,
        /// Which request this is for the dossier (1 for the first).
        number: u32,
        /// Requested later than the rule set's window after receipt (3 working days).
        late_request: bool,
    },
    /// The applicant completed the dossier; the clock runs again.
    SupplementProvided {
        /// When the clock starts again.
        clock_started_at: Timestamp,
        /// The new appointment.
        due_at: Timestamp,
    },
    /// The applicant did not complete the dossier in time: it is closed (Art. 19.5).
    SupplementExpired {
        /// When the supplement had been requested.
        requested_at: Timestamp,
    },
    /// A financial obligation must be met before the dossier goes on (national status 6).
    FeeRequested {
        /// Amount in VND.
        amount_vnd: u64,
        /// What it is for.
        reason: String,
    },
    /// The obligation was met; the clock runs again.
    FeePaid {
        /// Amount in VND.
        amount_vnd: u64,
        /// How it was paid.
        method: PaymentMethod,
        /// The appointment after the pause.
        due_at: Timestamp,
    },
    /// The appraisal was put to the head of the office.
    SubmittedForApproval,
    /// The head approved the proposal and signed.
    Approved,
    /// The head sent the appraisal back.
    ApprovalRejected {
        /// Why.
        reason: String,
    },
    /// The result document was numbered, sealed and issued (ban hành).
    Issued {
        /// Document number.
        document_no: String,
        /// Issued as an electronic document with a digital signature (Decision 766 4.1).
        #[serde(default)]
        electronic: bool,
    },
    /// Processing finished (NgayKetThucXuLy, national status 9); the result goes to the desk.
    ResultReady {
        /// Granted or refused.
        outcome: Proposal,
        /// Where the result waits for the applicant.
        desk: AgencyId,
        /// Timeliness of the whole dossier against its deadline.
        timeliness: Timeliness,
    },
    /// Handed to the applicant (NgayTra, national status 10).
    Returned {
        /// How.
        method: ReturnMethod,
    },
    /// The applicant withdrew the dossier (national status 7).
    Withdrawn {
        /// Reason as stated.
        reason: String,
    },
    /// Processing was stopped (national status 8).
    Stopped {
        /// Why.
        reason: String,
    },
    /// Apology and new appointment (Phiếu đề nghị gia hạn; at most once, Art. 19.6).
    Apologised {
        /// Reason for the delay.
        reason: String,
        /// The appointment before.
        previous_due_at: Timestamp,
        /// The new appointment.
        new_due_at: Timestamp,
        /// Issued at least one working day before the previous appointment.
        timely: bool,
        /// Whether the new appointment becomes the deadline the dossier is judged against: only
        /// an apology made before the deadline passed moves it (lateness is never rewritten).
        extends_deadline: bool,
    },
    /// The applicant's rating.
    FeedbackRecorded {
        /// How satisfied.
        satisfaction: Satisfaction,
        /// Optional comment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

impl EventBody {
    /// Every event type name, as used in `type` and in the CloudEvents type.
    pub const TYPES: [&'static str; 23] = [
        "submitted",
        "intake_supplement_requested",
        "intake_supplement_provided",
        "intake_refused",
        "received",
        "forwarded",
        "assigned",
        "appraised",
        "supplement_requested",
        "supplement_provided",
        "supplement_expired",
        "fee_requested",
        "fee_paid",
        "submitted_for_approval",
        "approved",
        "approval_rejected",
        "issued",
        "result_ready",
        "returned",
        "withdrawn",
        "stopped",
        "apologised",
        "feedback_recorded",
    ];

    /// The event's type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::Submitted { .. } => "submitted",
            EventBody::IntakeSupplementRequested { .. } => "intake_supplement_requested",
            EventBody::IntakeSupplementProvided { .. } => "intake_supplement_provided",
            EventBody::IntakeRefused { .. } => "intake_refused",
            EventBody::Received { .. } => "received",
            EventBody::Forwarded { .. } => "forwarded",
            EventBody::Assigned { .. } => "assigned",
            EventBody::Appraised { .. } => "appraised",
            EventBody::SupplementRequested { .. } => "supplement_requested",
            EventBody::SupplementProvided { .. } => "supplement_provided",
            EventBody::SupplementExpired { .. } => "supplement_expired",
            EventBody::FeeRequested { .. } => "fee_requested",
            EventBody::FeePaid { .. } => "fee_paid",
            EventBody::SubmittedForApproval => "submitted_for_approval",
            EventBody::Approved => "approved",
            EventBody::ApprovalRejected { .. } => "approval_rejected",
            EventBody::Issued { .. } => "issued",
            EventBody::ResultReady { .. } => "result_ready",
            EventBody::Returned { .. } => "returned",
            EventBody::Withdrawn { .. } => "withdrawn",
            EventBody::Stopped { .. } => "stopped",
            EventBody::Apologised { .. } => "apologised",
            EventBody::FeedbackRecorded { .. } => "feedback_recorded",
        }
    }
}
