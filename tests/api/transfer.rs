use crate::helpers::{assert_problem, client_with, fresh_database, run_cli, spawn_app};
use serde_json::{Value, json};
use twinning::db::{DatabaseUrl, run_migrations};
use twinning::tokens::Principal;
use twinning::transfer::{self, Format, ImportReport, Kind};

fn import_text(
    url: &DatabaseUrl,
    kind: Kind,
    text: &str,
    format: Format,
    all_or_nothing: bool,
) -> ImportReport {
    let mut conn = url.establish().unwrap();
    run_migrations(&mut conn).unwrap();
    transfer::import(
        &mut conn,
        kind,
        text.as_bytes(),
        format,
        transfer::Options {
            all_or_nothing,
            strict: false,
        },
        &Principal::command_line("test import"),
        |_| {},
    )
    .unwrap()
}

fn export_text(url: &DatabaseUrl, kind: Kind, format: Format) -> String {
    let mut conn = url.establish().unwrap();
    let mut out = Vec::new();
    transfer::export::export(&mut conn, kind, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[actix_web::test]
async fn export_then_import_into_an_empty_registry_then_export_gives_the_same_files() {
    let app = spawn_app().await;
    let mut conn = app.database_url.establish().unwrap();
    twinning::seed::demo(&mut conn).unwrap();
    drop(conn);
    // Something with every kind of field: a status history, an end date, no coordinates, lists.
    let pristina = app.create_city(json!({"name": "Pristina", "country_code": "XK", "names": {"sq": "Prishtinë"}, "alternate_names": ["Prishtina", "Priština"]})).await;
    let twinning = app.create_twinning(json!({"city_ids": [pristina, 1], "kind": "cooperation", "established": "2005-06-01", "source_urls": ["https://example.org/a", "https://example.org/b"], "notes": "A \"quoted\", multi-line\nnote"})).await;
    app.patch_json(
        &format!("/api/v1/twinnings/{twinning}"),
        &json!({"status": "suspended", "status_since": "2022-03", "status_reason": "Paused"}),
    )
    .await;

    for format in [Format::Csv, Format::Jsonl] {
        let copy = fresh_database();
        for kind in [Kind::Cities, Kind::Twinnings, Kind::Events] {
            let original = export_text(&app.database_url, kind, format);
            assert!(original.lines().count() > 2, "{kind:?} has records");
            let report = import_text(&copy.url, kind, &original, format, true);
            assert_eq!(report.rejected, vec![], "{kind:?} {format:?}");
            assert!(!report.rolled_back);
            assert_eq!(
                export_text(&copy.url, kind, format),
                original,
                "{kind:?} {format:?} round trip"
            );
            let again = import_text(&copy.url, kind, &original, format, false);
            assert_eq!(
                (again.created, again.updated),
                (0, 0),
                "a second import changes nothing: {kind:?}"
            );
        }
    }
}

#[actix_web::test]
async fn broken_rows_are_reported_with_their_lines_and_the_rest_is_imported() {
    let database = fresh_database();
    let file = "name,country_code,latitude,longitude,population,geonames_id,admin1_code\n\
                Tver,RU,56.85836,35.90057,403726,480060,77\n\
                Nowhere,XX,1,1,1,1,00\n\
                Pskov,RU,57.8136,28.3496,201990,504341,60\n\
                Off the map,RU,91,0,1,2,00\n\
                Kazan,RU,55.78874,49.12214,1104738,551487,73\n";
    let report = import_text(&database.url, Kind::Cities, file, Format::Csv, false);
    assert_eq!(
        (
            report.created,
            report.updated,
            report.skipped,
            report.rejected_count
        ),
        (3, 0, 0, 2)
    );
    assert_eq!(report.rejected[0].line, 3);
    assert!(
        report.rejected[0].reasons[0].starts_with("country_code:"),
        "{:?}",
        report.rejected[0]
    );
    assert_eq!(report.rejected[1].line, 5);
    assert!(report.rejected[1].reasons[0].starts_with("latitude:"));
    assert_eq!(report.ignored_columns, vec!["admin1_code"]);
    let exported = export_text(&database.url, Kind::Cities, Format::Csv);
    assert_eq!(exported.lines().count(), 4, "three cities and the header");

    let strict = fresh_database();
    let report = import_text(&strict.url, Kind::Cities, file, Format::Csv, true);
    assert!(report.rolled_back);
    assert_eq!(report.rejected_count, 2);
    assert_eq!((report.created, report.updated), (0, 0));
    assert_eq!(
        export_text(&strict.url, Kind::Cities, Format::Csv)
            .lines()
            .count(),
        1,
        "nothing was stored"
    );
}

#[actix_web::test]
async fn a_reimport_updates_by_external_id_instead_of_duplicating() {
    let database = fresh_database();
    let cities = include_str!("../../examples/cities.csv");
    let report = import_text(&database.url, Kind::Cities, cities, Format::Csv, false);
    assert_eq!((report.created, report.rejected_count), (4, 0));
    let changed = cities.replace("1612833", "1633595");
    let report = import_text(&database.url, Kind::Cities, &changed, Format::Csv, false);
    assert_eq!((report.created, report.updated, report.skipped), (0, 1, 3));
    let twinnings = include_str!("../../examples/twinnings.csv");
    let report = import_text(
        &database.url,
        Kind::Twinnings,
        twinnings,
        Format::Csv,
        false,
    );
    assert_eq!(
        (report.created, report.rejected_count),
        (2, 0),
        "{:?}",
        report.rejected
    );
    let more = include_str!("../../examples/cities.jsonl");
    let report = import_text(&database.url, Kind::Cities, more, Format::Jsonl, false);
    assert_eq!(
        (report.created, report.rejected_count),
        (2, 0),
        "{:?}",
        report.rejected
    );
    let bad_pair = "city_a_geonames_id,city_b_geonames_id,kind\n519336,999999999,sister_city\n519336,5134086,twin_town\n";
    let report = import_text(&database.url, Kind::Twinnings, bad_pair, Format::Csv, false);
    assert_eq!(report.rejected_count, 1);
    assert!(
        report.rejected[0].reasons[0].contains("no city with geonames_id 999999999"),
        "{:?}",
        report.rejected
    );
    assert_eq!(
        report.updated, 1,
        "the existing pair is matched and its kind updated"
    );
}

#[actix_web::test]
async fn admins_import_over_http_with_the_same_report() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body(include_str!("../../examples/cities.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], 4);
    let response = app
        .client
        .post(app.url("/api/v1/import/twinnings?format=jsonl&all_or_nothing=true"))
        .header("content-type", "application/octet-stream")
        .body("{\"city_a_wikidata_id\": \"Q37951\", \"city_b_wikidata_id\": \"Q883\", \"kind\": \"sister_city\", \"established\": \"1990\"}\n")
        .send()
        .await
        .unwrap();
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], 1, "{report}");
    let page: Value = app
        .get("/api/v1/twinnings?country=RU&partner_country=JP")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["established"], "1990");
    let changes: Value = app
        .get("/api/v1/changes?entity=twinning")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        changes["items"][0]["author"]["name"], "test admin",
        "imports are in the change feed"
    );

    let city_token = crate::helpers::create_token(&app.database_url, "staff", false, &[1]);
    let refused = client_with(Some(&city_token))
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body("name,country_code\nTver,RU\n")
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403, "forbidden").await;
    let anonymous = app
        .anonymous
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
    let unknown = app
        .client
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "application/pdf")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_problem(unknown, 415, "unsupported_media_type").await;
}

#[actix_web::test]
async fn the_command_line_imports_the_example_files_and_exports_them() {
    let database = fresh_database();
    let run = |args: &[&str]| run_cli(&database.url, args);
    let summary = run(&["import", "cities", "examples/cities.csv"]);
    assert!(
        summary.contains("4 created, 0 updated, 0 skipped, 0 rejected"),
        "{summary}"
    );
    let summary = run(&["import", "twinnings", "examples/twinnings.csv"]);
    assert!(summary.contains("2 created"), "{summary}");
    let summary = run(&["import", "events", "examples/events.csv"]);
    assert!(
        summary.contains("5 created, 0 updated, 0 skipped, 0 rejected"),
        "{summary}"
    );
    let exported = run(&["export", "twinnings", "--format", "jsonl"]);
    assert_eq!(exported.lines().count(), 2);
    let first: Value = serde_json::from_str(exported.lines().next().unwrap()).unwrap();
    assert_eq!(first["established"], "1990");
    let events = run(&["export", "events"]);
    assert!(events.contains("Reply video from Novosibirsk"), "{events}");
}

#[actix_web::test]
async fn an_import_without_a_body_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/import/cities?format=csv"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "empty_body").await;
}

#[actix_web::test]
async fn an_http_import_that_stores_nothing_is_422_naming_the_lines() {
    let app = spawn_app().await;
    let file = "name,country_code\nTver,XX\nPskov,RU\n";
    let response = app
        .client
        .post(app.url("/api/v1/import/cities?all_or_nothing=true"))
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "nothing_imported").await;
    assert_eq!(crate::helpers::error_fields(&problem), vec!["line 2"]);
    let page: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(page["items"], json!([]), "rolled back");
    let response = app
        .client
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body("name,country_code\n")
        .send()
        .await
        .unwrap();
    assert_problem(response, 422, "nothing_imported").await;
}
