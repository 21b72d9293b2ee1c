//! A Redis stream on a capped ring: synchronous, no networking.
//!
//! [`Stream`] behaves as a Redis 7.0 stream that every append trims with an exact
//! `MAXLEN <capacity>`: when it is full, the oldest entry goes. Everything a client
//! can observe matches Redis byte for byte: IDs and their errors, the lengths that
//! `MAXLEN ~` / `MINID ~` leave (Redis trims whole radix-tree nodes, so the node
//! boundaries are emulated from the exact listpack sizes), `entries-added`,
//! `max-deleted-entry-id`, `recorded-first-entry-id` and `radix-tree-keys`.
//!
//! Layout: a deque of nodes, each the twin of one Redis listpack. A node stores
//! its entries' values in one buffer, each behind a one-byte length in the common
//! case (`entry.rs`, `varlen.rs`), with 8 bytes of metadata per entry
//! (`meta.rs`); field names equal to the node's master fields are stored once per
//! node, in RESP, and shared between streams. For 1000 events of
//! `role <user|assistant> data <80 bytes>` that is about 100 bytes per event
//! ([`Stream::mem_bytes`]), where Redis 7.0 reports 112 (`MEMORY USAGE`).
//!
//! Known difference: after an XSETID below a deleted tail entry (allowed by Redis
//! 7.0), Redis keeps the tombstone in front of later entries of the same listpack;
//! here tombstones are not stored, so a later `MINID` cut that stops at such a
//! tombstone in Redis stops at the next live entry here.

mod entry;
mod error;
mod id;
mod lpsize;
mod meta;
mod node;
mod range;
mod trim;
mod varlen;

#[cfg(test)]
mod model_tests;
/// Borrowed views of owned fields, as [`Stream::add`] takes them.
#[cfg(test)]
fn refs<T: AsRef<[u8]>>(fields: &[T]) -> Vec<&[u8]> {
    fields.iter().map(AsRef::as_ref).collect()
}
#[cfg(test)]
mod redis_truth;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

pub use entry::{EntryRef, Fields};
pub use error::StreamError;
pub use id::{IdSpec, StreamId, MAX_ID_LEN};
pub use range::Range;
pub use trim::{default_trim_limit, TrimStrategy};

use entry::Master;
use lpsize::STREAM_LISTPACK_MAX_SIZE;
use node::Node;

/// Redis's `stream-node-max-entries` / `stream-node-max-bytes`: where a node ends.
/// Zero means no limit (for bytes: the 1 GiB listpack cap), as in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// `stream-node-max-entries` (Redis default 100).
    pub max_entries: usize,
    /// `stream-node-max-bytes` (Redis default 4096).
    pub max_bytes: usize,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_entries: 100,
            max_bytes: 4096,
        }
    }
}

/// The outcome of a successful [`Stream::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    /// The new entry's ID.
    pub id: StreamId,
    /// Entries the ring removed to stay within its capacity.
    pub evicted: u64,
}

/// A capped Redis stream (see the module docs).
#[derive(Debug)]
pub struct Stream {
    nodes: VecDeque<Node>,
    length: u64,
    last_id: StreamId,
    first_id: StreamId,
    max_deleted: StreamId,
    entries_added: u64,
    capacity: usize,
    /// Heap bytes owned by the nodes.
    node_bytes: usize,
}

impl Stream {
    /// An empty stream holding at most `capacity` entries (at least 1). Allocates
    /// nothing until the first append.
    pub fn new(capacity: usize) -> Self {
        Stream {
            nodes: VecDeque::new(),
            length: 0,
            last_id: StreamId::MIN,
            first_id: StreamId::MIN,
            max_deleted: StreamId::MIN,
            entries_added: 0,
            capacity: capacity.max(1),
            node_bytes: 0,
        }
    }

    /// The most entries the stream holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity (at least 1); a smaller one trims the oldest entries
    /// as an exact `XTRIM MAXLEN` would. Returns the number of entries removed.
    pub fn set_capacity(&mut self, capacity: usize, limits: &NodeLimits) -> u64 {
        self.capacity = capacity.max(1);
        self.trim(
            TrimStrategy::MaxLen(self.capacity as u64),
            false,
            None,
            limits,
        )
    }

    /// XADD: appends an entry with `fields` = `f1 v1 f2 v2 ...` (an even number, at
    /// least 2). `now_ms` is the clock for `*`. Errors and IDs are Redis's. When the
    /// stream is over capacity afterwards, the oldest entries go as an exact
    /// `MAXLEN capacity` would remove them.
    pub fn add(
        &mut self,
        spec: IdSpec,
        fields: &[&[u8]],
        now_ms: u64,
        limits: &NodeLimits,
    ) -> Result<Added, StreamError> {
        if fields.len() < 2 || fields.len() % 2 == 1 {
            return Err(StreamError::WrongArity);
        }
        if spec == IdSpec::Explicit(StreamId::MIN) {
            return Err(StreamError::IdZero);
        }
        if self.last_id == StreamId::MAX {
            return Err(StreamError::Exhausted);
        }
        let last = self.last_id;
        let id = match spec {
            IdSpec::Auto if now_ms > last.ms => StreamId::new(now_ms, 0),
            IdSpec::Auto => last.incr().ok_or(StreamError::Exhausted)?,
            IdSpec::AutoSeq(ms) if ms == last.ms => last
                .incr()
                .filter(|n| n.ms == ms)
                .ok_or(StreamError::IdNotGreater)?,
            IdSpec::AutoSeq(ms) => StreamId::new(ms, 0),
            IdSpec::Explicit(id) => id,
        };
        if id <= last {
            return Err(StreamError::IdNotGreater);
        }
        let total: u64 = fields.iter().map(|f| f.len() as u64).sum();
        if total > STREAM_LISTPACK_MAX_SIZE {
            return Err(StreamError::TooLarge);
        }
        self.append(id, fields, total, limits);
        let evicted = if self.length > self.capacity as u64 {
            self.trim(
                TrimStrategy::MaxLen(self.capacity as u64),
                false,
                None,
                limits,
            )
        } else {
            0
        };
        Ok(Added { id, evicted })
    }

    /// `streamAppendItem` after the ID checks: picks the tail node or opens one.
    fn append(&mut self, id: StreamId, fields: &[&[u8]], total: u64, limits: &NodeLimits) {
        let open_new = match self.nodes.back() {
            None => true,
            Some(tail) => {
                let max_bytes = match limits.max_bytes as u64 {
                    0 => STREAM_LISTPACK_MAX_SIZE,
                    b => b.min(STREAM_LISTPACK_MAX_SIZE),
                };
                tail.lp_bytes() + total >= max_bytes
                    || (limits.max_entries > 0
                        && (tail.count() as u64 + tail.deleted) >= limits.max_entries as u64)
            }
        };
        if open_new {
            let (master, charges) = match self.nodes.back_mut() {
                Some(tail) => {
                    let before = tail.heap_bytes();
                    tail.close();
                    self.node_bytes = self.node_bytes + tail.heap_bytes() - before;
                    if tail.master().matches(fields) {
                        (Arc::clone(tail.master()), false)
                    } else {
                        (Master::shared(fields), true)
                    }
                }
                None => (Master::shared(fields), true),
            };
            if self.nodes.capacity() == 0 {
                self.nodes.reserve_exact(1);
            }
            let node = Node::new(id, master, charges, fields, self.nodes.back());
            self.node_bytes += node.heap_bytes();
            self.nodes.push_back(node);
        } else {
            let last = self.nodes.len() - 1;
            self.with_node(last, |n| n.append(id, fields));
        }
        self.length += 1;
        self.entries_added = self.entries_added.wrapping_add(1);
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Runs `f` on node `i`, keeping the byte count up to date.
    fn with_node<R>(&mut self, i: usize, f: impl FnOnce(&mut Node) -> R) -> R {
        let node = &mut self.nodes[i];
        let before = node.heap_bytes();
        let r = f(node);
        self.node_bytes = self.node_bytes + node.heap_bytes() - before;
        r
    }

    /// Removes node `i`, handing its master-fields accounting to the next node
    /// of its run if that one shares them.
    fn remove_node(&mut self, i: usize) {
        let Some(node) = self.nodes.remove(i) else {
            return;
        };
        self.node_bytes -= node.heap_bytes();
        if node.charges_master {
            if let Some(next) = self.nodes.get_mut(i) {
                if !next.charges_master && Arc::ptr_eq(next.master(), node.master()) {
                    next.charges_master = true;
                    self.node_bytes += node.master().heap_bytes();
                }
            }
        }
        if self.nodes.is_empty() {
            self.nodes = VecDeque::new();
        }
    }

    /// XDEL: deletes the live entries with these IDs; returns how many existed.
    /// Updates `max-deleted-entry-id` and `recorded-first-entry-id` as Redis does.
    pub fn delete(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_entry = false;
        for &id in ids {
            let Some((n, i)) = self.locate(id) else {
                continue;
            };
            if self.nodes[n].count() == 1 {
                self.remove_node(n);
            } else {
                self.with_node(n, |node| node.delete_at(i));
            }
            self.length -= 1;
            if id == self.first_id {
                first_entry = true;
            }
            if id > self.max_deleted {
                self.max_deleted = id;
            }
            deleted += 1;
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_entry {
                self.first_id = self.first_live_id().unwrap_or(StreamId::MIN);
            }
        }
        deleted
    }

    /// The live entry `id`, if the stream holds it.
    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        let (n, i) = self.locate(id)?;
        Some(self.nodes[n].entry(i))
    }

    /// Node index and entry index of the live entry `id`.
    fn locate(&self, id: StreamId) -> Option<(usize, usize)> {
        let n = self.node_at_or_before(id)?;
        let node = &self.nodes[n];
        let i = node.lower_bound(id);
        (i < node.live().end && node.id(i) == id).then_some((n, i))
    }

    /// The last node whose first live ID is at most `id`. Only the front node
    /// can be empty of live entries; it counts as being before any ID.
    fn node_at_or_before(&self, id: StreamId) -> Option<usize> {
        let p = self.nodes.partition_point(|n| match n.first_live() {
            Some(first) => first <= id,
            None => true,
        });
        p.checked_sub(1)
    }

    fn first_live_id(&self) -> Option<StreamId> {
        self.nodes.iter().find_map(Node::first_live)
    }

    fn last_live_id(&self) -> Option<StreamId> {
        self.nodes.iter().rev().find_map(Node::last_live)
    }

    /// Number of live entries (XLEN).
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether the stream holds no live entry.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The last ID generated or set (`last-generated-id`).
    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// `recorded-first-entry-id`: the first live entry's ID as Redis records it
    /// (`0-0` when empty).
    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    /// `max-deleted-entry-id`: the largest ID removed by XDEL (trims leave it).
    pub fn max_deleted_id(&self) -> StreamId {
        self.max_deleted
    }

    /// `entries-added`: every entry ever appended.
    pub fn entries_added(&self) -> u64 {
        self.entries_added
    }

    /// `radix-tree-keys`: the number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// XSETID with its optional ENTRIESADDED and MAXDELETEDID, with Redis 7.0's
    /// checks in Redis's order. A `max_deleted` of `0-0` leaves it unchanged.
    pub fn set_id(
        &mut self,
        last: StreamId,
        entries_added: Option<u64>,
        max_deleted: Option<StreamId>,
    ) -> Result<(), StreamError> {
        if max_deleted.is_some_and(|m| last < m) {
            return Err(StreamError::SetIdMaxDeleted);
        }
        if self.length > 0 {
            if self.last_live_id().is_some_and(|top| last < top) {
                return Err(StreamError::SetIdTooSmall);
            }
            if entries_added.is_some_and(|added| self.length > added) {
                return Err(StreamError::SetIdEntriesAdded);
            }
        }
        self.last_id = last;
        if let Some(added) = entries_added {
            self.entries_added = added;
        }
        if let Some(m) = max_deleted.filter(|m| *m != StreamId::MIN) {
            self.max_deleted = m;
        }
        Ok(())
    }

    /// The key of each node, oldest first: the first ID appended to it, as Redis
    /// keys its radix tree (XINFO `radix-tree-nodes` is computed from these).
    pub fn node_keys(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.nodes.iter().map(|n| n.master_id)
    }

    /// The first live entry.
    pub fn first_entry(&self) -> Option<EntryRef<'_>> {
        self.nodes
            .iter()
            .find(|n| n.count() > 0)
            .map(|n| n.entry(n.live().start))
    }

    /// The last live entry.
    pub fn last_entry(&self) -> Option<EntryRef<'_>> {
        self.nodes
            .iter()
            .rev()
            .find(|n| n.count() > 0)
            .map(|n| n.entry(n.live().end - 1))
    }

    /// Bytes this stream holds: the struct and everything it owns. O(1).
    pub fn mem_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.node_bytes
    }
}
