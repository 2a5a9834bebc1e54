//! Commands over NATS request/reply against a real server.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use motcua_command::nats::{CommandRequest, command_subject, serve};
use motcua_domain::dossier::{Actor, Role};
use motcua_log::LogSettings;
use motcua_testkit::NatsServer;
use uuid::Uuid;

async fn request(client: &async_nats::Client, subject: String, body: Vec<u8>) -> serde_json::Value {
    let msg = tokio::time::timeout(
        Duration::from_secs(10),
        client.request(subject, body.into()),
    )
    .await
    .unwrap()
    .unwrap();
    serde_json::from_slice(&msg.payload).unwrap()
}

#[tokio::test]
async fn an_office_receives_and_forwards_over_nats() {
    let server = NatsServer::start_single().await.unwrap();
    let svc = service(&server.client_url(), LogSettings::default()).await;
    tokio::spawn(serve(svc.clone()));
    let client = async_nats::connect(server.client_url()).await.unwrap();
    // Let the queue subscription reach the server.
    client.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let receive = receive();
    let req = CommandRequest {
        dossier: None,
        command_id: receive.id,
        actor: receive.actor.clone(),
        correlation_id: None,
        body: receive.body.clone(),
    };
    let subject = command_subject("79", &receive.actor);
    assert_eq!(subject, "motcua.cmd.79.MC_26740");
    let reply = request(&client, subject.clone(), serde_json::to_vec(&req).unwrap()).await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["status_code"], 2);
    let key = reply["key"].as_str().unwrap().to_owned();
    assert!(reply["code"].as_str().unwrap().starts_with("MC.26740-"));

    // The same request again: the same answer, nothing new stored.
    let again = request(
        &client,
        subject.clone(),
        serde_json::to_vec(&CommandRequest {
            dossier: Some(key.parse().unwrap()),
            ..req.clone()
        })
        .unwrap(),
    )
    .await;
    assert_eq!(again["stream_seq"], reply["stream_seq"]);

    let forward = serde_json::json!({
        "dossier": key, "command_id": Uuid::now_v7(), "actor": reception(),
        "command": "forward", "to": "UB.26740"
    });
    let reply = request(
        &client,
        subject.clone(),
        serde_json::to_vec(&forward).unwrap(),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["status_code"], 4);
    let forwarded = reply["stream_seq"].clone();

    // The forward's id again: the same request gets the first answer; another request under
    // that id (another receiving office, another actor) is refused, as over HTTP.
    let same = request(
        &client,
        subject.clone(),
        serde_json::to_vec(&forward).unwrap(),
    )
    .await;
    assert_eq!(same["ok"], true, "{same}");
    assert_eq!(same["stream_seq"], forwarded);
    let mut other_office = forward.clone();
    other_office["to"] = serde_json::json!("UB.26734");
    let mut other_actor = forward.clone();
    other_actor["actor"] =
        serde_json::to_value(Actor::officer("someone-else", Role::Reception, desk())).unwrap();
    for changed in [other_office, other_actor] {
        let reply = request(
            &client,
            subject.clone(),
            serde_json::to_vec(&changed).unwrap(),
        )
        .await;
        assert_eq!(reply["ok"], false, "{reply}");
        assert_eq!(reply["status"], 409, "{reply}");
        assert_eq!(reply["code"], "idempotency_key_reused", "{reply}");
    }

    // Refusals carry the HTTP status and the stable code.
    let again = serde_json::json!({
        "dossier": key, "command_id": Uuid::now_v7(), "actor": reception(),
        "command": "forward", "to": "UB.26740"
    });
    let reply = request(
        &client,
        subject.clone(),
        serde_json::to_vec(&again).unwrap(),
    )
    .await;
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["status"], 403);
    assert_eq!(reply["code"], "not_holder");

    let cases: Vec<(String, Vec<u8>, u16, &str)> = vec![
        (subject.clone(), b"{not json".to_vec(), 400, "malformed"),
        (
            subject.clone(),
            br#"{"command":"teleport"}"#.to_vec(),
            400,
            "malformed",
        ),
        (subject.clone(), vec![b' '; 300 * 1024], 413, "too_large"),
        // Another office's subject.
        (
            "motcua.cmd.79.MC_26734".into(),
            serde_json::to_vec(&forward).unwrap(),
            403,
            "wrong_office",
        ),
        // A non-creating command without a dossier.
        (
            subject.clone(),
            serde_json::to_vec(&serde_json::json!({
            "command_id": Uuid::now_v7(), "actor": reception(), "command": "approve"}))
            .unwrap(),
            400,
            "missing_dossier",
        ),
        // An officer of another role.
        (
            subject.clone(),
            serde_json::to_vec(&serde_json::json!({
            "dossier": key, "command_id": Uuid::now_v7(),
            "actor": Actor::officer("x", Role::Clerk, desk()),
            "command": "withdraw", "reason": "r"}))
            .unwrap(),
            403,
            "wrong_role",
        ),
    ];
    for (subject, body, status, code) in cases {
        let reply = request(&client, subject.clone(), body).await;
        assert_eq!(reply["ok"], false, "{subject}: {reply}");
        assert_eq!(reply["status"], status, "{reply}");
        assert_eq!(reply["code"], code, "{reply}");
    }
    assert_eq!(
        svc.log()
            .read_dossier(&key.parse().unwrap())
            .await
            .unwrap()
            .len(),
        2
    );
}
