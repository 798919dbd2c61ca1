use crate::helpers::{StoryCities, TestApp, assert_problem, error_fields, spawn_app};
use serde_json::{Value, json};

struct Story {
    c: StoryCities,
    nr: i64,
    sn: i64,
}

async fn story(app: &TestApp) -> Story {
    let c = app.create_story_cities().await;
    let nr = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"})).await;
    let sn = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    Story { c, nr, sn }
}

async fn log_event(app: &TestApp, twinning: i64, body: Value) -> Value {
    let response = app
        .post_json(&format!("/api/v1/twinnings/{twinning}/events"), &body)
        .await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "logging {body} answered {json}");
    assert_eq!(location, Some(format!("/api/v1/events/{}", json["id"])));
    json
}

/// The titles of `GET /api/v1/events?{q}`, which must answer 200.
async fn event_titles(app: &TestApp, q: String) -> Vec<String> {
    let response = app.get(&format!("/api/v1/events?{q}")).await;
    assert_eq!(response.status().as_u16(), 200, "{q}");
    titles(&response.json::<Value>().await.unwrap())
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_greeting_and_its_reply_embed_both_cities_and_each_other() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let greeting = log_event(&app, s.nr, json!({
        "kind": "video_greeting", "from_city_id": s.c.rochester, "mode": "virtual", "status": "completed",
        "date": "2020-04", "title": "Video greeting from Rochester", "languages": ["ru", "EN"],
        "media_urls": ["https://example.org/video.mp4"], "participants": 40
    })).await;
    assert_eq!(
        greeting["from_city"],
        json!({"id": s.c.rochester, "name": "Rochester", "country_code": "US"})
    );
    assert_eq!(greeting["to_city"]["name"], "Veliky Novgorod");
    assert_eq!(greeting["languages"], json!(["ru", "en"]));
    assert_eq!(greeting["date"], "2020-04");
    assert_eq!(greeting["participants"], 40);
    assert_eq!(greeting["in_reply_to"], Value::Null);
    assert_eq!(greeting["replies"], json!([]));

    let reply = log_event(&app, s.nr, json!({
        "kind": "video_greeting", "from_city_id": s.c.novgorod, "status": "completed", "date": "2020-05",
        "title": "Reply video from Veliky Novgorod", "languages": ["ru", "en"], "in_reply_to": greeting["id"]
    })).await;
    assert_eq!(
        reply["in_reply_to"],
        json!({"id": greeting["id"], "title": "Video greeting from Rochester", "status": "completed"})
    );
    assert_eq!(reply["to_city"]["name"], "Rochester");
    let greeting: Value = app
        .get(&format!("/api/v1/events/{}", greeting["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        greeting["replies"],
        json!([{"id": reply["id"], "title": "Reply video from Veliky Novgorod", "status": "completed"}])
    );
}

#[actix_web::test]
async fn an_event_from_a_city_outside_the_twinning_is_422() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let problem = assert_problem(
        app.post_json(
            &format!("/api/v1/twinnings/{}/events", s.nr),
            &json!({
                "kind": "letter", "from_city_id": s.c.sapporo, "date": "2020", "title": "Letter"
            }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["from_city_id"]);
}

#[actix_web::test]
async fn a_reply_across_twinnings_or_from_the_same_city_is_422() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let sapporo = log_event(&app, s.sn, json!({"kind": "video_greeting", "from_city_id": s.c.sapporo, "status": "completed", "date": "2020", "title": "Video greeting from Sapporo"})).await;
    let problem = assert_problem(
        app.post_json(&format!("/api/v1/twinnings/{}/events", s.nr), &json!({
            "kind": "video_greeting", "from_city_id": s.c.novgorod, "date": "2020", "title": "Wrong thread", "in_reply_to": sapporo["id"]
        })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["in_reply_to"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("another twinning")
    );
    let problem = assert_problem(
        app.post_json(&format!("/api/v1/twinnings/{}/events", s.sn), &json!({
            "kind": "video_greeting", "from_city_id": s.c.sapporo, "date": "2020", "title": "Self reply", "in_reply_to": sapporo["id"]
        })).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("same city")
    );
    let problem = assert_problem(
        app.post_json(&format!("/api/v1/twinnings/{}/events", s.sn), &json!({
            "kind": "video_greeting", "from_city_id": s.c.novosibirsk, "date": "2020", "title": "Lost reply", "in_reply_to": 999999
        })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["in_reply_to"]);
}

#[actix_web::test]
async fn every_invalid_event_field_is_named() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let problem = assert_problem(
        app.post_json(&format!("/api/v1/twinnings/{}/events", s.nr), &json!({
            "languages": ["ru", "not a tag"], "media_urls": ["javascript:alert(1)"], "participants": -3
        })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "kind",
            "from_city_id",
            "title",
            "languages[1]",
            "media_urls[0]",
            "participants"
        ]
    );
    let long = "x".repeat(201);
    let problem = assert_problem(
        app.post_json(
            &format!("/api/v1/twinnings/{}/events", s.nr),
            &json!({
                "kind": "gift", "from_city_id": s.c.novgorod, "date": "2021-02-30", "title": long
            }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["date", "title"]);
    let problem = assert_problem(
        app.post_json(
            &format!("/api/v1/twinnings/{}/events", s.nr),
            &json!({
                "kind": "parade", "from_city_id": s.c.novgorod, "date": "2020", "title": "x"
            }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["kind"]);
}

#[actix_web::test]
async fn a_completed_event_cannot_be_in_the_future_but_a_planned_one_can() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let next_year = (chrono::Utc::now().date_naive() + chrono::Days::new(366))
        .format("%Y")
        .to_string();
    let problem = assert_problem(
        app.post_json(&format!("/api/v1/twinnings/{}/events", s.nr), &json!({
            "kind": "delegation_visit", "from_city_id": s.c.novgorod, "status": "completed", "date": next_year, "title": "Visit"
        })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["date"]);
    let planned = log_event(&app, s.nr, json!({"kind": "delegation_visit", "from_city_id": s.c.novgorod, "date": next_year, "title": "Visit"})).await;
    assert_eq!(planned["status"], "planned", "the default status");
}

#[actix_web::test]
async fn an_event_for_a_missing_twinning_is_404() {
    let app = spawn_app().await;
    let s = story(&app).await;
    assert_problem(
        app.post_json(
            "/api/v1/twinnings/987654/events",
            &json!({"kind": "letter", "from_city_id": s.c.novgorod, "date": "2020", "title": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/twinnings/987654/events").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/cities/987654/events").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get("/api/v1/events/987654").await, 404, "not_found").await;
}

#[actix_web::test]
async fn the_status_follows_the_life_cycle_and_says_what_is_allowed() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let event = log_event(&app, s.sn, json!({"kind": "video_greeting", "from_city_id": s.c.novosibirsk, "date": "2020", "title": "Reply video from Novosibirsk"})).await;
    let path = format!("/api/v1/events/{}", event["id"]);
    let problem = assert_problem(
        app.patch_json(&path, &json!({"status": "completed"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["status"]);
    assert_eq!(
        problem["errors"][0]["message"],
        "cannot go from planned to completed; allowed: in_preparation, postponed, cancelled"
    );
    for step in [
        "postponed",
        "in_preparation",
        "postponed",
        "planned",
        "in_preparation",
        "completed",
    ] {
        let response = app.patch_json(&path, &json!({"status": step})).await;
        assert_eq!(response.status().as_u16(), 200, "to {step}");
        let event: Value = response.json().await.unwrap();
        assert_eq!(event["status"], step);
    }
    let problem = assert_problem(
        app.patch_json(&path, &json!({"status": "cancelled"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        problem["errors"][0]["message"],
        "a completed event cannot change its status"
    );
    let other = log_event(&app, s.sn, json!({"kind": "letter", "from_city_id": s.c.sapporo, "date": "2020", "title": "Letter", "status": "in_preparation"})).await;
    let other_path = format!("/api/v1/events/{}", other["id"]);
    assert_eq!(
        app.patch_json(&other_path, &json!({"status": "cancelled"}))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_problem(
        app.patch_json(&other_path, &json!({"status": "planned"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[actix_web::test]
async fn patching_an_event_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let event = log_event(&app, s.nr, json!({"kind": "letter", "from_city_id": s.c.rochester, "date": "2020", "title": "Letter", "description": "d", "languages": ["en"]})).await;
    let path = format!("/api/v1/events/{}", event["id"]);
    let response = app.patch_json(&path, &json!({"title": "Letter of friendship", "description": null, "date": "2020-06-12", "mode": "in_person"})).await;
    assert_eq!(response.status().as_u16(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["title"], "Letter of friendship");
    assert_eq!(changed["description"], Value::Null);
    assert_eq!(changed["date"], "2020-06-12");
    assert_eq!(changed["mode"], "in_person");
    assert_eq!(changed["languages"], json!(["en"]));
    assert_eq!(changed["from_city"], event["from_city"]);
    let problem = assert_problem(
        app.patch_json(&path, &json!({"from_city_id": s.c.novgorod}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["from_city_id"]);
}

#[actix_web::test]
async fn timelines_come_newest_first_per_twinning_and_per_city() {
    let app = spawn_app().await;
    let s = story(&app).await;
    for (twinning, from, date, title) in [
        (s.nr, s.c.rochester, "2020-04", "Greeting"),
        (s.nr, s.c.novgorod, "2020-05", "Reply"),
        (s.nr, s.c.rochester, "2019", "Old letter"),
        (s.sn, s.c.sapporo, "2020-04-20", "Sapporo greeting"),
        (s.nr, s.c.novgorod, "2021-01-01", "New year"),
    ] {
        log_event(&app, twinning, json!({"kind": "letter", "from_city_id": from, "date": date, "title": title, "status": "completed"})).await;
    }
    let page: Value = app
        .get(&format!("/api/v1/twinnings/{}/events", s.nr))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        titles(&page),
        vec!["New year", "Reply", "Greeting", "Old letter"]
    );
    let page: Value = app
        .get(&format!("/api/v1/cities/{}/events", s.c.rochester))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        titles(&page),
        vec!["New year", "Reply", "Greeting", "Old letter"],
        "sent and received"
    );
    let page: Value = app
        .get(&format!("/api/v1/cities/{}/events", s.c.novosibirsk))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&page), vec!["Sapporo greeting"]);
    // Page by page, sent and received events still interleave by date.
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/cities/{}/events?limit=1", s.c.rochester);
    loop {
        let page: Value = app.get(&path).await.json().await.unwrap();
        seen.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(next) => {
                path = format!(
                    "/api/v1/cities/{}/events?limit=1&cursor={next}",
                    s.c.rochester
                )
            }
            None => break,
        }
    }
    assert_eq!(seen, vec!["New year", "Reply", "Greeting", "Old letter"]);
    assert_problem(
        app.get("/api/v1/cities/987654/events").await,
        404,
        "not_found",
    )
    .await;
    let page: Value = app
        .get(&format!("/api/v1/twinnings/{}/events?limit=3", s.nr))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&page), vec!["New year", "Reply", "Greeting"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page: Value = app
        .get(&format!(
            "/api/v1/twinnings/{}/events?limit=3&cursor={cursor}",
            s.nr
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&page), vec!["Old letter"]);
    assert_eq!(page["next_cursor"], Value::Null);
}

#[actix_web::test]
async fn the_registry_wide_list_filters_by_kind_status_dates_city_country_and_language() {
    let app = spawn_app().await;
    let s = story(&app).await;
    log_event(&app, s.nr, json!({"kind": "video_greeting", "from_city_id": s.c.rochester, "status": "completed", "date": "2020-04", "title": "A", "languages": ["ru", "en"]})).await;
    log_event(&app, s.nr, json!({"kind": "delegation_visit", "from_city_id": s.c.rochester, "status": "cancelled", "date": "2020-05", "title": "B"})).await;
    log_event(&app, s.sn, json!({"kind": "video_greeting", "from_city_id": s.c.sapporo, "status": "completed", "date": "2020", "title": "C", "languages": ["ja", "pt-BR"]})).await;
    log_event(&app, s.sn, json!({"kind": "letter", "from_city_id": s.c.novosibirsk, "status": "planned", "date": "2022-09-01", "title": "D"})).await;

    let list = |q: &'static str| {
        let app = &app;
        async move {
            let response = app.get(&format!("/api/v1/events?{q}")).await;
            assert_eq!(response.status().as_u16(), 200, "{q}");
            titles(&response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(list("").await, vec!["D", "B", "A", "C"]);
    assert_eq!(list("kind=video_greeting").await, vec!["A", "C"]);
    assert_eq!(list("status=cancelled").await, vec!["B"]);
    assert_eq!(
        list("from=2020-05&to=2020-12-31").await,
        vec!["B", "C"],
        "the year 2020 overlaps May"
    );
    assert_eq!(list("from=2021").await, vec!["D"]);
    assert_eq!(list("country=JP").await, vec!["D", "C"]);
    assert_eq!(list("country=US").await, vec!["B", "A"]);
    assert_eq!(list("language=ru").await, vec!["A"]);
    assert_eq!(list("language=pt").await, vec!["C"], "pt finds pt-BR");
    assert_eq!(list("language=PT-br").await, vec!["C"]);
    let city = format!("city_id={}", s.c.novosibirsk);
    let response = app.get(&format!("/api/v1/events?{city}")).await;
    assert_eq!(
        titles(&response.json::<Value>().await.unwrap()),
        vec!["D", "C"]
    );
    // The city alone, and the city with another filter, page alike.
    for extra in ["", "&country=JP"] {
        let page: Value = app
            .get(&format!("/api/v1/events?{city}&limit=1{extra}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(titles(&page), vec!["D"], "{extra}");
        let next = page["next_cursor"].as_str().unwrap();
        let page: Value = app
            .get(&format!(
                "/api/v1/events?{city}&limit=1{extra}&cursor={next}"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(titles(&page), vec!["C"], "{extra}");
    }
    let unknown = app.get("/api/v1/events?city_id=987654").await;
    assert_eq!(unknown.status().as_u16(), 200, "a filter, not a resource");
    assert_eq!(
        titles(&unknown.json::<Value>().await.unwrap()),
        Vec::<String>::new()
    );
    for (query, field) in [
        ("language=%25", "language"),
        ("from=2020-13", "from"),
        ("country=xx", "country"),
        ("status=done", "status"),
        ("page=2", "page"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/events?{query}")).await,
            400,
            "invalid_parameter",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{query}");
    }
}

#[actix_web::test]
async fn last_exchange_follows_completed_events_and_finds_dormant_twinnings() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let twinning = |id: i64| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/twinnings/{id}"))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(twinning(s.nr).await["last_exchange"], Value::Null);
    let old = log_event(&app, s.nr, json!({"kind": "letter", "from_city_id": s.c.rochester, "status": "completed", "date": "2012-03", "title": "Old"})).await;
    log_event(&app, s.nr, json!({"kind": "letter", "from_city_id": s.c.rochester, "status": "planned", "date": "2019", "title": "Planned"})).await;
    assert_eq!(
        twinning(s.nr).await["last_exchange"],
        "2012-03",
        "only completed events count"
    );
    log_event(&app, s.sn, json!({"kind": "letter", "from_city_id": s.c.sapporo, "status": "completed", "date": "2020-04-20", "title": "Recent"})).await;
    let list = |q: &str| format!("/api/v1/twinnings?{q}");
    assert_eq!(app.item_ids(&list("dormant_since=2015")).await, vec![s.nr]);
    assert_eq!(
        app.item_ids(&list("dormant_since=2012-03")).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        app.item_ids(&list("dormant_since=2021")).await,
        vec![s.nr, s.sn]
    );
    let path = format!("/api/v1/events/{}", old["id"]);
    assert_eq!(app.delete(&path).await.status().as_u16(), 204);
    assert_eq!(
        twinning(s.nr).await["last_exchange"],
        Value::Null,
        "recomputed on delete"
    );
    assert_eq!(app.item_ids(&list("dormant_since=2015")).await, vec![s.nr]);
}

#[actix_web::test]
async fn deleting_a_twinning_with_events_needs_cascade() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let greeting = log_event(&app, s.nr, json!({"kind": "video_greeting", "from_city_id": s.c.rochester, "status": "completed", "date": "2020", "title": "Greeting"})).await;
    log_event(&app, s.nr, json!({"kind": "video_greeting", "from_city_id": s.c.novgorod, "status": "completed", "date": "2020", "title": "Reply", "in_reply_to": greeting["id"]})).await;
    assert_problem(
        app.delete(&format!("/api/v1/events/{}", greeting["id"]))
            .await,
        409,
        "event_has_replies",
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/twinnings/{}", s.nr)).await,
        409,
        "twinning_has_events",
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/twinnings/{}?cascade=false", s.nr))
            .await,
        409,
        "twinning_has_events",
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/twinnings/{}/events", s.nr))
            .await
            .json::<Value>()
            .await
            .unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let problem = assert_problem(
        app.delete(&format!("/api/v1/twinnings/{}?cascade=yes", s.nr))
            .await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["cascade"]);
    assert_eq!(
        app.delete(&format!("/api/v1/twinnings/{}?cascade=true", s.nr))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(
        app.get(&format!("/api/v1/events/{}", greeting["id"])).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.delete(&format!("/api/v1/cities/{}", s.c.rochester))
            .await
            .status()
            .as_u16(),
        204,
        "the city is free again"
    );
}

/// After `twinning seed --demo`, every fact of the story reads back through the API.
#[actix_web::test]
async fn the_demo_data_tells_the_whole_story_through_the_api() {
    let app = spawn_app().await;
    let mut conn = app.database_url.establish().unwrap();
    twinning::seed::demo(&mut conn).unwrap();
    drop(conn);

    let find = |q: &'static str| {
        let app = &app;
        async move {
            let page: Value = app
                .get(&format!("/api/v1/cities?q={q}"))
                .await
                .json()
                .await
                .unwrap();
            page["items"][0].clone()
        }
    };
    let novosibirsk =
        find("%D0%9D%D0%BE%D0%B2%D0%BE%D1%81%D0%B8%D0%B1%D0%B8%D1%80%D1%81%D0%BA").await; // Новосибирск
    assert_eq!(novosibirsk["name"], "Novosibirsk");
    let sapporo = find("%E6%9C%AD%E5%B9%8C").await; // 札幌
    assert_eq!(sapporo["names"]["ja"], "札幌市");
    let novgorod = find("velikiy").await;
    assert_eq!(novgorod["names"]["ru"], "Великий Новгород");

    // Novosibirsk's page: its partner, and the timeline.
    let partners: Value = app
        .get(&format!("/api/v1/cities/{}/twinnings", novosibirsk["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(partners["items"][0]["partner"]["name"], "Sapporo");
    assert_eq!(partners["items"][0]["established"], "1990");
    assert_eq!(
        partners["items"][0]["confirmed"], true,
        "both cities signed it in 1990"
    );
    assert_eq!(partners["items"][0]["last_exchange"], "2020");
    let timeline: Value = app
        .get(&format!("/api/v1/cities/{}/events", novosibirsk["id"]))
        .await
        .json()
        .await
        .unwrap();
    let reply = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from_city"]["name"] == "Novosibirsk")
        .unwrap();
    assert_eq!(reply["status"], "in_preparation");
    assert_eq!(
        reply["reported_by"],
        json!({"city_id": novosibirsk["id"], "side": "sender"})
    );
    assert_eq!(reply["review"], Value::Null, "the sender's own report");
    assert_eq!(reply["in_reply_to"]["title"], "Video greeting from Sapporo");
    let greeting = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from_city"]["name"] == "Sapporo")
        .unwrap();
    assert!(
        greeting["description"]
            .as_str()
            .unwrap()
            .contains("Don't be sad Novosibirsk!")
    );
    assert_eq!(greeting["kind"], "video_greeting");
    assert_eq!(
        greeting["reported_by"],
        json!({"city_id": novosibirsk["id"], "side": "recipient"}),
        "Novosibirsk logged the greeting it received"
    );
    assert_eq!(
        greeting["review"]["state"], "confirmed",
        "and Sapporo agreed"
    );

    // Veliky Novgorod and Rochester: 30 years in 2020, the cancelled visit, greetings in two languages.
    let anniversaries: Value = app
        .get("/api/v1/anniversaries?from=2020-01-01&to=2020-12-31&every=10")
        .await
        .json()
        .await
        .unwrap();
    let years: Vec<i64> = anniversaries["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["years"].as_i64().unwrap())
        .collect();
    assert_eq!(years, vec![30, 30]);
    let twinning_id = anniversaries["items"][0]["twinning"]["id"]
        .as_i64()
        .unwrap();
    let timeline: Value = app
        .get(&format!("/api/v1/twinnings/{twinning_id}/events"))
        .await
        .json()
        .await
        .unwrap();
    let events = timeline["items"].as_array().unwrap();
    let visit = events
        .iter()
        .find(|e| e["kind"] == "delegation_visit")
        .unwrap();
    assert_eq!(
        (visit["status"].as_str(), visit["date"].as_str()),
        (Some("cancelled"), Some("2020-05"))
    );
    assert_eq!(visit["to_city"]["name"], "Veliky Novgorod");
    let rochester = events
        .iter()
        .find(|e| e["title"] == "Video greeting from Rochester")
        .unwrap();
    assert_eq!(rochester["languages"], json!(["ru", "en"]));
    assert_eq!(
        rochester["replies"][0]["title"],
        "Reply video from Veliky Novgorod"
    );
    let reply = events
        .iter()
        .find(|e| e["title"] == "Reply video from Veliky Novgorod")
        .unwrap();
    assert_eq!(reply["languages"], json!(["ru", "en"]));
    assert!(reply["description"].as_str().unwrap().contains("music"));
}

#[actix_web::test]
async fn the_language_filter_follows_every_write_and_finds_variants() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let a = log_event(&app, s.nr, json!({"kind": "letter", "from_city_id": s.c.rochester, "date": "2020", "title": "A", "languages": ["zh-Hant-TW"]})).await;
    let b = log_event(&app, s.nr, json!({"kind": "letter", "from_city_id": s.c.novgorod, "date": "2021", "title": "B", "languages": ["zh"]})).await;
    let list = |q: String| event_titles(&app, q);
    assert_eq!(list("language=zh".into()).await, vec!["B", "A"]);
    assert_eq!(list("language=ZH-hant".into()).await, vec!["A"]);
    assert_eq!(list("language=zh-Hant-TW".into()).await, vec!["A"]);
    assert!(list("language=zh-Hans".into()).await.is_empty());

    let patched = app
        .patch_json(
            &format!("/api/v1/events/{}", a["id"]),
            &json!({"languages": ["de"]}),
        )
        .await;
    assert_eq!(patched.status().as_u16(), 200);
    assert_eq!(list("language=zh".into()).await, vec!["B"]);
    assert_eq!(list("language=de".into()).await, vec!["A"]);
    let removed = app.delete(&format!("/api/v1/events/{}", b["id"])).await;
    assert_eq!(removed.status().as_u16(), 204);
    assert!(list("language=zh".into()).await.is_empty());

    // Past a few thousand events in one language, the filter walks the events
    // in page order instead of listing their ids; both give the same pages.
    let many: String = (0..2_100)
        .map(|i| {
            format!(
                "{}\n",
                json!({"twinning_id": s.sn, "kind": "letter", "from_city_id": s.c.sapporo, "date": format!("{}", 1950 + i % 70), "title": format!("M{i}"), "languages": ["ja"]})
            )
        })
        .collect();
    let response = app
        .client
        .post(app.url("/api/v1/import/events"))
        .header("content-type", "application/x-ndjson")
        .body(many)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{:?}",
        response.text().await
    );
    let first = list("language=ja&limit=200".into()).await;
    assert_eq!(first.len(), 200);
    assert_eq!(first[0], "M2099", "newest first, then the highest id");
    assert_eq!(list("language=JA&limit=200".into()).await, first);
    assert_eq!(list("language=de".into()).await, vec!["A"]);
}

#[actix_web::test]
async fn a_planned_exchange_may_have_no_date_yet_and_leads_the_timeline() {
    let app = spawn_app().await;
    let s = story(&app).await;
    let greeting = log_event(&app, s.sn, json!({"kind": "video_greeting", "from_city_id": s.c.sapporo, "status": "completed", "date": "2020-04", "title": "Video greeting from Sapporo"})).await;
    let planned = log_event(&app, s.sn, json!({"kind": "video_greeting", "from_city_id": s.c.novosibirsk, "date": "2030", "title": "Planned visit"})).await;
    let reply = log_event(
        &app,
        s.sn,
        json!({
            "kind": "video_greeting", "from_city_id": s.c.novosibirsk, "status": "in_preparation",
            "title": "Reply video from Novosibirsk", "in_reply_to": greeting["id"]
        }),
    )
    .await;
    assert_eq!(reply["date"], Value::Null, "{reply}");
    for status in ["planned", "postponed", "cancelled"] {
        let undated = log_event(&app, s.sn, json!({"kind": "letter", "from_city_id": s.c.sapporo, "status": status, "title": "Undated"})).await;
        assert_eq!(undated["date"], Value::Null);
        assert_eq!(
            app.delete(&format!("/api/v1/events/{}", undated["id"]))
                .await
                .status()
                .as_u16(),
            204
        );
    }

    // Undated first (newest first: it is yet to come), then by date.
    let timeline = app
        .item_ids(&format!("/api/v1/twinnings/{}/events", s.sn))
        .await;
    let ids = |v: &Value| v["id"].as_i64().unwrap();
    assert_eq!(timeline, vec![ids(&reply), ids(&planned), ids(&greeting)]);
    // Paged one at a time, the order holds across the cursor.
    let mut paged = Vec::new();
    let mut path = format!("/api/v1/twinnings/{}/events?limit=1", s.sn);
    loop {
        let page = app.get_json(&path).await;
        paged.extend(page["items"].as_array().unwrap().iter().map(ids));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/twinnings/{}/events?limit=1&cursor={cursor}", s.sn)
            }
            None => break,
        }
    }
    assert_eq!(paged, timeline);
    // A date window holds dated events only.
    assert_eq!(
        app.item_ids("/api/v1/events?from=2000").await,
        vec![ids(&planned), ids(&greeting)]
    );

    // A completed event needs its date.
    let problem = assert_problem(
        app.post_json(&format!("/api/v1/twinnings/{}/events", s.sn), &json!({"kind": "letter", "from_city_id": s.c.sapporo, "status": "completed", "title": "Letter"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["date"]);
    let path = format!("/api/v1/events/{}", reply["id"]);
    let problem = assert_problem(
        app.patch_json(&path, &json!({"status": "completed"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["date"]);
    let done = app
        .patch_json(&path, &json!({"status": "completed", "date": "2020-06"}))
        .await;
    assert_eq!(done.status().as_u16(), 200);
    let twinning = app.get_json(&format!("/api/v1/twinnings/{}", s.sn)).await;
    assert_eq!(twinning["last_exchange"], "2020-06");

    // Imports take an undated planned event too.
    let report: Value = app
        .client
        .post(app.url("/api/v1/import/events"))
        .header("content-type", "text/csv")
        .body(format!(
            "twinning_id,kind,from_city_id,status,title\n{},letter,{},planned,Letter to come\n",
            s.sn, s.c.sapporo
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["created"], 1, "{report}");
}

/// A country's events come from its twinnings' timelines when it has few
/// twinnings, and from a walk of all events in page order when it has many
/// (100 or more); both give the same pages, and follow a city that moves to
/// another country.
#[actix_web::test]
async fn a_country_filter_finds_the_same_events_for_a_country_with_few_or_many_twinnings() {
    let app = spawn_app().await;
    let mut cities = String::from("name,country_code,latitude,longitude,population,geonames_id\n");
    cities.push_str("Hub,SE,59.3,18.1,900000,1000\nLone,FI,60.2,24.9,600000,2000\n");
    for i in 1..=101 {
        cities.push_str(&format!("Fjord {i},NO,60.0,10.0,{},{i}\n", 1000 + i));
    }
    let mut twinnings = String::from("city_a_geonames_id,city_b_geonames_id,kind\n");
    for i in 1..=101 {
        twinnings.push_str(&format!("1000,{i},friendship_city\n"));
    }
    twinnings.push_str("1000,2000,sister_city\n");
    app.import_csv("cities", cities).await;
    app.import_csv("twinnings", twinnings).await;
    let hub: Value = app.get_json("/api/v1/cities?q=hub").await;
    let hub = hub["items"][0]["id"].as_i64().unwrap();
    let pairs: Value = app
        .get_json(&format!("/api/v1/cities/{hub}/twinnings?limit=200"))
        .await;
    let pairs = pairs["items"].as_array().unwrap();
    assert_eq!(pairs.len(), 102);
    let twinning_with = |country: &str| {
        pairs
            .iter()
            .find(|p| p["partner"]["country_code"] == country)
            .map(|p| {
                (
                    p["id"].as_i64().unwrap(),
                    p["partner"]["id"].as_i64().unwrap(),
                )
            })
            .unwrap()
    };
    let (norwegian, fjord) = twinning_with("NO");
    let (finnish, lone) = twinning_with("FI");
    log_event(&app, norwegian, json!({"kind": "letter", "from_city_id": fjord, "date": "2021-03", "title": "From the fjord"})).await;
    log_event(
        &app,
        finnish,
        json!({"kind": "letter", "from_city_id": hub, "date": "2022-05", "title": "To Finland"}),
    )
    .await;
    log_event(
        &app,
        norwegian,
        json!({"kind": "letter", "from_city_id": hub, "date": "2023-01", "title": "To the fjord"}),
    )
    .await;

    let list = |q: String| event_titles(&app, q);
    // Many twinnings (Norway, Sweden) and few (Finland, none in Denmark).
    assert_eq!(
        list("country=NO".into()).await,
        vec!["To the fjord", "From the fjord"]
    );
    assert_eq!(
        list("country=SE".into()).await,
        vec!["To the fjord", "To Finland", "From the fjord"]
    );
    assert_eq!(list("country=FI".into()).await, vec!["To Finland"]);
    assert!(list("country=DK".into()).await.is_empty());
    // Pages follow each other the same way on both paths.
    for country in ["NO", "SE"] {
        let page: Value = app
            .get_json(&format!("/api/v1/events?country={country}&limit=1"))
            .await;
        assert_eq!(titles(&page), vec!["To the fjord"]);
        let next = page["next_cursor"].as_str().unwrap();
        let rest = list(format!("country={country}&cursor={next}")).await;
        assert_eq!(rest.last().map(String::as_str), Some("From the fjord"));
    }
    // The Finnish city moves to Denmark: its events follow it.
    let response = app
        .patch_json(
            &format!("/api/v1/cities/{lone}"),
            &json!({"country_code": "DK"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(list("country=FI".into()).await.is_empty());
    assert_eq!(list("country=DK".into()).await, vec!["To Finland"]);
}
