//! Byte sizes of Redis listpack encodings (`listpack.c`), so a node can know the
//! size its Redis twin would have without storing listpack bytes.
//!
//! Redis decides where a stream node ends from the real byte size of its tail
//! listpack (`stream-node-max-bytes`), and `MAXLEN ~` / `MINID ~` only remove
//! whole nodes: matching these sizes byte for byte is what makes approximate
//! trimming leave exactly the lengths Redis leaves.

use super::id::string2ll;

/// Listpack header: 4 bytes total size + 2 bytes element count.
pub(crate) const LP_HDR_SIZE: u64 = 6;
/// The end-of-listpack byte.
pub(crate) const LP_EOF_SIZE: u64 = 1;
/// `STREAM_LISTPACK_MAX_SIZE`: node size cap, and the limit on one entry's data.
pub(crate) const STREAM_LISTPACK_MAX_SIZE: u64 = 1 << 30;

/// `lpEncodeBacklen` size for an element whose encoding + data is `l` bytes.
pub(crate) fn backlen_size(l: u64) -> u64 {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

/// `lpEncodeIntegerGetType`: encoding bytes of an integer element.
pub(crate) fn int_enc_len(v: i64) -> u64 {
    if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8388608..=8388607).contains(&v) {
        4
    } else if (-2147483648..=2147483647).contains(&v) {
        5
    } else {
        9
    }
}

/// Whole size (encoding + backlen) of an integer element.
pub(crate) fn int_elem(v: i64) -> u64 {
    let enc = int_enc_len(v);
    enc + backlen_size(enc)
}

/// Whole size of an element holding `s`: an integer when `s` is a canonical
/// `i64` (`lpStringToInt64`, same rules as `string2ll`), else a 6-bit, 12-bit or
/// 32-bit length string.
pub(crate) fn elem(s: &[u8]) -> u64 {
    if let Some(v) = string2ll(s) {
        return int_elem(v);
    }
    let n = s.len() as u64;
    let enc = if n < 64 {
        1 + n
    } else if n < 4096 {
        2 + n
    } else {
        5 + n
    };
    enc + backlen_size(enc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_elements() {
        assert_eq!(int_elem(0), 2);
        assert_eq!(int_elem(127), 2);
        assert_eq!(int_elem(128), 3);
        assert_eq!(int_elem(-1), 3);
        assert_eq!(int_elem(4095), 3);
        assert_eq!(int_elem(-4096), 3);
        assert_eq!(int_elem(4096), 4);
        assert_eq!(int_elem(32767), 4);
        assert_eq!(int_elem(32768), 5);
        assert_eq!(int_elem(8388607), 5);
        assert_eq!(int_elem(8388608), 6);
        assert_eq!(int_elem(2147483647), 6);
        assert_eq!(int_elem(2147483648), 10);
        assert_eq!(int_elem(i64::MIN), 10);
    }

    #[test]
    fn string_elements() {
        assert_eq!(elem(b"role"), 6);
        assert_eq!(elem(b"12345"), 4, "numeric strings are stored as integers");
        assert_eq!(elem(b"012345"), 8, "a leading zero keeps it a string");
        assert_eq!(elem(b"-0"), 4);
        assert_eq!(elem(&[b'x'; 63]), 65);
        assert_eq!(elem(&[b'x'; 64]), 67);
        assert_eq!(elem(&[b'x'; 125]), 128);
        assert_eq!(elem(&[b'x'; 126]), 130, "backlen grows past 127");
        assert_eq!(elem(&[b'x'; 4095]), 4099);
        assert_eq!(elem(&[b'x'; 4096]), 4103);
        assert_eq!(elem(b"99999999999999999999"), 22, "beyond i64: a string");
    }

    #[test]
    fn backlen_thresholds() {
        assert_eq!(backlen_size(127), 1);
        assert_eq!(backlen_size(128), 2);
        assert_eq!(backlen_size(16382), 2);
        assert_eq!(backlen_size(16383), 3);
        assert_eq!(backlen_size(2097151), 4);
        assert_eq!(backlen_size(268435455), 5);
    }
}
