//! Real nats-server processes for motcua's tests: no mocks.
//!
//! JetStream is motcua's source of truth, so the adapters on top of it (the event log, the
//! projectors, the end-to-end tests) are tested against the server itself.
//! This kit starts nats-server the way the nats.rs test harness does: a config file and a
//! JetStream store in a temporary directory, a server-chosen port read back from the log, and
//! cleanup on drop. The process handling itself is [`motcua_log::embedded`], shared with the
//! `motcua` binary's embedded server; the kit adds the temporary directories, the test
//! defaults, clusters and leader lookup.
//! It offers:
//!
//! - [`NatsServer`]: one node, with `sync_interval: always` (fsync before ack) by default as in
//!   production; [`NatsServer::kill`] (SIGKILL), [`NatsServer::restart`] on the same port and
//!   store, [`NatsServer::stop_graceful`] (SIGTERM).
//! - [`NatsCluster`]: a 1- to 5-node JetStream cluster on 127.0.0.1, formed and with a meta
//!   leader before it is returned; kill and restart nodes, find a stream's leader.
//! - [`find_nats_server`] and [`server_version`]: the project's lookup of the binary
//!   (`MOTCUA_NATS_SERVER`, then `.tools/nats-server-2.14.6/nats-server` as installed by
//!   `tools/install-nats-server`, then `PATH`), refusing versions below 2.12 such as Debian's
//!   2.9.10. The pure parts live in [`locate`], which takes its inputs explicitly.
//!
//! Every port is chosen by the kernel on loopback; the kit never touches a server it did not
//! start (such as the system nats-server on port 4222), and only kills its own children.
//! [`interrupt`] stops a child process (such as `motcua up`) as Ctrl-C would.
//! The async constructors need a tokio runtime (`#[tokio::test]` is enough).
//!
//! ```no_run
//! # async fn example() -> Result<(), motcua_testkit::TestkitError> {
//! let server = motcua_testkit::NatsServer::start_single().await?;
//! let client = async_nats::connect(server.client_url()).await.expect("server is up");
//! # drop(client);
//! # Ok(())
//! # }
//! ```

mod cluster;
mod error;
pub use motcua_log::locate;
mod server;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

pub use cluster::{DEFAULT_CLUSTER_READY_TIMEOUT, NatsCluster, NatsClusterBuilder};
pub use error::TestkitError;
pub use locate::{LocateError, Lookup, MINIMUM_VERSION, PINNED_VERSION, ServerVersion};
pub use server::{DEFAULT_READY_TIMEOUT, NatsServer, NatsServerBuilder};

/// The nats-server binary to use, in the project's lookup order (`MOTCUA_NATS_SERVER`, the
/// tools folder, `PATH`), refused when older than [`MINIMUM_VERSION`].
///
/// # Errors
/// [`TestkitError::Locate`]: not found, not executable, unreadable version, or too old; the
/// message says to run `tools/install-nats-server`.
pub fn find_nats_server() -> Result<PathBuf, TestkitError> {
    Ok(locate::find_in(&Lookup::from_env())?)
}

/// The version `path --version` reports.
///
/// # Errors
/// [`TestkitError::Locate`] when it cannot run or prints something else.
pub fn server_version(path: &Path) -> Result<ServerVersion, TestkitError> {
    Ok(locate::server_version(path)?)
}

/// Stops `child` as Ctrl-C would: SIGINT to its own pid only (so that it stops what it started
/// itself, such as its embedded nats-server), then up to `grace` for it to exit; after that it is
/// killed. Returns its exit status when it stopped on the signal, `None` when it had to be
/// killed. A child already reaped is not signalled again (its pid may belong to another process
/// by now).
///
/// # Errors
/// When `kill` cannot run or fails, or the child cannot be polled.
pub fn interrupt(child: &mut Child, grace: Duration) -> std::io::Result<Option<ExitStatus>> {
    if let Some(status) = child.try_wait()? {
        return Ok(Some(status));
    }
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status()?;
    if !sent.success() {
        return Err(std::io::Error::other(format!(
            "kill -INT {pid} failed: {sent}"
        )));
    }
    let started = Instant::now();
    while started.elapsed() < grace {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait()?;
    Ok(None)
}
