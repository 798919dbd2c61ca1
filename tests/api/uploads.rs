//! Imports over HTTP from clients that send slowly, stop, disconnect or send
//! too much: the file is received whole before anything is written, so none
//! of them holds a transaction, and nothing of an unfinished upload is stored.

use crate::helpers::{create_token, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use twinning::config::ServeArgs;

/// An import sent by hand: the head and a first chunk now, the rest when told.
struct Upload {
    stream: TcpStream,
}

impl Upload {
    fn start(address: &str, token: &str, first: &str) -> Upload {
        let host = address.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let head = format!(
            "POST /api/v1/import/cities HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        let mut upload = Upload { stream };
        upload.chunk(first);
        upload
    }

    fn chunk(&mut self, text: &str) {
        let chunk = format!("{:x}\r\n{text}\r\n", text.len());
        self.stream.write_all(chunk.as_bytes()).unwrap();
        self.stream.flush().unwrap();
    }

    /// Sends the last chunk and reads the answer: its status and body.
    fn finish(mut self, last: &str) -> (u16, Value) {
        self.chunk(last);
        self.stream.write_all(b"0\r\n\r\n").unwrap();
        self.answer()
    }

    fn answer(mut self) -> (u16, Value) {
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Err(e) => panic!("the answer could not be read: {e}"),
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&raw);
            if let Some((head, body)) = text.split_once("\r\n\r\n")
                && let Some(length) = head.lines().find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_string)
                })
                && body.len() >= length.trim().parse::<usize>().unwrap()
            {
                break;
            }
        }
        let text = String::from_utf8_lossy(&raw).to_string();
        let status = text
            .get(9..12)
            .unwrap_or_else(|| panic!("no answer: {text:?}"))
            .parse()
            .unwrap();
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }
}

async fn names(app: &crate::helpers::TestApp, q: &str) -> Vec<String> {
    let page: Value = app.get_json(&format!("/api/v1/cities?q={q}")).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_stalled_upload_stops_no_other_write_and_a_token_revoked_meanwhile_imports_nothing() {
    let app = spawn_app().await;
    let uploader = create_token(&app.database_url, "uploader", true, &[]);
    let address = app.address.clone();
    let (resume, resumed) = mpsc::channel::<()>();
    let client = actix_web::rt::task::spawn_blocking(move || {
        let upload = Upload::start(&address, &uploader, "name,country_code\nTver,RU\n");
        resumed.recv().unwrap();
        upload.finish("Pskov,RU\n")
    });
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;

    // Writes go on while the upload waits: through the API, and from the
    // command line straight into the database.
    let started = Instant::now();
    let created = app
        .post_json(
            "/api/v1/cities",
            &json!({"name": "Murmansk", "country_code": "RU"}),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let mut conn = app.database_url.establish().unwrap();
    let tokens = twinning::tokens::queries::list(&mut conn, None, 100).unwrap();
    let id = tokens.iter().find(|t| t.name == "uploader").unwrap().id;
    twinning::tokens::queries::revoke(&mut conn, id, twinning::clock::now()).unwrap();
    drop(conn);

    resume.send(()).unwrap();
    let (status, problem) = client.await.unwrap();
    assert_eq!((status, &problem["code"]), (401, &json!("unauthorized")));
    assert_eq!(names(&app, "tver").await, Vec::<String>::new());
    assert_eq!(names(&app, "pskov").await, Vec::<String>::new());
}

#[actix_web::test]
async fn an_upload_whose_client_disconnects_imports_nothing() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    let address = app.address.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let upload = Upload::start(&address, &token, "name,country_code\nTver,RU\n");
        drop(upload);
    })
    .await
    .unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(names(&app, "tver").await, Vec::<String>::new());
    let changes: Value = app.get("/api/v1/changes").await.json().await.unwrap();
    assert_eq!(changes["items"], json!([]));
}

#[actix_web::test]
async fn an_upload_slower_than_its_time_limit_is_408_and_imports_nothing() {
    let mut settings = ServeArgs::from_env();
    settings.import_upload_secs = 1;
    let app = spawn_app_with(settings).await;
    let token = app.admin_token.clone();
    let address = app.address.clone();
    // The rest arrives after the limit: the upload was given up, and its
    // answer (sent once the client stops sending) says why.
    let (status, problem) = actix_web::rt::task::spawn_blocking(move || {
        let upload = Upload::start(&address, &token, "name,country_code\nTver,RU\n");
        upload.answer()
    })
    .await
    .unwrap();
    assert_eq!((status, &problem["code"]), (408, &json!("request_timeout")));
    assert_eq!(names(&app, "tver").await, Vec::<String>::new());
}

#[actix_web::test]
async fn an_upload_larger_than_max_import_bytes_is_413_and_imports_nothing() {
    let mut settings = ServeArgs::from_env();
    settings.max_import_bytes = 100;
    let app = spawn_app_with(settings).await;
    let mut file = String::from("name,country_code\n");
    for i in 0..20 {
        file.push_str(&format!("Town {i},DE\n"));
    }
    let response = app
        .client
        .post(app.url("/api/v1/import/cities"))
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::assert_problem(response, 413, "payload_too_large").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("MAX_IMPORT_BYTES")
    );
    assert_eq!(names(&app, "town").await, Vec::<String>::new());
}
