//! A partner key of network A never sees network B's ideas, on any partner route.

use std::collections::BTreeSet;

use reqwest::Method;
use sammen::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json, problem};
use crate::partners::{drain, newcomer_idea};
use crate::webhooks::{Receiver, register, verify};

on_both_backends!(
    with crate::webhooks::spawn_fast:
    a_partner_key_never_sees_another_networks_ideas_on_any_route,
);

/// One network's side: its key, its idea and its webhook.
struct Tenant {
    network: String,
    key: String,
    idea: Value,
    webhook: Value,
}

impl Tenant {
    async fn new(app: &TestApp, idea: Value, hook: &str) -> Tenant {
        let network = idea["network"].as_str().unwrap().to_owned();
        let key = app.key(Role::Partner, &[&network]).await;
        let webhook = register(app, &key, hook).await;
        Tenant {
            network,
            key,
            idea,
            webhook,
        }
    }
}

/// The partner operations of the OpenAPI document, as `METHOD path`.
fn partner_operations() -> BTreeSet<String> {
    let api: Value = serde_json::from_str(&sammen::openapi_json()).unwrap();
    let mut operations = BTreeSet::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        if path.starts_with("/v1/partner/") {
            for method in item.as_object().unwrap().keys() {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    operations
}

async fn a_partner_key_never_sees_another_networks_ideas_on_any_route(app: TestApp) {
    let receiver = Receiver::start(0, |_| (204, None)).await;
    let a = Tenant::new(&app, app.submit(|_| {}).await, &receiver.url).await;
    let b = Tenant::new(
        &app,
        app.submit(|i| *i = newcomer_idea()).await,
        &receiver.url,
    )
    .await;
    assert_ne!(a.network, b.network);
    let admin = app.key(Role::Admin, &[]).await;

    let mut walked = BTreeSet::new();
    for (me, other) in [(&a, &b), (&b, &a)] {
        walked.extend(walk(&app, me, other).await);
    }
    assert_eq!(
        walked,
        partner_operations(),
        "every partner route was walked"
    );

    // Each webhook heard only of its own network's idea (the two accept decisions).
    let delivered = receiver.wait_for(2).await;
    assert_eq!(delivered.len(), 2);
    for received in delivered.values() {
        let payload: Value = serde_json::from_slice(&received.body).unwrap();
        let owner = if payload["data"]["network"] == a.network.as_str() {
            &a
        } else {
            &b
        };
        assert_eq!(payload["data"]["idea_id"], owner.idea["id"]);
        assert!(verify(owner.webhook["secret"].as_str().unwrap(), received));
    }

    // An admin key is not a partner key.
    for operation in &walked {
        let (method, path) = operation.split_once(' ').unwrap();
        let path = path.replace("{id}", a.idea["id"].as_str().unwrap());
        let response = app
            .with_key(method.parse().unwrap(), &path, &admin)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        problem(response, 403).await;
    }
    receiver.stop().await;
}

/// Walks every partner route with `me`'s key and checks that nothing of `other` shows;
/// returns the operations walked.
async fn walk(app: &TestApp, me: &Tenant, other: &Tenant) -> Vec<String> {
    let my_idea = me.idea["id"].as_str().unwrap();
    let their_idea = other.idea["id"].as_str().unwrap();
    let their_hook = other.webhook["id"].as_str().unwrap();
    let send = async |method: Method, path: String, body: Option<Value>| {
        let mut request = app.with_key(method, &path, &me.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    };

    let (entries, _) = drain(app, &me.key, None, 100).await;
    assert!(!entries.is_empty());
    assert!(
        entries.iter().all(|e| e["idea_id"] == my_idea),
        "only my ideas in my feed"
    );
    assert!(
        !serde_json::to_string(&entries)
            .unwrap()
            .contains(their_idea)
    );

    let mine = json(
        send(Method::GET, format!("/v1/partner/ideas/{my_idea}"), None).await,
        200,
    )
    .await;
    assert_eq!(mine["network"], me.network.as_str());
    let theirs = problem(
        send(Method::GET, format!("/v1/partner/ideas/{their_idea}"), None).await,
        404,
    )
    .await;
    let unknown = problem(
        send(
            Method::GET,
            format!("/v1/partner/ideas/{}", uuid::Uuid::now_v7()),
            None,
        )
        .await,
        404,
    )
    .await;
    assert_eq!(theirs, unknown);

    for decision in ["accept", "decline"] {
        problem(
            send(
                Method::POST,
                format!("/v1/partner/ideas/{their_idea}/decision"),
                Some(json!({"decision": decision})),
            )
            .await,
            404,
        )
        .await;
    }

    let hooks = json(
        send(Method::GET, "/v1/partner/webhooks".into(), None).await,
        200,
    )
    .await;
    let hooks = hooks["items"].as_array().unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["id"], me.webhook["id"]);
    problem(
        send(
            Method::GET,
            format!("/v1/partner/webhooks/{their_hook}/deliveries"),
            None,
        )
        .await,
        404,
    )
    .await;
    problem(
        send(
            Method::DELETE,
            format!("/v1/partner/webhooks/{their_hook}"),
            None,
        )
        .await,
        404,
    )
    .await;
    let extra = json(
        send(
            Method::POST,
            "/v1/partner/webhooks".into(),
            Some(json!({"url": me.webhook["url"]})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        extra["networks"],
        json!([me.network]),
        "a webhook hears only my networks"
    );
    let extra_path = format!("/v1/partner/webhooks/{}", extra["id"].as_str().unwrap());
    assert_eq!(send(Method::DELETE, extra_path, None).await.status(), 204);

    // Only my decision: accept my own idea last, so the other tenant's walk still sees it.
    let accepted = json(
        send(
            Method::POST,
            format!("/v1/partner/ideas/{my_idea}/decision"),
            Some(json!({"decision": "accept"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(accepted["status"], "accepted");

    [
        "GET /v1/partner/ideas",
        "GET /v1/partner/ideas/{id}",
        "POST /v1/partner/ideas/{id}/decision",
        "GET /v1/partner/webhooks",
        "POST /v1/partner/webhooks",
        "DELETE /v1/partner/webhooks/{id}",
        "GET /v1/partner/webhooks/{id}/deliveries",
    ]
    .map(str::to_owned)
    .to_vec()
}
