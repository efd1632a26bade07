//! The embedded store: one SQLite file, durable (WAL with `synchronous=FULL`) and forgetful on
//! request (`secure_delete`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

/// SQLite behind the [`Store`](super::Store) trait.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Takes the write lock at `BEGIN`, so that a transaction that reads before it writes never
    /// fails on lock upgrade; the busy timeout then makes writers queue.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    /// Opens (and creates when missing) the database file of a `sqlite://` URL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

impl_sql_store!(SqliteStore);
