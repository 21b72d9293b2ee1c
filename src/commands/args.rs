//! A cursor over a command's arguments, so each command parses its own options.

use super::CommandError;
pub use crate::num::string2ll as parse_i64;

/// Arguments after the command name (and subcommand), consumed left to right.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    args: &'a [&'a [u8]],
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor over `args`.
    pub fn new(args: &'a [&'a [u8]]) -> Self {
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
    pub fn rest(&self) -> &'a [&'a [u8]] {
        &self.args[self.pos..]
    }

    /// The next argument, if any, without consuming it.
    pub fn peek(&self) -> Option<&'a [u8]> {
        self.args.get(self.pos).copied()
    }

    /// The next argument.
    pub fn next_opt(&mut self) -> Option<&'a [u8]> {
        let a = *self.args.get(self.pos)?;
        self.pos += 1;
        Some(a)
    }

    /// The next argument; a syntax error when there is none.
    pub fn next_arg(&mut self) -> Result<&'a [u8], CommandError> {
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

/// Parses an unsigned integer with the same rules (`string2ull`-like, as SCAN cursors).
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || s[0] == b'-' || s[0] == b'+' {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}
