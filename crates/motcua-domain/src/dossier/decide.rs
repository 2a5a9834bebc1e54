//! `decide`: the rules of the one-stop mechanism, as one function from (state, command, time) to
//! events or a refusal. All business logic lives here; `evolve` only moves state.

use jiff::Timestamp;

use super::actor::{Actor, Role};
use super::command::{Command, CommandBody};
use super::error::DomainError;
use super::event::{Event, EventBody};
use super::rules::{RuleBook, RuleSet};
use super::state::{Dossier, Stage, Step};
use crate::calendar::{PauseMode, TimeLimit, WorkCalendar};
use crate::catalogue::{Catalogue, Channel, ProcedureVersion};
use crate::units::{AgencyDirectory, AgencyId};

/// The reference data a decision reads. Everything is passed in: `decide` fetches nothing.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The procedure catalogue, every version.
    pub catalogue: &'a Catalogue,
    /// The working calendar and deadline engine.
    pub calendar: &'a WorkCalendar,
    /// The rule sets.
    pub rules: &'a RuleBook,
    /// The offices and the unit lists.
    pub agencies: &'a AgencyDirectory,
}

/// Decides what a command does to a dossier at `now`: the events to append, or why not.
///
/// The same state, command, time and context always give the same answer.
pub fn decide(
    state: &Dossier,
    cmd: &Command,
    now: Timestamp,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    if state.applied_commands.contains(&cmd.id) {
        return Err(DomainError::DuplicateCommand(cmd.id));
    }
    if let Some(last) = state.last_event_at
        && now < last
    {
        return Err(DomainError::TimeBeforeLastEvent { at: now, last });
    }
    let d = Decision {
        state,
        actor: &cmd.actor,
        name: cmd.body.name(),
        now,
        ctx,
    };
    let bodies = d.decide(&cmd.body)?;
    Ok(bodies
        .into_iter()
        .map(|body| Event {
            at: now,
            actor: cmd.actor.clone(),
            command_id: cmd.id,
            body,
        })
        .collect())
}

struct Decision<'a> {
    state: &'a Dossier,
    actor: &'a Actor,
    name: &'static str,
    now: Timestamp,
    ctx: &'a Context<'a>,
}

type Decided = Result<Vec<EventBody>, DomainError>;

impl Decision<'_> {
    fn decide(&self, body: &CommandBody) -> Decided {
        let s = self.state;
        let cal = self.ctx.calendar;
        match body {
            CommandBody::SubmitOnline {
                procedure,
                applicant,
                receiving_agency,
            } => {
                self.role(&[Role::Applicant])?;
                self.stage_is(|st| st == Stage::New)?;
                self.text(&applicant.name, "applicant.name")?;
                let agency = self.known_agency(receiving_agency)?;
                let version = self.procedure_at(procedure, &agency)?;
                time_limit_on(version, Channel::Online)?;
                Ok(vec![EventBody::Submitted {
                    procedure: version.reference(),
                    applicant: applicant.clone(),
                    receiving_agency: receiving_agency.clone(),
                    intake_due_at: cal.online_intake_deadline(self.now),
                }])
            }
            CommandBody::RequestIntakeSupplement { items } => {
                self.role(&[Role::Reception])?;
                self.holder()?;
                self.stage_is(|st| st == Stage::Submitted)?;
                self.items(items)?;
                Ok(vec![EventBody::IntakeSupplementRequested {
                    items: items.clone(),
                }])
            }
            CommandBody::ProvideIntakeSupplement => {
                self.applicant_or_desk()?;
                self.stage_is(|st| st == Stage::IntakeSupplement)?;
                Ok(vec![EventBody::IntakeSupplementProvided {
                    intake_due_at: cal.online_intake_deadline(self.now),
                }])
            }
            CommandBody::RefuseIntake { reason } => {
                self.role(&[Role::Reception])?;
                self.holder()?;
                self.stage_is(|st| matches!(st, Stage::Submitted | Stage::IntakeSupplement))?;
                self.text(reason, "reason")?;
                Ok(vec![EventBody::IntakeRefused {
                    reason: reason.clone(),
                }])
            }
            CommandBody::Receive {
                code,
                procedure,
                channel,
                applicant,
                handling_agency,
                digitised,
            } => self.receive(
                code.as_ref().ok_or(DomainError::Missing {
                    command: self.name,
                    field: "code",
                })?,
                procedure.as_ref(),
                *channel,
                applicant.as_ref(),
                handling_agency,
                *digitised,
            ),
            CommandBody::Forward { to, note } => {
                match s.stage {
                    Stage::Received => self.role(&[Role::Reception])?,
                    Stage::InProgress {
                        step: Step::Waiting | Step::Assigned | Step::Appraised,
                    } => self.role(&[Role::Reception, Role::HandlingOfficer, Role::Approver])?,
                    st => return Err(DomainError::invalid_state(self.name, st)),
                }
                let from = self.holder()?;
                self.known_agency(to)?;
                if to == &from {
                    return Err(DomainError::ForwardToSelf(to.to_string()));
                }
                let step_due = self.step_due_at_next(to);
                Ok(vec![EventBody::Forwarded {
                    from,
                    to: to.clone(),
                    step_result: cal.timeliness(self.now, s.step_due_at.unwrap_or(self.now)),
                    step_due_at: step_due,
                    note: note.clone(),
                }])
            }
            CommandBody::Assign { officer } => {
                self.role(&[Role::Approver, Role::HandlingOfficer])?;
                self.holder()?;
                self.stage_is(|st| {
                    matches!(
                        st,
                        Stage::Received
                            | Stage::InProgress {
                                step: Step::Waiting | Step::Assigned
                            }
                    )
                })?;
                self.text(officer, "officer")?;
                Ok(vec![EventBody::Assigned {
                    officer: officer.clone(),
                }])
            }
            CommandBody::Appraise { proposal, opinion } => {
                self.role(&[Role::HandlingOfficer])?;
                self.holder()?;
                self.stage_is(|st| {
                    matches!(
                        st,
                        Stage::InProgress {
                            step: Step::Assigned | Step::Appraised
                        }
                    )
                })?;
                self.assigned_officer()?;
                self.text(opinion, "opinion")?;
                if let super::event::Proposal::Refuse { reason } = proposal {
                    self.text(reason, "proposal.reason")?;
                }
                Ok(vec![EventBody::Appraised {
                    proposal: proposal.clone(),
                    opinion: opinion.clone(),
                }])
            }
            CommandBody::RequestSupplement { items } => {
                self.role(&[Role::HandlingOfficer, Role::Reception])?;
                self.holder()?;
                self.stage_is(|st| {
                    matches!(
                        st,
                        Stage::Received
                            | Stage::InProgress {
                                step: Step::Waiting | Step::Assigned | Step::Appraised
                            }
                    )
                })?;
                self.items(items)?;
                let rules = self.rule_set()?;
                let received_at = s.received_at.unwrap_or(self.now);
                let window_end = cal.due_at(
                    received_at,
                    TimeLimit::WorkingDays(rules.supplement_request_window_days),
                );
                Ok(vec![EventBody::SupplementRequested {
                    items: items.clone(),
                    number: s.supplement_requests + 1,
                    late_request: self.now > window_end,
                }])
            }
            CommandBody::ProvideSupplement => {
                self.applicant_or_desk()?;
                self.stage_is(|st| matches!(st, Stage::Supplement { .. }))?;
                let rules = self.rule_set()?;
                let (due_at, clock_started_at) = self.after_pause(rules.supplement_pause);
                Ok(vec![EventBody::SupplementProvided {
                    clock_started_at,
                    due_at,
                }])
            }
            CommandBody::ExpireSupplement => {
                match self.actor.role {
                    Role::System => {}
                    Role::Reception => self.at_receiving_desk()?,
                    _ => self.role(&[Role::System, Role::Reception])?,
                }
                self.stage_is(|st| matches!(st, Stage::Supplement { .. }))?;
                let rules = self.rule_set()?;
                let days = rules
                    .supplement_expiry_days
                    .ok_or_else(|| DomainError::NoSupplementPeriod(rules.version.clone()))?;
                let requested_at = s.open_pause().map_or(self.now, |p| p.from);
                let until = requested_at
                    .saturating_add(jiff::SignedDuration::from_hours(24 * i64::from(days)))
                    .unwrap_or(Timestamp::MAX);
                if self.now < until {
                    return Err(DomainError::SupplementNotExpired { until });
                }
                Ok(vec![EventBody::SupplementExpired { requested_at }])
            }
            CommandBody::RequestFee { amount_vnd, reason } => {
                self.role(&[Role::HandlingOfficer, Role::Reception])?;
                self.holder()?;
                self.stage_is(|st| {
                    matches!(
                        st,
                        Stage::Received
                            | Stage::InProgress {
                                step: Step::Waiting
                                    | Step::Assigned
                                    | Step::Appraised
                                    | Step::Approved
                            }
                    )
                })?;
                self.text(reason, "reason")?;
                if *amount_vnd == 0 {
                    return Err(DomainError::Missing {
                        command: self.name,
                        field: "amount_vnd",
                    });
                }
                Ok(vec![EventBody::FeeRequested {
                    amount_vnd: *amount_vnd,
                    reason: reason.clone(),
                }])
            }
            CommandBody::PayFee { amount_vnd, method } => {
                match self.actor.role {
                    Role::Clerk => {
                        self.holder()?;
                    }
                    _ => self.applicant_or_desk()?,
                }
                self.stage_is(|st| matches!(st, Stage::AwaitingPayment { .. }))?;
                let asked = s.fee_due_vnd.unwrap_or(0);
                if *amount_vnd != asked {
                    return Err(DomainError::WrongAmount {
                        asked,
                        paid: *amount_vnd,
                    });
                }
                let rules = self.rule_set()?;
                let due_at = if rules.fee_pauses_clock {
                    self.after_pause(PauseMode::Continue).0
                } else {
                    s.deadline.unwrap_or(self.now)
                };
                Ok(vec![EventBody::FeePaid {
                    amount_vnd: *amount_vnd,
                    method: *method,
                    due_at,
                }])
            }
            CommandBody::SubmitForApproval => {
                self.role(&[Role::HandlingOfficer])?;
                self.holder()?;
                self.stage_is(|st| {
                    st == Stage::InProgress {
                        step: Step::Appraised,
                    }
                })?;
                self.assigned_officer()?;
                Ok(vec![EventBody::SubmittedForApproval])
            }
            CommandBody::Approve => {
                self.role(&[Role::Approver])?;
                self.holder()?;
                self.stage_is(|st| {
                    st == Stage::InProgress {
                        step: Step::PendingApproval,
                    }
                })?;
                Ok(vec![EventBody::Approved])
            }
            CommandBody::RejectApproval { reason } => {
                self.role(&[Role::Approver])?;
                self.holder()?;
                self.stage_is(|st| {
                    st == Stage::InProgress {
                        step: Step::PendingApproval,
                    }
                })?;
                self.text(reason, "reason")?;
                Ok(vec![EventBody::ApprovalRejected {
                    reason: reason.clone(),
                }])
            }
            CommandBody::Issue {
                document_no,
                electronic,
            } => {
                self.role(&[Role::Clerk])?;
                self.holder()?;
                self.stage_is(|st| {
                    st == Stage::InProgress {
                        step: Step::Approved,
                    }
                })?;
                self.text(document_no, "document_no")?;
                Ok(vec![EventBody::Issued {
                    document_no: document_no.clone(),
                    electronic: *electronic,
                }])
            }
            CommandBody::MarkResultReady => {
                self.role(&[Role::Clerk, Role::HandlingOfficer])?;
                self.holder()?;
                self.stage_is(|st| st == Stage::InProgress { step: Step::Issued })?;
                let desk = s.receiving_agency.clone().ok_or(DomainError::Missing {
                    command: self.name,
                    field: "receiving_agency",
                })?;
                let outcome = s.proposal.clone().ok_or(DomainError::Missing {
                    command: self.name,
                    field: "appraisal",
                })?;
                Ok(vec![EventBody::ResultReady {
                    outcome,
                    desk,
                    timeliness: cal.timeliness(self.now, s.deadline.unwrap_or(self.now)),
                }])
            }
            CommandBody::ReturnResult { method } => {
                self.role(&[Role::Reception])?;
                self.holder()?;
                self.stage_is(|st| st == Stage::ResultReady)?;
                Ok(vec![EventBody::Returned { method: *method }])
            }
            CommandBody::Withdraw { reason } => {
                self.applicant_or_desk()?;
                self.stage_is(|st| {
                    matches!(
                        st,
                        Stage::Submitted
                            | Stage::IntakeSupplement
                            | Stage::Received
                            | Stage::Supplement { .. }
                            | Stage::AwaitingPayment { .. }
                            | Stage::InProgress {
                                step: Step::Waiting
                                    | Step::Assigned
                                    | Step::Appraised
                                    | Step::PendingApproval
                                    | Step::Approved
                            }
                    )
                })?;
                self.text(reason, "reason")?;
                Ok(vec![EventBody::Withdrawn {
                    reason: reason.clone(),
                }])
            }
            CommandBody::Stop { reason } => {
                match self.actor.role {
                    Role::Admin => {}
                    Role::Approver => {
                        self.holder()?;
                    }
                    _ => self.role(&[Role::Approver, Role::Admin])?,
                }
                // Once the result is issued there is nothing left to stop: it is returned.
                self.stage_is(|st| st.is_open() && st != Stage::InProgress { step: Step::Issued })?;
                self.text(reason, "reason")?;
                Ok(vec![EventBody::Stopped {
                    reason: reason.clone(),
                }])
            }
            CommandBody::Apologise { reason, new_due_at } => {
                self.role(&[Role::HandlingOfficer, Role::Approver])?;
                self.holder()?;
                self.stage_is(Stage::is_open)?;
                self.text(reason, "reason")?;
                if s.apologised {
                    return Err(DomainError::AlreadyRescheduled);
                }
                let current = s.due_at.unwrap_or(self.now);
                if *new_due_at <= current {
                    return Err(DomainError::NewDueNotLater {
                        new: *new_due_at,
                        current,
                    });
                }
                let deadline = s.deadline.unwrap_or(current);
                Ok(vec![EventBody::Apologised {
                    reason: reason.clone(),
                    previous_due_at: current,
                    new_due_at: *new_due_at,
                    timely: cal.is_apology_timely(self.now, deadline),
                    extends_deadline: self.now <= deadline,
                }])
            }
            CommandBody::RecordFeedback {
                satisfaction,
                comment,
            } => {
                self.applicant_or_desk()?;
                self.stage_is(|st| st != Stage::New)?;
                if s.satisfaction.is_some() {
                    return Err(DomainError::AlreadyRated);
                }
                Ok(vec![EventBody::FeedbackRecorded {
                    satisfaction: *satisfaction,
                    comment: comment.clone(),
                }])
            }
        }
    }

    fn receive(
        &self,
        code: &crate::code::DossierCode,
        procedure: Option<&crate::catalogue::ProcedureCode>,
        channel: Option<Channel>,
        applicant: Option<&super::actor::Applicant>,
        handling_agency: &AgencyId,
        digitised: bool,
    ) -> Decided {
        let s = self.state;
        let cal = self.ctx.calendar;
        self.role(&[Role::Reception])?;
        let desk = self.agency()?;
        let desk_info = self.known_agency(&desk)?;
        self.known_agency(handling_agency)?;
        let (version, channel, applicant) = match s.stage {
            Stage::New => {
                let code = procedure.ok_or(DomainError::Missing {
                    command: self.name,
                    field: "procedure",
                })?;
                let applicant = applicant.ok_or(DomainError::Missing {
                    command: self.name,
                    field: "applicant",
                })?;
                self.text(&applicant.name, "applicant.name")?;
                let version = self.procedure_at(code, &desk_info)?;
                (
                    version,
                    channel.unwrap_or(Channel::Direct),
                    Some(applicant.clone()),
                )
            }
            Stage::Submitted => {
                self.holder()?;
                let pinned = s.procedure.as_ref().ok_or(DomainError::Missing {
                    command: self.name,
                    field: "procedure",
                })?;
                if let Some(given) = procedure
                    && given != &pinned.code
                {
                    return Err(DomainError::ProcedureMismatch {
                        submitted: pinned.code.to_string(),
                        given: given.to_string(),
                    });
                }
                let version = self
                    .ctx
                    .catalogue
                    .get_version(&pinned.code, pinned.version)
                    .ok_or_else(|| DomainError::UnknownProcedure {
                        code: pinned.code.to_string(),
                        date: format!("version {}", pinned.version),
                    })?;
                (version, Channel::Online, None)
            }
            st => return Err(DomainError::invalid_state(self.name, st)),
        };
        let receipt_date = cal.local_date(self.now);
        if code.date() != receipt_date {
            return Err(DomainError::CodeDateMismatch {
                code: code.to_string(),
                code_date: code.date().to_string(),
                receipt_date: receipt_date.to_string(),
            });
        }
        let time_limit = time_limit_on(version, channel)?;
        let rules = self
            .ctx
            .rules
            .for_receipt(receipt_date)
            .ok_or_else(|| DomainError::UnknownRuleSet(format!("for {receipt_date}")))?;
        Ok(vec![EventBody::Received {
            code: code.clone(),
            procedure: version.reference(),
            channel,
            applicant,
            receiving_agency: desk,
            handling_agency: handling_agency.clone(),
            rule_set: rules.version.clone(),
            time_limit,
            clock_started_at: limit_start(cal, self.now, time_limit),
            due_at: cal.due_at(self.now, time_limit),
            intake_late: s.intake_due_at.is_some_and(|d| self.now > d),
            digitised,
        }])
    }

    /// Due time of the step that starts at `to`: the share of the total time the liaison route
    /// gives `to`'s level, never past the dossier's deadline.
    fn step_due_at_next(&self, to: &AgencyId) -> Timestamp {
        let s = self.state;
        let deadline = s.deadline.unwrap_or(self.now);
        let share = s
            .procedure
            .as_ref()
            .and_then(|p| self.ctx.catalogue.get_version(&p.code, p.version))
            .and_then(|v| {
                let (_, unit) = self.ctx.agencies.unit_of(to)?;
                v.liaison_route
                    .iter()
                    .find(|step| step.level == unit.level)
                    .map(|step| step.share_percent)
            });
        match (share, s.time_limit) {
            (Some(share), Some(limit)) => self
                .ctx
                .calendar
                .step_due(self.now, limit, share)
                .min(deadline),
            _ => deadline,
        }
    }

    /// The deadline after a pause ends now, and the new clock start.
    fn after_pause(&self, mode: PauseMode) -> (Timestamp, Timestamp) {
        let s = self.state;
        let cal = self.ctx.calendar;
        let clock = s.clock_started_at.unwrap_or(self.now);
        let deadline = s.deadline.unwrap_or(self.now);
        let paused_at = s.open_pause().map_or(self.now, |p| p.from);
        let Some(limit) = s.time_limit else {
            return (deadline, clock);
        };
        // A pause asked for after the deadline had passed does not cure the lateness: the clock
        // is not restarted and the deadline stays where it was.
        if paused_at > deadline {
            return (deadline, clock);
        }
        let due = cal.due_after_pause(limit, clock, deadline, paused_at, self.now, mode);
        let clock = match mode {
            PauseMode::Restart => limit_start(cal, self.now, limit),
            PauseMode::Continue => clock,
        };
        (due, clock)
    }

    fn rule_set(&self) -> Result<&RuleSet, DomainError> {
        let version = self.state.rule_set.as_deref().unwrap_or_default();
        self.ctx
            .rules
            .get(version)
            .ok_or_else(|| DomainError::UnknownRuleSet(version.to_owned()))
    }

    fn role(&self, allowed: &[Role]) -> Result<(), DomainError> {
        if allowed.contains(&self.actor.role) {
            Ok(())
        } else {
            Err(DomainError::WrongRole {
                command: self.name,
                role: self.actor.role,
                allowed: allowed
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }

    fn agency(&self) -> Result<AgencyId, DomainError> {
        self.actor
            .agency
            .clone()
            .ok_or(DomainError::NoAgency { command: self.name })
    }

    /// The actor's office holds the dossier; returns it.
    fn holder(&self) -> Result<AgencyId, DomainError> {
        let mine = self.agency()?;
        match &self.state.holder {
            Some(h) if h == &mine => Ok(mine),
            holder => Err(DomainError::NotHolder {
                command: self.name,
                holder: holder
                    .as_ref()
                    .map_or_else(|| "nobody".to_owned(), ToString::to_string),
                actor_agency: mine.to_string(),
            }),
        }
    }

    fn at_receiving_desk(&self) -> Result<(), DomainError> {
        let mine = self.agency()?;
        match &self.state.receiving_agency {
            Some(desk) if desk == &mine => Ok(()),
            desk => Err(DomainError::NotHolder {
                command: self.name,
                holder: desk
                    .as_ref()
                    .map_or_else(|| "nobody".to_owned(), ToString::to_string),
                actor_agency: mine.to_string(),
            }),
        }
    }

    /// The applicant who filed the dossier, or the receiving desk acting for the applicant.
    fn applicant_or_desk(&self) -> Result<(), DomainError> {
        match self.actor.role {
            Role::Applicant => {
                if self.state.applicant_account.as_deref() == Some(self.actor.id.as_str()) {
                    Ok(())
                } else {
                    Err(DomainError::NotApplicant { command: self.name })
                }
            }
            Role::Reception => self.at_receiving_desk(),
            _ => self.role(&[Role::Applicant, Role::Reception]),
        }
    }

    fn assigned_officer(&self) -> Result<(), DomainError> {
        match &self.state.officer {
            Some(o) if o == &self.actor.id => Ok(()),
            Some(o) => Err(DomainError::NotAssigned {
                command: self.name,
                officer: o.clone(),
            }),
            None => Err(DomainError::invalid_state(self.name, self.state.stage)),
        }
    }

    fn stage_is(&self, ok: impl Fn(Stage) -> bool) -> Result<(), DomainError> {
        if ok(self.state.stage) {
            Ok(())
        } else {
            Err(DomainError::invalid_state(self.name, self.state.stage))
        }
    }

    fn text(&self, value: &str, field: &'static str) -> Result<(), DomainError> {
        if value.trim().is_empty() {
            Err(DomainError::Missing {
                command: self.name,
                field,
            })
        } else {
            Ok(())
        }
    }

    fn items(&self, items: &[String]) -> Result<(), DomainError> {
        if items.is_empty() || items.iter().any(|i| i.trim().is_empty()) {
            Err(DomainError::Missing {
                command: self.name,
                field: "items",
            })
        } else {
            Ok(())
        }
    }

    fn known_agency(&self, id: &AgencyId) -> Result<crate::units::Agency, DomainError> {
        self.ctx
            .agencies
            .get(id)
            .ok_or_else(|| DomainError::UnknownAgency(id.to_string()))
    }

    fn procedure_at(
        &self,
        code: &crate::catalogue::ProcedureCode,
        agency: &crate::units::Agency,
    ) -> Result<&ProcedureVersion, DomainError> {
        let date = self.ctx.calendar.local_date(self.now);
        let catalogue = self.ctx.catalogue;
        catalogue
            .get(code, date, &agency.hierarchy)
            .or_else(|| {
                // Unit codes are reused across the 2025 reform and a derived office resolves to
                // the newest list that has its code; on an earlier day, its unit is the one of
                // the list in force then (MC.26740 was Phường Bến Nghé's desk until 30/06/2025).
                let graph = self.ctx.agencies.registry().in_force_on(date)?;
                graph.get(&agency.unit)?;
                catalogue.get(code, date, graph.id())
            })
            .ok_or_else(|| DomainError::UnknownProcedure {
                code: code.to_string(),
                date: date.to_string(),
            })
    }
}

/// Where a time limit starts counting from `at`: the first working instant, except for clock
/// hours, which count from `at` itself, nights and days off included (as `WorkCalendar::due_at`
/// counts them); otherwise a receipt after hours would start the clock after its own due time.
fn limit_start(cal: &WorkCalendar, at: Timestamp, limit: TimeLimit) -> Timestamp {
    match limit {
        TimeLimit::ClockHours(_) => at,
        _ => cal.clock_start(at),
    }
}

/// The time limit of a procedure on a channel: refused when the channel is not offered, and when
/// the catalogue gives no limit (a due time cannot be promised; the catalogue needs a new version).
fn time_limit_on(version: &ProcedureVersion, channel: Channel) -> Result<TimeLimit, DomainError> {
    if !version.offers(channel) {
        return Err(DomainError::ChannelNotOffered {
            code: version.code.to_string(),
            channel: channel.as_str().to_owned(),
        });
    }
    version
        .time_limit(channel)
        .ok_or_else(|| DomainError::NoTimeLimit {
            code: version.code.to_string(),
            channel: channel.as_str().to_owned(),
        })
}
