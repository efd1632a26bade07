use std::collections::BTreeSet;

use crate::helpers::{TestApp, assert_field_errors, json, problem};

on_both_backends!(
    the_five_networks_of_aalborg_are_listed,
    a_network_is_found_by_slug_and_an_unknown_slug_is_not_found,
    paging_through_initiatives_returns_each_exactly_once,
    initiatives_can_be_filtered_by_network,
    the_five_beacons_are_listed_in_order,
    bad_paging_parameters_are_refused_with_every_problem,
    the_five_questions_are_served_for_the_form,
);

async fn the_five_networks_of_aalborg_are_listed(app: TestApp) {
    let body = json(app.get("/v1/networks").await, 200).await;

    let slugs: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        [
            "de-frivilliges-hus",
            "international-house",
            "groenne-agenter",
            "landdistriktsudvikling",
            "tryg-aalborg"
        ]
    );
    assert!(body["next_cursor"].is_null());
    for network in body["items"].as_array().unwrap() {
        assert!(network["name"]["da"].is_string() && network["name"]["en"].is_string());
        assert!(network["description"]["da"].is_string());
    }
}

async fn a_network_is_found_by_slug_and_an_unknown_slug_is_not_found(app: TestApp) {
    let network = json(app.get("/v1/networks/groenne-agenter").await, 200).await;
    assert_eq!(network["slug"], "groenne-agenter");

    problem(app.get("/v1/networks/no-such-network").await, 404).await;
    problem(app.get("/v1/initiatives/no-such-initiative").await, 404).await;
}

async fn paging_through_initiatives_returns_each_exactly_once(app: TestApp) {
    let all = app.store.export_catalog().await.unwrap().initiatives;
    let mut seen = Vec::new();
    let mut path = "/v1/initiatives?limit=7".to_owned();
    loop {
        let page = json(app.get(&path).await, 200).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|i| i["slug"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/initiatives?limit=7&cursor={cursor}"),
            None => break,
        }
    }

    let mut expected: Vec<String> = all.iter().map(|i| i.slug.clone()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    let one = json(app.get(&format!("/v1/initiatives/{}", seen[0])).await, 200).await;
    assert_eq!(one["slug"], seen[0].as_str());
}

async fn initiatives_can_be_filtered_by_network(app: TestApp) {
    let page = json(
        app.get("/v1/initiatives?network=tryg-aalborg&limit=100")
            .await,
        200,
    )
    .await;

    let networks: BTreeSet<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["network"].as_str().unwrap())
        .collect();
    assert_eq!(networks, BTreeSet::from(["tryg-aalborg"]));
    assert!(page["next_cursor"].is_null());
}

async fn the_five_beacons_are_listed_in_order(app: TestApp) {
    let body = json(app.get("/v1/beacons").await, 200).await;

    let slugs: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        [
            "alle-kan-noget",
            "med-gode-forbindelser",
            "med-store-oplevelser",
            "i-groen-balance",
            "i-faellesskab"
        ]
    );
    assert_eq!(body["items"][3]["name"]["da"], "I grøn balance");
}

async fn bad_paging_parameters_are_refused_with_every_problem(app: TestApp) {
    let body = problem(
        app.get("/v1/initiatives?limit=1000000&cursor=nonsense&colour=red")
            .await,
        400,
    )
    .await;

    assert_field_errors(
        &body,
        &[
            ("colour", "unknown_field"),
            ("cursor", "invalid_cursor"),
            ("limit", "out_of_range"),
        ],
    );
    problem(app.get("/v1/initiatives?limit=0").await, 400).await;
    problem(app.get("/v1/initiatives?limit=-5").await, 400).await;
    problem(app.get("/v1/networks?page=2").await, 400).await;
}

async fn the_five_questions_are_served_for_the_form(app: TestApp) {
    let body = json(app.get("/v1/questions").await, 200).await;

    let keys: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "problem",
            "helpers",
            "motivation",
            "existing_initiatives",
            "new_alliances"
        ]
    );
    let problem = &body["items"][0];
    assert_eq!(problem["required"], true);
    assert_eq!(problem["min_length"], 10);
    assert_eq!(problem["max_length"], 5000);
    assert!(problem["label"]["da"].is_string() && problem["help"]["en"].is_string());
}
