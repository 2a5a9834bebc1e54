//! Why an embedded nats-server could not be found, started or stopped.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::locate::LocateError;

/// Why an embedded nats-server could not be found, started or stopped.
///
/// Messages carry what an operator needs to act: the command to run, or the server's log tail.
/// `Debug` prints the same text as `Display` (which names the cause), so an `.unwrap()` shows a
/// readable log tail instead of an escaped one-liner.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum EmbeddedError {
    /// No usable nats-server binary.
    #[error(transparent)]
    Locate(#[from] LocateError),
    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A nats-server started earlier with this work dir's config file is still running (for
    /// instance left behind by a parent that was killed); starting a second one on the same
    /// store would corrupt it.
    #[error(
        "a nats-server (pid {pid}) is still running with the config in {}; stop it first \
         (nats-server --signal term={pid})",
        work_dir.display()
    )]
    AlreadyRunning {
        /// Its process id.
        pid: u32,
        /// The work dir.
        work_dir: PathBuf,
    },
    /// The server process exited while starting.
    #[error("nats-server {server} exited during startup ({status}); log tail:\n{log_tail}")]
    Exited {
        /// The server's name.
        server: String,
        /// How it exited.
        status: ExitStatus,
        /// The last lines of its log.
        log_tail: String,
    },
    /// The server did not become ready in time (it was then killed).
    #[error(
        "nats-server {server} not ready after {timeout:?}: {waiting_for}; log tail:\n{log_tail}"
    )]
    NotReady {
        /// The server's name.
        server: String,
        /// How long we waited.
        timeout: Duration,
        /// The condition that was still false.
        waiting_for: String,
        /// The last lines of its log.
        log_tail: String,
    },
    /// The server did not exit in time after SIGTERM (it was then killed).
    #[error(
        "nats-server {server} did not stop within {timeout:?} after SIGTERM and was killed; log tail:\n{log_tail}"
    )]
    StopTimeout {
        /// The server's name.
        server: String,
        /// How long we waited.
        timeout: Duration,
        /// The last lines of its log.
        log_tail: String,
    },
}

impl EmbeddedError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// The server's log tail, for the errors that carry one.
    #[must_use]
    pub fn log_tail(&self) -> Option<&str> {
        match self {
            Self::Exited { log_tail, .. }
            | Self::NotReady { log_tail, .. }
            | Self::StopTimeout { log_tail, .. } => Some(log_tail),
            Self::Locate(_) | Self::Io { .. } | Self::AlreadyRunning { .. } => None,
        }
    }
}

impl fmt::Debug for EmbeddedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Display already names the cause of every variant.
        fmt::Display::fmt(self, f)
    }
}
