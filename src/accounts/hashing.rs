//! Password hashing on a few dedicated threads. argon2 allocates its whole memory cost (19 MiB)
//! for every hash; on tokio's blocking pool each new thread got its own malloc arena that kept
//! that memory, so a burst of sign-ups left hundreds of MB behind. A fixed pool, one thread per
//! core, bounds the CPU used and the memory held.
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

fn pool() -> &'static Sender<Job> {
    static POOL: OnceLock<Sender<Job>> = OnceLock::new();
    POOL.get_or_init(|| {
        keep_big_blocks_out_of_arenas();
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    // The lock is held while waiting for a job, never while running one.
                    let job = match rx.lock().map(|r| r.recv()) {
                        Ok(Ok(job)) => job,
                        _ => return,
                    };
                    job();
                })
                .expect("start a password hashing thread");
        }
        tx
    })
}

/// Runs `f` on the hashing pool; `None` only if the pool is gone.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool()
        .send(Box::new(move || {
            let _ = tx.send(f());
        }))
        .ok()?;
    rx.await.ok()
}

/// glibc serves allocations above a threshold with mmap and returns them on free, but raises the
/// threshold to the size of each such block freed: after the first hash, argon2's 19 MiB blocks
/// came from the heap arenas, which kept them (40 concurrent sign-ups: 14 → 366 MB resident).
/// A fixed threshold keeps them mmapped (16 MB resident after the same burst).
fn keep_big_blocks_out_of_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}
