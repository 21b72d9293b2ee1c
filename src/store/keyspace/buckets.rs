//! One shard's buckets: a hash table to find a key, and the hashes in order for SCAN.
//!
//! Why two structures: an ordered map alone (what this was) makes every lookup walk
//! three or four B-tree nodes, each a cache miss once the keyspace outgrows the cache;
//! over 10,000 sessions that walk was about a tenth of the server's CPU per XADD. The
//! hash table finds a bucket with one probe of its control bytes and one read of the
//! bucket, which sits on a cache line of its own. SCAN still needs the buckets in hash
//! order (its cursor is the next hash to visit), so the hashes are also kept in a
//! B-tree of plain `u64`s, which only inserts, deletes and SCAN touch.

use std::collections::BTreeSet;
use std::ops::Bound;

use hashbrown::HashTable;

use super::Bucket;

/// A bucket with its hash, aligned so that a lookup reads one cache line.
#[repr(align(64))]
#[derive(Debug)]
struct Entry<V> {
    hash: u64,
    bucket: Bucket<V>,
}

/// The table's own hash of a key hash. The top bits of a key hash choose its shard,
/// so within a shard they are all the same; the table takes its tag from the top
/// bits, so they are rotated out of the way.
fn table_hash(hash: u64) -> u64 {
    hash.rotate_left(32)
}

/// The buckets of one shard, by hash.
#[derive(Debug)]
pub(super) struct Buckets<V> {
    table: HashTable<Entry<V>>,
    order: BTreeSet<u64>,
}

impl<V> Default for Buckets<V> {
    fn default() -> Self {
        Buckets {
            table: HashTable::new(),
            order: BTreeSet::new(),
        }
    }
}

impl<V> Buckets<V> {
    pub(super) fn get(&self, hash: u64) -> Option<&Bucket<V>> {
        self.table
            .find(table_hash(hash), |e| e.hash == hash)
            .map(|e| &e.bucket)
    }

    pub(super) fn get_mut(&mut self, hash: u64) -> Option<&mut Bucket<V>> {
        self.table
            .find_mut(table_hash(hash), |e| e.hash == hash)
            .map(|e| &mut e.bucket)
    }

    /// The bucket for `hash`, created empty when there is none.
    pub(super) fn get_or_default(&mut self, hash: u64) -> &mut Bucket<V> {
        let entry = self
            .table
            .entry(table_hash(hash), |e| e.hash == hash, |e| table_hash(e.hash))
            .or_insert_with(|| {
                self.order.insert(hash);
                Entry {
                    hash,
                    bucket: Bucket::new(),
                }
            });
        &mut entry.into_mut().bucket
    }

    /// Drops the bucket for `hash` (its keys with it).
    pub(super) fn remove(&mut self, hash: u64) {
        if let Ok(entry) = self.table.find_entry(table_hash(hash), |e| e.hash == hash) {
            entry.remove();
            self.order.remove(&hash);
        }
    }

    /// Every bucket, in no particular order.
    pub(super) fn values(&self) -> impl Iterator<Item = &Bucket<V>> {
        self.table.iter().map(|e| &e.bucket)
    }

    /// The buckets whose hash is `from` or more, in hash order.
    pub(super) fn range_from(&self, from: u64) -> impl Iterator<Item = (u64, &Bucket<V>)> {
        self.order
            .range((Bound::Included(from), Bound::Unbounded))
            .filter_map(|&hash| self.get(hash).map(|b| (hash, b)))
    }

    /// Empties the table, handing back every bucket.
    pub(super) fn take_all(&mut self) -> impl Iterator<Item = Bucket<V>> {
        self.order.clear();
        std::mem::take(&mut self.table)
            .into_iter()
            .map(|e| e.bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(b: &Buckets<u32>, from: u64) -> Vec<u64> {
        b.range_from(from).map(|(h, _)| h).collect()
    }

    #[test]
    fn a_bucket_of_one_key_fills_one_cache_line() {
        // The keyspace holds `Value`s, the session registry `Arc`s; both a pointer.
        assert_eq!(std::mem::size_of::<Entry<std::sync::Arc<u8>>>(), 64);
        type Stored = crate::store::Value;
        assert_eq!(std::mem::size_of::<Entry<Stored>>(), 64);
    }

    #[test]
    fn finds_buckets_and_keeps_their_hashes_in_order() {
        let mut b: Buckets<u32> = Buckets::default();
        // Hashes that share the top bits, as the keys of one shard do.
        let all: Vec<u64> = (0..1000u64)
            .map(|i| (7 << 60) | i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 4)
            .collect();
        for &h in &all {
            assert!(b.get_or_default(h).is_empty());
        }
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(hashes(&b, 0), sorted);
        assert_eq!(hashes(&b, sorted[500]), sorted[500..]);
        assert_eq!(b.values().count(), 1000);
        for &h in all.iter().step_by(2) {
            b.remove(h);
        }
        assert!(b.get(all[0]).is_none());
        assert!(b.get(all[1]).is_some());
        let left: Vec<u64> = sorted
            .iter()
            .copied()
            .filter(|h| b.get(*h).is_some())
            .collect();
        assert_eq!(left.len(), 500);
        assert_eq!(hashes(&b, 0), left);
        assert_eq!(b.take_all().count(), 500);
        assert!(hashes(&b, 0).is_empty());
        assert!(b.get(all[1]).is_none());
    }
}
