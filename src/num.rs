//! Redis's integer parsing rules, shared by the request parser, the commands, the
//! configuration and stream IDs: clients and tests depend on exactly which texts
//! Redis accepts as numbers.

/// Parses an integer as Redis's `string2ll`: an optional `-`, digits, no leading
/// zeros (except `0` itself), no `+` or spaces, at most 20 bytes, within `i64`.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
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
    let v = i128::from(v);
    i64::try_from(if negative { -v } else { v }).ok()
}

#[cfg(test)]
mod tests {
    use super::string2ll;

    #[test]
    fn follows_string2ll() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"42"), Some(42));
        assert_eq!(string2ll(b"-12"), Some(-12));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"-0",
            b"-",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"1.0",
            b"123456789012345678901",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }
}
