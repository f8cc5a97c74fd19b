//! Live delivery: this instance's sockets (hub) and the fan-out between instances (broker).
pub mod broker;
pub mod hub;
pub mod ws;

use std::sync::Arc;

use serde::Serialize;

pub use broker::Broker;
pub use hub::Hub;

#[derive(Clone)]
pub struct Realtime {
    pub hub: Arc<Hub>,
    broker: Broker,
}

impl Realtime {
    /// `namespace` separates deployments that share one Redis.
    pub async fn start(redis_url: Option<&str>, namespace: &str) -> anyhow::Result<Realtime> {
        let hub = Arc::new(Hub::default());
        let broker = match redis_url {
            Some(url) => Broker::redis(url, namespace, hub.clone()).await?,
            None => Broker::Local,
        };
        Ok(Realtime { hub, broker })
    }

    pub fn kind(&self) -> &'static str {
        match self.broker {
            Broker::Local => "in-process",
            Broker::Redis(_) => "redis",
        }
    }

    pub fn broker_ready(&self) -> bool {
        self.broker.ready()
    }

    /// Sends one server frame to every socket of these users, on every instance.
    pub async fn send<T: Serialize>(&self, users: &[i64], frame: &T) {
        let text: Arc<str> = match serde_json::to_string(frame) {
            Ok(s) => s.into(),
            Err(e) => {
                tracing::error!(error = %e, "frame does not serialize");
                return;
            }
        };
        self.broker.publish(&self.hub, users, text).await;
    }

    pub fn close_all(&self) {
        self.hub.close_all();
    }
}
