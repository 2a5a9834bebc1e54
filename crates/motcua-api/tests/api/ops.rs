//! Health, readiness, metrics and the OpenAPI document.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn openapi_json_is_openapi_3_1_and_lists_every_command() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let create = &paths["/v1/dossiers"]["post"];
    let body = &create["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/CreateDossierBody");
    for name in motcua_api::ON_DOSSIER {
        let path = format!("/v1/dossiers/{{key}}/{name}");
        let op = &paths[&path]["post"];
        assert!(op.is_object(), "{path} missing");
        assert!(op["responses"]["403"].is_object(), "{path}");
        assert!(op["security"].is_array(), "{path}");
    }
    for name in motcua_domain::dossier::CommandBody::NAMES {
        let documented = paths.contains_key(&format!("/v1/dossiers/{{key}}/{name}"))
            || ["receive", "submit_online"].contains(&name);
        assert!(documented, "{name} has no endpoint");
    }
    for path in ["/v1/events", "/healthz", "/readyz", "/metrics"] {
        assert!(paths[path]["get"].is_object(), "{path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn metrics_count_commands_by_outcome_and_time_appends() {
    let app = spawn_app().await;
    let key = app.receive().await;
    let refused = app
        .post(
            &format!("/v1/dossiers/{key}/approve"),
            &app.tokens.desk,
            &serde_json::json!({}),
            None,
        )
        .await;
    assert_eq!(refused.status, 403);
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let has = |needle: &str| text.lines().any(|l| l.starts_with(needle));
    assert!(
        has(r#"motcua_commands_total{command="receive",outcome="ok"}"#),
        "{text}"
    );
    assert!(
        has(r#"motcua_commands_total{command="approve",outcome="wrong_role"}"#),
        "{text}"
    );
    assert!(
        has(r#"motcua_command_append_seconds_bucket{command="receive",le="#),
        "{text}"
    );
    assert!(has("motcua_command_append_seconds_count"), "{text}");
    // Nothing personal: no applicant name, no dossier key.
    assert!(!text.contains("Nguyễn") && !text.contains(&key));
}

#[tokio::test]
async fn health_and_readiness() {
    let mut app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let address = app.address.clone();
    app.stop().await.unwrap();
    // Stopped: no longer listening.
    assert!(reqwest::get(format!("{address}/healthz")).await.is_err());
}
