//! The sockets connected to this instance, by user. Each has a bounded queue: a socket that
//! cannot keep up is dropped (its client reconnects and catches up) instead of slowing others.
//! Each socket also knows the login that opened it, so ending a login closes exactly its sockets.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

pub const QUEUE: usize = 512;
/// Sockets one user may hold on an instance; opening one more closes the oldest.
pub const MAX_PER_USER: usize = 10;

/// Why the server closes a socket: the close code and reason clients see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The login that opened the socket ended (logout, password change, suspension, deletion,
    /// refresh-token reuse).
    SessionEnded,
    /// The user opened more than `MAX_PER_USER` sockets; this was the oldest.
    TooManySockets,
    /// The instance is shutting down; reconnect elsewhere.
    Restart,
}

impl CloseReason {
    pub fn code(self) -> u16 {
        match self {
            CloseReason::SessionEnded => 4401,
            CloseReason::TooManySockets => 4008,
            CloseReason::Restart => 1012,
        }
    }
    pub fn reason(self) -> &'static str {
        match self {
            CloseReason::SessionEnded => "session_ended",
            CloseReason::TooManySockets => "too_many_sockets",
            CloseReason::Restart => "service_restart",
        }
    }
}

/// What a socket task holds: its frames, the reason it is closed (if the hub closes it) and a
/// flag set when what it may see changed (room membership must be checked again).
pub struct Registration {
    pub id: u64,
    pub frames: mpsc::Receiver<Arc<str>>,
    pub closed: oneshot::Receiver<CloseReason>,
    pub recheck: Arc<AtomicBool>,
}

struct Conn {
    id: u64,
    session: u64,
    tx: mpsc::Sender<Arc<str>>,
    close: oneshot::Sender<CloseReason>,
    recheck: Arc<AtomicBool>,
}

impl Conn {
    fn close(self, reason: CloseReason) {
        let _ = self.close.send(reason);
    }
}

#[derive(Default)]
pub struct Hub {
    conns: Mutex<HashMap<i64, Vec<Conn>>>,
    /// Told of every ended login this instance hears of (the account cache forgets it).
    on_end: std::sync::OnceLock<EndHook>,
    next: AtomicU64,
    /// Sockets accepted for upgrade and not yet finished (the server-wide cap counts these).
    slots: Arc<AtomicUsize>,
    /// Sockets dropped because their queue was full (`/metrics`).
    dropped: AtomicU64,
}

/// A listener for ended logins: (user, the login or every login).
pub type EndHook = Box<dyn Fn(i64, Option<u64>) + Send + Sync>;

/// One counted socket slot; released when dropped (the socket ended or never upgraded).
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Hub {
    /// Takes a slot unless `max` sockets are open already.
    pub fn reserve(&self, max: usize) -> Option<Slot> {
        let mut now = self.slots.load(Ordering::Acquire);
        loop {
            if now >= max {
                return None;
            }
            match self.slots.compare_exchange_weak(
                now,
                now + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(Slot(self.slots.clone())),
                Err(seen) => now = seen,
            }
        }
    }

    /// Registers a socket of `user` opened by login `session`. A user's eleventh socket closes
    /// their oldest one.
    pub fn register(&self, user: i64, session: u64) -> Registration {
        let (tx, frames) = mpsc::channel(QUEUE);
        let (close, closed) = oneshot::channel();
        let recheck = Arc::new(AtomicBool::new(false));
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut conns = self.conns.lock().expect("hub lock");
        let list = conns.entry(user).or_default();
        list.push(Conn {
            id,
            session,
            tx,
            close,
            recheck: recheck.clone(),
        });
        while list.len() > MAX_PER_USER {
            // Ids grow, so the first is the oldest.
            list.remove(0).close(CloseReason::TooManySockets);
        }
        Registration {
            id,
            frames,
            closed,
            recheck,
        }
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
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                });
            }
        }
    }

    /// Sets what else hears of ended logins (once, when the state is built).
    pub fn on_end_sessions(&self, hook: EndHook) {
        let _ = self.on_end.set(hook);
    }

    /// Closes the user's sockets opened by `session`, or all of them when `None`.
    pub fn end_sessions(&self, user: i64, session: Option<u64>) {
        if let Some(hook) = self.on_end.get() {
            hook(user, session);
        }
        let mut conns = self.conns.lock().expect("hub lock");
        let Some(list) = conns.remove(&user) else {
            return;
        };
        let (ended, kept): (Vec<Conn>, Vec<Conn>) = list
            .into_iter()
            .partition(|c| session.is_none_or(|s| s == c.session));
        if !kept.is_empty() {
            conns.insert(user, kept);
        }
        drop(conns);
        for c in ended {
            c.close(CloseReason::SessionEnded);
        }
    }

    /// Tells these users' sockets that what they may see changed (e.g. a block): cached room
    /// membership is checked again before the next send.
    pub fn recheck(&self, users: &[i64]) {
        let conns = self.conns.lock().expect("hub lock");
        for user in users {
            for c in conns.get(user).into_iter().flatten() {
                c.recheck.store(true, Ordering::Release);
            }
        }
    }

    /// Sockets dropped so far because they could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Sockets accepted and not yet finished (their tasks still run).
    pub fn open_slots(&self) -> usize {
        self.slots.load(Ordering::Acquire)
    }

    pub fn connections(&self) -> usize {
        self.conns
            .lock()
            .expect("hub lock")
            .values()
            .map(Vec::len)
            .sum()
    }

    /// Closes every socket (shutdown): clients reconnect to another instance.
    pub fn close_all(&self) {
        let all: Vec<Conn> = self
            .conns
            .lock()
            .expect("hub lock")
            .drain()
            .flat_map(|(_, l)| l)
            .collect();
        for c in all {
            c.close(CloseReason::Restart);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_that_does_not_read_is_dropped_without_slowing_others() {
        let hub = Hub::default();
        let mut slow = hub.register(1, 0);
        let mut fast = hub.register(2, 0);
        let frame: Arc<str> = Arc::from("{\"type\":\"pong\"}");
        for _ in 0..QUEUE + 10 {
            // Never blocks, however far behind user 1 is.
            hub.deliver(&[1, 2], &frame);
            assert!(
                fast.frames.try_recv().is_ok(),
                "the reading socket gets every frame"
            );
        }
        assert_eq!(hub.connections(), 1, "the full queue's socket was dropped");
        let mut queued = 0;
        while slow.frames.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(
            queued, QUEUE,
            "it keeps what was queued, then sees the channel closed"
        );
        assert!(matches!(
            slow.frames.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    }

    #[test]
    fn ending_a_login_closes_only_its_sockets() {
        let hub = Hub::default();
        let mut a = hub.register(1, 11);
        let mut b = hub.register(1, 22);
        let mut other_user = hub.register(2, 11);
        hub.end_sessions(1, Some(11));
        assert_eq!(a.closed.try_recv(), Ok(CloseReason::SessionEnded));
        assert!(b.closed.try_recv().is_err(), "the other login stays");
        assert!(other_user.closed.try_recv().is_err());
        hub.end_sessions(1, None);
        assert_eq!(b.closed.try_recv(), Ok(CloseReason::SessionEnded));
        assert_eq!(hub.connections(), 1);
    }

    #[test]
    fn the_eleventh_socket_closes_the_oldest() {
        let hub = Hub::default();
        let mut regs: Vec<Registration> = (0..MAX_PER_USER).map(|_| hub.register(1, 0)).collect();
        assert!(regs.iter_mut().all(|r| r.closed.try_recv().is_err()));
        let _newest = hub.register(1, 0);
        assert_eq!(regs[0].closed.try_recv(), Ok(CloseReason::TooManySockets));
        assert!(regs[1..].iter_mut().all(|r| r.closed.try_recv().is_err()));
        assert_eq!(hub.connections(), MAX_PER_USER);
    }

    #[test]
    fn the_server_wide_cap_refuses_then_frees_slots() {
        let hub = Hub::default();
        let a = hub.reserve(2).expect("first");
        let _b = hub.reserve(2).expect("second");
        assert!(hub.reserve(2).is_none(), "cap reached");
        drop(a);
        assert!(hub.reserve(2).is_some(), "a finished socket frees its slot");
    }
}
