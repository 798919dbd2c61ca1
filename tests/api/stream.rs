//! The change stream: server-sent events that resume where they stopped.

use crate::helpers::{TestApp, assert_problem, spawn_app};
use serde_json::{Value, json};
use std::time::Duration;

/// Reads events from an open stream until `count` changes came (or 10 s passed).
async fn changes(
    stream: &mut reqwest::Response,
    text: &mut String,
    count: usize,
) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while found.len() < count && std::time::Instant::now() < deadline {
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let id = block.lines().find_map(|l| l.strip_prefix("id: "));
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(id), Some(data)) = (id, data) {
                assert!(block.contains("event: change\n"), "{block}");
                found.push((id.to_string(), serde_json::from_str(data).unwrap()));
            }
        }
        if found.len() >= count {
            break;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match actix_web::rt::time::timeout(left, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(std::str::from_utf8(&chunk).unwrap()),
            _ => break,
        }
    }
    found
}

async fn open(app: &TestApp, path: &str, last: Option<&str>) -> reqwest::Response {
    let mut request = app.anonymous.get(app.url(path));
    if let Some(last) = last {
        request = request.header("last-event-id", last);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response
}

async fn create_city(app: &TestApp, name: &str) {
    app.create_city(json!({"name": name, "country_code": "RU"}))
        .await;
}

#[actix_web::test]
async fn the_stream_resumes_after_a_dropped_connection_without_losing_or_repeating_a_change() {
    let app = spawn_app().await;
    for name in ["Tver", "Pskov", "Vologda"] {
        create_city(&app, name).await;
    }
    let mut stream = open(&app, "/api/v1/changes/stream", None).await;
    let mut text = String::new();
    let first = changes(&mut stream, &mut text, 3).await;
    assert!(text.is_empty() || text.starts_with(':'), "{text}");
    assert_eq!(first.len(), 3, "the changes made before it opened");
    // Live: changes made while it is open arrive.
    for name in ["Kostroma", "Yaroslavl"] {
        create_city(&app, name).await;
    }
    let live = changes(&mut stream, &mut text, 2).await;
    assert_eq!(
        live.iter()
            .map(|(_, c)| c["after"]["name"].clone())
            .collect::<Vec<_>>(),
        vec![json!("Kostroma"), json!("Yaroslavl")]
    );
    // The connection drops; changes are made meanwhile; the client resumes.
    let last = live.last().unwrap().0.clone();
    drop(stream);
    for name in ["Ryazan", "Tula", "Kaluga"] {
        create_city(&app, name).await;
    }
    let mut resumed = open(&app, "/api/v1/changes/stream", Some(&last)).await;
    let mut text = String::new();
    let after = changes(&mut resumed, &mut text, 3).await;
    let all: Vec<i64> = first
        .iter()
        .chain(&live)
        .chain(&after)
        .map(|(_, c)| c["id"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = (all[0]..all[0] + 8).collect();
    assert_eq!(all, expected, "every change once, in order");
    // Each event's id is the change's cursor, as the feed gives it.
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    assert_eq!(feed["items"][7]["cursor"], json!(after.last().unwrap().0));
    assert_eq!(feed["items"][7], after.last().unwrap().1);
}

#[actix_web::test]
async fn the_stream_takes_the_feeds_filters_and_refuses_an_unknown_event_id() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let twinning = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city"}))
        .await;
    let mut stream = open(&app, "/api/v1/changes/stream?entity=twinning", None).await;
    let mut text = String::new();
    let only = changes(&mut stream, &mut text, 1).await;
    assert_eq!(only[0].1["entity_id"], twinning);
    create_city(&app, "Tver").await;
    let response = app
        .put(&format!(
            "/api/v1/twinnings/{twinning}/confirmations/{}",
            c.rochester
        ))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let next = changes(&mut stream, &mut text, 1).await;
    assert_eq!(
        next[0].1["entity"], "twinning",
        "the city in between is not sent"
    );
    assert_eq!(next[0].1["after"]["confirmations"][1]["confirmed"], true);

    let bad = app
        .anonymous
        .get(app.url("/api/v1/changes/stream"))
        .header("last-event-id", "not-ours")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad, 400, "invalid_parameter").await;
    assert_eq!(problem["errors"][0]["field"], "Last-Event-ID");
}
