//! The server under test: a real `motcua up` child process (command service, projectors, HTTP
//! API) on the benchmark's nats-server, with an accounts file of tokens made here.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use motcua_sim::Officer;
use reqwest::header::HeaderValue;

use crate::ingest::workload::PORTAL_ACCOUNT;
use crate::{BenchError, Ctx};

/// How long `motcua up` may take to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a SIGINT may take to stop it before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// The accounts of the run: the `Authorization` value of every account, by account id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accounts {
    bearer: HashMap<String, HeaderValue>,
}

impl Accounts {
    /// An account for every officer of the simulated province and the portal account, written
    /// as an accounts file (SHA-256 of each token only) at `path`.
    pub fn write(officers: &[Officer], path: &Path) -> Result<Accounts, BenchError> {
        let mut accounts = Accounts::default();
        let mut file = String::new();
        let mut token = |id: &str| -> Result<String, BenchError> {
            let new = motcua_api::new_token()
                .map_err(|e| BenchError::Failed(format!("making a token: {e}")))?;
            let bearer = HeaderValue::from_str(&format!("Bearer {}", new.token.expose_secret()))
                .map_err(|e| BenchError::Failed(format!("a token as a header: {e}")))?;
            accounts.bearer.insert(id.to_owned(), bearer);
            Ok(new.sha256)
        };
        for o in officers {
            let hash = token(&o.id)?;
            let _ = writeln!(
                file,
                "[[officers]]\nid = \"{id}\"\nname = \"{id}\"\noffice = \"{office}\"\n\
                 roles = [\"{role}\"]\ntoken_sha256 = \"{hash}\"\n",
                id = o.id,
                office = o.agency,
                role = o.role.as_str(),
            );
        }
        let hash = token(PORTAL_ACCOUNT)?;
        let _ = writeln!(
            file,
            "[[applicants]]\nid = \"{PORTAL_ACCOUNT}\"\ntoken_sha256 = \"{hash}\"\n"
        );
        std::fs::write(path, file).map_err(BenchError::io("writing the accounts file"))?;
        Ok(accounts)
    }

    /// The `Authorization` header of an account.
    pub fn bearer(&self, id: &str) -> Option<&HeaderValue> {
        self.bearer.get(id)
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.bearer.len()
    }
}

/// A running `motcua up`; killed when dropped (stop it with [`Up::stop`] to let it finish).
#[derive(Debug)]
pub(crate) struct Up {
    child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: PathBuf,
}

impl Up {
    /// Starts `motcua up` on `nats_url` with its data under `dir`, and waits until `/readyz`
    /// answers 200.
    pub async fn start(
        ctx: &Ctx,
        dir: &Path,
        nats_url: &str,
        actors: &Path,
    ) -> Result<Up, BenchError> {
        let port = free_port()?;
        let log = dir.join("motcua-up.log");
        let out = std::fs::File::create(&log).map_err(BenchError::io("creating the up log"))?;
        let err = out
            .try_clone()
            .map_err(BenchError::io("creating the up log"))?;
        let child = tokio::process::Command::new(ctx.motcua_exe()?)
            .arg("up")
            .arg("--nats-url")
            .arg(nats_url)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--actors")
            .arg(actors)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .map_err(BenchError::io("starting motcua up"))?;
        let mut up = Up {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        tracing::info!(pid = up.child.id(), base = %up.base, "motcua up started");
        up.wait_ready().await?;
        Ok(up)
    }

    async fn wait_ready(&mut self) -> Result<(), BenchError> {
        let client = reqwest::Client::new();
        let url = format!("{}/readyz", self.base);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::Failed(format!(
                    "motcua up exited ({status}) before it was ready: {}",
                    self.log_tail()
                )));
            }
            let ready = client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(BenchError::Failed(format!(
                    "motcua up was not ready within {READY_TIMEOUT:?}: {}",
                    self.log_tail()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until its projectors have applied everything in the stream (`/readyz` shows every
    /// projector's lag), so that a measurement does not share the CPU with the backlog of the one
    /// before it. Gives up quietly after `limit`: the measurement then says what it met.
    pub async fn wait_idle(&self, limit: Duration) {
        #[derive(serde::Deserialize)]
        struct Ready {
            #[serde(default)]
            projectors: Vec<Projector>,
        }
        #[derive(serde::Deserialize)]
        struct Projector {
            lag: u64,
        }
        let client = reqwest::Client::new();
        let url = format!("{}/readyz", self.base);
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let ready = match client.get(&url).send().await {
                Ok(r) => r.json::<Ready>().await.ok(),
                Err(_) => None,
            };
            if ready.is_some_and(|r| r.projectors.iter().all(|p| p.lag == 0)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tracing::warn!("motcua up's projectors still lag; measuring anyway");
    }

    /// The last lines of its output, for an error message.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// Stops it as Ctrl-C does (SIGINT to its pid), killing it if it does not stop in time.
    pub async fn stop(mut self) -> Result<(), BenchError> {
        if let Some(pid) = self.child.id() {
            let sent = tokio::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status()
                .await
                .is_ok_and(|s| s.success());
            if sent && let Ok(waited) = tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await
            {
                waited.map_err(BenchError::io("waiting for motcua up"))?;
                return Ok(());
            }
            tracing::warn!(pid, "motcua up did not stop on SIGINT; killing it");
        }
        self.child
            .kill()
            .await
            .map_err(BenchError::io("killing motcua up"))
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> Result<u16, BenchError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(BenchError::io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(BenchError::io("finding a free port"))?
        .port())
}
