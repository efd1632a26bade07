//! The retention job: anonymises contact data `SAMMEN_CONTACT_RETENTION_DAYS` after an idea's
//! last change, forgets idempotency keys after 24 hours and audit entries after
//! `SAMMEN_AUDIT_RETENTION_DAYS`. Contact data goes in batches of [`BATCH`] ideas, each its own
//! short transaction, so that requests are served between them; every run is idempotent, so
//! replicas may run it side by side.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::config::RetentionSettings;
use crate::routes::ideas::IDEMPOTENCY_WINDOW_HOURS;
use crate::store::{self, Store, StoreError};

/// Ideas anonymised per transaction.
pub const BATCH: u32 = 500;

/// Where the job reads the time: the system clock, or a test's.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        store::now()
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Ideas whose contact data was anonymised.
    pub anonymised: u64,
    /// Transactions that anonymised (the last one finds fewer than [`BATCH`]).
    pub batches: u64,
    /// Idempotency keys forgotten.
    pub idempotency_keys: u64,
    /// Audit entries deleted.
    pub audit_entries: u64,
}

/// One run at the time `clock` tells.
#[tracing::instrument(skip_all)]
pub async fn run_once(
    store: &dyn Store,
    settings: &RetentionSettings,
    clock: &dyn Clock,
) -> Result<RetentionReport, StoreError> {
    let now = clock.now();
    let mut report = RetentionReport::default();
    let contact_cutoff = now - Duration::days(i64::from(settings.contact_days));
    loop {
        let anonymised = store
            .anonymise_contacts_before(contact_cutoff, BATCH)
            .await?;
        report.anonymised += anonymised;
        report.batches += 1;
        if anonymised < u64::from(BATCH) {
            break;
        }
        // Let requests have the database between two batches.
        tokio::task::yield_now().await;
    }
    if report.anonymised > 0 {
        store.forget_erased().await?;
    }
    report.idempotency_keys = store
        .delete_idempotency_keys_before(now - Duration::hours(IDEMPOTENCY_WINDOW_HOURS))
        .await?;
    report.audit_entries = store
        .delete_reads_before(now - Duration::days(i64::from(settings.audit_days)))
        .await?;
    Ok(report)
}

/// Runs the job now and then every `settings.interval`, for as long as the process lives.
pub async fn run(store: Arc<dyn Store>, settings: RetentionSettings, clock: Arc<dyn Clock>) {
    let mut ticks = actix_web::rt::time::interval(settings.interval);
    loop {
        ticks.tick().await;
        match run_once(store.as_ref(), &settings, clock.as_ref()).await {
            Ok(report)
                if report
                    != RetentionReport {
                        batches: 1,
                        ..Default::default()
                    } =>
            {
                tracing::info!(?report, "retention job ran");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = ?error, "retention job failed; next run retries"),
        }
    }
}
