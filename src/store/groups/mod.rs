//! Consumer groups on a stream: synchronous, no networking.
//!
//! A stream's groups live beside its ring in the stream's cell, under the same
//! lock. Everything follows Redis 7.0.15 (`t_stream.c`): the PEL, delivery counts,
//! the read counter and `lag` ([`lag`]), claiming. The ring adds one case Redis
//! rarely meets: a pending entry can be overwritten before it is acknowledged. It
//! is then treated as Redis treats a trimmed entry (XCLAIM and XAUTOCLAIM drop it
//! and report it deleted; a history read returns it with a nil body), and the PEL
//! is bounded by the stream's capacity (see [`Group`]'s `enforce_bound`).

mod deliver;
mod group;
pub mod lag;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use bytes::Bytes;

pub use deliver::{AutoClaim, AutoClaimed, ClaimOptions, ReadNew};
pub use group::{Consumer, Group, Nack, PendingQuery, PendingRow, PendingSummary};

/// A stream's consumer groups, by name in byte order (as XINFO GROUPS lists
/// them). Empty costs no allocation.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    map: BTreeMap<Bytes, Group>,
}

impl Groups {
    /// Number of groups.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the stream has no group.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The group called `name`.
    pub fn get(&self, name: &[u8]) -> Option<&Group> {
        self.map.get(name)
    }

    /// The group called `name`, to change it.
    pub fn get_mut(&mut self, name: &[u8]) -> Option<&mut Group> {
        self.map.get_mut(name)
    }

    /// XGROUP CREATE: false when a group by that name exists already.
    pub fn create(&mut self, name: &[u8], group: Group) -> bool {
        if self.map.contains_key(name) {
            return false;
        }
        self.map.insert(Bytes::copy_from_slice(name), group);
        true
    }

    /// XGROUP DESTROY: true when the group existed.
    pub fn destroy(&mut self, name: &[u8]) -> bool {
        self.map.remove(name).is_some()
    }

    /// The groups in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Group)> {
        self.map.iter()
    }

    /// Pending entries of every group with IDs in `[from, to)`: counted when a
    /// trim or ring overwrite removes that range from the stream.
    pub fn pending_in(
        &self,
        from: crate::store::stream::StreamId,
        to: crate::store::stream::StreamId,
    ) -> u64 {
        self.map
            .values()
            .map(|g| g.pending_in(from, to) as u64)
            .sum()
    }

    /// Bytes the groups hold (estimated; see [`Group::mem_bytes`]).
    pub fn mem_bytes(&self) -> usize {
        self.map
            .iter()
            .map(|(name, g)| name.len() + g.mem_bytes())
            .sum()
    }
}
