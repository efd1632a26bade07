//! Staff and ideas: the list with filters, one idea, the triage queue, routing by hand and
//! moderation.

use reqwest::Method;
use sammen::domain::{ActorKind, DecisionKind, Role};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_field_errors, json, problem};
use crate::partners::{drain, newcomer_idea};
use crate::webhooks::{Receiver, register};

on_both_backends!(
    with crate::webhooks::spawn_fast:
    staff_list_ideas_with_filters_newest_first_a_page_at_a_time,
    one_idea_shows_staff_everything_and_the_read_is_audited,
    triage_lists_ideas_no_network_took_and_staff_route_them_by_hand,
    a_hidden_idea_leaves_similar_ideas_at_once_and_comes_back_when_unhidden,
);

/// An idea no network takes: a complaint to a municipal service.
pub fn complaint(title: &str) -> Value {
    json!({
        "title": title,
        "answers": {"problem": "Jeg fik en afgift foran lægehuset, selvom skiltet var skjult af et træ. Jeg vil have den annulleret."},
        "location": {"postcode": "9000"}
    })
}

pub async fn admin_get(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.with_key(Method::GET, path, key).send().await.unwrap()
}

pub async fn admin_post(app: &TestApp, key: &str, path: &str, body: Value) -> reqwest::Response {
    app.with_key(Method::POST, path, key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn repair_cafe() -> Value {
    json!({
        "title": "Reparationscafé i Vejgaard",
        "answers": {"problem": "Alt for mange ting bliver smidt ud, fordi ingen kan reparere dem. Vi vil starte en reparationscafé, hvor frivillige fikser cykler, tøj og elektronik, så mindre ender som affald."},
        "location": {"postcode": "9220"}
    })
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn listed(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    ids(&json(
        admin_get(app, key, &format!("/v1/admin/ideas?{query}")).await,
        200,
    )
    .await)
}

async fn staff_list_ideas_with_filters_newest_first_a_page_at_a_time(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let beach = app.submit(|_| {}).await;
    let newcomers = app.submit(|i| *i = newcomer_idea()).await;
    let complaint = app.submit(|i| *i = complaint("Klage over parkering")).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();

    let all = json(admin_get(&app, &admin, "/v1/admin/ideas").await, 200).await;
    let repair = app.submit(|i| *i = repair_cafe()).await;

    assert_eq!(ids(&all), [id(&complaint), id(&newcomers), id(&beach)]);
    let first = &all["items"][2];
    assert_eq!(first["title"], "Ren strand i Nibe");
    assert_eq!(first["has_contact"], true);
    assert!(first.get("contact").is_none() && first.get("answers").is_none());

    let network = beach["network"].as_str().unwrap();
    assert_eq!(
        listed(&app, &admin, &format!("network={network}")).await,
        [id(&beach)]
    );
    assert_eq!(
        listed(&app, &admin, "status=triage").await,
        [id(&complaint)]
    );
    assert_eq!(listed(&app, &admin, "postcode=9240").await, [id(&beach)]);
    let beacon = "i-groen-balance";
    let with_beacon = listed(&app, &admin, &format!("beacon={beacon}")).await;
    assert!(with_beacon.contains(&id(&repair)));
    let everything = json(
        admin_get(&app, &admin, "/v1/admin/ideas?limit=100").await,
        200,
    )
    .await;
    for item in everything["items"].as_array().unwrap() {
        let serves = item["beacons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == beacon);
        assert_eq!(
            serves,
            with_beacon.contains(&item["id"].as_str().unwrap().to_owned())
        );
    }
    assert_eq!(
        listed(&app, &admin, "q=SPROGCAF%C3%A9").await,
        [id(&newcomers)]
    );
    assert_eq!(
        listed(&app, &admin, "q=flasker").await,
        [id(&beach)],
        "the answers are searched"
    );
    assert_eq!(
        listed(&app, &admin, "q=100%25").await,
        Vec::<String>::new(),
        "% is no wildcard"
    );
    assert_eq!(
        listed(&app, &admin, "created_from=2999-01-01").await,
        Vec::<String>::new()
    );
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert_eq!(
        listed(&app, &admin, &format!("created_to={today}")).await,
        ids(&everything)
    );
    let routed: Vec<String> = everything["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "routed")
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(routed.len() >= 2);
    assert_eq!(
        listed(&app, &admin, "hidden=false&status=routed").await,
        routed
    );

    let mut seen = Vec::new();
    let mut path = "/v1/admin/ideas?limit=1".to_owned();
    loop {
        let page = json(admin_get(&app, &admin, &path).await, 200).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/admin/ideas?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids(&everything));
    assert_eq!(seen.len(), 4);

    let bad = problem(
        admin_get(&app, &admin, "/v1/admin/ideas?status=lost&postcode=92&created_from=yesterday&hidden=maybe&network=Net&colour=red").await,
        400,
    )
    .await;
    assert_field_errors(
        &bad,
        &[
            ("status", "invalid_value"),
            ("postcode", "invalid_format"),
            ("created_from", "invalid_format"),
            ("hidden", "invalid_value"),
            ("network", "invalid_slug"),
            ("colour", "unknown_field"),
        ],
    );
}

async fn one_idea_shows_staff_everything_and_the_read_is_audited(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let created = app.submit(|_| {}).await;
    let path = format!("/v1/admin/ideas/{}", created["id"].as_str().unwrap());

    let response = admin_get(&app, &admin, &path).await;

    assert_eq!(response.headers()["cache-control"], "no-store");
    let idea = json(response, 200).await;
    assert_eq!(idea["contact"]["email"], "anna.hansen@example.dk");
    assert_eq!(
        idea["answers"]["helpers"],
        "Grundejerforeningen og spejderne"
    );
    assert_eq!(idea["history"][0]["actor"], "matching");
    assert!(idea["hidden"].is_null());
    assert_eq!(idea["moderation"], json!([]));
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let reads = app.store.list_partner_reads(id).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(
        (reads[0].access.as_str(), reads[0].contact),
        ("admin", true)
    );
    let unknown = format!("/v1/admin/ideas/{}", uuid::Uuid::now_v7());
    problem(admin_get(&app, &admin, &unknown).await, 404).await;
}

async fn triage_lists_ideas_no_network_took_and_staff_route_them_by_hand(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let first = app.submit(|i| *i = complaint("Klage over parkering")).await;
    let second = app.submit(|i| *i = complaint("Klage over afgift")).await;
    app.submit(|_| {}).await;
    let partner = app.key(Role::Partner, &["tryg-aalborg"]).await;
    let receiver = Receiver::start(0, |_| (204, None)).await;
    register(&app, &partner, &receiver.url).await;
    let (_, cursor) = drain(&app, &partner, None, 20).await;

    let queue = json(admin_get(&app, &admin, "/v1/admin/triage").await, 200).await;

    assert_eq!(
        ids(&queue),
        [
            first["id"].as_str().unwrap(),
            second["id"].as_str().unwrap()
        ]
    );
    let item = &queue["items"][0];
    assert_eq!(item["title"], "Klage over parkering");
    assert_eq!(item["postcode"], "9000");
    let candidates = item["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 3);
    assert!(
        candidates
            .iter()
            .all(|c| c["slug"].is_string() && c["reasons"].is_array())
    );
    let paged = json(
        admin_get(&app, &admin, "/v1/admin/triage?limit=1").await,
        200,
    )
    .await;
    assert_eq!(ids(&paged), [first["id"].as_str().unwrap()]);

    let route = format!("/v1/admin/ideas/{}/route", first["id"].as_str().unwrap());
    let unknown = problem(
        admin_post(&app, &admin, &route, json!({"network": "no-such-network"})).await,
        422,
    )
    .await;
    assert_field_errors(&unknown, &[("network", "unknown_network")]);
    let entry = json(
        admin_post(
            &app,
            &admin,
            &route,
            json!({"network": "tryg-aalborg", "note": "Parkering og tryghed ved lægehuset."}),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(entry["actor"], "staff");
    assert_eq!(entry["decision"], "route");
    assert_eq!(
        (entry["status"].as_str(), entry["network"].as_str()),
        (Some("routed"), Some("tryg-aalborg"))
    );
    let queue = json(admin_get(&app, &admin, "/v1/admin/triage").await, 200).await;
    assert_eq!(ids(&queue), [second["id"].as_str().unwrap()]);
    let citizen = app.read_back(&first).await;
    assert_eq!(citizen["network"], "tryg-aalborg");
    assert_eq!(
        citizen["history"][1]["note"],
        "Parkering og tryghed ved lægehuset."
    );
    let (entries, _) = drain(&app, &partner, Some(cursor), 20).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["event"], "idea.routed");
    assert_eq!(entries[0]["idea"]["id"], first["id"]);
    let delivered = receiver.wait_for(1).await;
    let payload: Value = serde_json::from_slice(&delivered.values().next().unwrap().body).unwrap();
    assert_eq!(payload["type"], "idea.routed");
    assert_eq!(payload["data"]["idea_id"], first["id"]);
    let feedback = app.store.list_routing_feedback().await.unwrap();
    assert_eq!(feedback.len(), 1);
    assert_eq!(
        feedback[0].idea_id.to_string(),
        first["id"].as_str().unwrap()
    );
    assert_eq!(
        (feedback[0].actor, feedback[0].decision),
        (ActorKind::Staff, DecisionKind::Route)
    );
    assert_eq!(feedback[0].from_network, None);
    assert_eq!(feedback[0].to_network.as_deref(), Some("tryg-aalborg"));
    let again = problem(
        admin_post(&app, &admin, &route, json!({"network": "tryg-aalborg"})).await,
        422,
    )
    .await;
    assert_field_errors(&again, &[("network", "invalid_value")]);
}

async fn detail_moderation(app: &TestApp, admin: &str, id: &str) -> Vec<String> {
    let detail = json(
        admin_get(app, admin, &format!("/v1/admin/ideas/{id}")).await,
        200,
    )
    .await;
    detail["moderation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn similar_titles(app: &TestApp, idea: &Value) -> Vec<String> {
    let matching = json(app.post_json("/v1/match", idea).await, 200).await;
    matching["similar_ideas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_hidden_idea_leaves_similar_ideas_at_once_and_comes_back_when_unhidden(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let published = app.submit(|_| {}).await;
    let id = published["id"].as_str().unwrap().to_owned();
    let later = app.submit(|_| {}).await;
    // Other published ideas, so that the similar ideas' index is not made of copies alone.
    for _ in 0..3 {
        app.submit(|i| {
            *i = newcomer_idea();
            i["consent"]["publish"] = json!(true);
        })
        .await;
    }
    let mut text = crate::helpers::valid_idea();
    for field in ["contact", "consent"] {
        text.as_object_mut().unwrap().remove(field);
    }
    assert!(similar_titles(&app, &text).await.contains(&id));
    assert_eq!(
        app.read_back(&later).await["matching"]["similar_ideas"][0]["id"],
        id.as_str()
    );
    let moderation = format!("/v1/admin/ideas/{id}/moderation");
    let missing = problem(
        admin_post(&app, &admin, &moderation, json!({"action": "delete"})).await,
        422,
    )
    .await;
    assert_field_errors(
        &missing,
        &[("action", "invalid_value"), ("reason", "required")],
    );

    let hidden = json(
        admin_post(
            &app,
            &admin,
            &moderation,
            json!({"action": "hide", "reason": "Navngiver en nabo."}),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(hidden["hidden"]["reason"], "Navngiver en nabo.");
    assert!(!similar_titles(&app, &text).await.contains(&id));
    // Nor after a restart: start-up indexes published ideas that are not hidden.
    let restarted = sammen::startup::build_matcher(app.store.as_ref(), 0.35)
        .await
        .unwrap();
    assert_eq!(restarted.published_ideas(), 4);
    let matched = restarted.match_idea(&sammen::domain::IdeaText::parse(&text).unwrap());
    assert!(matched.similar_ideas.iter().all(|s| s.id.to_string() != id));
    let stored = app.read_back(&later).await["matching"]["similar_ideas"].clone();
    assert!(
        stored
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != id.as_str()),
        "{stored}"
    );
    assert_eq!(listed(&app, &admin, "hidden=true").await, vec![id.clone()]);
    let detail = json(
        admin_get(&app, &admin, &format!("/v1/admin/ideas/{id}")).await,
        200,
    )
    .await;
    assert_eq!(detail["moderation"][0]["action"], "hide");
    assert_eq!(detail["moderation"][0]["reason"], "Navngiver en nabo.");

    let shown = json(
        admin_post(
            &app,
            &admin,
            &moderation,
            json!({"action": "unhide", "reason": "Navnet er fjernet."}),
        )
        .await,
        200,
    )
    .await;

    assert!(shown["hidden"].is_null());
    assert!(similar_titles(&app, &text).await.contains(&id));
    assert_eq!(
        detail_moderation(&app, &admin, &id).await,
        ["hide", "unhide"]
    );
    let unknown = format!("/v1/admin/ideas/{}/moderation", uuid::Uuid::now_v7());
    problem(
        admin_post(
            &app,
            &admin,
            &unknown,
            json!({"action": "hide", "reason": "x"}),
        )
        .await,
        404,
    )
    .await;
}
