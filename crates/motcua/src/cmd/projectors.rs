//! The projectors `motcua up` runs: one per province stream, found at start and every few
//! seconds after, each with its own sled directory under `<data-dir>/views/<province>`.
//!
//! Each runs under a supervisor: when it stops on an error (the data disk full or read-only, a
//! sled error, a panic in a blocking task), its views leave the API (queries answer 503
//! `views_unavailable`, `/readyz` says why), every handle on its sled files is dropped, and it is
//! started again after a growing pause (1 s up to 30 s). The start reopens the files and checks
//! them against the stream, rebuilding them when they fail the checks, so the views come back
//! by themselves once the disk does. A failed batch was never acknowledged nor durably
//! checkpointed: the restart applies it again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use motcua_api::NodeHealth;
use motcua_domain::Reference;
use motcua_domain::units::UnitCode;
use motcua_log::EventLog;
use motcua_views::{Projector, ProjectorConfig, ProjectorStats, Shard};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use motcua_api::ViewsByProvince;

/// The first pause before a failed projector is started again; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// Runs and supervises the projectors.
#[derive(Debug)]
pub struct Projectors {
    log: EventLog,
    reference: Arc<Reference>,
    root: PathBuf,
    views: ViewsByProvince,
    health: NodeHealth,
    started: std::collections::BTreeSet<UnitCode>,
    stop: watch::Receiver<bool>,
    tasks: JoinSet<()>,
}

impl Projectors {
    /// Projectors storing under `root`, stopping when `stop` turns true, reporting to `health`.
    pub fn new(
        log: EventLog,
        reference: Arc<Reference>,
        root: PathBuf,
        health: NodeHealth,
        stop: watch::Receiver<bool>,
    ) -> Projectors {
        Projectors {
            log,
            reference,
            root,
            views: Arc::default(),
            health,
            started: Default::default(),
            stop,
            tasks: JoinSet::new(),
        }
    }

    /// The views, shared with the API.
    pub fn views(&self) -> ViewsByProvince {
        self.views.clone()
    }

    /// Starts the projector of a province unless it runs already (its first start, with any
    /// self-heal, is awaited; later restarts happen in the background).
    pub async fn ensure(&mut self, province: &UnitCode) -> anyhow::Result<()> {
        if self.started.contains(province) {
            return Ok(());
        }
        let stats = Arc::new(ProjectorStats::default());
        self.health.add_projector(province.clone(), stats.clone());
        let one = One {
            log: self.log.clone(),
            reference: self.reference.clone(),
            config: ProjectorConfig::new(
                Shard::province(province.clone()),
                self.root.join(province.as_str()),
            ),
            stats,
            views: self.views.clone(),
        };
        let projector = match one.start().await {
            Ok(p) => p,
            Err(e) => {
                one.stats.fail(e.to_string());
                return Err(e);
            }
        };
        self.started.insert(province.clone());
        self.tasks
            .spawn(one.supervise(projector, self.stop.clone()));
        Ok(())
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

/// One province's projector and what its supervisor needs to start it again.
struct One {
    log: EventLog,
    reference: Arc<Reference>,
    config: ProjectorConfig,
    stats: Arc<ProjectorStats>,
    views: ViewsByProvince,
}

impl One {
    fn province(&self) -> &UnitCode {
        &self.config.shard.province
    }

    /// Starts the projector and shows its views to the API.
    async fn start(&self) -> anyhow::Result<Projector> {
        let projector = Projector::start_with_stats(
            self.log.clone(),
            self.reference.clone(),
            self.config.clone(),
            self.stats.clone(),
        )
        .await?;
        if let Some(heal) = projector.healed() {
            tracing::warn!(province = %self.province(), report = ?heal, "views rebuilt from the stream");
        }
        self.views
            .write()
            .map_err(|_| anyhow::anyhow!("the views map is poisoned"))?
            .insert(self.province().clone(), projector.views().clone());
        Ok(projector)
    }

    /// Takes the views away from the API, so that the last handle on the sled files goes with
    /// the projector and they can be opened again.
    fn withdraw(&self) {
        let mut map = match self.views.write() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.remove(self.province());
    }

    /// Runs the projector until `stop`; starts it again after every failure.
    async fn supervise(self, mut projector: Projector, mut stop: watch::Receiver<bool>) {
        let mut pause = FIRST_PAUSE;
        loop {
            let mut stop_run = stop.clone();
            let shutdown = async move {
                let _ = stop_run.wait_for(|s| *s).await;
            };
            match projector.run(shutdown).await {
                Ok(()) => return,
                Err(e) => tracing::error!(
                    province = %self.province(),
                    error = %e,
                    code = e.code(),
                    "projector stopped; it starts again by itself"
                ),
            }
            self.withdraw();
            drop(projector);
            projector = loop {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                pause = (pause * 2).min(MAX_PAUSE);
                self.stats.restarting();
                match self.start().await {
                    Ok(p) => {
                        tracing::info!(province = %self.province(), "projector started again");
                        pause = FIRST_PAUSE;
                        break p;
                    }
                    Err(e) => {
                        tracing::warn!(
                            province = %self.province(),
                            error = %e,
                            retry_in_s = pause.as_secs(),
                            "projector could not start again"
                        );
                        self.stats.fail(e.to_string());
                    }
                }
            };
        }
    }
}
