//! A dossier's whole life over HTTP, and idempotency.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{DESK, OFFICE, receive_body, spawn_app};

#[tokio::test]
async fn a_dossier_goes_from_the_desk_to_the_office_and_back_with_three_tokens() {
    let app = spawn_app().await;
    let t = app.tokens.clone();

    // The commune desk receives a direct dossier.
    let created = app
        .post(
            "/v1/dossiers",
            &t.desk,
            &receive_body("Nguyễn Văn An"),
            None,
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json);
    let key = created.json["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("79-"), "{key}");
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("/v1/dossiers/{key}")
    );
    assert_eq!(created.json["events"], json!(["received"]));
    assert_eq!(created.json["status_code"], 2);
    let code = created.json["code"].as_str().unwrap();
    assert!(code.starts_with(&format!("{DESK}-")), "{code}");
    let mut seq = created.json["stream_seq"].as_u64().unwrap();

    let steps = [
        (
            "forward",
            &t.desk,
            json!({"to": OFFICE, "note": "chuyển UBND phường"}),
            "forwarded",
            4,
        ),
        ("assign", &t.head, json!({"officer": "cv01"}), "assigned", 4),
        (
            "appraise",
            &t.officer,
            json!({"proposal": {"decision": "grant"}, "opinion": "Hồ sơ đủ điều kiện"}),
            "appraised",
            4,
        ),
        (
            "submit_for_approval",
            &t.officer,
            json!({}),
            "submitted_for_approval",
            4,
        ),
        ("approve", &t.head, json!({}), "approved", 4),
        (
            "issue",
            &t.officer,
            json!({"document_no": "01/XN-UBND", "electronic": true}),
            "issued",
            4,
        ),
        (
            "mark_result_ready",
            &t.officer,
            json!({}),
            "result_ready",
            9,
        ),
        (
            "return_result",
            &t.desk,
            json!({"method": "desk"}),
            "returned",
            10,
        ),
    ];
    for (command, token, body, event, status) in steps {
        let answer = app.ok(&key, command, token, body).await;
        assert_eq!(answer["key"], key.as_str());
        assert_eq!(answer["events"], json!([event]), "{command}");
        assert_eq!(answer["status_code"], status, "{command}");
        assert_eq!(answer["code"], code, "{command}");
        let next = answer["stream_seq"].as_u64().unwrap();
        assert!(next > seq, "{command}: sequence {next} after {seq}");
        seq = next;
    }

    // The stream holds the whole history, made by three accounts in their roles and offices.
    let history = app.log.read_dossier(&key.parse().unwrap()).await.unwrap();
    let actors: Vec<(String, String)> = history
        .iter()
        .map(|c| {
            (
                c.envelope.actor.clone(),
                c.envelope.role.as_str().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("tn01", "reception"),
        ("tn01", "reception"),
        ("ld01", "approver"),
        ("cv01", "handling_officer"),
        ("cv01", "handling_officer"),
        ("ld01", "approver"),
        ("cv01", "clerk"),
        ("cv01", "clerk"),
        ("tn01", "reception"),
    ];
    assert_eq!(
        actors,
        expected
            .iter()
            .map(|(a, r)| (a.to_string(), r.to_string()))
            .collect::<Vec<_>>()
    );
    // A command without a body at all is fine too (nothing to send for approve-like commands),
    // and the state machine says no once the dossier is returned.
    let late = app
        .client
        .post(app.url(&format!("/v1/dossiers/{key}/mark_result_ready")))
        .bearer_auth(&t.officer)
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 403, "the office no longer holds the dossier");
}

#[tokio::test]
async fn the_same_post_with_the_same_idempotency_key_gets_the_same_answer_and_stores_once() {
    let app = spawn_app().await;
    let t = app.tokens.clone();
    let before = app.last_seq().await;

    // A creation, retried: the dossier's id comes from the key, so the retry finds it.
    for key in [Uuid::now_v7(), Uuid::new_v4()] {
        let k = key.to_string();
        let first = app
            .post(
                "/v1/dossiers",
                &t.desk,
                &receive_body("Lê Văn Bình"),
                Some(&k),
            )
            .await;
        let again = app
            .post(
                "/v1/dossiers",
                &t.desk,
                &receive_body("Lê Văn Bình"),
                Some(&k),
            )
            .await;
        assert_eq!(first.status, 201, "{:?}", first.json);
        assert_eq!(again.status, 201, "{:?}", again.json);
        assert_eq!(first.json, again.json);
        assert_eq!(first.json["command_id"], k);
        // The same key in the body instead of the header is the same command.
        let mut body = receive_body("Lê Văn Bình");
        body["command_id"] = json!(k);
        let third = app.post("/v1/dossiers", &t.desk, &body, None).await;
        assert_eq!(third.json, first.json);
    }
    assert_eq!(
        app.last_seq().await,
        before + 2,
        "two dossiers, one commit each"
    );

    // A command on a dossier, retried.
    let key = app.receive().await;
    let k = Uuid::new_v4().to_string();
    let path = format!("/v1/dossiers/{key}/forward");
    let first = app
        .post(&path, &t.desk, &json!({"to": OFFICE}), Some(&k))
        .await;
    let stored = app.last_seq().await;
    let again = app
        .post(&path, &t.desk, &json!({"to": OFFICE}), Some(&k))
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json);
    assert_eq!(first.json, again.json);
    assert_eq!(app.last_seq().await, stored, "the retry stored nothing");

    // Without a key every POST is a new command: the second forward is refused by the rules
    // (the desk no longer holds the dossier), proving it was not taken for a retry.
    let unkeyed = app.post(&path, &t.desk, &json!({"to": OFFICE}), None).await;
    assert_eq!(unkeyed.status, 403);
    assert_eq!(unkeyed.json["code"], "not_holder");
}

#[tokio::test]
async fn an_applicant_files_online_and_the_desk_receives_it() {
    let app = spawn_app().await;
    let t = app.tokens.clone();
    let submitted = app
        .post(
            "/v1/dossiers",
            &t.applicant,
            &json!({
                "command": "submit_online",
                "procedure": crate::helpers::PROCEDURE,
                "applicant": {"name": "Trần Thị Bình"},
                "receiving_agency": DESK
            }),
            None,
        )
        .await;
    assert_eq!(submitted.status, 201, "{:?}", submitted.json);
    assert_eq!(submitted.json["status_code"], 1);
    let key = submitted.json["key"].as_str().unwrap().to_owned();
    let received = app
        .ok(&key, "receive", &t.desk, json!({"handling_agency": OFFICE}))
        .await;
    assert_eq!(received["events"], json!(["received"]));
    assert_eq!(received["status_code"], 2);
    let history = app.log.read_dossier(&key.parse().unwrap()).await.unwrap();
    assert_eq!(history[0].envelope.role.as_str(), "applicant");
    assert_eq!(history[0].envelope.actor, "portal-1");
}

#[tokio::test]
async fn an_admin_may_stop_a_dossier_and_then_nothing_moves_it() {
    let app = spawn_app().await;
    let t = app.tokens.clone();
    let key = app.receive().await;
    let stopped = app
        .ok(
            &key,
            "stop",
            &t.admin,
            json!({"reason": "yêu cầu của cơ quan có thẩm quyền"}),
        )
        .await;
    assert_eq!(stopped["events"], json!(["stopped"]));
    assert_eq!(stopped["status_code"], 8);
    let after = app
        .post(
            &format!("/v1/dossiers/{key}/forward"),
            &t.desk,
            &json!({"to": OFFICE}),
            None,
        )
        .await;
    assert_eq!(
        (after.status, after.json["code"].as_str()),
        (422, Some("invalid_state"))
    );
}
