//! End-to-end: the real `motcua up` binary with its own nats-server, driven only through its
//! public interfaces (HTTP with bearer tokens, `motcua import`), checked through the views.
//!
//! 1. Live, 2-level: a ward desk in Hồ Chí Minh City receives a land registration and forwards it
//!    to the ward's People's Committee, which appraises and sends it up to the city; the city
//!    appraises, approves, issues and sends the result back; the desk returns it. Each step is
//!    visible in the right office's queue, the control slip has every handover, and the report
//!    counts it at the handling office's unit and its province.
//! 2. Imported, 3-level: the same kind of dossier in May 2025, received at the commune desk of
//!    Phường Tân Định and handled by the district (Quận 1) along the commune → district liaison
//!    route, loaded with `motcua import`; the district's report counts it, the commune's does not.
//!
//! The table of bad inputs (status and stable code for each, stream unchanged) lives with the
//! API's black-box tests (`crates/motcua-api/tests/api/`).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Up {
    child: Child,
    http: String,
    nats: String,
    _dir: tempfile::TempDir,
}

impl Drop for Up {
    fn drop(&mut self) {
        // SIGINT, as Ctrl-C: motcua stops its projectors, the API and its nats-server.
        let _ = motcua_testkit::interrupt(&mut self.child, Duration::from_secs(20));
    }
}

struct Account {
    id: &'static str,
    office: &'static str,
    roles: &'static [&'static str],
}

const ACCOUNTS: [Account; 7] = [
    Account {
        id: "tn-26740",
        office: "MC.26740",
        roles: &["reception"],
    },
    Account {
        id: "cv-26740",
        office: "UB.26740",
        roles: &["handling_officer", "approver"],
    },
    Account {
        id: "cv-79",
        office: "UB.79",
        roles: &["handling_officer", "clerk"],
    },
    Account {
        id: "ld-79",
        office: "UB.79",
        roles: &["approver"],
    },
    Account {
        id: "bc-79",
        office: "UB.79",
        roles: &["reporter"],
    },
    Account {
        id: "tn-26734",
        office: "MC.26734",
        roles: &["reception"],
    },
    Account {
        id: "bc-760",
        office: "UB.760",
        roles: &["reporter"],
    },
];

/// Starts `motcua up` with accounts whose tokens the test keeps.
fn up() -> (Up, std::collections::HashMap<&'static str, String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut tokens = std::collections::HashMap::new();
    let mut toml = String::new();
    for a in &ACCOUNTS {
        let t = motcua_api::new_token().unwrap();
        tokens.insert(a.id, t.token.expose_secret().to_owned());
        let roles: Vec<String> = a.roles.iter().map(|r| format!("\"{r}\"")).collect();
        toml.push_str(&format!(
            "[[officers]]\nid = \"{}\"\nname = \"{}\"\noffice = \"{}\"\nroles = [{}]\ntoken_sha256 = \"{}\"\n\n",
            a.id,
            a.id,
            a.office,
            roles.join(", "),
            t.sha256
        ));
    }
    let actors = dir.path().join("actors.toml");
    std::fs::write(&actors, toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args([
            "up",
            "--nats-port",
            "0",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .arg("--actors")
        .arg(&actors)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut http, mut nats) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.is_none() || nats.is_none() {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("motcua up printed its addresses (is MOTCUA_NATS_SERVER set? run tools/test)");
        if let Some(rest) = line.strip_prefix("nats-server started at ") {
            nats = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(rest) = line.strip_prefix("HTTP API: ") {
            http = rest
                .split_whitespace()
                .next()
                .map(|u| u.trim_end_matches("/v1").to_owned());
        }
    }
    // Keep draining stdout so that motcua never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    let up = Up {
        child,
        http: http.unwrap(),
        nats: nats.unwrap(),
        _dir: dir,
    };
    (up, tokens)
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {v}");
        v
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Waits until a query's answer satisfies `ok` (the views follow the stream within moments).
    async fn eventually(&self, token: &str, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, v) = self.get(token, path).await;
            if status == 200 && ok(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "GET {path} never matched; last: {status} {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn in_list(list: &Value, key: &str) -> bool {
    list["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["dossier"]["key"] == key))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_land_dossier_goes_from_the_ward_to_the_city_and_back() {
    let (up, t) = up();
    let c = Client {
        http: reqwest::Client::new(),
        base: up.http.clone(),
    };
    let created = c
        .post(
            &t["tn-26740"],
            "/v1/dossiers",
            json!({
                "command": "receive", "procedure": "1.013978", "channel": "direct",
                "applicant": {"name": "Nguyễn Văn An"}, "handling_agency": "UB.26740",
                "digitised": true
            }),
        )
        .await;
    let key = created["key"].as_str().unwrap().to_owned();
    let code = created["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("MC.26740-"), "{code}");
    let on = |cmd: &str| format!("/v1/dossiers/{key}/{cmd}");

    // At the desk until forwarded.
    c.eventually(&t["bc-79"], "/v1/agencies/MC.26740/queue", |v| {
        in_list(v, &key)
    })
    .await;
    c.post(&t["tn-26740"], &on("forward"), json!({"to": "UB.26740"}))
        .await;
    c.eventually(&t["bc-79"], "/v1/agencies/UB.26740/queue", |v| {
        in_list(v, &key)
    })
    .await;

    // The ward's committee appraises and sends it up to the city.
    c.post(
        &t["cv-26740"],
        &on("assign"),
        json!({"officer": "cv-26740"}),
    )
    .await;
    c.post(
        &t["cv-26740"],
        &on("appraise"),
        json!({"proposal": {"decision": "grant"}, "opinion": "Xác nhận hiện trạng sử dụng đất"}),
    )
    .await;
    c.post(
        &t["cv-26740"],
        &on("forward"),
        json!({"to": "UB.79", "note": "Liên thông lên thành phố"}),
    )
    .await;
    c.eventually(&t["bc-79"], "/v1/agencies/UB.79/queue", |v| {
        in_list(v, &key)
    })
    .await;
    let ward = c.get(&t["bc-79"], "/v1/agencies/UB.26740/queue").await.1;
    assert!(!in_list(&ward, &key), "no longer at the ward");

    // The city decides and sends the result back to the desk.
    c.post(&t["ld-79"], &on("assign"), json!({"officer": "cv-79"}))
        .await;
    c.post(
        &t["cv-79"],
        &on("appraise"),
        json!({"proposal": {"decision": "grant"}, "opinion": "Đủ điều kiện cấp giấy chứng nhận"}),
    )
    .await;
    c.post(&t["cv-79"], &on("submit_for_approval"), json!({}))
        .await;
    c.post(&t["ld-79"], &on("approve"), json!({})).await;
    c.post(
        &t["cv-79"],
        &on("issue"),
        json!({"document_no": "CS 123456", "electronic": true}),
    )
    .await;
    let ready = c
        .post(&t["cv-79"], &on("mark_result_ready"), json!({}))
        .await;
    assert_eq!(ready["status_code"], 9);
    c.eventually(&t["bc-79"], "/v1/agencies/MC.26740/queue", |v| {
        in_list(v, &key)
    })
    .await;
    let back = c
        .post(
            &t["tn-26740"],
            &on("return_result"),
            json!({"method": "desk"}),
        )
        .await;
    assert_eq!(back["status_code"], 10);

    // The whole story, as the city's reporter sees it (personal data withheld).
    let detail = c
        .eventually(&t["bc-79"], &format!("/v1/dossiers/{key}"), |v| {
            v["dossier"]["status_code"] == 10
        })
        .await;
    assert_eq!(detail["personal_data_withheld"], true);
    assert_eq!(detail["dossier"]["code"], code.as_str());
    let slip: Vec<(String, String)> = detail["control_slip"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().to_owned(),
                r["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        slip,
        vec![
            pair("MC.26740", "UB.26740"),
            pair("UB.26740", "UB.79"),
            pair("UB.79", "MC.26740")
        ]
    );
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 12);
    let by_code = c
        .get(&t["bc-79"], &format!("/v1/dossiers?code={code}"))
        .await
        .1;
    assert_eq!(by_code["dossier"]["key"], key.as_str());

    // Counted once, at the handling office's unit (the ward) and its province.
    let today = motcua_domain::calendar::WorkCalendar::new(Default::default())
        .local_date(jiff::Timestamp::now());
    for unit in ["26740", "79"] {
        let report = c
            .eventually(
                &t["bc-79"],
                &format!("/v1/units/{unit}/reports/bieu06?from={today}&to={today}"),
                |v| v["total"]["resolved_total"] == 1,
            )
            .await;
        assert_eq!(report["total"]["received_total"], 1, "{unit}: {report}");
        assert_eq!(report["total"]["received_direct_postal"], 1);
        assert_eq!(report["total"]["pending_total"], 0);
    }
    let other = c
        .get(
            &t["bc-79"],
            &format!("/v1/units/26734/reports/bieu06?from={today}&to={today}"),
        )
        .await
        .1;
    assert_eq!(other["total"]["received_total"], 0, "{other}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_3_level_land_dossier_imported_from_the_commune_to_the_district() {
    let (up, t) = up();
    let c = Client {
        http: reqwest::Client::new(),
        base: up.http.clone(),
    };
    let key = format!("79-{}", uuid::Uuid::now_v7());
    let officer =
        |id: &str, role: &str, agency: &str| json!({"id": id, "role": role, "agency": agency});
    let steps = vec![
        (
            "2025-05-05T08:10:00+07:00",
            officer("tn-26734", "reception", "MC.26734"),
            json!({"command": "receive", "procedure": "1.013978", "channel": "direct",
                   "applicant": {"name": "Trần Thị Bình"}, "handling_agency": "UB.760"}),
        ),
        (
            "2025-05-05T09:00:00+07:00",
            officer("tn-26734", "reception", "MC.26734"),
            json!({"command": "forward", "to": "UB.26734"}),
        ),
        (
            "2025-05-06T08:00:00+07:00",
            officer("cv-26734", "handling_officer", "UB.26734"),
            json!({"command": "assign", "officer": "cv-26734"}),
        ),
        (
            "2025-05-08T10:00:00+07:00",
            officer("cv-26734", "handling_officer", "UB.26734"),
            json!({"command": "appraise", "proposal": {"decision": "grant"}, "opinion": "Xác nhận nguồn gốc đất"}),
        ),
        (
            "2025-05-09T10:00:00+07:00",
            officer("cv-26734", "handling_officer", "UB.26734"),
            json!({"command": "forward", "to": "UB.760"}),
        ),
        (
            "2025-05-12T08:00:00+07:00",
            officer("ld-760", "approver", "UB.760"),
            json!({"command": "assign", "officer": "cv-760"}),
        ),
        (
            "2025-05-20T10:00:00+07:00",
            officer("cv-760", "handling_officer", "UB.760"),
            json!({"command": "appraise", "proposal": {"decision": "grant"}, "opinion": "Đủ điều kiện"}),
        ),
        (
            "2025-05-20T11:00:00+07:00",
            officer("cv-760", "handling_officer", "UB.760"),
            json!({"command": "submit_for_approval"}),
        ),
        (
            "2025-05-21T09:00:00+07:00",
            officer("ld-760", "approver", "UB.760"),
            json!({"command": "approve"}),
        ),
        (
            "2025-05-21T10:00:00+07:00",
            officer("vt-760", "clerk", "UB.760"),
            json!({"command": "issue", "document_no": "CS 654321"}),
        ),
        (
            "2025-05-21T11:00:00+07:00",
            officer("vt-760", "clerk", "UB.760"),
            json!({"command": "mark_result_ready"}),
        ),
        (
            "2025-05-22T09:00:00+07:00",
            officer("tn-26734", "reception", "MC.26734"),
            json!({"command": "return_result", "method": "desk"}),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.ndjson");
    let mut f = std::fs::File::create(&file).unwrap();
    for (at, actor, mut body) in steps {
        let obj = body.as_object_mut().unwrap();
        obj.insert("at".into(), json!(at));
        obj.insert("dossier".into(), json!(key));
        obj.insert("command_id".into(), json!(uuid::Uuid::now_v7()));
        obj.insert("actor".into(), actor);
        writeln!(f, "{body}").unwrap();
    }
    drop(f);
    let import = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["import", "--nats-url", &up.nats])
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&import.stdout);
    assert!(
        import.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(said.contains("imported 1 dossiers (12 lines)"), "{said}");

    let detail = c
        .eventually(&t["bc-760"], &format!("/v1/dossiers/{key}"), |v| {
            v["dossier"]["status_code"] == 10
        })
        .await;
    assert_eq!(detail["dossier"]["handling_level"], "district");
    let slip = detail["control_slip"].as_array().unwrap();
    assert_eq!(slip.len(), 3, "{slip:?}");
    assert_eq!(slip[1]["from"], "UB.26734");
    assert_eq!(slip[1]["to"], "UB.760");

    // Counted at the district (and its city), not at the commune that took part.
    let report = c
        .eventually(
            &t["bc-760"],
            "/v1/units/760/reports/bieu06?from=2025-05-01&to=2025-05-31",
            |v| v["total"]["resolved_total"] == 1,
        )
        .await;
    assert_eq!(report["total"]["received_total"], 1);
    let commune = c
        .get(
            &t["bc-760"],
            "/v1/units/26734/reports/bieu06?from=2025-05-01&to=2025-05-31",
        )
        .await
        .1;
    assert_eq!(commune["total"]["received_total"], 0, "{commune}");
}
