//! Live delivery: this instance's sockets (hub) and the fan-out between instances (broker).
pub mod broker;
pub mod hub;
pub mod protocol;
pub mod ws;

use std::sync::Arc;

use serde::Serialize;

pub use broker::{Broker, Control};
pub use hub::{CloseReason, Hub};

#[derive(Clone)]
pub struct Realtime {
    pub hub: Arc<Hub>,
    broker: Broker,
}

impl Realtime {
    /// `namespace` separates deployments that share one Redis.
    pub async fn start(
        redis_url: Option<&str>,
        namespace: &str,
        metrics: crate::ops::metrics::BrokerMetrics,
    ) -> anyhow::Result<Realtime> {
        let hub = Arc::new(Hub::default());
        let broker = match redis_url {
            Some(url) => Broker::redis(url, namespace, hub.clone(), metrics).await?,
            None => Broker::Local(metrics),
        };
        Ok(Realtime { hub, broker })
    }

    pub fn kind(&self) -> &'static str {
        match self.broker {
            Broker::Local(_) => "in-process",
            Broker::Redis(_) => "redis",
        }
    }

    pub fn broker_ready(&self) -> bool {
        self.broker.ready()
    }

    /// Sends one server frame to every socket of these users, on every instance.
    pub async fn send<T: Serialize>(&self, users: &[i64], frame: &T) {
        if let Some(text) = frame_text(frame) {
            self.broker.publish(&self.hub, &[(users, text)]).await;
        }
    }

    /// Sends several frames at once (one broker round trip for all of them), in order.
    pub async fn send_all(&self, frames: &[(&[i64], Arc<str>)]) {
        if !frames.is_empty() {
            self.broker.publish(&self.hub, frames).await;
        }
    }

    /// Closes (with 4401) the user's sockets of one login, or of every login, on every instance.
    pub async fn end_sessions(&self, user: i64, session: Option<u64>) {
        self.broker
            .control(&self.hub, Control::EndSessions { user, session })
            .await;
    }

    /// Makes these users' sockets, on every instance, check room membership again.
    pub async fn recheck(&self, users: Vec<i64>) {
        self.broker
            .control(&self.hub, Control::Recheck { users })
            .await;
    }

    pub fn close_all(&self) {
        self.hub.close_all();
    }
}

/// A frame serialized once, shared by every socket it goes to.
pub fn frame_text<T: Serialize>(frame: &T) -> Option<Arc<str>> {
    match serde_json::to_string(frame) {
        Ok(s) => Some(s.into()),
        Err(e) => {
            tracing::error!(error = %e, "frame does not serialize");
            None
        }
    }
}
