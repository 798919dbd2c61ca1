//! Tests that would fail if the guarantee they name were taken away: the
//! change feed's order on PostgreSQL, all-or-nothing imports past one chunk,
//! token expiry from the command line, CORS for any origin, and the response
//! cache beside an import run by another process.

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;
use twinning::config::ServeArgs;
use twinning::db::DatabaseUrl;

fn raw_url(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) | DatabaseUrl::Postgres(p) => p.clone(),
    }
}

fn binary(url: &DatabaseUrl) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twinning"));
    command
        .arg("--database-url")
        .arg(raw_url(url))
        .env("RUST_LOG", "warn");
    command
}

#[actix_web::test]
async fn the_feed_never_passes_a_change_whose_transaction_is_still_open() {
    let app = spawn_app().await;
    let DatabaseUrl::Postgres(_) = &app.database_url else {
        return; // SQLite has one writer: no two write transactions are ever open.
    };
    app.create_city(json!({"name": "Before", "country_code": "DE"}))
        .await;
    let feed: Value = app.get("/api/v1/changes").await.json().await.unwrap();
    let cursor = feed["next_cursor"].as_str().unwrap().to_string();

    // A side connection records a change and keeps its transaction open.
    let url = app.database_url.clone();
    let (recorded, wait_recorded) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let side = std::thread::spawn(move || {
        use diesel::Connection;
        let mut conn = url.establish().unwrap();
        conn.transaction(|conn| {
            let author = twinning::tokens::Principal::command_line("side");
            twinning::changes::record(
                conn,
                &author,
                twinning::changes::Entity::City,
                999,
                twinning::changes::Action::Update,
                Some(&json!({"id": 999})),
                Some(&json!({"id": 999})),
            )?;
            recorded.send(()).unwrap();
            released.recv().unwrap();
            Ok::<_, twinning::error::AppError>(())
        })
        .unwrap();
    });
    wait_recorded.recv().unwrap();
    let during = json!({"name": "During", "country_code": "DE"});
    let write = app.post_json("/api/v1/cities", &during);
    let reader = async {
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        let seen: Value = app
            .get_json(&format!("/api/v1/changes?after={cursor}"))
            .await;
        release.send(()).unwrap();
        seen
    };
    let (written, seen) = futures::join!(write, reader);
    side.join().unwrap();
    assert_eq!(written.status().as_u16(), 201);
    assert_eq!(
        seen["items"],
        json!([]),
        "while the side change is open, no later change is visible"
    );
    let after: Value = app
        .get_json(&format!("/api/v1/changes?after={cursor}"))
        .await;
    let ids: Vec<i64> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["entity_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0], 999,
        "the side change, first in commit order: {after}"
    );
}

#[actix_web::test]
async fn an_all_or_nothing_import_past_one_chunk_leaves_nothing_behind() {
    let app = spawn_app().await;
    let mut file = String::from("name,country_code\n");
    for i in 0..2500 {
        file.push_str(&format!("Town {i},DE\n"));
    }
    file.push_str("Nowhere,XX\n");
    let response = app
        .client
        .post(app.url("/api/v1/import/cities?all_or_nothing=true"))
        .header("content-type", "text/csv")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "nothing_imported").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("all_or_nothing")
    );
    let feed: Value = app.get("/api/v1/changes").await.json().await.unwrap();
    assert_eq!(feed["items"], json!([]), "no change recorded");
    let cities: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(cities["items"], json!([]));

    // The command line says so with its exit status.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cities.csv");
    std::fs::write(&path, &file).unwrap();
    let output = binary(&app.database_url)
        .args(["import", "cities"])
        .arg(&path)
        .arg("--all-or-nothing")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nothing was imported"),
        "{output:?}"
    );
    let cities: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(cities["items"], json!([]));
    let feed: Value = app.get("/api/v1/changes").await.json().await.unwrap();
    assert_eq!(feed["items"], json!([]));
}

#[actix_web::test]
async fn a_token_made_with_expires_in_days_expires_then() {
    let app = spawn_app().await;
    let output = binary(&app.database_url)
        .args([
            "token",
            "create",
            "--name",
            "one day",
            "--admin",
            "--expires-in-days",
            "1",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let secret = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let holder = crate::helpers::client_with(Some(&secret));
    let tokens: Value = holder
        .get(app.url("/api/v1/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "one day")
        .unwrap()
        .clone();
    let expires: chrono::DateTime<chrono::Utc> =
        token["expires_at"].as_str().unwrap().parse().unwrap();
    let left = expires - chrono::Utc::now();
    assert!(
        left > chrono::TimeDelta::hours(23) && left <= chrono::TimeDelta::days(1),
        "{left:?}"
    );
    let listed = binary(&app.database_url)
        .args(["token", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed
            .lines()
            .any(|l| l.contains("one day") && l.contains("expires")),
        "{listed}"
    );
}

#[actix_web::test]
async fn cors_for_any_origin_answers_every_origin_and_refuses_a_method_it_does_not_allow() {
    let settings = ServeArgs {
        cors_allowed_origins: Some("*".into()),
        ..ServeArgs::from_env()
    };
    let app = spawn_app_with(settings).await;
    for origin in ["https://portal.example.org", "http://localhost:5173"] {
        let read = app
            .anonymous
            .get(app.url("/api/v1/cities"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        let allowed = read
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string());
        assert!(
            allowed.as_deref() == Some("*") || allowed.as_deref() == Some(origin),
            "{origin}: {allowed:?}"
        );
    }
    let refused = app
        .anonymous
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/cities"))
        .header("origin", "https://portal.example.org")
        .header("access-control-request-method", "TRACE")
        .send()
        .await
        .unwrap();
    assert!(
        refused.status().is_client_error(),
        "a preflight for TRACE is refused: {}",
        refused.status()
    );
    assert!(
        refused
            .headers()
            .get("access-control-allow-methods")
            .is_none_or(|m| !m.to_str().unwrap().contains("TRACE"))
    );
    // PUT confirms a twinning and reviews an event: a frontend elsewhere may send it.
    let confirm = app
        .anonymous
        .request(
            reqwest::Method::OPTIONS,
            app.url("/api/v1/twinnings/1/confirmations/2"),
        )
        .header("origin", "https://portal.example.org")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status().as_u16(), 200);
    assert!(
        confirm.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PUT")
    );
}

#[actix_web::test]
async fn the_response_cache_sees_an_import_made_by_another_process() {
    let app = spawn_app().await;
    let search = |app: &crate::helpers::TestApp| {
        let url = app.url("/api/v1/cities?q=tver");
        let client = app.anonymous.clone();
        async move {
            let page: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            page["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(search(&app).await, 0);
    assert_eq!(search(&app).await, 0, "now kept in memory");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cities.csv");
    std::fs::write(&path, "name,country_code\nTver,RU\n").unwrap();
    let output = binary(&app.database_url)
        .args(["import", "cities"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    app.settle_external_write().await;
    assert_eq!(search(&app).await, 1, "the kept answer was not served");
}
