//! Spawning the real application on a random port against a fresh database of either backend.

use std::sync::Arc;

use reqwest::{Client, Method, RequestBuilder, Response};
use sammen::config::{Config, LimitSettings, LogFormat, Seed};
use sammen::domain::{NewApiKey, Role};
use sammen::startup::Application;
use sammen::store::{self, Store};
use serde_json::Value;
use sqlx::Connection;

/// The origin allowed by CORS in tests.
pub const ALLOWED_ORIGIN: &str = "https://www.aalborg.dk";

/// Which store a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database that disappears with the value.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    /// A new database, or `None` for PostgreSQL when `SAMMEN_TEST_POSTGRES_URL` is not set.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::Sqlite(
                tempfile::tempdir().expect("a temporary directory"),
            )),
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("SAMMEN_TEST_POSTGRES_URL") else {
                    eprintln!("SKIPPED on PostgreSQL: SAMMEN_TEST_POSTGRES_URL is not set");
                    return None;
                };
                let name = format!("sammen_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("SAMMEN_TEST_POSTGRES_URL must reach PostgreSQL");
                sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                    .execute(&mut admin)
                    .await
                    .expect("create the test database");
                let url = with_database(&admin_url, &name);
                Some(TestDb::Postgres {
                    admin_url,
                    name,
                    url,
                })
            }
        }
    }

    /// The URL sammen connects to.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => format!("sqlite://{}", dir.path().join("sammen.db").display()),
            TestDb::Postgres { url, .. } => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres {
            admin_url, name, ..
        } = self
        else {
            return;
        };
        let (admin_url, database) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(std::io::Error::other)?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    r#"DROP DATABASE IF EXISTS "{database}" WITH (FORCE)"#
                )))
                .execute(&mut admin)
                .await
                .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {name}");
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    /// The metrics address, when `metrics_bind` was set.
    pub metrics_address: Option<String>,
    pub client: Client,
    /// The same database, opened directly, to check what was (not) written.
    pub store: Arc<dyn Store>,
    /// Kept so that the database lives as long as the app.
    pub db: TestDb,
}

/// The application on `backend` with the built-in catalog, or `None` when the backend is not
/// available here.
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |_| {}).await
}

/// As [`spawn`], with the configuration adjusted first.
pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
    if std::env::var("TEST_LOG").is_ok() {
        sammen::telemetry::init("info", LogFormat::Text);
    }
    let db = TestDb::create(backend).await?;
    let mut config = Config {
        database_url: db.url(),
        bind: "127.0.0.1:0".parse().unwrap(),
        seed: Seed::Aalborg,
        cors_origins: vec![ALLOWED_ORIGIN.to_owned()],
        log_filter: "info".into(),
        log_format: LogFormat::Text,
        routing_min_confidence: sammen::matching::DEFAULT_MIN_CONFIDENCE,
        webhooks: Default::default(),
        retention: Default::default(),
        // Tests send bursts from one address, on machines busy with other tests: the limits'
        // own tests turn the rate limits on and set a small capacity for load shedding.
        limits: LimitSettings {
            rate_limits_disabled: true,
            max_in_flight: 10_000,
            ..LimitSettings::default()
        },
        metrics_bind: None,
    };
    adjust(&mut config);
    let app = Application::build(&config)
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    actix_web::rt::spawn(app.run_until_stopped());
    let store = store::connect(&db.url())
        .await
        .expect("the test opens the store");
    Some(TestApp {
        address,
        metrics_address,
        client: client(),
        store,
        db,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// The name of the app's PostgreSQL database.
    pub fn database_name(&self) -> &str {
        match &self.db {
            TestDb::Postgres { name, .. } => name,
            TestDb::Sqlite(_) => panic!("only a PostgreSQL test has a database name"),
        }
    }

    /// Runs `statement` on the PostgreSQL server that holds the app's database, from outside it.
    pub async fn on_database_server(&self, statement: String) {
        let TestDb::Postgres { admin_url, .. } = &self.db else {
            panic!("only a PostgreSQL test has a database server");
        };
        let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .unwrap();
    }

    /// Removes the PostgreSQL database under the running app.
    pub async fn drop_database(&self) {
        let name = self.database_name();
        self.on_database_server(format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#))
            .await;
    }

    /// Reads a created idea back with the citizen token of its receipt.
    pub async fn read_back(&self, created: &Value) -> Value {
        let path = format!("/v1/ideas/{}", created["id"].as_str().unwrap());
        let token = created["citizen_token"].as_str().unwrap();
        json(
            self.client
                .get(self.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await
    }

    /// A new API key of `role` for `networks`, made directly in the store; its secret.
    pub async fn key(&self, role: Role, networks: &[&str]) -> String {
        let new = NewApiKey {
            name: format!("test {}", role.code()),
            role,
            networks: networks.iter().map(|n| (*n).to_owned()).collect(),
        };
        let (_, secret) = sammen::auth::issue_key(self.store.as_ref(), new)
            .await
            .expect("issue a key");
        secret
    }

    /// A request to `path` with `key` as bearer credentials.
    pub fn with_key(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    /// Submits a valid idea (changed by `adjust`) and returns the receipt.
    pub async fn submit(&self, adjust: impl FnOnce(&mut Value)) -> Value {
        let mut body = valid_idea();
        adjust(&mut body);
        json(self.post_json("/v1/ideas", &body).await, 201).await
    }

    pub async fn ideas_stored(&self) -> u64 {
        self.store.count_ideas().await.expect("count ideas")
    }
}

/// An HTTP client; the crypto provider reqwest needs is installed first.
pub fn client() -> Client {
    sammen::install_crypto_provider();
    Client::new()
}

/// The body of a response as JSON, after checking its status.
pub async fn json(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body = response.text().await.expect("a body");
    assert_eq!(actual, status, "unexpected status; body: {body}");
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

/// The problem document of an error response, after checking its status and media type.
pub async fn problem(response: Response, status: u16) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body = json(response, status).await;
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:sammen:problem:"))
    );
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// The `(field, code)` pairs of a problem's `errors`.
pub fn field_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
                    (
                        e["field"].as_str().unwrap().to_owned(),
                        e["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks that a problem lists exactly these `(field, code)` pairs, in any order.
pub fn assert_field_errors(problem: &Value, expected: &[(&str, &str)]) {
    let mut actual = field_errors(problem);
    actual.sort();
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(actual, expected);
}

/// Runs each named test against SQLite, and against PostgreSQL when it is configured. Each
/// test receives the fixture that `with` names (a running app unless told otherwise).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        on_both_backends!(with $crate::helpers::spawn: $($name),+);
    };
    (with $fixture:path: $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let fixture = $fixture($crate::helpers::Backend::Sqlite).await.unwrap();
                    super::$name(fixture).await;
                }
            )+
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(fixture) = $fixture($crate::helpers::Backend::Postgres).await {
                        super::$name(fixture).await;
                    }
                }
            )+
        }
    };
}

/// A valid idea body.
pub fn valid_idea() -> Value {
    serde_json::json!({
        "title": "Ren strand i Nibe",
        "answers": {
            "problem": "Efter weekenden ligger der skrald og flasker på stranden ved Nibe.",
            "helpers": "Grundejerforeningen og spejderne",
            "motivation": "En pæn strand til alle",
            "existing_initiatives": "Ren By",
            "new_alliances": "Skolen og sejlklubben"
        },
        "location": {"postcode": "9240", "place": "Nibe"},
        "language": "da",
        "contact": {"name": "Anna Hansen", "email": "anna.hansen@example.dk", "phone": "+45 12 34 56 78"},
        "consent": {"contact": true, "share_contact_with_partners": false, "publish": true}
    })
}
