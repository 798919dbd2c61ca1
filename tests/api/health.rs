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

/// PostgreSQL only (a SQLite connection is a file handle and cannot drop):
/// connections are not pinged on every checkout, so one the server ends is
/// found by the statement that fails on it. That request is answered 503
/// `database_unavailable` with `Retry-After`, never 500, the connection is
/// replaced in place, and the requests after it succeed.
#[actix_web::test]
async fn a_connection_the_database_ends_is_replaced_and_its_request_is_503() {
    let mut database = crate::helpers::fresh_database();
    let twinning::db::DatabaseUrl::Postgres(url) = &database.url else {
        return;
    };
    let mut admin = database.url.establish().expect("the test database opens");
    let name = format!("twinning_{}", uuid::Uuid::new_v4().simple());
    database.url = twinning::db::DatabaseUrl::parse(&format!("{url}&application_name={name}"))
        .expect("a postgres URL");
    let mut conn = database.url.establish().expect("the test database opens");
    twinning::db::run_migrations(&mut conn).expect("the migrations apply");
    let app = crate::helpers::spawn_app_on(database);
    // Every pooled connection in use once (the test pool holds 3).
    for i in 0..6 {
        let response = app.post_json("/api/v1/cities", &city(i)).await;
        assert_eq!(response.status().as_u16(), 201);
    }
    let ended: i64 = {
        use diesel::RunQueryDsl;
        let query = format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
        );
        diesel::sql_query(query)
            .execute(&mut admin)
            .expect("end the app's sessions") as i64
    };
    assert!(ended >= 1, "the app's sessions were found");
    let mut refused = 0;
    for i in 6..16 {
        let response = app.post_json("/api/v1/cities", &city(i)).await;
        match response.status().as_u16() {
            201 => {}
            503 => {
                assert_eq!(response.headers()["retry-after"], "1");
                let problem: Value = response.json().await.unwrap();
                assert_eq!(problem["code"], "database_unavailable");
                refused += 1;
            }
            status => panic!("a request after the sessions ended got {status}"),
        }
    }
    println!("{ended} sessions ended; {refused} requests refused");
    assert!(refused >= 1, "a request met an ended session");
    assert!(
        refused <= 3,
        "at most one refusal per pooled connection, got {refused}"
    );
    let list: Value = app.get_json("/api/v1/cities?q=dropped&limit=100").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        16 - refused,
        "every acknowledged create is stored"
    );
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
}

fn city(i: usize) -> Value {
    json!({"name": format!("Dropped {i}"), "country_code": "NO", "latitude": 60.0, "longitude": 10.0})
}
