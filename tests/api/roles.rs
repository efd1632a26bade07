//! Every route of the OpenAPI document states its role, and refuses the others: a partner key
//! on an admin route is 403, an admin key on a partner route 403, no key 401, and the citizen
//! token of another idea 404, exactly like an unknown idea.

use reqwest::Method;
use sammen::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

on_both_backends!(
    every_route_refuses_the_roles_it_is_not_for,
    a_citizen_token_opens_only_its_own_idea_on_every_citizen_route,
);

/// The operations of the OpenAPI document with role `role`: method and path template.
fn operations(role: &str) -> Vec<(Method, String)> {
    let api: Value = serde_json::from_str(&sammen::openapi_json()).unwrap();
    let mut found = Vec::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let stated = operation["x-sammen-role"]
                .as_str()
                .expect("every operation states its role");
            assert!(
                operation["description"]
                    .as_str()
                    .unwrap()
                    .contains("**Role:"),
                "{method} {path} says its role in words"
            );
            if stated == role {
                found.push((method.to_uppercase().parse().unwrap(), path.clone()));
            }
        }
    }
    found
}

/// A concrete path for a template: ids and slugs that exist nowhere.
fn concrete(template: &str, id: &str) -> String {
    template
        .replace("{id}", id)
        .replace("{slug}", "no-such-slug")
}

async fn send(app: &TestApp, method: &Method, path: &str, key: Option<&str>) -> reqwest::Response {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if [Method::POST, Method::PUT, Method::PATCH].contains(method) {
        request = request.json(&json!({}));
    }
    request.send().await.unwrap()
}

async fn every_route_refuses_the_roles_it_is_not_for(app: TestApp) {
    let partner = app.key(Role::Partner, &["groenne-agenter"]).await;
    let admin = app.key(Role::Admin, &[]).await;
    let id = uuid::Uuid::now_v7().to_string();
    let admin_routes = operations("admin");
    let partner_routes = operations("partner");
    assert!(admin_routes.len() >= 20, "{admin_routes:?}");
    assert!(
        admin_routes
            .iter()
            .all(|(_, path)| path.starts_with("/v1/admin/") || path == "/metrics")
    );
    let before = app.store.export_catalog().await.unwrap();

    for (method, template) in &admin_routes {
        let path = concrete(template, &id);
        let forbidden = problem(send(&app, method, &path, Some(&partner)).await, 403).await;
        assert_eq!(
            forbidden["type"], "urn:sammen:problem:forbidden",
            "{method} {path}"
        );
        let missing = send(&app, method, &path, None).await;
        assert_eq!(
            missing.headers()["www-authenticate"],
            "Bearer realm=\"sammen\""
        );
        problem(missing, 401).await;
    }
    for (method, template) in &partner_routes {
        let path = concrete(template, &id);
        problem(send(&app, method, &path, Some(&admin)).await, 403).await;
        problem(send(&app, method, &path, None).await, 401).await;
    }
    assert_eq!(
        app.store.export_catalog().await.unwrap(),
        before,
        "nothing was written"
    );
}

async fn a_citizen_token_opens_only_its_own_idea_on_every_citizen_route(app: TestApp) {
    let mine = app.submit(|_| {}).await;
    let theirs = app.submit(|_| {}).await;
    let token = mine["citizen_token"].as_str().unwrap();
    let routes = operations("citizen");
    let mut described: Vec<String> = routes.iter().map(|(m, p)| format!("{m} {p}")).collect();
    described.sort();
    assert_eq!(
        described,
        [
            "DELETE /v1/ideas/{id}",
            "GET /v1/ideas/{id}",
            "GET /v1/ideas/{id}/export",
            "PATCH /v1/ideas/{id}/consent",
        ]
    );

    for (method, template) in &routes {
        let other = concrete(template, theirs["id"].as_str().unwrap());
        let unknown = concrete(template, &uuid::Uuid::now_v7().to_string());
        let refused = problem(send(&app, method, &other, Some(token)).await, 404).await;
        let absent = problem(send(&app, method, &unknown, Some(token)).await, 404).await;
        assert_eq!(
            refused, absent,
            "{method} {template}: as if it did not exist"
        );
        problem(send(&app, method, &other, None).await, 404).await;
    }
    let still = app.read_back(&theirs).await;
    assert_eq!(still["status"], "routed");
    assert_eq!(still["consent"]["publish"], true);
}
