//! nats-server configuration files for test nodes.

use std::fmt::Write as _;
use std::path::Path;

/// What one test node runs with; rendered to a nats-server config file on every start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeConfig {
    /// `server_name`; in a cluster also the name JetStream reports as a stream's leader.
    pub server_name: String,
    /// Client port; `None` lets the server pick one (`-1`), read back from its log.
    pub client_port: Option<u16>,
    /// `jetstream { sync_interval: always }`: fsync before every ack.
    pub sync_always: bool,
    /// Present for a cluster member.
    pub cluster: Option<ClusterConfig>,
}

/// The `cluster {}` block of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClusterConfig {
    /// The cluster's name (the same on every member).
    pub name: String,
    /// This member's route port.
    pub port: u16,
    /// The other members' route ports.
    pub routes: Vec<u16>,
}

impl NodeConfig {
    /// The config file text, with JetStream storing under `store_dir`.
    ///
    /// Everything listens on 127.0.0.1 only; nothing here uses a well-known port.
    pub(crate) fn render(&self, store_dir: &Path) -> String {
        let mut out = String::new();
        let port = self
            .client_port
            .map_or_else(|| "-1".to_owned(), |p| p.to_string());
        // `write!` to a String cannot fail.
        let _ = writeln!(out, "server_name: {}", quote(&self.server_name));
        let _ = writeln!(out, "listen: \"127.0.0.1:{port}\"");
        let _ = writeln!(out, "jetstream {{");
        let _ = writeln!(out, "  store_dir: {}", quote(&store_dir.to_string_lossy()));
        if self.sync_always {
            let _ = writeln!(out, "  sync_interval: always");
        }
        let _ = writeln!(out, "}}");
        if let Some(cluster) = &self.cluster {
            let _ = writeln!(out, "cluster {{");
            let _ = writeln!(out, "  name: {}", quote(&cluster.name));
            let _ = writeln!(out, "  listen: \"127.0.0.1:{}\"", cluster.port);
            let _ = writeln!(out, "  routes: [");
            for route in &cluster.routes {
                let _ = writeln!(out, "    \"nats-route://127.0.0.1:{route}\"");
            }
            let _ = writeln!(out, "  ]");
            let _ = writeln!(out, "}}");
        }
        out
    }
}

/// A double-quoted config string.
fn quote(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_single_node_with_fsync_and_random_port() {
        let config = NodeConfig {
            server_name: "n1".into(),
            client_port: None,
            sync_always: true,
            cluster: None,
        };
        let text = config.render(Path::new("/tmp/x/store"));
        assert_eq!(
            text,
            "server_name: \"n1\"\n\
             listen: \"127.0.0.1:-1\"\n\
             jetstream {\n  store_dir: \"/tmp/x/store\"\n  sync_interval: always\n}\n"
        );
    }

    #[test]
    fn renders_cluster_member_without_fsync() {
        let config = NodeConfig {
            server_name: "n2".into(),
            client_port: Some(4000),
            sync_always: false,
            cluster: Some(ClusterConfig {
                name: "c".into(),
                port: 5000,
                routes: vec![5001, 5002],
            }),
        };
        let text = config.render(Path::new("/s"));
        assert!(text.contains("listen: \"127.0.0.1:4000\""), "{text}");
        assert!(!text.contains("sync_interval"), "{text}");
        assert!(text.contains("  listen: \"127.0.0.1:5000\""), "{text}");
        assert!(text.contains("\"nats-route://127.0.0.1:5001\""), "{text}");
        assert!(text.contains("\"nats-route://127.0.0.1:5002\""), "{text}");
    }

    #[test]
    fn quotes_escape_backslashes_and_quotes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
