//! Stream entry IDs (`ms-seq`) and their parsing, exactly as Redis 7.0's
//! `streamGenericParseIDOrReply`, `streamIncrID` and `streamDecrID`.

use std::fmt;

pub(crate) use crate::num::string2ll;
use bytes::BufMut;

use super::StreamError;

/// The ID of a stream entry: milliseconds and a sequence number, ordered by
/// `ms` then `seq`. Displays as `ms-seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

/// Longest formatted ID: two 20-digit numbers and a dash.
pub const MAX_ID_LEN: usize = 41;

/// Longest argument Redis accepts as an ID (its parse buffer is 128 bytes).
const MAX_ID_ARG_LEN: usize = 127;

impl StreamId {
    /// `0-0`, the smallest ID (what `-` means in a range).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`, the largest ID (`+`).
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// The ID `ms-seq`.
    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    /// The next ID, or `None` after [`StreamId::MAX`] (`streamIncrID`).
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID, or `None` before [`StreamId::MIN`] (`streamDecrID`).
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// Parses `ms-seq`, `ms` (the sequence is then `missing_seq`), `-` and `+`,
    /// as `streamParseIDOrReply` does (XRANGE bounds, XGROUP SETID).
    pub fn parse(arg: &[u8], missing_seq: u64) -> Result<StreamId, StreamError> {
        parse_generic(arg, missing_seq, false, false).map(|(id, _)| id)
    }

    /// Parses `ms-seq` or `ms`, refusing `-` and `+`, as `streamParseStrictIDOrReply`
    /// does (XDEL, XSETID, MINID, XREAD ids).
    pub fn parse_strict(arg: &[u8], missing_seq: u64) -> Result<StreamId, StreamError> {
        parse_generic(arg, missing_seq, true, false).map(|(id, _)| id)
    }

    /// Parses one interval bound (`streamParseIntervalIDOrReply`): a `(` prefix
    /// (on an argument longer than one byte) makes it exclusive and strict.
    /// Returns the ID and whether it was exclusive.
    pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), StreamError> {
        if arg.len() > 1 && arg[0] == b'(' {
            Ok((Self::parse_strict(&arg[1..], missing_seq)?, true))
        } else {
            Ok((Self::parse(arg, missing_seq)?, false))
        }
    }

    /// An inclusive start bound from an XRANGE start argument: a missing sequence
    /// is 0, and `(ID` becomes the next ID ("ERR invalid start ID for the interval"
    /// after the last possible ID).
    pub fn parse_range_start(arg: &[u8]) -> Result<StreamId, StreamError> {
        match Self::parse_interval(arg, 0)? {
            (id, false) => Ok(id),
            (id, true) => id.incr().ok_or(StreamError::InvalidStart),
        }
    }

    /// An inclusive end bound from an XRANGE end argument: a missing sequence is
    /// `u64::MAX`, and `(ID` becomes the previous ID ("ERR invalid end ID for the
    /// interval" before `0-0`).
    pub fn parse_range_end(arg: &[u8]) -> Result<StreamId, StreamError> {
        match Self::parse_interval(arg, u64::MAX)? {
            (id, false) => Ok(id),
            (id, true) => id.decr().ok_or(StreamError::InvalidEnd),
        }
    }

    /// Formats the ID into `buf` and returns the written bytes (no allocation).
    pub fn format<'b>(&self, buf: &'b mut [u8; MAX_ID_LEN]) -> &'b [u8] {
        let mut a = itoa::Buffer::new();
        let ms = a.format(self.ms).as_bytes();
        let n = ms.len();
        buf[..n].copy_from_slice(ms);
        buf[n] = b'-';
        let seq = a.format(self.seq).as_bytes();
        buf[n + 1..n + 1 + seq.len()].copy_from_slice(seq);
        &buf[..n + 1 + seq.len()]
    }

    /// Appends the ID as a RESP bulk string (`$len\r\nms-seq\r\n`).
    pub fn write_bulk(&self, out: &mut impl BufMut) {
        let mut buf = [0u8; MAX_BULK_ID_LEN];
        let n = self.encode_bulk(&mut buf);
        out.put_slice(&buf[..n]);
    }

    /// Writes the ID as a RESP bulk string into `buf`; returns its length.
    pub(crate) fn encode_bulk(&self, buf: &mut [u8; MAX_BULK_ID_LEN]) -> usize {
        let mut id = [0u8; MAX_ID_LEN];
        let id = self.format(&mut id);
        let len = id.len(); // 3..=41: one or two digits
        buf[0] = b'$';
        let mut p = 1;
        if len >= 10 {
            buf[p] = b'0' + (len / 10) as u8;
            p += 1;
        }
        buf[p] = b'0' + (len % 10) as u8;
        buf[p + 1..p + 3].copy_from_slice(b"\r\n");
        p += 3;
        buf[p..p + len].copy_from_slice(id);
        buf[p + len..p + len + 2].copy_from_slice(b"\r\n");
        p + len + 2
    }
}

/// Longest RESP bulk string of an ID: `$41\r\n` + 41 bytes + `\r\n`.
pub(crate) const MAX_BULK_ID_LEN: usize = MAX_ID_LEN + 7;

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// How XADD names the new entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSpec {
    /// `*`: from the clock, or the last ID's successor when the clock is behind.
    Auto,
    /// `ms-*`: this millisecond, with the next free sequence in it.
    AutoSeq(u64),
    /// `ms-seq` (or `ms`, sequence 0).
    Explicit(StreamId),
}

impl IdSpec {
    /// Parses an XADD ID argument: `*`, `ms-*`, or a strict ID (`-`/`+` refused).
    pub fn parse(arg: &[u8]) -> Result<IdSpec, StreamError> {
        // XADD's fast path compares the C string with "*".
        if until_nul(arg) == b"*" {
            return Ok(IdSpec::Auto);
        }
        match parse_generic(arg, 0, true, true)? {
            (id, true) => Ok(IdSpec::Explicit(id)),
            (id, false) => Ok(IdSpec::AutoSeq(id.ms)),
        }
    }
}

/// `streamGenericParseIDOrReply`: returns the ID and whether the sequence was
/// given (false only for `ms-*` when `auto_seq` is allowed).
fn parse_generic(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    auto_seq: bool,
) -> Result<(StreamId, bool), StreamError> {
    if arg.len() > MAX_ID_ARG_LEN {
        return Err(StreamError::InvalidId);
    }
    if let Some(id) = plain_id(arg) {
        return Ok((id, true));
    }
    let s = until_nul(arg);
    match s {
        b"-" | b"+" if strict => return Err(StreamError::InvalidId),
        b"-" => return Ok((StreamId::MIN, true)),
        b"+" => return Ok((StreamId::MAX, true)),
        _ => {}
    }
    let (ms_part, seq_part) = match s.iter().position(|&b| b == b'-') {
        Some(dash) => (&s[..dash], Some(&s[dash + 1..])),
        None => (s, None),
    };
    let ms = string2ull(ms_part).ok_or(StreamError::InvalidId)?;
    match seq_part {
        Some(b"*") if auto_seq => Ok((StreamId::new(ms, 0), false)),
        Some(seq) => {
            let seq = string2ull(seq).ok_or(StreamError::InvalidId)?;
            Ok((StreamId::new(ms, seq), true))
        }
        None => Ok((StreamId::new(ms, missing_seq), true)),
    }
}

/// The usual form, `<ms>-<seq>` in plain digits, parsed in one pass: every
/// blocked reader sends one per delivery, and the general path (NUL cut, dash
/// search, `string2ll` then `strtoull`) cost four times as much. Up to 19 digits
/// each, so neither can overflow; anything else is left to the general path,
/// which gives the same value for these.
fn plain_id(arg: &[u8]) -> Option<StreamId> {
    fn digits(part: &[u8]) -> Option<u64> {
        if part.is_empty() || part.len() > 19 {
            return None;
        }
        part.iter().try_fold(0u64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
        })
    }
    let dash = arg.iter().position(|&b| b == b'-')?;
    Some(StreamId::new(
        digits(&arg[..dash])?,
        digits(&arg[dash + 1..])?,
    ))
}

/// Redis copies ID arguments into C strings: an embedded NUL ends them.
fn until_nul(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(nul) => &arg[..nul],
        None => arg,
    }
}

/// Redis's `string2ull`: `string2ll` when it succeeds (negative refused), else
/// C's `strtoull` over the whole string (leading white space, an optional sign
/// that negates modulo 2^64, and leading zeros accepted; overflow refused).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = string2ll(s) {
        return u64::try_from(v).ok();
    }
    let mut rest = s;
    while let Some((c, tail)) = rest.split_first() {
        if matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            rest = tail;
        } else {
            break;
        }
    }
    let negative = match rest.first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    if rest.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in rest {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn the_plain_form_agrees_with_the_general_path() {
        // The general path alone, as it was before the shortcut.
        fn general(arg: &[u8]) -> Option<StreamId> {
            let s = until_nul(arg);
            let dash = s.iter().position(|&b| b == b'-')?;
            Some(id(string2ull(&s[..dash])?, string2ull(&s[dash + 1..])?))
        }
        let cases: [&[u8]; 12] = [
            b"0-0",
            b"1-1",
            b"1732185600000-0",
            b"007-010",
            b"9999999999999999999-9999999999999999999",
            b"18446744073709551615-0",
            b"18446744073709551616-0",
            b"1-",
            b"-1",
            b"1-2-3",
            b"1 -2",
            b"1-+2",
        ];
        for arg in cases {
            if let Some(plain) = plain_id(arg) {
                assert_eq!(
                    Some(plain),
                    general(arg),
                    "{}",
                    String::from_utf8_lossy(arg)
                );
            }
            assert_eq!(
                StreamId::parse(arg, 0).ok(),
                general(arg),
                "{}",
                String::from_utf8_lossy(arg)
            );
        }
        assert_eq!(plain_id(b"1732185600000-3"), Some(id(1732185600000, 3)));
        assert_eq!(
            plain_id(b"18446744073709551615-0"),
            None,
            "20 digits: general path"
        );
    }

    #[test]
    fn parses_redis_forms() {
        assert_eq!(StreamId::parse(b"5-7", 0), Ok(id(5, 7)));
        assert_eq!(StreamId::parse(b"5", 0), Ok(id(5, 0)));
        assert_eq!(StreamId::parse(b"5", u64::MAX), Ok(id(5, u64::MAX)));
        assert_eq!(StreamId::parse(b"-", 0), Ok(StreamId::MIN));
        assert_eq!(StreamId::parse(b"+", 0), Ok(StreamId::MAX));
        assert_eq!(
            StreamId::parse(b"18446744073709551615-18446744073709551615", 0),
            Ok(StreamId::MAX)
        );
        // strtoull fallbacks, all accepted by redis-server 7.0.15.
        assert_eq!(StreamId::parse(b"007", 0), Ok(id(7, 0)));
        assert_eq!(StreamId::parse(b"+5", 0), Ok(id(5, 0)));
        assert_eq!(StreamId::parse(b" 5", 0), Ok(id(5, 0)));
        assert_eq!(StreamId::parse(b"1--0", 0), Ok(id(1, 0)));
        assert_eq!(StreamId::parse(b"1- 5", 0), Ok(id(1, 5)));
        assert_eq!(StreamId::parse(b"1-+5", 0), Ok(id(1, 5)));
        assert_eq!(StreamId::parse(b"1--01", 0), Ok(id(1, u64::MAX)));
        assert_eq!(
            StreamId::parse(b"000000000000000000000005", 0),
            Ok(id(5, 0))
        );
        // An embedded NUL ends the C string.
        assert_eq!(StreamId::parse(b"5-6\0junk", 0), Ok(id(5, 6)));
        assert_eq!(StreamId::parse(b"-\0x", 0), Ok(StreamId::MIN));
    }

    #[test]
    fn refuses_invalid_forms() {
        for bad in [
            &b""[..],
            b"5 ",
            b" -5",
            b"-5",
            b"5-",
            b"5-5-5",
            b"0x5",
            b"(",
            b"abc",
            b"1-*",
            b"18446744073709551616",
            b"1-18446744073709551616",
            b"-18446744073709551615",
            b"1--1",
            b"1-- 5",
            b"*",
        ] {
            assert_eq!(
                StreamId::parse(bad, 0),
                Err(StreamError::InvalidId),
                "{bad:?}"
            );
        }
        let long = vec![b'1'; 128];
        assert_eq!(StreamId::parse(&long, 0), Err(StreamError::InvalidId));
        let mut ok = vec![b'0'; 126];
        ok.push(b'9');
        assert_eq!(StreamId::parse(&ok, 0), Ok(id(9, 0)));
        assert_eq!(StreamId::parse_strict(b"-", 0), Err(StreamError::InvalidId));
        assert_eq!(StreamId::parse_strict(b"+", 0), Err(StreamError::InvalidId));
        assert_eq!(StreamId::parse_strict(b"3", 9), Ok(id(3, 9)));
    }

    #[test]
    fn interval_bounds() {
        assert_eq!(StreamId::parse_range_start(b"-"), Ok(StreamId::MIN));
        assert_eq!(StreamId::parse_range_start(b"5"), Ok(id(5, 0)));
        assert_eq!(StreamId::parse_range_start(b"(5"), Ok(id(5, 1)));
        assert_eq!(
            StreamId::parse_range_start(b"(5-18446744073709551615"),
            Ok(id(6, 0))
        );
        assert_eq!(StreamId::parse_range_end(b"+"), Ok(StreamId::MAX));
        assert_eq!(StreamId::parse_range_end(b"5"), Ok(id(5, u64::MAX)));
        assert_eq!(StreamId::parse_range_end(b"(5"), Ok(id(5, u64::MAX - 1)));
        assert_eq!(StreamId::parse_range_end(b"(5-0"), Ok(id(4, u64::MAX)));
        assert_eq!(StreamId::parse_range_end(b"(0"), Ok(id(0, u64::MAX - 1)));
        assert_eq!(
            StreamId::parse_range_start(b"(18446744073709551615-18446744073709551615"),
            Err(StreamError::InvalidStart)
        );
        assert_eq!(
            StreamId::parse_range_end(b"(0-0"),
            Err(StreamError::InvalidEnd)
        );
        assert_eq!(
            StreamId::parse_range_start(b"(-"),
            Err(StreamError::InvalidId)
        );
        assert_eq!(
            StreamId::parse_range_end(b"(+"),
            Err(StreamError::InvalidId)
        );
        assert_eq!(
            StreamId::parse_range_start(b"((5"),
            Err(StreamError::InvalidId)
        );
        assert_eq!(
            StreamId::parse_range_start(b"("),
            Err(StreamError::InvalidId)
        );
    }

    #[test]
    fn xadd_id_specs() {
        assert_eq!(IdSpec::parse(b"*"), Ok(IdSpec::Auto));
        assert_eq!(IdSpec::parse(b"12-*"), Ok(IdSpec::AutoSeq(12)));
        assert_eq!(IdSpec::parse(b"12-3"), Ok(IdSpec::Explicit(id(12, 3))));
        assert_eq!(IdSpec::parse(b"12"), Ok(IdSpec::Explicit(id(12, 0))));
        assert_eq!(IdSpec::parse(b"0-0"), Ok(IdSpec::Explicit(id(0, 0))));
        // C-string truncation, as redis-server 7.0.15 does.
        assert_eq!(IdSpec::parse(b"*\0x"), Ok(IdSpec::Auto));
        assert_eq!(IdSpec::parse(b"9-*\0"), Ok(IdSpec::AutoSeq(9)));
        for bad in [&b"-"[..], b"+", b"*-*", b"-*", b"1-**", b"**", b"1-*5"] {
            assert_eq!(IdSpec::parse(bad), Err(StreamError::InvalidId), "{bad:?}");
        }
    }

    #[test]
    fn incr_decr_overflow() {
        assert_eq!(id(1, 2).incr(), Some(id(1, 3)));
        assert_eq!(id(1, u64::MAX).incr(), Some(id(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(id(1, 0).decr(), Some(id(0, u64::MAX)));
        assert_eq!(StreamId::MIN.decr(), None);
    }

    #[test]
    fn formats() {
        assert_eq!(id(1526919030474, 55).to_string(), "1526919030474-55");
        let mut buf = [0u8; MAX_ID_LEN];
        assert_eq!(
            StreamId::MAX.format(&mut buf),
            b"18446744073709551615-18446744073709551615"
        );
        let mut out = bytes::BytesMut::new();
        id(3, 4).write_bulk(&mut out);
        assert_eq!(&out[..], b"$3\r\n3-4\r\n");
    }
}
