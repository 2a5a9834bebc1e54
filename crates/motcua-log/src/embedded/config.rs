//! What an embedded nats-server runs with, rendered to its config file on every start.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a start may take before it is reported as failed.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(15);

/// How long [`super::EmbeddedServer::stop_graceful`] waits after SIGTERM before killing.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The interface everything listens on unless configured otherwise: loopback only.
pub const DEFAULT_HOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The `server_name` of the server `motcua up` embeds.
pub const DATA_DIR_SERVER_NAME: &str = "motcua";

/// The folder below `--data-dir` holding the embedded server's config, log and store.
pub const DATA_DIR_NATS: &str = "nats";

/// The JetStream `store_dir`, below [`DATA_DIR_NATS`].
pub const DATA_DIR_STORE: &str = "jetstream-store";

/// Ready timeout of a data-dir server: recovering a large store can take a while (an exit is
/// still reported at once).
pub const DATA_DIR_READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Stop timeout of a data-dir server.
pub const DATA_DIR_STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The config file's name in the work dir.
const CONFIG_FILE: &str = "nats-server.conf";

/// The log file's name in the work dir (stdout and stderr of every start, appended).
const LOG_FILE: &str = "nats-server.log";

/// The pid file's name in the work dir (written by the server).
const PID_FILE: &str = "nats-server.pid";

/// One nats-server with JetStream; build it with [`ServerConfig::new`] or
/// [`ServerConfig::for_data_dir`], then adjust the public fields.
///
/// Ports: `None` (and `Some(0)`) let the server pick a free one (`-1` in the config; a literal
/// `0` would make nats-server fall back to its well-known default, 4222 for clients). Only the
/// client listener is on by default; monitoring and clustering only listen when configured, so
/// no well-known port is ever touched unless asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// `server_name`; in a cluster also the name JetStream reports as a stream's leader.
    pub server_name: String,
    /// The interface of every listener (default 127.0.0.1).
    pub host: IpAddr,
    /// Client port; `None` lets the server pick one, read back from its log and kept for
    /// restarts.
    pub client_port: Option<u16>,
    /// JetStream `store_dir` (the server keeps its files in `jetstream/` below it).
    pub store_dir: PathBuf,
    /// Where the config, log and pid files go.
    pub work_dir: PathBuf,
    /// `jetstream { sync_interval: always }`: fsync before every ack (default `true`, as in
    /// production); `false` leaves the server's lazy default (fsync every two minutes).
    pub sync_always: bool,
    /// The `cluster {}` block of a cluster member.
    pub cluster: Option<ClusterConfig>,
    /// The HTTP monitoring port (default off); `Some(0)` lets the server pick one.
    pub http_port: Option<u16>,
    /// How long a start may take, from launch to ready.
    pub ready_timeout: Duration,
    /// How long a graceful stop may take before the process is killed.
    pub stop_timeout: Duration,
    /// Runs the server in its own process group (Unix), so a Ctrl-C in the terminal reaches
    /// only the parent, which then stops the server in its own time. Default `false`: the
    /// server then dies with a test run interrupted by Ctrl-C.
    pub own_process_group: bool,
    /// Config files included at the end (`include "<path>"`), e.g. the accounts and users of
    /// `deploy/nats/accounts.conf`.
    pub includes: Vec<PathBuf>,
}

/// The `cluster {}` block of one member; routes are other members' route listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterConfig {
    /// The cluster's name (the same on every member).
    pub name: String,
    /// This member's route port (on the server's host); `0` lets the server pick one.
    pub port: u16,
    /// The other members' route addresses.
    pub routes: Vec<SocketAddr>,
}

impl ClusterConfig {
    /// A cluster block.
    #[must_use]
    pub fn new(name: impl Into<String>, port: u16, routes: Vec<SocketAddr>) -> Self {
        Self {
            name: name.into(),
            port,
            routes,
        }
    }
}

impl ServerConfig {
    /// A single node on 127.0.0.1 with a server-picked client port, `sync_interval: always`, no
    /// monitoring, and the default timeouts.
    #[must_use]
    pub fn new(
        server_name: impl Into<String>,
        work_dir: impl Into<PathBuf>,
        store_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            server_name: server_name.into(),
            host: DEFAULT_HOST,
            client_port: None,
            store_dir: store_dir.into(),
            work_dir: work_dir.into(),
            sync_always: true,
            cluster: None,
            http_port: None,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            own_process_group: false,
            includes: Vec::new(),
        }
    }

    /// The layout of `motcua up --data-dir`: config and log in `<data_dir>/nats/`, the store in
    /// `<data_dir>/nats/jetstream-store`, `sync_interval: always`, its own process group, and
    /// the longer [`DATA_DIR_READY_TIMEOUT`] and [`DATA_DIR_STOP_TIMEOUT`].
    #[must_use]
    pub fn for_data_dir(data_dir: &Path, client_port: Option<u16>) -> Self {
        let work_dir = data_dir.join(DATA_DIR_NATS);
        let store_dir = work_dir.join(DATA_DIR_STORE);
        let mut config = Self::new(DATA_DIR_SERVER_NAME, work_dir, store_dir);
        config.client_port = client_port;
        config.ready_timeout = DATA_DIR_READY_TIMEOUT;
        config.stop_timeout = DATA_DIR_STOP_TIMEOUT;
        config.own_process_group = true;
        config
    }

    /// `<work_dir>/nats-server.conf`, rewritten on every start.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.work_dir.join(CONFIG_FILE)
    }

    /// `<work_dir>/nats-server.log`: every start appends to it.
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.work_dir.join(LOG_FILE)
    }

    /// `<work_dir>/nats-server.pid`, written by the server.
    #[must_use]
    pub fn pid_path(&self) -> PathBuf {
        self.work_dir.join(PID_FILE)
    }

    /// The host clients connect to: the listen host, or loopback when it listens on every
    /// interface.
    #[must_use]
    pub fn connect_host(&self) -> IpAddr {
        match self.host {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            other => other,
        }
    }

    /// The config file text.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        // `write!` to a String cannot fail.
        let _ = writeln!(out, "server_name: {}", quote(&self.server_name));
        let _ = writeln!(
            out,
            "listen: {}",
            quote(&listen(self.host, self.client_port))
        );
        let _ = writeln!(
            out,
            "pid_file: {}",
            quote(&self.pid_path().to_string_lossy())
        );
        if let Some(port) = self.http_port {
            let _ = writeln!(out, "http: {}", quote(&listen(self.host, Some(port))));
        }
        let _ = writeln!(out, "jetstream {{");
        let _ = writeln!(
            out,
            "  store_dir: {}",
            quote(&self.store_dir.to_string_lossy())
        );
        if self.sync_always {
            let _ = writeln!(out, "  sync_interval: always");
        }
        let _ = writeln!(out, "}}");
        if let Some(cluster) = &self.cluster {
            let _ = writeln!(out, "cluster {{");
            let _ = writeln!(out, "  name: {}", quote(&cluster.name));
            let _ = writeln!(
                out,
                "  listen: {}",
                quote(&listen(self.host, Some(cluster.port)))
            );
            let _ = writeln!(out, "  routes: [");
            for route in &cluster.routes {
                let _ = writeln!(out, "    {}", quote(&format!("nats-route://{route}")));
            }
            let _ = writeln!(out, "  ]");
            let _ = writeln!(out, "}}");
        }
        for include in &self.includes {
            // nats-server resolves includes relative to the config file's folder only.
            let path = relative_to(&self.work_dir, include);
            let _ = writeln!(out, "include {}", quote(&path.to_string_lossy()));
        }
        out
    }
}

/// `target` as a path relative to the folder `base` (both absolute, or both relative to the same
/// folder); a relative `target` is taken as relative to `base` already.
fn relative_to(base: &Path, target: &Path) -> PathBuf {
    if !target.is_absolute() || !base.is_absolute() {
        return target.to_path_buf();
    }
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = target.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for part in &target[common..] {
        out.push(part.as_os_str());
    }
    out
}

/// `host:port` for a listener; no port or port 0 becomes `-1` (the server picks).
fn listen(host: IpAddr, port: Option<u16>) -> String {
    let port = match port {
        Some(p) if p != 0 => p.to_string(),
        _ => "-1".to_owned(),
    };
    match host {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// A double-quoted config string.
fn quote(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn includes_are_written_relative_to_the_config_folder() {
        use std::path::Path;
        assert_eq!(
            super::relative_to(Path::new("/tmp/x/nats"), Path::new("/tmp/x/accounts.conf")),
            Path::new("../accounts.conf")
        );
        assert_eq!(
            super::relative_to(Path::new("/a/b"), Path::new("/a/b/c.conf")),
            Path::new("c.conf")
        );
        assert_eq!(
            super::relative_to(Path::new("/a/b"), Path::new("accounts.conf")),
            Path::new("accounts.conf")
        );
    }

    use super::*;

    #[test]
    fn renders_single_node_with_fsync_and_random_port() {
        let config = ServerConfig::new("n1", "/tmp/x", "/tmp/x/store");
        assert_eq!(
            config.render(),
            "server_name: \"n1\"\n\
             listen: \"127.0.0.1:-1\"\n\
             pid_file: \"/tmp/x/nats-server.pid\"\n\
             jetstream {\n  store_dir: \"/tmp/x/store\"\n  sync_interval: always\n}\n"
        );
    }

    #[test]
    fn renders_cluster_member_without_fsync() {
        let mut config = ServerConfig::new("n2", "/w", "/s");
        config.client_port = Some(4000);
        config.sync_always = false;
        config.cluster = Some(ClusterConfig::new(
            "c",
            5000,
            vec![
                "127.0.0.1:5001".parse().unwrap(),
                "127.0.0.1:5002".parse().unwrap(),
            ],
        ));
        let text = config.render();
        assert!(text.contains("listen: \"127.0.0.1:4000\""), "{text}");
        assert!(!text.contains("sync_interval"), "{text}");
        assert!(text.contains("  listen: \"127.0.0.1:5000\""), "{text}");
        assert!(text.contains("\"nats-route://127.0.0.1:5001\""), "{text}");
        assert!(text.contains("\"nats-route://127.0.0.1:5002\""), "{text}");
    }

    #[test]
    fn port_zero_never_means_the_well_known_port() {
        let mut config = ServerConfig::new("n", "/w", "/s");
        config.client_port = Some(0);
        config.http_port = Some(0);
        config.cluster = Some(ClusterConfig::new("c", 0, vec![]));
        let text = config.render();
        assert!(text.contains("listen: \"127.0.0.1:-1\""), "{text}");
        assert!(text.contains("http: \"127.0.0.1:-1\""), "{text}");
        assert!(text.contains("  listen: \"127.0.0.1:-1\""), "{text}");
        assert!(!text.contains(":0\""), "{text}");
    }

    #[test]
    fn monitoring_is_off_by_default_and_only_on_the_host() {
        let mut config = ServerConfig::new("n", "/w", "/s");
        assert!(!config.render().contains("http"));
        config.http_port = Some(18222);
        assert!(config.render().contains("http: \"127.0.0.1:18222\""));
    }

    #[test]
    fn ipv6_and_unspecified_hosts() {
        let mut config = ServerConfig::new("n", "/w", "/s");
        config.host = "::1".parse().unwrap();
        assert!(config.render().contains("listen: \"[::1]:-1\""));
        assert_eq!(config.connect_host(), "::1".parse::<IpAddr>().unwrap());
        config.host = "0.0.0.0".parse().unwrap();
        assert_eq!(config.connect_host(), DEFAULT_HOST);
        config.host = "::".parse().unwrap();
        assert_eq!(config.connect_host(), IpAddr::V6(Ipv6Addr::LOCALHOST));
    }

    #[test]
    fn data_dir_layout() {
        let config = ServerConfig::for_data_dir(Path::new("/var/lib/motcua"), Some(14222));
        assert_eq!(config.work_dir, Path::new("/var/lib/motcua/nats"));
        assert_eq!(
            config.store_dir,
            Path::new("/var/lib/motcua/nats/jetstream-store")
        );
        assert_eq!(
            config.config_path(),
            Path::new("/var/lib/motcua/nats/nats-server.conf")
        );
        assert_eq!(
            config.log_path(),
            Path::new("/var/lib/motcua/nats/nats-server.log")
        );
        assert!(config.sync_always);
        assert!(config.own_process_group);
        assert_eq!(config.http_port, None);
        assert_eq!(config.client_port, Some(14222));
        assert_eq!(config.server_name, DATA_DIR_SERVER_NAME);
    }

    #[test]
    fn quotes_escape_backslashes_and_quotes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
