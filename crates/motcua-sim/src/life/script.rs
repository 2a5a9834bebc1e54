//! The script of a dossier's life: what happens in which order.

use jiff::SignedDuration;
use jiff::Timestamp;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{
    Actor, CommandBody, PaymentMethod, Proposal, ReturnMethod, Satisfaction,
};

use super::{Life, Pace};
use crate::plan::WithdrawAt;
use crate::province::Office;
use crate::random::{Weighted, chance, exponential, uniform};
use crate::wording;

impl Life<'_, '_> {
    pub(super) fn run(&mut self, arrival: Timestamp) -> Option<()> {
        let desk = self.office(self.plan.desk).clone();
        let handling = self.office(self.plan.competent()).committee.clone();
        let procedure = self.plan.version.code;
        if self.plan.channel == Channel::Online {
            let applicant = self.applicant_actor();
            let body = CommandBody::SubmitOnline {
                procedure,
                applicant: self.plan.person.applicant.clone(),
                receiving_agency: desk.desk.clone(),
            };
            self.act(arrival, applicant, body)?;
            if self.plan.withdraw == Some(WithdrawAt::BeforeIntake) {
                return self.withdraw(&desk);
            }
            let mut at = self.intake_time();
            if self.plan.intake.supplement {
                let items = wording::missing_items(&mut self.rng);
                let reception = desk.reception(&mut self.rng);
                self.act(
                    at,
                    reception,
                    CommandBody::RequestIntakeSupplement { items },
                )?;
                let back = self.any_time_within(self.now, 120.0, 4320.0);
                let applicant = self.applicant_actor();
                self.act(back, applicant, CommandBody::ProvideIntakeSupplement)?;
                at = self.intake_time();
            }
            let reception = desk.reception(&mut self.rng);
            if self.plan.intake.refuse {
                let reason = wording::intake_refusal(&mut self.rng);
                self.act(at, reception, CommandBody::RefuseIntake { reason })?;
                return self.end();
            }
            let code = self.code(&desk.desk, at)?;
            let body = CommandBody::Receive {
                code: Some(code),
                procedure: Some(procedure),
                channel: None,
                applicant: None,
                handling_agency: handling,
                digitised: false,
            };
            self.act(at, reception, body)?;
        } else {
            let code = self.code(&desk.desk, arrival)?;
            let body = CommandBody::Receive {
                code: Some(code),
                procedure: Some(procedure),
                channel: Some(self.plan.channel),
                applicant: Some(self.plan.person.applicant.clone()),
                handling_agency: handling,
                digitised: self.plan.digitised,
            };
            let reception = desk.reception(&mut self.rng);
            self.act(arrival, reception, body)?;
        }
        self.start_pace();
        if self.plan.withdraw == Some(WithdrawAt::AfterReceipt) {
            return self.withdraw(&desk);
        }
        self.handle(&desk)?;
        self.give_back(&desk)
    }

    /// From the desk through the handling offices to the result.
    pub(super) fn handle(&mut self, desk: &Office) -> Option<()> {
        let route = self.plan.route.clone();
        let liaison = route.len() > 1;
        let at = self.transfer_time();
        let note = Some(wording::handover_note(false));
        let to = self.office(route[0].0).committee.clone();
        let reception = desk.reception(&mut self.rng);
        self.act(at, reception, CommandBody::Forward { to, note })?;
        if self.plan.withdraw == Some(WithdrawAt::AfterForward) {
            return self.withdraw(desk);
        }
        for (i, &(place, share)) in route.iter().enumerate() {
            let office = self.office(place).clone();
            self.assign(&office)?;
            if i == 0 {
                if self.plan.withdraw == Some(WithdrawAt::AfterAssign) {
                    return self.withdraw(desk);
                }
                self.supplements(&office, desk)?;
            }
            if let Some(&(next, _)) = route.get(i + 1) {
                let at = self.pace_at(0.7);
                let body = CommandBody::Appraise {
                    proposal: Proposal::Grant,
                    opinion: wording::liaison_opinion(),
                };
                self.act(at, self.handler_actor(&office), body)?;
                let at = self.pace_at(share);
                let to = self.office(next).committee.clone();
                let note = Some(wording::handover_note(liaison));
                self.act(
                    at,
                    self.handler_actor(&office),
                    CommandBody::Forward { to, note },
                )?;
            } else {
                self.decide_at(&office, desk)?;
            }
        }
        Some(())
    }

    /// Appraisal, approval, issue and the end of processing at the competent office.
    pub(super) fn decide_at(&mut self, office: &Office, desk: &Office) -> Option<()> {
        if self.plan.apologise {
            self.apologise(office)?;
        }
        self.appraise(office, 0.55)?;
        if let Some(amount_vnd) = self.plan.fee {
            let at = self.pace_at(0.05);
            let reason = wording::fee_reason(&mut self.rng);
            let body = CommandBody::RequestFee { amount_vnd, reason };
            self.act(at, self.handler_actor(office), body)?;
            self.pay(amount_vnd, desk)?;
        }
        if self.plan.reject_once {
            let at = self.pace_at(0.1);
            self.act(
                at,
                self.handler_actor(office),
                CommandBody::SubmitForApproval,
            )?;
            let at = self.pace_at(0.3);
            let reason = wording::approval_rejection(&mut self.rng);
            let head = office.approver(&mut self.rng);
            self.act(at, head, CommandBody::RejectApproval { reason })?;
            self.appraise(office, 0.3)?;
        }
        let at = self.pace_at(0.1);
        self.act(
            at,
            self.handler_actor(office),
            CommandBody::SubmitForApproval,
        )?;
        let at = self.pace_at(0.5);
        let head = office.approver(&mut self.rng);
        self.act(at, head, CommandBody::Approve)?;
        let at = self.pace_at(0.4);
        let year = self.calendar.local_date(at).year();
        let n = self.counters.document(&office.committee, year);
        let kind = if self.plan.refuse { "TB" } else { "QĐ" };
        let body = CommandBody::Issue {
            document_no: format!("{n}/{kind}-UBND"),
            electronic: self.plan.electronic,
        };
        let clerk = office.clerk(&mut self.rng);
        self.act(at, clerk.clone(), body)?;
        let at = self.ready_time();
        self.act(at, clerk, CommandBody::MarkResultReady)
    }

    pub(super) fn appraise(&mut self, office: &Office, share: f64) -> Option<()> {
        let at = self.pace_at(share);
        let proposal = if self.plan.refuse {
            Proposal::Refuse {
                reason: wording::appraisal_refusal(&mut self.rng),
            }
        } else {
            Proposal::Grant
        };
        let opinion = wording::opinion(!self.plan.refuse);
        self.act(
            at,
            self.handler_actor(office),
            CommandBody::Appraise { proposal, opinion },
        )
    }

    pub(super) fn assign(&mut self, office: &Office) -> Option<()> {
        let at = self.pace_at(0.08);
        self.handler = office.handling_officer_id(&mut self.rng);
        let head = office.approver(&mut self.rng);
        let body = CommandBody::Assign {
            officer: self.handler.clone(),
        };
        self.act(at, head, body)
    }

    /// The supplement requests of the plan, asked soon after the assignment (within the 3
    /// working days of Decree 118 Art. 19.5 for most), and the applicant's answers.
    pub(super) fn supplements(&mut self, office: &Office, desk: &Office) -> Option<()> {
        for k in 0..self.plan.supplements {
            // Asked before the due time: a request made after it would not cure the lateness
            // (the domain keeps the deadline), and officers ask early.
            let left = self.state.deadline.map_or(240.0, |d| {
                self.calendar.working_minutes_between(self.now, d) as f64
            });
            let delay = uniform(&mut self.rng, 15.0, 240.0).min(0.5 * left).max(1.0);
            let at = self.work(self.now, delay);
            let items = wording::missing_items(&mut self.rng);
            let body = CommandBody::RequestSupplement { items };
            self.act(at, self.handler_actor(office), body)?;
            let requested = self.now;
            if self.plan.supplement_expires && k + 1 == self.plan.supplements {
                return self.never_completed(requested, desk);
            }
            let days = exponential(&mut self.rng, 3.0).min(13.5) + 0.1;
            let at = self.applicant_time(days * 1440.0);
            let actor = self.applicant_or_desk(desk);
            self.act(at, actor, CommandBody::ProvideSupplement)?;
        }
        Some(())
    }

    /// The applicant never completes the dossier: closed by the system after the rule set's
    /// period, or withdrawn at the desk where the rule set has none.
    pub(super) fn never_completed(&mut self, requested: Timestamp, desk: &Office) -> Option<()> {
        let period = self
            .state
            .rule_set
            .as_deref()
            .and_then(|v| self.ctx.rules.get(v))
            .and_then(|r| r.supplement_expiry_days);
        match period {
            Some(days) => {
                let until = requested
                    .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
                    .ok()?;
                let at = self.work_within(until, 5.0, 90.0);
                self.act(at, Actor::system(), CommandBody::ExpireSupplement)?;
            }
            None => {
                let days = uniform(&mut self.rng, 20.0, 40.0);
                let from = self.any_time(requested, days * 1440.0);
                let at = self.work_within(from, 5.0, 240.0);
                let reason = wording::withdrawal(&mut self.rng);
                let reception = desk.reception(&mut self.rng);
                self.act(at, reception, CommandBody::Withdraw { reason })?;
            }
        }
        self.end()
    }

    /// A late dossier's officer apologises a little before the apology deadline (one working
    /// day before the due time), or as soon as possible if that has passed, and sets an
    /// appointment the dossier then meets.
    pub(super) fn apologise(&mut self, office: &Office) -> Option<()> {
        let (Some(deadline), Some(due)) = (self.state.deadline, self.state.due_at) else {
            return Some(());
        };
        let latest = self.calendar.apology_deadline(deadline);
        let early = uniform(&mut self.rng, 0.0, 480.0) as i64;
        let aim = self
            .calendar
            .add_working_minutes(latest, -early)
            .max(self.now);
        let at = self.work_within(aim, 1.0, 10.0);
        if at >= deadline {
            return Some(());
        }
        let finish = self.add_work(deadline, self.overrun_min);
        let extension = self.overrun_min + uniform(&mut self.rng, 240.0, 1440.0);
        let new_due_at = self.add_work(due.max(deadline), extension);
        let reason = wording::delay(&mut self.rng);
        let body = CommandBody::Apologise { reason, new_due_at };
        self.act(at, self.handler_actor(office), body)?;
        let new_deadline = self.state.deadline.unwrap_or(new_due_at);
        let slack = self.calendar.working_minutes_between(finish, new_deadline) as f64;
        self.pace = Pace::OnTime {
            slack_min: slack.max(1.0),
        };
        Some(())
    }

    pub(super) fn pay(&mut self, amount_vnd: u64, desk: &Office) -> Option<()> {
        let online = self.plan.channel == Channel::Online;
        let days = uniform(&mut self.rng, 0.05, 3.0);
        let at = self.applicant_time(days * 1440.0);
        let method = if online {
            PaymentMethod::OnlinePortal
        } else if chance(&mut self.rng, 0.5) {
            PaymentMethod::Cash
        } else {
            PaymentMethod::Transfer
        };
        let actor = self.applicant_or_desk(desk);
        self.act(at, actor, CommandBody::PayFee { amount_vnd, method })
    }

    /// Hands the result over, then the rating.
    pub(super) fn give_back(&mut self, desk: &Office) -> Option<()> {
        let online = self.plan.channel == Channel::Online;
        let (method, wait) = match self.plan.channel {
            Channel::Online if self.plan.electronic => {
                (ReturnMethod::Electronic, uniform(&mut self.rng, 2.0, 60.0))
            }
            Channel::Postal => (ReturnMethod::Post, uniform(&mut self.rng, 60.0, 960.0)),
            Channel::Online if chance(&mut self.rng, 0.5) => {
                (ReturnMethod::Post, uniform(&mut self.rng, 60.0, 960.0))
            }
            Channel::Direct if chance(&mut self.rng, 0.1) => {
                (ReturnMethod::Post, uniform(&mut self.rng, 60.0, 960.0))
            }
            _ if self.plan.same_day() && self.received_today() => {
                // The applicant waits at the desk for a same-day result.
                (ReturnMethod::Desk, uniform(&mut self.rng, 5.0, 30.0))
            }
            _ => (ReturnMethod::Desk, 30.0 + exponential(&mut self.rng, 720.0)),
        };
        let at = self.work(self.now, wait);
        let reception = desk.reception(&mut self.rng);
        self.act(at, reception, CommandBody::ReturnResult { method })?;
        if self.plan.feedback {
            let late = self.state.timeliness == Some(motcua_domain::calendar::Timeliness::Late);
            let m = self.inner.settings.satisfaction_mix;
            let dissatisfied = if late {
                m.dissatisfied * 4.0
            } else {
                m.dissatisfied
            };
            let ratings = Weighted::new([m.satisfied, m.neutral, dissatisfied])
                .expect("validated: the mix has a positive weight");
            let satisfaction = [
                Satisfaction::Satisfied,
                Satisfaction::Neutral,
                Satisfaction::Dissatisfied,
            ][ratings.pick(&mut self.rng)];
            let comment = wording::comment(&mut self.rng);
            let at = if online {
                self.any_time_within(self.now, 5.0, 2880.0)
            } else {
                self.work_within(self.now, 1.0, 5.0)
            };
            let actor = self.applicant_or_desk(desk);
            let body = CommandBody::RecordFeedback {
                satisfaction,
                comment,
            };
            self.act(at, actor, body)?;
        }
        self.end()
    }

    pub(super) fn withdraw(&mut self, desk: &Office) -> Option<()> {
        let at = self.applicant_time_within(30.0, 2880.0);
        let reason = wording::withdrawal(&mut self.rng);
        let actor = self.applicant_or_desk(desk);
        self.act(at, actor, CommandBody::Withdraw { reason })?;
        self.end()
    }

    pub(super) fn end(&mut self) -> Option<()> {
        self.complete = true;
        None
    }
}
