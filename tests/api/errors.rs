use crate::helpers::{assert_problem, error_fields, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use twinning::config::ServeArgs;

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    for body in [
        "{\"name\": ",
        "not json",
        "{\"name\": \"Sapporo\"} trailing",
        "",
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/cities"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "malformed_json").await;
    }
}

#[actix_web::test]
async fn invalid_utf8_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/cities"))
        .header("content-type", "application/json")
        .body(b"{\"name\": \"Sap\xff\xfeporo\", \"country_code\": \"JP\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "malformed_json").await;
}

#[actix_web::test]
async fn deeply_nested_json_is_refused_without_harm() {
    let app = spawn_app().await;
    let body = format!(
        "{{\"names\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let response = app
        .client
        .post(app.url("/api/v1/cities"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn a_wrong_type_is_422_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({"name": 5, "country_code": "RU"}), "name"),
        (
            json!({"name": "Sapporo", "country_code": "JP", "population": "many"}),
            "population",
        ),
        (
            json!({"name": "Sapporo", "country_code": "JP", "names": {"ja": 1}}),
            "names.ja",
        ),
        (
            json!({"name": "Sapporo", "country_code": "JP", "alternate_names": [1]}),
            "alternate_names[0]",
        ),
        (json!(["Sapporo"]), "body"),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.post_json("/api/v1/cities", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{body}");
    }
}

#[actix_web::test]
async fn an_unknown_field_is_422_naming_it() {
    let app = spawn_app().await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/cities",
            &json!({"name": "Sapporo", "country_code": "JP", "mayor": "x"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["mayor"]);
    let problem = assert_problem(
        app.patch_json("/api/v1/cities/1", &json!({"colour": "red"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["colour"]);
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/cities"))
        .header("content-type", "text/plain")
        .body("{\"name\": \"Sapporo\", \"country_code\": \"JP\"}")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
    let response = app
        .client
        .post(app.url("/api/v1/cities"))
        .body("{\"name\": \"Sapporo\", \"country_code\": \"JP\"}")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413_and_stores_nothing() {
    let app = spawn_app_with(ServeArgs {
        max_body_bytes: 4096,
        ..ServeArgs::from_env()
    })
    .await;
    let big = json!({"name": "Sapporo", "country_code": "JP", "alternate_names": vec!["x".repeat(100); 100]});
    assert_problem(
        app.post_json("/api/v1/cities", &big).await,
        413,
        "payload_too_large",
    )
    .await;
    let page: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(page["items"], json!([]));
}

#[actix_web::test]
async fn a_ten_megabyte_body_is_413_with_the_default_limit() {
    let app = spawn_app().await;
    let body = format!("{{\"name\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let response = app
        .client
        .post(app.url("/api/v1/cities"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    // The server may answer before reading the whole body and close the connection.
    if let Ok(response) = response {
        assert_problem(response, 413, "payload_too_large").await;
    }
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn an_id_that_is_not_a_64_bit_integer_is_400() {
    let app = spawn_app().await;
    for id in ["abc", "1.5", "99999999999999999999", "%20"] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/cities/{id}")).await,
            400,
            "invalid_parameter",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["id"], "{id}");
    }
}

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    for path in ["/nope", "/api/v1/planets", "/api/v2/cities"] {
        assert_problem(app.get(path).await, 404, "not_found").await;
    }
}

#[actix_web::test]
async fn a_method_a_route_does_not_take_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .put(app.url("/api/v1/cities/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD, PATCH, DELETE");
    assert_problem(response, 405, "method_not_allowed").await;
    let response = app
        .client
        .delete(app.url("/api/v1/cities"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD, POST");
    assert_problem(response, 405, "method_not_allowed").await;
}
