use crate::helpers::{assert_problem, error_fields, spawn_app, story};
use chrono::Datelike;
use serde_json::{Value, json};

fn this_year() -> i64 {
    i64::from(chrono::Utc::now().year())
}

#[actix_web::test]
async fn the_two_twinnings_of_the_story_can_be_registered() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let response = app
        .post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": [c.rochester, c.novgorod], "kind": "sister_city", "established": "1990",
                    "notes": "30 years in 2020", "source_urls": ["https://example.org/novgorod-rochester"]}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let twinning: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/twinnings/{}", twinning["id"]));
    assert_eq!(
        twinning["cities"],
        json!([
            {"id": c.novgorod, "name": "Veliky Novgorod", "country_code": "RU"},
            {"id": c.rochester, "name": "Rochester", "country_code": "US"}
        ])
    );
    assert_eq!(twinning["kind"], "sister_city");
    assert_eq!(twinning["status"], "active");
    assert_eq!(twinning["established"], "1990");
    assert_eq!(twinning["ended"], Value::Null);
    assert_eq!(twinning["notes"], "30 years in 2020");
    assert_eq!(
        twinning["source_urls"],
        json!(["https://example.org/novgorod-rochester"])
    );
    assert_eq!(
        twinning["status_history"],
        json!([{"status": "active", "since": "1990", "reason": null, "by_city_id": null}])
    );
    // A year-precision start: this year's anniversary is "next" until the year is over.
    assert_eq!(
        twinning["next_anniversary"],
        json!({"years": this_year() - 1990, "date": this_year().to_string()})
    );
    let fetched: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(fetched, twinning);

    let id = app
        .create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"}))
        .await;
    assert!(id > twinning["id"].as_i64().unwrap());
}

#[actix_web::test]
async fn the_same_pair_in_reverse_order_is_a_conflict_pointing_at_the_first() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    for pair in [[c.rochester, c.novgorod], [c.novgorod, c.rochester]] {
        let problem = assert_problem(
            app.post_json(
                "/api/v1/twinnings",
                &json!({"city_ids": pair, "kind": "twin_town"}),
            )
            .await,
            409,
            "twinning_exists",
        )
        .await;
        assert_eq!(problem["existing"], format!("/api/v1/twinnings/{id}"));
    }
}

#[actix_web::test]
async fn concurrent_registrations_of_one_pair_let_exactly_one_through() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let app = &app;
    let requests = (0..12).map(|i| async move {
        let pair = if i % 2 == 0 {
            [c.sapporo, c.novosibirsk]
        } else {
            [c.novosibirsk, c.sapporo]
        };
        app.post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": pair, "kind": "sister_city", "established": "1990"}),
        )
        .await
    });
    let statuses: Vec<u16> = futures::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    let page: Value = app.get("/api/v1/twinnings").await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_city_cannot_twin_with_itself() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": [c.sapporo, c.sapporo], "kind": "sister_city"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["city_ids"]);
}

#[actix_web::test]
async fn an_unknown_city_is_422_naming_which() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": [c.sapporo, 987654], "kind": "sister_city"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["city_ids[1]"]);
    for ids in [json!([c.sapporo]), json!([1, 2, 3]), json!([])] {
        let problem = assert_problem(
            app.post_json(
                "/api/v1/twinnings",
                &json!({"city_ids": ids, "kind": "sister_city"}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["city_ids"], "{ids}");
    }
}

#[actix_web::test]
async fn start_dates_keep_their_precision() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    for (pair, date) in [
        ([c.novgorod, c.rochester], "1990"),
        ([c.sapporo, c.novosibirsk], "1990-05"),
        ([c.novgorod, c.sapporo], "1990-05-17"),
    ] {
        let id = app
            .create_twinning(json!({"city_ids": pair, "kind": "partner_city", "established": date}))
            .await;
        let twinning: Value = app
            .get(&format!("/api/v1/twinnings/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(twinning["established"], date);
        assert_eq!(
            twinning["next_anniversary"]["date"].as_str().unwrap().len(),
            date.len()
        );
    }
}

#[actix_web::test]
async fn impossible_and_inconsistent_dates_are_refused_all_at_once() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let cases = [
        (json!({"established": "2021-02-30"}), vec!["established"]),
        (json!({"established": "1990-13"}), vec!["established"]),
        (json!({"established": "0000-00-00"}), vec!["established"]),
        (json!({"established": "99999-01-01"}), vec!["established"]),
        (
            json!({"established": "1990", "ended": "1989-12"}),
            vec!["ended"],
        ),
        (json!({"established": "2999"}), vec!["established"]),
        (
            json!({"established": "1990", "ended": "2999-01-01"}),
            vec!["ended"],
        ),
        (
            json!({"established": "1990", "ended": "2001", "status": "active"}),
            vec!["status"],
        ),
        (
            json!({"established": "1990-13", "ended": "x", "source_urls": ["https://ok.example", "ftp://x", "not a url"]}),
            vec!["established", "ended", "source_urls[1]", "source_urls[2]"],
        ),
    ];
    for (extra, fields) in cases {
        let mut body = json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let problem = assert_problem(
            app.post_json("/api/v1/twinnings", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    let page: Value = app.get("/api/v1/twinnings").await.json().await.unwrap();
    assert_eq!(page["items"], json!([]), "nothing was stored");
}

#[actix_web::test]
async fn an_unknown_kind_or_status_is_422_naming_it() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": [c.novgorod, c.rochester], "kind": "best_friends"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["kind"]);
    let problem = assert_problem(
        app.post_json("/api/v1/twinnings", &json!({"city_ids": [c.novgorod, c.rochester], "kind": "twin_town", "status": "sleeping"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["status"]);
}

#[actix_web::test]
async fn a_future_start_is_accepted_only_when_planned() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let next_year = (this_year() + 1).to_string();
    let id = app
        .create_twinning(json!({"city_ids": [c.sapporo, c.rochester], "kind": "friendship_city", "established": next_year, "status": "planned"}))
        .await;
    let twinning: Value = app
        .get(&format!("/api/v1/twinnings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(twinning["status"], "planned");
    assert_eq!(
        twinning["next_anniversary"],
        json!({"years": 1, "date": (this_year() + 2).to_string()})
    );
    let problem = assert_problem(
        app.patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"status": "active"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["established"]);
}

#[actix_web::test]
async fn an_end_date_makes_a_twinning_ended_without_anniversaries() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.sapporo], "kind": "cooperation", "established": "1995-04", "ended": "2014-03"}))
        .await;
    let twinning: Value = app
        .get(&format!("/api/v1/twinnings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(twinning["status"], "ended");
    assert_eq!(twinning["ended"], "2014-03");
    assert_eq!(twinning["next_anniversary"], Value::Null);
    assert_eq!(
        twinning["status_history"],
        json!([{"status": "ended", "since": "2014-03", "reason": null, "by_city_id": null}])
    );
}

#[actix_web::test]
async fn a_status_change_is_kept_in_the_history_with_its_reason() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    let response = app
        .patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"status": "suspended", "status_since": "2022-03", "status_reason": "Exchanges paused"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let twinning: Value = response.json().await.unwrap();
    assert_eq!(twinning["status"], "suspended");
    assert_eq!(
        twinning["status_history"],
        json!([
            {"status": "active", "since": "1990", "reason": null, "by_city_id": null},
            {"status": "suspended", "since": "2022-03", "reason": "Exchanges paused", "by_city_id": null}
        ])
    );
    let response = app
        .patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"status": "active"}),
        )
        .await;
    let twinning: Value = response.json().await.unwrap();
    let history = twinning["status_history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2]["status"], "active");
    assert_eq!(
        history[2]["since"],
        chrono::Utc::now().date_naive().to_string(),
        "since defaults to today"
    );
    let stored: Value = app
        .get(&format!("/api/v1/twinnings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored, twinning);
}

#[actix_web::test]
async fn a_reason_without_a_change_of_status_is_422() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    let problem = assert_problem(
        app.patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"status_reason": "why not"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["status"]);
}

#[actix_web::test]
async fn patching_changes_only_what_is_sent_and_not_the_pair() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990", "notes": "n"}))
        .await;
    let response = app
        .patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"kind": "twin_town", "notes": null, "established": "1990-05-17"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let twinning: Value = response.json().await.unwrap();
    assert_eq!(twinning["kind"], "twin_town");
    assert_eq!(twinning["notes"], Value::Null);
    assert_eq!(twinning["established"], "1990-05-17");
    assert_eq!(twinning["status"], "active");
    let problem = assert_problem(
        app.patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"city_ids": [c.sapporo, c.rochester]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["city_ids"]);
    assert_problem(
        app.patch_json("/api/v1/twinnings/999", &json!({"kind": "twin_town"}))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[actix_web::test]
async fn deleting_a_twinning_frees_its_cities() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    assert_problem(
        app.delete(&format!("/api/v1/cities/{}", c.novgorod)).await,
        409,
        "city_in_use",
    )
    .await;
    assert_eq!(
        app.delete(&format!("/api/v1/twinnings/{id}"))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(
        app.get(&format!("/api/v1/twinnings/{id}")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/twinnings/{id}")).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.delete(&format!("/api/v1/cities/{}", c.novgorod))
            .await
            .status()
            .as_u16(),
        204
    );
}

#[actix_web::test]
async fn a_citys_twinnings_embed_the_partner_in_full() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"})).await;
    app.create_twinning(json!({"city_ids": [c.novosibirsk, c.novgorod], "kind": "partner_city", "established": "2001-06"})).await;
    app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    let page: Value = app
        .get(&format!("/api/v1/cities/{}/twinnings", c.novgorod))
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["partner"]["name"], "Rochester");
    assert_eq!(items[0]["partner"]["timezone"], "America/New_York");
    assert_eq!(items[0]["established"], "1990");
    assert_eq!(items[1]["partner"]["name"], "Novosibirsk");
    assert_eq!(items[1]["partner"]["names"]["ru"], "Новосибирск");
    assert_eq!(page["next_cursor"], Value::Null);
    let page: Value = app
        .get(&format!("/api/v1/cities/{}/twinnings?limit=1", c.novgorod))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let next = page["next_cursor"].as_str().unwrap();
    let page: Value = app
        .get(&format!(
            "/api/v1/cities/{}/twinnings?limit=1&cursor={next}",
            c.novgorod
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["partner"]["name"], "Novosibirsk");
    assert_problem(
        app.get("/api/v1/cities/424242/twinnings").await,
        404,
        "not_found",
    )
    .await;
}

async fn ids_of(app: &crate::helpers::TestApp, query: &str) -> Vec<i64> {
    let response = app.get(&format!("/api/v1/twinnings?{query}")).await;
    assert_eq!(response.status().as_u16(), 200, "{query}");
    let page: Value = response.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[actix_web::test]
async fn the_twinnings_list_filters_by_city_country_partner_kind_status_and_dates() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let minnesota = app.create_city(story::rochester_minnesota()).await;
    let nr = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"})).await;
    let sn = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990-06"})).await;
    let ns = app.create_twinning(json!({"city_ids": [c.novosibirsk, minnesota], "kind": "friendship_city", "established": "2005-03-01", "status": "suspended"})).await;
    let jp = app
        .create_twinning(json!({"city_ids": [c.sapporo, c.rochester], "kind": "partner_city"}))
        .await;

    assert_eq!(ids_of(&app, "").await, vec![nr, sn, ns, jp]);
    assert_eq!(
        ids_of(&app, "country=RU&partner_country=JP").await,
        vec![sn]
    );
    assert_eq!(
        ids_of(&app, "country=JP&partner_country=RU").await,
        vec![sn]
    );
    assert_eq!(ids_of(&app, "country=RU").await, vec![nr, sn, ns]);
    assert_eq!(ids_of(&app, "partner_country=US").await, vec![nr, ns, jp]);
    assert_eq!(
        ids_of(&app, &format!("city_id={}", c.novosibirsk)).await,
        vec![sn, ns]
    );
    assert_eq!(
        ids_of(
            &app,
            &format!("city_id={}&partner_country=US", c.novosibirsk)
        )
        .await,
        vec![ns]
    );
    assert_eq!(ids_of(&app, "kind=sister_city").await, vec![nr, sn]);
    assert_eq!(ids_of(&app, "status=suspended").await, vec![ns]);
    assert_eq!(
        ids_of(&app, "established_after=1990-06").await,
        vec![sn, ns]
    );
    assert_eq!(
        ids_of(&app, "established_before=1990-06").await,
        vec![nr, sn]
    );
    assert_eq!(
        ids_of(&app, "established_after=1991&established_before=2005-03-01").await,
        vec![ns]
    );
    assert_eq!(ids_of(&app, "limit=2").await, vec![nr, sn]);
    let page: Value = app
        .get("/api/v1/twinnings?limit=2")
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    assert_eq!(
        ids_of(&app, &format!("limit=2&cursor={cursor}")).await,
        vec![ns, jp]
    );
}

#[actix_web::test]
async fn bad_twinning_list_parameters_are_400_naming_them() {
    let app = spawn_app().await;
    for (query, field) in [
        ("country=ru", "country"),
        ("partner_country=", "partner_country"),
        ("kind=best", "kind"),
        ("status=sleeping", "status"),
        ("established_after=1990-13", "established_after"),
        ("established_before=2021-02-30", "established_before"),
        ("city_id=abc", "city_id"),
        ("limit=0", "limit"),
        ("cursor=bogus", "cursor"),
        ("sort=name", "sort"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/twinnings?{query}")).await,
            400,
            "invalid_parameter",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{query}");
    }
}

#[actix_web::test]
async fn resending_the_current_status_amends_its_date_and_reason() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    let change = json!({"status": "suspended", "status_since": "2022-03", "status_reason": "Exchanges paused"});
    let first: Value = app
        .patch_json(&format!("/api/v1/twinnings/{id}"), &change)
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .patch_json(&format!("/api/v1/twinnings/{id}"), &change)
        .await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "sending it again is harmless"
    );
    let again: Value = response.json().await.unwrap();
    assert_eq!(again["status_history"], first["status_history"]);
    let amended: Value = app
        .patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"status": "suspended", "status_reason": "Paused by the council"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let history = amended["status_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1],
        json!({"status": "suspended", "since": "2022-03", "reason": "Paused by the council", "by_city_id": null})
    );
}

#[actix_web::test]
async fn a_city_that_moves_country_takes_its_twinnings_with_it() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let town = app
        .create_city(json!({"name": "Grenzdorf", "country_code": "FR"}))
        .await;
    let pair = app
        .create_twinning(json!({"city_ids": [town, c.sapporo], "kind": "friendship_city", "established": "1990-05-01"}))
        .await;
    assert_eq!(ids_of(&app, "country=FR").await, vec![pair]);
    assert_eq!(
        ids_of(&app, "country=JP&partner_country=FR").await,
        vec![pair]
    );

    let moved = app
        .patch_json(
            &format!("/api/v1/cities/{town}"),
            &json!({"country_code": "BE"}),
        )
        .await;
    assert_eq!(moved.status().as_u16(), 200);
    assert!(ids_of(&app, "country=FR").await.is_empty());
    assert_eq!(ids_of(&app, "country=BE").await, vec![pair]);
    assert_eq!(
        ids_of(&app, &format!("city_id={}&partner_country=BE", c.sapporo)).await,
        vec![pair]
    );
    let calendar = app
        .get_json("/api/v1/anniversaries?country=BE&from=2000-01-01&to=2000-12-31")
        .await;
    assert_eq!(calendar["items"][0]["twinning"]["id"], pair);
    let calendar = app
        .get_json("/api/v1/anniversaries?country=FR&from=2000-01-01&to=2000-12-31")
        .await;
    assert_eq!(calendar["items"], json!([]));

    // An import moves it too, and a twinning an import creates is found by country.
    let report: Value = app
        .client
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body(format!("id,name,country_code\n{town},Grenzdorf,DE\n"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(ids_of(&app, "country=DE").await, vec![pair]);
    let report: Value = app
        .client
        .post(app.url("/api/v1/import/twinnings"))
        .header("content-type", "text/csv")
        .body(format!(
            "city_a_id,city_b_id,kind\n{town},{},twin_town\n",
            c.novgorod
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(ids_of(&app, "country=DE").await.len(), 2);
    assert_eq!(ids_of(&app, "country=RU&partner_country=DE").await.len(), 1);
}
