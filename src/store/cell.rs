//! A stream as the keyspace holds it: the ring behind a mutex, with the readers that
//! wait for its next entry.
//!
//! A blocked reader owns one [`Notify`] (its doorbell) and registers it with every
//! stream it waits on, under that stream's lock, after it has looked and found
//! nothing: an append that comes later must take the same lock and so sees the
//! registration. The append takes the whole list and rings every bell once, after
//! releasing the lock. Readers re-register each time they wake, so the list only
//! holds readers that are still waiting.

use std::sync::{Arc, Weak};

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::Notify;

use super::groups::Groups;
use super::stream::Stream;

/// The shared handle to one stream.
#[derive(Debug)]
pub struct StreamCell {
    state: Mutex<CellState>,
}

/// What the cell's lock guards.
#[derive(Debug)]
pub struct CellState {
    /// The entries.
    pub stream: Stream,
    /// Milliseconds since the epoch of the last append (for idle sessions).
    pub last_append_ms: u64,
    /// Entries the ring has overwritten since the stream was created.
    pub overwritten: u64,
    /// The stream's consumer groups.
    pub groups: Groups,
    waiters: Vec<Weak<Notify>>,
    /// Bumped each time the waiters are taken, so a reader can tell whether its
    /// registration is still there without searching the list.
    generation: u64,
}

/// Bells taken from a stream, to ring once its lock is released.
#[derive(Debug, Default)]
#[must_use = "ring the bells after dropping the stream's lock"]
pub struct Wakeups(Vec<Weak<Notify>>);

impl Wakeups {
    /// Rings every bell (each reader wakes once, however many streams rang it).
    pub fn ring(self) {
        for bell in self.0 {
            if let Some(bell) = bell.upgrade() {
                bell.notify_one();
            }
        }
    }

    /// Adds `other`'s bells.
    pub fn extend(&mut self, other: Wakeups) {
        self.0.extend(other.0);
    }

    /// True when there is nobody to wake.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl StreamCell {
    /// A shared cell around `stream`.
    pub fn new(stream: Stream, now_ms: u64) -> Arc<StreamCell> {
        Arc::new(StreamCell {
            state: Mutex::new(CellState {
                stream,
                last_append_ms: now_ms,
                overwritten: 0,
                groups: Groups::default(),
                waiters: Vec::new(),
                generation: 0,
            }),
        })
    }

    /// Locks the stream. Never held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, CellState> {
        self.state.lock()
    }
}

impl CellState {
    /// Registers a waiting reader's bell; returns the generation to pass to
    /// [`is_registered`](Self::is_registered) later. Each blocking operation has a
    /// bell of its own, dropped when it ends, so a reader that timed out or was
    /// served by another stream leaves only a dead entry, pruned as the list grows.
    pub fn register(&mut self, bell: &Arc<Notify>) -> u64 {
        if self.waiters.len() >= 32 && self.waiters.len().is_power_of_two() {
            self.waiters.retain(|w| w.strong_count() > 0);
        }
        self.waiters.push(Arc::downgrade(bell));
        self.generation
    }

    /// True when a registration made at `generation` has not been taken yet (no
    /// append since), so the reader need not register again.
    pub fn is_registered(&self, generation: u64) -> bool {
        self.generation == generation
    }

    /// Takes every registered bell; ring them after releasing the lock.
    pub fn take_waiters(&mut self) -> Wakeups {
        self.generation = self.generation.wrapping_add(1);
        Wakeups(std::mem::take(&mut self.waiters))
    }

    /// Number of readers waiting (registrations whose operation is still alive).
    pub fn waiting(&self) -> usize {
        self.waiters.iter().filter(|w| w.strong_count() > 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_append_wakes_every_reader_once() {
        let cell = StreamCell::new(Stream::new(10), 0);
        let bells: Vec<Arc<Notify>> = (0..100).map(|_| Arc::new(Notify::new())).collect();
        let generation = {
            let mut s = cell.lock();
            let mut g = 0;
            for b in &bells {
                g = s.register(b);
            }
            g
        };
        assert!(cell.lock().is_registered(generation));
        let wake = cell.lock().take_waiters();
        wake.ring();
        assert_eq!(cell.lock().waiting(), 0);
        assert!(!cell.lock().is_registered(generation));
        for b in &bells {
            // The permit is stored, so a reader that had not started awaiting still wakes.
            tokio::time::timeout(std::time::Duration::from_secs(1), b.notified())
                .await
                .expect("woken");
        }
    }

    #[test]
    fn dead_waiters_are_pruned() {
        let cell = StreamCell::new(Stream::new(10), 0);
        let keep = Arc::new(Notify::new());
        let mut s = cell.lock();
        s.register(&keep);
        for _ in 0..200 {
            let gone = Arc::new(Notify::new());
            s.register(&gone);
        }
        assert_eq!(s.waiting(), 1);
        assert!(s.waiters.len() < 100, "pruned to {}", s.waiters.len());
    }
}
