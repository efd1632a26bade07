//! The retention job, driven with an injected clock: contact data, idempotency keys and audit
//! entries leave when they are due, in batches that let requests through.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sammen::config::RetentionSettings;
use sammen::domain::Role;
use sammen::jobs::retention::{BATCH, Clock, run_once};
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{TestApp, TestDb, json, valid_idea};
use crate::partners::drain;

on_both_backends!(
    with crate::retention::spawn_without_background_retention:
    contact_data_keys_and_audit_entries_leave_when_they_are_due,
    ten_thousand_due_ideas_are_anonymised_in_one_run_while_requests_are_answered,
);

/// The app with a retention so long that its own background job, which runs at start-up and
/// on the real clock, never touches what a test inserts: the tests run the job themselves.
pub async fn spawn_without_background_retention(
    backend: crate::helpers::Backend,
) -> Option<TestApp> {
    crate::helpers::spawn_with(backend, |config| {
        config.retention.contact_days = 36_500;
        config.retention.audit_days = 36_500;
    })
    .await
}

/// A clock that says what the test wants.
struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn days_from_now(days: i64) -> FixedClock {
    FixedClock(Utc::now() + chrono::Duration::days(days))
}

async fn contact_data_keys_and_audit_entries_leave_when_they_are_due(app: TestApp) {
    let settings = RetentionSettings::default();
    let key = format!("retention-{}", uuid::Uuid::new_v4());
    let created = json(
        app.client
            .post(app.url("/v1/ideas"))
            .header("Idempotency-Key", &key)
            .json(&valid_idea())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let partner = app
        .key(Role::Partner, &[created["network"].as_str().unwrap()])
        .await;
    drain(&app, &partner, None, 20).await;
    let key_hash = sammen::secrets::sha256(key.as_bytes());

    let now = run_once(app.store.as_ref(), &settings, &days_from_now(0))
        .await
        .unwrap();
    let early = run_once(app.store.as_ref(), &settings, &days_from_now(729))
        .await
        .unwrap();

    assert_eq!(
        (now.anonymised, now.idempotency_keys, now.audit_entries),
        (0, 0, 0)
    );
    assert_eq!(
        (
            early.anonymised,
            early.idempotency_keys,
            early.audit_entries
        ),
        (0, 1, 0)
    );
    assert!(
        app.store
            .find_idempotency_key(&key_hash)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .get_idea(id)
            .await
            .unwrap()
            .unwrap()
            .idea
            .contact
            .is_some()
    );

    let due = run_once(app.store.as_ref(), &settings, &days_from_now(731))
        .await
        .unwrap();

    assert_eq!(due.anonymised, 1);
    let stored = app.store.get_idea(id).await.unwrap().unwrap();
    assert!(stored.idea.contact.is_none());
    assert!(!stored.idea.consent.contact && !stored.idea.consent.share_contact_with_partners);
    assert_eq!(
        stored.idea.title, "Ren strand i Nibe",
        "only the contact data goes"
    );
    let citizen = app.read_back(&created).await;
    assert!(citizen.get("contact").is_none());
    assert_eq!(app.store.list_partner_reads(id).await.unwrap().len(), 1);
    let again = run_once(app.store.as_ref(), &settings, &days_from_now(731))
        .await
        .unwrap();
    assert_eq!(again.anonymised, 0, "a second run finds nothing to do");

    let old = run_once(app.store.as_ref(), &settings, &days_from_now(1096))
        .await
        .unwrap();

    assert_eq!(old.audit_entries, 1);
    assert!(app.store.list_partner_reads(id).await.unwrap().is_empty());
}

/// Inserts `count` ideas with contact data, last changed at `at`, in one transaction.
macro_rules! insert_ideas {
    ($connection:expr, $count:expr, $at:expr) => {{
        let mut tx = $connection.begin().await.unwrap();
        for n in 0..$count {
            sqlx::query(
                "INSERT INTO ideas (id, title, problem, consent_contact, consent_share, consent_publish,
                   status, citizen_token_hash, created_at, updated_at, contact_name, contact_email)
                 VALUES ($1, $2, $3, TRUE, FALSE, FALSE, 'triage', $4, $5, $5, $6, $7)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(format!("Gammel idé {n}"))
            .bind("En idé fra dengang, om noget der skulle gøres.")
            .bind(vec![0u8; 32])
            .bind($at)
            .bind("Borger")
            .bind(format!("borger{n}@example.dk"))
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }};
}

/// How many ideas hold contact data, counted in the database itself.
async fn ideas_with_contact(app: &TestApp) -> i64 {
    const COUNT: &str = "SELECT COUNT(*) FROM ideas WHERE contact_email IS NOT NULL";
    let (count,): (i64,) = match &app.db {
        TestDb::Sqlite(_) => {
            let mut db = sqlx::SqliteConnection::connect(&app.db.url())
                .await
                .unwrap();
            sqlx::query_as(COUNT).fetch_one(&mut db).await.unwrap()
        }
        TestDb::Postgres { url, .. } => {
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(COUNT).fetch_one(&mut db).await.unwrap()
        }
    };
    count
}

async fn ten_thousand_due_ideas_are_anonymised_in_one_run_while_requests_are_answered(
    app: TestApp,
) {
    const DUE: u64 = 10_000;
    let long_ago = Utc::now() - chrono::Duration::days(800);
    match &app.db {
        TestDb::Sqlite(_) => {
            let mut db = sqlx::SqliteConnection::connect(&app.db.url())
                .await
                .unwrap();
            insert_ideas!(db, DUE, long_ago);
        }
        TestDb::Postgres { url, .. } => {
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            insert_ideas!(db, DUE, long_ago);
        }
    }
    let fresh = app.submit(|_| {}).await;
    assert_eq!(ideas_with_contact(&app).await, DUE as i64 + 1);

    let store = app.store.clone();
    let job = actix_web::rt::spawn(async move {
        let started = Instant::now();
        let report = run_once(
            store.as_ref(),
            &RetentionSettings::default(),
            &days_from_now(0),
        )
        .await
        .unwrap();
        (report, started, Instant::now())
    });
    // Requests (a write and a read each) from the moment the job starts until it is done, and
    // at least three.
    let mut requests: Vec<(Instant, Duration)> = Vec::new();
    while !job.is_finished() || requests.len() < 3 {
        let started = Instant::now();
        let mut idea = valid_idea();
        idea["title"] = json!(format!("Ny idé {}", requests.len()));
        json(app.post_json("/v1/ideas", &idea).await, 201).await;
        json(app.get("/v1/networks").await, 200).await;
        requests.push((started, started.elapsed()));
    }
    let (report, job_started, job_finished) = job.await.unwrap();

    assert_eq!(report.anonymised, DUE);
    assert_eq!(report.batches, DUE / u64::from(BATCH) + 1);
    let beside: Vec<Duration> = requests
        .iter()
        .filter(|(started, _)| *started < job_finished)
        .map(|(_, took)| *took)
        .collect();
    let run = job_finished - job_started;
    assert!(
        !beside.is_empty(),
        "no request overlapped the run ({run:?})"
    );
    let slowest = requests.iter().map(|(_, took)| *took).max().unwrap();
    assert!(
        slowest < Duration::from_secs(2),
        "a request took {slowest:?} beside a run of {run:?}"
    );
    assert_eq!(
        ideas_with_contact(&app).await,
        1 + requests.len() as i64,
        "the new ideas keep theirs"
    );
    assert!(app.read_back(&fresh).await["contact"].is_object());
}
