//! Whole exports over HTTP: the command line's columns, streamed, gzip when
//! asked, tagged with the registry's version.

use crate::helpers::{assert_problem, run_cli, spawn_app};
use std::io::Read;

#[actix_web::test]
async fn each_export_over_http_is_the_command_lines_and_unchanged_it_is_a_304() {
    let app = spawn_app().await;
    let mut conn = app.database_url.establish().unwrap();
    twinning::seed::demo(&mut conn).unwrap();
    drop(conn);
    for kind in ["cities", "twinnings", "events"] {
        let cli = run_cli(&app.database_url, &["export", kind]);
        let response = app.get(&format!("/api/v1/export/{kind}")).await;
        assert_eq!(response.status().as_u16(), 200, "{kind}");
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        let tag = response.headers()["etag"].to_str().unwrap().to_string();
        assert!(tag.starts_with(&format!("\"export-{kind}-csv-")), "{tag}");
        assert_eq!(
            response.text().await.unwrap(),
            cli,
            "{kind} over HTTP is the command line's"
        );

        let jsonl = run_cli(&app.database_url, &["export", kind, "--format", "jsonl"]);
        let by_accept = app
            .client
            .get(app.url(&format!("/api/v1/export/{kind}")))
            .header("accept", "application/jsonl")
            .send()
            .await
            .unwrap();
        assert_eq!(by_accept.headers()["content-type"], "application/jsonl");
        assert_eq!(
            by_accept.text().await.unwrap(),
            jsonl,
            "{kind} as JSON Lines"
        );
        let by_query = app
            .get(&format!("/api/v1/export/{kind}?format=jsonl"))
            .await;
        assert_eq!(by_query.text().await.unwrap(), jsonl);

        // Gzip when asked: the same bytes, coded, under a tag of their own.
        let gzipped = app
            .client
            .get(app.url(&format!("/api/v1/export/{kind}")))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(gzipped.headers()["content-encoding"], "gzip");
        let coded_tag = gzipped.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(coded_tag, format!("{}.gzip\"", tag.trim_end_matches('"')));
        let coded = gzipped.bytes().await.unwrap();
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&coded[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, cli);

        let unchanged = app
            .client
            .get(app.url(&format!("/api/v1/export/{kind}")))
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(unchanged.status().as_u16(), 304, "{kind}");
        // A client may send the tag weak, or among others (weak comparison).
        let unchanged = app
            .client
            .get(app.url(&format!("/api/v1/export/{kind}")))
            .header("if-none-match", format!("\"other\", W/{tag}"))
            .send()
            .await
            .unwrap();
        assert_eq!(unchanged.status().as_u16(), 304, "{kind}: weak tag");
    }

    // A write changes the registry's version: the export is sent again.
    let before = app.get("/api/v1/export/cities").await.headers()["etag"].clone();
    let response = app
        .patch_json(
            "/api/v1/cities/1",
            &serde_json::json!({"population": 224286}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let changed = app
        .client
        .get(app.url("/api/v1/export/cities"))
        .header("if-none-match", before.to_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    assert!(changed.text().await.unwrap().contains("224286"));

    let unknown = app.get("/api/v1/export/cities?format=xml").await;
    assert_problem(unknown, 400, "invalid_parameter").await;
}

#[actix_web::test]
async fn an_export_larger_than_many_chunks_streams_whole() {
    let app = spawn_app().await;
    let rows: String = (1..=3000)
        .map(|i| {
            format!(
                "Town {i},RU,{},{},{}\n",
                50.0 + f64::from(i) / 1000.0,
                30.0,
                1000 + i
            )
        })
        .collect();
    let response = app
        .client
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body(format!(
            "name,country_code,latitude,longitude,population\n{rows}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let export = app.get("/api/v1/export/cities").await;
    assert!(
        export.headers().get("content-length").is_none(),
        "streamed, not sized"
    );
    let text = export.text().await.unwrap();
    assert_eq!(text.lines().count(), 3001);
    assert_eq!(text, run_cli(&app.database_url, &["export", "cities"]));
}
