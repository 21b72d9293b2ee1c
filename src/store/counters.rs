//! The store's counters and gauges: the one source that INFO and `/metrics` both read.
//!
//! Figures that belong to a track are kept per track, in one slot for each track
//! configured at start plus a slot named [`OTHER_TRACK`] for every other stream
//! (standalone keys, and tracks added later with `CONFIG SET tracks`, until restart),
//! so the number of slots, and of metric series, is fixed when the store is made.
//! A stream finds its slot once, when it is created, and keeps an `Arc` to it: the
//! append path counts without any lookup.
//!
//! Adding a counter family (`pending_overwritten`, consumer groups' entries
//! overwritten before they were acknowledged, was added this way):
//! 1. add an `AtomicU64` field here ([`TrackCounters`] when it is per track,
//!    [`StoreCounters`] otherwise), documented, and count into it where it happens;
//! 2. add one line to the store family table in `src/metrics/families.rs` with the
//!    metric name, its help text and a function that reads the field;
//! 3. if INFO should show it, print it in the `ringbus` section of INFO
//!    (`src/commands/server.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The label of the slot that gathers every stream outside the tracks configured
/// at start.
pub const OTHER_TRACK: &str = "other";

/// Figures of one track (or of [`OTHER_TRACK`]).
#[derive(Debug, Default)]
pub struct TrackCounters {
    /// Track name (the metric label).
    pub name: String,
    /// Entries appended (counter).
    pub appended: AtomicU64,
    /// Entries the ring dropped to make room, or because CONFIG SET lowered the
    /// track's capacity (counter): the signal to raise a capacity.
    pub overwritten: AtomicU64,
    /// Entries removed for being older than the track's max age (counter).
    pub aged_out: AtomicU64,
    /// Entries held now by the track's streams (gauge).
    pub events: AtomicU64,
    /// Bytes held now by the track's streams, keys and bookkeeping included (gauge).
    pub bytes: AtomicU64,
}

impl TrackCounters {
    /// A zeroed slot named `name`.
    pub fn new(name: &str) -> Self {
        TrackCounters {
            name: name.to_string(),
            ..TrackCounters::default()
        }
    }

    /// Moves the gauges by the change from `(old_events, old_bytes)` to
    /// `(new_events, new_bytes)`. Every stream adds what it holds and later takes
    /// exactly that away again, so the sums never go below zero.
    pub(crate) fn adjust(&self, old: (u64, u64), new: (u64, u64)) {
        if new.0 != old.0 {
            self.events
                .fetch_add(new.0.wrapping_sub(old.0), Ordering::Relaxed);
        }
        if new.1 != old.1 {
            self.bytes
                .fetch_add(new.1.wrapping_sub(old.1), Ordering::Relaxed);
        }
    }
}

/// Why a session ended (the `reason` label of `ringbus_sessions_ended_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// SESSION.END, or FLUSHDB/FLUSHALL, DEL, UNLINK or RENAME took its last stream.
    Command,
    /// No append for `session-idle-timeout`.
    Idle,
    /// Its last stream expired (a TTL set with EXPIRE and friends).
    Expire,
}

impl EndReason {
    /// Every reason, in label order.
    pub const ALL: [EndReason; 3] = [EndReason::Command, EndReason::Idle, EndReason::Expire];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            EndReason::Command => "command",
            EndReason::Idle => "idle",
            EndReason::Expire => "expire",
        }
    }
}

/// Counters the store keeps for INFO and metrics.
#[derive(Debug)]
pub struct StoreCounters {
    /// Keys removed by their TTL.
    pub expired_keys: AtomicU64,
    /// Pending (delivered, unacknowledged) entries of consumer groups that the
    /// ring overwrote before they were acknowledged.
    pub pending_overwritten: AtomicU64,
    /// Sessions ended, by [`EndReason`] (index = position in [`EndReason::ALL`]).
    sessions_ended: [AtomicU64; 3],
    /// One slot per track configured at start, then [`OTHER_TRACK`] last.
    tracks: Box<[Arc<TrackCounters>]>,
}

impl Default for StoreCounters {
    fn default() -> Self {
        StoreCounters::new(std::iter::empty::<&str>())
    }
}

impl StoreCounters {
    /// Zeroed counters with a slot for each of `tracks` and one for [`OTHER_TRACK`].
    /// A track literally named `other` shares that slot.
    pub fn new<'a>(tracks: impl IntoIterator<Item = &'a str>) -> Self {
        let mut slots: Vec<Arc<TrackCounters>> = Vec::new();
        for name in tracks {
            if name != OTHER_TRACK && !slots.iter().any(|t| t.name == name) {
                slots.push(Arc::new(TrackCounters::new(name)));
            }
        }
        slots.push(Arc::new(TrackCounters::new(OTHER_TRACK)));
        StoreCounters {
            expired_keys: AtomicU64::new(0),
            pending_overwritten: AtomicU64::new(0),
            sessions_ended: Default::default(),
            tracks: slots.into_boxed_slice(),
        }
    }

    /// Every slot, the configured tracks first and [`OTHER_TRACK`] last.
    pub fn tracks(&self) -> &[Arc<TrackCounters>] {
        &self.tracks
    }

    /// The slot of track `name` (`None`: a stream in no track), [`OTHER_TRACK`] for
    /// names that were not configured at start.
    pub fn track(&self, name: Option<&str>) -> &Arc<TrackCounters> {
        let last = self.tracks.len() - 1;
        let found = name.and_then(|n| self.tracks[..last].iter().position(|t| t.name == n));
        &self.tracks[found.unwrap_or(last)]
    }

    /// Counts a session that ended for `reason`.
    pub fn session_ended(&self, reason: EndReason) {
        self.sessions_ended[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Sessions ended for `reason` since start.
    pub fn sessions_ended(&self, reason: EndReason) -> u64 {
        self.sessions_ended[reason as usize].load(Ordering::Relaxed)
    }

    fn sum(&self, field: impl Fn(&TrackCounters) -> &AtomicU64) -> u64 {
        self.tracks
            .iter()
            .map(|t| field(t).load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }

    /// Entries appended to any stream.
    pub fn appended(&self) -> u64 {
        self.sum(|t| &t.appended)
    }

    /// Entries overwritten by full rings, over every track.
    pub fn overwritten(&self) -> u64 {
        self.sum(|t| &t.overwritten)
    }

    /// Entries removed by max age, over every track.
    pub fn aged_out(&self) -> u64 {
        self.sum(|t| &t.aged_out)
    }

    /// Entries held by every stream.
    pub fn events(&self) -> u64 {
        self.sum(|t| &t.events)
    }

    /// Bytes held by every stream: the store's memory use (INFO `used_memory`, and
    /// what `maxmemory` is checked against). O(tracks).
    pub fn used_bytes(&self) -> u64 {
        self.sum(|t| &t.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_tracks_share_the_other_slot() {
        let c = StoreCounters::new(["conversation", "insights", "other", "insights"]);
        let names: Vec<&str> = c.tracks().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["conversation", "insights", "other"]);
        assert_eq!(c.track(Some("insights")).name, "insights");
        assert_eq!(c.track(Some("later")).name, "other");
        assert_eq!(c.track(None).name, "other");
        assert!(Arc::ptr_eq(c.track(Some("other")), c.track(None)));
    }

    #[test]
    fn gauges_move_by_differences_and_totals_add_up() {
        let c = StoreCounters::new(["a"]);
        let a = c.track(Some("a"));
        a.adjust((0, 0), (3, 300));
        a.adjust((3, 300), (2, 250));
        c.track(None).adjust((0, 0), (1, 10));
        assert_eq!(a.events.load(Ordering::Relaxed), 2);
        assert_eq!(c.events(), 3);
        assert_eq!(c.used_bytes(), 260);
        a.adjust((2, 250), (0, 0));
        c.track(None).adjust((1, 10), (0, 0));
        assert_eq!((c.events(), c.used_bytes()), (0, 0));
        c.session_ended(EndReason::Idle);
        assert_eq!(c.sessions_ended(EndReason::Idle), 1);
        assert_eq!(c.sessions_ended(EndReason::Command), 0);
    }
}
