//! One trace from the caller to the read models (operations.md, "Tracing").
//!
//! Runs the real binary as `motcua up` with JSON logs (`MOTCUA_LOG_FORMAT=json`), sends a command
//! over HTTP with a `traceparent` header and one over NATS with the header, waits until the
//! projector has applied both, and reads the log back: for each, the edge's span has the
//! caller's trace id with the caller's span as `parent_span_id`, the command service's span has
//! the same trace id, the envelope in the stream carries it, and the projector's `project` span
//! has the same trace id with the command's span as its parent. A command without a header
//! starts a trace of its own, which the projector joins too.
//!
//! Needs the pinned nats-server. Takes a few seconds.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use motcua_domain::units::UnitCode;
use motcua_log::{DossierKey, EventLog, LogSettings};
use motcua_testkit::NatsServer;
use serde_json::{Value, json};
use support::{DESK, Up};
use uuid::Uuid;

const HTTP_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const HTTP_PARENT: &str = "b7ad6b7169203331";
const NATS_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const NATS_PARENT: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_from_the_request_to_the_projector() {
    let nats = NatsServer::start_single().await.unwrap();
    let url = nats.client_url();
    let province: UnitCode = "79".parse().unwrap();
    let log = EventLog::connect(&url, LogSettings::default())
        .await
        .unwrap();
    log.ensure_dossier_stream(&province).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut up = Up::start(
        &url,
        &dir.path().join("data"),
        dir.path(),
        &[
            ("MOTCUA_LOG_FORMAT", "json"),
            ("MOTCUA_LOG", "info,motcua_views=debug,motcua_command=debug"),
        ],
    );
    let http = reqwest::Client::new();

    // Over HTTP, with the caller's trace.
    let (status, body) = up
        .receive(
            &http,
            &[("traceparent", &format!("00-{HTTP_TRACE}-{HTTP_PARENT}-01"))],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let http_key: DossierKey = body["key"].as_str().unwrap().parse().unwrap();

    // Over NATS, with the caller's trace in a header.
    let client = async_nats::connect(&url).await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        "traceparent",
        format!("00-{NATS_TRACE}-{NATS_PARENT}-01").as_str(),
    );
    let request = json!({
        "command_id": Uuid::now_v7(),
        "actor": {"id": "tn01", "role": "reception", "agency": DESK},
        "command": "receive",
        "procedure": "1.004194",
        "channel": "direct",
        "applicant": {"name": "Người Thử"},
        "handling_agency": "UB.26740",
        "digitised": true
    });
    let reply = client
        .request_with_headers(
            "motcua.cmd.79.MC_26740",
            headers,
            serde_json::to_vec(&request).unwrap().into(),
        )
        .await
        .unwrap();
    let reply: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(reply["ok"], true, "{reply}");
    let nats_key: DossierKey = reply["key"].as_str().unwrap().parse().unwrap();

    // Without a header: a trace of its own.
    let (status, body) = up.receive(&http, &[]).await;
    assert_eq!(status, 201, "{body}");
    let fresh_key: DossierKey = body["key"].as_str().unwrap().parse().unwrap();

    let last = log.last_sequence(&province).await.unwrap();
    up.wait_caught_up(&http, last, Duration::from_secs(15))
        .await;
    let status = up.interrupt();
    assert!(status.success(), "motcua up stopped with {status}");

    let lines: Vec<Value> = up
        .stderr_text()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        lines.len() > 5,
        "MOTCUA_LOG_FORMAT=json gave no JSON lines:\n{}",
        up.stderr_tail(20)
    );

    for (key, edge, trace, parent) in [
        (&http_key, "http_command", HTTP_TRACE, HTTP_PARENT),
        (&nats_key, "nats_command", NATS_TRACE, NATS_PARENT),
    ] {
        let command_span = find_span(&lines, "command", trace).unwrap_or_else(|| {
            panic!(
                "no command span with trace {trace} in the log:\n{}",
                up.stderr_tail(40)
            )
        });
        let edge_span = enclosing(&lines, edge, trace)
            .unwrap_or_else(|| panic!("the command span of trace {trace} is not inside {edge}"));
        assert_eq!(edge_span["parent_span_id"], parent, "{edge_span}");
        let command_span_id = command_span["span_id"].as_str().unwrap().to_owned();
        assert_eq!(command_span["dossier"], key.to_string(), "{command_span}");
        assert_ne!(
            command_span_id, parent,
            "the command's span is a child, not the caller's"
        );

        let stored = stored_traceparent(&log, key).await;
        assert_eq!(stored, format!("00-{trace}-{command_span_id}-01"));

        let project = find_span(&lines, "project", trace).unwrap_or_else(|| {
            panic!(
                "the projector logged no span of trace {trace}:\n{}",
                up.stderr_tail(40)
            )
        });
        assert_eq!(
            project["parent_span_id"],
            command_span_id.as_str(),
            "{project}"
        );
    }

    // A command without a trace header starts one, and the projector joins it.
    let stored = stored_traceparent(&log, &fresh_key).await;
    let fresh_trace = stored.split('-').nth(1).unwrap().to_owned();
    assert_ne!(fresh_trace, HTTP_TRACE);
    let edge = enclosing(&lines, "http_command", &fresh_trace).unwrap();
    assert!(edge.get("parent_span_id").is_none(), "{edge}");
    assert!(
        find_span(&lines, "project", &fresh_trace).is_some(),
        "the projector did not join the trace {fresh_trace} started by the edge"
    );
}

/// The fields of the first span named `name` with this trace id, in any line's span list.
fn find_span<'a>(lines: &'a [Value], name: &str, trace_id: &str) -> Option<&'a Value> {
    lines
        .iter()
        .filter_map(|l| l["spans"].as_array())
        .flatten()
        .find(|s| s["name"] == name && s["trace_id"] == trace_id)
}

/// The span named `name` that encloses a `command` span of this trace id.
fn enclosing<'a>(lines: &'a [Value], name: &str, trace_id: &str) -> Option<&'a Value> {
    lines
        .iter()
        .filter_map(|l| l["spans"].as_array())
        .filter(|spans| {
            spans
                .iter()
                .any(|s| s["name"] == "command" && s["trace_id"] == trace_id)
        })
        .flatten()
        .find(|s| s["name"] == name)
}

/// The `traceparent` of a dossier's first commit, as stored in its envelope.
async fn stored_traceparent(log: &EventLog, key: &DossierKey) -> String {
    let history = log.read_dossier(key).await.unwrap();
    history
        .first()
        .and_then(|c| c.envelope.traceparent.clone())
        .unwrap_or_else(|| panic!("no traceparent in the envelope of {key}"))
}
