//! Public reads kept in memory: served again while no change is recorded,
//! fresh as soon as one is, whoever wrote it (this server or another process).

use crate::helpers::{TestApp, spawn_app, spawn_app_with, story};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use twinning::config::ServeArgs;
use twinning::tokens::Principal;
use twinning::transfer::{self, Format, Kind};

async fn read(app: &TestApp, path: &str) -> (String, Value) {
    let response = app.anonymous.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    (etag, response.json().await.unwrap())
}

/// Renames the city behind the API's back, without recording a change.
fn rename_unrecorded(app: &TestApp, id: i64, name: &str) {
    let mut conn = app.database_url.establish().unwrap();
    conn.batch_execute(&format!(
        "UPDATE cities SET name = '{name}' WHERE id = {id}"
    ))
    .unwrap();
}

#[actix_web::test]
async fn an_answer_is_kept_until_a_change_is_recorded() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let path = format!("/api/v1/cities/{id}");
    let (tag, first) = read(&app, &path).await;
    assert_eq!(first["name"], "Sapporo");

    // Not a change the registry recorded: the kept answer is sent again,
    // with the same tag, and a conditional GET of it is 304.
    rename_unrecorded(&app, id, "Unrecorded");
    let (again_tag, again) = read(&app, &path).await;
    assert_eq!(again, first);
    assert_eq!(again_tag, tag);
    let conditional = app
        .anonymous
        .get(app.url(&path))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(conditional.status().as_u16(), 304);

    // Any recorded change, here to another city, empties the cache.
    app.create_city(story::novosibirsk()).await;
    let (new_tag, fresh) = read(&app, &path).await;
    assert_eq!(fresh["name"], "Unrecorded");
    assert_ne!(new_tag, tag);
}

#[actix_web::test]
async fn a_write_by_another_process_is_seen_at_once() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let list = "/api/v1/cities?q=sapporo";
    let (_, before) = read(&app, list).await;
    assert_eq!(before["items"].as_array().unwrap().len(), 1);
    let (_, city) = read(&app, &format!("/api/v1/cities/{id}")).await;
    assert_eq!(city["population"], 1_973_832);

    // As `twinning import` run beside the server does it.
    let text = format!("id,population\n{id},2000000\n");
    let mut conn = app.database_url.establish().unwrap();
    transfer::import(
        &mut conn,
        Kind::Cities,
        text.as_bytes(),
        Format::Csv,
        transfer::Options::default(),
        &Principal::command_line("test import"),
        |_| {},
    )
    .unwrap();
    let (_, city) = read(&app, &format!("/api/v1/cities/{id}")).await;
    assert_eq!(city["population"], 2_000_000);
    let (_, after) = read(&app, list).await;
    assert_eq!(after["items"][0]["population"], 2_000_000);
}

#[actix_web::test]
async fn writes_through_the_api_are_seen_on_the_next_read() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let path = format!("/api/v1/cities/{id}/twinnings");
    let (_, empty) = read(&app, &path).await;
    assert_eq!(empty["items"], json!([]));
    let partner = app.create_city(story::novosibirsk()).await;
    app.create_twinning(
        json!({"city_ids": [id, partner], "kind": "sister_city", "established": "1990-06"}),
    )
    .await;
    let (_, one) = read(&app, &path).await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert_eq!(one["items"][0]["partner"]["name"], "Novosibirsk");
}

#[actix_web::test]
async fn with_the_cache_off_every_read_runs_its_query() {
    let mut settings = ServeArgs::from_env();
    settings.response_cache_bytes = 0;
    let app = spawn_app_with(settings).await;
    let id = app.create_city(story::sapporo()).await;
    let path = format!("/api/v1/cities/{id}");
    read(&app, &path).await;
    rename_unrecorded(&app, id, "Unrecorded");
    let (_, fresh) = read(&app, &path).await;
    assert_eq!(fresh["name"], "Unrecorded");
}

#[actix_web::test]
async fn only_a_get_is_answered_from_the_cache() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let url = app.url(&format!("/api/v1/cities/{id}"));
    let head = || async { app.anonymous.head(&url).send().await.unwrap().status() };
    let before = head().await;
    read(&app, &format!("/api/v1/cities/{id}")).await;
    assert_eq!(
        head().await,
        before,
        "a kept GET answer does not answer HEAD"
    );
}
