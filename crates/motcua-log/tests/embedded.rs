//! The embedded nats-server of `motcua up`, in a temporary data dir.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use motcua_log::embedded::{EmbeddedError, EmbeddedServer, ServerConfig};
use motcua_log::subject::dossier_stream;
use motcua_log::{EventLog, LogSettings, locate};
use tempfile::TempDir;

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test]
async fn streams_survive_a_graceful_stop_and_a_new_start_on_the_same_data_dir() {
    let data = TempDir::new().unwrap();
    let province = "79".parse().unwrap();
    let stream = dossier_stream(&province);

    let mut server = EmbeddedServer::start_in(data.path(), None).await.unwrap();
    assert_ne!(server.port(), 4222);
    assert_eq!(
        server.client_url(),
        format!("nats://127.0.0.1:{}", server.port())
    );
    let nats_dir = data.path().join("nats");
    assert_eq!(server.work_dir(), nats_dir);
    assert_eq!(server.store_dir(), nats_dir.join("jetstream-store"));
    let config = std::fs::read_to_string(nats_dir.join("nats-server.conf")).unwrap();
    assert!(config.contains("sync_interval: always"), "{config}");
    assert!(config.contains("listen: \"127.0.0.1:-1\""), "{config}");
    assert!(!config.contains("http"), "{config}");
    assert_eq!(server.http_port(), None);

    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    log.ensure_dossier_stream(&province).await.unwrap();
    log.jetstream().get_stream(&stream).await.unwrap();
    drop(log);

    let pid = server.pid().unwrap();
    server.stop_graceful().await.unwrap();

    assert_eq!(server.pid(), None);
    assert!(!server.is_running());
    assert!(!process_exists(pid), "process {pid} still exists");
    assert!(server.log_tail().contains("Server Exiting"));
    assert!(nats_dir.join("jetstream-store/jetstream").is_dir());
    drop(server);

    let server = EmbeddedServer::start_in(data.path(), None).await.unwrap();
    assert_ne!(server.pid(), Some(pid));
    // One log file for both runs; the second start reads only its own part.
    let whole_log = std::fs::read_to_string(server.log_path()).unwrap();
    assert_eq!(whole_log.matches("Server is ready").count(), 2);
    assert_eq!(server.current_log().matches("Server is ready").count(), 1);

    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let mut found = log.jetstream().get_stream(&stream).await.unwrap();
    assert_eq!(found.info().await.unwrap().config.name, stream);
    // Provisioning again finds the stream as it was left (no drift).
    log.ensure_dossier_stream(&province).await.unwrap();
}

#[tokio::test]
async fn drop_kills_the_process_and_keeps_the_data_dir() {
    let data = TempDir::new().unwrap();
    let server = EmbeddedServer::start_in(data.path(), None).await.unwrap();
    let pid = server.pid().unwrap();
    let url = server.client_url();

    drop(server);

    assert!(!process_exists(pid), "process {pid} still exists");
    assert!(data.path().join("nats/jetstream-store").is_dir());
    assert!(async_nats::connect(url).await.is_err());
}

#[tokio::test]
async fn a_second_server_on_a_running_data_dir_is_refused() {
    let data = TempDir::new().unwrap();
    let first = EmbeddedServer::start_in(data.path(), None).await.unwrap();

    let err = EmbeddedServer::start_in(data.path(), None)
        .await
        .unwrap_err();

    match err {
        EmbeddedError::AlreadyRunning { pid, .. } => assert_eq!(Some(pid), first.pid()),
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
}

#[tokio::test]
async fn a_taken_port_fails_fast_with_the_log_tail() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let data = TempDir::new().unwrap();

    let err = EmbeddedServer::start_in(data.path(), Some(port))
        .await
        .unwrap_err();

    assert!(matches!(err, EmbeddedError::Exited { .. }), "{err:?}");
    let tail = err.log_tail().unwrap();
    assert!(tail.contains("address already in use"), "{tail}");
}

#[tokio::test]
async fn kill_and_restart_keep_the_ports_with_monitoring_on() {
    let dir = TempDir::new().unwrap();
    let binary = locate::find_in(&locate::Lookup::from_env()).unwrap();
    let mut config = ServerConfig::new("mon", dir.path(), dir.path().join("store"));
    config.http_port = Some(0);
    config.sync_always = false;

    let mut server = EmbeddedServer::start(&binary, config).await.unwrap();
    let port = server.port();
    let http_port = server.http_port().unwrap();
    assert_ne!(http_port, 8222);
    assert_eq!(
        server.http_url().unwrap(),
        format!("http://127.0.0.1:{http_port}")
    );
    let rendered = std::fs::read_to_string(server.config_path()).unwrap();
    assert!(!rendered.contains("sync_interval"), "{rendered}");
    assert!(rendered.contains("http: \"127.0.0.1:-1\""), "{rendered}");
    let first_pid = server.pid();

    server.kill().unwrap();
    assert_eq!(server.pid(), None);
    server.restart().await.unwrap();

    assert_ne!(server.pid(), first_pid);
    assert_eq!(server.port(), port);
    assert_eq!(server.http_port(), Some(http_port));
    tokio::net::TcpStream::connect(("127.0.0.1", http_port))
        .await
        .unwrap();
    async_nats::connect(server.client_url()).await.unwrap();
}
