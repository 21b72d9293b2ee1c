//! Argument splitting for inline requests, byte for byte as Redis's `sdssplitargs`.
//!
//! Rules (Redis 7.0 `sds.c`):
//! - Leading whitespace (C `isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`) is skipped
//!   between arguments; an unquoted argument ends at space, `\t`, `\n`, `\r` or the end.
//! - `"..."` understands `\xHH` (two hex digits), `\n`, `\r`, `\t`, `\b`, `\a`, and
//!   `\<c>` for any other byte `c` (so `\\` and `\"`); a backslash at the very end is
//!   literal (and then the quote is unterminated).
//! - `'...'` understands only `\'`.
//! - Quotes may start in the middle of an argument (`ab"c d"` is `abc d`), but a
//!   closing quote must be followed by whitespace or the end of the line.
//! - An unterminated quote or a closing quote followed by anything else is an error.
//!
//! The input never contains a NUL byte (the parser stops looking for a line at a
//! NUL, as `strchr` does), so the end of the slice plays the role of C's terminator.

use bytes::Bytes;

/// C `isspace` in the "C" locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// An argument being collected: a plain run of the line starting at `plain`
/// (zero copy) until the first quote, then an owned buffer.
struct Token {
    plain: Option<usize>,
    bytes: Vec<u8>,
}

impl Token {
    /// Switches to the owned buffer, copying the plain run before `p`.
    fn owned(&mut self, s: &[u8], p: usize) -> &mut Vec<u8> {
        if let Some(start) = self.plain.take() {
            self.bytes
                .extend_from_slice(s.get(start..p).unwrap_or_default());
        }
        &mut self.bytes
    }

    /// The finished argument; a plain one ends at `end`.
    fn finish(self, line: &Bytes, end: usize) -> Bytes {
        match self.plain {
            Some(start) if start <= end && end <= line.len() => line.slice(start..end),
            Some(_) => Bytes::new(),
            None => Bytes::from(self.bytes),
        }
    }
}

/// Splits one inline line (without its line ending) into arguments.
///
/// Returns `None` for unbalanced quotes. Arguments without quotes are zero-copy
/// slices of `line`.
pub(super) fn split_args(line: &Bytes) -> Option<Vec<Bytes>> {
    let s: &[u8] = line;
    // The byte at `i`, or 0 (C's terminator) past the end.
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0usize;
    loop {
        while at(p) != 0 && is_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(args);
        }
        let mut token = Token {
            plain: Some(p),
            bytes: Vec::new(),
        };
        let (mut in_dq, mut in_sq, mut done) = (false, false, false);
        let mut end = p;
        while !done {
            let c = at(p);
            if in_dq {
                let hex = match (c, at(p + 1)) {
                    (b'\\', b'x') => hex_value(at(p + 2)).zip(hex_value(at(p + 3))),
                    _ => None,
                };
                if let Some((hi, lo)) = hex {
                    token.owned(s, p).push(hi * 16 + lo);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    token.owned(s, p).push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    token.owned(s, p).push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    token.owned(s, p).push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    token.owned(s, p).push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        done = true;
                        end = p;
                    }
                    b'"' => {
                        token.owned(s, p);
                        in_dq = true;
                    }
                    b'\'' => {
                        token.owned(s, p);
                        in_sq = true;
                    }
                    _ if token.plain.is_none() => token.bytes.push(c),
                    _ => {}
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        args.push(token.finish(line, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        split_args(&Bytes::copy_from_slice(line))
            .map(|v| v.into_iter().map(|b| b.to_vec()).collect())
    }

    fn strs(args: &[&str]) -> Option<Vec<Vec<u8>>> {
        Some(args.iter().map(|a| a.as_bytes().to_vec()).collect())
    }

    #[test]
    fn quoting_as_sdssplitargs() {
        // Each verified against redis-server 7.0.15 with ECHO.
        assert_eq!(split(b"ECHO \"hi there\""), strs(&["ECHO", "hi there"]));
        assert_eq!(split(b"ECHO 'it\\'s'"), strs(&["ECHO", "it's"]));
        assert_eq!(
            split(b"ECHO \"\\x41\\x4g\\q\\n\""),
            strs(&["ECHO", "Ax4gq\n"])
        );
        assert_eq!(split(b"ECHO abc\"def\""), strs(&["ECHO", "abcdef"]));
        assert_eq!(split(b"ECHO \"abc\"\x0b"), strs(&["ECHO", "abc"]));
        assert_eq!(split(b"ECHO\x0bX"), strs(&["ECHO\x0bX"]));
        assert_eq!(split(b"ECHO \"a\"\r"), strs(&["ECHO", "a"]));
        assert_eq!(split(b"  a\t\tb  "), strs(&["a", "b"]));
        assert_eq!(split(b"\"\" ''"), strs(&["", ""]));
        assert_eq!(
            split(b"\"\\t\\r\\b\\a\\\\\\\"\""),
            Some(vec![b"\t\r\x08\x07\\\"".to_vec()])
        );
        assert_eq!(split(b"'a\\nb\\\\ c'"), strs(&["a\\nb\\\\ c"]));
        assert_eq!(split(b" \x0b\x0c "), Some(vec![]));
        for bad in [
            &b"\"a\"b"[..],
            b"\"abc",
            b"'abc",
            b"\"a\\\"",
            b"'a'b",
            b"\"a\\",
            b"'a\\nb\\\\'",
        ] {
            assert_eq!(split(bad), None, "{bad:?}");
        }
    }

    /// Double-quoted form of `arg`, with every escape `sdssplitargs` knows.
    fn quote(arg: &[u8], upper_hex: bool) -> Vec<u8> {
        let mut out = vec![b'"'];
        for &b in arg {
            match b {
                b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x07 => out.extend_from_slice(b"\\a"),
                0x20..=0x7e => out.push(b),
                _ if upper_hex => out.extend_from_slice(format!("\\x{b:02X}").as_bytes()),
                _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            }
        }
        out.push(b'"');
        out
    }

    proptest! {
        #[test]
        fn double_quoted_args_round_trip(
            args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..8),
            upper_hex in any::<bool>(),
        ) {
            let line: Vec<u8> = args.iter().map(|a| quote(a, upper_hex)).collect::<Vec<_>>().join(&b' ');
            prop_assert_eq!(split(&line), Some(args));
        }

        #[test]
        fn single_quoted_printable_args_round_trip(args in prop::collection::vec("[ -&(-\\[\\]-~']{0,24}", 1..8)) {
            let line = args.iter().map(|a| format!("'{}'", a.replace('\'', "\\'"))).collect::<Vec<_>>().join("\t");
            prop_assert_eq!(split(line.as_bytes()), Some(args.into_iter().map(String::into_bytes).collect()));
        }
    }
}
