//! The web dashboard as the API serves it: its embedded files (status, content types, caching,
//! the security policy, nothing fetched from elsewhere) and the two lookups it needs
//! (`GET /v1/units/{unit}`, `GET /v1/me`). The page itself is driven in a real browser by
//! `tools/browser-test`.
#![allow(clippy::unwrap_used)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::spawn_app;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use serde_json::Value;

/// The content type each kind of file must be served with.
fn expected_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        other => panic!("no content type expected for {other:?}"),
    }
}

fn path_of(name: &str) -> String {
    if name == "index.html" {
        "/dashboard/".to_owned()
    } else {
        format!("/dashboard/{name}")
    }
}

/// The text without its comments: `<!-- -->` (HTML), `/* */` (CSS, JS) and `//` comments that
/// start a line or follow a space (JS). A `//` right after a `:` or a quote is code (a URL),
/// never a comment, so no URL can hide behind this.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let html = rest.find("<!--");
        let block = rest.find("/*");
        let next = match (html, block) {
            (Some(h), Some(b)) => Some(h.min(b)),
            (h, b) => h.or(b),
        };
        let Some(start) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..start]);
        let close = if rest[start..].starts_with("<!--") {
            "-->"
        } else {
            "*/"
        };
        match rest[start..].find(close) {
            Some(end) => rest = &rest[start + end + close.len()..],
            None => break,
        }
    }
    out.lines()
        .map(|line| {
            let cut = line
                .match_indices("//")
                .find(|(i, _)| *i == 0 || line[..*i].ends_with(char::is_whitespace))
                .map_or(line.len(), |(i, _)| i);
            &line[..cut]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn every_file_is_served_with_its_type_policy_and_validator() {
    let app = spawn_app().await;
    let names: Vec<&str> = motcua_api::dashboard::asset_names().collect();
    assert!(names.contains(&"index.html") && names.contains(&"app.js"));
    for name in &names {
        let response = app
            .client
            .get(app.url(&path_of(name)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        let headers = response.headers().clone();
        assert_eq!(headers[CONTENT_TYPE], expected_type(name), "{name}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{name}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{name}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["cache-control"], "no-cache");
        let body = response.bytes().await.unwrap();
        assert!(!body.is_empty(), "{name} is empty");

        // A revalidation with the validator answers 304 without a body.
        let etag = headers[ETAG].clone();
        let again = app
            .client
            .get(app.url(&path_of(name)))
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{name}");
        assert!(again.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_root_leads_to_the_dashboard_and_unknown_files_are_problems() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/", "/dashboard"] {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert!(r.status().is_redirection(), "{path}: {}", r.status());
        assert_eq!(r.headers()[LOCATION], "/dashboard/", "{path}");
    }
    for path in [
        "/dashboard/nope.js",
        "/dashboard/..%2Fsecret",
        "/dashboard/a/b",
    ] {
        let a = app.get(path, None).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(a.content_type, "application/problem+json", "{path}");
    }
    // The files need no token; the API behind them does.
    assert_eq!(app.get("/dashboard/", None).await.status, 200);
    assert_eq!(app.get("/v1/units/79", None).await.status, 401);
}

#[tokio::test]
async fn the_files_load_nothing_from_elsewhere_and_reference_only_each_other() {
    let app = spawn_app().await;
    let names: Vec<&str> = motcua_api::dashboard::asset_names().collect();
    for name in &names {
        let text = app
            .client
            .get(app.url(&path_of(name)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // The one exception: the XML namespace of the SVG icon, a name that is never fetched.
        let code = without_comments(&text).replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for scheme in ["http://", "https://", "ws://", "wss://"] {
            assert!(
                !code.to_ascii_lowercase().contains(scheme),
                "{name} names an external URL ({scheme})"
            );
        }
        for protocol_relative in ["\"//", "'//", "(//", "`//"] {
            assert!(
                !code.contains(protocol_relative),
                "{name} names a protocol-relative URL"
            );
        }
        assert!(!code.contains("@import"), "{name} imports a stylesheet");
        // Every file it references (src, href, ES module imports) is one of the embedded files.
        let references = code
            .split(['"', '\''])
            .filter(|s| {
                s.starts_with("./") || [".js", ".css", ".svg"].iter().any(|e| s.ends_with(e))
            })
            .filter(|s| !s.contains(' ') && !s.contains('$'))
            .map(|s| s.trim_start_matches("./"))
            .filter(|s| !s.is_empty());
        for r in references {
            assert!(
                names.contains(&r),
                "{name} references {r:?}, which is not embedded"
            );
        }
    }
    // The page keeps the token out of URLs and off disk: sessionStorage and the header only.
    let api = app
        .client
        .get(app.url("/dashboard/api.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(api.contains("sessionStorage") && api.contains("Authorization: `Bearer"));
    assert!(!api.contains("localStorage"));
    let feed = app
        .client
        .get(app.url("/dashboard/feed.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!without_comments(&feed).contains("EventSource"));
    assert!(!without_comments(&feed).contains("access_token"));
}

#[test]
fn comments_are_stripped_but_urls_are_not_taken_for_comments() {
    let js = "import x from './a.js'; // see https://example.org\nconst u = 'https://cdn.example/x.js';\n/* http://a */ f();";
    let code = without_comments(js);
    assert!(!code.contains("example.org"));
    assert!(code.contains("https://cdn.example/x.js"));
    assert!(!code.contains("http://a"));
    assert_eq!(
        without_comments("<!-- https://x --><p>a</p>"),
        "<p>a</p>".to_owned()
    );
}

#[tokio::test]
async fn a_unit_comes_with_its_parents_children_and_offices() {
    let app = spawn_app().await;
    let token = Some(app.tokens.reporter.as_str());

    let city = app.get("/v1/units/79", token).await;
    assert_eq!(city.status, 200, "{:?}", city.json);
    assert_eq!(city.json["unit"]["name"], "Thành phố Hồ Chí Minh");
    assert_eq!(city.json["unit"]["level"], "province");
    assert_eq!(city.json["list"]["id"], "2level-2025-07");
    assert_eq!(city.json["path"], Value::Array(Vec::new()));
    let children = city.json["children"].as_array().unwrap();
    assert!(children.len() > 100, "{} communes", children.len());
    assert_eq!(
        city.json["unit"]["children"].as_u64().unwrap(),
        children.len() as u64
    );
    let ward = children
        .iter()
        .find(|c| c["code"] == "26740")
        .expect("Phường Sài Gòn is a commune of the city");
    assert_eq!(ward["name"], "Phường Sài Gòn");
    assert_eq!(ward["level"], "commune");
    // By proper name, in Vietnamese alphabetical order, whatever the type (Phường, Xã…).
    let proper = |c: &Value| {
        let name = c["name"].as_str().unwrap();
        name.strip_prefix(c["kind"].as_str().unwrap())
            .unwrap_or(name)
            .trim()
            .to_owned()
    };
    assert!(
        proper(&children[0]).starts_with('A'),
        "{}",
        proper(&children[0])
    );
    assert!(proper(children.last().unwrap()).starts_with(['V', 'X', 'Y']));
    let d = children.iter().position(|c| proper(c).starts_with('D'));
    let dd = children.iter().position(|c| proper(c).starts_with('Đ'));
    if let (Some(d), Some(dd)) = (d, dd) {
        assert!(d < dd, "D before Đ");
    }

    let ward = app.get("/v1/units/26740", token).await;
    assert_eq!(ward.status, 200);
    assert_eq!(ward.json["unit"]["name"], "Phường Sài Gòn");
    assert_eq!(ward.json["path"][0]["code"], "79");
    assert_eq!(ward.json["children"], Value::Array(Vec::new()));
    let offices: Vec<&str> = ward.json["offices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(offices.contains(&"MC.26740") && offices.contains(&"UB.26740"));
    // The code is in both lists: the ward of 2025-07 and Phường Bến Nghé of Quận 1 before.
    let lists: Vec<&str> = ward.json["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(lists, ["3level-2025-03", "2level-2025-07"]);

    let old = app.get("/v1/units/26740?list=3level-2025-03", token).await;
    assert_eq!(old.status, 200);
    assert_eq!(old.json["list"]["id"], "3level-2025-03");
    assert_eq!(old.json["list"]["valid_to"], "2025-06-30");
    let path: Vec<&str> = old.json["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["79", "760"]);
    let district = app.get("/v1/units/760", token).await;
    assert_eq!(district.json["unit"]["level"], "district");
    assert!(!district.json["children"].as_array().unwrap().is_empty());

    // Any officer may look units up; the lists are public.
    assert_eq!(
        app.get("/v1/units/01", Some(&app.tokens.desk)).await.status,
        200
    );
}

#[tokio::test]
async fn bad_unit_lookups_are_problems() {
    let app = spawn_app().await;
    let token = Some(app.tokens.reporter.as_str());
    let cases: [(&str, Option<&str>, u16, &str); 6] = [
        ("/v1/units/7", token, 400, "invalid_unit_code"),
        ("/v1/units/abcde", token, 400, "invalid_unit_code"),
        ("/v1/units/99", token, 404, "unknown_unit"),
        ("/v1/units/79?list=1level", token, 400, "invalid_query"),
        (
            "/v1/units/760?list=2level-2025-07",
            token,
            404,
            "unknown_unit",
        ),
        ("/v1/units/79", None, 401, "missing_token"),
    ];
    for (path, token, status, code) in cases {
        let a = app.get(path, token).await;
        assert_eq!(a.status, status, "{path}: {:?}", a.json);
        assert_eq!(a.json["code"], code, "{path}");
        assert_eq!(a.content_type, "application/problem+json");
    }
    let a = app.get("/v1/units/79", Some(&app.tokens.applicant)).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.json["code"], "officers_only");
}

#[tokio::test]
async fn me_names_the_account_its_office_and_province() {
    let app = spawn_app().await;
    let me = app.get("/v1/me", Some(&app.tokens.reporter)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["id"], "bc01");
    assert_eq!(me.json["kind"], "officer");
    assert_eq!(me.json["office"], "UB.26740");
    assert_eq!(me.json["unit"], "26740");
    assert_eq!(me.json["province"], "79");
    assert_eq!(me.json["roles"], serde_json::json!(["reporter"]));
    assert_eq!(me.json["reads_every_province"], true);
    let desk = app.get("/v1/me", Some(&app.tokens.desk)).await;
    assert_eq!(desk.json["reads_every_province"], false);
    assert_eq!(desk.json["office_name"], "Bộ phận Một cửa Phường Sài Gòn");
    let applicant = app.get("/v1/me", Some(&app.tokens.applicant)).await;
    assert_eq!(applicant.json["kind"], "applicant");
    assert_eq!(applicant.json["office"], Value::Null);
    assert_eq!(app.get("/v1/me", None).await.status, 401);
}

#[tokio::test]
async fn the_lookups_are_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.json;
    for path in ["/v1/units/{unit}", "/v1/me"] {
        let op = &doc["paths"][path]["get"];
        assert!(op.is_object(), "{path} missing");
        assert!(op["security"].is_array(), "{path}");
    }
    assert!(doc["components"]["schemas"]["UnitAnswer"].is_object());
    assert!(doc["paths"].get("/dashboard/").is_none());
}
