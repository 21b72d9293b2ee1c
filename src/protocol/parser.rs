//! Streaming request parser (multibulk and inline) with Redis's limits.
//!
//! Mirrors Redis 7.0's `processInputBuffer` / `processMultibulkBuffer` /
//! `processInlineBuffer` (networking.c), quirks included:
//! - A request starting with `*` is multibulk, anything else is inline.
//! - A header line (`*N`, `$N`) ends at the first `\r`, which must be followed by one
//!   more byte (any byte: it is skipped, not checked to be `\n`). Likewise the two
//!   bytes after a bulk's payload are skipped unchecked.
//! - Lines are found as C `strchr` finds them: a NUL byte before the terminator hides
//!   it, so such a line only ends with a "too big" error once 64 KiB are buffered.
//! - Integers follow `string2ll`: optional `-`, no `+`, no leading zeros or spaces,
//!   `0` but not `-0`, at most 20 characters, within `i64`.
//! - `*0` and negative counts, and inline lines that hold no argument, are skipped.
//!
//! Completed bulk arguments are split off the input buffer without copying: a
//! request found whole in the buffer is split off once, as one [`Request::Whole`]
//! that knows where its arguments lie, so no argument costs a reference count of
//! its own. When a request is incomplete the parser remembers how far it got (arguments collected,
//! arguments remaining, the current bulk's length, how much of the current line has
//! been searched), so feeding a request in small pieces costs linear time.

use crate::num::string2ll;
use bytes::{Buf, Bytes, BytesMut};

use super::fast::{whole_request, Span};
use super::inline::split_args;
use super::request::Request;

/// `PROTO_INLINE_MAX_SIZE`: the longest a line may grow without its terminator.
const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Largest multibulk count accepted (`INT_MAX`).
const MAX_MULTIBULK_COUNT: i64 = i32::MAX as i64;
/// Largest multibulk count accepted before authentication.
pub(super) const UNAUTH_MAX_MULTIBULK: u64 = 10;
/// Largest bulk length accepted before authentication.
pub(super) const UNAUTH_MAX_BULK: u64 = 16 * 1024;
/// The first allocation for a request's arguments, whatever count it announces.
const INITIAL_ARGS: usize = 1024;

/// A parsing step: done with a `T`, waiting for more input (`None`), or failed.
type Step<T> = Result<Option<T>, ProtocolError>;

/// Limits the parser enforces on one connection.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// `proto-max-bulk-len`: the largest bulk argument accepted.
    pub max_bulk_len: u64,
    /// False until the client has authenticated on a server with `requirepass`: then
    /// at most 10 arguments per multibulk and 16 KiB per bulk, as Redis.
    pub authenticated: bool,
}

/// A protocol violation. The connection replies `-ERR ` and [`reply_text`] and
/// then closes.
///
/// The texts are Redis 7.0's, word for word.
///
/// [`reply_text`]: ProtocolError::reply_text
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The `*` count is not an integer (per `string2ll`) or exceeds `INT_MAX`.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// More than 10 arguments announced before authentication.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// More than 64 KiB buffered after `*` without a `\r`.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// More than 64 KiB buffered at a `$` line without a `\r`.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// A bulk header line that does not start with `$`; holds the byte found.
    ///
    /// The reply carries the byte itself, as Redis's `%c` does (with `\r` and `\n`
    /// turned into spaces), even when it is not UTF-8; `Display`, for logs, shows a
    /// byte that is not printable ASCII as `\xHH`.
    #[error("Protocol error: expected '$', got '{}'", shown_byte(.0).escape_ascii())]
    ExpectedDollar(u8),
    /// The `$` length is not an integer, is negative, or exceeds `max_bulk_len`.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A bulk longer than 16384 bytes announced before authentication.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    /// More than 64 KiB buffered of an inline request without a `\n`.
    #[error("Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// An inline request whose quotes do not balance (see `sdssplitargs`).
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
}

/// The byte as Redis's error reply shows it: newlines become spaces.
fn shown_byte(b: &u8) -> u8 {
    match *b {
        b'\r' | b'\n' => b' ',
        other => other,
    }
}

impl ProtocolError {
    /// The error reply's text after `ERR `, byte for byte as Redis sends it: the
    /// `Display` text, except that [`ExpectedDollar`](Self::ExpectedDollar) carries
    /// the raw byte found, which need not be UTF-8.
    pub fn reply_text(&self) -> Vec<u8> {
        match self {
            ProtocolError::ExpectedDollar(b) => {
                let mut text = b"Protocol error: expected '$', got '".to_vec();
                text.push(shown_byte(b));
                text.push(b'\'');
                text
            }
            other => other.to_string().into_bytes(),
        }
    }
}

/// Keeps its progress between reads.
///
/// After an error the connection must be closed; the parser itself is left at the
/// start of a request.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments of the multibulk request in progress.
    args: Vec<Bytes>,
    /// Bulk arguments still to come; 0 outside a multibulk request.
    remaining: usize,
    /// Length of the bulk being read, once its `$` line is parsed.
    bulk_len: Option<usize>,
    /// How many bytes at the front of the buffer were already searched, without
    /// success, for the end of the current line.
    scanned: usize,
    /// Total length of `args`.
    pending: usize,
    /// The fast path's scratch: the spans of the last whole request, lent to the
    /// [`Request`] returned, reused by the next.
    spans: Vec<Span>,
}

/// What [`RequestParser::parse`] found, before the spans are lent out.
enum Parsed {
    /// A whole request split off the buffer; its spans are in `spans`.
    Whole(Bytes),
    /// Arguments collected one by one.
    Owned(Vec<Bytes>),
}

impl RequestParser {
    /// A parser at the start of a request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the next complete request out of `buf`, consuming its bytes.
    /// `Ok(None)`: more bytes are needed.
    ///
    /// Between calls the caller may only append to `buf`. Empty requests are
    /// consumed and skipped. On `Err` the caller replies `-ERR <error>` and closes
    /// the connection.
    pub fn next_request(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
    ) -> Result<Option<Request<'_>>, ProtocolError> {
        match self.parse(buf, limits) {
            Ok(Some(Parsed::Whole(bytes))) => Ok(Some(Request::Whole {
                bytes,
                spans: &self.spans,
            })),
            Ok(Some(Parsed::Owned(args))) => Ok(Some(Request::Owned(args))),
            Ok(None) => Ok(None),
            Err(e) => {
                *self = Self::default();
                Err(e)
            }
        }
    }

    /// Bytes held by the request in progress (arguments collected so far), which
    /// count against `client-query-buffer-limit` together with the unparsed input.
    pub fn pending_bytes(&self) -> usize {
        self.pending
    }

    fn parse(&mut self, buf: &mut BytesMut, limits: &ParseLimits) -> Step<Parsed> {
        loop {
            if self.remaining == 0 && self.scanned == 0 {
                if let Some(used) = whole_request(buf, limits, &mut self.spans) {
                    return Ok(Some(Parsed::Whole(buf.split_to(used).freeze())));
                }
            }
            if self.remaining == 0 {
                match buf.first() {
                    None => return Ok(None),
                    Some(b'*') => match self.multibulk_header(buf, limits)? {
                        None => return Ok(None),
                        Some(0) => continue,
                        Some(count) => {
                            self.remaining = count;
                            self.args = Vec::with_capacity(count.min(INITIAL_ARGS));
                        }
                    },
                    Some(_) => match self.inline(buf)? {
                        None => return Ok(None),
                        Some(args) if args.is_empty() => continue,
                        Some(args) => return Ok(Some(Parsed::Owned(args))),
                    },
                }
            }
            while self.remaining > 0 {
                let len = match self.bulk_len {
                    Some(len) => len,
                    None => match self.bulk_header(buf, limits)? {
                        Some(len) => len,
                        None => return Ok(None),
                    },
                };
                if buf.len() < len.saturating_add(2) {
                    return Ok(None);
                }
                let arg = buf.split_to(len).freeze();
                buf.advance(2);
                self.args.push(arg);
                self.pending += len;
                self.remaining -= 1;
                self.bulk_len = None;
            }
            self.pending = 0;
            return Ok(Some(Parsed::Owned(std::mem::take(&mut self.args))));
        }
    }

    /// Finds the end of the line at the front of `buf` as C `strchr(buf, term)`
    /// would, resuming where the last search stopped: `Some(index of term)`, or
    /// `None` when it is not there (yet), or hidden behind a NUL byte.
    fn find_line_end(&mut self, buf: &[u8], term: u8) -> Option<usize> {
        let from = self.scanned.min(buf.len());
        let rest = buf.get(from..).unwrap_or_default();
        match rest.iter().position(|&b| b == term || b == 0) {
            Some(offset) => {
                let at = from + offset;
                // Stay on it: a NUL is found again at once next time.
                self.scanned = at;
                (buf.get(at) == Some(&term)).then_some(at)
            }
            None => {
                self.scanned = buf.len();
                None
            }
        }
    }

    /// A complete header line `<type><integer>\r<any byte>` at the front of `buf`:
    /// `Some(index of '\r')`. `too_big` if there is no `\r` in over 64 KiB.
    fn header_line(&mut self, buf: &[u8], too_big: ProtocolError) -> Step<usize> {
        match self.find_line_end(buf, b'\r') {
            None if buf.len() > INLINE_MAX_SIZE => Err(too_big),
            None => Ok(None),
            // Redis only needs one more byte after the `\r`, whatever it is.
            Some(cr) if cr + 2 > buf.len() => Ok(None),
            Some(cr) => Ok(Some(cr)),
        }
    }

    /// Consumes a `*<count>` line: `Some(count)` (0 for an empty request), or
    /// `None` if the line is incomplete.
    fn multibulk_header(&mut self, buf: &mut BytesMut, limits: &ParseLimits) -> Step<usize> {
        let Some(cr) = self.header_line(buf, ProtocolError::TooBigMultibulkCount)? else {
            return Ok(None);
        };
        let count = buf
            .get(1..cr)
            .and_then(string2ll)
            .filter(|&n| n <= MAX_MULTIBULK_COUNT)
            .ok_or(ProtocolError::InvalidMultibulkLength)?;
        if count > UNAUTH_MAX_MULTIBULK as i64 && !limits.authenticated {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        buf.advance(cr + 2);
        self.scanned = 0;
        Ok(Some(usize::try_from(count).unwrap_or(0)))
    }

    /// Consumes a `$<len>` line and records the length: `Some(len)`, or `None` if
    /// the line is incomplete.
    fn bulk_header(&mut self, buf: &mut BytesMut, limits: &ParseLimits) -> Step<usize> {
        let Some(cr) = self.header_line(buf, ProtocolError::TooBigBulkCount)? else {
            return Ok(None);
        };
        match buf.first() {
            Some(b'$') => {}
            Some(&other) => return Err(ProtocolError::ExpectedDollar(other)),
            None => return Ok(None),
        }
        let len = buf
            .get(1..cr)
            .and_then(string2ll)
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n <= limits.max_bulk_len)
            .ok_or(ProtocolError::InvalidBulkLength)?;
        if len > UNAUTH_MAX_BULK && !limits.authenticated {
            return Err(ProtocolError::UnauthenticatedBulkLength);
        }
        let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidBulkLength)?;
        buf.advance(cr + 2);
        self.scanned = 0;
        self.bulk_len = Some(len);
        Ok(Some(len))
    }

    /// Consumes an inline line: `Some(args)` (empty for a blank line), or `None` if
    /// the line is incomplete.
    fn inline(&mut self, buf: &mut BytesMut) -> Step<Vec<Bytes>> {
        let Some(newline) = self.find_line_end(buf, b'\n') else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::TooBigInlineRequest);
            }
            return Ok(None);
        };
        let line = buf.split_to(newline + 1).freeze();
        self.scanned = 0;
        let end = match newline.checked_sub(1) {
            Some(cr) if line.get(cr) == Some(&b'\r') => cr,
            _ => newline,
        };
        split_args(&line.slice(..end))
            .map(Some)
            .ok_or(ProtocolError::UnbalancedQuotes)
    }
}

#[cfg(test)]
mod tests {
    use super::ProtocolError::*;
    use super::*;
    use proptest::prelude::*;

    const MAX: u64 = 512 * 1024 * 1024;
    /// The requests parsed, then the error if any.
    type Outcome = (Vec<Vec<Bytes>>, Option<ProtocolError>);
    const AUTHED: ParseLimits = limits(true);

    const fn limits(authenticated: bool) -> ParseLimits {
        ParseLimits {
            max_bulk_len: MAX,
            authenticated,
        }
    }

    /// A request's arguments as owned values, to compare.
    fn owned(req: &Request) -> Vec<Bytes> {
        req.argv()
            .iter()
            .map(|a| Bytes::copy_from_slice(a))
            .collect()
    }

    /// Parses everything in `input` at once: the requests, then the error if any.
    fn parse_all(input: &[u8], limits: &ParseLimits) -> Outcome {
        feed(input, &[input.len().max(1)], limits)
    }

    /// The error parsing `input` ends with, authenticated or not.
    fn err(input: impl AsRef<[u8]>, authenticated: bool) -> Option<ProtocolError> {
        parse_all(input.as_ref(), &limits(authenticated)).1
    }

    fn cmd(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::from(a.to_string())).collect()
    }

    fn encode(args: &[Vec<u8>], out: &mut Vec<u8>) {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
    }

    #[test]
    fn multibulk_and_inline_pipelined() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\nPING\r\n\
            ECHO \"hi there\"\n*0\r\n*-5\r\n\r\n   \r\n\n*1\r\n$4\r\nPING\r\nGET k\n";
        let want = [
            cmd(&["SET", "k", "a\r\nb"]),
            cmd(&["PING"]),
            cmd(&["ECHO", "hi there"]),
        ];
        let want = [&want[..], &[cmd(&["PING"]), cmd(&["GET", "k"])]].concat();
        assert_eq!(parse_all(input, &AUTHED), (want, None));
    }

    #[test]
    fn empty_requests_are_consumed() {
        let mut buf = BytesMut::from(&b"*0\r\n*-5\r\n  \t \r\n\n*-9223372036854775808\r\n"[..]);
        let mut parser = RequestParser::new();
        assert_eq!(parser.next_request(&mut buf, &limits(false)), Ok(None));
        assert!(buf.is_empty());
    }

    #[test]
    fn redis_quirks_unchecked_line_endings() {
        // The byte after `\r` and the two bytes after a payload are skipped unchecked.
        let input = b"*1\rX$4\rXPING\r\n*1\r\n$4\r\nPINGxyECHO a\rb\r\n";
        let want = vec![cmd(&["PING"]), cmd(&["PING"]), cmd(&["ECHO", "a", "b"])];
        assert_eq!(parse_all(input, &AUTHED), (want, None));
    }

    #[test]
    fn waits_for_complete_lines_and_payloads() {
        let partials =
            "*1|*1\r|*1\r\n$4|*1\r\n$4\r|*1\r\n$4\r\nPI|*1\r\n$4\r\nPING\r|PING|*1\r\nfoo";
        for partial in partials.split('|').chain(["ECHO \"a", "*1\r\n$16384\r\n"]) {
            assert_eq!(
                parse_all(partial.as_bytes(), &limits(false)),
                (vec![], None)
            );
        }
    }

    #[test]
    fn nul_hides_the_line_end_like_strchr() {
        for input in "*1\0\r\n$4\r\nPING\r\n|PING\0\nPING\n|\0PING\r\n|*1\r\n$4\0\r\n".split('|') {
            assert_eq!(parse_all(input.as_bytes(), &AUTHED), (vec![], None));
        }
        let mut big = b"*1".to_vec();
        big.resize(70_000, 0);
        assert_eq!(err(big, true), Some(TooBigMultibulkCount));
    }

    #[test]
    fn invalid_multibulk_length() {
        let bad = "abc|-0|+1|01| 1|1 ||2147483648|-9223372036854775809|99999999999999999999";
        for bad in bad.split('|') {
            let input = format!("*{bad}\r\n*1\r\n$4\r\nPING\r\n");
            assert_eq!(err(input, true), Some(InvalidMultibulkLength), "{bad}");
        }
        // INT_MAX itself is accepted, and then waits for its arguments.
        assert_eq!(err("*2147483647\r\n", true), None);
        // Before authentication, invalid wins over unauthenticated.
        assert_eq!(err("*2147483648\r\n", false), Some(InvalidMultibulkLength));
    }

    #[test]
    fn unauthenticated_multibulk_length() {
        assert_eq!(err("*11\r\n", false), Some(UnauthenticatedMultibulkLength));
        assert_eq!(err("*10\r\n", false), None);
        assert_eq!(err("*11\r\n", true), None);
        // Inline requests have no such limit.
        let (reqs, _) = parse_all(b"a b c d e f g h i j k l m\r\n", &limits(false));
        assert_eq!(reqs.first().map(Vec::len), Some(13));
    }

    #[test]
    fn too_big_count_strings() {
        let mut input = b"*".to_vec();
        input.resize(INLINE_MAX_SIZE, b'1');
        assert_eq!(err(&input, true), None);
        input.push(b'1');
        assert_eq!(err(&input, true), Some(TooBigMultibulkCount));

        let mut input = b"*1\r\n$".to_vec();
        input.resize(4 + INLINE_MAX_SIZE, b'1');
        assert_eq!(err(&input, true), None);
        input.push(b'1');
        assert_eq!(err(&input, true), Some(TooBigBulkCount));
    }

    #[test]
    fn expected_dollar() {
        let e = err("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", true);
        assert_eq!(e, Some(ExpectedDollar(b'f')));
        for (input, shown) in [
            ("*1\r\nfoo\r\n", 'f'),
            ("*1\r\n\r\n", ' '),
            ("*1\r\n\n\r\n", ' '),
        ] {
            let want = format!("Protocol error: expected '$', got '{shown}'");
            assert_eq!(err(input, false).map(|e| e.to_string()), Some(want.clone()));
            assert_eq!(err(input, false).map(|e| e.reply_text()), Some(want.into()));
        }
        // A byte that is not UTF-8 goes back as it came, as Redis's `%c` sends it;
        // the log shows it escaped.
        let e = err(&b"*1\r\n\xc3\xa9\r\n"[..], false).expect("an error");
        assert_eq!(e.reply_text(), b"Protocol error: expected '$', got '\xc3'");
        assert_eq!(e.to_string(), "Protocol error: expected '$', got '\\xc3'");
        assert_eq!(
            InvalidBulkLength.reply_text(),
            b"Protocol error: invalid bulk length"
        );
    }

    #[test]
    fn invalid_bulk_length() {
        for bad in "-1|-0|01|+4||4 |x|9223372036854775808".split('|') {
            let input = format!("*1\r\n${bad}\r\n");
            assert_eq!(err(input, true), Some(InvalidBulkLength), "{bad}");
        }
        let mut small = AUTHED;
        small.max_bulk_len = 5;
        let (reqs, e) = parse_all(b"*1\r\n$5\r\nhello\r\n*1\r\n$6\r\n", &small);
        assert_eq!((reqs, e), (vec![cmd(&["hello"])], Some(InvalidBulkLength)));
        // Invalid wins over unauthenticated.
        assert_eq!(err("*1\r\n$536870913\r\n", false), Some(InvalidBulkLength));
    }

    #[test]
    fn unauthenticated_bulk_length() {
        let (over, max) = ("*1\r\n$16385\r\n", "*1\r\n$16384\r\n");
        assert_eq!(err(over, false), Some(UnauthenticatedBulkLength));
        assert_eq!((err(max, false), err(over, true)), (None, None));
    }

    #[test]
    fn too_big_inline_request() {
        let mut input = vec![b'A'; INLINE_MAX_SIZE];
        assert_eq!(err(&input, true), None);
        input.push(b'A');
        assert_eq!(err(&input, true), Some(TooBigInlineRequest));
        // A longer line is fine once its newline is there.
        input.push(b'\n');
        assert_eq!(parse_all(&input, &AUTHED).0.len(), 1);
    }

    #[test]
    fn unbalanced_quotes() {
        for bad in "ECHO \"a\"b\n|ECHO \"abc\r\n|ECHO 'abc\n|ECHO \"a\\\"\r\n|'a'b c\n".split('|') {
            assert_eq!(err(bad, true), Some(UnbalancedQuotes), "{bad:?}");
        }
    }

    #[test]
    fn error_texts() {
        let texts = [
            (InvalidMultibulkLength, "invalid multibulk length"),
            (
                UnauthenticatedMultibulkLength,
                "unauthenticated multibulk length",
            ),
            (TooBigMultibulkCount, "too big mbulk count string"),
            (TooBigBulkCount, "too big bulk count string"),
            (ExpectedDollar(b'f'), "expected '$', got 'f'"),
            (InvalidBulkLength, "invalid bulk length"),
            (UnauthenticatedBulkLength, "unauthenticated bulk length"),
            (TooBigInlineRequest, "too big inline request"),
            (UnbalancedQuotes, "unbalanced quotes in request"),
        ];
        for (e, text) in texts {
            assert_eq!(e.to_string(), format!("Protocol error: {text}"));
        }
    }

    #[test]
    fn arguments_are_zero_copy_and_progress_is_kept() {
        let (mut parser, mut buf) = (RequestParser::new(), BytesMut::with_capacity(64));
        buf.extend_from_slice(b"*2\r\n$5\r\nhello\r\n$5\r\nwor");
        let start = buf.as_ptr() as usize;
        assert_eq!(parser.next_request(&mut buf, &AUTHED), Ok(None));
        assert_eq!((parser.pending_bytes(), &buf[..]), (5, &b"wor"[..]));
        buf.extend_from_slice(b"ld\r\n");
        let req = parser.next_request(&mut buf, &AUTHED);
        assert_eq!(req, Ok(Some(Request::Owned(cmd(&["hello", "world"])))));
        let req = req.ok().flatten().unwrap_or(Request::Owned(vec![]));
        let first = req.argv().first().map(|a| a.as_ptr() as usize);
        assert_eq!(first, Some(start + 8));
        drop(req);
        assert_eq!(parser.pending_bytes(), 0);
    }

    #[test]
    fn whole_requests_are_split_off_once() {
        let (mut parser, mut buf) = (RequestParser::new(), BytesMut::with_capacity(64));
        buf.extend_from_slice(b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$4\r\nPING\r\n");
        let start = buf.as_ptr() as usize;
        let req = parser.next_request(&mut buf, &AUTHED).ok().flatten();
        let Some(Request::Whole { bytes, spans }) = &req else {
            panic!("not split whole: {req:?}");
        };
        assert_eq!((bytes.as_ptr() as usize, bytes.len()), (start, 22));
        assert_eq!(spans, &[(8, 12), (18, 20)]);
        let argv = req.as_ref().map(Request::argv).unwrap_or_default();
        assert_eq!(&argv[..], &[&b"ECHO"[..], &b"hi"[..]]);
        assert_eq!(argv.first().map(|a| a.as_ptr() as usize), Some(start + 8));
        assert_eq!(&buf[..], &b"*1\r\n$4\r\nPING\r\n"[..]);
    }

    #[test]
    fn huge_command_in_4k_chunks() {
        let args: Vec<Vec<u8>> = (0..400_000).map(|i| i.to_string().into_bytes()).collect();
        let mut input = Vec::new();
        encode(&args, &mut input);
        let (mut parser, mut buf, mut got) = (RequestParser::new(), BytesMut::new(), None);
        for chunk in input.chunks(4096) {
            assert!(got.is_none());
            buf.extend_from_slice(chunk);
            let req = parser.next_request(&mut buf, &AUTHED).unwrap_or_default();
            got = req.as_ref().map(owned);
        }
        let got = got.unwrap_or_default();
        assert_eq!(got.len(), args.len());
        assert!(got.iter().zip(&args).all(|(g, a)| g[..] == a[..]));
        assert!(buf.is_empty());
    }

    /// A request: multibulk (0), inline (1), or an empty one (2..=4) of no arguments.
    fn request() -> impl Strategy<Value = (u8, Vec<Vec<u8>>)> {
        let byte = prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n')];
        let binary = prop::collection::vec(byte, 0..40);
        let word = "[a-zA-Z0-9_:]{1,12}".prop_map(String::into_bytes);
        prop_oneof![
            6 => prop::collection::vec(binary, 1..8).prop_map(|a| (0u8, a)),
            2 => prop::collection::vec(word, 1..6).prop_map(|a| (1u8, a)),
            1 => (2u8..5).prop_map(|k| (k, Vec::new())),
        ]
    }

    /// Feeds `input` to a parser in pieces of the `cuts` sizes (cycled), stopping at
    /// an error: the requests, then the error if any.
    fn feed(input: &[u8], cuts: &[usize], limits: &ParseLimits) -> Outcome {
        let (mut parser, mut buf, mut got) = (RequestParser::new(), BytesMut::new(), vec![]);
        let (mut cuts, mut rest) = (cuts.iter().cycle(), input);
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(cuts.next().copied().unwrap_or(1).min(rest.len()));
            rest = tail;
            buf.extend_from_slice(chunk);
            loop {
                match parser.next_request(&mut buf, limits) {
                    Ok(Some(req)) => {
                        assert_eq!(req.len(), req.argv().len());
                        got.push(owned(&req));
                    }
                    Ok(None) => break,
                    Err(e) => return (got, Some(e)),
                }
            }
            let held: usize = parser.args.iter().map(Bytes::len).sum();
            assert_eq!(parser.pending_bytes(), held);
        }
        (got, None)
    }

    proptest! {
        #[test]
        fn any_split_parses_the_same(
            reqs in prop::collection::vec(request(), 1..20),
            cuts in prop::collection::vec(1usize..64, 1..200),
        ) {
            let mut input = Vec::new();
            for (kind, args) in &reqs {
                match kind {
                    0 => encode(args, &mut input),
                    1 => input.extend_from_slice(&[&args.join(&b' ')[..], b"\r\n"].concat()),
                    2 => input.extend_from_slice(b"*0\r\n"),
                    3 => input.extend_from_slice(b"*-1\r\n"),
                    _ => input.extend_from_slice(b" \r\n"),
                }
            }
            let want: Vec<Vec<Bytes>> = reqs
                .iter()
                .filter(|(_, args)| !args.is_empty())
                .map(|(_, args)| args.iter().map(|a| Bytes::copy_from_slice(a)).collect())
                .collect();
            prop_assert_eq!(feed(&input, &cuts, &AUTHED), (want, None));
        }

        #[test]
        fn random_bytes_never_panic(
            parts in prop::collection::vec(prop_oneof![
                any::<u8>().prop_map(|b| vec![b]),
                prop::sample::select(vec![
                    "*", "$", "\r\n", "\r", "\n", "\"", "'", "\\", " ", "\\x4", "-", "0", "1", "3",
                    "10", "11", "16385", "2147483648", "\0",
                ]).prop_map(|s| s.as_bytes().to_vec()),
            ], 0..300),
            cuts in prop::collection::vec(1usize..50, 1..50),
            authenticated in any::<bool>(),
            max_bulk_len in 0u64..20,
        ) {
            let limits = ParseLimits { max_bulk_len, authenticated };
            let (reqs, _) = feed(&parts.concat(), &cuts, &limits);
            prop_assert!(reqs.iter().all(|r| !r.is_empty()));
        }
    }
}
