//! One nats-server process with its own temporary directory.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use tokio::time::{Instant, sleep};

use crate::config::NodeConfig;
use crate::error::TestkitError;
use motcua_log::locate;

/// How long a start may take before it is reported as failed.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(15);

/// How long [`NatsServer::stop_graceful`] waits after SIGTERM before killing.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How many log lines error messages and [`NatsServer::log_tail`] show.
const LOG_TAIL_LINES: usize = 40;

/// The log line that names the chosen client port (2.9 to 2.14 print it the same way).
const LISTENING_LINE: &str = "Listening for client connections on ";

/// The log line printed once every listener is up (JetStream, when enabled, starts before it).
const READY_LINE: &str = "Server is ready";

const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A real nats-server process with JetStream, listening on 127.0.0.1 only.
///
/// Its config, log files and JetStream store live in a temporary directory that is removed when
/// the value is dropped; dropping also kills the process (SIGKILL). Restarts keep the port and
/// the store, so clients configured with [`NatsServer::client_url`] reconnect by themselves.
///
/// A test process that is itself killed (not merely panicking) cannot run `Drop`, and the
/// server then outlives it; it holds only a random port and a directory under the temp dir.
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    config: NodeConfig,
    ready_timeout: Duration,
    /// The client port; 0 only before the first start has completed.
    port: u16,
    child: Option<Child>,
    /// Number of starts so far; each start logs to its own file.
    starts: u32,
    /// Declared last: removed after `Drop::drop` has killed the process.
    dir: TempDir,
}

/// Options for [`NatsServer`]; start with [`NatsServer::builder`].
#[derive(Debug, Clone)]
pub struct NatsServerBuilder {
    binary: Option<PathBuf>,
    server_name: String,
    sync_always: bool,
    port: Option<u16>,
    ready_timeout: Duration,
    allow_below_floor: bool,
}

impl Default for NatsServerBuilder {
    fn default() -> Self {
        Self {
            binary: None,
            server_name: "testkit".to_owned(),
            sync_always: true,
            port: None,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            allow_below_floor: false,
        }
    }
}

impl NatsServerBuilder {
    /// Uses this binary instead of the lookup of [`crate::find_nats_server`] (its version is
    /// still checked against the floor).
    #[must_use]
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// The `server_name` (default `testkit`).
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = name.into();
        self
    }

    /// `jetstream { sync_interval: always }`, i.e. fsync before every ack (default `true`, as in
    /// production). `false` leaves the server's lazy default (fsync every two minutes).
    #[must_use]
    pub fn sync_always(mut self, on: bool) -> Self {
        self.sync_always = on;
        self
    }

    /// A fixed client port on 127.0.0.1 (default: the server picks a free one).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// How long the start may take (default [`DEFAULT_READY_TIMEOUT`]).
    #[must_use]
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Accepts an explicit binary below the version floor. Only for tests that check that motcua
    /// itself refuses such a server at connect.
    #[must_use]
    pub fn allow_below_floor(mut self, allow: bool) -> Self {
        self.allow_below_floor = allow;
        self
    }

    /// Starts the server and waits until it accepts clients with JetStream up.
    ///
    /// # Errors
    /// No usable binary, the process could not start, exited, or was not ready in time (the
    /// error carries the log tail).
    pub async fn start(self) -> Result<NatsServer, TestkitError> {
        let binary = match (&self.binary, self.allow_below_floor) {
            (Some(path), true) => {
                locate::check_explicit(path, "the binary given to the test kit")?;
                path.clone()
            }
            _ => resolve_binary(self.binary)?,
        };
        let config = NodeConfig {
            server_name: self.server_name,
            client_port: self.port,
            sync_always: self.sync_always,
            cluster: None,
        };
        let mut server = NatsServer::unstarted(binary, config, self.ready_timeout)?;
        server.start_and_wait().await?;
        Ok(server)
    }
}

/// The explicit binary (version-checked), or the lookup's.
pub(crate) fn resolve_binary(explicit: Option<PathBuf>) -> Result<PathBuf, TestkitError> {
    match explicit {
        Some(path) => {
            locate::check_explicit(&path, "the binary given to the test kit")?;
            let version = locate::server_version(&path)?;
            locate::check_floor(&path, version)?;
            Ok(path)
        }
        None => crate::find_nats_server(),
    }
}

impl NatsServer {
    /// Starts a single node with the defaults: random port, `sync_interval: always`.
    ///
    /// # Errors
    /// As [`NatsServerBuilder::start`].
    pub async fn start_single() -> Result<Self, TestkitError> {
        Self::builder().start().await
    }

    /// Options for a single node.
    #[must_use]
    pub fn builder() -> NatsServerBuilder {
        NatsServerBuilder::default()
    }

    /// A server that has not been started yet, with a fresh temporary directory.
    pub(crate) fn unstarted(
        binary: PathBuf,
        config: NodeConfig,
        ready_timeout: Duration,
    ) -> Result<Self, TestkitError> {
        let dir = tempfile::Builder::new()
            .prefix("motcua-nats-")
            .tempdir()
            .map_err(|e| TestkitError::io("creating a temporary directory for nats-server", e))?;
        Ok(Self {
            binary,
            port: config.client_port.unwrap_or(0),
            config,
            ready_timeout,
            child: None,
            starts: 0,
            dir,
        })
    }

    /// `nats://127.0.0.1:<port>`.
    #[must_use]
    pub fn client_url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port; the same across restarts.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `server_name` (in a cluster, what stream info reports as leader).
    #[must_use]
    pub fn server_name(&self) -> &str {
        &self.config.server_name
    }

    /// The configured JetStream `store_dir` (the server keeps its files in `jetstream/` below it).
    #[must_use]
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The config file the server was (last) started with.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("nats-server.conf")
    }

    /// The log file of the current (or last) start.
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.dir
            .path()
            .join(format!("nats-server.{}.log", self.starts.max(1)))
    }

    /// The last lines of the current start's log.
    #[must_use]
    pub fn log_tail(&self) -> String {
        match std::fs::read_to_string(self.log_path()) {
            Ok(text) => tail(&text, LOG_TAIL_LINES),
            Err(e) => format!("(no log at {}: {e})", self.log_path().display()),
        }
    }

    /// The process id while a process is held (started and not yet killed or stopped).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is alive (it may have exited by itself).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Connects a plain client to this server.
    ///
    /// # Errors
    /// [`TestkitError::Nats`] when the connection fails.
    pub async fn connect(&self) -> Result<async_nats::Client, TestkitError> {
        async_nats::connect(self.client_url())
            .await
            .map_err(|e| TestkitError::nats(format!("connecting to {}", self.client_url()), e))
    }

    /// Kills the process with SIGKILL (like a crash: no shutdown, the page cache survives) and
    /// reaps it. Does nothing when no process is held.
    ///
    /// # Errors
    /// [`TestkitError::Io`] when the signal or the wait fails.
    pub fn kill(&mut self) -> Result<(), TestkitError> {
        if let Some(mut child) = self.child.take() {
            child.kill().map_err(|e| {
                TestkitError::io(format!("killing nats-server {}", self.server_name()), e)
            })?;
            child.wait().map_err(|e| {
                TestkitError::io(format!("reaping nats-server {}", self.server_name()), e)
            })?;
        }
        Ok(())
    }

    /// Stops the process with SIGTERM (a clean shutdown) and waits up to 10 s for it to exit;
    /// kills it after that. Does nothing when no process is held.
    ///
    /// # Errors
    /// [`TestkitError::StopTimeout`] when it had to be killed, [`TestkitError::Io`] when the
    /// signal could not be sent.
    pub async fn stop_graceful(&mut self) -> Result<(), TestkitError> {
        let Some(pid) = self.pid() else {
            return Ok(());
        };
        // The binary signals by pid itself (`--signal term=<pid>`), so no `kill` utility is needed.
        // The child is not reaped yet, so the pid cannot have been reused.
        let status = Command::new(&self.binary)
            .arg("--signal")
            .arg(format!("term={pid}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| TestkitError::io("sending SIGTERM through nats-server --signal", e))?;
        if !status.success() {
            return Err(TestkitError::io(
                format!("sending SIGTERM to nats-server {}", self.server_name()),
                std::io::Error::other(format!("`nats-server --signal` exited with {status}")),
            ));
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if !self.is_running() {
                return self.kill();
            }
            sleep(POLL_INTERVAL).await;
        }
        let log_tail = self.log_tail();
        self.kill()?;
        Err(TestkitError::StopTimeout {
            server: self.server_name().to_owned(),
            timeout: STOP_TIMEOUT,
            log_tail,
        })
    }

    /// Starts the server again on the same port with the same store; kills it first if it is
    /// still running. Returns once it accepts clients.
    ///
    /// # Errors
    /// As [`NatsServerBuilder::start`]; a failure to bind the old port shows in the log tail.
    pub async fn restart(&mut self) -> Result<(), TestkitError> {
        self.kill()?;
        self.start_and_wait().await
    }

    pub(crate) async fn start_and_wait(&mut self) -> Result<(), TestkitError> {
        self.spawn()?;
        self.wait_ready(Instant::now() + self.ready_timeout).await
    }

    /// Writes the config and launches the process; does not wait.
    pub(crate) fn spawn(&mut self) -> Result<(), TestkitError> {
        let config_path = self.config_path();
        let text = self.config.render(&self.store_dir());
        std::fs::write(&config_path, text)
            .map_err(|e| TestkitError::io(format!("writing {}", config_path.display()), e))?;

        self.starts += 1;
        let log_path = self.log_path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| TestkitError::io(format!("opening {}", log_path.display()), e))?;
        let log_for_stdout = log
            .try_clone()
            .map_err(|e| TestkitError::io(format!("opening {}", log_path.display()), e))?;
        // No `-l`: the server logs to stderr, which also catches config errors printed before
        // logging is set up.
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log_for_stdout)
            .stderr(log)
            .spawn()
            .map_err(|e| TestkitError::io(format!("starting {}", self.binary.display()), e))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until the log names the port, says the server is ready, and the port accepts a
    /// TCP connection.
    pub(crate) async fn wait_ready(&mut self, deadline: Instant) -> Result<(), TestkitError> {
        loop {
            let exited = match self.child.as_mut() {
                Some(child) => child.try_wait().map_err(|e| {
                    TestkitError::io(
                        format!("checking nats-server {}", self.config.server_name),
                        e,
                    )
                })?,
                None => None,
            };
            if let Some(status) = exited {
                self.child = None;
                return Err(TestkitError::Exited {
                    server: self.config.server_name.clone(),
                    status,
                    log_tail: self.log_tail(),
                });
            }

            let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
            let port = listening_port(&log);
            let ready = log.contains(READY_LINE);
            let waiting_for = match (port, ready) {
                (None, _) => format!("the log line `{LISTENING_LINE}...`"),
                (Some(_), false) => format!("the log line `{READY_LINE}`"),
                (Some(port), true) => {
                    if tokio::net::TcpStream::connect(("127.0.0.1", port))
                        .await
                        .is_ok()
                    {
                        self.port = port;
                        // Restarts must come back on the same port.
                        self.config.client_port = Some(port);
                        return Ok(());
                    }
                    format!("a TCP connection to 127.0.0.1:{port}")
                }
            };
            if Instant::now() >= deadline {
                return Err(TestkitError::NotReady {
                    server: self.config.server_name.clone(),
                    timeout: self.ready_timeout,
                    waiting_for,
                    log_tail: self.log_tail(),
                });
            }
            sleep(POLL_INTERVAL).await;
        }
    }

    pub(crate) fn ready_timeout(&self) -> Duration {
        self.ready_timeout
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Nothing useful can be done with a failure here; the process was ours.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The client port from a line such as
/// `[1] 2026/11/23 16:43:17.312539 [INF] Listening for client connections on 127.0.0.1:46177`.
pub(crate) fn listening_port(log: &str) -> Option<u16> {
    log.lines().find_map(|line| {
        let (_, address) = line.split_once(LISTENING_LINE)?;
        let (_, port) = address.trim().rsplit_once(':')?;
        port.parse().ok()
    })
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_port_from_log() {
        let log = "[11521] 2026/11/23 16:43:17.311115 [INF] Took 959µs to start JetStream\n\
                   [11521] 2026/11/23 16:43:17.312539 [INF] Listening for client connections on 127.0.0.1:46177\n\
                   [11521] 2026/11/23 16:43:17.312552 [INF] Server is ready\n";
        assert_eq!(listening_port(log), Some(46177));
        assert_eq!(listening_port("[1] [INF] Starting nats-server\n"), None);
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }
}
