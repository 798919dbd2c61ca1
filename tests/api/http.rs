use crate::helpers::{assert_problem, error_fields, spawn_app, spawn_app_with, story};
use serde_json::{Value, json};
use twinning::config::ServeArgs;

#[actix_web::test]
async fn a_second_get_with_the_etag_is_304_until_the_resource_changes() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let path = format!("/api/v1/cities/{id}");
    let first = app.get(&path).await;
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(first.headers()["cache-control"], "public, max-age=30");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong tag: {etag}"
    );
    let again = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    app.patch_json(&path, &json!({"population": 1})).await;
    let changed = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[actix_web::test]
async fn lists_have_etags_too() {
    let app = spawn_app().await;
    app.create_story_cities().await;
    for path in [
        "/api/v1/cities?q=nov",
        "/api/v1/twinnings",
        "/api/v1/anniversaries",
        "/api/v1/events",
    ] {
        let first = app.get(path).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", format!("\"other\", {etag}"))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status().as_u16(), 304, "{path}");
    }
}

#[actix_web::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let twinning = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"})).await;
    let event: Value = app
        .post_json(&format!("/api/v1/twinnings/{twinning}/events"), &json!({"kind": "letter", "from_city_id": c.rochester, "date": "2020", "title": "Letter"}))
        .await
        .json()
        .await
        .unwrap();
    for (path, change) in [
        (
            format!("/api/v1/cities/{}", c.novosibirsk),
            json!({"population": 1633595}),
        ),
        (
            format!("/api/v1/twinnings/{twinning}"),
            json!({"notes": "Since 1990"}),
        ),
        (
            format!("/api/v1/events/{}", event["id"]),
            json!({"title": "Letter of friendship"}),
        ),
    ] {
        let read = app.get(&path).await;
        let etag = read.headers()["etag"].to_str().unwrap().to_string();
        let body: Value = read.json().await.unwrap();
        // Someone else changes it first, with the tag they read.
        let first = app
            .client
            .patch(app.url(&path))
            .header("if-match", &etag)
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(first.status().as_u16(), 200, "{path}");
        let stale = app
            .client
            .patch(app.url(&path))
            .header("if-match", &etag)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let current_tag = stale.headers()["etag"].to_str().unwrap().to_string();
        assert_problem(stale, 412, "precondition_failed").await;
        // A body invalid in itself is refused as such, whatever its precondition.
        let invalid = app
            .client
            .patch(app.url(&path))
            .header("if-match", &etag)
            .json(&json!({"no_such_field": 1}))
            .send()
            .await
            .unwrap();
        assert_problem(invalid, 422, "validation_failed").await;
        let (field, too_long) = if path.contains("/cities/") {
            ("name", "x".repeat(201))
        } else if path.contains("/twinnings/") {
            ("notes", "x".repeat(10_001))
        } else {
            ("title", "x".repeat(201))
        };
        let invalid = app
            .client
            .patch(app.url(&path))
            .header("if-match", &etag)
            .json(&json!({field: too_long}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(invalid, 422, "validation_failed").await;
        assert_eq!(error_fields(&problem), vec![field], "{path}");
        let stale_delete = app
            .client
            .delete(app.url(&path))
            .header("if-match", &etag)
            .send()
            .await
            .unwrap();
        assert_problem(stale_delete, 412, "precondition_failed").await;
        let now = app.get(&path).await;
        assert_eq!(
            now.headers()["etag"].to_str().unwrap(),
            current_tag,
            "the 412 names the current tag"
        );
        let now: Value = now.json().await.unwrap();
        assert_ne!(now, body, "the first change stands");
        let fresh = app
            .client
            .patch(app.url(&path))
            .header("if-match", &current_tag)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status().as_u16(), 200);
        let any = app
            .client
            .patch(app.url(&path))
            .header("if-match", "*")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(any.status().as_u16(), 200);
    }
}

#[actix_web::test]
async fn two_racing_patches_with_the_same_if_match_let_one_win() {
    let app = spawn_app().await;
    let id = app.create_city(story::novosibirsk()).await;
    let path = format!("/api/v1/cities/{id}");
    for round in 0..5 {
        let etag = app.get(&path).await.headers()["etag"]
            .to_str()
            .unwrap()
            .to_string();
        let patch = |population: i64| {
            let app = &app;
            let (path, etag) = (&path, &etag);
            async move {
                app.client
                    .patch(app.url(path))
                    .header("if-match", etag)
                    .json(&json!({"population": population}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        let (a, b) = futures::join!(patch(round * 2 + 1), patch(round * 2 + 2));
        let mut statuses = [a, b];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "round {round}");
    }
}

#[actix_web::test]
async fn responses_are_compressed_when_the_client_asks() {
    let app = spawn_app().await;
    for _ in 0..30 {
        app.create_city(json!({"name": "Novgorod Seversky", "country_code": "UA", "alternate_names": ["Novhorod-Siverskyi"]})).await;
    }
    for encoding in ["gzip", "br"] {
        let response = app
            .client
            .get(app.url("/api/v1/cities"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
    let plain = app
        .client
        .get(app.url("/api/v1/cities"))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
}

#[actix_web::test]
async fn cache_control_suits_each_kind_of_answer() {
    let app = spawn_app().await;
    let created = app.post_json("/api/v1/cities", &story::sapporo()).await;
    assert_eq!(created.headers()["cache-control"], "no-store", "a write");
    for (path, policy) in [
        ("/api/v1/cities", "public, max-age=30"),
        ("/api/v1/changes", "no-cache"),
        ("/api/v1/cities/1/history", "no-cache"),
        ("/api/v1/tokens", "no-store"),
        ("/healthz", "no-store"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], policy, "{path}");
    }
}

#[actix_web::test]
async fn cors_is_off_by_default() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/cities"))
        .header("origin", "https://portal.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[actix_web::test]
async fn cors_lets_the_configured_origins_read_and_write() {
    let settings = ServeArgs {
        cors_allowed_origins: Some("https://portal.example.org".into()),
        ..ServeArgs::from_env()
    };
    let app = spawn_app_with(settings).await;
    let preflight = app
        .anonymous
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/cities/1"))
        .header("origin", "https://portal.example.org")
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "authorization, content-type, if-match",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://portal.example.org"
    );
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PATCH")
    );
    let read = app
        .client
        .get(app.url("/api/v1/cities"))
        .header("origin", "https://portal.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.headers()["access-control-allow-origin"],
        "https://portal.example.org"
    );
    assert!(
        read.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("etag")
    );
    let other = app
        .client
        .get(app.url("/api/v1/cities"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
