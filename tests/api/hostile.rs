//! Hostile input: every request below gets its documented 4xx problem
//! document, none a 500, and nothing stored changes.

use crate::helpers::{TestApp, assert_problem, spawn_app, story};
use serde_json::{Value, json};

/// Everything a client can read back, to compare before and after.
async fn snapshot(app: &TestApp) -> Value {
    let mut all = serde_json::Map::new();
    for path in [
        "/api/v1/cities?limit=200",
        "/api/v1/twinnings?limit=200",
        "/api/v1/events?limit=200",
        "/api/v1/changes?limit=200",
    ] {
        let page: Value = app.get(path).await.json().await.unwrap();
        all.insert(path.to_string(), page);
    }
    Value::Object(all)
}

#[actix_web::test]
async fn hostile_requests_get_problems_and_change_nothing() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let twinning = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    let before = snapshot(&app).await;
    let valid_cursor = {
        let page: Value = app
            .get("/api/v1/cities?limit=1")
            .await
            .json()
            .await
            .unwrap();
        page["next_cursor"].as_str().unwrap().to_string()
    };
    let truncated = &valid_cursor[..valid_cursor.len() - 3];

    let gets: Vec<(String, u16, &str)> = vec![
        ("/api/v1/cities/0".into(), 404, "not_found"),
        (
            "/api/v1/cities/-9223372036854775808".into(),
            404,
            "not_found",
        ),
        (
            "/api/v1/cities/9223372036854775807".into(),
            404,
            "not_found",
        ),
        (
            "/api/v1/cities/9223372036854775808".into(),
            400,
            "invalid_parameter",
        ),
        ("/api/v1/cities/1e3".into(), 400, "invalid_parameter"),
        ("/api/v1/twinnings/%00".into(), 400, "invalid_parameter"),
        (
            "/api/v1/events/%27%20OR%201=1".into(),
            400,
            "invalid_parameter",
        ),
        ("/api/v1/cities?limit=-1".into(), 400, "invalid_parameter"),
        ("/api/v1/cities?limit=0".into(), 400, "invalid_parameter"),
        (
            "/api/v1/cities?limit=18446744073709551616".into(),
            400,
            "invalid_parameter",
        ),
        (
            format!("/api/v1/cities?cursor={truncated}"),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/cities?cursor=%FF%FE".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/twinnings?cursor=e30".into(),
            400,
            "invalid_parameter",
        ),
        ("/api/v1/changes?after=-1".into(), 400, "invalid_parameter"),
        (
            "/api/v1/twinnings?established_after=0000-00-00".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/twinnings?established_after=2021-02-30".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/twinnings?established_after=99999-01-01".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/anniversaries?from=0000-00-00".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/events?from=2021-02-30".into(),
            400,
            "invalid_parameter",
        ),
        ("/api/v1/cities?q=%00".into(), 200, ""),
        ("/api/v1/cities?q=%25%25%25%5F%5F".into(), 200, ""),
        (
            "/api/v1/cities?q=%27%3B%20DROP%20TABLE%20cities%3B%20--".into(),
            200,
            "",
        ),
    ];
    for (path, status, code) in gets {
        let response = app.get(&path).await;
        if status == 200 {
            assert_eq!(response.status().as_u16(), 200, "{path}");
            let page: Value = response.json().await.unwrap();
            assert_eq!(page["items"], json!([]), "{path} matches nothing literally");
        } else {
            assert_eq!(response.status().as_u16(), status, "{path}");
            assert_problem(response, status, code).await;
        }
    }

    let long = "x".repeat(10_001);
    let bodies: Vec<(&str, String, Value, &str)> = vec![
        (
            "POST",
            "/api/v1/cities".into(),
            json!({"name": "a\u{0}b", "country_code": "RU"}),
            "validation_failed",
        ),
        (
            "POST",
            "/api/v1/cities".into(),
            json!({"name": "a\u{1b}[31mred", "country_code": "RU"}),
            "validation_failed",
        ),
        (
            "POST",
            "/api/v1/cities".into(),
            json!({"name": "Tver", "country_code": "RU", "population": 1e300}),
            "validation_failed",
        ),
        (
            "POST",
            "/api/v1/cities".into(),
            json!({"name": "Tver", "country_code": "RU", "latitude": "NaN", "longitude": 0}),
            "validation_failed",
        ),
        (
            "POST",
            "/api/v1/cities".into(),
            json!({"name": ["Tver"], "country_code": "RU"}),
            "validation_failed",
        ),
        (
            "PATCH",
            format!("/api/v1/cities/{}", c.sapporo),
            json!({"names": {"ja": null}}),
            "validation_failed",
        ),
        (
            "PATCH",
            format!("/api/v1/cities/{}", c.sapporo),
            json!({"id": 99}),
            "validation_failed",
        ),
        (
            "POST",
            "/api/v1/twinnings".into(),
            json!({"city_ids": [c.sapporo, 9223372036854775807_i64], "kind": "sister_city"}),
            "validation_failed",
        ),
        (
            "POST",
            "/api/v1/twinnings".into(),
            json!({"city_ids": [c.sapporo, c.rochester], "kind": "sister_city", "notes": long}),
            "validation_failed",
        ),
        (
            "POST",
            "/api/v1/twinnings".into(),
            json!({"city_ids": [c.sapporo, c.rochester], "kind": "sister_city", "established": "0000-00-00"}),
            "validation_failed",
        ),
        (
            "POST",
            format!("/api/v1/twinnings/{twinning}/events"),
            json!({"kind": "letter", "from_city_id": c.sapporo, "date": "2020", "title": "x".repeat(201)}),
            "validation_failed",
        ),
        (
            "POST",
            format!("/api/v1/twinnings/{twinning}/events"),
            json!({"kind": "letter", "from_city_id": c.sapporo, "date": "2020", "title": "t", "participants": -1}),
            "validation_failed",
        ),
        (
            "POST",
            format!("/api/v1/twinnings/{twinning}/events"),
            json!({"kind": "letter", "from_city_id": c.sapporo, "date": "2020", "title": "t", "participants": 99999999999_i64}),
            "validation_failed",
        ),
        (
            "POST",
            format!("/api/v1/twinnings/{twinning}/events"),
            json!({"kind": "letter", "from_city_id": c.sapporo, "date": "2020", "title": "t", "media_urls": ["file:///etc/passwd"]}),
            "validation_failed",
        ),
    ];
    for (method, path, body, code) in bodies {
        let request = if method == "POST" {
            app.client.post(app.url(&path))
        } else {
            app.client.patch(app.url(&path))
        };
        let response = request.json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        assert_eq!(status, 422, "{method} {path} {body}");
        assert_problem(response, 422, code).await;
    }

    let raw: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{\"name\": \"Tver\", \"country_code\": \"RU\"".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "application/json",
            b"{\"name\": \"T\xc3\x28ver\", \"country_code\": \"RU\"}".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "application/json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            422,
            "validation_failed",
        ),
        (
            "application/json",
            format!(
                "{{\"names\": {}1{}}}",
                "{\"a\":".repeat(5000),
                "}".repeat(5000)
            )
            .into_bytes(),
            422,
            "validation_failed",
        ),
        (
            "application/json",
            b"null".to_vec(),
            422,
            "validation_failed",
        ),
        (
            "application/json",
            b"\"Tver\"".to_vec(),
            422,
            "validation_failed",
        ),
        ("text/plain", b"{}".to_vec(), 415, "unsupported_media_type"),
        (
            "application/xml",
            b"<city/>".to_vec(),
            415,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, status, code) in raw {
        let response = app
            .client
            .post(app.url("/api/v1/cities"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{content_type} {code}");
        assert_problem(response, status, code).await;
    }

    assert_eq!(snapshot(&app).await, before, "nothing stored changed");
}

#[actix_web::test]
async fn emoji_and_right_to_left_names_are_kept_exactly() {
    let app = spawn_app().await;
    let names = json!({"ar": "القدس", "he": "ירושלים", "und": "🏙️👩‍👩‍👧 Город", "th": "กรุงเทพมหานคร", "ja": "札幌市"});
    let id = app
        .create_city(json!({"name": "Jerusalem ✡︎☪︎✝︎", "country_code": "IL", "names": names, "alternate_names": ["‏القدس‎", "Yerushalayim"]}))
        .await;
    let city: Value = app
        .get(&format!("/api/v1/cities/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(city["names"], names);
    assert_eq!(city["name"], "Jerusalem ✡︎☪︎✝︎");
    let found: Value = app
        .get("/api/v1/cities?q=%D7%99%D7%A8%D7%95%D7%A9%D7%9C%D7%99%D7%9D")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"][0]["id"], id, "found by its Hebrew name");
    let _ = story::sapporo();
}
