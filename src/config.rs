//! One configuration struct, filled from flags and environment variables.
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means SQLite in the data dir.
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    /// `s3://bucket/prefix`; `None` means files under the data dir.
    pub media_url: Option<String>,
    pub jwt_secret: Option<String>,
    pub public_url: Option<String>,
    pub rate_limit: bool,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    /// Seconds between scheduler passes (rental expiry and reminders).
    pub scheduler_interval_secs: u64,
    /// Longest a listing statement may run before the request answers 503 (`STATEMENT_TIMEOUT_MS`).
    pub statement_timeout_ms: u64,
}

impl Config {
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Config {
            bind: "127.0.0.1:8000".parse().expect("valid default address"),
            data_dir,
            database_url: None,
            redis_url: None,
            media_url: None,
            jwt_secret: None,
            public_url: None,
            rate_limit: true,
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 14 * 24 * 3600,
            scheduler_interval_secs: 30,
            statement_timeout_ms: 2_000,
        }
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("egodaeyeo.db").display()
            ),
        }
    }
}
