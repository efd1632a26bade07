//! The embedded store: one SQLite file, durable (WAL with `synchronous=FULL`) and forgetful on
//! request (`secure_delete`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

use super::IdeaWrite;
use super::StoreError;
use super::group_commit::GroupCommit;
use crate::domain::PartnerRead;

/// How often a checkpoint after an erasure is tried while readers hold the log.
const CHECKPOINT_TRIES: usize = 20;

/// SQLite behind the [`Store`](super::Store) trait.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    ideas: GroupCommit<IdeaWrite>,
    reads: GroupCommit<Vec<PartnerRead>>,
}

impl SqliteStore {
    /// Takes the write lock at `BEGIN`, so that a transaction that reads before it writes never
    /// fails on lock upgrade; the busy timeout then makes writers queue.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    /// Claims due deliveries; the write lock taken at `BEGIN IMMEDIATE` keeps two
    /// dispatchers from claiming the same row.
    const CLAIM_DELIVERIES: &'static str =
        "UPDATE webhook_outbox SET lease_until = $2, attempts = attempts + 1
         WHERE id IN (
           SELECT o.id FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id
           WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND w.disabled_at IS NULL
             AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1)
           ORDER BY o.next_attempt_at, o.id LIMIT CAST($3 AS BIGINT))
         RETURNING id";

    /// The ideas whose stored matching contains the text `$1` (an idea's id, as a LIKE pattern).
    const MENTIONING: &'static str = "SELECT id, matching FROM ideas WHERE matching LIKE $1";

    /// Opens (and creates when missing) the database file of a `sqlite://` URL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("secure_delete", "ON")
            // 16 MiB of pages a connection (SQLite's default is 2 MiB): the ideas' indexes and
            // the recent rows stay in memory instead of being read again for every insert.
            .pragma("cache_size", "-16384");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self {
            ideas: Self::idea_writer(pool.clone()),
            reads: Self::read_writer(pool.clone()),
            pool,
        })
    }

    /// Moves every committed page from the write-ahead log into the database file and
    /// truncates the log: with `secure_delete`, the bytes of erased data then exist in neither.
    async fn forget_freed_pages(&self) -> Result<(), StoreError> {
        for _ in 0..CHECKPOINT_TRIES {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!(
            "the write-ahead log could not be truncated after an erasure; the next checkpoint will"
        );
        Ok(())
    }

    /// `ids` as one parameter: a JSON array of their hex digits, which
    /// `IN (SELECT unhex(value) FROM json_each($1))` turns back into the 16 bytes each id is
    /// stored as.
    fn id_list(ids: &[Uuid]) -> String {
        let quoted: Vec<String> = ids
            .iter()
            .map(|id| format!("\"{}\"", id.simple()))
            .collect();
        format!("[{}]", quoted.join(","))
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

impl_sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    "IN (SELECT unhex(value) FROM json_each($1))"
);
