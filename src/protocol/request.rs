//! One parsed request, as the parser hands it to the connection: the bytes it owns
//! and where its arguments lie.

use bytes::Bytes;
use smallvec::SmallVec;

use super::fast::Span;

/// A request's arguments as borrowed slices, what the commands take. Room for 16
/// without allocating: every command on the hot path has fewer.
pub type Argv<'a> = SmallVec<[&'a [u8]; 16]>;

/// One parsed request: it owns its bytes and knows where its arguments lie.
///
/// Handing the commands borrowed slices of it, rather than one reference-counted
/// `Bytes` per argument, saves an atomic increment and decrement per argument on
/// the read buffer's shared header (about a tenth of the server's CPU on a
/// pipelined XADD load).
///
/// The spans of a whole request are lent by the parser (its scratch vector,
/// reused by every request), which keeps the value small: it is moved out of the
/// parser by value, and a few hundred bytes of inline spans cost a `memcpy` at
/// each move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'p> {
    /// A request that was whole in the buffer (the fast path): its bytes, split off
    /// the buffer at once, and each argument's `(start, end)` in them.
    Whole {
        /// The request as sent, headers included.
        bytes: Bytes,
        /// Where each argument lies in `bytes`.
        spans: &'p [Span],
    },
    /// Arguments collected one by one: a request that spanned several reads, one
    /// past the fast path's limits, or an inline request.
    Owned(Vec<Bytes>),
}

impl Request<'_> {
    /// Number of arguments (never 0: empty requests are skipped).
    pub fn len(&self) -> usize {
        match self {
            Request::Whole { spans, .. } => spans.len(),
            Request::Owned(args) => args.len(),
        }
    }

    /// True when the request has no argument (the parser never returns one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the arguments to `argv`, as the commands take them. The caller
    /// owns the vector, so it is filled where it lives rather than returned.
    pub fn fill<'a>(&'a self, argv: &mut Argv<'a>) {
        match self {
            Request::Whole { bytes, spans } => {
                argv.extend(
                    spans
                        .iter()
                        .map(|&(a, b)| bytes.get(a as usize..b as usize).unwrap_or_default()),
                );
            }
            Request::Owned(args) => argv.extend(args.iter().map(|a| &a[..])),
        }
    }

    /// The arguments in a new vector ([`Request::fill`] without one at hand).
    pub fn argv(&self) -> Argv<'_> {
        let mut argv = Argv::new();
        self.fill(&mut argv);
        argv
    }
}
