//! Fan-out between instances: in-process (one instance) or Redis pub/sub (several).
//! If Redis goes away each instance keeps serving its own sockets, reports not-ready, and
//! reconnects by itself.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use super::Hub;

const CHANNEL: &str = "egodaeyeo:realtime";

#[derive(Clone)]
pub enum Broker {
    Local,
    Redis(Arc<RedisBroker>),
}

pub struct RedisBroker {
    conn: redis::aio::ConnectionManager,
    ready: Arc<AtomicBool>,
}

/// What travels on the channel: the users to reach and the frame, already serialized.
#[derive(Serialize)]
struct Envelope<'a> {
    u: &'a [i64],
    f: &'a str,
}

#[derive(Deserialize)]
struct Received {
    u: Vec<i64>,
    f: String,
}

impl Broker {
    pub async fn redis(url: &str, hub: Arc<Hub>) -> anyhow::Result<Broker> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(1);
        let conn = redis::aio::ConnectionManager::new_with_config(client.clone(), config).await?;
        let ready = Arc::new(AtomicBool::new(false));
        tokio::spawn(subscribe_loop(client, hub, ready.clone()));
        // Wait briefly for the subscription so the first messages are not missed.
        for _ in 0..50 {
            if ready.load(Ordering::Relaxed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Broker::Redis(Arc::new(RedisBroker { conn, ready })))
    }

    pub fn ready(&self) -> bool {
        match self {
            Broker::Local => true,
            Broker::Redis(r) => r.ready.load(Ordering::Relaxed),
        }
    }

    pub async fn publish(&self, hub: &Hub, users: &[i64], frame: Arc<str>) {
        match self {
            Broker::Local => hub.deliver(users, &frame),
            Broker::Redis(r) => {
                let payload = serde_json::to_string(&Envelope {
                    u: users,
                    f: &frame,
                })
                .expect("envelope serializes");
                let mut conn = r.conn.clone();
                let sent: redis::RedisResult<i64> = if r.ready.load(Ordering::Relaxed) {
                    conn.publish(CHANNEL, payload).await
                } else {
                    Err(redis::RedisError::from((
                        redis::ErrorKind::IoError,
                        "subscriber down",
                    )))
                };
                if let Err(e) = sent {
                    // Our own sockets still get it; other instances' clients catch up over REST.
                    tracing::warn!(error = %e, "redis publish failed; delivering locally");
                    hub.deliver(users, &frame);
                }
            }
        }
    }
}

async fn subscribe_loop(client: redis::Client, hub: Arc<Hub>, ready: Arc<AtomicBool>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(e) = pubsub.subscribe(CHANNEL).await {
                    tracing::warn!(error = %e, "redis subscribe failed");
                } else {
                    tracing::info!("redis pub/sub connected");
                    ready.store(true, Ordering::Relaxed);
                    delay = Duration::from_millis(200);
                    let mut stream = pubsub.on_message();
                    while let Some(msg) = stream.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<Received>(&payload) {
                            Ok(env) => hub.deliver(&env.u, &Arc::from(env.f)),
                            Err(e) => tracing::warn!(error = %e, "bad envelope on redis"),
                        }
                    }
                    tracing::warn!("redis pub/sub connection lost; reconnecting");
                }
            }
            Err(e) => tracing::warn!(error = %e, "redis unavailable; retrying"),
        }
        ready.store(false, Ordering::Relaxed);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
