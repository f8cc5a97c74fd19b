//! A small migrator: numbered SQL files per backend, embedded in the binary, applied once each.
use sqlx::{Acquire, Executor};

use super::{Backend, Db};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_visible_item_indexes.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_covering_count_indexes.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_item_moderation.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_auth_attempts.sql"),
    ),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_visible_item_indexes.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/0003_covering_count_indexes.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/0004_item_moderation.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_auth_attempts.sql"),
    ),
];

pub async fn run(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.write.acquire().await?;
    if db.backend == Backend::Postgres {
        // Several instances may start at once; one migrates, the others wait.
        conn.execute("SELECT pg_advisory_lock(727274)").await?;
    }
    let result = apply(db.backend, &mut conn).await;
    if db.backend == Backend::Postgres {
        conn.execute("SELECT pg_advisory_unlock(727274)").await?;
    }
    result
}

async fn apply(backend: Backend, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let list = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    for (version, sql) in list {
        let done: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *conn)
                .await?;
        if done.is_some() {
            continue;
        }
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(crate::clock::Clock::default().now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "applied migration");
    }
    Ok(())
}
