//! SQLite file operations for `egodaeyeo backup` / `restore` (`ops::backup`): a consistent copy
//! of a database that a running server keeps writing, and the checks on a restored one.
use std::path::Path;

use sqlx::{AnyConnection, Connection, Executor};

async fn open(file: &Path, read_only: bool) -> anyhow::Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    let mode = if read_only { "ro" } else { "rw" };
    let url = format!("sqlite://{}?mode={mode}", file.display());
    let mut conn = AnyConnection::connect(&url).await?;
    // The server's writer may hold the write lock for a moment; a reader in WAL mode never
    // waits for it, but opening can, briefly.
    conn.execute("PRAGMA busy_timeout=10000").await?;
    Ok(conn)
}

/// Writes a consistent copy of the live database `file` to `into` (which must not exist) with
/// `VACUUM INTO`: one read transaction, so the copy is the database as of one commit, while the
/// server goes on writing (WAL readers do not block the writer). The copy is compact and has no
/// `-wal` file of its own.
pub async fn snapshot_sqlite(file: &Path, into: &Path) -> anyhow::Result<()> {
    let mut conn = open(file, true).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(into.to_string_lossy().to_string())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// What the database says about itself: `PRAGMA integrity_check` ("ok" when sound) and the
/// latest applied migration (0 when none).
pub async fn check_sqlite(file: &Path) -> anyhow::Result<(String, i64)> {
    let mut conn = open(file, true).await?;
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?;
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(None);
    conn.close().await?;
    Ok((rows.join("; "), version.unwrap_or(0)))
}
