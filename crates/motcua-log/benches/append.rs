//! Append throughput, ack latency and server memory of the event log, against raw JetStream
//! measured on the same server in the same run (issue "Event log on NATS JetStream with durable
//! acks"; targets in SYSTEM.md §8, layout in docs/adr/0003-stream-per-province.md).
//!
//! ```text
//! cargo bench -p motcua-log --bench append -- [--quick] [--dossiers N] [--tasks N] [--window N]
//!     [--appends-durable N] [--appends-nofsync N] [--rounds N] [--latency-secs S]
//!     [--code-days N] [--settle-secs S] [--setting durable|no-fsync|both]
//!     [--skip-append] [--skip-latency] [--skip-rss]
//! ```
//!
//! It starts its own nats-server processes with the test kit (never the system server on port
//! 4222), one with `sync_interval: always` ("durable": fsync before every ack) and one without
//! ("no-fsync": the server's lazy default), and for each measures:
//!
//! - **raw**: async-nats JetStream async publish of pre-encoded commits to new per-dossier
//!   subjects with `Nats-Expected-Last-Subject-Sequence: 0`, a `Nats-Msg-Id` and the same headers
//!   motcua sends, pipelined in a sliding window of `--window` acks in flight;
//! - **motcua**: `EventLog::append` of the same kind of `Envelope` (a `Submitted` commit, encoded
//!   inside `append`) from `--tasks` concurrent tasks, each awaiting its ack, and again from
//!   `--window` tasks (the same depth as raw);
//! - **ack latency** p50/p99/p99.9 of single appends, open loop at 1,000/s and 5,000/s (sent in
//!   1 ms ticks, latency timed from the call), and one at a time (a `Submitted` then an `Assigned`
//!   commit per dossier, the second with a non-zero expected sequence);
//!
//! and then, on no-fsync servers (the figure is memory, so the load is published as fast as
//! possible), **server RSS** with `--dossiers` dossiers (one commit each) in one province stream,
//! the same spread over the 34 province streams, each before and after a kill -9 and restart, the
//! first again with a `Nats-Msg-Id` on every commit (the duplicate window's share), and the cost
//! of the `MOTCUA_CODES` counter stream (one subject per office and day). RSS is sampled while
//! the server idles for `--settle-secs` (default 150 s, so that the Go runtime's forced GC, every
//! 2 min, has run at least once); with `GODEBUG=gctrace=1` in the environment the servers
//! also log their Go heap, and the benchmark prints the live heap at their last GC.
//!
//! `--quick` is a smoke run (a few thousand appends, 50 k dossiers) for CI.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark's report is its standard output"
)]

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use async_nats::jetstream::{self, message::PublishMessage};
use bytes::Bytes;
use jiff::Timestamp;
use motcua_domain::catalogue::CatalogueRef;
use motcua_domain::dossier::{Actor, Applicant, Event, EventBody, Role};
use motcua_domain::units::{AgencyId, UnitCode, UnitGraph, UnitLevel};
use motcua_log::envelope::chain_hash;
use motcua_log::subject::dossier_stream;
use motcua_log::{
    CommitMeta, DossierKey, Envelope, EventLog, HEADER_SCHEMA, HEADER_TYPES, HEADER_UNIT,
    LogSettings,
};
use motcua_testkit::NatsServer;
use tokio::task::JoinSet;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Options

#[derive(Debug, Clone)]
struct Options {
    quick: bool,
    dossiers: usize,
    tasks: usize,
    window: usize,
    appends_durable: usize,
    appends_nofsync: usize,
    rounds: usize,
    latency_secs: f64,
    sequential_pairs_durable: usize,
    sequential_pairs_nofsync: usize,
    code_days: u32,
    settle: Duration,
    skip_append: bool,
    skip_latency: bool,
    skip_rss: bool,
    /// Which servers the append and latency figures run on.
    durable: bool,
    nofsync: bool,
    command: String,
}

const USAGE: &str = "usage: cargo bench -p motcua-log --bench append -- [--quick] [--dossiers N] \
[--tasks N] [--window N] [--appends-durable N] [--appends-nofsync N] [--rounds N] \
[--latency-secs S] [--code-days N] [--settle-secs S] [--setting durable|no-fsync|both] \
[--skip-append] [--skip-latency] [--skip-rss]";

impl Options {
    fn parse() -> Result<Options> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        // `cargo bench` passes `--bench` to every bench binary; it means nothing here.
        let args: Vec<String> = args.into_iter().filter(|a| a != "--bench").collect();
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = if quick {
            Options {
                quick,
                dossiers: 50_000,
                tasks: 64,
                window: 512,
                appends_durable: 2_000,
                appends_nofsync: 5_000,
                rounds: 1,
                latency_secs: 0.5,
                sequential_pairs_durable: 100,
                sequential_pairs_nofsync: 250,
                code_days: 2,
                settle: Duration::from_millis(500),
                skip_append: false,
                skip_latency: false,
                skip_rss: false,
                durable: true,
                nofsync: true,
                command: String::new(),
            }
        } else {
            Options {
                quick,
                dossiers: 1_000_000,
                tasks: 64,
                window: 512,
                appends_durable: 30_000,
                appends_nofsync: 200_000,
                rounds: 5,
                latency_secs: 5.0,
                sequential_pairs_durable: 1_000,
                sequential_pairs_nofsync: 5_000,
                code_days: 35,
                settle: Duration::from_secs(150),
                skip_append: false,
                skip_latency: false,
                skip_rss: false,
                durable: true,
                nofsync: true,
                command: String::new(),
            }
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| -> Result<String> {
                it.next()
                    .cloned()
                    .ok_or_else(|| anyhow!("{name} needs a value\n{USAGE}"))
            };
            match arg.as_str() {
                "--quick" => {}
                "--dossiers" => o.dossiers = count(&value(arg)?)?,
                "--tasks" => o.tasks = count(&value(arg)?)?,
                "--window" => o.window = count(&value(arg)?)?,
                "--appends-durable" => o.appends_durable = count(&value(arg)?)?,
                "--appends-nofsync" => o.appends_nofsync = count(&value(arg)?)?,
                "--rounds" => o.rounds = count(&value(arg)?)?,
                "--latency-secs" => o.latency_secs = value(arg)?.parse()?,
                "--code-days" => o.code_days = value(arg)?.parse()?,
                "--settle-secs" => o.settle = Duration::from_secs_f64(value(arg)?.parse()?),
                "--skip-append" => o.skip_append = true,
                "--skip-latency" => o.skip_latency = true,
                "--skip-rss" => o.skip_rss = true,
                "--setting" => match value(arg)?.as_str() {
                    "durable" => (o.durable, o.nofsync) = (true, false),
                    "no-fsync" => (o.durable, o.nofsync) = (false, true),
                    "both" => (o.durable, o.nofsync) = (true, true),
                    other => bail!("--setting is durable, no-fsync or both, not {other:?}"),
                },
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown argument {other:?}\n{USAGE}"),
            }
        }
        ensure!(
            o.tasks > 0 && o.window > 0 && o.rounds > 0,
            "counts must be positive"
        );
        ensure!(
            o.window < 5_000,
            "--window must stay below 5000 (the client's ack permits)"
        );
        o.command = if args.is_empty() {
            "cargo bench -p motcua-log --bench append".to_owned()
        } else {
            format!(
                "cargo bench -p motcua-log --bench append -- {}",
                args.join(" ")
            )
        };
        Ok(o)
    }
}

/// A count such as `1000000`, `1_000_000`, `100k` or `1M`.
fn count(text: &str) -> Result<usize> {
    let t = text.replace('_', "");
    let (digits, factor) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1_000),
        Some('m' | 'M') => (&t[..t.len() - 1], 1_000_000),
        _ => (t.as_str(), 1),
    };
    Ok(digits
        .parse::<usize>()
        .with_context(|| format!("{text:?} is not a count"))?
        * factor)
}

// ---------------------------------------------------------------------------------------------
// Commits

/// The 34 provinces of the list in force since July 2025, and their commune desks.
#[derive(Debug)]
struct Units {
    provinces: Vec<UnitCode>,
    communes: Vec<UnitCode>,
}

impl Units {
    fn load() -> Units {
        let graph = UnitGraph::two_level_2025_07();
        Units {
            provinces: graph
                .at_level(UnitLevel::Province)
                .map(|u| u.code.clone())
                .collect(),
            communes: graph
                .at_level(UnitLevel::Commune)
                .map(|u| u.code.clone())
                .collect(),
        }
    }
}

/// A commit ready to send both ways: as an `Envelope` for `EventLog::append`, and pre-encoded
/// with the same headers for the raw publish.
#[derive(Debug, Clone)]
struct Commit {
    envelope: Envelope,
    subject: String,
    bytes: Bytes,
}

impl Commit {
    fn new(envelope: Envelope) -> Commit {
        Commit {
            subject: envelope.subject.subject(),
            bytes: Bytes::from(envelope.encode()),
            envelope,
        }
    }

    /// The message `EventLog::append` sends, built from the pre-encoded bytes.
    fn raw_message(&self, expected_last_seq: u64) -> PublishMessage {
        let e = &self.envelope;
        let mut publish = PublishMessage::build()
            .payload(self.bytes.clone())
            .message_id(e.commandid.to_string())
            .expected_last_subject_sequence(expected_last_seq)
            .header("Content-Type", "application/cloudevents+json")
            .header(HEADER_TYPES, e.type_names().join(","))
            .header(HEADER_SCHEMA, e.schemaversion.to_string());
        if let Some(unit) = &e.unit {
            publish = publish.header(HEADER_UNIT, unit.as_str());
        }
        if let Some(tp) = &e.traceparent {
            publish = publish.header("traceparent", tp.as_str());
        }
        publish
    }
}

/// Builds realistic commits: an online submission, and an officer assignment.
#[derive(Debug)]
struct Factory {
    procedure: CatalogueRef,
    communes: Vec<UnitCode>,
    n: usize,
}

impl Factory {
    fn new(units: &Units) -> Result<Factory> {
        Ok(Factory {
            procedure: CatalogueRef {
                code: "1.001193".parse()?,
                version: 2,
            },
            communes: units.communes.clone(),
            n: 0,
        })
    }

    fn meta() -> CommitMeta {
        CommitMeta {
            correlation_id: None,
            causation_id: None,
            traceparent: Some(format!(
                "00-{}-{}-01",
                Uuid::new_v4().simple(),
                &Uuid::new_v4().simple().to_string()[..16]
            )),
        }
    }

    /// The first commit of a new dossier of `province`: submitted online by an applicant.
    fn submitted(&mut self, province: &UnitCode) -> Result<Commit> {
        self.n += 1;
        let key = DossierKey::generate(province.clone())?;
        let commune = &self.communes[self.n % self.communes.len()];
        let at = Timestamp::from_second(1_764_000_000 + (self.n % 86_400) as i64)?;
        let event = Event {
            at,
            actor: Actor::applicant(format!("vneid.{:010}", self.n)),
            command_id: Uuid::now_v7(),
            body: EventBody::Submitted {
                procedure: self.procedure.clone(),
                applicant: Applicant {
                    name: "Nguyễn Thị Minh Khai".to_owned(),
                    id_number: Some(format!("079{:09}", self.n)),
                    phone: Some("0903123456".to_owned()),
                    address: Some(
                        "12 đường Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh".to_owned(),
                    ),
                    email: None,
                },
                receiving_agency: AgencyId::desk_of(commune),
                intake_due_at: Timestamp::from_second(at.as_second() + 8 * 3600)?,
            },
        };
        let envelope =
            Envelope::for_commit(&key, None, Some("2025-07"), &[event], &Self::meta(), "")?;
        Ok(Commit::new(envelope))
    }

    /// The next commit of `prev`'s dossier: an officer of the receiving desk is put in charge.
    fn assigned(&mut self, prev: &Commit) -> Result<Commit> {
        self.n += 1;
        let commune = &self.communes[self.n % self.communes.len()];
        let event = Event {
            at: Timestamp::from_second(prev.envelope.time.as_second() + 3600)?,
            actor: Actor::officer(
                "cb.tiepnhan.01",
                Role::Reception,
                AgencyId::desk_of(commune),
            ),
            command_id: Uuid::now_v7(),
            body: EventBody::Assigned {
                officer: format!("cb.xuly.{:03}", self.n % 1000),
            },
        };
        let envelope = Envelope::for_commit(
            &prev.envelope.subject,
            None,
            Some("2025-07"),
            &[event],
            &Self::meta(),
            &chain_hash(&prev.bytes),
        )?;
        Ok(Commit::new(envelope))
    }

    fn submitted_many(&mut self, province: &UnitCode, n: usize) -> Result<Vec<Commit>> {
        (0..n).map(|_| self.submitted(province)).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

/// Hands out a fresh province (so a fresh, empty stream) to each measurement on a server.
#[derive(Debug)]
struct Fresh {
    provinces: Vec<UnitCode>,
    next: usize,
}

impl Fresh {
    fn new(units: &Units) -> Fresh {
        Fresh {
            provinces: units.provinces.clone(),
            next: 0,
        }
    }

    /// The next province; after all 34, they come round again (new subjects in a used stream).
    fn province(&mut self) -> UnitCode {
        let p = self.provinces[self.next % self.provinces.len()].clone();
        self.next += 1;
        p
    }
}

/// Both ways of sending one commit and awaiting its ack.
#[derive(Debug, Clone)]
enum Sender {
    Raw(Box<jetstream::Context>),
    Motcua(Box<EventLog>),
}

impl Sender {
    async fn append(&self, commit: &Commit, expected: u64) -> Result<u64> {
        match self {
            Sender::Raw(js) => {
                let ack = js
                    .send_publish(commit.subject.clone(), commit.raw_message(expected))
                    .await?
                    .await?;
                ensure!(!ack.duplicate, "unexpected duplicate");
                Ok(ack.sequence)
            }
            Sender::Motcua(log) => Ok(log.append(&commit.envelope, expected).await?.stream_seq),
        }
    }
}

/// CPU time (user + system) of a process so far, from `/proc/<pid>/stat`.
fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// CPU used by this process and by the server over a measurement.
#[derive(Debug, Clone, Copy)]
struct Cpu {
    bench: Duration,
    server: Duration,
}

#[derive(Debug)]
struct CpuMeter {
    server_pid: String,
    bench0: Duration,
    server0: Duration,
}

impl CpuMeter {
    fn start(server: &NatsServer) -> CpuMeter {
        let server_pid = server.pid().map(|p| p.to_string()).unwrap_or_default();
        CpuMeter {
            bench0: cpu_time("self").unwrap_or_default(),
            server0: cpu_time(&server_pid).unwrap_or_default(),
            server_pid,
        }
    }

    fn stop(&self) -> Cpu {
        Cpu {
            bench: cpu_time("self")
                .unwrap_or_default()
                .saturating_sub(self.bench0),
            server: cpu_time(&self.server_pid)
                .unwrap_or_default()
                .saturating_sub(self.server0),
        }
    }
}

/// A `VmRSS`-style field of `/proc/<pid>/status`, in bytes.
fn proc_status_bytes(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow!("bad line {line:?}"))?
        .parse()?;
    Ok(kib * 1024)
}

fn rss(server: &NatsServer) -> Result<u64> {
    let pid = server.pid().ok_or_else(|| anyhow!("server not running"))?;
    proc_status_bytes(pid, "VmRSS:")
}

fn hwm(server: &NatsServer) -> Result<u64> {
    let pid = server.pid().ok_or_else(|| anyhow!("server not running"))?;
    proc_status_bytes(pid, "VmHWM:")
}

/// RSS sampled while the server idles for `settle` after a load: at 1, 5, 15, 30, 60… s.
/// Returns the first and the last sample, and logs them all.
async fn rss_settling(server: &NatsServer, settle: Duration, what: &str) -> Result<Settled> {
    let start = Instant::now();
    let mut points: Vec<Duration> = [1u64, 5, 15, 30, 60, 120, 300]
        .iter()
        .map(|&s| Duration::from_secs(s))
        .filter(|&d| d < settle)
        .collect();
    points.push(settle);
    let mut samples = Vec::new();
    for at in points {
        tokio::time::sleep_until((start + at).into()).await;
        samples.push((at, rss(server)?));
    }
    eprintln!(
        "  RSS {what}, idle: {}",
        samples
            .iter()
            .map(|(at, r)| format!("{} {}", secs(*at), mib(*r)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let live_heap = go_heap(server).map(|(line, live)| {
        eprintln!("  Go heap at the server's last GC ({what}): {line}");
        live
    });
    let (first_at, first) = samples.first().copied().unwrap_or_default();
    let (last_at, last) = samples.last().copied().unwrap_or_default();
    Ok(Settled {
        first,
        last,
        live_heap,
        span: if first_at == last_at {
            format!("{} idle", secs(last_at))
        } else {
            format!("{} → {} idle", secs(first_at), secs(last_at))
        },
    })
}

/// RSS at the first and the last sample of [`rss_settling`], and when they were taken.
#[derive(Debug)]
struct Settled {
    first: u64,
    last: u64,
    /// The live Go heap at the server's last GC, in MB, with `GODEBUG=gctrace=1`.
    live_heap: Option<u64>,
    span: String,
}

impl Settled {
    fn heap_note(&self) -> String {
        self.live_heap
            .map(|mb| format!("; Go live heap {mb} MB"))
            .unwrap_or_default()
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// How many 4 KiB overwrite + `fdatasync` the temp dir's disk does per second right now (the
/// test kit's servers keep their store there): the ceiling of durable appends on one stream.
fn fsync_probe(n: usize) -> Result<f64> {
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir()?;
    let mut file = std::fs::File::create(dir.path().join("probe"))?;
    let block = [0x5au8; 4096];
    file.write_all(&block)?;
    file.sync_all()?;
    let start = Instant::now();
    for _ in 0..n {
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&block)?;
        file.sync_data()?;
    }
    Ok(per_sec(n, start.elapsed()))
}

/// The server's last GC line when it runs with `GODEBUG=gctrace=1` (set it in the environment
/// of the benchmark: the test kit's servers inherit it and log to their own log file), e.g.
/// `412->415->268 MB, 540 MB goal`: heap at start and end of the GC, live heap, next goal.
fn go_heap(server: &NatsServer) -> Option<(String, u64)> {
    let log = std::fs::read_to_string(server.log_path()).ok()?;
    let line = log
        .lines()
        .rev()
        .find(|l| l.starts_with("gc ") && l.contains(" MB goal"))?;
    let heap = line
        .split(", ")
        .find(|f| f.contains("->") && f.ends_with(" MB"))?;
    let goal = line.split(", ").find(|f| f.ends_with(" MB goal"))?;
    let live = heap
        .trim_end_matches(" MB")
        .rsplit("->")
        .next()?
        .parse()
        .ok()?;
    Some((format!("{heap} (before->after->live), {goal}"), live))
}

fn disk_usage(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_usage(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Percentiles of latencies, exact (all samples kept and sorted).
#[derive(Debug, Clone, Copy)]
struct Latency {
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
    n: usize,
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Result<Latency> {
        ensure!(!samples.is_empty(), "no latency samples");
        samples.sort();
        let at = |q: f64| {
            samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Ok(Latency {
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
            max: samples[samples.len() - 1],
            n: samples.len(),
        })
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

// ---------------------------------------------------------------------------------------------
// The report

#[derive(Debug)]
struct Row {
    figure: String,
    setting: String,
    motcua: String,
    raw: String,
    ratio: String,
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    fn row(
        &mut self,
        figure: impl Into<String>,
        setting: &str,
        motcua: String,
        raw: String,
        ratio: String,
    ) {
        let row = Row {
            figure: figure.into(),
            setting: setting.to_owned(),
            motcua,
            raw,
            ratio,
        };
        eprintln!(
            "  -> {} [{}]: motcua {} | raw {} | ratio {}",
            row.figure, row.setting, row.motcua, row.raw, row.ratio
        );
        self.rows.push(row);
    }

    fn note(&mut self, text: String) {
        eprintln!("  note: {text}");
        self.notes.push(text);
    }

    fn print(&self, opts: &Options, header: &str) {
        let mut out = String::new();
        let _ = writeln!(out, "\n## motcua-log append benchmark\n");
        let _ = writeln!(out, "command: `{}`\n", opts.command);
        let _ = writeln!(out, "{header}\n");
        let _ = writeln!(out, "| figure | setting | motcua | raw | ratio |");
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.figure, r.setting, r.motcua, r.raw, r.ratio
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out);
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        print!("{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// Throughput

/// Raw async publish, a sliding window of `window` acks in flight.
async fn raw_pipelined(
    js: &jetstream::Context,
    commits: &[Commit],
    window: usize,
) -> Result<Duration> {
    let start = Instant::now();
    let mut in_flight = VecDeque::with_capacity(window);
    for c in commits {
        if in_flight.len() == window
            && let Some(ack) = in_flight.pop_front()
        {
            let ack: jetstream::context::PublishAckFuture = ack;
            ensure!(!ack.await?.duplicate, "unexpected duplicate");
        }
        in_flight.push_back(js.send_publish(c.subject.clone(), c.raw_message(0)).await?);
    }
    for ack in in_flight {
        ensure!(!ack.await?.duplicate, "unexpected duplicate");
    }
    Ok(start.elapsed())
}

/// `EventLog::append` from `tasks` concurrent tasks, each awaiting its own ack.
async fn motcua_concurrent(
    log: &EventLog,
    commits: Arc<Vec<Commit>>,
    tasks: usize,
) -> Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..tasks {
        let (log, commits, next) = (log.clone(), commits.clone(), next.clone());
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = commits.get(i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                log.append(&c.envelope, 0).await?;
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(start.elapsed())
}

#[derive(Debug, Clone, Copy)]
struct Durability {
    sync_always: bool,
}

impl Durability {
    fn label(self) -> &'static str {
        if self.sync_always {
            "durable (sync_interval: always)"
        } else {
            "no-fsync (server default)"
        }
    }
}

async fn connect(server: &NatsServer, window: usize) -> Result<(EventLog, jetstream::Context)> {
    let log = EventLog::connect(&server.client_url(), LogSettings::default()).await?;
    let client = async_nats::connect(server.client_url()).await?;
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(10))
        .max_ack_inflight(window.max(64) + 64)
        .build(client);
    Ok((log, js))
}

async fn throughput(
    server: &NatsServer,
    d: Durability,
    opts: &Options,
    units: &Units,
    fresh: &mut Fresh,
    report: &mut Report,
) -> Result<f64> {
    let setting = d.label();
    let (log, js) = connect(server, opts.window).await?;
    let mut factory = Factory::new(units)?;
    let n = if d.sync_always {
        opts.appends_durable
    } else {
        opts.appends_nofsync
    };
    let (mut raw, mut mc, mut mcw) = (Vec::new(), Vec::new(), Vec::new());
    let (mut raw_cpu, mut mc_cpu) = (Vec::new(), Vec::new());
    for round in 1..=opts.rounds {
        eprintln!(
            "[{setting}] round {round}/{}: {n} appends each (load {})",
            opts.rounds,
            loadavg()
        );
        // The order rotates from round to round, so that a disk or CPU busy with something
        // else at one moment does not always fall on the same path.
        for phase in 0..3 {
            let p = fresh.province();
            log.ensure_dossier_stream(&p).await?;
            let commits = factory.submitted_many(&p, n)?;
            match (phase + round - 1) % 3 {
                0 => {
                    // Raw: pre-encoded commits, sliding window.
                    let cpu = CpuMeter::start(server);
                    let t = raw_pipelined(&js, &commits, opts.window).await?;
                    raw_cpu.push(cpu.stop());
                    raw.push(per_sec(n, t));
                    eprintln!("  raw, window {}: {:.0}/s", opts.window, per_sec(n, t));
                }
                1 => {
                    // motcua: EventLog::append from `tasks` tasks.
                    let cpu = CpuMeter::start(server);
                    let t = motcua_concurrent(&log, Arc::new(commits), opts.tasks).await?;
                    mc_cpu.push(cpu.stop());
                    mc.push(per_sec(n, t));
                    eprintln!("  motcua, {} tasks: {:.0}/s", opts.tasks, per_sec(n, t));
                }
                _ => {
                    // motcua with as many tasks as raw has acks in flight.
                    let t = motcua_concurrent(&log, Arc::new(commits), opts.window).await?;
                    mcw.push(per_sec(n, t));
                    eprintln!("  motcua, {} tasks: {:.0}/s", opts.window, per_sec(n, t));
                }
            }
        }
    }
    let (raw_m, mc_m, mcw_m) = (median(raw.clone()), median(mc.clone()), median(mcw.clone()));
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    report.row(
        format!(
            "appends/s, {} tasks vs raw window {} (median of {})",
            opts.tasks, opts.window, opts.rounds
        ),
        setting,
        format!("{mc_m:.0}"),
        format!("{raw_m:.0}"),
        format!("{:.2}", mc_m / raw_m),
    );
    report.row(
        format!(
            "appends/s, {} tasks vs raw window {} (median of {})",
            opts.window, opts.window, opts.rounds
        ),
        setting,
        format!("{mcw_m:.0}"),
        format!("{raw_m:.0}"),
        format!("{:.2}", mcw_m / raw_m),
    );
    let cpu_per = |cpus: &[Cpu], f: fn(&Cpu) -> Duration| {
        let total: Duration = cpus.iter().map(f).sum();
        total.as_secs_f64() * 1e6 / (n * cpus.len()) as f64
    };
    report.row(
        format!("client CPU µs per append ({} tasks vs raw)", opts.tasks),
        setting,
        format!("{:.1}", cpu_per(&mc_cpu, |c| c.bench)),
        format!("{:.1}", cpu_per(&raw_cpu, |c| c.bench)),
        format!(
            "{:.2}",
            cpu_per(&mc_cpu, |c| c.bench) / cpu_per(&raw_cpu, |c| c.bench)
        ),
    );
    report.row(
        format!("server CPU µs per append ({} tasks vs raw)", opts.tasks),
        setting,
        format!("{:.1}", cpu_per(&mc_cpu, |c| c.server)),
        format!("{:.1}", cpu_per(&raw_cpu, |c| c.server)),
        format!(
            "{:.2}",
            cpu_per(&mc_cpu, |c| c.server) / cpu_per(&raw_cpu, |c| c.server)
        ),
    );
    report.note(format!(
        "{setting}: rounds raw [{}], motcua {} tasks [{}], motcua {} tasks [{}] appends/s",
        show(&raw),
        opts.tasks,
        show(&mc),
        opts.window,
        show(&mcw)
    ));
    Ok(raw_m)
}

// ---------------------------------------------------------------------------------------------
// Latency

/// Open loop: `rate` appends per second for `secs`, sent in 1 ms ticks, each timed from its call.
/// Appends that fail (no ack within the 10 s timeout when the offered rate is above what the
/// disk sustains) are counted, not timed.
async fn paced(path: &Sender, commits: Vec<Commit>, rate: u32) -> Result<Paced> {
    let total = commits.len();
    let mut commits = commits.into_iter();
    let mut set = JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut sent = 0usize;
    while sent < total {
        tick.tick().await;
        let due = ((start.elapsed().as_secs_f64() * f64::from(rate)) as usize + 1).min(total);
        while sent < due {
            let Some(c) = commits.next() else { break };
            let path = path.clone();
            set.spawn(async move {
                let t0 = Instant::now();
                path.append(&c, 0).await?;
                Ok::<_, anyhow::Error>(t0.elapsed())
            });
            sent += 1;
        }
    }
    let send_time = start.elapsed();
    let mut samples = Vec::with_capacity(total);
    let (mut failed, mut first_error) = (0usize, None);
    while let Some(done) = set.join_next().await {
        match done? {
            Ok(d) => samples.push(d),
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    Ok(Paced {
        latency: Latency::of(samples)?,
        sent_per_sec: per_sec(total, send_time),
        failed,
        first_error,
    })
}

#[derive(Debug)]
struct Paced {
    latency: Latency,
    sent_per_sec: f64,
    failed: usize,
    first_error: Option<String>,
}

/// One append at a time: per dossier a `Submitted` commit (expected 0) then an `Assigned` one
/// (expected the first one's sequence).
async fn one_at_a_time(path: &Sender, pairs: Vec<(Commit, Commit)>) -> Result<Latency> {
    let mut samples = Vec::with_capacity(pairs.len() * 2);
    for (first, second) in &pairs {
        let t0 = Instant::now();
        let seq = path.append(first, 0).await?;
        samples.push(t0.elapsed());
        let t0 = Instant::now();
        path.append(second, seq).await?;
        samples.push(t0.elapsed());
    }
    Latency::of(samples)
}

fn latency_row(report: &mut Report, figure: String, setting: &str, m: Latency, r: Latency) {
    for (name, a, b) in [
        ("p50", m.p50, r.p50),
        ("p99", m.p99, r.p99),
        ("p99.9", m.p999, r.p999),
    ] {
        report.row(
            format!("{figure} {name}"),
            setting,
            ms(a),
            ms(b),
            format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()),
        );
    }
    report.note(format!(
        "{setting}: {figure}: max motcua {} / raw {}, samples {} / {}",
        ms(m.max),
        ms(r.max),
        m.n,
        r.n
    ));
}

async fn latency(
    server: &NatsServer,
    capacity: Option<f64>,
    d: Durability,
    opts: &Options,
    units: &Units,
    fresh: &mut Fresh,
    report: &mut Report,
) -> Result<()> {
    let setting = d.label();
    let (log, js) = connect(server, opts.window).await?;
    let raw = Sender::Raw(Box::new(js));
    let motcua = Sender::Motcua(Box::new(log.clone()));
    let mut factory = Factory::new(units)?;

    // One at a time.
    let pairs_n = if d.sync_always {
        opts.sequential_pairs_durable
    } else {
        opts.sequential_pairs_nofsync
    };
    let mut lat = Vec::new();
    for path in [&raw, &motcua] {
        let p = fresh.province();
        log.ensure_dossier_stream(&p).await?;
        let mut pairs = Vec::with_capacity(pairs_n);
        for _ in 0..pairs_n {
            let first = factory.submitted(&p)?;
            let second = factory.assigned(&first)?;
            pairs.push((first, second));
        }
        eprintln!(
            "[{setting}] one at a time: {} appends (load {})",
            pairs_n * 2,
            loadavg()
        );
        lat.push(one_at_a_time(path, pairs).await?);
    }
    latency_row(
        report,
        "ack latency, one at a time,".to_owned(),
        setting,
        lat[1],
        lat[0],
    );

    for rate in [1_000u32, 5_000] {
        let n = (f64::from(rate) * opts.latency_secs) as usize;
        if let Some(cap) = capacity
            && f64::from(rate) > 0.9 * cap
        {
            report.note(format!(
                "{setting}: ack latency at {rate}/s not measured: above 90 % of the raw \
                 appends/s measured on this server in this run ({cap:.0}/s), so the queue \
                 would only grow"
            ));
            continue;
        }
        let mut lat = Vec::new();
        let mut achieved = Vec::new();
        for path in [&raw, &motcua] {
            let p = fresh.province();
            log.ensure_dossier_stream(&p).await?;
            let commits = factory.submitted_many(&p, n)?;
            eprintln!(
                "[{setting}] paced {rate}/s: {n} appends (load {})",
                loadavg()
            );
            let result = paced(path, commits, rate).await?;
            if result.failed > 0 {
                report.note(format!(
                    "{setting}: at {rate}/s offered, {} of {n} appends ({}) failed: {}",
                    result.failed,
                    if lat.is_empty() { "raw" } else { "motcua" },
                    result.first_error.as_deref().unwrap_or("")
                ));
            }
            lat.push(result.latency);
            achieved.push(result.sent_per_sec);
        }
        latency_row(
            report,
            format!("ack latency at {rate}/s offered,"),
            setting,
            lat[1],
            lat[0],
        );
        report.note(format!(
            "{setting}: offered {rate}/s, sent at {:.0}/s (motcua) and {:.0}/s (raw)",
            achieved[1], achieved[0]
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Memory

/// Publishes one commit on each of `n` new dossier subjects, spread round-robin over
/// `provinces`, pipelined, with the expected-sequence header; with a `Nats-Msg-Id` only when
/// asked, so that the plain figure is the per-subject cost and not the duplicate window's.
async fn load_dossiers(
    js: &jetstream::Context,
    provinces: &[UnitCode],
    payload: Bytes,
    n: usize,
    with_msg_id: bool,
) -> Result<Duration> {
    let window = 2_048;
    let start = Instant::now();
    let mut in_flight = VecDeque::with_capacity(window);
    for i in 0..n {
        if in_flight.len() == window
            && let Some(ack) = in_flight.pop_front()
        {
            let ack: jetstream::context::PublishAckFuture = ack;
            ack.await?;
        }
        let province = &provinces[i % provinces.len()];
        let subject = format!("motcua.dossier.{province}.{}", Uuid::now_v7());
        let mut msg = PublishMessage::build()
            .payload(payload.clone())
            .expected_last_subject_sequence(0);
        if with_msg_id {
            msg = msg.message_id(Uuid::now_v7().to_string());
        }
        in_flight.push_back(js.send_publish(subject, msg).await?);
        if (i + 1) % 250_000 == 0 {
            eprintln!(
                "    {} published ({:.0}/s)",
                i + 1,
                per_sec(i + 1, start.elapsed())
            );
        }
    }
    for ack in in_flight {
        ack.await?;
    }
    Ok(start.elapsed())
}

async fn stream_totals(js: &jetstream::Context, provinces: &[UnitCode]) -> Result<(u64, u64)> {
    let (mut messages, mut subjects) = (0, 0);
    for p in provinces {
        let mut s = js.get_stream(dossier_stream(p)).await?;
        let info = s.info().await?;
        messages += info.state.messages;
        subjects += info.state.subjects_count;
    }
    Ok((messages, subjects))
}

async fn rss_layout(
    opts: &Options,
    units: &Units,
    provinces: &[UnitCode],
    label: &str,
    with_msg_id: bool,
    report: &mut Report,
) -> Result<()> {
    let n = opts.dossiers;
    let setting = "no-fsync (load only)";
    let mut server = NatsServer::builder()
        .sync_always(false)
        .ready_timeout(Duration::from_secs(300))
        .start()
        .await?;
    let (log, js) = connect(&server, 2_048).await?;
    for p in provinces {
        log.ensure_dossier_stream(p).await?;
    }
    tokio::time::sleep(opts.settle.min(Duration::from_secs(2))).await;
    let empty = rss(&server)?;
    let mut factory = Factory::new(units)?;
    let payload = factory.submitted(&provinces[0])?.bytes;
    eprintln!(
        "[memory] {n} dossiers in {label}, {} B commits (load {}, empty server RSS {})",
        payload.len(),
        loadavg(),
        mib(empty)
    );
    let t = load_dossiers(&js, provinces, payload, n, with_msg_id).await?;
    let (messages, subjects) = stream_totals(&js, provinces).await?;
    ensure!(
        messages == n as u64 && subjects == n as u64,
        "{label}: {messages} messages on {subjects} subjects, wanted {n}"
    );
    let loaded = rss_settling(&server, opts.settle, "after the load").await?;
    let peak = hwm(&server)?;
    let disk = disk_usage(&server.store_dir());
    eprintln!(
        "  loaded at {:.0}/s; RSS {} (peak {}), disk {}",
        per_sec(n, t),
        mib(loaded.last),
        mib(peak),
        mib(disk)
    );
    drop(log);
    drop(js);

    // Crash and recover.
    let t0 = Instant::now();
    server.kill()?;
    server.restart().await?;
    let ready = t0.elapsed();
    let client = async_nats::connect(server.client_url()).await?;
    let js = jetstream::new(client);
    loop {
        match stream_totals(&js, provinces).await {
            Ok((m, _)) if m == n as u64 => break,
            _ if t0.elapsed() > Duration::from_secs(300) => {
                bail!("{label}: not recovered in 300 s")
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let recovered = t0.elapsed();
    let after = rss_settling(&server, opts.settle, "after the restart").await?;
    let after_peak = hwm(&server)?;
    eprintln!(
        "  kill -9 + restart: ready in {:.2} s, streams loaded in {:.2} s; RSS {} (peak {})",
        ready.as_secs_f64(),
        recovered.as_secs_f64(),
        mib(after.last),
        mib(after_peak)
    );
    let dossiers = if n.is_multiple_of(1_000_000) {
        format!("{} M", n / 1_000_000)
    } else {
        format!("{} k", n / 1_000)
    };
    let per = |rss: u64| (rss.saturating_sub(empty)) as f64 / n as f64;
    let idle = secs(opts.settle);
    report.row(
        format!(
            "server RSS at {dossiers} dossiers, {label}, after the load: {} (peak)",
            loaded.span
        ),
        setting,
        format!(
            "{} → {} (peak {}){}",
            mib(loaded.first),
            mib(loaded.last),
            mib(peak),
            loaded.heap_note()
        ),
        "–".to_owned(),
        "–".to_owned(),
    );
    report.row(
        format!(
            "server RSS at {dossiers} dossiers, {label}, after kill -9 + restart: {}",
            after.span
        ),
        setting,
        format!(
            "{} → {}{}",
            mib(after.first),
            mib(after.last),
            after.heap_note()
        ),
        "–".to_owned(),
        "–".to_owned(),
    );
    report.row(
        format!(
            "server RSS per dossier subject, {label}, above the empty server ({idle} idle: after the load / after restart)"
        ),
        setting,
        format!("{:.0} B / {:.0} B", per(loaded.last), per(after.last)),
        "–".to_owned(),
        "–".to_owned(),
    );
    report.note(format!(
        "memory, {label}: empty server with its streams {}; {n} dossiers loaded at {:.0}/s; \
         store on disk {}; kill -9 + restart: ready in {:.2} s, streams loaded in {:.2} s; \
         peak RSS after restart {}",
        mib(empty),
        per_sec(n, t),
        mib(disk),
        ready.as_secs_f64(),
        recovered.as_secs_f64(),
        mib(after_peak)
    ));
    Ok(())
}

/// The dossier-code counter stream at its largest: every office allocates on every day kept.
async fn code_counters(opts: &Options, units: &Units, report: &mut Report) -> Result<()> {
    let server = NatsServer::builder().sync_always(false).start().await?;
    let log = EventLog::connect(&server.client_url(), LogSettings::default()).await?;
    // Every commune desk and every province's desk.
    let mut offices: Vec<AgencyId> = units
        .communes
        .iter()
        .chain(units.provinces.iter())
        .map(AgencyId::desk_of)
        .collect();
    if opts.quick {
        offices.truncate(500);
    }
    let days = opts.code_days;
    let first = jiff::civil::date(2026, 1, 5);
    let jobs: Vec<(AgencyId, jiff::civil::Date)> = (0..days)
        .flat_map(|d| {
            let date = first
                .checked_add(jiff::Span::new().days(i64::from(d)))
                .unwrap_or(first);
            offices.iter().map(move |o| (o.clone(), date))
        })
        .collect();
    tokio::time::sleep(opts.settle.min(Duration::from_secs(2))).await;
    let empty = rss(&server)?;
    eprintln!(
        "[memory] MOTCUA_CODES: {} offices x {days} days = {} counters (load {})",
        offices.len(),
        jobs.len(),
        loadavg()
    );
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..opts.tasks {
        let (log, jobs, next) = (log.clone(), jobs.clone(), next.clone());
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((office, date)) = jobs.get(i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                let code = log.allocate_code(office, *date).await?;
                ensure!(
                    code.seq() == 1,
                    "counter of {office} on {date} did not start at 1"
                );
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    let t = start.elapsed();
    let mut stream = log.jetstream().get_stream("MOTCUA_CODES").await?;
    let subjects = stream.info().await?.state.subjects_count;
    ensure!(
        subjects == jobs.len() as u64,
        "{subjects} counter subjects, wanted {}",
        jobs.len()
    );
    let loaded = rss_settling(&server, opts.settle, "with the counters")
        .await?
        .last;
    let per = loaded.saturating_sub(empty) as f64 / jobs.len() as f64;
    report.row(
        format!(
            "MOTCUA_CODES: RSS with {} counters ({} offices x {days} days)",
            jobs.len(),
            offices.len()
        ),
        "no-fsync (load only)",
        format!(
            "{} (+{}, {per:.0} B each)",
            mib(loaded),
            mib(loaded.saturating_sub(empty))
        ),
        "–".to_owned(),
        "–".to_owned(),
    );
    report.note(format!(
        "MOTCUA_CODES: {} allocations from {} tasks at {:.0}/s (no-fsync)",
        jobs.len(),
        opts.tasks,
        per_sec(jobs.len(), t)
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> Result<()> {
    let opts = Options::parse()?;
    let started = Instant::now();
    let units = Units::load();
    ensure!(units.provinces.len() == 34, "expected 34 provinces");
    let binary = motcua_testkit::find_nats_server()?;
    let version = motcua_testkit::server_version(&binary)?;
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or_else(
            || "?".to_owned(),
            |kib| format!("{:.1} GiB", kib as f64 / 1048576.0),
        );
    let load_before = loadavg();
    let probes = if opts.quick { 100 } else { 1_000 };
    let fsync_before = fsync_probe(probes)?;
    eprintln!(
        "motcua-log append benchmark: nats-server {}.{}.{} ({}), {cores} cores, {mem}, load {load_before}",
        version.major,
        version.minor,
        version.patch,
        binary.display()
    );
    let commit_size = Factory::new(&units)?
        .submitted(&units.provinces[0])?
        .bytes
        .len();
    let mut report = Report::default();

    // Envelope cost on the client, measured alone.
    {
        let mut factory = Factory::new(&units)?;
        let n = if opts.quick { 2_000 } else { 50_000 };
        let t0 = Instant::now();
        let commits: Vec<Commit> = factory.submitted_many(&units.provinces[0], n)?;
        let build = t0.elapsed();
        let t0 = Instant::now();
        let bytes: usize = commits.iter().map(|c| c.envelope.encode().len()).sum();
        let encode = t0.elapsed();
        report.note(format!(
            "client CPU per Submitted commit ({commit_size} B): Envelope::for_commit + first encode {:.1} µs, Envelope::encode alone {:.1} µs ({} B encoded)",
            build.as_secs_f64() * 1e6 / n as f64,
            encode.as_secs_f64() * 1e6 / n as f64,
            bytes / n
        ));
    }

    for d in [
        Durability { sync_always: true },
        Durability { sync_always: false },
    ] {
        if !(if d.sync_always {
            opts.durable
        } else {
            opts.nofsync
        }) {
            continue;
        }
        if opts.skip_append && opts.skip_latency {
            break;
        }
        let server = NatsServer::builder()
            .sync_always(d.sync_always)
            .start()
            .await?;
        let mut fresh = Fresh::new(&units);
        let mut capacity = None;
        if !opts.skip_append {
            capacity = Some(throughput(&server, d, &opts, &units, &mut fresh, &mut report).await?);
        }
        if !opts.skip_latency {
            latency(&server, capacity, d, &opts, &units, &mut fresh, &mut report).await?;
        }
    }

    if !opts.skip_rss {
        let one = [units
            .provinces
            .iter()
            .find(|p| p.as_str() == "79")
            .cloned()
            .ok_or_else(|| anyhow!("no province 79"))?];
        rss_layout(
            &opts,
            &units,
            &one,
            "1 stream (MOTCUA_DOSSIERS_79)",
            false,
            &mut report,
        )
        .await?;
        rss_layout(
            &opts,
            &units,
            &units.provinces,
            "34 province streams",
            false,
            &mut report,
        )
        .await?;
        // The same as the first, with a `Nats-Msg-Id` on every commit as motcua sends: the
        // duplicate window (10 min) keeps every id in memory, which a load of 1 M commits in
        // well under 10 min puts entirely inside the window.
        rss_layout(
            &opts,
            &units,
            &one,
            "1 stream, each commit with a Nats-Msg-Id",
            true,
            &mut report,
        )
        .await?;
        code_counters(&opts, &units, &mut report).await?;
    }

    let header = format!(
        "nats-server {}.{}.{}, {cores} cores, {mem} RAM; load average {load_before} before, {} after; \
         {:.0} s; commits are `Submitted` envelopes of {commit_size} B; raw = async publish with the \
         same headers (`Nats-Msg-Id`, `Nats-Expected-Last-Subject-Sequence`), window {}; \
         motcua = `EventLog::append` from N tasks.",
        version.major,
        version.minor,
        version.patch,
        loadavg(),
        started.elapsed().as_secs_f64(),
        opts.window
    );
    let fsync_after = fsync_probe(probes)?;
    report.note(format!(
        "disk: {fsync_before:.0} fdatasync/s before the run and {fsync_after:.0}/s after it \
         (4 KiB overwrite in the temp dir, where the servers keep their store)"
    ));
    report.print(&opts, &header);
    Ok(())
}
