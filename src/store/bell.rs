//! A blocked reader's doorbell: rung by the appends (and key creations, session
//! ends) it waits for, awaited by the one task that owns the reader.
//!
//! Why not `tokio::sync::Notify`: a `Notify` keeps a list of waiters behind a mutex,
//! so each ring, each registration and each wait that ends takes that lock, and
//! a waiter is a node in an intrusive list. A bell has exactly one waiter, so a flag
//! and one [`AtomicWaker`] do the same job with a few atomic operations and no lock.
//! In the fan-out benchmark (1000 readers of one stream) every delivery rings one
//! bell and parks on the next.
//!
//! A ring before the wait is kept, as a `Notify` keeps its permit: the reader
//! registers with a stream first and waits after, and an append in between must
//! still wake it. Rings are not counted: two rings before a wait wake it once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// The doorbell of one blocked operation. Shared through an `Arc`: streams and
/// pending keys hold `Weak` references, so a reader that is gone is not woken.
#[derive(Debug, Default)]
pub struct Bell {
    rung: AtomicBool,
    waker: AtomicWaker,
}

impl Bell {
    /// A bell that has not rung.
    pub fn new() -> Self {
        Bell::default()
    }

    /// Rings: the waiting task wakes, or the next wait returns at once.
    pub fn ring(&self) {
        self.rung.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Ready (and the ring taken) when the bell rang since the last ring was taken;
    /// otherwise the task is registered to be woken by the next ring.
    pub fn poll_rung(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.take() {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // A ring between the first look and the registration woke nobody.
        if self.take() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Waits for a ring (see [`Bell::poll_rung`]).
    pub async fn rung(&self) {
        std::future::poll_fn(|cx| self.poll_rung(cx)).await
    }

    fn take(&self) -> bool {
        // A plain load first: the usual answer while waiting is "not rung", and it
        // writes nothing.
        self.rung.load(Ordering::Acquire) && self.rung.swap(false, Ordering::AcqRel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_ring_before_the_wait_is_kept_once() {
        let bell = Bell::new();
        bell.ring();
        bell.ring();
        tokio::time::timeout(Duration::from_secs(1), bell.rung())
            .await
            .expect("the earlier ring is kept");
        // Both rings were taken by that one wait.
        assert!(
            tokio::time::timeout(Duration::from_millis(20), bell.rung())
                .await
                .is_err(),
            "rings are not counted"
        );
    }

    #[tokio::test]
    async fn a_ring_from_another_thread_wakes_the_waiter() {
        let bell = Arc::new(Bell::new());
        let waiter = tokio::spawn({
            let bell = Arc::clone(&bell);
            async move { bell.rung().await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let ringer = Arc::clone(&bell);
        std::thread::spawn(move || ringer.ring())
            .join()
            .expect("the ringing thread ends");
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("woken")
            .expect("joined");
    }

    #[tokio::test]
    async fn an_unrung_bell_stays_pending() {
        let bell = Bell::new();
        assert!(tokio::time::timeout(Duration::from_millis(20), bell.rung())
            .await
            .is_err());
    }
}
