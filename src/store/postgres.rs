//! The production store: PostgreSQL.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::StoreError;

/// PostgreSQL behind the [`Store`](super::Store) trait.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    const BEGIN_WRITE: &'static str = "BEGIN";

    /// Connects to a `postgres://` URL. Requests wait at most 3 s for a connection, so that an
    /// unreachable database answers 503 quickly instead of piling up.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("sammen");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

impl_sql_store!(PostgresStore);
