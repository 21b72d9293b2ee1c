//! The per-entry metadata column of a node: each entry's ID and the end offset
//! of its bytes in the node's data buffer.
//!
//! Three widths, chosen per node and widened on demand (never narrowed):
//! - [`Compact`], 8 bytes: ms delta from the master ID < 2^32, sequence < 2^16,
//!   end offset < 2^16 — every node of the default 4 KB size with auto IDs;
//! - [`Narrow`], 12 bytes: the same with 32-bit sequence and offset;
//! - [`Wide`], 24 bytes: anything (IDs before the master ID after XSETID, huge
//!   sequences, nodes past 4 GB).

use super::StreamId;

/// One entry's metadata, in one of the three widths.
trait Slot: Copy {
    /// The slot for `id` ending at `end`, if it fits this width.
    fn make(id: StreamId, end: usize, base: StreamId) -> Option<Self>;
    fn id(&self, base: StreamId) -> StreamId;
    fn end(&self) -> usize;
    /// Moves the end offset `by` bytes down (data removed before it).
    fn lower(&mut self, by: usize);
}

/// 8-byte slot.
#[derive(Debug, Clone, Copy)]
struct Compact {
    ms: u32,
    seq: u16,
    end: u16,
}

/// 12-byte slot.
#[derive(Debug, Clone, Copy)]
struct Narrow {
    ms: u32,
    seq: u32,
    end: u32,
}

/// 24-byte slot.
#[derive(Debug, Clone, Copy)]
struct Wide {
    id: StreamId,
    end: usize,
}

impl Slot for Compact {
    fn make(id: StreamId, end: usize, base: StreamId) -> Option<Self> {
        Some(Compact {
            ms: u32::try_from(id.ms.wrapping_sub(base.ms)).ok()?,
            seq: u16::try_from(id.seq).ok()?,
            end: u16::try_from(end).ok()?,
        })
    }
    fn id(&self, base: StreamId) -> StreamId {
        StreamId::new(
            base.ms.wrapping_add(u64::from(self.ms)),
            u64::from(self.seq),
        )
    }
    fn end(&self) -> usize {
        usize::from(self.end)
    }
    fn lower(&mut self, by: usize) {
        self.end -= by as u16;
    }
}

impl Slot for Narrow {
    fn make(id: StreamId, end: usize, base: StreamId) -> Option<Self> {
        Some(Narrow {
            ms: u32::try_from(id.ms.wrapping_sub(base.ms)).ok()?,
            seq: u32::try_from(id.seq).ok()?,
            end: u32::try_from(end).ok()?,
        })
    }
    fn id(&self, base: StreamId) -> StreamId {
        StreamId::new(
            base.ms.wrapping_add(u64::from(self.ms)),
            u64::from(self.seq),
        )
    }
    fn end(&self) -> usize {
        self.end as usize
    }
    fn lower(&mut self, by: usize) {
        self.end -= by as u32;
    }
}

impl Slot for Wide {
    fn make(id: StreamId, end: usize, _base: StreamId) -> Option<Self> {
        Some(Wide { id, end })
    }
    fn id(&self, _base: StreamId) -> StreamId {
        self.id
    }
    fn end(&self) -> usize {
        self.end
    }
    fn lower(&mut self, by: usize) {
        self.end -= by;
    }
}

/// Grows `v` to hold `extra` more items. From its first size (`first` items) it
/// grows by a quarter, so a session of a few events ends with little slack; past
/// that the node is filling up, and it doubles: a node then takes a handful of
/// reallocations instead of dozens, each of which, with two threads appending,
/// could wait on the allocator's lock. A node gives back its slack when it stops
/// being the tail ([`super::node::Node::close`]).
pub(crate) fn grow<T>(v: &mut Vec<T>, extra: usize, first: usize) {
    let need = v.len() + extra;
    if need > v.capacity() {
        let step = if v.capacity() <= first {
            v.len() / 4
        } else {
            v.len()
        };
        v.reserve_exact(need.max(v.len() + step) - v.len());
    }
}

/// The first allocation of a node's metadata, in entries.
const FIRST_SLOTS: usize = 4;

/// Re-encodes every slot of `from` at a wider width.
fn widen<A: Slot, B: Slot>(from: &[A], base: StreamId) -> Option<Vec<B>> {
    let mut to = Vec::with_capacity(from.len() + from.len() / 4 + 1);
    for s in from {
        to.push(B::make(s.id(base), s.end(), base)?);
    }
    Some(to)
}

/// The column's vector, at its current width.
#[derive(Debug)]
enum Column {
    Compact(Vec<Compact>),
    Narrow(Vec<Narrow>),
    Wide(Vec<Wide>),
}

/// The metadata column (see the module docs).
#[derive(Debug)]
pub(crate) struct Meta(Column);

/// Runs `$body` with `$v` bound to the column's vector, whatever its width.
macro_rules! each {
    ($meta:expr, $v:ident => $body:expr) => {
        match $meta {
            Column::Compact($v) => $body,
            Column::Narrow($v) => $body,
            Column::Wide($v) => $body,
        }
    };
}

fn slot_size<T>(_: &[T]) -> usize {
    std::mem::size_of::<T>()
}

impl Default for Meta {
    fn default() -> Self {
        Meta(Column::Compact(Vec::new()))
    }
}

impl Meta {
    /// An empty column with room for `n` entries of the compact width.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Meta(Column::Compact(Vec::with_capacity(n)))
    }

    pub(crate) fn len(&self) -> usize {
        each!(&self.0, v => v.len())
    }

    /// ID of entry `i`; `base` is the node's master ID.
    pub(crate) fn id(&self, i: usize, base: StreamId) -> StreamId {
        each!(&self.0, v => v[i].id(base))
    }

    /// End offset of entry `i`'s bytes.
    pub(crate) fn end(&self, i: usize) -> usize {
        each!(&self.0, v => v[i].end())
    }

    /// Appends an entry, widening the column if it does not fit.
    pub(crate) fn push(&mut self, id: StreamId, end: usize, base: StreamId) {
        loop {
            let pushed = each!(&mut self.0, v => match Slot::make(id, end, base) {
                Some(slot) => {
                    if v.capacity() == 0 {
                        // As node data: room for a few entries from the start.
                        v.reserve_exact(FIRST_SLOTS);
                    }
                    grow(v, 1, FIRST_SLOTS);
                    v.push(slot);
                    true
                }
                None => false,
            });
            if pushed {
                return;
            }
            self.widen(base);
        }
    }

    /// Moves to the next width.
    fn widen(&mut self, base: StreamId) {
        let wider = match &self.0 {
            Column::Compact(v) => match widen(v, base) {
                Some(n) => Column::Narrow(n),
                None => Column::Wide(widen(v, base).unwrap_or_default()),
            },
            Column::Narrow(v) => Column::Wide(widen(v, base).unwrap_or_default()),
            Column::Wide(_) => return,
        };
        self.0 = wider;
    }

    /// Removes entry `i`, whose `bytes` were cut out of the data.
    pub(crate) fn remove(&mut self, i: usize, bytes: usize) {
        each!(&mut self.0, v => {
            v.remove(i);
            v[i..].iter_mut().for_each(|s| s.lower(bytes));
        })
    }

    /// Removes the first `n` entries, whose `bytes` were cut out of the data.
    pub(crate) fn drain_front(&mut self, n: usize, bytes: usize) {
        each!(&mut self.0, v => {
            v.drain(..n);
            v.iter_mut().for_each(|s| s.lower(bytes));
        })
    }

    /// Shrinks the capacity towards `to` entries.
    pub(crate) fn shrink(&mut self, to: usize) {
        each!(&mut self.0, v => v.shrink_to(to))
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        each!(&self.0, v => v.capacity() * slot_size(v))
    }
}
