//! The web app at `/`: served from the binary, only from its own origin.

use crate::helpers::{assert_problem, spawn_app};
use serde_json::Value;

#[actix_web::test]
async fn the_app_is_served_at_the_root_with_a_policy_of_its_own_origin_only() {
    let app = spawn_app().await;
    for path in ["/", "/?lang=ru"] {
        let response = app.anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.starts_with("default-src 'self'; script-src 'self'; style-src 'self'"),
            "{policy}"
        );
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let page = response.text().await.unwrap();
        assert!(page.contains(r#"<script type="module" src="/app/app.js"></script>"#));
        assert!(page.contains(r#"<link rel="stylesheet" href="/app/app.css">"#));
        assert!(
            !page.contains("<style") && !page.contains(" style="),
            "no inline style"
        );
    }
    for (file, kind) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("land.json", "application/json"),
    ] {
        let response = app
            .anonymous
            .get(app.url(&format!("/app/{file}")))
            .header("accept-encoding", "gzip, deflate, br, zstd")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{file}");
        assert_eq!(response.headers()["content-type"], kind, "{file}");
        assert!(response.headers().contains_key("etag"), "{file}");
        assert_eq!(
            response.headers()["content-encoding"],
            "zstd",
            "{file} is sent coded as a browser asks"
        );
    }
    let land: Value = app.get_json("/app/land.json").await;
    assert!(land["d"].as_str().unwrap().starts_with('M'));
    assert!(land["source"].as_str().unwrap().contains("Natural Earth"));
    let missing = app
        .anonymous
        .get(app.url("/app/secret.txt"))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404, "not_found").await;
}

#[actix_web::test]
async fn a_token_tells_a_frontend_whose_it_is_and_what_it_may_edit() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let staff = app.city_client("Novosibirsk international relations", &[c.novosibirsk]);
    let me: Value = staff
        .get(app.url("/api/v1/tokens/current"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Novosibirsk international relations");
    assert_eq!(me["admin"], false);
    assert_eq!(me["city_ids"], serde_json::json!([c.novosibirsk]));
    assert!(me.get("secret").is_none());
    let admin = app.get_json("/api/v1/tokens/current").await;
    assert_eq!(
        (admin["name"].as_str(), admin["admin"].as_bool()),
        (Some("test admin"), Some(true))
    );
    let anonymous = app
        .anonymous
        .get(app.url("/api/v1/tokens/current"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
}
