//! WATCH: which clients watch which keys, and the touch hook that marks them.
//!
//! Each shard keeps, per watched key, the flags of the clients watching it. A
//! modification of a key *touches* it: every flag registered for it is set, and the
//! watcher's next EXEC returns the null reply (Redis's `touchWatchedKey`, called where
//! Redis calls `signalModifiedKey`).
//!
//! What touches a key, as in Redis 7.0.15:
//! - inside the keyspace, automatically: creation, DEL/UNLINK of a live key, RENAME
//!   (both keys), EXPIRE family when it sets a time or deletes, PERSIST when it
//!   removes a time, FLUSHDB/FLUSHALL (watched keys that were live), SESSION.END and
//!   the idle-session sweep (they delete);
//! - content changes, by an explicit [`Db::touch`] (or [`crate::store::Store::touch`])
//!   from the code that makes them: XADD (ring overwrites are part of it), XDEL and
//!   XTRIM that removed something, max-age trims that dropped entries. Any new command
//!   that changes a stream's entries must call it too.
//!
//! What does not touch, checked against redis-server 7.0.15: XSETID, and every
//! consumer-group command (XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER,
//! XREADGROUP, XACK, XCLAIM, XAUTOCLAIM) except XGROUP CREATE ... MKSTREAM creating the
//! key, which the keyspace sees.
//!
//! Expiry is not a modification: Redis 7.0.15 does not abort EXEC when a watched key
//! expires, whether the key was removed by a lookup, by the background sweep, or is
//! still there past its time. Removing an already expired key touches nobody.
//!
//! Cost when nobody watches: the keyspace's own hooks test an empty map under a lock
//! they already hold; [`Db::touch`] loads one atomic counter.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::{Db, Shard};

/// One client's "a watched key changed" flag (Redis's `CLIENT_DIRTY_CAS`). A client
/// takes a fresh flag each time it starts watching, so a touch that races with
/// UNWATCH can only mark a flag nobody reads any more.
#[derive(Debug, Default)]
pub struct WatchFlag {
    dirty: AtomicBool,
}

impl WatchFlag {
    /// A clean flag.
    pub fn new() -> Arc<WatchFlag> {
        Arc::new(WatchFlag::default())
    }

    /// True once a key registered with this flag was modified.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    fn mark(&self) {
        self.dirty.store(true, Ordering::Release);
    }
}

impl<V: Clone> Shard<V> {
    /// Marks every client watching `key`. Called with the shard lock held.
    pub(super) fn touch(&self, key: &[u8]) {
        if self.watched.is_empty() {
            return;
        }
        if let Some(flags) = self.watched.get(key) {
            for flag in flags {
                flag.mark();
            }
        }
    }
}

impl<V: Clone> Db<V> {
    /// The touch hook for content changes (XADD, XDEL, XTRIM, XSETID, trims, and the
    /// consumer-group commands): marks every client watching `key`. Call it after the
    /// change, once the stream's lock is released; nearly free when nobody watches.
    pub fn touch(&self, key: &[u8]) {
        if self.watching.load(Ordering::Acquire) == 0 {
            return;
        }
        let hash = self.hash(key);
        self.shard(hash).read().touch(key);
    }

    /// Registers `flag` as watching `key` (WATCH). Watching the same key twice with
    /// one flag registers it once; returns whether it was new.
    pub fn watch(&self, key: &Bytes, flag: &Arc<WatchFlag>) -> bool {
        let hash = self.hash(key);
        let mut shard = self.shard(hash).write();
        let flags = shard.watched.entry(key.clone()).or_default();
        if flags.iter().any(|f| Arc::ptr_eq(f, flag)) {
            return false;
        }
        flags.push(Arc::clone(flag));
        self.watching.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// Removes `flag`'s registration for `key` (UNWATCH, EXEC, DISCARD, disconnect).
    pub fn unwatch(&self, key: &[u8], flag: &Arc<WatchFlag>) {
        let hash = self.hash(key);
        let mut shard = self.shard(hash).write();
        let Some(flags) = shard.watched.get_mut(key) else {
            return;
        };
        let before = flags.len();
        flags.retain(|f| !Arc::ptr_eq(f, flag));
        let removed = before - flags.len();
        if flags.is_empty() {
            shard.watched.remove(key);
        }
        if removed > 0 {
            self.watching.fetch_sub(removed, Ordering::AcqRel);
        }
    }

    /// Number of (key, client) WATCH registrations in this database.
    pub fn watch_count(&self) -> usize {
        self.watching.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keyspace::{ExpireCondition, RenameOutcome};

    fn key(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// A database holding `k` (value 1) and a fresh flag watching `w`.
    fn watching(w: &str) -> (Db<u32>, Arc<WatchFlag>) {
        let db: Db<u32> = Db::default();
        db.get_or_insert_with(&key("k"), 0, || 1);
        let flag = WatchFlag::new();
        assert!(db.watch(&key(w), &flag));
        assert!(!db.watch(&key(w), &flag), "registered once");
        (db, flag)
    }

    #[test]
    fn modifications_touch_and_reads_do_not() {
        type Case = (&'static str, &'static str, fn(&Db<u32>));
        let cases: &[Case] = &[
            ("create", "new", |db| {
                db.get_or_insert_with(&key("new"), 0, || 2);
            }),
            ("delete", "k", |db| {
                db.remove(b"k", 0);
            }),
            ("content", "k", |db| db.touch(b"k")),
            ("expire", "k", |db| {
                db.expire(b"k", 100, ExpireCondition::ALWAYS, 0);
            }),
            ("expire in the past", "k", |db| {
                db.expire(b"k", 0, ExpireCondition::ALWAYS, 5);
            }),
            ("rename source", "k", |db| {
                db.rename(b"k", &key("k2"), false, 0);
            }),
            ("rename destination", "k2", |db| {
                db.rename(b"k", &key("k2"), false, 0);
            }),
            ("flush", "k", |db| {
                db.clear(0);
            }),
        ];
        for (what, watched, op) in cases {
            let (db, flag) = watching(watched);
            op(&db);
            assert!(flag.is_dirty(), "{what} touches {watched}");
        }
        let untouched: &[Case] = &[
            ("read", "k", |db| {
                db.get(b"k", 0);
                db.contains(b"k", 0);
            }),
            ("other key", "k", |db| {
                db.remove(b"zz", 0);
                db.touch(b"k2");
            }),
            ("another key's expiry", "zz", |db| {
                db.expire(b"k", 100, ExpireCondition::ALWAYS, 0);
            }),
            ("persist without expiry", "k", |db| {
                db.persist(b"k", 0);
            }),
            ("flush of a missing key", "missing", |db| {
                db.clear(0);
            }),
        ];
        for (what, watched, op) in untouched {
            let (db, flag) = watching(watched);
            op(&db);
            assert!(!flag.is_dirty(), "{what} leaves {watched} alone");
        }
    }

    #[test]
    fn expiry_is_not_a_modification() {
        let (db, flag) = watching("k");
        db.expire(b"k", 10, ExpireCondition::ALWAYS, 0);
        let fresh = WatchFlag::new();
        db.watch(&key("k"), &fresh);
        // Lazily removed by a lookup, swept, or deleted once expired: no touch.
        assert_eq!(db.get(b"k", 20), crate::store::Lookup::Expired(1));
        assert_eq!(db.remove(b"k", 20), None);
        assert!(flag.is_dirty(), "the EXPIRE itself touched");
        assert!(!fresh.is_dirty());
        db.get_or_insert_with(&key("k"), 30, || 3);
        assert!(fresh.is_dirty(), "re-creation touches");
    }

    #[test]
    fn unwatch_removes_registrations() {
        let (db, flag) = watching("k");
        let other = WatchFlag::new();
        db.watch(&key("k"), &other);
        assert_eq!(db.watch_count(), 2);
        db.unwatch(b"k", &flag);
        assert_eq!(db.watch_count(), 1);
        db.touch(b"k");
        assert!(!flag.is_dirty());
        assert!(other.is_dirty());
        db.unwatch(b"k", &other);
        db.unwatch(b"k", &other);
        assert_eq!(db.watch_count(), 0);
        assert!(db.shards.iter().all(|s| s.read().watched.is_empty()));
        assert_eq!(
            db.rename(b"k", &key("k"), false, 0),
            RenameOutcome::Renamed(None)
        );
    }
}
