//! A single real nats-server: start, store, kill, restart, stop, drop.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use motcua_testkit::NatsServer;
use tokio::time::{Instant, sleep};

const STREAM: &str = "DOSSIERS";

fn file_stream() -> stream::Config {
    stream::Config {
        name: STREAM.to_owned(),
        subjects: vec!["motcua.dossier.>".to_owned()],
        storage: stream::StorageType::File,
        ..Default::default()
    }
}

fn subject(i: u64) -> String {
    format!("motcua.dossier.79.d{i}")
}

fn payload(i: u64) -> String {
    format!("event {i}")
}

async fn publish_acked(js: &jetstream::Context, i: u64) -> u64 {
    js.publish(subject(i), payload(i).into())
        .await
        .expect("publish is sent")
        .await
        .expect("publish is acked")
        .sequence
}

async fn assert_messages(js: &jetstream::Context, count: u64) {
    let mut stream = js.get_stream(STREAM).await.expect("stream exists");
    let info = stream.info().await.expect("stream info");
    assert_eq!(info.state.messages, count);
    for i in 1..=count {
        let message = stream.get_raw_message(i).await.expect("message is stored");
        assert_eq!(message.subject.as_str(), subject(i));
        assert_eq!(message.payload, payload(i).as_bytes());
    }
}

#[tokio::test]
async fn single_node_stores_in_a_file_stream_and_reads_back() {
    let server = NatsServer::start_single().await.unwrap();

    assert_ne!(server.port(), 4222);
    assert_eq!(
        server.client_url(),
        format!("nats://127.0.0.1:{}", server.port())
    );
    assert!(server.pid().is_some());
    let config = std::fs::read_to_string(server.config_path()).unwrap();
    assert!(config.contains("sync_interval: always"), "{config}");
    assert!(server.log_tail().contains("Server is ready"));

    let js = jetstream::new(server.connect().await.unwrap());
    js.create_stream(file_stream()).await.unwrap();
    for i in 1..=10 {
        assert_eq!(publish_acked(&js, i).await, i);
    }

    assert_messages(&js, 10).await;
    assert!(server.store_dir().join("jetstream").is_dir());
}

#[tokio::test]
async fn kill_and_restart_keep_the_data_and_the_port() {
    let mut server = NatsServer::start_single().await.unwrap();
    let port = server.port();
    let first_pid = server.pid();
    let client = server.connect().await.unwrap();
    let js = jetstream::new(client.clone());
    js.create_stream(file_stream()).await.unwrap();
    for i in 1..=5 {
        publish_acked(&js, i).await;
    }

    server.kill().unwrap();
    assert_eq!(server.pid(), None);
    assert!(!server.is_running());
    server.restart().await.unwrap();

    assert_eq!(server.port(), port);
    assert!(server.pid().is_some());
    assert_ne!(server.pid(), first_pid);
    // The client connected before the kill reconnects to the same port by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut js = jetstream::new(client);
    js.set_timeout(Duration::from_secs(2));
    let sequence = loop {
        let attempt = async {
            js.publish_with_headers(subject(6), msg_id("six"), payload(6).into())
                .await?
                .await
        };
        match attempt.await {
            Ok(ack) => break ack.sequence,
            Err(_) if Instant::now() < deadline => sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("no ack after restart: {e}\n{}", server.log_tail()),
        }
    };
    assert_eq!(sequence, 6);
    assert_messages(&js, 6).await;
}

fn msg_id(id: &str) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", id);
    headers
}

#[tokio::test]
async fn graceful_stop_shuts_the_server_down_cleanly() {
    let mut server = NatsServer::start_single().await.unwrap();

    server.stop_graceful().await.unwrap();

    assert_eq!(server.pid(), None);
    let log = server.log_tail();
    assert!(log.contains("Server Exiting"), "{log}");
    // And it comes back on the same port.
    let port = server.port();
    server.restart().await.unwrap();
    assert_eq!(server.port(), port);
    server.connect().await.unwrap();
}

#[tokio::test]
async fn builder_options_fixed_port_and_lazy_fsync() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };

    let server = NatsServer::builder()
        .port(port)
        .sync_always(false)
        .server_name("lazy")
        .start()
        .await
        .unwrap();

    assert_eq!(server.port(), port);
    assert_eq!(server.server_name(), "lazy");
    let config = std::fs::read_to_string(server.config_path()).unwrap();
    assert!(!config.contains("sync_interval"), "{config}");
    server.connect().await.unwrap();
}

#[tokio::test]
async fn drop_kills_the_process_and_removes_the_directory() {
    let server = NatsServer::start_single().await.unwrap();
    let pid = server.pid().unwrap();
    let dir = server.store_dir().parent().unwrap().to_path_buf();
    let url = server.client_url();
    assert!(dir.is_dir());

    drop(server);

    assert!(!dir.exists(), "{dir:?} still exists");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} still exists"
    );
    assert!(async_nats::connect(url).await.is_err());
}

#[tokio::test]
async fn two_servers_run_side_by_side_on_different_ports() {
    let a = NatsServer::start_single().await.unwrap();
    let b = NatsServer::start_single().await.unwrap();
    assert_ne!(a.port(), b.port());
    assert_ne!(a.store_dir(), b.store_dir());
}

#[tokio::test]
async fn a_taken_port_fails_fast_with_the_server_log() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();

    let err = NatsServer::builder().port(port).start().await.unwrap_err();

    match &err {
        motcua_testkit::TestkitError::Exited { log_tail, .. } => {
            assert!(log_tail.contains("address already in use"), "{log_tail}");
        }
        other => panic!("expected Exited, got {other:?}"),
    }
}
