//! The write and read paths shared by the commands and the embedded API: appending
//! (creating the stream in its track's capacity), and looking a stream up with
//! expiry and max-age applied.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::stream::{IdSpec, NodeLimits, Stream, StreamError, StreamId, TrimStrategy};
use super::tracks::KeyClass;
use super::{release, Lookup, Store, StreamCell, Value};

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
    /// `f1 v1 f2 v2 ...`: an even number, at least two.
    pub fields: &'a [Bytes],
    /// XADD's MAXLEN/MINID, applied after the append.
    pub trim: Option<TrimSpec>,
    /// Create the stream when it does not exist (false: XADD NOMKSTREAM).
    pub create: bool,
}

impl<'a> AppendRequest<'a> {
    /// An append with an ID from the clock, creating the stream if needed.
    pub fn new(fields: &'a [Bytes]) -> Self {
        AppendRequest {
            id: IdSpec::Auto,
            fields,
            trim: None,
            create: true,
        }
    }
}

/// A successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The new entry's ID.
    pub id: StreamId,
    /// Entries the ring overwrote to make room.
    pub overwritten: u64,
}

/// Counters the store keeps for INFO and metrics.
#[derive(Debug, Default)]
pub struct StoreCounters {
    /// Entries appended.
    pub appended: AtomicU64,
    /// Entries overwritten by full rings.
    pub overwritten: AtomicU64,
    /// Entries removed for being older than their track's max age.
    pub aged_out: AtomicU64,
    /// Keys removed by their TTL.
    pub expired_keys: AtomicU64,
    /// Pending (delivered, unacknowledged) entries of consumer groups that the
    /// ring overwrote before they were acknowledged.
    pub pending_overwritten: AtomicU64,
}

impl Store {
    /// Appends to the stream at `key` in database `db`, creating it with its track's
    /// capacity unless `!req.create` (then `Ok(None)` when it does not exist).
    /// Readers waiting on the stream are woken.
    pub fn append(
        &self,
        db: usize,
        key: &Bytes,
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
        let (capacity, limits, session) = self.placement(key);
        let cell = match self.stream(db, key, now_ms) {
            Some(cell) => cell,
            None if !create => return Ok(None),
            None => self.create_stream(db, key, capacity, now_ms),
        };
        let (appended, wake) = {
            let mut state = cell.lock();
            if state.stream.capacity() != capacity {
                // CONFIG SET changed the capacity: the stream follows on its next append.
                let dropped = state.stream.set_capacity(capacity, &limits);
                state.overwritten += dropped;
            }
            let first_before = state.stream.first_entry().map(|e| e.id);
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
            let appended = Appended {
                id: added.id,
                overwritten: added.evicted,
            };
            (appended, state.take_waiters())
        };
        wake.ring();
        self.counters.appended.fetch_add(1, Ordering::Relaxed);
        if appended.overwritten > 0 {
            self.counters
                .overwritten
                .fetch_add(appended.overwritten, Ordering::Relaxed);
        }
        if let Some(session) = session {
            self.touch_session(db, &session, now_ms);
        }
        Ok(Some(appended))
    }

    /// The stream at `key`, or a new empty one in its track's capacity (XGROUP
    /// CREATE ... MKSTREAM). Creating a session's track counts as activity of the
    /// session, so an idle one is still ended in time.
    pub fn stream_or_create(&self, db: usize, key: &Bytes, now_ms: u64) -> Arc<StreamCell> {
        if let Some(cell) = self.stream(db, key, now_ms) {
            return cell;
        }
        let (capacity, _, session) = self.placement(key);
        let cell = self.create_stream(db, key, capacity, now_ms);
        if let Some(session) = session {
            self.touch_session(db, &session, now_ms);
        }
        cell
    }

    /// Where a new stream at `key` goes: its capacity, the node limits, and the
    /// session it is a track of (if any).
    fn placement(&self, key: &[u8]) -> (usize, NodeLimits, Option<Bytes>) {
        let settings = self.settings();
        let table = settings.table();
        let session = match table.classify(key) {
            KeyClass::Track { session, .. } => Some(Bytes::copy_from_slice(session)),
            KeyClass::Standalone => None,
        };
        (table.capacity(key), settings.node_limits, session)
    }

    /// Inserts an empty stream at `key` unless one appeared meanwhile.
    fn create_stream(
        &self,
        db: usize,
        key: &Bytes,
        capacity: usize,
        now_ms: u64,
    ) -> Arc<StreamCell> {
        let (value, _, expired) = self.db(db).get_or_insert_with(key, now_ms, || {
            Value::Stream(StreamCell::new(Stream::new(capacity), now_ms))
        });
        if let Some(old) = expired {
            release(&old);
        }
        Arc::clone(value.stream())
    }

    /// The live stream at `key`. An expired key is removed on the way (its readers
    /// are woken), and entries past the track's max age are dropped first.
    pub fn stream(&self, db: usize, key: &[u8], now_ms: u64) -> Option<Arc<StreamCell>> {
        let cell = match self.db(db).get(key, now_ms) {
            Lookup::Found(Value::Stream(cell)) => cell,
            Lookup::Expired(value) => {
                self.counters.expired_keys.fetch_add(1, Ordering::Relaxed);
                release(&value);
                return None;
            }
            Lookup::Missing => return None,
        };
        let max_age = self.settings().table().max_age(key);
        if let Some(age) = max_age {
            let limits = self.settings().node_limits;
            let cutoff = StreamId::new(now_ms.saturating_sub(age.as_millis() as u64), 0);
            let mut state = cell.lock();
            if state.stream.first_entry().is_some_and(|e| e.id < cutoff) {
                let gone = state
                    .stream
                    .trim(TrimStrategy::MinId(cutoff), false, None, &limits);
                self.counters.aged_out.fetch_add(gone, Ordering::Relaxed);
            }
        }
        Some(cell)
    }
}
