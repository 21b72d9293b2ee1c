//! Each worker thread's spare I/O buffers.
//!
//! A connection holds a read or a write buffer only while bytes are in it. When it
//! parks (waiting for a request, or blocked in XREAD) it gives empty buffers back
//! to the thread it runs on, and the next connection that thread serves takes the
//! same memory, still in cache. With a buffer pair of its own per connection,
//! 1000 readers parked on one stream kept 32 MB of buffers: by each reader's turn
//! its buffers, and the page-table entries for them, had long left the cache, and
//! the kernel's copy of the request, the parser, and the reply each paid for that.
//! Redis does the same with its shared query buffer.

use std::cell::RefCell;

use bytes::BytesMut;

/// The size buffers are made at, and the room a read is given.
pub const CHUNK: usize = 16 * 1024;
/// Spare buffers a thread keeps; more are freed. A pipelined batch holds one pair
/// per connection across the yield before its write, so this covers a few dozen.
const KEEP: usize = 128;
/// A buffer grown past this (a large reply or request) is freed, not kept.
const KEEP_CAPACITY: usize = 64 * 1024;

thread_local! {
    static SPARE: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

/// A buffer with room for [`CHUNK`] bytes: the one this thread used last, or a new one.
pub fn take() -> BytesMut {
    SPARE
        .with(|spare| spare.borrow_mut().pop())
        .unwrap_or_else(|| BytesMut::with_capacity(CHUNK))
}

/// Gives `buf` (its contents dropped) back to this thread's spares. A buffer that
/// request arguments still point into cannot be reused in place; it is left to
/// them and freed with the last one.
pub fn give(mut buf: BytesMut) {
    buf.clear();
    if buf.capacity() > KEEP_CAPACITY || !buf.try_reclaim(CHUNK) {
        return;
    }
    SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.len() < KEEP {
            spare.push(buf);
        }
    });
}

/// Runs `read` on this thread's next spare buffer where it lies. When the read
/// leaves bytes in it, the buffer is taken and returned with them; a read that
/// finds nothing (the usual poll of a parked connection) leaves it in place.
pub fn read_into_spare<T>(read: impl FnOnce(&mut BytesMut) -> T) -> (T, Option<BytesMut>) {
    SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.is_empty() {
            spare.push(BytesMut::with_capacity(CHUNK));
        }
        let last = spare.len() - 1;
        let result = read(&mut spare[last]);
        let filled = if spare[last].is_empty() {
            None
        } else {
            spare.pop()
        };
        (result, filled)
    })
}

/// Makes sure `buf` has a buffer to write into, taking a spare when it has none.
pub fn attach(buf: &mut BytesMut) {
    if buf.capacity() == 0 {
        *buf = take();
    }
}

/// Gives `buf`'s memory back when it holds no bytes, leaving it empty.
pub fn release(buf: &mut BytesMut) {
    if buf.is_empty() && buf.capacity() != 0 {
        give(std::mem::take(buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_buffer_is_the_next_one_taken() {
        let mut buf = take();
        buf.extend_from_slice(b"+OK\r\n");
        buf.clear();
        let at = buf.as_ptr();
        release(&mut buf);
        assert_eq!(
            buf.capacity(),
            0,
            "the connection holds nothing while parked"
        );
        let again = take();
        assert_eq!(again.as_ptr(), at, "same memory, still in cache");
        assert!(again.capacity() >= CHUNK);
        assert!(again.is_empty());
    }

    #[test]
    fn a_read_that_finds_nothing_leaves_the_spare_in_place() {
        let (seen, filled) = read_into_spare(|buf| buf.as_ptr());
        assert!(filled.is_none());
        let (again, filled) = read_into_spare(|buf| {
            buf.extend_from_slice(b"PING\r\n");
            buf.as_ptr()
        });
        assert_eq!(again, seen, "the same spare was offered again");
        let filled = filled.expect("bytes arrived, so the buffer is the reader's");
        assert_eq!(&filled[..], b"PING\r\n");
        let (next, _) = read_into_spare(|buf| buf.as_ptr());
        assert_ne!(next, seen, "the filled buffer left the spares");
    }

    #[test]
    fn a_buffer_with_bytes_is_kept_by_its_connection() {
        let mut buf = take();
        buf.extend_from_slice(b"*1\r\n$4\r\nPI");
        release(&mut buf);
        assert_eq!(&buf[..], b"*1\r\n$4\r\nPI");
    }

    #[test]
    fn a_buffer_arguments_still_point_into_is_not_reused() {
        let mut buf = take();
        buf.extend_from_slice(b"key");
        let arg = buf.split_to(3).freeze();
        let at = buf.as_ptr();
        release(&mut buf);
        let next = take();
        assert_ne!(next.as_ptr(), at, "would overwrite the live argument");
        assert_eq!(&arg[..], b"key");
    }

    #[test]
    fn a_grown_buffer_is_freed() {
        let spares = || SPARE.with(|spare| spare.borrow().len());
        let mut buf = take();
        buf.resize(KEEP_CAPACITY + 1, 0);
        buf.clear();
        let before = spares();
        release(&mut buf);
        assert_eq!(spares(), before, "not kept");
        assert_eq!(buf.capacity(), 0);
    }
}
