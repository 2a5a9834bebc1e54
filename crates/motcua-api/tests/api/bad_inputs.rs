//! A table of bad requests: each gets its status and stable code as a problem document, and the
//! stream is unchanged after each.

use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{Actor, Applicant, Command, CommandBody, Role};
use motcua_log::CommitMeta;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{DESK, OFFICE, PROCEDURE, TestApp, answer, receive_body, spawn_app};

/// One bad request.
struct Case {
    what: &'static str,
    method: Method,
    path: String,
    /// `None`: no Authorization header.
    auth: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    status: u16,
    code: &'static str,
}

impl Case {
    /// A JSON POST with a bearer token.
    fn post(
        what: &'static str,
        path: impl Into<String>,
        token: &str,
        body: Value,
        status: u16,
        code: &'static str,
    ) -> Case {
        Case {
            what,
            method: Method::POST,
            path: path.into(),
            auth: Some(format!("Bearer {token}")),
            content_type: Some("application/json"),
            body: body.to_string().into_bytes(),
            headers: Vec::new(),
            status,
            code,
        }
    }

    fn raw(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.body = body.into();
        self
    }

    fn auth(mut self, value: Option<&str>) -> Case {
        self.auth = value.map(str::to_owned);
        self
    }

    fn content_type(mut self, value: Option<&'static str>) -> Case {
        self.content_type = value;
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.headers.push((name, value.into()));
        self
    }

    fn method(mut self, method: Method) -> Case {
        self.method = method;
        self
    }
}

async fn send(app: &TestApp, case: &Case) -> crate::helpers::Answer {
    let mut request = app.client.request(case.method.clone(), app.url(&case.path));
    if let Some(auth) = &case.auth {
        request = request.header("Authorization", auth);
    }
    if let Some(ct) = case.content_type {
        request = request.header("Content-Type", ct);
    }
    for (name, value) in &case.headers {
        request = request.header(*name, value);
    }
    if !case.body.is_empty() {
        request = request.body(case.body.clone());
    }
    answer(request.send().await.expect("request sent")).await
}

#[tokio::test]
async fn bad_inputs_get_their_status_and_code_and_store_nothing() {
    let app = spawn_app().await;
    let t = app.tokens.clone();

    // A dossier received at the desk and not forwarded yet.
    let key = app.receive().await;
    let on = |command: &str| format!("/v1/dossiers/{key}/{command}");

    // A dossier created with an idempotency key, then forwarded with another one.
    let create_key = Uuid::now_v7().to_string();
    let created = app
        .post(
            "/v1/dossiers",
            &t.desk,
            &receive_body("Phạm Thị Cúc"),
            Some(&create_key),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json);
    let keyed = created.json["key"].as_str().unwrap().to_owned();
    let forward_key = Uuid::now_v7().to_string();
    let forwarded = app
        .post(
            &format!("/v1/dossiers/{keyed}/forward"),
            &t.desk,
            &json!({"to": OFFICE}),
            Some(&forward_key),
        )
        .await;
    assert_eq!(forwarded.status, 200, "{:?}", forwarded.json);

    // A dossier made over the command service directly (as over NATS): its id is not the id of
    // any of its commands.
    let desk: motcua_domain::units::AgencyId = DESK.parse().unwrap();
    let nats_key = app.service.new_key(&desk).unwrap();
    app.service
        .handle(
            &nats_key,
            Command {
                id: Uuid::now_v7(),
                actor: Actor::officer("tn01", Role::Reception, desk),
                body: CommandBody::Receive {
                    code: None,
                    procedure: Some(PROCEDURE.parse().unwrap()),
                    channel: Some(Channel::Direct),
                    applicant: Some(Applicant::named("Võ Văn Dũng")),
                    handling_agency: OFFICE.parse().unwrap(),
                    digitised: false,
                },
            },
            CommitMeta::default(),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    let missing = format!("/v1/dossiers/79-{}/forward", Uuid::now_v7());
    let forward = json!({"to": OFFICE});
    let cases = vec![
        // Malformed bodies: 400.
        Case::post(
            "malformed JSON",
            "/v1/dossiers",
            &t.desk,
            json!({}),
            400,
            "malformed_json",
        )
        .raw(r#"{"command": "receive", "#),
        Case::post(
            "JSON that is not an object",
            on("forward"),
            &t.desk,
            json!([OFFICE]),
            400,
            "invalid_body",
        ),
        Case::post(
            "a number where a string goes",
            on("forward"),
            &t.desk,
            json!({"to": 42}),
            400,
            "invalid_body",
        ),
        Case::post(
            "a string where a boolean goes",
            "/v1/dossiers",
            &t.desk,
            {
                let mut b = receive_body("An");
                b["digitised"] = json!("yes");
                b
            },
            400,
            "invalid_body",
        ),
        Case::post(
            "a required field missing",
            on("forward"),
            &t.desk,
            json!({}),
            400,
            "invalid_body",
        ),
        Case::post(
            "a field the command does not take",
            on("forward"),
            &t.desk,
            json!({"to": OFFICE, "colour": "red"}),
            400,
            "unknown_field",
        ),
        Case::post(
            "a misspelt field inside the applicant",
            "/v1/dossiers",
            &t.applicant,
            json!({"command": "submit_online", "procedure": PROCEDURE,
                   "applicant": {"name": "An", "id_numbr": "079305246813"},
                   "receiving_agency": DESK}),
            400,
            "unknown_field",
        ),
        Case::post(
            "a value outside the vocabulary",
            on("return_result"),
            &t.desk,
            json!({"method": "pigeon"}),
            400,
            "invalid_body",
        ),
        Case::post(
            "creation without a command",
            "/v1/dossiers",
            &t.desk,
            json!({"procedure": PROCEDURE}),
            400,
            "missing_command",
        ),
        Case::post(
            "unknown command in the body",
            "/v1/dossiers",
            &t.desk,
            json!({"command": "teleport"}),
            400,
            "unknown_command",
        ),
        Case::post(
            "unknown command in the path",
            on("teleport"),
            &t.desk,
            forward.clone(),
            404,
            "unknown_command",
        ),
        Case::post(
            "submit_online under an existing dossier",
            on("submit_online"),
            &t.applicant,
            json!({}),
            404,
            "unknown_command",
        ),
        Case::post(
            "a non-creating command on /v1/dossiers",
            "/v1/dossiers",
            &t.head,
            json!({"command": "approve"}),
            400,
            "not_a_creating_command",
        ),
        Case::post(
            "body and path name different commands",
            on("forward"),
            &t.desk,
            json!({"command": "approve"}),
            400,
            "command_mismatch",
        ),
        Case::post(
            "invalid dossier key",
            "/v1/dossiers/not-a-key/forward",
            &t.desk,
            forward.clone(),
            400,
            "invalid_dossier_key",
        ),
        Case::post(
            "a path that is not UTF-8",
            "/v1/dossiers/%FF%FE/forward",
            &t.desk,
            forward.clone(),
            400,
            "bad_request",
        ),
        Case::post(
            "JSON nested too deep",
            on("forward"),
            &t.desk,
            json!({}),
            400,
            "malformed_json",
        )
        .raw(format!(
            r#"{{"to": {}{}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        )),
        Case::post(
            "invalid procedure code",
            "/v1/dossiers",
            &t.desk,
            {
                let mut b = receive_body("An");
                b["procedure"] = json!("1004194");
                b
            },
            400,
            "invalid_procedure_code",
        ),
        Case::post(
            "invalid office id",
            on("forward"),
            &t.desk,
            json!({"to": "ub.26740!"}),
            400,
            "invalid_agency_id",
        ),
        Case::post(
            "invalid dossier code",
            "/v1/dossiers",
            &t.desk,
            {
                let mut b = receive_body("An");
                b["code"] = json!("MC.26740-2611-1");
                b
            },
            400,
            "invalid_dossier_code",
        ),
        Case::post(
            "bad date",
            on("apologise"),
            &t.officer,
            json!({"reason": "quá tải", "new_due_at": "31/12/2026"}),
            400,
            "invalid_date",
        ),
        Case::post(
            "date without an offset",
            on("apologise"),
            &t.officer,
            json!({"reason": "quá tải", "new_due_at": "2026-12-31T17:00:00"}),
            400,
            "invalid_date",
        ),
        Case::post(
            "command_id that is not a UUID",
            on("forward"),
            &t.desk,
            json!({"to": OFFICE, "command_id": 42}),
            400,
            "invalid_command_id",
        ),
        Case::post(
            "Idempotency-Key that is not a UUID",
            on("forward"),
            &t.desk,
            forward.clone(),
            400,
            "invalid_idempotency_key",
        )
        .header("Idempotency-Key", "retry-1"),
        Case::post(
            "Idempotency-Key and command_id differ",
            on("forward"),
            &t.desk,
            json!({"to": OFFICE, "command_id": Uuid::now_v7()}),
            400,
            "idempotency_key_mismatch",
        )
        .header("Idempotency-Key", Uuid::now_v7().to_string()),
        // Content: 413, 415.
        Case::post(
            "huge body",
            on("refuse_intake"),
            &t.desk,
            json!({}),
            413,
            "too_large",
        )
        .raw(format!(r#"{{"reason": "{}"}}"#, "x".repeat(300 * 1024))),
        Case::post(
            "wrong content type",
            on("forward"),
            &t.desk,
            forward.clone(),
            415,
            "unsupported_media_type",
        )
        .content_type(Some("text/plain")),
        Case::post(
            "no content type",
            on("forward"),
            &t.desk,
            forward.clone(),
            415,
            "unsupported_media_type",
        )
        .content_type(None),
        // Tokens: 401.
        Case::post(
            "no token",
            on("forward"),
            &t.desk,
            forward.clone(),
            401,
            "missing_token",
        )
        .auth(None),
        Case::post(
            "not a bearer token",
            on("forward"),
            &t.desk,
            forward.clone(),
            401,
            "malformed_token",
        )
        .auth(Some("Basic dG4wMTpzZWNyZXQ=")),
        Case::post(
            "empty bearer token",
            on("forward"),
            &t.desk,
            forward.clone(),
            401,
            "malformed_token",
        )
        .auth(Some("Bearer ")),
        Case::post(
            "unknown token",
            on("forward"),
            &t.desk,
            forward.clone(),
            401,
            "unknown_token",
        )
        .auth(Some(
            "Bearer motcua_0000000000000000000000000000000000000000000000000000000000000000",
        )),
        Case::post(
            "a token's hash instead of the token",
            on("forward"),
            &t.desk,
            forward.clone(),
            401,
            "unknown_token",
        )
        .auth(Some(&format!(
            "Bearer {}",
            motcua_api::token_sha256(&t.desk)
        ))),
        // Roles and offices: 403.
        Case::post(
            "the desk tries to approve",
            on("approve"),
            &t.desk,
            json!({}),
            403,
            "wrong_role",
        ),
        Case::post(
            "a reporter tries a command",
            on("forward"),
            &t.reporter,
            forward.clone(),
            403,
            "wrong_role",
        ),
        Case::post(
            "a reporter tries to create",
            "/v1/dossiers",
            &t.reporter,
            receive_body("An"),
            403,
            "wrong_role",
        ),
        Case::post(
            "an importer tries a command",
            on("forward"),
            &t.importer,
            forward.clone(),
            403,
            "wrong_role",
        ),
        Case::post(
            "an applicant tries to forward",
            on("forward"),
            &t.applicant,
            forward.clone(),
            403,
            "wrong_role",
        ),
        Case::post(
            "an officer tries to file online",
            "/v1/dossiers",
            &t.desk,
            json!({"command": "submit_online", "procedure": PROCEDURE, "applicant": {"name": "An"},
                   "receiving_agency": DESK}),
            403,
            "wrong_role",
        ),
        Case::post(
            "another office's dossier",
            on("forward"),
            &t.other_desk,
            forward.clone(),
            403,
            "not_holder",
        ),
        Case::post(
            "an office in another province",
            on("forward"),
            &t.hanoi,
            forward.clone(),
            403,
            "not_holder",
        ),
        Case::post(
            "feed: an officer of another province",
            "/v1/events?province=79",
            &t.hanoi,
            json!({}),
            403,
            "other_province",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "approver of an office that does not hold it",
            on("approve"),
            &t.head,
            json!({}),
            403,
            "not_holder",
        ),
        Case::post(
            "appraise without being assigned",
            format!("/v1/dossiers/{keyed}/appraise"),
            &t.officer,
            json!({"proposal": {"decision": "grant"}, "opinion": "ok"}),
            422,
            "invalid_state",
        ),
        // Rules: 404, 409, 422.
        Case::post(
            "no such dossier",
            missing,
            &t.desk,
            forward.clone(),
            404,
            "dossier_not_found",
        ),
        Case::post(
            "illegal transition",
            on("return_result"),
            &t.desk,
            json!({"method": "desk"}),
            422,
            "invalid_state",
        ),
        Case::post(
            "unknown office",
            on("forward"),
            &t.desk,
            json!({"to": "MC.99999"}),
            422,
            "unknown_agency",
        ),
        Case::post(
            "forward to itself",
            on("forward"),
            &t.desk,
            json!({"to": DESK}),
            422,
            "forward_to_self",
        ),
        Case::post(
            "unknown procedure",
            "/v1/dossiers",
            &t.desk,
            {
                let mut b = receive_body("An");
                b["procedure"] = json!("9.999999");
                b
            },
            422,
            "unknown_procedure",
        ),
        Case::post(
            "same creation key, different body",
            "/v1/dossiers",
            &t.desk,
            receive_body("Người Khác"),
            409,
            "idempotency_key_reused",
        )
        .header("Idempotency-Key", create_key.clone()),
        Case::post(
            "same command key, different body",
            format!("/v1/dossiers/{keyed}/forward"),
            &t.desk,
            json!({"to": "UB.26737"}),
            409,
            "idempotency_key_reused",
        )
        .header("Idempotency-Key", forward_key.clone()),
        Case::post(
            "same command key, another account",
            format!("/v1/dossiers/{keyed}/forward"),
            &t.other_desk,
            json!({"to": OFFICE}),
            409,
            "idempotency_key_reused",
        )
        .header("Idempotency-Key", forward_key.clone()),
        Case::post(
            "a key naming a dossier that exists",
            "/v1/dossiers",
            &t.desk,
            receive_body("An"),
            409,
            "dossier_exists",
        )
        .header("Idempotency-Key", nats_key.id().to_string()),
        // Routing: 404, 405.
        Case::post(
            "GET on a POST route",
            on("forward"),
            &t.desk,
            json!({}),
            405,
            "method_not_allowed",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "DELETE on /v1/dossiers",
            "/v1/dossiers",
            &t.desk,
            json!({}),
            405,
            "method_not_allowed",
        )
        .method(Method::DELETE)
        .raw(Vec::new()),
        Case::post(
            "no such route",
            "/v2/dossiers",
            &t.desk,
            forward.clone(),
            404,
            "not_found",
        ),
        // The event feed's query: 400, 403.
        Case::post(
            "feed: unknown level",
            "/v1/events?level=planet",
            &t.desk,
            json!({}),
            400,
            "unknown_level",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "feed: unknown event type",
            "/v1/events?type=received,teleported",
            &t.desk,
            json!({}),
            400,
            "unknown_event_type",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "feed: unknown unit",
            "/v1/events?unit=MC.99999",
            &t.desk,
            json!({}),
            400,
            "unknown_unit",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "feed: unknown province",
            "/v1/events?province=99",
            &t.reporter,
            json!({}),
            400,
            "unknown_province",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "feed: bad Last-Event-ID",
            "/v1/events",
            &t.desk,
            json!({}),
            400,
            "invalid_last_event_id",
        )
        .method(Method::GET)
        .raw(Vec::new())
        .header("Last-Event-ID", "yesterday"),
        Case::post(
            "feed: bad from_seq",
            "/v1/events?from_seq=-1",
            &t.desk,
            json!({}),
            400,
            "invalid_last_event_id",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "feed: an applicant",
            "/v1/events",
            &t.applicant,
            json!({}),
            403,
            "officers_only",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "feed: another province",
            "/v1/events?province=01",
            &t.desk,
            json!({}),
            403,
            "other_province",
        )
        .method(Method::GET)
        .raw(Vec::new()),
        Case::post(
            "feed: no token",
            "/v1/events",
            &t.desk,
            json!({}),
            401,
            "missing_token",
        )
        .method(Method::GET)
        .raw(Vec::new())
        .auth(None),
    ];
    assert!(cases.len() >= 30, "{} cases", cases.len());

    let hanoi = app.log.last_sequence(&"01".parse().unwrap()).await.unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let before = app.last_seq().await;
        let got = send(&app, case).await;
        let after = app.last_seq().await;
        let ok = got.status == case.status
            && got.content_type.starts_with("application/problem+json")
            && got.json["code"] == case.code
            && got.json["status"] == case.status
            && got.json["type"] == format!("urn:motcua:problem:{}", case.code)
            && before == after;
        if !ok {
            failures.push(format!(
                "{}: expected {} {}, got {} {} {} (stream {before} → {after})",
                case.what, case.status, case.code, got.status, got.content_type, got.json
            ));
        }
        if case.status == 405 {
            assert!(
                got.headers.contains_key("allow"),
                "{}: no Allow header",
                case.what
            );
        }
        if case.status == 401 {
            assert!(
                got.headers.contains_key("www-authenticate"),
                "{}",
                case.what
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(
        app.log.last_sequence(&"01".parse().unwrap()).await.unwrap(),
        hanoi
    );
}
