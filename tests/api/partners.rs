//! The partner API: the feed, single ideas and decisions, seen through partner keys.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::join_all;
use reqwest::Method;
use sammen::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_field_errors, json, problem};

on_both_backends!(
    the_feed_holds_the_ideas_routed_to_the_keys_networks_in_order,
    contact_data_is_shared_only_with_consent_and_masked_otherwise,
    every_idea_a_partner_reads_is_in_the_audit_log,
    a_full_page_shows_each_idea_with_its_own_history_and_audits_every_one,
    a_bad_cursor_or_limit_is_refused,
    the_feed_is_exact_while_writers_append,
    an_erased_idea_is_anonymous_and_its_network_is_told,
);

/// An idea about newcomers, which goes elsewhere than the beach clean-up of `valid_idea`.
pub fn newcomer_idea() -> Value {
    json!({
        "title": "Sprogcafé for nye i Aalborg",
        "answers": {"problem": "Internationale studerende og udlændinge, der lige er flyttet til Aalborg, mangler et sted at øve dansk og møde danskere."},
        "language": "da",
        "consent": {"publish": false}
    })
}

/// One page of the feed.
pub async fn feed(app: &TestApp, key: &str, after: Option<&str>, limit: u32) -> Value {
    let path = match after {
        Some(cursor) => format!("/v1/partner/ideas?after={cursor}&limit={limit}"),
        None => format!("/v1/partner/ideas?limit={limit}"),
    };
    let response = app.with_key(Method::GET, &path, key).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    json(response, 200).await
}

/// Every entry from `after` on, paging with `limit`; the entries and the last cursor.
pub async fn drain(
    app: &TestApp,
    key: &str,
    after: Option<String>,
    limit: u32,
) -> (Vec<Value>, String) {
    let mut cursor = after;
    let mut entries = Vec::new();
    loop {
        let page = feed(app, key, cursor.as_deref(), limit).await;
        let items = page["items"].as_array().unwrap().clone();
        cursor = Some(
            page["next_cursor"]
                .as_str()
                .expect("always a cursor")
                .to_owned(),
        );
        if items.is_empty() {
            return (entries, cursor.unwrap());
        }
        entries.extend(items);
    }
}

async fn the_feed_holds_the_ideas_routed_to_the_keys_networks_in_order(app: TestApp) {
    let beach = app.submit(|_| {}).await;
    let newcomers = app.submit(|idea| *idea = newcomer_idea()).await;
    let beach_again = app.submit(|_| {}).await;
    let network = beach["network"].as_str().unwrap();
    assert_ne!(
        newcomers["network"], beach["network"],
        "the ideas go to two networks"
    );
    let key = app.key(Role::Partner, &[network]).await;

    let (entries, cursor) = drain(&app, &key, None, 1).await;

    let ids: Vec<&Value> = entries.iter().map(|e| &e["idea_id"]).collect();
    assert_eq!(ids, [&beach["id"], &beach_again["id"]]);
    for entry in &entries {
        assert_eq!(entry["event"], "idea.routed");
        assert!(entry["at"].is_string());
        let idea = &entry["idea"];
        assert_eq!(idea["id"], entry["idea_id"]);
        assert_eq!(idea["status"], "routed");
        assert_eq!(idea["network"], network);
        assert!(
            !idea["reasons"].as_array().unwrap().is_empty(),
            "why it came"
        );
        assert_eq!(idea["matching"]["primary_network"], network);
    }
    // Polling on from the last cursor: nothing new, and the same place to resume.
    let again = feed(&app, &key, Some(&cursor), 20).await;
    assert_eq!(again["items"], json!([]));
    assert_eq!(again["next_cursor"], cursor.as_str());

    let later = app.submit(|_| {}).await;
    let (entries, _) = drain(&app, &key, Some(cursor), 20).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["idea_id"], later["id"]);
}

async fn contact_data_is_shared_only_with_consent_and_masked_otherwise(app: TestApp) {
    let private_text = "Skriv til anna.hansen@example.dk, ring 12 34 56 78, cpr 010203-1234.";
    let private = app
        .submit(|idea| idea["answers"]["motivation"] = private_text.into())
        .await;
    let shared = app
        .submit(|idea| {
            idea["answers"]["motivation"] = private_text.into();
            idea["consent"]["share_contact_with_partners"] = true.into();
        })
        .await;
    assert_eq!(private["network"], shared["network"]);
    let key = app
        .key(Role::Partner, &[private["network"].as_str().unwrap()])
        .await;

    let (entries, _) = drain(&app, &key, None, 20).await;

    let idea = |id: &Value| {
        entries
            .iter()
            .find(|e| &e["idea_id"] == id)
            .map(|e| e["idea"].clone())
            .unwrap()
    };
    let masked = idea(&private["id"]);
    assert!(masked.get("contact").is_none());
    assert_eq!(
        masked["answers"]["motivation"],
        "Skriv til [email hidden], ring [phone hidden], cpr [cpr hidden]."
    );
    let body = masked.to_string();
    for secret in ["anna.hansen", "12 34 56 78", "010203", "Anna Hansen"] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
    let open = idea(&shared["id"]);
    assert_eq!(open["contact"]["email"], "anna.hansen@example.dk");
    assert_eq!(open["contact"]["name"], "Anna Hansen");
    assert_eq!(open["answers"]["motivation"], private_text);
}

async fn every_idea_a_partner_reads_is_in_the_audit_log(app: TestApp) {
    let created = app
        .submit(|idea| idea["consent"]["share_contact_with_partners"] = true.into())
        .await;
    let key = app
        .key(Role::Partner, &[created["network"].as_str().unwrap()])
        .await;
    let key_id = app.store.list_api_keys(None, 10).await.unwrap()[0].id;
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    assert!(app.store.list_partner_reads(id).await.unwrap().is_empty());

    drain(&app, &key, None, 20).await;

    let reads = app.store.list_partner_reads(id).await.unwrap();
    assert_eq!(reads.len(), 1, "one page showed the idea");
    assert_eq!(reads[0].key_id, key_id);
    assert_eq!(reads[0].access, "feed");
    assert!(reads[0].contact);

    let admin = app.key(Role::Admin, &[]).await;
    let path = format!("/v1/admin/ideas/{id}/partner-reads");
    let listed = json(
        app.with_key(Method::GET, &path, &admin)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(listed["items"][0]["key_id"], key_id.to_string());
    assert_eq!(listed["items"][0]["access"], "feed");
    assert_eq!(listed["items"][0]["contact"], true);
    let forbidden = app.with_key(Method::GET, &path, &key).send().await.unwrap();
    problem(forbidden, 403).await;
}

/// A page of 70 ideas: read in one query with their histories in another, written to the
/// audit log in several statements (64 + 4 + 2 rows).
async fn a_full_page_shows_each_idea_with_its_own_history_and_audits_every_one(app: TestApp) {
    let created: Vec<Value> =
        join_all((0..70).map(|i| {
            app.submit(move |idea| idea["title"] = json!(format!("Ren strand nummer {i}")))
        }))
        .await;
    let network = created[0]["network"].as_str().unwrap();
    assert!(created.iter().all(|c| c["network"] == network));
    let key = app.key(Role::Partner, &[network]).await;
    let accepted = &created[3]["id"];
    let decision = format!("/v1/partner/ideas/{}/decision", accepted.as_str().unwrap());
    let response = app
        .with_key(Method::POST, &decision, &key)
        .json(&json!({"decision": "accept", "note": "Vi tager den."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let page = feed(&app, &key, None, 100).await;

    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 71, "70 routed and one accepted");
    for item in items {
        let idea = &item["idea"];
        assert_eq!(idea["id"], item["idea_id"]);
        let history = idea["history"].as_array().unwrap();
        if &item["idea_id"] == accepted {
            assert_eq!(idea["status"], "accepted");
            assert_eq!(history.len(), 2);
            assert_eq!(history[1]["note"], "Vi tager den.");
        } else {
            assert_eq!(idea["status"], "routed");
            assert_eq!(history.len(), 1);
        }
        assert_eq!(history[0]["actor"], "matching");
    }
    for idea in &created {
        let id = uuid::Uuid::parse_str(idea["id"].as_str().unwrap()).unwrap();
        let reads = app.store.list_partner_reads(id).await.unwrap();
        assert_eq!(reads.len(), 1, "one read of {id} for the page");
        assert_eq!(reads[0].access, "feed");
    }
}

async fn a_bad_cursor_or_limit_is_refused(app: TestApp) {
    let key = app.key(Role::Partner, &["groenne-agenter"]).await;
    let other_kind = sammen::routes::encode_cursor("keys", "5");
    let negative = sammen::routes::encode_cursor("feed", "-1");
    for (query, field) in [
        ("after=nonsense", "after"),
        (&*format!("after={other_kind}"), "after"),
        (&*format!("after={negative}"), "after"),
        ("limit=0", "limit"),
        ("cursor=x", "cursor"),
    ] {
        let response = app
            .with_key(Method::GET, &format!("/v1/partner/ideas?{query}"), &key)
            .send()
            .await
            .unwrap();
        let body = problem(response, 400).await;
        let code = if field == "cursor" {
            "unknown_field"
        } else if field == "limit" {
            "out_of_range"
        } else {
            "invalid_cursor"
        };
        assert_field_errors(&body, &[(field, code)]);
    }
}

/// Writers submit ideas while a reader pages through the feed: the pages together hold every
/// entry exactly once. On PostgreSQL a trigger sleeps inside each appending transaction, so
/// that commits are delayed after the position is taken: a feed that read positions as they
/// became visible would skip the delayed ones.
async fn the_feed_is_exact_while_writers_append(app: TestApp) {
    if let db @ crate::helpers::TestDb::Postgres { .. } = &app.db {
        delay_feed_commits(&db.url()).await;
    }
    let networks: Vec<String> = app
        .store
        .network_slugs()
        .await
        .unwrap()
        .into_iter()
        .collect();
    let networks: Vec<&str> = networks.iter().map(String::as_str).collect();
    let key = app.key(Role::Partner, &networks).await;
    let done = Arc::new(AtomicBool::new(false));

    let writers = async {
        let write = |n: usize| {
            let app = &app;
            async move {
                let mut receipts = Vec::new();
                for i in 0..6 {
                    let receipt = app
                        .submit(|idea| {
                            if (n + i).is_multiple_of(2) {
                                *idea = newcomer_idea();
                            }
                        })
                        .await;
                    receipts.push(receipt);
                }
                receipts
            }
        };
        let receipts = futures_util::future::join_all((0..4).map(write)).await;
        done.store(true, Ordering::SeqCst);
        receipts.into_iter().flatten().collect::<Vec<_>>()
    };
    let reader = async {
        let mut cursor: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let finished = done.load(Ordering::SeqCst);
            let page = feed(&app, &key, cursor.as_deref(), 3).await;
            let items = page["items"].as_array().unwrap().clone();
            cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
            if items.is_empty() && finished {
                return seen;
            }
            seen.extend(items.into_iter().map(|e| e["idea_id"].clone()));
            actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    let (receipts, seen) = tokio::join!(writers, reader);

    let routed: HashSet<&Value> = receipts
        .iter()
        .filter(|r| r["network"].is_string())
        .map(|r| &r["id"])
        .collect();
    assert!(routed.len() >= 20, "most ideas are routed");
    let unique: HashSet<&Value> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice");
    assert_eq!(unique, routed, "every entry once");
    let (all, _) = drain(&app, &key, None, 100).await;
    let all: Vec<Value> = all.into_iter().map(|e| e["idea_id"].clone()).collect();
    assert_eq!(seen, all, "in the order of the feed");
}

/// Makes every append to the feed sleep a random 0-30 ms before its transaction can commit.
async fn delay_feed_commits(url: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    for statement in [
        "CREATE FUNCTION delay_commit() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN PERFORM pg_sleep(random() * 0.03); RETURN NEW; END $$",
        "CREATE TRIGGER delay_commit AFTER INSERT ON feed_entries
         FOR EACH ROW EXECUTE FUNCTION delay_commit()",
    ] {
        sqlx::query(statement)
            .execute(&mut connection)
            .await
            .unwrap();
    }
}

async fn an_erased_idea_is_anonymous_and_its_network_is_told(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let kept = app.submit(|_| {}).await;
    let key = app
        .key(Role::Partner, &[created["network"].as_str().unwrap()])
        .await;
    let (_, cursor) = drain(&app, &key, None, 20).await;
    let path = format!("/v1/ideas/{}", created["id"].as_str().unwrap());
    let erase = |token: &str| app.client.delete(app.url(&path)).bearer_auth(token).send();

    problem(
        erase(kept["citizen_token"].as_str().unwrap())
            .await
            .unwrap(),
        404,
    )
    .await;
    let erased = erase(created["citizen_token"].as_str().unwrap())
        .await
        .unwrap();

    assert_eq!(erased.status(), 204);
    let again = app
        .client
        .get(app.url(&path))
        .bearer_auth(created["citizen_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    problem(again, 404).await;
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let anonymous = app.store.get_idea(id).await.unwrap().unwrap();
    assert_eq!(anonymous.status, sammen::domain::IdeaStatus::Erased);
    assert_eq!(anonymous.idea.title, "");
    assert!(anonymous.idea.contact.is_none() && anonymous.matching.is_none());
    assert_eq!(
        anonymous.network,
        created["network"].as_str().map(str::to_owned)
    );
    let history = app.store.idea_history(id).await.unwrap();
    assert!(!history.is_empty() && history.iter().all(|h| h.note.is_none()));
    let (entries, _) = drain(&app, &key, Some(cursor), 20).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["event"], "idea.erased");
    assert_eq!(entries[0]["idea_id"], created["id"]);
    assert!(entries[0]["idea"].is_null());
    let (all, _) = drain(&app, &key, None, 20).await;
    assert!(
        all.iter()
            .filter(|e| e["idea_id"] == created["id"])
            .all(|e| e["idea"].is_null()),
        "earlier entries no longer show it"
    );
    assert_eq!(app.read_back(&kept).await["status"], "routed");
}
