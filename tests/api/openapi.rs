use crate::helpers::spawn_app;
use serde_json::Value;

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = twinning::openapi::to_pretty_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; regenerate it with:\n    cargo run -- openapi > openapi/openapi.json"
    );
}

#[actix_web::test]
async fn the_served_document_is_the_generated_one() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    let served: Value = response.json().await.unwrap();
    let generated: Value = serde_json::from_str(&twinning::openapi::to_pretty_json()).unwrap();
    assert_eq!(served, generated);
    assert_eq!(served["openapi"], "3.1.0");
}

#[actix_web::test]
async fn every_route_of_the_app_is_in_the_document() {
    let document: Value = serde_json::from_str(&twinning::openapi::to_pretty_json()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/cities", vec!["get", "post"]),
        ("/api/v1/cities/{id}", vec!["get", "patch", "delete"]),
        ("/api/v1/cities/{id}/twinnings", vec!["get"]),
        ("/api/v1/cities/{id}/events", vec!["get"]),
        ("/api/v1/twinnings", vec!["get", "post"]),
        ("/api/v1/twinnings/{id}", vec!["get", "patch", "delete"]),
        ("/api/v1/twinnings/{id}/events", vec!["get", "post"]),
        ("/api/v1/twinnings/{id}/anniversaries", vec!["get"]),
        ("/api/v1/anniversaries", vec!["get"]),
        ("/api/v1/anniversaries.ics", vec!["get"]),
        ("/api/v1/events", vec!["get"]),
        ("/api/v1/events/{id}", vec!["get", "patch", "delete"]),
        ("/api/v1/tokens", vec!["get", "post"]),
        ("/api/v1/tokens/{id}", vec!["delete"]),
        ("/api/v1/changes", vec!["get"]),
        ("/api/v1/cities/{id}/history", vec!["get"]),
        ("/api/v1/twinnings/{id}/history", vec!["get"]),
        ("/api/v1/events/{id}/history", vec!["get"]),
        ("/api/v1/twinnings.geojson", vec!["get"]),
        ("/api/v1/cities.geojson", vec!["get"]),
        ("/api/v1/import/cities", vec!["post"]),
        ("/api/v1/import/twinnings", vec!["post"]),
        ("/api/v1/import/events", vec!["post"]),
        ("/healthz", vec!["get"]),
        ("/readyz", vec!["get"]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} is not documented"
            );
        }
    }
    // Every write declares the bearer scheme and its 401 and 403.
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            if ["post", "patch", "delete"].contains(&method.as_str()) {
                assert_eq!(
                    operation["security"],
                    serde_json::json!([{"bearer_token": []}]),
                    "{method} {path}"
                );
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{method} {path} 401"
                );
                assert!(
                    operation["responses"]["403"].is_object(),
                    "{method} {path} 403"
                );
            }
        }
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer_token"]["scheme"],
        "bearer"
    );
    // Every documented operation answers errors with the one problem schema.
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

#[actix_web::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let response = app.get("/docs/").await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let response = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().len() > 100_000);
}
