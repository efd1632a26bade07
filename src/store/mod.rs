//! Persistence: one [`Store`] trait, one implementation per backend (SQLite embedded,
//! PostgreSQL in production), each with its own migrations.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use crate::domain::catalog::{CatalogEntry, EntryKind};
use crate::domain::stats::IdeaFacts;
use crate::domain::{
    ApiKey, Beacon, Catalog, Consent, DeliveryAttempt, DeliveryResult, FeedEntry, HistoryEntry,
    IdeaStatus, IdeaText, Moderation, Network, PartnerRead, PendingDelivery, RoutingFeedback,
    StatusChange, StoredIdea, Webhook,
};

// `sql` defines the macro the backends expand, so it comes first.
#[macro_use]
mod sql;
mod group_commit;
mod postgres;
mod rows;
mod sqlite;

pub use group_commit::{IdeaWrite, MAX_BATCH};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// What can go wrong in the store. Callers see causes only through the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached right now (connection refused, pool exhausted, I/O).
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A unique constraint refused the write.
    #[error("conflicting write")]
    Conflict,
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Applying migrations failed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The transaction this write shared with other writes failed as a whole (group commit):
    /// it was rolled back, or, when the connection broke during its commit, its outcome is
    /// unknown (a retry with the same idempotency key finds out).
    #[error("the shared transaction failed")]
    BatchFailed(#[source] Arc<StoreError>),
    /// Any other database error.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// The database URL is not one this service understands.
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error),
            sqlx::Error::Database(db) if ends_the_session(db.as_ref()) => {
                StoreError::Unavailable(error)
            }
            _ => StoreError::Database(error),
        }
    }
}

/// Whether a database error means the server ended (or would not start) the session, rather
/// than refusing one statement: PostgreSQL shutting down, restarting, refusing connections to
/// the database, or out of connection slots. Such errors pass when the server is back.
fn ends_the_session(error: &dyn sqlx::error::DatabaseError) -> bool {
    use sqlx::postgres::{PgDatabaseError, PgSeverity};
    if let Some(postgres) = error.try_downcast_ref::<PgDatabaseError>()
        && matches!(postgres.severity(), PgSeverity::Fatal | PgSeverity::Panic)
    {
        return true;
    }
    // Connection exceptions (class 08), operator intervention (57P01 admin shutdown, 57P02
    // crash shutdown, 57P03 cannot connect now) and too many connections.
    error
        .code()
        .is_some_and(|code| code.starts_with("08") || code.starts_with("57P") || code == "53300")
}

/// How an import treats what the store already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Insert new slugs, update existing ones, keep the rest.
    Upsert,
    /// Make the catalog exactly the file: entries missing from it are removed.
    Replace,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Networks written.
    pub networks: usize,
    /// Initiatives written.
    pub initiatives: usize,
    /// Beacons written.
    pub beacons: usize,
    /// Entries removed (replace mode only).
    pub removed: usize,
    /// Networks missing from the file that were kept as retired because ideas had been with
    /// them (replace mode only).
    pub retired: usize,
}

/// Whether a write creates an entry or changes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryWrite {
    /// Only when no entry (retired or not) has the slug.
    Create,
    /// Only when an entry has the slug; a retired one comes back.
    Update,
}

/// What taking an entry out of the catalog did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Retirement {
    /// Kept, but out of the public lists and matching: ideas or statistics name it.
    Retired,
    /// Gone: a network that never had an idea.
    Deleted,
}

/// An `Idempotency-Key` remembered with the idea it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// SHA-256 of the key.
    pub key_hash: Vec<u8>,
    /// SHA-256 of the canonical request body.
    pub request_hash: Vec<u8>,
    /// The idea the first request created.
    pub idea_id: Uuid,
    /// The citizen token, sealed with a pad derived from the key.
    pub sealed_token: Vec<u8>,
    /// When the first request was made.
    pub created_at: DateTime<Utc>,
}

/// Filters of the staff's list of ideas; every one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdeaFilter {
    /// Only ideas with this status.
    pub status: Option<IdeaStatus>,
    /// Only ideas with this network.
    pub network: Option<String>,
    /// Only ideas the matching found to serve this beacon.
    pub beacon: Option<String>,
    /// Only ideas about this postcode.
    pub postcode: Option<String>,
    /// Only ideas received at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only ideas received before this time.
    pub created_to: Option<DateTime<Utc>>,
    /// Only ideas whose title, answers or place contain this text (case-insensitive for
    /// ASCII letters on SQLite, for all letters on PostgreSQL).
    pub text: Option<String>,
    /// Only hidden (`true`) or only visible (`false`) ideas.
    pub hidden: Option<bool>,
    /// Only ideas whose author agreed to publication.
    pub published: Option<bool>,
}

/// A `LIKE` pattern that finds `text` anywhere, with `\` as the escape character.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Beacon slugs as the `ideas.beacons` column keeps them: `,a,b,` (null for none).
pub(crate) fn beacon_list(slugs: &[String]) -> Option<String> {
    (!slugs.is_empty()).then(|| format!(",{},", slugs.join(",")))
}

/// The `LIKE` pattern that finds a beacon in the `ideas.beacons` column.
pub(crate) fn beacon_pattern(slug: &str) -> String {
    format!("%,{slug},%")
}

/// A published idea as the public list reads it: its text and where it is, without the
/// contact data and without the stored matching (its beacons come from their own column).
#[derive(Debug, Clone, PartialEq)]
pub struct PublicIdea {
    /// The idea's id.
    pub id: Uuid,
    /// Its text, unmasked.
    pub text: IdeaText,
    /// Where it is in its life.
    pub status: IdeaStatus,
    /// The network that has it; none in triage.
    pub network: Option<String>,
    /// The slugs of the beacons its matching found, best first.
    pub beacons: Vec<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
}

/// The most rows one multi-row insert writes (a power of two, see [`power_of_two_runs`]): 23
/// parameters a row for ideas, within SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const ROWS_PER_STATEMENT: usize = 256;
/// The most audit rows one statement writes (a power of two; five parameters a row).
const READS_PER_INSERT: usize = 64;

/// Splits `rows` into runs whose lengths are powers of two, at most `most` (a power of two),
/// longest first. A multi-row statement then takes one of a few shapes whatever the batch, and
/// each shape stays prepared on its connection instead of being parsed for every batch.
pub(crate) fn power_of_two_runs<T>(mut rows: &[T], most: usize) -> impl Iterator<Item = &[T]> {
    debug_assert!(most.is_power_of_two());
    std::iter::from_fn(move || {
        let len = rows.len().min(most);
        if len == 0 {
            return None;
        }
        let (run, rest) = rows.split_at(1 << len.ilog2());
        rows = rest;
        Some(run)
    })
}

/// A page of the partner feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The entries, by position.
    pub entries: Vec<FeedEntry>,
    /// Where the next read resumes: the last entry's position when the page is full, else the
    /// last position committed when the page was read (every entry up to it has been seen).
    pub resume_after: i64,
}

/// The connections of a store's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open now.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// What the metrics read from the store at each scrape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationalCounts {
    /// Stored ideas by status code.
    pub ideas_by_status: Vec<(String, i64)>,
    /// Webhook deliveries not yet delivered and not given up.
    pub outbox_pending: i64,
    /// Age of the oldest of them, in seconds (0 when there is none).
    pub outbox_oldest_pending_seconds: i64,
}

/// A change to which ideas are published, from the publication log.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicationChange {
    /// Its position in commit order.
    pub position: i64,
    /// The idea.
    pub idea_id: Uuid,
    /// The idea's text, when the change published it and it is still published now; `None`
    /// when the change took it out (or it has been taken out since).
    pub text: Option<IdeaText>,
}

/// Everything the service keeps. Implemented once per backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies this backend's pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// The connections of the pool now.
    fn pool_usage(&self) -> PoolUsage;
    /// Ideas by status and the webhook outbox's backlog, for the metrics.
    async fn operational_counts(&self) -> Result<OperationalCounts, StoreError>;

    /// Slugs of the active (not retired) networks.
    async fn network_slugs(&self) -> Result<HashSet<String>, StoreError>;
    /// Writes a validated catalog in one transaction.
    async fn import_catalog(
        &self,
        catalog: &Catalog,
        mode: ImportMode,
    ) -> Result<ImportSummary, StoreError>;
    /// Creates or updates one catalog entry and bumps the catalog's revision, in one
    /// transaction; `false` (nothing written) when a create finds the slug taken or an update
    /// finds no entry.
    async fn write_catalog_entry(
        &self,
        entry: &CatalogEntry,
        write: EntryWrite,
    ) -> Result<bool, StoreError>;
    /// Takes an entry out of the catalog: a network that never had an idea is deleted with its
    /// initiatives; anything else is retired. `None` when there is no such entry.
    async fn retire_catalog_entry(
        &self,
        kind: EntryKind,
        slug: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Retirement>, StoreError>;
    /// Reads the whole active catalog (retired entries left out).
    async fn export_catalog(&self) -> Result<Catalog, StoreError>;
    /// All networks, in catalog order.
    async fn list_networks(&self) -> Result<Vec<Network>, StoreError>;
    /// All beacons, in catalog order.
    async fn list_beacons(&self) -> Result<Vec<Beacon>, StoreError>;

    /// Stores a new idea and, when given, its idempotency key, in one transaction; the first
    /// history entry and a routed idea's feed entry are written in the same transaction.
    /// [`StoreError::Conflict`] when the key is already taken. Returns once that transaction
    /// has committed. Ideas inserted at the same time share a transaction and its commit
    /// (group commit, see [`Store::insert_ideas`]), each with an outcome of its own.
    async fn insert_idea(
        &self,
        idea: &StoredIdea,
        key: Option<&IdempotencyRecord>,
    ) -> Result<(), StoreError>;
    /// Stores several new ideas, each exactly as [`Store::insert_idea`] would, in one
    /// transaction with one commit; one result per idea, in order. An idea that fails (a taken
    /// key) is rolled back alone and the others are kept.
    async fn insert_ideas(&self, batch: &[IdeaWrite]) -> Vec<Result<(), StoreError>>;
    /// How many ideas are stored.
    async fn count_ideas(&self) -> Result<u64, StoreError>;
    /// One idea.
    async fn get_idea(&self, id: Uuid) -> Result<Option<StoredIdea>, StoreError>;
    /// The ideas of `ids` that exist, in no particular order: one query for many ideas.
    async fn get_ideas(&self, ids: &[Uuid]) -> Result<Vec<StoredIdea>, StoreError>;
    /// A remembered idempotency key.
    async fn find_idempotency_key(
        &self,
        key_hash: &[u8],
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// The catalog's revision, bumped by every import.
    async fn catalog_revision(&self) -> Result<i64, StoreError>;
    /// Published ideas ordered by id, after `after`: the text that similar-idea search indexes.
    async fn published_ideas(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, IdeaText)>, StoreError>;
    /// Anonymises the contact data of up to `limit` ideas last changed before `cutoff` (the
    /// consent to keep and share it goes with it), in one transaction; returns how many.
    async fn anonymise_contacts_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;
    /// Deletes the audit entries (reads of ideas) made before `cutoff`; returns how many.
    async fn delete_reads_before(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Makes sure erased bytes have left the database files (on SQLite, checkpoints the
    /// write-ahead log; see [`Store::erase_idea`]).
    async fn forget_erased(&self) -> Result<(), StoreError>;
    /// The last position of the publication log (and the feed) committed now.
    async fn publication_head(&self) -> Result<i64, StoreError>;
    /// Changes to which ideas are published, by position, after `after` and up to `until`: at
    /// most `limit`.
    async fn publication_changes(
        &self,
        after: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<PublicationChange>, StoreError>;
    /// Forgets the publication log's entries written before `before` (Unix seconds).
    async fn prune_publication_log(&self, before: i64) -> Result<u64, StoreError>;
    /// Forgets the idempotency keys created before `cutoff`; returns how many.
    async fn delete_idempotency_keys_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Stores a new API key with the SHA-256 of its secret.
    async fn insert_api_key(&self, key: &ApiKey, key_hash: &[u8]) -> Result<(), StoreError>;
    /// API keys ordered by id, after `after`, revoked ones included.
    async fn list_api_keys(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<ApiKey>, StoreError>;
    /// The keys whose secret starts with `prefix`, each with the hash of its secret.
    async fn find_api_keys(&self, prefix: &str) -> Result<Vec<(ApiKey, Vec<u8>)>, StoreError>;
    /// Notes that a key was used at `at`; written at most once a minute per key.
    async fn touch_api_key(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Ideas that pass `filter`, newest first, before the id `before`.
    async fn list_ideas(
        &self,
        filter: &IdeaFilter,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<StoredIdea>, StoreError>;
    /// The public list: published ideas that are not hidden, newest first, before the id
    /// `before`; only those with the network `network` and serving the beacon `beacon`, when
    /// given. Reads neither the stored matching nor the contact data.
    async fn list_public_ideas(
        &self,
        network: Option<&str>,
        beacon: Option<&str>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<PublicIdea>, StoreError>;
    /// What statistics need of every idea received in `[from, to)` (either bound open),
    /// erased ones included.
    async fn idea_facts(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<IdeaFacts>, StoreError>;
    /// Ideas in triage, oldest first, after the id `after`.
    async fn list_triage(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<StoredIdea>, StoreError>;
    /// Hides or unhides an idea with the log entry, in one transaction; a hidden idea also
    /// leaves the similar ideas stored with other ideas. `false` when there is no such idea
    /// (or it was erased).
    async fn moderate_idea(&self, moderation: &Moderation) -> Result<bool, StoreError>;
    /// The moderation log of an idea, oldest first.
    async fn list_moderation(&self, idea_id: Uuid) -> Result<Vec<Moderation>, StoreError>;
    /// Applies a partner's decision with its history entry and feed events in one transaction;
    /// `false` (and nothing written) when the idea's status or network is no longer the one
    /// the change starts from.
    async fn apply_change(&self, change: &StatusChange) -> Result<bool, StoreError>;
    /// Erases an idea's free text and contact data wherever they are kept, in one
    /// transaction: an anonymous row remains for statistics (network, status `erased`, dates,
    /// postcode, language, beacons), history and moderation lose their notes, the idempotency
    /// key goes, other ideas' stored similar ideas forget it, and every network that had it
    /// in its feed is told (`idea.erased`). On SQLite the write-ahead log is then checkpointed,
    /// so the old bytes leave the files. `false` when there is no such idea (or it was erased).
    async fn erase_idea(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Writes an idea's consent; with `erase_contact`, its contact data is erased too (as
    /// thoroughly as by [`Store::erase_idea`]). `false` when there is no such idea.
    async fn update_consent(
        &self,
        id: Uuid,
        consent: Consent,
        erase_contact: bool,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// One API key, revoked or not.
    async fn get_api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError>;
    /// The feed entries about one idea, in order: which networks were told what, and when.
    async fn idea_feed(&self, idea_id: Uuid) -> Result<Vec<FeedEntry>, StoreError>;
    /// The history of an idea, oldest first.
    async fn idea_history(&self, idea_id: Uuid) -> Result<Vec<HistoryEntry>, StoreError>;
    /// The histories of the ideas of `ids`, each oldest first, by idea: one query for many
    /// ideas (an idea without history has no entry).
    async fn idea_histories(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<HistoryEntry>>, StoreError>;
    /// Every partner decision, oldest first: what routing learns from.
    async fn list_routing_feedback(&self) -> Result<Vec<RoutingFeedback>, StoreError>;
    /// The feed of `networks` after position `after`: at most `limit` entries.
    async fn read_feed(
        &self,
        networks: &[String],
        after: i64,
        limit: u32,
    ) -> Result<FeedPage, StoreError>;
    /// Writes reads of ideas by partners to the audit log.
    async fn record_partner_reads(&self, reads: &[PartnerRead]) -> Result<(), StoreError>;
    /// The audit log of one idea, oldest first.
    async fn list_partner_reads(&self, idea_id: Uuid) -> Result<Vec<PartnerRead>, StoreError>;
    /// Registers a webhook endpoint of a partner key, subscribed to its networks and events.
    async fn insert_webhook(
        &self,
        key_id: Uuid,
        webhook: &Webhook,
        secret: &str,
    ) -> Result<(), StoreError>;
    /// The endpoints of a key, oldest first.
    async fn list_webhooks(&self, key_id: Uuid) -> Result<Vec<Webhook>, StoreError>;
    /// One endpoint of a key.
    async fn get_webhook(&self, key_id: Uuid, id: Uuid) -> Result<Option<Webhook>, StoreError>;
    /// Removes an endpoint of a key with its pending deliveries and log; `false` when the key
    /// has no such endpoint.
    async fn delete_webhook(&self, key_id: Uuid, id: Uuid) -> Result<bool, StoreError>;
    /// The delivery log of an endpoint, newest first, before the attempt `before`.
    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<DeliveryAttempt>, StoreError>;
    /// Claims up to `limit` due deliveries until `lease_until`: no other dispatcher takes them
    /// before the lease runs out (when this process dies, they are due again then).
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, StoreError>;
    /// Records an attempt: the outbox row is done, due again later, or given up, and the
    /// attempt goes to the log (an endpoint that answered 410 is disabled).
    async fn finish_delivery(&self, result: &DeliveryResult) -> Result<(), StoreError>;
    /// Revokes a key (a second revocation keeps the first time) and disables its webhooks;
    /// the key as it is now, or `None` when there is no such key.
    async fn revoke_api_key(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, StoreError>;
}

/// The current time at the precision every store keeps (microseconds), so that what a
/// response says equals what a later read returns.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// Opens the store a database URL names: `sqlite://...` or `postgres://...`.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::power_of_two_runs;

    proptest! {
        #[test]
        fn runs_are_powers_of_two_that_cover_the_rows_in_order(len in 0usize..2_000, most in 0u32..9) {
            let rows: Vec<usize> = (0..len).collect();
            let most = 1 << most;
            let runs: Vec<&[usize]> = power_of_two_runs(&rows, most).collect();
            for run in &runs {
                prop_assert!(run.len().is_power_of_two() && run.len() <= most);
            }
            // Longest first, so a batch takes as few statements as it can.
            prop_assert!(runs.windows(2).all(|pair| pair[0].len() >= pair[1].len()));
            prop_assert_eq!(runs.concat(), rows);
        }
    }
}
