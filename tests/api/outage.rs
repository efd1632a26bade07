//! PostgreSQL going away under a running service and coming back: requests answer 503
//! problem+json meanwhile, `/readyz` says so, and service resumes without a restart.
//!
//! The outage is made by PostgreSQL itself, on the test's own database only: its sessions are
//! terminated (what a server shutdown does to them, SQLSTATE 57P01) and new ones are refused
//! until it accepts connections again. `scripts/outage-test.sh` does the same with a whole
//! server stopped and started under load.

use std::time::{Duration, Instant};

use crate::helpers::{Backend, TestApp, json, problem, spawn, valid_idea};
use serde_json::Value;

/// How long the service may take to notice that the database is back.
const RECOVERY: Duration = Duration::from_secs(10);

/// Ends every session of the app's database and refuses new ones.
async fn take_database_away(app: &TestApp) {
    let name = app.database_name();
    app.on_database_server(format!(
        r#"ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false"#
    ))
    .await;
    app.on_database_server(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;
}

async fn bring_database_back(app: &TestApp) {
    let name = app.database_name();
    app.on_database_server(format!(
        r#"ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true"#
    ))
    .await;
}

/// Every request that needs the database: a submission, a citizen's read, the published ideas.
async fn requests_needing_the_database(app: &TestApp, created: &Value) -> Vec<reqwest::Response> {
    let idea_path = format!("/v1/ideas/{}", created["id"].as_str().unwrap());
    let token = created["citizen_token"].as_str().unwrap();
    vec![
        app.post_json("/v1/ideas", &valid_idea()).await,
        app.client
            .get(app.url(&idea_path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
        app.get("/v1/ideas").await,
        app.get("/readyz").await,
    ]
}

/// PostgreSQL only.
#[actix_web::test]
async fn the_service_answers_503_while_the_database_is_away_and_resumes_by_itself() {
    let Some(app) = spawn(Backend::Postgres).await else {
        return;
    };
    let created = app.submit(|_| {}).await;
    let stored_before = app.ideas_stored().await;

    take_database_away(&app).await;
    // Twice: first on the pool's dead connections, then on refused new ones.
    for _ in 0..2 {
        for response in requests_needing_the_database(&app, &created).await {
            assert!(response.headers().contains_key("retry-after"));
            let body = problem(response, 503).await;
            assert_eq!(body["type"], "urn:sammen:problem:unavailable");
        }
    }
    assert_eq!(json(app.get("/healthz").await, 200).await["status"], "ok");
    // Matching and the catalog's pages need no database and keep working.
    let idea = valid_idea();
    let body = serde_json::json!({"title": idea["title"], "answers": idea["answers"]});
    json(app.post_json("/v1/match", &body).await, 200).await;
    for path in [
        "/v1/networks",
        "/v1/networks/groenne-agenter",
        "/v1/initiatives",
    ] {
        json(app.get(path).await, 200).await;
    }

    bring_database_back(&app).await;
    let started = Instant::now();
    while app.get("/readyz").await.status() != 200 {
        assert!(
            started.elapsed() < RECOVERY,
            "not ready {RECOVERY:?} after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = app.submit(|_| {}).await;
    app.read_back(&again).await;
    app.read_back(&created).await;
    // The refused submissions wrote nothing.
    assert_eq!(app.ideas_stored().await, stored_before + 1);
}
