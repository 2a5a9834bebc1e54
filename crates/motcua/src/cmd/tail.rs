//! `motcua tail`: follow a province's dossier stream, one line per commit.
//!
//! Reads the stream `MOTCUA_DOSSIERS_<province>` with an ordered (ephemeral, flow-controlled,
//! gap-detecting) consumer, from a sequence (`--from-seq`), from an instant (`--since`, JetStream's
//! `DeliverPolicy::ByStartTime`: the time a message reached the stream), with the last N commits
//! (`--last`) or from now on (`--new`, the default). It only reads: it never creates a stream or
//! a durable consumer.
//!
//! Filters are those of the HTTP feed (`GET /v1/events`), applied here to each commit:
//! `--unit` (an office, or a unit code for every office of that unit and the units below it),
//! `--level` (an office involved at that level) and `--type` (any of these event types).
//!
//! The readable form carries no personal data: time (UTC+7), stream sequence, dossier code (or
//! key), event types, acting office → target office, and the national status the commit leads
//! to; never an applicant's name, an account id, a reason or a comment. `--json` prints each
//! envelope as stored (current schema), which does hold the applicant's data: it is the record.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt;
use jiff::Timestamp;
use motcua_domain::Reference;
use motcua_domain::dossier::{EventBody, Role, Status};
use motcua_domain::units::{AgencyId, UnitCode, UnitLevel};
use motcua_log::envelope::IMPORTED_TYPE;
use motcua_log::subject::dossier_stream;
use motcua_log::{Envelope, EventLog, LogSettings, excluded_by_types_header};

/// Arguments of `motcua tail`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("start").args(["from_seq", "since", "last", "new"])))]
pub struct Args {
    /// The province whose stream to follow (2 digits, e.g. 79): one stream per province.
    #[arg(long)]
    pub province: String,
    /// The NATS server(s) of a running motcua, comma-separated.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:14222")]
    pub nats_url: String,
    /// Only commits that involve this office (acting, or named by an event: from, to, receiving
    /// or handling office, the result's desk), e.g. UB.26740; or, given a unit code (e.g.
    /// 26740), any office of that unit and of the units below it.
    #[arg(long)]
    pub unit: Option<String>,
    /// Only commits that involve an office at this level.
    #[arg(long, value_parser = ["province", "district", "commune"])]
    pub level: Option<String>,
    /// Only commits with at least one of these event types, comma-separated (e.g.
    /// received,result_ready; `imported` selects imported histories).
    #[arg(long = "type", value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Start at this stream sequence (1: the beginning).
    #[arg(long, value_name = "N")]
    pub from_seq: Option<u64>,
    /// Start at the first message stored at or after this instant (RFC 3339 with an offset,
    /// e.g. 2026-11-23T08:00:00+07:00). It is the time a message reached the stream: an imported
    /// history is stored when it is imported, with older event times inside.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Start with the last N messages of the stream (before filtering), then follow.
    #[arg(long, value_name = "N")]
    pub last: Option<u64>,
    /// Only commits appended from now on (the default).
    #[arg(long)]
    pub new: bool,
    /// One JSON line per commit: the envelope as stored (it holds applicants' personal data).
    #[arg(long)]
    pub json: bool,
    /// Stop after printing N commits.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop at the end of the stream as it is when tail starts, instead of following it.
    #[arg(long)]
    pub no_follow: bool,
    /// Colours: auto (when standard output is a terminal and NO_COLOR is not set), always,
    /// never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
}

/// What to print.
#[derive(Debug, Default)]
struct Filter {
    offices: Option<OfficeFilter>,
    level: Option<UnitLevel>,
    types: BTreeSet<String>,
}

#[derive(Debug)]
enum OfficeFilter {
    Office(AgencyId),
    Unit(UnitCode),
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let reference = Reference::official();
    let province: UnitCode = args
        .province
        .parse()
        .ok()
        .filter(|c: &UnitCode| c.level() == UnitLevel::Province)
        .with_context(|| {
            format!(
                "--province must be a 2-digit province code, not {:?}",
                args.province
            )
        })?;
    let filter = filter_of(&args, &reference)?;
    let since = args
        .since
        .as_deref()
        .map(|s| {
            s.trim().parse::<Timestamp>().with_context(|| {
                format!("--since must be an RFC 3339 instant with an offset, e.g. 2026-11-23T08:00:00+07:00, not {s:?}")
            })
        })
        .transpose()?;
    let colour = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };

    let log = EventLog::connect(&args.nats_url, LogSettings::default()).await?;
    let name = dossier_stream(&province);
    let mut stream = match log.jetstream().get_stream(&name).await {
        Ok(s) => s,
        Err(e) => bail!(
            "no stream {name} on {}: nothing has been recorded for province {province} yet ({e})",
            args.nats_url
        ),
    };
    let last_seq = stream
        .info()
        .await
        .with_context(|| format!("reading the state of {name}"))?
        .state
        .last_sequence;
    let (deliver_policy, from) = match (args.from_seq, since, args.last) {
        (Some(n), _, _) => (by_sequence(n), format!("sequence {}", n.max(1))),
        (_, Some(t), _) => (by_time(t)?, format!("messages stored since {t}")),
        (_, _, Some(n)) => {
            let start = last_seq.saturating_sub(n).saturating_add(1);
            (by_sequence(start), format!("sequence {start}"))
        }
        _ => {
            let start = last_seq.saturating_add(1);
            (
                by_sequence(start),
                format!("sequence {start} (new commits)"),
            )
        }
    };
    let end = args.no_follow.then_some(last_seq);
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            deliver_policy,
            ..Default::default()
        })
        .await
        .with_context(|| format!("cannot read {name}"))?;
    eprintln!(
        "motcua tail: {name} (last sequence {last_seq}) from {from}{}",
        if end.is_some() {
            " to its current end"
        } else {
            "; Ctrl-C stops"
        }
    );
    if end.is_some() && consumer.cached_info().num_pending == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    let mut messages = consumer
        .messages()
        .await
        .with_context(|| format!("cannot read {name}"))?;

    let mut out = std::io::stdout().lock();
    let mut printed = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let message = tokio::select! {
            _ = &mut ctrl_c => break,
            m = messages.next() => m,
        };
        let Some(message) = message else {
            bail!("the stream {name} ended the subscription");
        };
        let message = message.with_context(|| format!("reading {name}"))?;
        let Ok(info) = message.info() else { continue };
        let seq = info.stream_sequence;
        if end.is_some_and(|end| seq > end) {
            break;
        }
        if let Some(line) = render(&message, seq, &filter, &reference, args.json, colour) {
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                // Standard output closed (`motcua tail | head`): stop quietly.
                break;
            }
            printed += 1;
            if args.count.is_some_and(|c| printed >= c) {
                break;
            }
        }
        if end.is_some_and(|end| seq >= end) {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn by_sequence(n: u64) -> DeliverPolicy {
    if n <= 1 {
        DeliverPolicy::All
    } else {
        DeliverPolicy::ByStartSequence { start_sequence: n }
    }
}

/// `DeliverPolicy::ByStartTime` from an instant, through the policy's own wire form (RFC 3339),
/// so that this crate needs no second date-time library.
fn by_time(t: Timestamp) -> anyhow::Result<DeliverPolicy> {
    serde_json::from_value(serde_json::json!({
        "deliver_policy": "by_start_time",
        "opt_start_time": t.to_string(),
    }))
    .context("cannot express --since as a start time")
}

fn filter_of(args: &Args, reference: &Reference) -> anyhow::Result<Filter> {
    let mut filter = Filter::default();
    if let Some(unit) = args
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        filter.offices = Some(if let Ok(code) = unit.parse::<UnitCode>() {
            let known = reference
                .agencies
                .registry()
                .graphs()
                .iter()
                .any(|g| g.get(&code).is_some());
            if !known {
                bail!("--unit: no unit {code} in the unit lists");
            }
            OfficeFilter::Unit(code)
        } else {
            let id: AgencyId = unit.parse().with_context(|| {
                format!("--unit takes an office id or a unit code, not {unit:?}")
            })?;
            if reference.agencies.get(&id).is_none() {
                bail!("--unit: no office {id}");
            }
            OfficeFilter::Office(id)
        });
    }
    if let Some(level) = &args.level {
        filter.level = Some(level.parse().map_err(|e| anyhow::anyhow!("--level: {e}"))?);
    }
    for t in args
        .types
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        if !EventBody::TYPES.contains(&t) && t != IMPORTED_TYPE {
            bail!(
                "--type: no event type {t:?}; the types are {} and {IMPORTED_TYPE}",
                EventBody::TYPES.join(", ")
            );
        }
        filter.types.insert(t.to_owned());
    }
    Ok(filter)
}

/// The line for a message, or `None` when the filter drops it (or it cannot be read).
fn render(
    message: &async_nats::jetstream::Message,
    seq: u64,
    filter: &Filter,
    reference: &Reference,
    json: bool,
    colour: bool,
) -> Option<String> {
    if excluded_by_types_header(message.headers.as_ref(), &filter.types) {
        return None;
    }
    let envelope = match Envelope::decode(&message.payload) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(stream_seq = seq, error = %e, "unreadable message skipped");
            return None;
        }
    };
    if !keeps(filter, &envelope, reference) {
        return None;
    }
    if json {
        return String::from_utf8(envelope.encode()).ok();
    }
    Some(Line::of(&envelope, seq, reference).render(colour))
}

fn keeps(filter: &Filter, envelope: &Envelope, reference: &Reference) -> bool {
    let names = envelope.type_names();
    if !filter.types.is_empty() {
        let imported = envelope.is_import() && filter.types.contains(IMPORTED_TYPE);
        if !imported && !names.iter().any(|t| filter.types.contains(*t)) {
            return false;
        }
    }
    if filter.offices.is_none() && filter.level.is_none() {
        return true;
    }
    let offices = offices_of(envelope);
    let agencies = &reference.agencies;
    let involved = match &filter.offices {
        None => true,
        Some(OfficeFilter::Office(id)) => offices.contains(id),
        Some(OfficeFilter::Unit(code)) => offices.iter().any(|o| {
            agencies.unit_of(o).is_some_and(|(graph, unit)| {
                unit.code == *code || graph.ancestors(&unit.code).iter().any(|a| a.code == *code)
            })
        }),
    };
    if !involved {
        return false;
    }
    if let Some(level) = filter.level {
        let at_level = offices
            .iter()
            .any(|o| agencies.unit_of(o).is_some_and(|(_, u)| u.level == level));
        if !at_level {
            return false;
        }
    }
    true
}

/// The offices a commit involves: the acting one and every one its events name (for an
/// imported history, every original commit's office too). The same rule as the HTTP feed.
fn offices_of(envelope: &Envelope) -> BTreeSet<AgencyId> {
    let mut out = BTreeSet::new();
    out.extend(envelope.unit.clone());
    for event in envelope.events() {
        out.extend(event.actor.agency);
        if let Some(target) = target_of(&event.body) {
            out.insert(target.clone());
        }
        if let EventBody::Received {
            receiving_agency, ..
        } = event.body
        {
            out.insert(receiving_agency);
        }
    }
    out
}

/// Where an event sends the dossier, if anywhere.
fn target_of(body: &EventBody) -> Option<&AgencyId> {
    match body {
        EventBody::Submitted {
            receiving_agency, ..
        } => Some(receiving_agency),
        EventBody::Received {
            handling_agency, ..
        } => Some(handling_agency),
        EventBody::Forwarded { to, .. } => Some(to),
        EventBody::ResultReady { desk, .. } => Some(desk),
        _ => None,
    }
}

/// The national status an event leads to, as its type implies; `None` for the events that
/// leave it as it was (apologies, feedback). A supplement provided or a fee paid resumes
/// handling.
fn status_after(body: &EventBody) -> Option<Status> {
    Some(match body {
        EventBody::Submitted { .. } | EventBody::IntakeSupplementProvided { .. } => {
            Status::Submitted
        }
        EventBody::IntakeSupplementRequested { .. } | EventBody::SupplementRequested { .. } => {
            Status::Supplement
        }
        EventBody::IntakeRefused { .. } => Status::Denied,
        EventBody::Received { .. } => Status::Received,
        EventBody::Forwarded { .. }
        | EventBody::Assigned { .. }
        | EventBody::Appraised { .. }
        | EventBody::SupplementProvided { .. }
        | EventBody::FeePaid { .. }
        | EventBody::SubmittedForApproval
        | EventBody::Approved
        | EventBody::ApprovalRejected { .. }
        | EventBody::Issued { .. } => Status::Processing,
        EventBody::FeeRequested { .. } => Status::Paying,
        EventBody::SupplementExpired { .. } | EventBody::Stopped { .. } => Status::Stopped,
        EventBody::ResultReady { .. } => Status::ResultReady,
        EventBody::Returned { .. } => Status::Returned,
        EventBody::Withdrawn { .. } => Status::Withdrawn,
        EventBody::Apologised { .. } | EventBody::FeedbackRecorded { .. } => return None,
    })
}

/// How an event type reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    In,
    Done,
    Waiting,
    Ended,
    Plain,
}

impl Tone {
    fn of(type_name: &str) -> Tone {
        match type_name {
            "submitted" | "received" | "intake_supplement_provided" => Tone::In,
            "result_ready" | "returned" => Tone::Done,
            "intake_supplement_requested"
            | "supplement_requested"
            | "fee_requested"
            | "apologised"
            | "approval_rejected" => Tone::Waiting,
            "intake_refused" | "supplement_expired" | "withdrawn" | "stopped" => Tone::Ended,
            _ => Tone::Plain,
        }
    }

    /// The ANSI SGR code.
    fn sgr(self) -> &'static str {
        match self {
            Tone::In => "36",
            Tone::Done => "32",
            Tone::Waiting => "33",
            Tone::Ended => "31",
            Tone::Plain => "34",
        }
    }
}

/// What a readable line shows of a commit: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    time: String,
    seq: u64,
    dossier: String,
    types: String,
    tone: Tone,
    route: String,
    status: Option<(u8, &'static str)>,
}

impl Line {
    fn of(envelope: &Envelope, seq: u64, reference: &Reference) -> Line {
        let events = envelope.events();
        let bodies: Vec<&EventBody> = events.iter().map(|e| &e.body).collect();
        let names = envelope.type_names();
        let types = if envelope.is_import() {
            format!("{IMPORTED_TYPE}({} commits)", envelope.data.commits.len())
        } else {
            names.join(",")
        };
        let tone = if envelope.is_import() {
            Tone::Plain
        } else {
            names.last().map_or(Tone::Plain, |n| Tone::of(n))
        };
        let acting = match (&envelope.unit, envelope.role) {
            (Some(office), _) => office.to_string(),
            (None, Role::Applicant) => "applicant".to_owned(),
            (None, Role::System) => "system".to_owned(),
            (None, role) => role.as_str().to_owned(),
        };
        let target = bodies.iter().rev().find_map(|b| target_of(b));
        let route = match target {
            Some(t) if t.as_str() != acting => format!("{acting} → {t}"),
            _ => acting,
        };
        let status = bodies
            .iter()
            .rev()
            .find_map(|b| status_after(b))
            .map(|s| (s.national_code(), s.label_vi()));
        Line {
            time: reference
                .calendar
                .local(envelope.time)
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string(),
            seq,
            dossier: envelope
                .dossiercode
                .as_ref()
                .map_or_else(|| envelope.subject.to_string(), ToString::to_string),
            types,
            tone,
            route,
            status,
        }
    }

    fn render(&self, colour: bool) -> String {
        let paint = |code: &str, text: String| {
            if colour {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text
            }
        };
        let time = paint("2", self.time.clone());
        let seq = paint("2", format!("#{:<7}", self.seq));
        let dossier = paint("1", format!("{:<20}", self.dossier));
        let types = paint(self.tone.sgr(), format!("{:<24}", self.types));
        let status = self
            .status
            .map(|(code, label)| format!("{code:>2} {label}"))
            .unwrap_or_default();
        let line = format!(
            "{time} {seq} {dossier} {types} {route:<22} {status}",
            route = self.route
        );
        line.trim_end().to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use motcua_domain::catalogue::Channel;
    use motcua_domain::dossier::{Actor, Applicant, Event};
    use motcua_log::{CommitMeta, DossierKey};
    use uuid::Uuid;

    fn received() -> Envelope {
        let reference = Reference::official();
        let at: Timestamp = "2026-11-23T01:15:02Z".parse().unwrap();
        let desk: AgencyId = "MC.26740".parse().unwrap();
        let office: AgencyId = "UB.26740".parse().unwrap();
        let key = DossierKey::new("79".parse().unwrap(), Uuid::now_v7()).unwrap();
        let code: motcua_domain::code::DossierCode = "MC.26740-261123-0012".parse().unwrap();
        let procedure = reference
            .catalogue
            .versions_of(&"1.004194".parse().unwrap())
            .last()
            .unwrap()
            .reference();
        let event = Event {
            at,
            actor: Actor::officer("tn01", Role::Reception, desk.clone()),
            command_id: Uuid::now_v7(),
            body: EventBody::Received {
                code: code.clone(),
                procedure,
                channel: Channel::Direct,
                applicant: Some(Applicant::named("Nguyễn Văn Bí Mật")),
                receiving_agency: desk,
                handling_agency: office,
                rule_set: "nd118-2025".into(),
                time_limit: motcua_domain::calendar::TimeLimit::WorkingDays(3),
                clock_started_at: at,
                due_at: at,
                intake_late: false,
                digitised: true,
            },
        };
        Envelope::for_commit(
            &key,
            Some(&code),
            Some("nd118-2025"),
            &[event],
            &CommitMeta::default(),
            "",
        )
        .unwrap()
    }

    #[test]
    fn a_readable_line_names_the_commit_and_nobody() {
        let reference = Reference::official();
        let envelope = received();
        let line = Line::of(&envelope, 4123, &reference);
        assert_eq!(line.time, "2026-11-23 08:15:02", "local time, UTC+7");
        assert_eq!(line.dossier, "MC.26740-261123-0012");
        assert_eq!(line.types, "received");
        assert_eq!(line.route, "MC.26740 → UB.26740");
        assert_eq!(line.status, Some((2, "Được tiếp nhận")));
        let plain = line.render(false);
        assert!(!plain.contains('\x1b'));
        assert!(plain.starts_with("2026-11-23 08:15:02 #4123"), "{plain}");
        assert!(
            !plain.contains("Bí Mật") && !plain.contains("tn01"),
            "{plain}"
        );
        let coloured = line.render(true);
        assert!(coloured.contains("\x1b[36mreceived"), "{coloured}");
    }

    #[test]
    fn filters_follow_the_http_feed() {
        let reference = Reference::official();
        let envelope = received();
        let keeps_with = |f: Filter| keeps(&f, &envelope, &reference);
        assert!(keeps_with(Filter::default()));
        let types = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect();
        assert!(keeps_with(Filter {
            types: types(&["forwarded", "received"]),
            ..Filter::default()
        }));
        assert!(!keeps_with(Filter {
            types: types(&["returned"]),
            ..Filter::default()
        }));
        let office = |o: &str| Some(OfficeFilter::Office(o.parse().unwrap()));
        assert!(keeps_with(Filter {
            offices: office("UB.26740"),
            ..Filter::default()
        }));
        assert!(!keeps_with(Filter {
            offices: office("UB.26737"),
            ..Filter::default()
        }));
        let unit = |u: &str| Some(OfficeFilter::Unit(u.parse().unwrap()));
        assert!(keeps_with(Filter {
            offices: unit("26740"),
            ..Filter::default()
        }));
        assert!(keeps_with(Filter {
            offices: unit("79"),
            ..Filter::default()
        }));
        assert!(!keeps_with(Filter {
            offices: unit("01"),
            ..Filter::default()
        }));
        assert!(keeps_with(Filter {
            level: Some(UnitLevel::Commune),
            ..Filter::default()
        }));
        assert!(!keeps_with(Filter {
            level: Some(UnitLevel::Province),
            ..Filter::default()
        }));
    }

    #[test]
    fn a_start_time_becomes_by_start_time() {
        let t: Timestamp = "2026-11-23T08:00:00+07:00".parse().unwrap();
        match by_time(t).unwrap() {
            DeliverPolicy::ByStartTime { start_time } => {
                assert_eq!(start_time.unix_timestamp(), t.as_second());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(by_sequence(1), DeliverPolicy::All);
        assert_eq!(
            by_sequence(42),
            DeliverPolicy::ByStartSequence { start_sequence: 42 }
        );
    }
}
