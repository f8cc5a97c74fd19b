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
    /// Balancers whose `X-Forwarded-For` is believed (CIDRs); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Open WebSockets this instance accepts; past it, upgrades answer 503.
    pub max_sockets: usize,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// Image decoding: threads, and uploads that may wait for one before the server answers 503.
    pub image_threads: usize,
    pub image_queue: usize,
    /// Longest a listing statement may run before the request answers 503 (`STATEMENT_TIMEOUT_MS`).
    pub statement_timeout_ms: u64,
    /// Listings of available items from memory (`catalog::index`); `LISTING_INDEX=off` sends
    /// every listing to SQL (less memory, or a baseline to compare with).
    pub listing_index: bool,
    /// Sign in with Kakao: on when a client id (the app's REST API key) is set.
    pub kakao: Option<OidcClient>,
    /// How far from its 동's centre a location may be to verify the 동네 (`VERIFY_RADIUS_KM`).
    pub verify_radius_km: f64,
    /// Seconds between a shutdown signal and closing sockets and the listener, while `/readyz`
    /// answers 503 so balancers move away (`DRAIN_SECONDS`; the command line's default is
    /// [`DEFAULT_DRAIN_SECS`], an embedded server such as the tests' stops at once).
    pub drain_secs: u64,
}

/// `DRAIN_SECONDS` when unset: a few health-check intervals of a typical balancer.
pub const DEFAULT_DRAIN_SECS: u64 = 5;

/// One OpenID provider's registration: the issuer whose discovery document names the endpoints,
/// and the client the provider issued us.
#[derive(Clone)]
pub struct OidcClient {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for OidcClient {
    /// The secret never reaches a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .finish()
    }
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
            trusted_proxies: Vec::new(),
            max_sockets: 10_000,
            metrics_token: None,
            image_threads: crate::blocking::cores(),
            image_queue: 16,
            statement_timeout_ms: 2_000,
            listing_index: true,
            kakao: None,
            verify_radius_km: 3.0,
            drain_secs: 0,
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

/// `TRUSTED_PROXIES`: comma-separated CIDRs or single addresses (`10.0.0.0/8, 127.0.0.1`).
pub fn parse_proxies(s: &str) -> Result<Vec<ipnet::IpNet>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("TRUSTED_PROXIES: {p:?} is not an address or CIDR"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_take_cidrs_and_addresses() {
        let p = parse_proxies("10.0.0.0/8, 127.0.0.1,::1").unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[0].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        assert!(parse_proxies("").unwrap().is_empty());
        assert!(parse_proxies("10.0.0.0/33").is_err());
        assert!(parse_proxies("nope").is_err());
    }
}
