//! The event feed: resumable with Last-Event-ID, live, filtered.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};
use serde_json::json;

use crate::helpers::{DESK, OFFICE, TestApp, spawn_app};

/// An open feed: the events as they come.
type Feed = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// Opens the feed; the answer's headers have arrived when this returns.
async fn open(app: &TestApp, query: &str, last_event_id: Option<u64>) -> Feed {
    let mut request = app
        .client
        .get(app.url(&format!("/v1/events{query}")))
        .bearer_auth(&app.tokens.desk)
        .timeout(Duration::from_secs(600));
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    Box::pin(response.bytes_stream().eventsource().map(|e| e.unwrap()))
}

async fn next(feed: &mut Feed) -> Event {
    tokio::time::timeout(Duration::from_secs(10), feed.next())
        .await
        .expect("an event within 10 s")
        .expect("the feed goes on")
}

/// Nothing arrives for a while (keep-alive comments are not events).
async fn quiet(feed: &mut Feed) {
    if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(1200), feed.next()).await {
        panic!("unexpected event {} {}", e.id, e.event);
    }
}

fn seq(answer: &serde_json::Value) -> u64 {
    answer["stream_seq"].as_u64().unwrap()
}

#[tokio::test]
async fn a_client_resumes_exactly_after_its_last_event_id_and_sees_live_events() {
    let app = spawn_app().await;
    let t = app.tokens.clone();
    let key = app.receive().await;
    let received = app.log.read_dossier(&key.parse().unwrap()).await.unwrap()[0].stream_seq;
    let forwarded = seq(&app
        .ok(&key, "forward", &t.desk, json!({"to": OFFICE}))
        .await);

    // Resume after the receipt: the forward comes first, with its sequence as id.
    let mut feed = open(&app, "", Some(received)).await;
    let e = next(&mut feed).await;
    assert_eq!(e.id, forwarded.to_string());
    assert_eq!(e.event, "forwarded");
    let envelope: serde_json::Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(envelope["subject"], key.as_str());
    assert_eq!(envelope["type"], "vn.motcua.dossier.forwarded.v1");
    assert_eq!(envelope["data"]["events"][0]["to"], OFFICE);

    // A client at the live end sees only what comes next.
    let mut live = open(&app, "", None).await;
    let assigned = seq(&app
        .ok(&key, "assign", &t.head, json!({"officer": "cv01"}))
        .await);
    for feed in [&mut feed, &mut live] {
        let e = next(feed).await;
        assert_eq!((e.id, e.event.as_str()), (assigned.to_string(), "assigned"));
    }
    // Keep-alive comments (every 300 ms here) are not events.
    quiet(&mut feed).await;

    // from_seq replays from a sequence.
    let mut replay = open(&app, &format!("?from_seq={received}"), None).await;
    let ids: Vec<String> = vec![
        next(&mut replay).await.id,
        next(&mut replay).await.id,
        next(&mut replay).await.id,
    ];
    assert_eq!(
        ids,
        [received, forwarded, assigned]
            .map(|s| s.to_string())
            .to_vec()
    );
}

#[tokio::test]
async fn filters_by_unit_level_and_type() {
    let app = spawn_app().await;
    let t = app.tokens.clone();
    let by_desk = open(&app, &format!("?province=79&unit={DESK}&from_seq=1"), None).await;
    let by_type = open(&app, "?type=assigned,forwarded&from_seq=1", None).await;
    let by_province_level = open(&app, "?level=province&from_seq=1", None).await;
    let commune_received = open(&app, "?level=commune&type=received&from_seq=1", None).await;

    let key = app.receive().await;
    let first = app.log.last_sequence(&"79".parse().unwrap()).await.unwrap();
    let to_office = seq(&app
        .ok(&key, "forward", &t.desk, json!({"to": OFFICE}))
        .await);
    let assigned = seq(&app
        .ok(&key, "assign", &t.head, json!({"officer": "cv01"}))
        .await);
    // The ward's officer sends it on to the city's People's Committee (a province-level office).
    let to_city = seq(&app
        .ok(&key, "forward", &t.officer, json!({"to": "UB.79"}))
        .await);

    let collect = |feed: Feed, n| async move {
        let mut feed = feed;
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(next(&mut feed).await.id.parse::<u64>().unwrap());
        }
        quiet(&mut feed).await;
        out
    };
    // The desk: it received the dossier and handed it over; the assignment and the second
    // forward are between other offices.
    assert_eq!(collect(by_desk, 2).await, vec![first, to_office]);
    assert_eq!(
        collect(by_type, 3).await,
        vec![to_office, assigned, to_city]
    );
    assert_eq!(collect(by_province_level, 1).await, vec![to_city]);
    assert_eq!(collect(commune_received, 1).await, vec![first]);
}

#[tokio::test]
async fn shutdown_ends_open_feeds_and_serve_returns() {
    let mut app = spawn_app().await;
    let mut feed = open(&app, "", None).await;
    app.stop().await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .expect("the feed ends at shutdown");
    assert!(end.is_none());
}
