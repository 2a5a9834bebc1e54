//! The projectors `motcua up` runs: one per province stream, found at start and every few
//! seconds after, each with its own sled directory under `<data-dir>/views/<province>`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use motcua_domain::Reference;
use motcua_domain::units::UnitCode;
use motcua_log::EventLog;
use motcua_views::{Projector, ProjectorConfig, Shard};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use motcua_api::ViewsByProvince;

/// Runs and supervises the projectors.
#[derive(Debug)]
pub struct Projectors {
    log: EventLog,
    reference: Arc<Reference>,
    root: PathBuf,
    views: ViewsByProvince,
    stop: watch::Receiver<bool>,
    tasks: JoinSet<()>,
}

impl Projectors {
    /// Projectors storing under `root`, stopping when `stop` turns true.
    pub fn new(
        log: EventLog,
        reference: Arc<Reference>,
        root: PathBuf,
        stop: watch::Receiver<bool>,
    ) -> Projectors {
        Projectors {
            log,
            reference,
            root,
            views: Arc::default(),
            stop,
            tasks: JoinSet::new(),
        }
    }

    /// The views, shared with the API.
    pub fn views(&self) -> ViewsByProvince {
        self.views.clone()
    }

    /// Starts the projector of a province unless it runs already.
    pub async fn ensure(&mut self, province: &UnitCode) -> anyhow::Result<()> {
        if self.running(province) {
            return Ok(());
        }
        let path = self.root.join(province.as_str());
        let config = ProjectorConfig::new(Shard::province(province.clone()), path);
        let projector = Projector::start(self.log.clone(), self.reference.clone(), config).await?;
        if let Some(heal) = projector.healed() {
            tracing::warn!(province = %province, report = ?heal, "views rebuilt from the stream");
        }
        self.views
            .write()
            .map_err(|_| anyhow::anyhow!("the views map is poisoned"))?
            .insert(province.clone(), projector.views().clone());
        let mut stop = self.stop.clone();
        let province = province.clone();
        self.tasks.spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = projector.run(shutdown).await {
                tracing::error!(province = %province, error = %e, "projector stopped");
            }
        });
        Ok(())
    }

    fn running(&self, province: &UnitCode) -> bool {
        self.views
            .read()
            .map(|v| v.contains_key(province))
            .unwrap_or(false)
    }

    /// Starts projectors for every province stream on the server.
    pub async fn discover(&mut self) -> anyhow::Result<()> {
        for province in self.log.dossier_provinces().await? {
            self.ensure(&province).await?;
        }
        Ok(())
    }

    /// Discovers new province streams every `every` until stopped, then waits for the
    /// projectors to finish their batch.
    pub async fn supervise(mut self, every: Duration) {
        let mut stop = self.stop.clone();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {
                    if let Err(e) = self.discover().await {
                        tracing::warn!(error = %e, "could not look for new province streams");
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        while self.tasks.join_next().await.is_some() {}
    }
}
