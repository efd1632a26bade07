//! Partners' decisions: status, history the citizen reads, feed entries, routing feedback.

use reqwest::Method;
use sammen::domain::{DecisionKind, Role};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_field_errors, json, problem, spawn_with};
use crate::partners::drain;

on_both_backends!(
    with crate::decisions::spawn_eager:
    a_partner_reads_one_idea_of_its_networks_and_nothing_else,
    accepting_an_idea_changes_its_status_and_the_citizen_sees_why,
    a_declined_idea_goes_to_each_next_confident_network_then_to_triage,
    a_forwarded_idea_moves_to_the_named_network,
    a_decision_that_cannot_be_made_is_refused,
);

/// The app with every network confident enough to take a declined idea.
pub async fn spawn_eager(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |config| config.routing_min_confidence = 0.0).await
}

async fn decide(app: &TestApp, key: &str, id: &Value, body: Value) -> reqwest::Response {
    let path = format!("/v1/partner/ideas/{}/decision", id.as_str().unwrap());
    app.with_key(Method::POST, &path, key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn read(app: &TestApp, key: &str, id: &Value) -> reqwest::Response {
    let path = format!("/v1/partner/ideas/{}", id.as_str().unwrap());
    app.with_key(Method::GET, &path, key).send().await.unwrap()
}

fn network_of(receipt: &Value) -> &str {
    receipt["network"].as_str().unwrap()
}

async fn a_partner_reads_one_idea_of_its_networks_and_nothing_else(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let own = app.key(Role::Partner, &[network_of(&created)]).await;
    let others: Vec<String> = app
        .store
        .network_slugs()
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n != network_of(&created))
        .collect();
    let other = app.key(Role::Partner, &[others[0].as_str()]).await;

    let response = read(&app, &own, &created["id"]).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let idea = json(response, 200).await;
    assert_eq!(idea["id"], created["id"]);
    assert_eq!(idea["history"][0]["actor"], "matching");
    assert_eq!(idea["history"][0]["status"], "routed");
    assert!(idea.get("contact").is_none(), "not shared: absent");
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let reads = app.store.list_partner_reads(id).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(
        (reads[0].access.as_str(), reads[0].contact),
        ("idea", false)
    );

    let hidden = problem(read(&app, &other, &created["id"]).await, 404).await;
    let unknown = problem(
        read(&app, &other, &json!(uuid::Uuid::now_v7().to_string())).await,
        404,
    )
    .await;
    assert_eq!(
        hidden, unknown,
        "another network's idea is as if it did not exist"
    );
    assert_eq!(app.store.list_partner_reads(id).await.unwrap().len(), 1);
}

async fn accepting_an_idea_changes_its_status_and_the_citizen_sees_why(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let network = network_of(&created);
    let key = app.key(Role::Partner, &[network]).await;
    let (_, cursor) = drain(&app, &key, None, 20).await;

    let entry = json(
        decide(
            &app,
            &key,
            &created["id"],
            json!({"decision": "accept", "note": "Vi mødes lørdag kl. 10 ved havnen."}),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(entry["status"], "accepted");
    assert_eq!(entry["decision"], "accept");
    assert_eq!(entry["network"], network);
    let citizen = app.read_back(&created).await;
    assert_eq!(citizen["status"], "accepted");
    let history = citizen["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["actor"], "matching");
    assert_eq!(history[1]["actor"], "partner");
    assert_eq!(history[1]["actor_network"], network);
    assert_eq!(history[1]["note"], "Vi mødes lørdag kl. 10 ved havnen.");
    assert!(history[1]["at"].as_str().unwrap() >= history[0]["at"].as_str().unwrap());
    let (entries, _) = drain(&app, &key, Some(cursor), 20).await;
    assert_eq!(entries.len(), 1, "a status change appends an entry");
    assert_eq!(entries[0]["event"], "idea.status_changed");
    assert_eq!(entries[0]["idea"]["status"], "accepted");

    problem(
        decide(&app, &key, &created["id"], json!({"decision": "accept"})).await,
        409,
    )
    .await;
    let feedback = app.store.list_routing_feedback().await.unwrap();
    assert_eq!(feedback.len(), 1);
    assert_eq!(feedback[0].decision, DecisionKind::Accept);
    assert_eq!(feedback[0].from_network.as_deref(), Some(network));
    assert_eq!(feedback[0].to_network.as_deref(), Some(network));
}

async fn a_declined_idea_goes_to_each_next_confident_network_then_to_triage(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let order: Vec<String> = created["matching"]["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order.len(), 5);
    let all: Vec<&str> = order.iter().map(String::as_str).collect();
    let key = app.key(Role::Partner, &all).await;

    for (i, declining) in order.iter().enumerate() {
        let entry = json(
            decide(&app, &key, &created["id"], json!({"decision": "decline"})).await,
            200,
        )
        .await;
        assert_eq!(entry["actor_network"], declining.as_str());
        match order.get(i + 1) {
            Some(next) => {
                assert_eq!(entry["status"], "routed");
                assert_eq!(entry["network"], next.as_str());
            }
            None => {
                assert_eq!(entry["status"], "triage");
                assert!(entry["network"].is_null());
            }
        }
    }

    let citizen = app.read_back(&created).await;
    assert_eq!(citizen["status"], "triage");
    assert_eq!(citizen["history"].as_array().unwrap().len(), 6);
    problem(read(&app, &key, &created["id"]).await, 404).await;
    let feedback = app.store.list_routing_feedback().await.unwrap();
    let path: Vec<(String, Option<String>)> = feedback
        .iter()
        .map(|f| (f.from_network.clone().unwrap(), f.to_network.clone()))
        .collect();
    let expected: Vec<(String, Option<String>)> = order
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), order.get(i + 1).cloned()))
        .collect();
    assert_eq!(path, expected);
    assert!(feedback.iter().all(|f| f.decision == DecisionKind::Decline));
    // Each network was told twice: routed to it, then gone from it.
    let (entries, _) = drain(&app, &key, None, 100).await;
    let events: Vec<&str> = entries
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events.iter().filter(|e| **e == "idea.routed").count(), 5);
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == "idea.status_changed")
            .count(),
        5
    );
    assert!(
        entries.iter().all(|e| e["idea"].is_null()),
        "the idea is no longer theirs"
    );
}

async fn a_forwarded_idea_moves_to_the_named_network(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let from = network_of(&created).to_owned();
    let to = app
        .store
        .network_slugs()
        .await
        .unwrap()
        .into_iter()
        .find(|n| *n != from)
        .unwrap();
    let sender = app.key(Role::Partner, &[&from]).await;
    let receiver = app.key(Role::Partner, &[&to]).await;

    let entry = json(
        decide(
            &app,
            &sender,
            &created["id"],
            json!({"decision": "forward", "network": to, "note": "Det er jeres område."}),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(entry["status"], "routed");
    assert!(
        entry["network"].is_null(),
        "the sender does not hold the target"
    );
    problem(read(&app, &sender, &created["id"]).await, 404).await;
    let idea = json(read(&app, &receiver, &created["id"]).await, 200).await;
    assert_eq!(idea["network"], to.as_str());
    assert_eq!(idea["history"][1]["note"], "Det er jeres område.");
    assert_eq!(idea["history"][1]["decision"], "forward");
    let (entries, _) = drain(&app, &receiver, None, 20).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["event"], "idea.routed");
    let (entries, _) = drain(&app, &sender, None, 20).await;
    let events: Vec<&Value> = entries.iter().map(|e| &e["event"]).collect();
    assert_eq!(
        events,
        [&json!("idea.routed"), &json!("idea.status_changed")]
    );
    let feedback = app.store.list_routing_feedback().await.unwrap();
    assert_eq!(feedback[0].decision, DecisionKind::Forward);
    assert_eq!(feedback[0].to_network.as_deref(), Some(to.as_str()));
}

async fn a_decision_that_cannot_be_made_is_refused(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let network = network_of(&created).to_owned();
    let key = app.key(Role::Partner, &[&network]).await;
    let other = app
        .key(
            Role::Partner,
            &[if network == "tryg-aalborg" {
                "groenne-agenter"
            } else {
                "tryg-aalborg"
            }],
        )
        .await;

    for (body, field, code) in [
        (
            json!({"decision": "forward", "network": "no-such-net"}),
            "network",
            "unknown_network",
        ),
        (
            json!({"decision": "forward", "network": network}),
            "network",
            "invalid_value",
        ),
        (json!({"decision": "forward"}), "network", "required"),
        (json!({"decision": "approve"}), "decision", "invalid_value"),
    ] {
        let refused = problem(decide(&app, &key, &created["id"], body).await, 422).await;
        assert_field_errors(&refused, &[(field, code)]);
    }
    problem(
        decide(&app, &other, &created["id"], json!({"decision": "accept"})).await,
        404,
    )
    .await;
    assert_eq!(app.read_back(&created).await["status"], "routed");
    assert!(app.store.list_routing_feedback().await.unwrap().is_empty());
}
