use crate::helpers::spawn_app;
use serde_json::{Value, json};

#[actix_web::test]
async fn healthz_says_the_process_is_alive() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[actix_web::test]
async fn readyz_says_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ready"})
    );
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_echoes_the_clients() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let response = app
        .client
        .get(app.url("/api/v1/cities/999"))
        .header("x-request-id", "portal-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "portal-7f3a");
}

#[actix_web::test]
async fn the_suite_runs_on_the_backend_that_test_database_url_names() {
    let app = spawn_app().await;
    let expected = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => twinning::db::Backend::Postgres,
        _ => twinning::db::Backend::Sqlite,
    };
    assert_eq!(app.database_url.backend(), expected);
}

#[actix_web::test]
async fn the_probes_answer_other_methods_with_405() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(response.headers()["allow"], "GET, HEAD");
        crate::helpers::assert_problem(response, 405, "method_not_allowed").await;
    }
}
