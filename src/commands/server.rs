//! Server commands: INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, FUNCTION FLUSH, TIME,
//! SHUTDOWN.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::connection::{reply_help, REDIS_VERSION};
use super::{CommandError, Ctx, ErrText, Flow};
use crate::metrics::process;
use crate::server::ServerState;
use crate::store::{now_ms, release, EndReason};

type Res = Result<Flow, CommandError>;

/// DBSIZE
pub fn dbsize(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    ctx.out
        .integer(ctx.server.store.db(ctx.client.db).len() as i64);
    Ok(Flow::Continue)
}

/// The optional SYNC|ASYNC of the flush commands. Both flush at once: dropping the
/// buffers is quick, and there is no background free to defer it to.
fn flush_mode(argv: &[&[u8]]) -> Result<(), CommandError> {
    match argv.get(1) {
        None => Ok(()),
        Some(m)
            if argv.len() == 2
                && (m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async")) =>
        {
            Ok(())
        }
        Some(_) => Err(CommandError::Syntax),
    }
}

/// FLUSHDB [ASYNC|SYNC]
pub fn flushdb(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    flush_mode(argv)?;
    for value in ctx.server.store.db(ctx.client.db).clear(now_ms()) {
        release(&value);
    }
    ctx.server.store.clear_sessions(ctx.client.db);
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// FLUSHALL [ASYNC|SYNC]
pub fn flushall(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    flush_mode(argv)?;
    for (index, db) in ctx.server.store.iter() {
        for value in db.clear(now_ms()) {
            release(&value);
        }
        ctx.server.store.clear_sessions(index);
    }
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// FUNCTION FLUSH [ASYNC|SYNC]: ringbus has no functions, so there is nothing to
/// flush; it exists because client test suites call it between tests.
pub fn function(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    // Only FLUSH is in the table, so the dispatcher has already checked the name.
    if argv.len() > 3 {
        return Err(CommandError::err(ErrText::fill(
            "unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
            &[ErrText::quote(argv[1], 128)],
        )));
    }
    match argv.get(2) {
        None => {}
        Some(m) if m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async") => {}
        Some(_) => {
            return Err(CommandError::err(
                "FUNCTION FLUSH only supports SYNC|ASYNC option",
            ))
        }
    }
    ctx.out.ok();
    Ok(Flow::Continue)
}

/// TIME: seconds and microseconds, as bulk strings.
pub fn time(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) -> Res {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk_int(now.as_secs() as i64);
    ctx.out.bulk_int(i64::from(now.subsec_micros()));
    Ok(Flow::Continue)
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: there is nothing to save, so every
/// form but ABORT stops the server at once (gracefully: replies already read are
/// answered). Like Redis, a successful SHUTDOWN sends no reply.
pub fn shutdown(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let mut abort = false;
    for opt in &argv[1..] {
        let o = opt.to_ascii_lowercase();
        match o.as_slice() {
            b"nosave" | b"save" | b"now" | b"force" => {}
            b"abort" => abort = true,
            _ => return Err(CommandError::Syntax),
        }
    }
    if abort {
        if argv.len() != 2 {
            return Err(CommandError::Syntax);
        }
        return Err(CommandError::err("No shutdown in progress."));
    }
    tracing::warn!(
        client = ctx.client.handle.id,
        "SHUTDOWN requested by client"
    );
    ctx.server.shutdown.cancel();
    Ok(Flow::Close)
}

const CONFIG_HELP: &[&str] = &[
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
];

/// CONFIG GET|SET|RESETSTAT|HELP
pub fn config(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let sub = argv[1].to_ascii_lowercase();
    match sub.as_slice() {
        b"get" => {
            let cfg = ctx.server.config();
            let mut found: Vec<(String, String)> = Vec::new();
            for pattern in &argv[2..] {
                // As Redis: a name without glob characters is looked up as given and
                // replied with the caller's spelling; a pattern replies canonical names.
                let literal = !pattern.iter().any(|c| matches!(c, b'[' | b'*' | b'?'));
                for (name, value) in cfg.get(pattern) {
                    let name = if literal {
                        String::from_utf8_lossy(pattern).into_owned()
                    } else {
                        name.to_string()
                    };
                    if !found.iter().any(|(n, _)| *n == name) {
                        found.push((name, value));
                    }
                }
            }
            drop(cfg);
            ctx.out.map(found.len());
            for (name, value) in found {
                ctx.out.bulk(name.as_bytes());
                ctx.out.bulk(value.as_bytes());
            }
        }
        b"set" => {
            if argv.len() % 2 != 0 {
                return Err(CommandError::Syntax);
            }
            let pairs: Vec<(&[u8], &[u8])> = argv[2..].chunks(2).map(|p| (p[0], p[1])).collect();
            let mut next = ctx.server.config().clone();
            let old_level = next.log_level.clone();
            next.set(&pairs)
                .map_err(|e| CommandError::Coded(e.reply_text().into()))?;
            let new_level = next.log_level.clone();
            ctx.server.replace_config(next);
            if let Some(level) = new_level.filter(|l| Some(l) != old_level.as_ref()) {
                ctx.server.reload_log_filter(&level).map_err(|e| {
                    CommandError::err(format!(
                        "CONFIG SET failed (possibly related to argument 'loglevel') - {e}"
                    ))
                })?;
            }
            ctx.out.ok();
        }
        b"resetstat" => {
            ctx.server.stats.reset();
            ctx.out.ok();
        }
        b"help" => reply_help(ctx.out, "CONFIG", CONFIG_HELP),
        _ => {
            return Err(CommandError::UnknownSubcommand {
                sub: ErrText::quote(argv[1], 128),
                command: "CONFIG".into(),
            })
        }
    }
    Ok(Flow::Continue)
}

/// Sections INFO prints with no argument or `default`.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
    "ringbus",
];

/// INFO [section ...]
pub fn info(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Res {
    let mut wanted: Vec<String> = Vec::new();
    for a in &argv[1..] {
        let s = String::from_utf8_lossy(a).to_ascii_lowercase();
        match s.as_str() {
            "default" => wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
            "all" | "everything" => {
                wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
                wanted.push("commandstats".into());
            }
            _ => wanted.push(s),
        }
    }
    if argv.len() == 1 {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    let text = info_text(ctx.server, &wanted)?;
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(Flow::Continue)
}

/// Bytes the way Redis's `bytesToHuman` prints them.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    const K: f64 = 1024.0;
    if n < K {
        format!("{}B", n as u64)
    } else if n < K * K {
        format!("{:.2}K", n / K)
    } else if n < K * K * K {
        format!("{:.2}M", n / (K * K))
    } else if n < K * K * K * K {
        format!("{:.2}G", n / (K * K * K))
    } else {
        format!("{:.2}T", n / (K * K * K * K))
    }
}

fn info_text(server: &ServerState, wanted: &[String]) -> Result<String, CommandError> {
    let mut out = String::new();
    let mut done: Vec<&str> = Vec::new();
    for section in wanted {
        if done.contains(&section.as_str()) {
            continue;
        }
        let before = out.len();
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let wrote = write_section(server, section, &mut out)?;
        if !wrote {
            out.truncate(before);
        }
        done.push(section);
    }
    Ok(out)
}

fn write_section(
    server: &ServerState,
    section: &str,
    o: &mut String,
) -> Result<bool, CommandError> {
    let cfg = server.config().clone();
    let stats = &server.stats;
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    let ld = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    match section {
        "server" => {
            let uptime = server.started.elapsed().as_secs();
            write!(
                o,
                "# Server\r\nredis_version:{REDIS_VERSION}\r\nringbus_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:{}\r\nmultiplexing_api:tokio\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:10\r\nconfigured_hz:10\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH,
                usize::BITS,
                std::process::id(),
                server.run_id,
                server.port,
                now_us,
                uptime,
                uptime / 86400,
                std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
                cfg.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            )?;
        }
        "clients" => {
            write!(
                o,
                "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
                server.clients.len(),
                cfg.maxclients,
                server.clients.blocked(),
            )?;
        }
        "memory" => {
            // used_memory is what the stored data takes (the store's own byte
            // accounting), the figure maxmemory is checked against, as in Redis.
            let used = server.used_memory();
            let peak = server.used_memory_peak().max(used);
            let rss = process::resident_bytes();
            let sys = process::total_system_memory();
            let perc = |part: u64, whole: u64| {
                if whole == 0 {
                    0.0
                } else {
                    part as f64 * 100.0 / whole as f64
                }
            };
            let frag = if used == 0 {
                0.0
            } else {
                rss as f64 / used as f64
            };
            write!(
                o,
                "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_dataset:{used}\r\nused_memory_dataset_perc:{:.2}%\r\ntotal_system_memory:{sys}\r\ntotal_system_memory_human:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:noeviction\r\nmem_fragmentation_ratio:{frag:.2}\r\nmem_allocator:libc\r\n",
                human_bytes(used),
                human_bytes(rss),
                human_bytes(peak),
                perc(used, peak),
                perc(used, used),
                human_bytes(sys),
                cfg.maxmemory,
                human_bytes(cfg.maxmemory),
            )?;
        }
        "persistence" => {
            // Nothing is persisted, by design; these say so in Redis's terms.
            write!(
                o,
                "# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:ok\r\nrdb_saves:0\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_last_write_status:ok\r\n",
                server.started_unix
            )?;
        }
        "stats" => {
            write!(
                o,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\nevicted_clients:0\r\nkeyspace_hits:0\r\nkeyspace_misses:0\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\ntotal_error_replies:{}\r\nclient_output_buffer_limit_disconnections:{}\r\n",
                ld(&stats.connections_received),
                ld(&stats.commands_processed),
                ld(&stats.net_input_bytes),
                ld(&stats.net_output_bytes),
                stats.rejected_connections(),
                ld(&server.store.counters.expired_keys),
                ld(&stats.pubsub_channels),
                server.pubsub.pattern_count(),
                ld(&stats.error_replies),
                ld(&stats.output_buffer_limit_disconnections),
            )?;
        }
        "replication" => {
            o.push_str(
                "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n",
            );
        }
        "cpu" => {
            let (user, sys) = process::cpu_seconds();
            write!(
                o,
                "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n"
            )?;
        }
        "modules" => o.push_str("# Modules\r\n"),
        "cluster" => o.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
        "errorstats" => {
            o.push_str("# Errorstats\r\n");
            for (code, n) in stats.errors() {
                writeln!(o, "errorstat_{code}:count={n}\r")?;
            }
        }
        "commandstats" => {
            o.push_str("# Commandstats\r\n");
            for (name, s) in stats.commands() {
                let calls = ld(&s.calls);
                let usec = ld(&s.usec);
                let per = if calls == 0 {
                    0.0
                } else {
                    usec as f64 / calls as f64
                };
                writeln!(
                    o,
                    "cmdstat_{name}:calls={calls},usec={usec},usec_per_call={per:.2},rejected_calls={},failed_calls={}\r",
                    ld(&s.rejected),
                    ld(&s.failed)
                )?;
            }
        }
        "keyspace" => {
            o.push_str("# Keyspace\r\n");
            for (i, db) in server.store.iter() {
                let keys = db.len();
                if keys > 0 {
                    writeln!(
                        o,
                        "db{i}:keys={keys},expires={},avg_ttl=0\r",
                        db.expiring_len()
                    )?;
                }
            }
        }
        "ringbus" => write_ringbus(server, o)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// INFO's own section: the store's figures that `/metrics` exports too (same
/// counters, same values until a CONFIG RESETSTAT).
fn write_ringbus(server: &ServerState, o: &mut String) -> std::fmt::Result {
    let store = &server.store;
    let c = &store.counters;
    let streams: usize = store.iter().map(|(_, db)| db.len()).sum();
    write!(
        o,
        "# Ringbus\r\nstreams:{streams}\r\nsessions:{}\r\n",
        store.sessions_total()
    )?;
    for reason in EndReason::ALL {
        write!(
            o,
            "sessions_ended_{}:{}\r\n",
            reason.label(),
            c.sessions_ended(reason)
        )?;
    }
    write!(
        o,
        "events_appended:{}\r\nevents_overwritten:{}\r\nevents_expired:{}\r\npending_overwritten:{}\r\nbuffered_events:{}\r\nbuffered_bytes:{}\r\npubsub_messages:{}\r\n",
        c.appended(),
        c.overwritten(),
        c.aged_out(),
        c.pending_overwritten.load(Ordering::Relaxed),
        c.events(),
        c.used_bytes(),
        server.stats.pubsub_messages.load(Ordering::Relaxed),
    )?;
    let ld = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    for t in c.tracks() {
        write!(
            o,
            "track_{}:appended={},overwritten={},expired={},events={},bytes={}\r\n",
            t.name,
            ld(&t.appended),
            ld(&t.overwritten),
            ld(&t.aged_out),
            ld(&t.events),
            ld(&t.bytes)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn human_bytes_as_redis() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(1023), "1023B");
        assert_eq!(human_bytes(943808), "921.69K");
        assert_eq!(human_bytes(7380992), "7.04M");
    }
}
