//! Application state and router assembly.
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::limiter::Throttle;
use crate::accounts::tokens::{random_token, TokenKeys};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::http::middleware;
use crate::media::Media;
use crate::ops::Metrics;
use crate::realtime::Realtime;
use crate::regions::Regions;
use crate::{
    accounts, catalog, chat, media, moderation, notifications, openapi, ops, realtime, regions,
    rentals, web,
};

pub use crate::state::{AppState, Inner};

fn public_url(config: &Config, bound: SocketAddr) -> String {
    if let Some(url) = config.public_url.as_deref().filter(|u| !u.is_empty()) {
        return url.trim_end_matches('/').to_string();
    }
    let host = if bound.ip().is_unspecified() {
        format!("127.0.0.1:{}", bound.port())
    } else {
        bound.to_string()
    };
    format!("http://{host}")
}

/// Connects, migrates and loads everything the server needs. `bound` is the listening address.
pub async fn build_state(
    config: Config,
    bound: SocketAddr,
    clock: Clock,
) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = Db::connect(&config.database_url()).await?;
    db.migrate().await?;
    let secret = match config.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        // Shared by every instance on this database; the first to start creates it.
        None => {
            db.setting_or_insert("jwt_secret", &random_token(48))
                .await?
        }
    };
    let public_url = public_url(&config, bound);
    let media = Media::from_config(&config, &public_url)?;
    let namespace = crate::accounts::tokens::hash_token(&secret)[..12].to_string();
    let metrics = Metrics::new();
    let realtime = Realtime::start(
        config.redis_url.as_deref(),
        &namespace,
        metrics.broker.clone(),
    )
    .await?;
    // Every instance forgets an ended login's cached account state when the broker's
    // `EndSessions` reaches it (the instance that ended it already has).
    let access = Arc::new(accounts::access::AccessCache::default());
    let forget = access.clone();
    realtime
        .hub
        .on_end_sessions(Box::new(move |user, session| forget.forget(user, session)));
    let chat_writer =
        chat::writer::ChatWriter::start(db.clone(), clock.clone(), metrics.chat.clone());
    let state = AppState(Arc::new(Inner {
        throttle: Throttle::new(config.rate_limit),
        hashing: accounts::hashing::pool(),
        oidc: accounts::oidc::Providers::from_config(&config),
        config,
        db,
        regions: Regions::load(),
        media,
        tokens: TokenKeys::new(secret.as_bytes()),
        clock,
        metrics,
        lifecycle: Default::default(),
        realtime,
        chat_writer,
        views: Default::default(),
        cache: Default::default(),
        writes: Default::default(),
        profiles: crate::cache::MicroCache::new(100_000, catalog::cache::TTL_MS),
        blocks: crate::cache::MicroCache::new(100_000, catalog::cache::TTL_MS),
        access,
        public_url,
        rental_facts: Arc::new(rentals::service::Facts),
    }));
    Ok(state)
}

/// The JSON API: every domain's routes with their OpenAPI descriptions (one definition for
/// both), the socket, and the document itself.
pub fn api() -> (Router<AppState>, serde_json::Value) {
    let (routes, doc) = OpenApiRouter::<AppState>::new()
        .merge(accounts::api::router())
        .merge(regions::api::router())
        .merge(catalog::api::router())
        .merge(chat::api::router())
        .merge(rentals::api::router())
        .merge(notifications::api::router())
        .merge(moderation::api::router())
        .merge(realtime::ws::router())
        .routes(routes!(openapi::document))
        .split_for_parts();
    let doc = openapi::ApiDoc::openapi().nest("/api/v1", doc);
    let router = routes
        .fallback(middleware::api_not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed);
    (router, openapi::finish(doc))
}

pub fn router(state: AppState) -> Router {
    let (api, doc) = api();
    openapi::publish(doc);
    let routes = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/media/{*key}", get(media::api::serve))
        .merge(web::api_docs::router())
        .merge(web::routes())
        .merge(catalog::pages::router())
        .merge(accounts::pages::router())
        .merge(rentals::pages::router())
        .merge(chat::pages::router())
        .merge(notifications::pages::router())
        .merge(moderation::pages::router())
        // Each route hands its pattern to `log_requests` for the latency metric.
        .route_layer(middleware::CarryMatchedPath)
        .with_state(state.clone());
    // The layers every request passes wrap the router once, as one service. `Router::layer`
    // would wrap each route instead, and every request would clone one boxed service per layer
    // (callgrind: +25% instructions on `/healthz`; BENCHMARKS.md, issue #11).
    let stack = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn(web::html_errors))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::log_requests,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            middleware::invalidate_on_write,
        ))
        .service(routes);
    Router::new().fallback_service(stack)
}

/// After the drain, how long the instance may take to finish (in-flight requests, the acks its
/// sockets owe, the chat writer's last batches) before it exits anyway.
const FINISH_WITHIN: Duration = Duration::from_secs(9);

/// Runs the server on `listener` until `shutdown` resolves, with the background tasks, then
/// stops the way a rolling restart needs (docs/operations.md):
///
/// 1. draining: `/readyz` answers 503 at once, new sockets are refused (a balancer retries them
///    elsewhere), every response closes its connection, and everything else is served as usual
///    for `config.drain_secs`, long enough for balancers to move away;
/// 2. every socket answers the acks it owes and closes with 1012 (service restart), so clients
///    reconnect to another instance and catch up with `after=`; the listener closes;
/// 3. in-flight requests finish, the socket tasks end, and the chat writer commits, delivers and
///    notifies whatever was queued; past `FINISH_WITHIN` the instance exits anyway.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let scheduler = rentals::scheduler::spawn(state.clone());
    // Rows stored before the search bigrams existed get them once (a few seconds per 100k
    // items, in small transactions, beside normal traffic).
    let backfill = state.clone();
    tokio::spawn(async move {
        match catalog::service::backfill_grams(&backfill).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(items = n, "search bigrams filled in"),
            Err(e) => tracing::warn!(error = ?e, "could not fill in search bigrams"),
        }
    });
    // Delivery and notifications of committed chat batches; stopped after the writer's last
    // batch has passed through them, so the state (which owns the writer) is not kept alive by
    // its own consumer.
    let delivery = state
        .chat_writer
        .take_committed()
        .map(|rx| tokio::spawn(chat::writer::after_commit(state.clone(), rx)));
    let maintenance = spawn_maintenance(state.clone());
    let app = router(state.clone());
    let closing = state.clone();
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        closing.lifecycle.begin_drain();
        let drain = if closing.lifecycle.stops_at_once() {
            Duration::ZERO
        } else {
            Duration::from_secs(closing.config.drain_secs)
        };
        if !drain.is_zero() {
            tracing::info!(
                seconds = drain.as_secs(),
                "draining: /readyz answers 503, still serving"
            );
            tokio::time::sleep(drain).await;
        }
        tracing::info!("closing sockets (1012) and the listener");
        closing.realtime.close_all();
        let _ = drained_tx.send(());
    };
    // Small frames (acks, chat messages) must not wait for Nagle's algorithm.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .into_future();
    tokio::pin!(server);
    // The deadline starts when the drain ends; until then the server runs as usual.
    let deadline = async {
        match drained_rx.await {
            Ok(()) => tokio::time::Instant::now() + FINISH_WITHIN,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let finish_by = tokio::select! {
        served = &mut server => {
            served?;
            deadline.await
        }
        at = &mut deadline => {
            tokio::select! {
                served = &mut server => served?,
                _ = tokio::time::sleep_until(at) => {
                    tracing::warn!("requests still running {FINISH_WITHIN:?} after the drain; exiting");
                }
            }
            at
        }
    };
    // Sockets answer what they owe before they close; then nothing new reaches the writer.
    while state.realtime.hub.open_slots() > 0 && tokio::time::Instant::now() < finish_by {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if tokio::time::timeout_at(finish_by, state.chat_writer.flush())
        .await
        .is_err()
    {
        tracing::warn!(
            "the chat writer did not finish in time; unacknowledged messages may be lost"
        );
    }
    scheduler.abort();
    maintenance.abort();
    if let Some(d) = delivery {
        d.abort();
    }
    catalog::service::flush_views(&state).await;
    tracing::info!("stopped");
    Ok(())
}

/// Housekeeping: the SQLite WAL is checkpointed every 250 ms (and truncated once it passes
/// `db::WAL_RESTART_AT`), buffered view counts are written every few seconds, planner
/// statistics hourly.
/// Short, so each checkpoint (which briefly holds the writer) has little to copy and sync.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

fn spawn_maintenance(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_analyze: Option<std::time::Instant> = None;
        let mut tick: u64 = 0;
        loop {
            match state.db.checkpoint().await {
                Ok(crate::db::Checkpoint::Passive) => {}
                Ok(crate::db::Checkpoint::Truncated { from_bytes }) => {
                    tracing::info!(
                        from_bytes,
                        "WAL past its threshold: checkpointed and truncated"
                    );
                }
                // Tried again on the next tick; worth seeing if it keeps happening.
                Ok(crate::db::Checkpoint::Busy { wal_bytes }) => {
                    tracing::warn!(wal_bytes, "WAL past its threshold, readers kept it in use");
                }
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
            }
            tick += 1;
            if tick % 4 == 1 {
                for (pool, took) in state.db.probe_acquire().await {
                    state.metrics.db_acquire(pool, took);
                }
            }
            if tick % 20 != 1 {
                tokio::time::sleep(CHECKPOINT_EVERY).await;
                continue;
            }
            if last_analyze.is_none_or(|t| t.elapsed() > std::time::Duration::from_secs(3600)) {
                if let Err(e) = state.db.analyze().await {
                    tracing::warn!(error = %e, "ANALYZE failed");
                }
                last_analyze = Some(std::time::Instant::now());
                let now = state.clock.now_ms();
                if let Err(e) = accounts::limiter::Throttle::prune(&state.db, now).await {
                    tracing::warn!(error = %e, "pruning throttle counters failed");
                }
            }
            catalog::service::flush_views(&state).await;
            // Histogram samples are folded into buckets here too, scraped or not.
            state.metrics.upkeep();
            tokio::time::sleep(CHECKPOINT_EVERY).await;
        }
    })
}
