//! Database pools for SQLite and PostgreSQL behind sqlx `Any`, so every query is written once.
//! Backend-specific SQL (search, locking details) lives here and nowhere else.
pub mod backup;
mod migrate;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reader connections on SQLite. Few: each SQLite connection is a thread, and on small machines
/// the context switches cost more than the extra parallelism gains.
const SQLITE_READERS: u32 = 4;
/// The PostgreSQL pool (reads and writes).
const PG_CONNECTIONS: u32 = 16;
/// The write-ahead log is cut back to this size whenever it starts over (every connection sets it;
/// the one that restarts the log applies it).
pub const JOURNAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;
/// Past this size the maintenance checkpoint waits for the readers so the log can start over.
pub const WAL_RESTART_AT: u64 = 32 * 1024 * 1024;
/// How long that checkpoint may hold the writer waiting for readers that still use the log;
/// the chat path stalls meanwhile, so it gives up and tries again on a later tick.
const RESTART_WAIT_MS: u64 = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Two pools: on SQLite one writer connection (SQLite has a single writer anyway, and a single
/// connection avoids busy-retry storms) and a pool of readers; on PostgreSQL both are the same pool.
#[derive(Clone)]
pub struct Db {
    pub read: AnyPool,
    pub write: AnyPool,
    pub backend: Backend,
    /// SQLite's write-ahead log file (None on PostgreSQL or for in-memory databases).
    wal_path: Option<std::path::PathBuf>,
    /// Permits for expensive reads (slow listing families): fewer than the reader connections,
    /// so those reads can never occupy all of them and cheap reads always find one.
    pub slow_reads: Arc<Semaphore>,
}

/// Why a time-limited read returned no result.
#[derive(Debug, thiserror::Error)]
pub enum LimitedReadError {
    #[error("the statement time limit passed")]
    TimedOut,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What `Db::checkpoint` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// Nothing to do (PostgreSQL) or the usual passive copy.
    Passive,
    /// The log had grown past `WAL_RESTART_AT` and was copied and truncated.
    Truncated { from_bytes: u64 },
    /// The log is past `WAL_RESTART_AT` but readers still used it within the allowed wait.
    Busy { wal_bytes: u64 },
}

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:");
        };
        let opts = AnyConnectOptions::from_str(url)?;
        let db = match backend {
            Backend::Sqlite => {
                let write = sqlite_pool(1, true, &opts).await?;
                // WAL is a property of the file; set it once on the writer before readers connect.
                write.execute("PRAGMA journal_mode=WAL").await?;
                let read = sqlite_pool(SQLITE_READERS, false, &opts).await?;
                let file: String =
                    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                        .fetch_one(&write)
                        .await?;
                Db {
                    read,
                    write,
                    backend,
                    wal_path: (!file.is_empty()).then(|| format!("{file}-wal").into()),
                    slow_reads: Arc::new(Semaphore::new((SQLITE_READERS / 2) as usize)),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(PG_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    wal_path: None,
                    slow_reads: Arc::new(Semaphore::new((PG_CONNECTIONS / 2) as usize)),
                }
            }
        };
        Ok(db)
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate::run(self).await
    }

    /// Refreshes the planner's statistics so listing queries pick the selective index (without
    /// them SQLite walks the visibility index and counts every row). Cheap: sampled on SQLite.
    pub async fn analyze(&self) -> sqlx::Result<()> {
        let mut conn = self.write.acquire().await?;
        if self.backend == Backend::Sqlite {
            conn.execute("PRAGMA analysis_limit=2000").await?;
        }
        conn.execute("ANALYZE").await?;
        Ok(())
    }

    /// Copies the SQLite write-ahead log back into the database, between two write
    /// transactions. It runs on the writer connection on purpose: only a checkpoint that no
    /// write overtakes copies the whole log, and only then does the next write start the log
    /// over. Checkpointing beside a busy writer never catches up, and the log grows without end
    /// (seen at 90 MB/s under chat load, each append costing the kernel fresh zeroed blocks).
    ///
    /// Readers that overlap without pause keep the log in use, so it never starts over and grows
    /// by everything written (925 MB in 90 s of mixed load). Past `WAL_RESTART_AT` the checkpoint
    /// is a TRUNCATE one instead: it waits (at most `RESTART_WAIT_MS`) for the readers still using
    /// the log, whose statements are short or time-limited; readers that start meanwhile read the
    /// database file and do not hold it up. Then the file is cut to zero.
    pub async fn checkpoint(&self) -> sqlx::Result<Checkpoint> {
        if self.backend != Backend::Sqlite {
            return Ok(Checkpoint::Passive);
        }
        // The checkpoint must fsync the log first; with synchronous=NORMAL that is everything
        // written since the last one (10–25 ms here under load), and the writer would wait for
        // it. Flushing the file from a blocking thread beforehand leaves the checkpoint only the
        // last few milliseconds' frames to sync.
        let mut wal_bytes = 0;
        if let Some(wal) = self.wal_path.clone() {
            wal_bytes = tokio::task::spawn_blocking(move || {
                let f = std::fs::File::open(wal)?;
                f.sync_data()?;
                Ok::<_, std::io::Error>(f.metadata()?.len())
            })
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0);
        }
        if wal_bytes > WAL_RESTART_AT {
            return self.truncate_wal(wal_bytes).await;
        }
        self.write.execute("PRAGMA wal_checkpoint(PASSIVE)").await?;
        Ok(Checkpoint::Passive)
    }

    async fn truncate_wal(&self, wal_bytes: u64) -> sqlx::Result<Checkpoint> {
        let mut conn = self.write.acquire().await?;
        // The checkpoint waits for readers through the busy handler: bound that wait here
        // rather than the writer's usual 10 s.
        conn.execute(format!("PRAGMA busy_timeout={RESTART_WAIT_MS}").as_str())
            .await?;
        let done = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await;
        if conn
            .execute(format!("PRAGMA busy_timeout={BUSY_TIMEOUT_MS}").as_str())
            .await
            .is_err()
        {
            // A writer left with the short timeout would fail writes under contention.
            conn.close_on_drop();
        }
        // (busy, log frames, checkpointed frames); busy = 1 when readers held the log too long.
        let busy: i64 = sqlx::Row::try_get(&done?, 0)?;
        Ok(if busy == 0 {
            Checkpoint::Truncated {
                from_bytes: wal_bytes,
            }
        } else {
            Checkpoint::Busy { wal_bytes }
        })
    }

    /// Runs `f` on a reader connection with every statement limited to `limit`; past it the
    /// read fails with `TimedOut`. `permit` (a `slow_reads` permit) is held until the connection
    /// is really free again.
    ///
    /// PostgreSQL: `SET LOCAL statement_timeout` in a read transaction; the server cancels the
    /// statement (SQLSTATE 57014) and the connection is free at once. The limit ends with the
    /// transaction, so the pool (shared with writes) keeps no limit.
    ///
    /// SQLite: the statement cannot be interrupted through sqlx `Any`, so the caller stops
    /// waiting and the statement runs on in the connection's worker thread until it produces its
    /// next row (a sort or a COUNT: until it is done). Until then the connection and the permit
    /// stay out of circulation, so no other read queues behind it and the slow family's bound
    /// still counts it.
    pub async fn limited_read<T: Send + 'static>(
        &self,
        limit: Duration,
        permit: Option<OwnedSemaphorePermit>,
        f: impl for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, sqlx::Result<T>>,
    ) -> Result<T, LimitedReadError> {
        let mut conn = self.read.acquire().await?;
        match self.backend {
            Backend::Postgres => {
                let mut tx = conn.begin().await?;
                (&mut *tx)
                    .execute(
                        format!(
                            "SET LOCAL statement_timeout = {}",
                            limit.as_millis().clamp(1, i32::MAX as u128)
                        )
                        .as_str(),
                    )
                    .await?;
                let out = f(&mut tx).await.map_err(|e| {
                    if is_statement_timeout(&e) {
                        LimitedReadError::TimedOut
                    } else {
                        LimitedReadError::Db(e)
                    }
                })?;
                tx.commit().await?;
                drop(permit);
                Ok(out)
            }
            Backend::Sqlite => {
                let done = tokio::time::timeout(limit, f(&mut conn)).await;
                match done {
                    Ok(out) => Ok(out?),
                    Err(_) => {
                        park_until_idle(conn, permit);
                        Err(LimitedReadError::TimedOut)
                    }
                }
            }
        }
    }

    /// A value of the instance-wide `settings` table.
    pub async fn setting(&self, key: &str) -> sqlx::Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.write)
            .await?;
        row.map(|r| sqlx::Row::try_get(&r, 0)).transpose()
    }

    /// Stores `candidate` unless the key has a value already, and returns the value that holds:
    /// the first of several instances starting together wins, the others read it.
    pub async fn setting_or_insert(&self, key: &str, candidate: &str) -> sqlx::Result<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(candidate)
        .execute(&self.write)
        .await?;
        Ok(self.setting(key).await?.unwrap_or_default())
    }

    /// The distinct pools by name: SQLite's readers and its one writer, or PostgreSQL's one pool.
    pub fn pools(&self) -> Vec<(&'static str, &AnyPool)> {
        match self.backend {
            Backend::Sqlite => vec![("read", &self.read), ("write", &self.write)],
            Backend::Postgres => vec![("shared", &self.write)],
        }
    }

    /// `(pool, connections open, connections idle)` of each pool, for `/metrics`.
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
        self.pools()
            .into_iter()
            .map(|(name, p)| (name, p.size(), p.num_idle()))
            .collect()
    }

    /// How long taking a connection from each pool takes now (what a request would wait), for
    /// `/metrics`; the connection goes straight back.
    pub async fn probe_acquire(&self) -> Vec<(&'static str, Duration)> {
        let mut out = Vec::new();
        for (name, pool) in self.pools() {
            let start = std::time::Instant::now();
            if let Ok(conn) = pool.acquire().await {
                out.push((name, start.elapsed()));
                drop(conn);
            }
        }
        out
    }

    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }
}

/// Keeps a SQLite connection whose statement is still running (and the caller's permit) until
/// the statement ends: the worker thread runs commands in order, so the ping answers only then.
fn park_until_idle(mut conn: PoolConnection<Any>, permit: Option<OwnedSemaphorePermit>) {
    tokio::spawn(async move {
        if conn.ping().await.is_err() {
            conn.close_on_drop();
        }
        drop(permit);
    });
}

/// PostgreSQL cancelled the statement at its `statement_timeout` (SQLSTATE 57014).
pub fn is_statement_timeout(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.code().as_deref() == Some("57014"))
}

const BUSY_TIMEOUT_MS: u64 = 10_000;
/// Address space for the memory-mapped database file (not memory: pages are the OS cache's).
const MMAP_BYTES: u64 = 1 << 30;

async fn sqlite_pool(max: u32, writer: bool, opts: &AnyConnectOptions) -> anyhow::Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if writer {
                    // Commits never stop to checkpoint (an fsync-heavy pause on the chat path):
                    // the maintenance task checkpoints between them (see `Db::checkpoint`).
                    conn.execute("PRAGMA wal_autocheckpoint=0").await?;
                }
                conn.execute("PRAGMA foreign_keys=ON").await?;
                conn.execute(format!("PRAGMA busy_timeout={BUSY_TIMEOUT_MS}").as_str())
                    .await?;
                // Bounds the log file whenever it starts over (see `Db::checkpoint`).
                conn.execute(format!("PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}").as_str())
                    .await?;
                // With WAL, NORMAL still survives a process crash (kill -9); only power loss can
                // drop the last transactions.
                conn.execute("PRAGMA synchronous=NORMAL").await?;
                // Reads map the database file instead of copying each page in through a system
                // call (profiles of the listing mix showed a third of the time in the kernel);
                // the OS page cache is shared by every connection, so this costs no memory per
                // connection. Pages still in the log are read as before.
                conn.execute(format!("PRAGMA mmap_size={MMAP_BYTES}").as_str())
                    .await?;
                Ok(())
            })
        })
        .connect_with(opts.clone())
        .await?)
}

/// Escapes `%`, `_` and `\` so user text is matched literally inside a LIKE pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The FTS5 query for the words of 3+ characters (trigrams need 3): each a quoted string, so
/// operators and quotes inside are literal; `None` when no word is long enough.
pub fn fts_query(words: &[String]) -> Option<String> {
    let long: Vec<String> = words
        .iter()
        .filter(|w| w.chars().count() >= 3)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!long.is_empty()).then(|| long.join(" AND "))
}

/// The two-character pieces of `text` that a search word could be: every pair of neighbouring
/// characters inside a whitespace-separated token, lower-cased, each once. Words never contain
/// whitespace, so a word of two or more characters occurs in the text only if all its pairs are
/// among these.
pub fn bigrams(text: &str) -> std::collections::BTreeSet<String> {
    char_pairs(text).map(|(a, b)| gram_token(a, b)).collect()
}

/// The pairs `bigrams` is made of, in order and repeated as they occur (the in-memory listing
/// index keeps them as numbers).
pub fn char_pairs(text: &str) -> impl Iterator<Item = (char, char)> + '_ {
    text.split_whitespace().flat_map(|token| {
        let chars: Vec<char> = token.chars().flat_map(char::to_lowercase).collect();
        (1..chars.len())
            .map(|i| (chars[i - 1], chars[i]))
            .collect::<Vec<_>>()
    })
}

/// A pair of characters as one plain ASCII token (`g<hex>x<hex>` of their code points), so
/// neither FTS5's tokenizer nor PostgreSQL's parser splits or folds it, whatever the characters
/// (`%`, quotes and operators included).
fn gram_token(a: char, b: char) -> String {
    format!("g{:x}x{:x}", a as u32, b as u32)
}

/// The `items.grams` column for an item: its title's and description's bigram tokens.
pub fn grams_column(title: &str, description: &str) -> String {
    let mut all = bigrams(title);
    all.extend(bigrams(description));
    all.into_iter().collect::<Vec<_>>().join(" ")
}

/// True when the error is a unique/exclusion constraint violation.
pub fn is_conflict(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(e) => {
            matches!(
                e.code().as_deref(),
                Some("23505") | Some("23P01") | Some("2067") | Some("1555")
            ) || e.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// `$start, $start+1, …` for an IN list of `n` bound values.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(…), (…)` for a multi-row VALUES list of `rows` × `cols` bound values, in binding order.
/// SQLite gets anonymous `?`: binding a numbered `$n` makes SQLite scan its parameter-name list
/// once per value, which is quadratic in a statement with thousands of them. A statement using
/// this must bind every value positionally (no other placeholders).
pub fn row_values(backend: Backend, rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// A bound value for queries assembled at run time (filters).
#[derive(Clone, Debug)]
pub enum Arg {
    Int(i64),
    Text(String),
}

/// Builds a WHERE clause and its arguments together, so placeholders always match.
#[derive(Default, Debug, Clone)]
pub struct Filter {
    pub clauses: Vec<String>,
    pub args: Vec<Arg>,
}

impl Filter {
    /// Adds a clause; each `?` in it becomes the next `$n` placeholder bound to the next arg.
    pub fn push(&mut self, clause: &str, args: Vec<Arg>) {
        let mut out = String::with_capacity(clause.len() + 8);
        let mut it = args.into_iter();
        for c in clause.chars() {
            if c == '?' {
                let arg = it.next().expect("one arg per placeholder");
                self.args.push(arg);
                out.push_str(&format!("${}", self.args.len()));
            } else {
                out.push(c);
            }
        }
        self.clauses.push(out);
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            "1 = 1".to_string()
        } else {
            self.clauses.join(" AND ")
        }
    }

    /// The next placeholder number after the filter's own.
    pub fn next(&self) -> usize {
        self.args.len() + 1
    }

    pub fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.as_str()),
            };
        }
        q
    }

    pub fn bind_as<'q, O>(
        &'q self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.as_str()),
            };
        }
        q
    }
}

impl Db {
    /// Adds "the item's title or description contains every word" to `f`, on an index at any
    /// word length. SQLite: FTS5 trigram for words of 3+ characters; two-character words through
    /// the bigram FTS5 table (`items_grams`) with LIKE re-checking the candidates it gives.
    /// PostgreSQL: every word of 2+ characters narrows the rows by its bigrams (GIN over
    /// `to_tsvector('simple', grams)`), and ILIKE re-checks them. One-character words have no
    /// index and are checked by LIKE/ILIKE on what the other filters leave. The re-checks keep
    /// the matching exactly what it was: substring, every word, wildcards literal.
    pub fn push_text_search(&self, f: &mut Filter, words: &[String]) {
        match self.backend {
            Backend::Sqlite => {
                if let Some(expr) = fts_query(words) {
                    f.push(
                        "i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)",
                        vec![Arg::Text(expr)],
                    );
                }
                let pairs: Vec<String> = words
                    .iter()
                    .filter(|w| w.chars().count() == 2)
                    .flat_map(|w| bigrams(w))
                    .collect();
                if !pairs.is_empty() {
                    f.push(
                        "i.id IN (SELECT rowid FROM items_grams WHERE items_grams MATCH ?)",
                        vec![Arg::Text(pairs.join(" AND "))],
                    );
                }
                for w in words.iter().filter(|w| w.chars().count() < 3) {
                    let pat = format!("%{}%", like_escape(w));
                    f.push(
                        "(i.title LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\')",
                        vec![Arg::Text(pat.clone()), Arg::Text(pat)],
                    );
                }
            }
            Backend::Postgres => {
                let pairs: std::collections::BTreeSet<String> =
                    words.iter().flat_map(|w| bigrams(w)).collect();
                if !pairs.is_empty() {
                    let query = pairs.into_iter().collect::<Vec<_>>().join(" & ");
                    f.push(
                        "to_tsvector('simple', COALESCE(i.grams, '')) @@ to_tsquery('simple', ?)",
                        vec![Arg::Text(query)],
                    );
                }
                for w in words {
                    let pat = format!("%{}%", like_escape(w));
                    f.push(
                        "(i.title || ' ' || i.description) ILIKE ? ESCAPE '\\'",
                        vec![Arg::Text(pat)],
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_text_is_literal_in_like_and_fts() {
        assert_eq!(super::like_escape("100%_off\\"), "100\\%\\_off\\\\");
        assert_eq!(super::like_escape("드릴"), "드릴");
        let words: Vec<String> = ["캠핑", "의자 OR", "a\"b\"c", "NEAR(x)"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        assert_eq!(
            super::fts_query(&words).unwrap(),
            "\"의자 OR\" AND \"a\"\"b\"\"c\" AND \"NEAR(x)\""
        );
        assert_eq!(super::fts_query(&["드릴".to_string()]), None);
    }

    #[test]
    fn bigrams_cover_every_word_inside_a_token_and_nothing_across_spaces() {
        let grams = super::grams_column("캠핑 의자", "Coleman 텐트 100%");
        let has = |w: &str| super::bigrams(w).iter().all(|g| grams.contains(g.as_str()));
        for w in ["캠핑", "의자", "텐트", "cole", "COLEMAN", "0%", "핑"] {
            assert!(has(w), "{w}");
        }
        // Not across a space, and not what is not there.
        assert!(!has("핑의"));
        assert!(!has("드릴"));
        // Plain ASCII tokens whatever the characters, each once.
        assert!(grams
            .split(' ')
            .all(|t| t.starts_with('g') && t.chars().all(|c| c.is_ascii_alphanumeric())));
        assert_eq!(super::bigrams("아아아아").len(), 1);
        assert!(super::bigrams("책").is_empty());
    }

    use super::*;

    #[test]
    fn row_values_number_postgres_and_leave_sqlite_anonymous() {
        assert_eq!(row_values(Backend::Postgres, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(row_values(Backend::Sqlite, 2, 3), "(?, ?, ?), (?, ?, ?)");
    }
}
