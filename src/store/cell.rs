//! A stream as the keyspace holds it: the ring behind a mutex, with the readers that
//! wait for its next entry.
//!
//! A blocked reader owns one [`Bell`] and registers it with every
//! stream it waits on, under that stream's lock, after it has looked and found
//! nothing: an append that comes later must take the same lock and so sees the
//! registration. The append takes the whole list and rings every bell once, after
//! releasing the lock. Readers re-register each time they wake, so the list only
//! holds readers that are still waiting.
//!
//! The cell also keeps its track's gauges (entries and bytes held) up to date: each
//! time its lock is released, the change in what the stream holds since the last
//! release is added to its track's slot, and when the cell is dropped what it still
//! held is taken away. Every way of changing a stream goes through the lock, so the
//! gauges follow appends, trims, deletions and whatever later code does to a stream
//! without any of it having to remember.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, MutexGuard};

use super::bell::Bell;
use super::counters::TrackCounters;
use super::groups::Groups;
use super::reply_cache::ReplyCache;
use super::sessions::SessionState;
use super::stream::Stream;

/// The shared handle to one stream.
#[derive(Debug)]
pub struct StreamCell {
    state: Mutex<CellState>,
    /// The counters of the track the stream was created in (kept through RENAME).
    track: Arc<TrackCounters>,
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
    /// The entries last served to a caught-up XREAD, encoded, for the readers
    /// woken with it.
    pub reply_cache: ReplyCache,
    waiters: Vec<Weak<Bell>>,
    /// The registry state of the session this stream's key belongs to, cached by
    /// appends so that they need not look the session up each time.
    pub(crate) session: Option<Arc<SessionState>>,
    /// Bumped each time the waiters are taken, so a reader can tell whether its
    /// registration is still there without searching the list.
    generation: u64,
    /// Bytes of the cell itself and its key, counted on top of the stream's.
    fixed_bytes: u64,
    /// (entries, bytes) last added to the track's gauges.
    accounted: (u64, u64),
}

/// Bells taken from a stream, to ring once its lock is released.
#[derive(Debug, Default)]
#[must_use = "ring the bells after dropping the stream's lock"]
pub struct Wakeups(Vec<Weak<Bell>>);

impl Wakeups {
    /// Rings every bell (each reader wakes once, however many streams rang it); held
    /// back until the end of a transaction that is running on this thread
    /// ([`super::gate::defer_wakeups`]).
    pub fn ring(self) {
        super::gate::ring_or_defer(self.0);
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

/// Rough bytes the keyspace spends on one key besides its name (slot, hash, Arc).
const KEY_OVERHEAD: usize = 64;

impl StreamCell {
    /// A shared cell around `stream`, counted in no store (tests, tools).
    pub fn new(stream: Stream, now_ms: u64) -> Arc<StreamCell> {
        StreamCell::tracked(stream, now_ms, Arc::new(TrackCounters::new("")), 0)
    }

    /// A shared cell around `stream`, whose entries and bytes are counted in
    /// `track`, stored under a key of `key_len` bytes.
    pub fn tracked(
        stream: Stream,
        now_ms: u64,
        track: Arc<TrackCounters>,
        key_len: usize,
    ) -> Arc<StreamCell> {
        let fixed = std::mem::size_of::<StreamCell>() + KEY_OVERHEAD + key_len;
        Arc::new(StreamCell {
            state: Mutex::new(CellState {
                stream,
                last_append_ms: now_ms,
                overwritten: 0,
                groups: Groups::default(),
                reply_cache: ReplyCache::default(),
                waiters: Vec::new(),
                session: None,
                generation: 0,
                fixed_bytes: fixed as u64,
                accounted: (0, 0),
            }),
            track,
        })
    }

    /// Locks the stream. Never held across an `.await`. Releasing the guard brings
    /// the track's gauges up to date.
    pub fn lock(&self) -> CellGuard<'_> {
        CellGuard {
            state: self.state.lock(),
            track: &self.track,
        }
    }

    /// The counters of the track this stream is counted in.
    pub fn track(&self) -> &TrackCounters {
        &self.track
    }
}

impl Drop for StreamCell {
    fn drop(&mut self) {
        let state = self.state.get_mut();
        self.track.adjust(state.accounted, (0, 0));
    }
}

/// The lock on a stream; on release it adds the change in the stream's size to
/// its track's gauges.
#[derive(Debug)]
pub struct CellGuard<'a> {
    state: MutexGuard<'a, CellState>,
    track: &'a TrackCounters,
}

impl Deref for CellGuard<'_> {
    type Target = CellState;
    fn deref(&self) -> &CellState {
        &self.state
    }
}

impl DerefMut for CellGuard<'_> {
    fn deref_mut(&mut self) -> &mut CellState {
        &mut self.state
    }
}

impl Drop for CellGuard<'_> {
    fn drop(&mut self) {
        let now = self.state.footprint();
        if now != self.state.accounted {
            self.track.adjust(self.state.accounted, now);
            self.state.accounted = now;
        }
    }
}

impl CellState {
    /// (entries, bytes) the stream holds now, its key, cell and consumer groups
    /// included. Whatever else a stream comes to hold adds its bytes here.
    fn footprint(&self) -> (u64, u64) {
        let groups = if self.groups.is_empty() {
            0
        } else {
            self.groups.mem_bytes()
        };
        (
            self.stream.len(),
            self.fixed_bytes
                + (self.stream.mem_bytes() + groups + self.reply_cache.mem_bytes()) as u64,
        )
    }

    /// Registers a waiting reader's bell; returns the generation to pass to
    /// [`is_registered`](Self::is_registered) later. Each blocking operation has a
    /// bell of its own, dropped when it ends, so a reader that timed out or was
    /// served by another stream leaves only a dead entry, pruned as the list grows.
    pub fn register(&mut self, bell: &Arc<Bell>) -> u64 {
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
        let bells: Vec<Arc<Bell>> = (0..100).map(|_| Arc::new(Bell::new())).collect();
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
            // The ring is kept, so a reader that had not started awaiting still wakes.
            tokio::time::timeout(std::time::Duration::from_secs(1), b.rung())
                .await
                .expect("woken");
        }
    }

    #[test]
    fn dead_waiters_are_pruned() {
        let cell = StreamCell::new(Stream::new(10), 0);
        let keep = Arc::new(Bell::new());
        let mut s = cell.lock();
        s.register(&keep);
        for _ in 0..200 {
            let gone = Arc::new(Bell::new());
            s.register(&gone);
        }
        assert_eq!(s.waiting(), 1);
        assert!(s.waiters.len() < 100, "pruned to {}", s.waiters.len());
    }

    #[test]
    fn the_track_gauges_follow_the_stream_and_its_drop() {
        use std::sync::atomic::Ordering;
        let track = Arc::new(TrackCounters::new("t"));
        let cell = StreamCell::tracked(Stream::new(2), 0, Arc::clone(&track), 5);
        let limits = crate::store::stream::NodeLimits::default();
        let fields: [&[u8]; 2] = [b"f", b"v"];
        for ms in 1..=3 {
            let added =
                cell.lock()
                    .stream
                    .add(crate::store::stream::IdSpec::Auto, &fields, ms, &limits);
            assert!(added.is_ok());
        }
        assert_eq!(track.events.load(Ordering::Relaxed), 2, "capped at 2");
        let bytes = track.bytes.load(Ordering::Relaxed);
        let expect = cell.lock().stream.mem_bytes() + std::mem::size_of::<StreamCell>() + 64 + 5;
        assert_eq!(bytes, expect as u64);
        drop(cell);
        assert_eq!(track.events.load(Ordering::Relaxed), 0);
        assert_eq!(track.bytes.load(Ordering::Relaxed), 0);
    }
}
