//! A JetStream cluster of nats-server processes on loopback.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use motcua_log::embedded::ClusterConfig;
use tokio::time::{Instant, sleep};

use crate::error::TestkitError;
use crate::server::{NatsServer, node_config, resolve_binary, temp_dir};

/// How long a cluster may take to form (every node up, JetStream meta leader elected).
pub const DEFAULT_CLUSTER_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The `cluster { name }` of every test cluster.
const CLUSTER_NAME: &str = "motcua-test";

/// The stream created (and deleted) to prove the cluster places replicated streams.
const PROBE_STREAM: &str = "TESTKIT_PROBE";

/// Timeout of each JetStream API request while polling.
const PROBE_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Attempts at starting a cluster whose pre-picked ports were taken meanwhile.
const PORT_ATTEMPTS: usize = 3;

/// A JetStream cluster of 1 to 5 nats-server processes on 127.0.0.1.
///
/// Node `i` (from 0) has `server_name` `n{i+1}`, its own temporary store, and client and route
/// ports picked up front, kept across [`NatsCluster::restart_node`]. Every node runs with
/// `sync_interval: always` unless the builder says otherwise. Dropping the cluster kills every
/// node and removes their directories.
#[derive(Debug)]
pub struct NatsCluster {
    nodes: Vec<NatsServer>,
}

/// Options for [`NatsCluster`]; start with [`NatsCluster::builder`].
#[derive(Debug, Clone)]
pub struct NatsClusterBuilder {
    size: usize,
    binary: Option<PathBuf>,
    sync_always: bool,
    ready_timeout: Duration,
}

impl NatsClusterBuilder {
    /// Uses this binary instead of the lookup of [`crate::find_nats_server`].
    #[must_use]
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// `sync_interval: always` on every node (default `true`).
    #[must_use]
    pub fn sync_always(mut self, on: bool) -> Self {
        self.sync_always = on;
        self
    }

    /// How long forming the cluster may take (default [`DEFAULT_CLUSTER_READY_TIMEOUT`]); also
    /// the bound of [`NatsCluster::restart_node`].
    #[must_use]
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Starts every node and waits until the cluster places a stream replicated on all of them.
    ///
    /// # Errors
    /// [`TestkitError::ClusterSize`] outside 1..=5; otherwise as [`crate::NatsServerBuilder::start`],
    /// or [`TestkitError::NotReady`] with every node's log tail when the cluster does not form.
    pub async fn start(self) -> Result<NatsCluster, TestkitError> {
        if !(1..=5).contains(&self.size) {
            return Err(TestkitError::ClusterSize(self.size));
        }
        let binary = resolve_binary(self.binary.clone())?;
        let mut attempt = 1;
        loop {
            match self.try_start(&binary).await {
                // Ports are picked before the servers bind them; another process may take one.
                Err(TestkitError::Exited { log_tail, .. })
                    if attempt < PORT_ATTEMPTS && log_tail.contains("address already in use") =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_start(&self, binary: &std::path::Path) -> Result<NatsCluster, TestkitError> {
        let ports = free_ports(2 * self.size)
            .map_err(|e| TestkitError::io("picking free loopback ports", e))?;
        let (client_ports, route_ports) = ports.split_at(self.size);
        let deadline = Instant::now() + self.ready_timeout;
        let mut nodes = Vec::with_capacity(self.size);
        // Launch all before waiting: a member only finishes forming with its peers up.
        for i in 0..self.size {
            let routes = route_ports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, port)| SocketAddr::from((Ipv4Addr::LOCALHOST, *port)))
                .collect();
            let dir = temp_dir()?;
            let mut config = node_config(&dir, node_name(i), self.ready_timeout);
            config.client_port = Some(client_ports[i]);
            config.sync_always = self.sync_always;
            config.cluster = Some(ClusterConfig::new(CLUSTER_NAME, route_ports[i], routes));
            nodes.push(NatsServer::launch(binary.to_path_buf(), dir, config)?);
        }
        let mut cluster = NatsCluster { nodes };
        for node in &mut cluster.nodes {
            node.wait_ready().await?;
        }
        for i in 0..cluster.size() {
            cluster.wait_node_joined(i, deadline).await?;
        }
        cluster.wait_replicated_probe(deadline).await?;
        Ok(cluster)
    }
}

impl NatsCluster {
    /// Starts a cluster of `size` nodes with the defaults (`sync_interval: always`).
    ///
    /// # Errors
    /// As [`NatsClusterBuilder::start`].
    pub async fn start(size: usize) -> Result<Self, TestkitError> {
        Self::builder(size).start().await
    }

    /// Options for a cluster of `size` nodes.
    #[must_use]
    pub fn builder(size: usize) -> NatsClusterBuilder {
        NatsClusterBuilder {
            size,
            binary: None,
            sync_always: true,
            ready_timeout: DEFAULT_CLUSTER_READY_TIMEOUT,
        }
    }

    /// The number of nodes.
    #[must_use]
    pub fn size(&self) -> usize {
        self.nodes.len()
    }

    /// Every node's client URL, in node order; pass it to `async_nats::connect` as is (a `Vec`
    /// is a server list there; a comma-joined `&str` is not).
    #[must_use]
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(NatsServer::client_url).collect()
    }

    /// The client URLs joined by commas, as the `nats` CLI and config files take them.
    #[must_use]
    pub fn url_list(&self) -> String {
        self.urls().join(",")
    }

    /// Node `index` (from 0; its `server_name` is `n{index+1}`).
    ///
    /// # Panics
    /// When `index` is not below [`NatsCluster::size`], like slice indexing.
    #[must_use]
    pub fn node(&self, index: usize) -> &NatsServer {
        &self.nodes[index]
    }

    /// All nodes, in order.
    #[must_use]
    pub fn nodes(&self) -> &[NatsServer] {
        &self.nodes
    }

    /// The index of the node with this `server_name`.
    #[must_use]
    pub fn node_index(&self, server_name: &str) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.server_name() == server_name)
    }

    /// Connects a client to every node's URL (it fails over between them).
    ///
    /// # Errors
    /// [`TestkitError::Nats`] when no node accepts the connection.
    pub async fn connect(&self) -> Result<async_nats::Client, TestkitError> {
        connect_to(&self.urls()).await
    }

    /// Kills node `index` with SIGKILL.
    ///
    /// # Errors
    /// [`TestkitError::NoSuchNode`], or as [`NatsServer::kill`].
    pub fn kill_node(&mut self, index: usize) -> Result<(), TestkitError> {
        self.node_mut(index)?.kill()
    }

    /// Restarts node `index` on its old ports and store (killing it first if it runs), and waits
    /// until it has rejoined: it knows the JetStream meta leader and answers JetStream requests.
    /// Its streams may still be catching up: see [`NatsCluster::wait_for_stream_current`].
    ///
    /// # Errors
    /// [`TestkitError::NoSuchNode`], or as [`NatsServer::restart`], or
    /// [`TestkitError::NotReady`] when it does not rejoin in time.
    pub async fn restart_node(&mut self, index: usize) -> Result<(), TestkitError> {
        let node = self.node_mut(index)?;
        let deadline = Instant::now() + node.ready_timeout();
        node.restart().await?;
        self.wait_node_joined(index, deadline).await
    }

    /// The index of the node that currently leads `stream`, or `None` when there is none (an
    /// election is under way, the stream does not exist, or no node answers).
    pub async fn stream_leader(&self, stream: &str) -> Option<usize> {
        let info = self.stream_info(stream).await.ok()?;
        let leader = info.cluster?.leader?;
        let index = self.node_index(&leader)?;
        // A stale answer could name a node we have killed.
        self.nodes[index].pid().map(|_| index)
    }

    /// Waits until `stream` has a leader among the running nodes and returns its index.
    ///
    /// # Errors
    /// [`TestkitError::NotReady`] after `timeout`.
    pub async fn wait_for_stream_leader(
        &self,
        stream: &str,
        timeout: Duration,
    ) -> Result<usize, TestkitError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(index) = self.stream_leader(stream).await {
                return Ok(index);
            }
            if Instant::now() >= deadline {
                return Err(self.not_ready(timeout, format!("a leader for stream {stream}")));
            }
            sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until `stream` has a leader and every other replica is online and current (caught
    /// up), e.g. after [`NatsCluster::restart_node`].
    ///
    /// # Errors
    /// [`TestkitError::NotReady`] after `timeout`, naming the last state seen.
    pub async fn wait_for_stream_current(
        &self,
        stream: &str,
        timeout: Duration,
    ) -> Result<(), TestkitError> {
        let deadline = Instant::now() + timeout;
        loop {
            let state = match self.stream_info(stream).await {
                Ok(info) => match info.cluster {
                    Some(cluster) => {
                        let expected = info.config.num_replicas.max(1) - 1;
                        let lagging: Vec<String> = cluster
                            .replicas
                            .iter()
                            .filter(|r| !r.current || r.offline)
                            .map(|r| r.name.clone())
                            .collect();
                        if cluster.leader.is_some()
                            && cluster.replicas.len() == expected
                            && lagging.is_empty()
                        {
                            return Ok(());
                        }
                        format!(
                            "leader {:?}, {} of {expected} other replicas listed, not current: {lagging:?}",
                            cluster.leader,
                            cluster.replicas.len()
                        )
                    }
                    None => "no cluster info in the stream info".to_owned(),
                },
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(self.not_ready(
                    timeout,
                    format!("every replica of stream {stream} current (last: {state})"),
                ));
            }
            sleep(POLL_INTERVAL).await;
        }
    }

    fn node_mut(&mut self, index: usize) -> Result<&mut NatsServer, TestkitError> {
        let size = self.size();
        self.nodes
            .get_mut(index)
            .ok_or(TestkitError::NoSuchNode { index, size })
    }

    /// Stream info through the nodes we hold a process for.
    async fn stream_info(&self, stream: &str) -> Result<stream::Info, TestkitError> {
        let urls: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.pid().is_some())
            .map(NatsServer::client_url)
            .collect();
        let client = connect_to(&urls).await?;
        let mut js = jetstream::new(client);
        js.set_timeout(PROBE_REQUEST_TIMEOUT);
        let found = js
            .get_stream(stream)
            .await
            .map_err(|e| TestkitError::nats(format!("stream info of {stream}"), e))?;
        Ok(found.cached_info().clone())
    }

    /// Waits until node `index` has contact with a JetStream meta leader and answers a
    /// JetStream request itself.
    ///
    /// The account-info request alone is not enough: a node answers it locally right after
    /// starting, before it has rejoined the meta group. Nor does any client request tell
    /// whether this very node knows the leader, so the node's own log is the witness: every
    /// node logs `JetStream cluster new metadata leader: <name>/<cluster>` when it learns the
    /// leader, or `Self is new JetStream cluster metadata leader` when elected (2.9 to 2.14).
    async fn wait_node_joined(&self, index: usize, deadline: Instant) -> Result<(), TestkitError> {
        let node = &self.nodes[index];
        let url = node.client_url();
        loop {
            let log = node.current_log();
            let last = if !knows_meta_leader(&log) {
                "no JetStream meta leader in the node's log yet".to_owned()
            } else {
                let options = async_nats::ConnectOptions::new()
                    .connection_timeout(PROBE_REQUEST_TIMEOUT)
                    // Ask this node, not a peer it would advertise.
                    .ignore_discovered_servers();
                match options.connect(url.as_str()).await {
                    Ok(client) => {
                        let mut js = jetstream::new(client);
                        js.set_timeout(PROBE_REQUEST_TIMEOUT);
                        match js.query_account().await {
                            Ok(_) => return Ok(()),
                            Err(e) => e.to_string(),
                        }
                    }
                    Err(e) => e.to_string(),
                }
            };
            if Instant::now() >= deadline {
                return Err(self.not_ready(
                    node.ready_timeout(),
                    format!("{} to join JetStream ({last})", node.server_name()),
                ));
            }
            sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until a stream replicated on every node can be created, then deletes it.
    async fn wait_replicated_probe(&self, deadline: Instant) -> Result<(), TestkitError> {
        let client = connect_to(&self.urls()).await?;
        let mut js = jetstream::new(client);
        js.set_timeout(PROBE_REQUEST_TIMEOUT);
        let config = stream::Config {
            name: PROBE_STREAM.to_owned(),
            subjects: vec!["testkit.probe".to_owned()],
            num_replicas: self.size(),
            storage: stream::StorageType::Memory,
            ..Default::default()
        };
        loop {
            let last = match js.create_stream(config.clone()).await {
                Ok(_) => {
                    return js
                        .delete_stream(PROBE_STREAM)
                        .await
                        .map(|_| ())
                        .map_err(|e| TestkitError::nats("deleting the probe stream", e));
                }
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                let timeout = self
                    .nodes
                    .first()
                    .map_or(DEFAULT_CLUSTER_READY_TIMEOUT, NatsServer::ready_timeout);
                return Err(self.not_ready(
                    timeout,
                    format!(
                        "an R{} probe stream to be created (last error: {last})",
                        self.size()
                    ),
                ));
            }
            sleep(POLL_INTERVAL).await;
        }
    }

    fn not_ready(&self, timeout: Duration, waiting_for: String) -> TestkitError {
        let log_tail = self
            .nodes
            .iter()
            .map(|n| format!("--- {} ---\n{}", n.server_name(), n.log_tail()))
            .collect::<Vec<_>>()
            .join("\n");
        TestkitError::NotReady {
            server: format!("cluster {CLUSTER_NAME}"),
            timeout,
            waiting_for,
            log_tail,
        }
    }
}

/// Whether a node's log shows it knows the JetStream meta leader (see `wait_node_joined`).
fn knows_meta_leader(log: &str) -> bool {
    log.contains("JetStream cluster new metadata leader")
        || log.contains("Self is new JetStream cluster metadata leader")
}

fn node_name(index: usize) -> String {
    format!("n{}", index + 1)
}

async fn connect_to(urls: &[String]) -> Result<async_nats::Client, TestkitError> {
    if urls.is_empty() {
        return Err(TestkitError::nats(
            "connecting to the cluster",
            std::io::Error::other("no node is running"),
        ));
    }
    async_nats::ConnectOptions::new()
        .connection_timeout(PROBE_REQUEST_TIMEOUT)
        .connect(urls)
        .await
        .map_err(|e| TestkitError::nats(format!("connecting to {}", urls.join(",")), e))
}

/// `n` distinct free ports on 127.0.0.1: all bound at once (so they differ), then released for
/// the servers to bind.
fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_and_not_well_known() {
        let ports = free_ports(6).unwrap();
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 6);
        assert!(ports.iter().all(|p| *p > 1024 && *p != 4222));
    }

    #[test]
    fn meta_leader_lines_of_2_14() {
        let follower = "[14838] 2026/11/23 16:52:17.003294 [WRN] JetStream has not established contact with a meta leader\n\
                        [14838] 2026/11/23 16:52:17.382574 [INF] JetStream cluster new metadata leader: n3/motcua-test\n";
        let leader = "[14061] 2026/11/23 16:52:06.494427 [INF] Self is new JetStream cluster metadata leader\n";
        let waiting = "[14838] 2026/11/23 16:52:17.003294 [WRN] JetStream has not established contact with a meta leader\n";
        assert!(knows_meta_leader(follower));
        assert!(knows_meta_leader(leader));
        assert!(!knows_meta_leader(waiting));
    }

    #[test]
    fn node_names_start_at_n1() {
        assert_eq!(node_name(0), "n1");
        assert_eq!(node_name(2), "n3");
    }
}
