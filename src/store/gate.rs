//! The transaction gate: what makes EXEC atomic on a multi-threaded runtime, and the
//! deferral of wake-ups so readers see a transaction's writes all at once.
//!
//! Every command holds the gate *shared* while it runs (never across an `.await`), and
//! so do the server's background sweeps and the embedded [`crate::Broker`]'s calls.
//! EXEC holds it *exclusive* while it runs its queue, so no other command, sweep or
//! embedded call sees the store half-way through a transaction, as in Redis. Taking
//! an uncontended read lock costs one atomic add and one subtract; EXEC is the only
//! writer. Code that already holds the gate must not take it again (a recursive read
//! can deadlock behind a waiting EXEC): command handlers never take it themselves.
//!
//! While EXEC runs, [`defer_wakeups`] collects the bells that appends and deletions
//! would ring ([`super::Wakeups`], and readers waiting for a key to be created), and
//! rings them once the transaction is over and the gate released: a reader blocked
//! in XREAD wakes once and is served every entry the transaction appended.

use std::cell::RefCell;
use std::sync::Weak;

use super::bell::Bell;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::thread_slot::thread_slot;

/// Shards of the gate. More than the worker threads of any machine this is
/// measured on; a thread beyond them shares a shard, which is only slower.
const SHARDS: usize = 8;

/// One shard's lock, on cache lines of its own.
#[repr(align(128))]
#[derive(Debug, Default)]
struct Shard(RwLock<()>);

/// The server-wide gate; see the module documentation.
///
/// One read-write lock per thread shard: a command takes its thread's shard shared,
/// so the lock word it writes stays in its core's cache (with one lock for all, the
/// line moved between cores on nearly every command). EXEC takes every shard
/// exclusive, always in the same order.
#[derive(Debug, Default)]
pub struct Gate {
    shards: [Shard; SHARDS],
}

impl Gate {
    /// Held by every command, sweep and embedded call while it touches the store.
    pub fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.shards[thread_slot(SHARDS)].0.read()
    }

    /// Held by EXEC while it runs its queued commands.
    pub fn exclusive(&self) -> ExclusiveGate<'_> {
        ExclusiveGate {
            _shards: self.shards.each_ref().map(|s| s.0.write()),
        }
    }
}

/// The gate held exclusive: every shard, released when dropped.
#[derive(Debug)]
#[must_use = "the gate is held only while the guard lives"]
pub struct ExclusiveGate<'a> {
    _shards: [RwLockWriteGuard<'a, ()>; SHARDS],
}

thread_local! {
    /// Bells held back on this thread while a transaction runs (`None`: ring at once).
    static DEFERRED: RefCell<Option<Vec<Weak<Bell>>>> = const { RefCell::new(None) };
}

/// Rings `bells` now, or holds them back when this thread is running a transaction.
pub(crate) fn ring_or_defer(bells: Vec<Weak<Bell>>) {
    if bells.is_empty() {
        return;
    }
    let rest = DEFERRED.with(|d| match d.borrow_mut().as_mut() {
        Some(held) => {
            held.extend(bells);
            None
        }
        None => Some(bells),
    });
    for bell in rest.into_iter().flatten() {
        if let Some(bell) = bell.upgrade() {
            bell.ring();
        }
    }
}

/// Holds back every wake-up made on this thread until the guard drops, then rings
/// each bell once. Synchronous code only: the guard must not live across an
/// `.await` (the task could move to another thread). Nested guards are no-ops.
pub fn defer_wakeups() -> DeferredWakeups {
    let outermost = DEFERRED.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_some() {
            false
        } else {
            *d = Some(Vec::new());
            true
        }
    });
    DeferredWakeups { outermost }
}

/// The guard of [`defer_wakeups`].
#[derive(Debug)]
#[must_use = "wake-ups are held back only while the guard lives"]
pub struct DeferredWakeups {
    outermost: bool,
}

impl Drop for DeferredWakeups {
    fn drop(&mut self) {
        if !self.outermost {
            return;
        }
        let held = DEFERRED.with(|d| d.borrow_mut().take()).unwrap_or_default();
        // A reader registered with several of the transaction's streams has its bell
        // here several times; a bell keeps one ring, so it wakes once.
        ring_or_defer(held);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn exclusive_waits_for_every_thread_and_keeps_them_all_out() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Barrier;

        let gate = Gate::default();
        let inside = AtomicUsize::new(0);
        let all_in = Barrier::new(SHARDS + 3);
        let out = Barrier::new(SHARDS + 3);
        std::thread::scope(|s| {
            // More threads than shards, so some share one.
            for _ in 0..SHARDS + 2 {
                s.spawn(|| {
                    let held = gate.shared();
                    all_in.wait();
                    std::thread::sleep(Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                    drop(held);
                    out.wait();
                    let _again = gate.shared();
                    inside.fetch_add(1, Ordering::SeqCst);
                });
                inside.fetch_add(1, Ordering::SeqCst);
            }
            all_in.wait();
            let exclusive = gate.exclusive();
            assert_eq!(inside.load(Ordering::SeqCst), 0, "every reader left first");
            out.wait();
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(inside.load(Ordering::SeqCst), 0, "no reader got back in");
            drop(exclusive);
        });
        assert_eq!(inside.load(Ordering::SeqCst), SHARDS + 2);
    }

    #[tokio::test]
    async fn deferred_bells_ring_when_the_guard_drops() {
        let bell = Arc::new(Bell::new());
        let guard = defer_wakeups();
        let inner = defer_wakeups();
        ring_or_defer(vec![Arc::downgrade(&bell), Arc::downgrade(&bell)]);
        drop(inner);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), bell.rung())
                .await
                .is_err(),
            "held back while the outer guard lives"
        );
        drop(guard);
        tokio::time::timeout(Duration::from_secs(1), bell.rung())
            .await
            .expect("rung after the guard");
        assert!(
            tokio::time::timeout(Duration::from_millis(20), bell.rung())
                .await
                .is_err(),
            "rung once"
        );
        ring_or_defer(vec![Arc::downgrade(&bell)]);
        tokio::time::timeout(Duration::from_secs(1), bell.rung())
            .await
            .expect("rung at once without a guard");
    }
}
