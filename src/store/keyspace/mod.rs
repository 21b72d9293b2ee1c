//! The keyspace: numbered databases of keys, each with an optional expiry.
//!
//! Each database is split into shards by the top bits of a keyed hash of the key; each
//! shard finds a key through a hash table and also keeps the hashes in order
//! (`buckets.rs`). Two things follow: commands on
//! different keys rarely touch the same lock, and SCAN's cursor is simply the next hash
//! to visit, so a full iteration returns every key that was present throughout exactly
//! once, across any inserts, deletes or renames in between (Redis guarantees "at least
//! once"). The hash is seeded per process, so clients cannot aim keys at one bucket.
//!
//! The keyspace is generic over the value so it can be tested on its own; the server
//! stores stream handles in it. Values are cheap clones (`Arc`s): a caller clones the
//! value out under the shard lock and works on it after the lock is gone.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU64;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Weak};

use super::bell::Bell;
use ahash::RandomState;
use bytes::Bytes;
use parking_lot::RwLock;
use smallvec::SmallVec;

use super::Clock;
use buckets::Buckets;

const SHARD_BITS: u32 = 4;
const SHARDS: usize = 1 << SHARD_BITS;

/// A stored key: up to 24 bytes inline in its slot, longer ones on the heap. Most
/// keys (`<session>:<track>` with a short session id) fit, so a lookup compares
/// bytes in the slot it has just read instead of following a pointer to the key,
/// and a short key costs no allocation of its own.
pub(super) type Key = SmallVec<[u8; 24]>;

/// A key with its value and expiry.
#[derive(Debug, Clone)]
struct Slot<V> {
    key: Key,
    value: V,
    /// Unix time in milliseconds after which the key is gone. Not zero, which is
    /// always past, so the option takes no room of its own: a bucket of one slot
    /// and its hash fill one cache line.
    expiry: Option<NonZeroU64>,
}

impl<V> Slot<V> {
    fn expires_at(&self) -> Option<u64> {
        self.expiry.map(NonZeroU64::get)
    }

    fn set_expires_at(&mut self, at: Option<u64>) -> Option<u64> {
        let old = self.expires_at();
        self.expiry = at.map(|at| NonZeroU64::new(at).unwrap_or(NonZeroU64::MIN));
        old
    }

    fn expired(&self, now: impl Clock) -> bool {
        self.expires_at().is_some_and(|at| at <= now.now_ms())
    }
}

/// Keys whose hashes collide share a bucket; almost every bucket holds one key.
type Bucket<V> = SmallVec<[Slot<V>; 1]>;

#[derive(Debug)]
struct Shard<V> {
    buckets: Buckets<V>,
    len: usize,
    /// `(expires_at, hash)` of every key with an expiry, oldest first, so the sweep
    /// finds due keys without scanning.
    expiring: BTreeMap<(u64, u64), ()>,
    /// Readers blocked on keys that do not exist yet: woken when the key is created.
    pending: HashMap<Bytes, Vec<Weak<Bell>>>,
    /// Clients watching keys of this shard (WATCH), by key.
    watched: HashMap<Bytes, Vec<Arc<WatchFlag>>>,
}

impl<V> Default for Shard<V> {
    fn default() -> Self {
        Shard {
            buckets: Buckets::default(),
            len: 0,
            expiring: BTreeMap::new(),
            pending: HashMap::new(),
            watched: HashMap::new(),
        }
    }
}

impl<V: Clone> Shard<V> {
    fn find(&self, hash: u64, key: &[u8]) -> Option<&Slot<V>> {
        self.buckets
            .get(hash)?
            .iter()
            .find(|s| s.key.as_slice() == key)
    }

    fn find_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Slot<V>> {
        self.buckets
            .get_mut(hash)?
            .iter_mut()
            .find(|s| s.key.as_slice() == key)
    }

    /// Removes a key regardless of its expiry.
    fn take(&mut self, hash: u64, key: &[u8]) -> Option<Slot<V>> {
        let bucket = self.buckets.get_mut(hash)?;
        let pos = bucket.iter().position(|s| s.key.as_slice() == key)?;
        let slot = bucket.swap_remove(pos);
        if bucket.is_empty() {
            self.buckets.remove(hash);
        }
        if let Some(at) = slot.expires_at() {
            self.unindex(at, hash);
        }
        self.len -= 1;
        Some(slot)
    }

    /// Inserts a slot (a modification for WATCH); returns the readers that were
    /// waiting for its key to appear.
    fn put(&mut self, hash: u64, slot: Slot<V>) -> Vec<Weak<Bell>> {
        self.touch(&slot.key);
        if let Some(at) = slot.expires_at() {
            self.expiring.insert((at, hash), ());
        }
        let waiting = if self.pending.is_empty() {
            Vec::new()
        } else {
            self.pending.remove(slot.key.as_slice()).unwrap_or_default()
        };
        self.buckets.get_or_default(hash).push(slot);
        self.len += 1;
        waiting
    }

    fn unindex(&mut self, at: u64, hash: u64) {
        // Another key of the same bucket may share the expiry; keep the entry then.
        let still_used = self
            .buckets
            .get(hash)
            .is_some_and(|b| b.iter().any(|s| s.expires_at() == Some(at)));
        if !still_used {
            self.expiring.remove(&(at, hash));
        }
    }

    fn set_expiry(&mut self, hash: u64, key: &[u8], at: Option<u64>) {
        let (old, new) = match self.find_mut(hash, key) {
            Some(slot) => (slot.set_expires_at(at), slot.expires_at()),
            None => return,
        };
        if let Some(old) = old {
            self.unindex(old, hash);
        }
        if let Some(at) = new {
            self.expiring.insert((at, hash), ());
        }
    }
}

/// When EXPIRE may set a new expiry: its NX/XX/GT/LT options, checked one by one as
/// Redis does (a key with no expiry counts as an infinite one for GT and LT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpireCondition {
    /// Only when the key has no expiry.
    pub nx: bool,
    /// Only when the key has an expiry.
    pub xx: bool,
    /// Only when the new expiry is later than the current one.
    pub gt: bool,
    /// Only when the new expiry is earlier than the current one.
    pub lt: bool,
}

impl ExpireCondition {
    /// No condition.
    pub const ALWAYS: ExpireCondition = ExpireCondition {
        nx: false,
        xx: false,
        gt: false,
        lt: false,
    };

    fn allows(&self, current: Option<u64>, at: u64) -> bool {
        !(self.nx && current.is_some()
            || self.xx && current.is_none()
            || self.gt && current.is_none_or(|c| at <= c)
            || self.lt && current.is_some_and(|c| at >= c))
    }
}

/// What [`Db::expire`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpireOutcome<V> {
    /// No such key, or the condition did not hold.
    Unchanged,
    /// The expiry was set.
    Set,
    /// The time was already past: the key was deleted (its value is returned).
    Deleted(V),
}

/// What [`Db::rename`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameOutcome<V> {
    /// The source key does not exist.
    NoSuchKey,
    /// RENAMENX and the destination exists: nothing changed.
    DestinationExists,
    /// Renamed; holds the destination's old value when one was overwritten.
    Renamed(Option<V>),
}

/// One numbered database.
#[derive(Debug)]
pub struct Db<V> {
    shards: Box<[RwLock<Shard<V>>]>,
    hasher: RandomState,
    /// WATCH registrations in all shards, so a touch costs one load when there are none.
    watching: AtomicUsize,
}

impl<V: Clone> Default for Db<V> {
    fn default() -> Self {
        Db {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            watching: AtomicUsize::new(0),
        }
    }
}

impl<V: Clone> Db<V> {
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn shard_of(hash: u64) -> usize {
        (hash >> (64 - SHARD_BITS)) as usize
    }

    fn shard(&self, hash: u64) -> &RwLock<Shard<V>> {
        &self.shards[Self::shard_of(hash)]
    }

    /// The live value of `key`. An expired key is deleted on the way (as Redis's lazy
    /// expiry) and its value handed to `on_expired` so waiters can be told.
    pub fn get(&self, key: &[u8], now_ms: impl Clock) -> Lookup<V> {
        let hash = self.hash(key);
        {
            let shard = self.shard(hash).read();
            match shard.find(hash, key) {
                None => return Lookup::Missing,
                Some(slot) if !slot.expired(now_ms) => return Lookup::Found(slot.value.clone()),
                Some(_) => {}
            }
        }
        let mut shard = self.shard(hash).write();
        match shard.find(hash, key) {
            Some(slot) if slot.expired(now_ms) => match shard.take(hash, key) {
                Some(slot) => Lookup::Expired(slot.value),
                None => Lookup::Missing,
            },
            Some(slot) => Lookup::Found(slot.value.clone()),
            None => Lookup::Missing,
        }
    }

    /// The value of `key`, inserting `make()` when it is absent (or expired: then the
    /// old value is returned too, so its waiters can be told). `true` when created.
    pub fn get_or_insert_with(
        &self,
        key: &[u8],
        now_ms: u64,
        make: impl FnOnce() -> V,
    ) -> (V, bool, Option<V>) {
        if let Lookup::Found(v) = self.get(key, now_ms) {
            return (v, false, None);
        }
        let hash = self.hash(key);
        let mut shard = self.shard(hash).write();
        let mut expired = None;
        if let Some(slot) = shard.find(hash, key) {
            if !slot.expired(now_ms) {
                return (slot.value.clone(), false, None);
            }
            expired = shard.take(hash, key).map(|s| s.value);
        }
        let value = make();
        let waiting = shard.put(
            hash,
            Slot {
                key: Key::from_slice(key),
                value: value.clone(),
                expiry: None,
            },
        );
        drop(shard);
        ring(waiting);
        (value, true, expired)
    }

    /// For a reader about to block on `key`: the live value when the key exists (the
    /// reader registers with it instead), else `bell` is registered to ring when the
    /// key is created. Both under the shard lock, so a creation cannot slip between.
    pub fn value_or_wait(&self, key: &[u8], bell: &Arc<Bell>, now_ms: impl Clock) -> Option<V> {
        let hash = self.hash(key);
        // The common case, the key exists, needs only the read lock: a thousand
        // readers re-parking on one stream do not queue for the write lock.
        {
            let shard = self.shard(hash).read();
            match shard.find(hash, key) {
                Some(slot) if !slot.expired(now_ms) => return Some(slot.value.clone()),
                _ => {}
            }
        }
        let mut shard = self.shard(hash).write();
        match shard.find(hash, key) {
            Some(slot) if !slot.expired(now_ms) => return Some(slot.value.clone()),
            _ => {}
        }
        if !shard.pending.contains_key(key) {
            // A copy, so the registration does not pin the client's read buffer.
            shard
                .pending
                .insert(Bytes::copy_from_slice(key), Vec::new());
        }
        let list = shard.pending.get_mut(key)?;
        if list.len() >= 64 && list.len().is_power_of_two() {
            list.retain(|w| w.strong_count() > 0);
        }
        list.push(Arc::downgrade(bell));
        None
    }

    /// Drops registrations of readers that stopped waiting (called by upkeep).
    pub fn prune_waiters(&self) {
        for shard in self.shards.iter() {
            if shard.read().pending.is_empty() {
                continue;
            }
            let mut s = shard.write();
            s.pending.retain(|_, list| {
                list.retain(|w| w.strong_count() > 0);
                !list.is_empty()
            });
        }
    }

    /// True when `key` exists and has not expired.
    pub fn contains(&self, key: &[u8], now_ms: u64) -> bool {
        let hash = self.hash(key);
        let shard = self.shard(hash).read();
        shard.find(hash, key).is_some_and(|s| !s.expired(now_ms))
    }

    /// Deletes `key`; returns its value when it existed and had not expired (only
    /// then is it a modification for WATCH: an expired key was already gone).
    pub fn remove(&self, key: &[u8], now_ms: u64) -> Option<V> {
        let hash = self.hash(key);
        let mut shard = self.shard(hash).write();
        let slot = shard.take(hash, key)?;
        if slot.expired(now_ms) {
            return None;
        }
        shard.touch(key);
        Some(slot.value)
    }

    /// Deletes `key` only if its value is still `current` (by `same`), so a caller that
    /// saw a stream empty can drop it without racing a concurrent writer.
    pub fn remove_if(&self, key: &[u8], same: impl FnOnce(&V) -> bool) -> Option<V> {
        let hash = self.hash(key);
        let mut shard = self.shard(hash).write();
        let matches = shard.find(hash, key).is_some_and(|s| same(&s.value));
        if matches {
            shard.touch(key);
            shard.take(hash, key).map(|s| s.value)
        } else {
            None
        }
    }

    /// Number of keys (expired ones not yet swept included, as Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len).sum()
    }

    /// True when the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of keys with an expiry (INFO keyspace `expires=`).
    pub fn expiring_len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.read();
                s.buckets
                    .values()
                    .flat_map(|b| b.iter())
                    .filter(|slot| slot.expiry.is_some())
                    .count()
            })
            .sum()
    }

    /// Sets or clears the expiry of `key` under `cond`. `at_ms` in the past deletes it.
    pub fn expire(
        &self,
        key: &[u8],
        at_ms: u64,
        cond: ExpireCondition,
        now_ms: u64,
    ) -> ExpireOutcome<V> {
        let hash = self.hash(key);
        let mut shard = self.shard(hash).write();
        let current = match shard.find(hash, key) {
            Some(slot) if !slot.expired(now_ms) => slot.expires_at(),
            _ => return ExpireOutcome::Unchanged,
        };
        if !cond.allows(current, at_ms) {
            return ExpireOutcome::Unchanged;
        }
        shard.touch(key);
        if at_ms <= now_ms {
            return match shard.take(hash, key) {
                Some(slot) => ExpireOutcome::Deleted(slot.value),
                None => ExpireOutcome::Unchanged,
            };
        }
        shard.set_expiry(hash, key, Some(at_ms));
        ExpireOutcome::Set
    }

    /// `None` when the key does not exist, else its expiry (`Some(None)`: none).
    pub fn expires_at(&self, key: &[u8], now_ms: u64) -> Option<Option<u64>> {
        let hash = self.hash(key);
        let shard = self.shard(hash).read();
        match shard.find(hash, key) {
            Some(slot) if !slot.expired(now_ms) => Some(slot.expires_at()),
            _ => None,
        }
    }

    /// Removes the expiry of `key`; true when it had one.
    pub fn persist(&self, key: &[u8], now_ms: u64) -> bool {
        let hash = self.hash(key);
        let mut shard = self.shard(hash).write();
        match shard.find(hash, key) {
            Some(slot) if !slot.expired(now_ms) && slot.expiry.is_some() => {
                shard.set_expiry(hash, key, None);
                shard.touch(key);
                true
            }
            _ => false,
        }
    }

    /// Visits up to `count` hash buckets from `cursor` (0 = start), calling `visit` with
    /// each live key and value. Returns the cursor to continue from; 0 when done.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        let count = count.max(1);
        let mut visited = 0usize;
        let mut next = cursor;
        let mut shard_idx = Self::shard_of(cursor);
        while shard_idx < SHARDS {
            let shard = self.shards[shard_idx].read();
            for (hash, bucket) in shard.buckets.range_from(next) {
                if visited >= count {
                    return hash;
                }
                for slot in bucket {
                    visit(&slot.key, &slot.value);
                }
                visited += 1;
                match hash.checked_add(1) {
                    Some(n) => next = n,
                    None => return 0,
                }
            }
            drop(shard);
            shard_idx += 1;
            if shard_idx < SHARDS {
                next = (shard_idx as u64) << (64 - SHARD_BITS);
            }
        }
        0
    }

    /// Every key and value (KEYS, FLUSH bookkeeping). Expired keys included; callers
    /// filter with [`Db::contains`] or by time as they need.
    pub fn for_each(&self, mut visit: impl FnMut(&[u8], &V, Option<u64>)) {
        for shard in self.shards.iter() {
            let shard = shard.read();
            for slot in shard.buckets.values().flat_map(|b| b.iter()) {
                visit(&slot.key, &slot.value, slot.expires_at());
            }
        }
    }

    /// Removes every key, returning the values so their waiters can be told. Clients
    /// watching a live key are touched; readers waiting for a key to be created and
    /// WATCH registrations stay.
    pub fn clear(&self, now_ms: u64) -> Vec<V> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.write();
            if !shard.watched.is_empty() {
                let live: Vec<Bytes> = shard
                    .watched
                    .keys()
                    .filter(|k| {
                        let hash = self.hash(k);
                        shard.find(hash, k).is_some_and(|s| !s.expired(now_ms))
                    })
                    .cloned()
                    .collect();
                for key in live {
                    shard.touch(&key);
                }
            }
            out.extend(shard.buckets.take_all().flatten().map(|s| s.value));
            shard.expiring.clear();
            shard.len = 0;
        }
        out
    }

    /// Deletes up to `max` keys whose expiry is due, returning them.
    pub fn sweep_expired(&self, now_ms: u64, max: usize) -> Vec<(Bytes, V)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            if out.len() >= max {
                break;
            }
            let due = {
                let s = shard.read();
                s.expiring
                    .keys()
                    .next()
                    .is_some_and(|&(at, _)| at <= now_ms)
            };
            if !due {
                continue;
            }
            let mut s = shard.write();
            while out.len() < max {
                let Some((&(at, hash), _)) = s.expiring.iter().next() else {
                    break;
                };
                if at > now_ms {
                    break;
                }
                s.expiring.remove(&(at, hash));
                let keys: Vec<Key> = s
                    .buckets
                    .get(hash)
                    .map(|b| {
                        b.iter()
                            .filter(|slot| slot.expired(now_ms))
                            .map(|slot| slot.key.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for key in keys {
                    if let Some(slot) = s.take(hash, &key) {
                        out.push((Bytes::copy_from_slice(&slot.key), slot.value));
                    }
                }
            }
        }
        out
    }
}

fn ring(bells: Vec<Weak<Bell>>) {
    crate::store::gate::ring_or_defer(bells);
}

/// The result of a key lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    /// The key exists.
    Found(V),
    /// The key does not exist.
    Missing,
    /// The key had expired and was deleted by this lookup.
    Expired(V),
}

impl<V> Lookup<V> {
    /// The value when found.
    pub fn found(self) -> Option<V> {
        match self {
            Lookup::Found(v) => Some(v),
            _ => None,
        }
    }
}

mod buckets;
mod rename;
#[cfg(test)]
mod tests;
mod watch;

pub use watch::WatchFlag;
