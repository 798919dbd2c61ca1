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

/// The JSON inside a body sent in `coding`.
fn decoded(coding: &str, body: &[u8]) -> Value {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::decode_all(body).unwrap(),
        _ => out = body.to_vec(),
    }
    serde_json::from_slice(&out).unwrap()
}

#[actix_web::test]
async fn each_coding_is_its_own_representation_with_its_own_etag() {
    // With the response cache (coded forms kept) and without (coded per request).
    for cache in [16_777_216, 0] {
        let app = spawn_app_with(ServeArgs {
            response_cache_bytes: cache,
            ..ServeArgs::from_env()
        })
        .await;
        for _ in 0..30 {
            app.create_city(json!({"name": "Novgorod Seversky", "country_code": "UA", "alternate_names": ["Novhorod-Siverskyi"]})).await;
        }
        let plain: Value = app.get_json("/api/v1/cities").await;
        let mut tags = std::collections::BTreeSet::new();
        for (accept, coding) in [
            ("gzip, deflate, br, zstd", "zstd"),
            ("gzip, deflate, br", "br"),
            ("gzip", "gzip"),
            ("br;q=0.4, gzip;q=0.9", "gzip"),
            ("identity", "identity"),
        ] {
            // Twice: the second from the response cache, when it is on.
            for round in 0..2 {
                let response = app
                    .client
                    .get(app.url("/api/v1/cities"))
                    .header("accept-encoding", accept)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200);
                let headers = response.headers().clone();
                let sent = headers
                    .get("content-encoding")
                    .map_or("identity", |v| v.to_str().unwrap());
                assert_eq!(sent, coding, "{accept}, cache {cache}, round {round}");
                assert_eq!(headers["vary"], "accept-encoding");
                let tag = headers["etag"].to_str().unwrap().to_string();
                assert!(!tag.starts_with("W/"), "a strong tag: {tag}");
                let body = response.bytes().await.unwrap();
                assert_eq!(decoded(coding, &body), plain, "{accept}");
                tags.insert((coding, tag.clone()));

                // Its tag names this representation and no other.
                let again = |accept: &'static str, tag: String| {
                    app.client
                        .get(app.url("/api/v1/cities"))
                        .header("accept-encoding", accept)
                        .header("if-none-match", tag)
                        .send()
                };
                let fresh = again(accept, tag.clone()).await.unwrap();
                assert_eq!(fresh.status().as_u16(), 304, "{accept} {tag}");
                assert_eq!(fresh.headers()["etag"].to_str().unwrap(), tag);
                assert_eq!(fresh.headers()["vary"], "accept-encoding");
                let other = if coding == "gzip" { "zstd" } else { "gzip" };
                let full = again(other, tag.clone()).await.unwrap();
                assert_eq!(
                    full.status().as_u16(),
                    200,
                    "{other} with the tag of {coding}"
                );
            }
        }
        let distinct: std::collections::BTreeSet<&String> = tags.iter().map(|(_, t)| t).collect();
        assert_eq!(distinct.len(), 4, "one tag per coding: {tags:?}");

        // A small body goes uncoded, and does not vary.
        let city = app.create_city(story::sapporo()).await;
        let small = app
            .client
            .get(app.url(&format!("/api/v1/cities/{city}")))
            .header("accept-encoding", "gzip, br, zstd")
            .send()
            .await
            .unwrap();
        assert_eq!(small.status().as_u16(), 200);
        assert!(small.headers().get("content-encoding").is_none());
        assert!(small.headers().get("vary").is_none());

        // A coded representation's tag is good for If-Match: the same JSON.
        let zstd_tag = tags.iter().find(|(c, _)| *c == "zstd").unwrap().1.clone();
        let identity = app.get(&format!("/api/v1/cities/{city}")).await;
        let tag = identity.headers()["etag"].to_str().unwrap().to_string();
        let coded_tag = format!("{}.gzip\"", tag.trim_end_matches('"'));
        let patched = app
            .client
            .patch(app.url(&format!("/api/v1/cities/{city}")))
            .header("if-match", coded_tag)
            .json(&json!({"population": 1_960_000}))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status().as_u16(), 200);
        let stale = app
            .client
            .patch(app.url(&format!("/api/v1/cities/{city}")))
            .header("if-match", zstd_tag)
            .json(&json!({"population": 1}))
            .send()
            .await
            .unwrap();
        assert_problem(stale, 412, "precondition_failed").await;
    }
}

#[actix_web::test]
async fn head_answers_every_get_route_with_its_headers_and_no_body() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let twinning = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    let event: Value = app
        .post_json(
            &format!("/api/v1/twinnings/{twinning}/events"),
            &json!({"kind": "letter", "from_city_id": c.rochester, "status": "completed", "date": "2020", "title": "Greetings"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let event = event["id"].as_i64().unwrap();
    let paths = [
        "/healthz".to_string(),
        "/readyz".to_string(),
        "/api/v1/cities?q=nov".to_string(),
        format!("/api/v1/cities/{}", c.rochester),
        format!("/api/v1/cities/{}/twinnings", c.rochester),
        format!("/api/v1/cities/{}/events", c.rochester),
        format!("/api/v1/cities/{}/history", c.rochester),
        "/api/v1/twinnings".to_string(),
        format!("/api/v1/twinnings/{twinning}"),
        format!("/api/v1/twinnings/{twinning}/events"),
        format!("/api/v1/twinnings/{twinning}/history"),
        "/api/v1/events".to_string(),
        format!("/api/v1/events/{event}"),
        format!("/api/v1/events/{event}/history"),
        "/api/v1/anniversaries".to_string(),
        "/api/v1/anniversaries.ics".to_string(),
        format!("/api/v1/twinnings/{twinning}/anniversaries"),
        "/api/v1/changes".to_string(),
        "/api/v1/twinnings.geojson".to_string(),
        "/api/v1/cities.geojson".to_string(),
        "/openapi.json".to_string(),
        "/api/v1/cities/999999".to_string(),
    ];
    for path in &paths {
        for accept in ["identity", "gzip, br, zstd"] {
            let get = app
                .client
                .get(app.url(path))
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            let head = app
                .client
                .head(app.url(path))
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(head.status(), get.status(), "HEAD {path}");
            assert_ne!(head.status().as_u16(), 405, "HEAD {path}");
            for name in [
                "content-type",
                "content-length",
                "content-encoding",
                "etag",
                "cache-control",
                "vary",
            ] {
                let dynamic =
                    matches!(path.as_str(), "/healthz" | "/readyz") && name == "content-length";
                if !dynamic {
                    assert_eq!(
                        head.headers().get(name),
                        get.headers().get(name),
                        "HEAD {path}: {name}"
                    );
                }
            }
            assert!(
                head.bytes().await.unwrap().is_empty(),
                "HEAD {path} has no body"
            );
        }
    }
    // A HEAD with the tag is 304, as a GET is.
    let path = format!("/api/v1/cities/{}", c.rochester);
    let tag = app.get(&path).await.headers()["etag"].clone();
    let fresh = app
        .client
        .head(app.url(&path))
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status().as_u16(), 304);
    // And 405 lists it where GET is allowed.
    let put = app.client.put(app.url(&path)).send().await.unwrap();
    assert_eq!(put.headers()["allow"], "GET, HEAD, PATCH, DELETE");
}

#[actix_web::test]
async fn a_read_refuses_parameters_it_does_not_take() {
    let app = spawn_app().await;
    let city = app.create_city(story::sapporo()).await;
    for (path, field) in [
        (format!("/api/v1/cities/{city}?x=1"), "x"),
        (format!("/api/v1/cities/{city}?limit=5"), "limit"),
        (format!("/api/v1/cities/{city}/twinnings?bogus="), "bogus"),
        ("/api/v1/cities?q=sap&colour=red".to_string(), "colour"),
        ("/api/v1/twinnings?cty=RU".to_string(), "cty"),
        ("/api/v1/anniversaries?yaer=2026".to_string(), "yaer"),
        ("/api/v1/changes?afterr=1".to_string(), "afterr"),
    ] {
        let problem = assert_problem(app.get(&path).await, 400, "invalid_parameter").await;
        assert_eq!(error_fields(&problem), vec![field.to_string()], "{path}");
    }
    // An empty query string is no parameter at all.
    assert_eq!(
        app.get(&format!("/api/v1/cities/{city}?"))
            .await
            .status()
            .as_u16(),
        200
    );
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
