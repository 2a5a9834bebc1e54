//! `spawn_app()`: a real nats-server from the test kit, the command service on it, the API on
//! 127.0.0.1:0, and a token for every kind of account.

use std::sync::Arc;
use std::time::Duration;

use motcua_api::{Account, AccountKind, ActorDirectory, ApiSettings, AppState, new_token};
use motcua_command::CommandService;
use motcua_domain::Reference;
use motcua_domain::dossier::Role;
use motcua_log::{EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{Projector, ProjectorConfig, Shard};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The one-stop desk of Phường Sài Gòn (HCMC).
pub const DESK: &str = "MC.26740";
/// The ward's People's Committee, which handles temporary residence.
pub const OFFICE: &str = "UB.26740";
/// Another ward's desk in the same province (Phường Tân Định).
pub const OTHER_DESK: &str = "MC.26737";
/// A desk in Hà Nội.
pub const HANOI_DESK: &str = "MC.00004";
/// Temporary residence registration.
pub const PROCEDURE: &str = "1.004194";

/// A bearer token per account.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// tn01: reception at the desk.
    pub desk: String,
    /// cv01: handling officer and clerk of the office.
    pub officer: String,
    /// ld01: approver (head) of the office.
    pub head: String,
    /// bc01: reporter.
    pub reporter: String,
    /// nk01: importer.
    pub importer: String,
    /// qt01: admin.
    pub admin: String,
    /// tn02: reception at another ward's desk.
    pub other_desk: String,
    /// hn01: reception in Hà Nội.
    pub hanoi: String,
    /// portal-1: an applicant's portal account.
    pub applicant: String,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub tokens: Tokens,
    pub service: CommandService,
    pub log: EventLog,
    /// The projectors whose views the queries read (none unless spawned with views).
    pub projectors: Vec<Projector>,
    /// The map of views the API reads (shared: inserting a province makes it queryable).
    pub views: Option<motcua_api::ViewsByProvince>,
    /// Where the projectors keep their views.
    pub views_dir: std::path::PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
    _views_dir: tempfile::TempDir,
    _server: NatsServer,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ApiSettings {
        sse_keep_alive: Duration::from_millis(300),
        ..ApiSettings::default()
    })
    .await
}

pub async fn spawn_app_with(settings: ApiSettings) -> TestApp {
    spawn(settings, &[]).await
}

/// The app with read models of these provinces, each kept by a projector over its own temp sled
/// directory; [`TestApp::fresh`] brings them up to the streams' ends.
pub async fn spawn_app_with_views(provinces: &[&str]) -> TestApp {
    spawn(
        ApiSettings {
            sse_keep_alive: Duration::from_millis(300),
            ..ApiSettings::default()
        },
        provinces,
    )
    .await
}

async fn spawn(settings: ApiSettings, provinces: &[&str]) -> TestApp {
    let server = NatsServer::start_single()
        .await
        .expect("nats-server starts");
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .expect("connects");
    let service = CommandService::new(log.clone(), Arc::new(Reference::official()));

    let mut accounts = Vec::new();
    let mut token = |id: &str, kind: AccountKind| {
        let t = new_token().expect("random source");
        accounts.push((
            Account {
                id: id.to_owned(),
                name: format!("Cán bộ {id}"),
                kind,
            },
            t.sha256,
        ));
        t.token.expose_secret().to_owned()
    };
    let officer = |office: &str, roles: &[Role]| AccountKind::Officer {
        office: office.parse().expect("office id"),
        roles: roles.to_vec(),
    };
    let tokens = Tokens {
        desk: token("tn01", officer(DESK, &[Role::Reception])),
        officer: token(
            "cv01",
            officer(OFFICE, &[Role::HandlingOfficer, Role::Clerk]),
        ),
        head: token("ld01", officer(OFFICE, &[Role::Approver])),
        reporter: token("bc01", officer(OFFICE, &[Role::Reporter])),
        importer: token("nk01", officer(OFFICE, &[Role::Importer])),
        admin: token("qt01", officer(OFFICE, &[Role::Admin])),
        other_desk: token("tn02", officer(OTHER_DESK, &[Role::Reception])),
        hanoi: token("hn01", officer(HANOI_DESK, &[Role::Reception])),
        applicant: token("portal-1", AccountKind::Applicant),
    };
    let actors = ActorDirectory::from_accounts(accounts).expect("accounts");
    actors
        .check_offices(service.reference())
        .expect("offices exist");

    let views_dir = tempfile::tempdir().expect("temp dir");
    let mut projectors = Vec::new();
    for p in provinces {
        let shard = Shard::province(p.parse().expect("province"));
        let path = views_dir.path().join(format!("views-{p}"));
        let projector = Projector::start(
            log.clone(),
            Arc::new(Reference::official()),
            ProjectorConfig::new(shard, path),
        )
        .await
        .expect("projector starts");
        projectors.push(projector);
    }
    let mut state = AppState::new(service.clone(), actors).with_settings(settings);
    let views = (!provinces.is_empty())
        .then(|| motcua_api::views_by_province(projectors.iter().map(|p| p.views().clone())));
    if let Some(v) = &views {
        state = state.with_views(v.clone());
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(motcua_api::serve(listener, state, async move {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client"),
        tokens,
        service,
        log,
        projectors,
        views,
        views_dir: views_dir.path().to_owned(),
        shutdown: Some(tx),
        handle: Some(handle),
        _views_dir: views_dir,
        _server: server,
    }
}

/// An answer: status, content type and JSON body (`Null` when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs JSON with a token (and an Idempotency-Key when given).
    pub async fn post(&self, path: &str, token: &str, body: &Value, key: Option<&str>) -> Answer {
        let mut request = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body);
        if let Some(k) = key {
            request = request.header("Idempotency-Key", k);
        }
        answer(request.send().await.expect("request sent")).await
    }

    /// Receives a new direct dossier at the desk; returns its key.
    pub async fn receive(&self) -> String {
        let a = self
            .post(
                "/v1/dossiers",
                &self.tokens.desk,
                &receive_body("Nguyễn Văn An"),
                None,
            )
            .await;
        assert_eq!(a.status, 201, "{:?}", a.json);
        a.json["key"].as_str().expect("key").to_owned()
    }

    /// POSTs a command on a dossier and expects 200.
    pub async fn ok(&self, key: &str, command: &str, token: &str, body: Value) -> Value {
        let a = self
            .post(&format!("/v1/dossiers/{key}/{command}"), token, &body, None)
            .await;
        assert_eq!(a.status, 200, "{command}: {:?}", a.json);
        a.json
    }

    /// The last sequence of Hồ Chí Minh City's stream.
    pub async fn last_seq(&self) -> u64 {
        self.log
            .last_sequence(&"79".parse().expect("province"))
            .await
            .expect("stream info")
    }

    /// GETs a path with a token (`None`: no Authorization header).
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.client.get(self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        answer(request.send().await.expect("request sent")).await
    }

    /// Brings every projector up to its stream's last sequence.
    pub async fn fresh(&self) {
        for p in &self.projectors {
            let province = &p.views().shard().province;
            let last = self.log.last_sequence(province).await.expect("stream info");
            tokio::time::timeout(Duration::from_secs(20), p.run_until(last))
                .await
                .expect("the views catch up within 20 s")
                .expect("the projector runs");
        }
    }

    /// Stops the server and waits for `serve` to return.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.handle.take() {
            Some(h) => tokio::time::timeout(Duration::from_secs(10), h)
                .await
                .expect("serve returns after shutdown")
                .expect("serve task"),
            None => Ok(()),
        }
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        headers,
        json,
    }
}

/// A `receive` body for a new direct dossier handled by the ward's committee.
pub fn receive_body(applicant: &str) -> Value {
    json!({
        "command": "receive",
        "procedure": PROCEDURE,
        "channel": "direct",
        "applicant": {"name": applicant, "phone": "0901234567"},
        "handling_agency": OFFICE,
        "digitised": true
    })
}
