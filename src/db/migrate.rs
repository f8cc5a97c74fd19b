//! Migrations: `sqlx::migrate!` over the numbered SQL files of the backend
//! (`migrations/sqlite/`, `migrations/postgres/`), embedded at compile time with their checksums.
//! sqlx records each applied file in `_sqlx_migrations` and refuses to start when an applied file
//! has changed since.
//!
//! Releases before sqlx's migrator recorded applied versions in `schema_migrations`; such a
//! database is adopted once (see `adopt`) and then migrated as usual. `schema_migrations` is kept
//! as it was (never written again): it is harmless, and a rollback to such a release still finds
//! its versions recorded instead of running `0001_init` over existing tables.
use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, Connection, Executor};

use super::{Backend, Db};

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// The PostgreSQL advisory lock the previous releases' migrator took. It is still taken around
/// adoption and migration, so instances of either release starting at once migrate one at a time
/// (sqlx also takes its own advisory lock inside, per database).
const PG_LOCK: i64 = 727274;

/// sqlx's own `CREATE TABLE` for its ledger, copied from sqlx 0.8 (`Migrate::ensure_migrations_table`
/// in sqlx-sqlite/src/migrate.rs and sqlx-postgres/src/migrate.rs), so an adopted database holds
/// exactly the table sqlx would have made.
const SQLX_TABLE_SQLITE: &str = r#"
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);
"#;
const SQLX_TABLE_POSTGRES: &str = r#"
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);
"#;

/// The embedded migrations of a backend.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

pub async fn run(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.write.acquire().await?;
    if db.backend == Backend::Postgres {
        // Several instances may start at once; one migrates, the others wait.
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(PG_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let result = adopt_and_migrate(db.backend, &mut conn).await;
    if db.backend == Backend::Postgres {
        // Also releases sqlx's own lock, which it leaves held when a migration fails.
        if conn
            .execute("SELECT pg_advisory_unlock_all()")
            .await
            .is_err()
        {
            // Never hand a session that may still hold the locks back to the pool.
            drop(conn.detach());
        }
    }
    result
}

async fn adopt_and_migrate(backend: Backend, conn: &mut AnyConnection) -> anyhow::Result<()> {
    let migrator = migrator(backend);
    adopt(backend, migrator, conn).await?;
    let applied: Vec<i64> = if table_exists(backend, conn, "_sqlx_migrations").await? {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    migrator
        .run(&mut *conn)
        .await
        .context("migrating the database")?;
    let pending: Vec<i64> = migrator
        .iter()
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect();
    if !pending.is_empty() {
        tracing::info!(versions = ?pending, "applied migrations");
    }
    Ok(())
}

/// A database made by a release before sqlx's migrator has `schema_migrations` and no
/// `_sqlx_migrations`: write the ledger sqlx would have written had it applied those versions
/// (the embedded checksum of each, `installed_on` from the old `applied_at`, `execution_time` -1 as
/// sqlx records a time it did not measure), in one transaction, so sqlx then runs only the rest.
async fn adopt(
    backend: Backend,
    migrator: &Migrator,
    conn: &mut AnyConnection,
) -> anyhow::Result<()> {
    let mut tx = match backend {
        // Takes SQLite's write lock at once, so two processes cannot both decide to adopt.
        Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => conn.begin().await?,
    };
    if !table_exists(backend, &mut tx, "schema_migrations").await?
        || table_exists(backend, &mut tx, "_sqlx_migrations").await?
    {
        return Ok(());
    }
    let recorded: Vec<(i64, i64)> =
        sqlx::query_as("SELECT version, applied_at FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
    let (create, insert) = match backend {
        Backend::Sqlite => (
            SQLX_TABLE_SQLITE,
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES ($1, $2, datetime($3 / 1000, 'unixepoch'), TRUE, $4, -1)",
        ),
        Backend::Postgres => (
            SQLX_TABLE_POSTGRES,
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES ($1, $2, to_timestamp($3 / 1000.0), TRUE, $4, -1)",
        ),
    };
    tx.execute(create).await?;
    for (version, applied_at) in &recorded {
        let migration = migrator
            .iter()
            .find(|m| m.version == *version)
            .with_context(|| {
                format!(
                    "schema_migrations records version {version}, which this build does not have \
                     (was the database used by a newer release?)"
                )
            })?;
        sqlx::query(insert)
            .bind(migration.version)
            .bind(&*migration.description)
            .bind(*applied_at)
            .bind(&*migration.checksum)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(
        versions = ?recorded.iter().map(|r| r.0).collect::<Vec<_>>(),
        "adopted the schema_migrations history into _sqlx_migrations"
    );
    Ok(())
}

async fn table_exists(
    backend: Backend,
    conn: &mut AnyConnection,
    name: &str,
) -> anyhow::Result<bool> {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        // The table an unqualified name resolves to (the search path), as sqlx's own statements.
        Backend::Postgres => "SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass($1)",
    };
    let n: i64 = sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}
