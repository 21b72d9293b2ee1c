//! How an entry's fields are stored, and [`EntryRef`], the read view of one entry.
//!
//! Replies are mostly byte copies of what is stored. An entry whose field names
//! equal its node's master fields (Redis's `SAMEFIELDS` flag) stores only its
//! values, each behind a compact length prefix (see [`super::varlen`]: one byte
//! for a value under 240 bytes); replies copy the field names from the master,
//! which keeps them as RESP, and put a RESP header from a table in front of each
//! value. Any other entry stores the byte `0xFF`, which no length prefix starts
//! with, then its whole field array as RESP:
//! `*2N\r\n$len\r\nfield\r\n$len\r\nvalue\r\n...`.

use std::cell::RefCell;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use smallvec::SmallVec;

use super::id::MAX_BULK_ID_LEN;
use super::varlen::{self, NOT_A_LENGTH};
use super::StreamId;

/// Bytes of the RESP bulk encoding of an `n`-byte string.
pub(crate) fn bulk_len(n: usize) -> usize {
    1 + decimal_len(n) + 2 + n + 2
}

/// Number of decimal digits of `n`.
pub(crate) fn decimal_len(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Appends `s` as a RESP bulk string.
pub(crate) fn push_bulk(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(itoa::Buffer::new().format(s.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// Splits the RESP header `<tag><decimal>\r\n` off `data`: returns the number and
/// the bytes after the header. `None` if `data` does not start with `tag`.
fn split_header(data: &[u8], tag: u8) -> Option<(usize, &[u8])> {
    let (&first, rest) = data.split_first()?;
    if first != tag {
        return None;
    }
    let mut n: usize = 0;
    for (i, &c) in rest.iter().enumerate() {
        if c == b'\r' {
            return Some((n, rest.get(i + 2..)?));
        }
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(c - b'0'))?;
    }
    None
}

/// Splits one whole bulk string off `data`: returns (its encoded bytes, its
/// payload, the rest).
fn split_bulk(data: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (n, after) = split_header(data, b'$')?;
    let payload = after.get(..n)?;
    let rest = after.get(n + 2..)?;
    let whole = data.get(..data.len() - rest.len())?;
    Some((whole, payload, rest))
}

/// The field names of a node's master entry, shared by the entries with the same
/// fields (and, through an `Arc`, by consecutive nodes with the same fields).
#[derive(Debug)]
pub(crate) struct Master {
    /// The array header of an entry with these fields (`*2N\r\n`), then the field
    /// names as concatenated RESP bulk strings.
    resp: Box<[u8]>,
    /// Length of the array header at the front of `resp`.
    header: u8,
    /// End offset in `resp` of each field's bulk string.
    ends: SmallVec<[u32; 4]>,
}

impl Master {
    /// The master fields of an entry given as `f1 v1 f2 v2 ...`.
    pub(crate) fn new(fields: &[&[u8]]) -> Self {
        let names = fields.iter().step_by(2);
        let pairs = fields.len() / 2;
        let header_len = 3 + decimal_len(2 * pairs);
        let size: usize = header_len + names.clone().map(|f| bulk_len(f.len())).sum::<usize>();
        let mut resp = Vec::with_capacity(size);
        resp.push(b'*');
        resp.extend_from_slice(itoa::Buffer::new().format(2 * pairs).as_bytes());
        resp.extend_from_slice(b"\r\n");
        let mut ends = SmallVec::with_capacity(pairs);
        for f in names {
            push_bulk(&mut resp, f);
            ends.push(resp.len() as u32);
        }
        Master {
            resp: resp.into_boxed_slice(),
            header: header_len as u8,
            ends,
        }
    }

    /// The master fields of an entry given as `f1 v1 f2 v2 ...`, shared with other
    /// streams: the applications of one broker append events of a few shapes, so
    /// each thread keeps the last master it made and hands it out again while the
    /// field names match. Each stream still counts the master's bytes as its own.
    pub(crate) fn shared(fields: &[&[u8]]) -> Arc<Master> {
        LAST_MASTER.with(|last| {
            let mut last = last.borrow_mut();
            match &*last {
                Some(m) if m.matches(fields) => Arc::clone(m),
                _ => {
                    let m = Arc::new(Master::new(fields));
                    *last = Some(Arc::clone(&m));
                    m
                }
            }
        })
    }

    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The array header of an entry with these fields: `*2N\r\n`.
    fn array_header(&self) -> &[u8] {
        &self.resp[..usize::from(self.header)]
    }

    /// The RESP bulk string of field `i`.
    fn bulk(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            usize::from(self.header)
        } else {
            self.ends[i - 1] as usize
        };
        &self.resp[start..self.ends[i] as usize]
    }

    /// The name of field `i`.
    fn field(&self, i: usize) -> &[u8] {
        split_bulk(self.bulk(i)).map_or(&[][..], |(_, payload, _)| payload)
    }

    /// Whether `fields` (`f1 v1 ...`) has exactly these field names, in order.
    pub(crate) fn matches(&self, fields: &[&[u8]]) -> bool {
        if fields.len() / 2 != self.len() {
            return false;
        }
        let mut start = usize::from(self.header);
        for (pair, &end) in fields.chunks_exact(2).zip(&self.ends) {
            // The bulk's size is increasing in the payload's length, so equal sizes
            // mean equal headers: compare the payload bytes only.
            let (f, end) = (&pair[0], end as usize);
            if end - start != bulk_len(f.len()) || self.resp[end - 2 - f.len()..end - 2] != f[..] {
                return false;
            }
            start = end;
        }
        true
    }

    /// Heap bytes held (the `Arc` allocation included).
    pub(crate) fn heap_bytes(&self) -> usize {
        let ends = if self.ends.spilled() {
            self.ends.capacity() * 4
        } else {
            0
        };
        2 * std::mem::size_of::<usize>() + std::mem::size_of::<Self>() + self.resp.len() + ends
    }
}

/// Bytes an entry needs in its node's data buffer.
pub(crate) fn encoded_len(fields: &[&[u8]], same: bool) -> usize {
    if same {
        fields
            .iter()
            .skip(1)
            .step_by(2)
            .map(|v| varlen::prefix_len(v.len()) + v.len())
            .sum()
    } else {
        let body: usize = fields.iter().map(|f| bulk_len(f.len())).sum();
        1 + 3 + decimal_len(fields.len()) + body
    }
}

/// Appends an entry's stored form to `out` (see the module docs).
pub(crate) fn encode(out: &mut Vec<u8>, fields: &[&[u8]], same: bool) {
    if same {
        for v in fields.iter().skip(1).step_by(2) {
            varlen::push_prefix(out, v.len());
            out.extend_from_slice(v);
        }
    } else {
        out.push(NOT_A_LENGTH);
        out.push(b'*');
        out.extend_from_slice(itoa::Buffer::new().format(fields.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        for f in fields {
            push_bulk(out, f);
        }
    }
}

thread_local! {
    /// The master fields [`Master::shared`] made last on this thread.
    static LAST_MASTER: RefCell<Option<Arc<Master>>> = const { RefCell::new(None) };
}

/// A read-only view of one live entry.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    /// The entry's ID.
    pub id: StreamId,
    master: &'a Master,
    data: &'a [u8],
}

impl std::fmt::Debug for EntryRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("EntryRef");
        d.field("id", &self.id);
        let fields: Vec<_> = self
            .fields()
            .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v)))
            .collect();
        d.field("fields", &fields).finish()
    }
}

impl<'a> EntryRef<'a> {
    pub(crate) fn new(id: StreamId, master: &'a Master, data: &'a [u8]) -> Self {
        EntryRef { id, master, data }
    }

    /// Whether the entry shares its node's master field names.
    fn same_fields(&self) -> bool {
        self.data.first() != Some(&NOT_A_LENGTH)
    }

    /// An entry with its own field names: its RESP field array.
    fn own_resp(&self) -> &'a [u8] {
        self.data.get(1..).unwrap_or_default()
    }

    /// Number of field/value pairs.
    pub fn field_count(&self) -> usize {
        if self.same_fields() {
            self.master.len()
        } else {
            split_header(self.own_resp(), b'*').map_or(0, |(n, _)| n / 2)
        }
    }

    /// The field/value pairs, in order.
    pub fn fields(&self) -> Fields<'a> {
        if self.same_fields() {
            Fields {
                master: Some(self.master),
                index: 0,
                data: self.data,
            }
        } else {
            Fields {
                master: None,
                index: 0,
                data: split_header(self.own_resp(), b'*').map_or(&[][..], |(_, rest)| rest),
            }
        }
    }

    /// Appends the RESP encoding of this entry's field array
    /// (`*2N\r\n$..\r\nfield\r\n$..\r\nvalue\r\n...`), identical in RESP2 and RESP3.
    pub fn write_fields_resp(&self, out: &mut BytesMut) {
        self.write_with_prefix(out, &[]);
    }

    /// Appends the RESP encoding of the whole entry as XRANGE/XREAD reply it:
    /// `*2\r\n` + the ID as a bulk string + [`EntryRef::write_fields_resp`].
    pub fn write_resp(&self, out: &mut BytesMut) {
        let mut buf = [0u8; 4 + MAX_BULK_ID_LEN];
        buf[..4].copy_from_slice(b"*2\r\n");
        let mut id = [0u8; MAX_BULK_ID_LEN];
        let n = self.id.encode_bulk(&mut id);
        buf[4..4 + n].copy_from_slice(&id[..n]);
        self.write_with_prefix(out, &buf[..4 + n]);
    }

    /// Appends `prefix` then the field array, reserving once.
    fn write_with_prefix(&self, out: &mut BytesMut, prefix: &[u8]) {
        if !self.same_fields() {
            let resp = self.own_resp();
            out.reserve(prefix.len() + resp.len());
            out.put_slice(prefix);
            out.put_slice(resp);
            return;
        }
        let n = self.master.len();
        // Each value's stored prefix is at least one byte; its header at most 13.
        out.reserve(prefix.len() + 24 + self.master.resp.len() + self.data.len() + 16 * n);
        out.put_slice(prefix);
        out.put_slice(self.master.array_header());
        let mut values = self.data;
        for i in 0..n {
            out.put_slice(self.master.bulk(i));
            match varlen::split_value(values) {
                Some((value, rest)) => {
                    varlen::with_bulk_header(value.len(), |h| out.put_slice(h));
                    out.put_slice(value);
                    values = rest;
                }
                // Unreachable for data this module encoded; keep the reply well formed.
                None => out.put_slice(b"$0\r\n"),
            }
            out.put_slice(b"\r\n");
        }
    }
}

/// Iterator over an entry's `(field, value)` pairs.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    master: Option<&'a Master>,
    index: usize,
    data: &'a [u8],
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let field = match self.master {
            Some(m) => {
                if self.index >= m.len() {
                    return None;
                }
                m.field(self.index)
            }
            None => {
                let (_, f, rest) = split_bulk(self.data)?;
                self.data = rest;
                f
            }
        };
        let (value, rest) = match self.master {
            Some(_) => varlen::split_value(self.data)?,
            None => split_bulk(self.data).map(|(_, value, rest)| (value, rest))?,
        };
        self.data = rest;
        self.index += 1;
        Some((field, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b<'a>(items: &[&'a str]) -> Vec<&'a [u8]> {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    #[test]
    fn same_fields_entry_resp() {
        let fields = b(&["role", "user", "data", "hello"]);
        let master = Master::new(&fields);
        assert!(master.matches(&fields));
        assert!(!master.matches(&b(&["role", "user"])));
        assert!(!master.matches(&b(&["role", "user", "dat", "x"])));
        let mut data = Vec::new();
        encode(&mut data, &fields, true);
        assert_eq!(data.len(), encoded_len(&fields, true));
        assert_eq!(&data[..], b"\x04user\x05hello");
        let e = EntryRef::new(StreamId::new(1, 2), &master, &data);
        assert_eq!(e.field_count(), 2);
        let pairs: Vec<_> = e.fields().collect();
        assert_eq!(
            pairs,
            vec![(&b"role"[..], &b"user"[..]), (&b"data"[..], &b"hello"[..])]
        );
        let mut out = BytesMut::new();
        e.write_fields_resp(&mut out);
        assert_eq!(
            &out[..],
            b"*4\r\n$4\r\nrole\r\n$4\r\nuser\r\n$4\r\ndata\r\n$5\r\nhello\r\n"
        );
        out.clear();
        e.write_resp(&mut out);
        assert_eq!(
            &out[..],
            &b"*2\r\n$3\r\n1-2\r\n*4\r\n$4\r\nrole\r\n$4\r\nuser\r\n$4\r\ndata\r\n$5\r\nhello\r\n"
                [..]
        );
    }

    #[test]
    fn own_fields_entry_resp() {
        let master = Master::new(&b(&["role", "x"]));
        let fields = b(&["a", "", "bb", "0123456789"]);
        let mut data = Vec::new();
        encode(&mut data, &fields, false);
        assert_eq!(data.len(), encoded_len(&fields, false));
        let e = EntryRef::new(StreamId::new(9, 0), &master, &data);
        assert_eq!(e.field_count(), 2);
        let pairs: Vec<_> = e.fields().collect();
        assert_eq!(
            pairs,
            vec![(&b"a"[..], &b""[..]), (&b"bb"[..], &b"0123456789"[..])]
        );
        let mut out = BytesMut::new();
        e.write_fields_resp(&mut out);
        assert_eq!(
            &out[..],
            b"*4\r\n$1\r\na\r\n$0\r\n\r\n$2\r\nbb\r\n$10\r\n0123456789\r\n"
        );
    }

    #[test]
    fn binary_values_with_crlf() {
        let fields: [&[u8]; 2] = [b"k\r\n", b"\r\n$3\r\n"];
        let master = Master::new(&fields);
        let mut data = Vec::new();
        encode(&mut data, &fields, true);
        let e = EntryRef::new(StreamId::new(1, 1), &master, &data);
        let pairs: Vec<_> = e.fields().collect();
        assert_eq!(pairs, vec![(&b"k\r\n"[..], &b"\r\n$3\r\n"[..])]);
    }

    #[test]
    fn lengths() {
        assert_eq!(bulk_len(0), 6);
        assert_eq!(bulk_len(9), 15);
        assert_eq!(bulk_len(10), 17);
        assert_eq!(decimal_len(0), 1);
        assert_eq!(decimal_len(100), 3);
    }
}
