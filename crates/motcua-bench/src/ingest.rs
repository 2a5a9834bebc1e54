//! Section `ingest`: how fast commands get into the event log through motcua, against raw
//! JetStream async publish of the very messages motcua stored (SYSTEM.md §8: NATS/bulk path
//! ≥ 0.7 × raw; bulk import ≥ 0.7 × raw, counted in dossiers/s).
//!
//! For each durability setting, on a fresh nats-server:
//!
//! - **command service**: `CommandService::handle` called from many tasks, each walking whole
//!   simulated dossier lives in order, every command decided at its own time;
//! - **NATS door**: the same kind of lives sent as requests to `motcua_command::nats::serve` by
//!   many concurrent requesters (decided at the clock, as the door does; see `workload`);
//! - **bulk import**: `Importer` with one message per dossier, its lines carrying their receipt
//!   codes as a migrated history does.
//!
//! After each round of each figure the stream motcua wrote is read back and republished raw to a
//! fresh stream of the same configuration (`raw`), so both sides send the same bytes with the
//! same headers on the same server. Rounds run on fresh streams and fresh write-side caches; the
//! figure is the median of the rounds.

pub(crate) mod raw;
pub(crate) mod workload;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use motcua_command::CommandService;
use motcua_command::import::{DossierImport, ImportLine, Importer, NumberedLine};
use motcua_command::nats::{CommandRequest, command_subject};
use motcua_domain::Reference;
use motcua_domain::dossier::{Actor, Role};
use motcua_domain::units::UnitCode;
use motcua_log::{CommitMeta, DossierKey, EventLog, LogSettings};
use serde::Deserialize;
use tokio::task::JoinSet;

use crate::measure::{median, per_sec};
use crate::report::{Row, Target};
use crate::server::BenchServer;
use crate::{BenchError, Ctx, Report, Setting};

use self::raw::{RawRun, fresh_stream, nats_error, republish};
use self::workload::{Generator, Workload, live_command};

const SECTION: &str = "ingest";

/// Sizes and durations of the section.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Rounds per figure (the median is reported).
    rounds: usize,
    /// How long a round sends new dossiers (the lives under way are finished after it).
    round: Duration,
    /// Commands in the pool of lives; a round that runs out of them ends early.
    pool_commands: usize,
    /// Concurrent tasks calling the command service, and concurrent NATS requesters.
    tasks: usize,
    /// Concurrent dossiers of a bulk import (as `motcua simulate` imports).
    import_tasks: usize,
}

impl Plan {
    fn new(smoke: bool) -> Plan {
        if smoke {
            Plan {
                rounds: 1,
                round: Duration::from_millis(1500),
                pool_commands: 3_000,
                tasks: 64,
                import_tasks: 64,
            }
        } else {
            Plan {
                rounds: 3,
                round: Duration::from_secs(15),
                pool_commands: 150_000,
                tasks: 256,
                import_tasks: 64,
            }
        }
    }
}

/// What one round of a motcua figure did.
#[derive(Debug, Clone, Default)]
struct Tally {
    /// Commands (or imported dossiers) committed.
    ok: u64,
    /// Commands (or dossiers) refused or failed; the rest of such a life is not sent.
    errors: u64,
    /// The first failure's stable code (never its message, which may quote personal data).
    first_error: Option<String>,
    /// The pool ran out before the round's time was up.
    exhausted: bool,
    /// Lives started.
    dossiers: u64,
    elapsed: Duration,
}

impl Tally {
    fn fail(&mut self, code: &str) {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| code.to_owned());
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.dossiers += other.dossiers;
        self.exhausted |= other.exhausted;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn rate(&self) -> f64 {
        per_sec(self.ok, self.elapsed)
    }
}

/// A figure's rounds and their raw twins.
#[derive(Debug, Default)]
struct Rounds {
    motcua: Vec<Tally>,
    raw: Vec<RawRun>,
}

impl Rounds {
    fn value(&self) -> f64 {
        median(self.motcua.iter().map(Tally::rate).collect())
    }

    fn raw(&self) -> f64 {
        median(self.raw.iter().map(RawRun::rate).collect())
    }

    /// Sizes, errors and how the rounds went, for the row's note.
    fn note(&self, unit: &str, what: &str) -> String {
        let n = self.motcua.len();
        let ok = median(self.motcua.iter().map(|t| t.ok as f64).collect());
        let dossiers = median(self.motcua.iter().map(|t| t.dossiers as f64).collect());
        let secs = median(
            self.motcua
                .iter()
                .map(|t| t.elapsed.as_secs_f64())
                .collect(),
        );
        let mut note = format!(
            "{what}; median of {n} round(s): {ok:.0} {unit} of {dossiers:.0} dossiers in {secs:.1} s; \
             raw = the same messages republished (async publish, window {}, same Nats-Msg-Id, \
             expected last subject sequence)",
            raw::WINDOW
        );
        if self.motcua.iter().any(|t| t.exhausted) {
            note.push_str("; the pool of lives ran out before the round's time");
        }
        let errors: u64 = self.motcua.iter().map(|t| t.errors).sum();
        if errors > 0 {
            let first = self
                .motcua
                .iter()
                .find_map(|t| t.first_error.clone())
                .unwrap_or_default();
            note.push_str(&format!(
                "; **{errors} refused or failed** (first: {first})"
            ));
        }
        note
    }
}

/// Runs this section.
pub async fn run(ctx: &Ctx, report: &mut Report) -> Result<(), BenchError> {
    let plan = Plan::new(ctx.options.smoke);
    let started = Instant::now();
    let mut historical = Generator::historical(ctx)?;
    let lives = Arc::new(historical.take(plan.pool_commands)?);
    let mut live_generator = Generator::live(ctx)?;
    let live = live_generator.take(plan.pool_commands)?;
    let Some(province) = lives.walks.first().map(|w| w.key.province().clone()) else {
        return Err(BenchError::Failed(
            "the simulation made no complete dossier".to_owned(),
        ));
    };
    tracing::info!(
        commands = lives.commands,
        dossiers = lives.walks.len(),
        live_commands = live.commands,
        live_unfit = live_generator.unfit,
        seconds = started.elapsed().as_secs_f64(),
        "ingest workload simulated"
    );
    let requests = Arc::new(nats_requests(&live)?);
    let imports = Arc::new(import_lines(&lives));
    let reference = Arc::new(Reference::official());
    let receipts_share = 100.0 * lives.receipts() as f64 / lives.commands.max(1) as f64;

    for setting in ctx.options.settings() {
        let dir = ctx.dir(&format!("ingest-{}", setting.label()))?;
        let server = BenchServer::start(&dir.join("nats"), setting).await?;
        let url = server.url();
        let env = Env {
            url: &url,
            province: &province,
            setting,
            plan,
        };

        let service = env
            .rounds("service", |log| {
                service_round(log, lives.clone(), reference.clone(), plan)
            })
            .await?;
        report.push(
            Row::new(
                SECTION,
                "command service, commands/s",
                setting.label(),
                service.value(),
                "cmd/s",
            )
            .raw(service.raw())
            .target(Target::RatioAtLeast(0.7))
            .note(service.note(
                "commands",
                &format!(
                    "CommandService::handle from {} tasks, each command at its simulated time; \
                     {receipts_share:.0} % are receipts, which also draw a dossier code (one more append)",
                    plan.tasks
                ),
            )),
        );

        let door = env
            .rounds("nats", |log| {
                nats_round(url.clone(), log, requests.clone(), reference.clone(), plan)
            })
            .await?;
        report.push(
            Row::new(
                SECTION,
                "NATS door, commands/s",
                setting.label(),
                door.value(),
                "cmd/s",
            )
            .raw(door.raw())
            .target(Target::RatioAtLeast(0.7))
            .note(door.note(
                "commands",
                &format!(
                    "request/reply to nats::serve from {} requesters on their own connection, \
                     decided at the clock ({} lives with time-triggered steps left out)",
                    plan.tasks, live_generator.unfit
                ),
            )),
        );

        let import = env
            .rounds("import", |log| {
                import_round(log, imports.clone(), reference.clone(), plan)
            })
            .await?;
        report.push(
            Row::new(
                SECTION,
                "bulk import, dossiers/s",
                setting.label(),
                import.value(),
                "dossiers/s",
            )
            .raw(import.raw())
            .target(Target::RatioAtLeast(0.7))
            .note(import.note(
                "dossiers",
                &format!(
                    "Importer, {} dossiers at once, one message per dossier ({:.1} commands each, \
                     receipt codes carried by the lines as in a migration)",
                    plan.import_tasks,
                    lives.commands as f64 / lives.walks.len().max(1) as f64
                ),
            )),
        );
        drop(server);
    }
    Ok(())
}

/// The server and settings of one durability setting.
#[derive(Debug, Clone, Copy)]
struct Env<'a> {
    url: &'a str,
    province: &'a UnitCode,
    setting: Setting,
    plan: Plan,
}

impl Env<'_> {
    /// Runs a figure's rounds: each on a fresh stream (and a fresh command service, so a fresh
    /// write-side cache), followed by the raw republish of what it stored.
    async fn rounds<F, Fut>(&self, figure: &str, mut round: F) -> Result<Rounds, BenchError>
    where
        F: FnMut(EventLog) -> Fut,
        Fut: Future<Output = Result<Tally, BenchError>>,
    {
        let mut out = Rounds::default();
        for r in 0..self.plan.rounds {
            let log = EventLog::connect(self.url, LogSettings::default()).await?;
            fresh_stream(log.jetstream(), log.dossier_stream_config(self.province)).await?;
            let tally = round(log.clone()).await?;
            let raw = republish(&log, self.province).await?;
            tracing::info!(
                figure,
                setting = self.setting.label(),
                round = r,
                motcua_per_s = tally.rate(),
                raw_per_s = raw.rate(),
                "ingest round"
            );
            if raw.messages != tally.ok {
                return Err(BenchError::Failed(format!(
                    "ingest {figure}: motcua committed {} but the stream held {} messages",
                    tally.ok, raw.messages
                )));
            }
            out.motcua.push(tally);
            out.raw.push(raw);
        }
        Ok(out)
    }
}

/// Runs `tasks` workers over items `0..count` until the items or the time run out; each
/// worker takes the next item and handles it with `work`, which says how it went.
async fn workers<W, Fut>(
    count: usize,
    tasks: usize,
    round: Duration,
    work: W,
) -> Result<Tally, BenchError>
where
    W: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Tally> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + round;
    let mut set = JoinSet::new();
    for _ in 0..tasks {
        let (next, work) = (next.clone(), work.clone());
        set.spawn(async move {
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    tally.exhausted = true;
                    break;
                }
                tally.dossiers += 1;
                tally.merge(work(i).await);
            }
            tally
        });
    }
    let mut total = Tally::default();
    while let Some(done) = set.join_next().await {
        let tally = done.map_err(|e| BenchError::Failed(format!("a worker failed: {e}")))?;
        total.merge(tally);
    }
    total.elapsed = start.elapsed();
    Ok(total)
}

/// One round of `CommandService::handle` calls.
async fn service_round(
    log: EventLog,
    lives: Arc<Workload>,
    reference: Arc<Reference>,
    plan: Plan,
) -> Result<Tally, BenchError> {
    let service = CommandService::new(log, reference);
    workers(lives.walks.len(), plan.tasks, plan.round, move |i| {
        let (service, lives) = (service.clone(), lives.clone());
        async move {
            let mut tally = Tally::default();
            let walk = &lives.walks[i];
            for step in &walk.steps {
                let meta = CommitMeta::default();
                match service
                    .handle(&walk.key, live_command(step), meta, step.at)
                    .await
                {
                    Ok(_) => tally.ok += 1,
                    Err(e) => {
                        tally.fail(e.code());
                        break;
                    }
                }
            }
            tally
        }
    })
    .await
}

/// A command request ready to send: its subject and its JSON body.
type Request = (String, Bytes);

/// The live lives as NATS requests, serialised once before any clock runs.
fn nats_requests(live: &Workload) -> Result<Vec<Vec<Request>>, BenchError> {
    live.walks
        .iter()
        .map(|walk| {
            walk.steps
                .iter()
                .map(|step| {
                    let command = live_command(step);
                    let subject = command_subject(walk.key.province().as_str(), &command.actor);
                    let request = CommandRequest {
                        dossier: Some(walk.key.clone()),
                        command_id: command.id,
                        actor: command.actor,
                        correlation_id: None,
                        body: command.body,
                    };
                    serde_json::to_vec(&request)
                        .map(|body| (subject, Bytes::from(body)))
                        .map_err(|e| BenchError::Failed(format!("encoding a request: {e}")))
                })
                .collect()
        })
        .collect()
}

/// The part of a reply the benchmark reads.
#[derive(Debug, Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    code: Option<String>,
}

/// One round of requests to the NATS door.
async fn nats_round(
    url: String,
    log: EventLog,
    requests: Arc<Vec<Vec<Request>>>,
    reference: Arc<Reference>,
    plan: Plan,
) -> Result<Tally, BenchError> {
    let service = CommandService::new(log.clone(), reference);
    let door = ServeTask(tokio::spawn(motcua_command::nats::serve(service)));
    // The requesters are another client, as an office's software would be.
    let client = async_nats::connect(url.as_str())
        .await
        .map_err(|e| nats_error("connecting the requesters", e))?;
    wait_for_door(&client).await?;
    let tally = workers(requests.len(), plan.tasks, plan.round, move |i| {
        let (client, requests) = (client.clone(), requests.clone());
        async move {
            let mut tally = Tally::default();
            for (subject, body) in &requests[i] {
                let answer = client.request(subject.clone(), body.clone()).await;
                let reply = answer.map_err(|e| e.kind().to_string()).and_then(|m| {
                    serde_json::from_slice::<Reply>(&m.payload)
                        .map_err(|_| "unreadable reply".to_owned())
                });
                match reply {
                    Ok(Reply { ok: true, .. }) => tally.ok += 1,
                    Ok(Reply { code, .. }) => {
                        tally.fail(code.as_deref().unwrap_or("refused"));
                        break;
                    }
                    Err(kind) => {
                        tally.fail(&kind);
                        break;
                    }
                }
            }
            tally
        }
    })
    .await;
    drop(door);
    tally
}

/// The NATS door's task, stopped when dropped (also when a round fails).
#[derive(Debug)]
struct ServeTask(tokio::task::JoinHandle<Result<(), async_nats::SubscribeError>>);

impl Drop for ServeTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Waits until the door answers (its subscription is made in its own task).
async fn wait_for_door(client: &async_nats::Client) -> Result<(), BenchError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Not a command subject of any office: the door answers it with a refusal.
        let probe = client
            .request("motcua.cmd.00.probe", Bytes::from_static(b"{}"))
            .await;
        if probe.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(BenchError::Failed(
                "the NATS door did not answer within 10 s".to_owned(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The historical lives as import lines (codes kept, as a migration carries them).
fn import_lines(lives: &Workload) -> Vec<(DossierKey, Vec<NumberedLine>)> {
    lives
        .walks
        .iter()
        .map(|walk| {
            let lines = walk
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| NumberedLine {
                    number: i as u64 + 1,
                    line: ImportLine {
                        at: step.at,
                        request: CommandRequest {
                            dossier: Some(walk.key.clone()),
                            command_id: step.command.id,
                            actor: step.command.actor.clone(),
                            correlation_id: None,
                            body: step.command.body.clone(),
                        },
                    },
                })
                .collect();
            (walk.key.clone(), lines)
        })
        .collect()
}

/// One round of bulk import.
async fn import_round(
    log: EventLog,
    imports: Arc<Vec<(DossierKey, Vec<NumberedLine>)>>,
    reference: Arc<Reference>,
    plan: Plan,
) -> Result<Tally, BenchError> {
    let service = CommandService::new(log, reference);
    let importer = Importer::new(
        service,
        Actor {
            id: "bench-import".to_owned(),
            role: Role::Importer,
            agency: None,
        },
    )?;
    workers(imports.len(), plan.import_tasks, plan.round, move |i| {
        let (importer, imports) = (importer.clone(), imports.clone());
        async move {
            let mut tally = Tally::default();
            let (key, lines) = &imports[i];
            match importer.import_dossier(key, lines).await {
                Ok(DossierImport::Imported { .. }) => tally.ok += 1,
                Ok(DossierImport::AlreadyImported { .. }) => tally.fail("already_imported"),
                Ok(DossierImport::Rejected { code, .. }) => tally.fail(&code),
                Err(e) => tally.fail(e.code()),
            }
            tally
        }
    })
    .await
}
