//! Sessions: the tracks that share a key prefix, ended together by SESSION.END or
//! after `session-idle-timeout` with no append to any of them.
//!
//! A registry per database records each session that has had an append, with the
//! time of its last one. It is keyed like the keyspace (hash-ordered), so
//! SESSION.LIST walks it with the same stable cursor as SCAN.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use smallvec::SmallVec;

use super::counters::EndReason;
use super::stream::StreamId;
use super::tracks::KeyClass;
use super::{release, Store};
use crate::glob;

/// What the registry keeps per session.
#[derive(Debug)]
pub struct SessionState {
    /// Milliseconds since the epoch of the last append to any of its tracks.
    pub last_append_ms: AtomicU64,
    /// The session id, inline when short (as keyspace keys), so checking it reads
    /// the cache line that recording the append writes anyway.
    id: SmallVec<[u8; 24]>,
    /// Set once the registry has dropped this state: a stream that cached it must
    /// look the session up again.
    ended: AtomicBool,
}

impl SessionState {
    /// True while this is the registry's state for session `id` (streams cache it
    /// to skip the registry lookup on each append; a renamed stream may belong to
    /// another session now).
    pub(crate) fn is_current_for(&self, id: &[u8]) -> bool {
        !self.ended.load(Ordering::Relaxed) && self.id.as_slice() == id
    }

    /// Records an append at `now_ms`.
    pub(crate) fn touch(&self, now_ms: u64) {
        // Appends within one millisecond need not write the shared line again.
        if self.last_append_ms.load(Ordering::Relaxed) < now_ms {
            self.last_append_ms.fetch_max(now_ms, Ordering::Relaxed);
        }
    }

    fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }
}

/// One track of a session, as SESSION.INFO reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// Track name.
    pub name: String,
    /// Entries held now.
    pub length: u64,
    /// Ring capacity.
    pub capacity: u64,
    /// Oldest entry held, if any.
    pub first_id: Option<StreamId>,
    /// Newest entry held, if any.
    pub last_id: Option<StreamId>,
    /// Entries ever appended.
    pub entries_added: u64,
    /// Entries the ring overwrote.
    pub entries_overwritten: u64,
    /// Milliseconds since the last append to this track.
    pub idle_ms: u64,
}

/// SESSION.INFO: the tracks of a session that exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Milliseconds since the last append to any track.
    pub idle_ms: u64,
    /// Each configured track that holds a stream, in configuration order.
    pub tracks: Vec<TrackInfo>,
}

impl Store {
    /// Records an append to a track of `session`; returns the session's state for
    /// the stream to cache.
    pub(crate) fn touch_session(
        &self,
        db: usize,
        session: &[u8],
        now_ms: u64,
    ) -> Arc<SessionState> {
        let registry = &self.sessions[db.min(self.sessions.len() - 1)];
        let session = Bytes::copy_from_slice(session);
        let (state, _, _) = registry.get_or_insert_with(&session, 0, || {
            Arc::new(SessionState {
                last_append_ms: AtomicU64::new(now_ms),
                id: SmallVec::from_slice(&session),
                ended: AtomicBool::new(false),
            })
        });
        state.touch(now_ms);
        state
    }

    /// The stream keys of `session`'s configured tracks.
    fn session_keys(&self, session: &[u8]) -> Vec<(String, Bytes)> {
        let settings = self.settings();
        let keys = settings.table().session_keys(session);
        keys.into_iter()
            .map(|(name, key)| (name.to_string(), key))
            .collect()
    }

    /// Ends `session` (SESSION.END): removes every one of its tracks at once and
    /// wakes their readers. Returns how many streams were removed.
    pub fn end_session(&self, db: usize, session: &[u8], now_ms: u64) -> usize {
        self.end_session_for(db, session, now_ms, EndReason::Command)
    }

    /// [`end_session`](Self::end_session), counted under `reason` when it removed
    /// a stream.
    fn end_session_for(&self, db: usize, session: &[u8], now_ms: u64, reason: EndReason) -> usize {
        let keys = self.session_keys(session);
        let database = self.db(db);
        let mut removed = 0;
        for (_, key) in &keys {
            if let Some(value) = database.remove(key, now_ms) {
                release(&value);
                removed += 1;
            }
        }
        let registered = self.sessions[db.min(self.sessions.len() - 1)].remove(session, 0);
        if let Some(state) = &registered {
            state.end();
        }
        if removed > 0 {
            self.counters.session_ended(reason);
        } else if registered.is_some() {
            // Its streams had gone without anyone noticing: see `forget_session`.
            self.counters.session_ended(EndReason::Expire);
        }
        removed
    }

    /// Called after `key` left the keyspace for `reason` (DEL, RENAME, EXPIRE...):
    /// when it was the last stream of its session, the session has ended. Keys
    /// that expire lazily, inside lookups that do not call this, leave their
    /// session registered until SESSION.LIST or the idle sweep finds it empty and
    /// counts it as expired (the only way streams go unannounced).
    pub fn key_removed(&self, db: usize, key: &[u8], reason: EndReason, now_ms: u64) {
        let session = {
            let settings = self.settings();
            match settings.table().classify(key) {
                KeyClass::Track { session, .. } => Bytes::copy_from_slice(session),
                KeyClass::Standalone => return,
            }
        };
        if !self.session_exists(db, &session, now_ms) {
            self.forget_session(db, &session, reason);
        }
    }

    /// Drops `session` from the registry, counting it as ended for `reason` if it
    /// was there.
    fn forget_session(&self, db: usize, session: &[u8], reason: EndReason) {
        let registry = &self.sessions[db.min(self.sessions.len() - 1)];
        if let Some(state) = registry.remove(session, 0) {
            state.end();
            self.counters.session_ended(reason);
        }
    }

    /// FLUSHDB / FLUSHALL: forgets every session of `db`, counting each as ended
    /// by a command.
    pub fn clear_sessions(&self, db: usize) {
        let registry = &self.sessions[db.min(self.sessions.len() - 1)];
        for state in registry.clear(0) {
            state.end();
            self.counters.session_ended(EndReason::Command);
        }
    }

    /// Sessions registered over every database (the `ringbus_sessions` gauge).
    pub fn sessions_total(&self) -> usize {
        self.sessions.iter().map(|r| r.len()).sum()
    }

    /// SESSION.INFO: `None` when no track of the session holds a stream.
    pub fn session_info(&self, db: usize, session: &[u8], now_ms: u64) -> Option<SessionInfo> {
        let mut tracks = Vec::new();
        let mut last = 0u64;
        for (name, key) in self.session_keys(session) {
            let Some(cell) = self.stream(db, &key, now_ms) else {
                continue;
            };
            let state = cell.lock();
            let s = &state.stream;
            last = last.max(state.last_append_ms);
            tracks.push(TrackInfo {
                name,
                length: s.len(),
                capacity: s.capacity() as u64,
                first_id: s.first_entry().map(|e| e.id),
                last_id: s.last_entry().map(|e| e.id),
                entries_added: s.entries_added(),
                entries_overwritten: state.overwritten,
                idle_ms: now_ms.saturating_sub(state.last_append_ms),
            });
        }
        (!tracks.is_empty()).then(|| SessionInfo {
            idle_ms: now_ms.saturating_sub(last),
            tracks,
        })
    }

    /// True when any track of `session` holds a stream.
    fn session_exists(&self, db: usize, session: &[u8], now_ms: u64) -> bool {
        let database = self.db(db);
        self.session_keys(session)
            .iter()
            .any(|(_, key)| database.contains(key, now_ms))
    }

    /// SESSION.LIST: up to `count` registry slots from `cursor`, with the ids that
    /// match `pattern` and still have a stream. Returns the next cursor (0 = done).
    pub fn list_sessions(
        &self,
        db: usize,
        cursor: u64,
        count: usize,
        pattern: Option<&[u8]>,
        now_ms: u64,
    ) -> (u64, Vec<Bytes>) {
        let registry = &self.sessions[db.min(self.sessions.len() - 1)];
        let mut ids = Vec::new();
        let next = registry.scan(cursor, count, |id, _| {
            if pattern.is_none_or(|p| glob::matches(p, id, false)) {
                ids.push(Bytes::copy_from_slice(id));
            }
        });
        // Sessions whose tracks were all deleted one by one are dropped here.
        ids.retain(|id| {
            let live = self.session_exists(db, id, now_ms);
            if !live {
                self.forget_session(db, id, EndReason::Expire);
            }
            live
        });
        (next, ids)
    }

    /// Number of sessions in the registry of `db`.
    pub fn session_count(&self, db: usize) -> usize {
        self.sessions[db.min(self.sessions.len() - 1)].len()
    }

    /// Ends every session idle for longer than `session-idle-timeout`; returns how
    /// many ended. Sessions with no stream left are dropped from the registry.
    pub fn sweep_idle_sessions(&self, now_ms: u64) -> usize {
        let Some(timeout) = self.settings().session_idle_timeout else {
            return 0;
        };
        let timeout_ms = timeout.as_millis() as u64;
        let mut ended = 0;
        for (db, registry) in self.sessions.iter().enumerate() {
            let mut idle = Vec::new();
            registry.for_each(|id, state, _| {
                let last = state.last_append_ms.load(Ordering::Relaxed);
                if now_ms.saturating_sub(last) >= timeout_ms {
                    idle.push(Bytes::copy_from_slice(id));
                }
            });
            for id in idle {
                if self.end_session_for(db, &id, now_ms, EndReason::Idle) > 0 {
                    ended += 1;
                }
            }
        }
        ended
    }

    /// Drops entries older than their track's max age in every stream that has one
    /// (the background half of max-age; reads apply it too). Returns entries removed.
    pub fn sweep_max_age(&self, now_ms: u64) -> u64 {
        if self.settings().tracks.iter().all(|t| t.max_age.is_none()) {
            return 0;
        }
        let before = self.counters.aged_out();
        for (db, database) in self.iter() {
            let mut keys = Vec::new();
            database.for_each(|key, _, _| keys.push(Bytes::copy_from_slice(key)));
            for key in keys {
                if self.settings().table().max_age(&key).is_some() {
                    // Looking the stream up applies its max age.
                    let _ = self.stream(db, &key, now_ms);
                }
            }
        }
        self.counters.aged_out() - before
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::TrackSpec;
    use crate::store::ExpireCondition;
    use crate::store::{AppendRequest, StoreSettings};

    fn store(idle: Option<Duration>, max_age: Option<Duration>) -> Store {
        let settings = StoreSettings {
            tracks: vec![
                TrackSpec {
                    name: "conversation".into(),
                    capacity: 3,
                    max_age: None,
                },
                TrackSpec {
                    name: "insights".into(),
                    capacity: 10,
                    max_age,
                },
            ],
            default_capacity: 5,
            session_idle_timeout: idle,
            ..StoreSettings::default()
        };
        Store::new(2, settings)
    }

    fn add(store: &Store, key: &str, now: u64) -> StreamId {
        let fields: [&[u8]; 2] = [b"f", b"v"];
        store
            .append(0, key.as_bytes(), AppendRequest::new(&fields), now)
            .ok()
            .flatten()
            .map(|a| a.id)
            .unwrap_or(StreamId::MIN)
    }

    #[test]
    fn tracks_take_their_capacity_and_count_overwrites() {
        let s = store(None, None);
        for i in 0..5 {
            add(&s, "a:conversation", 1000 + i);
        }
        add(&s, "a:insights", 2000);
        let info = s.session_info(0, b"a", 2500).expect("session a");
        assert_eq!(info.idle_ms, 500);
        let conv = &info.tracks[0];
        assert_eq!((conv.length, conv.capacity), (3, 3));
        assert_eq!((conv.entries_added, conv.entries_overwritten), (5, 2));
        assert_eq!(conv.first_id, Some(StreamId::new(1002, 0)));
        assert_eq!(info.tracks[1].capacity, 10);
        assert_eq!(s.counters.overwritten(), 2);
        assert_eq!(
            s.counters
                .track(Some("conversation"))
                .overwritten
                .load(Ordering::Relaxed),
            2
        );
        assert_eq!(
            s.counters
                .track(Some("conversation"))
                .events
                .load(Ordering::Relaxed),
            3
        );
        // A key in no track is a standalone stream with the default capacity.
        for i in 0..9 {
            add(&s, "plain", 3000 + i);
        }
        assert_eq!(
            s.stream(0, b"plain", 4000).map(|c| c.lock().stream.len()),
            Some(5)
        );
        assert_eq!(s.session_info(0, b"plain", 4000), None);
    }

    #[test]
    fn end_removes_every_track_and_wakes_readers() {
        let s = store(None, None);
        add(&s, "a:conversation", 1);
        add(&s, "a:insights", 1);
        add(&s, "b:conversation", 1);
        let cell = s.stream(0, b"a:conversation", 1).expect("exists");
        let bell = Arc::new(crate::store::Bell::new());
        cell.lock().register(&bell);
        assert_eq!(s.end_session(0, b"a", 2), 2);
        assert_eq!(cell.lock().waiting(), 0, "readers were woken");
        assert!(s.stream(0, b"a:insights", 2).is_none());
        assert!(s.stream(0, b"b:conversation", 2).is_some());
        assert_eq!(s.end_session(0, b"a", 2), 0);
    }

    #[test]
    fn idle_sessions_end_and_active_ones_stay() {
        let s = store(Some(Duration::from_secs(10)), None);
        add(&s, "old:conversation", 1_000);
        add(&s, "new:conversation", 1_000);
        add(&s, "new:insights", 9_000);
        assert_eq!(s.sweep_idle_sessions(12_000), 1);
        assert!(s.stream(0, b"old:conversation", 12_000).is_none());
        assert!(
            s.stream(0, b"new:conversation", 12_000).is_some(),
            "any track's append keeps the session"
        );
        assert_eq!(s.session_count(0), 1);
        let never = store(None, None);
        add(&never, "x:conversation", 0);
        assert_eq!(never.sweep_idle_sessions(u64::MAX / 2), 0);
    }

    #[test]
    fn appends_keep_the_right_session_alive_through_rename_and_end() {
        let s = store(Some(Duration::from_secs(10)), None);
        add(&s, "a:conversation", 1_000);
        // The stream now belongs to session b: its appends must touch b, not a.
        let to = Bytes::from_static(b"b:conversation");
        s.db(0).rename(b"a:conversation", &to, false, 1_000);
        add(&s, "b:conversation", 9_000);
        assert_eq!(s.sweep_idle_sessions(12_000), 0, "a has no stream left");
        assert!(s.stream(0, b"b:conversation", 12_000).is_some());
        // An ended session's stream, created again, registers the session again.
        assert_eq!(s.end_session(0, b"b", 12_000), 1);
        add(&s, "b:conversation", 12_000);
        add(&s, "b:conversation", 20_000);
        assert_eq!(s.sweep_idle_sessions(25_000), 0, "b was touched at 20s");
        assert_eq!(s.sweep_idle_sessions(31_000), 1);
    }

    #[test]
    fn a_max_age_set_later_applies_on_access() {
        // Without a max age, lookups skip the settings; CONFIG SET must reach them.
        let s = store(None, None);
        add(&s, "a:insights", 1_000);
        let len = |s: &Store, now| {
            s.stream(0, b"a:insights", now)
                .map(|c| c.lock().stream.len())
        };
        assert_eq!(len(&s, 5_000), Some(1));
        let mut settings = s.settings().clone();
        settings.tracks[1].max_age = Some(Duration::from_millis(100));
        s.set_settings(settings.clone());
        assert_eq!(len(&s, 5_000), Some(0));
        add(&s, "a:insights", 6_000);
        settings.tracks[1].max_age = None;
        s.set_settings(settings);
        assert_eq!(len(&s, 9_000), Some(1), "no max age any more");
    }

    #[test]
    fn max_age_drops_old_entries_on_access_and_by_sweep() {
        let s = store(None, Some(Duration::from_millis(100)));
        add(&s, "a:insights", 1_000);
        add(&s, "a:insights", 1_050);
        add(&s, "a:conversation", 1_000);
        assert_eq!(s.sweep_max_age(1_120), 1);
        assert_eq!(
            s.stream(0, b"a:insights", 1_120)
                .map(|c| c.lock().stream.len()),
            Some(1)
        );
        // On access, without a sweep.
        assert_eq!(
            s.stream(0, b"a:insights", 1_200)
                .map(|c| c.lock().stream.len()),
            Some(0)
        );
        assert_eq!(
            s.stream(0, b"a:conversation", 9_999)
                .map(|c| c.lock().stream.len()),
            Some(1),
            "no max age"
        );
        assert_eq!(s.counters.aged_out(), 2);
        assert_eq!(
            s.counters
                .track(Some("insights"))
                .aged_out
                .load(Ordering::Relaxed),
            2
        );
    }

    #[test]
    fn list_walks_sessions_with_a_cursor_and_drops_empty_ones() {
        let s = store(None, None);
        for i in 0..25 {
            add(&s, &format!("s{i}:conversation"), 1);
        }
        s.db(0).remove(b"s3:conversation", 1);
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            let (next, ids) = s.list_sessions(0, cursor, 4, None, 1);
            seen.extend(ids);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        seen.sort();
        assert_eq!(seen.len(), 24);
        assert!(!seen.contains(&Bytes::from_static(b"s3")));
        let (_, some) = s.list_sessions(0, 0, 100, Some(b"s1*"), 1);
        assert_eq!(some.len(), 11);
        assert_eq!(s.session_count(1), 0, "databases are separate");
    }

    #[test]
    fn every_way_a_session_ends_is_counted_once_with_its_reason() {
        let s = store(Some(Duration::from_secs(10)), None);
        let ended = |r| s.counters.sessions_ended(r);
        add(&s, "a:conversation", 1_000);
        add(&s, "a:insights", 1_000);
        assert_eq!(s.end_session(0, b"a", 1_001), 2);
        assert_eq!(s.end_session(0, b"a", 1_001), 0, "counted once");
        assert_eq!(ended(EndReason::Command), 1);

        add(&s, "b:conversation", 1_000);
        assert_eq!(s.sweep_idle_sessions(20_000), 1);
        assert_eq!(ended(EndReason::Idle), 1);

        // The last track expiring ends the session; one of two does not.
        add(&s, "c:conversation", 30_000);
        add(&s, "c:insights", 30_000);
        s.db(0)
            .expire(b"c:conversation", 30_100, ExpireCondition::ALWAYS, 30_000);
        s.db(0)
            .expire(b"c:insights", 30_200, ExpireCondition::ALWAYS, 30_000);
        assert!(s.stream(0, b"c:conversation", 30_150).is_none());
        assert_eq!(s.session_count(0), 1);
        assert!(s.stream(0, b"c:insights", 30_250).is_none());
        assert_eq!((s.session_count(0), ended(EndReason::Expire)), (0, 1));

        // DEL of the last stream, as the command does it.
        add(&s, "d:conversation", 40_000);
        s.db(0).remove(b"d:conversation", 40_000);
        s.key_removed(0, b"d:conversation", EndReason::Command, 40_000);
        assert_eq!(ended(EndReason::Command), 2);

        // Gone unannounced (lazy expiry elsewhere): SESSION.LIST counts it expired.
        add(&s, "e:conversation", 50_000);
        s.db(0).remove(b"e:conversation", 50_000);
        let (_, ids) = s.list_sessions(0, 0, 10, None, 50_000);
        assert!(ids.is_empty());
        assert_eq!(ended(EndReason::Expire), 2);

        add(&s, "f:conversation", 60_000);
        add(&s, "g:conversation", 60_000);
        assert_eq!(s.sessions_total(), 2);
        s.clear_sessions(0);
        assert_eq!((s.sessions_total(), ended(EndReason::Command)), (0, 4));
    }
}
