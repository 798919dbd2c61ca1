//! Webhooks: every change delivered to each matching subscription, signed,
//! in feed order, at least once, through failing and hanging receivers,
//! restarts and instances beside each other.

use crate::helpers::{TestApp, assert_problem, error_fields, spawn_app, spawn_app_with};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use twinning::config::ServeArgs;

/// What a receiver got: the three Standard Webhooks headers and the body.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// How the receiver answers, and what it took (answered 2xx).
#[derive(Default)]
struct Behaviour {
    /// Answer 500 to this many requests first.
    fail_first: AtomicUsize,
    /// Then hang (past the server's time limit) on this many.
    hang_first: AtomicUsize,
    /// Answer 500 to every request while set.
    down: AtomicBool,
    requests: AtomicUsize,
    taken: Mutex<Vec<Received>>,
}

struct Receiver {
    url: String,
    behaviour: Arc<Behaviour>,
    _server: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, b: web::Data<Behaviour>) -> HttpResponse {
    b.requests.fetch_add(1, Ordering::SeqCst);
    if b.down.load(Ordering::SeqCst)
        || b.fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    {
        return HttpResponse::InternalServerError().finish();
    }
    if b.hang_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        actix_web::rt::time::sleep(Duration::from_secs(3)).await;
        return HttpResponse::ServiceUnavailable().finish();
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    b.taken.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: body.to_vec(),
    });
    HttpResponse::NoContent().finish()
}

fn receiver(behaviour: Behaviour) -> Receiver {
    let behaviour = Arc::new(behaviour);
    let data = web::Data::from(behaviour.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(receive))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Receiver {
        url: format!("http://127.0.0.1:{port}/hook"),
        behaviour,
        _server: handle,
    }
}

/// The Standard Webhooks check, written here from the specification.
fn verifies(secret: &str, got: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", got.id, got.timestamp).as_bytes());
    mac.update(&got.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    got.signature.split(' ').any(|s| s == expected)
}

fn settings() -> ServeArgs {
    let mut settings = ServeArgs::from_env();
    settings.webhook_allow_private = true;
    settings.webhook_backoff_ms = 50;
    settings.webhook_timeout_secs = 1;
    settings
}

async fn subscribe(app: &TestApp, body: Value) -> (i64, String) {
    let response = app.post_json("/api/v1/webhooks", &body).await;
    let status = response.status().as_u16();
    let created: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{created}");
    (
        created["id"].as_i64().unwrap(),
        created["secret"].as_str().unwrap().to_string(),
    )
}

/// Waits (up to 20 s) until the receiver took `count` distinct changes.
async fn taken(receiver: &Receiver, count: usize) -> Vec<Received> {
    for _ in 0..200 {
        let got = receiver.behaviour.taken.lock().unwrap().clone();
        let mut ids: Vec<&String> = got.iter().map(|r| &r.id).collect();
        ids.sort();
        ids.dedup();
        if ids.len() >= count {
            return got;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.behaviour.taken.lock().unwrap().clone()
}

fn change_ids(got: &[Received]) -> Vec<i64> {
    got.iter()
        .map(|r| r.id.strip_prefix("change_").unwrap().parse().unwrap())
        .collect()
}

async fn create_city(app: &TestApp, name: &str) -> i64 {
    app.create_city(json!({"name": name, "country_code": "RU"}))
        .await
}

#[actix_web::test]
async fn each_matching_change_is_delivered_signed_in_feed_order() {
    let app = spawn_app_with(settings()).await;
    let hook = receiver(Behaviour::default());
    let (id, secret) = subscribe(&app, json!({"url": hook.url, "entities": ["city"]})).await;
    assert!(secret.starts_with("whsec_"));
    for name in ["Tver", "Pskov", "Vologda"] {
        create_city(&app, name).await;
    }
    let c = app.create_story_cities().await;
    app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city"}))
        .await;
    let got = taken(&hook, 7).await;
    assert_eq!(
        got.len(),
        7,
        "three cities and the story's four, not the twinning"
    );
    let ids = change_ids(&got);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "feed order: {ids:?}");
    let feed = app.get_json("/api/v1/changes?entity=city&limit=200").await;
    for (received, change) in got.iter().zip(feed["items"].as_array().unwrap()) {
        assert!(verifies(&secret, received), "{received:?}");
        let body: Value = serde_json::from_slice(&received.body).unwrap();
        assert_eq!(&body, change, "the body is the change as the feed shows it");
    }
    let mut forged = got[0].clone();
    forged.body.push(b' ');
    assert!(
        !verifies(&secret, &forged),
        "a tampered body fails the check"
    );

    // The log: each delivered at the first attempt.
    let log = app
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries?limit=200"))
        .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    for item in items {
        assert_eq!(
            (
                item["status"].as_str(),
                item["attempts"].as_i64(),
                item["last_status_code"].as_i64()
            ),
            (Some("delivered"), Some(1), Some(204)),
            "{item}"
        );
    }
    let shown = app.get_json(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(
        (shown["pending"].as_i64(), shown["enabled"].as_bool()),
        (Some(0), Some(true))
    );
    assert!(shown.get("secret").is_none(), "the secret is shown once");
}

#[actix_web::test]
async fn a_rotated_secret_signs_beside_the_new_one_for_the_time_asked() {
    let app = spawn_app_with(settings()).await;
    let hook = receiver(Behaviour::default());
    let (id, first) = subscribe(&app, json!({"url": hook.url, "entities": ["city"]})).await;
    let path = format!("/api/v1/webhooks/{id}/secret");
    let rotate = |query: &str| app.client.post(app.url(&format!("{path}{query}"))).send();

    // Rotated with the default: both secrets sign for 24 hours.
    let response = rotate("").await.unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let rotated: Value = response.json().await.unwrap();
    let second = rotated["secret"].as_str().unwrap().to_string();
    assert!(second.starts_with("whsec_") && second != first, "{rotated}");
    assert_eq!(rotated["id"], id);
    let until =
        chrono::DateTime::parse_from_rfc3339(rotated["previous_secret_until"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
    let hours = (until - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    let shown = app.get_json(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(
        shown["previous_secret_until"],
        rotated["previous_secret_until"]
    );
    assert!(shown.get("secret").is_none(), "the secret is shown once");
    create_city(&app, "Tver").await;
    let got = taken(&hook, 1).await;
    assert_eq!(got[0].signature.split(' ').count(), 2, "{:?}", got[0]);
    assert!(verifies(&first, &got[0]), "the old secret still verifies");
    assert!(verifies(&second, &got[0]), "the new secret verifies");

    // Rotated again with no overlap: the newest secret alone signs, and the
    // subscription says no other does.
    let third: Value = rotate("?keep_previous_hours=0")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(third["previous_secret_until"], Value::Null, "{third}");
    let third = third["secret"].as_str().unwrap().to_string();
    create_city(&app, "Pskov").await;
    let got = taken(&hook, 2).await;
    let last = &got[1];
    assert_eq!(last.signature.split(' ').count(), 1, "{last:?}");
    assert!(verifies(&third, last));
    assert!(!verifies(&second, last) && !verifies(&first, last));

    // The refusals: out of range, unknown, not an admin.
    let problem = assert_problem(
        rotate("?keep_previous_hours=169").await.unwrap(),
        400,
        "invalid_parameter",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("keep_previous_hours"),
        "{problem}"
    );
    let unknown = app
        .client
        .post(app.url("/api/v1/webhooks/999/secret"))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, 404, "not_found").await;
    let tver = app.get_json("/api/v1/cities?q=tver").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let staff = app.city_client("Tver staff", &[tver]);
    let refused = staff.post(app.url(&path)).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let now = app.get_json(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(
        now["previous_secret_until"],
        Value::Null,
        "the refusals changed nothing"
    );
    create_city(&app, "Vologda").await;
    assert!(verifies(&third, &taken(&hook, 3).await[2]));
}

#[actix_web::test]
async fn a_receiver_that_fails_for_a_while_then_hangs_still_gets_every_change_once_in_order() {
    let app = spawn_app_with(settings()).await;
    let hook = receiver(Behaviour {
        fail_first: AtomicUsize::new(3),
        hang_first: AtomicUsize::new(1),
        ..Behaviour::default()
    });
    let (id, secret) = subscribe(&app, json!({"url": hook.url})).await;
    for name in ["Tver", "Pskov", "Vologda"] {
        create_city(&app, name).await;
    }
    let got = taken(&hook, 3).await;
    let ids = change_ids(&got);
    assert_eq!(ids.len(), 3, "each once: {ids:?}");
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in feed order: {ids:?}"
    );
    assert!(got.iter().all(|r| verifies(&secret, r)));
    assert!(hook.behaviour.requests.load(Ordering::SeqCst) >= 7);
    let log = app
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    let first = &log["items"][0];
    assert_eq!(first["status"], "delivered");
    assert!(
        first["attempts"].as_i64().unwrap() >= 5,
        "3 errors, 1 time limit, then taken: {first}"
    );
    assert_eq!(
        log["items"][1]["attempts"], 1,
        "later changes waited behind the first"
    );
}

#[actix_web::test]
async fn deliveries_go_on_after_a_restart_mid_backlog() {
    let app = spawn_app_with(settings()).await;
    let hook = receiver(Behaviour {
        down: AtomicBool::new(true),
        ..Behaviour::default()
    });
    let (id, secret) = subscribe(&app, json!({"url": hook.url})).await;
    for name in ["Tver", "Pskov", "Vologda"] {
        create_city(&app, name).await;
    }
    // Tried and refused while the first instance runs, then it stops.
    for _ in 0..100 {
        if hook.behaviour.requests.load(Ordering::SeqCst) >= 2 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(hook.behaviour.requests.load(Ordering::SeqCst) >= 2);
    app.stop().await;
    // Its delivery worker ends at its next round; one in flight finishes first
    // (it may hold SQLite's write lock, which a new instance's start-up takes).
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    hook.behaviour.down.store(false, Ordering::SeqCst);
    let restarted = app.beside_with(settings()).await;
    let got = taken(&hook, 3).await;
    assert_eq!(change_ids(&got).len(), 3, "the backlog, each once");
    assert!(got.iter().all(|r| verifies(&secret, r)));
    let log = restarted
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "delivered")
    );
}

#[actix_web::test]
async fn two_instances_deliver_each_change_once_between_them() {
    let one = spawn_app_with(settings()).await;
    let two = one.beside_with(settings()).await;
    let hook = receiver(Behaviour::default());
    let (id, _) = subscribe(&one, json!({"url": hook.url})).await;
    for i in 0..12 {
        let app = if i % 2 == 0 { &one } else { &two };
        create_city(app, &format!("Town {i}")).await;
    }
    let got = taken(&hook, 12).await;
    let mut ids = change_ids(&got);
    assert_eq!(ids.len(), 12, "none twice: {ids:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    let log = two
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries?limit=200"))
        .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 12, "one delivery per change in the log");
    assert!(
        items
            .iter()
            .all(|d| d["attempts"] == 1 && d["status"] == "delivered")
    );
}

#[actix_web::test]
async fn a_subscription_failing_past_its_horizon_is_disabled_and_says_why() {
    let mut quick = settings();
    quick.webhook_give_up_secs = 1;
    let app = spawn_app_with(quick).await;
    let hook = receiver(Behaviour {
        down: AtomicBool::new(true),
        ..Behaviour::default()
    });
    let (id, _) = subscribe(&app, json!({"url": hook.url})).await;
    create_city(&app, "Tver").await;
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = app.get_json(&format!("/api/v1/webhooks/{id}")).await;
        if shown["enabled"] == false {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(
        shown["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("failed for longer than 1 s"),
        "{shown}"
    );
    let log = app
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(log["items"][0]["status"], "failed");
    assert_eq!(log["items"][0]["last_status_code"], 500);
    assert!(log["items"][0]["next_attempt_at"].is_null());

    // On again, once the receiver is back: the failed delivery goes out.
    hook.behaviour.down.store(false, Ordering::SeqCst);
    let response = app
        .patch_json(&format!("/api/v1/webhooks/{id}"), &json!({"enabled": true}))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(taken(&hook, 1).await.len(), 1);
    // And redelivered on request: the same webhook-id again.
    let delivery = log["items"][0]["id"].as_i64().unwrap();
    let response = app
        .post_json(
            &format!("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    for _ in 0..100 {
        if hook.behaviour.taken.lock().unwrap().len() >= 2 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let got = hook.behaviour.taken.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].id, got[1].id,
        "a receiver deduplicates by webhook-id"
    );
}

#[actix_web::test]
async fn subscriptions_are_for_admins_and_refuse_private_receivers_unless_allowed() {
    let app = spawn_app().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.7/",
        "ftp://example.org/",
    ] {
        let response = app
            .post_json("/api/v1/webhooks", &json!({"url": url}))
            .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(error_fields(&problem), vec!["url"], "{url}");
    }
    let response = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": "https://directory.example.org/hooks"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let c = app.create_story_cities().await;
    let staff = app.city_client("Novosibirsk international relations", &[c.novosibirsk]);
    let response = staff
        .post(app.url("/api/v1/webhooks"))
        .json(&json!({"url": "https://directory.example.org/hooks"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
    let response = staff.get(app.url("/api/v1/webhooks")).send().await.unwrap();
    assert_problem(response, 403, "forbidden").await;
    let listed = app.get_json("/api/v1/webhooks").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(listed["items"][0].get("secret").is_none());

    // Cities must exist; a URL has a bounded length.
    let response = app
        .post_json("/api/v1/webhooks", &json!({"url": "https://directory.example.org/hooks", "city_ids": [c.novgorod, 999999]}))
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), vec!["city_ids[1]"]);
    let long = format!("https://directory.example.org/{}", "a".repeat(2000));
    let response = app
        .post_json("/api/v1/webhooks", &json!({"url": long}))
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), vec!["url"]);

    // Changes are guarded by If-Match as any write is.
    let id = listed["items"][0]["id"].as_i64().unwrap();
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/webhooks/{id}")))
        .header("if-match", "\"stale\"")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 412, "precondition_failed").await;
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/webhooks/{id}")))
        .header("if-match", "@,")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(
        app.get_json(&format!("/api/v1/webhooks/{id}")).await["enabled"],
        true
    );
    // Turned off with the tag it has, then removed with it.
    let tag = app.get(&format!("/api/v1/webhooks/{id}")).await.headers()["etag"].clone();
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/webhooks/{id}")))
        .header("if-match", tag)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    let off: Value = response.json().await.unwrap();
    assert_eq!(off["enabled"], false);
    assert_eq!(off["disabled_reason"], "turned off by an admin");
    let tag = app.get(&format!("/api/v1/webhooks/{id}")).await.headers()["etag"].clone();
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/webhooks/{id}")))
        .header("if-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let gone = app.get(&format!("/api/v1/webhooks/{id}")).await;
    assert_problem(gone, 404, "not_found").await;
}

/// A second server as its own process on the same database, with a webhook worker of its own.
async fn second_process(app: &TestApp) -> (std::process::Child, String) {
    let url = match &app.database_url {
        twinning::db::DatabaseUrl::Sqlite(p) | twinning::db::DatabaseUrl::Postgres(p) => p.clone(),
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_twinning"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("WORKERS", "1")
        .env("WEBHOOK_ALLOW_PRIVATE", "true")
        .env("WEBHOOK_BACKOFF_MS", "50")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..400 {
        let ready = reqwest::get(format!("{base}/readyz")).await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return (child, base);
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    panic!("the second server did not start");
}

#[actix_web::test]
async fn two_server_processes_on_one_database_deliver_each_change_once_between_them() {
    let one = spawn_app_with(settings()).await;
    let (mut child, base) = second_process(&one).await;
    let other = crate::helpers::client_with(Some(&one.admin_token));
    let hook = receiver(Behaviour::default());
    let (id, secret) = subscribe(&one, json!({"url": hook.url})).await;
    for i in 0..16 {
        let body = json!({"name": format!("Town {i}"), "country_code": "RU"});
        let status = if i % 2 == 0 {
            one.post_json("/api/v1/cities", &body).await.status()
        } else {
            other
                .post(format!("{base}/api/v1/cities"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(status.as_u16(), 201);
    }
    let got = taken(&hook, 16).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let ids = change_ids(&got);
    assert_eq!(
        ids.len(),
        16,
        "each change once between the two processes: {ids:?}"
    );
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in feed order: {ids:?}"
    );
    assert!(got.iter().all(|r| verifies(&secret, r)));
    let log = one
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries?limit=200"))
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 16);
}
