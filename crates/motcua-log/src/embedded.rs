//! A nats-server process that motcua starts, watches and stops itself.
//!
//! `motcua up` without `--nats-url`/`NATS_URL` runs its own server with the store under
//! `--data-dir` ([`EmbeddedServer::start_in`]); the test kit runs its throwaway servers and
//! clusters with the same code. One [`EmbeddedServer`] is one process at a time:
//!
//! - start: the config ([`ServerConfig`]) is rendered to `<work_dir>/nats-server.conf`, the
//!   process logs (stdout and stderr) to `<work_dir>/nats-server.log`, and the start completes
//!   once the log names the client port (`Listening for client connections on HOST:PORT`), says
//!   `Server is ready`, and the port accepts a TCP connection. A server-picked port is kept for
//!   restarts, so clients reconnect by themselves;
//! - [`EmbeddedServer::kill`] (SIGKILL, like a crash), [`EmbeddedServer::restart`] (same port
//!   and store), [`EmbeddedServer::stop_graceful`] (SIGTERM through `nats-server --signal`,
//!   then SIGKILL after the stop timeout);
//! - dropping the value kills a process still running: a safety net, `motcua up` stops the
//!   server gracefully on Ctrl-C.
//!
//! Every listener is on 127.0.0.1 unless configured otherwise, and on a server-picked port
//! unless one is given: the process never touches 4222 or another well-known port on its own.
//! The version floor is the caller's business ([`crate::locate::find_in`] checks it;
//! [`EmbeddedServer::start_in`] uses it). The async functions need a tokio runtime.
//!
//! ```no_run
//! # async fn example() -> Result<(), motcua_log::embedded::EmbeddedError> {
//! let mut server = motcua_log::embedded::EmbeddedServer::start_in("/var/lib/motcua".as_ref(), None).await?;
//! let url = server.client_url();
//! // ... serve until Ctrl-C ...
//! server.stop_graceful().await?;
//! # drop(url);
//! # Ok(())
//! # }
//! ```

mod config;
mod error;

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::{Instant, sleep};

use crate::locate::{self, Lookup};

pub use config::{
    ClusterConfig, DATA_DIR_NATS, DATA_DIR_READY_TIMEOUT, DATA_DIR_SERVER_NAME,
    DATA_DIR_STOP_TIMEOUT, DATA_DIR_STORE, DEFAULT_HOST, DEFAULT_READY_TIMEOUT,
    DEFAULT_STOP_TIMEOUT, ServerConfig,
};
pub use error::EmbeddedError;

/// How many log lines error messages and [`EmbeddedServer::log_tail`] show.
pub const LOG_TAIL_LINES: usize = 40;

/// A log file larger than this is moved to `nats-server.log.1` (replacing it) at the next start.
pub const LOG_ROTATE_BYTES: u64 = 8 * 1024 * 1024;

/// The log line that names the chosen client port (2.9 to 2.14 print it the same way).
const LISTENING_LINE: &str = "Listening for client connections on ";

/// The log line that names the monitoring port.
const HTTP_LINE: &str = "Starting http monitor on ";

/// The log line printed once every listener is up (JetStream, when enabled, starts before it).
const READY_LINE: &str = "Server is ready";

const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// One nats-server process with JetStream, as configured by a [`ServerConfig`].
///
/// The config and log files live in the work dir and the store in the store dir; neither is
/// removed (the owner of the directories decides). Dropping the value kills the process
/// (SIGKILL) if it still runs.
///
/// A parent that is itself killed cannot run `Drop`, and the server then outlives it; the next
/// start on the same work dir refuses with [`EmbeddedError::AlreadyRunning`] (Linux) instead of
/// running a second server on the same store.
#[derive(Debug)]
pub struct EmbeddedServer {
    binary: PathBuf,
    config: ServerConfig,
    /// The client port; 0 only before the first start was ready with a server-picked port.
    port: u16,
    /// The monitoring port, once known.
    http_port: Option<u16>,
    child: Option<Child>,
    /// Where the current start's output begins in the log file.
    log_offset: u64,
    /// When the current process was launched.
    launched_at: Instant,
}

impl EmbeddedServer {
    /// Starts `binary` with `config` and waits until it accepts clients with JetStream up.
    ///
    /// Creates the work and store dirs when missing (relative paths are made absolute first).
    /// The binary's version is not checked here.
    ///
    /// # Errors
    /// [`EmbeddedError::Io`] when the files or the process cannot be set up,
    /// [`EmbeddedError::AlreadyRunning`], or, with the log tail, [`EmbeddedError::Exited`] and
    /// [`EmbeddedError::NotReady`] (the process is then killed).
    pub async fn start(
        binary: impl Into<PathBuf>,
        config: ServerConfig,
    ) -> Result<Self, EmbeddedError> {
        let mut server = Self::launch(binary, config)?;
        server.wait_ready().await?;
        Ok(server)
    }

    /// The server of `motcua up --data-dir <data_dir>`: the binary found by
    /// [`locate::find_in`] from the environment (`MOTCUA_NATS_SERVER`, the tools folder,
    /// `PATH`; refused below the floor), with [`ServerConfig::for_data_dir`]: config and log in
    /// `<data_dir>/nats/`, store in `<data_dir>/nats/jetstream-store`, `sync_interval: always`,
    /// client port `port` or a server-picked one, on 127.0.0.1.
    ///
    /// # Errors
    /// [`EmbeddedError::Locate`] (the message says to run `tools/install-nats-server`), or as
    /// [`EmbeddedServer::start`].
    pub async fn start_in(data_dir: &Path, port: Option<u16>) -> Result<Self, EmbeddedError> {
        let binary = locate::find_in(&Lookup::from_env())?;
        Self::start(binary, ServerConfig::for_data_dir(data_dir, port)).await
    }

    /// Launches the process without waiting for it; finish with [`EmbeddedServer::wait_ready`].
    /// Lets a cluster launch all its members before waiting for any (a member only becomes
    /// ready with its peers up).
    ///
    /// # Errors
    /// As [`EmbeddedServer::start`], without the readiness errors.
    pub fn launch(
        binary: impl Into<PathBuf>,
        mut config: ServerConfig,
    ) -> Result<Self, EmbeddedError> {
        config.work_dir = absolute(&config.work_dir)?;
        config.store_dir = absolute(&config.store_dir)?;
        for dir in [&config.work_dir, &config.store_dir] {
            std::fs::create_dir_all(dir)
                .map_err(|e| EmbeddedError::io(format!("creating {}", dir.display()), e))?;
        }
        let mut server = Self {
            binary: binary.into(),
            port: config.client_port.unwrap_or(0),
            http_port: config.http_port.filter(|p| *p != 0),
            config,
            child: None,
            log_offset: 0,
            launched_at: Instant::now(),
        };
        server.spawn()?;
        Ok(server)
    }

    /// Waits until the launched process is ready: the log names the client port and says
    /// `Server is ready`, and the port accepts a TCP connection; at most the ready timeout
    /// from the launch.
    ///
    /// # Errors
    /// [`EmbeddedError::Exited`] when the process exited, [`EmbeddedError::NotReady`] after the
    /// timeout (the process is then killed); both carry the log tail.
    pub async fn wait_ready(&mut self) -> Result<(), EmbeddedError> {
        let deadline = self.launched_at + self.config.ready_timeout;
        loop {
            let exited = match self.child.as_mut() {
                Some(child) => child.try_wait().map_err(|e| {
                    EmbeddedError::io(format!("checking nats-server {}", self.server_name()), e)
                })?,
                None => {
                    return Err(EmbeddedError::io(
                        format!("waiting for nats-server {}", self.server_name()),
                        std::io::Error::other("no process was launched"),
                    ));
                }
            };
            if let Some(status) = exited {
                self.child = None;
                return Err(EmbeddedError::Exited {
                    server: self.server_name().to_owned(),
                    status,
                    log_tail: self.log_tail(),
                });
            }

            let log = self.current_log();
            let port = log_port(&log, LISTENING_LINE);
            let ready = log.contains(READY_LINE);
            let waiting_for = match (port, ready) {
                (None, _) => format!("the log line `{LISTENING_LINE}...`"),
                (Some(_), false) => format!("the log line `{READY_LINE}`"),
                (Some(port), true) => {
                    let host = self.config.connect_host();
                    if tokio::net::TcpStream::connect((host, port)).await.is_ok() {
                        self.port = port;
                        // Restarts must come back on the same ports.
                        self.config.client_port = Some(port);
                        if self.config.http_port.is_some() {
                            self.http_port = log_port(&log, HTTP_LINE).or(self.http_port);
                            self.config.http_port = self.http_port;
                        }
                        return Ok(());
                    }
                    format!("a TCP connection to {}", socket(host, port))
                }
            };
            if Instant::now() >= deadline {
                let log_tail = self.log_tail();
                // Best effort: the readiness failure is the error worth reporting.
                let _ = self.kill();
                return Err(EmbeddedError::NotReady {
                    server: self.server_name().to_owned(),
                    timeout: self.config.ready_timeout,
                    waiting_for,
                    log_tail,
                });
            }
            sleep(POLL_INTERVAL).await;
        }
    }

    /// `nats://HOST:PORT`, with loopback for a server listening on every interface.
    #[must_use]
    pub fn client_url(&self) -> String {
        format!("nats://{}", socket(self.config.connect_host(), self.port))
    }

    /// The client port; the same across restarts.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The monitoring port when monitoring is configured (known once the server was ready).
    #[must_use]
    pub fn http_port(&self) -> Option<u16> {
        self.http_port
    }

    /// `http://HOST:PORT` of the monitoring endpoint, when configured.
    #[must_use]
    pub fn http_url(&self) -> Option<String> {
        self.http_port
            .map(|port| format!("http://{}", socket(self.config.connect_host(), port)))
    }

    /// The process id while a process is held (started and not yet killed or stopped; it may
    /// have exited by itself, see [`EmbeddedServer::is_running`]).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is alive.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The `server_name`.
    #[must_use]
    pub fn server_name(&self) -> &str {
        &self.config.server_name
    }

    /// The configuration, with absolute dirs and, after the first ready start, the ports the
    /// server picked.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The nats-server binary.
    #[must_use]
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// The JetStream `store_dir` (the server keeps its files in `jetstream/` below it).
    #[must_use]
    pub fn store_dir(&self) -> &Path {
        &self.config.store_dir
    }

    /// The dir of the config, log and pid files.
    #[must_use]
    pub fn work_dir(&self) -> &Path {
        &self.config.work_dir
    }

    /// The config file the server was (last) started with.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.config.config_path()
    }

    /// The log file; every start appends to it.
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.config.log_path()
    }

    /// The current (or last) start's log output.
    #[must_use]
    pub fn current_log(&self) -> String {
        read_from(&self.log_path(), self.log_offset).unwrap_or_default()
    }

    /// The last lines of the current (or last) start's log.
    #[must_use]
    pub fn log_tail(&self) -> String {
        match read_from(&self.log_path(), self.log_offset) {
            Ok(text) => tail(&text, LOG_TAIL_LINES),
            Err(e) => format!("(no log at {}: {e})", self.log_path().display()),
        }
    }

    /// Kills the process with SIGKILL (like a crash: no shutdown; with `sync_interval: always`
    /// every acked message is on disk) and reaps it. Does nothing when no process is held.
    ///
    /// # Errors
    /// [`EmbeddedError::Io`] when the signal or the wait fails.
    pub fn kill(&mut self) -> Result<(), EmbeddedError> {
        if let Some(mut child) = self.child.take() {
            child.kill().map_err(|e| {
                EmbeddedError::io(format!("killing nats-server {}", self.server_name()), e)
            })?;
            child.wait().map_err(|e| {
                EmbeddedError::io(format!("reaping nats-server {}", self.server_name()), e)
            })?;
            self.remove_pid_file();
        }
        Ok(())
    }

    /// Stops the process with SIGTERM (a clean shutdown: JetStream flushes and closes its
    /// store) and waits up to the stop timeout for it to exit; kills it after that. Does
    /// nothing when no process is held, and only reaps one that already exited.
    ///
    /// # Errors
    /// [`EmbeddedError::StopTimeout`] when it had to be killed, [`EmbeddedError::Io`] when the
    /// signal could not be sent (the process is then killed).
    pub async fn stop_graceful(&mut self) -> Result<(), EmbeddedError> {
        let Some(pid) = self.pid() else {
            return Ok(());
        };
        if !self.is_running() {
            return self.kill();
        }
        // The binary signals by pid itself (`--signal term=<pid>`), so no `kill` utility and no
        // unsafe code is needed. The child is not reaped yet, so the pid cannot have been
        // reused.
        let sent = Command::new(&self.binary)
            .arg("--signal")
            .arg(format!("term={pid}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let failure = match sent {
            Ok(status) if status.success() => None,
            Ok(status) => Some(std::io::Error::other(format!(
                "`nats-server --signal term={pid}` exited with {status}"
            ))),
            Err(e) => Some(e),
        };
        if let Some(source) = failure {
            // It may have exited meanwhile; otherwise it must not be left running.
            let exited = !self.is_running();
            self.kill()?;
            if exited {
                return Ok(());
            }
            return Err(EmbeddedError::io(
                format!("sending SIGTERM to nats-server {}", self.server_name()),
                source,
            ));
        }
        let deadline = Instant::now() + self.config.stop_timeout;
        while Instant::now() < deadline {
            if !self.is_running() {
                return self.kill();
            }
            sleep(POLL_INTERVAL).await;
        }
        let log_tail = self.log_tail();
        self.kill()?;
        Err(EmbeddedError::StopTimeout {
            server: self.server_name().to_owned(),
            timeout: self.config.stop_timeout,
            log_tail,
        })
    }

    /// Starts the server again on the same ports with the same store; kills it first if it is
    /// still running. Returns once it accepts clients.
    ///
    /// # Errors
    /// As [`EmbeddedServer::start`]; a failure to bind the old port shows in the log tail.
    pub async fn restart(&mut self) -> Result<(), EmbeddedError> {
        self.kill()?;
        self.spawn()?;
        self.wait_ready().await
    }

    /// Writes the config and launches the process; does not wait.
    fn spawn(&mut self) -> Result<(), EmbeddedError> {
        self.refuse_running_orphan()?;
        let config_path = self.config_path();
        std::fs::write(&config_path, self.config.render())
            .map_err(|e| EmbeddedError::io(format!("writing {}", config_path.display()), e))?;

        let log_path = self.log_path();
        rotate_if_large(&log_path)?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| EmbeddedError::io(format!("opening {}", log_path.display()), e))?;
        self.log_offset = log
            .metadata()
            .map_err(|e| EmbeddedError::io(format!("reading {}", log_path.display()), e))?
            .len();
        let log_for_stdout = log
            .try_clone()
            .map_err(|e| EmbeddedError::io(format!("opening {}", log_path.display()), e))?;
        // No `-l`: the server logs to stderr, which also catches config errors printed before
        // logging is set up.
        let mut command = Command::new(&self.binary);
        command
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log_for_stdout)
            .stderr(log);
        #[cfg(unix)]
        if self.config.own_process_group {
            use std::os::unix::process::CommandExt as _;
            command.process_group(0);
        }
        let child = command
            .spawn()
            .map_err(|e| EmbeddedError::io(format!("starting {}", self.binary.display()), e))?;
        self.child = Some(child);
        self.launched_at = Instant::now();
        Ok(())
    }

    /// Refuses to start while a server started with this work dir's config file still runs.
    fn refuse_running_orphan(&self) -> Result<(), EmbeddedError> {
        let Ok(text) = std::fs::read_to_string(self.config.pid_path()) else {
            return Ok(());
        };
        let Ok(pid) = text.trim().parse::<u32>() else {
            return Ok(());
        };
        if Some(pid) != self.pid() && runs_with_config(pid, &self.config_path()) {
            return Err(EmbeddedError::AlreadyRunning {
                pid,
                work_dir: self.config.work_dir.clone(),
            });
        }
        Ok(())
    }

    fn remove_pid_file(&self) {
        // A stale pid file is harmless (see `runs_with_config`); this only keeps the dir tidy.
        let _ = std::fs::remove_file(self.config.pid_path());
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Nothing useful can be done with a failure here; the process was ours.
            let _ = child.kill();
            let _ = child.wait();
            self.remove_pid_file();
        }
    }
}

/// Whether process `pid` runs with `-c <config_path>` (Linux: its `/proc` command line).
#[cfg(target_os = "linux")]
fn runs_with_config(pid: u32, config_path: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let wanted = config_path.as_os_str().as_encoded_bytes();
    cmdline.split(|b| *b == 0).any(|arg| arg == wanted)
}

#[cfg(not(target_os = "linux"))]
fn runs_with_config(_pid: u32, _config_path: &Path) -> bool {
    false
}

fn absolute(path: &Path) -> Result<PathBuf, EmbeddedError> {
    std::path::absolute(path)
        .map_err(|e| EmbeddedError::io(format!("resolving {}", path.display()), e))
}

/// Moves a log above [`LOG_ROTATE_BYTES`] to `<name>.1`.
fn rotate_if_large(log_path: &Path) -> Result<(), EmbeddedError> {
    let Ok(meta) = std::fs::metadata(log_path) else {
        return Ok(());
    };
    if meta.len() <= LOG_ROTATE_BYTES {
        return Ok(());
    }
    let mut old = log_path.as_os_str().to_owned();
    old.push(".1");
    std::fs::rename(log_path, &old)
        .map_err(|e| EmbeddedError::io(format!("rotating {}", log_path.display()), e))
}

/// The text of `path` from byte `offset` on.
fn read_from(path: &Path, offset: u64) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `HOST:PORT`, with brackets around an IPv6 host.
fn socket(host: std::net::IpAddr, port: u16) -> std::net::SocketAddr {
    std::net::SocketAddr::new(host, port)
}

/// The port from the first line containing `marker` followed by an address, such as
/// `[1] 2026/11/23 16:43:17.312539 [INF] Listening for client connections on 127.0.0.1:46177`.
fn log_port(log: &str, marker: &str) -> Option<u16> {
    log.lines().find_map(|line| {
        let (_, address) = line.split_once(marker)?;
        let (_, port) = address.trim().rsplit_once(':')?;
        port.parse().ok()
    })
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ports_from_log() {
        let log = "[11521] 2026/11/23 16:43:17.279127 [INF] Starting http monitor on 127.0.0.1:41423\n\
                   [11521] 2026/11/23 16:43:17.311115 [INF] Took 959µs to start JetStream\n\
                   [11521] 2026/11/23 16:43:17.312539 [INF] Listening for client connections on 127.0.0.1:46177\n\
                   [11521] 2026/11/23 16:43:17.312552 [INF] Server is ready\n";
        assert_eq!(log_port(log, LISTENING_LINE), Some(46177));
        assert_eq!(log_port(log, HTTP_LINE), Some(41423));
        assert_eq!(
            log_port("[1] [INF] Starting nats-server\n", LISTENING_LINE),
            None
        );
        let v6 = "[1] [INF] Listening for client connections on [::1]:42959\n";
        assert_eq!(log_port(v6, LISTENING_LINE), Some(42959));
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }

    #[test]
    fn socket_brackets_ipv6() {
        assert_eq!(socket("::1".parse().expect("ip"), 5).to_string(), "[::1]:5");
        assert_eq!(socket(DEFAULT_HOST, 5).to_string(), "127.0.0.1:5");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn orphan_check_reads_the_command_line() {
        let me = std::process::id();
        let cmdline = std::fs::read("/proc/self/cmdline").expect("own command line");
        let argv0 = cmdline.split(|b| *b == 0).next().expect("argv[0]");
        let argv0 = std::str::from_utf8(argv0).expect("a UTF-8 test path");
        assert!(runs_with_config(me, Path::new(argv0)));
        assert!(!runs_with_config(
            me,
            Path::new("/nonexistent/nats-server.conf")
        ));
    }
}
