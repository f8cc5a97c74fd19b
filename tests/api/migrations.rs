//! Migrations: sqlx's ledger on a fresh database, adopting a database made by the previous release
//! (its own `schema_migrations` ledger), and refusing to start when an applied migration changed.
use std::path::PathBuf;

use egodaeyeo::db::Db;
use sha2::{Digest, Sha384};
use sqlx::{AnyConnection, Connection, Executor};

use crate::common::{fresh_database, TestApp};

/// A database for one test: a fresh PostgreSQL database when `TEST_DATABASE_URL` is set, else a
/// SQLite file in a temp dir of its own (removed on drop).
struct Target {
    url: String,
    postgres: bool,
    dir: Option<PathBuf>,
}

impl Target {
    async fn new(tag: &str) -> Target {
        match fresh_database().await {
            Some(url) => Target {
                url,
                postgres: true,
                dir: None,
            },
            None => {
                let n: u64 = rand::random();
                let dir = std::env::temp_dir().join(format!("egd-mig-{tag}-{n:016x}"));
                std::fs::create_dir_all(&dir).unwrap();
                Target {
                    url: format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display()),
                    postgres: false,
                    dir: Some(dir),
                }
            }
        }
    }

    async fn connect(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.url).await.expect("connect")
    }

    /// The backend's migration files, `(version, description, sql)`, in order.
    fn files(&self) -> Vec<(i64, String, String)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(if self.postgres { "postgres" } else { "sqlite" });
        let mut files: Vec<(i64, String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .map(|p| {
                let name = p.file_stem().unwrap().to_str().unwrap().to_string();
                let (v, d) = name.split_once('_').unwrap();
                (
                    v.parse().unwrap(),
                    d.replace('_', " "),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        files.sort_by_key(|f| f.0);
        files
    }

    /// What the previous release's migrator did: each file up to `upto` in a transaction of its
    /// own, recorded in `schema_migrations`.
    async fn migrate_like_the_previous_release(&self, upto: i64) {
        let mut conn = self.connect().await;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await
        .unwrap();
        for (version, _, sql) in self.files().into_iter().filter(|f| f.0 <= upto) {
            let mut tx = conn.begin().await.unwrap();
            sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap();
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(1_700_000_000_000i64 + version)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        conn.close().await.unwrap();
    }

    /// `_sqlx_migrations` as `(version, success, checksum, execution_time)`.
    async fn ledger(&self) -> Vec<(i64, bool, Vec<u8>, i64)> {
        let mut conn = self.connect().await;
        // `success` is BOOLEAN on PostgreSQL and an integer on SQLite: compare it in SQL.
        let rows: Vec<(i64, i64, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT version, CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT), checksum, execution_time \
             FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        rows.into_iter()
            .map(|(v, s, c, t)| (v, s == 1, c, t))
            .collect()
    }

    async fn table_exists(&self, name: &str) -> bool {
        let mut conn = self.connect().await;
        let sql = if self.postgres {
            "SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass($1)"
        } else {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        n > 0
    }

    /// The ledger sqlx writes for every file: its version, success and the SHA-384 of its text.
    fn expected_ledger(&self) -> Vec<(i64, bool, Vec<u8>)> {
        self.files()
            .into_iter()
            .map(|(v, _, sql)| (v, true, Sha384::digest(sql.as_bytes()).to_vec()))
            .collect()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn without_times(ledger: &[(i64, bool, Vec<u8>, i64)]) -> Vec<(i64, bool, Vec<u8>)> {
    ledger
        .iter()
        .map(|(v, s, c, _)| (*v, *s, c.clone()))
        .collect()
}

#[tokio::test]
async fn a_database_made_by_the_previous_release_is_adopted_and_upgraded() {
    let db = Target::new("adopt").await;
    let files = db.files();
    let last = files.last().unwrap().0;
    assert!(last >= 2, "needs a migration to leave for the new migrator");
    // The previous release ran every migration but the newest; sqlx must run only that one.
    db.migrate_like_the_previous_release(last - 1).await;
    let mut conn = db.connect().await;
    sqlx::query(
        "INSERT INTO users (email, password_hash, nickname, region_code, created_at) \
         VALUES ('old@example.com', 'x', 'old-timer', '1144066000', 1700000000000)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert!(!db.table_exists("_sqlx_migrations").await);

    let app = TestApp::spawn_with(Some(db.url.clone()), None, |_| {}).await;
    // The old data is still there and the server serves as usual.
    let (email,): (String,) =
        sqlx::query_as("SELECT email FROM users WHERE nickname = 'old-timer'")
            .fetch_one(&app.state.db.read)
            .await
            .unwrap();
    assert_eq!(email, "old@example.com");
    let u = app.signup("newcomer").await;
    let (s, _) = app.get("/me", Some(&u.token)).await;
    assert_eq!(s, reqwest::StatusCode::OK);
    app.stop().await;

    let ledger = db.ledger().await;
    assert_eq!(without_times(&ledger), db.expected_ledger());
    for (version, _, _, execution_time) in &ledger {
        if *version < last {
            // Adopted: sqlx's "not measured".
            assert_eq!(*execution_time, -1, "version {version}");
        } else {
            // Applied by sqlx on this start.
            assert!(*execution_time >= 0, "version {version}");
        }
    }
    // The old ledger is kept as it was.
    let mut conn = db.connect().await;
    let old: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    // Every version but the newest (numbers may have gaps while branches land).
    let before_last: Vec<i64> = files.iter().map(|f| f.0).filter(|v| *v < last).collect();
    assert_eq!(old, before_last);

    // A second start changes nothing.
    let app = TestApp::spawn_with(Some(db.url.clone()), None, |_| {}).await;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.read)
        .await
        .unwrap();
    assert_eq!(users, 2);
    app.stop().await;
    assert_eq!(db.ledger().await, ledger);
}

#[tokio::test]
async fn a_fresh_database_is_migrated_from_scratch_and_a_changed_migration_is_refused() {
    let db = Target::new("fresh").await;
    let app = TestApp::spawn_with(Some(db.url.clone()), None, |_| {}).await;
    app.stop().await;
    assert_eq!(without_times(&db.ledger().await), db.expected_ledger());
    assert!(!db.table_exists("schema_migrations").await);

    // Starting again is fine; then pretend migration 1 was edited after it was applied.
    let again = Db::connect(&db.url).await.unwrap();
    again.migrate().await.unwrap();
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1")
        .bind(vec![0u8; 48])
        .execute(&again.write)
        .await
        .unwrap();
    let err = again
        .migrate()
        .await
        .expect_err("a changed migration must be refused");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("migration 1 was previously applied but has been modified"),
        "{msg}"
    );
    if db.postgres {
        // The refusal left no advisory lock held (sqlx keeps its own when it fails).
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&again.write)
        .await
        .unwrap();
        assert_eq!(held, 0, "advisory locks still held");
    }
    // A later attempt on the same pool fails the same way, at once.
    let err = tokio::time::timeout(std::time::Duration::from_secs(10), again.migrate())
        .await
        .expect("no lock left held")
        .expect_err("still refused");
    assert!(format!("{err:#}").contains("previously applied"), "{err:#}");
    again.write.close().await;
    again.read.close().await;
}

#[tokio::test]
async fn instances_starting_at_once_on_a_previous_release_database_adopt_it_once() {
    let db = Target::new("race").await;
    if !db.postgres {
        // Several instances share a database on PostgreSQL only (SQLite has one writer).
        return;
    }
    let last = db.files().last().unwrap().0;
    db.migrate_like_the_previous_release(last - 1).await;
    let mut instances = Vec::new();
    for _ in 0..4 {
        instances.push(Db::connect(&db.url).await.unwrap());
    }
    let results = futures_util::future::join_all(instances.iter().map(|i| i.migrate())).await;
    for r in results {
        r.expect("every instance starts");
    }
    assert_eq!(without_times(&db.ledger().await), db.expected_ledger());
    for i in instances {
        i.write.close().await;
    }
}
