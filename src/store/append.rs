//! The write and read paths shared by the commands and the embedded API: appending
//! (creating the stream in its track's capacity), and looking a stream up with
//! expiry and max-age applied.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::stream::{IdSpec, NodeLimits, Stream, StreamError, StreamId, TrimStrategy};
use super::tracks::KeyClass;
use super::{release, Clock, EndReason, Lookup, Store, StreamCell, TrackCounters, Value};

/// XADD's optional trimming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimSpec {
    /// MAXLEN or MINID.
    pub strategy: TrimStrategy,
    /// `~`: whole nodes only.
    pub approx: bool,
    /// LIMIT, when given (only with `~`).
    pub limit: Option<u64>,
}

/// What to append: XADD's arguments once parsed.
#[derive(Debug, Clone, Copy)]
pub struct AppendRequest<'a> {
    /// `*`, `ms-*` or an explicit ID.
    pub id: IdSpec,
    /// `f1 v1 f2 v2 ...`: an even number, at least two. Borrowed: the stream
    /// copies them into its own storage.
    pub fields: &'a [&'a [u8]],
    /// XADD's MAXLEN/MINID, applied after the append.
    pub trim: Option<TrimSpec>,
    /// Create the stream when it does not exist (false: XADD NOMKSTREAM).
    pub create: bool,
}

impl<'a> AppendRequest<'a> {
    /// An append with an ID from the clock, creating the stream if needed.
    pub fn new(fields: &'a [&'a [u8]]) -> Self {
        AppendRequest {
            id: IdSpec::Auto,
            fields,
            trim: None,
            create: true,
        }
    }
}

/// What the settings say about one key, read once per append.
struct Placement {
    capacity: usize,
    max_age: Option<Duration>,
    limits: NodeLimits,
    /// The length of the session prefix, when the key is a session's track.
    session: Option<usize>,
}

/// A successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The new entry's ID.
    pub id: StreamId,
    /// Entries the ring overwrote to make room.
    pub overwritten: u64,
}

impl Store {
    /// Appends to the stream at `key` in database `db`, creating it with its track's
    /// capacity unless `!req.create` (then `Ok(None)` when it does not exist).
    /// Readers waiting on the stream are woken.
    pub fn append(
        &self,
        db: usize,
        key: &[u8],
        req: AppendRequest<'_>,
        now_ms: u64,
    ) -> Result<Option<Appended>, StreamError> {
        let AppendRequest {
            id,
            fields,
            trim,
            create,
        } = req;
        if fields.len() < 2 || fields.len() % 2 == 1 {
            return Err(StreamError::WrongArity);
        }
        if id == IdSpec::Explicit(StreamId::MIN) {
            return Err(StreamError::IdZero);
        }
        let Placement {
            capacity,
            max_age,
            limits,
            session,
        } = self.placement(key);
        let cell = match self.stream_aged(db, key, now_ms, max_age.map(|age| (age, limits))) {
            Some(cell) => cell,
            None if !create => return Ok(None),
            None => self.create_stream(db, key, capacity, now_ms),
        };
        let (appended, wake) = {
            let mut state = cell.lock();
            let mut dropped = 0;
            if state.stream.capacity() != capacity {
                // CONFIG SET changed the capacity: the stream follows on its next append.
                dropped = state.stream.set_capacity(capacity, &limits);
                state.overwritten += dropped;
            }
            // Only a stream with groups needs its old head, to count what the
            // ring overwrites of their pending entries.
            let first_before = if state.groups.is_empty() {
                None
            } else {
                state.stream.first_entry().map(|e| e.id)
            };
            let added = state.stream.add(id, fields, now_ms, &limits)?;
            if added.evicted > 0 && !state.groups.is_empty() {
                // Pending entries between the old and the new head were overwritten.
                let first_after = state.stream.first_entry().map_or(added.id, |e| e.id);
                let lost = state
                    .groups
                    .pending_in(first_before.unwrap_or(StreamId::MIN), first_after);
                self.counters
                    .pending_overwritten
                    .fetch_add(lost, Ordering::Relaxed);
            }
            if let Some(t) = trim {
                state.stream.trim(t.strategy, t.approx, t.limit, &limits);
            }
            state.last_append_ms = now_ms;
            state.overwritten += added.evicted;
            // The session's registry entry, cached on the stream: a lookup only for
            // the first append (or after the session ended, or a rename).
            if let Some(id) = session.map(|n| &key[..n]) {
                match &state.session {
                    Some(s) if s.is_current_for(id) => s.touch(now_ms),
                    _ => state.session = Some(self.touch_session(db, id, now_ms)),
                }
            }
            let appended = Appended {
                id: added.id,
                overwritten: added.evicted,
            };
            let counts = cell.track();
            counts.appended.fetch_add(1, Ordering::Relaxed);
            if added.evicted + dropped > 0 {
                counts
                    .overwritten
                    .fetch_add(added.evicted + dropped, Ordering::Relaxed);
            }
            (appended, state.take_waiters())
        };
        wake.ring();
        self.touch(db, key);
        Ok(Some(appended))
    }

    /// The stream at `key`, or a new empty one in its track's capacity (XGROUP
    /// CREATE ... MKSTREAM). Creating a session's track counts as activity of the
    /// session, so an idle one is still ended in time.
    pub fn stream_or_create(&self, db: usize, key: &[u8], now_ms: u64) -> Arc<StreamCell> {
        if let Some(cell) = self.stream(db, key, now_ms) {
            return cell;
        }
        let Placement {
            capacity, session, ..
        } = self.placement(key);
        let cell = self.create_stream(db, key, capacity, now_ms);
        if let Some(id) = session.map(|n| &key[..n]) {
            cell.lock().session = Some(self.touch_session(db, id, now_ms));
        }
        cell
    }

    /// What the settings say about the stream at `key`: one read of the settings
    /// and one classification of the key per append.
    fn placement(&self, key: &[u8]) -> Placement {
        let settings = self.settings();
        let table = settings.table();
        let (capacity, max_age, session) = match table.classify(key) {
            KeyClass::Track { session, track } => {
                let t = &table.tracks()[track];
                (t.capacity.max(1), t.max_age, Some(session.len()))
            }
            KeyClass::Standalone => (table.default_capacity(), None, None),
        };
        Placement {
            capacity,
            max_age,
            limits: settings.node_limits,
            session,
        }
    }

    /// The counters a new stream at `key` is counted in (its track's, or the
    /// standalone streams'). Only looked up when a stream is created.
    fn track_counters(&self, key: &[u8]) -> &Arc<TrackCounters> {
        let settings = self.settings();
        let table = settings.table();
        let track = match table.classify(key) {
            KeyClass::Track { track, .. } => Some(table.tracks()[track].name.as_str()),
            KeyClass::Standalone => None,
        };
        // The counters live in `self`, so the borrow outlives the settings guard.
        self.counters.track(track)
    }

    /// Inserts an empty stream at `key` unless one appeared meanwhile.
    fn create_stream(
        &self,
        db: usize,
        key: &[u8],
        capacity: usize,
        now_ms: u64,
    ) -> Arc<StreamCell> {
        let track = self.track_counters(key);
        let (value, _, expired) = self.db(db).get_or_insert_with(key, now_ms, || {
            let stream = Stream::new(capacity);
            Value::Stream(StreamCell::tracked(
                stream,
                now_ms,
                Arc::clone(track),
                key.len(),
            ))
        });
        if let Some(old) = expired {
            release(&old);
        }
        Arc::clone(value.stream())
    }

    /// The live stream at `key`. An expired key is removed on the way (its readers
    /// are woken), and entries past the track's max age are dropped first.
    pub fn stream(&self, db: usize, key: &[u8], now: impl Clock) -> Option<Arc<StreamCell>> {
        let aging = if self.ages_entries() {
            let settings = self.settings();
            let max_age = settings.table().max_age(key);
            max_age.map(|age| (age, settings.node_limits))
        } else {
            None
        };
        self.stream_aged(db, key, now, aging)
    }

    /// [`Store::stream`] for a caller that has read the key's max age already.
    fn stream_aged(
        &self,
        db: usize,
        key: &[u8],
        now: impl Clock,
        aging: Option<(Duration, NodeLimits)>,
    ) -> Option<Arc<StreamCell>> {
        let cell = match self.db(db).get(key, now) {
            Lookup::Found(Value::Stream(cell)) => cell,
            Lookup::Expired(value) => {
                self.counters.expired_keys.fetch_add(1, Ordering::Relaxed);
                release(&value);
                self.key_removed(db, key, EndReason::Expire, now.now_ms());
                return None;
            }
            Lookup::Missing => return None,
        };
        if let Some((age, limits)) = aging {
            let cutoff = StreamId::new(now.now_ms().saturating_sub(age.as_millis() as u64), 0);
            let mut state = cell.lock();
            if state.stream.first_entry().is_some_and(|e| e.id < cutoff) {
                let gone = state
                    .stream
                    .trim(TrimStrategy::MinId(cutoff), false, None, &limits);
                cell.track().aged_out.fetch_add(gone, Ordering::Relaxed);
                drop(state);
                if gone > 0 {
                    self.touch(db, key);
                }
            }
        }
        Some(cell)
    }
}
