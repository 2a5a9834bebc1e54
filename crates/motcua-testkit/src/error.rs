//! The test kit's error type.

use std::fmt;
use std::io;
use std::process::ExitStatus;
use std::time::Duration;

use motcua_log::embedded::EmbeddedError;
use motcua_log::locate::LocateError;

/// Why a nats-server could not be found, started, stopped or probed.
///
/// Messages carry what a developer needs to act: the command to run, or the server's log tail.
/// `Debug` prints the same text as `Display` (which names the cause), so a test's `.unwrap()`
/// shows a readable log tail instead of an escaped one-liner.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
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
    /// Another failure of the process layer, [`motcua_log::embedded`] (such as a server still
    /// running on the same work dir).
    #[error("{0}")]
    Server(EmbeddedError),
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
    /// The server (or cluster) did not become ready in time.
    #[error(
        "nats-server {server} not ready after {timeout:?}: {waiting_for}; log tail:\n{log_tail}"
    )]
    NotReady {
        /// The server's name, or the cluster's.
        server: String,
        /// How long we waited.
        timeout: Duration,
        /// The condition that was still false.
        waiting_for: String,
        /// The last lines of the log (every node's, for a cluster).
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
    /// A NATS client operation against a started server failed.
    #[error("{context}: {source}")]
    Nats {
        /// What was being done.
        context: String,
        /// The client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A cluster was asked for an unsupported number of nodes.
    #[error("a test cluster has 1 to 5 nodes (JetStream replicates to at most 5), not {0}")]
    ClusterSize(usize),
    /// A node index outside the cluster.
    #[error("node index {index} is outside the cluster of {size} nodes (indexes start at 0)")]
    NoSuchNode {
        /// The index asked for.
        index: usize,
        /// The cluster's size.
        size: usize,
    },
}

impl TestkitError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn nats(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Nats {
            context: context.into(),
            source: Box::new(source),
        }
    }
}

/// The process errors of [`motcua_log::embedded`] as the kit has always reported them.
impl From<EmbeddedError> for TestkitError {
    fn from(error: EmbeddedError) -> Self {
        match error {
            EmbeddedError::Locate(e) => Self::Locate(e),
            EmbeddedError::Io { context, source } => Self::Io { context, source },
            EmbeddedError::Exited {
                server,
                status,
                log_tail,
            } => Self::Exited {
                server,
                status,
                log_tail,
            },
            EmbeddedError::NotReady {
                server,
                timeout,
                waiting_for,
                log_tail,
            } => Self::NotReady {
                server,
                timeout,
                waiting_for,
                log_tail,
            },
            EmbeddedError::StopTimeout {
                server,
                timeout,
                log_tail,
            } => Self::StopTimeout {
                server,
                timeout,
                log_tail,
            },
            other => Self::Server(other),
        }
    }
}

impl fmt::Debug for TestkitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Display already names the cause of every variant.
        fmt::Display::fmt(self, f)
    }
}
