//! Integration tests: HTTP against the real application on a random port, on SQLite always
//! and on PostgreSQL when `SAMMEN_TEST_POSTGRES_URL` is set.

#[macro_use]
mod helpers;

mod admin_catalog;
mod admin_ideas;
mod admin_stats;
mod browser;
mod catalog;
mod citizens;
mod cli;
mod conformance;
mod decisions;
mod group_commit;
mod http;
mod ideas;
mod keys;
mod learning;
mod limits;
mod matching;
mod metrics;
mod outage;
mod partners;
mod properties;
mod replicas;
mod retention;
mod roles;
mod tenants;
mod webhooks;

/// Says in the test output whether the PostgreSQL half of the suite ran; every test in a
/// `postgres` module returns at once when it did not.
#[test]
fn postgres_backend_is_configured_or_skipped() {
    match std::env::var("SAMMEN_TEST_POSTGRES_URL") {
        Ok(_) => println!(
            "PostgreSQL: the suite runs on PostgreSQL too (SAMMEN_TEST_POSTGRES_URL is set)."
        ),
        Err(_) => println!(
            "PostgreSQL: SKIPPED. SAMMEN_TEST_POSTGRES_URL is not set, so every `postgres::` test returned \
             without running; set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run them."
        ),
    }
}
