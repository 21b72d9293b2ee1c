//! A group's `entries-read` counter and `lag`, computed exactly as Redis 7.0 does.
//!
//! Redis counts the entries a group has read (its position in the sequence of every
//! entry ever appended) so that `lag = entries-added - entries-read`. The counter is
//! only trusted while no deleted entry (a "tombstone") lies ahead of the group; when
//! one might, Redis estimates it from the stream's first and last IDs, or reports it
//! as unknown (null). Ring overwrites are trims: they move `recorded-first-entry-id`
//! forward and leave no tombstone. As in Redis, a valid counter is only ever
//! incremented, so entries trimmed before a group read them are not counted in
//! its `entries-read` (redis-server 7.0.15 reports the same figures).

use crate::store::stream::{Stream, StreamId};

/// `streamRangeHasTombstones(s, start, NULL)`: whether an XDEL'd entry may lie at
/// or after `start` among the live entries.
pub(crate) fn has_tombstones_from(s: &Stream, start: StreamId) -> bool {
    let max_deleted = s.max_deleted_id();
    if s.is_empty() || max_deleted == StreamId::MIN {
        return false;
    }
    if s.first_id() > max_deleted {
        // The latest tombstone is before the first entry.
        return false;
    }
    start <= max_deleted
}

/// `streamEstimateDistanceFromFirstEverEntry`: the read counter of `id` (how many
/// entries ever appended are at or before it), when it can be known; `None` when
/// it can't (an ID between the first and last entries of a stream with deletions,
/// or a future ID).
pub fn estimate_entries_read(s: &Stream, id: StreamId) -> Option<i64> {
    // Redis keeps these in `long long`: the casts wrap exactly as C's do.
    let added = s.entries_added() as i64;
    if added == 0 {
        return Some(0);
    }
    if s.is_empty() && id <= s.last_id() {
        return Some(added);
    }
    match id.cmp(&s.last_id()) {
        std::cmp::Ordering::Equal => return Some(added),
        std::cmp::Ordering::Greater => return None,
        std::cmp::Ordering::Less => {}
    }
    let max_deleted = s.max_deleted_id();
    if max_deleted == StreamId::MIN || max_deleted < s.first_id() {
        // No fragmentation ahead.
        let before_first = added.wrapping_sub(s.len() as i64);
        match id.cmp(&s.first_id()) {
            std::cmp::Ordering::Less => return Some(before_first),
            std::cmp::Ordering::Equal => return Some(before_first.wrapping_add(1)),
            std::cmp::Ordering::Greater => {}
        }
    }
    None
}

/// `streamReplyWithCGLag`: entries in the stream the group has yet to read, or
/// `None` (a null reply) when that can't be known.
pub fn lag(s: &Stream, last_id: StreamId, entries_read: Option<i64>) -> Option<i64> {
    let added = s.entries_added() as i64;
    if added == 0 {
        return Some(0);
    }
    if let Some(read) = entries_read {
        if !has_tombstones_from(s, last_id) {
            return Some(added.wrapping_sub(read));
        }
    }
    estimate_entries_read(s, last_id).map(|read| added.wrapping_sub(read))
}

/// The counter after delivering entry `id` beyond the group's last ID, as
/// `streamReplyWithRange` updates it: incremented while valid and nothing deleted
/// lies ahead, re-estimated otherwise.
pub(crate) fn advance(s: &Stream, entries_read: Option<i64>, id: StreamId) -> Option<i64> {
    match entries_read {
        Some(read) if !has_tombstones_from(s, id) => Some(read.wrapping_add(1)),
        _ if s.entries_added() > 0 => estimate_entries_read(s, id),
        other => other,
    }
}
