//! Citizens and their rights: status, access (art. 15), consent, erasure (art. 17), and the
//! published ideas anyone may read.

use reqwest::Method;
use sammen::domain::{IdeaStatus, Role};
use serde_json::{Value, json};

use crate::admin_ideas::{admin_get, complaint};
use crate::helpers::{TestApp, TestDb, assert_field_errors, json, problem, valid_idea};
use crate::partners::{drain, newcomer_idea};

on_both_backends!(
    a_citizen_reads_the_status_in_both_languages_and_how_to_reach_the_network,
    an_export_holds_everything_stored_and_who_read_it,
    withdrawn_consent_stops_sharing_and_erases_contact_data,
    published_ideas_are_listed_without_contact_data_newest_first,
    the_published_list_shows_the_beacons_each_idea_serves_and_filters_by_them,
    an_erasure_leaves_no_trace_of_the_text_or_the_address_in_the_database,
);

fn citizen(
    app: &TestApp,
    method: Method,
    created: &Value,
    suffix: &str,
) -> reqwest::RequestBuilder {
    let path = format!("/v1/ideas/{}{suffix}", created["id"].as_str().unwrap());
    app.client
        .request(method, app.url(&path))
        .bearer_auth(created["citizen_token"].as_str().unwrap())
}

/// The same request with the token of `other`: refused like an unknown idea.
async fn refused_with_another_token(
    app: &TestApp,
    method: Method,
    created: &Value,
    other: &Value,
    suffix: &str,
) {
    let path = format!("/v1/ideas/{}{suffix}", created["id"].as_str().unwrap());
    let mut request = app
        .client
        .request(method, app.url(&path))
        .bearer_auth(other["citizen_token"].as_str().unwrap());
    if suffix == "/consent" {
        request = request.json(&json!({"publish": false}));
    }
    let refused = problem(request.send().await.unwrap(), 404).await;
    assert_eq!(refused["type"], "urn:sammen:problem:not-found");
}

async fn consent(app: &TestApp, created: &Value, body: Value) -> reqwest::Response {
    citizen(app, Method::PATCH, created, "/consent")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn a_citizen_reads_the_status_in_both_languages_and_how_to_reach_the_network(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let triaged = app.submit(|i| *i = complaint("Klage over parkering")).await;

    let idea = app.read_back(&created).await;

    assert_eq!(idea["status"], "routed");
    assert_eq!(
        idea["status_label"],
        json!({"da": "Sendt videre til et netværk", "en": "Passed on to a network"})
    );
    let network = json(
        app.get(&format!(
            "/v1/networks/{}",
            created["network"].as_str().unwrap()
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(idea["network_contact"]["slug"], network["slug"]);
    assert_eq!(idea["network_contact"]["name"], network["name"]);
    assert_eq!(idea["network_contact"]["url"], network["url"]);
    assert_eq!(idea["history"][0]["status"], "routed");
    assert!(idea["hidden"].is_null());
    let waiting = app.read_back(&triaged).await;
    assert_eq!(
        waiting["status_label"]["en"],
        "The municipality is finding the right network"
    );
    assert!(waiting["network_contact"].is_null());
    refused_with_another_token(&app, Method::GET, &created, &triaged, "").await;
}

async fn an_export_holds_everything_stored_and_who_read_it(app: TestApp) {
    let created = app
        .submit(|i| i["consent"]["share_contact_with_partners"] = json!(true))
        .await;
    let other = app.submit(|_| {}).await;
    let network = created["network"].as_str().unwrap();
    let partner = app.key(Role::Partner, &[network]).await;
    let admin = app.key(Role::Admin, &[]).await;
    drain(&app, &partner, None, 20).await;
    let path = format!("/v1/admin/ideas/{}", created["id"].as_str().unwrap());
    json(admin_get(&app, &admin, &path).await, 200).await;

    let response = citizen(&app, Method::GET, &created, "/export")
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let export = json(response, 200).await;
    assert!(export["exported_at"].is_string());
    assert_eq!(export["idea"]["contact"]["email"], "anna.hansen@example.dk");
    assert_eq!(
        export["idea"]["answers"]["motivation"],
        "En pæn strand til alle"
    );
    assert_eq!(
        export["idea"]["consent"]["share_contact_with_partners"],
        true
    );
    let reads = export["reads"].as_array().unwrap();
    let who: Vec<(&str, &str, bool)> = reads
        .iter()
        .map(|r| {
            (
                r["reader_role"].as_str().unwrap(),
                r["access"].as_str().unwrap(),
                r["contact"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(who, [("partner", "feed", true), ("admin", "admin", true)]);
    assert_eq!(reads[0]["reader_networks"], json!([network]));
    assert_eq!(reads[0]["reader_name"], "test partner");
    assert_eq!(
        export["notifications"],
        json!([{"network": network, "event": "idea.routed", "at": created["created_at"]}])
    );
    assert_eq!(export["moderation"], json!([]));
    refused_with_another_token(&app, Method::GET, &created, &other, "/export").await;
}

async fn withdrawn_consent_stops_sharing_and_erases_contact_data(app: TestApp) {
    let created = app
        .submit(|i| i["consent"]["share_contact_with_partners"] = json!(true))
        .await;
    let other = app.submit(|_| {}).await;
    let partner = app
        .key(Role::Partner, &[created["network"].as_str().unwrap()])
        .await;
    let path = format!("/v1/partner/ideas/{}", created["id"].as_str().unwrap());
    let partner_view = || async {
        json(
            app.with_key(Method::GET, &path, &partner)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await
    };
    assert_eq!(
        partner_view().await["contact"]["email"],
        "anna.hansen@example.dk"
    );
    refused_with_another_token(&app, Method::PATCH, &created, &other, "/consent").await;

    let unshared = json(
        consent(
            &app,
            &created,
            json!({"share_contact_with_partners": false}),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(
        unshared["consent"],
        json!({"contact": true, "share_contact_with_partners": false, "publish": true})
    );
    assert_eq!(
        unshared["contact"]["email"], "anna.hansen@example.dk",
        "the municipality keeps it"
    );
    let view = partner_view().await;
    assert!(view.get("contact").is_none());
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let reads = app.store.list_partner_reads(id).await.unwrap();
    assert_eq!(
        reads.iter().map(|r| r.contact).collect::<Vec<_>>(),
        [true, false]
    );

    let withdrawn = json(
        consent(&app, &created, json!({"contact": false})).await,
        200,
    )
    .await;

    assert!(withdrawn.get("contact").is_none());
    assert_eq!(withdrawn["consent"]["contact"], false);
    assert!(
        app.store
            .get_idea(id)
            .await
            .unwrap()
            .unwrap()
            .idea
            .contact
            .is_none(),
        "erased"
    );
    let refused = problem(
        consent(&app, &created, json!({"share_contact_with_partners": true})).await,
        422,
    )
    .await;
    assert_field_errors(
        &refused,
        &[("share_contact_with_partners", "consent_required")],
    );
    let empty = problem(consent(&app, &created, json!({})).await, 422).await;
    assert_field_errors(&empty, &[("body", "required")]);
    assert!(published(&app, "").await.contains(&created["id"]));
    json(
        consent(&app, &created, json!({"publish": false})).await,
        200,
    )
    .await;
    assert!(!published(&app, "").await.contains(&created["id"]));
    assert_eq!(
        app.read_back(&other).await["matching"]["similar_ideas"],
        json!([]),
        "forgotten there too"
    );
}

async fn published(app: &TestApp, query: &str) -> Vec<Value> {
    json(app.get(&format!("/v1/ideas?{query}")).await, 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect()
}

async fn published_ideas_are_listed_without_contact_data_newest_first(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let beach = app
        .submit(|i| {
            i["answers"]["motivation"] =
                json!("Skriv til anna.hansen@example.dk eller ring 12345678")
        })
        .await;
    app.submit(|i| i["consent"]["publish"] = json!(false)).await;
    let hidden = app.submit(|_| {}).await;
    let newcomers = app
        .submit(|i| {
            *i = newcomer_idea();
            i["consent"]["publish"] = json!(true);
        })
        .await;
    let hide = format!(
        "/v1/admin/ideas/{}/moderation",
        hidden["id"].as_str().unwrap()
    );
    let response = app
        .with_key(Method::POST, &hide, &admin)
        .json(&json!({"action": "hide", "reason": "Dublet."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let page = json(app.get("/v1/ideas").await, 200).await;

    let items = page["items"].as_array().unwrap();
    assert_eq!(
        items.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
        [newcomers["id"].clone(), beach["id"].clone()]
    );
    let shown = &items[1];
    assert_eq!(shown["title"], "Ren strand i Nibe");
    assert!(shown.get("contact").is_none() && shown.get("consent").is_none());
    assert_eq!(
        shown["answers"]["motivation"],
        "Skriv til [email hidden] eller ring [phone hidden]"
    );
    assert!(!page.to_string().contains("anna.hansen"));
    let network = beach["network"].as_str().unwrap();
    assert_eq!(
        published(&app, &format!("network={network}")).await,
        [beach["id"].clone()]
    );
    let first = json(app.get("/v1/ideas?limit=1").await, 200).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = json(
        app.get(&format!("/v1/ideas?limit=1&cursor={cursor}")).await,
        200,
    )
    .await;
    assert_eq!(second["items"][0]["id"], beach["id"]);
    assert!(second["next_cursor"].is_null());
    let bad = problem(
        app.get("/v1/ideas?network=Bad+Slug&status=routed").await,
        400,
    )
    .await;
    assert_field_errors(
        &bad,
        &[("network", "invalid_slug"), ("status", "unknown_field")],
    );
}

async fn the_published_list_shows_the_beacons_each_idea_serves_and_filters_by_them(app: TestApp) {
    let repairs = app
        .submit(|i| {
            i["title"] = json!("Reparationscafé i Vejgaard");
            i["answers"] = json!({"problem": "Vi smider for mange ting ud. Vi vil reparere cykler \
                og brødristere sammen, så der bliver mindre affald og mere genbrug."});
        })
        .await;
    let newcomers = app
        .submit(|i| {
            *i = newcomer_idea();
            i["consent"]["publish"] = json!(true);
        })
        .await;
    let beacons = |created: &Value| -> Vec<Value> {
        created["matching"]["beacons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["slug"].clone())
            .collect()
    };
    let served = beacons(&repairs);
    assert!(!served.is_empty(), "the repair café serves a beacon");
    let only_repairs = served
        .iter()
        .find(|b| !beacons(&newcomers).contains(b))
        .expect("a beacon the newcomers' idea does not serve")
        .as_str()
        .unwrap();

    let page = json(app.get("/v1/ideas").await, 200).await;

    let listed = |created: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == created["id"])
            .unwrap()["beacons"]
            .clone()
    };
    assert_eq!(listed(&repairs), json!(served), "in the matching's order");
    assert_eq!(listed(&newcomers), json!(beacons(&newcomers)));
    assert_eq!(
        published(&app, &format!("beacon={only_repairs}")).await,
        [repairs["id"].clone()]
    );
    assert!(published(&app, "beacon=no-such-beacon").await.is_empty());
}

/// A token no other text in the database has.
const CANARY: &str = "zqkanariefugl";

fn canary_idea() -> Value {
    let mut idea = valid_idea();
    idea["title"] = json!(format!("Ren strand i Nibe {CANARY}"));
    idea["answers"]["problem"] = json!(format!(
        "Efter weekenden ligger der skrald og flasker på stranden ved Nibe. Spørg {CANARY} ved havnen."
    ));
    idea["contact"]["email"] = json!(format!("{CANARY}@example.dk"));
    idea["consent"]["share_contact_with_partners"] = json!(true);
    idea
}

/// Where the canary still stands: in the SQLite files, or in any row of any PostgreSQL table.
async fn canary_found(app: &TestApp) -> Vec<String> {
    match &app.db {
        TestDb::Sqlite(dir) => std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let bytes = std::fs::read(path).unwrap();
                bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes())
            })
            .map(|path| path.display().to_string())
            .collect(),
        TestDb::Postgres { url, .. } => {
            use sqlx::Connection;
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&mut db)
            .await
            .unwrap();
            let mut found = Vec::new();
            for (table,) in tables {
                let sql = format!(
                    r#"SELECT COUNT(*) FROM "{table}" t WHERE CAST(t AS TEXT) LIKE '%{CANARY}%'"#
                );
                let (count,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut db)
                    .await
                    .unwrap();
                if count > 0 {
                    found.push(table);
                }
            }
            found
        }
    }
}

async fn an_erasure_leaves_no_trace_of_the_text_or_the_address_in_the_database(app: TestApp) {
    let created = json(
        app.client
            .post(app.url("/v1/ideas"))
            .header(
                "Idempotency-Key",
                format!("canary-{}", uuid::Uuid::new_v4()),
            )
            .json(&canary_idea())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let network = created["network"].as_str().unwrap();
    let partner = app.key(Role::Partner, &[network]).await;
    let admin = app.key(Role::Admin, &[]).await;
    let (_, cursor) = drain(&app, &partner, None, 20).await;
    let decision = format!(
        "/v1/partner/ideas/{}/decision",
        created["id"].as_str().unwrap()
    );
    let accepted = app
        .with_key(Method::POST, &decision, &partner)
        .json(&json!({"decision": "accept", "note": format!("Vi ringer til {CANARY}.")}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let export = admin_get(
        &app,
        &admin,
        "/v1/admin/ideas/export?format=csv&include_contact=true",
    )
    .await;
    assert!(export.text().await.unwrap().contains(CANARY));
    let later = app.submit(|_| {}).await;
    let similar = app.read_back(&later).await["matching"]["similar_ideas"].to_string();
    assert!(
        similar.contains(CANARY),
        "the later idea keeps the erased one's title: {similar}"
    );
    assert!(
        !canary_found(&app).await.is_empty(),
        "the check sees the canary before"
    );

    let erased = citizen(&app, Method::DELETE, &created, "")
        .send()
        .await
        .unwrap();

    assert_eq!(erased.status(), 204);
    assert_eq!(canary_found(&app).await, Vec::<String>::new());
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let anonymous = app.store.get_idea(id).await.unwrap().unwrap();
    assert_eq!(anonymous.status, IdeaStatus::Erased);
    assert_eq!(anonymous.network.as_deref(), Some(network));
    assert_eq!(
        anonymous.idea.location.unwrap().postcode.as_deref(),
        Some("9240")
    );
    let stats = json(
        admin_get(&app, &admin, "/v1/admin/stats?group_by=status").await,
        200,
    )
    .await;
    assert!(
        stats["groups"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "erased", "count": 1}))
    );
    assert_eq!(
        stats["decision_times"][0]["decisions"], 1,
        "the decision still counts"
    );
    let (entries, _) = drain(&app, &partner, Some(cursor), 20).await;
    assert_eq!(entries.last().unwrap()["event"], "idea.erased");
    problem(
        citizen(&app, Method::GET, &created, "")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    problem(
        citizen(&app, Method::DELETE, &created, "")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}
