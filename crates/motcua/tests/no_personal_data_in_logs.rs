//! Personal data never reaches the logs (docs/security.md, "What is logged and measured").
//!
//! Runs the real binary as `motcua up --demo` with `MOTCUA_LOG=debug`, lets it import the demo
//! province (thousands of simulated dossiers with names, citizen ID numbers, phones, addresses
//! and e-mails) and start its live trickle, walks one dossier of a distinctive applicant through
//! its whole life over HTTP (with personal data in free-text fields too, a refused command and a
//! malformed request), reads every applicant back from the province's stream, stops the binary
//! with SIGINT and searches everything it printed (stdout and stderr) for:
//!
//! - the distinctive applicant's name, ID number, phone, address and e-mail;
//! - every applicant name, ID number, phone, address and e-mail found in the stream;
//! - anything shaped like a Vietnamese citizen ID (`0` and 11 more digits) or mobile number
//!   (`0` and 9 more digits) standing on its own (not inside a UUID, a hash or a longer number).
//!
//! Needs the pinned nats-server (`tools/test` sets `MOTCUA_NATS_SERVER`; or run
//! `tools/install-nats-server`). Takes about 20 s.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const NAME: &str = "Tôn Nữ Khuê Thử Nghiệm";
const ID_NUMBER: &str = "079305246813";
const PHONE: &str = "0938271645";
const ADDRESS: &str = "Số 97/3 Hẻm Bí Mật, Phường Sài Gòn, Thành phố Hồ Chí Minh";
const EMAIL: &str = "khue.thunghiem@example.vn";

/// How long `motcua up --demo` may take to import the demo province and say it is up.
const UP_TIMEOUT: Duration = Duration::from_secs(180);

#[test]
fn no_personal_data_in_logs() {
    let nats_server = match motcua_testkit::find_nats_server() {
        Ok(path) => path,
        Err(e) => panic!(
            "this test runs the real binary, which needs the pinned nats-server: {e}\n\
             run it through tools/test (which sets MOTCUA_NATS_SERVER), or first \
             `export MOTCUA_NATS_SERVER=$(tools/install-nats-server)`"
        ),
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut motcua = Motcua::start(dir.path(), &nats_server);
    let up = motcua.wait_until_up();

    let key = walk_distinctive_dossier(&up);
    let stream = read_applicants(&up.nats_url);
    let status = motcua.interrupt();
    assert!(
        status.success(),
        "motcua up did not stop cleanly on SIGINT ({status}):\n{}",
        tail(&motcua.stderr(), 30)
    );

    assert!(
        stream.names.contains(NAME) && stream.id_numbers.contains(ID_NUMBER),
        "the distinctive applicant of {key} is not in the stream: the test reads the wrong data"
    );
    assert!(
        stream.names.len() > 500,
        "the demo province should hold thousands of applicants, the stream had {}",
        stream.names.len()
    );

    let stdout = motcua.stdout();
    let stderr = motcua.stderr();
    // The log is the real one: debug lines, and our commands logged as they were committed.
    assert!(
        stderr.contains(" DEBUG "),
        "MOTCUA_LOG=debug gave no debug line"
    );
    assert!(
        stderr.contains(&key),
        "the commands on {key} were not logged at all"
    );
    let log = format!("{stdout}\n{stderr}");
    let leaks = find_leaks(&log, &stream);
    assert!(
        leaks.is_empty(),
        "personal data in the output of motcua up ({} findings; full log in {}):\n{}",
        leaks.len(),
        motcua.logs_kept(),
        leaks
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "no personal data in {} bytes of output; checked {} names, {} ID numbers, {} phones, {} addresses, {} e-mails",
        log.len(),
        stream.names.len(),
        stream.id_numbers.len(),
        stream.phones.len(),
        stream.addresses.len(),
        stream.emails.len()
    );
}

/// The search itself, on a made-up log: it finds personal data however it is printed, and does
/// not mistake ids, hashes, codes and times for it.
#[test]
fn the_search_finds_personal_data_and_nothing_else() {
    let mut stream = Applicants::default();
    stream.names.insert("Phan Ngọc An".to_owned());
    stream.id_numbers.insert("048305101540".to_owned());
    stream.phones.insert("0898119706".to_owned());
    stream.emails.insert("an.phan@example.vn".to_owned());
    let clean = "2026-11-23T17:34:05.161098Z DEBUG received MESSAGE: sid=3, \
                 subject=motcua.dossier.79.01a19fad-e15e-745f-977d-092527976138 \
                 prevhash=9f0123456789012ab code=MC.26740-261124-0001 seq=0123456789.5 \
                 Phan Ngọc Anh stream_seq=4092 elapsed_ms=0";
    assert_eq!(find_leaks(clean, &stream), Vec::<String>::new());
    for leak in [
        "applicant=Phan Ngọc An",
        "id=048305101540",
        r#"phone=Some("0898119706")"#,
        "mail <an.phan@example.vn>",
        &format!("{NAME} called"),
        &format!("\"address\":\"{ADDRESS}\""),
        "cccd 012345678901 ",
        "(0912345678)",
    ] {
        assert_eq!(
            find_leaks(&format!("{clean}\n{leak}\n"), &stream).len(),
            1,
            "not found: {leak}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// A running `motcua up --demo` whose output goes to files.
struct Motcua {
    child: Child,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    exited: Option<ExitStatus>,
}

/// What `motcua up --demo` printed about itself.
struct Up {
    http: String,
    nats_url: String,
    /// Demo account id → bearer token.
    tokens: Vec<(String, String)>,
}

impl Up {
    fn token(&self, account: &str) -> &str {
        self.tokens
            .iter()
            .find(|(id, _)| id == account)
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| panic!("no token printed for {account}"))
    }
}

impl Motcua {
    fn start(dir: &Path, nats_server: &Path) -> Motcua {
        let stdout_path = dir.join("stdout.log");
        let stderr_path = dir.join("stderr.log");
        let child = Command::new(env!("CARGO_BIN_EXE_motcua"))
            .arg("up")
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(["--nats-port", "0", "--listen", "127.0.0.1:0", "--demo"])
            .env("MOTCUA_LOG", "debug")
            .env("MOTCUA_NATS_SERVER", nats_server)
            // Settings of `up` that the environment could override.
            .env_remove("NATS_URL")
            .env_remove("MOTCUA_ACTORS")
            .env_remove("MOTCUA_DATA_DIR")
            .env_remove("MOTCUA_LISTEN")
            .env_remove("MOTCUA_NATS_PORT")
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_path).expect("stdout file"))
            .stderr(File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .expect("start motcua up");
        Motcua {
            child,
            stdout_path,
            stderr_path,
            exited: None,
        }
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout_path).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Waits for "motcua is up" (the demo province is imported by then) and reads the addresses
    /// and the demo tokens from standard output.
    fn wait_until_up(&mut self) -> Up {
        let started = Instant::now();
        loop {
            let out = self.stdout();
            if out.contains("motcua is up") {
                return parse_up(&out);
            }
            if let Some(status) = self.child.try_wait().expect("poll motcua") {
                self.exited = Some(status);
                panic!(
                    "motcua up exited ({status}) before it was up:\n{out}\n{}",
                    tail(&self.stderr(), 30)
                );
            }
            assert!(
                started.elapsed() < UP_TIMEOUT,
                "motcua up was not up within {UP_TIMEOUT:?}:\n{out}\n{}",
                tail(&self.stderr(), 30)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Sends SIGINT (Ctrl-C) to this process only and waits for it to stop.
    fn interrupt(&mut self) -> ExitStatus {
        if let Some(status) = self.exited {
            return status;
        }
        let stopped = motcua_testkit::interrupt(&mut self.child, Duration::from_secs(30))
            .expect("stop motcua");
        let Some(status) = stopped else {
            panic!(
                "motcua up did not stop within 30 s of SIGINT:\n{}",
                tail(&self.stderr(), 30)
            );
        };
        self.exited = Some(status);
        status
    }

    /// Copies the output somewhere that outlives the temporary directory, for a failure report.
    fn logs_kept(&self) -> String {
        let kept = std::env::temp_dir().join(format!(
            "motcua-no-personal-data-{}.log",
            std::process::id()
        ));
        let text = format!("{}\n{}", self.stdout(), self.stderr());
        match std::fs::write(&kept, text) {
            Ok(()) => kept.display().to_string(),
            Err(e) => format!("(not kept: {e})"),
        }
    }
}

impl Drop for Motcua {
    fn drop(&mut self) {
        // A failed test still stops the binary, gently first so that it stops its nats-server.
        if self.exited.is_none() {
            let _ = motcua_testkit::interrupt(&mut self.child, Duration::from_secs(15));
        }
    }
}

fn parse_up(stdout: &str) -> Up {
    let after = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{stdout}"))
            .to_owned()
    };
    let nats_url = after("nats-server started at ")
        .split_whitespace()
        .next()
        .expect("a NATS URL")
        .to_owned();
    let http = after("HTTP API: http://")
        .split('/')
        .next()
        .expect("an HTTP address")
        .to_owned();
    let tokens: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            match (words.first(), words.last()) {
                (Some(id), Some(token))
                    if id.starts_with("demo-") && token.starts_with("motcua_") =>
                {
                    Some(((*id).to_owned(), (*token).to_owned()))
                }
                _ => None,
            }
        })
        .collect();
    assert!(tokens.len() >= 4, "no demo tokens in:\n{stdout}");
    Up {
        http,
        nats_url,
        tokens,
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// `POST path` with a bearer token and a JSON body; the status and the JSON answer.
fn post(addr: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(body).expect("JSON body");
    let mut stream = TcpStream::connect(addr).expect("connect to the HTTP API");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(&body).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let answer = String::from_utf8(answer).expect("a UTF-8 answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Receives a dossier for the distinctive applicant at the demo desk and takes it through
/// forwarding, assignment, a supplement, appraisal, approval, issue and return, then feedback;
/// personal data also goes into free text, a refused command and a malformed request.
/// Returns the dossier key.
fn walk_distinctive_dossier(up: &Up) -> String {
    let desk = up.token("demo-tiepnhan");
    let officer = up.token("demo-chuyenvien");
    let head = up.token("demo-lanhdao");
    let applicant = json!({
        "name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "address": ADDRESS, "email": EMAIL
    });
    let (status, answer) = post(
        &up.http,
        "/v1/dossiers",
        desk,
        &json!({
            "command": "receive",
            "procedure": "1.004194",
            "channel": "direct",
            "applicant": applicant,
            "handling_agency": "UB.26740",
            "digitised": true
        }),
    );
    assert_eq!(status, 201, "receive: {answer}");
    let key = answer["key"].as_str().expect("a dossier key").to_owned();
    let steps: Vec<(&str, &str, Value)> = vec![
        (
            "forward",
            desk,
            json!({"to": "UB.26740", "note": format!("Hồ sơ của {NAME}, ĐT {PHONE}")}),
        ),
        ("assign", head, json!({"officer": "demo-chuyenvien"})),
        (
            "request_supplement",
            officer,
            json!({"items": [format!("Bản sao CCCD số {ID_NUMBER} của {NAME}"),
                             format!("Xác nhận nơi ở tại {ADDRESS}")]}),
        ),
        ("provide_supplement", desk, json!({})),
        (
            "appraise",
            officer,
            json!({"proposal": {"decision": "grant"},
                   "opinion": format!("Ông/bà {NAME} ({ID_NUMBER}) đủ điều kiện")}),
        ),
        ("submit_for_approval", officer, json!({})),
        ("approve", head, json!({})),
        (
            "issue",
            officer,
            json!({"document_no": "97/XN-THUNGHIEM", "electronic": true}),
        ),
        ("mark_result_ready", officer, json!({})),
        ("return_result", desk, json!({"method": "desk"})),
        (
            "record_feedback",
            desk,
            json!({"satisfaction": "satisfied",
                   "comment": format!("{NAME} gọi lại số {PHONE}, email {EMAIL}")}),
        ),
    ];
    for (command, token, body) in steps {
        let (status, answer) = post(
            &up.http,
            &format!("/v1/dossiers/{key}/{command}"),
            token,
            &body,
        );
        assert_eq!(status, 200, "{command}: {answer}");
    }
    // Refused by the rules (the dossier is closed), with personal data in the reason.
    let (status, answer) = post(
        &up.http,
        &format!("/v1/dossiers/{key}/withdraw"),
        desk,
        &json!({"reason": format!("{NAME}, CCCD {ID_NUMBER}, ĐT {PHONE} xin rút")}),
    );
    assert!(
        (400..500).contains(&status),
        "withdraw after return: {status} {answer}"
    );
    // Malformed: a field no command has, and a value of the wrong type (serde's message
    // quotes it), next to the personal data.
    let malformed = [
        json!({
            "command": "receive", "procedure": "1.004194", "channel": "direct",
            "applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE},
            "handling_agency": "UB.26740", "ghi_chu": format!("{NAME} {ADDRESS}")
        }),
        json!({
            "command": "receive", "procedure": "1.004194", "channel": "direct",
            "applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE},
            "handling_agency": "UB.26740", "digitised": format!("CCCD {ID_NUMBER}, ĐT {PHONE}")
        }),
    ];
    for body in malformed {
        let (status, answer) = post(&up.http, "/v1/dossiers", desk, &body);
        assert_eq!(status, 400, "malformed receive: {answer}");
    }
    key
}

// ---------------------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------------------

/// Every applicant's personal data found in the province's stream.
#[derive(Debug, Default)]
struct Applicants {
    names: HashSet<String>,
    id_numbers: HashSet<String>,
    phones: HashSet<String>,
    addresses: HashSet<String>,
    emails: HashSet<String>,
}

impl Applicants {
    fn collect(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "applicant" {
                        self.add(v);
                    }
                    self.collect(v);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            _ => {}
        }
    }

    fn add(&mut self, applicant: &Value) {
        let field = |name: &str| {
            applicant[name]
                .as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        self.names.extend(field("name"));
        self.id_numbers.extend(field("id_number"));
        self.phones.extend(field("phone"));
        self.addresses.extend(field("address"));
        self.emails.extend(field("email"));
    }
}

/// Reads the whole dossier stream of province 79 through an ordered consumer.
fn read_applicants(nats_url: &str) -> Applicants {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        use futures::StreamExt;
        let log = motcua_log::EventLog::connect(nats_url, motcua_log::LogSettings::default())
            .await
            .expect("connect to the embedded nats-server");
        let province: motcua_domain::units::UnitCode = "79".parse().expect("province");
        let last = log.last_sequence(&province).await.expect("stream info");
        assert!(last > 0, "the demo wrote nothing to the stream");
        let consumer = log
            .replay(&province, Vec::new(), 1)
            .await
            .expect("an ordered consumer");
        let mut messages = consumer.messages().await.expect("messages");
        let mut applicants = Applicants::default();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let next = tokio::time::timeout_at(deadline, messages.next())
                .await
                .expect("the stream read within 60 s")
                .expect("the stream goes on")
                .expect("a message");
            let value: Value =
                serde_json::from_slice(&next.payload).expect("a stored message is JSON");
            applicants.collect(&value);
            let seq = next.info().expect("JetStream metadata").stream_sequence;
            if seq >= last {
                return applicants;
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------------------------

/// Every place where `log` shows personal data, one line each, with some context.
fn find_leaks(log: &str, stream: &Applicants) -> Vec<String> {
    let mut leaks = BTreeSet::new();
    let context = |at: usize, len: usize| {
        let start = floor_char(log, at.saturating_sub(60));
        let end = floor_char(log, (at + len + 60).min(log.len()));
        log[start..end].replace('\n', " ⏎ ")
    };
    // Texts: the distinctive applicant's, then every name and address of the stream that
    // could be in the log (all of its words are), so that thousands of names cost one pass.
    let words: HashSet<&str> = log.split(|c: char| !c.is_alphanumeric()).collect();
    let mut texts: Vec<(&str, &str)> = vec![
        ("name", NAME),
        ("address", ADDRESS),
        ("e-mail", EMAIL),
        ("ID number", ID_NUMBER),
        ("phone", PHONE),
    ];
    for (what, set) in [("name", &stream.names), ("address", &stream.addresses)] {
        for text in set {
            let mut own = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty());
            if own.all(|w| words.contains(w)) {
                texts.push((what, text));
            }
        }
    }
    for (what, text) in texts {
        if let Some(at) = log.find(text) {
            leaks.insert(format!("{what} {text:?}: …{}…", context(at, text.len())));
        }
    }
    // E-mails: every word with an @ in it.
    for word in log.split(|c: char| c.is_whitespace() || "\"'<>()[]{},;=".contains(c)) {
        if let Some(email) = stream.emails.iter().find(|e| word.contains(e.as_str())) {
            leaks.insert(format!("e-mail {email:?} in {word:?}"));
        }
    }
    // Numbers: each run of digits, as a whole.
    let bytes = log.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let run = &log[start..i];
        let before = start.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i).copied();
        let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        if alnum(before) || alnum(after) {
            continue; // part of a word, a hash or a hex id
        }
        if stream.id_numbers.contains(run) || run == ID_NUMBER {
            leaks.insert(format!("ID number {run}: …{}…", context(start, run.len())));
        } else if stream.phones.contains(run) || run == PHONE {
            leaks.insert(format!("phone {run}: …{}…", context(start, run.len())));
        } else if (run.len() == 12 || run.len() == 10) && run.starts_with('0') {
            // Shaped like a citizen ID or a mobile number, unless inside a UUID, a dotted or
            // dashed code, a time or a path.
            let joined = |b: Option<u8>| b.is_some_and(|b| b"-._:/".contains(&b));
            if !joined(before) && !joined(after) {
                let kind = if run.len() == 12 {
                    "citizen ID"
                } else {
                    "phone"
                };
                leaks.insert(format!(
                    "something like a {kind} {run}: …{}…",
                    context(start, run.len())
                ));
            }
        }
    }
    leaks.into_iter().collect()
}

fn floor_char(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}
