//! Bounded pools for CPU-heavy work (password hashing, image decoding): a fixed number of
//! threads and a fixed-size queue. When the queue is full the caller gets `Busy` at once (the
//! handler answers 503 with `Retry-After`), so a flood cannot grow memory or steal every core.
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

pub struct BoundedPool {
    tx: SyncSender<Job>,
}

/// The pool's queue is full (or the pool stopped): try again later.
#[derive(Debug)]
pub struct Busy;

impl BoundedPool {
    /// `threads` workers named `{name}-N`, and at most `queue` jobs waiting beside the running ones.
    pub fn new(name: &str, threads: usize, queue: usize) -> BoundedPool {
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || loop {
                    // The lock is held while waiting for a job, never while running one.
                    let job = match rx.lock().map(|r| r.recv()) {
                        Ok(Ok(job)) => job,
                        _ => return,
                    };
                    job();
                })
                .expect("start a pool thread");
        }
        BoundedPool { tx }
    }

    /// Runs `f` on the pool and waits for it without blocking the async runtime; `Busy` when
    /// the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        match self.tx.try_send(Box::new(move || {
            let _ = tx.send(f());
        })) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => return Err(Busy),
        }
        rx.await.map_err(|_| Busy)
    }
}

/// glibc raises its mmap threshold to the size of each large block freed, after which big
/// buffers (argon2's memory, decoded images) come from per-thread arenas that keep them. A fixed
/// threshold keeps them mmapped, so freeing one returns it to the OS.
pub fn keep_big_blocks_out_of_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Threads for a CPU-bound pool: one per core.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_instead_of_growing() {
        let pool = Arc::new(BoundedPool::new("test", 1, 1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        // One job runs (blocked), one waits in the queue; the third is refused.
        let w = wait.clone();
        let p = pool.clone();
        let running = tokio::spawn(async move {
            p.run(move || {
                let _ = w.lock().unwrap().recv();
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let w = wait.clone();
        let p = pool.clone();
        let queued = tokio::spawn(async move {
            p.run(move || {
                let _ = w.lock().unwrap().recv();
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(pool.run(|| ()).await.is_err(), "third job is refused");
        release.send(()).unwrap();
        release.send(()).unwrap();
        assert!(running.await.unwrap().is_ok());
        assert!(queued.await.unwrap().is_ok());
        assert!(pool.run(|| 7).await.is_ok(), "accepts again once drained");
    }
}
