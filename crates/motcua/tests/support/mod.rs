//! A `motcua up` child process against a test NATS server, with one reception account, for the
//! tests of the real binary (disk faults, tracing). Its output goes to files; it is stopped with
//! SIGINT (by its own pid) when dropped.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The desk of Phường Sài Gòn (province 79).
pub const DESK: &str = "MC.26740";

/// A running `motcua up`.
pub struct Up {
    child: Child,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub http: String,
    pub token: String,
    exited: Option<ExitStatus>,
}

impl Up {
    /// Starts `motcua up --nats-url <nats_url> --data-dir <data_dir>` with a reception account
    /// of [`DESK`], its logs under `logs`, and `env` added; waits until it is up.
    pub fn start(nats_url: &str, data_dir: &Path, logs: &Path, env: &[(&str, &str)]) -> Up {
        let token = motcua_api::new_token().expect("a token");
        let actors = logs.join("actors.toml");
        std::fs::write(
            &actors,
            format!(
                "[[officers]]\nid = \"tn01\"\nname = \"Tiếp nhận\"\noffice = \"{DESK}\"\n\
                 roles = [\"reception\"]\ntoken_sha256 = \"{}\"\n",
                token.sha256
            ),
        )
        .expect("write the accounts file");
        let stdout = logs.join("stdout.log");
        let stderr = logs.join("stderr.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
        command
            .arg("up")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--nats-url", nats_url, "--listen", "127.0.0.1:0"])
            .arg("--actors")
            .arg(&actors)
            .env_remove("MOTCUA_LOG")
            .env_remove("MOTCUA_LOG_FORMAT")
            .env_remove("MOTCUA_DATA_DIR")
            .env_remove("MOTCUA_LISTEN")
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"));
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("start motcua up");
        let mut up = Up {
            child,
            stdout,
            stderr,
            http: String::new(),
            token: token.token.expose_secret().to_owned(),
            exited: None,
        };
        let started = Instant::now();
        loop {
            let out = std::fs::read_to_string(&up.stdout).unwrap_or_default();
            if out.contains("motcua is up") {
                up.http = out
                    .lines()
                    .find_map(|l| l.strip_prefix("HTTP API: http://"))
                    .and_then(|l| l.split('/').next())
                    .expect("the HTTP address")
                    .to_owned();
                return up;
            }
            if let Some(status) = up.child.try_wait().expect("poll motcua") {
                up.exited = Some(status);
                panic!(
                    "motcua up exited ({status}):\n{out}\n{}",
                    up.stderr_tail(40)
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "motcua up was not up within 30 s:\n{out}\n{}",
                up.stderr_tail(40)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn stderr_tail(&self, lines: usize) -> String {
        let text = self.stderr_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// `POST /v1/dossiers` with a `receive` at [`DESK`]; returns the status and the body.
    pub async fn receive(&self, http: &reqwest::Client, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = http
            .post(self.url("/v1/dossiers"))
            .bearer_auth(&self.token)
            .json(&json!({
                "command": "receive",
                "procedure": "1.004194",
                "channel": "direct",
                "applicant": {"name": "Người Thử"},
                "handling_agency": "UB.26740",
                "digitised": true
            }));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("POST /v1/dossiers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut body: Value = response.json().await.unwrap_or(Value::Null);
        if let Value::Object(m) = &mut body {
            m.insert("_content_type".to_owned(), Value::String(content_type));
        }
        (status, body)
    }

    /// `GET /readyz`: status and body.
    pub async fn readyz(&self, http: &reqwest::Client) -> (u16, Value) {
        let response = http
            .get(self.url("/readyz"))
            .send()
            .await
            .expect("GET /readyz");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Waits until `/readyz` answers 200 with every projector's lag 0 and a checkpoint of at
    /// least `seq`.
    pub async fn wait_caught_up(&self, http: &reqwest::Client, seq: u64, within: Duration) {
        let started = Instant::now();
        let mut last = (0, Value::Null);
        while started.elapsed() < within {
            last = self.readyz(http).await;
            let (status, body) = &last;
            let done = *status == 200
                && body["projectors"].as_array().is_some_and(|ps| {
                    !ps.is_empty()
                        && ps.iter().all(|p| {
                            p["lag"] == 0 && p["checkpoint"].as_u64().is_some_and(|c| c >= seq)
                        })
                });
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "not caught up to {seq} within {within:?}: {last:?}\n{}",
            self.stderr_tail(30)
        );
    }

    /// SIGINT to this child only; waits up to 30 s.
    pub fn interrupt(&mut self) -> ExitStatus {
        if let Some(s) = self.exited {
            return s;
        }
        let stopped = motcua_testkit::interrupt(&mut self.child, Duration::from_secs(30))
            .expect("stop motcua");
        let status = stopped.expect("motcua up did not stop within 30 s of SIGINT");
        self.exited = Some(status);
        status
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = motcua_testkit::interrupt(&mut self.child, Duration::from_secs(10));
        }
    }
}

/// Runs `motcua <args>` to the end; returns its standard output.
pub fn motcua(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
    command.args(args).env_remove("MOTCUA_DATA_DIR");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run motcua");
    assert!(
        out.status.success(),
        "motcua {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
