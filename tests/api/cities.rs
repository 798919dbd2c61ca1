use crate::helpers::{assert_problem, error_fields, spawn_app, story};
use serde_json::{Value, json};

#[actix_web::test]
async fn creating_a_city_answers_201_with_its_location_and_every_field() {
    let app = spawn_app().await;
    let response = app.post_json("/api/v1/cities", &story::novosibirsk()).await;
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let city: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/cities/{}", city["id"]));
    assert_eq!(city["name"], "Novosibirsk");
    assert_eq!(city["names"]["ru"], "Новосибирск");
    assert_eq!(city["alternate_names"], json!([]));
    assert_eq!(city["country_code"], "RU");
    assert_eq!(city["subdivision_code"], "RU-NVS");
    assert_eq!(city["latitude"], 55.02259);
    assert_eq!(city["longitude"], 82.93175);
    assert_eq!(city["population"], 1612833);
    assert_eq!(city["timezone"], "Asia/Novosibirsk");
    assert_eq!(city["wikidata_id"], "Q883");
    assert_eq!(city["geonames_id"], 1496747);
    assert_eq!(city["created_at"], city["updated_at"]);

    let fetched: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(fetched, city, "GET returns what POST returned");
}

#[actix_web::test]
async fn a_city_needs_only_a_name_and_a_country() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/cities",
            &json!({"name": "Sapporo", "country_code": "JP"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let city: Value = response.json().await.unwrap();
    for field in [
        "subdivision_code",
        "latitude",
        "longitude",
        "population",
        "timezone",
        "wikidata_id",
        "geonames_id",
    ] {
        assert_eq!(city[field], Value::Null, "{field}");
    }
    assert_eq!(city["names"], json!({}));
}

#[actix_web::test]
async fn names_in_any_script_and_emoji_come_back_intact() {
    let app = spawn_app().await;
    let names = json!({"ru": "Великий Новгород", "ja": "札幌市", "ar": "نوفغورود", "he": "נובגורוד", "und": "🏙️ Novgorod"});
    let id = app
        .create_city(json!({"name": "Veliky Novgorod", "country_code": "RU", "names": names}))
        .await;
    let city: Value = app
        .get(&format!("/api/v1/cities/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(city["names"], names);
}

#[actix_web::test]
async fn getting_a_city_that_does_not_exist_is_404() {
    let app = spawn_app().await;
    let problem = assert_problem(app.get("/api/v1/cities/999999").await, 404, "not_found").await;
    assert!(problem["detail"].as_str().unwrap().contains("999999"));
    assert_problem(app.get("/api/v1/cities/-1").await, 404, "not_found").await;
}

#[actix_web::test]
async fn patching_changes_only_the_fields_sent() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let before: Value = app
        .get(&format!("/api/v1/cities/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .patch_json(
            &format!("/api/v1/cities/{id}"),
            &json!({"population": 1973000}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["population"], 1973000);
    for field in [
        "name",
        "names",
        "country_code",
        "subdivision_code",
        "latitude",
        "timezone",
        "wikidata_id",
        "created_at",
    ] {
        assert_eq!(after[field], before[field], "{field}");
    }
    assert_ne!(after["updated_at"], before["updated_at"]);
    let stored: Value = app
        .get(&format!("/api/v1/cities/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored, after);
}

#[actix_web::test]
async fn patching_null_clears_an_optional_field_and_its_search_names() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let response = app
        .patch_json(
            &format!("/api/v1/cities/{id}"),
            &json!({"wikidata_id": null, "timezone": null, "names": null}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let city: Value = response.json().await.unwrap();
    assert_eq!(city["wikidata_id"], Value::Null);
    assert_eq!(city["timezone"], Value::Null);
    assert_eq!(city["names"], json!({}));
    let page: Value = app.get("/api/v1/cities?q=札幌").await.json().await.unwrap();
    assert_eq!(
        page["items"],
        json!([]),
        "the removed name no longer finds the city"
    );
    let page: Value = app
        .get("/api/v1/cities?q=sapporo")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], id);
}

#[actix_web::test]
async fn patching_null_into_a_required_field_is_422() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let problem = assert_problem(
        app.patch_json(
            &format!("/api/v1/cities/{id}"),
            &json!({"name": null, "country_code": null}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["name", "country_code"]);
    let city: Value = app
        .get(&format!("/api/v1/cities/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(city["name"], "Sapporo", "nothing was changed");
}

#[actix_web::test]
async fn patching_the_country_away_from_the_subdivision_is_422() {
    let app = spawn_app().await;
    let id = app.create_city(story::sapporo()).await;
    let problem = assert_problem(
        app.patch_json(
            &format!("/api/v1/cities/{id}"),
            &json!({"country_code": "RU"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["subdivision_code"]);
}

#[actix_web::test]
async fn patching_a_city_that_does_not_exist_is_404() {
    let app = spawn_app().await;
    assert_problem(
        app.patch_json("/api/v1/cities/4242", &json!({"population": 1}))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[actix_web::test]
async fn deleting_a_city_answers_204_and_then_it_is_gone() {
    let app = spawn_app().await;
    let id = app.create_city(story::rochester()).await;
    let response = app.delete(&format!("/api/v1/cities/{id}")).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_problem(
        app.get(&format!("/api/v1/cities/{id}")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/cities/{id}")).await,
        404,
        "not_found",
    )
    .await;
    let page: Value = app
        .get("/api/v1/cities?q=rochester")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"], json!([]), "its search words went with it");
}

#[actix_web::test]
async fn a_second_city_with_the_same_wikidata_id_is_a_conflict_pointing_at_the_first() {
    let app = spawn_app().await;
    let id = app.create_city(story::novosibirsk()).await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/cities",
            &json!({"name": "Novonikolayevsk", "country_code": "RU", "wikidata_id": "Q883"}),
        )
        .await,
        409,
        "city_exists",
    )
    .await;
    assert_eq!(problem["existing"], format!("/api/v1/cities/{id}"));
    assert!(problem["detail"].as_str().unwrap().contains("wikidata_id"));
}

#[actix_web::test]
async fn taking_another_citys_geonames_id_by_patch_is_a_conflict() {
    let app = spawn_app().await;
    let first = app.create_city(story::rochester()).await;
    let second = app.create_city(story::rochester_minnesota()).await;
    let problem = assert_problem(
        app.patch_json(
            &format!("/api/v1/cities/{second}"),
            &json!({"geonames_id": 5134086}),
        )
        .await,
        409,
        "city_exists",
    )
    .await;
    assert_eq!(problem["existing"], format!("/api/v1/cities/{first}"));
    let city: Value = app
        .get(&format!("/api/v1/cities/{second}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(city["geonames_id"], 5043473, "nothing was changed");
}

#[actix_web::test]
async fn every_invalid_field_is_named_at_once() {
    let app = spawn_app().await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/cities",
            &json!({
                "name": "  ",
                "names": {"not a tag!": "x", "ru": ""},
                "country_code": "XX",
                "latitude": 91.5,
                "longitude": -181,
                "population": -1,
                "timezone": "Mars/Olympus",
                "wikidata_id": "883",
                "geonames_id": 0
            }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "name",
            "names.not a tag!",
            "names.ru",
            "country_code",
            "latitude",
            "longitude",
            "population",
            "timezone",
            "wikidata_id",
            "geonames_id"
        ]
    );
    let page: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(page["items"], json!([]), "nothing was stored");
}

#[actix_web::test]
async fn a_subdivision_must_exist_and_belong_to_the_country() {
    let app = spawn_app().await;
    for (subdivision, country) in [("US-NY", "RU"), ("RU-XYZ", "RU"), ("ny", "US")] {
        let problem = assert_problem(
            app.post_json(
                "/api/v1/cities",
                &json!({"name": "Rochester", "country_code": country, "subdivision_code": subdivision}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(
            error_fields(&problem),
            vec!["subdivision_code"],
            "{subdivision}"
        );
    }
}

#[actix_web::test]
async fn coordinates_come_in_pairs() {
    let app = spawn_app().await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/cities",
            &json!({"name": "Sapporo", "country_code": "JP", "latitude": 43.0}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["longitude"]);
}

#[actix_web::test]
async fn lowercase_or_unknown_country_codes_are_refused() {
    let app = spawn_app().await;
    for code in ["ru", "XX", "RUS", ""] {
        let problem = assert_problem(
            app.post_json(
                "/api/v1/cities",
                &json!({"name": "Novosibirsk", "country_code": code}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["country_code"], "{code:?}");
    }
}

#[actix_web::test]
async fn control_characters_and_overlong_names_are_refused() {
    let app = spawn_app().await;
    let at_limit = "я".repeat(200);
    app.create_city(json!({"name": at_limit, "country_code": "RU"}))
        .await;
    for name in ["Nov\u{0}gorod", "Nov\ngorod", &"я".repeat(201)] {
        let problem = assert_problem(
            app.post_json(
                "/api/v1/cities",
                &json!({"name": name, "country_code": "RU"}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["name"]);
    }
}

#[actix_web::test]
async fn kosovo_is_accepted_under_its_user_assigned_code_xk() {
    let app = spawn_app().await;
    let id = app
        .create_city(
            json!({"name": "Pristina", "country_code": "XK", "names": {"sq": "Prishtinë"}}),
        )
        .await;
    let page: Value = app
        .get("/api/v1/cities?country=XK")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], id);
    let page: Value = app
        .get("/api/v1/cities?q=prishtine")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], id, "found without the diacritic");
}

#[actix_web::test]
async fn a_whole_number_written_with_a_fraction_counts_as_an_integer() {
    // JSON Schema's `integer` includes 1.0, so a client generated from the
    // document may send it; a real fraction is still refused, naming the field.
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/cities",
            &json!({"name": "Tver", "country_code": "RU", "population": 4.25e5, "geonames_id": 480060.0}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let city: Value = response.json().await.unwrap();
    assert_eq!(city["population"], 425000);
    assert_eq!(city["geonames_id"], 480060);

    let response = app
        .post_json(
            "/api/v1/cities",
            &json!({"name": "Tver", "country_code": "RU", "population": 425000.5}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), vec!["population"]);

    // Read exactly, however large: 2008010752264053.0 is that integer.
    let city: Value = app
        .post_json(
            "/api/v1/cities",
            &json!({"name": "Kazan", "country_code": "RU"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": [2_008_010_752_264_053.0, city["id"]], "kind": "sister_city"}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["message"],
        "there is no city with id 2008010752264053"
    );
}

#[actix_web::test]
async fn a_rule_between_fields_hides_no_field_of_its_own() {
    let app = spawn_app().await;
    for (body, fields) in [
        (
            json!({"name": "Nowhere", "country_code": "CA", "latitude": 91}),
            vec!["latitude", "longitude"],
        ),
        (
            json!({"name": "Nowhere", "country_code": "CA", "longitude": 181}),
            vec!["latitude", "longitude"],
        ),
    ] {
        let problem = assert_problem(
            app.post_json("/api/v1/cities", &body).await,
            422,
            "validation_failed",
        )
        .await;
        let mut named = error_fields(&problem);
        named.sort();
        assert_eq!(named, fields, "{body}: {problem}");
        let text = problem.to_string();
        assert!(text.contains("between"), "{body}: {problem}");
    }
    // A twinning missing a city still has its dates checked.
    let problem = assert_problem(
        app.post_json(
            "/api/v1/twinnings",
            &json!({"city_ids": [1], "kind": "sister_city", "established": "2990", "ended": "2000"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let named = error_fields(&problem);
    for field in ["city_ids", "established", "ended"] {
        assert!(named.contains(&field.to_string()), "{field}: {problem}");
    }
}
