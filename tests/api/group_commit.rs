//! Group commit: ideas submitted at the same time share a transaction, and each still gets an
//! outcome of its own.

use futures_util::future::join_all;
use sammen::domain::StoredIdea;
use sammen::secrets::sha256;
use sammen::store::{IdeaWrite, IdempotencyRecord, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, json, valid_idea};

on_both_backends!(
    two_hundred_concurrent_submissions_are_all_stored_and_read_back,
    a_taken_key_in_a_batch_fails_only_its_own_idea,
    concurrent_inserts_with_one_duplicate_key_store_all_but_the_duplicate,
);

async fn two_hundred_concurrent_submissions_are_all_stored_and_read_back(app: TestApp) {
    let bodies: Vec<Value> = (0..200)
        .map(|i| {
            let mut body = valid_idea();
            body["title"] = json!(format!("Ren strand nummer {i}"));
            body
        })
        .collect();
    let requests = bodies.iter().enumerate().map(|(i, body)| {
        let request = app.client.post(app.url("/v1/ideas")).json(body);
        // Half with a key, half without: both kinds go through the same writer.
        let request = if i % 2 == 0 {
            request.header("Idempotency-Key", format!("concurrent-{i}"))
        } else {
            request
        };
        request.send()
    });

    let responses = join_all(requests).await;

    let mut receipts = Vec::new();
    for response in responses {
        receipts.push(json(response.expect("POST"), 201).await);
    }
    assert_eq!(app.ideas_stored().await, 200);
    for (i, receipt) in receipts.iter().enumerate() {
        let idea = app.read_back(receipt).await;
        assert_eq!(idea["title"], format!("Ren strand nummer {i}"));
        assert_eq!(idea["history"].as_array().unwrap().len(), 1);
    }
    let replayed = app
        .client
        .post(app.url("/v1/ideas"))
        .header("Idempotency-Key", "concurrent-0")
        .json(&bodies[0])
        .send()
        .await
        .unwrap();
    assert_eq!(json(replayed, 201).await, receipts[0]);
    assert_eq!(app.ideas_stored().await, 200);
}

/// An idea stored through HTTP under the key `taken`, read back as the template of new ones.
async fn routed_template(app: &TestApp) -> StoredIdea {
    let receipt = json(
        app.client
            .post(app.url("/v1/ideas"))
            .header("Idempotency-Key", "taken")
            .json(&valid_idea())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let id = receipt["id"].as_str().unwrap().parse().unwrap();
    let template = app.store.get_idea(id).await.unwrap().unwrap();
    assert!(template.network.is_some(), "the valid idea is routed");
    template
}

/// A copy of `template` with a new id and title, under the idempotency key `key`.
fn new_write(template: &StoredIdea, title: String, key: &str) -> IdeaWrite {
    let mut idea = template.clone();
    idea.id = Uuid::now_v7();
    idea.idea.title = title;
    let record = IdempotencyRecord {
        key_hash: sha256(key.as_bytes()),
        request_hash: sha256(idea.idea.title.as_bytes()),
        idea_id: idea.id,
        sealed_token: vec![0; 32],
        created_at: idea.created_at,
    };
    IdeaWrite {
        idea,
        key: Some(record),
    }
}

async fn a_taken_key_in_a_batch_fails_only_its_own_idea(app: TestApp) {
    let template = routed_template(&app).await;
    let batch: Vec<IdeaWrite> = (0..50)
        .map(|i| {
            let key = match i {
                // The same key as an earlier idea of the same batch.
                20 => "batch-5".to_owned(),
                // A key committed before the batch.
                30 => "taken".to_owned(),
                _ => format!("batch-{i}"),
            };
            new_write(&template, format!("Idé {i} i batchen"), &key)
        })
        .collect();

    let results = app.store.insert_ideas(&batch).await;

    assert_eq!(results.len(), 50);
    for (i, (write, result)) in batch.iter().zip(&results).enumerate() {
        let stored = app.store.get_idea(write.idea.id).await.unwrap();
        if i == 20 || i == 30 {
            assert!(
                matches!(result, Err(StoreError::Conflict)),
                "idea {i}: {result:?}"
            );
            assert!(stored.is_none(), "idea {i} was rolled back");
            assert!(
                app.store
                    .idea_history(write.idea.id)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(app.store.idea_feed(write.idea.id).await.unwrap().is_empty());
        } else {
            assert!(result.is_ok(), "idea {i}: {result:?}");
            assert_eq!(stored.unwrap().idea.title, format!("Idé {i} i batchen"));
            assert_eq!(
                app.store.idea_history(write.idea.id).await.unwrap().len(),
                1
            );
            assert_eq!(app.store.idea_feed(write.idea.id).await.unwrap().len(), 1);
        }
    }
    assert_eq!(app.ideas_stored().await, 1 + 48);
    let first_with_key = app
        .store
        .find_idempotency_key(&sha256(b"batch-5"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_with_key.idea_id, batch[5].idea.id);
    let taken = app
        .store
        .find_idempotency_key(&sha256(b"taken"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.idea_id, template.id);
}

async fn concurrent_inserts_with_one_duplicate_key_store_all_but_the_duplicate(app: TestApp) {
    let template = routed_template(&app).await;
    let writes: Vec<IdeaWrite> = (0..200)
        .map(|i| {
            let key = if i == 150 {
                "parallel-7".to_owned()
            } else {
                format!("parallel-{i}")
            };
            new_write(&template, format!("Samtidig idé {i}"), &key)
        })
        .collect();
    let store = app.store.as_ref();

    let results = join_all(
        writes
            .iter()
            .map(|write| store.insert_idea(&write.idea, write.key.as_ref())),
    )
    .await;

    let refused: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, result)| result.is_err())
        .map(|(i, _)| i)
        .collect();
    assert!(
        refused == [7] || refused == [150],
        "exactly one of the two ideas with the same key is refused: {refused:?}"
    );
    assert!(matches!(results[refused[0]], Err(StoreError::Conflict)));
    assert_eq!(app.ideas_stored().await, 1 + 199);
    let feed_entries = join_all(writes.iter().map(|w| store.idea_feed(w.idea.id))).await;
    for (i, entries) in feed_entries.into_iter().enumerate() {
        let expected = usize::from(i != refused[0]);
        assert_eq!(entries.unwrap().len(), expected, "feed entries of idea {i}");
    }
}

/// PostgreSQL only: a server database can go away under a running service.
#[actix_web::test]
async fn submissions_answer_503_when_their_shared_transaction_fails() {
    let Some(app) = crate::helpers::spawn(crate::helpers::Backend::Postgres).await else {
        return;
    };
    app.drop_database().await;

    let body = valid_idea();
    let responses = join_all((0..5).map(|_| app.post_json("/v1/ideas", &body))).await;

    for response in responses {
        let problem = crate::helpers::problem(response, 503).await;
        assert_eq!(problem["type"], "urn:sammen:problem:unavailable");
    }
}
