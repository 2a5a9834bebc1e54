//! What an actor asks to happen to a dossier. `decide` turns a command into events or a refusal.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::actor::{Actor, Applicant, Role};
use super::event::{PaymentMethod, Proposal, ReturnMethod, Satisfaction};
use crate::catalogue::{Channel, ProcedureCode};
use crate::code::DossierCode;
use crate::units::AgencyId;

/// A command with its identity and its actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Idempotency key: the same id is applied at most once to a dossier.
    pub id: Uuid,
    /// Who asks, in which role, for which office.
    pub actor: Actor,
    /// What is asked.
    #[serde(flatten)]
    pub body: CommandBody,
}

impl Command {
    /// The desk a command that opens a dossier files it at: the portal's routing for an online
    /// submission, the receiving officer's office for a receipt; `None` for any other command
    /// (or a receipt without an office).
    pub fn receiving_office(&self) -> Option<&AgencyId> {
        match &self.body {
            CommandBody::SubmitOnline {
                receiving_agency, ..
            } => Some(receiving_agency),
            CommandBody::Receive { .. } => self.actor.agency.as_ref(),
            _ => None,
        }
    }
}

/// Every command of the dossier lifecycle. The wire form is `{"command": "receive", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandBody {
    /// An applicant files a dossier online.
    SubmitOnline {
        /// Procedure code.
        procedure: ProcedureCode,
        /// The applicant.
        applicant: Applicant,
        /// The desk the portal routes the dossier to.
        receiving_agency: AgencyId,
    },
    /// The desk asks for an online dossier to be completed before accepting it.
    RequestIntakeSupplement {
        /// Everything missing, listed once.
        items: Vec<String>,
    },
    /// The applicant completes an online dossier at intake.
    ProvideIntakeSupplement,
    /// The desk refuses an online dossier at intake.
    RefuseIntake {
        /// Reason given to the applicant.
        reason: String,
    },
    /// The desk accepts a dossier: a new direct or postal one, or an online one already submitted.
    Receive {
        /// The code for the receiving office and day; when absent the command service
        /// allocates the next one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<DossierCode>,
        /// Procedure code (required for a new dossier; must match an online submission).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        procedure: Option<ProcedureCode>,
        /// Channel (ignored for an online submission, which is always online).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<Channel>,
        /// The applicant (required for a new dossier).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        applicant: Option<Applicant>,
        /// The competent office.
        handling_agency: AgencyId,
        /// The paper dossier was scanned and signed.
        #[serde(default)]
        digitised: bool,
    },
    /// Hand the dossier over to another office.
    Forward {
        /// The receiving office.
        to: AgencyId,
        /// Note on the control slip.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Put an officer in charge.
    Assign {
        /// The officer's account id.
        officer: String,
    },
    /// Record the appraisal.
    Appraise {
        /// Grant or refuse.
        proposal: Proposal,
        /// The opinion.
        opinion: String,
    },
    /// Ask the applicant for a supplement during handling.
    RequestSupplement {
        /// Everything missing, listed once.
        items: Vec<String>,
    },
    /// The applicant completed the dossier.
    ProvideSupplement,
    /// Close a dossier whose supplement never came.
    ExpireSupplement,
    /// Ask for a fee or tax before going on.
    RequestFee {
        /// Amount in VND.
        amount_vnd: u64,
        /// What it is for.
        reason: String,
    },
    /// Record the payment.
    PayFee {
        /// Amount paid in VND; must equal the amount asked.
        amount_vnd: u64,
        /// How.
        method: PaymentMethod,
    },
    /// Put the appraisal to the head of the office.
    SubmitForApproval,
    /// The head approves and signs.
    Approve,
    /// The head sends the appraisal back.
    RejectApproval {
        /// Why.
        reason: String,
    },
    /// Number, seal and issue the result document.
    Issue {
        /// Document number.
        document_no: String,
        /// Electronic document with a digital signature.
        #[serde(default)]
        electronic: bool,
    },
    /// Processing is finished; send the result to the receiving desk.
    MarkResultReady,
    /// Hand the result to the applicant.
    ReturnResult {
        /// How.
        method: ReturnMethod,
    },
    /// The applicant withdraws the dossier.
    Withdraw {
        /// Reason as stated.
        reason: String,
    },
    /// Stop processing.
    Stop {
        /// Why.
        reason: String,
    },
    /// Apologise and set a new appointment (at most once).
    Apologise {
        /// Reason for the delay.
        reason: String,
        /// The new appointment.
        new_due_at: Timestamp,
    },
    /// Record the applicant's rating.
    RecordFeedback {
        /// How satisfied.
        satisfaction: Satisfaction,
        /// Optional comment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

impl CommandBody {
    /// Every command name, as used in `command` and in API paths.
    pub const NAMES: [&'static str; 23] = [
        "submit_online",
        "request_intake_supplement",
        "provide_intake_supplement",
        "refuse_intake",
        "receive",
        "forward",
        "assign",
        "appraise",
        "request_supplement",
        "provide_supplement",
        "expire_supplement",
        "request_fee",
        "pay_fee",
        "submit_for_approval",
        "approve",
        "reject_approval",
        "issue",
        "mark_result_ready",
        "return_result",
        "withdraw",
        "stop",
        "apologise",
        "record_feedback",
    ];

    /// The roles that may make this command (some also need the dossier's stage or office to
    /// match; `decide` checks those). The edge uses it to pick which of an officer's roles acts.
    pub fn allowed_roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            CommandBody::SubmitOnline { .. } => &[Applicant],
            CommandBody::RequestIntakeSupplement { .. }
            | CommandBody::RefuseIntake { .. }
            | CommandBody::Receive { .. }
            | CommandBody::ReturnResult { .. } => &[Reception],
            CommandBody::ProvideIntakeSupplement
            | CommandBody::ProvideSupplement
            | CommandBody::Withdraw { .. }
            | CommandBody::RecordFeedback { .. } => &[Applicant, Reception],
            CommandBody::Forward { .. } => &[Reception, HandlingOfficer, Approver],
            CommandBody::Assign { .. } => &[Approver, HandlingOfficer],
            CommandBody::Appraise { .. } | CommandBody::SubmitForApproval => &[HandlingOfficer],
            CommandBody::RequestSupplement { .. } | CommandBody::RequestFee { .. } => {
                &[HandlingOfficer, Reception]
            }
            CommandBody::ExpireSupplement => &[System, Reception],
            CommandBody::PayFee { .. } => &[Applicant, Reception, Clerk],
            CommandBody::Approve | CommandBody::RejectApproval { .. } => &[Approver],
            CommandBody::Issue { .. } => &[Clerk],
            CommandBody::MarkResultReady => &[Clerk, HandlingOfficer],
            CommandBody::Stop { .. } => &[Approver, Admin],
            CommandBody::Apologise { .. } => &[HandlingOfficer, Approver],
        }
    }

    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            CommandBody::SubmitOnline { .. } => "submit_online",
            CommandBody::RequestIntakeSupplement { .. } => "request_intake_supplement",
            CommandBody::ProvideIntakeSupplement => "provide_intake_supplement",
            CommandBody::RefuseIntake { .. } => "refuse_intake",
            CommandBody::Receive { .. } => "receive",
            CommandBody::Forward { .. } => "forward",
            CommandBody::Assign { .. } => "assign",
            CommandBody::Appraise { .. } => "appraise",
            CommandBody::RequestSupplement { .. } => "request_supplement",
            CommandBody::ProvideSupplement => "provide_supplement",
            CommandBody::ExpireSupplement => "expire_supplement",
            CommandBody::RequestFee { .. } => "request_fee",
            CommandBody::PayFee { .. } => "pay_fee",
            CommandBody::SubmitForApproval => "submit_for_approval",
            CommandBody::Approve => "approve",
            CommandBody::RejectApproval { .. } => "reject_approval",
            CommandBody::Issue { .. } => "issue",
            CommandBody::MarkResultReady => "mark_result_ready",
            CommandBody::ReturnResult { .. } => "return_result",
            CommandBody::Withdraw { .. } => "withdraw",
            CommandBody::Stop { .. } => "stop",
            CommandBody::Apologise { .. } => "apologise",
            CommandBody::RecordFeedback { .. } => "record_feedback",
        }
    }
}
