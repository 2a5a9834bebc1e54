//! Fixtures for the views tests: random but valid dossier histories made by the domain's
//! `decide`, ways to put them on a stream (or hand them to `Views::apply` directly), and a plain
//! in-memory model of every view to compare the sled views with.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::Reference;
use motcua_domain::calendar::Timeliness;
use motcua_domain::catalogue::{Channel, FieldCode, ProcedureCode};
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{
    Actor, Applicant, Command, CommandBody, Event, PaymentMethod, Proposal, ReturnMethod, Role,
    Satisfaction, Stage, Step, decide,
};
use motcua_domain::report::{Bieu06Counts, Period, classify, kpi766_on_time};
use motcua_domain::units::{AgencyId, UnitCode, UnitLevel};
use motcua_log::envelope::chain_hash;
use motcua_log::{CommitMeta, DossierKey, Envelope, EventLog};
use motcua_views::fold::{fold, word_suffixes};
use motcua_views::{Delivery, Folded, Views, scope_units, unit_of};
use uuid::Uuid;

/// The shipped reference data, parsed once.
pub fn reference() -> Arc<Reference> {
    static R: OnceLock<Arc<Reference>> = OnceLock::new();
    R.get_or_init(|| Arc::new(Reference::official())).clone()
}

/// A local (UTC+7) wall-clock time such as `"2026-01-05T09:00"`.
pub fn at(local: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = local.parse().expect("a local date-time");
    jiff::tz::offset(7).to_timestamp(dt).expect("in range")
}

pub fn date(s: &str) -> Date {
    s.parse().expect("a date")
}

pub fn agency(s: &str) -> AgencyId {
    s.parse().expect("an agency id")
}

pub fn unit(s: &str) -> UnitCode {
    s.parse().expect("a unit code")
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (proptest hands us the seed)
// ---------------------------------------------------------------------------------------------

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Histories made by `decide`
// ---------------------------------------------------------------------------------------------

/// One dossier's history: its commits (each the events of one command), in order.
#[derive(Debug, Clone)]
pub struct GenDossier {
    pub key: DossierKey,
    pub commits: Vec<Vec<Event>>,
}

impl GenDossier {
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.commits.iter().flatten()
    }
}

/// A procedure as the generator uses it.
#[derive(Debug, Clone)]
struct Plan {
    procedure: &'static str,
    desk: &'static str,
    handling: &'static str,
    /// Offices the dossier passes through after the desk, ending with the handling office.
    route: &'static [&'static str],
    channels: &'static [Channel],
}

const PLANS_2LEVEL: &[Plan] = &[
    Plan {
        procedure: "1.004194",
        desk: "MC.26740",
        handling: "UB.26740",
        route: &["UB.26740"],
        channels: &[Channel::Direct, Channel::Online],
    },
    Plan {
        procedure: "1.004222",
        desk: "MC.26506",
        handling: "UB.26506",
        route: &["UB.26506"],
        channels: &[Channel::Direct, Channel::Online],
    },
    Plan {
        procedure: "2.001583",
        desk: "MC.26740",
        handling: "UB.79",
        route: &["UB.26740", "UB.79"],
        channels: &[Channel::Direct, Channel::Online, Channel::Postal],
    },
    Plan {
        procedure: "3.000333",
        desk: "MC.26506",
        handling: "UB.79",
        route: &["UB.79"],
        channels: &[Channel::Direct, Channel::Online, Channel::Postal],
    },
    Plan {
        procedure: "1.001193",
        desk: "MC.26740",
        handling: "UB.26740",
        route: &["UB.26740"],
        channels: &[Channel::Direct, Channel::Online, Channel::Postal],
    },
];

const PLANS_3LEVEL: &[Plan] = &[
    Plan {
        procedure: "1.013978",
        desk: "MC.26734",
        handling: "UB.760",
        route: &["UB.26734", "UB.760"],
        channels: &[Channel::Direct, Channel::Online],
    },
    Plan {
        procedure: "1.004222",
        desk: "MC.26740",
        handling: "UB.26740",
        route: &["UB.26740"],
        channels: &[Channel::Direct],
    },
    Plan {
        procedure: "2.001583",
        desk: "MC.26734",
        handling: "UB.79",
        route: &["UB.79"],
        channels: &[Channel::Direct, Channel::Postal],
    },
];

const GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đức", "Hà", "Hương", "Lan", "Anh",
];
const FAMILY: &[&str] = &["Nguyễn", "Trần", "Lê", "Phạm", "Đặng", "Võ"];
const MIDDLE: &[&str] = &["Văn", "Thị", "Hữu", "Ngọc"];

/// Makes dossier histories by random walks over `decide`: every commit is one `decide` would
/// accept at its time.
pub struct Generator {
    reference: Arc<Reference>,
    rng: Rng,
    codes: HashMap<(String, Date), u32>,
    /// Which era to draw receipts from: `true` = some dossiers before the July 2025 reform.
    pub mixed_eras: bool,
    /// Earliest and latest receipt (2-level era).
    pub window: (Timestamp, Timestamp),
    /// Most commands per dossier.
    pub max_steps: usize,
    /// Chance (percent) that a fee request is among a step's candidates.
    pub fee_percent: u64,
    /// Share (percent) of payments made at the desk in cash rather than online; 0 draws nothing,
    /// so the histories of the other tests stay as they were.
    pub cash_percent: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            reference: reference(),
            rng: Rng::new(seed),
            codes: HashMap::new(),
            mixed_eras: true,
            window: (at("2026-01-05T07:30"), at("2026-03-20T16:00")),
            max_steps: 16,
            fee_percent: 5,
            cash_percent: 0,
        }
    }

    pub fn dossiers(&mut self, n: usize) -> Vec<GenDossier> {
        (0..n).map(|_| self.dossier()).collect()
    }

    fn code(&mut self, desk: &AgencyId, now: Timestamp) -> DossierCode {
        let day = self.reference.calendar.local_date(now);
        let n = self.codes.entry((desk.to_string(), day)).or_insert(0);
        *n += 1;
        DossierCode::new(desk.clone(), day, *n).unwrap()
    }

    fn applicant(&mut self) -> Applicant {
        let name = format!(
            "{} {} {}",
            self.rng.pick(FAMILY),
            self.rng.pick(MIDDLE),
            self.rng.pick(GIVEN)
        );
        let mut a = Applicant::named(name);
        a.id_number = Some(format!("0790{:08}", self.rng.below(100_000_000)));
        a
    }

    fn advance(&mut self, now: Timestamp) -> Timestamp {
        let minutes = match self.rng.below(10) {
            0..=3 => self.rng.below(240),
            4..=7 => 60 * 24 + self.rng.below(60 * 24 * 3),
            _ => 60 * 24 * 3 + self.rng.below(60 * 24 * 8),
        };
        now + SignedDuration::from_mins(minutes as i64 + 1)
    }

    /// One dossier's history.
    pub fn dossier(&mut self) -> GenDossier {
        let old_era = self.mixed_eras && self.rng.chance(20);
        let plan = if old_era {
            self.rng.pick(PLANS_3LEVEL).clone()
        } else {
            self.rng.pick(PLANS_2LEVEL).clone()
        };
        let (lo, hi) = if old_era {
            (at("2025-04-01T07:30"), at("2025-06-20T16:00"))
        } else {
            self.window
        };
        let span = hi.duration_since(lo).as_secs().max(1) as u64;
        let mut now = lo + SignedDuration::from_secs(self.rng.below(span) as i64);
        let key = DossierKey::generate(unit("79")).unwrap();
        let desk = agency(plan.desk);
        let handling = agency(plan.handling);
        let channel = *self.rng.pick(plan.channels);
        let account = format!("acc-{}", self.rng.below(1_000_000));
        let applicant = self.applicant();
        let ctx_ref = self.reference.clone();
        let ctx = ctx_ref.context();
        let mut state = motcua_domain::dossier::Dossier::new();
        let mut commits: Vec<Vec<Event>> = Vec::new();
        let reception = Actor::officer("tn01", Role::Reception, desk.clone());
        let mut route_pos = 0usize;

        let first = if channel == Channel::Online {
            Command {
                id: Uuid::now_v7(),
                actor: Actor::applicant(account.clone()),
                body: CommandBody::SubmitOnline {
                    procedure: plan.procedure.parse().unwrap(),
                    applicant: applicant.clone(),
                    receiving_agency: desk.clone(),
                },
            }
        } else {
            Command {
                id: Uuid::now_v7(),
                actor: reception.clone(),
                body: CommandBody::Receive {
                    code: Some(self.code(&desk, now)),
                    procedure: Some(plan.procedure.parse().unwrap()),
                    channel: Some(channel),
                    applicant: Some(applicant.clone()),
                    handling_agency: handling.clone(),
                    digitised: self.rng.chance(50),
                },
            }
        };
        match decide(&state, &first, now, &ctx) {
            Ok(events) => {
                for e in &events {
                    state = state.clone().evolve(e);
                }
                commits.push(events);
            }
            Err(e) => panic!("first command of {} refused: {e}", plan.procedure),
        }
        for _ in 0..self.max_steps {
            if state.stage.is_final() || self.rng.chance(4) {
                break;
            }
            let holder = state.holder.clone().unwrap_or(desk.clone());
            let officer = |role: Role, id: &str| Actor::officer(id, role, holder.clone());
            let applicant_actor = if channel == Channel::Online {
                Actor::applicant(account.clone())
            } else {
                reception.clone()
            };
            let mut next = self.advance(now);
            let mut candidates: Vec<(Actor, CommandBody)> = Vec::new();
            match state.stage {
                Stage::Submitted => {
                    let code = self.code(&desk, next);
                    candidates.push((
                        reception.clone(),
                        CommandBody::Receive {
                            code: Some(code),
                            procedure: None,
                            channel: None,
                            applicant: None,
                            handling_agency: handling.clone(),
                            digitised: false,
                        },
                    ));
                    candidates.push((
                        reception.clone(),
                        CommandBody::Receive {
                            code: Some(self.code(&desk, next)),
                            procedure: None,
                            channel: None,
                            applicant: None,
                            handling_agency: handling.clone(),
                            digitised: true,
                        },
                    ));
                    candidates.push((
                        reception.clone(),
                        CommandBody::RequestIntakeSupplement {
                            items: vec!["bản sao CCCD".into()],
                        },
                    ));
                    if self.rng.chance(20) {
                        candidates.push((
                            reception.clone(),
                            CommandBody::RefuseIntake {
                                reason: "không thuộc thẩm quyền".into(),
                            },
                        ));
                    }
                }
                Stage::IntakeSupplement => {
                    candidates.push((
                        applicant_actor.clone(),
                        CommandBody::ProvideIntakeSupplement,
                    ));
                    candidates.push((
                        applicant_actor.clone(),
                        CommandBody::ProvideIntakeSupplement,
                    ));
                    candidates.push((
                        applicant_actor.clone(),
                        CommandBody::Withdraw {
                            reason: "không bổ sung".into(),
                        },
                    ));
                }
                Stage::Received | Stage::InProgress { .. } => {
                    let step = match state.stage {
                        Stage::InProgress { step } => Some(step),
                        _ => None,
                    };
                    let forward_role = if step.is_none() {
                        Role::Reception
                    } else {
                        Role::Approver
                    };
                    if route_pos < plan.route.len()
                        && matches!(
                            step,
                            None | Some(Step::Waiting | Step::Assigned | Step::Appraised)
                        )
                    {
                        let to = agency(plan.route[route_pos]);
                        let actor = if step.is_none() {
                            reception.clone()
                        } else {
                            officer(forward_role, "ld01")
                        };
                        candidates.push((
                            actor.clone(),
                            CommandBody::Forward {
                                to: to.clone(),
                                note: None,
                            },
                        ));
                        candidates.push((actor, CommandBody::Forward { to, note: None }));
                    } else {
                        match step {
                            Some(Step::Waiting) => candidates.push((
                                officer(Role::Approver, "ld01"),
                                CommandBody::Assign {
                                    officer: "cv01".into(),
                                },
                            )),
                            Some(Step::Assigned) => {
                                let proposal = if self.rng.chance(85) {
                                    Proposal::Grant
                                } else {
                                    Proposal::Refuse {
                                        reason: "không đủ điều kiện".into(),
                                    }
                                };
                                candidates.push((
                                    officer(Role::HandlingOfficer, "cv01"),
                                    CommandBody::Appraise {
                                        proposal,
                                        opinion: "đủ hồ sơ".into(),
                                    },
                                ));
                            }
                            Some(Step::Appraised) => candidates.push((
                                officer(Role::HandlingOfficer, "cv01"),
                                CommandBody::SubmitForApproval,
                            )),
                            Some(Step::PendingApproval) => {
                                candidates
                                    .push((officer(Role::Approver, "ld01"), CommandBody::Approve));
                                candidates
                                    .push((officer(Role::Approver, "ld01"), CommandBody::Approve));
                                candidates.push((
                                    officer(Role::Approver, "ld01"),
                                    CommandBody::RejectApproval {
                                        reason: "xem lại".into(),
                                    },
                                ));
                            }
                            Some(Step::Approved) => candidates.push((
                                officer(Role::Clerk, "vt01"),
                                CommandBody::Issue {
                                    document_no: format!("{}/QĐ", self.rng.below(10_000)),
                                    electronic: self.rng.chance(50),
                                },
                            )),
                            Some(Step::Issued) => candidates
                                .push((officer(Role::Clerk, "vt01"), CommandBody::MarkResultReady)),
                            None => {}
                        }
                    }
                    // Exceptions.
                    if self.rng.chance(12) {
                        let role = if step.is_none() {
                            Role::Reception
                        } else {
                            Role::HandlingOfficer
                        };
                        candidates.push((
                            officer(role, if step.is_none() { "tn01" } else { "cv01" }),
                            CommandBody::RequestSupplement {
                                items: vec!["giấy xác nhận".into()],
                            },
                        ));
                    }
                    if self.rng.chance(self.fee_percent) {
                        let role = if step.is_none() {
                            Role::Reception
                        } else {
                            Role::HandlingOfficer
                        };
                        candidates.push((
                            officer(role, "cv01"),
                            CommandBody::RequestFee {
                                amount_vnd: 50_000,
                                reason: "lệ phí".into(),
                            },
                        ));
                    }
                    if self.rng.chance(8)
                        && let Some(due) = state.due_at
                    {
                        candidates.push((
                            officer(Role::Approver, "ld01"),
                            CommandBody::Apologise {
                                reason: "cần xác minh".into(),
                                new_due_at: due + SignedDuration::from_hours(72),
                            },
                        ));
                    }
                    if self.rng.chance(3) {
                        candidates.push((
                            applicant_actor.clone(),
                            CommandBody::Withdraw {
                                reason: "không có nhu cầu".into(),
                            },
                        ));
                    }
                    if self.rng.chance(2) {
                        candidates.push((
                            Actor::officer("admin", Role::Admin, desk.clone()),
                            CommandBody::Stop {
                                reason: "dừng theo yêu cầu".into(),
                            },
                        ));
                    }
                }
                Stage::Supplement { .. } => {
                    if self.rng.chance(15) {
                        next = now + SignedDuration::from_hours(24 * 16);
                        candidates.push((Actor::system(), CommandBody::ExpireSupplement));
                    } else {
                        candidates.push((applicant_actor.clone(), CommandBody::ProvideSupplement));
                    }
                    if self.rng.chance(5) {
                        candidates.push((
                            applicant_actor.clone(),
                            CommandBody::Withdraw {
                                reason: "rút".into(),
                            },
                        ));
                    }
                }
                Stage::AwaitingPayment { .. } => {
                    let method = if self.cash_percent > 0 && self.rng.chance(self.cash_percent) {
                        PaymentMethod::Cash
                    } else {
                        PaymentMethod::OnlinePortal
                    };
                    candidates.push((
                        applicant_actor.clone(),
                        CommandBody::PayFee {
                            amount_vnd: state.fee_due_vnd.unwrap_or(0),
                            method,
                        },
                    ));
                }
                Stage::ResultReady => {
                    candidates.push((
                        reception.clone(),
                        CommandBody::ReturnResult {
                            method: ReturnMethod::Desk,
                        },
                    ));
                    if self.rng.chance(20) {
                        candidates.push((
                            applicant_actor.clone(),
                            CommandBody::RecordFeedback {
                                satisfaction: Satisfaction::Satisfied,
                                comment: None,
                            },
                        ));
                    }
                }
                _ => {}
            }
            if candidates.is_empty() {
                break;
            }
            let (actor, body) =
                candidates.swap_remove(self.rng.below(candidates.len() as u64) as usize);
            let is_forward = matches!(body, CommandBody::Forward { .. });
            let cmd = Command {
                id: Uuid::now_v7(),
                actor,
                body,
            };
            if let Ok(events) = decide(&state, &cmd, next, &ctx) {
                for e in &events {
                    state = state.clone().evolve(e);
                }
                state.check_invariants().unwrap();
                commits.push(events);
                now = next;
                if is_forward {
                    route_pos += 1;
                }
            }
        }
        GenDossier { key, commits }
    }
}

// ---------------------------------------------------------------------------------------------
// Putting histories on a stream
// ---------------------------------------------------------------------------------------------

/// The envelopes of a dossier, chained.
pub fn envelopes(d: &GenDossier) -> Vec<Envelope> {
    let mut prev = String::new();
    let mut state = motcua_domain::dossier::Dossier::new();
    let mut out = Vec::new();
    for events in &d.commits {
        for e in events {
            state = state.clone().evolve(e);
        }
        let env = Envelope::for_commit(
            &d.key,
            state.code.as_ref(),
            state.rule_set.as_deref(),
            events,
            &CommitMeta::default(),
            &prev,
        )
        .unwrap();
        prev = chain_hash(&env.encode());
        out.push(env);
    }
    out
}

/// Every commit of every dossier in event-time order (a plausible interleaving on the stream),
/// as deliveries with sequences from `first_seq`.
pub fn deliveries(dossiers: &[GenDossier], first_seq: u64) -> Vec<Delivery> {
    let mut all: Vec<(Timestamp, usize, usize, Envelope)> = Vec::new();
    for (i, d) in dossiers.iter().enumerate() {
        for (j, env) in envelopes(d).into_iter().enumerate() {
            all.push((env.time, i, j, env));
        }
    }
    all.sort_by_key(|a| (a.0, a.1, a.2));
    all.into_iter()
        .enumerate()
        .map(|(n, (_, _, _, env))| Delivery {
            seq: first_seq + n as u64,
            subject: env.subject.subject(),
            payload: Bytes::from(env.encode()),
        })
        .collect()
}

/// Appends every dossier's commits with optimistic concurrency, `parallel` dossiers at a time.
/// Returns the number of messages appended.
pub async fn append_all(log: &EventLog, dossiers: &[GenDossier], parallel: usize) -> u64 {
    let jobs: Vec<Vec<Envelope>> = dossiers.iter().map(envelopes).collect();
    append_envelopes(log.clone(), jobs, parallel).await
}

/// Appends each list of envelopes (one dossier each) in order, `parallel` lists at a time.
pub async fn append_envelopes(log: EventLog, jobs: Vec<Vec<Envelope>>, parallel: usize) -> u64 {
    let mut tasks = tokio::task::JoinSet::new();
    let mut jobs = jobs.into_iter();
    let mut total = 0u64;
    loop {
        while tasks.len() < parallel {
            let Some(envs) = jobs.next() else { break };
            let log = log.clone();
            tasks.spawn(async move {
                let mut last = 0;
                for env in &envs {
                    let mut tries = 0;
                    loop {
                        match log.append(env, last).await {
                            Ok(a) => {
                                last = a.stream_seq;
                                break;
                            }
                            Err(motcua_log::AppendError::Unavailable(_)) if tries < 5 => {
                                tries += 1;
                                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            }
                            Err(e) => panic!("append failed: {e}"),
                        }
                    }
                }
                envs.len() as u64
            });
        }
        match tasks.join_next().await {
            Some(n) => total += n.unwrap(),
            None => return total,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The model: a plain fold over the same events
// ---------------------------------------------------------------------------------------------

pub type RowKey = (UnitLevel, FieldCode, ProcedureCode);

/// The views as a plain in-memory fold: per dossier, `Dossier::evolve` over its events, then the
/// domain's `classify` / `kpi766_on_time` per dossier.
pub struct Model {
    pub reference: Arc<Reference>,
    pub dossiers: Vec<(DossierKey, Vec<Event>)>,
}

struct Placement {
    handling_scope: Vec<UnitCode>,
    holder_scope: Vec<UnitCode>,
    row: Option<RowKey>,
}

impl Model {
    pub fn new(dossiers: &[GenDossier]) -> Model {
        Model {
            reference: reference(),
            dossiers: dossiers
                .iter()
                .map(|d| (d.key.clone(), d.events().cloned().collect()))
                .collect(),
        }
    }

    fn state_at(events: &[Event], end: Timestamp) -> Folded {
        Folded::replay(events.iter().take_while(|e| e.at < end))
    }

    fn place(&self, f: &Folded) -> Placement {
        let d = &f.state;
        let agencies = &self.reference.agencies;
        let first = d
            .received_at
            .or(d.submitted_at)
            .expect("every generated dossier has a first event");
        let era = self.reference.calendar.local_date(first);
        let scope = |a: &Option<AgencyId>| {
            a.as_ref()
                .and_then(|a| unit_of(agencies, a, era))
                .map(|(g, u)| scope_units(g, u))
                .unwrap_or_default()
        };
        let handling_scope = scope(&d.handling_agency);
        let row = match (&d.handling_agency, &d.procedure) {
            (Some(h), Some(p)) => {
                let (_, u) = unit_of(agencies, h, era).unwrap();
                let v = self.reference.catalogue.resolve(p).unwrap();
                Some((u.level, v.field_code.clone(), v.code))
            }
            _ => None,
        };
        Placement {
            handling_scope,
            holder_scope: scope(&d.holder),
            row,
        }
    }

    fn judged(&self, to: Date, at: Timestamp) -> (Timestamp, Timestamp) {
        let tz = jiff::tz::offset(7);
        let end = tz
            .to_timestamp(
                to.tomorrow()
                    .unwrap()
                    .to_datetime(jiff::civil::Time::midnight()),
            )
            .unwrap();
        (end, if end <= at { end } else { at })
    }

    fn start_of(from: Date) -> Timestamp {
        jiff::tz::offset(7)
            .to_timestamp(from.to_datetime(jiff::civil::Time::midnight()))
            .unwrap()
    }

    /// Biểu 06 rows of `scope` for `from..=to`, judged at the period end or at `at`.
    pub fn bieu06(
        &self,
        scope: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> BTreeMap<RowKey, Bieu06Counts> {
        let (_, judged) = self.judged(to, at);
        let period = Period {
            start: Self::start_of(from),
            end: judged,
        };
        let mut out: BTreeMap<RowKey, Bieu06Counts> = BTreeMap::new();
        for (_, events) in &self.dossiers {
            let f = Self::state_at(events, judged);
            let Some(facts) = f.bieu06_facts() else {
                continue;
            };
            let p = self.place(&Folded::replay(events.iter()));
            if !p.handling_scope.contains(scope) {
                continue;
            }
            let c = classify(&facts, &period);
            if c != Bieu06Counts::default() {
                *out.entry(p.row.unwrap()).or_default() += c;
            }
        }
        out
    }

    /// Decision 766 inputs: (dossiers, on time) per row.
    pub fn kpi766(
        &self,
        scope: &UnitCode,
        from: Date,
        to: Date,
        at: Timestamp,
    ) -> BTreeMap<RowKey, (u64, u64)> {
        let (_, judged) = self.judged(to, at);
        let period = Period {
            start: Self::start_of(from),
            end: judged,
        };
        let mut out: BTreeMap<RowKey, (u64, u64)> = BTreeMap::new();
        for (_, events) in &self.dossiers {
            let f = Self::state_at(events, judged);
            let (Some(facts), Some(kpi)) = (f.bieu06_facts(), f.kpi766_facts()) else {
                continue;
            };
            let p = self.place(&Folded::replay(events.iter()));
            if !p.handling_scope.contains(scope) || classify(&facts, &period).received_total() == 0
            {
                continue;
            }
            let e = out.entry(p.row.unwrap()).or_default();
            e.0 += 1;
            e.1 += u64::from(kpi766_on_time(&kpi, judged));
        }
        out
    }

    /// Queue of a unit scope or an office: (due, key), most urgent first.
    pub fn queue(&self, scope: &motcua_views::Scope) -> Vec<(Timestamp, String)> {
        let mut out = Vec::new();
        for (key, events) in &self.dossiers {
            let f = Folded::replay(events.iter());
            let d = &f.state;
            let due = match d.stage {
                Stage::Submitted => d.intake_due_at,
                Stage::Received | Stage::InProgress { .. } => d.step_due_at.or(d.deadline),
                Stage::ResultReady => d.due_at,
                _ => None,
            };
            let Some(due) = due else { continue };
            let inside = match scope {
                motcua_views::Scope::Agency(a) => d.holder.as_ref() == Some(a),
                motcua_views::Scope::Unit(u) => self.place(&f).holder_scope.contains(u),
            };
            if inside {
                out.push((due, key.to_string()));
            }
        }
        out.sort();
        out
    }

    /// Overdue list at `at`: (deadline, key), most overdue first.
    pub fn overdue(&self, scope: &motcua_views::Scope, at: Timestamp) -> Vec<(Timestamp, String)> {
        let mut out = Vec::new();
        for (key, events) in &self.dossiers {
            let f = Folded::replay(events.iter());
            if !f.is_pending() || f.is_paused() {
                continue;
            }
            let d = &f.state;
            let Some(deadline) = d.deadline else { continue };
            if deadline >= at {
                continue;
            }
            let inside = match scope {
                motcua_views::Scope::Agency(a) => d.handling_agency.as_ref() == Some(a),
                motcua_views::Scope::Unit(u) => self.place(&f).handling_scope.contains(u),
            };
            if inside {
                out.push((deadline, key.to_string()));
            }
        }
        out.sort();
        out
    }

    /// Keys of dossiers whose applicant matches a search.
    pub fn search(&self, query: &str) -> BTreeSet<String> {
        let q = fold(query);
        self.dossiers
            .iter()
            .filter(|(_, events)| {
                let f = Folded::replay(events.iter());
                f.state
                    .applicant
                    .as_ref()
                    .is_some_and(|a| word_suffixes(&a.name).iter().any(|s| s.starts_with(&q)))
            })
            .map(|(k, _)| k.to_string())
            .collect()
    }

    /// The last event time of all dossiers.
    pub fn last_event(&self) -> Timestamp {
        self.dossiers
            .iter()
            .filter_map(|(_, e)| e.last().map(|e| e.at))
            .max()
            .unwrap()
    }
}

/// The rows of a Biểu 06 report, flattened.
pub fn report_rows(r: &motcua_views::Bieu06Report) -> BTreeMap<RowKey, Bieu06Counts> {
    let mut out = BTreeMap::new();
    for l in &r.levels {
        for f in &l.fields {
            for p in &f.procedures {
                out.insert((l.level, f.field.clone(), p.procedure), p.counts);
            }
        }
    }
    out
}

/// The rows of a Decision 766 report, flattened to (dossiers, on time).
pub fn kpi_rows(r: &motcua_views::Kpi766Report) -> BTreeMap<RowKey, (u64, u64)> {
    r.rows
        .iter()
        .map(|row| {
            (
                (row.level, row.field.clone(), row.procedure),
                (row.counts.dossiers, row.counts.on_time()),
            )
        })
        .collect()
}

/// Compares every view of `views` with the model, and checks that there is no dead letter;
/// panics with the first difference.
pub fn assert_views_match(views: &Views, model: &Model, seed_note: &str) {
    assert_views_fold(views, model, seed_note);
    assert!(
        views.list_dead_letters(10).unwrap().is_empty(),
        "{seed_note}: dead letters"
    );
}

/// Compares every view of `views` with the model (dead letters aside); panics with the first
/// difference.
pub fn assert_views_fold(views: &Views, model: &Model, seed_note: &str) {
    let after_all = model.last_event() + SignedDuration::from_hours(3);
    let scopes = ["79", "760", "26740", "26734", "26506", "01"];
    let periods = [
        ("2025-04-01", "2025-06-30"),
        ("2025-06-01", "2025-12-31"),
        ("2026-01-01", "2026-01-31"),
        ("2026-01-12", "2026-02-10"),
        ("2026-02-01", "2026-03-31"),
        ("2026-01-01", "2026-12-31"),
        ("2024-01-01", "2026-12-31"),
    ];
    // Judging instants: after everything, long after, and just before an open dossier falls
    // due later the same day (exercises the same-day corrections through the due-time indexes).
    let mut ats = vec![after_all, after_all + SignedDuration::from_hours(24 * 400)];
    let mut soon: Vec<Timestamp> = model
        .dossiers
        .iter()
        .flat_map(|(_, e)| {
            let f = Folded::replay(e.iter());
            let kpi = f.kpi766_facts().map(|k| k.due_at);
            let open = f.is_pending();
            [f.state.deadline, kpi]
                .into_iter()
                .flatten()
                .filter(move |_| open)
        })
        .filter(|d| *d > after_all + SignedDuration::from_hours(1))
        .map(|d| d - SignedDuration::from_mins(20))
        .collect();
    soon.sort();
    ats.extend(soon.into_iter().take(4));
    for s in scopes {
        let u = unit(s);
        for (from, to) in periods {
            for &at in &ats {
                let (from, to) = (date(from), date(to));
                let got = views.bieu06(&u, from, to, at).unwrap();
                let want = model.bieu06(&u, from, to, at);
                assert_eq!(
                    report_rows(&got),
                    want,
                    "{seed_note}: Biểu 06 of {s} {from}..{to} at {at}"
                );
                for l in &got.levels {
                    for f in &l.fields {
                        for p in &f.procedures {
                            p.counts.check().unwrap();
                        }
                    }
                }
                let got = views.kpi766_inputs(&u, from, to, at).unwrap();
                assert_eq!(
                    kpi_rows(&got),
                    model.kpi766(&u, from, to, at),
                    "{seed_note}: 766 of {s} {from}..{to} at {at}"
                );
            }
        }
        let scope = motcua_views::Scope::Unit(u.clone());
        let got: Vec<(Timestamp, String)> = views
            .queue(&scope, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|i| (i.due_at, i.row.key.to_string()))
            .collect();
        assert_eq!(got, model.queue(&scope), "{seed_note}: queue of {s}");
        for at in [after_all, at_days(after_all, -10), at_days(after_all, -30)] {
            let got: Vec<(Timestamp, String)> = views
                .overdue(&scope, at, usize::MAX)
                .unwrap()
                .into_iter()
                .map(|i| (i.due_at, i.row.key.to_string()))
                .collect();
            assert_eq!(
                got,
                model.overdue(&scope, at),
                "{seed_note}: overdue of {s} at {at}"
            );
        }
    }
    for a in ["MC.26740", "UB.26740", "UB.79", "UB.760", "MC.26734"] {
        let scope = motcua_views::Scope::Agency(agency(a));
        let got: Vec<(Timestamp, String)> = views
            .queue(&scope, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|i| (i.due_at, i.row.key.to_string()))
            .collect();
        assert_eq!(got, model.queue(&scope), "{seed_note}: queue of {a}");
        let got: Vec<(Timestamp, String)> = views
            .overdue(&scope, after_all, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|i| (i.due_at, i.row.key.to_string()))
            .collect();
        assert_eq!(
            got,
            model.overdue(&scope, after_all),
            "{seed_note}: overdue of {a}"
        );
    }
    for q in [
        "nguyen",
        "nguyen van an",
        "van",
        "an",
        "DANG THI",
        "đức",
        "le huu",
    ] {
        let got: BTreeSet<String> = views
            .search_applicant(q, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|r| r.key.to_string())
            .collect();
        assert_eq!(got, model.search(q), "{seed_note}: search {q:?}");
    }
    for (key, events) in &model.dossiers {
        let detail = views
            .dossier_by_key(key)
            .unwrap()
            .expect("every dossier has a view");
        assert_eq!(
            detail.timeline.len(),
            events.len(),
            "{seed_note}: timeline of {key}"
        );
        let f = Folded::replay(events.iter());
        assert_eq!(
            detail.control_slip.len(),
            f.state.handovers.len(),
            "{seed_note}: control slip of {key}"
        );
        if let Some(code) = &f.state.code {
            let by_code = views.dossier_by_code(code).unwrap().unwrap();
            assert_eq!(&by_code.row.key, key);
        }
        assert_eq!(
            detail.row.status_code,
            f.state.status().map(|s| s.national_code())
        );
    }
}

pub fn at_days(t: Timestamp, days: i64) -> Timestamp {
    t + SignedDuration::from_hours(24 * days)
}

/// Counts of timeliness values, to check a generated set covers the report columns.
pub fn coverage(dossiers: &[GenDossier]) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for d in dossiers {
        let f = Folded::replay(d.events());
        let s = &f.state;
        let k = match (s.timeliness, s.stage) {
            (Some(Timeliness::Early), _) => "early",
            (Some(Timeliness::OnTime), _) => "on_time",
            (Some(Timeliness::Late), _) => "late",
            (None, Stage::Withdrawn) => "withdrawn",
            (None, Stage::Stopped | Stage::Closed) => "stopped",
            (None, st) if st.is_open() => "open",
            _ => "other",
        };
        *out.entry(k).or_insert(0) += 1;
        if !s.pauses.is_empty() {
            *out.entry("paused").or_insert(0) += 1;
        }
        if s.apologised {
            *out.entry("apologised").or_insert(0) += 1;
        }
        if s.handovers.len() > 1 {
            *out.entry("liaison").or_insert(0) += 1;
        }
    }
    out
}
