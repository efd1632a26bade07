//! The production store: PostgreSQL.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

use super::IdeaWrite;
use super::StoreError;
use super::group_commit::GroupCommit;
use crate::domain::PartnerRead;

/// PostgreSQL behind the [`Store`](super::Store) trait.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    ideas: GroupCommit<IdeaWrite>,
    reads: GroupCommit<Vec<PartnerRead>>,
}

impl PostgresStore {
    const BEGIN_WRITE: &'static str = "BEGIN";

    /// Claims due deliveries; rows another dispatcher is claiming are skipped, not waited for.
    const CLAIM_DELIVERIES: &'static str =
        "UPDATE webhook_outbox SET lease_until = $2, attempts = attempts + 1
         WHERE id IN (
           SELECT o.id FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id
           WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND w.disabled_at IS NULL
             AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1)
           ORDER BY o.next_attempt_at, o.id LIMIT $3
           FOR UPDATE OF o SKIP LOCKED)
         RETURNING id";

    /// The ideas whose stored matching contains the text `$1` (an idea's id, as a LIKE pattern).
    const MENTIONING: &'static str = "SELECT id, matching FROM ideas WHERE matching::text LIKE $1";

    /// Connects to a `postgres://` URL. Requests wait at most 3 s for a connection, so that an
    /// unreachable database answers 503 quickly instead of piling up.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("sammen");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options)
            .await?;
        Ok(Self {
            ideas: Self::idea_writer(pool.clone()),
            reads: Self::read_writer(pool.clone()),
            pool,
        })
    }

    /// PostgreSQL keeps the old versions of updated rows until (auto)vacuum reclaims them, and
    /// its write-ahead log until it is recycled; a VACUUM here would not reach those either, so
    /// nothing is done (see docs/staff.md).
    async fn forget_freed_pages(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// `ids` as one parameter, a `uuid[]` for `= ANY($1)`.
    fn id_list(ids: &[Uuid]) -> &[Uuid] {
        ids
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

impl_sql_store!(PostgresStore, sqlx::Postgres, "= ANY($1)");
