//! The real binary as operators run it: killed in the middle of writes, and
//! stopped with SIGTERM.

use crate::helpers::{create_token, fresh_database};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use twinning::db::DatabaseUrl;

fn raw_url(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) | DatabaseUrl::Postgres(p) => p.clone(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(url: &str, port: u16) -> Child {
    start_logging(url, port, Stdio::null()).await
}

/// Starts the binary with its log (standard error) going to `log`.
async fn start_logging(url: &str, port: u16, log: Stdio) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twinning"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("WORKERS", "2")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let ready = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    panic!("the server did not start");
}

#[actix_web::test]
async fn a_server_killed_mid_write_restarts_with_every_acknowledged_write() {
    let database = fresh_database();
    let url = raw_url(&database.url);
    let mut conn = database.url.establish().unwrap();
    twinning::db::run_migrations(&mut conn).unwrap();
    drop(conn);
    let token = create_token(&database.url, "crash test", true, &[]);
    let port = free_port();
    let mut server = start(&url, port).await;
    let client = crate::helpers::client_with(Some(&token));
    let base = format!("http://127.0.0.1:{port}");

    // Kill it once writes are surely under way: after 100 acknowledged ones.
    let acknowledged = std::sync::atomic::AtomicUsize::new(0);
    let writers = (0..8).map(|w| {
        let (client, base, acknowledged) = (&client, &base, &acknowledged);
        async move {
            let mut acked = Vec::new();
            let mut i = 0;
            loop {
                i += 1;
                let sent = client
                    .post(format!("{base}/api/v1/cities"))
                    .json(&json!({"name": format!("Crash {w}-{i}"), "country_code": "DE"}))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().as_u16() == 201 => {
                        if let Ok(body) = r.json::<Value>().await {
                            acked.push(body["id"].as_i64().unwrap_or(0));
                            acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                    Ok(r) => panic!("a write failed with {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
            acked
        }
    });
    let killer = async {
        let started = Instant::now();
        while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < 100
            && started.elapsed() < Duration::from_secs(60)
        {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
    };
    let (acked, ()) = futures::join!(futures::future::join_all(writers), killer);
    let acked: Vec<i64> = acked.into_iter().flatten().collect();
    assert!(acked.len() >= 100, "writes were under way: {}", acked.len());

    if let DatabaseUrl::Sqlite(path) = &database.url {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut sqlite = SqliteConnection::establish(path).unwrap();
        let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut sqlite)
            .unwrap();
        assert_eq!(
            checks
                .iter()
                .map(|c| c.integrity_check.as_str())
                .collect::<Vec<_>>(),
            vec!["ok"]
        );
    }

    let mut server = start(&url, port).await;
    let plain = reqwest::Client::new();
    for id in &acked {
        let status = plain
            .get(format!("{base}/api/v1/cities/{id}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status.as_u16(),
            200,
            "acknowledged city {id} survived the crash"
        );
    }
    let mut recorded: Vec<i64> = Vec::new();
    let mut cursor = String::new();
    loop {
        let feed: Value = plain
            .get(format!(
                "{base}/api/v1/changes?limit=200&entity=city{cursor}"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = feed["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        recorded.extend(items.iter().map(|c| c["entity_id"].as_i64().unwrap()));
        cursor = format!("&after={}", feed["next_cursor"].as_str().unwrap());
    }
    for id in &acked {
        assert_eq!(
            recorded.iter().filter(|r| *r == id).count(),
            1,
            "city {id} is in the feed once"
        );
    }
    println!(
        "crash: {} acknowledged writes before SIGKILL, all present after restart",
        acked.len()
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[actix_web::test]
async fn sigterm_lets_in_flight_requests_finish_and_exits_cleanly() {
    let database = fresh_database();
    let url = raw_url(&database.url);
    let mut conn = database.url.establish().unwrap();
    twinning::db::run_migrations(&mut conn).unwrap();
    drop(conn);
    let token = create_token(&database.url, "shutdown test", true, &[]);
    let port = free_port();
    let mut server = start(&url, port).await;
    let client = crate::helpers::client_with(Some(&token));
    let base = format!("http://127.0.0.1:{port}");

    // A long request: an import of a few thousand cities, streamed slowly.
    let mut file = String::from("name,country_code,population\n");
    for i in 0..3000 {
        file.push_str(&format!("Town {i},FR,{i}\n"));
    }
    let chunks: Vec<Result<String, std::io::Error>> =
        file.lines().map(|l| Ok(format!("{l}\n"))).collect();
    let slow_body = futures::stream::iter(chunks).then(|chunk| async move {
        actix_web::rt::time::sleep(Duration::from_micros(200)).await;
        chunk
    });
    use futures::StreamExt;
    let import = client
        .post(format!("{base}/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body(reqwest::Body::wrap_stream(slow_body))
        .send();
    let pid = server.id().to_string();
    let terminate = async {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
    };
    let (response, ()) = futures::join!(import, terminate);
    let response = response.expect("the in-flight import got its answer");
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], 3000, "{report}");
    let exited = server.wait().unwrap();
    assert!(exited.success(), "exit status {exited:?}");
    let after = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .send()
        .await;
    assert!(after.is_err(), "new connections are refused once stopped");
}

#[actix_web::test]
async fn a_stored_value_that_does_not_decode_is_logged_with_its_cause() {
    use diesel::connection::SimpleConnection;
    let database = fresh_database();
    let url = raw_url(&database.url);
    let mut conn = database.url.establish().unwrap();
    twinning::db::run_migrations(&mut conn).unwrap();
    twinning::seed::demo(&mut conn).unwrap();
    conn.batch_execute(
        "UPDATE twinnings SET source_urls = 'https://example.org' WHERE id = (SELECT MIN(id) FROM twinnings)",
    )
    .unwrap();
    let id: i64 = {
        use diesel::prelude::*;
        use twinning::db::schema::twinnings;
        twinnings::table
            .select(diesel::dsl::min(twinnings::id))
            .first::<Option<i64>>(&mut conn)
            .unwrap()
            .unwrap()
    };
    drop(conn);
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let port = free_port();
    let mut server = start_logging(&url, port, Stdio::from(log)).await;
    let response = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/twinnings/{id}"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        (status, body["code"].clone()),
        (500, json!("internal_error"))
    );
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains("internal error") && logged.contains("stored JSON does not decode"),
        "the cause is in the log: {logged}"
    );
}
