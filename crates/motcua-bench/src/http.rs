//! Section `http`: the HTTP API of a real `motcua up` child process under a load generator in
//! this process (SYSTEM.md §8: ≥ 0.3 × raw JetStream async publish, p99 ≤ 20 ms at 1,000
//! commands/s).
//!
//! For each durability setting, on a fresh nats-server: `motcua up --nats-url …` starts with an
//! accounts file made here (every officer of the simulated province, one portal account), and
//! the load generator sends whole dossier lives (`POST /v1/dossiers`, then
//! `POST /v1/dossiers/{key}/{command}`), each command with its officer's token over keep-alive
//! connections:
//!
//! - **max throughput**: closed loop, [`Plan::clients`] clients each sending one request at a
//!   time;
//! - **latency at fixed rates** (100, 1,000 and 5,000 commands/s): open loop, p50 and p99 timed
//!   from each request's intended send time. A rate above 90 % of the maximum just measured is
//!   not run (the latency would only be the queue's), except 1,000/s, which has a target: it runs
//!   whatever the maximum, and the note says when it is above.
//!
//! Before each fixed rate the child's projectors are left to catch up with the load before it
//! (their lag on `/readyz`), so that a rate is not measured against the previous one's backlog.
//! Every answer but a 2xx is counted and named in the row's note. The raw baseline is the same
//! run's stored messages republished raw on the same server (`ingest::raw`, shared with the
//! ingest section), after `motcua up` has stopped.

mod load;
mod up;

use std::sync::Arc;
use std::time::Duration;

use motcua_log::{EventLog, LogSettings};

use crate::ingest::raw::republish;
use crate::ingest::workload::Generator;
use crate::report::{Row, Target, number};
use crate::server::BenchServer;
use crate::{BenchError, Ctx, Report};

use self::load::{Outcome, closed_loop, open_loop, requests};
use self::up::{Accounts, Up};

const SECTION: &str = "http";

/// The rate whose p99 has a target.
const TARGET_RATE: f64 = 1_000.0;

/// How long a fixed rate waits for the projectors to catch up with the load before it.
const IDLE_LIMIT: Duration = Duration::from_secs(120);

/// A rate above this share of the maximum throughput is not run.
const SATURATION: f64 = 0.9;

/// Sizes and durations of the section.
#[derive(Debug, Clone)]
struct Plan {
    /// Concurrent keep-alive clients of the closed loop.
    clients: usize,
    /// How long the closed loop starts new lives.
    closed: Duration,
    /// Commands in the lives handed to the closed loop (it stops early if they run out).
    closed_commands: usize,
    /// Fixed rates, commands/s.
    rates: Vec<f64>,
    /// How long each rate runs.
    rate_time: Duration,
    /// Requests in flight at most in the open loop.
    max_in_flight: usize,
}

impl Plan {
    fn new(smoke: bool) -> Plan {
        if smoke {
            Plan {
                clients: 16,
                closed: Duration::from_secs(1),
                closed_commands: 3_000,
                rates: vec![100.0],
                rate_time: Duration::from_secs(1),
                max_in_flight: 256,
            }
        } else {
            Plan {
                clients: 64,
                closed: Duration::from_secs(20),
                closed_commands: 100_000,
                rates: vec![100.0, 1_000.0, 5_000.0],
                rate_time: Duration::from_secs(10),
                max_in_flight: 256,
            }
        }
    }
}

/// Runs this section.
pub async fn run(ctx: &Ctx, report: &mut Report) -> Result<(), BenchError> {
    let plan = Plan::new(ctx.options.smoke);
    let mut generator = Generator::live(ctx)?;
    let officers = generator.officers();
    let province = ctx
        .options
        .province
        .parse()
        .map_err(|e| BenchError::Failed(format!("--province {}: {e}", ctx.options.province)))?;
    for setting in ctx.options.settings() {
        let dir = ctx.dir(&format!("http-{}", setting.label()))?;
        let server = BenchServer::start(&dir.join("nats"), setting).await?;
        let actors = dir.join("actors.toml");
        let accounts = Accounts::write(&officers, &actors)?;
        let up = Up::start(ctx, &dir, &server.url(), &actors).await?;
        tracing::info!(
            setting = setting.label(),
            accounts = accounts.len(),
            "HTTP benchmark: motcua up is ready"
        );
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(plan.max_in_flight)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| BenchError::Failed(format!("HTTP client: {e}")))?;

        let lives = generator.take(plan.closed_commands)?;
        let walks = Arc::new(requests(&lives, &accounts, &up.base)?);
        let max = closed_loop(&client, walks, plan.clients, plan.closed).await?;
        tracing::info!(
            setting = setting.label(),
            per_s = max.rate(),
            "HTTP closed loop"
        );

        let mut rows = Vec::new();
        for &rate in &plan.rates {
            let above = rate > SATURATION * max.rate();
            if above && rate != TARGET_RATE {
                rows.push(
                    Row::new(
                        SECTION,
                        format!("{} commands/s: not run", number(rate)),
                        setting.label(),
                        max.rate(),
                        "cmd/s",
                    )
                    .note(format!(
                        "above {:.0} % of the max throughput just measured (the value)",
                        SATURATION * 100.0
                    )),
                );
                continue;
            }
            up.wait_idle(IDLE_LIMIT).await;
            let commands = (rate * plan.rate_time.as_secs_f64() * 1.2) as usize + 200;
            let lives = generator.take(commands)?;
            let walks = Arc::new(requests(&lives, &accounts, &up.base)?);
            let fixed = open_loop(&client, walks, rate, plan.rate_time, plan.max_in_flight).await?;
            tracing::info!(
                setting = setting.label(),
                rate,
                p50_ms = fixed.latencies.p50_ms(),
                p99_ms = fixed.latencies.p99_ms(),
                errors = fixed.errors(),
                "HTTP fixed rate"
            );
            let note = rate_note(&fixed, &plan, above.then(|| max.rate()));
            rows.push(
                Row::new(
                    SECTION,
                    format!("p50 latency at {} commands/s", number(rate)),
                    setting.label(),
                    fixed.latencies.p50_ms(),
                    "ms",
                )
                .note(note.clone()),
            );
            let p99 = Row::new(
                SECTION,
                format!("p99 latency at {} commands/s", number(rate)),
                setting.label(),
                fixed.latencies.p99_ms(),
                "ms",
            )
            .note(note);
            rows.push(if rate == TARGET_RATE {
                p99.target(Target::AtMost(20.0))
            } else {
                p99
            });
        }
        up.stop().await?;

        // The raw baseline: what motcua stored in this run, republished on the same server.
        let log = EventLog::connect(&server.url(), LogSettings::default()).await?;
        let raw = republish(&log, &province).await?;
        tracing::info!(
            setting = setting.label(),
            messages = raw.messages,
            per_s = raw.rate(),
            "HTTP raw baseline"
        );
        let mut note = format!(
            "closed loop, {} keep-alive clients, {:.1} s: {} commands of {} dossiers, latency \
             p50 {:.1} ms, p99 {:.1} ms; `motcua up` child process (command service, projectors, \
             API, info logs) with {} accounts; raw = the {} messages of this run republished \
             (async publish, window {}, same Nats-Msg-Id, expected last subject sequence)",
            plan.clients,
            max.elapsed.as_secs_f64(),
            max.ok,
            max.dossiers,
            max.latencies.p50_ms(),
            max.latencies.p99_ms(),
            accounts.len(),
            raw.messages,
            crate::ingest::raw::WINDOW,
        );
        if max.exhausted {
            note.push_str("; the lives ran out before the time");
        }
        if let Some(errors) = max.errors_note() {
            note = format!("{errors}; {note}");
        }
        report.push(
            Row::new(
                SECTION,
                "HTTP API max throughput, commands/s",
                setting.label(),
                max.rate(),
                "cmd/s",
            )
            .raw(raw.rate())
            .target(Target::RatioAtLeast(0.3))
            .note(note),
        );
        for row in rows {
            report.push(row);
        }
        drop(server);
    }
    Ok(())
}

/// The note of a fixed-rate row: what was sent, what came back, and what went wrong.
fn rate_note(fixed: &Outcome, plan: &Plan, saturated_at: Option<f64>) -> String {
    let mut note = format!(
        "open loop, {:.0} s: {} commands sent ({} dossiers), {:.0}/s answered 2xx; latency from \
         the intended send time, max {:.1} ms; at most {} in flight",
        plan.rate_time.as_secs_f64(),
        fixed.sent,
        fixed.dossiers,
        fixed.rate(),
        fixed.latencies.max_ms(),
        plan.max_in_flight
    );
    if let Some(max) = saturated_at {
        note.push_str(&format!(
            "; above {:.0} % of the max throughput ({}/s): run for its target, the server is saturated",
            SATURATION * 100.0,
            number(max)
        ));
    }
    if fixed.exhausted {
        note.push_str("; every life was under way at some point (requests waited for answers)");
    }
    if let Some(errors) = fixed.errors_note() {
        note = format!("{errors}; {note}");
    }
    note
}
