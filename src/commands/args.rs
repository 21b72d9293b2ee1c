//! A cursor over a command's arguments, so each command parses its own options.

use bytes::Bytes;

use super::CommandError;

/// Arguments after the command name (and subcommand), consumed left to right.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    args: &'a [Bytes],
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor over `args`.
    pub fn new(args: &'a [Bytes]) -> Self {
        Args { args, pos: 0 }
    }

    /// Arguments not consumed yet.
    pub fn remaining(&self) -> usize {
        self.args.len() - self.pos
    }

    /// True when every argument was consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The rest as a slice, without consuming it.
    pub fn rest(&self) -> &'a [Bytes] {
        &self.args[self.pos..]
    }

    /// The next argument, if any, without consuming it.
    pub fn peek(&self) -> Option<&'a Bytes> {
        self.args.get(self.pos)
    }

    /// The next argument.
    pub fn next_opt(&mut self) -> Option<&'a Bytes> {
        let a = self.args.get(self.pos)?;
        self.pos += 1;
        Some(a)
    }

    /// The next argument; a syntax error when there is none.
    pub fn next_arg(&mut self) -> Result<&'a Bytes, CommandError> {
        self.next_opt().ok_or(CommandError::Syntax)
    }

    /// The next argument parsed as a Redis integer (`string2ll` rules).
    pub fn next_i64(&mut self) -> Result<i64, CommandError> {
        parse_i64(self.next_arg()?).ok_or(CommandError::NotInteger)
    }

    /// True (and consumed) when the next argument equals `word`, ignoring case.
    pub fn eat(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(a) if a.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }
}

/// Parses an integer the way Redis's `string2ll` does: optional `-`, digits, no
/// leading zeros (except `0` itself), no spaces or `+`, within `i64`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i128).wrapping_neg() as i64)
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses an unsigned integer with the same rules (`string2ull`-like, as SCAN cursors).
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || s[0] == b'-' || s[0] == b'+' {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"-0",
            b"-",
            b"9223372036854775808",
            b"1.0",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }
}
