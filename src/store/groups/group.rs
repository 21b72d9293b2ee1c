//! One consumer group: its position in the stream, its consumers, and its pending
//! entries list (PEL): entries delivered to a consumer and not acknowledged yet.
//!
//! As in Redis, the PEL is kept twice: by the group (ID → owner, delivery time and
//! count) and by each consumer (the IDs it owns), so XPENDING for one consumer and
//! XREADGROUP's history read don't scan the whole group. Both are ordered maps that
//! grow with the entries pending, so an idle group costs a few dozen bytes.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use crate::store::stream::{Stream, StreamId};

/// A pending entry: delivered, not acknowledged (Redis's `streamNACK`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    /// The consumer that owns it (the name is shared with the consumer's key).
    pub consumer: Bytes,
    /// Milliseconds since the epoch of the last delivery.
    pub delivery_time: u64,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Debug, Clone, Default)]
pub struct Consumer {
    /// Milliseconds since the epoch it last read or claimed (XINFO `idle`).
    pub seen_time: u64,
    /// The IDs it owns in the group's PEL.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group (Redis's `streamCG`).
#[derive(Debug, Clone)]
pub struct Group {
    /// The last ID delivered to any consumer (`last-delivered-id`).
    pub last_id: StreamId,
    /// The read counter of `last_id` (`entries-read`); `None` when unknown (-1).
    pub entries_read: Option<i64>,
    pub(super) pel: BTreeMap<StreamId, Nack>,
    pub(super) consumers: BTreeMap<Bytes, Consumer>,
}

/// One row of XPENDING's extended form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    /// The entry's ID.
    pub id: StreamId,
    /// Its owner.
    pub consumer: Bytes,
    /// Milliseconds since its last delivery (never negative).
    pub idle: u64,
    /// Deliveries so far.
    pub delivery_count: u64,
}

/// XPENDING's summary form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSummary {
    /// Entries pending in the group.
    pub count: usize,
    /// The smallest and largest pending IDs (`None` when nothing is pending).
    pub bounds: Option<(StreamId, StreamId)>,
    /// Consumers owning at least one entry, by name, with how many they own.
    pub consumers: Vec<(Bytes, usize)>,
}

/// Which entries XPENDING's extended form lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingQuery<'a> {
    /// First ID (inclusive).
    pub start: StreamId,
    /// Last ID (inclusive).
    pub end: StreamId,
    /// At most this many rows.
    pub count: usize,
    /// Only entries idle for at least this many milliseconds (0: all).
    pub min_idle: u64,
    /// Only this consumer's entries.
    pub consumer: Option<&'a [u8]>,
}

/// Milliseconds between `then` and `now`, negative when `then` is in the future,
/// as Redis's `now - delivery_time` on `mstime_t`.
pub(super) fn idle_ms(now: u64, then: u64) -> i64 {
    (now as i64).wrapping_sub(then as i64)
}

impl Group {
    /// A group positioned after `last_id`, with `entries_read` as given
    /// (XGROUP CREATE ... ENTRIESREAD; `None` for -1).
    pub fn new(last_id: StreamId, entries_read: Option<i64>) -> Self {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Entries pending in the group.
    pub fn pending_len(&self) -> usize {
        self.pel.len()
    }

    /// Number of consumers.
    pub fn consumer_count(&self) -> usize {
        self.consumers.len()
    }

    /// The consumers in name order (XINFO CONSUMERS).
    pub fn consumers(&self) -> impl Iterator<Item = (&Bytes, &Consumer)> {
        self.consumers.iter()
    }

    /// The group's PEL in ID order (XINFO STREAM FULL).
    pub fn pending(&self) -> impl Iterator<Item = (StreamId, &Nack)> {
        self.pel.iter().map(|(id, nack)| (*id, nack))
    }

    /// The pending entry `id`.
    pub fn nack(&self, id: StreamId) -> Option<&Nack> {
        self.pel.get(&id)
    }

    /// XGROUP CREATECONSUMER: true when it did not exist.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.insert_consumer(name, now);
        true
    }

    fn insert_consumer(&mut self, name: &[u8], now: u64) -> Bytes {
        // Copied: a slice of the request would keep its whole read buffer alive.
        let name = Bytes::copy_from_slice(name);
        self.consumers.insert(
            name.clone(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        name
    }

    /// Looks the consumer up, refreshing its seen time, and creates it when
    /// missing (as XREADGROUP and XCLAIM do). Returns its shared name.
    pub fn touch_consumer(&mut self, name: &[u8], now: u64) -> Bytes {
        match self.consumers.get_key_value(name) {
            Some((key, _)) => {
                let key = key.clone();
                if let Some(c) = self.consumers.get_mut(name) {
                    c.seen_time = now;
                }
                key
            }
            None => self.insert_consumer(name, now),
        }
    }

    /// XGROUP DELCONSUMER: removes the consumer and its pending entries; returns
    /// how many it had (0 when there is no such consumer).
    pub fn delete_consumer(&mut self, name: &[u8]) -> usize {
        let Some(consumer) = self.consumers.remove(name) else {
            return 0;
        };
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        consumer.pel.len()
    }

    /// XACK: acknowledges the IDs that are pending; returns how many were.
    pub fn ack(&mut self, ids: &[StreamId]) -> usize {
        ids.iter()
            .filter(|&&id| self.remove_nack(id).is_some())
            .count()
    }

    /// Removes a pending entry from the group and from its owner.
    pub(super) fn remove_nack(&mut self, id: StreamId) -> Option<Nack> {
        let nack = self.pel.remove(&id)?;
        if let Some(owner) = self.consumers.get_mut(&nack.consumer) {
            owner.pel.remove(&id);
        }
        Some(nack)
    }

    /// Makes `consumer` the owner of pending entry `id` (already in the group's
    /// PEL), moving it from its previous owner.
    pub(super) fn reassign(&mut self, id: StreamId, consumer: &Bytes) {
        let Some(nack) = self.pel.get_mut(&id) else {
            return;
        };
        if nack.consumer != *consumer {
            let previous = std::mem::replace(&mut nack.consumer, consumer.clone());
            if let Some(owner) = self.consumers.get_mut(&previous) {
                owner.pel.remove(&id);
            }
        }
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pel.insert(id);
        }
    }

    /// XPENDING key group: the count, the ID bounds and the owners.
    pub fn summary(&self) -> PendingSummary {
        let bounds = match (self.pel.keys().next(), self.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => Some((first, last)),
            _ => None,
        };
        PendingSummary {
            count: self.pel.len(),
            bounds,
            consumers: self
                .consumers
                .iter()
                .filter(|(_, c)| !c.pel.is_empty())
                .map(|(name, c)| (name.clone(), c.pel.len()))
                .collect(),
        }
    }

    /// XPENDING's extended form. An unknown consumer lists nothing.
    pub fn pending_rows(&self, q: PendingQuery<'_>, now: u64) -> Vec<PendingRow> {
        let mut rows = Vec::new();
        if q.count == 0 || q.start > q.end {
            return rows;
        }
        let ids: Box<dyn Iterator<Item = StreamId> + '_> = match q.consumer {
            Some(name) => match self.consumers.get(name) {
                Some(c) => Box::new(c.pel.range(q.start..=q.end).copied()),
                None => return rows,
            },
            None => Box::new(self.pel.range(q.start..=q.end).map(|(id, _)| *id)),
        };
        for id in ids {
            let Some(nack) = self.pel.get(&id) else {
                continue;
            };
            let idle = idle_ms(now, nack.delivery_time);
            if q.min_idle > 0 && idle < q.min_idle as i64 {
                continue;
            }
            rows.push(PendingRow {
                id,
                consumer: nack.consumer.clone(),
                idle: idle.max(0) as u64,
                delivery_count: nack.delivery_count,
            });
            if rows.len() == q.count {
                break;
            }
        }
        rows
    }

    /// Keeps the PEL within `max` entries (the stream's capacity): when it holds
    /// more, entries the stream no longer has go first, oldest first. A ring can
    /// hold at most `max` live entries, so only gone entries are ever dropped.
    /// Returns how many were dropped.
    pub(super) fn enforce_bound(&mut self, stream: &Stream, max: usize) -> usize {
        let mut dropped = 0;
        while self.pel.len() > max {
            let first_live = stream.first_entry().map(|e| e.id);
            let oldest = self.pel.keys().next().copied();
            let victim = match (oldest, first_live) {
                (Some(id), Some(first)) if id >= first => self
                    .pel
                    .keys()
                    .copied()
                    .find(|&id| stream.get(id).is_none()),
                (oldest, _) => oldest,
            };
            let Some(id) = victim else {
                break;
            };
            self.remove_nack(id);
            dropped += 1;
        }
        dropped
    }

    /// Pending entries with IDs in `[from, to)`: the ones a trim of that range
    /// just overwrote.
    pub fn pending_in(&self, from: StreamId, to: StreamId) -> usize {
        if from >= to {
            return 0;
        }
        self.pel.range(from..to).count()
    }

    /// Bytes this group holds beyond its name, estimated from its sizes: ordered
    /// maps cost about their entries plus a node header per 11 of them.
    pub fn mem_bytes(&self) -> usize {
        const SLACK: usize = 2; // per-entry share of the B-tree nodes' headers and slack
        let nack = std::mem::size_of::<StreamId>() + std::mem::size_of::<Nack>();
        let consumer = std::mem::size_of::<Bytes>() + std::mem::size_of::<Consumer>();
        let mut bytes = std::mem::size_of::<Group>() + self.pel.len() * (nack + 8 * SLACK);
        for (name, c) in &self.consumers {
            bytes +=
                consumer + name.len() + c.pel.len() * (std::mem::size_of::<StreamId>() + 4 * SLACK);
        }
        bytes
    }
}
