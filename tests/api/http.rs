use serde_json::Value;

use crate::helpers::{ALLOWED_ORIGIN, TestApp, json, problem};

on_both_backends!(
    health_and_readiness_answer,
    every_response_says_nosniff,
    unknown_paths_and_methods_get_problems,
    browsers_on_allowed_origins_may_call_with_the_idempotency_header,
    other_origins_get_no_cors_permission,
    the_docs_page_and_its_assets_are_served_from_the_binary,
    the_served_openapi_document_is_the_generated_one,
);

async fn health_and_readiness_answer(app: TestApp) {
    assert_eq!(json(app.get("/healthz").await, 200).await["status"], "ok");
    assert_eq!(json(app.get("/readyz").await, 200).await["status"], "ok");
}

async fn every_response_says_nosniff(app: TestApp) {
    for path in [
        "/healthz",
        "/v1/networks",
        "/v1/nothing",
        "/docs/",
        "/openapi.json",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
}

async fn unknown_paths_and_methods_get_problems(app: TestApp) {
    problem(app.get("/v1/nothing").await, 404).await;

    let response = app
        .client
        .delete(app.url("/v1/networks"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    problem(response, 405).await;
    let response = app
        .client
        .put(app.url("/v1/ideas"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert_eq!(problem(response, 405).await["title"], "Method not allowed");
}

async fn browsers_on_allowed_origins_may_call_with_the_idempotency_header(app: TestApp) {
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/ideas"))
        .header("Origin", ALLOWED_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, idempotency-key, authorization",
        )
        .send()
        .await
        .unwrap();

    assert!(preflight.status().is_success());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], ALLOWED_ORIGIN);
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in ["content-type", "idempotency-key", "authorization"] {
        assert!(allowed.contains(header), "{header} not in {allowed}");
    }
    let response = app
        .client
        .get(app.url("/v1/networks"))
        .header("Origin", ALLOWED_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
    let refused = app
        .client
        .get(app.url("/v1/nothing"))
        .header("Origin", ALLOWED_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
}

async fn other_origins_get_no_cors_permission(app: TestApp) {
    let response = app
        .client
        .get(app.url("/v1/networks"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();

    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn the_docs_page_and_its_assets_are_served_from_the_binary(app: TestApp) {
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|piece| piece.ends_with(".js") || piece.ends_with(".css"))
        .collect();
    assert!(!assets.is_empty());
    for asset in assets {
        assert!(!asset.contains("//"), "{asset} is loaded from elsewhere");
        let response = app
            .get(&format!("/docs/{}", asset.trim_start_matches("./")))
            .await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(!response.bytes().await.unwrap().is_empty());
    }
    let initializer = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"));
}

async fn the_served_openapi_document_is_the_generated_one(app: TestApp) {
    let served: Value = json(app.get("/openapi.json").await, 200).await;

    let generated: Value = serde_json::from_str(&sammen::openapi_json()).unwrap();
    assert_eq!(served, generated);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
}

/// PostgreSQL only: a server database can go away under a running service.
#[actix_web::test]
async fn readiness_answers_503_while_the_database_is_gone() {
    let Some(app) = crate::helpers::spawn(crate::helpers::Backend::Postgres).await else {
        return;
    };
    json(app.get("/readyz").await, 200).await;

    app.drop_database().await;

    let response = app.get("/readyz").await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 503).await;
    assert_eq!(json(app.get("/healthz").await, 200).await["status"], "ok");
}
