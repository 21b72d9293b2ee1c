//! Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, EXPIRE and friends, TTL
//! and friends, PERSIST, RENAME, RENAMENX.

use bytes::Bytes;

use super::{parse_i64, Args, CommandError, Ctx, ErrText, Flow};
use crate::glob;
use crate::store::{
    now_ms, release, EndReason, ExpireCondition, ExpireOutcome, Lookup, RenameOutcome,
};

type Res = Result<Flow, CommandError>;

/// DEL key [key ...] / UNLINK key [key ...]
pub fn del(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let db = ctx.server.store.db(ctx.client.db);
    let now = now_ms();
    let mut removed = 0;
    for key in &argv[1..] {
        if let Some(value) = db.remove(key, now) {
            release(&value);
            ctx.server
                .store
                .key_removed(ctx.client.db, key, EndReason::Command, now);
            removed += 1;
        }
    }
    ctx.out.integer(removed as i64);
    Ok(Flow::Continue)
}

/// EXISTS key [key ...]: a key named twice counts twice, as in Redis.
pub fn exists(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let db = ctx.server.store.db(ctx.client.db);
    let now = now_ms();
    let n = argv[1..].iter().filter(|k| db.contains(k, now)).count();
    ctx.out.integer(n as i64);
    Ok(Flow::Continue)
}

/// TYPE key
pub fn type_(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let db = ctx.server.store.db(ctx.client.db);
    let name = match db.get(argv[1], now_ms()) {
        Lookup::Found(v) => v.type_name(),
        _ => "none",
    };
    ctx.out.simple(name);
    Ok(Flow::Continue)
}

/// KEYS pattern
pub fn keys(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let db = ctx.server.store.db(ctx.client.db);
    let now = now_ms();
    let pattern = argv[1];
    let all = pattern == b"*";
    let mut found = Vec::new();
    db.for_each(|key, _, expires| {
        let live = expires.is_none_or(|at| at > now);
        if live && (all || glob::matches(pattern, key, false)) {
            found.push(Bytes::copy_from_slice(key));
        }
    });
    ctx.out.bulks(found.iter());
    Ok(Flow::Continue)
}

/// Parses a SCAN cursor as Redis does with `strtoul`: no leading space, an optional
/// sign (`-1` wraps around), digits to the end; the empty string is cursor 0.
pub(crate) fn parse_cursor(raw: &[u8]) -> Option<u64> {
    let (neg, digits) = match raw.first() {
        Some(b'-') => (true, &raw[1..]),
        Some(b'+') => (false, &raw[1..]),
        Some(_) => (false, raw),
        None => return Some(0),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The options of SCAN-style commands (SCAN, SESSION.LIST).
pub(crate) struct ScanArgs<'a> {
    /// The cursor to start from.
    pub cursor: u64,
    /// MATCH, unless it was `*` (the same as none).
    pub pattern: Option<&'a [u8]>,
    /// COUNT (default 10).
    pub count: usize,
    /// TYPE, lower case, where the command takes it.
    pub type_filter: Option<Vec<u8>>,
}

/// Parses `cursor [MATCH pattern] [COUNT count]` and, with `with_type`, `[TYPE type]`,
/// with SCAN's errors.
pub(crate) fn parse_scan_args<'a>(
    args: &'a [&'a [u8]],
    with_type: bool,
) -> Result<ScanArgs<'a>, CommandError> {
    let cursor = parse_cursor(args[0]).ok_or_else(|| CommandError::err("invalid cursor"))?;
    let mut parsed = ScanArgs {
        cursor,
        pattern: None,
        count: 10,
        type_filter: None,
    };
    let mut args = Args::new(&args[1..]);
    while let Some(opt) = args.next_opt() {
        if args.is_empty() {
            return Err(CommandError::Syntax);
        }
        if opt.eq_ignore_ascii_case(b"count") {
            let n = args.next_i64()?;
            if n < 1 {
                return Err(CommandError::Syntax);
            }
            parsed.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if opt.eq_ignore_ascii_case(b"match") {
            let p = args.next_arg()?;
            parsed.pattern = (p != b"*").then_some(p);
        } else if with_type && opt.eq_ignore_ascii_case(b"type") {
            parsed.type_filter = Some(args.next_arg()?.to_ascii_lowercase());
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(parsed)
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let ScanArgs {
        cursor,
        pattern,
        count,
        type_filter,
    } = parse_scan_args(&argv[1..], true)?;
    let db = ctx.server.store.db(ctx.client.db);
    let now = now_ms();
    let mut found: Vec<Bytes> = Vec::new();
    let next = db.scan(cursor, count, |key, value| {
        let type_ok = type_filter
            .as_deref()
            .is_none_or(|t| t == value.type_name().as_bytes());
        let match_ok = pattern.is_none_or(|p| glob::matches(p, key, false));
        if type_ok && match_ok && db.expires_at(key, now).is_some() {
            found.push(Bytes::copy_from_slice(key));
        }
    });
    ctx.out.array(2);
    ctx.out.bulk_u64(next);
    ctx.out.bulks(found.iter());
    Ok(Flow::Continue)
}

/// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT]
pub fn expire(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let name = argv[0].to_ascii_lowercase();
    let (seconds, absolute) = match name.as_slice() {
        b"expire" => (true, false),
        b"pexpire" => (false, false),
        b"expireat" => (true, true),
        _ => (false, true),
    };
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &argv[3..] {
        let o = opt.to_ascii_lowercase();
        match o.as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"gt" => gt = true,
            b"lt" => lt = true,
            _ => {
                return Err(CommandError::err(ErrText::fill(
                    "Unsupported option {}",
                    &[ErrText::quote(opt, 128)],
                )))
            }
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CommandError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(CommandError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    let cond = ExpireCondition { nx, xx, gt, lt };
    let invalid = || {
        CommandError::err(format!(
            "invalid expire time in '{}' command",
            String::from_utf8_lossy(&name)
        ))
    };
    let mut when = parse_i64(argv[2]).ok_or(CommandError::NotInteger)?;
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let now = now_ms();
    if !absolute {
        when = when.checked_add(now as i64).ok_or_else(invalid)?;
    }
    let at = u64::try_from(when).unwrap_or(0);
    let db = ctx.server.store.db(ctx.client.db);
    let n = match db.expire(argv[1], at, cond, now) {
        ExpireOutcome::Unchanged => 0,
        ExpireOutcome::Set => 1,
        ExpireOutcome::Deleted(value) => {
            release(&value);
            ctx.server
                .store
                .key_removed(ctx.client.db, argv[1], EndReason::Expire, now);
            1
        }
    };
    ctx.out.integer(n);
    Ok(Flow::Continue)
}

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME key
pub fn ttl(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let name = argv[0].to_ascii_lowercase();
    let (ms, absolute) = match name.as_slice() {
        b"ttl" => (false, false),
        b"pttl" => (true, false),
        b"expiretime" => (false, true),
        _ => (true, true),
    };
    let now = now_ms();
    let reply = match ctx.server.store.db(ctx.client.db).expires_at(argv[1], now) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => {
            let t = if absolute { at } else { at.saturating_sub(now) } as i64;
            if ms {
                t
            } else {
                (t + 500) / 1000
            }
        }
    };
    ctx.out.integer(reply);
    Ok(Flow::Continue)
}

/// PERSIST key
pub fn persist(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let done = ctx
        .server
        .store
        .db(ctx.client.db)
        .persist(argv[1], now_ms());
    ctx.out.integer(i64::from(done));
    Ok(Flow::Continue)
}

/// RENAME key newkey / RENAMENX key newkey
pub fn rename(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let nx = argv[0].eq_ignore_ascii_case(b"renamenx");
    let db = ctx.server.store.db(ctx.client.db);
    let now = now_ms();
    match db.rename(argv[1], argv[2], nx, now) {
        RenameOutcome::NoSuchKey => return Err(CommandError::NoSuchKey),
        RenameOutcome::DestinationExists => ctx.out.integer(0),
        RenameOutcome::Renamed(old) => {
            if let Some(old) = old {
                release(&old);
            }
            if argv[1] != argv[2] {
                ctx.server
                    .store
                    .key_removed(ctx.client.db, argv[1], EndReason::Command, now);
            }
            if nx {
                ctx.out.integer(1)
            } else {
                ctx.out.ok()
            }
        }
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_parse_as_strtoull() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"abc"), None);
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"1 "), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"1x"), None);
    }
}
