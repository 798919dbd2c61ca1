//! `spawn_app()`: the real app on a random port, with a database of its own:
//! a temporary SQLite file, or (with `TEST_DATABASE_URL=postgres://…`) a fresh
//! PostgreSQL schema that is dropped when the test ends.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::{Client, Response};
use serde_json::Value;
use std::net::TcpListener;
use twinning::config::ServeArgs;
use twinning::db::{DatabaseUrl, Db};

pub struct TestApp {
    pub address: String,
    /// Sends the admin token with every request.
    pub client: Client,
    /// Sends no token.
    pub anonymous: Client,
    pub admin_token: String,
    pub database_url: DatabaseUrl,
    server: actix_web::dev::ServerHandle,
    _db: TestDb,
}

enum TestDb {
    /// Another app's database, which that app drops.
    Shared,
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        schema: String,
    },
}

/// A database of the backend under test, empty and not yet migrated.
pub struct FreshDatabase {
    pub url: DatabaseUrl,
    guard: TestDb,
}

pub fn fresh_database() -> FreshDatabase {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL does not connect: {e}"));
            admin
                .batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create the test schema");
            let separator = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
            FreshDatabase {
                url: DatabaseUrl::parse(&url).expect("a postgres URL"),
                guard: TestDb::Postgres { admin_url, schema },
            }
        }
        _ => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path = dir.path().join("test.db");
            FreshDatabase {
                url: DatabaseUrl::parse(&path.to_string_lossy()).expect("a file path"),
                guard: TestDb::Sqlite(dir),
            }
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServeArgs::from_env()).await
}

pub async fn spawn_app_with(settings: ServeArgs) -> TestApp {
    let FreshDatabase { url, guard } = fresh_database();
    let mut conn = url.establish().expect("the test database opens");
    twinning::db::run_migrations(&mut conn).expect("the migrations apply");
    let admin_token = create_token(&url, "test admin", true, &[]);
    serve(url, guard, admin_token, settings)
}

/// The app on a database the test has migrated (and filled) itself.
pub fn spawn_app_on(database: FreshDatabase) -> TestApp {
    let FreshDatabase { url, guard } = database;
    let admin_token = create_token(&url, "test admin", true, &[]);
    serve(url, guard, admin_token, ServeArgs::from_env())
}

impl TestApp {
    /// Waits out the staleness bound after a write made beside the server
    /// (`db::watch`): at once on SQLite, within 1 s on PostgreSQL.
    pub async fn settle_external_write(&self) {
        if self.database_url.backend() == twinning::db::Backend::Postgres {
            let bound = twinning::db::watch::TRUSTED;
            actix_web::rt::time::sleep(bound + std::time::Duration::from_millis(100)).await;
        }
    }

    /// Stops this instance's server (as a process stopping would), waiting
    /// for it; the database stays for the instances beside it.
    pub async fn stop(&self) {
        self.server.stop(true).await;
    }

    /// An instance with these settings serving this app's database.
    pub async fn beside_with(&self, settings: ServeArgs) -> TestApp {
        serve(
            self.database_url.clone(),
            TestDb::Shared,
            self.admin_token.clone(),
            settings,
        )
    }

    /// A second instance serving this app's database, as a second machine
    /// behind no proxy would: its own process state, its own cache.
    pub async fn beside(&self) -> TestApp {
        serve(
            self.database_url.clone(),
            TestDb::Shared,
            self.admin_token.clone(),
            ServeArgs::from_env(),
        )
    }
}

fn serve(url: DatabaseUrl, guard: TestDb, admin_token: String, mut settings: ServeArgs) -> TestApp {
    settings.db_pool_size = 3;
    let db = Db::connect(&url, settings.db_pool_size).expect("the test database opens");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("a bound address").port();
    let server = twinning::startup::run(listener, db, &settings).expect("the server starts");
    let handle = server.handle();
    actix_web::rt::spawn(server);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: client_with(Some(&admin_token)),
        anonymous: client_with(None),
        admin_token,
        database_url: url,
        server: handle,
        _db: guard,
    }
}

/// A client that sends `token` (if any) as its bearer token.
pub fn client_with(token: Option<&str>) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("a header value");
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    Client::builder()
        .default_headers(headers)
        // Shorter than the server's keep-alive (5 s): a connection left idle
        // while a test runs the command line is never reused just as the
        // server closes it.
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("a client")
}

/// Creates a token straight in the database, as `twinning token create` does.
/// Runs the `twinning` binary on `url` with `args`; its standard output, once
/// it has exited successfully.
pub fn run_cli(url: &DatabaseUrl, args: &[&str]) -> String {
    let url = match url {
        DatabaseUrl::Sqlite(p) | DatabaseUrl::Postgres(p) => p.clone(),
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub fn create_token(url: &DatabaseUrl, name: &str, admin: bool, cities: &[i64]) -> String {
    let mut conn = url.establish().expect("the test database opens");
    twinning::tokens::queries::create(&mut conn, name, admin, cities, None, twinning::clock::now())
        .expect("the token is created")
        .1
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent now; the workers close the pool as they go.
        drop(self.server.stop(false));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, schema } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

impl TestApp {
    /// A client holding a new token scoped to these cities.
    pub fn city_client(&self, name: &str, cities: &[i64]) -> Client {
        client_with(Some(&create_token(&self.database_url, name, false, cities)))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The ids of the items of one page of a list.
    pub async fn item_ids(&self, path: &str) -> Vec<i64> {
        let page: Value = self.get(path).await.json().await.expect("a JSON page");
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["id"].as_i64().expect("an id"))
            .collect()
    }

    /// GETs `path` and reads its JSON body (any status).
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("a JSON body")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET is sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST is sent")
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .json(body)
            .send()
            .await
            .expect("PATCH is sent")
    }

    pub async fn put(&self, path: &str) -> Response {
        self.client
            .put(self.url(path))
            .send()
            .await
            .expect("PUT is sent")
    }

    /// Imports a CSV body through the API as the admin; panics unless the
    /// API answers 200, and returns the import's report.
    pub async fn import_csv(&self, kind: &str, body: String) -> Value {
        let response = self
            .client
            .post(self.url(&format!("/api/v1/import/{kind}")))
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .expect("the import is sent");
        assert_eq!(response.status().as_u16(), 200, "{kind}");
        response.json().await.expect("an import report")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("DELETE is sent")
    }

    /// Creates a city and returns its id; panics unless the API answers 201.
    pub async fn create_city(&self, body: Value) -> i64 {
        let response = self.post_json("/api/v1/cities", &body).await;
        let status = response.status().as_u16();
        let json: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 201, "creating {body} answered {json}");
        json["id"].as_i64().expect("an id")
    }
}

/// Reads a problem document and checks its status, content type and code.
pub async fn assert_problem(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = response.json().await.expect("a JSON problem document");
    assert_eq!(
        content_type, "application/problem+json",
        "content type of {body}"
    );
    assert_eq!(body["code"], code, "code of {body}");
    assert_eq!(body["status"], status, "status field of {body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// The `field` of every entry of a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The four cities of the seed story.
pub mod story {
    use serde_json::{Value, json};

    pub fn veliky_novgorod() -> Value {
        json!({
            "name": "Veliky Novgorod",
            "names": {"ru": "Великий Новгород", "en": "Veliky Novgorod"},
            "alternate_names": ["Novgorod", "Velikiy Novgorod"],
            "country_code": "RU", "subdivision_code": "RU-NGR",
            "latitude": 58.52131, "longitude": 31.27104, "population": 222868,
            "timezone": "Europe/Moscow", "geonames_id": 519336
        })
    }

    pub fn rochester() -> Value {
        json!({
            "name": "Rochester",
            "names": {"en": "Rochester", "ru": "Рочестер"},
            "country_code": "US", "subdivision_code": "US-NY",
            "latitude": 43.15478, "longitude": -77.61556, "population": 209802,
            "timezone": "America/New_York", "geonames_id": 5134086, "wikidata_id": "Q49218"
        })
    }

    pub fn rochester_minnesota() -> Value {
        json!({
            "name": "Rochester", "country_code": "US", "subdivision_code": "US-MN",
            "latitude": 44.02163, "longitude": -92.4699, "population": 112225,
            "timezone": "America/Chicago", "geonames_id": 5043473
        })
    }

    pub fn sapporo() -> Value {
        json!({
            "name": "Sapporo",
            "names": {"ja": "札幌市", "ru": "Саппоро"},
            "country_code": "JP", "subdivision_code": "JP-01",
            "latitude": 43.06667, "longitude": 141.35, "population": 1973832,
            "timezone": "Asia/Tokyo", "geonames_id": 2128295, "wikidata_id": "Q37951"
        })
    }

    pub fn novosibirsk() -> Value {
        json!({
            "name": "Novosibirsk",
            "names": {"ru": "Новосибирск"},
            "country_code": "RU", "subdivision_code": "RU-NVS",
            "latitude": 55.02259, "longitude": 82.93175, "population": 1612833,
            "timezone": "Asia/Novosibirsk", "geonames_id": 1496747, "wikidata_id": "Q883"
        })
    }
}

/// The cities of the story, created; their ids by short name.
pub struct StoryCities {
    pub novgorod: i64,
    pub rochester: i64,
    pub sapporo: i64,
    pub novosibirsk: i64,
}

impl TestApp {
    pub async fn create_story_cities(&self) -> StoryCities {
        StoryCities {
            novgorod: self.create_city(story::veliky_novgorod()).await,
            rochester: self.create_city(story::rochester()).await,
            sapporo: self.create_city(story::sapporo()).await,
            novosibirsk: self.create_city(story::novosibirsk()).await,
        }
    }

    /// Registers a twinning and returns its id; panics unless the API answers 201.
    pub async fn create_twinning(&self, body: Value) -> i64 {
        let response = self.post_json("/api/v1/twinnings", &body).await;
        let status = response.status().as_u16();
        let json: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 201, "registering {body} answered {json}");
        json["id"].as_i64().expect("an id")
    }
}
