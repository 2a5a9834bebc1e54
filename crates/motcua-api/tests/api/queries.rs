//! Queries over the read models: a projector runs in the test over a temp sled directory and
//! `TestApp::fresh` waits until it has applied the stream's last commit.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::sync::Arc;

use motcua_domain::Reference;
use motcua_views::{Projector, ProjectorConfig, Shard};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    DESK, OFFICE, OTHER_DESK, PROCEDURE, TestApp, answer, receive_body, spawn_app,
    spawn_app_with_views,
};

/// Phường Sài Gòn, the ward of the desk and the office.
const WARD: &str = "26740";

fn today() -> Date {
    jiff::tz::offset(7).to_datetime(Timestamp::now()).date()
}

fn instant(v: &Value) -> Timestamp {
    v.as_str().expect("an instant").parse().expect("RFC 3339")
}

/// `+07:00` written for a query string.
fn q(t: Timestamp) -> String {
    t.to_string().replace('+', "%2B")
}

fn keys(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            i.get("dossier")
                .unwrap_or(i)
                .get("key")
                .and_then(Value::as_str)
                .expect("key")
                .to_owned()
        })
        .collect()
}

fn ok(a: &crate::helpers::Answer, what: &str) {
    assert_eq!(a.status, 200, "{what}: {}", a.json);
    assert!(a.content_type.starts_with("application/json"), "{what}");
}

/// Does any object in `v` have this key?
fn has_key(v: &Value, name: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(name) || m.values().any(|x| has_key(x, name)),
        Value::Array(a) => a.iter().any(|x| has_key(x, name)),
        _ => false,
    }
}

async fn receive_with_id(app: &TestApp, name: &str) -> (String, String) {
    let mut body = receive_body(name);
    body["applicant"]["id_number"] = json!("079090001234");
    body["applicant"]["address"] = json!("1 Lê Lợi, Phường Sài Gòn");
    let a = app
        .post("/v1/dossiers", &app.tokens.desk, &body, None)
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    (
        a.json["key"].as_str().unwrap().to_owned(),
        a.json["code"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_dossier_received_over_http_shows_up_in_every_query() {
    let app = spawn_app_with_views(&["79"]).await;
    let t = app.tokens.clone();
    let (key, code) = receive_with_id(&app, "Nguyễn Văn An").await;
    // Another applicant, to see that the search picks.
    let (other, _) = receive_with_id(&app, "Trần Thị Bình").await;
    app.fresh().await;

    // By key, for the desk that received it: everything, applicant data included.
    let by_key = app.get(&format!("/v1/dossiers/{key}"), Some(&t.desk)).await;
    ok(&by_key, "by key");
    let d = &by_key.json;
    assert_eq!(d["dossier"]["key"], key.as_str());
    assert_eq!(d["dossier"]["code"], code.as_str());
    assert_eq!(d["dossier"]["stage"], "received");
    assert_eq!(d["dossier"]["procedure"], PROCEDURE);
    assert_eq!(d["dossier"]["holder"], DESK);
    assert_eq!(d["dossier"]["handling_agency"], OFFICE);
    assert_eq!(d["dossier"]["applicant_name"], "Nguyễn Văn An");
    assert_eq!(d["personal_data_withheld"], false);
    assert_eq!(d["applicant"]["name"], "Nguyễn Văn An");
    assert_eq!(d["applicant"]["phone"], "0901234567");
    assert_eq!(d["timeline"][0]["event_type"], "received");
    assert_eq!(d["timeline"][0]["actor"]["id"], "tn01");
    assert_eq!(d["timeline"][0]["event"]["code"], code.as_str());
    assert_eq!(d["control_slip"], json!([]));
    assert_eq!(d["pauses"], json!([]));
    let deadline = instant(&d["dossier"]["deadline"]);

    // By code: the same dossier.
    let by_code = app
        .get(&format!("/v1/dossiers?code={code}"), Some(&t.desk))
        .await;
    ok(&by_code, "by code");
    assert_eq!(by_code.json["dossier"]["key"], key.as_str());
    assert_eq!(by_code.json["timeline"], d["timeline"]);

    // The desk's queue, as a unit and as an office.
    for path in [
        format!("/v1/units/{WARD}/queue"),
        format!("/v1/agencies/{DESK}/queue"),
        "/v1/units/79/queue?limit=10".to_owned(),
    ] {
        let queue = app.get(&path, Some(&t.desk)).await;
        ok(&queue, &path);
        let listed = keys(&queue.json["items"]);
        assert!(listed.contains(&key) && listed.contains(&other), "{path}");
        assert_eq!(queue.json["more"], false);
    }
    let q1 = app
        .get(&format!("/v1/units/{WARD}/queue?limit=1"), Some(&t.desk))
        .await;
    assert_eq!(keys(&q1.json["items"]).len(), 1);
    assert_eq!(q1.json["more"], true);
    assert_eq!(q1.json["scope"]["kind"], "unit");
    assert_eq!(q1.json["scope"]["province"], "79");
    // Not yet at the office.
    let office_queue = app
        .get(&format!("/v1/agencies/{OFFICE}/queue"), Some(&t.desk))
        .await;
    ok(&office_queue, "office queue");
    assert!(keys(&office_queue.json["items"]).is_empty());

    // Search without diacritics or case, by any run of words of the name.
    for text in [
        "nguyen van an",
        "NGUYEN%20VAN",
        "van%20an",
        "Nguy%E1%BB%85n",
    ] {
        let found = app
            .get(&format!("/v1/search?province=79&q={text}"), Some(&t.desk))
            .await;
        ok(&found, text);
        assert_eq!(keys(&found.json["items"]), vec![key.clone()], "{text}");
        let item = &found.json["items"][0];
        assert_eq!(item["applicant_name"], "Nguyễn Văn An");
        for secret in ["phone", "id_number", "address", "email"] {
            assert!(!has_key(&found.json, secret), "{secret} in search results");
        }
        assert!(!found.json.to_string().contains("0901234567"));
        assert!(!found.json.to_string().contains("079090001234"));
    }
    // The province defaults to the caller's.
    let found = app.get("/v1/search?q=tran%20thi", Some(&t.desk)).await;
    assert_eq!(keys(&found.json["items"]), vec![other.clone()]);

    // Biểu 06 of the ward and of the city: both received directly, pending within time.
    let from = today().yesterday().unwrap();
    let to = today().tomorrow().unwrap();
    for unit in [WARD, "79"] {
        let path = format!("/v1/units/{unit}/reports/bieu06?from={from}&to={to}");
        let r = app.get(&path, Some(&t.desk)).await;
        ok(&r, &path);
        let total = &r.json["total"];
        assert_eq!(total["received_total"], 2, "{unit}: {total}");
        assert_eq!(total["received_direct_postal"], 2);
        assert_eq!(total["received_online"], 0);
        assert_eq!(total["carried_over"], 0);
        assert_eq!(total["resolved_total"], 0);
        assert_eq!(total["pending_total"], 2);
        assert_eq!(total["pending_within"], 2);
        assert_eq!(total["pending_overdue"], 0);
        assert_eq!(total["ended_otherwise"], 0);
        assert_eq!(total["on_time"]["standard"], Value::Null);
        assert_eq!(total["on_time"]["late_share"]["percent"], 100.0);
        assert_eq!(r.json["unit"], unit);
        assert_eq!(r.json["note"]["count"], 0);
        let level = &r.json["levels"][0];
        assert_eq!(level["level"], "commune", "the ward's committee handles it");
        let procedure = &level["fields"][0]["procedures"][0];
        assert_eq!(procedure["procedure"], PROCEDURE);
        assert_eq!(procedure["line"]["received_direct_postal"], 2);
        assert_eq!(level["total"], *total);
    }
    // Judged after the deadline, in a period not yet ended: both pending overdue.
    let later = deadline + SignedDuration::from_hours(1);
    let far = today().checked_add(60.days()).unwrap();
    let r = app
        .get(
            &format!(
                "/v1/units/{WARD}/reports/bieu06?from={from}&to={far}&at={}",
                q(later)
            ),
            Some(&t.reporter),
        )
        .await;
    ok(&r, "bieu06 later");
    assert_eq!(r.json["total"]["pending_overdue"], 2, "{}", r.json);
    assert_eq!(r.json["total"]["pending_within"], 0);
    assert_eq!(r.json["total"]["on_time"]["late_share"]["percent"], 0.0);
    assert_eq!(r.json["total"]["on_time"]["due_reached"]["denominator"], 2);

    // Decision 766: two dossiers, on time now.
    let k = app
        .get(
            &format!("/v1/units/79/reports/kpi766?from={from}&to={to}"),
            Some(&t.reporter),
        )
        .await;
    ok(&k, "kpi766");
    assert_eq!(k.json["total"]["dossiers"], 2, "{}", k.json);
    assert_eq!(k.json["total"]["pending_on_time"], 2);
    assert_eq!(k.json["total"]["rate"]["percent"], 100.0);
    assert_eq!(k.json["rows"][0]["procedure"], PROCEDURE);

    // Overdue: not now, but after the deadline, at the ward and at the handling office.
    for path in [
        format!("/v1/units/{WARD}/overdue"),
        format!("/v1/agencies/{OFFICE}/overdue"),
    ] {
        let now = app.get(&path, Some(&t.desk)).await;
        ok(&now, &path);
        assert!(keys(&now.json["items"]).is_empty(), "{path} now");
        let after = app
            .get(&format!("{path}?at={}", q(later)), Some(&t.desk))
            .await;
        ok(&after, &path);
        let listed = keys(&after.json["items"]);
        assert!(listed.contains(&key), "{path} later: {}", after.json);
        assert_eq!(instant(&after.json["at"]), later);
        assert_eq!(instant(&after.json["items"][0]["due_at"]), deadline);
    }
    // The other unit's list does not have it.
    let elsewhere = app
        .get(
            &format!("/v1/agencies/{OTHER_DESK}/overdue?at={}", q(later)),
            Some(&t.desk),
        )
        .await;
    ok(&elsewhere, "other desk");
    assert!(keys(&elsewhere.json["items"]).is_empty());

    // Forwarded to the office: it leaves the desk's queue for the office's, stays in the ward's,
    // and the control slip has its row.
    app.ok(&key, "forward", &t.desk, json!({"to": OFFICE}))
        .await;
    app.fresh().await;
    let desk_queue = app
        .get(&format!("/v1/agencies/{DESK}/queue"), Some(&t.desk))
        .await;
    assert_eq!(keys(&desk_queue.json["items"]), vec![other.clone()]);
    let office_queue = app
        .get(&format!("/v1/agencies/{OFFICE}/queue"), Some(&t.officer))
        .await;
    assert_eq!(keys(&office_queue.json["items"]), vec![key.clone()]);
    let ward_queue = app
        .get(&format!("/v1/units/{WARD}/queue"), Some(&t.officer))
        .await;
    assert_eq!(keys(&ward_queue.json["items"]).len(), 2);
    let d = app
        .get(&format!("/v1/dossiers/{key}"), Some(&t.officer))
        .await;
    ok(&d, "after forward");
    assert_eq!(d.json["dossier"]["holder"], OFFICE);
    assert_eq!(d.json["control_slip"][0]["from"], DESK);
    assert_eq!(d.json["control_slip"][0]["to"], OFFICE);
    assert_eq!(d.json["timeline"][1]["event_type"], "forwarded");

    // Metrics: by endpoint and outcome, with latencies; nothing personal.
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
    for needle in [
        r#"motcua_queries_total{endpoint="dossier",outcome="ok"}"#,
        r#"motcua_queries_total{endpoint="search",outcome="ok"}"#,
        r#"motcua_queries_total{endpoint="bieu06",outcome="ok"}"#,
        r#"motcua_query_seconds_bucket{endpoint="unit_queue",le="#,
        r#"motcua_query_seconds_count{endpoint="kpi766"}"#,
    ] {
        assert!(has(needle), "{needle} missing");
    }
    assert!(!text.contains("nguyen") && !text.contains("Nguyễn") && !text.contains(&key));
}

#[tokio::test]
async fn who_reads_what() {
    let app = spawn_app_with_views(&["79"]).await;
    let t = app.tokens.clone();
    let (key, code) = receive_with_id(&app, "Nguyễn Văn An").await;
    let submitted = app
        .post(
            "/v1/dossiers",
            &t.applicant,
            &json!({
                "command": "submit_online",
                "procedure": PROCEDURE,
                "applicant": {"name": "Lê Văn Cường", "phone": "0912345678"},
                "receiving_agency": DESK
            }),
            None,
        )
        .await;
    assert_eq!(submitted.status, 201, "{}", submitted.json);
    let online = submitted.json["key"].as_str().unwrap().to_owned();
    app.fresh().await;
    let period = format!("from={}&to={}", today(), today());

    // An officer of Hà Nội: nothing of Hồ Chí Minh City.
    for path in [
        format!("/v1/dossiers/{key}"),
        format!("/v1/dossiers?code={code}"),
        format!("/v1/dossiers/79-{}", Uuid::now_v7()),
        format!("/v1/units/{WARD}/queue"),
        format!("/v1/agencies/{DESK}/queue"),
        format!("/v1/units/{WARD}/overdue"),
        format!("/v1/agencies/{OFFICE}/overdue"),
        format!("/v1/units/79/reports/bieu06?{period}"),
        format!("/v1/units/{WARD}/reports/kpi766?{period}"),
        "/v1/search?province=79&q=nguyen".to_owned(),
    ] {
        let a = app.get(&path, Some(&t.hanoi)).await;
        assert_eq!(
            (a.status, a.json["code"].as_str()),
            (403, Some("other_province")),
            "{path}"
        );
    }

    // A reporter of the city: the reports, the lists and the dossier, never applicant data.
    let r = app
        .get(
            &format!("/v1/units/79/reports/bieu06?{period}"),
            Some(&t.reporter),
        )
        .await;
    ok(&r, "reporter report");
    assert_eq!(r.json["total"]["received_total"], 1);
    let d = app
        .get(&format!("/v1/dossiers/{key}"), Some(&t.reporter))
        .await;
    ok(&d, "reporter dossier");
    assert_eq!(d.json["personal_data_withheld"], true);
    assert_eq!(d.json["applicant"], Value::Null);
    assert_eq!(d.json["dossier"]["applicant_name"], Value::Null);
    assert!(!has_key(&d.json["timeline"], "applicant"));
    let text = d.json.to_string();
    for secret in ["Nguyễn", "0901234567", "079090001234", "Lê Lợi"] {
        assert!(!text.contains(secret), "{secret} shown to a reporter");
    }
    let online_seen = app
        .get(&format!("/v1/dossiers/{online}"), Some(&t.reporter))
        .await;
    ok(&online_seen, "reporter online dossier");
    assert_eq!(online_seen.json["timeline"][0]["actor"]["id"], "applicant");
    assert!(!online_seen.json.to_string().contains("Cường"));
    let queue = app
        .get(&format!("/v1/agencies/{DESK}/queue"), Some(&t.reporter))
        .await;
    ok(&queue, "reporter queue");
    assert_eq!(keys(&queue.json["items"]).len(), 2);
    assert!(
        queue.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["dossier"]["applicant_name"].is_null())
    );
    let search = app.get("/v1/search?q=nguyen", Some(&t.reporter)).await;
    assert_eq!(
        (search.status, search.json["code"].as_str()),
        (403, Some("wrong_role"))
    );

    // An officer of another ward of the city: the dossier with the applicant's data.
    let d = app
        .get(&format!("/v1/dossiers/{key}"), Some(&t.other_desk))
        .await;
    ok(&d, "other ward");
    assert_eq!(d.json["applicant"]["id_number"], "079090001234");

    // The applicant: its own dossier in full, nothing else.
    let own = app
        .get(&format!("/v1/dossiers/{online}"), Some(&t.applicant))
        .await;
    ok(&own, "own dossier");
    assert_eq!(own.json["applicant"]["name"], "Lê Văn Cường");
    assert_eq!(own.json["timeline"][0]["actor"]["id"], "portal-1");
    for path in [
        format!("/v1/dossiers/{key}"),
        format!("/v1/dossiers?code={code}"),
    ] {
        let a = app.get(&path, Some(&t.applicant)).await;
        assert_eq!(
            (a.status, a.json["code"].as_str()),
            (404, Some("dossier_not_found")),
            "{path}"
        );
    }
    for path in [
        format!("/v1/units/{WARD}/queue"),
        format!("/v1/units/{WARD}/reports/bieu06?{period}"),
        "/v1/search?q=nguyen".to_owned(),
    ] {
        let a = app.get(&path, Some(&t.applicant)).await;
        assert_eq!(
            (a.status, a.json["code"].as_str()),
            (403, Some("officers_only")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_node_without_read_models_answers_503() {
    let app = spawn_app().await;
    let a = app
        .get(&format!("/v1/units/{WARD}/queue"), Some(&app.tokens.desk))
        .await;
    assert_eq!(a.status, 503, "{}", a.json);
    assert_eq!(a.json["code"], "views_unavailable");
    assert!(a.content_type.starts_with("application/problem+json"));
}

#[tokio::test]
async fn a_province_whose_projector_starts_later_becomes_queryable() {
    let app = spawn_app_with_views(&["79"]).await;
    let hanoi_queue = "/v1/agencies/MC.00004/queue";
    let before = app.get(hanoi_queue, Some(&app.tokens.hanoi)).await;
    assert_eq!(before.status, 503, "{}", before.json);
    assert_eq!(before.json["code"], "views_unavailable");
    // What the binary's supervisor does when it finds a new province stream.
    let projector = Projector::start(
        app.log.clone(),
        Arc::new(Reference::official()),
        ProjectorConfig::new(
            Shard::province("01".parse().unwrap()),
            app.views_dir.join("views-01"),
        ),
    )
    .await
    .unwrap();
    app.views
        .as_ref()
        .unwrap()
        .write()
        .unwrap()
        .insert("01".parse().unwrap(), projector.views().clone());
    let after = app.get(hanoi_queue, Some(&app.tokens.hanoi)).await;
    ok(&after, "after");
    assert_eq!(after.json["items"], json!([]));
    assert_eq!(after.json["scope"]["province"], "01");
}

#[tokio::test]
async fn bad_queries_get_their_status_and_code() {
    let app = spawn_app_with_views(&["79"]).await;
    let t = app.tokens.clone();
    let (key, _) = receive_with_id(&app, "Nguyễn Văn An").await;
    app.fresh().await;
    let long = "a".repeat(101);
    let cases: Vec<(&str, String, &str, u16, &str)> = vec![
        (
            "not a dossier key",
            "/v1/dossiers/79-nope".into(),
            &t.desk,
            400,
            "invalid_dossier_key",
        ),
        (
            "no such dossier",
            format!("/v1/dossiers/79-{}", Uuid::now_v7()),
            &t.desk,
            404,
            "dossier_not_found",
        ),
        (
            "lookup without a code",
            "/v1/dossiers".into(),
            &t.desk,
            400,
            "missing_code",
        ),
        (
            "not a dossier code",
            "/v1/dossiers?code=MC26740".into(),
            &t.desk,
            400,
            "invalid_dossier_code",
        ),
        (
            "no such code",
            "/v1/dossiers?code=MC.26740-200101-9999".into(),
            &t.desk,
            404,
            "dossier_not_found",
        ),
        (
            "code of an unknown office",
            "/v1/dossiers?code=MC.99999-200101-0001".into(),
            &t.desk,
            404,
            "dossier_not_found",
        ),
        (
            "search without q",
            "/v1/search?province=79".into(),
            &t.desk,
            400,
            "missing_q",
        ),
        (
            "search with a blank q",
            "/v1/search?q=%20%20".into(),
            &t.desk,
            400,
            "missing_q",
        ),
        (
            "search for punctuation",
            "/v1/search?q=!!!".into(),
            &t.desk,
            400,
            "invalid_q",
        ),
        (
            "search too long",
            format!("/v1/search?q={long}"),
            &t.desk,
            400,
            "invalid_q",
        ),
        (
            "search a malformed province",
            "/v1/search?province=7&q=an".into(),
            &t.desk,
            400,
            "invalid_province",
        ),
        (
            "search a district as province",
            "/v1/search?province=760&q=an".into(),
            &t.desk,
            400,
            "invalid_province",
        ),
        (
            "search an unknown province",
            "/v1/search?province=99&q=an".into(),
            &t.desk,
            404,
            "unknown_province",
        ),
        (
            "limit 0",
            "/v1/search?q=an&limit=0".into(),
            &t.desk,
            400,
            "invalid_limit",
        ),
        (
            "limit over 1000",
            format!("/v1/units/{WARD}/queue?limit=1001"),
            &t.desk,
            400,
            "invalid_limit",
        ),
        (
            "limit not a number",
            format!("/v1/agencies/{DESK}/queue?limit=ten"),
            &t.desk,
            400,
            "invalid_limit",
        ),
        (
            "negative limit",
            format!("/v1/units/{WARD}/overdue?limit=-5"),
            &t.desk,
            400,
            "invalid_limit",
        ),
        (
            "a parameter twice",
            format!("/v1/units/{WARD}/queue?limit=1&limit=2"),
            &t.desk,
            400,
            "invalid_query",
        ),
        (
            "unit code of 4 digits",
            "/v1/units/2674/queue".into(),
            &t.desk,
            400,
            "invalid_unit_code",
        ),
        (
            "unit code with letters",
            "/v1/units/ward/overdue".into(),
            &t.desk,
            400,
            "invalid_unit_code",
        ),
        (
            "unknown unit",
            "/v1/units/99999/queue".into(),
            &t.desk,
            404,
            "unknown_unit",
        ),
        (
            "malformed office",
            "/v1/agencies/mc.26740/queue".into(),
            &t.desk,
            400,
            "invalid_agency_id",
        ),
        (
            "unknown office",
            "/v1/agencies/MC.99999/overdue".into(),
            &t.desk,
            404,
            "unknown_agency",
        ),
        (
            "overdue at a word",
            format!("/v1/units/{WARD}/overdue?at=yesterday"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "overdue at a date",
            format!("/v1/agencies/{OFFICE}/overdue?at=2026-01-09"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "overdue at no offset",
            format!("/v1/units/{WARD}/overdue?at=2026-01-09T09:00:00"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "report without a period",
            format!("/v1/units/{WARD}/reports/bieu06"),
            &t.desk,
            400,
            "missing_period",
        ),
        (
            "report without to",
            format!("/v1/units/{WARD}/reports/bieu06?from=2026-01-01"),
            &t.desk,
            400,
            "missing_period",
        ),
        (
            "report on 13th month",
            format!("/v1/units/{WARD}/reports/bieu06?from=2026-13-01&to=2026-12-31"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "report on 30 February",
            format!("/v1/units/{WARD}/reports/kpi766?from=2026-02-30&to=2026-03-31"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "report date without dashes",
            format!("/v1/units/{WARD}/reports/bieu06?from=20260101&to=2026-01-31"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "report in year 1",
            format!("/v1/units/{WARD}/reports/bieu06?from=0001-01-01&to=0001-01-31"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "report backwards",
            format!("/v1/units/{WARD}/reports/bieu06?from=2026-02-01&to=2026-01-01"),
            &t.desk,
            400,
            "invalid_period",
        ),
        (
            "report over five years",
            "/v1/units/79/reports/kpi766?from=2020-01-01&to=2026-01-01".into(),
            &t.reporter,
            400,
            "period_too_long",
        ),
        (
            "report judged at nonsense",
            format!("/v1/units/{WARD}/reports/bieu06?from=2026-01-01&to=2026-01-31&at=soon"),
            &t.desk,
            400,
            "invalid_date",
        ),
        (
            "report of an unknown unit",
            "/v1/units/98765/reports/bieu06?from=2026-01-01&to=2026-01-31".into(),
            &t.desk,
            404,
            "unknown_unit",
        ),
        (
            "applicant on a queue",
            format!("/v1/units/{WARD}/queue"),
            &t.applicant,
            403,
            "officers_only",
        ),
        (
            "other province's report",
            "/v1/units/79/reports/bieu06?from=2026-01-01&to=2026-01-31".into(),
            &t.hanoi,
            403,
            "other_province",
        ),
        (
            "other province's search",
            "/v1/search?province=79&q=an".into(),
            &t.hanoi,
            403,
            "other_province",
        ),
        (
            "reporter searching names",
            "/v1/search?q=an".into(),
            &t.reporter,
            403,
            "wrong_role",
        ),
        (
            "province without read models here",
            "/v1/units/01/queue".into(),
            &t.hanoi,
            503,
            "views_unavailable",
        ),
        (
            "dossier of a province without read models",
            format!("/v1/dossiers/01-{}", Uuid::now_v7()),
            &t.hanoi,
            503,
            "views_unavailable",
        ),
        (
            "unknown token",
            format!("/v1/dossiers/{key}"),
            "motcua_nope",
            401,
            "unknown_token",
        ),
    ];
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    for (what, path, token, status, code) in &cases {
        let got = app.get(path, Some(*token)).await;
        let ok = got.status == *status
            && got.content_type.starts_with("application/problem+json")
            && got.json["code"] == *code
            && got.json["status"] == *status;
        if !ok {
            failures.push(format!(
                "{what}: {path}: expected {status} {code}, got {} {}",
                got.status, got.json
            ));
        }
    }
    // No token, and a method the query routes do not take.
    let none = app.get(&format!("/v1/dossiers/{key}"), None).await;
    if (none.status, none.json["code"].as_str()) != (401, Some("missing_token")) {
        failures.push(format!("no token: got {} {}", none.status, none.json));
    }
    let post = answer(
        app.client
            .request(Method::POST, app.url(&format!("/v1/dossiers/{key}")))
            .bearer_auth(&t.desk)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    if (post.status, post.json["code"].as_str()) != (405, Some("method_not_allowed")) {
        failures.push(format!(
            "POST on a dossier: got {} {}",
            post.status, post.json
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len() + 2,
        failures.join("\n")
    );

    // Refusals are counted by their code.
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.lines().any(|l| l
            .starts_with(r#"motcua_queries_total{endpoint="bieu06",outcome="period_too_long"}"#)
            || l.starts_with(
                r#"motcua_queries_total{endpoint="kpi766",outcome="period_too_long"}"#
            )),
        "{text}"
    );
}

#[tokio::test]
async fn every_query_is_documented() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.json;
    let paths = [
        ("/v1/dossiers/{key}", "DossierAnswer"),
        ("/v1/dossiers", "DossierAnswer"),
        ("/v1/search", "SearchAnswer"),
        ("/v1/units/{unit}/queue", "ListAnswer"),
        ("/v1/agencies/{agency}/queue", "ListAnswer"),
        ("/v1/units/{unit}/overdue", "ListAnswer"),
        ("/v1/agencies/{agency}/overdue", "ListAnswer"),
        ("/v1/units/{unit}/reports/bieu06", "Bieu06Answer"),
        ("/v1/units/{unit}/reports/kpi766", "Kpi766Answer"),
    ];
    for (path, schema) in paths {
        let op = &doc["paths"][path]["get"];
        assert!(op.is_object(), "{path}");
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{schema}"),
            "{path}"
        );
        assert!(
            op["parameters"].as_array().is_some_and(|p| !p.is_empty()),
            "{path}"
        );
        for status in ["400", "401", "403", "404", "503"] {
            assert!(op["responses"][status].is_object(), "{path} {status}");
        }
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    // The creation is still documented next to the lookup.
    assert!(doc["paths"]["/v1/dossiers"]["post"].is_object());
    let report = &doc["paths"]["/v1/units/{unit}/reports/bieu06"]["get"]["parameters"];
    let names: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["unit", "from", "to", "at"]);
}

#[tokio::test]
async fn the_official_report_exports_as_json_csv_and_xlsx() {
    let app = spawn_app_with_views(&["79"]).await;
    let t = app.tokens.clone();
    receive_with_id(&app, "Nguyễn Văn An").await;
    app.fresh().await;
    let period = format!("from={}&to={}", today(), today());
    let path = |format: &str| format!("/v1/units/79/reports/official?{period}&format={format}");

    let json = app.get(&path("json"), Some(&t.reporter)).await;
    assert_eq!(json.status, 200, "{}", json.json);
    assert_eq!(
        json.json["bieu06"]["total"]["received_direct_postal"], 1,
        "{}",
        json.json
    );

    let http = reqwest::Client::new();
    for (format, content_type, magic) in [
        ("csv", "text/csv", None),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Some(&b"PK"[..]),
        ),
    ] {
        let r = http
            .get(app.url(&path(format)))
            .bearer_auth(&t.reporter)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{format}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(content_type), "{format}: {ct}");
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.contains(&format!(".{format}\"")),
            "{disposition}"
        );
        let body = r.bytes().await.unwrap();
        match magic {
            Some(m) => assert!(body.starts_with(m), "{format} is a zip"),
            None => assert!(String::from_utf8_lossy(&body).contains("79"), "{format}"),
        }
    }

    let bad = app.get(&path("pdf"), Some(&t.reporter)).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json["code"], "invalid_format");
}
