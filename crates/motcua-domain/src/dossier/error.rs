//! Why a command is refused. Every refusal has a stable machine-readable code that the API puts
//! into its problem documents and that clients may match on.

use jiff::Timestamp;

use super::actor::Role;
use super::state::{Stage, Step};

/// A refusal by the rules. Nothing is appended when `decide` returns one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// The actor's role may not make this command.
    #[error("{command} needs one of the roles {allowed}; the actor acts as {role}")]
    WrongRole {
        /// The command.
        command: &'static str,
        /// The actor's role.
        role: Role,
        /// Roles that may make it.
        allowed: String,
    },
    /// The actor's office does not hold the dossier.
    #[error("{command}: the dossier is held by {holder}, not by {actor_agency}")]
    NotHolder {
        /// The command.
        command: &'static str,
        /// The office holding the dossier.
        holder: String,
        /// The actor's office.
        actor_agency: String,
    },
    /// An officer command without an office.
    #[error("{command}: the actor acts for no office")]
    NoAgency {
        /// The command.
        command: &'static str,
    },
    /// The applicant is not the one who filed the dossier.
    #[error("{command}: only the applicant who filed the dossier may do this")]
    NotApplicant {
        /// The command.
        command: &'static str,
    },
    /// Another officer is in charge of the dossier.
    #[error("{command}: the dossier is assigned to officer {officer}")]
    NotAssigned {
        /// The command.
        command: &'static str,
        /// The officer in charge.
        officer: String,
    },
    /// The command does not fit the dossier's stage.
    #[error("{command} is not allowed when the dossier is {stage}")]
    InvalidState {
        /// The command.
        command: &'static str,
        /// The stage, as its name.
        stage: String,
    },
    /// This command id was applied before.
    #[error("command {0} was already applied to this dossier")]
    DuplicateCommand(uuid::Uuid),
    /// The command's time is before the dossier's last event.
    #[error("the command's time {at} is before the dossier's last event at {last}")]
    TimeBeforeLastEvent {
        /// The command's time.
        at: Timestamp,
        /// The last event's time.
        last: Timestamp,
    },
    /// No procedure with this code is in force.
    #[error("procedure {code} is not in the catalogue on {date}")]
    UnknownProcedure {
        /// The code.
        code: String,
        /// The date looked at.
        date: String,
    },
    /// The procedure is not offered on this channel.
    #[error("procedure {code} is not offered on the {channel} channel")]
    ChannelNotOffered {
        /// The code.
        code: String,
        /// The channel.
        channel: String,
    },
    /// The catalogue gives no time limit for the procedure on this channel.
    #[error(
        "procedure {code} has no time limit for the {channel} channel in the catalogue; publish a corrected catalogue version before receiving it"
    )]
    NoTimeLimit {
        /// The code.
        code: String,
        /// The channel.
        channel: String,
    },
    /// An online submission names a different procedure at receipt.
    #[error("the dossier was submitted for procedure {submitted}, not {given}")]
    ProcedureMismatch {
        /// Submitted.
        submitted: String,
        /// Given at receipt.
        given: String,
    },
    /// An office not in the directory.
    #[error("unknown office {0}")]
    UnknownAgency(String),
    /// A required field is missing or empty.
    #[error("{field} is required for {command}")]
    Missing {
        /// The command.
        command: &'static str,
        /// The field.
        field: &'static str,
    },
    /// The dossier code's date is not the receipt date.
    #[error("dossier code {code} is dated {code_date}, but the receipt is on {receipt_date}")]
    CodeDateMismatch {
        /// The code.
        code: String,
        /// Its date.
        code_date: String,
        /// The local receipt date.
        receipt_date: String,
    },
    /// Forwarding to the office that already holds it.
    #[error("the dossier is already at {0}")]
    ForwardToSelf(String),
    /// A second apology.
    #[error("the appointment was already moved once; Decree 118 Art. 19.6 allows one apology")]
    AlreadyRescheduled,
    /// The new appointment is not later than the current one.
    #[error("the new appointment {new} must be later than the current {current}")]
    NewDueNotLater {
        /// Proposed.
        new: Timestamp,
        /// Current.
        current: Timestamp,
    },
    /// Closing before the supplement period ran out.
    #[error("the supplement period runs until {until}; the dossier cannot be closed before")]
    SupplementNotExpired {
        /// End of the period.
        until: Timestamp,
    },
    /// The rule set gives no supplement period.
    #[error("rule set {0} sets no supplement period; the dossier cannot be closed for it")]
    NoSupplementPeriod(String),
    /// A payment of another amount than asked.
    #[error("{asked} VND were asked, {paid} VND paid")]
    WrongAmount {
        /// Asked.
        asked: u64,
        /// Paid.
        paid: u64,
    },
    /// A rule set the deployment does not know.
    #[error("unknown rule set {0}")]
    UnknownRuleSet(String),
    /// Feedback was already given.
    #[error("the applicant's rating was already recorded")]
    AlreadyRated,
}

impl DomainError {
    /// The stable machine-readable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::WrongRole { .. } => "wrong_role",
            DomainError::NotHolder { .. } => "not_holder",
            DomainError::NoAgency { .. } => "no_agency",
            DomainError::NotApplicant { .. } => "not_applicant",
            DomainError::NotAssigned { .. } => "not_assigned",
            DomainError::InvalidState { .. } => "invalid_state",
            DomainError::DuplicateCommand(_) => "duplicate_command",
            DomainError::TimeBeforeLastEvent { .. } => "time_before_last_event",
            DomainError::UnknownProcedure { .. } => "unknown_procedure",
            DomainError::ChannelNotOffered { .. } => "channel_not_offered",
            DomainError::NoTimeLimit { .. } => "time_limit_unknown",
            DomainError::ProcedureMismatch { .. } => "procedure_mismatch",
            DomainError::UnknownAgency(_) => "unknown_agency",
            DomainError::Missing { .. } => "missing_field",
            DomainError::CodeDateMismatch { .. } => "code_date_mismatch",
            DomainError::ForwardToSelf(_) => "forward_to_self",
            DomainError::AlreadyRescheduled => "already_rescheduled",
            DomainError::NewDueNotLater { .. } => "new_due_not_later",
            DomainError::SupplementNotExpired { .. } => "supplement_not_expired",
            DomainError::NoSupplementPeriod(_) => "no_supplement_period",
            DomainError::WrongAmount { .. } => "wrong_amount",
            DomainError::UnknownRuleSet(_) => "unknown_rule_set",
            DomainError::AlreadyRated => "already_rated",
        }
    }

    /// Authorisation refusals (HTTP 403) as opposed to rule refusals (HTTP 422).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            DomainError::WrongRole { .. }
                | DomainError::NotHolder { .. }
                | DomainError::NoAgency { .. }
                | DomainError::NotApplicant { .. }
                | DomainError::NotAssigned { .. }
        )
    }

    pub(crate) fn invalid_state(command: &'static str, stage: Stage) -> DomainError {
        let stage = match stage {
            Stage::InProgress { step } => format!("in_progress ({})", step_name(step)),
            other => stage_name(other).to_owned(),
        };
        DomainError::InvalidState { command, stage }
    }
}

/// The name of a stage in messages.
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::New => "new",
        Stage::Submitted => "submitted",
        Stage::IntakeSupplement => "waiting_for_intake_supplement",
        Stage::IntakeRefused => "refused_at_intake",
        Stage::Received => "received",
        Stage::InProgress { .. } => "in_progress",
        Stage::Supplement { .. } => "waiting_for_supplement",
        Stage::AwaitingPayment { .. } => "awaiting_payment",
        Stage::ResultReady => "result_ready",
        Stage::Returned => "returned",
        Stage::Withdrawn => "withdrawn",
        Stage::Stopped => "stopped",
        Stage::Closed => "closed",
    }
}

/// The name of a handling step in messages.
pub fn step_name(step: Step) -> &'static str {
    match step {
        Step::Waiting => "waiting",
        Step::Assigned => "assigned",
        Step::Appraised => "appraised",
        Step::PendingApproval => "pending_approval",
        Step::Approved => "approved",
        Step::Issued => "issued",
    }
}
