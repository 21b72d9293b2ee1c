//! XTRIM / XADD trimming: Redis 7.0's `streamTrim`, node by node from the head.

use super::{NodeLimits, Stream, StreamId};

/// What to trim to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimStrategy {
    /// `MAXLEN n`: keep at most `n` entries.
    MaxLen(u64),
    /// `MINID id`: drop entries with IDs below `id`.
    MinId(StreamId),
}

/// XADD/XTRIM's LIMIT when `~` is given without one: 100 nodes' worth of
/// entries, clamped to 1..=1,000,000 (`10000` when the node entry limit is 0).
pub fn default_trim_limit(max_entries: usize) -> u64 {
    let limit = (max_entries as u64).saturating_mul(100);
    if limit == 0 {
        10_000
    } else {
        limit.min(1_000_000)
    }
}

impl Stream {
    /// Trims as `streamTrim` does and returns the number of entries removed.
    ///
    /// `approx` (`~`) removes whole nodes only. `limit` is the most entries it may
    /// remove and applies only with `approx` (`None` means Redis's default,
    /// [`default_trim_limit`]; `Some(0)` means no limit). Exact trimming is never
    /// limited: the command layer refuses LIMIT without `~`.
    pub fn trim(
        &mut self,
        strategy: TrimStrategy,
        approx: bool,
        limit: Option<u64>,
        limits: &NodeLimits,
    ) -> u64 {
        let limit = match (approx, limit) {
            (false, _) => 0,
            (true, Some(l)) => l,
            (true, None) => default_trim_limit(limits.max_entries),
        };
        let mut removed = 0u64;
        while let Some(node) = self.nodes.front() {
            if let TrimStrategy::MaxLen(max) = strategy {
                if self.length <= max {
                    break;
                }
            }
            let entries = node.count() as u64;
            if limit != 0 && removed + entries > limit {
                break;
            }
            let whole = match strategy {
                TrimStrategy::MaxLen(max) => self.length - entries >= max,
                TrimStrategy::MinId(min) => node.last_appended < min,
            };
            if whole {
                self.remove_node(0);
                self.length -= entries;
                removed += entries;
                continue;
            }
            if approx {
                break;
            }
            // Delete from inside the node and stop: what is left is enough.
            let n = match strategy {
                TrimStrategy::MaxLen(max) => (self.length - max) as usize,
                TrimStrategy::MinId(min) => node.lower_bound(min) - node.live().start,
            };
            self.with_node(0, |node| node.delete_front(n));
            self.length -= n as u64;
            removed += n as u64;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if removed > 0 {
            self.first_id = self.first_live_id().unwrap_or(StreamId::MIN);
        }
        removed
    }
}
