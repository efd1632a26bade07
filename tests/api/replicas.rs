//! Two sammen processes on one database behave as one service: ideas and erasures reach the
//! other's similar ideas, catalog changes its routing, each webhook event is delivered once,
//! and the feed read through both stays exact.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, TestDb, client, json, valid_idea};
use crate::webhooks::{Receiver, free_port, wait_until_up};

on_both_backends!(with crate::replicas::two_replicas:
    an_idea_sent_to_one_replica_is_similar_on_the_other_and_leaves_with_its_erasure,
    a_catalog_change_routes_on_both_replicas,
    webhooks_go_out_once_and_the_feed_is_exact_across_replicas,
);

/// One `sammen serve` process, killed when dropped.
pub struct Replica {
    pub base: String,
    child: Child,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database with two replicas serving it.
pub struct TwoReplicas {
    pub a: Replica,
    pub b: Replica,
    pub client: reqwest::Client,
    /// Last, so that it is dropped after the replicas have stopped.
    pub db: TestDb,
}

/// Starts `sammen serve` on `db` at a free port.
pub async fn start_replica(db: &TestDb, client: &reqwest::Client) -> Replica {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_sammen"))
        .env("SAMMEN_DATABASE_URL", db.url())
        .env("SAMMEN_BIND", format!("127.0.0.1:{port}"))
        .env("SAMMEN_LOG", "warn")
        .env("SAMMEN_RATE_LIMIT_DISABLED", "true")
        .env("SAMMEN_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("SAMMEN_WEBHOOK_POLL_MS", "20")
        .env("SAMMEN_WEBHOOK_RETRY_BASE_MS", "200")
        .env("SAMMEN_WEBHOOK_TIMEOUT_MS", "2000")
        .spawn()
        .expect("sammen starts");
    let replica = Replica {
        base: format!("http://127.0.0.1:{port}"),
        child,
    };
    wait_until_up(client, &replica.base).await;
    replica
}

async fn two_replicas(backend: Backend) -> Option<TwoReplicas> {
    let db = TestDb::create(backend).await?;
    let client = client();
    // The first one migrates and seeds; the second starts on a ready database.
    let a = start_replica(&db, &client).await;
    let b = start_replica(&db, &client).await;
    Some(TwoReplicas { a, b, client, db })
}

impl TwoReplicas {
    async fn post(&self, replica: &Replica, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", replica.base))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Waits until `check` holds on what `replica` answers to `POST /v1/match` with `idea`;
    /// how long it took.
    async fn until_matching(
        &self,
        replica: &Replica,
        idea: &Value,
        what: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Duration {
        let started = Instant::now();
        loop {
            let matching = json(self.post(replica, "/v1/match", idea).await, 200).await;
            if check(&matching) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{what}: not within 2 s: {matching}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A key made with `sammen keys create` on the shared database.
    fn partner_key(&self, network: &str) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_sammen"))
            .args(["keys", "create", "--role", "partner"])
            .args(["--networks", network, "--name", "replicas"])
            .env("SAMMEN_DATABASE_URL", self.db.url())
            .env("SAMMEN_LOG", "warn")
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

fn similar_ids(matching: &Value) -> Vec<String> {
    matching["similar_ideas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_idea_sent_to_one_replica_is_similar_on_the_other_and_leaves_with_its_erasure(
    replicas: TwoReplicas,
) {
    let (a, b) = (&replicas.a, &replicas.b);
    let idea = json!({
        "title": "Reparationscafé i Vejgaard",
        "answers": {"problem": "Alt for mange ting bliver smidt ud, fordi ingen kan reparere cykler, tøj og elektronik."},
        "consent": {"publish": true}
    });
    let twin = json!({
        "title": "Fix-it café",
        "answers": {"problem": "Mange ting bliver smidt ud, fordi ingen kan reparere cykler, tøj og elektronik i Vejgaard."}
    });
    let created = json(replicas.post(a, "/v1/ideas", &idea).await, 201).await;
    let id = created["id"].as_str().unwrap().to_owned();

    let took = replicas
        .until_matching(b, &twin, "the idea on the other replica", |m| {
            similar_ids(m).contains(&id)
        })
        .await;
    eprintln!("an idea stored on A was similar on B after {took:?}");
    assert!(
        similar_ids(&json(replicas.post(a, "/v1/match", &twin).await, 200).await).contains(&id)
    );

    // Erased through B: A forgets it too.
    let erased = replicas
        .client
        .delete(format!("{}/v1/ideas/{id}", b.base))
        .bearer_auth(created["citizen_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);
    replicas
        .until_matching(a, &twin, "the erasure on the other replica", |m| {
            !similar_ids(m).contains(&id)
        })
        .await;
    assert!(
        !similar_ids(&json(replicas.post(b, "/v1/match", &twin).await, 200).await).contains(&id)
    );
}

async fn a_catalog_change_routes_on_both_replicas(replicas: TwoReplicas) {
    let choir = json!({"title": "Kor for alle", "answers": {"problem": "Vi vil starte et kor og et orkester, hvor alle kan synge og spille med."}});
    for replica in [&replicas.a, &replicas.b] {
        let before = json(replicas.post(replica, "/v1/match", &choir).await, 200).await;
        assert_ne!(before["primary_network"], "musik-netvaerket");
    }
    let addition = json!({"networks": [{
        "slug": "musik-netvaerket", "name": {"da": "Musiknetværket"},
        "description": {"da": "Kor, orkestre, sang og musik for alle aldre."}, "keywords": ["kor", "orkester", "sang", "musik"]
    }]});
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), addition.to_string()).unwrap();
    let imported = Command::new(env!("CARGO_BIN_EXE_sammen"))
        .args(["catalog", "import", file.path().to_str().unwrap()])
        .env("SAMMEN_DATABASE_URL", replicas.db.url())
        .env("SAMMEN_LOG", "warn")
        .status()
        .unwrap();
    assert!(imported.success());
    for replica in [&replicas.a, &replicas.b] {
        replicas
            .until_matching(replica, &choir, "the new network", |m| {
                m["primary_network"] == "musik-netvaerket"
            })
            .await;
    }
}

async fn webhooks_go_out_once_and_the_feed_is_exact_across_replicas(replicas: TwoReplicas) {
    let (a, b) = (&replicas.a, &replicas.b);
    let network = "landdistriktsudvikling";
    let key = replicas.partner_key(network);
    let receiver = Receiver::start(0, |_| (204, None)).await;
    let registered = replicas
        .client
        .post(format!("{}/v1/partner/webhooks", a.base))
        .bearer_auth(&key)
        .json(&json!({"url": receiver.url}))
        .send()
        .await
        .unwrap();
    json(registered, 201).await;

    // Four writers, two on each replica, while a partner reads the feed through both in turn.
    let writers = (0..4).map(|writer| {
        let replica = if writer % 2 == 0 { a } else { b };
        let replicas = &replicas;
        async move {
            let mut ids = Vec::new();
            for _ in 0..10 {
                let created = json(
                    replicas.post(replica, "/v1/ideas", &valid_idea()).await,
                    201,
                )
                .await;
                assert_eq!(created["network"], network);
                ids.push(created["id"].as_str().unwrap().to_owned());
            }
            ids
        }
    });
    let reader = async {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        for round in 0..40 {
            let replica = if round % 2 == 0 { a } else { b };
            let page = read_feed(&replicas.client, replica, &key, cursor.as_deref()).await;
            seen.extend(page.0);
            cursor = Some(page.1);
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        (seen, cursor)
    };
    let (written, (mut seen, mut cursor)) =
        tokio::join!(futures_util::future::join_all(writers), reader);
    let written: HashSet<String> = written.into_iter().flatten().collect();
    assert_eq!(written.len(), 40);
    // Then read on to the end, still alternating.
    for round in 0.. {
        let replica = if round % 2 == 0 { b } else { a };
        let (ids, next) = read_feed(&replicas.client, replica, &key, cursor.as_deref()).await;
        cursor = Some(next);
        if ids.is_empty() {
            break;
        }
        seen.extend(ids);
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "an entry was read twice");
    assert_eq!(unique, written, "the feed skipped or invented entries");

    // Every event is delivered, and none twice, although both replicas dispatch.
    let delivered = receiver.wait_for(written.len()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = receiver.received();
    let mut times: HashMap<&str, usize> = HashMap::new();
    for r in &received {
        *times.entry(r.id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let ideas: HashSet<String> = delivered
        .values()
        .map(|r| {
            let payload: Value = serde_json::from_slice(&r.body).unwrap();
            payload["data"]["idea_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ideas, written);
    receiver.stop().await;
}

/// One page of the feed: the idea ids and the next cursor.
async fn read_feed(
    client: &reqwest::Client,
    replica: &Replica,
    key: &str,
    cursor: Option<&str>,
) -> (Vec<String>, String) {
    let url = match cursor {
        Some(cursor) => format!("{}/v1/partner/ideas?limit=7&after={cursor}", replica.base),
        None => format!("{}/v1/partner/ideas?limit=7", replica.base),
    };
    let page = json(client.get(url).bearer_auth(key).send().await.unwrap(), 200).await;
    let ids = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["idea_id"].as_str().unwrap().to_owned())
        .collect();
    (ids, page["next_cursor"].as_str().unwrap().to_owned())
}

/// The publication log itself, through the store.
mod log {
    use reqwest::Method;
    use sammen::domain::Role;
    use serde_json::json;

    use crate::helpers::TestApp;

    on_both_backends!(
        the_publication_log_holds_publications_and_erasures_in_commit_order,
        hiding_and_unhiding_an_idea_go_into_the_publication_log,
    );

    /// Other replicas take a hidden idea out of their similar ideas, and back when unhidden.
    async fn hiding_and_unhiding_an_idea_go_into_the_publication_log(app: TestApp) {
        let admin = app.key(Role::Admin, &[]).await;
        let idea = app.submit(|_| {}).await;
        let id = idea["id"].as_str().unwrap().to_owned();
        let head = app.store.publication_head().await.unwrap();

        for (action, reason) in [("hide", "Navngiver en nabo."), ("unhide", "Rettet.")] {
            let path = format!("/v1/admin/ideas/{id}/moderation");
            let response = app
                .with_key(Method::POST, &path, &admin)
                .json(&json!({"action": action, "reason": reason}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }

        let now = app.store.publication_head().await.unwrap();
        let changes = app.store.publication_changes(head, now, 100).await.unwrap();
        let summary: Vec<(String, bool)> = changes
            .iter()
            .map(|c| (c.idea_id.to_string(), c.text.is_some()))
            .collect();
        assert_eq!(summary, [(id.clone(), false), (id, true)]);
    }

    async fn the_publication_log_holds_publications_and_erasures_in_commit_order(app: TestApp) {
        let head = app.store.publication_head().await.unwrap();
        let published = app.submit(|_| {}).await;
        app.submit(|idea| idea["consent"]["publish"] = json!(false))
            .await;
        let erased = app
            .submit(|idea| idea["title"] = json!("Bænke ved stranden"))
            .await;
        let deleted = app
            .client
            .delete(app.url(&format!("/v1/ideas/{}", erased["id"].as_str().unwrap())))
            .bearer_auth(erased["citizen_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204);

        let now = app.store.publication_head().await.unwrap();
        let changes = app.store.publication_changes(head, now, 100).await.unwrap();
        let summary: Vec<(String, bool)> = changes
            .iter()
            .map(|c| (c.idea_id.to_string(), c.text.is_some()))
            .collect();
        let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_owned();
        // The erased idea's publication no longer has a text to index.
        assert_eq!(
            summary,
            [
                (id(&published), true),
                (id(&erased), false),
                (id(&erased), false)
            ]
        );
        assert_eq!(changes[0].text.as_ref().unwrap().title, "Ren strand i Nibe");
        assert!(changes.windows(2).all(|w| w[0].position < w[1].position));
        // Paging stops at the limit and at `until`.
        assert_eq!(
            app.store
                .publication_changes(head, now, 1)
                .await
                .unwrap()
                .len(),
            1
        );
        let first = changes[0].position;
        assert_eq!(
            app.store
                .publication_changes(head, first, 100)
                .await
                .unwrap()
                .len(),
            1
        );
        // Pruning by age: nothing is an hour old yet; everything is older than the future.
        let now_unix = chrono::Utc::now().timestamp();
        assert_eq!(
            app.store
                .prune_publication_log(now_unix - 3600)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            app.store.prune_publication_log(now_unix + 2).await.unwrap(),
            3
        );
        assert!(
            app.store
                .publication_changes(head, now, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
