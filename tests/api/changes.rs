use crate::helpers::{TestApp, assert_problem, error_fields, spawn_app, story};
use serde_json::{Value, json};

async fn feed(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/changes?{query}")).await;
    assert_eq!(response.status().as_u16(), 200, "{query}");
    response.json().await.unwrap()
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn every_write_records_who_what_and_before_and_after() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    app.patch_json(
        &format!("/api/v1/cities/{id}"),
        &json!({"population": 1973000}),
    )
    .await;
    app.delete(&format!("/api/v1/cities/{id}")).await;
    let changes = items(&feed(&app, "").await);
    assert_eq!(changes.len(), 3);
    let actions: Vec<&str> = changes
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["create", "update", "delete"]);
    for change in &changes {
        assert_eq!(change["entity"], "city");
        assert_eq!(change["entity_id"], id);
        assert_eq!(change["author"]["name"], "test admin");
        assert!(change["author"]["token_id"].is_i64());
        assert!(change["changed_at"].is_string());
    }
    assert_eq!(changes[0]["before"], Value::Null);
    assert_eq!(changes[0]["after"]["name"], "Sapporo");
    assert_eq!(changes[1]["before"]["population"], 1973832);
    assert_eq!(changes[1]["after"]["population"], 1973000);
    assert_eq!(changes[2]["before"]["population"], 1973000);
    assert_eq!(changes[2]["after"], Value::Null);
    assert!(changes[0]["id"].as_i64() < changes[1]["id"].as_i64());
}

#[actix_web::test]
async fn a_write_that_fails_leaves_no_record() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city"}))
        .await;
    let before = items(&feed(&app, "limit=200").await).len();
    assert_eq!(
        app.post_json("/api/v1/cities", &json!({"name": "", "country_code": "XX"}))
            .await
            .status()
            .as_u16(),
        422
    );
    assert_eq!(
        app.post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": [c.rochester, c.novgorod], "kind": "sister_city"})
        )
        .await
        .status()
        .as_u16(),
        409
    );
    assert_eq!(
        app.post_json(
            "/api/v1/cities",
            &json!({"name": "Novosibirsk", "country_code": "RU", "wikidata_id": "Q883"})
        )
        .await
        .status()
        .as_u16(),
        409
    );
    assert_eq!(
        app.delete(&format!("/api/v1/cities/{}", c.novgorod))
            .await
            .status()
            .as_u16(),
        409
    );
    assert_eq!(
        app.patch_json("/api/v1/cities/987654", &json!({"population": 1}))
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(items(&feed(&app, "limit=200").await).len(), before);
}

#[actix_web::test]
async fn each_entity_has_its_history_and_after_deletion_the_feed_keeps_it() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let twinning = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    let event: Value = app
        .post_json(&format!("/api/v1/twinnings/{twinning}/events"), &json!({"kind": "video_greeting", "from_city_id": c.sapporo, "date": "2020", "title": "Greeting"}))
        .await
        .json()
        .await
        .unwrap();
    let patched = app
        .patch_json(
            &format!("/api/v1/events/{}", event["id"]),
            &json!({"status": "in_preparation"}),
        )
        .await;
    assert_eq!(patched.status().as_u16(), 200, "{:?}", patched.text().await);
    app.patch_json(
        &format!("/api/v1/twinnings/{twinning}"),
        &json!({"notes": "Since 1990"}),
    )
    .await;
    let history: Value = app
        .get(&format!("/api/v1/events/{}/history", event["id"]))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["create", "update"]);
    assert_eq!(history["items"][1]["after"]["status"], "in_preparation");
    let history: Value = app
        .get(&format!("/api/v1/twinnings/{twinning}/history"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    assert_eq!(history["items"][1]["after"]["notes"], "Since 1990");

    assert_eq!(
        app.delete(&format!("/api/v1/twinnings/{twinning}?cascade=true"))
            .await
            .status()
            .as_u16(),
        204
    );
    // What lies under a deleted resource is gone with it; its changes, the
    // deletion included, stay in the change feed that the answer links to.
    for (path, entity, id) in [
        (
            format!("/api/v1/events/{}/history", event["id"]),
            "event",
            event["id"].as_i64().unwrap(),
        ),
        (
            format!("/api/v1/twinnings/{twinning}/history"),
            "twinning",
            twinning,
        ),
    ] {
        let response = app.get(&path).await;
        let link = response.headers()["link"].to_str().unwrap().to_string();
        let feed_path = format!("/api/v1/changes?entity={entity}&entity_id={id}");
        assert_eq!(link, format!("<{feed_path}>; rel=\"alternate\""));
        let problem = assert_problem(response, 404, "deleted").await;
        assert!(problem["detail"].as_str().unwrap().contains(&feed_path));
        let changes: Value = app.get(&feed_path).await.json().await.unwrap();
        let last = changes["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            last["action"], "delete",
            "{entity}: a cascade records each event it removes"
        );
        if entity == "event" {
            assert_eq!(last["before"]["title"], "Greeting");
        }
    }
    let history: Value = app
        .get(&format!("/api/v1/cities/{}/history?limit=1", c.sapporo))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
    assert_eq!(history["next_cursor"], Value::Null);
    assert_problem(
        app.get("/api/v1/cities/987654/history").await,
        404,
        "not_found",
    )
    .await;
}

#[actix_web::test]
async fn the_feed_pages_with_after_and_always_gives_a_cursor_to_poll_with() {
    let app = spawn_app().await;
    app.create_story_cities().await;
    let first = feed(&app, "limit=3").await;
    assert_eq!(items(&first).len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(cursor, items(&first)[2]["cursor"].as_str().unwrap());
    let rest = feed(&app, &format!("after={cursor}")).await;
    assert_eq!(items(&rest).len(), 1);
    let end = rest["next_cursor"].as_str().unwrap().to_string();
    let empty = feed(&app, &format!("after={end}")).await;
    assert_eq!(items(&empty).len(), 0);
    assert_eq!(empty["next_cursor"], end, "an empty poll keeps the cursor");
    app.create_city(story::rochester_minnesota()).await;
    let next = feed(&app, &format!("after={end}")).await;
    assert_eq!(items(&next).len(), 1);
    assert_eq!(items(&next)[0]["after"]["subdivision_code"], "US-MN");
    let only: Value = feed(
        &app,
        &format!("entity=city&entity_id={}", items(&first)[0]["entity_id"]),
    )
    .await;
    assert_eq!(items(&only).len(), 1);
    for (query, field) in [
        ("after=garbage", "after"),
        ("limit=0", "limit"),
        ("entity=planet", "entity"),
        ("since=1", "since"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/changes?{query}")).await,
            400,
            "invalid_parameter",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{query}");
    }
}

#[actix_web::test]
async fn a_follower_sees_every_change_once_in_order_while_eight_writers_run() {
    const WRITERS: usize = 8;
    const WRITES: usize = 12;
    let app = spawn_app().await;
    let writers = (0..WRITERS).map(|w| {
        let app = &app;
        async move {
            let mut ids = Vec::new();
            for i in 0..WRITES {
                let id = app
                    .create_city(json!({"name": format!("Town {w}-{i}"), "country_code": "FR"}))
                    .await;
                app.patch_json(&format!("/api/v1/cities/{id}"), &json!({"population": i}))
                    .await;
                ids.push(id);
            }
            ids
        }
    });
    let done = std::cell::Cell::new(false);
    let follower = async {
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let finished = done.get();
            let query = match &cursor {
                Some(c) => format!("after={c}&limit=7"),
                None => "limit=7".to_string(),
            };
            let page = feed(&app, &query).await;
            let batch = items(&page);
            cursor = page["next_cursor"].as_str().map(str::to_string);
            let empty = batch.is_empty();
            seen.extend(batch);
            if finished && empty {
                return seen;
            }
        }
    };
    let writing = async {
        let ids = futures::future::join_all(writers).await;
        done.set(true);
        ids
    };
    let (ids, seen) = futures::join!(writing, follower);
    let created: std::collections::BTreeSet<i64> = ids.into_iter().flatten().collect();
    assert_eq!(created.len(), WRITERS * WRITES);

    let change_ids: Vec<i64> = seen.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert!(
        change_ids.windows(2).all(|w| w[0] < w[1]),
        "in order, each once"
    );
    assert_eq!(
        seen.len(),
        WRITERS * WRITES * 2,
        "every create and update, no gaps"
    );
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = feed(
            &app,
            &format!(
                "limit=200{}",
                if cursor.is_empty() {
                    String::new()
                } else {
                    format!("&after={cursor}")
                }
            ),
        )
        .await;
        let batch = items(&page);
        if batch.is_empty() {
            break;
        }
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        all.extend(batch.into_iter().map(|c| c["id"].as_i64().unwrap()));
    }
    assert_eq!(change_ids, all, "the follower saw exactly the feed");
    let touched: std::collections::BTreeSet<i64> = seen
        .iter()
        .map(|c| c["entity_id"].as_i64().unwrap())
        .collect();
    assert_eq!(touched, created);
}
