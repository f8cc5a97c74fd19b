use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use egodaeyeo::{accounts, app, clock::Clock, config::Config, db::Db, seed};

#[derive(Parser)]
#[command(
    name = "egodaeyeo",
    version,
    about = "이거대여: neighbourhood rental marketplace"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Where the SQLite database and media files live.
    #[arg(long, env = "DATA_DIR", default_value = "./data", global = true)]
    data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; SQLite in the data dir when unset.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default command).
    Serve {
        #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
        bind: SocketAddr,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Grant or revoke the admin role.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Fill the database with a lively demo neighbourhood (idempotent).
    SeedDemo,
    /// Write a consistent backup of a SQLite deployment (database and media) to one file,
    /// while the server runs (PostgreSQL: pg_dump, see docs/operations.md).
    Backup {
        /// The backup file to create (a tar, mode 0600); it must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty data dir (and its media into MEDIA_URL's store).
    Restore {
        /// A file written by `egodaeyeo backup`.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    Grant { email: String },
    Revoke { email: String },
}

fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn config(cli: &Cli, bind: SocketAddr) -> anyhow::Result<Config> {
    let mut c = Config::for_data_dir(cli.data_dir.clone());
    c.bind = bind;
    c.database_url = cli.database_url.clone();
    c.redis_url = env_opt("REDIS_URL");
    c.media_url = env_opt("MEDIA_URL");
    c.jwt_secret = env_opt("JWT_SECRET");
    c.public_url = env_opt("PUBLIC_URL");
    c.metrics_token = env_opt("METRICS_TOKEN");
    c.rate_limit = env_opt("RATE_LIMIT").is_none_or(|v| v != "off");
    c.listing_index = env_opt("LISTING_INDEX").is_none_or(|v| v != "off");
    if let Some(p) = env_opt("TRUSTED_PROXIES") {
        c.trusted_proxies = egodaeyeo::config::parse_proxies(&p).map_err(anyhow::Error::msg)?;
    }
    if let Some(n) = env_opt("MAX_SOCKETS") {
        c.max_sockets = n
            .parse()
            .map_err(|_| anyhow::anyhow!("MAX_SOCKETS must be a whole number"))?;
    }
    if let Some(ms) = env_opt("STATEMENT_TIMEOUT_MS") {
        // A listing without any limit is what this setting prevents: 0 is refused too.
        c.statement_timeout_ms = ms.parse().ok().filter(|ms| *ms > 0).ok_or_else(|| {
            anyhow::anyhow!("STATEMENT_TIMEOUT_MS must be a positive whole number")
        })?;
    }
    c.drain_secs =
        match env_opt("DRAIN_SECONDS") {
            Some(s) => s.parse().ok().filter(|s| *s <= 300).ok_or_else(|| {
                anyhow::anyhow!("DRAIN_SECONDS must be a whole number from 0 to 300")
            })?,
            None => egodaeyeo::config::DEFAULT_DRAIN_SECS,
        };
    if let Some(km) = env_opt("VERIFY_RADIUS_KM") {
        c.verify_radius_km = km
            .parse::<f64>()
            .ok()
            .filter(|km| km.is_finite() && *km > 0.0)
            .ok_or_else(|| anyhow::anyhow!("VERIFY_RADIUS_KM must be a positive number"))?;
    }
    if let Some(client_id) = env_opt("KAKAO_CLIENT_ID") {
        c.kakao = Some(egodaeyeo::config::OidcClient {
            issuer: env_opt("KAKAO_ISSUER")
                .unwrap_or_else(|| egodaeyeo::accounts::oidc::KAKAO.default_issuer.to_string()),
            client_id,
            client_secret: env_opt("KAKAO_CLIENT_SECRET"),
        });
    }
    Ok(c)
}

/// Which signal asked the server to stop.
#[derive(PartialEq, Eq)]
enum Stop {
    /// SIGTERM (systemd, an orchestrator): drain first (`DRAIN_SECONDS`).
    Terminate,
    /// Ctrl-C at a terminal: stop at once.
    Interrupt,
}

async fn shutdown_signal() -> Stop {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let stop = tokio::select! { _ = ctrl_c => Stop::Interrupt, _ = term => Stop::Terminate };
    tracing::info!("shutting down");
    stop
}

/// Human-readable lines (coloured only on a terminal), or one JSON object per line with
/// `LOG_FORMAT=json` for log collectors.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,egodaeyeo=info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if env_opt("LOG_FORMAT").is_some_and(|f| f == "json") {
        builder.json().with_current_span(true).init();
    } else {
        builder.with_ansi(std::io::stdout().is_terminal()).init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    let cli = Cli::parse();
    match &cli.command {
        None => serve(&cli, "127.0.0.1:8000".parse()?).await,
        Some(Command::Serve { bind }) => serve(&cli, *bind).await,
        Some(Command::Migrate) => {
            let cfg = config(&cli, "127.0.0.1:8000".parse()?)?;
            std::fs::create_dir_all(&cfg.data_dir)?;
            let db = Db::connect(&cfg.database_url()).await?;
            db.migrate().await?;
            println!("migrations applied");
            Ok(())
        }
        Some(Command::Admin { action }) => {
            let cfg = config(&cli, "127.0.0.1:8000".parse()?)?;
            std::fs::create_dir_all(&cfg.data_dir)?;
            let db = Db::connect(&cfg.database_url()).await?;
            db.migrate().await?;
            let (email, grant) = match action {
                AdminAction::Grant { email } => (email, true),
                AdminAction::Revoke { email } => (email, false),
            };
            if accounts::service::set_admin(&db, email, grant).await? {
                println!(
                    "{} {email}",
                    if grant {
                        "granted admin to"
                    } else {
                        "revoked admin from"
                    }
                );
                Ok(())
            } else {
                anyhow::bail!("no account with email {email}")
            }
        }
        Some(Command::Backup { out }) => {
            let cfg = config(&cli, "127.0.0.1:8000".parse()?)?;
            let info = egodaeyeo::ops::backup::backup(&cfg, out).await?;
            println!(
                "backup written to {}: database {} bytes (schema {}), {} media objects ({} included, store: {})",
                out.display(),
                info.database_bytes,
                info.schema_version,
                info.media_objects,
                info.media_included,
                info.media_store
            );
            Ok(())
        }
        Some(Command::Restore { file }) => {
            let cfg = config(&cli, "127.0.0.1:8000".parse()?)?;
            let r = egodaeyeo::ops::backup::restore(&cfg, file).await?;
            println!(
                "restored the backup of {} into {}: integrity_check {}, {} media files restored",
                r.info.created_at,
                cfg.data_dir.display(),
                r.integrity,
                r.media_restored
            );
            if !r.media_missing.is_empty() {
                eprintln!(
                    "warning: the media store lacks {} object(s) of the backup's manifest, e.g. {}",
                    r.media_missing.len(),
                    r.media_missing[0]
                );
            }
            Ok(())
        }
        Some(Command::SeedDemo) => {
            let cfg = config(&cli, "127.0.0.1:8000".parse()?)?;
            let state = app::build_state(cfg, "127.0.0.1:8000".parse()?, Clock::default()).await?;
            let report = seed::run(&state).await?;
            println!("{report}");
            Ok(())
        }
    }
}

async fn serve(cli: &Cli, bind: SocketAddr) -> anyhow::Result<()> {
    let cfg = config(cli, bind)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let bound = listener.local_addr()?;
    let state = app::build_state(cfg, bound, Clock::default()).await?;
    tracing::info!(
        "egodaeyeo listening on http://{bound} ({:?}, realtime: {})",
        state.db.backend,
        state.realtime.kind()
    );
    let lifecycle = state.clone();
    let shutdown = async move {
        if shutdown_signal().await == Stop::Interrupt {
            lifecycle.lifecycle.stop_at_once();
        }
    };
    app::serve(state, listener, shutdown).await
}
