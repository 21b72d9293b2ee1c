//! Stream commands on the ring: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM.
//!
//! Replies are written straight from the stored encoding: an entry is kept as RESP
//! bulk strings, so XRANGE is mostly byte copies into the output buffer.

use std::sync::Arc;

use bytes::BytesMut;

use super::{parse_i64, CommandError, Ctx, Flow};
use crate::store::stream::{IdSpec, Range, Stream, StreamError, StreamId, TrimStrategy};
use crate::store::{now_ms, AppendRequest, StreamCell, SystemClock, TrimSpec};

type Res = Result<Flow, CommandError>;

impl From<StreamError> for CommandError {
    fn from(e: StreamError) -> Self {
        // StreamError's text already carries Redis's code.
        CommandError::Coded(e.to_string().into())
    }
}

/// The live stream at `key` in the client's database, if any.
pub(crate) fn lookup(ctx: &Ctx<'_>, key: &[u8]) -> Option<Arc<StreamCell>> {
    ctx.server.store.stream(ctx.client.db, key, SystemClock)
}

/// Trimming options shared by XADD and XTRIM.
#[derive(Debug, Default)]
struct TrimArgs {
    strategy: Option<TrimStrategy>,
    approx: bool,
    /// `Some` when LIMIT was given.
    limit: Option<u64>,
}

/// What XADD parsed before its field/value pairs.
#[derive(Debug)]
struct AddArgs {
    trim: TrimArgs,
    nomkstream: bool,
    id: IdSpec,
    /// Index in argv of the first field.
    fields_at: usize,
}

/// Parses the options of XADD (`xadd`) or XTRIM, as Redis's
/// `streamParseAddOrTrimArgsOrReply`, with the same errors in the same order.
fn parse_add_or_trim(argv: &[&[u8]], xadd: bool) -> Result<AddArgs, CommandError> {
    let mut trim = TrimArgs::default();
    let mut nomkstream = false;
    let mut id = IdSpec::Auto;
    let mut i = 2;
    let incompatible = || {
        CommandError::err(
            "syntax error, MAXLEN and MINID options at the same time are not compatible",
        )
    };
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv[i];
        if xadd && opt == b"*" {
            break;
        } else if (opt.eq_ignore_ascii_case(b"maxlen") || opt.eq_ignore_ascii_case(b"minid"))
            && more > 0
        {
            if trim.strategy.is_some() {
                return Err(incompatible());
            }
            let maxlen = opt.eq_ignore_ascii_case(b"maxlen");
            trim.approx = false;
            let next = argv[i + 1];
            if more >= 2 && next == b"~" {
                trim.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let arg = &argv[i + 1];
            trim.strategy = Some(if maxlen {
                let n = parse_i64(arg).ok_or(CommandError::NotInteger)?;
                if n < 0 {
                    return Err(CommandError::err("The MAXLEN argument must be >= 0."));
                }
                TrimStrategy::MaxLen(n as u64)
            } else {
                TrimStrategy::MinId(StreamId::parse_strict(arg, 0)?)
            });
            i += 1;
        } else if opt.eq_ignore_ascii_case(b"limit") && more > 0 {
            let n = parse_i64(argv[i + 1]).ok_or(CommandError::NotInteger)?;
            if n < 0 {
                return Err(CommandError::err("The LIMIT argument must be >= 0."));
            }
            trim.limit = Some(n as u64);
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            nomkstream = true;
        } else if xadd {
            id = IdSpec::parse(opt)?;
            break;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if trim.limit.is_some_and(|l| l > 0) && trim.strategy.is_none() {
        return Err(CommandError::err(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && trim.strategy.is_none() {
        return Err(CommandError::err(
            "syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if trim.limit.is_some() && !trim.approx {
        return Err(CommandError::err(
            "syntax error, LIMIT cannot be used without the special ~ option",
        ));
    }
    Ok(AddArgs {
        trim,
        nomkstream,
        id,
        fields_at: i + 1,
    })
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
pub fn xadd(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let args = parse_add_or_trim(argv, true)?;
    let fields = argv.get(args.fields_at..).unwrap_or(&[]);
    if fields.len() < 2 || fields.len() % 2 == 1 {
        return Err(CommandError::WrongArity("xadd".into()));
    }
    if args.id == IdSpec::Explicit(StreamId::MIN) {
        return Err(StreamError::IdZero.into());
    }
    // The arguments go to the store as they are: it encodes them into its node
    // buffers and keeps no reference to the request's read buffer.
    let trim = args.trim.strategy.map(|strategy| TrimSpec {
        strategy,
        approx: args.trim.approx,
        limit: args.trim.limit,
    });
    let req = AppendRequest {
        id: args.id,
        fields,
        trim,
        create: !args.nomkstream,
    };
    let appended = ctx
        .server
        .store
        .append(ctx.client.db, argv[1], req, now_ms())?;
    match appended {
        Some(a) => a.id.write_bulk(ctx.out.buffer_mut()),
        None => ctx.out.null(),
    }
    Ok(Flow::Continue)
}

/// XLEN key
pub fn xlen(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let len = lookup(ctx, argv[1]).map_or(0, |cell| cell.lock().stream.len());
    ctx.out.integer(len as i64);
    Ok(Flow::Continue)
}

/// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]
pub fn xrange(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let rev = argv[0].eq_ignore_ascii_case(b"xrevrange");
    let (start_arg, end_arg) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let start = StreamId::parse_range_start(start_arg)?;
    let end = StreamId::parse_range_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if argv[j].eq_ignore_ascii_case(b"count") && j + 1 < argv.len() {
            count = parse_i64(argv[j + 1])
                .ok_or(CommandError::NotInteger)?
                .max(0);
            j += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let Some(cell) = lookup(ctx, argv[1]) else {
        ctx.out.array(0);
        return Ok(Flow::Continue);
    };
    if count == 0 {
        ctx.out.null_array();
        return Ok(Flow::Continue);
    }
    let limit = usize::try_from(count).ok();
    let state = cell.lock();
    write_range(ctx, &state.stream, start, end, limit, rev);
    Ok(Flow::Continue)
}

/// Writes the entries of `[start, end]` as an array: the header from the range's
/// length (counted per node), then each entry's stored bytes, in one pass.
pub(crate) fn write_range(
    ctx: &mut Ctx<'_>,
    stream: &Stream,
    start: StreamId,
    end: StreamId,
    count: Option<usize>,
    rev: bool,
) {
    let range = stream.range(start, end, count, rev);
    write_entries(ctx.out.buffer_mut(), range);
}

/// An array header and the entries of `range`.
/// Writes the entries of `range` as an array; returns how many there were.
pub(crate) fn write_entries(buf: &mut BytesMut, range: Range<'_>) -> usize {
    let entries = range.len();
    debug_assert_eq!(entries, range.clone().count());
    let mut n = itoa::Buffer::new();
    buf.extend_from_slice(b"*");
    buf.extend_from_slice(n.format(entries).as_bytes());
    buf.extend_from_slice(b"\r\n");
    for entry in range {
        entry.write_resp(buf);
    }
    entries
}

/// XDEL key id [id ...]
pub fn xdel(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let Some(cell) = lookup(ctx, argv[1]) else {
        ctx.out.integer(0);
        return Ok(Flow::Continue);
    };
    // All IDs are checked first so the command is never half applied.
    let ids = argv[2..]
        .iter()
        .map(|a| StreamId::parse_strict(a, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = cell.lock().stream.delete(&ids);
    if deleted > 0 {
        ctx.server.store.touch(ctx.client.db, argv[1]);
    }
    ctx.out.integer(deleted as i64);
    Ok(Flow::Continue)
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub fn xtrim(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let args = parse_add_or_trim(argv, false)?;
    let Some(strategy) = args.trim.strategy else {
        return Err(CommandError::Syntax);
    };
    let Some(cell) = lookup(ctx, argv[1]) else {
        ctx.out.integer(0);
        return Ok(Flow::Continue);
    };
    let limits = ctx.server.store.settings().node_limits;
    let removed = cell
        .lock()
        .stream
        .trim(strategy, args.trim.approx, args.trim.limit, &limits);
    if removed > 0 {
        ctx.server.store.touch(ctx.client.db, argv[1]);
    }
    ctx.out.integer(removed as i64);
    Ok(Flow::Continue)
}
