//! Password hashing on a few dedicated threads with a bounded queue. argon2 allocates its whole
//! memory cost (19 MiB) for every hash; on tokio's blocking pool each new thread got its own
//! malloc arena that kept that memory, so a burst of sign-ups left hundreds of MB behind. A fixed
//! pool, one thread per core, bounds the CPU used and the memory held; the bounded queue turns a
//! flood of logins or sign-ups into 503s instead of an ever-growing backlog.
use crate::blocking::{cores, keep_big_blocks_out_of_arenas, BoundedPool};

/// Hashes waiting beside the running ones: about a second of work on two cores.
const QUEUE: usize = 32;

/// The instance's hashing pool: one thread per core.
pub fn pool() -> BoundedPool {
    keep_big_blocks_out_of_arenas();
    BoundedPool::new("argon2", cores(), QUEUE)
}
