//! Fan-out between instances: in-process (one instance) or Redis pub/sub (several).
//! If Redis goes away (or is not up yet at start) each instance keeps serving its own sockets,
//! reports not-ready, and connects by itself when Redis is back.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use super::Hub;
use crate::ops::metrics::BrokerMetrics;

#[derive(Clone)]
pub enum Broker {
    Local(BrokerMetrics),
    Redis(Arc<RedisBroker>),
}

pub struct RedisBroker {
    /// Set by the subscriber once Redis answers; `ready` implies it is there.
    conn: RwLock<Option<redis::aio::ConnectionManager>>,
    ready: AtomicBool,
    /// Per deployment (derived from its signing key): deployments sharing one Redis never
    /// see each other's frames.
    channel: String,
    metrics: BrokerMetrics,
}

/// What travels on the channel: frames with the users each one is for, already serialized.
/// A whole writer batch goes as one message, so one round trip carries hundreds of frames.
/// The first envelope of a batch also carries when it was published (`t`, microseconds since
/// the Unix epoch) for the delivery-lag metric; instances that do not know `t` ignore it, so
/// old and new releases share the channel during a rolling upgrade.
#[derive(Serialize)]
struct Envelope<'a> {
    u: &'a [i64],
    f: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<u64>,
}

#[derive(Deserialize)]
struct Received {
    u: Vec<i64>,
    f: String,
    #[serde(default)]
    t: Option<u64>,
}

fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Orders about sockets rather than frames for them; every instance applies them to its own.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Control {
    /// Close the user's sockets of one login (`session`), or all of them.
    EndSessions { user: i64, session: Option<u64> },
    /// What these users may see changed: re-check cached room membership.
    Recheck { users: Vec<i64> },
}

impl Control {
    fn apply(&self, hub: &Hub) {
        match self {
            Control::EndSessions { user, session } => hub.end_sessions(*user, *session),
            Control::Recheck { users } => hub.recheck(users),
        }
    }
}

/// One message on the channel: a batch of frames or one control order.
#[derive(Deserialize)]
#[serde(untagged)]
enum Payload {
    Frames(Vec<Received>),
    Control { c: Control },
}

impl Broker {
    pub async fn redis(
        url: &str,
        namespace: &str,
        hub: Arc<Hub>,
        metrics: BrokerMetrics,
    ) -> anyhow::Result<Broker> {
        let client = redis::Client::open(url)?;
        let broker = Arc::new(RedisBroker {
            conn: RwLock::new(None),
            ready: AtomicBool::new(false),
            channel: format!("egodaeyeo:{namespace}:realtime"),
            metrics,
        });
        tokio::spawn(subscribe_loop(client, hub, broker.clone()));
        // Wait briefly for the subscription so the first messages are not missed.
        for _ in 0..50 {
            if broker.ready.load(Ordering::Acquire) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !broker.ready.load(Ordering::Acquire) {
            tracing::warn!("redis not reachable yet; serving local sockets until it is");
        }
        Ok(Broker::Redis(broker))
    }

    pub fn ready(&self) -> bool {
        match self {
            Broker::Local(_) => true,
            Broker::Redis(r) => r.ready.load(Ordering::Acquire),
        }
    }

    /// Delivers each frame to every socket of its users, on every instance.
    pub async fn publish(&self, hub: &Hub, frames: &[(&[i64], Arc<str>)]) {
        let started = std::time::Instant::now();
        let r = match self {
            Broker::Local(metrics) => {
                for (users, frame) in frames {
                    hub.deliver(users, frame);
                }
                metrics
                    .publish_seconds
                    .record(started.elapsed().as_secs_f64());
                return;
            }
            Broker::Redis(r) => r,
        };
        let conn = if r.ready.load(Ordering::Acquire) {
            r.conn.read().expect("broker lock").clone()
        } else {
            None
        };
        let sent = match conn {
            Some(mut conn) => {
                let now = unix_micros();
                let envelopes: Vec<Envelope> = frames
                    .iter()
                    .enumerate()
                    .map(|(i, (u, f))| Envelope {
                        u,
                        f,
                        t: (i == 0).then_some(now),
                    })
                    .collect();
                let payload = serde_json::to_string(&envelopes).expect("envelope serializes");
                conn.publish::<_, _, i64>(&r.channel, payload)
                    .await
                    .map(|_| ())
            }
            None => Err(redis::RedisError::from((
                redis::ErrorKind::IoError,
                "redis not connected",
            ))),
        };
        r.metrics
            .publish_seconds
            .record(started.elapsed().as_secs_f64());
        if let Err(e) = sent {
            // Our own sockets still get it; other instances' clients catch up over REST.
            r.metrics.publish_failures.increment(1);
            tracing::warn!(error = %e, "redis publish failed; delivering locally");
            for (users, frame) in frames {
                hub.deliver(users, frame);
            }
        }
    }
}

impl Broker {
    /// Applies a control order on every instance. Applied locally first: this instance's
    /// sockets never depend on Redis being up for it.
    pub async fn control(&self, hub: &Hub, control: Control) {
        control.apply(hub);
        let Broker::Redis(r) = self else {
            return;
        };
        let conn = r.conn.read().expect("broker lock").clone();
        let Some(mut conn) = conn else {
            tracing::warn!("redis not connected; control applied on this instance only");
            return;
        };
        let payload = serde_json::json!({ "c": control }).to_string();
        if let Err(e) = conn.publish::<_, _, i64>(&r.channel, payload).await {
            // Other instances' sockets re-check their login on their next heartbeat.
            tracing::warn!(error = %e, "redis publish of a control order failed");
        }
    }
}

async fn subscribe_loop(client: redis::Client, hub: Arc<Hub>, broker: Arc<RedisBroker>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match connect(&client, &broker).await {
            Ok(mut pubsub) => {
                tracing::info!("redis pub/sub connected");
                broker.ready.store(true, Ordering::Release);
                delay = Duration::from_millis(200);
                let mut stream = pubsub.on_message();
                while let Some(msg) = stream.next().await {
                    let Ok(payload) = msg.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<Payload>(&payload) {
                        Ok(Payload::Frames(envelopes)) => {
                            if let Some(t) = envelopes.first().and_then(|e| e.t) {
                                let lag = unix_micros().saturating_sub(t);
                                broker.metrics.deliver_lag_seconds.record(lag as f64 / 1e6);
                            }
                            for env in envelopes {
                                hub.deliver(&env.u, &Arc::from(env.f));
                            }
                        }
                        Ok(Payload::Control { c }) => c.apply(&hub),
                        Err(e) => tracing::warn!(error = %e, "bad envelope on redis"),
                    }
                }
                tracing::warn!("redis pub/sub connection lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "redis unavailable; retrying"),
        }
        broker.ready.store(false, Ordering::Release);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Subscribes, and makes sure there is a publishing connection too.
async fn connect(
    client: &redis::Client,
    broker: &RedisBroker,
) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(&broker.channel).await?;
    let missing = broker.conn.read().expect("broker lock").is_none();
    if missing {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(1);
        let conn = redis::aio::ConnectionManager::new_with_config(client.clone(), config).await?;
        *broker.conn.write().expect("broker lock") = Some(conn);
    }
    Ok(pubsub)
}
