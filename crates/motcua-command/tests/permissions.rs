//! The NATS permissions of `deploy/nats/accounts.conf` on a real server: a commune office can
//! send only its own commands, a province centre reads only its own province.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use motcua_command::CommandService;
use motcua_command::nats::{CommandRequest, command_subject, serve};
use motcua_log::embedded::{EmbeddedServer, ServerConfig};
use motcua_log::locate::{Lookup, find_in};
use motcua_log::{EventLog, LogSettings};

fn accounts_with_test_passwords(dir: &std::path::Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/nats/accounts.conf"
    ))
    .unwrap();
    let text = text
        .replace("$MOTCUA_NATS_PASSWORD", "\"service-secret\"")
        .replace("$MC_26740_PASSWORD", "\"desk-secret\"")
        .replace("$PROVINCE_79_PASSWORD", "\"province-secret\"")
        .replace("$NATS_SYS_PASSWORD", "\"sys-secret\"");
    assert!(
        !text.contains("_PASSWORD"),
        "a password variable is not covered by the test"
    );
    let path = dir.join("accounts.conf");
    std::fs::write(&path, text).unwrap();
    path
}

async fn connect(url: &str, user: &str, password: &str, inbox: &str) -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .user_and_password(user.into(), password.into())
        .custom_inbox_prefix(inbox)
        .connect(url)
        .await
        .unwrap()
}

#[tokio::test]
async fn offices_and_provinces_are_confined_to_their_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new("perm", dir.path().join("nats"), dir.path().join("store"));
    config
        .includes
        .push(accounts_with_test_passwords(dir.path()));
    let binary = find_in(&Lookup::from_env()).unwrap();
    let server = EmbeddedServer::start(binary, config).await.unwrap();
    let url = server.client_url();

    // The service runs as the `motcua` user.
    let service_client = connect(&url, "motcua", "service-secret", "_INBOX").await;
    let log = EventLog::from_client(service_client, LogSettings::default()).unwrap();
    let svc = CommandService::new(log, reference());
    tokio::spawn(serve(svc.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    svc.log()
        .ensure_dossier_stream(&"01".parse().unwrap())
        .await
        .unwrap();

    // The desk of Phường Sài Gòn sends its own receive.
    let desk_client = connect(&url, "MC_26740", "desk-secret", "_INBOX_MC_26740").await;
    let cmd = receive();
    let req = CommandRequest {
        dossier: None,
        command_id: cmd.id,
        actor: cmd.actor.clone(),
        correlation_id: None,
        body: cmd.body.clone(),
    };
    let body = serde_json::to_vec(&req).unwrap();
    let own = command_subject("79", &cmd.actor);
    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        desk_client.request(own, body.clone().into()),
    )
    .await
    .unwrap()
    .unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(reply["ok"], true, "{reply}");
    let province = "79".parse().unwrap();
    let stored = svc.log().last_sequence(&province).await.unwrap();

    // Another office's subject is refused by the server: the request never reaches motcua.
    let other = tokio::time::timeout(
        Duration::from_secs(3),
        desk_client.request("motcua.cmd.79.MC_26734", body.into()),
    )
    .await;
    assert!(
        !matches!(other, Ok(Ok(_))),
        "a desk published on another office's command subject"
    );
    assert_eq!(svc.log().last_sequence(&province).await.unwrap(), stored);
    // Nor may a desk read the province's events.
    let mut sneak = desk_client.subscribe("motcua.dossier.79.*").await.unwrap();
    let key = reply["key"].as_str().unwrap().parse().unwrap();
    let forward = command(
        reception(),
        motcua_domain::dossier::CommandBody::Forward {
            to: office(),
            note: None,
        },
    );
    svc.handle(&key, forward, Default::default(), jiff::Timestamp::now())
        .await
        .unwrap();
    let leaked = tokio::time::timeout(
        Duration::from_millis(700),
        futures::StreamExt::next(&mut sneak),
    )
    .await;
    assert!(
        !matches!(leaked, Ok(Some(_))),
        "a desk read the province's events"
    );

    // The Hồ Chí Minh City centre reads province 79, and only 79.
    let centre = connect(&url, "province-79", "province-secret", "_INBOX_P79").await;
    let js = async_nats::jetstream::new(centre);
    let stream = match js.get_stream("MOTCUA_DOSSIERS_79").await {
        Ok(s) => s,
        Err(e) => panic!("{e}\n{}", server.log_tail()),
    };
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let first = tokio::time::timeout(
        Duration::from_secs(10),
        futures::StreamExt::next(&mut messages),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert!(first.subject.starts_with("motcua.dossier.79."));
    let foreign =
        tokio::time::timeout(Duration::from_secs(5), js.get_stream("MOTCUA_DOSSIERS_01")).await;
    assert!(
        !matches!(foreign, Ok(Ok(_))),
        "province 79 read province 01's stream"
    );
}
