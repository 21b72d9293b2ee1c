//! A connection's doorbell: what other tasks tell it (close, CLIENT UNBLOCK, pub/sub
//! messages waiting), as flags and one waker.
//!
//! Why not a cancellation token and two `Notify`s: the connection loop waits on all
//! of them at every turn, and each of those futures takes a lock to register and
//! another to unregister, a dozen lock round trips per request. A blocked reader
//! that is woken, answers, and reads its next request turns the loop four times,
//! so in the fan-out benchmark (1000 readers of one stream) those futures were a
//! fifth of the server's own instructions. Only the connection's task waits on its
//! signal, so one `AtomicWaker` is enough: registering is two atomic operations.

use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// What a raised signal asks of the connection; several can be raised at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised(u8);

impl Raised {
    /// Close the connection (CLIENT KILL, the output limit, shutdown).
    pub fn kill(self) -> bool {
        self.0 & KILL != 0
    }

    /// CLIENT UNBLOCK asked a blocked command to end.
    pub fn unblock(self) -> bool {
        self.0 & UNBLOCK != 0
    }
}

const KILL: u8 = 1;
const UNBLOCK: u8 = 2;
const PUSH: u8 = 4;

/// The flags other tasks raise and the connection's task takes.
#[derive(Debug, Default)]
pub struct Signal {
    flags: AtomicU8,
    waker: AtomicWaker,
}

impl Signal {
    /// Asks the connection to close. The request stays raised: every later wait
    /// sees it at once.
    pub fn kill(&self) {
        self.raise(KILL);
    }

    /// True once [`Signal::kill`] was called.
    pub fn is_killed(&self) -> bool {
        self.flags.load(Ordering::Acquire) & KILL != 0
    }

    /// Tells a blocked command that CLIENT UNBLOCK has left its request.
    pub fn unblock(&self) {
        self.raise(UNBLOCK);
    }

    /// Tells the connection that pub/sub messages wait in its outbox.
    pub fn push(&self) {
        self.raise(PUSH);
    }

    fn raise(&self, flag: u8) {
        self.flags.fetch_or(flag, Ordering::AcqRel);
        self.waker.wake();
    }

    /// Takes what was raised since the last take (a kill stays raised), or
    /// registers the task to be woken when something is.
    pub fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Raised> {
        if let Some(raised) = self.take() {
            return Poll::Ready(raised);
        }
        self.waker.register(cx.waker());
        // A raise between the first look and the registration woke nobody.
        match self.take() {
            Some(raised) => Poll::Ready(raised),
            None => Poll::Pending,
        }
    }

    /// Waits for [`Signal::poll_take`].
    pub async fn taken(&self) -> Raised {
        std::future::poll_fn(|cx| self.poll_take(cx)).await
    }

    /// Waits until the connection is asked to close.
    pub async fn killed(&self) {
        std::future::poll_fn(|cx| {
            if self.is_killed() {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            if self.is_killed() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    fn take(&self) -> Option<Raised> {
        // A plain load first: the usual answer is "nothing", and it writes nothing.
        if self.flags.load(Ordering::Acquire) == 0 {
            return None;
        }
        let was = self.flags.fetch_and(KILL, Ordering::AcqRel);
        (was != 0).then_some(Raised(was))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn takes_what_was_raised_and_keeps_a_kill() {
        let s = Signal::default();
        s.push();
        s.unblock();
        let r = s.taken().await;
        assert!(r.unblock() && !r.kill());
        // Taken: nothing is left, so a wait times out.
        assert!(tokio::time::timeout(Duration::from_millis(20), s.taken())
            .await
            .is_err());
        s.kill();
        assert!(s.taken().await.kill());
        assert!(s.taken().await.kill(), "a kill stays raised");
        s.killed().await;
        assert!(s.is_killed());
    }

    #[tokio::test]
    async fn a_raise_from_another_task_wakes_the_waiter() {
        let s = Arc::new(Signal::default());
        let waiter = tokio::spawn({
            let s = Arc::clone(&s);
            async move { s.taken().await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        s.unblock();
        let r = tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("woken")
            .expect("joined");
        assert!(r.unblock());
        let killer = Arc::clone(&s);
        tokio::spawn(async move { killer.kill() });
        tokio::time::timeout(Duration::from_secs(1), s.killed())
            .await
            .expect("woken by the kill");
    }
}
