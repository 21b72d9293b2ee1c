//! Server counters that INFO reports and CONFIG RESETSTAT clears.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::commands::CommandSpec;

/// Calls, time and errors of one command (INFO commandstats).
#[derive(Debug, Default)]
pub struct CommandStat {
    /// Times it ran.
    pub calls: AtomicU64,
    /// Microseconds spent in it.
    pub usec: AtomicU64,
    /// Refused before running (arity, auth, ...).
    pub rejected: AtomicU64,
    /// Ran and replied with an error.
    pub failed: AtomicU64,
}

/// Global counters, all relaxed atomics: exact totals, no ordering needed.
#[derive(Debug)]
pub struct Stats {
    /// Connections accepted.
    pub connections_received: AtomicU64,
    /// Commands run.
    pub commands_processed: AtomicU64,
    /// Connections refused (maxclients, protected mode).
    pub rejected_connections: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Error replies sent.
    pub error_replies: AtomicU64,
    /// Channels with at least one subscriber now (INFO `pubsub_channels`).
    pub pubsub_channels: AtomicU64,
    /// PUBLISH calls, total (each counts once, whatever its receivers).
    pub pubsub_messages: AtomicU64,
    /// Clients disconnected for passing their `client-output-buffer-limit`
    /// (INFO `client_output_buffer_limit_disconnections`, as Redis 7.4 names it).
    pub output_buffer_limit_disconnections: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    commands: HashMap<&'static str, CommandStat>,
}

impl Stats {
    /// Counters for every command in `specs` (subcommands included), all zero.
    pub fn new(specs: &'static [CommandSpec]) -> Self {
        let mut commands = HashMap::new();
        for spec in specs {
            commands.insert(spec.name, CommandStat::default());
            for sub in spec.subcommands {
                commands.insert(sub.name, CommandStat::default());
            }
        }
        Stats {
            connections_received: AtomicU64::new(0),
            commands_processed: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            pubsub_channels: AtomicU64::new(0),
            pubsub_messages: AtomicU64::new(0),
            output_buffer_limit_disconnections: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
            commands,
        }
    }

    /// The counters of command `name` (`client|list` form).
    pub fn command(&self, name: &str) -> Option<&CommandStat> {
        self.commands.get(name)
    }

    /// Counts an error reply under its code (`ERR`, `WRONGTYPE`, ...).
    pub fn record_error(&self, code: &str) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let mut errors = self.errors.lock();
        // Redis caps the distinct codes it tracks at 128 so clients cannot grow it.
        if let Some(n) = errors.get_mut(code) {
            *n += 1;
        } else if errors.len() < 128 {
            errors.insert(code.to_string(), 1);
        }
    }

    /// Error counts by code, sorted.
    pub fn errors(&self) -> Vec<(String, u64)> {
        self.errors
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Commands that ran at least once or were refused, sorted by name.
    pub fn commands(&self) -> Vec<(&'static str, &CommandStat)> {
        let mut v: Vec<_> = self
            .commands
            .iter()
            .filter(|(_, s)| {
                s.calls.load(Ordering::Relaxed) > 0
                    || s.rejected.load(Ordering::Relaxed) > 0
                    || s.failed.load(Ordering::Relaxed) > 0
            })
            .map(|(k, v)| (*k, v))
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for a in [
            &self.connections_received,
            &self.commands_processed,
            &self.rejected_connections,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.error_replies,
            &self.pubsub_messages,
            &self.output_buffer_limit_disconnections,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
        for s in self.commands.values() {
            for a in [&s.calls, &s.usec, &s.rejected, &s.failed] {
                a.store(0, Ordering::Relaxed);
            }
        }
    }
}
