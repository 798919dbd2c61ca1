use crate::helpers::{TestApp, assert_problem, client_with, spawn_app};
use reqwest::Client;
use serde_json::{Value, json};

async fn send(
    client: &Client,
    method: &str,
    url: String,
    body: Option<Value>,
) -> reqwest::Response {
    let request = match method {
        "POST" => client.post(url),
        "PATCH" => client.patch(url),
        "PUT" => client.put(url),
        "DELETE" => client.delete(url),
        _ => client.get(url),
    };
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap()
}

async fn writes(app: &TestApp) -> Vec<(&'static str, String, Option<Value>)> {
    let c = app.create_story_cities().await;
    let twinning = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    let event: Value = app
        .post_json(&format!("/api/v1/twinnings/{twinning}/events"), &json!({"kind": "letter", "from_city_id": c.rochester, "date": "2020", "title": "Letter"}))
        .await
        .json()
        .await
        .unwrap();
    vec![
        (
            "PUT",
            app.url(&format!(
                "/api/v1/twinnings/{twinning}/confirmations/{}",
                c.rochester
            )),
            None,
        ),
        (
            "DELETE",
            app.url(&format!(
                "/api/v1/twinnings/{twinning}/confirmations/{}",
                c.rochester
            )),
            None,
        ),
        (
            "PUT",
            app.url(&format!("/api/v1/events/{}/review", event["id"])),
            Some(json!({"verdict": "confirmed"})),
        ),
        (
            "PATCH",
            app.url(&format!("/api/v1/events/{}", event["id"])),
            Some(json!({"title": "y"})),
        ),
        (
            "DELETE",
            app.url(&format!("/api/v1/events/{}", event["id"])),
            None,
        ),
        (
            "POST",
            app.url("/api/v1/cities"),
            Some(json!({"name": "Tver", "country_code": "RU"})),
        ),
        (
            "PATCH",
            app.url(&format!("/api/v1/cities/{}", c.rochester)),
            Some(json!({"population": 1})),
        ),
        (
            "DELETE",
            app.url(&format!("/api/v1/cities/{}", c.sapporo)),
            None,
        ),
        (
            "POST",
            app.url("/api/v1/twinnings"),
            Some(json!({"city_ids": [c.sapporo, c.rochester], "kind": "sister_city"})),
        ),
        (
            "PATCH",
            app.url(&format!("/api/v1/twinnings/{twinning}")),
            Some(json!({"kind": "twin_town"})),
        ),
        (
            "DELETE",
            app.url(&format!("/api/v1/twinnings/{twinning}")),
            None,
        ),
        (
            "POST",
            app.url(&format!("/api/v1/twinnings/{twinning}/events")),
            Some(
                json!({"kind": "letter", "from_city_id": c.novgorod, "date": "2020", "title": "x"}),
            ),
        ),
        (
            "POST",
            app.url("/api/v1/tokens"),
            Some(json!({"name": "x", "admin": true})),
        ),
        ("GET", app.url("/api/v1/tokens"), None),
        ("DELETE", app.url("/api/v1/tokens/1"), None),
    ]
}

#[actix_web::test]
async fn every_write_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for (method, url, body) in writes(&app).await {
        let response = send(&app.anonymous, method, url.clone(), body).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="twinning""#,
            "{method} {url}"
        );
        assert_problem(response, 401, "unauthorized").await;
    }
    let page: Value = app
        .anonymous
        .get(app.url("/api/v1/cities"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        4,
        "reads stay public; nothing was written"
    );
}

#[actix_web::test]
async fn a_bad_or_unknown_token_is_401_invalid_token() {
    let app = spawn_app().await;
    let unknown = format!("twn_9999_{}", "A".repeat(43));
    let forged = app
        .admin_token
        .rsplit_once('_')
        .map(|(id, _)| format!("{id}_{}", "B".repeat(43)))
        .unwrap();
    for header in [
        "Bearer nope".to_string(),
        "Basic dXNlcjpwYXNz".to_string(),
        format!("Bearer {unknown}"),
        format!("Bearer {forged}"),
        "Bearer".to_string(),
    ] {
        let response = app
            .anonymous
            .post(app.url("/api/v1/cities"))
            .header("authorization", &header)
            .json(&json!({"name": "Tver", "country_code": "RU"}))
            .send()
            .await
            .unwrap();
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(challenge.starts_with("Bearer"), "{header}: {challenge}");
        assert_problem(response, 401, "unauthorized").await;
    }
}

#[actix_web::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "temporary admin", "admin": true}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created: Value = response.json().await.unwrap();
    let holder = client_with(created["secret"].as_str());
    let ok = holder
        .post(app.url("/api/v1/cities"))
        .json(&json!({"name": "Tver", "country_code": "RU"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 201);
    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{}", created["id"]))
            .await
            .status()
            .as_u16(),
        204
    );
    let refused = holder
        .post(app.url("/api/v1/cities"))
        .json(&json!({"name": "Pskov", "country_code": "RU"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 401, "unauthorized").await;
    assert!(problem["detail"].as_str().unwrap().contains("revoked"));
    assert_problem(app.delete("/api/v1/tokens/424242").await, 404, "not_found").await;
}

#[actix_web::test]
async fn an_expired_token_is_401() {
    use diesel::prelude::*;
    use twinning::db::schema::tokens;
    let app = spawn_app().await;
    let created: Value = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "short-lived", "admin": true, "expires_in_days": 1}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(created["expires_at"].is_string());
    let mut conn = app.database_url.establish().unwrap();
    diesel::update(tokens::table.find(created["id"].as_i64().unwrap()))
        .set(tokens::expires_at.eq(Some(twinning::clock::now() - chrono::TimeDelta::minutes(1))))
        .execute(&mut conn)
        .unwrap();
    let holder = client_with(created["secret"].as_str());
    let refused = holder
        .post(app.url("/api/v1/cities"))
        .json(&json!({"name": "Tver", "country_code": "RU"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 401, "unauthorized").await;
    assert!(problem["detail"].as_str().unwrap().contains("expired"));
}

#[actix_web::test]
async fn a_novosibirsk_token_edits_novosibirsk_and_its_twinnings_only() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let nr = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"})).await;
    let sn = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    let greeting: Value = app
        .post_json(&format!("/api/v1/twinnings/{sn}/events"), &json!({"kind": "video_greeting", "from_city_id": c.sapporo, "status": "completed", "date": "2020", "title": "Video greeting from Sapporo"}))
        .await
        .json()
        .await
        .unwrap();
    let rochester_event: Value = app
        .post_json(&format!("/api/v1/twinnings/{nr}/events"), &json!({"kind": "letter", "from_city_id": c.rochester, "date": "2020", "title": "Letter"}))
        .await
        .json()
        .await
        .unwrap();
    let staff = app.city_client("Novosibirsk international relations", &[c.novosibirsk]);

    // Allowed: its city, its twinning, an event of its twinning.
    let reply = send(&staff, "POST", app.url(&format!("/api/v1/twinnings/{sn}/events")), Some(json!({
        "kind": "video_greeting", "from_city_id": c.novosibirsk, "status": "in_preparation", "date": "2020",
        "title": "Reply video from Novosibirsk", "in_reply_to": greeting["id"]
    }))).await;
    assert_eq!(reply.status().as_u16(), 201);
    let reply: Value = reply.json().await.unwrap();
    // What it received from its partner, reported by it; and its own side confirmed.
    let received = send(
        &staff,
        "POST",
        app.url(&format!("/api/v1/twinnings/{sn}/events")),
        Some(json!({
            "kind": "letter", "from_city_id": c.sapporo, "status": "completed", "date": "2021",
            "title": "Letter from Sapporo"
        })),
    )
    .await;
    assert_eq!(received.status().as_u16(), 201);
    let received: Value = received.json().await.unwrap();
    assert_eq!(received["reported_by"]["side"], "recipient");
    let confirmed = send(
        &staff,
        "PUT",
        app.url(&format!(
            "/api/v1/twinnings/{sn}/confirmations/{}",
            c.novosibirsk
        )),
        None,
    )
    .await;
    assert_eq!(confirmed.status().as_u16(), 200);
    assert_eq!(
        send(
            &staff,
            "PATCH",
            app.url(&format!("/api/v1/cities/{}", c.novosibirsk)),
            Some(json!({"population": 1633595}))
        )
        .await
        .status()
        .as_u16(),
        200
    );
    assert_eq!(
        send(
            &staff,
            "PATCH",
            app.url(&format!("/api/v1/twinnings/{sn}")),
            Some(json!({"notes": "Since 1990"}))
        )
        .await
        .status()
        .as_u16(),
        200
    );
    assert_eq!(
        send(
            &staff,
            "PATCH",
            app.url(&format!("/api/v1/events/{}", reply["id"])),
            Some(json!({"status": "completed"}))
        )
        .await
        .status()
        .as_u16(),
        200
    );

    // Refused with 403: another city, a twinning and events that do not involve it, admin work.
    let refused = [
        (
            "PATCH",
            app.url(&format!("/api/v1/cities/{}", c.rochester)),
            Some(json!({"population": 1})),
        ),
        (
            "DELETE",
            app.url(&format!("/api/v1/cities/{}", c.rochester)),
            None,
        ),
        (
            "POST",
            app.url("/api/v1/cities"),
            Some(json!({"name": "Tver", "country_code": "RU"})),
        ),
        (
            "POST",
            app.url("/api/v1/twinnings"),
            Some(json!({"city_ids": [c.novgorod, c.sapporo], "kind": "sister_city"})),
        ),
        (
            "PATCH",
            app.url(&format!("/api/v1/twinnings/{nr}")),
            Some(json!({"notes": "x"})),
        ),
        ("DELETE", app.url(&format!("/api/v1/twinnings/{nr}")), None),
        (
            "POST",
            app.url(&format!("/api/v1/twinnings/{nr}/events")),
            Some(
                json!({"kind": "letter", "from_city_id": c.novgorod, "date": "2020", "title": "x"}),
            ),
        ),
        (
            "PATCH",
            app.url(&format!("/api/v1/events/{}", rochester_event["id"])),
            Some(json!({"title": "y"})),
        ),
        (
            "DELETE",
            app.url(&format!("/api/v1/events/{}", rochester_event["id"])),
            None,
        ),
        (
            "PUT",
            app.url(&format!(
                "/api/v1/twinnings/{nr}/confirmations/{}",
                c.novgorod
            )),
            None,
        ),
        (
            "DELETE",
            app.url(&format!(
                "/api/v1/twinnings/{nr}/confirmations/{}",
                c.rochester
            )),
            None,
        ),
        (
            "PUT",
            app.url(&format!("/api/v1/events/{}/review", rochester_event["id"])),
            Some(json!({"verdict": "disputed"})),
        ),
        // Its own twinning, but the partner's side.
        (
            "PUT",
            app.url(&format!(
                "/api/v1/twinnings/{sn}/confirmations/{}",
                c.sapporo
            )),
            None,
        ),
        // Its own twinning, but an admin's report.
        (
            "PATCH",
            app.url(&format!("/api/v1/events/{}", greeting["id"])),
            Some(json!({"title": "y"})),
        ),
        (
            "DELETE",
            app.url(&format!("/api/v1/events/{}", greeting["id"])),
            None,
        ),
        (
            "POST",
            app.url("/api/v1/tokens"),
            Some(json!({"name": "x", "admin": true})),
        ),
        ("GET", app.url("/api/v1/tokens"), None),
    ];
    for (method, url, body) in refused {
        let response = send(&staff, method, url.clone(), body).await;
        assert_eq!(response.status().as_u16(), 403, "{method} {url}");
        assert_problem(response, 403, "forbidden").await;
    }
    let rochester: Value = app
        .get(&format!("/api/v1/cities/{}", c.rochester))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        rochester["population"], 209802,
        "nothing outside the scope changed"
    );

    // The change feed names the token that logged the reply.
    let feed: Value = app
        .get("/api/v1/changes?entity=event&limit=200")
        .await
        .json()
        .await
        .unwrap();
    let logged = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["entity_id"] == reply["id"] && c["action"] == "create")
        .expect("the reply is in the feed");
    assert_eq!(
        logged["author"]["name"],
        "Novosibirsk international relations"
    );
    assert_eq!(logged["after"]["title"], "Reply video from Novosibirsk");
}

#[actix_web::test]
async fn the_token_api_shows_a_secret_once_and_never_again() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let response = app
        .post_json("/api/v1/tokens", &json!({"name": "Sapporo office", "city_ids": [c.sapporo, c.sapporo], "expires_in_days": 30}))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("twn_"));
    assert_eq!(created["city_ids"], json!([c.sapporo]));
    assert_eq!(created["admin"], false);
    let response = app.get("/api/v1/tokens").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page: Value = response.json().await.unwrap();
    let text = page.to_string();
    assert!(
        !text.contains(created["secret"].as_str().unwrap()),
        "no secret in the list"
    );
    assert!(!text.contains("hash"), "no hash in the list");
    let listed = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == created["id"])
        .unwrap();
    assert_eq!(listed["name"], "Sapporo office");
    for (body, field) in [
        (json!({"name": "no scope"}), "city_ids"),
        (
            json!({"name": "both", "admin": true, "city_ids": [c.sapporo]}),
            "city_ids",
        ),
        (
            json!({"name": "ghost", "city_ids": [987654]}),
            "city_ids[0]",
        ),
        (json!({"name": "", "admin": true}), "name"),
        (
            json!({"name": "x", "admin": true, "expires_in_days": 0}),
            "expires_in_days",
        ),
    ] {
        let problem = assert_problem(
            app.post_json("/api/v1/tokens", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(
            crate::helpers::error_fields(&problem),
            vec![field],
            "{body}"
        );
    }
}

#[actix_web::test]
async fn the_command_line_prints_a_token_that_works() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let url = match &app.database_url {
        twinning::db::DatabaseUrl::Sqlite(path) | twinning::db::DatabaseUrl::Postgres(path) => {
            path.clone()
        }
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args([
            "token",
            "create",
            "--name",
            "Rochester staff",
            "--city",
            &c.rochester.to_string(),
        ])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "the token alone: {stdout:?}");
    let holder = client_with(Some(token));
    let response = holder
        .patch(app.url(&format!("/api/v1/cities/{}", c.rochester)))
        .json(&json!({"population": 210000}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = holder
        .patch(app.url(&format!("/api/v1/cities/{}", c.sapporo)))
        .json(&json!({"population": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);

    let list = std::process::Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args(["token", "list"])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(
        listed.contains("Rochester staff") && !listed.contains(token),
        "{listed}"
    );
    let id = token.split('_').nth(1).unwrap();
    let revoke = std::process::Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args(["token", "revoke", id])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(revoke.status.success());
    let response = holder
        .patch(app.url(&format!("/api/v1/cities/{}", c.rochester)))
        .json(&json!({"population": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}
