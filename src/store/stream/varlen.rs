//! The compact length prefix of stored values, and the RESP bulk headers replies
//! write back in its place.
//!
//! A value's length takes one byte below 240, three bytes (`0xF0` + u16 little
//! endian, offset by 240) below 240 + 65536, five bytes (`0xF1` + u32) above.
//! A RESP header (`$90\r\n`) would take four to seven. The byte `0xFF` never
//! starts a length, so it can tag data that is not a run of values.

/// Lengths below this take one byte.
const SHORT: usize = 0xF0;
/// Prefix of a 16-bit length (offset by [`SHORT`]).
const LEN16: u8 = 0xF0;
/// Prefix of a 32-bit length.
const LEN32: u8 = 0xF1;
/// The byte no length starts with.
pub(crate) const NOT_A_LENGTH: u8 = 0xFF;

/// Bytes the prefix of an `n`-byte value takes.
pub(crate) fn prefix_len(n: usize) -> usize {
    if n < SHORT {
        1
    } else if n < SHORT + (1 << 16) {
        3
    } else {
        5
    }
}

/// Appends the prefix of an `n`-byte value. Values are at most 1 GiB (the
/// listpack cap), so `n` fits in 32 bits.
pub(crate) fn push_prefix(out: &mut Vec<u8>, n: usize) {
    if n < SHORT {
        out.push(n as u8);
    } else if n < SHORT + (1 << 16) {
        out.push(LEN16);
        out.extend_from_slice(&((n - SHORT) as u16).to_le_bytes());
    } else {
        out.push(LEN32);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
}

/// Splits one prefixed value off `data`: (the value, the rest).
pub(crate) fn split_value(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = data.split_first()?;
    let (n, rest) = match first {
        b if (b as usize) < SHORT => (b as usize, rest),
        LEN16 => {
            let (bytes, rest) = rest.split_first_chunk::<2>()?;
            (SHORT + usize::from(u16::from_le_bytes(*bytes)), rest)
        }
        LEN32 => {
            let (bytes, rest) = rest.split_first_chunk::<4>()?;
            (u32::from_le_bytes(*bytes) as usize, rest)
        }
        _ => return None,
    };
    if rest.len() < n {
        return None;
    }
    Some(rest.split_at(n))
}

/// The RESP bulk header `$n\r\n` of every length below [`SHORT`], built at compile
/// time so a reply copies it instead of formatting the number.
struct Headers {
    bytes: [[u8; 6]; SHORT],
    lens: [u8; SHORT],
}

const fn build_headers() -> Headers {
    let mut bytes = [[0u8; 6]; SHORT];
    let mut lens = [0u8; SHORT];
    let mut n = 0;
    while n < SHORT {
        let h = &mut bytes[n];
        h[0] = b'$';
        let mut at = 1;
        if n >= 100 {
            h[at] = b'0' + (n / 100) as u8;
            at += 1;
        }
        if n >= 10 {
            h[at] = b'0' + ((n / 10) % 10) as u8;
            at += 1;
        }
        h[at] = b'0' + (n % 10) as u8;
        h[at + 1] = b'\r';
        h[at + 2] = b'\n';
        lens[n] = (at + 3) as u8;
        n += 1;
    }
    Headers { bytes, lens }
}

static HEADERS: Headers = build_headers();

/// Calls `put` with the RESP bulk header of an `n`-byte value.
pub(crate) fn with_bulk_header<R>(n: usize, put: impl FnOnce(&[u8]) -> R) -> R {
    if n < SHORT {
        put(&HEADERS.bytes[n][..usize::from(HEADERS.lens[n])])
    } else {
        let mut num = itoa::Buffer::new();
        let digits = num.format(n).as_bytes();
        let mut h = [0u8; 24];
        h[0] = b'$';
        h[1..1 + digits.len()].copy_from_slice(digits);
        h[1 + digits.len()..3 + digits.len()].copy_from_slice(b"\r\n");
        put(&h[..3 + digits.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_round_trip_at_every_boundary() {
        for n in [0, 1, 239, 240, 241, 65_775, 65_776, 70_000] {
            let mut data = Vec::new();
            push_prefix(&mut data, n);
            assert_eq!(data.len(), prefix_len(n), "{n}");
            assert_ne!(data[0], NOT_A_LENGTH);
            data.resize(data.len() + n, b'x');
            data.extend_from_slice(b"tail");
            let (value, rest) = split_value(&data).expect("splits");
            assert_eq!((value.len(), rest), (n, &b"tail"[..]), "{n}");
        }
        assert_eq!(split_value(&[5, b'a']), None, "short value");
        assert_eq!(split_value(&[NOT_A_LENGTH]), None);
    }

    #[test]
    fn headers_match_formatting() {
        for n in [0, 9, 10, 99, 100, 239, 240, 1000, 123_456] {
            let got = with_bulk_header(n, <[u8]>::to_vec);
            assert_eq!(got, format!("${n}\r\n").into_bytes());
        }
    }
}
