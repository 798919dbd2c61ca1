//! Imports of data as it comes from the field (GeoNames, lists scraped from
//! Wikipedia): CRLF files, one bad value in a long list of names, a pair
//! given twice, updates by `id` alone, and exports that stay JSON.

use crate::helpers::{TestApp, run_cli, spawn_app};
use serde_json::{Value, json};
use twinning::db::DatabaseUrl;
use twinning::transfer::{Format, Kind};

/// The whole export of `kind` as JSON Lines, off the test's runtime thread.
async fn export_jsonl(url: &DatabaseUrl, kind: Kind) -> String {
    let url = url.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = url.establish().unwrap();
        let mut out = Vec::new();
        twinning::transfer::export::export(&mut conn, kind, Format::Jsonl, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    })
    .await
    .unwrap()
}

async fn import(app: &TestApp, kind: &str, query: &str, body: &[u8]) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/import/{kind}{query}")))
        .header("content-type", "text/csv")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let report: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{report}");
    report
}

#[actix_web::test]
async fn a_crlf_file_reports_the_line_a_record_starts_on_with_its_name_and_ids() {
    let app = spawn_app().await;
    let report = import(
        &app,
        "cities",
        "",
        include_bytes!("../data/crlf-cities.csv"),
    )
    .await;
    assert_eq!(report["created"], 6, "{report}");
    assert_eq!(report["rejected_count"], 1);
    let rejected = &report["rejected"][0];
    assert_eq!(rejected["line"], 7, "{report}");
    assert_eq!(rejected["name"], "Badtown");
    assert_eq!(rejected["ids"], json!({"geonames_id": "9000005"}));
    assert!(
        rejected["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("country_code:"),
        "{rejected}"
    );
}

#[actix_web::test]
async fn a_crlf_file_with_every_record_bad_names_each_in_the_problem() {
    let app = spawn_app().await;
    let body = b"name,country_code,geonames_id\r\nOne,XX,1\r\nTwo,YY,2\r\n";
    let response = app
        .client
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "line 2", "{problem}");
    assert_eq!(problem["errors"][1]["field"], "line 3", "{problem}");
    let message = problem["errors"][1]["message"].as_str().unwrap();
    assert!(
        message.starts_with("\"Two\", geonames_id 2: country_code:"),
        "{message}"
    );
}

#[actix_web::test]
async fn a_bad_alternate_name_is_dropped_with_a_warning_and_the_city_kept() {
    let app = spawn_app().await;
    let file = include_bytes!("../data/ottawa-cities.csv");
    let report = import(&app, "cities", "", file).await;
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["rejected_count"], 0, "{report}");
    assert_eq!(report["warning_count"], 1);
    assert_eq!(
        report["warnings"][0],
        json!({
            "line": 3,
            "name": "Ottawa",
            "ids": {"geonames_id": "6094817"},
            "field": "alternate_names[2]",
            "value": "Ot\\u{7}tawa",
            "reason": "must not contain control characters"
        })
    );
    // Ottawa is found first again, with the names that were good.
    let found = app.get_json("/api/v1/cities?q=Ottawa").await;
    assert_eq!(found["items"][0]["name"], "Ottawa", "{found}");
    let ottawa = found["items"][0]["id"].as_i64().unwrap();
    let city = app.get_json(&format!("/api/v1/cities/{ottawa}")).await;
    assert_eq!(
        city["alternate_names"],
        json!(["Bytown", "Otava", "Ottava"])
    );
    assert_eq!(
        app.get_json("/api/v1/cities?q=Bytown").await["items"][0]["id"],
        ottawa
    );

    // And its twinnings, matched by GeoNames id, come in.
    let report = import(
        &app,
        "twinnings",
        "",
        b"city_a_geonames_id,city_b_geonames_id,kind\r\n6094817,6094665,friendship_city\r\n",
    )
    .await;
    assert_eq!(report["created"], 1, "{report}");

    // The same file again: unchanged, so skipped, and the warning again.
    let report = import(&app, "cities", "", file).await;
    assert_eq!(report["skipped"], 3, "{report}");
    assert_eq!(report["warning_count"], 1);
}

#[actix_web::test]
async fn strict_rejects_the_city_for_its_bad_alternate_name() {
    let app = spawn_app().await;
    let file = include_bytes!("../data/ottawa-cities.csv");
    let report = import(&app, "cities", "?strict=true", file).await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["warning_count"], 0);
    assert_eq!(report["rejected"][0]["line"], 3);
    assert_eq!(report["rejected"][0]["name"], "Ottawa");
    assert_eq!(
        report["rejected"][0]["reasons"],
        json!(["alternate_names[2]: must not contain control characters"])
    );
    let found = app.get_json("/api/v1/cities?q=Ottawa").await;
    assert_eq!(found["items"][0]["name"], "Ottawa South");
}

#[actix_web::test]
async fn a_bad_name_beside_another_bad_field_still_rejects_the_record() {
    let app = spawn_app().await;
    let body = "name,alternate_names,country_code,latitude,longitude\nOttawa,Ot\u{7}tawa,CA,91,\nGatineau,,CA,,\n";
    let report = import(&app, "cities", "", body.as_bytes()).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["warning_count"], 0);
    let reasons = report["rejected"][0]["reasons"].to_string();
    assert!(reasons.contains("alternate_names[0]"), "{reasons}");
    assert!(reasons.contains("latitude"), "{reasons}");
}

async fn cities_101_to_103(app: &TestApp) {
    let report = import(
        app,
        "cities",
        "",
        b"id,name,country_code\n101,Munich,DE\n102,Edinburgh,GB\n103,Verona,IT\n",
    )
    .await;
    assert_eq!(report["created"], 3, "{report}");
}

#[actix_web::test]
async fn a_pair_repeated_in_a_file_is_a_duplicate_of_its_first_line() {
    let app = spawn_app().await;
    cities_101_to_103(&app).await;
    let report = import(
        &app,
        "twinnings",
        "",
        include_bytes!("../data/duplicate-twinnings.csv"),
    )
    .await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["updated"], 0, "{report}");
    assert_eq!(report["rejected_count"], 2);
    for (rejected, line) in report["rejected"].as_array().unwrap().iter().zip([3, 4]) {
        assert_eq!(rejected["line"], line);
        let reason = rejected["reasons"][0].as_str().unwrap();
        assert!(reason.starts_with("a duplicate of line 2"), "{reason}");
    }
    let pairs = app
        .get_json("/api/v1/twinnings?city_id=101&partner_country=GB")
        .await;
    let twinning = &pairs["items"][0];
    assert_eq!(twinning["established"], "1990");
    assert_eq!(twinning["kind"], "sister_city");
    assert_eq!(twinning["status_history"][0]["since"], "1990");

    // A second import of the same file updates nothing: every line is known.
    let report = import(
        &app,
        "twinnings",
        "",
        include_bytes!("../data/duplicate-twinnings.csv"),
    )
    .await;
    assert_eq!(report["skipped"], 2, "{report}");
    assert_eq!(report["rejected_count"], 2);
}

#[actix_web::test]
async fn a_twinning_is_updated_by_id_alone_and_its_history_follows_the_start() {
    let app = spawn_app().await;
    cities_101_to_103(&app).await;
    let id = app
        .create_twinning(
            json!({"city_ids": [101, 102], "kind": "sister_city", "established": "1990"}),
        )
        .await;
    let report = import(
        &app,
        "twinnings",
        "",
        format!("id,established\n{id},1995-05-14\n").as_bytes(),
    )
    .await;
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(report["rejected_count"], 0, "{report}");
    let twinning = app.get_json(&format!("/api/v1/twinnings/{id}")).await;
    assert_eq!(twinning["established"], "1995-05-14");
    assert_eq!(twinning["status_history"][0]["since"], "1995-05-14");
    assert_eq!(twinning["kind"], "sister_city");

    // The API's PATCH keeps them in agreement too.
    let patched = app
        .patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"established": "1996"}),
        )
        .await;
    assert_eq!(patched.status().as_u16(), 200);
    let twinning: Value = patched.json().await.unwrap();
    assert_eq!(twinning["status_history"][0]["since"], "1996");

    // A history given a date of its own keeps it.
    let patched = app
        .patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"status": "active", "status_since": "1997"}),
        )
        .await;
    assert_eq!(patched.status().as_u16(), 200);
    let patched = app
        .patch_json(
            &format!("/api/v1/twinnings/{id}"),
            &json!({"established": "1996-02"}),
        )
        .await;
    let twinning: Value = patched.json().await.unwrap();
    assert_eq!(twinning["status_history"][0]["since"], "1997");

    // An unknown id still needs its cities.
    let report = import(
        &app,
        "twinnings",
        "",
        format!("id,established\n999999,1995\n{id},1996\n").as_bytes(),
    )
    .await;
    assert_eq!(report["rejected_count"], 1, "{report}");
    assert!(
        report["rejected"][0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("give city_a_id")
    );
}

#[actix_web::test]
async fn json_lines_exports_hold_lists_and_objects_as_json() {
    let app = spawn_app().await;
    cities_101_to_103(&app).await;
    app.create_twinning(
        json!({"city_ids": [101, 102], "kind": "sister_city", "established": "1990"}),
    )
    .await;
    let twinnings = export_jsonl(&app.database_url, Kind::Twinnings).await;
    let first: Value = serde_json::from_str(twinnings.lines().next().unwrap()).unwrap();
    assert_eq!(first["source_urls"], json!([]), "{first}");
    assert_eq!(first["status_history"][0]["status"], "active", "{first}");
    assert_eq!(first["status_history"][0]["since"], "1990");
    let cities = export_jsonl(&app.database_url, Kind::Cities).await;
    let munich: Value = serde_json::from_str(cities.lines().next().unwrap()).unwrap();
    assert_eq!(munich["alternate_names"], json!([]), "{munich}");
    assert_eq!(munich["names"], json!({}), "{munich}");

    // Read back into an empty registry, it exports the same.
    let other = spawn_app().await;
    for (kind, text) in [("cities", &cities), ("twinnings", &twinnings)] {
        let response = other
            .client
            .post(other.url(&format!("/api/v1/import/{kind}?format=jsonl")))
            .body(text.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{kind}");
    }
    let again = export_jsonl(&other.database_url, Kind::Twinnings).await;
    assert_eq!(again, twinnings);
}

#[actix_web::test]
async fn the_command_line_lists_dropped_values_and_strict_rejects_instead() {
    let database = crate::helpers::fresh_database();
    let run = |args: &[&str]| run_cli(&database.url, args);
    let file = "tests/data/ottawa-cities.csv";
    let strict = run(&["import", "cities", file, "--strict"]);
    assert!(
        strict.contains("2 created, 0 updated, 0 skipped, 1 rejected"),
        "{strict}"
    );
    assert!(
        strict.contains("line 3 (\"Ottawa\", geonames_id 6094817): alternate_names[2]: must not contain control characters"),
        "{strict}"
    );
    let lenient = run(&["import", "cities", file]);
    assert!(
        lenient.contains("1 created, 0 updated, 2 skipped, 0 rejected, 1 values dropped"),
        "{lenient}"
    );
    assert!(
        lenient.contains("line 3 (\"Ottawa\", geonames_id 6094817): alternate_names[2]: dropped Ot\\u{7}tawa: must not contain control characters"),
        "{lenient}"
    );
}
