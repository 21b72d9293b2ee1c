//! A small number per thread, for data split into per-thread shards.
//!
//! Counters and locks that every worker thread writes on every command cost a cache
//! line moving between cores each time. Splitting them into shards, each thread
//! writing to its own, keeps the line on one core; readers (a scrape, EXEC) visit
//! every shard, which is rare.

use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{RwLock, RwLockReadGuard};

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

/// Shards of a [`Replicated`] value: more than the worker threads of any machine
/// this is measured on (a thread beyond them shares a shard, which is only slower).
const REPLICAS: usize = 8;

/// One replica's lock, on cache lines of its own.
#[repr(align(128))]
struct Replica<T>(RwLock<T>);

/// A value that every thread reads on hot paths and that rarely changes (the
/// store's settings): one copy per thread shard, each behind its own lock. Taking
/// a read lock writes the lock word, so with one lock for all, that line moved
/// between cores on every read; with a copy per shard it stays in the reader's
/// core. [`Replicated::set`] writes every copy, in order, before it returns.
pub(crate) struct Replicated<T> {
    replicas: Box<[Replica<T>]>,
}

impl<T: Clone> Replicated<T> {
    /// `value`, copied into every shard.
    pub(crate) fn new(value: T) -> Self {
        Replicated {
            replicas: (0..REPLICAS)
                .map(|_| Replica(RwLock::new(value.clone())))
                .collect(),
        }
    }

    /// This thread's copy, locked for reading. Hold the guard briefly.
    #[inline]
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
        self.replicas[thread_slot(REPLICAS)].0.read()
    }

    /// Replaces every copy. A reader on another thread sees the old value until its
    /// own copy is replaced; once `set` has returned, every reader sees `value`.
    pub(crate) fn set(&self, value: T) {
        for replica in self.replicas.iter() {
            *replica.0.write() = value.clone();
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Replicated<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Replicated")
            .field(&*self.replicas[0].0.read())
            .finish()
    }
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

    /// What each of more threads than there are shards reads from `value`.
    fn read_everywhere(value: &std::sync::Arc<Replicated<u32>>) -> Vec<u32> {
        let readers: Vec<_> = (0..REPLICAS + 2)
            .map(|_| {
                let value = std::sync::Arc::clone(value);
                std::thread::spawn(move || *value.read())
            })
            .collect();
        readers
            .into_iter()
            .map(|r| r.join().expect("reader"))
            .collect()
    }

    #[test]
    fn every_thread_sees_a_set_value_once_set_returns() {
        let value = std::sync::Arc::new(Replicated::new(1u32));
        assert_eq!(*value.read(), 1);
        assert!(read_everywhere(&value).iter().all(|&v| v == 1));
        value.set(2);
        assert_eq!(*value.read(), 2);
        assert!(
            read_everywhere(&value).iter().all(|&v| v == 2),
            "a shard kept the old value"
        );
    }
}
