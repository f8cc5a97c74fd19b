//! Password hashing on a few dedicated threads with a bounded queue. argon2 allocates its whole
//! memory cost (19 MiB) for every hash; on tokio's blocking pool each new thread got its own
//! malloc arena that kept that memory, so a burst of sign-ups left hundreds of MB behind. A fixed
//! pool, one thread per core, bounds the CPU used and the memory held; the bounded queue turns a
//! flood of logins or sign-ups into 503s instead of an ever-growing backlog.
use crate::blocking::{cores, BoundedPool};

/// Hashes waiting beside the running ones: about a second of work on two cores.
const QUEUE: usize = 32;

/// The instance's hashing pool: one thread per core.
pub fn pool() -> BoundedPool {
    keep_big_blocks_out_of_arenas();
    BoundedPool::new("argon2", cores(), QUEUE)
}

/// glibc serves allocations above a threshold with mmap and returns them on free, but raises the
/// threshold to the size of each such block freed: after the first hash, argon2's 19 MiB blocks
/// came from the heap arenas, which kept them (40 concurrent sign-ups: 14 → 366 MB resident).
/// A fixed threshold keeps them mmapped (16 MB resident after the same burst).
pub fn keep_big_blocks_out_of_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}
