//! The hostile-client audit's findings, each reproduced and held to its safe
//! outcome: identifier squatting, ids past the safe range, busy databases,
//! formulas in exports, unreadable preconditions, unbounded search words and
//! imports that changed data where the API refuses it.

use crate::helpers::{TestApp, assert_problem, error_fields, spawn_app, story};
use serde_json::{Value, json};
use twinning::db::DatabaseUrl;
use twinning::tokens::Principal;
use twinning::transfer::{self, Format, ImportReport, Kind};

fn import(url: &DatabaseUrl, kind: Kind, text: &str, format: Format) -> ImportReport {
    let mut conn = url.establish().unwrap();
    transfer::import(
        &mut conn,
        kind,
        text.as_bytes(),
        format,
        transfer::Options::default(),
        &Principal::command_line("audit test"),
        |_| {},
    )
    .unwrap()
}

fn export(url: &DatabaseUrl, kind: Kind, format: Format) -> String {
    let mut conn = url.establish().unwrap();
    let mut out = Vec::new();
    transfer::export::export(&mut conn, kind, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

async fn city(app: &TestApp, id: i64) -> Value {
    app.get_json(&format!("/api/v1/cities/{id}")).await
}

#[actix_web::test]
async fn a_city_token_may_not_set_or_change_its_citys_external_ids() {
    let app = spawn_app().await;
    let novgorod = app.create_city(story::veliky_novgorod()).await;
    let staff = app.city_client("Novgorod staff", &[novgorod]);
    for body in [
        json!({"wikidata_id": "Q1899"}),
        json!({"geonames_id": 703448}),
        json!({"geonames_id": null}),
    ] {
        let response = staff
            .patch(app.url(&format!("/api/v1/cities/{novgorod}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 403, "forbidden").await;
    }
    let unchanged = city(&app, novgorod).await;
    assert_eq!(
        (&unchanged["wikidata_id"], &unchanged["geonames_id"]),
        (&Value::Null, &json!(519336))
    );
    // Its other fields stay the token's to edit, the ids sent as they are.
    let response = staff
        .patch(app.url(&format!("/api/v1/cities/{novgorod}")))
        .json(&json!({"population": 224286, "geonames_id": 519336}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let admin = app
        .patch_json(
            &format!("/api/v1/cities/{novgorod}"),
            &json!({"wikidata_id": "Q1898"}),
        )
        .await;
    assert_eq!(admin.status().as_u16(), 200, "an admin may");
}

#[actix_web::test]
async fn an_import_matched_by_an_external_id_does_not_overwrite_another_place() {
    let app = spawn_app().await;
    let novgorod = app.create_city(story::veliky_novgorod()).await;
    let file = "name,country_code,geonames_id,population\nKyiv,UA,519336,2797553\n";
    let report = import(&app.database_url, Kind::Cities, file, Format::Csv);
    assert_eq!(
        (report.created, report.updated, report.rejected_count),
        (0, 0, 1)
    );
    let reasons = report.rejected[0].reasons.join("; ");
    assert!(reasons.contains("Veliky Novgorod"), "{reasons}");
    app.settle_external_write().await;
    assert_eq!(city(&app, novgorod).await["name"], "Veliky Novgorod");
    // The same id with the same place is an update as before.
    let file = "name,country_code,geonames_id,population\nVeliky Novgorod,RU,519336,224286\n";
    let report = import(&app.database_url, Kind::Cities, file, Format::Csv);
    assert_eq!(report.updated, 1);
    app.settle_external_write().await;
    assert_eq!(city(&app, novgorod).await["population"], 224286);
}

#[actix_web::test]
async fn explicit_ids_outside_the_safe_range_are_refused_and_later_creates_work() {
    let app = spawn_app().await;
    let file = "id,name,country_code\n\
                9223372036854775807,Far,DE\n\
                9007199254740992,Past the range,DE\n\
                0,Zero,DE\n\
                -5,Negative,DE\n\
                9007199254740991,Last safe,DE\n";
    let report = import(&app.database_url, Kind::Cities, file, Format::Csv);
    assert_eq!(
        (report.created, report.rejected_count),
        (1, 4),
        "{report:?}"
    );
    let lines: Vec<u64> = report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5]);
    assert!(report.rejected[0].reasons[0].contains("between 1 and 9007199254740991"));
    assert_eq!(city(&app, 9007199254740991).await["name"], "Last safe");
    // The sequence moved past the explicit id, and still has room.
    let created = app
        .create_city(json!({"name": "After", "country_code": "DE"}))
        .await;
    assert!(created > 9007199254740991, "{created}");
    let file = r#"{"id": 9223372036854775807, "twinning_id": 1, "kind": "letter", "from_city_id": 1, "date": "2020", "title": "x"}"#;
    let report = import(&app.database_url, Kind::Events, file, Format::Jsonl);
    assert_eq!(report.rejected_count, 1);
}

#[actix_web::test]
async fn an_imported_event_with_too_many_participants_is_refused_as_the_api_refuses_it() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let twinning = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city"}))
        .await;
    let line = json!({"twinning_id": twinning, "kind": "delegation_visit", "from_city_id": c.rochester,
        "date": "2019", "title": "A very large delegation", "participants": 5_000_000_000_i64});
    let report = import(
        &app.database_url,
        Kind::Events,
        &line.to_string(),
        Format::Jsonl,
    );
    assert_eq!((report.created, report.rejected_count), (0, 1));
    assert_eq!(
        report.rejected[0].reasons,
        vec!["participants: must be between 0 and 10000000".to_string()]
    );
    let api = app
        .post_json(
            &format!("/api/v1/twinnings/{twinning}/events"),
            &json!({"kind": "delegation_visit", "from_city_id": c.rochester, "date": "2019",
                "title": "A very large delegation", "participants": 20_000_000}),
        )
        .await;
    let problem = assert_problem(api, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["message"],
        "must be between 0 and 10000000"
    );
}

#[actix_web::test]
async fn csv_exports_neutralise_formulas_and_read_back_exactly() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let twinning = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city"}))
        .await;
    let staff = app.city_client("Rochester staff", &[c.rochester]);
    let response = staff
        .post(app.url(&format!("/api/v1/twinnings/{twinning}/events")))
        .json(
            &json!({"kind": "letter", "from_city_id": c.rochester, "date": "2020",
            "title": "=HYPERLINK(\"http://example.org\",\"open\")",
            "description": "+cmd|' /C calc'!A0"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let csv = export(&app.database_url, Kind::Events, Format::Csv);
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '@']),
                "a spreadsheet would run {cell} in {line}"
            );
        }
    }
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let jsonl = export(&app.database_url, Kind::Events, Format::Jsonl);
    assert!(
        jsonl.contains("\"title\":\"=HYPERLINK"),
        "JSON Lines stay raw"
    );
    // Read back into a new registry, the values are the ones sent.
    let copy = crate::helpers::fresh_database();
    {
        let mut conn = copy.url.establish().unwrap();
        twinning::db::run_migrations(&mut conn).unwrap();
    }
    for kind in [Kind::Cities, Kind::Twinnings, Kind::Events] {
        let file = export(&app.database_url, kind, Format::Csv);
        let report = import(&copy.url, kind, &file, Format::Csv);
        assert_eq!(report.rejected, vec![], "{kind:?}");
    }
    assert_eq!(export(&copy.url, Kind::Events, Format::Jsonl), jsonl);
}

#[actix_web::test]
async fn an_if_match_that_is_not_visible_ascii_is_400_and_writes_nothing() {
    let app = spawn_app().await;
    let novgorod = app.create_city(story::veliky_novgorod()).await;
    let stale = reqwest::header::HeaderValue::from_bytes(b"\"stale\xff\"").unwrap();
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/cities/{novgorod}")))
        .header("if-match", stale.clone())
        .json(&json!({"population": 1}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(error_fields(&problem), vec!["If-Match"]);
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/cities/{novgorod}")))
        .header("if-match", stale)
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "invalid_parameter").await;
    // Nor is an empty one, or one that is not entity tags.
    for value in ["", "{}", "abc", "\"a\", b", "W/abc", "\"a\"b\""] {
        let response = app
            .client
            .patch(app.url(&format!("/api/v1/cities/{novgorod}")))
            .header("if-match", value)
            .json(&json!({"population": 1}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400, "invalid_parameter").await;
        assert_eq!(error_fields(&problem), vec!["If-Match"], "{value}");
    }
    assert_eq!(city(&app, novgorod).await["population"], 222868);
}

#[actix_web::test]
async fn alternate_names_and_search_words_of_a_city_are_bounded() {
    let app = spawn_app().await;
    let novgorod = app.create_city(story::veliky_novgorod()).await;
    let many: Vec<String> = (0..501).map(|i| format!("Name {i}")).collect();
    let response = app
        .patch_json(
            &format!("/api/v1/cities/{novgorod}"),
            &json!({"alternate_names": many}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), vec!["alternate_names"]);
    // Within the count, but words enough for thousands of index rows.
    let wordy: Vec<String> = (0..400)
        .map(|i| {
            (0..6)
                .map(|j| format!("w{i}x{j}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let response = app
        .patch_json(
            &format!("/api/v1/cities/{novgorod}"),
            &json!({"alternate_names": wordy}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 2000"),
        "{problem}"
    );
    let document: Value = serde_json::from_str(&twinning::openapi::to_pretty_json()).unwrap();
    assert_eq!(
        document["components"]["schemas"]["CityPatch"]["properties"]["alternate_names"]["maxItems"],
        500
    );
}

#[actix_web::test]
async fn a_record_over_a_megabyte_is_refused_without_holding_the_file() {
    let app = spawn_app().await;
    let huge = "x".repeat(2 << 20);
    let jsonl = format!(
        "{{\"name\": \"{huge}\", \"country_code\": \"DE\"}}\n{{\"name\": \"Tver\", \"country_code\": \"RU\"}}\n"
    );
    let report = import(&app.database_url, Kind::Cities, &jsonl, Format::Jsonl);
    assert_eq!(
        (report.created, report.rejected_count),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(report.rejected[0].line, 1);
    assert!(report.rejected[0].reasons[0].contains("larger than 1048576 bytes"));
    let csv = format!("name,country_code\nPskov,RU\n\"{huge}\",DE\nOmsk,RU\n");
    let report = import(&app.database_url, Kind::Cities, &csv, Format::Csv);
    assert_eq!(
        (report.created, report.rejected_count),
        (1, 1),
        "{report:?}"
    );
    assert!(
        report.rejected[0].reasons[0].contains("the rest of the file was not read"),
        "{:?}",
        report.rejected
    );
}

#[actix_web::test]
async fn thousands_of_unknown_columns_are_counted_and_a_hundred_listed() {
    let app = spawn_app().await;
    let mut lines = String::new();
    for i in 0..2000 {
        lines.push_str(&format!(
            "{{\"name\": \"Town {i}\", \"country_code\": \"DE\", \"extra_{i}\": 1}}\n"
        ));
    }
    let report = import(&app.database_url, Kind::Cities, &lines, Format::Jsonl);
    assert_eq!(report.created, 2000);
    assert_eq!(report.ignored_columns.len(), 100);
    assert_eq!(report.ignored_column_count, 2000);
}

#[actix_web::test]
async fn a_write_while_another_process_holds_the_sqlite_lock_is_503_database_busy() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let twinning::db::DatabaseUrl::Sqlite(_) = &app.database_url else {
        return; // PostgreSQL has no database-wide write lock.
    };
    let novgorod = app.create_city(story::veliky_novgorod()).await;
    let mut holder = app.database_url.establish().unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let response = app
        .patch_json(
            &format!("/api/v1/cities/{novgorod}"),
            &json!({"population": 1}),
        )
        .await;
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    assert_problem(response, 503, "database_busy").await;
    assert_eq!(retry.as_deref(), Some("1"));
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(city(&app, novgorod).await["population"], 222868);
}

#[actix_web::test]
async fn a_write_that_reads_first_waits_for_a_sqlite_lock_held_briefly() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let twinning::db::DatabaseUrl::Sqlite(_) = &app.database_url else {
        return; // PostgreSQL has no database-wide write lock.
    };
    let c = app.create_story_cities().await;
    let twinning = app
        .create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city"}))
        .await;
    // Another process holds the write lock for half a second. Creating an
    // event reads (the twinning, the cities) before it writes: it must wait
    // for the lock as the busy timeout allows, not fail when it first meets it.
    let mut holder = app.database_url.establish().unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let released = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        holder.batch_execute("COMMIT").unwrap();
    });
    let response = app
        .post_json(
            &format!("/api/v1/twinnings/{twinning}/events"),
            &json!({"kind": "letter", "from_city_id": c.sapporo, "status": "completed", "date": "2020", "title": "Waited for"}),
        )
        .await;
    released.join().unwrap();
    let status = response.status().as_u16();
    assert_eq!(status, 201, "{}", response.text().await.unwrap_or_default());
    let events = app
        .get_json(&format!("/api/v1/twinnings/{twinning}/events"))
        .await;
    assert_eq!(events["items"][0]["title"], "Waited for");
}

#[test]
fn a_postgresql_that_does_not_answer_fails_within_seconds() {
    // A port nothing listens on: connecting is refused at once, and the
    // server does not wait out the pool's 10 s to say so.
    let url = twinning::db::DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/none").unwrap();
    let started = std::time::Instant::now();
    let result = twinning::db::Db::connect(&url, 2);
    assert!(result.is_err());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
