//! The answers of the query endpoints, for the wire and the OpenAPI document.
//!
//! The read models (`motcua-views`) and the domain know nothing of HTTP or OpenAPI, so these
//! types describe what the API sends and are built from theirs. Two things happen in the
//! conversion besides the shape: applicant data is kept or withheld (see [`Personal`]), and
//! every figure of Biểu 06 is named by its column with the on-time rates beside it.
//!
//! Instants are RFC 3339 in UTC (`2026-01-05T02:00:00Z`), dates are local (UTC+7) `YYYY-MM-DD`.

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::dossier::{Applicant, EventBody, Role};
use motcua_domain::report::{Bieu06Counts, OnTimeConvention, Rate};
use motcua_views::{
    Bieu06Report, ControlSlipRow, DossierDetail, DossierRow, Kpi766Counts, Kpi766Report, ListItem,
    PauseRow, TimelineEntry,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Whether an answer may carry the applicant's personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Personal {
    /// Name, ID number, phone, address and e-mail as recorded.
    Included,
    /// None of it: no name, no applicant block, applicant fields dropped from the timeline and
    /// applicants' portal account ids replaced by `applicant`.
    Withheld,
}

impl Personal {
    fn included(self) -> bool {
        self == Personal::Included
    }
}

/// The wire form of a domain value that serialises as a string (a code, a vocabulary word).
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn wire_opt<T: Serialize>(value: Option<&T>) -> Option<String> {
    value.map(wire)
}

/// A dossier as lookups and lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DossierSummary {
    /// The dossier key `<province>-<uuid>`.
    #[schema(example = "79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab")]
    pub key: String,
    /// Code on the receipt slip.
    #[schema(example = "MC.26740-260105-0001")]
    pub code: Option<String>,
    /// Lifecycle stage (`submitted`, `received`, `in_progress`, `supplement`, `fee`, `resolved`,
    /// `returned`, `withdrawn`, `stopped`, …).
    pub stage: String,
    /// Step inside handling, while in progress.
    pub step: Option<String>,
    /// National status code (TrangThaiHoSo, 1–10).
    pub status_code: Option<u8>,
    /// Its Vietnamese label.
    pub status_label: Option<String>,
    /// Procedure code.
    #[schema(example = "1.004194")]
    pub procedure: Option<String>,
    /// Pinned version of the procedure.
    pub procedure_version: Option<u32>,
    /// Procedure name.
    pub procedure_name: Option<String>,
    /// Field (lĩnh vực) of the procedure.
    pub field: Option<String>,
    /// `direct`, `online` or `postal`.
    pub channel: Option<String>,
    /// The applicant's name; `null` when withheld from this caller (see `docs/security.md`).
    pub applicant_name: Option<String>,
    /// Desk that received it.
    pub receiving_agency: Option<String>,
    /// Competent office; Biểu 06 counts the dossier at its unit.
    pub handling_agency: Option<String>,
    /// Office holding it now.
    pub holder: Option<String>,
    /// Account id of the officer in charge.
    pub officer: Option<String>,
    /// Unit of the receiving desk.
    pub receiving_unit: Option<String>,
    /// Unit of the handling office.
    pub handling_unit: Option<String>,
    /// Level of the handling unit (`province`, `district`, `commune`).
    pub handling_level: Option<String>,
    /// Unit of the holder: where the queues list it.
    pub holder_unit: Option<String>,
    /// Online submission.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<Timestamp>,
    /// Intake deadline of an online submission.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub intake_due_at: Option<Timestamp>,
    /// Receipt (NgayTiepNhan).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<Timestamp>,
    /// Current appointment (NgayHenTra).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// The deadline the dossier is judged against.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<Timestamp>,
    /// Due time of the current step.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub step_due_at: Option<Timestamp>,
    /// End of processing (NgayKetThucXuLy).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    /// `early`, `on_time` or `late`, at the end of processing.
    pub timeliness: Option<String>,
    /// Handed to the applicant (NgayTra).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub returned_at: Option<Timestamp>,
    /// Withdrawn, stopped, closed or refused at intake.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    /// Why the clock is stopped, if it is (`supplement`, `fee`).
    pub paused: Option<String>,
    /// Supplement requests during handling.
    pub supplement_requests: u32,
    /// An apology was made.
    pub apologised: bool,
    /// When it is due at its holder while it waits there (the queue order).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub queue_due_at: Option<Timestamp>,
    /// Stream sequence of the last commit the views applied to it.
    pub last_seq: u64,
    /// Number of events applied.
    pub events: u64,
    /// Event time of the last event.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_event_at: Option<Timestamp>,
}

impl DossierSummary {
    pub(crate) fn new(row: &DossierRow, personal: Personal) -> DossierSummary {
        DossierSummary {
            key: row.key.to_string(),
            code: row.code.as_ref().map(ToString::to_string),
            stage: row.stage.clone(),
            step: row.step.clone(),
            status_code: row.status_code,
            status_label: row.status_label.clone(),
            procedure: row.procedure.as_ref().map(|p| p.code.to_string()),
            procedure_version: row.procedure.as_ref().map(|p| p.version),
            procedure_name: row.procedure_name.clone(),
            field: row.field.as_ref().map(|f| f.as_str().to_owned()),
            channel: wire_opt(row.channel.as_ref()),
            applicant_name: if personal.included() {
                row.applicant_name.as_ref().map(|n| n.0.clone())
            } else {
                None
            },
            receiving_agency: row.receiving_agency.as_ref().map(ToString::to_string),
            handling_agency: row.handling_agency.as_ref().map(ToString::to_string),
            holder: row.holder.as_ref().map(ToString::to_string),
            officer: row.officer.clone(),
            receiving_unit: row.receiving_unit.as_ref().map(ToString::to_string),
            handling_unit: row.handling_unit.as_ref().map(ToString::to_string),
            handling_level: row.handling_level.map(|l| l.as_str().to_owned()),
            holder_unit: row.holder_unit.as_ref().map(ToString::to_string),
            submitted_at: row.submitted_at,
            intake_due_at: row.intake_due_at,
            received_at: row.received_at,
            due_at: row.due_at,
            deadline: row.deadline,
            step_due_at: row.step_due_at,
            resolved_at: row.resolved_at,
            timeliness: wire_opt(row.timeliness.as_ref()),
            returned_at: row.returned_at,
            ended_at: row.ended_at,
            paused: row.paused.clone(),
            supplement_requests: row.supplement_requests,
            apologised: row.apologised,
            queue_due_at: row.queue_due_at,
            last_seq: row.last_seq,
            events: row.events,
            last_event_at: row.last_event_at,
        }
    }
}

/// The applicant as recorded (personal data).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicantData {
    /// Full name.
    pub name: String,
    /// Citizen ID or business registration number.
    pub id_number: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// E-mail.
    pub email: Option<String>,
}

impl From<&Applicant> for ApplicantData {
    fn from(a: &Applicant) -> ApplicantData {
        ApplicantData {
            name: a.name.clone(),
            id_number: a.id_number.clone(),
            phone: a.phone.clone(),
            address: a.address.clone(),
            email: a.email.clone(),
        }
    }
}

/// Who made an event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorData {
    /// Officer account id; an applicant's portal account id, or `applicant` when applicant data
    /// is withheld; `system` for the service.
    pub id: String,
    /// The role the command was made in.
    #[schema(example = "reception")]
    pub role: String,
    /// The office the officer acted for.
    #[schema(example = "MC.26740")]
    pub agency: Option<String>,
}

/// One event of the timeline (the audit trail).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineItem {
    /// Stream sequence of its commit.
    pub seq: u64,
    /// Event time.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Event type (`received`, `forwarded`, …).
    pub event_type: String,
    /// Who, in which role, for which office.
    pub actor: ActorData,
    /// The event as on the stream (`type` and its fields); without `applicant` (and a
    /// feedback's `comment`) when applicant data is withheld.
    #[schema(value_type = Object)]
    pub event: Value,
}

impl TimelineItem {
    fn new(entry: &TimelineEntry, personal: Personal) -> TimelineItem {
        let mut event = serde_json::to_value(&entry.event).unwrap_or(Value::Null);
        let mut actor_id = entry.actor.id.clone();
        if !personal.included() {
            if let Value::Object(fields) = &mut event {
                fields.remove("applicant");
                if matches!(entry.event, EventBody::FeedbackRecorded { .. }) {
                    fields.remove("comment");
                }
            }
            if entry.actor.role == Role::Applicant {
                "applicant".clone_into(&mut actor_id);
            }
        }
        TimelineItem {
            seq: entry.seq,
            at: entry.at,
            event_type: entry.event_type.clone(),
            actor: ActorData {
                id: actor_id,
                role: entry.actor.role.as_str().to_owned(),
                agency: entry.actor.agency.as_ref().map(ToString::to_string),
            },
            event,
        }
    }
}

/// One row of the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, Form 05).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ControlSlipItem {
    /// Office handing over.
    pub from: String,
    /// Office receiving.
    pub to: String,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Result of the step that ended: `early`, `on_time` or `late`.
    pub step_result: String,
}

impl From<&ControlSlipRow> for ControlSlipItem {
    fn from(r: &ControlSlipRow) -> ControlSlipItem {
        ControlSlipItem {
            from: r.from.to_string(),
            to: r.to.to_string(),
            at: r.at,
            step_result: wire(&r.step_result),
        }
    }
}

/// A clock pause.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PauseItem {
    /// `supplement` or `fee`.
    pub kind: String,
    /// From.
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    /// Until, once over.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to: Option<Timestamp>,
}

impl From<&PauseRow> for PauseItem {
    fn from(p: &PauseRow) -> PauseItem {
        PauseItem {
            kind: p.kind.clone(),
            from: p.from,
            to: p.to,
        }
    }
}

/// A dossier with its timeline, control slip and pauses.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DossierAnswer {
    /// The summary.
    pub dossier: DossierSummary,
    /// Whether applicant data was withheld from this caller (then `applicant` and
    /// `dossier.applicant_name` are `null`).
    pub personal_data_withheld: bool,
    /// The applicant as recorded, for callers allowed to see it.
    pub applicant: Option<ApplicantData>,
    /// Every event, in order.
    pub timeline: Vec<TimelineItem>,
    /// The control-slip rows, one per handover.
    pub control_slip: Vec<ControlSlipItem>,
    /// Clock pauses.
    pub pauses: Vec<PauseItem>,
}

impl DossierAnswer {
    pub(crate) fn new(d: &DossierDetail, personal: Personal) -> DossierAnswer {
        DossierAnswer {
            dossier: DossierSummary::new(&d.row, personal),
            personal_data_withheld: !personal.included(),
            applicant: if personal.included() {
                d.applicant.as_ref().map(ApplicantData::from)
            } else {
                None
            },
            timeline: d
                .timeline
                .iter()
                .map(|e| TimelineItem::new(e, personal))
                .collect(),
            control_slip: d.control_slip.iter().map(ControlSlipItem::from).collect(),
            pauses: d.pauses.iter().map(PauseItem::from).collect(),
        }
    }
}

/// A dossier in a queue or an overdue list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListEntry {
    /// The instant the list is ordered by: the due time at the holder (queues) or the deadline
    /// (overdue lists).
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// The dossier.
    pub dossier: DossierSummary,
}

impl ListEntry {
    pub(crate) fn new(item: &ListItem, personal: Personal) -> ListEntry {
        ListEntry {
            due_at: item.due_at,
            dossier: DossierSummary::new(&item.row, personal),
        }
    }
}

/// What a list covers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListScope {
    /// `unit` (the unit and every unit below it) or `agency` (one office).
    #[schema(example = "unit")]
    pub kind: String,
    /// The unit code or the office id.
    #[schema(example = "26740")]
    pub id: String,
    /// Its official name.
    pub name: String,
    /// The province whose views answered.
    #[schema(example = "79")]
    pub province: String,
}

/// A queue or an overdue list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListAnswer {
    /// What the list covers.
    pub scope: ListScope,
    /// Overdue lists: the instant deadlines are compared with.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
    /// The limit applied.
    pub limit: usize,
    /// More dossiers exist beyond the limit.
    pub more: bool,
    /// Most urgent (queues) or most overdue (overdue lists) first.
    pub items: Vec<ListEntry>,
}

/// Dossiers whose applicant's name matches a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchAnswer {
    /// The province searched.
    #[schema(example = "79")]
    pub province: String,
    /// The limit applied.
    pub limit: usize,
    /// More dossiers match beyond the limit.
    pub more: bool,
    /// The matches, by matched words then key. The name only: never ID numbers, phones or
    /// addresses.
    pub items: Vec<DossierSummary>,
}

/// An on-time rate, kept exact.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct RateData {
    /// Numerator.
    pub numerator: u64,
    /// Denominator (never 0).
    pub denominator: u64,
    /// The percentage, rounded to two decimals.
    pub percent: f64,
}

impl From<Rate> for RateData {
    fn from(r: Rate) -> RateData {
        RateData {
            numerator: r.numerator,
            denominator: r.denominator,
            percent: (r.percent() * 100.0).round() / 100.0,
        }
    }
}

/// The on-time rate in every published convention (`null` when its denominator is 0).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct OnTimeRates {
    /// (a) (col 8 + col 9) / col 7.
    pub standard: Option<RateData>,
    /// (b) (col 8 + col 9) / (col 7 + col 13).
    pub due_reached: Option<RateData>,
    /// (c) 100% − (col 10 + col 13) / col 3.
    pub late_share: Option<RateData>,
}

impl OnTimeRates {
    fn of(c: &Bieu06Counts) -> OnTimeRates {
        let mut out = OnTimeRates::default();
        for convention in OnTimeConvention::ALL {
            let rate = c.on_time_rate(convention).map(RateData::from);
            match convention {
                OnTimeConvention::Standard => out.standard = rate,
                OnTimeConvention::DueReached => out.due_reached = rate,
                OnTimeConvention::LateShare => out.late_share = rate,
            }
        }
        out
    }
}

/// One line of Biểu 06: columns 3 to 13 (1 is the line number and 2 its label), the dossiers
/// that ended otherwise, and the on-time rates.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Bieu06Line {
    /// Column 3: received, total (4 + 5 + 6).
    pub received_total: u64,
    /// Column 4: received online in the period.
    pub received_online: u64,
    /// Column 5: received directly or by post in the period.
    pub received_direct_postal: u64,
    /// Column 6: carried over from before the period.
    pub carried_over: u64,
    /// Column 7: resolved, total (8 + 9 + 10).
    pub resolved_total: u64,
    /// Column 8: resolved early (trước hạn).
    pub resolved_early: u64,
    /// Column 9: resolved on time (đúng hạn).
    pub resolved_on_time: u64,
    /// Column 10: resolved late (quá hạn).
    pub resolved_late: u64,
    /// Column 11: pending, total (12 + 13).
    pub pending_total: u64,
    /// Column 12: pending within time.
    pub pending_within: u64,
    /// Column 13: pending overdue.
    pub pending_overdue: u64,
    /// Not a column: withdrawn, stopped or closed in the period (col 3 = 7 + 11 + this).
    pub ended_otherwise: u64,
    /// On-time rates of this line.
    pub on_time: OnTimeRates,
}

impl From<&Bieu06Counts> for Bieu06Line {
    fn from(c: &Bieu06Counts) -> Bieu06Line {
        Bieu06Line {
            received_total: c.received_total(),
            received_online: c.received_online,
            received_direct_postal: c.received_direct_postal,
            carried_over: c.carried_over,
            resolved_total: c.resolved_total(),
            resolved_early: c.resolved_early,
            resolved_on_time: c.resolved_on_time,
            resolved_late: c.resolved_late,
            pending_total: c.pending_total(),
            pending_within: c.pending_within,
            pending_overdue: c.pending_overdue,
            ended_otherwise: c.ended_otherwise,
            on_time: OnTimeRates::of(c),
        }
    }
}

/// One procedure's line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bieu06Procedure {
    /// Procedure code.
    #[schema(example = "1.004194")]
    pub procedure: String,
    /// Procedure name.
    pub name: String,
    /// The figures.
    pub line: Bieu06Line,
}

/// The procedures of one field, with their total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bieu06Field {
    /// Field code.
    pub field: String,
    /// Field name.
    pub name: String,
    /// Total of the field.
    pub total: Bieu06Line,
    /// One line per procedure.
    pub procedures: Vec<Bieu06Procedure>,
}

/// The fields handled at one level, with their total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bieu06Level {
    /// Level of the handling unit: `province`, `district` or `commune`.
    pub level: String,
    /// Total of the level.
    pub total: Bieu06Line,
    /// Fields.
    pub fields: Vec<Bieu06Field>,
}

/// The note printed under the form: dossiers that left without a result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EndedOtherwiseNote {
    /// Withdrawn, stopped or closed in the period.
    pub count: u64,
    /// The note as printed.
    pub text: String,
}

/// Biểu 06 ("Tình hình, kết quả giải quyết TTHC") of a unit and every unit below it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bieu06Answer {
    /// Unit code.
    #[schema(example = "26740")]
    pub unit: String,
    /// Unit name.
    pub unit_name: String,
    /// First day (local).
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// Last day, inclusive.
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// When pending dossiers are judged: the period end, or `at` when the period has not ended.
    #[schema(value_type = String, format = DateTime)]
    pub judged_at: Timestamp,
    /// Line groups by level of the handling unit (top level first), then field, then procedure.
    pub levels: Vec<Bieu06Level>,
    /// Grand total.
    pub total: Bieu06Line,
    /// The dossiers that ended otherwise.
    pub note: EndedOtherwiseNote,
}

impl Bieu06Answer {
    pub(crate) fn new(r: &Bieu06Report, unit_name: String) -> Bieu06Answer {
        let n = r.total.ended_otherwise;
        Bieu06Answer {
            unit: r.unit.to_string(),
            unit_name,
            from: r.from,
            to: r.to,
            judged_at: r.judged_at,
            levels: r
                .levels
                .iter()
                .map(|l| Bieu06Level {
                    level: l.level.as_str().to_owned(),
                    total: Bieu06Line::from(&l.total),
                    fields: l
                        .fields
                        .iter()
                        .map(|f| Bieu06Field {
                            field: f.field.as_str().to_owned(),
                            name: f.name.clone(),
                            total: Bieu06Line::from(&f.total),
                            procedures: f
                                .procedures
                                .iter()
                                .map(|p| Bieu06Procedure {
                                    procedure: p.procedure.to_string(),
                                    name: p.name.clone(),
                                    line: Bieu06Line::from(&p.counts),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
            total: Bieu06Line::from(&r.total),
            note: EndedOtherwiseNote {
                count: n,
                text: format!(
                    "Ghi chú: {n} hồ sơ kết thúc trong kỳ mà không có kết quả (rút, dừng, đóng do không bổ sung); cột (3) = cột (7) + cột (11) + {n}."
                ),
            },
        }
    }
}

/// Decision 766 indicator 2.1 inputs of one group of dossiers.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Kpi766Figures {
    /// Received or being processed in the period (= Biểu 06 column 3).
    pub dossiers: u64,
    /// Of them, ended in the period on time.
    pub ended_on_time: u64,
    /// Of them, still open when judged and on time then.
    pub pending_on_time: u64,
    /// Processed or being processed on time.
    pub on_time: u64,
    /// The indicator: on time / dossiers (`null` for no dossiers).
    pub rate: Option<RateData>,
}

impl From<&Kpi766Counts> for Kpi766Figures {
    fn from(c: &Kpi766Counts) -> Kpi766Figures {
        Kpi766Figures {
            dossiers: c.dossiers,
            ended_on_time: c.ended_on_time,
            pending_on_time: c.pending_on_time,
            on_time: c.on_time(),
            rate: c.rate().map(RateData::from),
        }
    }
}

/// One procedure's Decision 766 inputs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Kpi766Line {
    /// Level of the handling unit.
    pub level: String,
    /// Field code.
    pub field: String,
    /// Field name.
    pub field_name: String,
    /// Procedure code.
    pub procedure: String,
    /// Procedure name.
    pub procedure_name: String,
    /// The figures.
    pub figures: Kpi766Figures,
}

/// Decision 766 indicator 2.1 inputs of a unit and every unit below it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Kpi766Answer {
    /// Unit code.
    pub unit: String,
    /// Unit name.
    pub unit_name: String,
    /// First day (local).
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// Last day, inclusive.
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// When open dossiers are judged.
    #[schema(value_type = String, format = DateTime)]
    pub judged_at: Timestamp,
    /// One line per (level, field, procedure).
    pub rows: Vec<Kpi766Line>,
    /// Total.
    pub total: Kpi766Figures,
}

impl Kpi766Answer {
    pub(crate) fn new(
        r: &Kpi766Report,
        unit_name: String,
        reference: &motcua_domain::Reference,
    ) -> Kpi766Answer {
        let catalogue = &reference.catalogue;
        let fields = catalogue.fields();
        Kpi766Answer {
            unit: r.unit.to_string(),
            unit_name,
            from: r.from,
            to: r.to,
            judged_at: r.judged_at,
            rows: r
                .rows
                .iter()
                .map(|row| Kpi766Line {
                    level: row.level.as_str().to_owned(),
                    field: row.field.as_str().to_owned(),
                    field_name: fields
                        .get(&row.field)
                        .map(|n| (*n).to_owned())
                        .unwrap_or_default(),
                    procedure: row.procedure.to_string(),
                    procedure_name: catalogue
                        .versions_of(&row.procedure)
                        .last()
                        .map(|v| v.name.clone())
                        .unwrap_or_default(),
                    figures: Kpi766Figures::from(&row.counts),
                })
                .collect(),
            total: Kpi766Figures::from(&r.total),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_convention_has_its_rate() {
        let c = Bieu06Counts {
            received_direct_postal: 10,
            resolved_early: 4,
            resolved_on_time: 2,
            resolved_late: 2,
            pending_overdue: 1,
            pending_within: 1,
            ..Bieu06Counts::default()
        };
        let line = Bieu06Line::from(&c);
        assert_eq!(line.received_total, 10);
        assert_eq!(line.resolved_total, 8);
        assert_eq!(line.pending_total, 2);
        let r = line.on_time;
        assert_eq!(r.standard.unwrap().percent, 75.0);
        assert_eq!(
            (
                r.due_reached.unwrap().numerator,
                r.due_reached.unwrap().denominator
            ),
            (6, 9)
        );
        assert_eq!(r.due_reached.unwrap().percent, 66.67);
        assert_eq!(r.late_share.unwrap().percent, 70.0);
        let empty = Bieu06Line::from(&Bieu06Counts::default()).on_time;
        assert!(empty.standard.is_none() && empty.due_reached.is_none());
    }
}
