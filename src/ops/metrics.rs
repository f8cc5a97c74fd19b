//! Prometheus metrics. Each instance has its own recorder (tests run many instances in one
//! process), and every series on a hot path is registered once and kept as a handle, so recording
//! is one atomic operation (a histogram sample: one slot of a lock-free bucket). What other parts
//! already count (sockets, caches, pools) is read when `/metrics` is scraped, not pushed.
//! docs/operations.md says what each series means and which alerts to set.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use axum::http::Method;
use metrics::{Counter, Gauge, Histogram, Key, Label, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// The route label of a request no route matched: never the raw path (unbounded series).
pub const UNMATCHED: &str = "unmatched";

const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BATCH_BUCKETS: [f64; 11] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

static METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// One route's latency histograms, by method and status class, made on first use.
struct RouteSeries([OnceLock<Histogram>; METHODS.len() * CLASSES.len()]);

/// The chat writer's series (handed to the writer task, which owns no state).
#[derive(Clone)]
pub struct ChatWriterMetrics {
    /// Messages per committed transaction.
    pub batch_size: Histogram,
    /// Messages still queued when a batch was taken.
    pub queue_depth: Gauge,
    /// How long one batch's transaction took.
    pub commit_seconds: Histogram,
}

/// The broker's series (handed to its subscriber task).
#[derive(Clone)]
pub struct BrokerMetrics {
    /// How long handing one batch of frames to the broker took (a Redis PUBLISH, or the local
    /// fan-out on a single instance).
    pub publish_seconds: Histogram,
    /// From the publishing instance's clock to this instance receiving it (Redis only).
    pub deliver_lag_seconds: Histogram,
    pub publish_failures: Counter,
}

/// What `/metrics` reads from the rest of the instance when scraped.
pub struct Sample {
    pub ws_dropped: u64,
    pub draining: bool,
    /// (pool, connections open, connections idle)
    pub pools: Vec<(&'static str, u32, usize)>,
    /// (cache, hits, misses)
    pub caches: Vec<(&'static str, u64, u64)>,
}

pub struct Metrics {
    /// Responses by status class (`egd_http_requests_total`).
    pub requests: [AtomicU64; 5],
    pub ws_open: AtomicU64,
    pub messages_sent: AtomicU64,
    /// Full argon2 verifications (logins and re-authentication), unknown emails included.
    pub password_checks: AtomicU64,
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    routes: RwLock<HashMap<Box<str>, Box<RouteSeries>>>,
    pub chat: ChatWriterMetrics,
    pub broker: BrokerMetrics,
    scheduler_runs: [Counter; 2],
    db_acquire: std::sync::Mutex<Vec<(&'static str, Histogram)>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .expect("latency buckets are not empty")
            .set_buckets_for_metric(Matcher::Full("egd_chat_batch_size".into()), &BATCH_BUCKETS)
            .expect("batch buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        describe(&recorder);
        let counter = |name: &'static str, labels: &[(&'static str, &'static str)]| {
            recorder.register_counter(&key(name, labels), &METADATA)
        };
        let chat = ChatWriterMetrics {
            batch_size: recorder.register_histogram(&key("egd_chat_batch_size", &[]), &METADATA),
            queue_depth: recorder.register_gauge(&key("egd_chat_queue_depth", &[]), &METADATA),
            commit_seconds: recorder
                .register_histogram(&key("egd_chat_commit_seconds", &[]), &METADATA),
        };
        let broker = BrokerMetrics {
            publish_seconds: recorder
                .register_histogram(&key("egd_broker_publish_seconds", &[]), &METADATA),
            deliver_lag_seconds: recorder
                .register_histogram(&key("egd_broker_deliver_lag_seconds", &[]), &METADATA),
            publish_failures: counter("egd_broker_publish_failures_total", &[]),
        };
        let scheduler_runs = [
            counter("egd_scheduler_runs_total", &[("result", "ok")]),
            counter("egd_scheduler_runs_total", &[("result", "failed")]),
        ];
        Metrics {
            requests: Default::default(),
            ws_open: AtomicU64::new(0),
            messages_sent: AtomicU64::new(0),
            password_checks: AtomicU64::new(0),
            recorder,
            handle,
            routes: RwLock::new(HashMap::new()),
            chat,
            broker,
            scheduler_runs,
            db_acquire: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn record_status(&self, status: u16) {
        self.requests[class(status)].fetch_add(1, Ordering::Relaxed);
    }

    /// One request's latency, by its matched route (`None`: no route matched), method and
    /// status class. The series is made once per (route, method, class); after that this is a
    /// read lock, a hash of the route and one histogram sample.
    pub fn observe_request(
        &self,
        route: Option<&str>,
        method: &Method,
        status: u16,
        took: Duration,
    ) {
        let route = route.unwrap_or(UNMATCHED);
        let slot = method_index(method) * CLASSES.len() + class(status);
        let secs = took.as_secs_f64();
        {
            let routes = self.routes.read().expect("metrics lock");
            if let Some(series) = routes.get(route) {
                self.histogram_in(series, route, slot).record(secs);
                return;
            }
        }
        let mut routes = self.routes.write().expect("metrics lock");
        let series = routes
            .entry(route.into())
            .or_insert_with(|| Box::new(RouteSeries(std::array::from_fn(|_| OnceLock::new()))));
        self.histogram_in(series, route, slot).record(secs);
    }

    fn histogram_in<'s>(&self, series: &'s RouteSeries, route: &str, slot: usize) -> &'s Histogram {
        series.0[slot].get_or_init(|| {
            let labels = vec![
                Label::new("route", route.to_string()),
                Label::new("method", METHODS[slot / CLASSES.len()]),
                Label::new("status", CLASSES[slot % CLASSES.len()]),
            ];
            self.recorder.register_histogram(
                &Key::from_parts("egd_http_request_duration_seconds", labels),
                &METADATA,
            )
        })
    }

    /// One scheduler pass ended.
    pub fn scheduler_run(&self, ok: bool) {
        self.scheduler_runs[usize::from(!ok)].increment(1);
    }

    /// How long taking a connection from one of the database pools took (sampled by the
    /// maintenance task).
    pub fn db_acquire(&self, pool: &'static str, took: Duration) {
        let mut all = self.db_acquire.lock().expect("metrics lock");
        if let Some((_, h)) = all.iter().find(|(p, _)| *p == pool) {
            h.record(took.as_secs_f64());
            return;
        }
        let h = self.recorder.register_histogram(
            &key("egd_db_pool_acquire_seconds", &[("pool", pool)]),
            &METADATA,
        );
        h.record(took.as_secs_f64());
        all.push((pool, h));
    }

    /// Folds recorded histogram samples into their buckets. Without a scrape the samples would
    /// pile up: the maintenance task calls this every few seconds.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text: what was recorded, and what the sample read from the instance.
    pub fn render(&self, sample: Sample) -> String {
        let r = &self.recorder;
        for (i, c) in self.requests.iter().enumerate() {
            r.register_counter(
                &key("egd_http_requests_total", &[("class", CLASSES[i])]),
                &METADATA,
            )
            .absolute(c.load(Ordering::Relaxed));
        }
        r.register_gauge(&key("egd_ws_connections", &[]), &METADATA)
            .set(self.ws_open.load(Ordering::Relaxed) as f64);
        r.register_counter(&key("egd_chat_messages_total", &[]), &METADATA)
            .absolute(self.messages_sent.load(Ordering::Relaxed));
        r.register_counter(&key("egd_password_checks_total", &[]), &METADATA)
            .absolute(self.password_checks.load(Ordering::Relaxed));
        r.register_counter(&key("egd_ws_dropped_total", &[]), &METADATA)
            .absolute(sample.ws_dropped);
        r.register_gauge(&key("egd_draining", &[]), &METADATA)
            .set(if sample.draining { 1.0 } else { 0.0 });
        for (pool, size, idle) in sample.pools {
            let in_use = (size as usize).saturating_sub(idle);
            r.register_gauge(
                &key(
                    "egd_db_pool_connections",
                    &[("pool", pool), ("state", "in_use")],
                ),
                &METADATA,
            )
            .set(in_use as f64);
            r.register_gauge(
                &key(
                    "egd_db_pool_connections",
                    &[("pool", pool), ("state", "idle")],
                ),
                &METADATA,
            )
            .set(idle as f64);
        }
        for (cache, hits, misses) in sample.caches {
            r.register_counter(
                &key(
                    "egd_cache_lookups_total",
                    &[("cache", cache), ("result", "hit")],
                ),
                &METADATA,
            )
            .absolute(hits);
            r.register_counter(
                &key(
                    "egd_cache_lookups_total",
                    &[("cache", cache), ("result", "miss")],
                ),
                &METADATA,
            )
            .absolute(misses);
        }
        self.handle.render()
    }
}

fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::from_static_parts(k, v))
        .collect();
    Key::from_parts(name, labels)
}

fn class(status: u16) -> usize {
    (status / 100).clamp(1, 5) as usize - 1
}

fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

fn describe(r: &PrometheusRecorder) {
    let d = |name: &'static str, unit: Option<Unit>, text: &'static str| {
        // Every kind shares one description table in the exporter.
        r.describe_histogram(name.into(), unit, text.into());
    };
    d(
        "egd_http_requests_total",
        None,
        "HTTP responses by status class.",
    );
    d(
        "egd_http_request_duration_seconds",
        Some(Unit::Seconds),
        "Request latency by matched route (\"unmatched\" when none), method and status class.",
    );
    d(
        "egd_ws_connections",
        None,
        "Open WebSocket connections on this instance.",
    );
    d(
        "egd_ws_dropped_total",
        None,
        "Sockets dropped because their send queue was full (the client reconnects and catches up).",
    );
    d(
        "egd_chat_messages_total",
        None,
        "Chat messages stored by this instance.",
    );
    d(
        "egd_chat_batch_size",
        None,
        "Messages per chat writer transaction.",
    );
    d(
        "egd_chat_queue_depth",
        None,
        "Chat messages waiting for the writer when it took its last batch.",
    );
    d(
        "egd_chat_commit_seconds",
        Some(Unit::Seconds),
        "Duration of one chat writer transaction.",
    );
    d(
        "egd_password_checks_total",
        None,
        "Password verifications (argon2), unknown emails included.",
    );
    d(
        "egd_db_pool_connections",
        None,
        "Database connections of each pool, in use or idle.",
    );
    d(
        "egd_db_pool_acquire_seconds",
        Some(Unit::Seconds),
        "Time to take a connection from each pool, sampled once a second.",
    );
    d(
        "egd_broker_publish_seconds",
        Some(Unit::Seconds),
        "Time to hand one batch of live frames to the broker (Redis PUBLISH or local fan-out).",
    );
    d(
        "egd_broker_deliver_lag_seconds",
        Some(Unit::Seconds),
        "From publishing on one instance to receiving on this one (Redis).",
    );
    d(
        "egd_broker_publish_failures_total",
        None,
        "Broker publishes that failed (delivered locally only).",
    );
    d(
        "egd_cache_lookups_total",
        None,
        "Micro-cache lookups by cache and result (hit or miss).",
    );
    d(
        "egd_scheduler_runs_total",
        None,
        "Scheduler passes by result.",
    );
    d(
        "egd_draining",
        None,
        "1 while the instance drains before shutting down.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_by_pattern_and_unmatched_paths_share_one_label() {
        let m = Metrics::new();
        m.observe_request(
            Some("/api/v1/items/{id}"),
            &Method::GET,
            200,
            Duration::from_millis(3),
        );
        m.observe_request(
            Some("/api/v1/items/{id}"),
            &Method::GET,
            204,
            Duration::from_millis(3),
        );
        m.observe_request(None, &Method::GET, 404, Duration::from_millis(1));
        m.observe_request(
            None,
            &Method::from_bytes(b"BREW").unwrap(),
            404,
            Duration::from_millis(1),
        );
        m.upkeep();
        let text = m.render(Sample {
            ws_dropped: 0,
            draining: false,
            pools: vec![],
            caches: vec![],
        });
        assert!(
            text.contains(r#"egd_http_request_duration_seconds_count{route="/api/v1/items/{id}",method="GET",status="2xx"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"egd_http_request_duration_seconds_count{route="unmatched",method="other",status="4xx"} 1"#),
            "{text}"
        );
        assert!(
            text.contains("# TYPE egd_http_request_duration_seconds histogram"),
            "{text}"
        );
    }
}
