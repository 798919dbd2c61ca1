//! A stored value that does not decode is a logged 500, never a plausible
//! default (a twinning with no start, an event in year 1, no names). The
//! database's CHECK constraints already refuse unknown enum names.

use crate::helpers::{TestApp, assert_problem, spawn_app};
use diesel::connection::SimpleConnection;
use serde_json::json;

/// Writes `sql` straight into the test database, past every check of the API.
fn corrupt(app: &TestApp, sql: &str) {
    let mut conn = app.database_url.establish().expect("the test database");
    conn.batch_execute(sql)
        .expect("the corrupting statement runs");
}

async fn story_twinning(app: &TestApp) -> (i64, i64) {
    let cities = app.create_story_cities().await;
    let twinning = app
        .create_twinning(json!({
            "city_ids": [cities.novgorod, cities.rochester],
            "kind": "sister_city",
            "established": "1990"
        }))
        .await;
    (twinning, cities.rochester)
}

#[actix_web::test]
async fn a_twinning_with_an_unparsable_stored_start_date_answers_500() {
    let app = spawn_app().await;
    let (twinning, _) = story_twinning(&app).await;
    corrupt(
        &app,
        &format!("UPDATE twinnings SET established = 'about 1990' WHERE id = {twinning}"),
    );
    let problem = assert_problem(
        app.get(&format!("/api/v1/twinnings/{twinning}")).await,
        500,
        "internal_error",
    )
    .await;
    assert!(
        !problem["detail"].as_str().unwrap().contains("about 1990"),
        "the client learns nothing internal: {problem}"
    );
    let page = app.get("/api/v1/twinnings").await;
    assert_eq!(page.status().as_u16(), 500, "a list holding it fails too");
}

#[actix_web::test]
async fn a_twinning_with_an_unparsable_status_history_answers_500() {
    let app = spawn_app().await;
    let (twinning, _) = story_twinning(&app).await;
    corrupt(
        &app,
        &format!("UPDATE twinnings SET status_history = 'not json' WHERE id = {twinning}"),
    );
    assert_problem(
        app.get(&format!("/api/v1/twinnings/{twinning}")).await,
        500,
        "internal_error",
    )
    .await;
}

#[actix_web::test]
async fn an_event_with_an_unparsable_stored_date_answers_500_and_cannot_be_patched() {
    let app = spawn_app().await;
    let (twinning, rochester) = story_twinning(&app).await;
    let created = app
        .post_json(
            &format!("/api/v1/twinnings/{twinning}/events"),
            &json!({"kind": "video_greeting", "from_city_id": rochester, "date": "2020", "title": "Video greeting from Rochester"}),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let event = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    corrupt(
        &app,
        &format!("UPDATE events SET date = 'spring' WHERE id = {event}"),
    );
    assert_problem(
        app.get(&format!("/api/v1/events/{event}")).await,
        500,
        "internal_error",
    )
    .await;
    let patched = app
        .patch_json(
            &format!("/api/v1/events/{event}"),
            &json!({"title": "Renamed"}),
        )
        .await;
    assert_problem(patched, 500, "internal_error").await;
    corrupt(
        &app,
        &format!("UPDATE events SET date = '2020' WHERE id = {event}"),
    );
    let event = app.get(&format!("/api/v1/events/{event}")).await;
    let event: serde_json::Value = event.json().await.unwrap();
    assert_eq!(
        event["title"], "Video greeting from Rochester",
        "the failed patch wrote nothing"
    );
}

#[actix_web::test]
async fn a_city_with_unparsable_stored_names_answers_500() {
    let app = spawn_app().await;
    let cities = app.create_story_cities().await;
    corrupt(
        &app,
        &format!(
            "UPDATE cities SET names = '{{\"ru\": ' WHERE id = {}",
            cities.sapporo
        ),
    );
    assert_problem(
        app.get(&format!("/api/v1/cities/{}", cities.sapporo)).await,
        500,
        "internal_error",
    )
    .await;
    let other = app
        .get(&format!("/api/v1/cities/{}", cities.novgorod))
        .await;
    assert_eq!(other.status().as_u16(), 200, "the other cities still read");
}

#[actix_web::test]
async fn a_change_whose_stored_json_does_not_decode_answers_500() {
    let app = spawn_app().await;
    app.create_story_cities().await;
    corrupt(
        &app,
        "UPDATE changes SET after = '{\"id\": 1,' WHERE id = (SELECT MIN(id) FROM changes)",
    );
    assert_problem(app.get("/api/v1/changes").await, 500, "internal_error").await;
}
