//! Staff run the catalog over HTTP: networks, initiatives and beacons one at a time, and whole
//! imports. Matching sees every change from the next request.

use reqwest::Method;
use sammen::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_field_errors, json, problem};

on_both_backends!(
    a_new_network_is_matched_at_once_and_deleted_while_no_idea_had_it,
    a_network_that_had_ideas_is_retired_and_comes_back_when_written,
    initiatives_and_beacons_are_created_changed_and_retired,
    bad_catalog_writes_are_refused_and_change_nothing,
    a_catalog_document_is_imported_with_the_rules_of_the_command,
);

fn kayak_network() -> Value {
    json!({
        "slug": "kajak-limfjorden",
        "name": {"da": "Kajak på Limfjorden"},
        "description": {"da": "Kajakroning og kanosejlads på Limfjorden for alle aldre: padling, kajakklubber og kanoture."},
        "keywords": ["kajak", "kano", "padling", "roning"],
        "areas": []
    })
}

fn kayak_idea() -> Value {
    json!({
        "title": "Kajakroning for unge",
        "answers": {"problem": "Unge i Aalborg vil gerne prøve kajak og kano på Limfjorden, men mangler udstyr til padling."}
    })
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = app.with_key(method, path, key);
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

async fn matched_networks(app: &TestApp) -> Vec<String> {
    let matching = json(app.post_json("/v1/match", &kayak_idea()).await, 200).await;
    matching["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn listed(app: &TestApp, path: &str) -> Vec<String> {
    json(app.get(path).await, 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_new_network_is_matched_at_once_and_deleted_while_no_idea_had_it(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    assert!(
        !matched_networks(&app)
            .await
            .contains(&"kajak-limfjorden".to_owned())
    );

    let response = send(
        &app,
        Method::POST,
        "/v1/admin/networks",
        &admin,
        Some(kayak_network()),
    )
    .await;
    assert_eq!(
        response.headers()["location"],
        "/v1/networks/kajak-limfjorden"
    );
    let created = json(response, 201).await;

    assert_eq!(created["name"]["da"], "Kajak på Limfjorden");
    assert_eq!(matched_networks(&app).await[0], "kajak-limfjorden");
    let networks = listed(&app, "/v1/networks").await;
    assert_eq!(
        networks.last().unwrap(),
        "kajak-limfjorden",
        "a new network comes last"
    );
    let revision = app.store.catalog_revision().await.unwrap();

    let deleted = json(
        send(
            &app,
            Method::DELETE,
            "/v1/admin/networks/kajak-limfjorden",
            &admin,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        deleted,
        json!({"slug": "kajak-limfjorden", "outcome": "deleted"})
    );
    assert!(app.store.catalog_revision().await.unwrap() > revision);
    assert!(
        !matched_networks(&app)
            .await
            .contains(&"kajak-limfjorden".to_owned())
    );
    problem(app.get("/v1/networks/kajak-limfjorden").await, 404).await;
    // Deleted, not retired: the slug is free again.
    json(
        send(
            &app,
            Method::POST,
            "/v1/admin/networks",
            &admin,
            Some(kayak_network()),
        )
        .await,
        201,
    )
    .await;
}

async fn a_network_that_had_ideas_is_retired_and_comes_back_when_written(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let created = app.submit(|_| {}).await;
    let network = created["network"].as_str().unwrap().to_owned();
    let path = format!("/v1/admin/networks/{network}");
    let stored = json(app.get(&format!("/v1/networks/{network}")).await, 200).await;

    let retired = json(send(&app, Method::DELETE, &path, &admin, None).await, 200).await;

    assert_eq!(retired["outcome"], "retired");
    assert!(!listed(&app, "/v1/networks").await.contains(&network));
    problem(app.get(&format!("/v1/networks/{network}")).await, 404).await;
    let initiatives = listed(&app, &format!("/v1/initiatives?network={network}")).await;
    assert!(initiatives.is_empty(), "its initiatives leave with it");
    let again = app.submit(|_| {}).await;
    assert_ne!(
        again["network"],
        network.as_str(),
        "matching no longer routes to it"
    );
    assert_eq!(app.read_back(&created).await["network"], network.as_str());
    problem(
        send(
            &app,
            Method::POST,
            "/v1/admin/networks",
            &admin,
            Some(stored.clone()),
        )
        .await,
        409,
    )
    .await;

    let back = json(
        send(&app, Method::PUT, &path, &admin, Some(stored.clone())).await,
        200,
    )
    .await;

    assert_eq!(back, stored);
    assert!(listed(&app, "/v1/networks").await.contains(&network));
    assert!(
        !listed(&app, &format!("/v1/initiatives?network={network}"))
            .await
            .is_empty()
    );
}

async fn initiatives_and_beacons_are_created_changed_and_retired(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let initiative = json!({
        "slug": "kajakskole",
        "network": "groenne-agenter",
        "title": {"da": "Kajakskole på fjorden"},
        "description": {"da": "Lær at padle kajak og kano på Limfjorden."},
        "tags": ["kajak", "kano"]
    });
    json(
        send(
            &app,
            Method::POST,
            "/v1/admin/initiatives",
            &admin,
            Some(initiative.clone()),
        )
        .await,
        201,
    )
    .await;
    let matching = json(app.post_json("/v1/match", &kayak_idea()).await, 200).await;
    assert_eq!(matching["initiatives"][0]["slug"], "kajakskole");

    let mut changed = initiative.clone();
    changed["title"] = json!({"da": "Kajakskolen", "en": "Kayak school"});
    changed.as_object_mut().unwrap().remove("slug");
    let updated = json(
        send(
            &app,
            Method::PUT,
            "/v1/admin/initiatives/kajakskole",
            &admin,
            Some(changed),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["title"]["en"], "Kayak school");
    assert_eq!(
        json(app.get("/v1/initiatives/kajakskole").await, 200).await["title"]["en"],
        "Kayak school"
    );
    let retired = json(
        send(
            &app,
            Method::DELETE,
            "/v1/admin/initiatives/kajakskole",
            &admin,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(retired["outcome"], "retired");
    problem(app.get("/v1/initiatives/kajakskole").await, 404).await;
    let matching = json(app.post_json("/v1/match", &kayak_idea()).await, 200).await;
    assert!(
        matching["initiatives"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["slug"] != "kajakskole")
    );

    let beacon = json!({"slug": "paa-vandet", "name": {"da": "På vandet"}, "description": {"da": "Liv på og ved vandet."}});
    json(
        send(
            &app,
            Method::POST,
            "/v1/admin/beacons",
            &admin,
            Some(beacon),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        listed(&app, "/v1/beacons").await.last().unwrap(),
        "paa-vandet"
    );
    let retired = json(
        send(
            &app,
            Method::DELETE,
            "/v1/admin/beacons/paa-vandet",
            &admin,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(retired["outcome"], "retired");
    assert!(
        !listed(&app, "/v1/beacons")
            .await
            .contains(&"paa-vandet".to_owned())
    );
}

async fn bad_catalog_writes_are_refused_and_change_nothing(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let before = app.store.export_catalog().await.unwrap();
    let revision = app.store.catalog_revision().await.unwrap();

    let invalid = problem(
        send(
            &app,
            Method::POST,
            "/v1/admin/initiatives",
            &admin,
            Some(json!({
                "slug": "Bad Slug", "network": "no-such-network", "title": {}, "colour": "red"
            })),
        )
        .await,
        422,
    )
    .await;
    assert_field_errors(
        &invalid,
        &[
            ("colour", "unknown_field"),
            ("slug", "invalid_slug"),
            ("title", "required"),
            ("description", "required"),
        ],
    );
    let unknown_network = problem(
        send(&app, Method::POST, "/v1/admin/initiatives", &admin, Some(json!({
            "slug": "ok-slug", "network": "no-such-network", "title": {"da": "T"}, "description": {"da": "D"}
        }))).await,
        422,
    )
    .await;
    assert_field_errors(&unknown_network, &[("network", "unknown_network")]);
    let taken = problem(
        send(
            &app,
            Method::POST,
            "/v1/admin/beacons",
            &admin,
            Some(json!({
                "slug": "i-groen-balance", "name": {"da": "X"}, "description": {"da": "Y"}
            })),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(taken["type"], "urn:sammen:problem:slug-taken");
    let mismatch = problem(
        send(
            &app,
            Method::PUT,
            "/v1/admin/beacons/i-groen-balance",
            &admin,
            Some(json!({
                "slug": "another", "name": {"da": "X"}, "description": {"da": "Y"}
            })),
        )
        .await,
        422,
    )
    .await;
    assert_field_errors(&mismatch, &[("slug", "invalid_value")]);
    problem(
        send(
            &app,
            Method::PUT,
            "/v1/admin/beacons/no-such-beacon",
            &admin,
            Some(json!({
                "name": {"da": "X"}, "description": {"da": "Y"}
            })),
        )
        .await,
        404,
    )
    .await;
    problem(
        send(
            &app,
            Method::DELETE,
            "/v1/admin/networks/no-such-network",
            &admin,
            None,
        )
        .await,
        404,
    )
    .await;

    assert_eq!(app.store.export_catalog().await.unwrap(), before);
    assert_eq!(app.store.catalog_revision().await.unwrap(), revision);
}

async fn a_catalog_document_is_imported_with_the_rules_of_the_command(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let created = app.submit(|_| {}).await;
    let broken = json!({
        "networks": [{"slug": "ok-net", "name": {"da": "Net"}, "description": {"da": "B"}, "colour": "red"}],
        "initiatives": [{"slug": "i-one", "network": "missing-net", "title": {"en": "T"}, "description": {"en": "D"}}]
    });
    let refused = problem(
        send(
            &app,
            Method::POST,
            "/v1/admin/catalog",
            &admin,
            Some(broken),
        )
        .await,
        422,
    )
    .await;
    assert_field_errors(
        &refused,
        &[
            ("networks[0].colour", "unknown_field"),
            ("initiatives[0].network", "unknown_network"),
        ],
    );
    assert!(!app.store.network_slugs().await.unwrap().contains("ok-net"));

    let mut demo: Value =
        serde_json::from_str(include_str!("../fixtures/demo-catalog.json")).unwrap();
    let network = created["network"].as_str().unwrap();
    demo["networks"]
        .as_array_mut()
        .unwrap()
        .retain(|n| n["slug"] != network);
    demo["initiatives"]
        .as_array_mut()
        .unwrap()
        .retain(|i| i["network"] != network);
    demo["networks"]
        .as_array_mut()
        .unwrap()
        .push(kayak_network());

    let summary = json(
        send(
            &app,
            Method::POST,
            "/v1/admin/catalog?mode=replace",
            &admin,
            Some(demo.clone()),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(
        summary["networks"],
        demo["networks"].as_array().unwrap().len()
    );
    assert_eq!(
        summary["retired"], 1,
        "the network that had an idea is retired"
    );
    let networks = listed(&app, "/v1/networks").await;
    assert!(!networks.contains(&network.to_owned()));
    assert_eq!(networks.last().unwrap(), "kajak-limfjorden");
    assert_eq!(matched_networks(&app).await[0], "kajak-limfjorden");
    assert_eq!(app.read_back(&created).await["network"], network);
    problem(
        send(
            &app,
            Method::POST,
            "/v1/admin/catalog?mode=merge",
            &admin,
            Some(demo),
        )
        .await,
        400,
    )
    .await;
}
