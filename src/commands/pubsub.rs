//! Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
//! PUBSUB CHANNELS|NUMSUB|NUMPAT|HELP. The registry and delivery are in
//! [`crate::server::PubSub`].

use super::connection::reply_help;
use super::{CommandError, Ctx, ErrText, Flow};

type Res = Result<Flow, CommandError>;

/// A subscription change confirmation: `kind name count`, a push in RESP3. `None`
/// is the null name of an UNSUBSCRIBE with nothing to leave.
fn confirm(ctx: &mut Ctx<'_>, kind: &[u8], name: Option<&[u8]>) {
    let count = ctx.client.subscriptions.count();
    ctx.out.push(3);
    ctx.out.bulk(kind);
    match name {
        Some(name) => ctx.out.bulk(name),
        None => ctx.out.null(),
    }
    ctx.out.integer(count as i64);
}

/// SUBSCRIBE channel [channel ...]
pub fn subscribe(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    for channel in &argv[1..] {
        ctx.client.subscriptions.subscribe(channel);
        confirm(ctx, b"subscribe", Some(channel));
    }
    Ok(Flow::Continue)
}

/// UNSUBSCRIBE [channel ...]: with no channel, every channel.
pub fn unsubscribe(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let all;
    let names: &[&[u8]] = if argv.len() > 1 {
        &argv[1..]
    } else {
        all = ctx.client.subscriptions.channels();
        &all.iter().map(|n| &n[..]).collect::<Vec<_>>()
    };
    if names.is_empty() {
        confirm(ctx, b"unsubscribe", None);
    }
    for channel in names {
        ctx.client.subscriptions.unsubscribe(channel);
        confirm(ctx, b"unsubscribe", Some(channel));
    }
    Ok(Flow::Continue)
}

/// PSUBSCRIBE pattern [pattern ...]
pub fn psubscribe(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    for pattern in &argv[1..] {
        ctx.client.subscriptions.psubscribe(pattern);
        confirm(ctx, b"psubscribe", Some(pattern));
    }
    Ok(Flow::Continue)
}

/// PUNSUBSCRIBE [pattern ...]: with no pattern, every pattern.
pub fn punsubscribe(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let all;
    let names: &[&[u8]] = if argv.len() > 1 {
        &argv[1..]
    } else {
        all = ctx.client.subscriptions.patterns();
        &all.iter().map(|n| &n[..]).collect::<Vec<_>>()
    };
    if names.is_empty() {
        confirm(ctx, b"punsubscribe", None);
    }
    for pattern in names {
        ctx.client.subscriptions.punsubscribe(pattern);
        confirm(ctx, b"punsubscribe", Some(pattern));
    }
    Ok(Flow::Continue)
}

/// PUBLISH channel message: the number of clients that received it.
pub fn publish(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let limit = ctx.server.config().client_output_buffer_limit.pubsub;
    let receivers = ctx
        .server
        .pubsub
        .publish(argv[1], argv[2], &limit, &ctx.server.stats);
    if ctx.client.subscriptions.active() {
        // As in Redis, a message to the publisher itself comes before the reply.
        ctx.client.handle.outbox.drain_into(ctx.out.buffer_mut());
    }
    ctx.out.integer(receivers as i64);
    Ok(Flow::Continue)
}

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
];

/// PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | HELP
pub fn pubsub(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let sub = argv[1].to_ascii_lowercase();
    let registry = &ctx.server.pubsub;
    match sub.as_slice() {
        b"channels" if argv.len() <= 3 => {
            let names = registry.channel_names(argv.get(2).copied());
            ctx.out.bulks(names.iter());
        }
        b"numsub" => {
            ctx.out.array(2 * (argv.len() - 2));
            for channel in &argv[2..] {
                ctx.out.bulk(channel);
                ctx.out.integer(registry.subscribers(channel) as i64);
            }
        }
        b"numpat" => ctx.out.integer(registry.pattern_count() as i64),
        b"help" => reply_help(ctx.out, "PUBSUB", PUBSUB_HELP),
        _ => {
            return Err(CommandError::err(ErrText::fill(
                "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                &[ErrText::quote(argv[1], 128)],
            )))
        }
    }
    Ok(Flow::Continue)
}
