//! Public reads kept in memory: served again while no change is recorded,
//! fresh as soon as one is, whoever wrote it (this server or another process).
//! On PostgreSQL another instance's or process's write is seen once its
//! notification arrives, and within `db::watch::TRUSTED` (1 s) even
//! when none does; on SQLite at once.

use crate::helpers::{TestApp, spawn_app, spawn_app_with, story};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use twinning::config::ServeArgs;
use twinning::db::watch::TRUSTED;
use twinning::db::{Backend, DbConnection};
use twinning::tokens::Principal;
use twinning::transfer::{self, Format, Kind};

async fn read(app: &TestApp, path: &str) -> (String, Value) {
    let response = app.anonymous.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    (etag, response.json().await.unwrap())
}

/// How long until `path`, read through `app`, satisfies `shows`; fails past
/// the stated bound of staleness (and a margin for the requests themselves).
async fn seen_within(app: &TestApp, path: &str, shows: impl Fn(&Value) -> bool) -> Duration {
    let start = Instant::now();
    let limit = TRUSTED + Duration::from_millis(400);
    loop {
        let (_, value) = read(app, path).await;
        if shows(&value) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{path} still shows {value} after {limit:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
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
    let path = format!("/api/v1/cities/{id}");
    let waited = seen_within(&app, &path, |city| city["population"] == 2_000_000).await;
    if app.database_url.backend() == Backend::Sqlite {
        assert!(
            waited < Duration::from_millis(100),
            "SQLite: at once, not {waited:?}"
        );
    }
    let (_, after) = read(&app, list).await;
    assert_eq!(after["items"][0]["population"], 2_000_000);
}

#[actix_web::test]
async fn two_instances_on_one_database_see_each_others_writes_within_the_bound() {
    let a = spawn_app().await;
    let b = a.beside().await;
    let id = a.create_city(story::sapporo()).await;
    let path = format!("/api/v1/cities/{id}");
    for (round, (writer, reader)) in [(&a, &b), (&b, &a), (&a, &b)].into_iter().enumerate() {
        // Kept by the reader first, then written through the other.
        let (_, before) = read(reader, &path).await;
        let population = 2_000_000 + round as i64;
        assert_ne!(before["population"], population);
        let patched = writer
            .patch_json(&path, &json!({"population": population}))
            .await;
        assert_eq!(patched.status().as_u16(), 200);
        // The writer reads its own write at once.
        let (_, own) = read(writer, &path).await;
        assert_eq!(
            own["population"], population,
            "round {round}: the writer's own read"
        );
        let waited = seen_within(reader, &path, |city| city["population"] == population).await;
        println!("round {round}: the other instance saw the write after {waited:?}");
    }
    // Creates through both at once: every one in the feed exactly once, as
    // each instance shows it.
    let creates = (0..60).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        async move {
            let created: Value = app
                .post_json(
                    "/api/v1/cities",
                    &json!({"name": format!("Twin {i}"), "country_code": "FR"}),
                )
                .await
                .json()
                .await
                .unwrap();
            created["id"].as_i64().unwrap()
        }
    });
    let mut ids = futures::future::join_all(creates).await;
    ids.sort_unstable();
    for app in [&a, &b] {
        let feed: Value = app.get_json("/api/v1/changes?entity=city&limit=200").await;
        let mut created: Vec<i64> = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["action"] == "create" && c["entity_id"].as_i64() != Some(id))
            .map(|c| c["entity_id"].as_i64().unwrap())
            .collect();
        created.sort_unstable();
        assert_eq!(created, ids, "each create once, in either instance's feed");
        let list: Value = app.get_json("/api/v1/cities?q=twin&limit=100").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 60);
    }
}

#[actix_web::test]
async fn a_write_whose_notification_is_lost_is_seen_within_the_bound() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let path = format!("/api/v1/cities/{id}");
    read(&app, &path).await;
    let mut conn = app.database_url.establish().unwrap();
    if let DbConnection::Postgres(pg) = &mut conn {
        // Triggers off for this session: the change is recorded, unannounced.
        pg.batch_execute("SET session_replication_role = replica")
            .unwrap();
    }
    let text = format!("id,population\n{id},2100000\n");
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
    let waited = seen_within(&app, &path, |city| city["population"] == 2_100_000).await;
    println!("a write without its notification was seen after {waited:?}");
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
