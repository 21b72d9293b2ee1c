//! The entries last served to a caught-up reader, kept encoded on their stream.
//!
//! When one append wakes a thousand readers blocked at the same ID, each of them
//! replies with the same new entries. Encoding them (finding the range, writing
//! each ID and field as RESP) was about a tenth of the server's instructions per
//! delivery in the fan-out probe; with the first reader's encoding kept here, the
//! others copy bytes. It holds one small reply and is checked under the stream's
//! lock, so it needs no invalidation of its own: it names the stream's length and
//! last ID when it was made, and any change to the entries changes one of them (a
//! deletion shortens the stream, and whatever restores the length is an append,
//! which moves the last ID forward for good).

use super::stream::{Stream, StreamId};

/// Entries a kept reply may hold: the fan-out case is one or a few; a longer
/// catch-up read is left to encode itself rather than copied here too.
const MAX_ENTRIES: usize = 16;
/// Bytes a kept reply may hold.
const MAX_BYTES: usize = 4096;

/// One encoded reply: what `write_entries` wrote for every entry after `after`
/// (a reply that COUNT may have cut short is not kept). Boxed, and only made
/// once a reader is served: most streams are never read while caught up, and
/// inline the cache cost every stream 80 bytes (16 per event over 50,000 small
/// sessions).
#[derive(Debug, Default)]
pub struct ReplyCache(Option<Box<Kept>>);

#[derive(Debug)]
struct Kept {
    /// The reader's ID, the stream's length and last ID when the reply was made,
    /// and the number of entries in it.
    key: (StreamId, u64, StreamId, usize),
    bytes: Vec<u8>,
}

impl ReplyCache {
    /// The encoded entries of `stream` after `after`, when they are the ones kept
    /// and `count` (XREAD's COUNT, `None` for no limit) takes all of them.
    pub fn get(&self, stream: &Stream, after: StreamId, count: Option<usize>) -> Option<&[u8]> {
        let kept = self.0.as_deref()?;
        let (at, len, last, entries) = kept.key;
        let fresh = at == after && len == stream.len() && last == stream.last_id();
        (fresh && count.is_none_or(|c| c >= entries)).then_some(kept.bytes.as_slice())
    }

    /// Keeps `bytes`, the encoding of the `entries` entries of `stream` after
    /// `after` that a read with `count` got, when they are all of them (fewer than
    /// COUNT) and few enough to be worth sharing.
    pub fn put(
        &mut self,
        stream: &Stream,
        after: StreamId,
        count: Option<usize>,
        entries: usize,
        bytes: &[u8],
    ) {
        let whole = count.is_none_or(|c| entries < c);
        if !whole || entries > MAX_ENTRIES || bytes.len() > MAX_BYTES {
            return;
        }
        let key = (after, stream.len(), stream.last_id(), entries);
        let kept = self.0.get_or_insert_with(|| {
            Box::new(Kept {
                key,
                bytes: Vec::new(),
            })
        });
        kept.key = key;
        kept.bytes.clear();
        kept.bytes.extend_from_slice(bytes);
    }

    /// Bytes held, for the stream's memory figure.
    pub fn mem_bytes(&self) -> usize {
        self.0
            .as_ref()
            .map_or(0, |k| std::mem::size_of::<Kept>() + k.bytes.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stream::{IdSpec, NodeLimits};

    fn add(stream: &mut Stream, ms: u64) -> StreamId {
        let fields: [&[u8]; 2] = [b"f", b"v"];
        stream
            .add(IdSpec::Auto, &fields, ms, &NodeLimits::default())
            .expect("appended")
            .id
    }

    #[test]
    fn a_kept_reply_serves_the_same_read_and_no_other() {
        let mut s = Stream::new(10);
        let first = add(&mut s, 1);
        add(&mut s, 2);
        let mut cache = ReplyCache::default();
        cache.put(&s, first, None, 1, b"one entry");
        assert_eq!(cache.get(&s, first, None), Some(&b"one entry"[..]));
        assert_eq!(cache.get(&s, first, Some(1)), Some(&b"one entry"[..]));
        assert_eq!(
            cache.get(&s, StreamId::MIN, None),
            None,
            "another reader's ID"
        );
        cache.put(&s, StreamId::MIN, Some(5), 2, b"two entries");
        assert_eq!(cache.get(&s, StreamId::MIN, Some(1)), None, "COUNT cuts it");
        assert_eq!(
            cache.get(&s, StreamId::MIN, Some(2)),
            Some(&b"two entries"[..])
        );
    }

    #[test]
    fn a_reply_count_may_have_cut_is_not_kept() {
        let mut s = Stream::new(10);
        for ms in 1..=3 {
            add(&mut s, ms);
        }
        let mut cache = ReplyCache::default();
        cache.put(&s, StreamId::MIN, Some(1), 1, b"the first of three");
        assert_eq!(cache.get(&s, StreamId::MIN, None), None);
        cache.put(&s, StreamId::MIN, Some(3), 3, b"three, maybe of more");
        assert_eq!(cache.get(&s, StreamId::MIN, Some(3)), None);
    }

    #[test]
    fn any_change_to_the_entries_retires_it() {
        let mut s = Stream::new(10);
        let first = add(&mut s, 1);
        let second = add(&mut s, 2);
        let mut cache = ReplyCache::default();
        cache.put(&s, first, None, 1, b"second");
        add(&mut s, 3);
        assert_eq!(cache.get(&s, first, None), None, "an append");

        cache.put(&s, first, None, 2, b"second and third");
        assert_eq!(s.delete(&[second]), 1);
        assert_eq!(cache.get(&s, first, None), None, "a deletion");

        // Deleted, then the length restored by an append: the last ID has moved.
        cache.put(&s, first, None, 1, b"third");
        let third = s.last_id();
        assert_eq!(s.delete(&[third]), 1);
        add(&mut s, 4);
        assert_eq!(cache.get(&s, first, None), None, "a deletion and an append");
    }

    #[test]
    fn a_large_reply_is_not_kept() {
        let mut s = Stream::new(100);
        for ms in 1..=20 {
            add(&mut s, ms);
        }
        let mut cache = ReplyCache::default();
        cache.put(&s, StreamId::MIN, None, 20, b"twenty entries");
        assert_eq!(cache.get(&s, StreamId::MIN, None), None);
        cache.put(&s, StreamId::MIN, None, 1, &[b'x'; MAX_BYTES + 1]);
        assert_eq!(cache.get(&s, StreamId::MIN, None), None);
        assert_eq!(cache.mem_bytes(), 0);
        assert_eq!(
            std::mem::size_of::<ReplyCache>(),
            8,
            "a stream never read pays one pointer"
        );
    }
}
