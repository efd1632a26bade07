//! API keys: created, listed and revoked by admins; refused with 401 and 403 as they should be.

use reqwest::Method;
use sammen::domain::Role;
use serde_json::json;

use crate::helpers::{TestApp, assert_field_errors, json, problem};

on_both_backends!(
    an_admin_creates_lists_and_revokes_partner_keys,
    requests_without_a_valid_key_are_unauthorized,
    a_key_of_the_wrong_role_is_forbidden,
    a_key_with_bad_fields_is_refused_with_every_problem,
);

async fn an_admin_creates_lists_and_revokes_partner_keys(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;

    let response = app
        .with_key(Method::POST, "/v1/admin/keys", &admin)
        .json(
            &json!({"name": "Grønne agenter", "role": "partner", "networks": ["groenne-agenter"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created = json(response, 201).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("smk_") && secret.len() == 47);
    assert_eq!(created["prefix"], &secret[..12]);
    assert_eq!(created["role"], "partner");
    assert_eq!(created["networks"], json!(["groenne-agenter"]));
    assert!(created["last_used_at"].is_null() && created["revoked_at"].is_null());

    // The new key is valid: a partner key on an admin route is 403, not 401.
    let forbidden = app
        .with_key(Method::GET, "/v1/admin/keys", &secret)
        .send()
        .await
        .unwrap();
    problem(forbidden, 403).await;

    let listed = json(
        app.with_key(Method::GET, "/v1/admin/keys?limit=1", &admin)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let cursor = listed["next_cursor"].as_str().unwrap();
    let rest = json(
        app.with_key(
            Method::GET,
            &format!("/v1/admin/keys?cursor={cursor}"),
            &admin,
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert!(rest["next_cursor"].is_null());
    let all: Vec<_> = [&listed, &rest]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap().clone())
        .collect();
    assert_eq!(all.len(), 2);
    let partner = all.iter().find(|k| k["id"] == created["id"]).unwrap();
    assert!(partner.get("secret").is_none());
    assert!(partner["last_used_at"].is_string(), "use is recorded");
    assert!(!all.iter().any(|k| k.to_string().contains(&secret[12..])));

    let id = created["id"].as_str().unwrap();
    let revoked = json(
        app.with_key(Method::DELETE, &format!("/v1/admin/keys/{id}"), &admin)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    let refused = app
        .with_key(Method::GET, "/v1/admin/keys", &secret)
        .send()
        .await
        .unwrap();
    problem(refused, 401).await;
    let unknown = app
        .with_key(
            Method::DELETE,
            &format!("/v1/admin/keys/{}", uuid::Uuid::now_v7()),
            &admin,
        )
        .send()
        .await
        .unwrap();
    problem(unknown, 404).await;
}

async fn requests_without_a_valid_key_are_unauthorized(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let unknown = format!("smk_{}", "A".repeat(43));
    let attempts = [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer not-a-key".to_owned()),
        Some(format!("Bearer {unknown}")),
        Some(format!("Basic {admin}")),
        Some(format!("Bearer {}", &admin[..46])),
    ];
    for authorization in attempts {
        let mut request = app.client.get(app.url("/v1/admin/keys"));
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"sammen\"",
            "{authorization:?}"
        );
        let body = problem(response, 401).await;
        assert_eq!(body["type"], "urn:sammen:problem:unauthorized");
    }
    // A key is never read from the query string.
    for name in ["api_key", "key", "access_token"] {
        let response = app.get(&format!("/v1/admin/keys?{name}={admin}")).await;
        problem(response, 401).await;
    }
}

async fn a_key_of_the_wrong_role_is_forbidden(app: TestApp) {
    let partner = app.key(Role::Partner, &["groenne-agenter"]).await;
    for (method, path) in [
        (Method::GET, "/v1/admin/keys".to_owned()),
        (Method::POST, "/v1/admin/keys".to_owned()),
        (
            Method::DELETE,
            format!("/v1/admin/keys/{}", uuid::Uuid::now_v7()),
        ),
    ] {
        let response = app
            .with_key(method.clone(), &path, &partner)
            .header("accept-language", "en")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let body = problem(response, 403).await;
        assert_eq!(body["title"], "Forbidden", "{method} {path}");
    }
}

async fn a_key_with_bad_fields_is_refused_with_every_problem(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let response = app
        .with_key(Method::POST, "/v1/admin/keys", &admin)
        .json(&json!({"role": "partner", "networks": ["no-such-net", "groenne-agenter", "groenne-agenter"], "scope": "all"}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422).await;
    assert_field_errors(
        &body,
        &[
            ("scope", "unknown_field"),
            ("name", "required"),
            ("networks[0]", "unknown_network"),
            ("networks[2]", "duplicate"),
        ],
    );
    let keys = app.store.list_api_keys(None, 10).await.unwrap();
    assert_eq!(keys.len(), 1, "only the admin key exists");
}
