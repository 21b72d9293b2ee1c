//! Handing entries to consumers: XREADGROUP (new entries and history), XCLAIM and
//! XAUTOCLAIM, with Redis 7.0's rules for the PEL, delivery counts and times, and
//! the group's read counter.
//!
//! The store knows no RESP: each operation passes what it hands out to an `emit`
//! callback, and the command writes it.

use bytes::Bytes;

use super::group::{idle_ms, Group, Nack};
use super::lag::advance;
use crate::store::stream::{EntryRef, Stream, StreamId};

/// What XREADGROUP with `>` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadNew {
    /// At most this many entries (`None`: all).
    pub count: Option<usize>,
    /// NOACK: deliver without adding to the PEL.
    pub noack: bool,
    /// The PEL's bound: the stream's capacity.
    pub max_pending: usize,
}

/// XCLAIM's options once parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimOptions {
    /// Claim only entries idle at least this long (ms; 0: any).
    pub min_idle: u64,
    /// The delivery time to record (IDLE/TIME, already clamped to `[0, now]`).
    pub delivery_time: u64,
    /// RETRYCOUNT: the delivery count to set.
    pub retry_count: Option<u64>,
    /// FORCE: create pending entries for IDs that exist in the stream.
    pub force: bool,
    /// JUSTID: don't count this as a delivery.
    pub justid: bool,
    /// LASTID: move the group's last ID forward to this.
    pub last_id: StreamId,
    /// The PEL's bound: the stream's capacity.
    pub max_pending: usize,
}

/// XAUTOCLAIM's arguments once parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoClaim {
    /// Where the scan of the PEL starts (inclusive).
    pub start: StreamId,
    /// Claim (or report deleted) at most this many entries.
    pub count: usize,
    /// Claim only entries idle at least this long (ms; 0: any).
    pub min_idle: u64,
    /// JUSTID: don't count this as a delivery.
    pub justid: bool,
}

/// XAUTOCLAIM's outcome besides the entries it emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoClaimed {
    /// Where the next call should start (`0-0` when the scan reached the end).
    pub next: StreamId,
    /// Pending entries the stream no longer has, dropped from the PEL.
    pub deleted: Vec<StreamId>,
}

impl Group {
    /// XREADGROUP with `>`: delivers the entries after the group's last ID to
    /// `consumer` (created if needed), advancing the group and, unless NOACK,
    /// adding them to the PEL. Returns how many were emitted and how many pending
    /// entries the PEL's bound dropped.
    pub fn read_new(
        &mut self,
        stream: &Stream,
        consumer: &[u8],
        opts: ReadNew,
        now: u64,
        mut emit: impl FnMut(EntryRef<'_>),
    ) -> (usize, usize) {
        let name = self.touch_consumer(consumer, now);
        let Some(start) = self.last_id.incr() else {
            return (0, 0);
        };
        let mut emitted = 0;
        let mut delivered = Vec::new();
        for entry in stream.range(start, StreamId::MAX, opts.count, false) {
            let id = entry.id;
            if id > self.last_id {
                self.entries_read = advance(stream, self.entries_read, id);
                self.last_id = id;
            }
            emit(entry);
            emitted += 1;
            if !opts.noack {
                delivered.push(id);
            }
        }
        for id in delivered {
            self.add_pending(id, &name, now);
        }
        let dropped = self.enforce_bound(stream, opts.max_pending);
        (emitted, dropped)
    }

    /// Records a first delivery of `id` to `consumer`. An ID that is pending
    /// already (XGROUP SETID can replay entries) moves to the new consumer with
    /// its count reset, as Redis does.
    fn add_pending(&mut self, id: StreamId, consumer: &Bytes, now: u64) {
        let nack = Nack {
            consumer: consumer.clone(),
            delivery_time: now,
            delivery_count: 1,
        };
        match self.pel.get_mut(&id) {
            None => {
                self.pel.insert(id, nack);
                if let Some(owner) = self.consumers.get_mut(consumer) {
                    owner.pel.insert(id);
                }
            }
            Some(existing) => {
                existing.delivery_time = now;
                existing.delivery_count = 1;
                self.reassign(id, consumer);
            }
        }
    }

    /// XREADGROUP with an ID: the consumer's own pending entries from `start`,
    /// each counted as delivered again. An entry the stream no longer has (deleted,
    /// trimmed or overwritten by the ring) is emitted as `None`.
    pub fn read_history(
        &mut self,
        stream: &Stream,
        consumer: &[u8],
        start: StreamId,
        count: Option<usize>,
        now: u64,
        mut emit: impl FnMut(StreamId, Option<EntryRef<'_>>),
    ) -> usize {
        self.touch_consumer(consumer, now);
        let ids: Vec<StreamId> = match self.consumers.get(consumer) {
            Some(c) => c
                .pel
                .range(start..)
                .take(count.unwrap_or(usize::MAX))
                .copied()
                .collect(),
            None => Vec::new(),
        };
        for &id in &ids {
            let entry = stream.get(id);
            if entry.is_some() {
                if let Some(nack) = self.pel.get_mut(&id) {
                    nack.delivery_time = now;
                    nack.delivery_count = nack.delivery_count.wrapping_add(1);
                }
            }
            emit(id, entry);
        }
        ids.len()
    }

    /// XCLAIM: gives `consumer` the pending entries among `ids` (in that order)
    /// that pass the idle test. IDs the stream no longer has are dropped from the
    /// PEL and skipped. Emits each claimed entry; returns how many.
    pub fn claim(
        &mut self,
        stream: &Stream,
        consumer: &[u8],
        ids: &[StreamId],
        opts: ClaimOptions,
        now: u64,
        mut emit: impl FnMut(StreamId, EntryRef<'_>),
    ) -> usize {
        if opts.last_id > self.last_id {
            self.last_id = opts.last_id;
        }
        let mut owner: Option<Bytes> = None;
        let mut claimed = 0;
        for &id in ids {
            let Some(entry) = stream.get(id) else {
                self.remove_nack(id);
                continue;
            };
            let forced = opts.force && !self.pel.contains_key(&id);
            let Some(nack) = self.pel.get(&id) else {
                if !forced {
                    continue;
                }
                // FORCE makes a fresh entry as Redis does (count 1, then the
                // common path below counts this delivery too).
                let name = self.owner(&mut owner, consumer, now);
                self.pel.insert(
                    id,
                    Nack {
                        consumer: name.clone(),
                        delivery_time: now,
                        delivery_count: 1,
                    },
                );
                self.finish_claim(id, &name, opts.delivery_time, opts.retry_count, opts.justid);
                emit(id, entry);
                claimed += 1;
                continue;
            };
            if opts.min_idle > 0 && idle_ms(now, nack.delivery_time) < opts.min_idle as i64 {
                continue;
            }
            let name = self.owner(&mut owner, consumer, now);
            self.finish_claim(id, &name, opts.delivery_time, opts.retry_count, opts.justid);
            emit(id, entry);
            claimed += 1;
        }
        self.enforce_bound(stream, opts.max_pending);
        claimed
    }

    /// The claiming consumer, looked up (and created) on the first claim only, as
    /// Redis does: a claim that takes nothing leaves no consumer behind.
    fn owner(&mut self, owner: &mut Option<Bytes>, consumer: &[u8], now: u64) -> Bytes {
        match owner {
            Some(name) => name.clone(),
            None => {
                let name = self.touch_consumer(consumer, now);
                *owner = Some(name.clone());
                name
            }
        }
    }

    /// Sets a claimed entry's time and count and moves it to `consumer`.
    fn finish_claim(
        &mut self,
        id: StreamId,
        consumer: &Bytes,
        delivery_time: u64,
        retry_count: Option<u64>,
        justid: bool,
    ) {
        if let Some(nack) = self.pel.get_mut(&id) {
            nack.delivery_time = delivery_time;
            match retry_count {
                Some(n) => nack.delivery_count = n,
                None if !justid => nack.delivery_count = nack.delivery_count.wrapping_add(1),
                None => {}
            }
        }
        self.reassign(id, consumer);
    }

    /// XAUTOCLAIM: scans the PEL from `opts.start`, visiting at most `count * 10`
    /// entries, and gives `consumer` up to `count` entries idle at least
    /// `min_idle` ms. Entries the stream no longer has are dropped and reported
    /// (they count towards `count`, as in Redis).
    pub fn autoclaim(
        &mut self,
        stream: &Stream,
        consumer: &[u8],
        opts: AutoClaim,
        now: u64,
        mut emit: impl FnMut(StreamId, EntryRef<'_>),
    ) -> AutoClaimed {
        let AutoClaim {
            start,
            count,
            min_idle,
            justid,
        } = opts;
        let mut attempts = count.saturating_mul(10);
        let mut remaining = count;
        let mut cursor = Some(start);
        let mut deleted = Vec::new();
        let mut owner: Option<Bytes> = None;
        while attempts > 0 && remaining > 0 {
            attempts -= 1;
            let Some(from) = cursor else { break };
            let Some((id, delivery_time)) = self
                .pel
                .range(from..)
                .next()
                .map(|(id, n)| (*id, n.delivery_time))
            else {
                cursor = None;
                break;
            };
            cursor = id.incr();
            let Some(entry) = stream.get(id) else {
                self.remove_nack(id);
                deleted.push(id);
                remaining -= 1;
                continue;
            };
            if min_idle > 0 && idle_ms(now, delivery_time) < min_idle as i64 {
                continue;
            }
            let name = self.owner(&mut owner, consumer, now);
            self.finish_claim(id, &name, now, None, justid);
            emit(id, entry);
            remaining -= 1;
        }
        let next = cursor
            .and_then(|from| self.pel.range(from..).next().map(|(id, _)| *id))
            .unwrap_or(StreamId::MIN);
        AutoClaimed { next, deleted }
    }
}
