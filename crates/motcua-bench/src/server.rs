//! The nats-servers of a benchmark: the pinned binary, a fresh store per measurement, free
//! loopback ports, stopped (killed) when dropped.

use std::path::{Path, PathBuf};

use motcua_log::embedded::{EmbeddedServer, ServerConfig};
use motcua_log::locate::{self, Lookup};

use crate::{BenchError, Setting};

/// One running nats-server.
#[derive(Debug)]
pub struct BenchServer {
    server: EmbeddedServer,
    setting: Setting,
}

impl BenchServer {
    /// Starts a single node with its store in `dir` (created), durable or not.
    pub async fn start(dir: &Path, setting: Setting) -> Result<BenchServer, BenchError> {
        let binary = locate::find_in(&Lookup::from_env())
            .map_err(|e| BenchError::Failed(format!("nats-server: {e}")))?;
        let mut config = ServerConfig::new(
            format!("bench-{}", setting.label()),
            dir.to_path_buf(),
            dir.join("jetstream"),
        );
        config.sync_always = setting.sync_always();
        let server = EmbeddedServer::start(binary, config).await?;
        Ok(BenchServer { server, setting })
    }

    /// The client URL.
    pub fn url(&self) -> String {
        self.server.client_url()
    }

    /// The server process's id (for its memory and CPU).
    pub fn pid(&self) -> Option<u32> {
        self.server.pid()
    }

    /// The JetStream store directory (for disk usage).
    pub fn store_dir(&self) -> PathBuf {
        self.server.store_dir().to_path_buf()
    }

    /// Its durability setting.
    pub fn setting(&self) -> Setting {
        self.setting
    }

    /// Kills it now (it is also killed when dropped).
    pub fn kill(&mut self) -> Result<(), BenchError> {
        Ok(self.server.kill()?)
    }
}
