//! One node of a stream: the twin of one listpack in Redis's radix tree.
//!
//! A node stores its entries compactly (see [`super::entry`]) and keeps the
//! counters Redis keeps in the listpack's master entry (`count`, `deleted`), plus
//! the byte size the Redis listpack would have, so the stream can open a new
//! node exactly where Redis does.
//!
//! Storage: `data` holds every entry's encoded fields back to back; `meta` holds,
//! per entry, its ID and the end of its bytes (see [`super::meta`]).
//! Entries before `head` are deleted (trimmed from the front); a deleted entry
//! elsewhere (XDEL) is removed from the storage at once, while its tombstone
//! still counts in `deleted` and in the emulated listpack size, as in Redis.

use std::ops::Range;
use std::sync::Arc;

use super::entry::{self, EntryRef, Master};
use super::lpsize::{elem, int_elem, LP_EOF_SIZE, LP_HDR_SIZE};
use super::meta::{grow, Meta};
use super::StreamId;

/// Listpack bytes one entry adds to its node (`streamAppendItem`): flags,
/// ms-diff, seq-diff, [num-fields, fields], values, lp-count.
fn entry_lp_size(master_id: StreamId, id: StreamId, fields: &[&[u8]], same: bool) -> u64 {
    let n = fields.len() / 2;
    let mut size = int_elem(if same { 2 } else { 0 });
    size += int_elem(id.ms.wrapping_sub(master_id.ms) as i64);
    size += int_elem(id.seq.wrapping_sub(master_id.seq) as i64);
    let mut lp_count = n + 3;
    if !same {
        size += int_elem(n as i64);
        size += fields.iter().step_by(2).map(|f| elem(f)).sum::<u64>();
        lp_count += n + 1;
    }
    size += fields
        .iter()
        .skip(1)
        .step_by(2)
        .map(|v| elem(v))
        .sum::<u64>();
    size + int_elem(lp_count as i64)
}

/// Listpack bytes of a master entry, without its `count` and `deleted` counters:
/// num-fields, the field names, the zero terminator.
fn master_lp_size(fields: &[&[u8]]) -> u64 {
    int_elem((fields.len() / 2) as i64)
        + fields.iter().step_by(2).map(|f| elem(f)).sum::<u64>()
        + int_elem(0)
}

/// The largest node whose size predicts the next node's (twice the default
/// `stream-node-max-bytes`).
const PREDICT_MAX_BYTES: usize = 8192;

/// The first allocation of a node's data: about five events of 100 bytes.
const FIRST_DATA_BYTES: usize = 512;

/// One node (see the module docs).
#[derive(Debug)]
pub(crate) struct Node {
    /// ID of the first entry ever appended: the node's key and delta base.
    pub(crate) master_id: StreamId,
    master: Arc<Master>,
    meta: Meta,
    data: Vec<u8>,
    /// Entries `[0, head)` are deleted; `[head, len)` are live.
    head: usize,
    /// Redis's `deleted` counter: tombstones in the listpack.
    pub(crate) deleted: u64,
    /// Emulated listpack bytes, except header, end byte, `count` and `deleted`.
    lp_rest: u64,
    /// ID of the last entry appended (live or not): what MINID compares.
    pub(crate) last_appended: StreamId,
    /// Whether this node accounts for the bytes of `master` (the first node of
    /// each run of nodes sharing it does).
    pub(crate) charges_master: bool,
}

impl Node {
    /// A node holding one entry, with `master` as its field names (which must
    /// match `fields`). `like` is the node before it, whose size predicts this
    /// one's: a stream of steady events then fills each node without a realloc.
    pub(crate) fn new(
        id: StreamId,
        master: Arc<Master>,
        charges_master: bool,
        fields: &[&[u8]],
        like: Option<&Node>,
    ) -> Node {
        let (data, meta) = match like {
            // A sixteenth of slack absorbs events a little larger than the last
            // node's; close() gives back what is left unused. Nodes of outsized
            // entries predict nothing: the next entry may be small.
            Some(prev) if prev.data.len() <= PREDICT_MAX_BYTES => (
                Vec::with_capacity(prev.data.len() + prev.data.len() / 64),
                Meta::with_capacity(prev.meta.len() + prev.meta.len() / 16),
            ),
            _ => (Vec::new(), Meta::default()),
        };
        let mut node = Node {
            master_id: id,
            master,
            meta,
            data,
            head: 0,
            deleted: 0,
            lp_rest: master_lp_size(fields),
            last_appended: id,
            charges_master,
        };
        node.push_entry(id, fields, true);
        node
    }

    /// The size in bytes Redis's listpack for this node would have (`lpBytes`).
    pub(crate) fn lp_bytes(&self) -> u64 {
        LP_HDR_SIZE
            + LP_EOF_SIZE
            + int_elem(self.count() as i64)
            + int_elem(self.deleted as i64)
            + self.lp_rest
    }

    /// Live entries (Redis's `count`).
    pub(crate) fn count(&self) -> usize {
        self.meta.len() - self.head
    }

    /// The shared master fields.
    pub(crate) fn master(&self) -> &Arc<Master> {
        &self.master
    }

    /// Appends an entry whose ID is greater than every live ID of the stream.
    pub(crate) fn append(&mut self, id: StreamId, fields: &[&[u8]]) {
        let same = self.master.matches(fields);
        self.push_entry(id, fields, same);
    }

    fn push_entry(&mut self, id: StreamId, fields: &[&[u8]], same: bool) {
        self.lp_rest += entry_lp_size(self.master_id, id, fields, same);
        let len = entry::encoded_len(fields, same);
        if self.data.len() + len > self.data.capacity() {
            if self.data.capacity() == 0 {
                // Room for a few events from the start: growing one event at a
                // time would leave a trail of freed blocks, too small for the
                // next stream's growth, in the heap.
                self.data.reserve_exact(len.max(FIRST_DATA_BYTES));
            } else {
                grow(&mut self.data, len, FIRST_DATA_BYTES);
            }
        }
        entry::encode(&mut self.data, fields, same);
        self.meta.push(id, self.data.len(), self.master_id);
        self.last_appended = id;
    }

    fn start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.meta.end(i - 1)
        }
    }

    /// Indexes of the live entries.
    pub(crate) fn live(&self) -> Range<usize> {
        self.head..self.meta.len()
    }

    /// ID of entry `i` (an index from [`Node::live`]).
    pub(crate) fn id(&self, i: usize) -> StreamId {
        self.meta.id(i, self.master_id)
    }

    /// Entry `i` (an index from [`Node::live`]).
    pub(crate) fn entry(&self, i: usize) -> EntryRef<'_> {
        let data = &self.data[self.start(i)..self.meta.end(i)];
        EntryRef::new(self.id(i), &self.master, data)
    }

    /// ID of the first live entry.
    pub(crate) fn first_live(&self) -> Option<StreamId> {
        (self.count() > 0).then(|| self.id(self.head))
    }

    /// ID of the last live entry.
    pub(crate) fn last_live(&self) -> Option<StreamId> {
        (self.count() > 0).then(|| self.id(self.meta.len() - 1))
    }

    /// First live index whose ID is not below `id` (or the end).
    pub(crate) fn lower_bound(&self, id: StreamId) -> usize {
        self.partition(|x| x < id)
    }

    /// First live index whose ID is above `id` (or the end).
    pub(crate) fn upper_bound(&self, id: StreamId) -> usize {
        self.partition(|x| x <= id)
    }

    /// First live index for which `below` is false (live IDs are increasing).
    fn partition(&self, below: impl Fn(StreamId) -> bool) -> usize {
        let (mut lo, mut hi) = (self.head, self.meta.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(self.id(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Deletes the first `n` live entries (trimming): O(1) amortised.
    pub(crate) fn delete_front(&mut self, n: usize) {
        let n = n.min(self.count());
        self.head += n;
        self.deleted += n as u64;
        self.compact();
    }

    /// Deletes live entry `i` (XDEL).
    pub(crate) fn delete_at(&mut self, i: usize) {
        if i == self.head {
            self.delete_front(1);
            return;
        }
        let (start, end) = (self.start(i), self.meta.end(i));
        self.data.drain(start..end);
        self.meta.remove(i, end - start);
        self.deleted += 1;
    }

    /// Drops the bytes of front-deleted entries once they are half the data, so
    /// trimming costs O(1) amortised and memory follows the live entries.
    fn compact(&mut self) {
        if self.head == 0 {
            return;
        }
        let dead = self.start(self.head);
        if dead * 2 < self.data.len() {
            return;
        }
        self.data.drain(..dead);
        self.meta.drain_front(self.head, dead);
        self.head = 0;
        let len = self.data.len();
        if self.data.capacity() > len + len / 2 {
            self.data.shrink_to(len + len / 4);
            let n = self.meta.len();
            self.meta.shrink(n + n / 4);
        }
    }

    /// Releases spare capacity: called when the node stops being the tail.
    pub(crate) fn close(&mut self) {
        self.data.shrink_to_fit();
        self.meta.shrink(0);
    }

    /// Heap bytes owned by this node.
    pub(crate) fn heap_bytes(&self) -> usize {
        let master = if self.charges_master {
            self.master.heap_bytes()
        } else {
            0
        };
        self.data.capacity() + self.meta.heap_bytes() + master
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(items: &[&'a str]) -> Vec<&'a [u8]> {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    #[test]
    fn listpack_size_of_first_entries() {
        // A fresh listpack with master entry (count=1, deleted=0, 2 fields,
        // "role", "data", 0) and one SAMEFIELDS entry (flags, 0, 0, "user",
        // 5-byte "hello", lp-count=5).
        let f = fields(&["role", "user", "data", "hello"]);
        let m = Arc::new(Master::new(&f));
        let mut node = Node::new(StreamId::new(100, 0), m, true, &f, None);
        let master = 2 + 2 + 2 + 6 + 6 + 2;
        let entry = 2 + 2 + 2 + 6 + 7 + 2;
        assert_eq!(node.lp_bytes(), 7 + master + entry);
        // An entry with other fields stores num-fields and the names too.
        let g = fields(&["x", "12345"]);
        node.append(StreamId::new(100, 300), &g);
        let entry2 = 2 + 2 + 3 + 2 + 3 + 4 + 2;
        assert_eq!(node.lp_bytes(), 7 + master + entry + entry2);
        assert_eq!(node.count(), 2);
        assert_eq!(node.id(1), StreamId::new(100, 300));
        // Deleting changes only the counters' sizes.
        node.delete_at(1);
        assert_eq!(node.lp_bytes(), 7 + master + entry + entry2);
        assert_eq!((node.count(), node.deleted), (1, 1));
    }

    #[test]
    fn counters_resize_past_127() {
        let f = fields(&["a", "b"]);
        let m = Arc::new(Master::new(&f));
        let mut node = Node::new(StreamId::new(1, 0), m, true, &f, None);
        let one = node.lp_bytes();
        for seq in 1..127 {
            node.append(StreamId::new(1, seq), &f);
        }
        let at127 = node.lp_bytes();
        node.append(StreamId::new(1, 127), &f);
        let entry = 2 + 2 + 2 + 3 + 2; // seq-diff 127 still fits 7 bits
        assert_eq!(
            node.lp_bytes(),
            at127 + entry + 1,
            "count 128 needs 13 bits"
        );
        assert!(one < at127);
    }

    #[test]
    fn wide_ids_and_front_deletes() {
        let f = fields(&["k", "v"]);
        let m = Arc::new(Master::new(&f));
        let mut node = Node::new(StreamId::new(5, 10), m, true, &f, None);
        node.append(StreamId::new(5 + (1 << 40), 0), &f);
        node.append(StreamId::new(u64::MAX, u64::MAX), &f);
        let ids: Vec<_> = node.live().map(|i| node.id(i)).collect();
        assert_eq!(
            ids,
            vec![
                StreamId::new(5, 10),
                StreamId::new(5 + (1 << 40), 0),
                StreamId::new(u64::MAX, u64::MAX)
            ]
        );
        assert_eq!(node.lower_bound(StreamId::new(6, 0)), 1);
        assert_eq!(node.upper_bound(StreamId::MAX), 3);
        node.delete_front(2);
        assert_eq!(node.first_live(), Some(StreamId::MAX));
        assert_eq!(node.entry(node.live().start).fields().count(), 1);
        node.delete_front(1);
        assert_eq!(node.count(), 0);
        assert_eq!(node.first_live(), None);
        assert_eq!(node.deleted, 3);
    }
}
