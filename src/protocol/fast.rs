//! The parser's fast path: a multibulk request that is already whole in the buffer.
//!
//! Almost every request a busy connection reads arrives whole (pipelined clients
//! send batches). For those, one pass over the bytes finds every argument, and the
//! request is then split off the buffer once, each argument being a slice of it;
//! the incremental parser would split the buffer once per argument and per header.
//!
//! The fast path accepts exactly what the incremental parser accepts and yields
//! the same arguments, with the same Redis quirks (a header ends at the first `\r`,
//! the byte after it and the two after a payload are not checked). Anything else
//! (an incomplete request, a NUL hiding a line end, an empty or negative count,
//! a limit exceeded, an error) makes it decline, and the incremental parser takes
//! the request from its first byte as if the fast path had not looked.

use super::parser::{ParseLimits, UNAUTH_MAX_BULK, UNAUTH_MAX_MULTIBULK};

/// Requests with more arguments than this take the incremental path.
const MAX_FAST_ARGS: u64 = 64;

/// Where one argument of a whole request lies: `(start, end)` offsets. 32 bits
/// each: the parser keeps a vector of them per connection, which at 16 bytes a
/// span cost a parked reader 64 bytes more. A request whose end lies past 4 GiB
/// into the buffer takes the incremental path.
pub type Span = (u32, u32);

/// The header line whose type byte is at `from`: its integer and the index just
/// past it (after `\r` and the unchecked byte that follows). Only the plain form
/// is taken, a digit other than 0 then at most 17 more (or `0` alone), ended by
/// `\r`: exactly the texts `string2ll` reads the same way, with no NUL or other
/// byte before the line end. Anything else is left to the incremental parser.
fn header(buf: &[u8], from: usize) -> Option<(u64, usize)> {
    let mut at = from + 1;
    let first = *buf.get(at)?;
    let mut n = u64::from(first.wrapping_sub(b'0'));
    if n > 9 {
        return None;
    }
    at += 1;
    if n > 0 {
        while let Some(&b) = buf.get(at) {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            n = n * 10 + u64::from(d);
            at += 1;
            if at - from > 19 {
                return None;
            }
        }
    }
    (buf.get(at) == Some(&b'\r') && at + 2 <= buf.len()).then_some((n, at + 2))
}

/// Parses the multibulk request at the front of `buf` if it is whole and valid:
/// the bytes it spans, its arguments' spans written to `spans` (cleared first; the
/// parser's scratch, so no request allocates). `None`: let the incremental
/// parser handle it (`spans` then holds nothing of use).
pub(super) fn whole_request(
    buf: &[u8],
    limits: &ParseLimits,
    spans: &mut Vec<Span>,
) -> Option<usize> {
    spans.clear();
    if buf.first() != Some(&b'*') {
        return None;
    }
    let (count, mut pos) = header(buf, 0)?;
    if count == 0 || count > MAX_FAST_ARGS {
        return None;
    }
    if count > UNAUTH_MAX_MULTIBULK && !limits.authenticated {
        return None;
    }
    for _ in 0..count {
        if buf.get(pos) != Some(&b'$') {
            return None;
        }
        let (len, start) = header(buf, pos)?;
        if len > limits.max_bulk_len || (len > UNAUTH_MAX_BULK && !limits.authenticated) {
            return None;
        }
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        if end.checked_add(2)? > buf.len() {
            return None;
        }
        spans.push((u32::try_from(start).ok()?, u32::try_from(end).ok()?));
        pos = end + 2;
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHED: ParseLimits = ParseLimits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };

    #[test]
    fn finds_every_argument() {
        let buf = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n*1\r\n";
        let mut spans = Vec::new();
        let used = whole_request(buf, &AUTHED, &mut spans).expect("whole");
        assert_eq!(used, buf.len() - 4);
        let args: Vec<&[u8]> = spans
            .iter()
            .map(|&(a, b)| &buf[a as usize..b as usize])
            .collect();
        assert_eq!(args, vec![&b"SET"[..], b"k", b"a\r\nb"]);
    }

    #[test]
    fn declines_what_the_incremental_parser_must_see() {
        let unauth = ParseLimits {
            authenticated: false,
            ..AUTHED
        };
        for (input, limits) in [
            (&b"*2\r\n$3\r\nSET\r\n$1\r\nk"[..], &AUTHED), // incomplete
            (b"*1\r\n$4\r\nPING\r", &AUTHED),              // trailer incomplete
            (b"*1\0\r\n$4\r\nPING\r\n", &AUTHED),          // NUL hides the line end
            (b"*0\r\n", &AUTHED),                          // empty request
            (b"*-1\r\n", &AUTHED),                         // negative count
            (b"*1\r\nfoo\r\n", &AUTHED),                   // expected '$'
            (b"*1\r\n$-1\r\n", &AUTHED),                   // invalid bulk length
            (b"*11\r\n", &unauth),                         // unauthenticated count
            (b"*1\r\n$16385\r\n", &unauth),                // unauthenticated bulk
            (b"PING\r\n", &AUTHED),                        // inline
            (b"*01\r\n$4\r\nPING\r\n", &AUTHED),           // leading zero
            (b"*1\r\n$4 \r\nPING\r\n", &AUTHED),           // space in a length
        ] {
            let declined = whole_request(input, limits, &mut Vec::new()).is_none();
            assert!(declined, "{input:?}");
        }
    }

    #[test]
    fn keeps_redis_quirks() {
        // The byte after `\r` and the two bytes after a payload are not checked.
        let buf = b"*1\rX$4\rXPINGxy";
        let mut spans = Vec::new();
        let used = whole_request(buf, &AUTHED, &mut spans).expect("whole");
        assert_eq!((used, spans.as_slice()), (buf.len(), &[(8, 12)][..]));
    }
}
