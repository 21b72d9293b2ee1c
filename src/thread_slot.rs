//! A small number per thread, for data split into per-thread shards.
//!
//! Counters and locks that every worker thread writes on every command cost a cache
//! line moving between cores each time. Splitting them into shards, each thread
//! writing to its own, keeps the line on one core; readers (a scrape, EXEC) visit
//! every shard, which is rare.

use std::sync::atomic::{AtomicUsize, Ordering};

/// This thread's slot among `shards` (a power of two or not): threads take slots in
/// turn as they first ask, so up to `shards` threads each have a slot of their own.
#[inline]
pub(crate) fn thread_slot(shards: usize) -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    SLOT.with(|s| *s) % shards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_slot_and_threads_take_turns() {
        let here = thread_slot(1024);
        assert_eq!(thread_slot(1024), here);
        let other = std::thread::spawn(|| thread_slot(1024))
            .join()
            .expect("thread");
        assert_ne!(other, here);
        assert!(thread_slot(4) < 4);
    }
}
