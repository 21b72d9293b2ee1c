//! A client's pending output as other tasks see it: the pub/sub messages queued for
//! it, the bytes its connection has handed to the socket but not yet written, and
//! the `client-output-buffer-limit` check that disconnects a client whose pending
//! output grows too large.
//!
//! What counts, as Redis counts its reply list: messages queued here and reply bytes
//! the connection is still writing (the kernel's socket buffer does not count). The
//! check runs where output is added: by PUBLISH for each receiver, and by the
//! connection after each command's reply. A hard limit disconnects at once; a soft
//! limit disconnects when it has been exceeded at every check for longer than its
//! seconds (Redis's `checkClientOutputBufferLimits`).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use bytes::BytesMut;
use parking_lot::Mutex;

use super::{ClientHandle, Stats};
use crate::config::OutputLimit;

/// Messages waiting for a client's connection to write them.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: Mutex<BytesMut>,
    /// Bytes of replies handed to the socket and not yet written.
    in_flight: AtomicUsize,
    /// Unix milliseconds since when the soft limit has been exceeded (0: it is not).
    soft_since_ms: AtomicU64,
    /// Set once the client was disconnected for its limit (counted once).
    closing: AtomicBool,
}

impl Outbox {
    /// Queues an encoded message. Returns the client's pending output afterwards.
    /// The caller rings the connection ([`ClientHandle::deliver`]).
    fn push(&self, encoded: &[u8]) -> usize {
        let queued = {
            let mut q = self.queue.lock();
            q.extend_from_slice(encoded);
            q.len()
        };
        queued + self.in_flight.load(Ordering::Relaxed)
    }

    /// Moves every queued message to the end of `out`.
    pub fn drain_into(&self, out: &mut BytesMut) {
        let mut q = self.queue.lock();
        if !q.is_empty() {
            out.extend_from_slice(&q);
            q.clear();
            if q.capacity() > 1024 * 1024 {
                *q = BytesMut::new();
            }
        }
    }

    /// Bytes queued and not yet taken by the connection.
    pub fn queued(&self) -> usize {
        self.queue.lock().len()
    }

    /// Records how many reply bytes the connection is still writing.
    pub fn set_in_flight(&self, bytes: usize) {
        self.in_flight.store(bytes, Ordering::Relaxed);
    }

    /// Reply bytes the connection is still writing.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Redis's `checkClientOutputBufferLimits`: true when `pending` bytes break
    /// `limit` now (hard) or have broken the soft limit for longer than its seconds.
    pub fn over_limit(&self, pending: usize, limit: &OutputLimit, now_ms: u64) -> bool {
        let pending = pending as u64;
        let hard = limit.hard_bytes > 0 && pending >= limit.hard_bytes;
        let soft = limit.soft_bytes > 0 && pending >= limit.soft_bytes;
        if !soft {
            // Cheap when it is already 0, the usual case.
            if self.soft_since_ms.load(Ordering::Relaxed) != 0 {
                self.soft_since_ms.store(0, Ordering::Relaxed);
            }
            return hard;
        }
        let since = self.soft_since_ms.load(Ordering::Relaxed);
        if since == 0 {
            self.soft_since_ms.store(now_ms.max(1), Ordering::Relaxed);
            return hard;
        }
        let soft_expired = now_ms.saturating_sub(since) / 1000 > limit.soft_seconds;
        hard || soft_expired
    }
}

impl ClientHandle {
    /// Queues an encoded pub/sub message for the connection to write, and tells
    /// it. Returns the client's pending output afterwards.
    pub fn deliver(&self, encoded: &[u8]) -> usize {
        let pending = self.outbox.push(encoded);
        self.signal.push();
        pending
    }

    /// Checks `pending` output bytes against `limit`; when over, disconnects the
    /// client (once: its connection sees the kill signal) and counts it. Returns
    /// whether the client is being disconnected for its limit.
    pub fn enforce_output_limit(
        &self,
        pending: usize,
        limit: &OutputLimit,
        stats: &Stats,
        class: &str,
    ) -> bool {
        if self.outbox.closing.load(Ordering::Relaxed) {
            return true;
        }
        if limit.is_unlimited()
            || !self
                .outbox
                .over_limit(pending, limit, crate::store::now_ms())
        {
            return false;
        }
        if !self.outbox.closing.swap(true, Ordering::Relaxed) {
            stats
                .output_buffer_limit_disconnections
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                client = self.id,
                addr = %self.addr,
                pending,
                class,
                "client closed for overcoming of output buffer limits"
            );
            self.signal.kill();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_at_once_soft_after_its_seconds() {
        let o = Outbox::default();
        let limit = OutputLimit {
            hard_bytes: 100,
            soft_bytes: 50,
            soft_seconds: 2,
        };
        assert!(!o.over_limit(49, &limit, 1_000));
        assert!(o.over_limit(100, &limit, 1_000), "hard");
        assert!(
            !o.over_limit(10, &limit, 1_000),
            "under both: the soft clock stops"
        );
        assert!(!o.over_limit(60, &limit, 10_000), "soft starts");
        assert!(!o.over_limit(60, &limit, 12_900), "within its seconds");
        assert!(o.over_limit(60, &limit, 13_000), "soft held too long");
        assert!(!o.over_limit(10, &limit, 13_100), "below: reset");
        assert!(!o.over_limit(60, &limit, 14_000), "starts again");
        let none = OutputLimit::default();
        assert!(!o.over_limit(usize::MAX, &none, 0));
        assert_eq!(o.push(b"abc"), 3);
        o.set_in_flight(10);
        assert_eq!(o.push(b"de"), 15);
        let mut out = BytesMut::new();
        o.drain_into(&mut out);
        assert_eq!(&out[..], b"abcde");
        assert_eq!(o.queued(), 0);
    }
}
