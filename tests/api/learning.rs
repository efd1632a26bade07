//! The router learns from partners' decisions: ideas forwarded from one network to another
//! pull ideas like them to where they were sent, and the lesson survives a restart.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::Method;
use sammen::config::Seed;
use sammen::domain::{Catalog, Role};
use sammen::store::ImportMode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, json, spawn_with};

on_both_backends!(
    with crate::learning::spawn_with_catalog:
    ideas_forwarded_to_another_network_pull_the_next_ones_there,
);

/// Two networks share a topic: `miljoe` is all about swapping and re-use, `naboskab` mentions
/// it in passing.
fn catalog() -> Catalog {
    let value = json!({
        "networks": [
            {
                "slug": "miljoe",
                "name": {"da": "Miljønetværket"},
                "description": {"da": "Genbrug, affald og bæredygtighed i byen: byttemarkeder, \
                    genbrug af tøj og møbler, reparation og mindre affald."},
                "keywords": ["genbrug", "affald", "bæredygtighed", "tøj", "byttemarked"]
            },
            {
                "slug": "naboskab",
                "name": {"da": "Naboskabsnetværket"},
                "description": {"da": "Fællesskab mellem naboer: fællesspisning, gårdfester, \
                    hjælp til ældre naboer og lidt genbrug i opgangen."},
                "keywords": ["naboer", "fællesskab", "fællesspisning"]
            },
            {
                "slug": "idraet",
                "name": {"da": "Idrætsnetværket"},
                "description": {"da": "Motion, sport og foreninger for børn og voksne."},
                "keywords": ["sport", "motion", "fodbold"]
            }
        ]
    });
    Catalog::parse(&value, &HashSet::new()).expect("a valid catalog")
}

/// The app on an empty database into which [`catalog`] is imported while it runs.
pub async fn spawn_with_catalog(backend: Backend) -> Option<TestApp> {
    let app = spawn_with(backend, |config| config.seed = Seed::None).await?;
    app.store
        .import_catalog(&catalog(), ImportMode::Replace)
        .await
        .expect("import the catalog");
    let deadline = Instant::now() + Duration::from_secs(5);
    while json(app.post_json("/v1/match", &swap("Vejgaard", 0)).await, 200).await["networks"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        assert!(Instant::now() < deadline, "the catalog was not indexed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(app)
}

const PLACES: [&str; 10] = [
    "Vejgaard",
    "Hasseris",
    "Nørresundby",
    "Gug",
    "Vestbyen",
    "Østerbro",
    "Skalborg",
    "Svenstrup",
    "Klarup",
    "Vodskov",
];

/// An idea about a swap market, worded a little differently each time.
fn swap(place: &str, variant: usize) -> Value {
    let things = [
        "tøj og sko",
        "legetøj og bøger",
        "møbler og lamper",
        "børnetøj",
    ][variant % 4];
    json!({
        "title": format!("Byttemarked i {place}"),
        "answers": {
            "problem": format!(
                "Vi vil holde et byttemarked i {place}, hvor folk kan bytte {things} i stedet for \
                 at smide det ud. Genbrug af tøj sparer affald."
            ),
            "helpers": "Beboerne",
        },
        "language": "da"
    })
}

async fn ideas_forwarded_to_another_network_pull_the_next_ones_there(app: TestApp) {
    let new_idea = swap("Aalborg Øst", 1);
    let before = json(app.post_json("/v1/match", &new_idea).await, 200).await;
    assert_eq!(before["primary_network"], "miljoe", "{before}");
    let miljoe = app.key(Role::Partner, &["miljoe"]).await;

    let mut received = Vec::new();
    for i in 0..20 {
        let mut idea = swap(PLACES[i % 10], i);
        idea["consent"] = json!({"contact": false, "share_contact_with_partners": false,
            "publish": false});
        let receipt = json(app.post_json("/v1/ideas", &idea).await, 201).await;
        assert_eq!(receipt["network"], "miljoe", "{receipt}");
        received.push(receipt["id"].as_str().unwrap().to_owned());
    }
    for id in &received {
        let decision = json!({"decision": "forward", "network": "naboskab",
            "note": "Byttemarkeder holder vi i opgangene"});
        let path = format!("/v1/partner/ideas/{id}/decision");
        let response = app
            .with_key(Method::POST, &path, &miljoe)
            .json(&decision)
            .send()
            .await
            .unwrap();
        json(response, 200).await;
    }

    let after = json(app.post_json("/v1/match", &new_idea).await, 200).await;
    assert_eq!(after["primary_network"], "naboskab", "{after}");
    let reasons = |slug: &str| -> Vec<Value> {
        after["networks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["slug"] == slug)
            .unwrap()["reasons"]
            .as_array()
            .unwrap()
            .clone()
    };
    let toward = reasons("naboskab")
        .into_iter()
        .find(|r| r["kind"] == "feedback")
        .expect("a feedback reason");
    assert!(toward["toward"].as_u64().unwrap() >= 5, "{toward}");
    assert_eq!(toward["away"], 0);
    let away = reasons("miljoe")
        .into_iter()
        .find(|r| r["kind"] == "feedback")
        .expect("a feedback reason for the network that passed them on");
    assert!(away["away"].as_u64().unwrap() >= 5, "{away}");

    // An idea on another topic is not moved.
    let football = json!({"title": "Fodbold for piger", "answers": {"problem":
        "Flere piger skal spille fodbold og dyrke motion i klubberne."}, "language": "da"});
    let sport = json(app.post_json("/v1/match", &football).await, 200).await;
    assert_eq!(sport["primary_network"], "idraet", "{sport}");

    // What was learnt is rebuilt from the store at start-up.
    let restarted = sammen::startup::build_matcher(app.store.as_ref(), 0.35)
        .await
        .unwrap();
    assert_eq!(restarted.lessons(), 20);
    let text = sammen::domain::IdeaText::parse(&new_idea).expect("a valid idea");
    assert_eq!(
        restarted.match_idea(&text).primary_network.as_deref(),
        Some("naboskab")
    );
}
