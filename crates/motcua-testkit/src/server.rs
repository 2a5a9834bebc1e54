//! One nats-server process with its own temporary directory.
//!
//! The process itself (config file, log, readiness, kill, restart, graceful stop) is
//! [`motcua_log::embedded::EmbeddedServer`]; this layer owns the temporary directory and the
//! defaults of tests.

use std::path::PathBuf;
use std::time::Duration;

use motcua_log::embedded::{EmbeddedServer, ServerConfig};
use motcua_log::locate;
use tempfile::TempDir;

use crate::error::TestkitError;

/// How long a start may take before it is reported as failed.
pub use motcua_log::embedded::DEFAULT_READY_TIMEOUT;

/// A real nats-server process with JetStream, listening on 127.0.0.1 only.
///
/// Its config, log file and JetStream store live in a temporary directory that is removed when
/// the value is dropped; dropping also kills the process (SIGKILL). Restarts keep the port and
/// the store, so clients configured with [`NatsServer::client_url`] reconnect by themselves.
///
/// A test process that is itself killed (not merely panicking) cannot run `Drop`, and the
/// server then outlives it; it holds only a random port and a directory under the temp dir.
#[derive(Debug)]
pub struct NatsServer {
    server: EmbeddedServer,
    /// Declared last: removed after the server has been dropped (and its process killed).
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
        let dir = temp_dir()?;
        let mut config = node_config(&dir, self.server_name, self.ready_timeout);
        config.client_port = self.port;
        config.sync_always = self.sync_always;
        let mut server = NatsServer::launch(binary, dir, config)?;
        server.wait_ready().await?;
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

/// A fresh temporary directory for one server.
pub(crate) fn temp_dir() -> Result<TempDir, TestkitError> {
    tempfile::Builder::new()
        .prefix("motcua-nats-")
        .tempdir()
        .map_err(|e| TestkitError::io("creating a temporary directory for nats-server", e))
}

/// The test defaults: config and log in `dir`, the store in `dir/store`, 127.0.0.1, a
/// server-picked port, `sync_interval: always`, no monitoring.
pub(crate) fn node_config(
    dir: &TempDir,
    server_name: String,
    ready_timeout: Duration,
) -> ServerConfig {
    let mut config = ServerConfig::new(server_name, dir.path(), dir.path().join("store"));
    config.ready_timeout = ready_timeout;
    config
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

    /// Launches the process in `dir` without waiting for it.
    pub(crate) fn launch(
        binary: PathBuf,
        dir: TempDir,
        config: ServerConfig,
    ) -> Result<Self, TestkitError> {
        let server = EmbeddedServer::launch(binary, config)?;
        Ok(Self { server, dir })
    }

    /// Waits until the launched process accepts clients.
    pub(crate) async fn wait_ready(&mut self) -> Result<(), TestkitError> {
        Ok(self.server.wait_ready().await?)
    }

    /// The process layer underneath (ports, files, the configuration it runs with).
    #[must_use]
    pub fn embedded(&self) -> &EmbeddedServer {
        &self.server
    }

    /// `nats://127.0.0.1:<port>`.
    #[must_use]
    pub fn client_url(&self) -> String {
        self.server.client_url()
    }

    /// The client port; the same across restarts.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The `server_name` (in a cluster, what stream info reports as leader).
    #[must_use]
    pub fn server_name(&self) -> &str {
        self.server.server_name()
    }

    /// The configured JetStream `store_dir` (the server keeps its files in `jetstream/` below
    /// it), inside the temporary directory.
    #[must_use]
    pub fn store_dir(&self) -> PathBuf {
        self.server.store_dir().to_path_buf()
    }

    /// The config file the server was (last) started with.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.server.config_path()
    }

    /// The log file; every start appends to it ([`NatsServer::current_log`] is the current
    /// start's part).
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.server.log_path()
    }

    /// The current (or last) start's log output.
    #[must_use]
    pub fn current_log(&self) -> String {
        self.server.current_log()
    }

    /// The last lines of the current start's log.
    #[must_use]
    pub fn log_tail(&self) -> String {
        self.server.log_tail()
    }

    /// The process id while a process is held (started and not yet killed or stopped).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.server.pid()
    }

    /// Whether the process is alive (it may have exited by itself).
    pub fn is_running(&mut self) -> bool {
        self.server.is_running()
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
        Ok(self.server.kill()?)
    }

    /// Stops the process with SIGTERM (a clean shutdown) and waits up to 10 s for it to exit;
    /// kills it after that. Does nothing when no process is held.
    ///
    /// # Errors
    /// [`TestkitError::StopTimeout`] when it had to be killed, [`TestkitError::Io`] when the
    /// signal could not be sent.
    pub async fn stop_graceful(&mut self) -> Result<(), TestkitError> {
        Ok(self.server.stop_graceful().await?)
    }

    /// Starts the server again on the same port with the same store; kills it first if it is
    /// still running. Returns once it accepts clients.
    ///
    /// # Errors
    /// As [`NatsServerBuilder::start`]; a failure to bind the old port shows in the log tail.
    pub async fn restart(&mut self) -> Result<(), TestkitError> {
        Ok(self.server.restart().await?)
    }

    /// The temporary directory holding config, log and store.
    #[must_use]
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub(crate) fn ready_timeout(&self) -> Duration {
        self.server.config().ready_timeout
    }
}
