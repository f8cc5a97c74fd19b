//! The sockets connected to this instance, by user. Each has a bounded queue: a socket that
//! cannot keep up is dropped (its client reconnects and catches up) instead of slowing others.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

pub const QUEUE: usize = 512;

struct Conn {
    id: u64,
    tx: mpsc::Sender<Arc<str>>,
}

#[derive(Default)]
pub struct Hub {
    conns: Mutex<HashMap<i64, Vec<Conn>>>,
    next: AtomicU64,
}

impl Hub {
    pub fn register(&self, user: i64) -> (u64, mpsc::Receiver<Arc<str>>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns
            .lock()
            .expect("hub lock")
            .entry(user)
            .or_default()
            .push(Conn { id, tx });
        (id, rx)
    }

    pub fn unregister(&self, user: i64, id: u64) {
        let mut conns = self.conns.lock().expect("hub lock");
        if let Some(list) = conns.get_mut(&user) {
            list.retain(|c| c.id != id);
            if list.is_empty() {
                conns.remove(&user);
            }
        }
    }

    /// Queues a frame on every local socket of these users; never waits.
    pub fn deliver(&self, users: &[i64], frame: &Arc<str>) {
        let mut conns = self.conns.lock().expect("hub lock");
        for user in users {
            if let Some(list) = conns.get_mut(user) {
                // A full queue means the client stopped reading: dropping the sender closes it.
                list.retain(|c| match c.tx.try_send(frame.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        tracing::info!(user, conn = c.id, "socket too slow; disconnecting");
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                });
            }
        }
    }

    pub fn connections(&self) -> usize {
        self.conns
            .lock()
            .expect("hub lock")
            .values()
            .map(Vec::len)
            .sum()
    }

    pub fn close_all(&self) {
        self.conns.lock().expect("hub lock").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_that_does_not_read_is_dropped_without_slowing_others() {
        let hub = Hub::default();
        let (_, mut slow) = hub.register(1);
        let (_, mut fast) = hub.register(2);
        let frame: Arc<str> = Arc::from("{\"type\":\"pong\"}");
        for _ in 0..QUEUE + 10 {
            // Never blocks, however far behind user 1 is.
            hub.deliver(&[1, 2], &frame);
            assert!(
                fast.try_recv().is_ok(),
                "the reading socket gets every frame"
            );
        }
        assert_eq!(hub.connections(), 1, "the full queue's socket was dropped");
        let mut queued = 0;
        while slow.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(
            queued, QUEUE,
            "it keeps what was queued, then sees the channel closed"
        );
        assert!(matches!(
            slow.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    }
}
