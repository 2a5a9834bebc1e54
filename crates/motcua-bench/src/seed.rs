//! A province's history, written to its stream as live operation would have written it.
//!
//! [`Seeder`] runs the simulated province (`motcua_sim`, official reference data) and sends
//! every command of every dossier in event-time order across dossiers, as the desks, the portal
//! and the officers would have sent them over the weeks: each step is decided by
//! `motcua_domain::dossier::decide` at its own time, a receipt gets its dossier code from a
//! per-office, per-day counter (the number `CommandService` would allocate on a fresh counter
//! stream), and the commit is stored as **one message per command**, in the envelope and with
//! the headers `EventLog::append` sends (`Nats-Msg-Id`, `Nats-Expected-Last-Subject-Sequence`
//! = the dossier's previous message, chained by `prevhash`).
//!
//! What is not the command service: no write-side cache and no per-command round trip. Acks are
//! pipelined, a window of them in flight; a dossier's next command waits for the ack of its
//! previous one (its expected sequence is that ack's sequence), as a handler would.
//!
//! Memory stays bounded by the dossiers in progress: arrivals are taken from the simulation one
//! at a time, only once every earlier step has been sent, and a dossier is forgotten after its
//! last step. [`Seeder::grow_to`] can be called again to grow the same stream further.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, context::PublishAckFuture};
use bytes::Bytes;
use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{CommandBody, Dossier, decide};
use motcua_domain::units::{AgencyId, UnitCode};
use motcua_log::envelope::chain_hash;
use motcua_log::{CommitMeta, DossierKey, Envelope, EventLog, LogSettings, publish_message};
use motcua_sim::{Dossiers, Schedule, ScheduledStep, SimDossier, SimSettings, Simulation};
use serde::Serialize;
use uuid::Uuid;

use crate::BenchError;
use crate::measure::per_sec;

/// Acks in flight at most (well below the client's 5,000 ack permits).
pub const WINDOW: usize = 512;

/// Days of simulated history available: from the first day of the 2-level unit list (1 July
/// 2025) on, about 100 M events of a full-size Hồ Chí Minh City. Every dossier's life is
/// generated to its end, so a stream cut anywhere holds dossiers in every stage, as in reality.
pub const HISTORY_DAYS: u32 = 730;

/// What the seeded history is made of.
#[derive(Debug, Clone)]
pub struct SeedConfig {
    /// The simulation's settings (province, seed, scale, …).
    pub sim: SimSettings,
    /// The first simulated day.
    pub from: Date,
    /// How many days the simulation may run for.
    pub days: u32,
    /// Acks in flight at most.
    pub window: usize,
}

impl SeedConfig {
    /// A full-size province (its real daily volume) from 1 July 2025, with `seed`.
    pub fn province(province: &str, seed: u64) -> Result<SeedConfig, BenchError> {
        let province: UnitCode = province
            .parse()
            .map_err(|e| BenchError::Failed(format!("province {province:?}: {e}")))?;
        Ok(SeedConfig {
            sim: SimSettings {
                seed,
                province,
                ..SimSettings::default()
            },
            from: jiff::civil::date(2025, 7, 1),
            days: HISTORY_DAYS,
            window: WINDOW,
        })
    }
}

/// What has been seeded so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SeedStats {
    /// Events stored (a commit holds one or more).
    pub events: u64,
    /// Messages (commits) stored and acknowledged.
    pub messages: u64,
    /// Dossiers with at least one message.
    pub dossiers: u64,
    /// Steps the domain refused (0 unless the simulation or the seeder has a defect).
    pub refused: u64,
    /// Later steps of a dossier whose step was refused: not sent (they would build on a state
    /// the stream does not have).
    pub skipped: u64,
    /// Commands the simulation itself refused while generating (its dossiers stop before them).
    pub sim_refusals: u64,
    /// How often a dossier's command waited for the ack of its previous one.
    pub waits: u64,
    /// The first day with events (local date).
    pub first_day: Option<Date>,
    /// The last day with events so far.
    pub last_day: Option<Date>,
    /// Time spent in [`Seeder::grow_to`], generation included.
    pub elapsed: Duration,
}

impl SeedStats {
    /// Events stored per second of seeding.
    pub fn events_per_sec(&self) -> f64 {
        per_sec(self.events, self.elapsed)
    }

    /// Messages stored per second of seeding.
    pub fn messages_per_sec(&self) -> f64 {
        per_sec(self.messages, self.elapsed)
    }
}

/// A dossier with steps still to send.
#[derive(Debug)]
struct Open {
    key: DossierKey,
    state: Dossier,
    /// The stream sequence of its last acknowledged message (0 before the first).
    last_seq: u64,
    /// Chain hash of its last message as sent.
    last_hash: String,
    /// Its messages sent and not yet acknowledged (0 or 1: the next one waits).
    awaiting: u32,
    /// Its steps not yet taken off the schedule.
    steps_left: usize,
    /// A step was refused: the rest are skipped.
    refused: bool,
}

impl Open {
    fn done(&self) -> bool {
        self.steps_left == 0 && self.awaiting == 0
    }
}

/// Grows a province's stream with simulated live operation (see the module documentation).
pub struct Seeder {
    log: EventLog,
    js: jetstream::Context,
    sim: Simulation,
    arrivals: Dossiers,
    /// The next dossier to arrive, taken from `arrivals` ahead of time.
    next: Option<SimDossier>,
    schedule: Schedule,
    open: HashMap<Uuid, Open>,
    /// Codes handed out per (office, receipt day); days before the current one are dropped.
    codes: HashMap<(AgencyId, Date), u32>,
    codes_day: Option<Date>,
    in_flight: VecDeque<(Uuid, PublishAckFuture)>,
    /// Events of the messages in flight (counted once acknowledged).
    events_in_flight: VecDeque<u64>,
    /// Events of messages sent (acknowledged or not): what `grow_to` counts towards its target.
    events_sent: u64,
    window: usize,
    max_message_bytes: usize,
    stats: SeedStats,
}

impl std::fmt::Debug for Seeder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seeder")
            .field("province", self.sim.province())
            .field("open", &self.open.len())
            .field("in_flight", &self.in_flight.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Seeder {
    /// Connects to `nats_url`, provisions the province's stream (the configuration motcua
    /// uses) and prepares the simulation. Nothing is sent yet.
    pub async fn new(nats_url: &str, config: SeedConfig) -> Result<Seeder, BenchError> {
        let log = EventLog::connect(nats_url, LogSettings::default()).await?;
        let sim = Simulation::new(motcua_domain::Reference::official(), config.sim.clone())?;
        log.ensure_dossier_stream(sim.province()).await?;
        let mut arrivals = sim.dossiers(config.from, config.days)?;
        let next = arrivals.next();
        Ok(Seeder {
            js: log.jetstream().clone(),
            max_message_bytes: usize::try_from(log.settings().max_message_bytes).unwrap_or(0),
            log,
            sim,
            arrivals,
            next,
            schedule: Schedule::default(),
            open: HashMap::new(),
            codes: HashMap::new(),
            codes_day: None,
            in_flight: VecDeque::new(),
            events_in_flight: VecDeque::new(),
            events_sent: 0,
            window: config.window.max(1),
            stats: SeedStats::default(),
        })
    }

    /// The province seeded.
    pub fn province(&self) -> &UnitCode {
        self.sim.province()
    }

    /// The event log connection (for the stream's state).
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// What has been seeded so far (everything counted is acknowledged).
    pub fn stats(&self) -> SeedStats {
        SeedStats {
            sim_refusals: self.arrivals.refusals(),
            ..self.stats
        }
    }

    /// Sends commands until the stream holds at least `events` events (a commit may hold
    /// several, so it may overshoot by a few), and waits for every ack. Returns the totals.
    pub async fn grow_to(&mut self, events: u64) -> Result<SeedStats, BenchError> {
        let started = Instant::now();
        let mut logged = Instant::now();
        while self.events_sent < events {
            let Some(step) = self.next_step() else {
                return Err(BenchError::Failed(format!(
                    "the simulated window ended after {} events, before {events}",
                    self.events_sent
                )));
            };
            self.send(step).await?;
            if logged.elapsed() >= Duration::from_secs(10) {
                logged = Instant::now();
                tracing::info!(
                    events = self.events_sent,
                    target = events,
                    open_dossiers = self.open.len(),
                    day = ?self.stats.last_day,
                    "seeding"
                );
            }
        }
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        self.stats.elapsed += started.elapsed();
        let stats = self.stats();
        if stats.refused > 0 || stats.sim_refusals > 0 {
            tracing::warn!(
                refused = stats.refused,
                skipped = stats.skipped,
                sim_refusals = stats.sim_refusals,
                first = self.arrivals.first_refusal().unwrap_or(""),
                "some simulated commands were refused"
            );
        }
        Ok(stats)
    }

    /// The earliest pending step: steps of dossiers already arrived, or the next arrival's first
    /// step, whichever comes first. `None` when the simulated window is over.
    fn next_step(&mut self) -> Option<ScheduledStep> {
        loop {
            let arrival_at = self
                .next
                .as_ref()
                .map(|d| d.steps.first().map_or(Timestamp::MIN, |s| s.at));
            match (arrival_at, self.schedule.next_at()) {
                (Some(a), Some(s)) if s <= a => return self.schedule.pop(),
                (Some(_), _) => {
                    if let Some(dossier) = self.next.take() {
                        self.admit(dossier);
                    }
                    self.next = self.arrivals.next();
                }
                (None, _) => return self.schedule.pop(),
            }
        }
    }

    /// Puts an arriving dossier's steps on the schedule.
    fn admit(&mut self, dossier: SimDossier) {
        if dossier.steps.is_empty() {
            return;
        }
        let key = match DossierKey::new(dossier.province.clone(), dossier.id) {
            Ok(k) => k,
            Err(e) => {
                // Cannot happen for a simulated province; counted, not hidden.
                tracing::warn!(error = %e, "a simulated dossier has no valid key");
                self.stats.refused += 1;
                self.stats.skipped += dossier.steps.len().saturating_sub(1) as u64;
                return;
            }
        };
        self.open.insert(
            dossier.id,
            Open {
                key,
                state: Dossier::new(),
                last_seq: 0,
                last_hash: String::new(),
                awaiting: 0,
                steps_left: dossier.steps.len(),
                refused: false,
            },
        );
        self.schedule.push(dossier);
    }

    /// Waits for the oldest ack in flight and records the sequence it gives its dossier.
    async fn settle_one(&mut self) -> Result<(), BenchError> {
        let Some((id, ack)) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let events = self.events_in_flight.pop_front().unwrap_or(0);
        let ack = ack.await.map_err(|e| {
            BenchError::Failed(format!(
                "a seeded commit was not stored (message {} of the run): {e}",
                self.stats.messages + 1
            ))
        })?;
        if ack.duplicate {
            return Err(BenchError::Failed(format!(
                "a seeded commit was taken for a duplicate (stream sequence {})",
                ack.sequence
            )));
        }
        self.stats.messages += 1;
        self.stats.events += events;
        if let Some(open) = self.open.get_mut(&id) {
            open.last_seq = ack.sequence;
            open.awaiting = open.awaiting.saturating_sub(1);
            if open.done() {
                self.open.remove(&id);
            }
        }
        Ok(())
    }

    /// Decides one step and sends its commit.
    async fn send(&mut self, step: ScheduledStep) -> Result<(), BenchError> {
        let id = step.dossier;
        let (refused, awaiting) = match self.open.get_mut(&id) {
            Some(o) => (o.refused, o.awaiting),
            None => {
                return Err(BenchError::Failed(
                    "a scheduled step of a dossier the seeder does not know".to_owned(),
                ));
            }
        };
        if refused {
            self.stats.skipped += 1;
            self.step_taken(id);
            return Ok(());
        }
        // Its expected last sequence is the previous message's: wait for that ack.
        if awaiting > 0 {
            self.stats.waits += 1;
            while self.open.get(&id).is_some_and(|o| o.awaiting > 0) {
                self.settle_one().await?;
            }
        }
        if self.in_flight.len() >= self.window {
            self.settle_one().await?;
        }
        let day = self.sim.reference().calendar.local_date(step.at);
        if self.codes_day != Some(day) {
            // Steps come in time order: no receipt will be dated before today again.
            self.codes.retain(|(_, d), _| *d >= day);
            self.codes_day = Some(day);
        }
        let ctx = self.sim.reference().context();
        let Some(open) = self.open.get_mut(&id) else {
            return Err(BenchError::Failed(
                "a dossier vanished while its step was pending".to_owned(),
            ));
        };
        let mut command = step.command;
        // A receipt gets the next code of its office for the day, like the command service
        // (whose counters are fresh in a fresh stream); a refused receipt takes no number.
        let code_slot = match (&command.body, &command.actor.agency) {
            (CommandBody::Receive { .. }, Some(agency)) => {
                let n = self.codes.get(&(agency.clone(), day)).copied().unwrap_or(0) + 1;
                let code = DossierCode::new(agency.clone(), day, n)
                    .map_err(|e| BenchError::Failed(format!("dossier code: {e}")))?;
                set_code(&mut command.body, Some(code));
                Some((agency.clone(), n))
            }
            (CommandBody::Receive { .. }, None) => {
                set_code(&mut command.body, None);
                None
            }
            _ => None,
        };
        let events = match decide(&open.state, &command, step.at, &ctx) {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(
                    command = command.body.name(),
                    code = e.code(),
                    "the domain refused a simulated command; the rest of its dossier is skipped"
                );
                open.refused = true;
                self.stats.refused += 1;
                self.step_taken(id);
                return Ok(());
            }
        };
        if let Some((agency, n)) = code_slot {
            self.codes.insert((agency, day), n);
        }
        let first = open.state.version == 0;
        let state = std::mem::take(&mut open.state);
        open.state = events.iter().fold(state, Dossier::evolve);
        let envelope = Envelope::for_commit(
            &open.key,
            open.state.code.as_ref(),
            open.state.rule_set.as_deref(),
            &events,
            &CommitMeta::default(),
            &open.last_hash,
        )
        .map_err(|e| BenchError::Failed(format!("envelope: {e}")))?;
        let payload = Bytes::from(envelope.encode());
        if payload.len() > self.max_message_bytes {
            return Err(BenchError::Failed(format!(
                "a seeded commit is larger than the stream accepts ({} bytes)",
                payload.len()
            )));
        }
        let hash = chain_hash(&payload);
        let publish = publish_message(&envelope, payload, open.last_seq);
        let ack = self
            .js
            .send_publish(open.key.subject(), publish)
            .await
            .map_err(|e| BenchError::Failed(format!("publishing a seeded commit: {e}")))?;
        open.last_hash = hash;
        open.awaiting += 1;
        open.steps_left = open.steps_left.saturating_sub(1);
        let n = events.len() as u64;
        self.in_flight.push_back((id, ack));
        self.events_in_flight.push_back(n);
        self.events_sent += n;
        if first {
            self.stats.dossiers += 1;
        }
        self.stats.first_day.get_or_insert(day);
        self.stats.last_day = Some(day);
        Ok(())
    }

    /// One step of `id` was taken off the schedule without a message.
    fn step_taken(&mut self, id: Uuid) {
        if let Some(open) = self.open.get_mut(&id) {
            open.steps_left = open.steps_left.saturating_sub(1);
            if open.done() {
                self.open.remove(&id);
            }
        }
    }
}

/// Sets (or clears) a receipt's dossier code.
fn set_code(body: &mut CommandBody, new_code: Option<DossierCode>) {
    if let CommandBody::Receive { code, .. } = body {
        *code = new_code;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::{BTreeMap, HashSet};

    use futures::StreamExt;

    use motcua_log::HEADER_TYPES;

    use super::*;
    use crate::Setting;
    use crate::server::BenchServer;

    /// Seeds a real server (`MOTCUA_NATS_SERVER`, as `tools/test` sets it) and reads the stream
    /// back: every message is a motcua envelope, each dossier's history chains and replays in
    /// the domain, time never goes back across dossiers, receipt codes count 1, 2, 3… per office
    /// and day, and a second `grow_to` continues the same stream.
    #[tokio::test]
    async fn seeded_history_is_what_the_command_service_would_store() {
        let dir = tempfile::tempdir().unwrap();
        let server = BenchServer::start(dir.path(), Setting::NoFsync)
            .await
            .unwrap_or_else(|e| {
                panic!("export MOTCUA_NATS_SERVER=$(tools/install-nats-server): {e}")
            });
        let config = SeedConfig::province("79", 7).unwrap();
        let mut seeder = Seeder::new(&server.url(), config).await.unwrap();
        let first = seeder.grow_to(1_500).await.unwrap();
        assert!(first.events >= 1_500 && first.messages > 0, "{first:?}");
        let stats = seeder.grow_to(3_000).await.unwrap();
        assert!(stats.events >= 3_000 && stats.messages > first.messages);
        assert_eq!(
            (stats.refused, stats.skipped, stats.sim_refusals),
            (0, 0, 0)
        );
        let province = seeder.province().clone();
        let log = seeder.log().clone();
        assert_eq!(log.last_sequence(&province).await.unwrap(), stats.messages);

        let consumer = log.replay(&province, Vec::new(), 1).await.unwrap();
        let mut messages = consumer.messages().await.unwrap();
        let mut last_time = jiff::Timestamp::MIN;
        let mut keys = HashSet::new();
        let mut codes: BTreeMap<(String, Date), Vec<u32>> = BTreeMap::new();
        let (mut events, mut n) = (0u64, 0u64);
        while n < stats.messages {
            let m = messages.next().await.unwrap().unwrap();
            n += 1;
            let headers = m.headers.clone().unwrap();
            let envelope = Envelope::decode(&m.payload).unwrap();
            assert_eq!(
                headers.get("Nats-Msg-Id").unwrap().as_str(),
                envelope.commandid.to_string()
            );
            assert_eq!(
                headers.get(HEADER_TYPES).unwrap().as_str(),
                envelope.type_names().join(",")
            );
            assert!(envelope.time >= last_time, "steps go out in time order");
            last_time = envelope.time;
            events += envelope.type_names().len() as u64;
            if envelope
                .data
                .events
                .iter()
                .any(|e| e.type_name() == "received")
            {
                let code = envelope.dossiercode.as_ref().unwrap();
                codes
                    .entry((code.agency().to_string(), code.date()))
                    .or_default()
                    .push(code.seq());
            }
            keys.insert(envelope.subject.clone());
        }
        assert_eq!(events, stats.events);
        assert_eq!(keys.len() as u64, stats.dossiers);
        for ((agency, day), mut seqs) in codes {
            seqs.sort_unstable();
            let expected: Vec<u32> = (1..=seqs.len() as u32).collect();
            assert_eq!(seqs, expected, "codes of {agency} on {day}");
        }
        // `read_dossier` verifies each hash chain; the histories fold in the domain.
        let mut multi = 0;
        for key in keys.iter().take(200) {
            let history = log.read_dossier(key).await.unwrap();
            let evs: Vec<_> = history.iter().flat_map(|c| c.envelope.events()).collect();
            let state = Dossier::replay(evs.iter());
            assert_eq!(state.version, evs.len() as u64);
            multi += usize::from(history.len() > 1);
        }
        assert!(multi > 10, "dossiers go beyond their first step ({multi})");
    }
}
