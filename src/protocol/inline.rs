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
//! A NUL byte ends the line as it ends a C string (the parser never passes one: it
//! stops looking for a line's end at a NUL, as `strchr` does).

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

/// Splits one inline line (without its line ending) into arguments.
///
/// Returns `None` for unbalanced quotes. Arguments without quotes are zero-copy
/// slices of `line`. A NUL byte ends the line, as it ends a C string.
pub(super) fn split_args(line: &Bytes) -> Option<Vec<Bytes>> {
    let len = line.iter().position(|&c| c == 0).unwrap_or(line.len());
    let s = line.get(..len).unwrap_or_default();
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while s.get(p).is_some_and(|&c| is_space(c)) {
            p += 1;
        }
        let Some(rest) = s.get(p..).filter(|rest| !rest.is_empty()) else {
            return Some(args);
        };
        // An argument is an unquoted run, possibly followed by one quoted part
        // (after its closing quote the argument ends).
        let start = p;
        p += rest
            .iter()
            .position(|&c| matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\''))
            .unwrap_or(rest.len());
        match s.get(p) {
            Some(&quote @ (b'"' | b'\'')) => {
                let mut arg = s.get(start..p).unwrap_or_default().to_vec();
                p = quoted(s, p + 1, quote, &mut arg)?;
                args.push(Bytes::from(arg));
            }
            _ => args.push(line.slice(start..p)),
        }
    }
}

/// Appends the unescaped contents of a quoted part starting at `p` (just after the
/// opening `quote`) to `arg`; returns the position after the closing quote, or
/// `None` if the quotes do not balance.
fn quoted(s: &[u8], mut p: usize, quote: u8, arg: &mut Vec<u8>) -> Option<usize> {
    let at = |i: usize| s.get(i).copied();
    loop {
        let rest = s.get(p..)?;
        let run = rest.iter().position(|&c| c == b'\\' || c == quote)?;
        arg.extend_from_slice(rest.get(..run)?);
        p += run;
        if at(p) == Some(quote) {
            // The closing quote must be followed by whitespace or the end.
            return match at(p + 1) {
                Some(next) if !is_space(next) => None,
                _ => Some(p + 1),
            };
        }
        // A backslash.
        match (quote, at(p + 1)) {
            (b'\'', Some(b'\'')) => {
                arg.push(b'\'');
                p += 2;
            }
            (b'\'', _) => {
                arg.push(b'\\');
                p += 1;
            }
            (_, Some(b'x')) => match (at(p + 2).and_then(hex_value), at(p + 3).and_then(hex_value))
            {
                (Some(hi), Some(lo)) => {
                    arg.push(hi * 16 + lo);
                    p += 4;
                }
                // `\x` without two hex digits is an escaped `x`.
                _ => {
                    arg.push(b'x');
                    p += 2;
                }
            },
            (_, Some(escaped)) => {
                arg.push(match escaped {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                p += 2;
            }
            // A backslash at the very end: the quote is unterminated.
            (_, None) => return None,
        }
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
