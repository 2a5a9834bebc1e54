//! The whole system under faults: the real `motcua up` binary, on nats-servers started by the
//! test kit, under a steady load of dossier walks sent over the NATS door, while
//!
//! - the motcua process is killed with SIGKILL and started again, k times, and the nats-server
//!   is killed with SIGKILL and restarted, k times (single node, `sync_interval: always`);
//! - on a 3-node cluster with R3 streams (`up --replicas 3`), the leader of the province's
//!   dossier stream is killed, k times, and rejoins.
//!
//! Each command is sent until it gets an answer (a request that times out is sent again with the
//! same command id, as an office's integration must). Afterwards:
//!
//! 1. every command that got a success answer is in the stream exactly once (by command id, at
//!    the sequence its answer named), a refused command is not in it, and nothing else is;
//! 2. `motcua verify` finds every dossier's hash chain intact;
//! 3. the live views converge (the projector reaches the stream's end) and `motcua views digest`
//!    equals the digest of `motcua rebuild` into another data directory.
//!
//! Short form (the default, in CI): k = 2, tens of seconds. `MOTCUA_HEAVY=1`: k = 20 and more
//! walkers (minutes).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use futures::StreamExt;
use motcua_log::subject::dossier_stream;
use motcua_log::{DossierKey, Envelope, EventLog, LogSettings};
use motcua_testkit::{NatsCluster, NatsServer};
use serde_json::{Value, json};
use uuid::Uuid;

const PROVINCE: &str = "79";

fn heavy() -> bool {
    std::env::var("MOTCUA_HEAVY").is_ok_and(|v| v == "1")
}

// ---------------------------------------------------------------------------------------------
// The motcua process
// ---------------------------------------------------------------------------------------------

/// A running `motcua up --nats-url …`; killed (SIGKILL) on drop if still running.
struct Motcua {
    child: Child,
    http: String,
    data: PathBuf,
    log: PathBuf,
}

impl Motcua {
    /// Starts `motcua up` on `data` against `nats_url` and waits until it says it is up.
    fn start(data: &Path, nats_url: &str, replicas: usize, log: &Path) -> Motcua {
        let stderr = File::options().create(true).append(true).open(log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["up", "--nats-url", nats_url, "--listen", "127.0.0.1:0"])
            .args(["--replicas", &replicas.to_string(), "--data-dir"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining after the start so that motcua never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut http = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("motcua up did not come up: {}", tail(log));
            };
            if let Some(rest) = line.strip_prefix("HTTP API: ") {
                http = rest
                    .split_whitespace()
                    .next()
                    .map(|u| u.trim_end_matches("/v1").to_owned());
            }
            if line.starts_with("motcua is up") {
                break;
            }
        }
        Motcua {
            child,
            http: http.expect("motcua printed its HTTP address"),
            data: data.to_owned(),
            log: log.to_owned(),
        }
    }

    /// SIGKILL, as a crash.
    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGINT, as Ctrl-C: a clean stop (the views' store is closed, so the tools may open it).
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
        panic!("motcua did not stop on SIGINT: {}", tail(&self.log));
    }

    /// Waits until the province's projector has applied everything up to `last`, as `/readyz`
    /// reports it.
    async fn wait_views_at(&self, last: u64) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen = Value::Null;
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/readyz", self.http)).send().await
                && let Ok(v) = r.json::<Value>().await
            {
                let checkpoint = v["projectors"].as_array().and_then(|ps| {
                    ps.iter()
                        .find(|p| p["province"] == PROVINCE)
                        .and_then(|p| p["checkpoint"].as_u64())
                });
                if checkpoint == Some(last) {
                    return;
                }
                seen = v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the views never reached {last}: last /readyz {seen}; {}",
            tail(&self.log)
        );
    }
}

impl Drop for Motcua {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Runs a `motcua` tool to its end; returns (success, stdout).
fn tool(args: &[&str], data: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_motcua"));
    cmd.args(args);
    if let Some(d) = data {
        cmd.arg("--data-dir").arg(d);
    }
    let out = cmd.env("RUST_LOG", "warn").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.code().is_some(),
        "motcua {args:?} was killed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), stdout)
}

// ---------------------------------------------------------------------------------------------
// The load: dossier walks over the NATS door
// ---------------------------------------------------------------------------------------------

/// What the load was told.
#[derive(Default)]
struct Ledger {
    /// Command id → the stream sequence its success answer named.
    acked: HashMap<Uuid, u64>,
    /// Command id → the refusal code.
    refused: HashMap<Uuid, String>,
    /// Requests sent again after no answer or a transient refusal.
    retries: u64,
}

fn actor(id: &str, role: &str, office: &str) -> Value {
    json!({"id": id, "role": role, "agency": office})
}

/// A dossier's whole life at a ward: received at the desk, handled by the ward's People's
/// Committee, approved, issued and returned. (actor, command body) per step.
fn walk(n: u64) -> Vec<(Value, Value)> {
    let desk = actor("tn-26740", "reception", "MC.26740");
    let lead = actor("ld-26740", "approver", "UB.26740");
    let officer = actor("cv-26740", "handling_officer", "UB.26740");
    let clerk = actor("vt-26740", "clerk", "UB.26740");
    vec![
        (
            desk.clone(),
            json!({"command": "receive", "procedure": "1.004194", "channel": "direct",
                   "applicant": {"name": format!("Nguyễn Văn {n}")},
                   "handling_agency": "UB.26740", "digitised": true}),
        ),
        (
            desk.clone(),
            json!({"command": "forward", "to": "UB.26740"}),
        ),
        (
            lead.clone(),
            json!({"command": "assign", "officer": "cv-26740"}),
        ),
        (
            officer.clone(),
            json!({"command": "appraise", "proposal": {"decision": "grant"},
                   "opinion": "Đủ điều kiện"}),
        ),
        (officer, json!({"command": "submit_for_approval"})),
        (lead, json!({"command": "approve"})),
        (
            clerk.clone(),
            json!({"command": "issue", "document_no": format!("SO {n}"), "electronic": true}),
        ),
        (clerk, json!({"command": "mark_result_ready"})),
        (desk, json!({"command": "return_result", "method": "desk"})),
    ]
}

/// How a command ended.
enum Answer {
    Ok(u64),
    Refused(String),
}

/// Sends one command until it is answered: no answer (motcua or the server down, a request in
/// flight when it died) and transient refusals (503, contention) are sent again with the same
/// command id.
async fn send(
    client: &async_nats::Client,
    subject: &str,
    body: &[u8],
    retries: &mut u64,
) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        assert!(
            Instant::now() < deadline,
            "a command got no answer for 3 minutes: writes never resumed"
        );
        let reply = tokio::time::timeout(
            Duration::from_secs(5),
            client.request(subject.to_owned(), body.to_vec().into()),
        )
        .await;
        if let Ok(Ok(msg)) = reply
            && let Ok(v) = serde_json::from_slice::<Value>(&msg.payload)
        {
            if v["ok"] == true {
                return Answer::Ok(
                    v["stream_seq"]
                        .as_u64()
                        .expect("an ok answer names its sequence"),
                );
            }
            let code = v["code"].as_str().unwrap_or_default().to_owned();
            let transient = v["status"].as_u64() == Some(503) || code == "contended";
            if !transient {
                return Answer::Refused(code);
            }
        }
        *retries += 1;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Walks dossiers, one command after the other, until `stop`; a refused step ends its dossier.
async fn walker(
    client: async_nats::Client,
    id: u64,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
) {
    let mut n = id * 1_000_000;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let key = DossierKey::generate(PROVINCE.parse().unwrap()).unwrap();
        for (actor, body) in walk(n) {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let command_id = Uuid::now_v7();
            let mut request = body;
            request["dossier"] = json!(key.to_string());
            request["command_id"] = json!(command_id);
            request["actor"] = actor.clone();
            let office = actor["agency"].as_str().unwrap().replace('.', "_");
            let subject = format!("motcua.cmd.{PROVINCE}.{office}");
            let mut retries = 0;
            let answer = send(
                &client,
                &subject,
                &serde_json::to_vec(&request).unwrap(),
                &mut retries,
            )
            .await;
            let mut l = ledger.lock().unwrap();
            l.retries += retries;
            match answer {
                Answer::Ok(seq) => {
                    l.acked.insert(command_id, seq);
                }
                Answer::Refused(code) => {
                    l.refused.insert(command_id, code);
                    break;
                }
            }
        }
    }
}

struct Load {
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    walkers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    async fn start(nats_urls: &str, walkers: u64) -> Load {
        let servers: Vec<async_nats::ServerAddr> =
            nats_urls.split(',').map(|u| u.parse().unwrap()).collect();
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(servers)
            .await
            .unwrap();
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let walkers = (1..=walkers)
            .map(|i| tokio::spawn(walker(client.clone(), i, ledger.clone(), stop.clone())))
            .collect();
        Load {
            ledger,
            stop,
            walkers,
        }
    }

    fn acked(&self) -> usize {
        self.ledger.lock().unwrap().acked.len()
    }

    /// Waits until `n` more commands have been acknowledged: writes go on.
    async fn progress(&self, n: usize, what: &str) {
        let from = self.acked();
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.acked() < from + n {
            assert!(
                Instant::now() < deadline,
                "writes did not resume {what}: {} acknowledged since",
                self.acked() - from
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn finish(self) -> Ledger {
        self.stop.store(true, Ordering::Relaxed);
        for w in self.walkers {
            w.await.unwrap();
        }
        Arc::try_unwrap(self.ledger)
            .ok()
            .expect("the walkers are done")
            .into_inner()
            .unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/// Reads the whole stream: command id → the sequences holding it.
async fn stream_commands(log: &EventLog, last: u64) -> BTreeMap<Uuid, Vec<u64>> {
    let province = PROVINCE.parse().unwrap();
    let mut messages = log
        .replay(&province, vec![], 1)
        .await
        .unwrap()
        .messages()
        .await
        .unwrap();
    let mut out: BTreeMap<Uuid, Vec<u64>> = BTreeMap::new();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .expect("the replay goes on")
            .expect("the replay does not end early")
            .unwrap();
        let seq = m.info().unwrap().stream_sequence;
        let env = Envelope::decode(&m.payload).expect("every message is a valid envelope");
        out.entry(env.commandid).or_default().push(seq);
        if seq >= last {
            return out;
        }
    }
}

/// The three checks of the module doc, on a stopped motcua.
async fn check(nats_url: &str, motcua: &mut Motcua, ledger: &Ledger, scratch: &Path) {
    // The default settings (one replica), as the tools use: reading must not care.
    let log = EventLog::connect(nats_url, LogSettings::default())
        .await
        .unwrap();
    let province = PROVINCE.parse().unwrap();
    let last = log.last_sequence(&province).await.unwrap();
    assert!(last > 0);

    // 1. Exactly once.
    let in_stream = stream_commands(&log, last).await;
    for (id, seq) in &ledger.acked {
        assert_eq!(
            in_stream.get(id),
            Some(&vec![*seq]),
            "acknowledged command {id} must be in the stream once, at {seq}"
        );
    }
    for (id, code) in &ledger.refused {
        assert!(
            !in_stream.contains_key(id),
            "refused command {id} ({code}) is in the stream"
        );
    }
    let strangers: Vec<&Uuid> = in_stream
        .keys()
        .filter(|id| !ledger.acked.contains_key(id))
        .collect();
    assert!(
        strangers.is_empty(),
        "commands nobody acknowledged: {strangers:?}"
    );
    assert_eq!(in_stream.len() as u64, last, "one message per command");

    // 2. The hash chains.
    let (ok, out) = tool(
        &["verify", "--province", PROVINCE, "--nats-url", nats_url],
        None,
    );
    assert!(ok, "motcua verify: {out}");
    assert!(out.contains(", 0 broken"), "{out}");

    // 3. The views converge, and equal a clean rebuild.
    motcua.wait_views_at(last).await;
    motcua.stop();
    let (ok, out) = tool(
        &["views", "digest", "--province", PROVINCE],
        Some(&motcua.data),
    );
    assert!(ok, "motcua views digest: {out}");
    let (live, checkpoint) = out
        .trim()
        .split_once("  checkpoint ")
        .unwrap_or_else(|| panic!("unexpected digest line {out:?}"));
    assert_eq!(checkpoint.trim(), last.to_string());
    let (ok, out) = tool(
        &["rebuild", "--province", PROVINCE, "--nats-url", nats_url],
        Some(&scratch.join("rebuilt")),
    );
    assert!(ok, "motcua rebuild: {out}");
    let rebuilt = out
        .trim()
        .rsplit_once("digest ")
        .map(|(_, d)| d.trim())
        .unwrap_or_else(|| panic!("unexpected rebuild line {out:?}"));
    assert_eq!(live, rebuilt, "live views vs a clean rebuild");
    eprintln!(
        "faults: {} commands acknowledged, {} refused, {} resent, {last} messages",
        ledger.acked.len(),
        ledger.refused.len(),
        ledger.retries
    );
    assert!(
        ledger.refused.is_empty(),
        "every step of the walk is valid, so nothing should be refused: {:?}",
        ledger.refused.values().collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn motcua_and_nats_server_killed_under_load_lose_nothing_acknowledged() {
    let (k, walkers, between) = if heavy() { (20, 12, 100) } else { (2, 6, 40) };
    let scratch = tempfile::tempdir().unwrap();
    let mut server = NatsServer::start_single().await.unwrap();
    let url = server.client_url();
    let data = scratch.path().join("data");
    let log_file = scratch.path().join("motcua.log");
    let mut motcua = Motcua::start(&data, &url, 1, &log_file);
    let load = Load::start(&url, walkers).await;
    load.progress(between, "at the start").await;
    for round in 0..k {
        // (a) the motcua process dies mid-command and comes back.
        motcua.kill9();
        drop(motcua);
        motcua = Motcua::start(&data, &url, 1, &log_file);
        load.progress(between, &format!("after motcua kill {round}"))
            .await;
        // (b) the nats-server dies under the same load and comes back on its store.
        server.kill().unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.restart().await.unwrap();
        load.progress(between, &format!("after nats-server kill {round}"))
            .await;
    }
    let ledger = load.finish().await;
    check(&url, &mut motcua, &ledger, scratch.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3_node_cluster_loses_its_stream_leader_under_load_and_loses_nothing() {
    let (k, walkers, between) = if heavy() { (20, 12, 100) } else { (2, 6, 40) };
    let scratch = tempfile::tempdir().unwrap();
    let mut cluster = NatsCluster::start(3).await.unwrap();
    let urls = cluster.url_list();
    let data = scratch.path().join("data");
    let log_file = scratch.path().join("motcua.log");
    let mut motcua = Motcua::start(&data, &urls, 3, &log_file);
    let load = Load::start(&urls, walkers).await;
    load.progress(between, "at the start").await;
    let stream = dossier_stream(&PROVINCE.parse().unwrap());
    for round in 0..k {
        let leader = cluster
            .wait_for_stream_leader(&stream, Duration::from_secs(60))
            .await
            .unwrap();
        cluster.kill_node(leader).unwrap();
        load.progress(between, &format!("after leader kill {round}"))
            .await;
        cluster.restart_node(leader).await.unwrap();
        cluster
            .wait_for_stream_current(&stream, Duration::from_secs(60))
            .await
            .unwrap();
        load.progress(between, &format!("after the old leader rejoined {round}"))
            .await;
    }
    let ledger = load.finish().await;
    check(&urls, &mut motcua, &ledger, scratch.path()).await;
}
