//! Reply encoding for RESP2 and RESP3.
//!
//! Commands write straight into the connection's output buffer instead of building a
//! reply tree first: most replies are a handful of headers around byte copies, and
//! an intermediate frame per reply would cost an allocation on the hot path. The bytes
//! are exactly Redis's for each protocol version: RESP3-only types (map, set, null,
//! double, boolean, verbatim, push) are downgraded for RESP2 the way Redis does.

use bytes::{BufMut, BytesMut};

/// The protocol version a connection speaks, chosen by `HELLO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, the default for a new connection.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

impl Protocol {
    /// The number `HELLO` reports for this protocol.
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// An output buffer that knows which protocol its connection speaks.
#[derive(Debug, Default)]
pub struct Reply {
    buf: BytesMut,
    proto: Protocol,
}

impl Reply {
    /// An empty buffer for a connection speaking `proto`.
    pub fn new(proto: Protocol) -> Self {
        Reply {
            buf: BytesMut::with_capacity(16 * 1024),
            proto,
        }
    }

    /// A reply with no memory yet, for a connection that hands it a buffer when it
    /// has something to write (a write without one allocates as it goes).
    pub fn detached(proto: Protocol) -> Self {
        Reply {
            buf: BytesMut::new(),
            proto,
        }
    }

    /// The protocol replies are encoded for.
    pub fn protocol(&self) -> Protocol {
        self.proto
    }

    /// Switches the protocol for the replies that follow (HELLO).
    pub fn set_protocol(&mut self, proto: Protocol) {
        self.proto = proto;
    }

    /// The bytes written so far.
    pub fn buffer(&self) -> &BytesMut {
        &self.buf
    }

    /// The buffer itself, for the connection that flushes it.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Number of bytes buffered.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Drops everything written after `len` (used by `CLIENT REPLY OFF|SKIP`).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    fn line(&mut self, prefix: u8, n: i64) {
        self.buf.put_u8(prefix);
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string (`+text`). `text` must not contain CR or LF.
    pub fn simple(&mut self, text: &str) {
        self.buf.put_u8(b'+');
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply; `text` starts with its code, e.g. `ERR syntax error`.
    /// Newlines are replaced by spaces, as Redis does, so the frame stays valid.
    pub fn error(&mut self, text: &str) {
        self.error_bytes(text.as_bytes());
    }

    /// An error reply whose text need not be UTF-8 (Redis copies a client's bytes
    /// into some of its errors); otherwise as [`error`](Self::error).
    pub fn error_bytes(&mut self, text: &[u8]) {
        self.buf.put_u8(b'-');
        for &b in text {
            self.buf
                .put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer (`:n`).
    pub fn integer(&mut self, n: i64) {
        self.line(b':', n);
    }

    /// A bulk string.
    pub fn bulk(&mut self, data: &[u8]) {
        self.line(b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_int(&mut self, n: i64) {
        let mut b = itoa::Buffer::new();
        let s = b.format(n);
        self.bulk(s.as_bytes());
    }

    /// A bulk string holding the decimal form of the unsigned `n` (SCAN cursors).
    pub fn bulk_u64(&mut self, n: u64) {
        let mut b = itoa::Buffer::new();
        let s = b.format(n);
        self.bulk(s.as_bytes());
    }

    /// A null bulk string: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// A null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// An array header for `n` elements that follow.
    pub fn array(&mut self, n: usize) {
        self.line(b'*', n as i64);
    }

    /// A map header for `n` key/value pairs: a flat array of `2n` in RESP2.
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.line(b'*', 2 * n as i64),
            Protocol::Resp3 => self.line(b'%', n as i64),
        }
    }

    /// A set header: an array in RESP2.
    pub fn set(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.line(b'*', n as i64),
            Protocol::Resp3 => self.line(b'~', n as i64),
        }
    }

    /// A push header (pub/sub messages): an array in RESP2.
    pub fn push(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.line(b'*', n as i64),
            Protocol::Resp3 => self.line(b'>', n as i64),
        }
    }

    /// A boolean: `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, v: bool) {
        match (self.proto, v) {
            (Protocol::Resp2, true) => self.buf.extend_from_slice(b":1\r\n"),
            (Protocol::Resp2, false) => self.buf.extend_from_slice(b":0\r\n"),
            (Protocol::Resp3, true) => self.buf.extend_from_slice(b"#t\r\n"),
            (Protocol::Resp3, false) => self.buf.extend_from_slice(b"#f\r\n"),
        }
    }

    /// A double, formatted as Redis's `%.17g`: a bulk string in RESP2.
    pub fn double(&mut self, v: f64) {
        let text = format_double(v);
        match self.proto {
            Protocol::Resp2 => self.bulk(text.as_bytes()),
            Protocol::Resp3 => {
                self.buf.put_u8(b',');
                self.buf.extend_from_slice(text.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`); a plain bulk string in RESP2.
    /// `format` is the three-letter type, `txt` or `mkd`.
    pub fn verbatim(&mut self, format: &str, data: &[u8]) {
        match self.proto {
            Protocol::Resp2 => self.bulk(data),
            Protocol::Resp3 => {
                self.line(b'=', (data.len() + 4) as i64);
                self.buf.extend_from_slice(format.as_bytes());
                self.buf.put_u8(b':');
                self.buf.extend_from_slice(data);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Bytes that are already a complete, correctly encoded reply.
    pub fn raw(&mut self, encoded: &[u8]) {
        self.buf.extend_from_slice(encoded);
    }

    /// An array of bulk strings.
    pub fn bulks<I, T>(&mut self, items: I)
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
        T: AsRef<[u8]>,
    {
        let items = items.into_iter();
        self.array(items.len());
        for item in items {
            self.bulk(item.as_ref());
        }
    }
}

/// Formats a double the way Redis replies with one: `inf`, `-inf`, `nan`, integers
/// without a fraction, otherwise the shortest text that reads back the same value.
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if v == v.trunc() && v.abs() < 1e17 {
        format!("{}", v as i64)
    } else {
        let mut b = ryu::Buffer::new();
        b.format_finite(v).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(proto: Protocol, f: impl FnOnce(&mut Reply)) -> Vec<u8> {
        let mut r = Reply::new(proto);
        f(&mut r);
        r.buffer().to_vec()
    }

    #[test]
    fn resp2_downgrades_resp3_types() {
        assert_eq!(enc(Protocol::Resp2, |r| r.null()), b"$-1\r\n");
        assert_eq!(enc(Protocol::Resp2, |r| r.null_array()), b"*-1\r\n");
        assert_eq!(enc(Protocol::Resp2, |r| r.map(2)), b"*4\r\n");
        assert_eq!(enc(Protocol::Resp2, |r| r.set(3)), b"*3\r\n");
        assert_eq!(enc(Protocol::Resp2, |r| r.boolean(true)), b":1\r\n");
        assert_eq!(enc(Protocol::Resp2, |r| r.double(1.5)), b"$3\r\n1.5\r\n");
        assert_eq!(
            enc(Protocol::Resp2, |r| r.verbatim("txt", b"hi")),
            b"$2\r\nhi\r\n"
        );
    }

    #[test]
    fn resp3_native_types() {
        assert_eq!(enc(Protocol::Resp3, |r| r.null()), b"_\r\n");
        assert_eq!(enc(Protocol::Resp3, |r| r.map(2)), b"%2\r\n");
        assert_eq!(enc(Protocol::Resp3, |r| r.set(3)), b"~3\r\n");
        assert_eq!(enc(Protocol::Resp3, |r| r.push(3)), b">3\r\n");
        assert_eq!(enc(Protocol::Resp3, |r| r.boolean(false)), b"#f\r\n");
        assert_eq!(enc(Protocol::Resp3, |r| r.double(2.0)), b",2\r\n");
        assert_eq!(
            enc(Protocol::Resp3, |r| r.verbatim("txt", b"hi")),
            b"=6\r\ntxt:hi\r\n"
        );
    }

    #[test]
    fn errors_stay_on_one_line() {
        assert_eq!(
            enc(Protocol::Resp2, |r| r.error("ERR a\r\nb")),
            b"-ERR a  b\r\n"
        );
        assert_eq!(
            enc(Protocol::Resp2, |r| r.error_bytes(b"ERR \xc3\r")),
            b"-ERR \xc3 \r\n"
        );
    }

    #[test]
    fn scalars() {
        assert_eq!(enc(Protocol::Resp2, |r| r.integer(-42)), b":-42\r\n");
        assert_eq!(enc(Protocol::Resp2, |r| r.bulk(b"")), b"$0\r\n\r\n");
        assert_eq!(enc(Protocol::Resp2, |r| r.bulk_int(7)), b"$1\r\n7\r\n");
        assert_eq!(
            enc(Protocol::Resp2, |r| r.bulks(["a", "bc"])),
            b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n"
        );
    }
}
