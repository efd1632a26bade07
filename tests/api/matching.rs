use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_field_errors, json, problem};

on_both_backends!(
    a_green_idea_is_matched_to_grønne_agenter_with_reasons,
    matching_validates_like_submission_and_stores_nothing,
    a_submitted_idea_is_routed_and_its_receipt_holds_the_matching,
    a_complaint_goes_to_triage,
    a_published_idea_is_a_similar_idea_at_the_next_request_and_an_unpublished_one_never,
    a_catalog_change_routes_differently_without_a_restart,
);

fn green_idea() -> Value {
    json!({
        "title": "Reparationscafé i Vejgaard",
        "answers": {
            "problem": "Alt for mange ting bliver smidt ud, fordi ingen kan reparere dem. Vi vil starte en reparationscafé, hvor frivillige fikser cykler, tøj og elektronik, så mindre ender som affald.",
            "helpers": "Pensionister, der er gode med værktøj",
            "existing_initiatives": "Grøn Butik"
        },
        "location": {"postcode": "9220", "place": "Aalborg Øst"}
    })
}

async fn a_green_idea_is_matched_to_grønne_agenter_with_reasons(app: TestApp) {
    let matching = json(app.post_json("/v1/match", &green_idea()).await, 200).await;

    assert_eq!(matching["language"], "da");
    assert_eq!(matching["primary_network"], "groenne-agenter");
    let networks = matching["networks"].as_array().unwrap();
    assert_eq!(networks.len(), 5);
    assert_eq!(networks[0]["slug"], "groenne-agenter");
    assert!(networks[0]["name"]["da"].is_string());
    let score = networks[0]["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    assert!(
        networks[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "term" && r["field"].is_string())
    );
    let initiatives = matching["initiatives"].as_array().unwrap();
    assert!(!initiatives.is_empty() && initiatives.len() <= 5);
    assert!(
        initiatives
            .iter()
            .all(|i| i["slug"].is_string() && i["network"].is_string() && i["reasons"].is_array())
    );
    assert!(
        matching["beacons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["slug"] == "i-groen-balance")
    );
    assert_eq!(matching["similar_ideas"], json!([]));
}

async fn matching_validates_like_submission_and_stores_nothing(app: TestApp) {
    let mut with_contact = green_idea();
    with_contact["contact"] = json!({"email": "anna@example.dk"});
    with_contact["consent"] = json!({"contact": true});

    let response = problem(app.post_json("/v1/match", &with_contact).await, 422).await;

    assert_field_errors(
        &response,
        &[("consent", "unknown_field"), ("contact", "unknown_field")],
    );
    problem(
        app.post_json("/v1/match", &json!({"title": "Hej"})).await,
        422,
    )
    .await;
    json(app.post_json("/v1/match", &green_idea()).await, 200).await;
    assert_eq!(app.ideas_stored().await, 0);
}

async fn a_submitted_idea_is_routed_and_its_receipt_holds_the_matching(app: TestApp) {
    let created = json(app.post_json("/v1/ideas", &green_idea()).await, 201).await;

    assert_eq!(created["status"], "routed");
    assert_eq!(created["network"], "groenne-agenter");
    assert_eq!(created["matching"]["primary_network"], "groenne-agenter");
    let stored = app.read_back(&created).await;
    assert_eq!(stored["network"], "groenne-agenter");
    assert_eq!(stored["matching"], created["matching"]);
}

async fn a_complaint_goes_to_triage(app: TestApp) {
    let complaint = json!({
        "title": "Klage over parkeringsafgift",
        "answers": {"problem": "Jeg fik en afgift foran lægehuset, selvom skiltet var skjult af et træ. Jeg vil have den annulleret."}
    });

    let matching = json(app.post_json("/v1/match", &complaint).await, 200).await;
    let created = json(app.post_json("/v1/ideas", &complaint).await, 201).await;

    assert_eq!(matching["primary_network"], Value::Null);
    assert_eq!(
        matching["networks"][0]["reasons"][0]["kind"],
        "service_request"
    );
    assert_eq!(created["status"], "triage");
    assert_eq!(created["network"], Value::Null);
}

async fn a_published_idea_is_a_similar_idea_at_the_next_request_and_an_unpublished_one_never(
    app: TestApp,
) {
    let mut private = green_idea();
    private["title"] = json!("Privat reparationscafé");
    let private = json(app.post_json("/v1/ideas", &private).await, 201).await;
    let mut published = green_idea();
    published["consent"] = json!({"publish": true});
    let published = json(app.post_json("/v1/ideas", &published).await, 201).await;
    assert!(
        published["matching"]["similar_ideas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != published["id"]),
        "an idea is never its own similar idea"
    );

    let twin = json!({
        "title": "Fix-it café in Vejgaard",
        "answers": {"problem": "So many things are thrown away because nobody can repair them. Let volunteers fix bikes, clothes and electronics so less ends up as waste."}
    });
    let matching = json(app.post_json("/v1/match", &twin).await, 200).await;

    let similar = matching["similar_ideas"].as_array().unwrap();
    assert_eq!(
        similar.first().map(|s| s["id"].clone()),
        Some(published["id"].clone()),
        "{similar:?}"
    );
    assert!(similar.iter().all(|s| s["id"] != private["id"]));
    assert!(!similar[0]["reasons"].as_array().unwrap().is_empty());
}

async fn a_catalog_change_routes_differently_without_a_restart(app: TestApp) {
    let choir = json!({"title": "Kor for alle", "answers": {"problem": "Vi vil starte et kor og et orkester, hvor alle kan synge og spille med."}});
    let before = json(app.post_json("/v1/match", &choir).await, 200).await;
    assert_ne!(before["primary_network"], "musik-netvaerket");
    let addition = json!({"networks": [{
        "slug": "musik-netvaerket", "name": {"da": "Musiknetværket"},
        "description": {"da": "Kor, orkestre, sang og musik for alle aldre."}, "keywords": ["kor", "orkester", "sang", "musik"]
    }]});
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), addition.to_string()).unwrap();

    // The process runs off the test's thread: the app's background tasks (webhook dispatcher,
    // retention job) share that thread, and one blocked mid-transaction would hold the SQLite
    // write lock the import waits for.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sammen"));
    command
        .args(["catalog", "import", file.path().to_str().unwrap()])
        .env("SAMMEN_DATABASE_URL", app.db.url())
        .env("SAMMEN_LOG", "warn");
    let imported = actix_web::rt::task::spawn_blocking(move || command.status())
        .await
        .unwrap()
        .unwrap();
    assert!(imported.success());

    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let after = json(app.post_json("/v1/match", &choir).await, 200).await;
        if after["primary_network"] == "musik-netvaerket" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "routing did not change within 3 s: {after}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
