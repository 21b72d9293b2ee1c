//! XRANGE / XREVRANGE / XREAD: iteration over live entries between two IDs.

use super::{EntryRef, Stream, StreamId};

/// Iterator over the live entries with `start <= id <= end`, forward or in
/// reverse, yielding at most `count` of them. Made by [`Stream::range`].
#[derive(Debug, Clone)]
pub struct Range<'a> {
    stream: &'a Stream,
    /// Current node.
    node: usize,
    /// Next entry index in the node (forward), or one past it (reverse).
    pos: usize,
    start: StreamId,
    end: StreamId,
    remaining: usize,
    rev: bool,
}

impl Stream {
    /// The live entries with IDs in `[start, end]` (inclusive), oldest first, or
    /// newest first when `rev`; at most `count` of them when given. Exclusive
    /// bounds are the caller's: see [`StreamId::parse_range_start`].
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        count: Option<usize>,
        rev: bool,
    ) -> Range<'_> {
        let mut range = Range {
            stream: self,
            node: 0,
            pos: 0,
            start,
            end,
            remaining: count.unwrap_or(usize::MAX),
            rev,
        };
        if start > end || self.nodes.is_empty() {
            range.remaining = 0;
        } else if rev {
            match self.node_at_or_before(end) {
                Some(n) => {
                    range.node = n;
                    range.pos = self.nodes[n].upper_bound(end);
                }
                None => range.remaining = 0,
            }
        } else {
            let n = self.node_at_or_before(start).unwrap_or(0);
            range.node = n;
            range.pos = self.nodes[n].lower_bound(start);
        }
        range
    }
}

impl Range<'_> {
    /// How many entries the iteration yields from here, counted per node (live
    /// entries of a node are contiguous in its storage) rather than walked, so an
    /// array header can be written before the entries.
    pub fn len(&self) -> usize {
        if self.remaining == 0 {
            return 0;
        }
        let nodes = &self.stream.nodes;
        let mut total = 0usize;
        if self.rev {
            let stop = self.stream.node_at_or_before(self.start).unwrap_or(0);
            for n in (stop..=self.node.min(nodes.len().saturating_sub(1))).rev() {
                let node = &nodes[n];
                let hi = if n == self.node {
                    self.pos
                } else {
                    node.live().end
                };
                let lo = if n == stop {
                    node.lower_bound(self.start)
                } else {
                    node.live().start
                };
                total += hi.saturating_sub(lo);
                if total >= self.remaining {
                    break;
                }
            }
        } else {
            let Some(stop) = self.stream.node_at_or_before(self.end) else {
                return 0;
            };
            let last = stop.min(nodes.len().saturating_sub(1));
            let span = nodes.iter().enumerate().take(last + 1).skip(self.node);
            for (n, node) in span {
                let lo = if n == self.node {
                    self.pos.max(node.live().start)
                } else {
                    node.live().start
                };
                let hi = if n == stop {
                    node.upper_bound(self.end)
                } else {
                    node.live().end
                };
                total += hi.saturating_sub(lo);
                if total >= self.remaining {
                    break;
                }
            }
        }
        total.min(self.remaining)
    }

    /// True when the iteration yields nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> Iterator for Range<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let nodes = &self.stream.nodes;
        let entry = if self.rev {
            loop {
                let node = nodes.get(self.node)?;
                if self.pos > node.live().start {
                    self.pos -= 1;
                    break node.entry(self.pos);
                }
                if self.node == 0 {
                    self.remaining = 0;
                    return None;
                }
                self.node -= 1;
                self.pos = nodes[self.node].live().end;
            }
        } else {
            loop {
                let node = nodes.get(self.node)?;
                if self.pos < node.live().end {
                    self.pos += 1;
                    break node.entry(self.pos - 1);
                }
                self.node += 1;
                self.pos = nodes.get(self.node).map_or(0, |n| n.live().start);
            }
        };
        let in_range = if self.rev {
            entry.id >= self.start
        } else {
            entry.id <= self.end
        };
        if !in_range {
            self.remaining = 0;
            return None;
        }
        self.remaining -= 1;
        Some(entry)
    }
}
